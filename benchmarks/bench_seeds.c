/* bench_seeds.c - total training throughput of S independent agents in one process
 * (train.seeds), as `rise train --set train.seeds=[0..S-1]` steps them.
 *
 *   build/benchmarks/bench_seeds --config paper_repro/configs/maze_rise.json
 *                                [--seeds 1,4,16] [--steps N] [--warmup W]
 *                                [--seed-threads T] [--backend cpu|ref|cuda]
 *                                [--set KEY=VALUE ...] [--json FILE]
 *
 * For each S: one training set from the config's "data" (relabelled pairs built once and
 * shared), S agents with seeds 0..S-1, each on a backend of its own, stepped by the worker
 * threads of algorithms/seed_pool.h under the same threads-per-seed policy as `rise train`
 * (rise_seed_pool_plan; --seed-threads sets train.seed_threads, 0 = the default policy).
 * W warm-up steps per agent, then N timed steps per agent; reported: wall seconds, total
 * steps/s (S x N / wall), per-seed steps/s, process CPU seconds per step and the speed-up
 * of the total over S = 1. No logs or checkpoints are written: this is the step loop alone.
 * Validation: every agent's losses read back at the end must be finite (exit 1 otherwise).
 * The first line names the processor (model, vector extensions, threads). */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "algorithms/agent_config.h"
#include "algorithms/seed_pool.h"
#include "algorithms/train_config.h"
#include "host/cpu_info.h"
#include "host/runtime.h"

#define MAX_CASES 16
#define MAX_SETS  64

static double now(clockid_t id) {
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct {
    int seeds, workers, omp_per, steps;
    double wall, cpu, total_per_s;
} result;

/* S agents: create, warm up, time, validate. RISE_OK or the failure. */
static rise_status run_case(const rise_train_config *cfg, const rise_trainset *ts, int n,
                            int warmup, int steps, int seed_threads, result *res) {
    rise_backend **be = calloc((size_t)n, sizeof *be);
    rise_agent **ag = calloc((size_t)n, sizeof *ag);
    rise_seed_job *jobs = calloc((size_t)n, sizeof *jobs);
    rise_seed_pool *pool = NULL;
    rise_status st = be && ag && jobs ? RISE_OK : rise_error(RISE_ERR_NOMEM, "out of memory");
    for (int i = 0; st == RISE_OK && i < n; ++i) {
        rise_train_config c = *cfg;
        c.train_seed = i;
        rise_agent_config ac;
        be[i] = rise_backend_create(c.train_backend, &st);
        if (!be[i]) break;
        st = rise_backend_set_precision_name(be[i], c.train_precision);
        if (st == RISE_OK)
            st = rise_agent_config_from_train(&c, (int)ts->obs_dim, (int)ts->act_dim, 0, NULL, &ac);
        if (st == RISE_OK) st = rise_agent_create(&ac, be[i], &ts->norm, &ag[i]);
        if (st == RISE_OK)
            st = i == 0 ? rise_agent_attach_data(ag[i], ts)
                        : rise_agent_attach_data_sharing(ag[i], ts, ag[0]);
    }
    int workers = 0, per = 1;
    if (st == RISE_OK) {
        rise_seed_pool_plan(n, be[0]->is_device, seed_threads, omp_get_max_threads(), &workers,
                            &per);
        st = rise_seed_pool_create(workers, per, &pool);
    }
    double wall = 0, cpu = 0;
    for (int phase = 0; phase < 2 && st == RISE_OK; ++phase) {
        const int target = phase == 0 ? warmup : warmup + steps;
        for (int i = 0; i < n; ++i)
            jobs[i] = (rise_seed_job){ag[i], target, NULL, NULL, RISE_OK, "", 0};
        for (int i = 0; i < n && phase == 1; ++i) be[i]->sync(be[i]);
        const double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
        rise_seed_pool_run(pool, jobs, n);
        for (int i = 0; i < n; ++i) be[i]->sync(be[i]);
        if (phase == 1) {
            wall = now(CLOCK_MONOTONIC) - t0;
            cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
        }
        for (int i = 0; i < n && st == RISE_OK; ++i)
            if (jobs[i].st != RISE_OK) st = rise_error(jobs[i].st, "seed %d: %s", i, jobs[i].error);
    }
    for (int i = 0; i < n && st == RISE_OK; ++i) {
        rise_agent_metrics m;
        st = rise_agent_metrics_read(ag[i], &m); /* fails on a non-finite loss */
        if (st != RISE_OK) rise_error_context(st, "seed %d: ", i);
    }
    if (st == RISE_OK)
        *res = (result){n, workers, per, steps, wall, cpu, wall > 0 ? (double)n * steps / wall : 0};
    else
        fprintf(stderr, "bench_seeds: S = %d: %s\n", n, rise_last_error());
    rise_seed_pool_free(pool);
    for (int i = n - 1; ag && i >= 0; --i) rise_agent_free(ag[i]); /* ag[0] owns the pairs */
    for (int i = 0; be && i < n; ++i)
        if (be[i]) rise_backend_destroy(be[i]);
    free(be), free(ag), free(jobs);
    return st;
}

static int parse_list(const char *s, int *v, int max) {
    int n = 0;
    for (const char *p = s; *p && n < max;) {
        char *end;
        const long x = strtol(p, &end, 10);
        if (end == p || x < 1 || x > 4096) return 0;
        v[n++] = (int)x;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return 0;
    }
    return n;
}

int main(int argc, char **argv) {
    rise_runtime_policy(argv); /* the rise command's OpenMP policy (host/runtime.h) */
    const char *config = NULL, *backend = NULL, *json = NULL, *sets[MAX_SETS];
    int n_sets = 0, counts[MAX_CASES] = {1, 4, 16}, n_counts = 3, steps = 20, warmup = 2;
    int seed_threads = 0;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            config = argv[++i];
        else if (!strcmp(argv[i], "--seeds") && i + 1 < argc) {
            n_counts = parse_list(argv[++i], counts, MAX_CASES);
            if (!n_counts) {
                fprintf(stderr, "bench_seeds: --seeds %s: expected counts like 1,4,16\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
            steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
            warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed-threads") && i + 1 < argc)
            seed_threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--backend") && i + 1 < argc)
            backend = argv[++i];
        else if (!strcmp(argv[i], "--set") && i + 1 < argc && n_sets < MAX_SETS)
            sets[n_sets++] = argv[++i];
        else if (!strcmp(argv[i], "--json") && i + 1 < argc)
            json = argv[++i];
        else {
            printf("usage: bench_seeds --config FILE [--seeds 1,4,16] [--steps N] [--warmup W] "
                   "[--seed-threads T] [--backend cpu|ref|cuda] [--set KEY=VALUE ...] "
                   "[--json FILE]\n");
            return strcmp(argv[i], "--help") ? 2 : 0;
        }
    }
    if (!config || steps < 1 || warmup < 0 || seed_threads < 0) {
        fprintf(stderr, "bench_seeds: needs --config FILE, --steps >= 1, --warmup >= 0, "
                        "--seed-threads >= 0 (--help)\n");
        return 2;
    }
    rise_train_config cfg;
    rise_status st = rise_train_config_load(&cfg, config);
    char kv[200];
    if (st == RISE_OK && backend) {
        snprintf(kv, sizeof kv, "train.backend=%s", backend);
        st = rise_train_config_set(&cfg, kv);
    }
    for (int i = 0; st == RISE_OK && i < n_sets; ++i) st = rise_train_config_set(&cfg, sets[i]);
    if (st == RISE_OK) st = rise_train_config_check(&cfg);
    if (st == RISE_OK && !cfg.has_data)
        st = rise_error(RISE_ERR_INVALID, "%s: no \"data\" object", config);
    rise_trainset ts;
    if (st == RISE_OK) st = rise_trainset_build(&cfg.data, &ts);
    if (st == RISE_OK) {
        st = rise_trainset_normalize(&ts, NULL);
        if (st != RISE_OK) rise_trainset_free(&ts);
    }
    if (st != RISE_OK) {
        fprintf(stderr, "bench_seeds: %s\n", rise_last_error());
        return st == RISE_ERR_NO_DEVICE ? 77 : 1;
    }
    printf("bench_seeds on %s (%s, %d OpenMP threads, precision %s): %s %s, batch %d, "
           "%d warm-up + %d timed steps per seed\n",
           cfg.train_backend, rise_cpu_description(), omp_get_max_threads(), cfg.train_precision,
           config, cfg.train_algo, cfg.train_batch, warmup, steps);
    result res[MAX_CASES];
    int bad = 0, n_res = 0;
    for (int k = 0; k < n_counts; ++k) {
        const rise_status cs =
            run_case(&cfg, &ts, counts[k], warmup, steps, seed_threads, &res[n_res]);
        if (cs != RISE_OK) {
            if (cs == RISE_ERR_NO_DEVICE) {
                rise_trainset_free(&ts);
                return 77;
            }
            bad = 1;
            continue;
        }
        const result *r = &res[n_res++];
        printf("S %3d: %d workers x %d OpenMP threads, %.2f s, %.2f steps/s in all, %.2f per "
               "seed, %.3f CPU s per step\n",
               r->seeds, r->workers, r->omp_per, r->wall, r->total_per_s, r->total_per_s / r->seeds,
               r->cpu / ((double)r->seeds * r->steps));
        fflush(stdout);
    }
    printf("%6s %8s %8s %12s %12s %10s\n", "seeds", "workers", "omp/wkr", "steps/s", "per seed",
           "vs S=1");
    double base = 0;
    for (int i = 0; i < n_res; ++i)
        if (res[i].seeds == 1) base = res[i].total_per_s;
    for (int i = 0; i < n_res; ++i)
        printf("%6d %8d %8d %12.2f %12.2f %9.2fx\n", res[i].seeds, res[i].workers, res[i].omp_per,
               res[i].total_per_s, res[i].total_per_s / res[i].seeds,
               base > 0 ? res[i].total_per_s / base : 0.0);
    if (json) {
        FILE *f = fopen(json, "w");
        if (f) {
            fprintf(f, "[");
            for (int i = 0; i < n_res; ++i)
                fprintf(f,
                        "%s{\"case\": \"seeds_%d\", \"config\": \"%s\", \"backend\": \"%s\", "
                        "\"cpu\": \"%s\", \"seeds\": %d, \"workers\": %d, \"omp_per_worker\": %d, "
                        "\"steps_per_seed\": %d, \"seconds\": %.6g, \"value\": %.6g, "
                        "\"unit\": \"steps/s\"}",
                        i ? ", " : "", res[i].seeds, config, cfg.train_backend,
                        rise_cpu_description(), res[i].seeds, res[i].workers, res[i].omp_per,
                        res[i].steps, res[i].wall, res[i].total_per_s);
            fprintf(f, "]\n");
            fclose(f);
        }
    }
    rise_trainset_free(&ts);
    return bad;
}
