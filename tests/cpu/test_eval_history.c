/* test_eval_history.c - observation histories at evaluation: a policy that asks for 3
 * frames and executes chunks of 2 receives, at every call, the observations of the 3
 * consecutive env steps before it (the first frame repeated at the start, as training
 * pads), checked against a manual replay of the same episode; the newest frame is the
 * current observation. */
#include <stdlib.h>
#include <string.h>

#include "envs/env_pool.h"
#include "envs/rollout.h"
#include "test_util.h"

enum { TO = 3, CHUNK = 2, MAX_CALLS = 400, MAX_D = 16 };

typedef struct {
    int calls;
    int t[MAX_CALLS];
    float hist[MAX_CALLS][TO * MAX_D];
    int last_is_obs;
} probe_log;

static probe_log plog;

static rise_status probe_act(rise_policy *p, int n, const float *obs, const rise_policy_ctx *ctx,
                             float *actions) {
    const int D = p->obs_dim;
    for (int r = 0; r < n; ++r) {
        for (int j = 0; j < CHUNK; ++j) {
            actions[(r * CHUNK + j) * 2] = 0.6f;
            actions[(r * CHUNK + j) * 2 + 1] = 0.2f;
        }
        if (!ctx->hist) return rise_error(RISE_ERR_INVALID, "no history passed");
        const float *h = ctx->hist + (size_t)r * TO * D;
        plog.last_is_obs &= !memcmp(h + (TO - 1) * D, obs + (size_t)r * D, sizeof(float) * D);
        if (ctx->keys[r] == 0 && plog.calls < MAX_CALLS) {
            plog.t[plog.calls] = ctx->t[r];
            memcpy(plog.hist[plog.calls++], h, sizeof(float) * TO * D);
        }
    }
    return RISE_OK;
}

int main(void) {
    rise_env *env;
    TEST_CHECK(rise_env_create("maze", NULL, &env) == RISE_OK, "env");
    const int D = env->info.obs_dim;
    TEST_CHECK(D <= MAX_D, "obs dim %d", D);
    rise_policy pol;
    memset(&pol, 0, sizeof pol);
    snprintf(pol.name, sizeof pol.name, "probe");
    pol.obs_dim = D;
    pol.act_dim = 2;
    pol.chunk = CHUNK;
    pol.n_exec = CHUNK;
    pol.obs_horizon = TO;
    pol.act = probe_act;
    plog.last_is_obs = 1;
    rise_env_pool *pool;
    TEST_CHECK(rise_env_pool_create(&pool, "maze", NULL, 3, 1) == RISE_OK, "pool");
    double ics[4 * 2];
    uint64_t keys[4] = {0, 1, 2, 3};
    for (int e = 0; e < 4; ++e) rise_env_sample_expert_ic(env, 5, (uint64_t)e, ics + 2 * e);
    rise_episode_result res[4];
    TEST_CHECK(rise_rollout(pool, &pol, 4, ics, keys, NULL, res, NULL, NULL) == RISE_OK,
               "rollout: %s", rise_last_error());
    TEST_CHECK(plog.calls > 10, "episode 0 called the policy %d times", plog.calls);
    TEST_CHECK(plog.last_is_obs, "the newest frame is the current observation");
    /* replay episode 0 (seed = its key) with the same constant actions */
    float *traj = malloc(sizeof(float) * (size_t)(res[0].steps + 1) * D);
    rise_env_reset(env, keys[0], ics, traj);
    const float a[2] = {0.6f, 0.2f};
    for (int k = 0; k < res[0].steps; ++k) {
        rise_env_step_info si;
        rise_env_step(env, a, traj + (size_t)(k + 1) * D, &si);
    }
    int ok = 1;
    for (int c = 0; c < plog.calls; ++c) {
        const int t = plog.t[c];
        TEST_CHECK(t == c * CHUNK, "call %d at step %d", c, t);
        for (int f = 0; f < TO; ++f) {
            const int src = t - (TO - 1) + f < 0 ? 0 : t - (TO - 1) + f;
            ok &= !memcmp(plog.hist[c] + f * D, traj + (size_t)src * D, sizeof(float) * D);
        }
    }
    TEST_CHECK(ok, "every call's frames are the replayed observations of steps t-2, t-1, t");
    free(traj);
    rise_env_pool_destroy(pool);
    rise_env_destroy(env);
    return test_finish();
}
