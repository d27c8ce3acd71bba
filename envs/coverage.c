/* coverage.c - the coverage grid and robustness evaluators (coverage.h). */
#include "coverage.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "host/progress.h"

void rise_coverage_opts_default(rise_coverage_opts *o) {
    o->grid = 10;
    o->trials = 3;
    o->seed = 0;
    o->pool_size = 0;
    o->threads = 0;
    o->progress = 0;
    o->max_tries = 200;
}

void rise_robust_opts_default(rise_robust_opts *o) {
    memset(o, 0, sizeof *o);
    o->episodes = 100;
    o->plan.n_perturb = 1;
    o->plan.perturb_t[0] = 20;
    o->plan.distance = 0.3;
}

/* Progress over one or more rollout passes: episodes done + offset. */
typedef struct {
    rise_progress *p;
    long offset;
} progress_pass;

static void progress_cb(void *ctx, int64_t done, int64_t total) {
    (void)total;
    const progress_pass *pp = ctx;
    rise_progress_update(pp->p, pp->offset + (long)done);
}

static rise_status make_pool(const char *task, const char *settings, int pool_size, int threads,
                             int64_t n, rise_env_pool **pool) {
    const int T = threads > 0 ? threads : omp_get_max_threads();
    int64_t P = pool_size > 0 ? pool_size : 64 * (int64_t)T;
    if (P > n) P = n;
    return rise_env_pool_create(pool, task, settings, (int)P, T);
}

static int64_t sum_steps(const rise_episode_result *r, int64_t n) {
    int64_t s = 0;
    for (int64_t i = 0; i < n; ++i) s += r[i].steps;
    return s;
}

rise_status rise_coverage_run(const char *task, const char *settings_json, rise_policy *pol,
                              const rise_coverage_opts *o, rise_coverage_result *r) {
    memset(r, 0, sizeof *r);
    if (o->grid < 1 || o->grid > 1000)
        return rise_error(RISE_ERR_INVALID, "coverage: grid %d, expected 1..1000", o->grid);
    if (o->trials < 1 || o->trials > 100000)
        return rise_error(RISE_ERR_INVALID, "coverage: trials %d, expected >= 1", o->trials);
    if (o->max_tries < 1)
        return rise_error(RISE_ERR_INVALID, "coverage: max_tries %d, expected >= 1", o->max_tries);
    rise_env *env;
    RISE_TRY(rise_env_create(task, settings_json, &env));
    const rise_env_ic_space *s = &env->info.ic;
    const int G = o->grid, K = o->trials, C = s->dim, ax0 = s->axis[0], ax1 = s->axis[1];
    const int64_t cells = (int64_t)G * G, n = cells * K;
    snprintf(r->task, sizeof r->task, "%s", env->info.task);
    snprintf(r->policy, sizeof r->policy, "%s", pol->name);
    r->grid = G;
    r->trials = K;
    r->seed = o->seed;
    for (int a = 0; a < 2; ++a) {
        const int d = s->axis[a];
        snprintf(r->axis_name[a], sizeof r->axis_name[a], "%s", s->names[d]);
        r->lo[a] = s->eval_lo[d];
        r->hi[a] = s->eval_hi[d];
        r->expert_lo[a] = s->expert_lo[d];
        r->expert_hi[a] = s->expert_hi[d];
    }
    r->n_trials = calloc((size_t)cells, sizeof *r->n_trials);
    r->n_success = calloc((size_t)cells, sizeof *r->n_success);
    r->rate = calloc((size_t)cells, sizeof *r->rate);
    r->in_expert = calloc((size_t)cells, 1);
    double *ics = calloc((size_t)n * C, sizeof *ics);
    uint64_t *keys = calloc((size_t)n, sizeof *keys);
    int64_t *cell_of = calloc((size_t)n, sizeof *cell_of);
    rise_episode_result *res = calloc((size_t)n, sizeof *res);
    rise_status st = RISE_OK;
    if (!r->n_trials || !r->n_success || !r->rate || !r->in_expert || !ics || !keys || !cell_of ||
        !res)
        st = rise_error(RISE_ERR_NOMEM, "out of memory for a %dx%d coverage grid", G, G);

    /* Jittered valid starts for every (cell, trial). */
    int64_t m = 0;
    const double w0 = (r->hi[0] - r->lo[0]) / G, w1 = (r->hi[1] - r->lo[1]) / G;
    for (int64_t c = 0; st == RISE_OK && c < cells; ++c) {
        const int i = (int)(c % G), j = (int)(c / G);
        double lo[RISE_ENV_MAX_IC], hi[RISE_ENV_MAX_IC];
        memcpy(lo, s->eval_lo, sizeof lo);
        memcpy(hi, s->eval_hi, sizeof hi);
        lo[ax0] = r->lo[0] + i * w0;
        hi[ax0] = i == G - 1 ? r->hi[0] : r->lo[0] + (i + 1) * w0;
        lo[ax1] = r->lo[1] + j * w1;
        hi[ax1] = j == G - 1 ? r->hi[1] : r->lo[1] + (j + 1) * w1;
        r->in_expert[c] = (uint8_t)(lo[ax0] < r->expert_hi[0] && hi[ax0] > r->expert_lo[0] &&
                                    lo[ax1] < r->expert_hi[1] && hi[ax1] > r->expert_lo[1]);
        for (int k = 0; k < K; ++k) {
            const uint64_t key = (uint64_t)c * K + k;
            if (rise_env_sample_ic(env, lo, hi, o->seed, RISE_STREAM_ENV_EVAL, key, o->max_tries,
                                   ics + m * C) != RISE_OK) {
                rise_error_clear();
                continue;
            }
            keys[m] = key;
            cell_of[m++] = c;
        }
    }

    rise_env_pool *pool = NULL;
    if (st == RISE_OK && m > 0)
        st = make_pool(task, settings_json, o->pool_size, o->threads, m, &pool);
    rise_progress prog;
    if (o->progress) {
        char label[96];
        snprintf(label, sizeof label, "coverage %s/%s", r->task, r->policy);
        rise_progress_init(&prog, stderr, label, (long)m);
        rise_progress_set_unit(&prog, "episodes");
    }
    progress_pass pass = {&prog, 0};
    const double t0 = rise_progress_now();
    if (st == RISE_OK && m > 0)
        st = rise_rollout(pool, pol, m, ics, keys, NULL, res, o->progress ? progress_cb : NULL,
                          &pass);
    r->seconds = rise_progress_now() - t0;
    if (o->progress) rise_progress_finish(&prog);
    rise_env_pool_destroy(pool);

    if (st == RISE_OK) {
        for (int64_t e = 0; e < m; ++e) {
            r->n_trials[cell_of[e]]++;
            r->n_success[cell_of[e]] += res[e].success;
        }
        r->steps = sum_steps(res, m);
        int covered = 0, covered_out = 0;
        for (int64_t c = 0; c < cells; ++c) {
            if (r->n_trials[c] == 0) {
                r->rate[c] = NAN;
                continue;
            }
            r->rate[c] = (double)r->n_success[c] / r->n_trials[c];
            r->episodes += r->n_trials[c];
            r->successes += r->n_success[c];
            r->cells_valid++;
            covered += r->rate[c] >= 0.5;
            if (!r->in_expert[c]) {
                r->cells_outside++;
                covered_out += r->rate[c] >= 0.5;
            }
        }
        r->success_rate = r->episodes ? (double)r->successes / r->episodes : 0.0;
        r->coverage = r->cells_valid ? (double)covered / r->cells_valid : 0.0;
        r->coverage_outside = r->cells_outside ? (double)covered_out / r->cells_outside : 0.0;
    }
    free(ics);
    free(keys);
    free(cell_of);
    free(res);
    rise_env_destroy(env);
    if (st != RISE_OK) rise_coverage_result_free(r);
    return st;
}

void rise_coverage_result_free(rise_coverage_result *r) {
    free(r->n_trials);
    free(r->n_success);
    free(r->rate);
    free(r->in_expert);
    r->n_trials = r->n_success = NULL;
    r->rate = NULL;
    r->in_expert = NULL;
}

rise_status rise_robust_run(const char *task, const char *settings_json, rise_policy *pol,
                            uint64_t seed, const rise_robust_opts *o, rise_robust_result *r) {
    memset(r, 0, sizeof *r);
    if (o->episodes < 1)
        return rise_error(RISE_ERR_INVALID, "robustness: %d episodes, expected >= 1", o->episodes);
    if (!(o->plan.distance >= 0.0) || o->plan.n_perturb < 1 || o->plan.n_perturb > RISE_MAX_PERTURB)
        return rise_error(RISE_ERR_INVALID,
                          "robustness: %d perturbations of distance %g; expected 1..%d and a "
                          "distance >= 0",
                          o->plan.n_perturb, o->plan.distance, RISE_MAX_PERTURB);
    rise_env *env;
    RISE_TRY(rise_env_create(task, settings_json, &env));
    const int n = o->episodes, C = env->info.ic.dim;
    r->episodes = n;
    r->plan = o->plan;
    r->plan.seed = seed;
    r->from_eval_box = o->from_eval_box;
    r->ic_dim = C;
    r->ics = calloc((size_t)n * C, sizeof *r->ics);
    r->clean = calloc((size_t)n, sizeof *r->clean);
    r->perturbed = calloc((size_t)n, sizeof *r->perturbed);
    uint64_t *keys = calloc((size_t)n, sizeof *keys);
    rise_status st = RISE_OK;
    if (!r->ics || !r->clean || !r->perturbed || !keys)
        st = rise_error(RISE_ERR_NOMEM, "out of memory");
    const rise_env_ic_space *s = &env->info.ic;
    for (int i = 0; st == RISE_OK && i < n; ++i) {
        keys[i] = (uint64_t)i;
        st = rise_env_sample_ic(env, o->from_eval_box ? NULL : s->expert_lo,
                                o->from_eval_box ? NULL : s->expert_hi, seed, RISE_STREAM_ENV_EVAL,
                                keys[i], 1000, r->ics + (size_t)i * C);
    }
    rise_env_pool *pool = NULL;
    if (st == RISE_OK) st = make_pool(task, settings_json, o->pool_size, o->threads, n, &pool);
    rise_progress prog;
    if (o->progress) {
        char label[96];
        snprintf(label, sizeof label, "robustness %s/%s", env->info.task, pol->name);
        rise_progress_init(&prog, stderr, label, 2L * n);
        rise_progress_set_unit(&prog, "episodes");
    }
    progress_pass clean = {&prog, 0}, shoved = {&prog, n};
    const double t0 = rise_progress_now();
    if (st == RISE_OK)
        st = rise_rollout(pool, pol, n, r->ics, keys, NULL, r->clean,
                          o->progress ? progress_cb : NULL, &clean);
    if (st == RISE_OK)
        st = rise_rollout(pool, pol, n, r->ics, keys, &r->plan, r->perturbed,
                          o->progress ? progress_cb : NULL, &shoved);
    r->seconds = rise_progress_now() - t0;
    if (o->progress) rise_progress_finish(&prog);
    rise_env_pool_destroy(pool);
    if (st == RISE_OK) {
        for (int i = 0; i < n; ++i) {
            r->clean_success += r->clean[i].success;
            r->perturbed_success += r->perturbed[i].success;
            if (r->perturbed[i].n_perturbed == r->plan.n_perturb) {
                r->reached++;
                r->reached_success += r->perturbed[i].success;
                r->clean_reached += r->clean[i].success;
                r->clean_reached_success += r->clean[i].success && r->perturbed[i].success;
            }
        }
        r->steps = sum_steps(r->clean, n) + sum_steps(r->perturbed, n);
        r->clean_rate = (double)r->clean_success / n;
        r->perturbed_rate = (double)r->perturbed_success / n;
        r->recovery_rate = r->reached ? (double)r->reached_success / r->reached : 0.0;
        r->recovery_given_clean_rate =
            r->clean_reached ? (double)r->clean_reached_success / r->clean_reached : 0.0;
    }
    free(keys);
    rise_env_destroy(env);
    if (st != RISE_OK) rise_robust_result_free(r);
    return st;
}

void rise_robust_result_free(rise_robust_result *r) {
    free(r->clean);
    free(r->perturbed);
    free(r->ics);
    r->clean = r->perturbed = NULL;
    r->ics = NULL;
}
