/* gen.h - data generators: episodes of a task's scripted agents, collected
 * in memory and written as robomimic-layout HDF5 (data/writer.h).
 *
 * Kinds (every task implements all five):
 *   expert      the scripted expert from its narrow initial region; only
 *               successful episodes are kept (the success rate over all
 *               attempts is reported)
 *   play        plausible wandering over the whole evaluation region that
 *               never completes the task: the episode is cut just before
 *               the step that would succeed (and redrawn when that leaves
 *               fewer than play_min_steps steps)
 *   partial     the expert stopped midway (a random fraction of the steps
 *               it needs), so it never succeeds
 *   suboptimal  a detouring, mildly noisy agent from starts outside the
 *               expert region, driving to the goal
 *   noisy       the expert with heavy action noise (a weak policy)
 * Every random choice is Philox(seed, stream, episode key), so a run is a
 * pure function of (task settings, kind, options, seed, episode count),
 * whatever the thread count.
 *
 * Rewards are the task's (1 on the step that succeeds, else 0); dones are 1
 * only on that step (true termination) and 0 where an episode is cut off
 * (horizon, play's stop, partial's stop), so value targets bootstrap there.
 * The label expert = 1 / non-expert = 0 of RISE comes from the file's mask
 * (mask/<kind>), not from these rewards. */
#ifndef RISE_ENVS_GEN_H
#define RISE_ENVS_GEN_H

#include <stdint.h>

#include "env.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    RISE_GEN_EXPERT = 0,
    RISE_GEN_PLAY,
    RISE_GEN_PARTIAL,
    RISE_GEN_SUBOPTIMAL,
    RISE_GEN_NOISY,
    RISE_GEN_KIND_COUNT
} rise_gen_kind;

const char *rise_gen_kind_name(rise_gen_kind k);
/* 1 and *k set when s names a kind. */
int rise_gen_kind_parse(const char *s, rise_gen_kind *k);

typedef struct {
    double play_noise;       /* action noise std of play */
    double suboptimal_noise; /* action noise std of suboptimal demos */
    double noisy_noise;      /* action noise std of the weak-policy rollouts */
    double partial_min;      /* partial keeps this fraction of the expert's steps ... */
    double partial_max;      /* ... up to this one */
    int play_min_steps;      /* play episodes cut shorter than this are redrawn */
    int max_attempts;        /* tries per kept episode before giving up */
    int obs;                 /* rise_gen_obs: which observation keys rise_gen_write writes */
    int image_size;          /* camera frames are image_size x image_size x 3 (robomimic: 84) */
} rise_gen_opts;

/* What a generated file observes: the env's low-dim keys (default), the camera view
 * RISE_AGENTVIEW_KEY (uint8 frames of each row, envs/camera_view.h: the maze always, the
 * MuJoCo tasks in a build with EGL), or both. */
typedef enum { RISE_GEN_OBS_LOWDIM = 0, RISE_GEN_OBS_IMAGE, RISE_GEN_OBS_BOTH } rise_gen_obs;
/* 1 and *obs set when s is "lowdim", "image" or "both". */
int rise_gen_obs_parse(const char *s, int *obs);

void rise_gen_opts_default(rise_gen_opts *o);
rise_status rise_gen_opts_check(const rise_gen_opts *o);

/* One episode's transitions, grown as it is recorded. */
typedef struct {
    int obs_dim, act_dim, state_dim;
    int64_t n, cap;
    float *obs, *next_obs, *actions, *rewards; /* [n, D], [n, D], [n, A], [n] */
    uint8_t *dones;                            /* [n] */
    double *states;                            /* [n, S]: the state before each step */
    double ic[RISE_ENV_MAX_IC];                /* where it started */
    int success;                               /* it ended by succeeding */
    int attempts;                              /* expert: tries this episode took */
} rise_episode_buf;

void rise_episode_buf_init(rise_episode_buf *b, const rise_env_info *info);
void rise_episode_buf_clear(rise_episode_buf *b);
void rise_episode_buf_free(rise_episode_buf *b);

/* For task generators: steps e with action a from *obs, appends the
 * transition (state before the step included) and advances obs. */
rise_status rise_gen_record_step(rise_env *e, rise_episode_buf *b, float *obs, const float *a,
                                 rise_env_step_info *si);

/* The initial condition of episode key k for a generator kind: play anywhere in the
 * evaluation box, suboptimal outside the expert box (sub-keys k * 64 + j, so draws stay
 * disjoint), every other kind inside the expert box. */
rise_status rise_gen_start_ic(rise_env *e, rise_gen_kind kind, uint64_t seed, uint64_t k,
                              double *ic);

/* One episode of `kind` into b (cleared first). key identifies the episode. */
rise_status rise_gen_episode(rise_env *e, rise_gen_kind kind, const rise_gen_opts *o, uint64_t seed,
                             uint64_t key, rise_episode_buf *b);

typedef struct {
    int64_t episodes;  /* kept */
    int64_t attempts;  /* expert: episodes tried; others: = episodes */
    int64_t successes; /* among the attempts */
    int64_t steps;     /* transitions kept */
} rise_gen_stats;

typedef void (*rise_gen_progress_fn)(void *ctx, int64_t done, int64_t total);

/* n episodes (episode i from key i) of a task built from task/settings,
 * in parallel (n_threads 0: OpenMP's default); bufs[n] are initialised here
 * and freed by the caller with rise_episode_buf_free. */
rise_status rise_gen_run(const char *task, const char *settings_json, rise_gen_kind kind,
                         const rise_gen_opts *o, uint64_t seed, int64_t n, int n_threads,
                         rise_episode_buf *bufs, rise_gen_stats *stats,
                         rise_gen_progress_fn progress, void *progress_ctx);

/* env_args for a generated file: the env's, plus a "rise_generator" object
 * recording kind, seed, episode count and options (malloc'd). */
char *rise_gen_env_args(const rise_env *env, rise_gen_kind kind, const rise_gen_opts *o,
                        uint64_t seed, int64_t n);

/* Writes bufs as robomimic HDF5: demo_0..demo_{n-1}, obs/<key> per env
 * observation key (o->obs lowdim or both), obs/ and next_obs/agentview_image frames rendered
 * from each row's agent_pos (o->obs image or both; the maze's view is a function of the
 * position), states, env_args, and mask/<kind> listing every demo. */
rise_status rise_gen_write(const char *path, const rise_env *env, rise_gen_kind kind,
                           const rise_gen_opts *o, uint64_t seed, const rise_episode_buf *bufs,
                           int64_t n);

/* Task generators (one per task). */
rise_status rise_maze_gen_episode(rise_env *e, rise_gen_kind kind, const rise_gen_opts *o,
                                  uint64_t seed, uint64_t key, rise_episode_buf *b);

#ifdef __cplusplus
}
#endif
#endif
