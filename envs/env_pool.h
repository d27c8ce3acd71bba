/* env_pool.h - many env instances of one task stepped across threads
 * (OpenMP): a batch of actions in, a batch of observations out.
 *
 *   rise_env_pool *p;
 *   RISE_TRY(rise_env_pool_create(&p, "maze", settings_json, 256, 0));
 *   RISE_TRY(rise_env_pool_reset(p, NULL, seeds, ics, obs));           obs [n, D]
 *   RISE_TRY(rise_env_pool_step(p, actions, chunk, n_exec, obs, &res)); actions [n, chunk, A]
 *
 * Each row runs the first n_exec[row] actions of its chunk (fewer when its
 * episode ends) inside one thread, so a chunked policy costs one parallel
 * region per call, not one per action. Rows are independent: results do
 * not depend on the thread count. */
#ifndef RISE_ENVS_ENV_POOL_H
#define RISE_ENVS_ENV_POOL_H

#include <stdint.h>

#include "env.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rise_env_pool rise_env_pool;

/* Per-row outcome of rise_env_pool_step; any pointer may be NULL. */
typedef struct {
    float *reward;    /* [n] summed over the executed actions */
    int *steps;       /* [n] actions executed */
    uint8_t *success; /* [n] the episode succeeded during the call */
    uint8_t *done;    /* [n] the episode is over */
    uint8_t *failed;  /* [n] simulator instability ended it */
} rise_env_pool_result;

/* n_threads 0: OpenMP's default. */
rise_status rise_env_pool_create(rise_env_pool **out, const char *task, const char *settings_json,
                                 int n, int n_threads);
void rise_env_pool_destroy(rise_env_pool *p);
int rise_env_pool_size(const rise_env_pool *p);
int rise_env_pool_threads(const rise_env_pool *p);
rise_env *rise_env_pool_env(rise_env_pool *p, int i);
const rise_env_info *rise_env_pool_info(const rise_env_pool *p);

/* Resets rows with mask[i] != 0 (mask NULL: every row) from seeds[i] and
 * ics[i * ic_dim] (ics NULL: each row samples its expert box from its
 * seed); writes those rows of obs [n, D]. */
rise_status rise_env_pool_reset(rise_env_pool *p, const uint8_t *mask, const uint64_t *seeds,
                                const double *ics, float *obs);

/* Steps rows with n_exec[i] > 0 (n_exec NULL: 1 for every row): actions
 * [n, chunk, A]; writes those rows of obs [n, D] (the last observation)
 * and of the result arrays. Rows whose episode is over must have n_exec 0. */
rise_status rise_env_pool_step(rise_env_pool *p, const float *actions, int chunk, const int *n_exec,
                               float *obs, const rise_env_pool_result *res);
/* Keep the last `frames` observations of every row (frames 1: none kept): a reset fills
 * them with the first observation (as training pads a history), every executed step
 * appends one. rise_env_pool_history is then [n, frames, D], oldest first (NULL when
 * none are kept); callers that change an observation outside step (a perturbation)
 * overwrite the row's last frame. */
rise_status rise_env_pool_keep_history(rise_env_pool *p, int frames);
float *rise_env_pool_history(rise_env_pool *p);

#ifdef __cplusplus
}
#endif
#endif
