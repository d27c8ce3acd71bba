/* test_backend_cpu.c - the fast "cpu" backend against the "ref" backend (the specification)
 * on the ops it replaces, with awkward shapes (1, primes, lengths that are no multiple of 8,
 * inputs large enough to be split over threads) and edge values (0, +-20, +-25, +-100, NaN,
 * +-inf). Bounds, per op, from how each side computes (u = 2^-24, float's unit roundoff):
 *   bit for bit: identity and relu; the bias gradient and the fused backward's bias sums
 *     (the same double sums in the same order); LayerNorm's dgamma/dbeta; Adam (the same
 *     float operations); uniforms, dropout and normals (the same Philox words and libm);
 *     MAX/MIN/ABSMAX (exact in any order); NaN and infinities wherever the reference
 *     gives them.
 *   activations: float formulas with 1-ulp vector exp/tanh against the double reference
 *     rounded once. Forward: ~8 roundings (rtol 8u), and for gelu the rounding of
 *     u = c (x + a x^3) is amplified by the exponent 2|u| in exp(-2|u|) (rtol
 *     (8 + 4|2u|) u, <= 27 here). Backward: the derivative's ~16 roundings and terms of
 *     both signs (mish' crosses 0 near x = -1.19, gelu' near -0.75): |err| <=
 *     16 u (1 + |x|) (1 + |exponent|) |dy| absolute, per element.
 *   LayerNorm forward/backward dx: the row sums in split double accumulators differ from
 *     the sequential ones in the last double bits, so a float result can round the other
 *     way: 1 ulp (rtol 2u) + 1e-12 absolute (cancellation in double before rounding).
 *   SUM/SUMSQ/MEAN: the same double-rounding argument: 1 ulp of the float result.
 *   GEMM fp32 (float accumulation over k terms in [-1, 1]) against the double reference:
 *     1e-5 (1 + sqrt k) absolute + 1e-5 relative, as the CUDA test; bf16: inputs rounded
 *     to 8 significant bits, so |err| <= 2^-8 sum_p |a_ip b_pj| + the fp32 bound, per
 *     element (computed here exactly).
 * Determinism: each fast op run twice gives the same bits, and with 1 and 2 threads too
 * (GEMM: the OpenBLAS paths; oneDNN's blocking may follow the thread count).
 * Run: ctest -R test_backend_cpu (OMP_NUM_THREADS=2). */
#include <float.h>
#include <omp.h>

#include "kernels/activation.h"
#include "kernels/gemm.h"
#include "kernels/layernorm.h"
#include "kernels/optim.h"
#include "kernels/random.h"
#include "kernels/reduce.h"
#include "test_util.h"

static rise_backend *cpu, *ref;
static const double U = 1.0 / 16777216.0; /* 2^-24 */

static float *rnd(size_t n, unsigned seed, float lo, float hi) {
    float *x = malloc((n ? n : 1) * sizeof(float));
    test_fill_random(x, n, seed, lo, hi);
    return x;
}

static float *copy(const float *x, size_t n) {
    float *y = malloc((n ? n : 1) * sizeof(float));
    memcpy(y, x, n * sizeof(float));
    return y;
}

static void same(const char *name, const float *got, const float *want, size_t n) {
    size_t first = n;
    for (size_t i = 0; i < n && first == n; ++i)
        if (memcmp(&got[i], &want[i], sizeof(float)) != 0) first = i;
    TEST_CHECK(first == n, "%s: first difference at [%zu] of %zu: %.9g vs %.9g", name, first, n,
               first < n ? (double)got[first] : 0.0, first < n ? (double)want[first] : 0.0);
}

/* Per-element bound |got - want| <= tol[i]; NaN and infinities must match exactly. */
static void within(const char *name, const float *got, const float *want, const double *tol,
                   size_t n) {
    size_t bad = 0, worst = 0;
    double worst_ratio = 0.0;
    for (size_t i = 0; i < n; ++i) {
        if (isnan(want[i]) || isinf(want[i])) {
            const int ok = isnan(want[i]) ? isnan(got[i]) : got[i] == want[i];
            bad += !ok;
            continue;
        }
        const double d = fabs((double)got[i] - want[i]);
        if (!(d <= tol[i])) {
            ++bad;
            const double r = d / (tol[i] > 0 ? tol[i] : 1e-300);
            if (r > worst_ratio || isnan(d)) worst_ratio = r, worst = i;
        }
    }
    for (size_t i = 0; i < n && bad && worst_ratio == 0.0; ++i) /* a NaN/inf mismatch */
        if ((isnan(want[i]) || isinf(want[i])) && memcmp(&got[i], &want[i], 4) &&
            !(isnan(got[i]) && isnan(want[i])))
            worst = i, worst_ratio = 1.0;
    TEST_CHECK(bad == 0, "%s: %zu/%zu outside the bound; worst [%zu] got %.9g want %.9g tol %.3g",
               name, bad, n, worst, bad ? (double)got[worst] : 0.0, bad ? (double)want[worst] : 0.0,
               bad ? tol[worst] : 0.0);
}

static const size_t lengths[] = {1, 7, 13, 37, 257, 1003, 100003};
#define N_LENGTHS (sizeof lengths / sizeof *lengths)

/* The activations' inputs: uniform in [-8, 8] with edge values at the front. */
static float *act_input(size_t n, unsigned seed) {
    float *x = rnd(n, seed, -8.0f, 8.0f);
    const float edges[] = {0.0f,    -0.0f, 20.0f,    20.5f,     -20.0f, 25.0f,  -25.0f, 100.0f,
                           -100.0f, NAN,   INFINITY, -INFINITY, -1.19f, -0.75f, 1e-30f, -1e-30f};
    for (size_t i = 0; i < n && i < sizeof edges / sizeof *edges; ++i) x[i] = edges[i];
    return x;
}

/* |exponent| the activation's exp sees at x (mish: x, silu: |x|, tanh: 2|x|, gelu: 2|u|). */
static double exponent(rise_act act, double x) {
    const double ax = fabs(x);
    switch (act) {
    case RISE_ACT_GELU: return 2.0 * 0.7978845608 * fabs(x + 0.044715 * x * x * x);
    case RISE_ACT_TANH: return 2.0 * ax;
    case RISE_ACT_MISH:
    case RISE_ACT_SILU: return ax;
    default: return 0.0;
    }
}

/* The bounds of the header, per element. The reference's own gelu loses accuracy where
 * 1 + tanh u cancels in double (x << 0: its result is 0 where the true value is ~1e-20),
 * so gelu also allows |x| 2^-53 (forward) and (1 + x^2) 2^-52 |dy| (backward). */
static double act_forward_tol(rise_act act, float x, float y_ref) {
    if (act == RISE_ACT_IDENTITY || act == RISE_ACT_RELU) return 0.0;
    const double e = isfinite(x) ? exponent(act, x) : 0.0;
    const double k = act == RISE_ACT_GELU ? 8.0 + 4.0 * e : 8.0;
    const double own = act == RISE_ACT_GELU && isfinite(x) ? fabs(x) * ldexp(1.0, -53) : 0.0;
    return k * U * fabs(y_ref) + own + 1e-37;
}

static double act_backward_tol(rise_act act, float x, float dy, float d_ref) {
    if (act == RISE_ACT_IDENTITY || act == RISE_ACT_RELU) return 0.0;
    const double e = isfinite(x) ? exponent(act, x) : 0.0;
    const double ax = isfinite(x) ? fabs(x) : 0.0;
    const double own = act == RISE_ACT_GELU ? (1.0 + ax * ax) * ldexp(1.0, -52) * fabs(dy) : 0.0;
    return 16.0 * U * (1.0 + ax) * (1.0 + e) * fabs(dy) + 2.0 * U * fabs(d_ref) + own + 1e-37;
}

static void test_activations(void) {
    for (int a = 0; a < RISE_ACT_COUNT; ++a)
        for (size_t s = 0; s < N_LENGTHS; ++s) {
            const rise_act act = (rise_act)a;
            const size_t n = lengths[s];
            float *x = act_input(n, 11 + (unsigned)s), *dy = rnd(n, 12 + (unsigned)s, -1, 1);
            float *y0 = rnd(n, 13, -1, 1), *y1 = copy(y0, n);
            double *tol = malloc(n * sizeof(double));
            char name[96];
            cpu->act_forward(cpu, act, y0, x, n);
            ref->act_forward(ref, act, y1, x, n);
            for (size_t i = 0; i < n; ++i) tol[i] = act_forward_tol(act, x[i], y1[i]);
            snprintf(name, sizeof name, "act_forward %s n=%zu", act_name(act), n);
            within(name, y0, y1, tol, n);
            for (int acc = 0; acc < 2; ++acc) {
                float *d0 = rnd(n, 14, -1, 1), *d1 = copy(d0, n);
                cpu->act_backward(cpu, act, d0, dy, x, n, acc);
                ref->act_backward(ref, act, d1, dy, x, n, acc);
                for (size_t i = 0; i < n; ++i) tol[i] = act_backward_tol(act, x[i], dy[i], d1[i]);
                snprintf(name, sizeof name, "act_backward %s acc=%d n=%zu", act_name(act), acc, n);
                within(name, d0, d1, tol, n);
                free(d0), free(d1);
            }
            free(x), free(dy), free(y0), free(y1), free(tol);
        }
}

/* Fused epilogues: h and the bias sums exact; a and dh as the activations. */
static void test_fused(void) {
    const int shapes[][3] = {{1, 1, 1}, {2, 37, 257}, {1, 300, 1024}, {3, 5, 7}}; /* E B N */
    for (int a = 0; a < RISE_ACT_COUNT; ++a)
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; ++s) {
            const rise_act act = (rise_act)a;
            const int e = shapes[s][0], b = shapes[s][1], n = shapes[s][2];
            const size_t t = (size_t)e * b * n, nb = (size_t)e * n;
            float *h0 = rnd(t, 21 + (unsigned)s, -5, 5), *h1 = copy(h0, t);
            float *bias = rnd(nb, 22, -1, 1), *a0 = rnd(t, 23, -1, 1), *a1 = copy(a0, t);
            char name[96];
            cpu->bias_act_forward(cpu, act, h0, a0, bias, e, b, n);
            ref->bias_act_forward(ref, act, h1, a1, bias, e, b, n);
            snprintf(name, sizeof name, "bias_act_forward h %s e=%d b=%d n=%d", act_name(act), e, b,
                     n);
            same(name, h0, h1, t);
            snprintf(name, sizeof name, "bias_act_forward a %s e=%d b=%d n=%d", act_name(act), e, b,
                     n);
            double *tol = malloc(t * sizeof(double));
            for (size_t i = 0; i < t; ++i) tol[i] = act_forward_tol(act, h1[i], a1[i]);
            within(name, a0, a1, tol, t);
            free(tol);
            /* the bias sums: bit for bit those of bias_grad_ref over the cpu's own dh */
            float *da = rnd(t, 24, -1, 1), *dh = rnd(t, 25, -1, 1), *db0 = rnd(nb, 26, -1, 1);
            float *db1 = copy(db0, nb);
            cpu->act_bias_backward(cpu, act, dh, db0, da, h0, e, b, n);
            bias_grad_ref(db1, dh, e, b, n);
            snprintf(name, sizeof name, "act_bias_backward dbias %s e=%d b=%d n=%d", act_name(act),
                     e, b, n);
            same(name, db0, db1, nb);
            float *dh1 = rnd(t, 27, -1, 1);
            act_backward_cpu(act, dh1, da, h0, t, 0);
            snprintf(name, sizeof name, "act_bias_backward dh %s e=%d b=%d n=%d", act_name(act), e,
                     b, n);
            same(name, dh, dh1, t);
            free(h0), free(h1), free(bias), free(a0), free(a1), free(da), free(dh), free(db0);
            free(db1), free(dh1);
        }
    /* bias_grad alone, accumulating twice */
    const int ebn[][3] = {{1, 1, 1}, {2, 257, 37}, {1, 1003, 256}, {3, 7, 1025}};
    for (size_t s = 0; s < sizeof ebn / sizeof *ebn; ++s) {
        const int e = ebn[s][0], b = ebn[s][1], n = ebn[s][2];
        const size_t t = (size_t)e * b * n, nb = (size_t)e * n;
        float *dy = rnd(t, 31 + (unsigned)s, -1, 1), *g0 = rnd(nb, 32, -1, 1), *g1 = copy(g0, nb);
        for (int rep = 0; rep < 2; ++rep) {
            cpu->bias_grad(cpu, g0, dy, e, b, n);
            ref->bias_grad(ref, g1, dy, e, b, n);
        }
        char name[64];
        snprintf(name, sizeof name, "bias_grad x2 e=%d b=%d n=%d", e, b, n);
        same(name, g0, g1, nb);
        free(dy), free(g0), free(g1);
    }
}

static void test_layernorm(void) {
    const int shapes[][2] = {{1, 1}, {1, 257}, {7, 13}, {37, 1003}, {257, 37}, {300, 1024}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; ++s)
        for (int affine = 0; affine < 2; ++affine) {
            const int rows = shapes[s][0], cols = shapes[s][1];
            const size_t n = (size_t)rows * cols;
            float *x = rnd(n, 41 + (unsigned)s, 9.0f, 11.0f), *dy = rnd(n, 42, -1, 1);
            float *g = affine ? rnd(cols, 43, 0.5f, 1.5f) : NULL;
            float *bt = affine ? rnd(cols, 44, -0.5f, 0.5f) : NULL;
            float *y0 = malloc(n * 4), *y1 = malloc(n * 4), *m0 = malloc(rows * 4),
                  *m1 = malloc(rows * 4), *r0 = malloc(rows * 4), *r1 = malloc(rows * 4);
            cpu->layernorm_forward(cpu, y0, m0, r0, x, g, bt, rows, cols, 1e-5f);
            ref->layernorm_forward(ref, y1, m1, r1, x, g, bt, rows, cols, 1e-5f);
            char name[96];
            snprintf(name, sizeof name, "layernorm_forward y rows=%d cols=%d affine=%d", rows, cols,
                     affine);
            test_close(name, y0, y1, n, 1e-12, 2 * U);
            snprintf(name, sizeof name, "layernorm_forward mean/rstd rows=%d cols=%d", rows, cols);
            test_close(name, m0, m1, rows, 1e-12, 2 * U);
            test_close(name, r0, r1, rows, 1e-12, 2 * U);
            float *dx0 = rnd(n, 45, -1, 1), *dx1 = copy(dx0, n);
            float *dg0 = rnd(cols, 46, -1, 1), *dg1 = copy(dg0, cols);
            float *db0 = rnd(cols, 47, -1, 1), *db1 = copy(db0, cols);
            for (int rep = 0; rep < 2; ++rep) { /* dx overwrite, then +=; params += */
                cpu->layernorm_backward(cpu, dx0, dg0, db0, dy, x, m1, r1, g, rows, cols, rep);
                ref->layernorm_backward(ref, dx1, dg1, db1, dy, x, m1, r1, g, rows, cols, rep);
            }
            snprintf(name, sizeof name, "layernorm_backward dx rows=%d cols=%d affine=%d", rows,
                     cols, affine);
            test_close(name, dx0, dx1, n, 1e-12, 4 * U);
            snprintf(name, sizeof name, "layernorm_backward dgamma/dbeta rows=%d cols=%d", rows,
                     cols);
            same(name, dg0, dg1, cols);
            same(name, db0, db1, cols);
            free(x), free(dy), free(g), free(bt), free(y0), free(y1), free(m0), free(m1);
            free(r0), free(r1), free(dx0), free(dx1), free(dg0), free(dg1), free(db0), free(db1);
        }
}

static void test_random_adam_reduce(void) {
    const rise_rng rngs[] = {
        {0, 0, 0, NULL}, {0x123456789abcdefULL, 7, 3, NULL}, {42, 1, (1ULL << 32) + 5, NULL}};
    for (size_t r = 0; r < 3; ++r)
        for (size_t s = 0; s < N_LENGTHS; ++s) {
            const size_t n = lengths[s];
            float *y0 = malloc(n * 4), *y1 = malloc(n * 4), *m0 = malloc(n * 4),
                  *m1 = malloc(n * 4), *x = rnd(n, 51, -1, 1);
            char name[96];
            cpu->rand_uniform(cpu, y0, n, -0.7f, 2.3f, rngs[r]);
            ref->rand_uniform(ref, y1, n, -0.7f, 2.3f, rngs[r]);
            snprintf(name, sizeof name, "rand_uniform rng#%zu n=%zu", r, n);
            same(name, y0, y1, n);
            cpu->rand_normal(cpu, y0, n, 0.5f, 2.0f, rngs[r]);
            ref->rand_normal(ref, y1, n, 0.5f, 2.0f, rngs[r]);
            snprintf(name, sizeof name, "rand_normal rng#%zu n=%zu", r, n);
            same(name, y0, y1, n);
            for (int pi = 0; pi < 3; ++pi) {
                const float p = pi == 0 ? 0.0f : pi == 1 ? 0.3f : 1.0f;
                cpu->dropout_forward(cpu, y0, m0, x, n, p, rngs[r]);
                ref->dropout_forward(ref, y1, m1, x, n, p, rngs[r]);
                snprintf(name, sizeof name, "dropout p=%g rng#%zu n=%zu", (double)p, r, n);
                same(name, y0, y1, n);
                same(name, m0, m1, n);
            }
            free(y0), free(y1), free(m0), free(m1), free(x);
        }
    for (size_t s = 0; s < N_LENGTHS; ++s)
        for (int variant = 0; variant < 3; ++variant) { /* plain, AdamW, clipped AdamW */
            const size_t n = lengths[s];
            rise_adam_hparams hp = {3e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 0.0f, NULL};
            if (variant >= 1) hp.weight_decay = 0.01f;
            if (variant == 2) hp.max_grad_norm = 0.5f;
            float *p0 = rnd(n, 61, -1, 1), *p1 = copy(p0, n), *mm0 = calloc(n, 4),
                  *mm1 = calloc(n, 4), *v0 = calloc(n, 4), *v1 = calloc(n, 4);
            float sumsq = 0.0f;
            for (int step = 1; step <= 3; ++step) {
                float *g = rnd(n, 62 + (unsigned)step, -2, 2);
                if (n > 3 && step == 2) g[3] = NAN; /* NaN flows as in the reference */
                ref->reduce(ref, RISE_REDUCE_SUMSQ, &sumsq, g, n);
                cpu->adam(cpu, p0, g, mm0, v0, n, &hp, step, variant == 2 ? &sumsq : NULL);
                ref->adam(ref, p1, g, mm1, v1, n, &hp, step, variant == 2 ? &sumsq : NULL);
                free(g);
            }
            char name[64];
            snprintf(name, sizeof name, "adam x3 variant=%d n=%zu", variant, n);
            same(name, p0, p1, n);
            same(name, mm0, mm1, n);
            same(name, v0, v1, n);
            free(p0), free(p1), free(mm0), free(mm1), free(v0), free(v1);
        }
    const size_t red_lengths[] = {0, 1, 37, 1003, 100003, 2000003};
    for (size_t s = 0; s < sizeof red_lengths / sizeof *red_lengths; ++s) {
        const size_t n = red_lengths[s];
        float *x = rnd(n, 71 + (unsigned)s, -3, 3);
        for (int op = 0; op < RISE_REDUCE_COUNT; ++op) {
            float a = 0, b = 0;
            cpu->reduce(cpu, (rise_reduce_op)op, &a, x, n);
            ref->reduce(ref, (rise_reduce_op)op, &b, x, n);
            char name[64];
            snprintf(name, sizeof name, "reduce op=%d n=%zu", op, n);
            if (op == RISE_REDUCE_SUM || op == RISE_REDUCE_SUMSQ || op == RISE_REDUCE_MEAN)
                test_close(name, &a, &b, 1, 1e-30, 2 * U);
            else
                same(name, &a, &b, 1);
        }
        if (n > 1) { /* a NaN anywhere: every reduction says NaN, as the reference */
            x[n / 2] = NAN;
            for (int op = 0; op < RISE_REDUCE_COUNT; ++op) {
                float a = 0;
                cpu->reduce(cpu, (rise_reduce_op)op, &a, x, n);
                TEST_CHECK(isnan(a), "reduce op=%d n=%zu with a NaN gives NaN (%g)", op, n,
                           (double)a);
            }
        }
        free(x);
    }
}

/* One GEMM on both backends; bf16 compares with the per-element bound of the header. */
static void one_gemm(int ta, int tb, int m, int n, int k, float alpha, float beta, int batch,
                     int shared_a, int bf16) {
    const int lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 3;
    const int64_t sa = shared_a ? 0 : (int64_t)(ta ? k : m) * lda;
    const int64_t sb = (int64_t)(tb ? n : k) * ldb, sc = (int64_t)m * ldc;
    const size_t na = (size_t)(ta ? k : m) * lda * (shared_a ? 1 : batch);
    const size_t nb = (size_t)sb * batch, nc = (size_t)sc * batch;
    float *a = rnd(na, 81 + m, -1, 1), *b = rnd(nb, 82 + n, -1, 1), *c0 = rnd(nc, 83 + k, -1, 1);
    float *c1 = copy(c0, nc);
    cpu->gemm(cpu, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c0, ldc, sc, batch);
    ref->gemm(ref, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c1, ldc, sc, batch);
    double *tol = malloc((nc ? nc : 1) * sizeof(double));
    for (int e = 0; e < batch; ++e)
        for (int i = 0; i < m; ++i)
            for (int j = 0; j < ldc; ++j) {
                const size_t o = (size_t)e * sc + (size_t)i * ldc + j;
                double abs_sum = 0.0;
                for (int p = 0; j < n && p < k; ++p) {
                    const float av = a[e * sa + (ta ? (int64_t)p * lda + i : (int64_t)i * lda + p)];
                    const float bv = b[e * sb + (tb ? (int64_t)j * ldb + p : (int64_t)p * ldb + j)];
                    abs_sum += fabs((double)av * bv);
                }
                tol[o] = 1e-5 * (1.0 + sqrt((double)k)) + 1e-5 * fabs(c1[o]) +
                         (bf16 ? 1.01 * ldexp(1.0, -8) * fabs(alpha) * abs_sum : 0.0);
            }
    char name[160];
    snprintf(name, sizeof name, "gemm%s ta=%d tb=%d m=%d n=%d k=%d alpha=%g beta=%g batch=%d%s",
             bf16 ? " bf16" : "", ta, tb, m, n, k, (double)alpha, (double)beta, batch,
             shared_a ? " A-shared" : "");
    within(name, c0, c1, tol, nc);
    free(a), free(b), free(c0), free(c1), free(tol);
}

static void test_gemm(int bf16) {
    const int mnk[][3] = {{1, 1, 1},      {7, 13, 37},    {37, 1, 257},  {1, 29, 3},
                          {64, 48, 1003}, {13, 257, 7},   {256, 256, 8}, {256, 1024, 256},
                          {256, 2, 256},  {300, 300, 300}};
    for (size_t s = 0; s < sizeof mnk / sizeof *mnk; ++s)
        for (int ta = 0; ta < 2; ++ta)
            for (int tb = 0; tb < 2; ++tb)
                one_gemm(ta, tb, mnk[s][0], mnk[s][1], mnk[s][2], 1.0f, 0.0f, 1, 0, bf16);
    one_gemm(0, 1, 33, 37, 41, 0.5f, -2.0f, 1, 0, bf16);
    one_gemm(0, 0, 256, 256, 256, 1.0f, 1.0f, 2, 0, bf16);   /* twin critic, accumulating */
    one_gemm(0, 0, 256, 256, 64, 1.0f, 0.0f, 2, 1, bf16);    /* shared input */
    one_gemm(1, 0, 256, 256, 256, 1.0f, 1.0f, 2, 0, bf16);   /* weight gradient */
    one_gemm(0, 0, 5, 6, 0, 1.0f, 0.5f, 2, 0, bf16);         /* k = 0: C = beta C */
    one_gemm(0, 0, 2048, 1024, 256, 1.0f, 0.0f, 1, 0, bf16); /* extraction-sized */
}

/* Runs each thread-chunked op with 1 and with 2 threads (and twice): the same bits. */
static void test_thread_independence(void) {
    enum { N = 300007, ROWS = 601, COLS = 499, ND = 1000 };
    /* one output buffer per run: the ops' results side by side */
    const size_t o_bwd = N, o_ln = 2 * N, o_dy = 3 * N, o_dm = o_dy + ND, o_bias = o_dm + ND;
    const size_t o_red = o_bias + COLS, o_g1 = o_red + 2, o_g2 = o_g1 + 2 * 65536;
    const size_t total = o_g2 + 300 * 250;
    float *x = act_input(N, 91), *dy = rnd(N, 92, -1, 1), *out[4];
    /* terms of magnitudes 2^-40 .. 2^40 that cancel exactly (x, then -x in reverse order):
     * the double sum is pure rounding error, so any change of summation order shows */
    float *cancel = malloc(2 * N * sizeof(float));
    for (size_t i = 0; i < N; ++i) {
        cancel[i] = ldexpf(dy[i], (int)(i * 2654435761u % 81) - 40);
        cancel[2 * N - 1 - i] = -cancel[i];
    }
    const rise_rng rng = {7, 3, 11, NULL};
    for (int t = 0; t < 4; ++t) { /* threads 1, 2, 1, 2 */
        omp_set_num_threads(1 + (t & 1));
        float *o = out[t] = calloc(total, sizeof(float));
        float mean[ROWS], rstd[ROWS];
        cpu->act_forward(cpu, RISE_ACT_MISH, o, x, N);
        cpu->act_backward(cpu, RISE_ACT_GELU, o + o_bwd, dy, x, N, 0);
        cpu->layernorm_forward(cpu, o + o_ln, mean, rstd, dy, NULL, NULL, ROWS, COLS, 1e-5f);
        cpu->dropout_forward(cpu, o + o_dy, o + o_dm, dy, ND, 0.3f, rng);
        cpu->bias_grad(cpu, o + o_bias, dy, 1, ROWS, COLS);
        cpu->reduce(cpu, RISE_REDUCE_SUMSQ, o + o_red, dy, N);
        cpu->reduce(cpu, RISE_REDUCE_SUM, o + o_red + 1, cancel, 2 * N);
        gemm_cpu_state *gs = gemm_cpu_create();
        gemm_cpu_force(gs, GEMM_CPU_BLAS); /* members, halves, OpenBLAS threads */
        gemm_cpu(gs, 0, 0, 256, 256, 256, 1.0f, dy, 256, 65536, dy + 131072, 256, 65536, 0.0f,
                 o + o_g1, 256, 65536, 2);
        gemm_cpu(gs, 0, 1, 300, 250, 200, 1.0f, dy, 200, 0, dy + 60000, 200, 0, 0.0f, o + o_g2, 250,
                 0, 1);
        gemm_cpu_destroy(gs);
    }
    omp_set_num_threads(2);
    same("fast ops: 1 thread vs 2 threads", out[0], out[1], total);
    same("fast ops: run to run (1 thread)", out[0], out[2], total);
    same("fast ops: run to run (2 threads)", out[1], out[3], total);
    TEST_CHECK(out[0][o_red + 1] != 0.0f, "the cancelling sum keeps its rounding error (%g)",
               (double)out[0][o_red + 1]);
    for (int t = 0; t < 4; ++t) free(out[t]);
    free(x), free(dy), free(cancel);
}

int main(void) {
    cpu = test_backend_or_skip("cpu");
    ref = test_backend_or_skip("ref");
    test_activations();
    test_fused();
    test_layernorm();
    test_random_adam_reduce();
    test_gemm(0);
    if (cpu->set_precision && cpu->set_precision(cpu, RISE_PRECISION_BF16) == RISE_OK) {
        test_gemm(1);
        cpu->set_precision(cpu, RISE_PRECISION_FP32);
    } else {
        printf("bf16 GEMM not available on this processor: %s\n", rise_last_error());
    }
    TEST_CHECK(rise_backend_set_precision_name(ref, "bf16") != RISE_OK &&
                   strstr(rise_last_error(), "fp32 only"),
               "the ref backend refuses bf16: %s", rise_last_error());
    TEST_CHECK(rise_backend_set_precision_name(cpu, "fp16") != RISE_OK &&
                   strstr(rise_last_error(), "'fp32' or 'bf16'"),
               "an unknown precision is refused: %s", rise_last_error());
    test_thread_independence();
    rise_backend_destroy(cpu);
    rise_backend_destroy(ref);
    return test_finish();
}
