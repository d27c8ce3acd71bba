/* bench_data_knn.c - neighbour relabelling on the CPU: by default 100k
 * non-expert x 20k expert states (obs 20, L2-normalised Gaussian-normalised
 * features, k = 15, threshold 0.15, skips 20 / 50, play->expert), built from
 * synthetic random-walk trajectories where play walks branch off expert
 * ones, so neighbours exist. Validates the tiled kNN against a double
 * brute force on a subset of queries first, then times rise_knn alone and
 * the whole rise_relabel_build; reports seconds, distance evaluations/s
 * and GEMM GFLOP/s, table + JSON.
 *
 *   bench_data_knn [--play N] [--expert N] [--dim D] [--play-to-play]
 *                  [--tile-q N] [--tile-r N] [--reps R] [--json FILE] [--quick]
 * Exit status: 0 ok, 1 mismatch or error, 2 bad arguments. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/knn_search.h"
#include "data/pairs.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t rng_state = 88172645463325252ull;
static double gauss(void) {
    /* xorshift64 + Box-Muller: benchmark data, no need for Philox */
    double u[2];
    for (int i = 0; i < 2; ++i) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        u[i] = ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

typedef struct {
    rise_trainset ts;
    rise_obs_key key;
} synth;

/* Expert walks of 200 steps drift along a shared direction; each play walk
 * of 500 steps starts on a random expert state and wanders off. */
static void make_synth(synth *s, int64_t n_expert, int64_t n_play, int64_t D) {
    rise_trainset *ts = &s->ts;
    memset(s, 0, sizeof *s);
    const int64_t le = 200, lp = 500;
    const int64_t te = (n_expert + le - 1) / le, tp = (n_play + lp - 1) / lp;
    const int64_t n = n_expert + n_play, T = te + tp;
    ts->n = n, ts->obs_dim = D, ts->act_dim = 2, ts->n_traj = T;
    ts->obs = malloc((size_t)(n * D) * sizeof(float));
    ts->actions = calloc((size_t)(n * 2), sizeof(float));
    ts->traj = malloc((size_t)n * sizeof(int32_t));
    ts->step = malloc((size_t)n * sizeof(int32_t));
    ts->expert = malloc((size_t)n);
    ts->traj_start = malloc((size_t)T * sizeof(int64_t));
    ts->traj_len = malloc((size_t)T * sizeof(int64_t));
    int64_t row = 0, tr = 0;
    double *x = malloc((size_t)D * sizeof *x);
    for (int e = 0; e < 2; ++e) {
        const int64_t total = e ? n_play : n_expert, len = e ? lp : le;
        for (int64_t done = 0; done < total; done += len, ++tr) {
            const int64_t L = total - done < len ? total - done : len;
            ts->traj_start[tr] = row, ts->traj_len[tr] = L;
            if (e == 0) {
                for (int64_t d = 0; d < D; ++d) x[d] = 0.3 * gauss() + (d == 0 ? 1.0 : 0.0);
            } else {
                const int64_t src = (int64_t)((rng_state >> 3) % (uint64_t)n_expert);
                for (int64_t d = 0; d < D; ++d) x[d] = ts->obs[src * D + d];
                gauss();
            }
            for (int64_t t = 0; t < L; ++t, ++row) {
                for (int64_t d = 0; d < D; ++d) {
                    x[d] += (e ? 0.004 : 0.002) * gauss() + (e == 0 && d == 1 ? 0.01 : 0.0);
                    ts->obs[row * D + d] = (float)x[d];
                }
                ts->traj[row] = (int32_t)tr, ts->step[row] = (int32_t)t;
                ts->expert[row] = (uint8_t)(e == 0);
            }
        }
    }
    free(x);
    ts->next_obs = ts->obs;
    s->key = (rise_obs_key){.name = "state", .ndim = 1, .shape = {D}, .dim = D, .offset = 0};
    ts->n_keys = 1, ts->keys = &s->key;
    rise_norm_fit_arrays(&ts->norm, ts->obs, ts->actions, n, D, 2, RISE_NORM_GAUSSIAN,
                         RISE_NORM_NONE);
}

static void free_synth(synth *s) {
    rise_trainset *ts = &s->ts;
    free(ts->obs), free(ts->actions), free(ts->traj), free(ts->step), free(ts->expert);
    free(ts->traj_start), free(ts->traj_len);
    rise_norm_free(&ts->norm);
}

/* Features as rise_relabel_build makes them (normalised, unit length). */
static float *features(const rise_trainset *ts, int expert, int skip, int64_t *count) {
    int64_t n = 0;
    for (int64_t i = 0; i < ts->n; ++i) n += ts->expert[i] == expert && ts->step[i] >= skip;
    float *f = malloc((size_t)(n * ts->obs_dim) * sizeof *f);
    int64_t j = 0;
    for (int64_t i = 0; i < ts->n; ++i) {
        if (!(ts->expert[i] == expert && ts->step[i] >= skip)) continue;
        double s2 = 0;
        for (int64_t d = 0; d < ts->obs_dim; ++d) {
            const float v =
                (ts->obs[i * ts->obs_dim + d] - ts->norm.obs_shift[d]) / ts->norm.obs_scale[d];
            f[j * ts->obs_dim + d] = v;
            s2 += (double)v * v;
        }
        for (int64_t d = 0; d < ts->obs_dim; ++d) f[j * ts->obs_dim + d] /= (float)sqrt(s2);
        ++j;
    }
    *count = n;
    return f;
}

int main(int argc, char **argv) {
    int64_t n_play = 100000, n_expert = 20000, D = 20, tile_q = 0, tile_r = 0;
    int reps = 3, p2p = 0, quick = 0;
    const char *json = NULL;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--play") && i + 1 < argc)
            n_play = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--expert") && i + 1 < argc)
            n_expert = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--dim") && i + 1 < argc)
            D = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--tile-q") && i + 1 < argc)
            tile_q = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--tile-r") && i + 1 < argc)
            tile_r = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json") && i + 1 < argc)
            json = argv[++i];
        else if (!strcmp(argv[i], "--play-to-play"))
            p2p = 1;
        else if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else {
            fprintf(stderr, "usage: bench_data_knn [--play N] [--expert N] [--dim D] "
                            "[--play-to-play] [--tile-q N] [--tile-r N] [--reps R] [--json FILE] "
                            "[--quick]\n");
            return !strcmp(argv[i], "--help") ? 0 : 2;
        }
    }
    if (quick) n_play = 5000, n_expert = 1000, reps = 1;
    if (n_play < 1000 || n_expert < 400 || D < 1 || reps < 1) {
        fprintf(stderr, "bench_data_knn: need --play >= 1000, --expert >= 400, --dim >= 1\n");
        return 2;
    }
    synth s;
    make_synth(&s, n_expert, n_play, D);
    rise_relabel_config c;
    rise_relabel_config_default(&c); /* k 15, threshold 0.15, L2, skips 20 / 50 */
    c.play_to_play = p2p;
    c.tile_q = tile_q;
    c.tile_r = tile_r;
    int64_t nq, nr;
    float *q = features(&s.ts, 0, c.skip_nonexpert, &nq),
          *r = features(&s.ts, 1, c.skip_expert, &nr);
    printf("states: %lld non-expert (%lld queries after skipping 50), %lld expert (%lld after "
           "skipping 20), dim %lld, k %d, threshold %g\n",
           (long long)n_play, (long long)nq, (long long)n_expert, (long long)nr, (long long)D, c.k,
           (double)c.threshold);

    /* 1. validate on the first queries */
    rise_knn_opts o;
    rise_knn_opts_default(&o);
    o.k = c.k;
    o.max_dist = c.threshold;
    if (tile_q) o.tile_q = tile_q;
    if (tile_r) o.tile_r = tile_r;
    const int64_t nv = nq < 500 ? nq : 500;
    int64_t *i1 = malloc((size_t)(nq * c.k) * sizeof *i1),
            *i2 = malloc((size_t)(nv * c.k) * sizeof *i2);
    float *d1 = malloc((size_t)(nq * c.k) * sizeof *d1),
          *d2 = malloc((size_t)(nv * c.k) * sizeof *d2);
    int32_t *c1 = malloc((size_t)nq * sizeof *c1), *c2 = malloc((size_t)nv * sizeof *c2);
    rise_knn(q, nv, r, nr, D, &o, i1, d1, c1);
    rise_knn_brute(q, nv, r, nr, D, &o, i2, d2, c2);
    int64_t bad = 0, found = 0;
    for (int64_t i = 0; i < nv; ++i) {
        bad += c1[i] != c2[i];
        found += c1[i];
        for (int j = 0; j < c1[i] && j < c2[i]; ++j) bad += i1[i * c.k + j] != i2[i * c.k + j];
    }
    if (bad) {
        fprintf(stderr, "bench_data_knn: tiled kNN differs from brute force (%lld)\n",
                (long long)bad);
        return 1;
    }
    printf("validated: %lld queries match the double brute force (%lld neighbours)\n",
           (long long)nv, (long long)found);

    /* 2. time */
    double best_knn = 1e30, best_build = 1e30;
    rise_pairs p = {0};
    for (int rep = 0; rep < reps; ++rep) {
        double t0 = now();
        if (rise_knn(q, nq, r, nr, D, &o, i1, d1, c1) != RISE_OK) {
            fprintf(stderr, "bench_data_knn: %s\n", rise_last_error());
            return 1;
        }
        const double tk = now() - t0;
        best_knn = tk < best_knn ? tk : best_knn;
        rise_pairs_free(&p);
        t0 = now();
        if (rise_relabel_build(&s.ts, &c, &p) != RISE_OK) {
            fprintf(stderr, "bench_data_knn: %s\n", rise_last_error());
            return 1;
        }
        const double tb = now() - t0;
        best_build = tb < best_build ? tb : best_build;
    }
    const double evals = (double)nq * (double)nr, gflop = 2.0 * evals * (double)D / 1e9;
    printf("pairs: %lld play->expert (%lld of %lld states matched), %lld play->play\n",
           (long long)p.count[0], (long long)p.queries_matched[0], (long long)p.queries,
           (long long)p.count[1]);
    printf("\n%-34s %10s %16s %12s\n", "stage (best of reps)", "seconds", "distances/s",
           "GEMM GFLOP/s");
    printf("%-34s %10.3f %16.3e %12.1f\n", "rise_knn play->expert", best_knn, evals / best_knn,
           gflop / best_knn);
    printf("%-34s %10.3f %16s %12s\n",
           p2p ? "rise_relabel_build (both rules)" : "rise_relabel_build", best_build, "", "");
    if (json) {
        FILE *f = fopen(json, "w");
        if (f) {
            fprintf(f,
                    "[{\"bench\": \"data_knn\", \"play\": %lld, \"expert\": %lld, \"queries\": "
                    "%lld, \"references\": %lld, \"dim\": %lld, \"k\": %d, \"threshold\": %g, "
                    "\"knn_s\": %.4f, \"distances_per_s\": %.4g, \"gemm_gflops\": %.2f, "
                    "\"relabel_s\": %.4f, \"play_to_play\": %d, \"pairs\": %lld, \"validated\": "
                    "true}]\n",
                    (long long)n_play, (long long)n_expert, (long long)nq, (long long)nr,
                    (long long)D, c.k, (double)c.threshold, best_knn, evals / best_knn,
                    gflop / best_knn, best_build, p2p, (long long)p.n);
            fclose(f);
        }
    }
    rise_pairs_free(&p);
    free(q), free(r), free(i1), free(i2), free(d1), free(d2), free(c1), free(c2);
    free_synth(&s);
    return 0;
}
