/* bench_envs.c - env step throughput: the maze's raw dynamics and checked
 * env steps on one core, the env pool on one and on all cores (chunks of 1
 * and 8 actions per parallel call), and an end-to-end coverage run of the
 * scripted expert; with MuJoCo also the push and square tasks' checked env
 * steps against raw mj_step on the same model, and square's scripted
 * expert run end to end (policy and env, one thread). Actions come from a
 * precomputed Philox table so the generator is not timed. Validates first
 * (same actions -> identical trajectory, state finite and inside the
 * arena), then warms up, then reports the median of `reps` timed runs.
 * Exits 1 on a wrong result.
 *   build/benchmarks/bench_envs [--quick] [--threads N] [--json envs.json] */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envs/coverage.h"
#include "envs/env_pool.h"
#include "envs/maze.h"
#include "host/progress.h"
#include "kernels/philox.h"
#ifdef RISE_WITH_MUJOCO
#include <mujoco/mujoco.h>

#include "envs/policy.h"
#include "envs/push.h"
#include "envs/square.h"
#endif

#define TABLE    65536 /* random actions */
#define SETTINGS "{\"horizon\": 1000000, \"goal_radius\": 0.01}"

static float actions[TABLE * 2];

typedef struct {
    char name[48];
    int threads;
    double steps_per_s; /* median */
    long steps;         /* per timed run */
} row;

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* ---- the cases; each returns steps taken ---- */

static long raw_steps(rise_maze *m, long n) {
    for (long t = 0; t < n; ++t) {
        const float *a = actions + 2 * (t & (TABLE - 1));
        if (rise_maze_advance(m, a[0], a[1])) { /* rare: a random walk into the tiny goal */
            m->px = -0.8;
            m->py = -0.8;
        }
    }
    return n;
}

static long env_steps(rise_env *e, long n) {
    float obs[8];
    rise_env_step_info si;
    const double ic[2] = {-0.8, -0.8};
    for (long t = 0; t < n; ++t) {
        if (e->done) rise_env_reset(e, 0, ic, obs);
        if (rise_env_step(e, actions + 2 * (t & (TABLE - 1)), obs, &si) != RISE_OK) return -1;
    }
    return n;
}

typedef struct {
    rise_env_pool *pool;
    int chunk, rounds;
    float *acts, *obs;
    int *n_exec, *steps;
    uint8_t *done;
} pool_case;

static long pool_steps(pool_case *c) {
    const int P = rise_env_pool_size(c->pool);
    const rise_env_pool_result res = {NULL, c->steps, NULL, c->done, NULL};
    long total = 0;
    for (int r = 0; r < c->rounds; ++r) {
        /* the policy's part: write this round's actions (a different slice each round) */
        const size_t off = (size_t)r * 7919u, n = (size_t)P * c->chunk * 2;
        for (size_t i = 0; i < n; ++i) c->acts[i] = actions[(off + i) & (2 * TABLE - 1)];
        if (rise_env_pool_step(c->pool, c->acts, c->chunk, c->n_exec, c->obs, &res) != RISE_OK)
            return -1;
        for (int i = 0; i < P; ++i) {
            total += c->steps[i];
            if (c->done[i]) { /* rare: a random walk into the tiny goal */
                const double ic[2] = {-0.8, -0.8};
                rise_env_reset(rise_env_pool_env(c->pool, i), 0, ic, c->obs + (size_t)i * 6);
            }
        }
    }
    return total;
}

#ifdef RISE_WITH_MUJOCO
/* push: checked env steps (substeps mj_steps each) from a fixed start. */
static long push_env_steps(rise_env *e, long n) {
    float obs[RISE_PUSH_OBS_DIM];
    rise_env_step_info si;
    const double ic[3] = {0.1, 0.1, 0.3};
    for (long t = 0; t < n; ++t) {
        if (e->done || !e->started) rise_env_reset(e, 0, ic, obs);
        if (rise_env_step(e, actions + 2 * (t & (TABLE - 1)), obs, &si) != RISE_OK) return -1;
    }
    return n;
}

/* push: raw mj_step on the env's own model and data, the same ctrl. */
static long push_raw_steps(const mjModel *m, mjData *d, long n, double max_speed) {
    for (long t = 0; t < n; ++t) {
        const float *a = actions + 2 * ((t / 10) & (TABLE - 1));
        d->ctrl[0] = a[0] * max_speed;
        d->ctrl[1] = a[1] * max_speed;
        mj_step(m, d);
        if ((t & 4095) == 4095) { /* keep the pusher on the table */
            d->qpos[0] = d->qpos[1] = 0.0;
            mj_forward(m, d);
        }
    }
    return n;
}

/* square: checked env steps (substeps mj_steps each) from a fixed start;
 * 4-dim actions from the table. */
static long square_env_steps(rise_env *e, long n) {
    float obs[RISE_SQUARE_OBS_DIM];
    rise_env_step_info si;
    const double ic[2] = {-0.1125, 0.17};
    for (long t = 0; t < n; ++t) {
        if (e->done || !e->started) rise_env_reset(e, 0, ic, obs);
        if (rise_env_step(e, actions + 4 * (t & (TABLE / 2 - 1)), obs, &si) != RISE_OK) return -1;
    }
    return n;
}

/* square: raw mj_step on the env's own model and data, gripper velocity
 * and finger targets from the same table. */
static long square_raw_steps(const mjModel *m, mjData *d, long n, double max_speed) {
    for (long t = 0; t < n; ++t) {
        const float *a = actions + 4 * ((t / 5) & (TABLE / 2 - 1));
        for (int i = 0; i < 3; ++i) d->ctrl[i] = a[i] * max_speed;
        d->ctrl[3] = d->ctrl[4] = a[3] > 0.0f ? 0.0 : 0.04;
        mj_step(m, d);
        if ((t & 4095) == 4095) { /* keep the gripper over the table */
            d->qpos[0] = d->qpos[1] = 0.0;
            d->qpos[2] = 0.15;
            mj_forward(m, d);
        }
    }
    return n;
}

/* square: the scripted expert's episodes from its box, policy included;
 * returns steps, *successes counts the successful episodes. */
static long square_expert_steps(rise_env *e, rise_policy *p, int episodes, int *successes) {
    float obs[RISE_SQUARE_OBS_DIM], a[RISE_SQUARE_ACT_DIM];
    long steps = 0;
    *successes = 0;
    for (int k = 0; k < episodes; ++k) {
        double ic[2];
        rise_env_sample_expert_ic(e, 7, (uint64_t)k, ic);
        rise_env_reset(e, 0, ic, obs);
        rise_env_step_info si = {0};
        uint64_t key = (uint64_t)k;
        int t = 0;
        const rise_policy_ctx ctx = {&key, &t, NULL};
        for (; !si.done; ++t) {
            p->act(p, 1, obs, &ctx, a);
            if (rise_env_step(e, a, obs, &si) != RISE_OK) return -1;
        }
        steps += t;
        *successes += si.success;
    }
    return steps;
}
#endif

/* ---- validation ---- */

static int validate(void) {
    rise_env *a, *b;
    if (rise_env_create("maze", SETTINGS, &a) || rise_env_create("maze", SETTINGS, &b)) return 0;
    const double ic[2] = {-0.8, -0.8};
    float oa[8], ob[8];
    rise_env_reset(a, 0, ic, oa);
    rise_env_reset(b, 0, ic, ob);
    int ok = env_steps(a, 20000) == 20000 && env_steps(b, 20000) == 20000;
    const rise_maze *ma = rise_maze_of(a), *mb = rise_maze_of(b);
    ok &= ma->px == mb->px && ma->py == mb->py && ma->vx == mb->vx && ma->vy == mb->vy;
    ok &= isfinite(ma->px) && fabs(ma->px) < 1.0 && fabs(ma->py) < 1.0;
    ok &= rise_maze_point_free(ma, ma->px, ma->py);
    rise_env_destroy(a);
    rise_env_destroy(b);
    return ok;
}

int main(int argc, char **argv) {
    int quick = 0, threads = omp_get_max_threads();
    const char *json = NULL;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json") && i + 1 < argc)
            json = argv[++i];
        else {
            printf("usage: bench_envs [--quick] [--threads N] [--json FILE]\n"
                   "Maze steps/s: raw dynamics, checked env step, env pool on 1 and N threads,\n"
                   "and a 10x10x3 coverage run of the scripted expert.\n");
            return !strcmp(argv[i], "--help") ? 0 : 2;
        }
    }
    if (threads < 1) threads = 1;
    for (int i = 0; i < TABLE * 2; ++i)
        actions[i] = 2.0f * rise_rng_uniform(2024, 0, 0, (uint64_t)i) - 1.0f;
    if (!validate()) {
        fprintf(stderr, "bench_envs: validation failed (trajectories differ or state invalid)\n");
        return 1;
    }
    const int reps = quick ? 3 : 5;
    const long n1 = quick ? 200000 : 2000000;
    row rows[16];
    int nr = 0, bad = 0;
    double t[16];

    rise_env *e;
    rise_env_create("maze", SETTINGS, &e);
    const double ic[2] = {-0.8, -0.8};
    float obs[8];
    rise_env_reset(e, 0, ic, obs);
    rise_maze m = *rise_maze_of(e);
    raw_steps(&m, n1 / 10); /* warm-up */
    for (int r = 0; r < reps; ++r) {
        const double t0 = rise_progress_now();
        raw_steps(&m, n1);
        t[r] = n1 / (rise_progress_now() - t0);
    }
    rows[nr++] = (row){"maze raw dynamics", 1, median(t, reps), n1};
    env_steps(e, n1 / 10);
    for (int r = 0; r < reps; ++r) {
        const double t0 = rise_progress_now();
        bad |= env_steps(e, n1) != n1;
        t[r] = n1 / (rise_progress_now() - t0);
    }
    rows[nr++] = (row){"maze env step (checked)", 1, median(t, reps), n1};
    rise_env_destroy(e);

    const int thread_counts[2] = {1, threads};
    for (int ti = 0; ti < (threads > 1 ? 2 : 1); ++ti) {
        const int T = thread_counts[ti];
        for (int chunk = 1; chunk <= 8; chunk += 7) {
            pool_case c = {0};
            const int P = 256 * T;
            if (rise_env_pool_create(&c.pool, "maze", SETTINGS, P, T) != RISE_OK) {
                fprintf(stderr, "bench_envs: %s\n", rise_last_error());
                return 1;
            }
            c.chunk = chunk;
            c.rounds = (int)(n1 * T / ((long)P * chunk));
            if (c.rounds < 4) c.rounds = 4;
            c.obs = calloc((size_t)P * 6, sizeof(float));
            c.acts = malloc(sizeof(float) * (size_t)P * chunk * 2);
            c.n_exec = malloc(sizeof(int) * P);
            c.steps = calloc((size_t)P, sizeof(int));
            c.done = calloc((size_t)P, 1);
            for (int i = 0; i < P; ++i) c.n_exec[i] = chunk;
            double *ics = malloc(sizeof(double) * 2 * P);
            for (int i = 0; i < P; ++i) {
                ics[2 * i] = -0.8;
                ics[2 * i + 1] = -0.8;
            }
            rise_env_pool_reset(c.pool, NULL, NULL, ics, c.obs);
            pool_steps(&c); /* warm-up */
            long steps = 0;
            for (int r = 0; r < reps; ++r) {
                const double t0 = rise_progress_now();
                steps = pool_steps(&c);
                bad |= steps <= 0;
                t[r] = steps / (rise_progress_now() - t0);
            }
            row rw = {"", T, median(t, reps), steps};
            snprintf(rw.name, sizeof rw.name, "maze pool, %d envs, chunk %d", P, chunk);
            rows[nr++] = rw;
            free(ics);
            free(c.obs);
            free(c.acts);
            free(c.n_exec);
            free(c.steps);
            free(c.done);
            rise_env_pool_destroy(c.pool);
        }
    }

#ifdef RISE_WITH_MUJOCO
    {
        /* push: one env step = 10 mj_steps (the default substeps) */
        rise_env *pe;
        if (rise_env_create("push", NULL, &pe) != RISE_OK) {
            fprintf(stderr, "bench_envs: %s\n", rise_last_error());
            return 1;
        }
        const long np = quick ? 2000 : 20000;
        push_env_steps(pe, np / 10);
        for (int r = 0; r < reps; ++r) {
            const double t0 = rise_progress_now();
            bad |= push_env_steps(pe, np) != np;
            t[r] = np / (rise_progress_now() - t0);
        }
        rows[nr++] = (row){"push env step (checked, 10 mj_step)", 1, median(t, reps), np};
        const mjModel *pm = rise_push_mj_model(pe);
        mjData *pd = rise_push_mj_data(pe);
        push_raw_steps(pm, pd, np, 0.25);
        for (int r = 0; r < reps; ++r) {
            const double t0 = rise_progress_now();
            push_raw_steps(pm, pd, np * 10, 0.25);
            t[r] = np * 10 / (rise_progress_now() - t0);
        }
        rows[nr++] = (row){"push raw mj_step", 1, median(t, reps), np * 10};
        bad |= !isfinite(pd->qpos[0]);
        rise_env_destroy(pe);
    }
    {
        /* square: one env step = 5 mj_steps (the default substeps) */
        rise_env *se;
        rise_policy *sp;
        if (rise_env_create("square", NULL, &se) != RISE_OK ||
            rise_policy_create("expert", se, 0, &sp) != RISE_OK) {
            fprintf(stderr, "bench_envs: %s\n", rise_last_error());
            return 1;
        }
        const long ns = quick ? 2000 : 20000;
        square_env_steps(se, ns / 10);
        for (int r = 0; r < reps; ++r) {
            const double t0 = rise_progress_now();
            bad |= square_env_steps(se, ns) != ns;
            t[r] = ns / (rise_progress_now() - t0);
        }
        rows[nr++] = (row){"square env step (checked, 5 mj)", 1, median(t, reps), ns};
        const mjModel *sm = rise_square_mj_model(se);
        mjData *sd = rise_square_mj_data(se);
        square_raw_steps(sm, sd, ns, 0.25);
        for (int r = 0; r < reps; ++r) {
            const double t0 = rise_progress_now();
            square_raw_steps(sm, sd, ns * 5, 0.25);
            t[r] = ns * 5 / (rise_progress_now() - t0);
        }
        rows[nr++] = (row){"square raw mj_step", 1, median(t, reps), ns * 5};
        bad |= !isfinite(sd->qpos[0]);
        const int ne = quick ? 10 : 50;
        long steps = 0;
        int succ = 0;
        for (int r = 0; r < reps; ++r) {
            const double t0 = rise_progress_now();
            steps = square_expert_steps(se, sp, ne, &succ);
            t[r] = steps / (rise_progress_now() - t0);
            bad |= steps <= 0 || succ < ne * 95 / 100;
        }
        rows[nr++] = (row){"square expert (policy + env)", 1, median(t, reps), steps};
        rise_policy_destroy(sp);
        rise_env_destroy(se);
    }
#endif

    /* end to end: the expert's 10x10x3 coverage map (policy + pool + bookkeeping) */
    rise_env_create("maze", NULL, &e);
    rise_policy *pol;
    rise_policy_create("expert", e, 0, &pol);
    rise_coverage_opts co;
    rise_coverage_opts_default(&co);
    co.threads = threads;
    rise_coverage_result cr;
    long cov_steps = 0;
    for (int r = 0; r < reps; ++r) {
        if (rise_coverage_run("maze", NULL, pol, &co, &cr) != RISE_OK) {
            fprintf(stderr, "bench_envs: %s\n", rise_last_error());
            return 1;
        }
        bad |= cr.successes == 0;
        cov_steps = (long)cr.steps;
        t[r] = cr.steps / cr.seconds;
        rise_coverage_result_free(&cr);
    }
    rows[nr] = (row){"", threads, median(t, reps), cov_steps};
    snprintf(rows[nr++].name, sizeof rows[0].name, "coverage 10x10x3, expert");
    rise_policy_destroy(pol);
    rise_env_destroy(e);

    printf("%-34s %8s %14s %12s\n", "case", "threads", "steps/s", "steps/run");
    for (int i = 0; i < nr; ++i)
        printf("%-34s %8d %14.4g %12ld\n", rows[i].name, rows[i].threads, rows[i].steps_per_s,
               rows[i].steps);
    if (json) {
        FILE *f = fopen(json, "w");
        if (!f) {
            fprintf(stderr, "bench_envs: cannot write %s\n", json);
            return 1;
        }
        fprintf(f, "{\"benchmark\": \"envs\", \"reps\": %d, \"cases\": [\n", reps);
        for (int i = 0; i < nr; ++i)
            fprintf(
                f,
                "  {\"case\": \"%s\", \"threads\": %d, \"steps_per_s\": %.6g, \"steps\": %ld}%s\n",
                rows[i].name, rows[i].threads, rows[i].steps_per_s, rows[i].steps,
                i + 1 < nr ? "," : "");
        fprintf(f, "]}\n");
        fclose(f);
    }
    if (bad) fprintf(stderr, "bench_envs: a timed run returned a wrong result\n");
    return bad ? 1 : 0;
}
