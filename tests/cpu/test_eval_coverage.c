/* test_eval_coverage.c - the coverage and robustness evaluators on policies
 * whose answers are known exactly:
 *  - a registered probe task where success needs action > 0.5 on step 2
 *    and a policy that gives it only when x < 0: coverage is exactly the
 *    fraction of x < 0 cells, with a blocked cell and the expert cell
 *    accounted for; step and policy-call counts follow from the chunking;
 *  - perturbations move the probe's x, so recovery is known per episode;
 *  - the maze with the planner used only from starts with x < 0;
 *  - reports (CSV, JSON, PNG pixels, ASCII) and determinism across thread
 *    counts and pool sizes. */
#include <cjson/cJSON.h>
#include <math.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "envs/coverage.h"
#include "envs/env_impl.h"
#include "test_util.h"

/* ---- the probe task: state (x, y, t); success iff action > 0.5 at t = 1 ---- */

typedef struct {
    double x, y;
    int t;
} probe;

static void probe_obs(const probe *p, float *obs) {
    obs[0] = (float)p->x;
    obs[1] = (float)p->y;
    obs[2] = (float)p->t;
}
static rise_status probe_reset(rise_env *e, uint64_t seed, const double *ic, float *obs) {
    probe *p = e->impl;
    (void)seed;
    *p = (probe){ic[0], ic[1], 0};
    probe_obs(p, obs);
    return RISE_OK;
}
static rise_status probe_step(rise_env *e, const float *a, float *obs, rise_env_step_info *out) {
    probe *p = e->impl;
    out->success = (uint8_t)(p->t == 1 && a[0] > 0.5f);
    out->reward = out->success;
    p->t++;
    probe_obs(p, obs);
    return RISE_OK;
}
static rise_status probe_perturb(rise_env *e, const double *d, float *obs) {
    probe *p = e->impl;
    p->x += d[0];
    p->y += d[1];
    probe_obs(p, obs);
    return RISE_OK;
}
/* the top-right cell of a 10x10 grid has no valid start */
static int probe_valid(const rise_env *e, const double *ic, char *why, size_t n) {
    (void)e;
    if (ic[0] > 0.8 && ic[1] > 0.8) {
        if (why) snprintf(why, n, "blocked corner");
        return 0;
    }
    return 1;
}
static void probe_get(const rise_env *e, double *s) {
    const probe *p = e->impl;
    s[0] = p->x;
    s[1] = p->y;
    s[2] = p->t;
}
static rise_status probe_set(rise_env *e, const double *s, float *obs) {
    probe *p = e->impl;
    *p = (probe){s[0], s[1], (int)s[2]};
    probe_obs(p, obs);
    return RISE_OK;
}
static void probe_destroy(rise_env *e) {
    free(e->impl);
    free(e);
}
static const rise_env_ops probe_ops = {probe_reset, probe_step, probe_perturb, probe_valid,
                                       probe_get,   probe_set,  NULL,          probe_destroy};

static rise_status probe_create(const void *settings, rise_env **out) {
    (void)settings;
    rise_env *e = calloc(1, sizeof *e);
    e->impl = calloc(1, sizeof(probe));
    e->ops = &probe_ops;
    rise_env_info_add_key(&e->info, "x", 1);
    rise_env_info_add_key(&e->info, "y", 1);
    rise_env_info_add_key(&e->info, "t", 1);
    e->info.act_dim = 1;
    e->info.state_dim = 3;
    e->info.perturb_dim = 2;
    e->info.horizon = 3;
    rise_env_ic_space *ic = &e->info.ic;
    ic->dim = 2;
    snprintf(ic->names[0], sizeof ic->names[0], "x");
    snprintf(ic->names[1], sizeof ic->names[1], "y");
    for (int d = 0; d < 2; ++d) {
        ic->eval_lo[d] = -1.0;
        ic->eval_hi[d] = 1.0;
        ic->expert_lo[d] = -1.0;
        ic->expert_hi[d] = -0.8;
    }
    ic->axis[0] = 0;
    ic->axis[1] = 1;
    *out = e;
    return RISE_OK;
}

static const rise_env_task probe_task = {"probe", NULL, 0, 0, probe_create};

/* ---- policies with known behaviour ---- */

typedef struct {
    long rows; /* rows acted on, summed over calls */
} sign_state;

/* +1 when the observed x < 0, else -1, for the whole chunk. */
static rise_status sign_act(rise_policy *p, int n, const float *obs, const rise_policy_ctx *ctx,
                            float *act) {
    (void)ctx;
    sign_state *s = p->impl;
    s->rows += n;
    for (int r = 0; r < n; ++r)
        for (int k = 0; k < p->chunk; ++k) act[r * p->chunk + k] = obs[r * 3] < 0.0f ? 1.0f : -1.0f;
    return RISE_OK;
}

static rise_policy sign_policy(sign_state *s, int chunk, int n_exec) {
    rise_policy p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "sign");
    p.obs_dim = 3;
    p.act_dim = 1;
    p.chunk = chunk;
    p.n_exec = n_exec;
    p.act = sign_act;
    p.impl = s;
    return p;
}

static void test_known_policy(void) {
    sign_state s = {0};
    rise_policy pol = sign_policy(&s, 4, 2);
    rise_coverage_opts o;
    rise_coverage_opts_default(&o);
    o.threads = 1; /* threads vs results: test_determinism */
    rise_coverage_result r;
    TEST_CHECK(rise_coverage_run("probe", NULL, &pol, &o, &r) == RISE_OK, "coverage: %s",
               rise_last_error());
    int cols_ok = 1;
    for (int j = 0; j < 10; ++j)
        for (int i = 0; i < 10; ++i) {
            const int c = j * 10 + i;
            if (i == 9 && j == 9)
                cols_ok &= r.n_trials[c] == 0 && isnan(r.rate[c]);
            else
                cols_ok &= r.n_trials[c] == 3 && r.n_success[c] == (i < 5 ? 3 : 0);
            cols_ok &= r.in_expert[c] == (c == 0);
        }
    TEST_CHECK(cols_ok, "cells with x < 0 succeed, the others fail, (9,9) is blocked");
    TEST_CHECK(r.cells_valid == 99 && r.cells_outside == 98 && r.episodes == 297 &&
                   r.successes == 150,
               "counts: %d valid, %d outside, %lld episodes, %lld successes", r.cells_valid,
               r.cells_outside, (long long)r.episodes, (long long)r.successes);
    TEST_CHECK(r.coverage == 50.0 / 99.0 && r.coverage_outside == 49.0 / 98.0 &&
                   r.success_rate == 150.0 / 297.0,
               "coverage %.6f (50/99), outside %.6f (49/98), success %.6f (150/297)", r.coverage,
               r.coverage_outside, r.success_rate);
    /* successes end at step 2 (one call of 2 actions); failures run the
     * horizon of 3 (calls at t=0 and t=2) */
    TEST_CHECK(r.steps == 150 * 2 + 147 * 3 && s.rows == 150 * 1 + 147 * 2,
               "steps %lld (741), policy rows %ld (444)", (long long)r.steps, s.rows);

    /* reports */
    const char *csv = "test_eval_cov.csv", *json = "test_eval_cov.json", *png = "test_eval_cov.png";
    TEST_CHECK(rise_coverage_write_csv(&r, csv) == RISE_OK, "csv: %s", rise_last_error());
    FILE *f = fopen(csv, "r");
    char line[512];
    int lines = 0, last_blank = 0, row0_ok = 0;
    while (f && fgets(line, sizeof line, f)) {
        ++lines;
        if (lines == 2) row0_ok = strcmp(line, "0,0,-1,-0.8,-1,-0.8,1,3,3,1.000000\n") == 0;
        last_blank = strcmp(line, "9,9,0.8,1,0.8,1,0,0,0,\n") == 0;
    }
    if (f) fclose(f);
    TEST_CHECK(lines == 101 && row0_ok && last_blank,
               "csv: header + 100 cells, blocked rate empty");
    TEST_CHECK(rise_coverage_write_json(&r, NULL, NULL, NULL, json) == RISE_OK, "json");
    f = fopen(json, "r");
    char *text = calloc(1, 1 << 16);
    if (f) {
        fread(text, 1, (1 << 16) - 1, f);
        fclose(f);
    }
    cJSON *root = cJSON_Parse(text);
    const cJSON *cov = cJSON_GetObjectItem(root, "coverage");
    const cJSON *rows = cJSON_GetObjectItem(root, "success_rate_by_cell");
    TEST_CHECK(cov && fabs(cov->valuedouble - 50.0 / 99.0) < 1e-12 &&
                   cJSON_IsNull(cJSON_GetArrayItem(cJSON_GetArrayItem(rows, 9), 9)) &&
                   cJSON_GetArrayItem(cJSON_GetArrayItem(rows, 0), 4)->valuedouble == 1.0,
               "json: coverage and cell rates");
    cJSON_Delete(root);
    free(text);

    TEST_CHECK(rise_coverage_write_png(&r, NULL, png) == RISE_OK, "png: %s", rise_last_error());
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    uint8_t *px = NULL;
    if (png_image_begin_read_from_file(&img, png)) {
        img.format = PNG_FORMAT_RGB;
        px = malloc(PNG_IMAGE_SIZE(img));
        png_image_finish_read(&img, NULL, px, 0, NULL);
    }
    TEST_CHECK(px && img.width == 504 && img.height == 504, "png is 10 cells of 48 px + margins");
    if (px) {
        /* cell (col i, row j) centre: x = 12 + 48 i + 24, y = 12 + 48 (9 - j) + 24 */
        const uint8_t *green = px + ((size_t)(12 + 48 * 9 + 24) * 504 + 12 + 48 * 1 + 24) * 3;
        const uint8_t *red = px + ((size_t)(12 + 48 * 6 + 24) * 504 + 12 + 48 * 7 + 24) * 3;
        const uint8_t *grey = px + ((size_t)(12 + 24) * 504 + 12 + 48 * 9 + 24) * 3;
        const uint8_t *blue = px + ((size_t)(12 + 48 * 9 + 24) * 504 + 12 + 1) * 3;
        TEST_CHECK(green[0] == 26 && green[1] == 152 && green[2] == 80, "success cell green");
        TEST_CHECK(red[0] == 215 && red[1] == 48 && red[2] == 39, "failure cell red");
        TEST_CHECK(grey[0] == 170 && grey[1] == 170 && grey[2] == 170, "blocked cell grey");
        TEST_CHECK(blue[2] == 230 && blue[0] == 20, "expert region outlined in blue");
    }
    free(px);

    FILE *t = tmpfile();
    rise_coverage_print_ascii(&r, t);
    rewind(t);
    char map[8192] = "";
    fread(map, 1, sizeof map - 1, t);
    fclose(t);
    TEST_CHECK(strstr(map, "|[@] @  @  @  @  .  .  .  .  . |") &&
                   strstr(map, "| @  @  @  @  @  .  .  .  .  x |") && strstr(map, "coverage 0.505"),
               "ascii map:\n%s", map);
    remove(csv);
    remove(json);
    remove(png);
    rise_coverage_result_free(&r);

    o.grid = 0;
    TEST_CHECK(rise_coverage_run("probe", NULL, &pol, &o, &r) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "grid 0"),
               "grid 0 refused: %s", rise_last_error());
}

static void test_robustness(void) {
    sign_state s = {0};
    rise_policy pol = sign_policy(&s, 1, 1);
    rise_robust_opts o;
    rise_robust_opts_default(&o);
    o.episodes = 200;
    o.from_eval_box = 1;
    o.threads = 1;
    o.plan.n_perturb = 1;
    o.plan.perturb_t[0] = 1;
    o.plan.distance = 1.0;
    rise_robust_result r;
    TEST_CHECK(rise_robust_run("probe", NULL, &pol, 42, &o, &r) == RISE_OK, "robust: %s",
               rise_last_error());
    int clean = 0, shoved = 0, both = 0, per_ep = 1;
    for (int i = 0; i < r.episodes; ++i) {
        double d[2];
        rise_perturb_delta(&r.plan, 2, (uint64_t)i, 0, d);
        const int c = r.ics[2 * i] < 0.0, p = r.ics[2 * i] + d[0] < 0.0;
        per_ep &= fabs(hypot(d[0], d[1]) - 1.0) < 1e-12;
        per_ep &= r.clean[i].success == c && r.perturbed[i].success == p &&
                  r.perturbed[i].n_perturbed == 1 && r.clean[i].n_perturbed == 0;
        clean += c;
        shoved += p;
        both += c && p;
    }
    TEST_CHECK(per_ep && r.clean_success == clean && r.perturbed_success == shoved &&
                   r.reached == 200 && r.recovery_rate == shoved / 200.0 && clean != shoved,
               "recovery follows the displaced x (clean %d, perturbed %d of 200)", clean, shoved);
    TEST_CHECK(r.clean_reached == clean && r.clean_reached_success == both && both > 0 &&
                   both < clean && r.recovery_given_clean_rate == (double)both / clean,
               "recovery given clean success pairs the runs by start (%d of %d)", both, clean);
    rise_robust_result_free(&r);
    o.plan.perturb_t[0] = 5; /* after the horizon: never applied */
    rise_robust_run("probe", NULL, &pol, 42, &o, &r);
    TEST_CHECK(r.reached == 0 && r.recovery_rate == 0.0 && r.perturbed_success == r.clean_success,
               "a perturbation after the episode's end is never applied");
    rise_robust_result_free(&r);
}

/* Maze: the planner from starts with x < 0, standing still elsewhere. */
typedef struct {
    rise_policy *planner;
    float start_x[1024];
} half_state;

static rise_status half_act(rise_policy *p, int n, const float *obs, const rise_policy_ctx *ctx,
                            float *act) {
    half_state *h = p->impl;
    RISE_TRY(h->planner->act(h->planner, n, obs, ctx, act));
    for (int r = 0; r < n; ++r) {
        if (ctx->t[r] == 0) h->start_x[ctx->keys[r]] = obs[r * p->obs_dim];
        if (h->start_x[ctx->keys[r]] >= 0.0f) act[2 * r] = act[2 * r + 1] = 0.0f;
    }
    return RISE_OK;
}

static void test_maze_half(void) {
    rise_env *e;
    rise_env_create("maze", NULL, &e);
    half_state h;
    rise_policy_create("planner", e, 0, &h.planner);
    rise_policy pol = *h.planner;
    snprintf(pol.name, sizeof pol.name, "half");
    pol.act = half_act;
    pol.impl = &h;
    rise_coverage_opts o;
    rise_coverage_opts_default(&o);
    o.threads = 1;
    rise_coverage_result r;
    TEST_CHECK(rise_coverage_run("maze", NULL, &pol, &o, &r) == RISE_OK, "maze coverage: %s",
               rise_last_error());
    TEST_CHECK(r.cells_valid == 100 && r.coverage == 0.5 && r.successes == 150 &&
                   r.cells_outside == 96 && r.coverage_outside == 46.0 / 96.0,
               "maze: coverage %.4f (0.5), outside %.4f (46/96), successes %lld (150)", r.coverage,
               r.coverage_outside, (long long)r.successes);
    rise_coverage_result_free(&r);
    rise_policy_destroy(h.planner);
    rise_env_destroy(e);
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    char *buf = calloc(1, 1 << 16);
    if (f) {
        fread(buf, 1, (1 << 16) - 1, f);
        fclose(f);
    }
    return buf;
}

static void test_determinism(void) {
    rise_env *e;
    rise_env_create("maze", NULL, &e);
    rise_policy *pol;
    rise_policy_create("random", e, 3, &pol);
    rise_coverage_opts o;
    rise_coverage_opts_default(&o);
    o.grid = 6;
    o.trials = 2;
    o.seed = 9;
    rise_coverage_result a, b;
    o.threads = 1;
    o.pool_size = 5;
    rise_coverage_run("maze", NULL, pol, &o, &a);
    o.threads = 2;
    o.pool_size = 0;
    rise_coverage_run("maze", NULL, pol, &o, &b);
    TEST_CHECK(memcmp(a.n_success, b.n_success, sizeof(int) * 36) == 0 && a.steps == b.steps &&
                   a.successes > 0,
               "same seed: same results with 1 thread/5 envs and 2 threads/all envs (%lld "
               "successes)",
               (long long)a.successes);
    rise_coverage_write_json(&a, NULL, "{\"env_name\": \"maze\"}", NULL, "test_eval_det_a.json");
    rise_coverage_write_json(&b, NULL, "{\"env_name\": \"maze\"}", NULL, "test_eval_det_b.json");
    char *ja = slurp("test_eval_det_a.json"), *jb = slurp("test_eval_det_b.json");
    TEST_CHECK(strlen(ja) > 100 && strcmp(ja, jb) == 0, "JSON reports are byte-identical");
    free(ja);
    free(jb);
    remove("test_eval_det_a.json");
    remove("test_eval_det_b.json");
    rise_coverage_result_free(&b);
    o.seed = 10;
    rise_coverage_run("maze", NULL, pol, &o, &b);
    TEST_CHECK(a.steps != b.steps, "another seed, other episodes");
    rise_coverage_result_free(&a);
    rise_coverage_result_free(&b);
    rise_policy *bad = NULL;
    TEST_CHECK(rise_policy_create("dqn", e, 0, &bad) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "expert") && bad == NULL,
               "unknown policy names the known ones: %s", rise_last_error());
    rise_policy_destroy(pol);
    rise_env_destroy(e);
}

int main(void) {
    if (rise_env_register_task(&probe_task) != RISE_OK) {
        fprintf(stderr, "FAIL: %s\n", rise_last_error());
        return 1;
    }
    test_known_policy();
    test_robustness();
    test_maze_half();
    test_determinism();
    return test_finish();
}
