/* bench_train.c - end-to-end training and extraction throughput of the agent.
 *
 *   build/benchmarks/bench_train [--backend cpu|cuda] [--batch B] [--width W]
 *                                [--graph auto|on|off] [--steps N] [--quick] [--json FILE]
 *
 * Training: steps/s of the IDQL and RISE updates (twin Q + V + diffusion policy; RISE
 * adds the spectral code MLP and every 2nd policy batch from relabelled pairs) at batch
 * B and width W (default 256 and 256, paper-like: LN-ResNet 3 blocks, critic 2 x W), on maze data
 * generated in a temporary folder. Extraction: latency of one policy call for 1 and 64
 * states with K = 128 candidates x 10 DDIM steps, scored by min(Q1, Q2). --graph sets
 * train.step_graph: on replays each step as a CUDA graph (on the CPU: the same ops on the
 * device clock, run eagerly), off issues it op by op, auto (default) is on where the
 * backend has graphs. --steps: timed steps per algorithm (default 30, 5 with --quick; a GPU
 * step takes milliseconds, so timing there wants a few hundred).
 * Validation: every loss read back at the end must be finite (exit 1 otherwise). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "algorithms/agent.h"
#include "envs/gen.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int make_data(const char *dir, const char *kind_name, int n, const char *file) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    rise_gen_kind kind;
    rise_gen_kind_parse(kind_name, &kind);
    rise_gen_opts o;
    rise_gen_opts_default(&o);
    rise_episode_buf *b = calloc((size_t)n, sizeof *b);
    rise_gen_stats s;
    rise_env *env = NULL;
    rise_status st = rise_env_create("maze", NULL, &env);
    if (st == RISE_OK) st = rise_gen_run("maze", NULL, kind, &o, 1, n, 0, b, &s, NULL, NULL);
    if (st == RISE_OK) st = rise_gen_write(path, env, kind, &o, 1, b, n);
    for (int i = 0; i < n; ++i) rise_episode_buf_free(&b[i]);
    free(b);
    rise_env_destroy(env);
    return st == RISE_OK;
}

typedef struct {
    const char *name;
    double value;
    const char *unit;
} result;

int main(int argc, char **argv) {
    const char *backend = "cpu", *json = NULL;
    int quick = 0, batch = 256, width = 256, graph = -1, steps = 0;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--backend") && i + 1 < argc)
            backend = argv[++i];
        else if (!strcmp(argv[i], "--json") && i + 1 < argc)
            json = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--width") && i + 1 < argc)
            width = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
            steps = atoi(argv[++i]);
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
            printf("usage: bench_train [--backend cpu|cuda] [--batch B] [--width W] "
                   "[--graph auto|on|off] [--steps N] [--quick] [--json FILE]\n");
            return strcmp(argv[i], "--help") ? 2 : 0;
        }
    }
    if (batch < 1 || width < 1 || steps < 0) {
        fprintf(stderr,
                "bench_train: --batch %d --width %d --steps %d, expected >= 1 (steps >= 0)\n",
                batch, width, steps);
        return 2;
    }
    rise_status st;
    rise_backend *be = rise_backend_create(backend, &st);
    if (!be) {
        fprintf(stderr, "bench_train: %s\n", rise_last_error());
        return st == RISE_ERR_NO_DEVICE ? 77 : 1;
    }
    char dir[] = "/tmp/rise_bench_train_XXXXXX";
    if (!mkdtemp(dir) || !make_data(dir, "expert", 40, "expert.h5") ||
        !make_data(dir, "play", 40, "play.h5")) {
        fprintf(stderr, "bench_train: data: %s\n", rise_last_error());
        return 1;
    }
    rise_data_spec spec;
    rise_data_spec_default(&spec);
    char src[600];
    snprintf(src, sizeof src, "expert:%s/expert.h5", dir);
    rise_data_spec_add_source(&spec, src);
    snprintf(src, sizeof src, "non_expert:%s/play.h5", dir);
    rise_data_spec_add_source(&spec, src);
    rise_trainset ts;
    if (rise_trainset_build(&spec, &ts) != RISE_OK ||
        rise_trainset_normalize(&ts, NULL) != RISE_OK) {
        fprintf(stderr, "bench_train: %s\n", rise_last_error());
        return 1;
    }
    result res[8];
    int nres = 0, bad = 0;
    if (steps == 0) steps = quick ? 5 : 30;
    if (graph < 0) graph = be->graph_begin != NULL;
    const char *graph_mode = !graph ? "off" : be->graph_begin ? "cuda graph" : "clock, no graph";
    printf("bench_train on %s: batch %d, width %d (policy LN-ResNet 3 blocks, critic 2 x %d), "
           "obs %lld, action %lld, step graph: %s\n",
           be->name, batch, width, width, (long long)ts.obs_dim, (long long)ts.act_dim, graph_mode);
    for (int algo = 0; algo < 2; ++algo) {
        rise_agent_config c;
        rise_agent_config_default(&c, algo ? RISE_ALGO_RISE : RISE_ALGO_IDQL);
        c.obs_dim = (int)ts.obs_dim;
        c.act_dim = (int)ts.act_dim;
        c.candidates = 128;
        c.batch = batch;
        c.diffusion.width = c.critic.width = width;
        c.step_graph = graph;
        if (algo) {
            c.relabel = 1;
            c.relabel_cfg.threshold = 0.2f;
            c.relabel_cfg.skip_expert = c.relabel_cfg.skip_nonexpert = 0;
        }
        rise_agent *a = NULL;
        st = rise_agent_create(&c, be, &ts.norm, &a);
        if (st == RISE_OK) st = rise_agent_attach_data(a, &ts);
        for (int i = 0; st == RISE_OK && i < 3; ++i) st = rise_agent_step(a); /* warm up */
        if (st == RISE_OK) st = be->sync(be);
        const double t0 = now();
        for (int i = 0; st == RISE_OK && i < steps; ++i) st = rise_agent_step(a);
        if (st == RISE_OK) st = be->sync(be);
        const double sps = steps / (now() - t0);
        rise_agent_metrics m;
        if (st == RISE_OK) st = rise_agent_metrics_read(a, &m); /* fails on a non-finite loss */
        if (st != RISE_OK) {
            fprintf(stderr, "bench_train: %s: %s\n", rise_algo_name(c.algo), rise_last_error());
            bad = 1;
            rise_agent_free(a);
            continue;
        }
        res[nres++] =
            (result){algo ? "rise_update_steps_per_s" : "idql_update_steps_per_s", sps, "steps/s"};
        if (algo) {
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
                const double t1 = now();
                for (int r = 0; r < reps; ++r) pol->act(pol, n, obs, &ctx, act);
                res[nres++] =
                    (result){n == 1 ? "extract_latency_ms_1_state" : "extract_latency_ms_64_states",
                             1e3 * (now() - t1) / reps, "ms"};
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
                        "%s{\"case\": \"%s\", \"backend\": \"%s\", \"batch\": %d, \"width\": %d, "
                        "\"step_graph\": \"%s\", \"obs_dim\": %lld, \"act_dim\": %lld, "
                        "\"value\": %.6g, \"unit\": \"%s\"}",
                        i ? ", " : "", res[i].name, be->name, batch, width, graph_mode,
                        (long long)ts.obs_dim, (long long)ts.act_dim, res[i].value, res[i].unit);
            fprintf(f, "]\n");
            fclose(f);
        }
    }
    rise_trainset_free(&ts);
    rise_backend_destroy(be);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "bench_train: could not remove %s\n", dir);
    return bad;
}
