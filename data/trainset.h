/* trainset.h - the in-memory training set the algorithms consume.
 *
 * Built from a dataset spec: every source's demos (this rank's share when
 * sharded), labelled (rewards, dones), with per-transition trajectory id,
 * time index and expert flag, trajectory tables, expert / non-expert index
 * lists for mixed sampling, and normalisation statistics fitted on the
 * loaded data. All arrays are flat host memory, ready to upload once:
 *   obs [n, D], next_obs [n, D], actions [n, A], rewards [n], dones [n]
 * and, for image keys, each camera's uint8 frames (data/frames.h: in memory up to
 * data.image_memory_mb, else read per batch from the files).
 * Build leaves the data raw; rise_trainset_normalize applies ts->norm (or
 * statistics loaded from a checkpoint) in place. */
#ifndef RISE_DATA_TRAINSET_H
#define RISE_DATA_TRAINSET_H

#include <stdint.h>

#include "episodes.h"
#include "normalize.h"
#include "spec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A camera: uint8 frames of an image observation key (data/frames.h). */
typedef struct {
    char name[RISE_NAME_MAX];
    int h, w, c;
    int64_t frame_bytes; /* h w c */
    uint8_t *frames;     /* [n, h, w, c] frame of each row; NULL when streamed */
    uint8_t *last_next;  /* [n_traj, h, w, c] next frame of each trajectory's last step */
} rise_camera;

typedef struct rise_trainset {
    int64_t n, obs_dim, act_dim;
    float *obs, *next_obs, *actions; /* [n, D], [n, D], [n, A] */
    float *rewards, *dones;          /* [n]; dones 0.0 or 1.0 */
    int32_t *traj;                   /* [n] local trajectory index */
    int32_t *step;                   /* [n] time index inside its trajectory */
    uint8_t *expert;                 /* [n] 1 = from an expert source */

    int64_t n_traj;
    int64_t *traj_start, *traj_len; /* [n_traj] rows */
    uint8_t *traj_expert;           /* [n_traj] */
    int32_t *traj_source;           /* [n_traj] index into spec.sources */
    int64_t *traj_global;           /* [n_traj] index in the global (unsharded) list */
    int64_t *traj_demo_id;          /* [n_traj] the <n> of demo_<n> in its file */
    int64_t n_traj_global;          /* trajectories over all ranks */

    int64_t n_expert, n_nonexpert;
    int64_t *expert_idx, *nonexpert_idx; /* transition indices, ascending */

    int n_keys;
    rise_obs_key *keys; /* layout of an obs row (low-dimensional keys) */
    int n_cams;         /* image keys, in the order data.obs_keys names them */
    rise_camera *cams;
    /* data.relabel_keys' values [n, relabel_dim] (raw, never normalised): the features the
     * neighbour search measures when given (image embeddings); relabel_dim 0: none */
    int64_t relabel_dim;
    float *relabel_feat;
    struct rise_frame_stream *stream; /* frames read per batch from the files; NULL: in memory */
    char *env_args;                   /* of the first source, or NULL */
    rise_data_spec spec;
    rise_norm_stats norm; /* fitted on this rank's raw data at build */
    int normalized;       /* 1 once obs/next_obs/actions hold normalised values */
} rise_trainset;

rise_status rise_trainset_build(const rise_data_spec *spec, rise_trainset *ts);
void rise_trainset_free(rise_trainset *ts);

/* Applies `stats` (NULL = ts->norm) to obs, next_obs and actions, once;
 * copies them into ts->norm so the model saves what it trained on. */
rise_status rise_trainset_normalize(rise_trainset *ts, const rise_norm_stats *stats);

/* Column range of an obs key; 0 when the key is unknown. */
int rise_trainset_key_cols(const rise_trainset *ts, const char *key, int64_t *offset, int64_t *dim);

/* Which rank owns each of n trajectories (lengths given) for `world` ranks:
 * longest first, each to the rank with the fewest transitions so far (ties
 * to the lower rank, then the earlier trajectory). Deterministic, disjoint,
 * complete. */
void rise_shard_assign(const int64_t *lengths, int64_t n, int world, int *owner);

/* Labelling: rewards and dones of transitions [start, start+len) of one
 * trajectory, in place. file_rewards/file_dones are that trajectory's file
 * values. */
void rise_label_trajectory(rise_reward_mode reward, rise_terminal_mode terminal, int expert,
                           const float *file_rewards, const uint8_t *file_dones, int64_t len,
                           float *rewards, float *dones);

#ifdef __cplusplus
}
#endif
#endif
