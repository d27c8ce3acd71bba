/* test_env_maze.c - the env interface and the maze task: bad input, hand-
 * computed dynamics and collisions, no tunnelling (property test at speeds
 * far above one wall thickness per step), determinism, perturbation,
 * state round trips, env_args round trip and mismatch errors, the pool. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "envs/env.h"
#include "envs/env_pool.h"
#include "envs/maze.h"
#include "kernels/philox.h"
#include "test_util.h"

static rise_env *make(const char *settings) {
    rise_env *e = NULL;
    if (rise_env_create("maze", settings, &e) != RISE_OK) {
        fprintf(stderr, "FAIL: creating maze %s: %s\n", settings ? settings : "{}",
                rise_last_error());
        exit(1);
    }
    return e;
}

static int error_mentions(rise_status st, rise_status want, const char *text) {
    return st == want && strstr(rise_last_error(), text) != NULL;
}

static void test_bad_input(void) {
    rise_env *e = NULL;
    rise_status st = rise_env_create("mazee", NULL, &e);
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "unknown task 'mazee'") &&
                   strstr(rise_last_error(), "maze"),
               "unknown task: %s", rise_last_error());
    TEST_CHECK(e == NULL, "no env on error");
    st = rise_env_create("maze", "{\"dtt\": 0.1}", &e);
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "unknown setting 'dtt'"), "unknown setting: %s",
               rise_last_error());
    st = rise_env_create("maze", "{\"dt\": 5}", &e);
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "'dt' is 5"), "range: %s", rise_last_error());
    st = rise_env_create("maze", "{\"action_mode\": \"torque\"}", &e);
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "\"velocity\""), "choice: %s",
               rise_last_error());
    st = rise_env_create("maze", "{\"horizon\": 10.5}", &e);
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "integer"), "int: %s", rise_last_error());
    st = rise_env_create("maze", "[1, 2]", &e);
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "JSON object"), "not object: %s",
               rise_last_error());
    st = rise_env_create("maze", "{\"dt\": ", &e);
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "not valid JSON"), "bad json: %s",
               rise_last_error());

    e = make(NULL);
    float obs[8], a[2] = {0, 0};
    rise_env_step_info si;
    st = rise_env_step(e, a, obs, &si);
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "reset"), "step before reset: %s",
               rise_last_error());
    double outside[2] = {1.5, 0.0}, wall[2] = {-0.6, -0.8}, goal[2] = {0.8, 0.8};
    double nan_ic[2] = {NAN, 0.0};
    st = rise_env_reset(e, 0, outside, obs);
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "start_x = 1.5 is outside"), "ic box: %s",
               rise_last_error());
    st = rise_env_reset(e, 0, wall, obs);
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "inside a wall"), "ic wall: %s",
               rise_last_error());
    st = rise_env_reset(e, 0, goal, obs);
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "goal"), "ic goal: %s", rise_last_error());
    st = rise_env_reset(e, 0, nan_ic, obs);
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "not finite"), "ic nan: %s", rise_last_error());
    double ok[2] = {-0.8, -0.8};
    TEST_CHECK(rise_env_reset(e, 0, ok, obs) == RISE_OK, "reset: %s", rise_last_error());
    float bad[2] = {NAN, 0.0f};
    st = rise_env_step(e, bad, obs, &si);
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "action[0] is nan"), "nan action: %s",
               rise_last_error());
    float big[2] = {0.0f, 1.0001f};
    st = rise_env_step(e, big, obs, &si);
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "action[1] = 1.0001") &&
                   strstr(rise_last_error(), "outside [-1, 1]"),
               "range action: %s", rise_last_error());
    TEST_CHECK(e->t == 0, "refused actions do not step (t=%d)", e->t);
    double d_nan[2] = {NAN, 0};
    st = rise_env_perturb(e, d_nan, obs);
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "not finite"), "nan perturb: %s",
               rise_last_error());
    rise_env_destroy(e);
}

static void test_info(void) {
    rise_env *e = make(NULL);
    const rise_env_info *in = &e->info;
    TEST_CHECK(strcmp(in->task, "maze") == 0 && in->n_keys == 3 && in->obs_dim == 6 &&
                   in->act_dim == 2 && in->state_dim == 4 && in->perturb_dim == 2 &&
                   in->horizon == 300,
               "maze info");
    TEST_CHECK(rise_env_find_key(in, "agent_pos") == 0 && in->keys[0].offset == 0 &&
                   in->keys[1].offset == 2 && strcmp(in->keys[2].name, "goal_rel") == 0 &&
                   in->keys[2].offset == 4,
               "keys and offsets");
    TEST_CHECK(in->ic.dim == 2 && in->ic.axis[0] == 0 && in->ic.axis[1] == 1 &&
                   in->ic.expert_lo[0] >= in->ic.eval_lo[0] &&
                   in->ic.expert_hi[0] <= in->ic.eval_hi[0],
               "ic space");
    rise_env_destroy(e);
    e = make("{\"goal_rel\": false, \"horizon\": 7}");
    TEST_CHECK(e->info.obs_dim == 4 && e->info.n_keys == 2 && e->info.horizon == 7,
               "goal_rel off, horizon 7");
    rise_env_destroy(e);
}

static void state(rise_env *e, double *s) { rise_env_get_state(e, s); }

/* Hand-computed steps: accelerate from rest, cap speed, stop on a wall face, slide. */
static void test_dynamics(void) {
    rise_env *e = make(NULL); /* acceleration mode: dt 0.05, accel 4, drag 0.5 */
    float obs[8], a[2] = {1.0f, 0.0f};
    double s[4], ic[2] = {-0.8, -0.8};
    rise_env_step_info si;
    rise_env_reset(e, 0, ic, obs);
    rise_env_step(e, a, obs, &si);
    state(e, s);
    /* v = 0 + (4 - 0.5*0)*0.05 = 0.2; x = -0.8 + 0.2*0.05 */
    TEST_CHECK(fabs(s[2] - 0.2) < 1e-12 && fabs(s[0] - (-0.79)) < 1e-12 && s[1] == -0.8,
               "accel step 1: x %.17g v %.17g", s[0], s[2]);
    rise_env_step(e, a, obs, &si);
    state(e, s);
    /* v = 0.2 + (4 - 0.1)*0.05 = 0.395; x = -0.79 + 0.395*0.05 */
    TEST_CHECK(fabs(s[2] - 0.395) < 1e-12 && fabs(s[0] - (-0.79 + 0.01975)) < 1e-12,
               "accel step 2: x %.17g v %.17g", s[0], s[2]);
    TEST_CHECK(obs[0] == (float)s[0] && obs[2] == (float)s[2] && obs[4] == (float)(0.8 - s[0]) &&
                   obs[5] == (float)(0.8 - s[1]),
               "observation matches state");
    rise_env_destroy(e);

    e = make("{\"action_mode\": \"velocity\"}"); /* v = a * max_speed (1), capped at 1 */
    double ic2[2] = {-0.7, -0.8};
    rise_env_reset(e, 0, ic2, obs);
    rise_env_step(e, a, obs, &si);
    state(e, s);
    TEST_CHECK(fabs(s[0] - (-0.65)) < 1e-12 && s[2] == 1.0, "velocity step: x %.17g", s[0]);
    /* Wall at x = -0.6 (0.04 thick) grown by the radius 0.02: face at -0.64. */
    rise_env_step(e, a, obs, &si);
    state(e, s);
    const double face = rise_maze_of(e)->boxes[0].x0; /* -0.64 up to rounding */
    TEST_CHECK(fabs(face - (-0.64)) < 1e-12, "first wall's grown face at -0.64 (%.17g)", face);
    TEST_CHECK(s[0] == face && s[2] == 0.0 && s[1] == -0.8, "stops on the face: x %.17g vx %g",
               s[0], s[2]);
    /* Diagonal into the face: x stays, y slides by the full dy, vx cleared. */
    float diag[2] = {1.0f, 1.0f};
    rise_env_step(e, diag, obs, &si);
    state(e, s);
    const double vy = 1.0 / sqrt(2.0);
    TEST_CHECK(s[0] == face && fabs(s[1] - (-0.8 + vy * 0.05)) < 1e-12 && s[2] == 0.0 &&
                   fabs(s[3] - vy) < 1e-12,
               "slides along the face: (%.17g, %.17g) v (%g, %g)", s[0], s[1], s[2], s[3]);
    rise_env_destroy(e);
}

static void test_goal_and_horizon(void) {
    rise_env *e = make("{\"action_mode\": \"velocity\", \"horizon\": 50}");
    float obs[8], a[2] = {1.0f, 0.0f};
    double ic[2] = {0.52, 0.8}; /* 0.28 left of the goal centre, goal radius 0.1 */
    rise_env_step_info si = {0};
    rise_env_reset(e, 0, ic, obs);
    int t = 0;
    float total = 0.0f;
    while (!si.done) {
        rise_env_step(e, a, obs, &si);
        total += si.reward;
        ++t;
    }
    /* x: 0.57, 0.62, 0.67, 0.72 -> inside at |0.72 - 0.8| < 0.1, step 4 */
    TEST_CHECK(si.success && si.reward == 1.0f && total == 1.0f && t == 4 && e->success,
               "goal reached at step 4 (t=%d, success=%d)", t, si.success);
    rise_status st = rise_env_step(e, a, obs, &si);
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "already ended"), "step after done: %s",
               rise_last_error());
    rise_env_destroy(e);

    e = make("{\"horizon\": 5}");
    float zero[2] = {0, 0};
    double ic2[2] = {-0.8, -0.8};
    rise_env_reset(e, 0, ic2, obs);
    for (t = 0; t < 5; ++t) rise_env_step(e, zero, obs, &si);
    TEST_CHECK(si.done && !si.success && si.reward == 0.0f && e->t == 5, "horizon ends it");
    rise_env_destroy(e);
}

/* Independent check: does the open segment p->q pass through a grown wall? */
static int crosses_wall(const rise_maze *m, double px, double py, double qx, double qy) {
    for (int s = 0; s <= 200; ++s) {
        const double u = s / 200.0, x = px + u * (qx - px), y = py + u * (qy - py);
        for (int i = 0; i < m->n_boxes; ++i) {
            const rise_maze_box *b = &m->boxes[i];
            if (x > b->x0 + 1e-9 && x < b->x1 - 1e-9 && y > b->y0 + 1e-9 && y < b->y1 - 1e-9)
                return 1;
        }
    }
    return 0;
}

/* Random actions at speeds up to 20 units/s (1 unit per step, 25 wall
 * thicknesses): the agent must never enter a wall or pass through one. */
static void test_no_tunnelling(void) {
    const char *settings[2] = {
        "{\"action_mode\": \"velocity\", \"max_speed\": 20, \"horizon\": 100000}",
        "{\"max_speed\": 20, \"max_accel\": 400, \"horizon\": 100000}"};
    for (int mode = 0; mode < 2; ++mode) {
        rise_env *e = make(settings[mode]);
        const rise_maze *m = rise_maze_of(e);
        /* the grown walls the test checks are the drawn walls + radius, rebuilt here */
        rise_maze_box raw[RISE_MAZE_MAX_BOXES];
        const int n_raw = rise_maze_walls(raw, RISE_MAZE_MAX_BOXES);
        int grown_ok = m->n_boxes == n_raw + 4;
        for (int i = 0; i < n_raw; ++i)
            grown_ok &= fabs(m->boxes[i].x0 - (raw[i].x0 - 0.02)) < 1e-15 &&
                        fabs(m->boxes[i].y1 - (raw[i].y1 + 0.02)) < 1e-15;
        TEST_CHECK(grown_ok, "collision boxes are the drawn walls grown by the radius");
        float obs[8], a[2];
        rise_env_step_info si;
        int inside = 0, crossed = 0, hits = 0, escaped = 0;
        for (int ep = 0; ep < 20; ++ep) {
            double ic[2];
            rise_env_sample_ic(e, NULL, NULL, 9, 1, (uint64_t)ep, 1000, ic);
            rise_env_reset(e, 0, ic, obs);
            for (int t = 0; t < 1000; ++t) {
                const double px = m->px, py = m->py;
                for (int k = 0; k < 2; ++k)
                    a[k] = 2.0f * rise_rng_uniform(3, (uint32_t)mode, (uint64_t)ep << 20,
                                                   (uint64_t)t * 2 + k) -
                           1.0f;
                rise_env_step(e, a, obs, &si);
                inside += !rise_maze_point_free(m, m->px, m->py);
                crossed += crosses_wall(m, px, py, m->px, m->py);
                escaped += fabs(m->px) > 1.0 || fabs(m->py) > 1.0;
                hits += m->vx == 0.0 || m->vy == 0.0;
            }
        }
        TEST_CHECK(inside == 0 && crossed == 0 && escaped == 0,
                   "mode %d: %d steps inside a wall, %d crossing one, %d outside the arena", mode,
                   inside, crossed, escaped);
        TEST_CHECK(hits > 1000, "mode %d: the walk hits walls often (%d)", mode, hits);
        rise_env_destroy(e);
    }
}

static void rollout_random(rise_env *e, uint64_t seed, const double *ic, float *trace, int T) {
    float obs[8], a[2];
    rise_env_step_info si;
    rise_env_reset(e, seed, ic, obs);
    for (int t = 0; t < T; ++t) {
        for (int k = 0; k < 2; ++k)
            a[k] = 2.0f * rise_rng_uniform(seed, 7, 0, (uint64_t)t * 2 + k) - 1.0f;
        rise_env_step(e, a, obs, &si);
        memcpy(trace + (size_t)t * 6, obs, sizeof(float) * 6);
    }
}

static void test_determinism(void) {
    rise_env *a = make(NULL), *b = make(NULL);
    enum { T = 250 };
    float *ta = calloc(T * 6, sizeof(float)), *tb = calloc(T * 6, sizeof(float));
    double ic[2] = {-0.8, -0.7};
    rollout_random(a, 5, ic, ta, T);
    rollout_random(b, 5, ic, tb, T);
    TEST_CHECK(memcmp(ta, tb, sizeof(float) * T * 6) == 0, "same seed, same rollout (bitwise)");
    rollout_random(b, 6, ic, tb, T);
    TEST_CHECK(memcmp(ta, tb, sizeof(float) * T * 6) != 0, "another seed, another rollout");
    free(ta);
    free(tb);
    rise_env_destroy(a);
    rise_env_destroy(b);
}

static void test_perturb_and_state(void) {
    rise_env *e = make(NULL);
    float obs[8];
    double s[4], ic[2] = {-0.8, -0.8};
    double d_small[2] = {0.1, 0.0}, d_big[2] = {1.0, 0.0};
    rise_status st = rise_env_perturb(e, d_small, obs);
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "no episode"), "perturb before reset: %s",
               rise_last_error());
    rise_env_reset(e, 0, ic, obs);
    float a[2] = {0.0f, 1.0f};
    rise_env_step_info si;
    rise_env_step(e, a, obs, &si);
    TEST_CHECK(rise_env_perturb(e, d_small, obs) == RISE_OK, "perturb");
    state(e, s);
    TEST_CHECK(fabs(s[0] - (-0.7)) < 1e-12 && s[2] == 0.0 && s[3] == 0.0 && obs[0] == (float)s[0],
               "displaced by (0.1, 0) and at rest: (%g, %g)", s[0], s[1]);
    TEST_CHECK(rise_env_perturb(e, d_big, obs) == RISE_OK &&
                   (state(e, s), s[0] == rise_maze_of(e)->boxes[0].x0),
               "a shove into a wall stops at its face (x=%.17g)", s[0]);
    const double want[4] = {0.3, -0.1, 0.25, -0.5};
    TEST_CHECK(rise_env_set_state(e, want, obs) == RISE_OK, "set_state");
    state(e, s);
    TEST_CHECK(memcmp(s, want, sizeof want) == 0 && obs[0] == 0.3f && obs[3] == -0.5f,
               "state round trip");
    const double in_wall[4] = {-0.6, 0.0, 0, 0};
    st = rise_env_set_state(e, in_wall, obs);
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "inside a wall"), "set_state wall: %s",
               rise_last_error());
    rise_env_destroy(e);
}

static void test_env_args(void) {
    rise_env *e = make("{\"dt\": 0.04, \"action_mode\": \"velocity\"}");
    char *args = rise_env_args(e);
    TEST_CHECK(args && strstr(args, "\"env_name\":\"maze\"") && strstr(args, "\"dt\":0.04"),
               "env_args: %s", args ? args : "(null)");
    rise_env *back = NULL;
    TEST_CHECK(rise_env_create_from_args(args, &back) == RISE_OK, "rebuild: %s", rise_last_error());
    TEST_CHECK(back && strcmp(back->settings_json, e->settings_json) == 0 &&
                   back->info.obs_dim == e->info.obs_dim,
               "rebuilt env has the same settings");
    TEST_CHECK(rise_env_check_args(e, args) == RISE_OK, "check_args on its own args: %s",
               rise_last_error());
    rise_env *other = make("{\"dt\": 0.05, \"action_mode\": \"velocity\"}");
    rise_status st = rise_env_check_args(other, args);
    TEST_CHECK(error_mentions(st, RISE_ERR_FORMAT, "env_kwargs.dt is 0.04") &&
                   strstr(rise_last_error(), "has 0.05"),
               "mismatch names the field: %s", rise_last_error());
    st = rise_env_check_args(e, "{\"env_name\": \"push\", \"type\": \"rise\"}");
    TEST_CHECK(error_mentions(st, RISE_ERR_FORMAT, "names task 'push'"), "task mismatch: %s",
               rise_last_error());
    st = rise_env_check_args(e, "{\"env_name\": \"maze\", \"type\": 1}");
    TEST_CHECK(error_mentions(st, RISE_ERR_FORMAT, "'type'"), "robosuite type: %s",
               rise_last_error());
    st = rise_env_check_args(e, "not json");
    TEST_CHECK(error_mentions(st, RISE_ERR_FORMAT, "not valid JSON"), "garbage: %s",
               rise_last_error());
    rise_env *nope = NULL;
    st = rise_env_create_from_args("{\"env_name\": \"nope\"}", &nope);
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "unknown task 'nope'") && !nope,
               "unknown task: %s", rise_last_error());
    st = rise_env_check_args(e, "{\"env_name\": \"maze\", \"env_kwargs\": {\"speed\": 1}}");
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "unknown setting 'speed'"), "bad kwarg: %s",
               rise_last_error());
    free(args);
    rise_env_destroy(e);
    rise_env_destroy(back);
    rise_env_destroy(other);
}

/* A pool's rows equal separately stepped envs; chunks stop at n_exec. */
static void test_pool(void) {
    enum { N = 70, H = 3, T = 40 }; /* >= 64 steps per call: the parallel path */
    rise_env_pool *p;
    TEST_CHECK(rise_env_pool_create(&p, "maze", NULL, N, 2) == RISE_OK, "pool: %s",
               rise_last_error());
    rise_env *solo[N];
    double ics[N * 2];
    uint64_t seeds[N];
    float obs[N * 6], solo_obs[N * 6], acts[N * H * 2];
    int n_exec[N], steps[N];
    uint8_t done[N];
    for (int i = 0; i < N; ++i) {
        solo[i] = make(NULL);
        seeds[i] = (uint64_t)i;
        rise_env_sample_ic(solo[i], NULL, NULL, 11, 2, (uint64_t)i, 1000, ics + 2 * i);
        rise_env_reset(solo[i], 0, ics + 2 * i, solo_obs + 6 * i);
    }
    TEST_CHECK(rise_env_pool_reset(p, NULL, seeds, ics, obs) == RISE_OK, "pool reset");
    const int same_reset = memcmp(obs, solo_obs, sizeof obs) == 0;
    int steps_ok = 1;
    const rise_env_pool_result res = {NULL, steps, NULL, done, NULL};
    for (int t = 0; t < T; ++t) {
        for (int i = 0; i < N * H * 2; ++i)
            acts[i] = 2.0f * rise_rng_uniform(4, 0, (uint64_t)t << 8, (uint64_t)i) - 1.0f;
        for (int i = 0; i < N; ++i) n_exec[i] = solo[i]->done ? 0 : 1 + (i + t) % H;
        TEST_CHECK(rise_env_pool_step(p, acts, H, n_exec, obs, &res) == RISE_OK, "pool step");
        for (int i = 0; i < N; ++i) {
            if (n_exec[i] == 0) continue; /* untouched by the pool */
            rise_env_step_info si;
            int k = 0;
            for (; k < n_exec[i] && !solo[i]->done; ++k)
                rise_env_step(solo[i], acts + (i * H + k) * 2, solo_obs + 6 * i, &si);
            steps_ok &= steps[i] == k && done[i] == solo[i]->done;
        }
    }
    const int same = memcmp(obs, solo_obs, sizeof obs) == 0;
    TEST_CHECK(same_reset && same && steps_ok,
               "pool rows match envs stepped one by one (chunks of n_exec): reset %d, after %d, "
               "steps %d",
               same_reset, same, steps_ok);
    acts[0] = NAN;
    for (int i = 0; i < N; ++i) n_exec[i] = 1;
    rise_env_pool_reset(p, NULL, seeds, ics, obs);
    rise_status st = rise_env_pool_step(p, acts, H, n_exec, obs, &res);
    TEST_CHECK(error_mentions(st, RISE_ERR_INVALID, "row 0") && strstr(rise_last_error(), "nan"),
               "a row's error surfaces: %s", rise_last_error());
    for (int i = 0; i < N; ++i) rise_env_destroy(solo[i]);
    rise_env_pool_destroy(p);
}

int main(void) {
    test_bad_input();
    test_info();
    test_dynamics();
    test_goal_and_horizon();
    test_no_tunnelling();
    test_determinism();
    test_perturb_and_state();
    test_env_args();
    test_pool();
    return test_finish();
}
