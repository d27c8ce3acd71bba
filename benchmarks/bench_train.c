/* bench_train.c - end-to-end training and extraction throughput of the agent.
 *
 *   build/benchmarks/bench_train [--backend cpu|ref|cuda] [--precision fp32|bf16]
 *                                [--algo idql,rise,iql] [--batch B] [--width W] [--depth D]
 *                                [--code-width C] [--steps N]
 *                                [--no-extract] [--graph auto|on|off] [--quick] [--json FILE]
 *
 * Training: steps/s of the IDQL and RISE updates (twin Q + V + diffusion policy; RISE
 * adds the spectral code MLP and every 2nd policy batch from relabelled pairs) and of IQL
 * (CORL's sizes: MLPs 2 x W, AWR Gaussian actor; bench_agent_data.h) at batch
 * B and width W (default 256 and 256, paper-like: LN-ResNet of D = 3 blocks, spectral code
 * MLP of width C = 512, critic 2 x W; the maze runs' size is W 128, D 2, C 128), on
 * maze data generated in a temporary folder; also the process CPU time per step and, on a
 * CPU backend, the step's GEMM work (GFLOP) and the time spent inside GEMM calls (the
 * backend's gemm entry wrapped by this benchmark), so the rest of the step shows.
 * Extraction: latency of one policy call for 1 and 64 states with K = 128 candidates x
 * 10 DDIM steps, scored by min(Q1, Q2). --graph sets train.step_graph: on replays each
 * step as a CUDA graph (on the CPU: the same ops on the device clock, run eagerly), off
 * issues it op by op, auto (default) is on where the backend has graphs. The first line
 * names the processor (model, vector extensions, threads).
 * Validation: every loss read back at the end must be finite (exit 1 otherwise). */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_agent_data.h"
#include "host/runtime.h"
#include "host/cpu_info.h"

static double now(clockid_t id) {
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct {
    const char *name;
    double value;
    const char *unit;
} result;

/* The backend's gemm, wrapped to count the step's GEMM work and the time inside it. */
static void (*real_gemm)(rise_backend *, int, int, int, int, int, float, const float *, int,
                         int64_t, const float *, int, int64_t, float, float *, int, int64_t, int);
static double gemm_flops, gemm_seconds;

static void counting_gemm(rise_backend *be, int ta, int tb, int m, int n, int k, float alpha,
                          const float *a, int lda, int64_t sa, const float *b, int ldb, int64_t sb,
                          float beta, float *c, int ldc, int64_t sc, int batch) {
    const double t0 = now(CLOCK_MONOTONIC);
    real_gemm(be, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch);
    gemm_seconds += now(CLOCK_MONOTONIC) - t0;
    gemm_flops += 2.0 * m * n * (double)k * batch;
}

int main(int argc, char **argv) {
    rise_runtime_policy(argv); /* the rise command's OpenMP policy (host/runtime.h) */
    const char *backend = "cpu", *json = NULL, *precision = "fp32", *algos = "idql,rise,iql";
    int quick = 0, batch = 256, width = 256, graph = -1, steps = 0, extract = 1, depth = 3;
    int code_width = 512;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--backend") && i + 1 < argc)
            backend = argv[++i];
        else if (!strcmp(argv[i], "--json") && i + 1 < argc)
            json = argv[++i];
        else if (!strcmp(argv[i], "--precision") && i + 1 < argc)
            precision = argv[++i];
        else if (!strcmp(argv[i], "--algo") && i + 1 < argc)
            algos = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--width") && i + 1 < argc)
            width = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--depth") && i + 1 < argc)
            depth = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--code-width") && i + 1 < argc)
            code_width = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
            steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-extract"))
            extract = 0;
        else if (!strcmp(argv[i], "--graph") && i + 1 < argc) {
            const char *g = argv[++i];
            graph = !strcmp(g, "on") ? 1 : !strcmp(g, "off") ? 0 : !strcmp(g, "auto") ? -1 : -2;
            if (graph == -2) {
                fprintf(stderr, "bench_train: --graph %s, expected auto, on or off\n", g);
                return 2;
            }
        } else if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else {
            printf("usage: bench_train [--backend cpu|ref|cuda] [--precision fp32|bf16] "
                   "[--algo idql,rise,iql] [--batch B] [--width W] [--depth D] [--code-width C] "
                   "[--steps N] [--no-extract] "
                   "[--graph auto|on|off] [--quick] [--json FILE]\n");
            return strcmp(argv[i], "--help") ? 2 : 0;
        }
    }
    if (batch < 1 || width < 1) {
        fprintf(stderr, "bench_train: --batch %d --width %d, expected >= 1\n", batch, width);
        return 2;
    }
    rise_status st;
    rise_backend *be = rise_backend_create(backend, &st);
    if (!be) {
        fprintf(stderr, "bench_train: %s\n", rise_last_error());
        return st == RISE_ERR_NO_DEVICE ? 77 : 1;
    }
    if (rise_backend_set_precision_name(be, precision) != RISE_OK) {
        fprintf(stderr, "bench_train: %s\n", rise_last_error());
        return 2;
    }
    if (!be->is_device) {
        real_gemm = be->gemm;
        be->gemm = counting_gemm;
    }
    char dir[] = "/tmp/rise_bench_train_XXXXXX";
    rise_trainset ts;
    if (!bench_agent_trainset(dir, &ts)) {
        fprintf(stderr, "bench_train: data: %s\n", rise_last_error());
        return 1;
    }
    result res[16];
    int nres = 0, bad = 0;
    if (steps <= 0) steps = quick ? 5 : 30;
    if (graph < 0) graph = be->graph_begin != NULL;
    const char *graph_mode = !graph ? "off" : be->graph_begin ? "cuda graph" : "clock, no graph";
    printf("bench_train on %s (%s, precision %s): batch %d, width %d (policy LN-ResNet %d "
           "blocks, code MLP %d, critic 2 x %d), obs %lld, action %lld, step graph: %s\n",
           be->name, be->is_device ? "device" : rise_cpu_description(), precision, batch, width,
           depth, code_width, width, (long long)ts.obs_dim, (long long)ts.act_dim, graph_mode);
    static const rise_algo algo_ids[3] = {RISE_ALGO_IDQL, RISE_ALGO_RISE, RISE_ALGO_IQL};
    static const char *const algo_keys[3] = {"idql", "rise", "iql"};
    for (int ai = 0; ai < 3; ++ai) {
        if (!strstr(algos, algo_keys[ai])) continue;
        const int algo = ai == 1; /* RISE: the extraction cases */
        char key[3][64];
        snprintf(key[0], 64, "%s_update_steps_per_s", algo_keys[ai]);
        snprintf(key[1], 64, "%s_update_cpu_ms_per_step", algo_keys[ai]);
        snprintf(key[2], 64, "%s_update_gemm", algo_keys[ai]);
        rise_agent_config c;
        bench_agent_config(&c, &ts, algo_ids[ai], batch, width, depth, code_width);
        c.step_graph = graph;
        rise_agent *a = NULL;
        st = rise_agent_create(&c, be, &ts.norm, &a);
        if (st == RISE_OK) st = rise_agent_attach_data(a, &ts);
        for (int i = 0; st == RISE_OK && i < 3; ++i) st = rise_agent_step(a); /* warm up */
        if (st == RISE_OK) st = be->sync(be);
        gemm_flops = gemm_seconds = 0.0;
        const double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
        for (int i = 0; st == RISE_OK && i < steps; ++i) st = rise_agent_step(a);
        if (st == RISE_OK) st = be->sync(be);
        const double wall = now(CLOCK_MONOTONIC) - t0, cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
        const double step_gflop = gemm_flops / 1e9 / steps, step_gemm_s = gemm_seconds / steps;
        rise_agent_metrics m;
        if (st == RISE_OK) st = rise_agent_metrics_read(a, &m); /* fails on a non-finite loss */
        if (st != RISE_OK) {
            fprintf(stderr, "bench_train: %s: %s\n", rise_algo_name(c.algo), rise_last_error());
            bad = 1;
            rise_agent_free(a);
            continue;
        }
        res[nres++] = (result){strdup(key[0]), steps / wall, "steps/s"};
        res[nres++] = (result){strdup(key[1]), 1e3 * cpu / steps, "ms"};
        if (!be->is_device) {
            char *k1 = malloc(80), *k2 = malloc(80);
            snprintf(k1, 80, "%s_gflop_per_step", key[2]);
            snprintf(k2, 80, "%s_ms_per_step", key[2]);
            res[nres++] = (result){k1, step_gflop, "GFLOP"};
            res[nres++] = (result){k2, 1e3 * step_gemm_s, "ms"};
        }
        if (algo && extract) {
            /* extraction latency: one call for n states, K = 128, 10 DDIM steps */
            rise_policy *pol;
            rise_agent_policy(a, 0, &pol);
            const int ns[2] = {1, 64};
            for (int k = 0; k < 2; ++k) {
                const int n = ns[k];
                float *obs = calloc((size_t)n * c.obs_dim, sizeof(float));
                float *act = calloc((size_t)n * c.act_dim, sizeof(float));
                uint64_t *keys = calloc((size_t)n, sizeof *keys);
                int *t = calloc((size_t)n, sizeof *t);
                for (int i = 0; i < n; ++i) keys[i] = (uint64_t)i;
                const rise_policy_ctx ctx = {keys, t, NULL};
                pol->act(pol, n, obs, &ctx, act); /* warm up (sizes the buffers) */
                const int reps = quick ? 2 : 5;
                const double t1 = now(CLOCK_MONOTONIC);
                for (int r = 0; r < reps; ++r) pol->act(pol, n, obs, &ctx, act);
                res[nres++] =
                    (result){n == 1 ? "extract_latency_ms_1_state" : "extract_latency_ms_64_states",
                             1e3 * (now(CLOCK_MONOTONIC) - t1) / reps, "ms"};
                free(obs), free(act), free(keys), free(t);
            }
            rise_policy_destroy(pol);
        }
        rise_agent_free(a);
    }
    printf("%-32s %12s %s\n", "case", "value", "unit");
    for (int i = 0; i < nres; ++i)
        printf("%-32s %12.2f %s\n", res[i].name, res[i].value, res[i].unit);
    if (json) {
        FILE *f = fopen(json, "w");
        if (f) {
            fprintf(f, "[");
            for (int i = 0; i < nres; ++i)
                fprintf(f,
                        "%s{\"case\": \"%s\", \"backend\": \"%s\", \"precision\": \"%s\", "
                        "\"cpu\": \"%s\", \"batch\": %d, \"width\": %d, "
                        "\"step_graph\": \"%s\", \"obs_dim\": %lld, \"act_dim\": %lld, "
                        "\"value\": %.6g, \"unit\": \"%s\"}",
                        i ? ", " : "", res[i].name, be->name, precision, rise_cpu_description(),
                        batch, width, graph_mode, (long long)ts.obs_dim, (long long)ts.act_dim,
                        res[i].value, res[i].unit);
            fprintf(f, "]\n");
            fclose(f);
        }
    }
    rise_trainset_free(&ts);
    if (real_gemm) be->gemm = real_gemm;
    rise_backend_destroy(be);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "bench_train: could not remove %s\n", dir);
    return bad;
}
