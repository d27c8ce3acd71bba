/* test_camera_mujoco.c - the MuJoCo tasks' camera views (envs/camera_view.h over
 * mujoco_view.h and mujoco_render.h):
 *  - obs -> qpos round-trips: for random simulator states of square and push, the
 *    observation of the positions rise_*_qpos_of_obs reads from an observation row equals
 *    that row (to 1e-6), and the positions are the state's (the fingers by their sum);
 *  - frames are deterministic: the same rows give the same bytes twice, on a second thread
 *    (its own EGL context) and after this thread's renderers are released and made again;
 *    row 0 is the top of the picture (the far, darker end of the table);
 *  - frames follow the scene: the nut (square) or the block (push) moved to +y shows its
 *    colour in the image's left half only, moved to -y in the right half only (the camera
 *    looks along +x); moving the gripper changes the frame;
 *  - `rise gen --task square --obs both --episodes 2 --image-size 32` writes as many frames
 *    as low-dim rows in each demo, each frame the view of its row (and each demo's last
 *    next frame the view of its last next row);
 *  - a camera-only diffusion BC trains 4 steps at batch 8 on those frames, records its
 *    camera, and its loaded policy acts on frames square renders, its actions moved by the
 *    nut's place in the picture (the only thing it sees);
 *  - cameras, sizes and channels a task does not render are refused with the reason.
 * Where the build has no MuJoCo rendering, or no EGL context can be made, it exits 77 (skipped)
 * with the reason on stderr. --verbose prints the frames/s of 84x84 rendering.
 * Run: ctest -R test_camera_mujoco. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "envs/camera_view.h"
#include "envs/mujoco_render.h"
#include "test_util.h"

#ifdef RISE_WITH_MUJOCO_RENDER

#include <hdf5.h>
#include <pthread.h>
#include <unistd.h>

#include "algorithms/agent.h"
#include "algorithms/train_config.h"
#include "algorithms/train_run.h"
#include "data/reader.h"
#include "envs/mujoco_view.h"
#include "envs/push.h"
#include "envs/square.h"
#include "host/checkpoint.h"
#include "train_fixture.h"

static char dir[256];

static double max_abs_diff(const float *a, const float *b, int n) {
    double m = 0.0;
    for (int i = 0; i < n; ++i) m = fmax(m, fabs((double)a[i] - (double)b[i]));
    return m;
}

/* ---- obs -> qpos ---- */

static void test_roundtrip_square(void) {
    rise_env *e = NULL;
    TEST_CHECK(rise_env_create("square", NULL, &e) == RISE_OK, "square: %s", rise_last_error());
    if (!e) return;
    enum { N = 64 };
    float u[N * 8];
    test_fill_random(u, N * 8, 7, 0.0f, 1.0f);
    double worst = 0.0, worst_q = 0.0;
    int ok = 1;
    for (int k = 0; k < N && ok; ++k) {
        const float *r = u + k * 8;
        double st[RISE_SQUARE_STATE_DIM] = {0};
        const double lo[8] = {-0.35, -0.35, 0.0, 0.0, 0.0, -0.3, -0.3, 0.01};
        const double hi[8] = {0.35, 0.35, 0.3, 0.04, 0.04, 0.3, 0.3, 0.3};
        for (int i = 0; i < 8; ++i) st[i] = lo[i] + (hi[i] - lo[i]) * r[i];
        float obs[RISE_SQUARE_OBS_DIM], again[RISE_SQUARE_OBS_DIM];
        double q[8], st2[RISE_SQUARE_STATE_DIM] = {0};
        ok = rise_env_set_state(e, st, obs) == RISE_OK;
        rise_square_qpos_of_obs(obs, q);
        memcpy(st2, q, sizeof q);
        ok = ok && rise_env_set_state(e, st2, again) == RISE_OK;
        worst = fmax(worst, max_abs_diff(obs, again, RISE_SQUARE_OBS_DIM));
        for (int i = 0; i < 8; ++i)
            if (i != 3 && i != 4) worst_q = fmax(worst_q, fabs(q[i] - st[i]));
        worst_q = fmax(worst_q, fabs(q[3] + q[4] - st[3] - st[4]));
    }
    TEST_CHECK(ok, "square set_state: %s", rise_last_error());
    TEST_CHECK(worst <= 1e-6, "square: obs -> qpos -> obs equals the row (worst %.3g)", worst);
    TEST_CHECK(worst_q <= 1e-6,
               "square: the positions are the state's (gripper, nut, finger sum; worst %.3g)",
               worst_q);
    rise_env_destroy(e);
}

static void test_roundtrip_push(void) {
    rise_env *e = NULL;
    TEST_CHECK(rise_env_create("push", NULL, &e) == RISE_OK, "push: %s", rise_last_error());
    if (!e) return;
    enum { N = 64 };
    float u[N * 5];
    test_fill_random(u, N * 5, 9, 0.0f, 1.0f);
    double worst = 0.0, worst_q = 0.0;
    int ok = 1, n = 0;
    for (int k = 0; k < N && ok; ++k) {
        const float *r = u + k * 5;
        double st[RISE_PUSH_STATE_DIM] = {0};
        st[0] = -0.4 + 0.8 * r[0], st[1] = -0.4 + 0.8 * r[1];
        st[2] = -0.3 + 0.6 * r[2], st[3] = -0.3 + 0.6 * r[3];
        st[4] = -RISE_PUSH_PI + 2.0 * RISE_PUSH_PI * r[4];
        /* goal_rel's yaw jumps by 90 degrees at the wrap: stay off it */
        if (fabs(fabs(rise_push_wrap_quarter(-st[4])) - 0.25 * RISE_PUSH_PI) < 1e-3) continue;
        float obs[RISE_PUSH_OBS_DIM], again[RISE_PUSH_OBS_DIM];
        double st2[RISE_PUSH_STATE_DIM] = {0};
        ok = rise_env_set_state(e, st, obs) == RISE_OK;
        rise_push_qpos_of_obs(obs, st2);
        ok = ok && rise_env_set_state(e, st2, again) == RISE_OK;
        worst = fmax(worst, max_abs_diff(obs, again, RISE_PUSH_OBS_DIM));
        for (int i = 0; i < 5; ++i) worst_q = fmax(worst_q, fabs(st2[i] - st[i]));
        ++n;
    }
    TEST_CHECK(ok && n > 50, "push set_state (%d states): %s", n, rise_last_error());
    TEST_CHECK(worst <= 1e-6, "push: obs -> qpos -> obs equals the row (worst %.3g)", worst);
    TEST_CHECK(worst_q <= 1e-6, "push: the positions are the state's (worst %.3g)", worst_q);
    rise_env_destroy(e);
}

/* ---- frames ---- */

/* A square observation row: gripper at g (opening width), nut at nut. */
static void square_row(float *obs, const float *g, float width, const float *nut) {
    memset(obs, 0, sizeof(float) * RISE_SQUARE_OBS_DIM);
    for (int i = 0; i < 3; ++i) {
        obs[RISE_SQUARE_OBS_EEF + i] = g[i];
        obs[RISE_SQUARE_OBS_NUT + i] = nut[i];
    }
    obs[RISE_SQUARE_OBS_WIDTH] = width;
}

static void push_row(float *obs, float px, float py, float bx, float by, float yaw) {
    memset(obs, 0, sizeof(float) * RISE_PUSH_OBS_DIM);
    obs[0] = px, obs[1] = py, obs[2] = bx, obs[3] = by;
    obs[4] = cosf(yaw), obs[5] = sinf(yaw);
}

typedef struct {
    const rise_env *env;
    const float *obs;
    int n, h, w;
    uint8_t *frames;
    rise_status st;
} render_job;

static void *render_thread(void *p) {
    render_job *j = p;
    j->st = rise_camera_view(j->env, RISE_AGENTVIEW_KEY, j->obs, j->n, j->h, j->w, 3, j->frames);
    return NULL;
}

static double row_mean(const uint8_t *f, int w, int row) {
    double s = 0.0;
    for (int i = 0; i < w * 3; ++i) s += f[(size_t)row * w * 3 + i];
    return s / (w * 3);
}

static void test_deterministic(const char *task, const float *obs, int n) {
    enum { H = 48, W = 40 }; /* not square: rows and columns cannot be swapped unseen */
    rise_env *e = NULL;
    rise_env_create(task, NULL, &e);
    const size_t fb = (size_t)H * W * 3, bytes = fb * n;
    uint8_t *a = malloc(bytes), *b = malloc(bytes), *c = malloc(bytes), *d = malloc(bytes);
    TEST_CHECK(rise_camera_view(e, RISE_AGENTVIEW_KEY, obs, n, H, W, 3, a) == RISE_OK &&
                   rise_camera_view(e, RISE_AGENTVIEW_KEY, obs, n, H, W, 3, b) == RISE_OK,
               "%s: render: %s", task, rise_last_error());
    TEST_CHECK(!memcmp(a, b, bytes), "%s: the same rows twice give the same bytes", task);
    render_job j = {e, obs, n, H, W, c, RISE_ERR_INVALID};
    pthread_t t;
    TEST_CHECK(pthread_create(&t, NULL, render_thread, &j) == 0, "thread");
    pthread_join(t, NULL);
    TEST_CHECK(j.st == RISE_OK && !memcmp(a, c, bytes),
               "%s: another thread (its own context) gives the same bytes", task);
    rise_mj_view_release();
    TEST_CHECK(rise_camera_view(e, RISE_AGENTVIEW_KEY, obs, n, H, W, 3, d) == RISE_OK &&
                   !memcmp(a, d, bytes),
               "%s: renderers made again give the same bytes", task);
    int distinct = 0;
    for (int r = 1; r < n; ++r) distinct += memcmp(a, a + r * fb, fb) != 0;
    TEST_CHECK(distinct == n - 1, "%s: other rows, other frames (%d of %d)", task, distinct, n - 1);
    TEST_CHECK(row_mean(a, W, 0) < row_mean(a, W, H - 1),
               "%s: row 0 is the top (far end: %.1f, near end %.1f)", task, row_mean(a, W, 0),
               row_mean(a, W, H - 1));
    free(a), free(b), free(c), free(d);
    rise_env_destroy(e);
}

typedef int (*colour_test)(const uint8_t *px);
static int is_nut(const uint8_t *p) { return p[0] > 100 && p[0] > p[2] + 90 && p[1] > p[2] + 40; }
static int is_block(const uint8_t *p) { return p[0] > 100 && p[0] > p[1] + 70 && p[0] > p[2] + 70; }

/* Pixels of colour `is` in the left and right halves of frame f (size S). */
static void count_halves(const uint8_t *f, int S, colour_test is, int *left, int *right) {
    *left = *right = 0;
    for (int r = 0; r < S; ++r)
        for (int q = 0; q < S; ++q)
            if (is(f + ((size_t)r * S + q) * 3)) ++*(q < S / 2 ? left : right);
}

/* rows[0]: the object at +y, rows[1]: at -y: its colour on the left, then on the right. */
static void check_sides(const char *task, const float *rows, colour_test is, const char *what) {
    enum { S = 64 };
    rise_env *e = NULL;
    rise_env_create(task, NULL, &e);
    uint8_t *f = malloc(2 * S * S * 3);
    TEST_CHECK(rise_camera_view(e, RISE_AGENTVIEW_KEY, rows, 2, S, S, 3, f) == RISE_OK,
               "%s: render: %s", task, rise_last_error());
    int l0, r0, l1, r1;
    count_halves(f, S, is, &l0, &r0);
    count_halves(f + S * S * 3, S, is, &l1, &r1);
    TEST_CHECK(l0 > 10 && r0 == 0 && r1 > 10 && l1 == 0,
               "%s: the %s at +y is on the left (%d left, %d right), at -y on the right (%d "
               "left, %d right)",
               task, what, l0, r0, l1, r1);
    free(f);
    rise_env_destroy(e);
}

static void test_frames(void) {
    enum { N = 4 };
    float sq[N * RISE_SQUARE_OBS_DIM], pu[N * RISE_PUSH_OBS_DIM];
    for (int k = 0; k < N; ++k) {
        const float g[3] = {-0.1f + 0.05f * k, 0.02f * k, 0.2f - 0.03f * k};
        const float nut[3] = {-0.11f + 0.03f * k, 0.15f - 0.08f * k, 0.01f + 0.02f * k};
        square_row(sq + k * RISE_SQUARE_OBS_DIM, g, 0.08f - 0.015f * k, nut);
        push_row(pu + k * RISE_PUSH_OBS_DIM, 0.0f, -0.35f + 0.1f * k, -0.2f + 0.1f * k,
                 0.16f - 0.1f * k, 0.3f * k);
    }
    test_deterministic("square", sq, N);
    test_deterministic("square-hook", sq, N);
    test_deterministic("push", pu, N);

    float rows[2 * RISE_SQUARE_OBS_DIM];
    const float g[3] = {0.0f, 0.0f, 0.25f}, left[3] = {-0.05f, 0.16f, 0.01f},
                right[3] = {-0.05f, -0.16f, 0.01f};
    square_row(rows, g, 0.08f, left);
    square_row(rows + RISE_SQUARE_OBS_DIM, g, 0.08f, right);
    check_sides("square", rows, is_nut, "nut");
    float prow[2 * RISE_PUSH_OBS_DIM];
    push_row(prow, -0.3f, -0.35f, 0.05f, 0.18f, 0.3f);
    push_row(prow + RISE_PUSH_OBS_DIM, -0.3f, -0.35f, 0.05f, -0.18f, 0.3f);
    check_sides("push", prow, is_block, "block");

    /* the gripper shows: lowering it and closing the fingers changes the frame */
    rise_env *e = NULL;
    rise_env_create("square", NULL, &e);
    const float low[3] = {0.0f, 0.0f, 0.05f};
    square_row(rows + RISE_SQUARE_OBS_DIM, low, 0.02f, left);
    uint8_t f[2 * 32 * 32 * 3];
    TEST_CHECK(rise_camera_view(e, RISE_AGENTVIEW_KEY, rows, 2, 32, 32, 3, f) == RISE_OK &&
                   memcmp(f, f + 32 * 32 * 3, 32 * 32 * 3) != 0,
               "square: another gripper pose, another frame");
    rise_env_destroy(e);
}

static void test_refusals(void) {
    rise_env *e = NULL, *m = NULL;
    rise_env_create("square-hook", NULL, &e);
    rise_env_create("maze", NULL, &m);
    float obs[RISE_SQUARE_OBS_DIM] = {0};
    uint8_t f[16 * 16 * 4];
    TEST_CHECK(rise_camera_view(e, "eye_in_hand_image", obs, 1, 16, 16, 3, f) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "renders 'agentview_image'"),
               "an unknown camera: %s", rise_last_error());
    TEST_CHECK(rise_camera_view(e, RISE_AGENTVIEW_KEY, obs, 1, 4, 16, 3, f) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "sides in [8,"),
               "a frame side under 8: %s", rise_last_error());
    TEST_CHECK(rise_camera_view(e, RISE_AGENTVIEW_KEY, obs, 1, 16, 16, 4, f) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "RGB"),
               "4 channels: %s", rise_last_error());
    TEST_CHECK(rise_camera_view_check(e, RISE_AGENTVIEW_KEY, 16, 24, 3) == RISE_OK,
               "square-hook renders 16x24: %s", rise_last_error());
    TEST_CHECK(rise_camera_view_check(m, RISE_AGENTVIEW_KEY, 16, 24, 3) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "square RGB frames"),
               "the maze still renders square frames only: %s", rise_last_error());
    rise_env_destroy(e);
    rise_env_destroy(m);
}

/* ---- a generated file ---- */

/* Rows of dataset `name` in group g (its first dimension), -1 when missing. */
static long long rows_of(hid_t g, const char *name, int *rank) {
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t sp = H5Dget_space(d);
    hsize_t dims[4] = {0};
    *rank = H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    H5Dclose(d);
    return (long long)dims[0];
}

static void test_gen_file(const char *path) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "'%s' gen --task square --kind expert --episodes 2 --seed 3 --obs both "
             "--image-size 32 --out '%s' --quiet > /dev/null",
             RISE_CLI_EXE, path);
    TEST_CHECK(system(cmd) == 0, "%s", cmd);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    TEST_CHECK(file >= 0, "open %s", path);
    if (file < 0) return;
    for (int d = 0; d < 2; ++d) {
        char g[64];
        snprintf(g, sizeof g, "data/demo_%d", d);
        hid_t grp = H5Gopen2(file, g, H5P_DEFAULT);
        int rf = 0, rl = 0, rn = 0, ra = 0;
        const long long frames = rows_of(grp, "obs/agentview_image", &rf);
        const long long low = rows_of(grp, "obs/eef_pos", &rl);
        const long long next = rows_of(grp, "next_obs/agentview_image", &rn);
        const long long acts = rows_of(grp, "actions", &ra);
        TEST_CHECK(frames > 1 && frames == low && next == low && acts == low && rf == 4 && rl == 2,
                   "%s: %lld frames (rank %d), %lld next frames, %lld low-dim rows, %lld "
                   "actions",
                   g, frames, rf, next, low, acts);
        H5Gclose(grp);
    }
    H5Fclose(file);

    /* each frame is the view of its row */
    const char *keys[6] = {"eef_pos",     "gripper",       "nut_pos",
                           "nut_to_goal", "handle_to_eef", RISE_AGENTVIEW_KEY};
    rise_read_opts o;
    rise_read_opts_default(&o);
    o.obs_keys = keys;
    o.n_obs_keys = 6;
    o.image_frames = RISE_IMAGES_LOAD;
    rise_episodes ep;
    if (rise_episodes_load(path, &o, &ep) != RISE_OK) {
        TEST_CHECK(0, "load %s: %s", path, rise_last_error());
        return;
    }
    TEST_CHECK(ep.n_demos == 2 && ep.obs_dim == RISE_SQUARE_OBS_DIM && ep.n_images == 1 &&
                   ep.images[0].h == 32 && ep.images[0].w == 32 && ep.images[0].c == 3,
               "2 demos, the 13 low-dim values in the env's order and one 32x32x3 camera");
    rise_env *e = NULL;
    rise_env_create("square", NULL, &e);
    const size_t fb = 32 * 32 * 3;
    uint8_t *want = malloc(fb * (size_t)ep.n);
    int bad = 0;
    if (rise_camera_view(e, RISE_AGENTVIEW_KEY, ep.obs, ep.n, 32, 32, 3, want) == RISE_OK)
        for (int64_t r = 0; r < ep.n; ++r)
            bad += memcmp(want + r * fb, ep.images[0].frames + r * fb, fb) != 0;
    else
        bad = -1;
    for (int64_t d = 0; d < ep.n_demos && bad >= 0; ++d) {
        const int64_t last = ep.demos[d].start + ep.demos[d].length - 1;
        rise_camera_view(e, RISE_AGENTVIEW_KEY, ep.next_obs + last * ep.obs_dim, 1, 32, 32, 3,
                         want);
        bad += memcmp(want, ep.images[0].last_next + d * fb, fb) != 0;
    }
    TEST_CHECK(bad == 0, "each frame is the view of its row (%d of %lld wrong)", bad,
               (long long)ep.n);
    free(want);
    rise_env_destroy(e);
    rise_episodes_free(&ep);
}

/* ---- training on the frames ---- */

static void test_train(const char *data) {
    const int failed_before = test_failed_count;
    rise_train_config c;
    train_fixture_images(&c, "bc_diffusion");
    train_fixture_set(&c, "train.steps=4");
    train_fixture_set(&c, "train.log_every=2");
    train_fixture_set(&c, "data.obs_keys=agentview_image");
    char buf[700], out[600];
    snprintf(buf, sizeof buf, "data.source=expert:%s", data);
    train_fixture_set(&c, buf);
    if (test_failed_count != failed_before) return; /* a --set failed */
    snprintf(out, sizeof out, "%s/run", dir);
    const rise_train_opts quiet = {1, NULL, NULL};
    rise_train_summary s;
    TEST_CHECK(rise_train_run(&c, out, 0, &quiet, &s) == RISE_OK && s.last_step == 4,
               "4 steps of camera-only diffusion BC on square frames: %s", rise_last_error());
    char *cams = train_fixture_ckpt_string(out, "cameras");
    TEST_CHECK(cams && !strcmp(cams, "agentview_image:32x32x3"), "cameras record: %s",
               cams ? cams : "(none)");
    free(cams);

    rise_status st;
    rise_backend *be = rise_backend_create("cpu", &st);
    rise_train_config lc;
    rise_agent *agent = NULL;
    TEST_CHECK(be && rise_train_load_agent(out, NULL, be, &lc, &agent) == RISE_OK,
               "load the run: %s", rise_last_error());
    rise_env *e = NULL;
    rise_env_create("square", NULL, &e);
    rise_policy *pol = NULL;
    if (agent && e && rise_agent_policy(agent, 7, &pol) == RISE_OK &&
        rise_agent_policy_bind_env(pol, &e->info) == RISE_OK &&
        rise_agent_policy_bind_view(pol, e) == RISE_OK) {
        const int E = RISE_SQUARE_OBS_DIM, To = pol->obs_horizon, Ta = pol->chunk;
        float hist[2 * RISE_SQUARE_OBS_DIM], act[2][8 * 4];
        const float g[3] = {0.0f, 0.0f, 0.2f},
                    nut[2][3] = {{-0.1f, 0.15f, 0.01f}, {-0.1f, -0.15f, 0.01f}};
        const uint64_t key = 5;
        const int t = 0;
        int in_range = 1;
        rise_status ast = RISE_OK;
        for (int v = 0; v < 2; ++v) {
            for (int f = 0; f < To; ++f) square_row(hist + f * E, g, 0.08f, nut[v]);
            const rise_policy_ctx ctx = {&key, &t, hist};
            if (ast == RISE_OK) ast = pol->act(pol, 1, hist + (To - 1) * E, &ctx, act[v]);
            for (int i = 0; i < Ta * 4; ++i)
                in_range &= isfinite(act[v][i]) && act[v][i] >= -1.0f && act[v][i] <= 1.0f;
        }
        TEST_CHECK(ast == RISE_OK && To == 2 && Ta == 4, "act on square's frames: %s",
                   ast == RISE_OK ? "" : rise_last_error());
        int differs = 0;
        for (int i = 0; i < Ta * 4; ++i) differs |= act[0][i] != act[1][i];
        TEST_CHECK(in_range && differs,
                   "actions in [-1, 1] (%d) and moved by the nut in the picture (%d)", in_range,
                   differs);
    } else {
        TEST_CHECK(0, "a policy bound to square's camera view: %s", rise_last_error());
    }
    rise_policy_destroy(pol);
    rise_env_destroy(e);
    if (agent) rise_agent_free(agent);
    if (be) rise_backend_destroy(be);
}

/* ---- speed (printed with --verbose; no threshold) ---- */

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void report_speed(const char *task) {
    enum { N = 200, S = 84 };
    rise_env *e = NULL;
    rise_env_create(task, NULL, &e);
    const int D = e->info.obs_dim;
    float *obs = calloc((size_t)N * D, sizeof(float));
    for (int k = 0; k < N; ++k) {
        const float a = (float)k / N;
        if (!strcmp(task, "push")) {
            push_row(obs + k * D, -0.2f + 0.4f * a, -0.35f, 0.2f - 0.3f * a, 0.1f, 2.0f * a);
        } else {
            const float g[3] = {-0.1f + 0.2f * a, 0.1f * a, 0.2f - 0.1f * a},
                        nut[3] = {-0.11f + 0.2f * a, 0.15f - 0.2f * a, 0.01f};
            square_row(obs + k * D, g, 0.08f, nut);
        }
    }
    uint8_t *f = malloc((size_t)N * S * S * 3);
    rise_mj_view_release();
    const double t0 = now_s();
    rise_camera_view(e, RISE_AGENTVIEW_KEY, obs, 1, S, S, 3, f); /* makes the context */
    const double t1 = now_s();
    const rise_status st = rise_camera_view(e, RISE_AGENTVIEW_KEY, obs, N, S, S, 3, f);
    const double t2 = now_s();
    if (st == RISE_OK)
        printf("%s: %dx%d frames: %.0f frames/s (%d frames in %.3f s; first frame with context "
               "creation %.3f s)\n",
               task, S, S, N / (t2 - t1), N, t2 - t1, t1 - t0);
    free(obs);
    free(f);
    rise_env_destroy(e);
}

#endif /* RISE_WITH_MUJOCO_RENDER */

int main(int argc, char **argv) {
#ifndef RISE_WITH_MUJOCO_RENDER
    (void)argc, (void)argv;
    fprintf(stderr, "SKIP: this build has no MuJoCo rendering (needs MuJoCo and EGL)\n");
    return 77;
#else
    if (rise_mj_render_available() != RISE_OK) {
        fprintf(stderr, "SKIP: %s\n", rise_last_error());
        return 77;
    }
    const int verbose = argc > 1 && !strcmp(argv[1], "--verbose");
    snprintf(dir, sizeof dir, "/tmp/rise_test_camera_mujoco_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    test_roundtrip_square();
    test_roundtrip_push();
    test_frames();
    test_refusals();
    char path[600];
    snprintf(path, sizeof path, "%s/square_img.h5", dir);
    test_gen_file(path);
    test_train(path);
    if (verbose) {
        char cpu[256] = "unknown";
        FILE *f = fopen("/proc/cpuinfo", "r");
        while (f && fgets(cpu, sizeof cpu, f))
            if (!strncmp(cpu, "model name", 10)) break;
        if (f) fclose(f);
        printf("CPU: %s", strchr(cpu, ':') ? strchr(cpu, ':') + 2 : cpu);
        report_speed("square");
        report_speed("push");
    }
    test_remove_dir(dir);
    return test_finish();
#endif
}
