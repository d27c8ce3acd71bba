/* test_env_square.c - the MuJoCo tasks square and square-hook: bad input
 * gives clear errors (settings, initial conditions outside the box, NaN
 * and out-of-range actions, bad states), rollouts are bitwise
 * deterministic and replay from set_state (through a grasp), a blown-up
 * state ends the episode as failed, perturbations displace the nut (exact
 * when clear, stopping at the peg, taking the gripper along when held),
 * env_args round trip and name the task, the scripted expert succeeds
 * >= 95% from its box on both tasks (measured and printed, with its rate
 * over the whole evaluation box), and every generator kind keeps its
 * definition, is identical on 1 and 2 threads and writes a file that reads
 * back through data/reader.h with env_args that rebuild the env, and play
 * is the same for both tasks; the generators' look-ahead sees a step onto
 * either goal.
 * Exits 77 (skipped) when rise is built without MuJoCo. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#ifndef RISE_WITH_MUJOCO
int main(void) {
    printf("test_env_square: built without MuJoCo, skipped\n");
    return 77;
}
#else

#include "data/reader.h"
#include "envs/gen.h"
#include "envs/policy.h"
#include "envs/rollout.h"
#include "envs/square.h"

#define D  RISE_SQUARE_OBS_DIM
#define A  RISE_SQUARE_ACT_DIM
#define SD RISE_SQUARE_STATE_DIM

static rise_env *make(const char *task, const char *settings) {
    rise_env *e = NULL;
    if (rise_env_create(task, settings, &e) != RISE_OK) {
        fprintf(stderr, "FAIL: %s\n", rise_last_error());
        exit(1);
    }
    return e;
}

static int has(const char *needle) { return strstr(rise_last_error(), needle) != NULL; }

static void test_bad_input(void) {
    rise_env *e = NULL;
    TEST_CHECK(rise_env_create("square", "{\"max_speed\": -1}", &e) == RISE_ERR_INVALID &&
                   has("max_speed"),
               "negative max_speed refused: %s", rise_last_error());
    TEST_CHECK(rise_env_create("square-hook", "{\"goal\": 1}", &e) == RISE_ERR_INVALID &&
                   has("goal"),
               "unknown setting refused: %s", rise_last_error());
    e = make("square", NULL);
    const rise_env_info *in = &e->info;
    TEST_CHECK(in->obs_dim == D && in->act_dim == A && in->state_dim == SD && in->ic.dim == 2 &&
                   in->perturb_dim == 2 && in->horizon == 200,
               "dims obs %d act %d state %d ic %d", in->obs_dim, in->act_dim, in->state_dim,
               in->ic.dim);
    TEST_CHECK(rise_env_find_key(in, "eef_pos") == 0 && rise_env_find_key(in, "gripper") == 1 &&
                   rise_env_find_key(in, "nut_pos") == 2 &&
                   rise_env_find_key(in, "nut_to_goal") == 3 &&
                   rise_env_find_key(in, "handle_to_eef") == 4,
               "observation keys");
    TEST_CHECK(!strcmp(in->ic.names[0], "nut_x") && !strcmp(in->ic.names[1], "nut_y"),
               "initial-condition axes nut_x, nut_y");
    for (int d = 0; d < 2; ++d)
        TEST_CHECK(in->ic.expert_lo[d] >= in->ic.eval_lo[d] &&
                       in->ic.expert_hi[d] <= in->ic.eval_hi[d],
                   "the expert box lies inside the evaluation box (axis %d)", d);
    float obs[D], a[A] = {0.0f, 0.0f, 0.0f, 0.0f};
    rise_env_step_info si;
    TEST_CHECK(rise_env_step(e, a, obs, &si) == RISE_ERR_INVALID, "step before reset refused");
    const double outside[2] = {0.2, 0.0};
    TEST_CHECK(rise_env_reset(e, 0, outside, obs) == RISE_ERR_INVALID && has("nut_x") &&
                   has("outside"),
               "ic outside the box refused: %s", rise_last_error());
    const double nan_ic[2] = {0.0, NAN};
    TEST_CHECK(rise_env_reset(e, 0, nan_ic, obs) == RISE_ERR_INVALID && has("nut_y"),
               "NaN ic refused: %s", rise_last_error());
    const double ic[2] = {-0.1125, 0.17};
    TEST_CHECK(rise_env_reset(e, 0, ic, obs) == RISE_OK, "valid reset");
    TEST_CHECK(obs[0] == 0.0f && obs[1] == 0.0f && fabsf(obs[2] - 0.15f) < 1e-6f &&
                   fabsf(obs[3] - 0.08f) < 1e-6f && fabsf(obs[4] + 0.1125f) < 1e-6f &&
                   fabsf(obs[5] - 0.17f) < 1e-6f && fabsf(obs[6] - 0.01f) < 1e-6f &&
                   fabsf(obs[7] - (0.23f + 0.1125f)) < 1e-6f && fabsf(obs[8] + 0.07f) < 1e-6f &&
                   fabsf(obs[10] - (-0.1125f - 0.065f)) < 1e-6f,
               "first observation: gripper start, open, nut pose, nut_to_goal, handle_to_eef");
    a[1] = NAN;
    TEST_CHECK(rise_env_step(e, a, obs, &si) == RISE_ERR_INVALID && has("action[1]"),
               "NaN action refused: %s", rise_last_error());
    a[1] = 0.0f;
    a[3] = -1.01f;
    TEST_CHECK(rise_env_step(e, a, obs, &si) == RISE_ERR_INVALID && has("outside [-1, 1]"),
               "action -1.01 refused: %s", rise_last_error());
    double st[SD];
    rise_env_get_state(e, st);
    st[5] = 2.0;
    TEST_CHECK(rise_env_set_state(e, st, obs) == RISE_ERR_INVALID && has("nut x"),
               "set_state off the table refused: %s", rise_last_error());
    rise_env_get_state(e, st);
    st[16] = 0.5;
    TEST_CHECK(rise_env_set_state(e, st, obs) == RISE_ERR_INVALID && has("attach flag"),
               "set_state with a half attach flag refused: %s", rise_last_error());
    const double nan_delta[2] = {NAN, 0.0};
    TEST_CHECK(rise_env_perturb(e, nan_delta, obs) == RISE_ERR_INVALID, "NaN perturbation refused");
    rise_env_destroy(e);

    /* square-hook: same scene, another goal */
    e = make("square-hook", NULL);
    TEST_CHECK(e->info.obs_dim == D && e->info.act_dim == A && e->info.state_dim == SD,
               "square-hook dims");
    TEST_CHECK(rise_env_reset(e, 0, ic, obs) == RISE_OK &&
                   fabsf(obs[7] - (0.23f + 0.1125f)) < 1e-6f &&
                   fabsf(obs[8] - (-0.12f - 0.17f)) < 1e-6f && fabsf(obs[9] - 0.12f) < 1e-6f,
               "square-hook: nut_to_goal points at the hook (%g %g %g)", obs[7], obs[8], obs[9]);
    rise_env_destroy(e);
}

/* The expert's actions with a deterministic wobble (kept inside [-1, 1]). */
static void wobbly_expert(rise_policy *p, const float *obs, int t, float *a) {
    uint64_t key = 0;
    rise_policy_ctx ctx = {&key, &t, NULL};
    p->act(p, 1, obs, &ctx, a);
    for (int j = 0; j < 3; ++j) a[j] = (float)fmax(-1.0, fmin(1.0, a[j] + 0.2 * sin(0.3 * t + j)));
}

static void test_determinism(void) {
    rise_env *e1 = make("square", NULL), *e2 = make("square", NULL);
    rise_policy *pol;
    TEST_CHECK(rise_policy_create("expert", e1, 0, &pol) == RISE_OK, "expert policy: %s",
               rise_last_error());
    const double ic[2] = {-0.05, -0.1};
    enum { T = 120, MID = 50 };
    float o1[D], o2[D], acts[T][A];
    rise_env_step_info s1, s2;
    rise_env_reset(e1, 0, ic, o1);
    rise_env_reset(e2, 0, ic, o2);
    double mid[SD];
    float omid[D];
    int same = 1, t = 0;
    for (; t < T && !e1->done; ++t) {
        wobbly_expert(pol, o1, t, acts[t]);
        if (t == MID) {
            rise_env_get_state(e1, mid);
            memcpy(omid, o1, sizeof o1);
        }
        rise_env_step(e1, acts[t], o1, &s1);
        rise_env_step(e2, acts[t], o2, &s2);
        same &= memcmp(o1, o2, sizeof o1) == 0;
    }
    const int steps = t;
    TEST_CHECK(steps > MID + 10, "the wobbly expert runs past step %d (%d steps)", MID + 10, steps);
    TEST_CHECK(same, "two envs, same ic and actions: bitwise identical observations");
    TEST_CHECK(mid[16] == 1.0, "the state at step %d holds the nut (attach flag %g)", MID, mid[16]);
    /* Replay from the state at step MID (nut held) onto the second env. */
    float orep[D];
    TEST_CHECK(rise_env_set_state(e2, mid, orep) == RISE_OK, "set_state: %s", rise_last_error());
    TEST_CHECK(memcmp(orep, omid, sizeof orep) == 0, "set_state observation matches");
    e2->t = MID;
    e2->done = 0;
    for (int k = MID; k < steps; ++k) rise_env_step(e2, acts[k], orep, &s2);
    TEST_CHECK(memcmp(orep, o1, sizeof o1) == 0,
               "replay from set_state reproduces the rollout bit for bit");
    TEST_CHECK(s1.success == s2.success, "same outcome (%d)", s1.success);
    /* A state blown up by hand: the step ends the episode as failed. */
    double bad[SD];
    memcpy(bad, mid, sizeof bad);
    for (int i = 8; i < 16; ++i) bad[i] = 1e300;
    rise_env_reset(e2, 0, ic, orep);
    TEST_CHECK(rise_env_set_state(e2, bad, orep) == RISE_OK, "set_state with huge velocities");
    const float zero[A] = {0.0f, 0.0f, 0.0f, 1.0f};
    TEST_CHECK(rise_env_step(e2, zero, orep, &s2) == RISE_OK && s2.failed && s2.done && !s2.success,
               "an unstable state ends the episode as failed (failed %d done %d)", s2.failed,
               s2.done);
    rise_policy_destroy(pol);
    rise_env_destroy(e1);
    rise_env_destroy(e2);
}

static void test_perturb(void) {
    rise_env *e = make("square", NULL);
    const double ic[2] = {0.1, 0.1};
    float obs[D];
    double st[SD];
    rise_env_reset(e, 0, ic, obs);
    const double d1[2] = {-0.05, 0.03};
    TEST_CHECK(rise_env_perturb(e, d1, obs) == RISE_OK, "perturb");
    rise_env_get_state(e, st);
    TEST_CHECK(fabs(st[5] - 0.05) < 1e-12 && fabs(st[6] - 0.13) < 1e-12 && st[13] == 0.0 &&
                   st[14] == 0.0 && fabs(obs[4] - 0.05f) < 1e-6f,
               "a clear displacement moves the nut by delta, at rest (%g %g)", st[5], st[6]);
    /* Toward the peg: the ring stops short of it. */
    rise_env_reset(e, 0, ic, obs);
    const double d2[2] = {0.3, 0.0};
    rise_env_perturb(e, d2, obs);
    rise_env_get_state(e, st);
    const double stop = RISE_SQUARE_PEG_X - RISE_SQUARE_PEG_HALF - RISE_SQUARE_RING_HALF;
    TEST_CHECK(st[5] > stop - 0.004 && st[5] < stop,
               "a displacement into the peg stops at it (x %g)", st[5]);
    /* A held nut takes the gripper along. */
    rise_policy *pol;
    rise_policy_create("expert", e, 0, &pol);
    rise_env_reset(e, 0, ic, obs);
    rise_env_step_info si;
    float a[A];
    uint64_t key = 0;
    int t = 0;
    rise_policy_ctx ctx = {&key, &t, NULL};
    for (; t < 80; ++t) { /* the expert until it has lifted the nut */
        pol->act(pol, 1, obs, &ctx, a);
        rise_env_step(e, a, obs, &si);
        rise_env_get_state(e, st);
        if (st[16] == 1.0 && obs[6] > 0.05f) break;
    }
    TEST_CHECK(st[16] == 1.0, "the expert grasped the nut");
    double before[SD];
    memcpy(before, st, sizeof st);
    const double d3[2] = {0.0, -0.04};
    rise_env_perturb(e, d3, obs);
    rise_env_get_state(e, st);
    TEST_CHECK(fabs(st[6] - before[6] + 0.04) < 1e-12 && fabs(st[1] - before[1] + 0.04) < 1e-12 &&
                   st[16] == 1.0,
               "a held nut moves with the gripper (nut dy %g, gripper dy %g)", st[6] - before[6],
               st[1] - before[1]);
    rise_policy_destroy(pol);
    rise_env_destroy(e);
}

static void test_env_args(void) {
    rise_env *e = make("square-hook", "{\"horizon\": 150}");
    char *args = rise_env_args(e);
    rise_env *e2 = NULL;
    TEST_CHECK(args && strstr(args, "\"env_name\":\"square-hook\"") &&
                   rise_env_create_from_args(args, &e2) == RISE_OK,
               "env_args rebuild the env: %s", args ? args : "(null)");
    if (e2) {
        TEST_CHECK(!strcmp(e2->info.task, "square-hook") && e2->info.horizon == 150 &&
                       rise_env_check_args(e2, args) == RISE_OK,
                   "rebuilt env: task %s horizon %d", e2->info.task, e2->info.horizon);
        rise_env_destroy(e2);
    }
    rise_env *sq = make("square", "{\"horizon\": 150}"), *h2 = make("square-hook", NULL);
    TEST_CHECK(rise_env_check_args(sq, args) == RISE_ERR_FORMAT && has("square-hook"),
               "a square env refuses square-hook's env_args: %s", rise_last_error());
    TEST_CHECK(rise_env_check_args(h2, args) == RISE_ERR_FORMAT && has("horizon"),
               "another horizon is named: %s", rise_last_error());
    free(args);
    rise_env_destroy(sq);
    rise_env_destroy(h2);
    rise_env_destroy(e);
}

/* Success rate of the expert over n starts (expert box, or the whole box). */
static double expert_rate(const char *task, int wide, int n, int *longest, int *failed) {
    rise_env *e = make(task, NULL);
    rise_policy *pol;
    rise_env_pool *pool;
    TEST_CHECK(rise_policy_create("expert", e, 0, &pol) == RISE_OK, "expert policy: %s",
               rise_last_error());
    TEST_CHECK(rise_env_pool_create(&pool, task, NULL, 16, 0) == RISE_OK, "pool");
    double *ics = malloc(sizeof(double) * 2 * (size_t)n);
    uint64_t *keys = malloc(sizeof(uint64_t) * (size_t)n);
    rise_episode_result *res = malloc(sizeof *res * (size_t)n);
    for (int i = 0; i < n; ++i) {
        keys[i] = (uint64_t)i;
        if (wide)
            rise_env_sample_ic(e, NULL, NULL, 321, RISE_STREAM_ENV_IC, (uint64_t)i, 1000,
                               ics + 2 * i);
        else
            rise_env_sample_expert_ic(e, 123, (uint64_t)i, ics + 2 * i);
    }
    TEST_CHECK(rise_rollout(pool, pol, n, ics, keys, NULL, res, NULL, NULL) == RISE_OK,
               "rollout: %s", rise_last_error());
    int ok = 0;
    *longest = *failed = 0;
    for (int i = 0; i < n; ++i) {
        ok += res[i].success;
        *failed += res[i].failed;
        if (res[i].success && res[i].steps > *longest) *longest = res[i].steps;
    }
    free(ics);
    free(keys);
    free(res);
    rise_policy_destroy(pol);
    rise_env_pool_destroy(pool);
    rise_env_destroy(e);
    return (double)ok / n;
}

static void test_expert(void) {
    static const char *const tasks[2] = {"square", "square-hook"};
    enum { N = 100, NW = 100 };
    for (int k = 0; k < 2; ++k) {
        int longest, failed, longest_w, failed_w;
        const double r = expert_rate(tasks[k], 0, N, &longest, &failed);
        const double rw = expert_rate(tasks[k], 1, NW, &longest_w, &failed_w);
        printf("%s expert success from its initial box: %d/%d = %.1f%% (longest success %d "
               "steps of 200, %d unstable); over the whole evaluation box: %d/%d = %.1f%%\n",
               tasks[k], (int)lround(r * N), N, 100.0 * r, longest, failed, (int)lround(rw * NW),
               NW, 100.0 * rw);
        TEST_CHECK(r >= 0.95, "%s expert success %.3f below 95%%", tasks[k], r);
        TEST_CHECK(failed == 0 && failed_w == 0, "%s: no simulator instability", tasks[k]);
    }
}

static void test_generators(const char *task, int all_kinds) {
    enum { N = 8 };
    rise_gen_opts o;
    rise_gen_opts_default(&o);
    rise_env *e = make(task, NULL);
    const char *path = "test_env_square_gen.hdf5";
    for (int k = 0; k < RISE_GEN_KIND_COUNT; ++k) {
        if (!all_kinds && k != RISE_GEN_EXPERT && k != RISE_GEN_PLAY) continue;
        rise_episode_buf b[N], b2[N];
        rise_gen_stats st, st2;
        const char *name = rise_gen_kind_name((rise_gen_kind)k);
        rise_status s = rise_gen_run(task, NULL, (rise_gen_kind)k, &o, 5, N, 1, b, &st, NULL, NULL);
        TEST_CHECK(s == RISE_OK, "%s %s: %s", task, name, rise_last_error());
        if (s != RISE_OK) continue;
        int succ = 0, in_expert = 0, same = 1, grasped = 0;
        for (int i = 0; i < N; ++i) {
            succ += b[i].success;
            in_expert += rise_env_ic_in_expert(e, b[i].ic);
            same &= b[i].n > 0 && fabsf(b[i].obs[4] - (float)b[i].ic[0]) < 1e-6f &&
                    fabsf(b[i].obs[5] - (float)b[i].ic[1]) < 1e-6f;
            int held = 0;
            for (int64_t t = 0; t < b[i].n; ++t) held |= b[i].states[t * SD + 16] == 1.0;
            grasped += held;
            for (int64_t t = 0; t + 1 < b[i].n; ++t)
                same &=
                    memcmp(b[i].next_obs + t * D, b[i].obs + (t + 1) * D, sizeof(float) * D) == 0;
        }
        printf("%s %-10s %d episodes, %lld steps, %d succeeded, %d grasped the nut, %lld "
               "attempts\n",
               task, name, N, (long long)st.steps, succ, grasped, (long long)st.attempts);
        TEST_CHECK(same, "%s %s: transitions chain and start at the ic", task, name);
        if (k == RISE_GEN_EXPERT) TEST_CHECK(succ == N && in_expert == N, "expert: all succeed");
        if (k == RISE_GEN_PLAY) {
            TEST_CHECK(succ == 0, "play never succeeds (%d did)", succ);
            TEST_CHECK(grasped >= N / 2, "play grasps the nut in most episodes (%d of %d)", grasped,
                       N);
        }
        if (k == RISE_GEN_PARTIAL) TEST_CHECK(succ == 0, "partial never succeeds (%d did)", succ);
        if (k == RISE_GEN_PARTIAL || k == RISE_GEN_NOISY)
            TEST_CHECK(in_expert == N, "%s starts in the expert box", name);
        if (k == RISE_GEN_SUBOPTIMAL) TEST_CHECK(in_expert == 0, "suboptimal starts outside it");
        /* Same seed, same episodes, whatever the thread count. */
        rise_gen_run(task, NULL, (rise_gen_kind)k, &o, 5, N, 2, b2, &st2, NULL, NULL);
        int ident = st.steps == st2.steps;
        for (int i = 0; ident && i < N; ++i)
            ident = b[i].n == b2[i].n &&
                    memcmp(b[i].obs, b2[i].obs, sizeof(float) * D * (size_t)b[i].n) == 0 &&
                    memcmp(b[i].actions, b2[i].actions, sizeof(float) * A * (size_t)b[i].n) == 0;
        TEST_CHECK(ident, "%s %s: same seed, identical episodes on 1 and 2 threads", task, name);
        /* The written file reads back. */
        TEST_CHECK(rise_gen_write(path, e, (rise_gen_kind)k, &o, 5, b, N) == RISE_OK, "write: %s",
                   rise_last_error());
        rise_read_opts ro;
        rise_read_opts_default(&ro);
        const char *keys[5] = {"eef_pos", "gripper", "nut_pos", "nut_to_goal", "handle_to_eef"};
        ro.obs_keys = keys;
        ro.n_obs_keys = 5;
        rise_episodes f;
        memset(&f, 0, sizeof f);
        s = rise_episodes_load(path, &ro, &f);
        TEST_CHECK(s == RISE_OK, "read back %s: %s", name, rise_last_error());
        if (s == RISE_OK) {
            TEST_CHECK(f.n_demos == N && f.n == st.steps && f.obs_dim == D && f.act_dim == A &&
                           f.state_dim == SD,
                       "%s file: %lld demos, %lld steps, dims %lld/%lld/%lld", name,
                       (long long)f.n_demos, (long long)f.n, (long long)f.obs_dim,
                       (long long)f.act_dim, (long long)f.state_dim);
            TEST_CHECK(memcmp(f.obs, b[0].obs, sizeof(float) * D * (size_t)b[0].n) == 0 &&
                           memcmp(f.states, b[0].states, sizeof(double) * SD * (size_t)b[0].n) == 0,
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

/* The state one step before the expert of `task` succeeds, and that step's action. */
static int state_before_success(const char *task, double *st, float *act) {
    rise_env *e = make(task, NULL);
    rise_policy *pol;
    rise_policy_create("expert", e, 0, &pol);
    const double ic[2] = {-0.1125, 0.2};
    float obs[D];
    rise_env_step_info si = {0};
    uint64_t key = 0;
    int t = 0;
    rise_policy_ctx ctx = {&key, &t, NULL};
    rise_env_reset(e, 0, ic, obs);
    for (; !si.done; ++t) {
        rise_env_get_state(e, st);
        pol->act(pol, 1, obs, &ctx, act);
        rise_env_step(e, act, obs, &si);
    }
    rise_policy_destroy(pol);
    rise_env_destroy(e);
    return si.success;
}

/* The generators' look-ahead: it sees a step that would meet either goal,
 * whichever task the env has, and leaves the env alone. */
static void test_lookahead(void) {
    double peg[SD], hook[SD], now[SD];
    float apeg[A], ahook[A], obs[D];
    TEST_CHECK(state_before_success("square", peg, apeg) &&
                   state_before_success("square-hook", hook, ahook),
               "the experts succeed from (-0.1125, 0.2)");
    rise_env *e = make("square", NULL);
    rise_square_sim *sim;
    TEST_CHECK(rise_square_sim_create(e, &sim) == RISE_OK, "look-ahead copy");
    const double ic[2] = {0.0, 0.0};
    rise_env_reset(e, 0, ic, obs);
    rise_env_set_state(e, peg, obs);
    TEST_CHECK(rise_square_sim_try(sim, e, apeg) == 1, "the step onto the peg is seen");
    rise_env_get_state(e, now);
    TEST_CHECK(memcmp(now, peg, sizeof now) == 0, "trying a step leaves the env as it was");
    const float up[A] = {0.0f, 0.0f, 1.0f, 1.0f};
    TEST_CHECK(rise_square_sim_try(sim, e, up) == 0, "lifting instead does not succeed");
    rise_env_set_state(e, hook, obs);
    TEST_CHECK(rise_square_sim_try(sim, e, ahook) == 1,
               "a square env's look-ahead sees the hook's success too");
    rise_square_sim_destroy(sim);
    rise_env_destroy(e);
}

/* One play set serves both tasks: the same seed gives the same states and
 * actions for square and square-hook (only nut_to_goal differs). */
static void test_play_shared(void) {
    enum { N = 4 };
    rise_gen_opts o;
    rise_gen_opts_default(&o);
    rise_episode_buf b[N], h[N];
    rise_gen_stats sb, sh;
    TEST_CHECK(
        rise_gen_run("square", NULL, RISE_GEN_PLAY, &o, 9, N, 2, b, &sb, NULL, NULL) == RISE_OK &&
            rise_gen_run("square-hook", NULL, RISE_GEN_PLAY, &o, 9, N, 2, h, &sh, NULL, NULL) ==
                RISE_OK,
        "play for both tasks: %s", rise_last_error());
    int same = sb.steps == sh.steps;
    for (int i = 0; same && i < N; ++i)
        same = b[i].n == h[i].n &&
               memcmp(b[i].states, h[i].states, sizeof(double) * SD * (size_t)b[i].n) == 0 &&
               memcmp(b[i].actions, h[i].actions, sizeof(float) * A * (size_t)b[i].n) == 0;
    TEST_CHECK(same, "square and square-hook play: identical states and actions");
    for (int i = 0; i < N; ++i) {
        rise_episode_buf_free(&b[i]);
        rise_episode_buf_free(&h[i]);
    }
}

int main(void) {
    test_bad_input();
    test_determinism();
    test_perturb();
    test_env_args();
    test_expert();
    test_generators("square", 1);
    test_generators("square-hook", 0);
    test_lookahead();
    test_play_shared();
    return test_finish();
}
#endif
