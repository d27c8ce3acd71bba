/* test_ops_gemm.c - the CPU backend's OpenBLAS GEMM against gemm_ref and
 * against a hand-computed product, plus bias_add / bias_grad.
 * Covers all four transpose combinations, awkward shapes (1, primes, 37),
 * padded leading dimensions, alpha/beta (beta = 0 must not read C), strided
 * batches, stride-0 broadcast of A and B, k = 0, and bias ops per ensemble
 * member with accumulation; edge rules of gemm.h: k = 0 ignores alpha (even NaN) and
 * gives exactly beta C on the reference and the backend alike, and the argument checks
 * (leading dimensions, negative shapes) abort. Run: ctest -R test_ops_gemm. */
#include "kernels/gemm.h"
#include "test_util.h"
#include "expect_abort.h"

static rise_backend *be;

/* One GEMM case on the backend vs gemm_ref; pad widens every leading dim. */
static void check_gemm(int ta, int tb, int m, int n, int k, float alpha, float beta, int batch,
                       int bcast_a, int bcast_b, int pad) {
    const int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
    const int64_t size_a = (int64_t)(ta ? k : m) * lda, size_b = (int64_t)(tb ? n : k) * ldb;
    const int64_t size_c = (int64_t)m * ldc;
    const int64_t sa = bcast_a ? 0 : size_a, sb = bcast_b ? 0 : size_b, sc = size_c;
    const size_t na = (size_t)(size_a * (bcast_a ? 1 : batch)) + 1;
    const size_t nb = (size_t)(size_b * (bcast_b ? 1 : batch)) + 1;
    const size_t nc = (size_t)(size_c * batch) + 1;
    float *a = malloc(na * 4), *b = malloc(nb * 4), *c = malloc(nc * 4), *r = malloc(nc * 4);
    test_fill_random(a, na, (unsigned)(m * 7 + k + ta), -1, 1);
    test_fill_random(b, nb, (unsigned)(n * 5 + k + tb), -1, 1);
    test_fill_random(c, nc, 3, -1, 1);
    memcpy(r, c, nc * 4);
    be->gemm(be, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch);
    gemm_ref(ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, r, ldc, sc, batch);
    char name[160];
    snprintf(name, sizeof name,
             "gemm ta=%d tb=%d %dx%dx%d alpha=%g beta=%g batch=%d bcast=%d%d pad=%d", ta, tb, m, n,
             k, alpha, beta, batch, bcast_a, bcast_b, pad);
    /* float BLAS vs double-accumulated reference: error grows like sqrt(k) eps */
    test_close(name, c, r, nc, 1e-5 * (1 + k / 16.0), 1e-5);
    free(a), free(b), free(c), free(r);
}

static void test_gemm_hand(void) {
    /* [1 2; 3 4] [5; 6] = [17; 39]; A^T [5; 6] = [23; 34] */
    const float a[4] = {1, 2, 3, 4}, x[2] = {5, 6};
    float c[2] = {0, 0};
    be->gemm(be, 0, 0, 2, 1, 2, 1.0f, a, 2, 0, x, 1, 0, 0.0f, c, 1, 0, 1);
    TEST_CHECK(c[0] == 17 && c[1] == 39, "hand gemm: %g %g, want 17 39", c[0], c[1]);
    be->gemm(be, 1, 0, 2, 1, 2, 1.0f, a, 2, 0, x, 1, 0, 0.0f, c, 1, 0, 1);
    TEST_CHECK(c[0] == 23 && c[1] == 34, "hand gemm A^T: %g %g, want 23 34", c[0], c[1]);
    /* alpha/beta: C = 2 A x + 0.5 C */
    c[0] = 2, c[1] = 4;
    be->gemm(be, 0, 0, 2, 1, 2, 2.0f, a, 2, 0, x, 1, 0, 0.5f, c, 1, 0, 1);
    TEST_CHECK(c[0] == 35 && c[1] == 80, "hand gemm alpha/beta: %g %g, want 35 80", c[0], c[1]);
    /* x^T B^T with B = a: row vector [5 6] times [1 3; 2 4] = [17 39] */
    be->gemm(be, 0, 1, 1, 2, 2, 1.0f, x, 2, 0, a, 2, 0, 0.0f, c, 2, 0, 1);
    TEST_CHECK(c[0] == 17 && c[1] == 39, "hand gemm B^T: %g %g", c[0], c[1]);
}

static void test_gemm_edge(void) {
    /* beta = 0 overwrites C without reading it (NaN in C must not leak) */
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 0, 1, 1, 1};
    float c[4] = {NAN, NAN, NAN, NAN}, r[4] = {NAN, NAN, NAN, NAN};
    be->gemm(be, 0, 0, 2, 2, 3, 1.0f, a, 3, 0, b, 2, 0, 0.0f, c, 2, 0, 1);
    gemm_ref(0, 0, 2, 2, 3, 1.0f, a, 3, 0, b, 2, 0, 0.0f, r, 2, 0, 1);
    const float want[4] = {4, 5, 10, 11};
    test_close("beta=0 ignores NaN in C (backend)", c, want, 4, 0, 0);
    test_close("beta=0 ignores NaN in C (ref)", r, want, 4, 0, 0);
    /* k = 0: C = beta C */
    float z[2] = {3, 4};
    be->gemm(be, 0, 0, 1, 2, 0, 1.0f, a, 0, 0, b, 2, 0, 0.5f, z, 2, 0, 1);
    TEST_CHECK(z[0] == 1.5f && z[1] == 2.0f, "k=0 scales C by beta: %g %g", z[0], z[1]);
    be->gemm(be, 0, 0, 1, 2, 0, 1.0f, a, 0, 0, b, 2, 0, 0.0f, z, 2, 0, 1);
    TEST_CHECK(z[0] == 0 && z[1] == 0, "k=0 beta=0 zeroes C");
    /* batch = 0 and m = 0 touch nothing */
    z[0] = 7;
    be->gemm(be, 0, 0, 1, 2, 3, 1.0f, a, 3, 0, b, 2, 0, 0.0f, z, 2, 0, 0);
    be->gemm(be, 0, 0, 0, 2, 3, 1.0f, a, 3, 0, b, 2, 0, 0.0f, z, 2, 0, 1);
    TEST_CHECK(z[0] == 7, "empty gemm leaves C alone");
}

static void test_gemm_sweep(void) {
    static const int shapes[][3] = {{1, 1, 1},   {7, 13, 5},   {13, 7, 1},   {1, 37, 37},
                                    {37, 1, 13}, {37, 37, 37}, {64, 33, 129}};
    const int nshapes = (int)(sizeof shapes / sizeof shapes[0]);
    for (int s = 0; s < nshapes; ++s)
        for (int ta = 0; ta < 2; ++ta)
            for (int tb = 0; tb < 2; ++tb) {
                const int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
                check_gemm(ta, tb, m, n, k, 1.0f, 0.0f, 1, 0, 0, 0);
                check_gemm(ta, tb, m, n, k, -0.7f, 1.3f, 1, 0, 0, 3);
            }
    /* strided batches, broadcast A (shared weights) and broadcast B */
    for (int ta = 0; ta < 2; ++ta)
        for (int tb = 0; tb < 2; ++tb) {
            check_gemm(ta, tb, 7, 13, 5, 1.0f, 0.0f, 3, 0, 0, 0);
            check_gemm(ta, tb, 7, 13, 5, 0.5f, 1.0f, 4, 1, 0, 2);
            check_gemm(ta, tb, 13, 7, 37, 2.0f, -1.0f, 2, 0, 1, 1);
        }
}

/* Batched semantics independent of gemm_ref: batch b uses its own slices. */
static void test_gemm_batch_semantics(void) {
    /* A[b] = b * I (2x2), B = [1 2; 3 4] broadcast: C[b] = b * B */
    float a[8] = {0, 0, 0, 0, 1, 0, 0, 1};
    const float b[4] = {1, 2, 3, 4};
    float c[8];
    be->gemm(be, 0, 0, 2, 2, 2, 1.0f, a, 2, 4, b, 2, 0, 0.0f, c, 2, 4, 2);
    const float want[8] = {0, 0, 0, 0, 1, 2, 3, 4};
    test_close("batched gemm with broadcast B", c, want, 8, 0, 0);
}

static void test_bias(void) {
    /* y [E=2, B=3, N=2], bias [2, 2] */
    float y[12] = {0};
    const float bias[4] = {1, 2, 10, 20};
    be->bias_add(be, y, bias, 2, 3, 2);
    const float yref[12] = {1, 2, 1, 2, 1, 2, 10, 20, 10, 20, 10, 20};
    test_close("bias_add per member", y, yref, 12, 0, 0);
    float dy[12];
    for (int i = 0; i < 12; ++i) dy[i] = (float)i;
    float db[4] = {0};
    be->bias_grad(be, db, dy, 2, 3, 2);
    const float dbref[4] = {0 + 2 + 4, 1 + 3 + 5, 6 + 8 + 10, 7 + 9 + 11};
    test_close("bias_grad sums rows per member", db, dbref, 4, 0, 0);
    be->bias_grad(be, db, dy, 2, 3, 2);
    const float dbref2[4] = {12, 18, 48, 54};
    test_close("bias_grad accumulates (twice = double)", db, dbref2, 4, 0, 0);

    /* large enough for the parallel path: backend == ref bitwise */
    const int e = 2, b = 1031, n = 67;
    const size_t ny = (size_t)e * b * n;
    float *y1 = malloc(ny * 4), *y2 = malloc(ny * 4), *bb = malloc((size_t)e * n * 4);
    test_fill_random(y1, ny, 5, -1, 1);
    memcpy(y2, y1, ny * 4);
    test_fill_random(bb, (size_t)e * n, 6, -1, 1);
    be->bias_add(be, y1, bb, e, b, n);
    bias_add_ref(y2, bb, e, b, n);
    test_close("bias_add large == ref", y1, y2, ny, 0, 0);
    float *g1 = calloc((size_t)e * n, 4), *g2 = calloc((size_t)e * n, 4);
    be->bias_grad(be, g1, y1, e, b, n);
    bias_grad_ref(g2, y1, e, b, n);
    test_close("bias_grad large == ref", g1, g2, (size_t)e * n, 0, 0);
    free(y1), free(y2), free(bb), free(g1), free(g2);
}

static void test_edge_rules(void) {
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 0, 1, 1, 1};
    float z[2] = {3, -4}, r[2] = {3, -4};
    be->gemm(be, 0, 0, 1, 2, 0, NAN, a, 0, 0, b, 2, 0, 0.5f, z, 2, 0, 1);
    gemm_ref(0, 0, 1, 2, 0, NAN, a, 0, 0, b, 2, 0, 0.5f, r, 2, 0, 1);
    TEST_CHECK(z[0] == 1.5f && z[1] == -2.0f && r[0] == z[0] && r[1] == z[1],
               "k = 0: C = beta C whatever alpha (ref %g %g, backend %g %g)", r[0], r[1], z[0],
               z[1]);
    TEST_CHECK(gemm_scale_c(0.0f, NAN) == 0.0f && gemm_scale_c(2.0f, 3.0f) == 6.0f,
               "the shared beta rule: beta = 0 does not read C");
    float c[4];
    TEST_EXPECT_ABORT("gemm lda too small",
                      gemm_ref(0, 0, 2, 2, 3, 1, a, 2, 0, b, 2, 0, 0, c, 2, 0, 1));
    TEST_EXPECT_ABORT("gemm ldc too small",
                      be->gemm(be, 0, 0, 2, 2, 3, 1, a, 3, 0, b, 2, 0, 0, c, 1, 0, 1));
    TEST_EXPECT_ABORT("gemm negative batch",
                      gemm_ref(0, 0, 2, 2, 3, 1, a, 3, 0, b, 2, 0, 0, c, 2, 0, -1));
    TEST_EXPECT_ABORT("bias_add negative shape", be->bias_add(be, c, a, 1, -2, 2));
    TEST_EXPECT_ABORT("bias_grad negative shape", bias_grad_ref(c, a, -1, 2, 2));
}

int main(void) {
    be = test_backend_or_skip("ref");
    test_gemm_hand();
    test_gemm_edge();
    test_gemm_sweep();
    test_gemm_batch_semantics();
    test_bias();
    test_edge_rules();
    rise_backend_destroy(be);
    return test_finish();
}
