/* bench_data_ops.c - the device-resident data ops (kernels/gather.h, kernels/knn.h) on the
 * selected backend: a training batch drawn and assembled from a 1M-transition dataset
 * (obs D = 32, actions A = 7, ~5000 trajectories of 1..400 steps), and the neighbour
 * search of relabelling at its default size (100k queries x 20k references, F = 20,
 * k = 15; clustered data so neighbours exist).
 *   sample_indices      B = 256: uniform over 1M, and mixed (1/4 from a ~250k pool, the
 *                       rest from the other ~750k)
 *   gather_rows         B = 256 x D = 32 obs rows, plain and normalised at gather time
 *   gather_obs_history  B = 256, To = 2, D = 32
 *   gather_action_chunk B = 256, Ta = 16, A = 7 (+ valid mask)
 *   action_noise        B = 256, M = 8 copies of a 16 x 7 chunk (A = 112)
 *   knn_topk            100k x 20k, F = 20, k = 15: no threshold; threshold 0.5 with the
 *                       group filter
 * Every case is validated bit for bit against the reference (kernels/<family>_ref.c; kNN: the
 * first 256 and the last query against knn_topk_ref) before it is timed; action noise
 * on CUDA within the normals' few ulp. The kNN cases warm up once (seconds per call on
 * a CPU).
 * Bytes per call: sample 4 B (+ 4 B pool reads when mixed); gather_rows 8 B D + 4 B
 * (+ 8 D shift/scale); obs history 8 B To D + 24 B (idx, step, traj, traj_start);
 * action chunk 8 B Ta A + 4 B Ta + 32 B; action noise 4 B A + 4 B M A + 8 B M;
 * kNN 4 F (nq + nr) + 8 nq k + 4 nq. FLOPs: kNN 2 nq nr F (the GEMM form).
 *   build/benchmarks/bench_data_ops [--backend cpu|ref|cuda] [--json data_ops.json] [--quick] */
#include <math.h>

#include "bench_util.h"
#include "kernels/gather.h"
#include "kernels/knn.h"

/* Backend copy of a host array of any type. */
static void *bench_upload(bench_ctx *c, const void *host, size_t bytes) {
    void *p = c->be->alloc(c->be, bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "%s: backend allocation of %zu bytes failed: %s\n", c->prog, bytes,
                rise_last_error());
        exit(1);
    }
    if (bytes && host) c->be->upload(c->be, p, host, bytes);
    return p;
}

/* Bitwise check of a backend array against the host reference. */
static int bench_same(bench_ctx *c, const char *op, const char *shape, const char *what,
                      const void *dev, const void *ref, size_t bytes) {
    unsigned char *got = malloc(bytes ? bytes : 1);
    if (bytes) c->be->download(c->be, got, dev, bytes);
    size_t bad = bytes;
    for (size_t i = 0; i < bytes; ++i)
        if (got[i] != ((const unsigned char *)ref)[i]) {
            bad = i;
            break;
        }
    free(got);
    if (bad == bytes) return 1;
    ++c->n_wrong;
    fprintf(stderr, "%s: WRONG RESULT %s [%s] %s: first differing byte %zu of %zu\n", c->prog, op,
            shape, what, bad, bytes);
    return 0;
}

/* ---- the dataset ---- */

typedef struct {
    int64_t n, n_traj, n_a, n_b;
    int D, A;
    float *obs, *actions, *shift, *scale;
    int32_t *traj, *step, *pool_a, *pool_b; /* pools: trajectories t % 4 == 0, the others */
    int64_t *start, *len;
    /* backend copies */
    float *d_obs, *d_actions, *d_shift, *d_scale;
    int32_t *d_traj, *d_step, *d_pool_a, *d_pool_b;
    int64_t *d_start, *d_len;
} data_set;

static void make_data(bench_ctx *c, data_set *s, int64_t n, int D, int A) {
    memset(s, 0, sizeof *s);
    s->n = n, s->D = D, s->A = A;
    s->obs = bench_host_alloc(c, (size_t)(n * D));
    s->actions = bench_host_alloc(c, (size_t)(n * A));
    s->shift = bench_host_alloc(c, (size_t)D);
    s->scale = bench_host_alloc(c, (size_t)D);
    bench_fill_random(s->obs, (size_t)(n * D), 1, -3.0f, 5.0f);
    bench_fill_random(s->actions, (size_t)(n * A), 2, -1.0f, 1.0f);
    bench_fill_random(s->shift, (size_t)D, 3, -1.0f, 1.0f);
    bench_fill_random(s->scale, (size_t)D, 4, 0.1f, 3.0f);
    s->traj = malloc(sizeof(int32_t) * (size_t)n);
    s->step = malloc(sizeof(int32_t) * (size_t)n);
    s->start = malloc(sizeof(int64_t) * (size_t)n);
    s->len = malloc(sizeof(int64_t) * (size_t)n);
    s->pool_a = malloc(sizeof(int32_t) * (size_t)n);
    s->pool_b = malloc(sizeof(int32_t) * (size_t)n);
    if (!s->traj || !s->step || !s->start || !s->len || !s->pool_a || !s->pool_b) {
        fprintf(stderr, "%s: out of host memory\n", c->prog);
        exit(1);
    }
    int64_t row = 0, t = 0;
    while (row < n) {
        int64_t L = 1 + (t * 37) % 400;
        if (L > n - row) L = n - row;
        s->start[t] = row, s->len[t] = L;
        for (int64_t k = 0; k < L; ++k, ++row) {
            s->traj[row] = (int32_t)t, s->step[row] = (int32_t)k;
            if (t % 4 == 0)
                s->pool_a[s->n_a++] = (int32_t)row;
            else
                s->pool_b[s->n_b++] = (int32_t)row;
        }
        ++t;
    }
    s->n_traj = t;
    s->d_obs = bench_upload(c, s->obs, sizeof(float) * (size_t)(n * D));
    s->d_actions = bench_upload(c, s->actions, sizeof(float) * (size_t)(n * A));
    s->d_shift = bench_upload(c, s->shift, sizeof(float) * (size_t)D);
    s->d_scale = bench_upload(c, s->scale, sizeof(float) * (size_t)D);
    s->d_traj = bench_upload(c, s->traj, sizeof(int32_t) * (size_t)n);
    s->d_step = bench_upload(c, s->step, sizeof(int32_t) * (size_t)n);
    s->d_pool_a = bench_upload(c, s->pool_a, sizeof(int32_t) * (size_t)s->n_a);
    s->d_pool_b = bench_upload(c, s->pool_b, sizeof(int32_t) * (size_t)s->n_b);
    s->d_start = bench_upload(c, s->start, sizeof(int64_t) * (size_t)t);
    s->d_len = bench_upload(c, s->len, sizeof(int64_t) * (size_t)t);
}

static void free_data(bench_ctx *c, data_set *s) {
    void *dev[] = {s->d_obs,  s->d_actions, s->d_shift,  s->d_scale, s->d_traj,
                   s->d_step, s->d_pool_a,  s->d_pool_b, s->d_start, s->d_len};
    for (size_t i = 0; i < sizeof dev / sizeof *dev; ++i) c->be->free(c->be, dev[i]);
    free(s->obs), free(s->actions), free(s->shift), free(s->scale), free(s->traj);
    free(s->step), free(s->start), free(s->len), free(s->pool_a), free(s->pool_b);
}

/* ---- batch ops ---- */

enum { D_SAMPLE, D_SAMPLE_MIXED, D_ROWS, D_ROWS_NORM, D_HIST, D_CHUNK, D_NOISE, D_COUNT };
static const char *const d_names[D_COUNT] = {
    "sample_indices",  "sample_indices_mix", "gather_rows", "gather_rows_norm",
    "gather_obs_hist", "gather_act_chunk",   "action_noise"};

typedef struct {
    int op, B, H, M;
    const data_set *s;
    int32_t *d_idx;
    float *d_out, *d_valid, *d_sigma, *d_a, *d_sig_out, *d_delta;
    rise_rng rng;
} d_case;

static void run_d(rise_backend *be, void *arg) {
    d_case *k = arg;
    const data_set *s = k->s;
    switch (k->op) {
    case D_SAMPLE:
        be->sample_indices(be, k->d_idx, k->B, s->n, NULL, 0, NULL, 0, -1, k->rng);
        break;
    case D_SAMPLE_MIXED: /* a quarter from pool a, the rest from pool b */
        be->sample_indices(be, k->d_idx, k->B, 0, s->d_pool_a, s->n_a, s->d_pool_b, s->n_b,
                           k->B / 4, k->rng);
        break;
    case D_ROWS:
        be->gather_rows(be, k->d_out, s->d_obs, s->n, k->d_idx, k->B, s->D, NULL, NULL);
        break;
    case D_ROWS_NORM:
        be->gather_rows(be, k->d_out, s->d_obs, s->n, k->d_idx, k->B, s->D, s->d_shift, s->d_scale);
        break;
    case D_HIST:
        be->gather_obs_history(be, k->d_out, s->d_obs, NULL, s->d_traj, s->d_step, s->d_start, s->n,
                               k->d_idx, k->B, k->H, s->D);
        break;
    case D_CHUNK:
        be->gather_action_chunk(be, k->d_out, k->d_valid, s->d_actions, s->d_traj, s->d_step,
                                s->d_start, s->d_len, s->n, k->d_idx, k->B, k->H, s->A);
        break;
    case D_NOISE:
        be->action_noise(be, k->d_out, k->d_sig_out, k->d_delta, k->d_a, k->d_sigma, k->B, k->M,
                         k->H * s->A, k->rng);
        break;
    }
}

static void d_bench(bench_ctx *c, const data_set *s, int op, int B) {
    rise_backend *be = c->be;
    const int D = s->D, A = s->A;
    d_case k = {.op = op, .B = B, .H = 1, .M = 8, .s = s, .rng = {2024, 0x53000000u, 77}};
    if (op == D_HIST) k.H = 2;
    if (op == D_CHUNK || op == D_NOISE) k.H = 16;
    const int AN = k.H * A; /* action noise: a flattened chunk */
    char shape[96];
    switch (op) {
    case D_SAMPLE: snprintf(shape, sizeof shape, "B=%d n=%lld", B, (long long)s->n); break;
    case D_SAMPLE_MIXED:
        snprintf(shape, sizeof shape, "B=%d pools=%lld+%lld", B, (long long)s->n_a,
                 (long long)s->n_b);
        break;
    case D_ROWS:
    case D_ROWS_NORM:
        snprintf(shape, sizeof shape, "B=%d D=%d n=%lld", B, D, (long long)s->n);
        break;
    case D_HIST: snprintf(shape, sizeof shape, "B=%d To=%d D=%d", B, k.H, D); break;
    case D_CHUNK: snprintf(shape, sizeof shape, "B=%d Ta=%d A=%d", B, k.H, A); break;
    default: snprintf(shape, sizeof shape, "B=%d M=%d A=%d", B, k.M, AN); break;
    }
    /* indices: drawn once on the host (the gathers' input) */
    int32_t *idx = malloc(sizeof(int32_t) * (size_t)B);
    sample_indices_ref(idx, 0, B, s->n, NULL, 0, NULL, 0, -1, (rise_rng){7, 1, 0, NULL});
    k.d_idx = bench_upload(c, idx, sizeof(int32_t) * (size_t)B);
    const size_t nout = (size_t)B * (size_t)(op == D_NOISE ? k.M * AN : k.H * (D > A ? D : A));
    k.d_out = bench_backend_alloc(c, nout);
    k.d_valid = bench_backend_alloc(c, (size_t)B * k.H);
    k.d_sig_out = bench_backend_alloc(c, (size_t)B * k.M);
    k.d_delta = bench_backend_alloc(c, (size_t)B * k.M);
    float sigma[8], *a = NULL;
    for (int m = 0; m < 8; ++m) sigma[m] = 0.05f * (float)(m + 1);
    k.d_sigma = bench_upload(c, sigma, sizeof sigma);
    if (op == D_NOISE) {
        a = bench_host_alloc(c, (size_t)B * AN);
        bench_fill_random(a, (size_t)B * AN, 9, -1.0f, 1.0f);
        k.d_a = bench_upload(c, a, sizeof(float) * (size_t)B * AN);
    }
    run_d(be, &k);
    int ok = bench_sync(c, d_names[op], shape);
    /* the reference on the host copies */
    float *ref = bench_host_alloc(c, nout), *vref = bench_host_alloc(c, (size_t)B * k.H);
    float *sref = bench_host_alloc(c, (size_t)B * k.M),
          *dref = bench_host_alloc(c, (size_t)B * k.M);
    int32_t *iref = malloc(sizeof(int32_t) * (size_t)B);
    const char *name = d_names[op];
    switch (op) {
    case D_SAMPLE:
        sample_indices_ref(iref, 0, B, s->n, NULL, 0, NULL, 0, -1, k.rng);
        ok = bench_same(c, name, shape, "idx", k.d_idx, iref, sizeof(int32_t) * B) && ok;
        break;
    case D_SAMPLE_MIXED:
        sample_indices_ref(iref, 0, B, 0, s->pool_a, s->n_a, s->pool_b, s->n_b, B / 4, k.rng);
        ok = bench_same(c, name, shape, "idx", k.d_idx, iref, sizeof(int32_t) * B) && ok;
        break;
    case D_ROWS:
    case D_ROWS_NORM:
        gather_rows_ref(ref, s->obs, s->n, idx, B, D, op == D_ROWS ? NULL : s->shift,
                        op == D_ROWS ? NULL : s->scale);
        ok = bench_same(c, name, shape, "out", k.d_out, ref, sizeof(float) * B * D) && ok;
        break;
    case D_HIST:
        gather_obs_history_ref(ref, s->obs, NULL, s->traj, s->step, s->start, s->n, idx, B, k.H, D);
        ok = bench_same(c, name, shape, "out", k.d_out, ref, sizeof(float) * B * k.H * D) && ok;
        break;
    case D_CHUNK:
        gather_action_chunk_ref(ref, vref, s->actions, s->traj, s->step, s->start, s->len, s->n,
                                idx, B, k.H, A);
        ok = bench_same(c, name, shape, "out", k.d_out, ref, sizeof(float) * B * k.H * A) && ok;
        ok = bench_same(c, name, shape, "valid", k.d_valid, vref, sizeof(float) * B * k.H) && ok;
        break;
    case D_NOISE: {
        action_noise_ref(ref, sref, dref, a, sigma, B, k.M, AN, k.rng);
        float *got = malloc(sizeof(float) * nout);
        be->download(be, got, k.d_out, sizeof(float) * nout);
        /* the device's normals differ by a few ulp (see tests/gpu/test_backend_ops_data.c) */
        const double atol = be->is_device ? 0.4 * 8 * 4.8e-7 + 1.2e-7 : 0.0;
        const double rtol = be->is_device ? 4 * 1.2e-7 : 0.0;
        ok = bench_check(c, name, shape, "out", got, ref, nout, atol, rtol) && ok;
        be->download(be, got, k.d_delta, sizeof(float) * B * k.M);
        ok = bench_check(c, name, shape, "delta_norm", got, dref, (size_t)B * k.M,
                         sqrt((double)AN) * atol, rtol) &&
             ok;
        ok = bench_same(c, name, shape, "sigma_out", k.d_sig_out, sref, sizeof(float) * B * k.M) &&
             ok;
        free(got);
        break;
    }
    }
    double bytes = 0;
    switch (op) {
    case D_SAMPLE: bytes = 4.0 * B; break;
    case D_SAMPLE_MIXED: bytes = 8.0 * B; break;
    case D_ROWS: bytes = 8.0 * B * D + 4.0 * B; break;
    case D_ROWS_NORM: bytes = 8.0 * B * D + 4.0 * B + 8.0 * D; break;
    case D_HIST: bytes = 8.0 * B * k.H * D + 24.0 * B; break;
    case D_CHUNK: bytes = 8.0 * B * k.H * A + 4.0 * B * k.H + 32.0 * B; break;
    case D_NOISE: bytes = 4.0 * B * AN + 4.0 * B * k.M * AN + 8.0 * B * k.M; break;
    }
    bench_time(c, name, shape, bytes, 0.0, ok, run_d, &k);
    void *dev[] = {k.d_idx, k.d_out, k.d_valid, k.d_sig_out, k.d_delta, k.d_sigma, k.d_a};
    for (size_t i = 0; i < sizeof dev / sizeof *dev; ++i)
        if (dev[i]) be->free(be, dev[i]);
    free(idx), free(a), free(ref), free(vref), free(sref), free(dref), free(iref);
}

/* ---- kNN ---- */

typedef struct {
    int nq, nr, f;
    rise_knn_params p;
    float *d_q, *d_r, *d_dist;
    int32_t *d_idx, *d_cnt;
    void *scratch;
} k_case;

static void run_k(rise_backend *be, void *arg) {
    k_case *k = arg;
    be->knn_topk(be, k->d_idx, k->d_dist, k->d_cnt, k->d_q, k->nq, k->d_r, k->nr, k->f, &k->p,
                 k->scratch);
}

/* Points around 500 centres (noise 0.15 per coordinate), so near neighbours exist. */
static void clustered(float *x, int n, int f, unsigned seed) {
    float *centres = malloc(sizeof(float) * 500 * (size_t)f), *noise = malloc(sizeof(float) * f);
    bench_fill_random(centres, 500 * (size_t)f, 99, -1.0f, 1.0f);
    unsigned st = seed * 2654435761u + 1u;
    for (int i = 0; i < n; ++i) {
        st ^= st << 13, st ^= st >> 17, st ^= st << 5;
        bench_fill_random(noise, (size_t)f, st, -0.15f, 0.15f);
        const float *cen = centres + (size_t)(st % 500) * f;
        for (int x2 = 0; x2 < f; ++x2) x[(size_t)i * f + x2] = cen[x2] + noise[x2];
    }
    free(centres), free(noise);
}

static void k_bench(bench_ctx *c, int nq, int nr, int f, int k, float thr, int groups) {
    rise_backend *be = c->be;
    char shape[96];
    snprintf(shape, sizeof shape, "%dx%d F=%d k=%d%s%s", nq, nr, f, k, thr > 0 ? " thr" : "",
             groups ? "+grp" : "");
    float *q = bench_host_alloc(c, (size_t)nq * f), *r = bench_host_alloc(c, (size_t)nr * f);
    clustered(q, nq, f, 1);
    clustered(r, nr, f, 2);
    int32_t *qg = malloc(sizeof(int32_t) * nq), *rg = malloc(sizeof(int32_t) * nr);
    for (int i = 0; i < nq; ++i) qg[i] = i / 500;
    for (int j = 0; j < nr; ++j) rg[j] = j / 200;
    k_case kc = {.nq = nq, .nr = nr, .f = f, .p = {.k = k, .max_dist = thr}};
    kc.d_q = bench_upload(c, q, sizeof(float) * (size_t)nq * f);
    kc.d_r = bench_upload(c, r, sizeof(float) * (size_t)nr * f);
    int32_t *d_qg = bench_upload(c, qg, sizeof(int32_t) * nq);
    int32_t *d_rg = bench_upload(c, rg, sizeof(int32_t) * nr);
    if (groups) kc.p.q_group = d_qg, kc.p.r_group = d_rg;
    kc.d_idx = bench_upload(c, NULL, sizeof(int32_t) * (size_t)nq * k);
    kc.d_cnt = bench_upload(c, NULL, sizeof(int32_t) * (size_t)nq);
    kc.d_dist = bench_backend_alloc(c, (size_t)nq * k);
    kc.scratch = bench_upload(c, NULL, knn_topk_scratch_bytes(nq, k));
    run_k(be, &kc);
    int ok = bench_sync(c, "knn_topk", shape);
    /* the reference on the first nv queries and the last one (queries are independent) */
    const int nv = nq < 256 ? nq : 256;
    rise_knn_params hp = kc.p;
    if (groups) hp.q_group = qg, hp.r_group = rg;
    int32_t *ri = malloc(sizeof(int32_t) * (size_t)(nv + 1) * k),
            *rc = malloc(sizeof(int32_t) * (nv + 1));
    float *rd = bench_host_alloc(c, (size_t)(nv + 1) * k);
    double *rs = malloc(sizeof(double) * (size_t)(nv + 1) * k);
    knn_topk_ref(ri, rd, rc, q, nv, r, nr, f, &hp, rs);
    ok = bench_same(c, "knn_topk", shape, "count", kc.d_cnt, rc, sizeof(int32_t) * nv) && ok;
    ok = bench_same(c, "knn_topk", shape, "idx", kc.d_idx, ri, sizeof(int32_t) * nv * k) && ok;
    ok = bench_same(c, "knn_topk", shape, "dist", kc.d_dist, rd, sizeof(float) * nv * k) && ok;
    if (nq > nv) {
        const int last = nq - 1;
        rise_knn_params lp = hp;
        if (groups) lp.q_group = qg + last;
        knn_topk_ref(ri, rd, rc, q + (size_t)last * f, 1, r, nr, f, &lp, rs);
        ok = bench_same(c, "knn_topk", shape, "last idx", kc.d_idx + (size_t)last * k, ri,
                        sizeof(int32_t) * k) &&
             ok;
        ok = bench_same(c, "knn_topk", shape, "last dist", kc.d_dist + (size_t)last * k, rd,
                        sizeof(float) * k) &&
             ok;
    }
    const double bytes = 4.0 * f * ((double)nq + nr) + 8.0 * nq * k + 4.0 * nq;
    const double flops = 2.0 * nq * (double)nr * f;
    const int warmup = c->warmup;
    if (c->warmup > 1) c->warmup = 1;
    bench_time(c, "knn_topk", shape, bytes, flops, ok, run_k, &kc);
    c->warmup = warmup;
    void *dev[] = {kc.d_q, kc.d_r, d_qg, d_rg, kc.d_idx, kc.d_cnt, kc.d_dist, kc.scratch};
    for (size_t i = 0; i < sizeof dev / sizeof *dev; ++i) be->free(be, dev[i]);
    free(q), free(r), free(qg), free(rg), free(ri), free(rc), free(rd), free(rs);
}

int main(int argc, char **argv) {
    bench_ctx c;
    bench_init(&c, argc, argv,
               "Device-resident data ops: sampling, gathers, action noise, kNN.\n"
               "Bytes: see the header of benchmarks/bench_data_ops.c.");
    data_set s;
    make_data(&c, &s, c.quick ? 5000 : 1000000, 32, 7);
    const int B = c.quick ? 37 : 256;
    for (int op = 0; op < D_COUNT; ++op) d_bench(&c, &s, op, B);
    free_data(&c, &s);
    if (c.quick) {
        k_bench(&c, 500, 300, 20, 15, 0.0f, 0);
        k_bench(&c, 500, 300, 20, 15, 0.5f, 1);
    } else {
        k_bench(&c, 100000, 20000, 20, 15, 0.0f, 0);
        k_bench(&c, 100000, 20000, 20, 15, 0.5f, 1);
    }
    return bench_finish(&c);
}
