/* rollout.h - runs many episodes of a policy on an env pool, with optional
 * perturbations: the engine under the coverage and robustness evaluators.
 *
 * Episode e starts from ics[e] and is keyed by keys[e] (its policy and
 * perturbation randomness come from that key alone). Free pool slots take
 * the next episode as soon as one ends, the policy is called once per round
 * on the active rows only (compacted), and each row then executes up to
 * n_exec actions of its chunk in its own thread. A perturbation due at step
 * t is applied before the action of step t (the policy then re-plans from
 * the displaced state); an episode that ends earlier skips the rest. */
#ifndef RISE_ENVS_ROLLOUT_H
#define RISE_ENVS_ROLLOUT_H

#include <stdint.h>

#include "env_pool.h"
#include "policy.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_MAX_PERTURB 8

typedef struct {
    int n_perturb;                   /* perturbations per episode (0 = none) */
    int perturb_t[RISE_MAX_PERTURB]; /* step of each, strictly increasing */
    double distance;                 /* length of each displacement */
    uint64_t seed;                   /* directions: Philox(seed, episode key) */
} rise_perturb_plan;

typedef struct {
    uint8_t success;
    uint8_t failed; /* simulator instability */
    int steps;
    int n_perturbed; /* perturbations actually applied */
} rise_episode_result;

typedef void (*rise_rollout_progress_fn)(void *ctx, int64_t done, int64_t total);

/* The displacement of perturbation k of episode `key` (perturb_dim values
 * of length plan->distance, direction uniform on the sphere). */
void rise_perturb_delta(const rise_perturb_plan *plan, int dim, uint64_t key, int k, double *delta);

/* ics [n, ic_dim], keys [n] -> res [n]. plan may be NULL (no perturbations). */
rise_status rise_rollout(rise_env_pool *pool, rise_policy *policy, int64_t n, const double *ics,
                         const uint64_t *keys, const rise_perturb_plan *plan,
                         rise_episode_result *res, rise_rollout_progress_fn progress,
                         void *progress_ctx);

#ifdef __cplusplus
}
#endif
#endif
