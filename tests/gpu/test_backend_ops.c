/* test_backend_ops.c - every op of the backend table run on the "ref" (reference) and the
 * "cuda" backend with identical inputs, compared element by element (in the
 * spirit of ggml's test-backend-ops). Shapes are awkward on purpose: 1, primes
 * (7, 13, 37, 257), 1003, lengths that are not multiples of 32 or 256, rows = 1
 * and cols = 1. Every numbered CUDA variant is also run through its
 * _cuda_variant launcher against the CPU backend, and ops that accumulate run
 * twice so += is checked. Philox draws: uniforms, dropout masks and integer
 * draws bitwise equal; normals within a few ulp. The edge rules of each op's header
 * (NaN and Inf, empty and degenerate inputs, p = 0 and 1, tau at 0 and 1, K = 1, cols =
 * 0) are checked against the CPU backend too: NaN must meet NaN, Inf the same Inf.
 * Variant launchers get the backend's stream (vstream), so they are ordered with its
 * uploads and allocations.
 *
 * Tolerances (|gpu - cpu| <= atol + rtol |cpu|, see each check) follow from
 * how each side computes: a single IEEE operation is exact (0, 0); nvcc
 * contracts a*b+c into an FMA, so fused forms get ~1 ulp (rtol 1e-6); float
 * activations vs the double reference a few ulp (1e-5, atol 1e-6); LayerNorm
 * float statistics vs double 2e-5; GEMM float accumulation over k terms
 * 1e-5 (1 + sqrt(k)); sums done in double on both sides 1e-6.
 *
 * Run: ctest -L gpu -R test_backend_ops (exits 77, skipped, without a GPU or
 * when the CUDA backend was not built). */
#include <float.h>
#include <stdint.h>

#include "test_util.h"

#ifdef RISE_WITH_CUDA
#include "kernels/activation.h"
#include "kernels/layernorm.h"
#include "kernels/random.h"
#include "kernels/reduce.h"
#include "kernels/spectral_norm.h"
#include "kernels/diffusion.h"
#include "kernels/gaussian.h"

static rise_backend *cpu, *gpu;

/* ---- helpers: host arrays, device copies, comparison ---- */

static float *rnd(size_t n, unsigned seed, float lo, float hi) {
    float *x = malloc((n ? n : 1) * sizeof(float));
    test_fill_random(x, n, seed, lo, hi);
    return x;
}

static float *up(const float *host, size_t n) { return test_to_backend(gpu, host, n); }

/* Downloads a device array and compares it with the CPU backend's result. */
static void check(const char *what, const float *dev, const float *ref, size_t n, double atol,
                  double rtol) {
    float *got = test_from_backend(gpu, dev, n);
    /* infinities and NaN (edge rules) must match exactly; test_close sees 0 there (a NaN
     * the reference does not have still fails test_close) */
    float *ref_finite = malloc((n ? n : 1) * sizeof(float));
    size_t inf_bad = 0, nan_bad = 0;
    for (size_t i = 0; i < n; ++i) {
        ref_finite[i] = ref[i];
        if (isinf(ref[i])) {
            inf_bad += got[i] != ref[i];
            got[i] = ref_finite[i] = 0.0f;
        } else if (isnan(ref[i])) {
            nan_bad += !isnan(got[i]);
            got[i] = ref_finite[i] = 0.0f;
        }
    }
    TEST_CHECK(inf_bad == 0, "%s: %zu infinite reference values not matched", what, inf_bad);
    TEST_CHECK(nan_bad == 0, "%s: %zu NaN reference values not matched", what, nan_bad);
    test_close(what, got, ref_finite, n, atol, rtol);
    free(ref_finite);
    free(got);
}

/* Bitwise comparison (Philox draws). */
static void check_bits(const char *what, const void *dev, const void *ref, size_t bytes) {
    void *got = malloc(bytes ? bytes : 1);
    if (bytes) gpu->download(gpu, got, dev, bytes);
    TEST_CHECK(memcmp(got, ref, bytes) == 0, "%s: not bitwise equal to the CPU's", what);
    free(got);
}

/* The stream for the _cuda_variant launchers: the backend's own, so a variant's kernel is
 * ordered after the backend's uploads and zero-filling allocations and before its
 * downloads (the launchers refuse NULL, the legacy default stream, which is not). */
static void *vstream(void) { return gpu->stream; }

static void sync_ok(const char *after) {
    const rise_status s = gpu->sync(gpu);
    TEST_CHECK(s == RISE_OK, "sync after %s: %s", after, rise_last_error());
}

/* RISE_TEST_SHAPES=small (tests/test_util.h) drops the buffers longer than this, which are
 * there for their size alone (every variant still runs at the shorter ones) */
#define SMALL_ELEMENTS 65536
static const size_t lengths[] = {1, 7, 13, 37, 257, 1003, 100003};
#define N_LENGTHS (sizeof lengths / sizeof *lengths)
static const int shapes[][2] = {{1, 1},     {1, 257},  {7, 13},  {13, 1},
                                {37, 1003}, {257, 37}, {3, 2053}};
#define N_SHAPES (sizeof shapes / sizeof *shapes)

/* ---- dense algebra ---- */

static void one_gemm(int ta, int tb, int m, int n, int k, float alpha, float beta, int batch,
                     int broadcast_a) {
    const int lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 3; /* padded */
    const int64_t sa = broadcast_a ? 0 : (int64_t)(ta ? k : m) * lda;
    const int64_t sb = (int64_t)(tb ? n : k) * ldb, sc = (int64_t)m * ldc;
    const size_t na = (size_t)(ta ? k : m) * lda * (broadcast_a ? 1 : batch);
    const size_t nb = (size_t)sb * batch, nc = (size_t)sc * batch;
    float *a = rnd(na, 11 + m, -1, 1), *b = rnd(nb, 13 + n, -1, 1), *c = rnd(nc, 17 + k, -1, 1);
    float *da = up(a, na), *db = up(b, nb), *dc = up(c, nc);
    cpu->gemm(cpu, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch);
    gpu->gemm(gpu, ta, tb, m, n, k, alpha, da, lda, sa, db, ldb, sb, beta, dc, ldc, sc, batch);
    char name[160];
    snprintf(name, sizeof name, "gemm ta=%d tb=%d m=%d n=%d k=%d alpha=%g beta=%g batch=%d%s", ta,
             tb, m, n, k, alpha, beta, batch, broadcast_a ? " A-broadcast" : "");
    check(name, dc, c, nc, 1e-5 * (1.0 + sqrt((double)k)), 1e-5);
    gpu->free(gpu, da), gpu->free(gpu, db), gpu->free(gpu, dc);
    free(a), free(b), free(c);
}

static void test_gemm(void) {
    const int mnk[][3] = {{1, 1, 1},  {7, 13, 37},    {37, 1, 257},
                          {1, 29, 3}, {64, 48, 1003}, {13, 257, 7}};
    for (size_t s = 0; s < sizeof mnk / sizeof *mnk; ++s)
        for (int ta = 0; ta < 2; ++ta)
            for (int tb = 0; tb < 2; ++tb)
                one_gemm(ta, tb, mnk[s][0], mnk[s][1], mnk[s][2], 1.0f, 0.0f, 1, 0);
    one_gemm(0, 1, 13, 7, 9, 0.5f, -2.0f, 1, 0);
    one_gemm(0, 0, 5, 6, 7, 1.0f, 1.0f, 3, 0); /* ensemble batch, accumulating */
    one_gemm(0, 0, 5, 6, 7, 1.0f, 0.0f, 2, 1); /* shared input, per-member weights */
    one_gemm(1, 0, 6, 5, 4, 1.0f, 1.0f, 2, 0); /* weight-gradient form */
    one_gemm(0, 0, 3, 4, 0, 1.0f, 0.5f, 2, 0); /* k = 0: C = beta C */
    /* k = 0 and beta = 0 overwrite, even NaN */
    float nan2[2] = {NAN, NAN}, zero2[2] = {0, 0};
    float *dz = up(nan2, 2), *da = up(zero2, 2);
    gpu->gemm(gpu, 0, 0, 1, 2, 0, 1.0f, da, 1, 0, da, 2, 0, 0.0f, dz, 2, 0, 1);
    check("gemm k=0 beta=0 overwrites NaN", dz, zero2, 2, 0, 0);
    gpu->free(gpu, dz), gpu->free(gpu, da);
    sync_ok("gemm");
}

static void test_bias(void) {
    const int ebn[][3] = {{1, 1, 1}, {1, 7, 13}, {2, 37, 257}, {3, 1, 1003}, {2, 257, 1}};
    for (size_t s = 0; s < sizeof ebn / sizeof *ebn; ++s) {
        const int e = ebn[s][0], b = ebn[s][1], n = ebn[s][2];
        const size_t ny = (size_t)e * b * n, nbias = (size_t)e * n;
        float *y = rnd(ny, 1 + s, -1, 1), *bias = rnd(nbias, 2 + s, -1, 1);
        float *dy = rnd(ny, 3 + s, -1, 1), *db = rnd(nbias, 4 + s, -1, 1);
        float *d_y = up(y, ny), *d_bias = up(bias, nbias), *d_dy = up(dy, ny),
              *d_db = up(db, nbias);
        char name[96];
        snprintf(name, sizeof name, "bias_add e=%d b=%d n=%d", e, b, n);
        cpu->bias_add(cpu, y, bias, e, b, n);
        gpu->bias_add(gpu, d_y, d_bias, e, b, n);
        check(name, d_y, y, ny, 0, 0);      /* one float add per element */
        for (int rep = 0; rep < 2; ++rep) { /* += twice */
            cpu->bias_grad(cpu, db, dy, e, b, n);
            gpu->bias_grad(gpu, d_db, d_dy, e, b, n);
        }
        snprintf(name, sizeof name, "bias_grad x2 e=%d b=%d n=%d", e, b, n);
        check(name, d_db, db, nbias, 1e-6, 1e-6);
        gpu->free(gpu, d_y), gpu->free(gpu, d_bias), gpu->free(gpu, d_dy), gpu->free(gpu, d_db);
        free(y), free(bias), free(dy), free(db);
    }
    sync_ok("bias");
}

/* ---- element-wise ---- */

static void test_elementwise(void) {
    for (size_t s = 0; s < N_LENGTHS; ++s) {
        const size_t n = lengths[s];
        if (!test_size_kept((double)n, SMALL_ELEMENTS)) continue;
        float *a = rnd(n, 21 + s, -3, 3), *b = rnd(n, 22 + s, -3, 3), *y = rnd(n, 23 + s, -3, 3);
        float *da = up(a, n), *db = up(b, n), *dy = up(y, n);
        char name[96];
#define EW_CHECK(op, atol, rtol)                                                                   \
    do {                                                                                           \
        snprintf(name, sizeof name, "%s n=%zu", op, n);                                            \
        check(name, dy, y, n, atol, rtol);                                                         \
    } while (0)
        cpu->fill(cpu, y, 0.375f, n), gpu->fill(gpu, dy, 0.375f, n);
        EW_CHECK("fill", 0, 0);
        cpu->add(cpu, y, a, b, n), gpu->add(gpu, dy, da, db, n);
        EW_CHECK("add", 0, 0);
        cpu->scale(cpu, y, -1.7f, n), gpu->scale(gpu, dy, -1.7f, n);
        EW_CHECK("scale", 0, 0);
        for (int rep = 0; rep < 2; ++rep)
            cpu->axpy(cpu, y, 0.3f, a, n), gpu->axpy(gpu, dy, 0.3f, da, n);
        EW_CHECK("axpy x2", 1e-6, 1e-6); /* may be an FMA on the GPU */
        cpu->mul(cpu, y, a, b, n), gpu->mul(gpu, dy, da, db, n);
        EW_CHECK("mul", 0, 0);
        cpu->clamp(cpu, y, a, -1.0f, 0.5f, n), gpu->clamp(gpu, dy, da, -1.0f, 0.5f, n);
        EW_CHECK("clamp", 0, 0);
#undef EW_CHECK
        gpu->free(gpu, da), gpu->free(gpu, db), gpu->free(gpu, dy);
        free(a), free(b), free(y);
    }
    /* copy_cols: put a [rows, cols] block at column offsets of wider rows */
    for (size_t s = 0; s < N_SHAPES; ++s) {
        const int rows = shapes[s][0], cols = shapes[s][1];
        const int src_ld = cols + 5, src_off = 3, dst_ld = cols + 9, dst_off = 7;
        const size_t ns = (size_t)rows * src_ld, nd = (size_t)rows * dst_ld;
        float *src = rnd(ns, 31 + s, -1, 1), *dst = rnd(nd, 32 + s, -1, 1);
        float *d_src = up(src, ns), *d_dst = up(dst, nd);
        char name[96];
        cpu->copy_cols(cpu, dst, dst_ld, dst_off, src, src_ld, src_off, rows, cols, 0);
        gpu->copy_cols(gpu, d_dst, dst_ld, dst_off, d_src, src_ld, src_off, rows, cols, 0);
        snprintf(name, sizeof name, "copy_cols rows=%d cols=%d", rows, cols);
        check(name, d_dst, dst, nd, 0, 0);
        for (int rep = 0; rep < 2; ++rep) {
            cpu->copy_cols(cpu, dst, dst_ld, dst_off, src, src_ld, src_off, rows, cols, 1);
            gpu->copy_cols(gpu, d_dst, dst_ld, dst_off, d_src, src_ld, src_off, rows, cols, 1);
        }
        snprintf(name, sizeof name, "copy_cols accumulate x2 rows=%d cols=%d", rows, cols);
        check(name, d_dst, dst, nd, 0, 0);
        gpu->free(gpu, d_src), gpu->free(gpu, d_dst);
        free(src), free(dst);
    }
    sync_ok("element-wise");
}

/* ---- activations ---- */

static void test_activations(void) {
    for (int act = 0; act < RISE_ACT_COUNT; ++act)
        for (size_t s = 0; s < N_LENGTHS; ++s) {
            const size_t n = lengths[s];
            if (!test_size_kept((double)n, SMALL_ELEMENTS)) continue;
            float *x = rnd(n, 41 + s, -6, 6), *dy = rnd(n, 42 + s, -1, 1);
            float *y = rnd(n, 43 + s, -1, 1), *dx = rnd(n, 44 + s, -1, 1);
            x[0] = 0.0f;                            /* the kink of relu */
            if (n > 2) x[1] = 25.0f, x[2] = -25.0f; /* softplus branch, saturation */
            float *d_x = up(x, n), *d_dy = up(dy, n), *d_y = up(y, n), *d_dx = up(dx, n);
            char name[96];
            cpu->act_forward(cpu, (rise_act)act, y, x, n);
            gpu->act_forward(gpu, (rise_act)act, d_y, d_x, n);
            snprintf(name, sizeof name, "act_forward %s n=%zu", act_name((rise_act)act), n);
            check(name, d_y, y, n, 1e-6, 1e-5);
            cpu->act_backward(cpu, (rise_act)act, dx, dy, x, n, 0);
            gpu->act_backward(gpu, (rise_act)act, d_dx, d_dy, d_x, n, 0);
            snprintf(name, sizeof name, "act_backward %s n=%zu", act_name((rise_act)act), n);
            check(name, d_dx, dx, n, 2e-6, 2e-5);
            for (int rep = 0; rep < 2; ++rep) {
                cpu->act_backward(cpu, (rise_act)act, dx, dy, x, n, 1);
                gpu->act_backward(gpu, (rise_act)act, d_dx, d_dy, d_x, n, 1);
            }
            snprintf(name, sizeof name, "act_backward accumulate x2 %s n=%zu",
                     act_name((rise_act)act), n);
            check(name, d_dx, dx, n, 6e-6, 2e-5);
            gpu->free(gpu, d_x), gpu->free(gpu, d_dy), gpu->free(gpu, d_y), gpu->free(gpu, d_dx);
            free(x), free(dy), free(y), free(dx);
        }
    sync_ok("activations");
}

/* ---- the linear layer's fused epilogues: the same tolerances as the activations (the
 * bias sum is in double on both sides); shapes with an ensemble and rows past a block ---- */
static void test_fused_epilogues(void) {
    const int shapes3[][3] = {{1, 1, 1}, {1, 300, 257}, {3, 57, 41}}; /* E B N */
    for (int act = 0; act < RISE_ACT_COUNT; ++act)
        for (int c = 0; c < 3; ++c) {
            const int e = shapes3[c][0], b = shapes3[c][1], n = shapes3[c][2];
            const size_t t = (size_t)e * b * n, nb = (size_t)e * n;
            float *h = rnd(t, 61 + c, -5, 5), *bias = rnd(nb, 62 + c, -1, 1);
            float *a = rnd(t, 63, -1, 1), *da = rnd(t, 64 + c, -1, 1), *dh = rnd(t, 65, -1, 1);
            float *db = rnd(nb, 66, -1, 1);
            float *d_h = up(h, t), *d_bias = up(bias, nb), *d_a = up(a, t), *d_da = up(da, t);
            float *d_dh = up(dh, t), *d_db = up(db, nb);
            char name[96];
            cpu->bias_act_forward(cpu, (rise_act)act, h, a, bias, e, b, n);
            gpu->bias_act_forward(gpu, (rise_act)act, d_h, d_a, d_bias, e, b, n);
            snprintf(name, sizeof name, "bias_act_forward %s e=%d b=%d n=%d",
                     act_name((rise_act)act), e, b, n);
            check(name, d_h, h, t, 1e-6, 1e-6);
            check(name, d_a, a, t, 1e-6, 1e-5);
            cpu->act_bias_backward(cpu, (rise_act)act, dh, db, da, h, e, b, n);
            gpu->act_bias_backward(gpu, (rise_act)act, d_dh, d_db, d_da, d_h, e, b, n);
            snprintf(name, sizeof name, "act_bias_backward %s e=%d b=%d n=%d",
                     act_name((rise_act)act), e, b, n);
            check(name, d_dh, dh, t, 2e-6, 2e-5);
            check(name, d_db, db, nb, 1e-4, 1e-4);
            gpu->free(gpu, d_h), gpu->free(gpu, d_bias), gpu->free(gpu, d_a);
            gpu->free(gpu, d_da), gpu->free(gpu, d_dh), gpu->free(gpu, d_db);
            free(h), free(bias), free(a), free(da), free(dh), free(db);
        }
    sync_ok("fused epilogues");
}

/* ---- LayerNorm: table dispatcher and both variants ---- */

static void test_layernorm(void) {
    for (size_t s = 0; s < N_SHAPES; ++s)
        for (int affine = 0; affine < 2; ++affine)
            for (int variant = 0; variant <= LAYERNORM_CUDA_VARIANTS; ++variant) {
                const int rows = shapes[s][0], cols = shapes[s][1];
                if (variant && !layernorm_cuda_supports(variant, rows, cols)) continue;
                const size_t n = (size_t)rows * cols;
                /* a large common offset: centred two-pass statistics must cope */
                float *x = rnd(n, 51 + s, 9.0f, 11.0f), *dy = rnd(n, 52 + s, -1, 1);
                float *gamma = affine ? rnd(cols, 53, 0.5f, 1.5f) : NULL;
                float *beta = affine ? rnd(cols, 54, -0.5f, 0.5f) : NULL;
                float *y = rnd(n, 55, -1, 1), *mean = rnd(rows, 56, -1, 1),
                      *rstd = rnd(rows, 57, -1, 1);
                float *dx = rnd(n, 58, -1, 1), *dgamma = rnd(cols, 59, -1, 1),
                      *dbeta = rnd(cols, 60, -1, 1);
                float *d_x = up(x, n), *d_dy = up(dy, n), *d_y = up(y, n);
                float *d_gamma = affine ? up(gamma, cols) : NULL;
                float *d_beta = affine ? up(beta, cols) : NULL;
                float *d_mean = up(mean, rows), *d_rstd = up(rstd, rows), *d_dx = up(dx, n);
                float *d_dgamma = up(dgamma, cols), *d_dbeta = up(dbeta, cols);
                const float eps = 1e-5f;
                cpu->layernorm_forward(cpu, y, mean, rstd, x, gamma, beta, rows, cols, eps);
                if (variant) {
                    layernorm_forward_cuda_variant(variant, vstream(), d_y, d_mean, d_rstd, d_x,
                                                   d_gamma, d_beta, rows, cols, eps);
                } else {
                    gpu->layernorm_forward(gpu, d_y, d_mean, d_rstd, d_x, d_gamma, d_beta, rows,
                                           cols, eps);
                }
                char name[128];
                snprintf(name, sizeof name, "layernorm_forward v%d rows=%d cols=%d affine=%d",
                         variant, rows, cols, affine);
                check(name, d_y, y, n, 2e-5, 2e-5);
                check(name, d_mean, mean, rows, 1e-6, 1e-6);
                check(name, d_rstd, rstd, rows, 0, 2e-5);
                /* backward from the CPU's statistics, so only backward is compared */
                gpu->upload(gpu, d_mean, mean, rows * sizeof(float));
                gpu->upload(gpu, d_rstd, rstd, rows * sizeof(float));
                for (int rep = 0; rep < 2; ++rep) { /* dx overwrite then +=; params += */
                    cpu->layernorm_backward(cpu, dx, affine ? dgamma : NULL, affine ? dbeta : NULL,
                                            dy, x, mean, rstd, gamma, rows, cols, rep);
                    if (variant)
                        layernorm_backward_cuda_variant(variant, vstream(), d_dx,
                                                        affine ? d_dgamma : NULL,
                                                        affine ? d_dbeta : NULL, d_dy, d_x, d_mean,
                                                        d_rstd, d_gamma, rows, cols, rep);
                    else
                        gpu->layernorm_backward(gpu, d_dx, affine ? d_dgamma : NULL,
                                                affine ? d_dbeta : NULL, d_dy, d_x, d_mean, d_rstd,
                                                d_gamma, rows, cols, rep);
                }
                snprintf(name, sizeof name, "layernorm_backward x2 v%d rows=%d cols=%d affine=%d",
                         variant, rows, cols, affine);
                check(name, d_dx, dx, n, 5e-5, 5e-5);
                check(name, d_dgamma, dgamma, cols, 1e-6, 1e-6);
                check(name, d_dbeta, dbeta, cols, 1e-6, 1e-6);
                gpu->free(gpu, d_x), gpu->free(gpu, d_dy), gpu->free(gpu, d_y);
                gpu->free(gpu, d_gamma), gpu->free(gpu, d_beta), gpu->free(gpu, d_mean);
                gpu->free(gpu, d_rstd), gpu->free(gpu, d_dx), gpu->free(gpu, d_dgamma);
                gpu->free(gpu, d_dbeta);
                free(x), free(dy), free(gamma), free(beta), free(y), free(mean), free(rstd);
                free(dx), free(dgamma), free(dbeta);
            }
    sync_ok("layernorm");
}

/* ---- Philox: random fills, dropout, integer draws ---- */

static void test_random(void) {
    const rise_rng rngs[] = {
        {0, 0, 0, NULL}, {0x123456789abcdefULL, 7, 3, NULL}, {42, 1, (1ULL << 32) + 5, NULL}};
    for (size_t r = 0; r < sizeof rngs / sizeof *rngs; ++r)
        for (size_t s = 0; s < N_LENGTHS; ++s) {
            const rise_rng rng = rngs[r];
            const size_t n = lengths[s];
            if (!test_size_kept((double)n, SMALL_ELEMENTS)) continue;
            float *y = rnd(n, 1, 0, 1), *mask = rnd(n, 2, 0, 1), *x = rnd(n, 3, -1, 1);
            float *d_y = up(y, n), *d_mask = up(mask, n), *d_x = up(x, n);
            char name[96];
            cpu->rand_uniform(cpu, y, n, -0.7f, 2.3f, rng);
            gpu->rand_uniform(gpu, d_y, n, -0.7f, 2.3f, rng);
            snprintf(name, sizeof name, "rand_uniform rng#%zu n=%zu", r, n);
            check_bits(name, d_y, y, n * sizeof(float));
            cpu->rand_normal(cpu, y, n, 0.5f, 2.0f, rng);
            gpu->rand_normal(gpu, d_y, n, 0.5f, 2.0f, rng);
            snprintf(name, sizeof name, "rand_normal rng#%zu n=%zu", r, n);
            /* |z| < 6 here; 8 ulp of 6 scaled by std, plus 4 ulp relative */
            check(name, d_y, y, n, 2.0 * 8 * 4.8e-7, 4 * FLT_EPSILON);
            const float p = 0.3f;
            cpu->dropout_forward(cpu, y, mask, x, n, p, rng);
            gpu->dropout_forward(gpu, d_y, d_mask, d_x, n, p, rng);
            snprintf(name, sizeof name, "dropout mask rng#%zu n=%zu", r, n);
            check_bits(name, d_mask, mask, n * sizeof(float));
            snprintf(name, sizeof name, "dropout y rng#%zu n=%zu", r, n);
            check_bits(name, d_y, y, n * sizeof(float));
            /* integer draws and raw words against philox.h on the host */
            const uint32_t belows[] = {0, 1, 7, 1000003};
            for (size_t b = 0; b < sizeof belows / sizeof *belows; ++b) {
                uint32_t *ref = malloc(n * sizeof(uint32_t));
                for (size_t i = 0; i < n; ++i) {
                    const uint32_t w = rise_rng_word(rng.seed, rng.stream, rng.offset, i);
                    ref[i] = belows[b] ? rise_below(w, belows[b]) : w;
                }
                uint32_t *d_idx = gpu->alloc(gpu, n * sizeof(uint32_t));
                rand_index_cuda(vstream(), d_idx, n, belows[b], rng);
                snprintf(name, sizeof name, "rand_index below=%u rng#%zu n=%zu", belows[b], r, n);
                check_bits(name, d_idx, ref, n * sizeof(uint32_t));
                gpu->free(gpu, d_idx);
                free(ref);
            }
            gpu->free(gpu, d_y), gpu->free(gpu, d_mask), gpu->free(gpu, d_x);
            free(y), free(mask), free(x);
        }
    sync_ok("random");
}

/* ---- losses ---- */

static void test_losses(void) {
    for (size_t s = 0; s < N_LENGTHS; ++s) {
        const size_t n = lengths[s];
        if (!test_size_kept((double)n, SMALL_ELEMENTS)) continue;
        float *pred = rnd(n, 61 + s, -2, 2), *target = rnd(n, 62 + s, -2, 2);
        float *w = rnd(n, 63 + s, 0, 1), *dpred = rnd(n, 64, -1, 1), loss = -1.0f;
        float *d_pred = up(pred, n), *d_target = up(target, n), *d_w = up(w, n);
        float *d_dpred = up(dpred, n), *d_loss = up(&loss, 1);
        char name[96];
        for (int weighted = 0; weighted < 2; ++weighted) {
            cpu->mse(cpu, &loss, dpred, pred, target, weighted ? w : NULL, n, 0.7f);
            gpu->mse(gpu, d_loss, d_dpred, d_pred, d_target, weighted ? d_w : NULL, n, 0.7f);
            snprintf(name, sizeof name, "mse loss weighted=%d n=%zu", weighted, n);
            check(name, d_loss, &loss, 1, 1e-7, 1e-6);
            snprintf(name, sizeof name, "mse grad weighted=%d n=%zu", weighted, n);
            check(name, d_dpred, dpred, n, 1e-9, 1e-6); /* same double formula */
        }
        for (int t = 0; t < 2; ++t) {
            const float tau = t ? 0.9f : 0.5f;
            cpu->expectile(cpu, &loss, dpred, pred, target, n, tau, 1.3f);
            gpu->expectile(gpu, d_loss, d_dpred, d_pred, d_target, n, tau, 1.3f);
            snprintf(name, sizeof name, "expectile loss tau=%g n=%zu", tau, n);
            check(name, d_loss, &loss, 1, 1e-7, 1e-6);
            snprintf(name, sizeof name, "expectile grad tau=%g n=%zu", tau, n);
            check(name, d_dpred, dpred, n, 1e-9, 1e-6);
        }
        /* td_target: done in {0, 1} */
        float *done = rnd(n, 65, 0, 1), *y = rnd(n, 66, -1, 1);
        for (size_t i = 0; i < n; ++i) done[i] = done[i] < 0.2f ? 1.0f : 0.0f;
        float *d_done = up(done, n), *d_y = up(y, n);
        cpu->td_target(cpu, y, pred, done, target, n, 0.99f);
        gpu->td_target(gpu, d_y, d_pred, d_done, d_target, n, 0.99f);
        snprintf(name, sizeof name, "td_target n=%zu", n);
        check(name, d_y, y, n, 0, 0); /* products rounded as written on both sides */
        gpu->free(gpu, d_pred), gpu->free(gpu, d_target), gpu->free(gpu, d_w);
        gpu->free(gpu, d_dpred), gpu->free(gpu, d_loss), gpu->free(gpu, d_done),
            gpu->free(gpu, d_y);
        free(pred), free(target), free(w), free(dpred), free(done), free(y);
    }
    sync_ok("losses");
}

/* ---- optimiser: three Adam steps (clipped by a device grad norm), Polyak, EMA ---- */

static void test_optim(void) {
    for (size_t s = 0; s < N_LENGTHS; ++s)
        for (int variant = 0; variant < 3; ++variant) { /* plain, AdamW, clipped AdamW */
            const size_t n = lengths[s];
            if (!test_size_kept((double)n, SMALL_ELEMENTS)) continue;
            rise_adam_hparams hp = {3e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 0.0f, NULL};
            if (variant >= 1) hp.weight_decay = 0.01f;
            if (variant == 2) hp.max_grad_norm = 0.5f;
            float *p = rnd(n, 71 + s, -1, 1), *m = rnd(n, 72, 0, 0), *v = rnd(n, 73, 0, 0);
            float *d_p = up(p, n), *d_m = up(m, n), *d_v = up(v, n);
            float sumsq = 0.0f, *d_sumsq = up(&sumsq, 1);
            for (int step = 1; step <= 3; ++step) {
                float *g = rnd(n, 80 + step, -2, 2), *d_g = up(g, n);
                cpu->reduce(cpu, RISE_REDUCE_SUMSQ, &sumsq, g, n);
                gpu->reduce(gpu, RISE_REDUCE_SUMSQ, d_sumsq, d_g, n);
                cpu->adam(cpu, p, g, m, v, n, &hp, step, variant == 2 ? &sumsq : NULL);
                gpu->adam(gpu, d_p, d_g, d_m, d_v, n, &hp, step, variant == 2 ? d_sumsq : NULL);
                gpu->free(gpu, d_g);
                free(g);
            }
            char name[96];
            snprintf(name, sizeof name, "adam x3 variant=%d n=%zu param", variant, n);
            check(name, d_p, p, n, 1e-6, 1e-5);
            snprintf(name, sizeof name, "adam x3 variant=%d n=%zu m", variant, n);
            check(name, d_m, m, n, 1e-6, 1e-5);
            snprintf(name, sizeof name, "adam x3 variant=%d n=%zu v", variant, n);
            check(name, d_v, v, n, 1e-7, 1e-5);
            float *src = rnd(n, 90, -1, 1), *d_src = up(src, n);
            for (int rep = 0; rep < 2; ++rep) {
                cpu->polyak(cpu, p, src, n, 0.005f);
                gpu->polyak(gpu, d_p, d_src, n, 0.005f);
            }
            snprintf(name, sizeof name, "polyak x2 n=%zu", n);
            check(name, d_p, p, n, 0, 0); /* polyak_value: no FMA on either side */
            /* EMA with the warm-up: updates 1, 2 by value, then 2 + a device step_add of 5 */
            const uint64_t add = 5;
            uint64_t *d_add = gpu->alloc(gpu, sizeof add);
            gpu->upload(gpu, d_add, &add, sizeof add);
            for (int step = 1; step <= 3; ++step) {
                rise_ema_hparams eh = {0.9999f, 0.75f, NULL}, dh = eh;
                if (step == 3) eh.step_add = &add, dh.step_add = d_add;
                cpu->ema(cpu, p, src, n, &eh, step == 3 ? 2 : step);
                gpu->ema(gpu, d_p, d_src, n, &dh, step == 3 ? 2 : step);
            }
            snprintf(name, sizeof name, "ema warm-up x3 n=%zu", n);
            check(name, d_p, p, n, 2e-6, 1e-5);
            gpu->free(gpu, d_add);
            gpu->free(gpu, d_p), gpu->free(gpu, d_m), gpu->free(gpu, d_v);
            gpu->free(gpu, d_sumsq), gpu->free(gpu, d_src);
            free(p), free(m), free(v), free(src);
        }
    sync_ok("optimiser");
}

/* ---- reductions: table ops and every variant ---- */

static const char *const reduce_names[RISE_REDUCE_COUNT] = {"sum", "sumsq", "mean",
                                                            "max", "min",   "absmax"};

static void test_reduce(void) {
    const size_t extra[] = {0, (1u << 20) + 3}; /* empty; above the dispatcher's switch */
    for (int op = 0; op < RISE_REDUCE_COUNT; ++op)
        for (size_t s = 0; s < N_LENGTHS + 2; ++s) {
            const size_t n = s < N_LENGTHS ? lengths[s] : extra[s - N_LENGTHS];
            if (!test_size_kept((double)n, SMALL_ELEMENTS)) continue;
            float *x = rnd(n, 101 + s, -1, 1), out = 0.0f;
            float *d_x = up(x, n), *d_out = up(&out, 1);
            cpu->reduce(cpu, (rise_reduce_op)op, &out, x, n);
            for (int variant = 0; variant <= REDUCE_CUDA_VARIANTS; ++variant) {
                if (variant && !reduce_cuda_supports(variant, n)) continue;
                if (variant) {
                    reduce_cuda_variant(variant, vstream(), (rise_reduce_op)op, d_out, d_x, n);
                } else {
                    gpu->reduce(gpu, (rise_reduce_op)op, d_out, d_x, n);
                }
                char name[96];
                snprintf(name, sizeof name, "reduce %s v%d n=%zu", reduce_names[op], variant, n);
                check(name, d_out, &out, 1, 1e-6, 1e-6);
            }
            gpu->free(gpu, d_x), gpu->free(gpu, d_out);
            free(x);
        }
    const int extra_shapes[][2] = {{5, 0}, {1000, 16}};
    for (int op = 0; op < RISE_REDUCE_COUNT; ++op)
        for (size_t s = 0; s < N_SHAPES + 2; ++s) {
            const int rows = s < N_SHAPES ? shapes[s][0] : extra_shapes[s - N_SHAPES][0];
            const int cols = s < N_SHAPES ? shapes[s][1] : extra_shapes[s - N_SHAPES][1];
            const size_t n = (size_t)rows * cols;
            float *x = rnd(n, 111 + s, -1, 1), *out = rnd(rows, 112, -1, 1);
            float *d_x = up(x, n), *d_out = up(out, rows);
            cpu->reduce_rows(cpu, (rise_reduce_op)op, out, x, rows, cols);
            for (int variant = 0; variant <= REDUCE_ROWS_CUDA_VARIANTS; ++variant) {
                if (variant && !reduce_rows_cuda_supports(variant, rows, cols)) continue;
                if (variant) {
                    reduce_rows_cuda_variant(variant, vstream(), (rise_reduce_op)op, d_out, d_x,
                                             rows, cols);
                } else {
                    gpu->reduce_rows(gpu, (rise_reduce_op)op, d_out, d_x, rows, cols);
                }
                char name[96];
                snprintf(name, sizeof name, "reduce_rows %s v%d rows=%d cols=%d", reduce_names[op],
                         variant, rows, cols);
                check(name, d_out, out, rows, 1e-6, 1e-6);
            }
            gpu->free(gpu, d_x), gpu->free(gpu, d_out);
            free(x), free(out);
        }
    sync_ok("reductions");
}

/* ---- spectral norm: forward (table + variants), backward x2 ---- */

static void test_spectral_norm(void) {
    for (int conv = 0; conv < 2; ++conv) /* 3 iterations; to convergence (tol 1e-6) */
        for (size_t s = 0; s < N_SHAPES; ++s)
            for (int variant = 0; variant <= SPECTRAL_NORM_CUDA_VARIANTS; ++variant) {
                const int rows = shapes[s][0], cols = shapes[s][1];
                const int iters = conv ? 500 : 3;
                const float tol = conv ? 1e-6f : 0.0f;
                if (variant && !spectral_norm_cuda_supports(variant, rows, cols, tol)) continue;
                const size_t n = (size_t)rows * cols;
                float *w = rnd(n, 121 + s, -1, 1), *u = rnd(rows, 122, -1, 1);
                float *v = rnd(cols, 123, -1, 1), sigma = 0.0f;
                float *d_w = up(w, n), *d_u = up(u, rows), *d_v = up(v, cols);
                float *d_sigma = up(&sigma, 1);
                cpu->spectral_norm_forward(cpu, &sigma, u, v, w, rows, cols, iters, tol);
                if (variant) {
                    spectral_norm_forward_cuda_variant(variant, vstream(), d_sigma, d_u, d_v, d_w,
                                                       rows, cols, iters, tol);
                } else {
                    gpu->spectral_norm_forward(gpu, d_sigma, d_u, d_v, d_w, rows, cols, iters, tol);
                }
                char name[96];
                snprintf(name, sizeof name, "spectral_norm_forward v%d %dx%d tol %g", variant, rows,
                         cols, (double)tol);
                /* converged runs may stop one iteration apart: u within ~tol */
                check(name, d_sigma, &sigma, 1, 1e-6, 1e-5);
                check(name, d_u, u, rows, conv ? 4e-6 : 1e-6, 1e-5);
                check(name, d_v, v, cols, conv ? 4e-6 : 1e-6, 1e-5);
                /* backward from the CPU's u, v, sigma */
                gpu->upload(gpu, d_u, u, rows * sizeof(float));
                gpu->upload(gpu, d_v, v, cols * sizeof(float));
                gpu->upload(gpu, d_sigma, &sigma, sizeof(float));
                float *dw = rnd(n, 124, -1, 1), *d_dw = up(dw, n);
                for (int squared = 0; squared < 2; ++squared) {
                    cpu->spectral_norm_backward(cpu, dw, &sigma, u, v, rows, cols, 0.1f, squared);
                    gpu->spectral_norm_backward(gpu, d_dw, d_sigma, d_u, d_v, rows, cols, 0.1f,
                                                squared);
                }
                snprintf(name, sizeof name, "spectral_norm_backward x2 %dx%d", rows, cols);
                check(name, d_dw, dw, n, 1e-6, 1e-6);
                gpu->free(gpu, d_w), gpu->free(gpu, d_u), gpu->free(gpu, d_v);
                gpu->free(gpu, d_sigma), gpu->free(gpu, d_dw);
                free(w), free(u), free(v), free(dw);
            }
    /* a zero matrix: both sides fall back to the constant unit vectors (spectral_norm.h) */
    float zero[6] = {0}, u0[2] = {1, 1}, v0[3] = {0}, sg = 1.0f;
    float *d_w = up(zero, 6), *d_u = up(u0, 2), *d_v = up(v0, 3), *d_s = up(&sg, 1);
    cpu->spectral_norm_forward(cpu, &sg, u0, v0, zero, 2, 3, 2, 0.0f);
    gpu->spectral_norm_forward(gpu, d_s, d_u, d_v, d_w, 2, 3, 2, 0.0f);
    check("spectral_norm zero matrix u", d_u, u0, 2, 0, 0);
    check("spectral_norm zero matrix v", d_v, v0, 3, 0, 0);
    check("spectral_norm zero matrix sigma", d_s, &sg, 1, 0, 0);
    gpu->free(gpu, d_w), gpu->free(gpu, d_u), gpu->free(gpu, d_v), gpu->free(gpu, d_s);
    sync_ok("spectral norm");
}

/* ---- time embedding ---- */

static void test_time_embed(void) {
    const int bh[][2] = {{1, 1}, {7, 13}, {257, 37}, {1, 128}, {1003, 8}};
    for (size_t s = 0; s < sizeof bh / sizeof *bh; ++s) {
        const int b = bh[s][0], h = bh[s][1];
        const size_t ny = (size_t)b * 2 * h;
        /* t up to the diffusion steps (~100): a float phase t f would be off by ~1e-5 */
        float *t = rnd(b, 131 + s, 0, 100), *f = rnd(h, 132 + s, 0.1f, 30.0f);
        float *y = rnd(ny, 133, -1, 1), *dy = rnd(ny, 134, -1, 1), *df = rnd(h, 135, -1, 1);
        float *d_t = up(t, b), *d_f = up(f, h), *d_y = up(y, ny), *d_dy = up(dy, ny);
        float *d_df = up(df, h);
        char name[96];
        cpu->freq_embed_forward(cpu, y, t, f, b, h);
        gpu->freq_embed_forward(gpu, d_y, d_t, d_f, b, h);
        snprintf(name, sizeof name, "freq_embed_forward b=%d h=%d", b, h);
        check(name, d_y, y, ny, 2.4e-7, 0); /* double sin/cos of the double phase, rounded */
        for (int rep = 0; rep < 2; ++rep) {
            cpu->freq_embed_backward(cpu, df, dy, t, f, b, h);
            gpu->freq_embed_backward(gpu, d_df, d_dy, d_t, d_f, b, h);
        }
        snprintf(name, sizeof name, "freq_embed_backward x2 b=%d h=%d", b, h);
        check(name, d_df, df, h, 1e-4, 1e-6); /* t up to 100 scales the terms */
        gpu->free(gpu, d_t), gpu->free(gpu, d_f), gpu->free(gpu, d_y), gpu->free(gpu, d_dy);
        gpu->free(gpu, d_df);
        free(t), free(f), free(y), free(dy), free(df);
    }
    sync_ok("time embedding");
}

/* ---- diffusion forward process: t_out bitwise (integer draws), eps within
 * rand_normal's few ulp, xt = ca x0 + cn eps (an FMA on the device) ---- */

static void test_diffusion_q_sample(void) {
    const rise_rng rngs[] = {
        {0, 0, 0, NULL}, {0x123456789abcdefULL, 7, 3, NULL}, {42, 1, (1ULL << 32) + 5, NULL}};
    const int rows_list[] = {1, 37, 1000}, cols_list[] = {1, 3, 33};
    const int n_steps = 50;
    float *sab = rnd(n_steps, 141, 0.05f, 1.0f), *s1m = rnd(n_steps, 142, 0.05f, 1.0f);
    float *d_sab = up(sab, n_steps), *d_s1m = up(s1m, n_steps);
    for (size_t r = 0; r < sizeof rngs / sizeof *rngs; ++r)
        for (int ri = 0; ri < 3; ++ri)
            for (int ci = 0; ci < 3; ++ci) {
                const int rows = rows_list[ri], cols = cols_list[ci];
                const size_t n = (size_t)rows * cols;
                float *x0 = rnd(n, 143 + ri, -1, 1), *xt = rnd(n, 144, -1, 1);
                float *eps = rnd(n, 145, -1, 1), *t = rnd(rows, 146, -1, 1);
                float *d_x0 = up(x0, n), *d_xt = up(xt, n), *d_eps = up(eps, n);
                float *d_t = up(t, rows);
                cpu->diffusion_q_sample(cpu, xt, eps, t, x0, sab, s1m, rows, cols, n_steps,
                                        rngs[r]);
                gpu->diffusion_q_sample(gpu, d_xt, d_eps, d_t, d_x0, d_sab, d_s1m, rows, cols,
                                        n_steps, rngs[r]);
                char name[128];
                snprintf(name, sizeof name, "diffusion_q_sample t_out rng#%zu rows=%d cols=%d", r,
                         rows, cols);
                check_bits(name, d_t, t, rows * sizeof(float));
                snprintf(name, sizeof name, "diffusion_q_sample eps rng#%zu rows=%d cols=%d", r,
                         rows, cols);
                check(name, d_eps, eps, n, 8 * 4.8e-7, 4 * FLT_EPSILON);
                snprintf(name, sizeof name, "diffusion_q_sample xt rng#%zu rows=%d cols=%d", r,
                         rows, cols);
                check(name, d_xt, xt, n, 8 * 4.8e-7 + 1e-7, 4 * FLT_EPSILON);
                gpu->free(gpu, d_x0), gpu->free(gpu, d_xt), gpu->free(gpu, d_eps);
                gpu->free(gpu, d_t);
                free(x0), free(xt), free(eps), free(t);
            }
    gpu->free(gpu, d_sab), gpu->free(gpu, d_s1m);
    free(sab), free(s1m);
    sync_ok("diffusion_q_sample");
}

/* ---- Gaussian actors: log-density (shared and per-row log_std), AWR weights,
 * the tanh-Gaussian draw and its gradients, logsumexp over rows, exp. The row
 * ops use the reference's double formulas on the device (float rounding
 * apart); the noise differs by rise_rng_normal's few ulp, which bounds the
 * tanh-Gaussian forward tolerances; backward passes start from the CPU's
 * saved eps / a / out so they compare alone. ---- */

static void test_gaussian(void) {
    const int shapes_ba[][2] = {{1, 1}, {37, 3}, {1000, 33}, {7, 6}, {257, 1}, {2, 17}};
    const rise_rng rngs[] = {{1, 2, 3, NULL}, {0xdeadbeefcafeULL, 7, (1ULL << 32) + 1, NULL}};
    char name[128];
    for (size_t s = 0; s < sizeof shapes_ba / sizeof *shapes_ba; ++s) {
        const int b = shapes_ba[s][0], a = shapes_ba[s][1];
        const size_t n = (size_t)b * a;
        float *x = rnd(n, 151 + s, -2, 2), *mean = rnd(n, 152 + s, -2, 2);
        float *ls = rnd(n, 153 + s, -2, 0.5f), *dlogp = rnd(b, 154 + s, -1, 1);
        float *da = rnd(n, 155 + s, -1, 1);
        mean[0] = 15.0f; /* a saturated action: 1 - a^2 below float resolution */
        float *logp = rnd(b, 156, -1, 1), *dmean = rnd(n, 157, -1, 1), *dls = rnd(n, 158, -1, 1);
        float *d_x = up(x, n), *d_mean = up(mean, n), *d_ls = up(ls, n), *d_dlogp = up(dlogp, b);
        float *d_da = up(da, n), *d_logp = up(logp, b), *d_dmean = up(dmean, n),
              *d_dls = up(dls, n);

        /* gauss_logprob: forward, backward x2 (dlog_std accumulates) */
        for (int shared = 0; shared < 2; ++shared) {
            const size_t nls = shared ? (size_t)a : n;
            cpu->gauss_logprob_forward(cpu, logp, x, mean, ls, b, a, shared);
            gpu->gauss_logprob_forward(gpu, d_logp, d_x, d_mean, d_ls, b, a, shared);
            snprintf(name, sizeof name, "gauss_logprob_forward shared=%d b=%d a=%d", shared, b, a);
            check(name, d_logp, logp, b, 1e-6, 1e-6);
            gpu->upload(gpu, d_dls, dls, nls * sizeof(float));
            for (int rep = 0; rep < 2; ++rep) {
                cpu->gauss_logprob_backward(cpu, dmean, dls, dlogp, x, mean, ls, b, a, shared);
                gpu->gauss_logprob_backward(gpu, d_dmean, d_dls, d_dlogp, d_x, d_mean, d_ls, b, a,
                                            shared);
            }
            snprintf(name, sizeof name, "gauss_logprob_backward x2 dmean shared=%d b=%d a=%d",
                     shared, b, a);
            check(name, d_dmean, dmean, n, 1e-7, 1e-6);
            snprintf(name, sizeof name, "gauss_logprob_backward x2 dlog_std shared=%d b=%d a=%d",
                     shared, b, a);
            check(name, d_dls, dls, nls, 1e-6, 1e-6); /* shared: a double sum, other order */
        }

        /* awr_weights: beta 3 over q - v in [-3, 3] reaches the clip at 100 */
        cpu->awr_weights(cpu, logp, x, dlogp, b, 3.0f, 100.0f);
        gpu->awr_weights(gpu, d_logp, d_x, d_dlogp, b, 3.0f, 100.0f);
        snprintf(name, sizeof name, "awr_weights b=%d", b);
        check(name, d_logp, logp, b, 0, 2e-7);

        /* tanh-Gaussian draw: eps as rand_normal, a and logp through it */
        for (size_t r = 0; r < sizeof rngs / sizeof *rngs; ++r) {
            float *act = rnd(n, 159, -1, 1), *eps = rnd(n, 160, -1, 1);
            float *d_act = up(act, n), *d_eps = up(eps, n);
            cpu->tanh_gauss_sample(cpu, act, logp, eps, mean, ls, b, a, rngs[r]);
            gpu->tanh_gauss_sample(gpu, d_act, d_logp, d_eps, d_mean, d_ls, b, a, rngs[r]);
            snprintf(name, sizeof name, "tanh_gauss_sample eps rng#%zu b=%d a=%d", r, b, a);
            check(name, d_eps, eps, n, 8 * 4.8e-7, 4 * FLT_EPSILON);
            /* |da/deps| = std (1 - a^2) <= e^0.5 */
            snprintf(name, sizeof name, "tanh_gauss_sample a rng#%zu b=%d a=%d", r, b, a);
            check(name, d_act, act, n, 1.7 * 8 * 4.8e-7, 1e-6);
            /* per element |dlogp/deps| <= |eps| + 2 std <= 10 */
            snprintf(name, sizeof name, "tanh_gauss_sample logp rng#%zu b=%d a=%d", r, b, a);
            check(name, d_logp, logp, b, 10 * 8 * 4.8e-7 * a, 1e-6);
            /* backward from the CPU's eps and a: both, da only, dlogp only, neither */
            gpu->upload(gpu, d_eps, eps, n * sizeof(float));
            gpu->upload(gpu, d_act, act, n * sizeof(float));
            for (int which = 0; which < 4; ++which) {
                const int use_da = which == 0 || which == 1, use_dl = which == 0 || which == 2;
                cpu->tanh_gauss_sample_backward(cpu, dmean, dls, use_da ? da : NULL,
                                                use_dl ? dlogp : NULL, eps, mean, ls, act, b, a);
                gpu->tanh_gauss_sample_backward(gpu, d_dmean, d_dls, use_da ? d_da : NULL,
                                                use_dl ? d_dlogp : NULL, d_eps, d_mean, d_ls, d_act,
                                                b, a);
                snprintf(name, sizeof name,
                         "tanh_gauss_sample_backward dmean da=%d dlogp=%d rng#%zu b=%d a=%d",
                         use_da, use_dl, r, b, a);
                check(name, d_dmean, dmean, n, 1e-7, 1e-6);
                snprintf(name, sizeof name,
                         "tanh_gauss_sample_backward dlog_std da=%d dlogp=%d rng#%zu b=%d a=%d",
                         use_da, use_dl, r, b, a);
                check(name, d_dls, dls, n, 1e-7, 1e-6);
            }
            gpu->free(gpu, d_act), gpu->free(gpu, d_eps);
            free(act), free(eps);
        }
        gpu->free(gpu, d_x), gpu->free(gpu, d_mean), gpu->free(gpu, d_ls);
        gpu->free(gpu, d_dlogp), gpu->free(gpu, d_da), gpu->free(gpu, d_logp);
        gpu->free(gpu, d_dmean), gpu->free(gpu, d_dls);
        free(x), free(mean), free(ls), free(dlogp), free(da), free(logp), free(dmean), free(dls);
    }

    /* logsumexp over rows: small values, values near 1000, an all -inf row */
    const int shapes_rc[][2] = {{1, 1}, {37, 3}, {1000, 33}, {13, 257}, {3, 1003}, {5, 0}};
    for (size_t s = 0; s < sizeof shapes_rc / sizeof *shapes_rc; ++s)
        for (int big = 0; big < 2; ++big) {
            const int rows = shapes_rc[s][0], cols = shapes_rc[s][1];
            const size_t n = (size_t)rows * cols;
            float *x = big ? rnd(n, 171 + s, 995, 1005) : rnd(n, 171 + s, -5, 5);
            if (rows > 1)
                for (int c = 0; c < cols; ++c) x[c] = -INFINITY;
            float *dout = rnd(rows, 172, -1, 1), *out = rnd(rows, 173, -1, 1);
            float *dx = rnd(n, 174, -1, 1);
            float *d_x = up(x, n), *d_dout = up(dout, rows), *d_out = up(out, rows),
                  *d_dx = up(dx, n);
            cpu->logsumexp_rows_forward(cpu, out, x, rows, cols);
            gpu->logsumexp_rows_forward(gpu, d_out, d_x, rows, cols);
            snprintf(name, sizeof name, "logsumexp_rows_forward big=%d rows=%d cols=%d", big, rows,
                     cols);
            check(name, d_out, out, rows, 1e-6, 1e-6);
            gpu->upload(gpu, d_out, out, rows * sizeof(float));
            cpu->logsumexp_rows_backward(cpu, dx, dout, x, out, rows, cols);
            gpu->logsumexp_rows_backward(gpu, d_dx, d_dout, d_x, d_out, rows, cols);
            snprintf(name, sizeof name, "logsumexp_rows_backward big=%d rows=%d cols=%d", big, rows,
                     cols);
            check(name, d_dx, dx, n, 1e-7, 2e-6); /* float x - out and expf */
            gpu->free(gpu, d_x), gpu->free(gpu, d_dout), gpu->free(gpu, d_out);
            gpu->free(gpu, d_dx);
            free(x), free(dout), free(out), free(dx);
        }

    /* exp: expf (2 ulp) against the correctly rounded reference; in place too */
    for (size_t s = 0; s < N_LENGTHS; ++s) {
        const size_t n = lengths[s];
        if (!test_size_kept((double)n, SMALL_ELEMENTS)) continue;
        float *x = rnd(n, 181 + s, -80, 80), *y = rnd(n, 182, -1, 1);
        float *d_x = up(x, n), *d_y = up(y, n);
        cpu->exp_forward(cpu, y, x, n);
        gpu->exp_forward(gpu, d_y, d_x, n);
        snprintf(name, sizeof name, "exp_forward n=%zu", n);
        check(name, d_y, y, n, 0, 4 * FLT_EPSILON);
        gpu->exp_forward(gpu, d_x, d_x, n);
        snprintf(name, sizeof name, "exp_forward in place n=%zu", n);
        check(name, d_x, y, n, 0, 4 * FLT_EPSILON);
        gpu->free(gpu, d_x), gpu->free(gpu, d_y);
        free(x), free(y);
    }
    sync_ok("gaussian");
}

/* ---- extraction: fused argmax + gather; exact (a choice, then a copy). Scores with
 * ties (quantised values) and NaNs, K from 1 to 300 (more than a warp's lanes). ---- */
static void test_argmax_select(void) {
    const int rows_list[] = {1, 37, 1000}, k_list[] = {1, 16, 33, 300}, w_list[] = {1, 2, 40};
    for (int ri = 0; ri < 3; ++ri)
        for (int ki = 0; ki < 4; ++ki)
            for (int wi = 0; wi < 3; ++wi) {
                const int rows = rows_list[ri], k = k_list[ki], w = w_list[wi];
                const size_t ns = (size_t)rows * k, nc = ns * w;
                float *score = rnd(ns, 151 + ki, -2, 2), *cand = rnd(nc, 152, -1, 1);
                for (size_t i = 0; i < ns; ++i) {
                    score[i] = roundf(score[i] * 2.0f) / 2.0f; /* many ties */
                    if (i % 7 == 3) score[i] = NAN;
                }
                float *out = rnd((size_t)rows * w, 153, -1, 1), *idx = rnd(rows, 154, -1, 1);
                float *d_s = up(score, ns), *d_c = up(cand, nc);
                float *d_o = up(out, (size_t)rows * w), *d_i = up(idx, rows);
                cpu->argmax_select(cpu, out, idx, score, cand, rows, k, w);
                gpu->argmax_select(gpu, d_o, d_i, d_s, d_c, rows, k, w);
                char name[128];
                snprintf(name, sizeof name, "argmax_select index rows=%d k=%d w=%d", rows, k, w);
                check_bits(name, d_i, idx, rows * sizeof(float));
                snprintf(name, sizeof name, "argmax_select out rows=%d k=%d w=%d", rows, k, w);
                check_bits(name, d_o, out, (size_t)rows * w * sizeof(float));
                gpu->free(gpu, d_s), gpu->free(gpu, d_c), gpu->free(gpu, d_o), gpu->free(gpu, d_i);
                free(score), free(cand), free(out), free(idx);
            }
    sync_ok("argmax_select");
}

/* ---- extraction: the candidates' noise; normals within philox.h's few ulp. Shapes with
 * odd widths (Box-Muller pairs straddle rows) and 64 rows x 128 candidates. ---- */
static void test_candidate_noise(void) {
    const int shapes4[][4] = {{1, 1, 1, 1}, {3, 5, 2, 7}, {64, 128, 11, 32}}; /* n K S W */
    for (int c = 0; c < 3; ++c) {
        const int n = shapes4[c][0], k = shapes4[c][1], s = shapes4[c][2], w = shapes4[c][3];
        uint64_t *off = malloc(sizeof(uint64_t) * n);
        for (int r = 0; r < n; ++r) off[r] = ((uint64_t)(r + 3) << 24) + 17u * (uint64_t)r;
        uint64_t *d_off = gpu->alloc(gpu, sizeof(uint64_t) * n);
        gpu->upload(gpu, d_off, off, sizeof(uint64_t) * n);
        const size_t len = (size_t)s * n * k * w;
        float *ref = malloc(sizeof(float) * len), *d_y = gpu->alloc(gpu, sizeof(float) * len);
        cpu->candidate_noise(cpu, ref, off, n, k, s, w, 0xfeedULL, 0x41000030u);
        gpu->candidate_noise(gpu, d_y, d_off, n, k, s, w, 0xfeedULL, 0x41000030u);
        char name[96];
        snprintf(name, sizeof name, "candidate_noise n=%d K=%d S=%d W=%d", n, k, s, w);
        check(name, d_y, ref, len, 1e-5, 1e-5);
        gpu->free(gpu, d_y), gpu->free(gpu, d_off);
        free(ref), free(off);
    }
    sync_ok("candidate_noise");
}

/* ---- edge rules (kernels/<op>.h): NaN, Inf, empty and degenerate inputs give the
 * reference's answer on the device too; every variant where an op has several ---- */

/* NaN anywhere (first, middle, last element), infinities of both signs: max/min/absmax
 * must give NaN whatever the combination order (several blocks for the long buffer). */
static void test_reduce_nan_inf(void) {
    const size_t ns[] = {1, 3, 1003, (1u << 20) + 3};
    char name[128];
    for (size_t s = 0; s < sizeof ns / sizeof *ns; ++s)
        for (int pattern = 0; pattern < 6; ++pattern) {
            const size_t n = ns[s];
            if (!test_size_kept((double)n, SMALL_ELEMENTS)) continue;
            float *x = rnd(n, 191 + s, -1, 1), out = 0.0f;
            if (pattern < 3) x[pattern == 0 ? 0 : pattern == 1 ? n / 2 : n - 1] = NAN;
            if (pattern == 3) x[n / 2] = INFINITY;
            if (pattern == 4) x[n - 1] = -INFINITY;
            if (pattern == 5) x[0] = INFINITY, x[n - 1] = -INFINITY; /* sum: NaN */
            float *d_x = up(x, n), *d_out = up(&out, 1);
            for (int op = 0; op < RISE_REDUCE_COUNT; ++op) {
                cpu->reduce(cpu, (rise_reduce_op)op, &out, x, n);
                for (int variant = 0; variant <= REDUCE_CUDA_VARIANTS; ++variant) {
                    if (variant && !reduce_cuda_supports(variant, n)) continue;
                    if (variant)
                        reduce_cuda_variant(variant, vstream(), (rise_reduce_op)op, d_out, d_x, n);
                    else
                        gpu->reduce(gpu, (rise_reduce_op)op, d_out, d_x, n);
                    snprintf(name, sizeof name, "reduce %s v%d n=%zu pattern %d", reduce_names[op],
                             variant, n, pattern);
                    check(name, d_out, &out, 1, 1e-6, 1e-6);
                }
            }
            gpu->free(gpu, d_x), gpu->free(gpu, d_out);
            free(x);
        }
    /* per row: a NaN in some rows only, an infinity in others */
    const int rows_cols[][2] = {{9, 1}, {9, 40}, {9, 2000}};
    for (size_t s = 0; s < 3; ++s) {
        const int rows = rows_cols[s][0], cols = rows_cols[s][1];
        const size_t n = (size_t)rows * cols;
        float *x = rnd(n, 201 + s, -1, 1), *out = rnd(rows, 202, -1, 1);
        for (int r = 0; r < rows; r += 3) x[(size_t)r * cols + (size_t)(r * 7) % cols] = NAN;
        for (int r = 1; r < rows; r += 3) x[(size_t)r * cols + cols - 1] = -INFINITY;
        float *d_x = up(x, n), *d_out = up(out, rows);
        for (int op = 0; op < RISE_REDUCE_COUNT; ++op) {
            cpu->reduce_rows(cpu, (rise_reduce_op)op, out, x, rows, cols);
            for (int variant = 0; variant <= REDUCE_ROWS_CUDA_VARIANTS; ++variant) {
                if (variant && !reduce_rows_cuda_supports(variant, rows, cols)) continue;
                if (variant)
                    reduce_rows_cuda_variant(variant, vstream(), (rise_reduce_op)op, d_out, d_x,
                                             rows, cols);
                else
                    gpu->reduce_rows(gpu, (rise_reduce_op)op, d_out, d_x, rows, cols);
                snprintf(name, sizeof name, "reduce_rows %s v%d rows=%d cols=%d NaN/inf rows",
                         reduce_names[op], variant, rows, cols);
                check(name, d_out, out, rows, 1e-6, 1e-6);
            }
        }
        gpu->free(gpu, d_x), gpu->free(gpu, d_out);
        free(x), free(out);
    }
    sync_ok("reduce NaN/Inf");
}

/* Degenerate matrices: a zero first column (the old e_0 fallback pinned sigma at 0 there),
 * a zero matrix, a NaN entry, one iteration; every variant. */
static void test_spectral_norm_edges(void) {
    const int rows = 5, cols = 4;
    const size_t n = (size_t)rows * cols;
    char name[128];
    for (int kind = 0; kind < 3; ++kind)
        for (int variant = 0; variant <= SPECTRAL_NORM_CUDA_VARIANTS; ++variant) {
            if (variant && !spectral_norm_cuda_supports(variant, rows, cols, 0.0f)) continue;
            float *w = rnd(n, 211, -1, 1), sigma = 0.0f;
            if (kind == 0)
                for (int r = 0; r < rows; ++r) w[(size_t)r * cols] = 0.0f;
            if (kind == 1) memset(w, 0, n * sizeof(float));
            if (kind == 2) w[7] = NAN;
            float u[5] = {1, 0, 0, 0, 0}, v[4] = {0};
            float *d_w = up(w, n), *d_u = up(u, rows), *d_v = up(v, cols), *d_s = up(&sigma, 1);
            cpu->spectral_norm_forward(cpu, &sigma, u, v, w, rows, cols, 1, 0.0f);
            if (variant)
                spectral_norm_forward_cuda_variant(variant, vstream(), d_s, d_u, d_v, d_w, rows,
                                                   cols, 1, 0.0f);
            else
                gpu->spectral_norm_forward(gpu, d_s, d_u, d_v, d_w, rows, cols, 1, 0.0f);
            snprintf(name, sizeof name, "spectral_norm %s v%d",
                     kind == 0   ? "zero first column"
                     : kind == 1 ? "zero matrix"
                                 : "NaN entry",
                     variant);
            check(name, d_s, &sigma, 1, 1e-6, 1e-5);
            check(name, d_u, u, rows, 1e-6, 1e-5);
            check(name, d_v, v, cols, 1e-6, 1e-5);
            gpu->free(gpu, d_w), gpu->free(gpu, d_u), gpu->free(gpu, d_v), gpu->free(gpu, d_s);
            free(w);
        }
    sync_ok("spectral norm edges");
}

static void test_elementwise_edges(void) {
    char name[96];
    /* clamp passes NaN, clips infinities; lo == hi */
    float x[6] = {NAN, INFINITY, -INFINITY, 0.25f, -3.0f, 3.0f}, y[6], *d_x = up(x, 6);
    float *d_y = up(x, 6);
    const float bounds[][2] = {{-1.0f, 1.0f}, {0.5f, 0.5f}};
    for (int b = 0; b < 2; ++b) {
        cpu->clamp(cpu, y, x, bounds[b][0], bounds[b][1], 6);
        gpu->clamp(gpu, d_y, d_x, bounds[b][0], bounds[b][1], 6);
        snprintf(name, sizeof name, "clamp NaN/inf [%g, %g]", bounds[b][0], bounds[b][1]);
        check(name, d_y, y, 6, 0, 0);
    }
    /* copy_cols with no columns or no rows leaves dst alone */
    float dst[12], *d_dst;
    test_fill_random(dst, 12, 5, -1, 1);
    d_dst = up(dst, 12);
    gpu->copy_cols(gpu, d_dst, 4, 4, d_x, 6, 6, 3, 0, 0);
    gpu->copy_cols(gpu, d_dst, 4, 0, d_x, 6, 0, 0, 4, 1);
    check("copy_cols cols=0 / rows=0 write nothing", d_dst, dst, 12, 0, 0);
    gpu->free(gpu, d_x), gpu->free(gpu, d_y), gpu->free(gpu, d_dst);
    sync_ok("element-wise edges");
}

static void test_random_edges(void) {
    const size_t n = 1003;
    const rise_rng rng = {9, 4, 11, NULL};
    float *x = rnd(n, 221, -1, 1), *y = rnd(n, 222, -1, 1), *mask = rnd(n, 223, -1, 1);
    x[0] = NAN, x[1] = INFINITY;
    float *d_x = up(x, n), *d_y = up(y, n), *d_mask = up(mask, n);
    char name[64];
    const float ps[] = {0.0f, 1.0f, 0.5f};
    for (int i = 0; i < 3; ++i) {
        cpu->dropout_forward(cpu, y, mask, x, n, ps[i], rng);
        gpu->dropout_forward(gpu, d_y, d_mask, d_x, n, ps[i], rng);
        snprintf(name, sizeof name, "dropout p=%g mask", ps[i]);
        check_bits(name, d_mask, mask, n * sizeof(float));
        snprintf(name, sizeof name, "dropout p=%g y", ps[i]);
        check(name, d_y, y, n, 0, 0); /* NaN where x is NaN, or x inf times mask 0 */
    }
    gpu->free(gpu, d_x), gpu->free(gpu, d_y), gpu->free(gpu, d_mask);
    free(x), free(y), free(mask);
    sync_ok("dropout edges");
}

static void test_loss_edges(void) {
    float loss = 7.0f, *d_loss = up(&loss, 1);
    float q[4] = {1.0f, NAN, -2.0f, 0.5f}, v[4] = {0.5f, 0.0f, 1.0f, 0.5f}, dv[4];
    float *d_q = up(q, 4), *d_v = up(v, 4), *d_dv = up(v, 4);
    char name[64];
    /* n = 0: loss 0; NaN: loss and its gradient NaN; tau at both ends */
    cpu->mse(cpu, &loss, NULL, q, v, NULL, 0, 1.0f);
    gpu->mse(gpu, d_loss, NULL, d_q, d_v, NULL, 0, 1.0f);
    check("mse n=0", d_loss, &loss, 1, 0, 0);
    cpu->expectile(cpu, &loss, NULL, q, v, 0, 0.9f, 1.0f);
    gpu->expectile(gpu, d_loss, NULL, d_q, d_v, 0, 0.9f, 1.0f);
    check("expectile n=0", d_loss, &loss, 1, 0, 0);
    const float taus[] = {0.0f, 1.0f, 0.7f};
    for (int t = 0; t < 3; ++t) {
        const size_t n = t < 2 ? 4 : 1; /* with and without the NaN */
        const float *qq = t < 2 ? q : q + 2;
        const float *dq = t < 2 ? d_q : d_q + 2, *dvv = t < 2 ? d_v : d_v + 2;
        cpu->expectile(cpu, &loss, dv, qq, t < 2 ? v : v + 2, n, taus[t], 2.0f);
        gpu->expectile(gpu, d_loss, d_dv, dq, dvv, n, taus[t], 2.0f);
        snprintf(name, sizeof name, "expectile tau=%g loss", taus[t]);
        check(name, d_loss, &loss, 1, 1e-7, 1e-6);
        snprintf(name, sizeof name, "expectile tau=%g dv", taus[t]);
        check(name, d_dv, dv, n, 1e-9, 1e-6);
    }
    gpu->free(gpu, d_loss), gpu->free(gpu, d_q), gpu->free(gpu, d_v), gpu->free(gpu, d_dv);
    sync_ok("loss edges");
}

/* cols = 0 still draws and writes t_out; one diffusion step. */
static void test_diffusion_edges(void) {
    const rise_rng rng = {5, 2, 17, NULL};
    float sab[3] = {0.9f, 0.5f, 0.1f}, s1m[3] = {0.4f, 0.8f, 0.99f};
    float *d_sab = up(sab, 3), *d_s1m = up(s1m, 3);
    const int rows = 37;
    float *t = rnd(rows, 231, -1, 1), *d_t = up(t, rows), dummy = 0, *d_dummy = up(&dummy, 1);
    char name[96];
    for (int n_steps = 1; n_steps <= 3; n_steps += 2) {
        cpu->diffusion_q_sample(cpu, &dummy, &dummy, t, &dummy, sab, s1m, rows, 0, n_steps, rng);
        gpu->diffusion_q_sample(gpu, d_dummy, d_dummy, d_t, d_dummy, d_sab, d_s1m, rows, 0, n_steps,
                                rng);
        snprintf(name, sizeof name, "diffusion_q_sample cols=0 n_steps=%d t_out", n_steps);
        check_bits(name, d_t, t, rows * sizeof(float));
    }
    gpu->free(gpu, d_sab), gpu->free(gpu, d_s1m), gpu->free(gpu, d_t), gpu->free(gpu, d_dummy);
    free(t);
    sync_ok("diffusion edges");
}

/* logsumexp rows with NaN, +inf, all -inf; AWR weights and exp of NaN and infinities. */
static void test_gaussian_edges(void) {
    const int rows = 5, cols = 7;
    float x[35], out[5], dout[5] = {1, -1, 0.5f, 2, 1}, dx[35];
    test_fill_random(x, 35, 241, -3, 3);
    x[2] = NAN;                                                 /* row 0: NaN */
    x[cols + 3] = INFINITY;                                     /* row 1: +inf */
    for (int c = 0; c < cols; ++c) x[2 * cols + c] = -INFINITY; /* row 2: all -inf */
    x[3 * cols] = -INFINITY;                                    /* row 3: one -inf */
    for (int c = 0; c < cols; ++c) x[4 * cols + c] = NAN;       /* row 4: all NaN */
    float *d_x = up(x, 35), *d_out = up(x, 5), *d_dout = up(dout, 5), *d_dx = up(x, 35);
    cpu->logsumexp_rows_forward(cpu, out, x, rows, cols);
    gpu->logsumexp_rows_forward(gpu, d_out, d_x, rows, cols);
    check("logsumexp_rows_forward NaN/inf rows", d_out, out, rows, 1e-6, 1e-6);
    gpu->upload(gpu, d_out, out, sizeof out);
    cpu->logsumexp_rows_backward(cpu, dx, dout, x, out, rows, cols);
    gpu->logsumexp_rows_backward(gpu, d_dx, d_dout, d_x, d_out, rows, cols);
    check("logsumexp_rows_backward NaN/inf rows", d_dx, dx, 35, 1e-7, 1e-6);
    float e[6] = {NAN, INFINITY, -INFINITY, 100.0f, -200.0f, 0.0f}, ye[6], *d_e = up(e, 6);
    float *d_ye = up(e, 6), vz[6] = {0, 0, 0, 0, 0, 0}, *d_vz = up(vz, 6);
    cpu->exp_forward(cpu, ye, e, 6);
    gpu->exp_forward(gpu, d_ye, d_e, 6);
    check("exp_forward NaN/inf/overflow/underflow", d_ye, ye, 6, 0, 0);
    cpu->awr_weights(cpu, ye, e, vz, 6, 1.0f, 100.0f);
    gpu->awr_weights(gpu, d_ye, d_e, d_vz, 6, 1.0f, 100.0f);
    check("awr_weights NaN/inf", d_ye, ye, 6, 0, 0);
    gpu->free(gpu, d_x), gpu->free(gpu, d_out), gpu->free(gpu, d_dout), gpu->free(gpu, d_dx);
    gpu->free(gpu, d_e), gpu->free(gpu, d_ye), gpu->free(gpu, d_vz);
    sync_ok("gaussian edges");
}

/* Rows of all NaN (pick 0), NaN first then numbers, +inf/-inf, ties at the top; K = 1. */
static void test_argmax_edges(void) {
    const int rows = 5, k = 40, w = 3;
    float *score = rnd((size_t)rows * k, 251, -1, 1), *cand = rnd((size_t)rows * k * w, 252, -1, 1);
    for (int j = 0; j < k; ++j) score[j] = NAN;                /* row 0 */
    score[k] = NAN, score[k + 5] = 9.0f;                       /* row 1 */
    score[2 * k + 33] = INFINITY, score[2 * k + 2] = INFINITY; /* row 2: first +inf wins */
    for (int j = 0; j < k; ++j) score[3 * k + j] = -INFINITY;  /* row 3: all -inf: 0 */
    score[4 * k + 1] = 5.0f, score[4 * k + 39] = 5.0f;         /* row 4: tie, first wins */
    float out[15], idx[5], *d_s = up(score, (size_t)rows * k);
    float *d_c = up(cand, (size_t)rows * k * w), *d_o = up(out, 15), *d_i = up(idx, 5);
    cpu->argmax_select(cpu, out, idx, score, cand, rows, k, w);
    gpu->argmax_select(gpu, d_o, d_i, d_s, d_c, rows, k, w);
    check_bits("argmax_select NaN/inf/ties index", d_i, idx, sizeof idx);
    check_bits("argmax_select NaN/inf/ties out", d_o, out, sizeof out);
    cpu->argmax_select(cpu, out, idx, score, cand, rows, 1, w); /* K = 1 */
    gpu->argmax_select(gpu, d_o, d_i, d_s, d_c, rows, 1, w);
    check_bits("argmax_select K=1 index", d_i, idx, sizeof idx);
    check_bits("argmax_select K=1 out", d_o, out, sizeof out);
    gpu->free(gpu, d_s), gpu->free(gpu, d_c), gpu->free(gpu, d_o), gpu->free(gpu, d_i);
    free(score), free(cand);
    sync_ok("argmax edges");
}

/* A constant row with eps = 0: rstd = +inf and y = NaN on both sides. */
static void test_layernorm_edges(void) {
    const int rows = 2, cols = 13;
    float x[26], y[26], mean[2], rstd[2];
    for (int i = 0; i < 26; ++i) x[i] = i < 13 ? 2.0f : (float)i;
    float *d_x = up(x, 26), *d_y = up(x, 26), *d_m = up(mean, 2), *d_r = up(rstd, 2);
    cpu->layernorm_forward(cpu, y, mean, rstd, x, NULL, NULL, rows, cols, 0.0f);
    gpu->layernorm_forward(gpu, d_y, d_m, d_r, d_x, NULL, NULL, rows, cols, 0.0f);
    check("layernorm eps=0 constant row y", d_y, y, 26, 2e-5, 2e-5);
    check("layernorm eps=0 constant row rstd", d_r, rstd, 2, 0, 2e-5);
    gpu->free(gpu, d_x), gpu->free(gpu, d_y), gpu->free(gpu, d_m), gpu->free(gpu, d_r);
    sync_ok("layernorm edges");
}

int main(void) {
    test_shapes_small(); /* a bad RISE_TEST_SHAPES fails here, with or without a device */
    gpu = test_backend_or_skip("cuda");
    cpu = test_backend_or_skip("ref");
    test_gemm();
    test_bias();
    test_elementwise();
    test_activations();
    test_fused_epilogues();
    test_layernorm();
    test_random();
    test_losses();
    test_optim();
    test_reduce();
    test_spectral_norm();
    test_time_embed();
    test_diffusion_q_sample();
    test_gaussian();
    test_argmax_select();
    test_candidate_noise();
    test_reduce_nan_inf();
    test_spectral_norm_edges();
    test_elementwise_edges();
    test_random_edges();
    test_loss_edges();
    test_diffusion_edges();
    test_gaussian_edges();
    test_argmax_edges();
    test_layernorm_edges();
    rise_backend_destroy(gpu);
    rise_backend_destroy(cpu);
    return test_finish();
}

#else /* the CUDA backend was not built: nothing to compare */

int main(void) {
    test_shapes_small(); /* a bad RISE_TEST_SHAPES fails here, with or without a device */
    rise_backend *be = test_backend_or_skip("cuda"); /* exits 77 */
    rise_backend_destroy(be);
    return 1;
}

#endif
