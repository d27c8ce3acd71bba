/* test_env_push.c - the MuJoCo push task: bad input gives clear errors
 * (settings, initial conditions outside the box or already solved, NaN and
 * out-of-range actions), rollouts are bitwise deterministic and replay from
 * set_state, perturbations displace the block (and stop at the pusher), a
 * blown-up state ends the episode as failed, the scripted expert succeeds
 * >= 95% from its box over 200 episodes (measured and printed), and every
 * generator kind keeps its definition and writes a file that reads back
 * through data/reader.h with env_args that rebuild the env.
 * Exits 77 (skipped) when rise is built without MuJoCo. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#ifndef RISE_WITH_MUJOCO
int main(void) {
    printf("test_env_push: built without MuJoCo, skipped\n");
    return 77;
}
#else

#include "data/reader.h"
#include "envs/gen.h"
#include "envs/policy.h"
#include "envs/push.h"
#include "envs/rollout.h"

static rise_env *make(const char *settings) {
    rise_env *e = NULL;
    if (rise_env_create("push", settings, &e) != RISE_OK) {
        fprintf(stderr, "FAIL: %s\n", rise_last_error());
        exit(1);
    }
    return e;
}

static int has(const char *needle) { return strstr(rise_last_error(), needle) != NULL; }

static void test_bad_input(void) {
    rise_env *e = NULL;
    TEST_CHECK(rise_env_create("push", "{\"max_speed\": -1}", &e) == RISE_ERR_INVALID &&
                   has("max_speed"),
               "negative max_speed refused: %s", rise_last_error());
    TEST_CHECK(rise_env_create("push", "{\"frobnicate\": 1}", &e) == RISE_ERR_INVALID &&
                   has("frobnicate"),
               "unknown setting refused: %s", rise_last_error());
    e = make(NULL);
    const rise_env_info *in = &e->info;
    TEST_CHECK(in->obs_dim == 9 && in->act_dim == 2 && in->state_dim == 10 && in->ic.dim == 3,
               "dims obs %d act %d state %d ic %d", in->obs_dim, in->act_dim, in->state_dim,
               in->ic.dim);
    TEST_CHECK(rise_env_find_key(in, "pusher_pos") == 0 &&
                   rise_env_find_key(in, "block_pose") == 1 &&
                   rise_env_find_key(in, "goal_rel") == 2,
               "observation keys");
    float obs[9], a[2] = {0.0f, 0.0f};
    rise_env_step_info si;
    TEST_CHECK(rise_env_step(e, a, obs, &si) == RISE_ERR_INVALID, "step before reset refused");
    const double outside[3] = {0.4, 0.0, 0.0};
    TEST_CHECK(rise_env_reset(e, 0, outside, obs) == RISE_ERR_INVALID && has("block_x") &&
                   has("outside"),
               "ic outside the box refused: %s", rise_last_error());
    const double solved[3] = {0.005, -0.005, 0.02};
    TEST_CHECK(rise_env_reset(e, 0, solved, obs) == RISE_ERR_INVALID && has("already"),
               "ic already at the goal refused: %s", rise_last_error());
    const double nan_ic[3] = {NAN, 0.1, 0.0};
    TEST_CHECK(rise_env_reset(e, 0, nan_ic, obs) == RISE_ERR_INVALID, "NaN ic refused");
    const double ic[3] = {-0.2, 0.16, 0.0};
    TEST_CHECK(rise_env_reset(e, 0, ic, obs) == RISE_OK, "valid reset");
    TEST_CHECK(obs[0] == 0.0f && fabsf(obs[1] + 0.35f) < 1e-6f && fabsf(obs[2] + 0.2f) < 1e-6f &&
                   obs[4] == 1.0f && fabsf(obs[6] - 0.2f) < 1e-6f,
               "first observation: pusher start, block pose, goal_rel");
    a[0] = NAN;
    TEST_CHECK(rise_env_step(e, a, obs, &si) == RISE_ERR_INVALID && has("action[0]"),
               "NaN action refused: %s", rise_last_error());
    a[0] = 1.5f;
    TEST_CHECK(rise_env_step(e, a, obs, &si) == RISE_ERR_INVALID && has("outside [-1, 1]"),
               "action 1.5 refused: %s", rise_last_error());
    double st[10] = {0};
    st[0] = 3.0;
    TEST_CHECK(rise_env_set_state(e, st, obs) == RISE_ERR_INVALID && has("off the table"),
               "set_state off the table refused: %s", rise_last_error());
    const double nan_delta[2] = {NAN, 0.0};
    TEST_CHECK(rise_env_perturb(e, nan_delta, obs) == RISE_ERR_INVALID, "NaN perturbation refused");
    rise_env_destroy(e);
}

static void test_determinism(void) {
    rise_env *e1 = make(NULL), *e2 = make(NULL);
    const double ic[3] = {0.1, -0.12, 0.3};
    float o1[9], o2[9], a[2];
    rise_env_step_info s1, s2;
    rise_env_reset(e1, 0, ic, o1);
    rise_env_reset(e2, 0, ic, o2);
    double mid[10];
    float omid[9];
    int same = 1;
    for (int t = 0; t < 120; ++t) {
        a[0] = (float)sin(0.1 * t);
        a[1] = (float)cos(0.07 * t);
        if (t == 60) {
            rise_env_get_state(e1, mid);
            memcpy(omid, o1, sizeof o1);
        }
        rise_env_step(e1, a, o1, &s1);
        rise_env_step(e2, a, o2, &s2);
        same &= memcmp(o1, o2, sizeof o1) == 0;
    }
    TEST_CHECK(same, "two envs, same ic and actions: bitwise identical observations");
    /* Replay from the state at step 60 onto the second env. */
    float orep[9];
    TEST_CHECK(rise_env_set_state(e2, mid, orep) == RISE_OK, "set_state");
    TEST_CHECK(memcmp(orep, omid, sizeof orep) == 0, "set_state observation matches");
    e2->t = 60;
    e2->done = 0;
    for (int t = 60; t < 120; ++t) {
        a[0] = (float)sin(0.1 * t);
        a[1] = (float)cos(0.07 * t);
        rise_env_step(e2, a, orep, &s2);
    }
    TEST_CHECK(memcmp(orep, o1, sizeof o1) == 0,
               "replay from set_state reproduces the rollout bit for bit");
    /* A state blown up by hand: the step ends the episode as failed. */
    double bad[10] = {0.0, -0.3, 0.1, 0.1, 0.0, 0.0, 0.0, 1e300, 1e300, 1e300};
    rise_env_reset(e2, 0, ic, orep);
    rise_env_set_state(e2, bad, orep);
    a[0] = a[1] = 0.0f;
    TEST_CHECK(rise_env_step(e2, a, orep, &s2) == RISE_OK && s2.failed && s2.done && !s2.success,
               "an unstable state ends the episode as failed (failed %d done %d)", s2.failed,
               s2.done);
    rise_env_destroy(e1);
    rise_env_destroy(e2);
}

static void test_perturb(void) {
    rise_env *e = make(NULL);
    const double ic[3] = {0.1, 0.1, 0.2};
    float obs[9];
    rise_env_reset(e, 0, ic, obs);
    const double d1[2] = {0.05, -0.03};
    TEST_CHECK(rise_env_perturb(e, d1, obs) == RISE_OK, "perturb");
    double st[10];
    rise_env_get_state(e, st);
    TEST_CHECK(fabs(st[2] - 0.15) < 1e-12 && fabs(st[3] - 0.07) < 1e-12 &&
                   fabs(st[4] - 0.2) < 1e-12 && st[7] == 0.0 && st[8] == 0.0,
               "a clear displacement moves the block by delta, at rest (%g %g)", st[2], st[3]);
    /* Toward the pusher: the block stops short of it. */
    double s2[10] = {0.0, 0.0, 0.2, 0.0, 0.0, 0, 0, 0, 0, 0};
    rise_env_set_state(e, s2, obs);
    const double d2[2] = {-0.3, 0.0};
    rise_env_perturb(e, d2, obs);
    rise_env_get_state(e, st);
    TEST_CHECK(st[2] > 0.05 + 0.015 && st[2] < 0.05 + 0.015 + 0.01,
               "a displacement into the pusher stops at it (block x %g)", st[2]);
    rise_env_destroy(e);
}

static void test_expert(void) {
    enum { N = 200 };
    rise_env *e = make(NULL);
    rise_policy *pol;
    rise_env_pool *pool;
    TEST_CHECK(rise_policy_create("expert", e, 0, &pol) == RISE_OK, "expert policy: %s",
               rise_last_error());
    TEST_CHECK(rise_env_pool_create(&pool, "push", NULL, 16, 1) == RISE_OK, "pool");
    double *ics = malloc(sizeof(double) * 3 * N);
    uint64_t keys[N];
    rise_episode_result res[N];
    for (int i = 0; i < N; ++i) {
        keys[i] = (uint64_t)i;
        rise_env_sample_expert_ic(e, 123, (uint64_t)i, ics + 3 * i);
    }
    TEST_CHECK(rise_rollout(pool, pol, N, ics, keys, NULL, res, NULL, NULL) == RISE_OK,
               "rollout: %s", rise_last_error());
    int ok = 0, max_steps = 0, failed = 0;
    for (int i = 0; i < N; ++i) {
        ok += res[i].success;
        failed += res[i].failed;
        if (res[i].success && res[i].steps > max_steps) max_steps = res[i].steps;
    }
    printf("push expert success from its initial box: %d/%d = %.1f%% (longest success %d steps "
           "of %d, %d unstable)\n",
           ok, N, 100.0 * ok / N, max_steps, e->info.horizon, failed);
    TEST_CHECK(ok >= 0.95 * N, "expert success %d/%d below 95%%", ok, N);
    TEST_CHECK(failed == 0, "no simulator instability in %d expert episodes", N);
    free(ics);
    rise_policy_destroy(pol);
    rise_env_pool_destroy(pool);
    rise_env_destroy(e);
}

static void test_generators(void) {
    enum { N = 8 };
    rise_gen_opts o;
    rise_gen_opts_default(&o);
    rise_env *e = make(NULL);
    const char *path = "test_env_push_gen.hdf5";
    for (int k = 0; k < RISE_GEN_KIND_COUNT; ++k) {
        rise_episode_buf b[N], b2[N];
        rise_gen_stats st, st2;
        const char *name = rise_gen_kind_name((rise_gen_kind)k);
        rise_status s =
            rise_gen_run("push", NULL, (rise_gen_kind)k, &o, 5, N, 1, b, &st, NULL, NULL);
        TEST_CHECK(s == RISE_OK, "%s: %s", name, rise_last_error());
        if (s != RISE_OK) continue;
        int succ = 0, in_expert = 0, same = 1;
        for (int i = 0; i < N; ++i) {
            succ += b[i].success;
            in_expert += rise_env_ic_in_expert(e, b[i].ic);
            /* the first observation is the start */
            same &= fabsf(b[i].obs[2] - (float)b[i].ic[0]) < 1e-6f && b[i].n > 0;
            for (int64_t t = 0; t + 1 < b[i].n; ++t)
                same &= memcmp(b[i].next_obs + t * 9, b[i].obs + (t + 1) * 9, 36) == 0;
        }
        printf("push %-10s %d episodes, %lld steps, %d succeeded, %lld attempts\n", name, N,
               (long long)st.steps, succ, (long long)st.attempts);
        TEST_CHECK(same, "%s: transitions chain and start at the ic", name);
        if (k == RISE_GEN_EXPERT) TEST_CHECK(succ == N && in_expert == N, "expert: all succeed");
        if (k == RISE_GEN_PLAY || k == RISE_GEN_PARTIAL)
            TEST_CHECK(succ == 0, "%s never succeeds (%d did)", name, succ);
        if (k == RISE_GEN_PARTIAL || k == RISE_GEN_NOISY)
            TEST_CHECK(in_expert == N, "%s starts in the expert box", name);
        if (k == RISE_GEN_SUBOPTIMAL) TEST_CHECK(in_expert == 0, "suboptimal starts outside it");
        /* Same seed, same episodes. */
        rise_gen_run("push", NULL, (rise_gen_kind)k, &o, 5, N, 2, b2, &st2, NULL, NULL);
        int ident = st.steps == st2.steps;
        for (int i = 0; ident && i < N; ++i)
            ident = b[i].n == b2[i].n &&
                    memcmp(b[i].obs, b2[i].obs, sizeof(float) * 9 * (size_t)b[i].n) == 0 &&
                    memcmp(b[i].actions, b2[i].actions, sizeof(float) * 2 * (size_t)b[i].n) == 0;
        TEST_CHECK(ident, "%s: same seed, identical episodes on 1 and 2 threads", name);
        /* Written file reads back. */
        TEST_CHECK(rise_gen_write(path, e, (rise_gen_kind)k, &o, 5, b, N) == RISE_OK, "write: %s",
                   rise_last_error());
        rise_read_opts ro;
        rise_read_opts_default(&ro);
        const char *keys[3] = {"pusher_pos", "block_pose", "goal_rel"};
        ro.obs_keys = keys;
        ro.n_obs_keys = 3;
        rise_episodes f;
        memset(&f, 0, sizeof f);
        s = rise_episodes_load(path, &ro, &f);
        TEST_CHECK(s == RISE_OK, "read back %s: %s", name, rise_last_error());
        if (s == RISE_OK) {
            TEST_CHECK(f.n_demos == N && f.n == st.steps && f.obs_dim == 9 && f.act_dim == 2 &&
                           f.state_dim == 10,
                       "%s file: %lld demos, %lld steps, dims %lld/%lld/%lld", name,
                       (long long)f.n_demos, (long long)f.n, (long long)f.obs_dim,
                       (long long)f.act_dim, (long long)f.state_dim);
            TEST_CHECK(memcmp(f.obs, b[0].obs, sizeof(float) * 9 * (size_t)b[0].n) == 0 &&
                           memcmp(f.states, b[0].states, sizeof(double) * 10 * (size_t)b[0].n) == 0,
                       "%s file: demo_0 content", name);
            rise_env *e2 = NULL;
            TEST_CHECK(f.env_args && rise_env_create_from_args(f.env_args, &e2) == RISE_OK &&
                           rise_env_check_args(e, f.env_args) == RISE_OK,
                       "%s file: env_args rebuild the env: %s", name, rise_last_error());
            rise_env_destroy(e2);
            rise_episodes_free(&f);
        }
        remove(path);
        for (int i = 0; i < N; ++i) {
            rise_episode_buf_free(&b[i]);
            rise_episode_buf_free(&b2[i]);
        }
    }
    rise_env_destroy(e);
}

int main(void) {
    test_bad_input();
    test_determinism();
    test_perturb();
    test_expert();
    test_generators();
    return test_finish();
}
#endif
