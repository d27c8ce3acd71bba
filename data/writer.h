/* writer.h - writes the robomimic HDF5 layout (what the data generators use).
 *
 * Layout written (what robomimic, robosuite and Diffusion Policy read):
 *   data/                attrs: total (int64), env_args (UTF-8 JSON string)
 *   data/demo_<n>/       attr num_samples (int64)
 *     actions (N,A) f32, rewards (N,) f32, dones (N,) int64, states (N,S) f64
 *     obs/<key> (N,...) f32, next_obs/<key> (N,...) f32
 *     obs/<camera> (N,H,W,C) u8, next_obs/<camera> (optional, rise_writer_add_frames; one
 *     frame a chunk, so a reader of a batch's frames reads only those)
 *   mask/<filter_key>    demo names as fixed-length byte strings (numpy 'S')
 * The file is written under a temporary name and renamed on close, so a
 * reader never sees half a file. Values are checked (finite, dones 0/1)
 * before anything is written: rise never writes a file it would refuse.
 *
 * Streaming use (generators):
 *   rise_writer *w;
 *   rise_obs_key keys[2] = {rise_obs_key_1d("agent_pos", 2), rise_obs_key_1d("goal", 2)};
 *   RISE_TRY(rise_writer_open(&w, "play.h5", keys, 2, act_dim, 0, env_args_json));
 *   for each episode: rise_writer_add_demo(w, -1, T, obs, next_obs, act, rew, dones, NULL);
 *   rise_writer_add_mask(w, "train", ids, n);    (optional)
 *   RISE_TRY(rise_writer_close(w));               (or rise_writer_abort on error) */
#ifndef RISE_DATA_WRITER_H
#define RISE_DATA_WRITER_H

#include <stdint.h>

#include "episodes.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rise_writer rise_writer;

/* A key with per-step shape (dim,). */
rise_obs_key rise_obs_key_1d(const char *name, int64_t dim);

/* keys: names and per-step shapes (offsets are recomputed in this order; n_keys 0 writes no
 * low-dim key, for files whose observations are camera frames only);
 * state_dim 0 writes no states; env_args NULL writes "{}". */
rise_status rise_writer_open(rise_writer **w, const char *path, const rise_obs_key *keys,
                             int n_keys, int64_t act_dim, int64_t state_dim, const char *env_args);

/* Appends demo_<id> (id < 0: one more than the largest so far). obs and
 * next_obs are [n, D] rows with the keys concatenated; next_obs NULL leaves
 * next_obs out (readers derive it). states may be NULL when state_dim is 0.
 * *out_index (optional) receives the demo's index for masks. */
rise_status rise_writer_add_demo(rise_writer *w, int64_t id, int64_t n, const float *obs,
                                 const float *next_obs, const float *actions, const float *rewards,
                                 const uint8_t *dones, const double *states, int64_t *out_index);

/* Camera frames [n, h, wd, c] uint8 as data/demo_<id>/<group>/<name> (group "obs" or
 * "next_obs") of a demo already added. */
rise_status rise_writer_add_frames(rise_writer *w, int64_t id, const char *group, const char *name,
                                   int64_t n, int h, int wd, int c, const uint8_t *frames);

/* A filter key listing demos by index (0 = first demo added). */
rise_status rise_writer_add_mask(rise_writer *w, const char *name, const int64_t *demos,
                                 int64_t count);

/* Writes the attributes and masks, closes and renames into place; frees w. */
rise_status rise_writer_close(rise_writer *w);
/* Drops the partial file; frees w. */
void rise_writer_abort(rise_writer *w);

/* Writes a whole rise_episodes (demo names, env_args, masks, states kept). */
rise_status rise_episodes_write(const rise_episodes *e, const char *path);

#ifdef __cplusplus
}
#endif
#endif
