/* policy.c - the policy registry and the task-independent random policy. */
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/philox.h"
#include "push.h"
#include "square.h"

typedef struct {
    const char *task, *name;
    rise_policy_factory make;
} policy_entry;

#define MAX_POLICIES 32
static policy_entry policy_table[MAX_POLICIES] = {
    {"maze", "expert", rise_maze_policy_expert},
    {"maze", "planner", rise_maze_policy_planner},
#ifdef RISE_WITH_MUJOCO
    {"push", "expert", rise_push_policy_expert},
    {"square", "expert", rise_square_policy_expert},
    {"square-hook", "expert", rise_square_policy_expert},
#endif
};
static int policy_count = 2
#ifdef RISE_WITH_MUJOCO
                          + 3 /* push, square, square-hook */
#endif
    ;
static const char *policy_names[MAX_POLICIES + 2];

rise_status rise_policy_register(const char *task, const char *name, rise_policy_factory f) {
    if (policy_count == MAX_POLICIES)
        return rise_error(RISE_ERR_INVALID, "too many registered policies (at most %d)",
                          MAX_POLICIES);
    policy_table[policy_count++] = (policy_entry){task, name, f};
    return RISE_OK;
}

const char *const *rise_policy_names(const char *task) {
    int n = 0;
    policy_names[n++] = "random";
    for (int i = 0; i < policy_count; ++i)
        if (task && strcmp(policy_table[i].task, task) == 0)
            policy_names[n++] = policy_table[i].name;
    policy_names[n] = NULL;
    return policy_names;
}

/* Uniform actions in [-1, 1]: word (t * A + k) of the row's key block. */
static rise_status random_act(rise_policy *p, int n, const float *obs, const rise_policy_ctx *ctx,
                              float *actions) {
    (void)obs;
    const int A = p->act_dim;
    for (int r = 0; r < n; ++r)
        for (int k = 0; k < A; ++k) {
            const float u =
                rise_rng_uniform(p->seed, RISE_STREAM_ENV_POLICY, RISE_ENV_KEY_BLOCKS(ctx->keys[r]),
                                 (uint64_t)ctx->t[r] * (uint64_t)A + (uint64_t)k);
            actions[(size_t)r * A + k] = 2.0f * u - 1.0f;
        }
    return RISE_OK;
}

static void plain_destroy(rise_policy *p) {
    free(p->impl);
    free(p);
}

rise_status rise_policy_create(const char *name, const rise_env *env, uint64_t seed,
                               rise_policy **out) {
    *out = NULL;
    if (name && strcmp(name, "random") == 0) {
        rise_policy *p = calloc(1, sizeof *p);
        if (!p) return rise_error(RISE_ERR_NOMEM, "out of memory");
        snprintf(p->name, sizeof p->name, "random");
        p->obs_dim = env->info.obs_dim;
        p->act_dim = env->info.act_dim;
        p->chunk = p->n_exec = 1;
        p->seed = seed;
        p->act = random_act;
        p->destroy = plain_destroy;
        *out = p;
        return RISE_OK;
    }
    for (int i = 0; i < policy_count; ++i)
        if (name && strcmp(policy_table[i].task, env->info.task) == 0 &&
            strcmp(policy_table[i].name, name) == 0)
            return policy_table[i].make(env, seed, out);
    char known[256] = "";
    for (const char *const *s = rise_policy_names(env->info.task); *s; ++s) {
        const size_t len = strlen(known);
        snprintf(known + len, sizeof known - len, "%s%s", len ? ", " : "", *s);
    }
    return rise_error(RISE_ERR_INVALID, "unknown policy '%s' for task %s (known: %s)",
                      name ? name : "(null)", env->info.task, known);
}

void rise_policy_destroy(rise_policy *p) {
    if (p && p->destroy) p->destroy(p);
}
