/* policy.h - how any policy plugs into the evaluator and the generators:
 * a batch of observations in, a batch of action chunks out.
 *
 *   rise_policy *p;
 *   RISE_TRY(rise_policy_create("expert", env, seed, &p));
 *   rise_policy_ctx ctx = {keys, t};              per row: episode key, step index
 *   RISE_TRY(p->act(p, n, obs, &ctx, actions));   obs [n, D] -> actions [n, chunk, A]
 *
 * The evaluator executes the first n_exec actions of each chunk before it
 * asks again (Diffusion Policy: chunk 16, n_exec 8; scripted: 1, 1). Any
 * randomness a policy uses must be a function of (its seed, the row's
 * episode key, the row's step index), never of the row's position in the
 * batch, so results do not depend on batching or threads. A row with
 * t == 0 starts a new episode (a policy with history clears it then).
 * Built-in policies: "random" (uniform in [-1,1]) for any task, and per task
 * the scripted ones ("expert" and "planner" for maze). Trained policies
 * fill the same struct. */
#ifndef RISE_ENVS_POLICY_H
#define RISE_ENVS_POLICY_H

#include <stdint.h>

#include "env.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const uint64_t *keys; /* [n] episode key of each row */
    const int *t;         /* [n] step index within the episode of each row */
    const float *hist;    /* [n, obs_horizon, D] last observations, oldest first (the last
                             is obs); NULL unless the policy's obs_horizon > 1 */
} rise_policy_ctx;

typedef struct rise_policy rise_policy;
struct rise_policy {
    char name[RISE_ENV_NAME_MAX];
    int obs_dim, act_dim;
    int chunk;       /* actions per row per call */
    int n_exec;      /* actions executed before the next call (1 <= n_exec <= chunk) */
    int obs_horizon; /* observation frames it wants in ctx->hist (0 or 1: none) */
    uint64_t seed;
    /* obs [n, obs_dim] -> actions [n, chunk, act_dim] in [-1, 1] */
    rise_status (*act)(rise_policy *p, int n, const float *obs, const rise_policy_ctx *ctx,
                       float *actions);
    void (*destroy)(rise_policy *p);
    void *impl;
};

/* A built-in policy for env's task: "random", "expert", "planner"... */
rise_status rise_policy_create(const char *name, const rise_env *env, uint64_t seed,
                               rise_policy **out);
void rise_policy_destroy(rise_policy *p);
/* Names rise_policy_create accepts for a task, NULL-terminated. */
const char *const *rise_policy_names(const char *task);

/* For implementers: a scripted policy factory registered per task. */
typedef rise_status (*rise_policy_factory)(const rise_env *env, uint64_t seed, rise_policy **out);
rise_status rise_policy_register(const char *task, const char *name, rise_policy_factory f);

/* Maze's scripted policies (maze_expert.c). */
rise_status rise_maze_policy_expert(const rise_env *env, uint64_t seed, rise_policy **out);
rise_status rise_maze_policy_planner(const rise_env *env, uint64_t seed, rise_policy **out);

#ifdef __cplusplus
}
#endif
#endif
