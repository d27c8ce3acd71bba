/* test_ops_dense.c - the CPU backend's OpenBLAS GEMM against gemm_ref (all
 * transposes, awkward shapes, alpha/beta, strided batches, stride-0
 * broadcast), a hand-computed product, element-wise ops, column copies and
 * reductions. */
#include "kernels/gemm.h"
#include "test_util.h"

static rise_backend *be;

static void check_gemm(int ta, int tb, int m, int n, int k, float alpha, float beta, int batch,
                       int broadcast_a) {
    const int lda = ta ? m : k, ldb = tb ? k : n, ldc = n;
    const int64_t sa = broadcast_a ? 0 : (int64_t)m * k, sb = (int64_t)k * n, sc = (int64_t)m * n;
    const size_t na = (size_t)m * k * (broadcast_a ? 1 : batch), nb = (size_t)k * n * batch;
    const size_t nc = (size_t)m * n * batch;
    float *a = malloc(na * 4 + 4), *b = malloc(nb * 4 + 4), *c = malloc(nc * 4 + 4),
          *r = malloc(nc * 4 + 4);
    test_fill_random(a, na, m * 7 + k, -1, 1);
    test_fill_random(b, nb, n * 5 + k, -1, 1);
    test_fill_random(c, nc, 3, -1, 1);
    memcpy(r, c, nc * 4);
    be->gemm(be, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch);
    gemm_ref(ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, r, ldc, sc, batch);
    char name[128];
    snprintf(name, sizeof name, "gemm ta=%d tb=%d %dx%dx%d batch %d%s", ta, tb, m, n, k, batch,
             broadcast_a ? " (A broadcast)" : "");
    test_close(name, c, r, nc, 1e-5, 1e-5);
    free(a), free(b), free(c), free(r);
}

static void test_gemm(void) {
    /* hand case: [1 2; 3 4] x [5; 6] = [17; 39] */
    const float a[4] = {1, 2, 3, 4}, b[2] = {5, 6};
    float c[2] = {100, 100};
    be->gemm(be, 0, 0, 2, 1, 2, 1.0f, a, 2, 0, b, 1, 0, 0.0f, c, 1, 0, 1);
    TEST_CHECK(c[0] == 17 && c[1] == 39, "hand gemm %g %g", c[0], c[1]);
    be->gemm(be, 1, 0, 2, 1, 2, 1.0f, a, 2, 0, b, 1, 0, 0.0f, c, 1, 0, 1); /* A^T */
    TEST_CHECK(c[0] == 23 && c[1] == 34, "hand gemm A^T %g %g", c[0], c[1]);
    const int shapes[][3] = {{1, 1, 1}, {7, 13, 5}, {37, 1, 11}, {1, 29, 3}, {64, 48, 33}};
    for (int s = 0; s < 5; ++s)
        for (int ta = 0; ta < 2; ++ta)
            for (int tb = 0; tb < 2; ++tb)
                check_gemm(ta, tb, shapes[s][0], shapes[s][1], shapes[s][2], 1.0f, 0.0f, 1, 0);
    check_gemm(0, 1, 13, 7, 9, 0.5f, -2.0f, 1, 0);
    check_gemm(0, 0, 5, 6, 7, 1.0f, 1.0f, 3, 0);  /* ensemble-style batch */
    check_gemm(0, 0, 5, 6, 7, 1.0f, 0.0f, 2, 1);  /* shared input, per-member weights */
    check_gemm(1, 0, 6, 5, 4, 1.0f, 1.0f, 2, 0);  /* weight-gradient form, accumulating */
    /* k == 0 with beta 0 must overwrite (even NaN) */
    float z[2] = {NAN, NAN};
    be->gemm(be, 0, 0, 1, 2, 0, 1.0f, a, 1, 0, b, 2, 0, 0.0f, z, 2, 0, 1);
    TEST_CHECK(z[0] == 0 && z[1] == 0, "k=0 overwrites");
}

static void test_elementwise(void) {
    enum { N = 100003 }; /* above the parallel threshold, odd length */
    float *x = malloc(N * 4), *y = malloc(N * 4), *z = malloc(N * 4), *r = malloc(N * 4);
    test_fill_random(x, N, 1, -2, 2);
    test_fill_random(y, N, 2, -2, 2);
    be->add(be, z, x, y, N);
    for (int i = 0; i < N; ++i) r[i] = x[i] + y[i];
    test_close("add", z, r, N, 0, 0);
    be->mul(be, z, x, y, N);
    for (int i = 0; i < N; ++i) r[i] = x[i] * y[i];
    test_close("mul", z, r, N, 0, 0);
    memcpy(z, y, N * 4);
    be->axpy(be, z, 0.5f, x, N);
    for (int i = 0; i < N; ++i) r[i] = y[i] + 0.5f * x[i];
    test_close("axpy", z, r, N, 0, 0);
    be->scale(be, z, 2.0f, N);
    for (int i = 0; i < N; ++i) r[i] *= 2.0f;
    test_close("scale", z, r, N, 0, 0);
    be->clamp(be, z, x, -1, 1, N);
    int ok = 1;
    for (int i = 0; i < N; ++i) ok &= z[i] == (x[i] < -1 ? -1 : x[i] > 1 ? 1 : x[i]);
    TEST_CHECK(ok, "clamp");
    be->fill(be, z, 3.5f, N);
    ok = 1;
    for (int i = 0; i < N; ++i) ok &= z[i] == 3.5f;
    TEST_CHECK(ok, "fill");
    free(x), free(y), free(z), free(r);

    /* concat [2x2 | 2x3] -> 2x5, then split back with accumulation */
    const float a[4] = {1, 2, 3, 4}, b[6] = {5, 6, 7, 8, 9, 10};
    float cat[10], a2[4] = {1, 1, 1, 1}, b2[6] = {0};
    be->copy_cols(be, cat, 5, 0, a, 2, 0, 2, 2, 0);
    be->copy_cols(be, cat, 5, 2, b, 3, 0, 2, 3, 0);
    const float catref[10] = {1, 2, 5, 6, 7, 3, 4, 8, 9, 10};
    test_close("concat", cat, catref, 10, 0, 0);
    be->copy_cols(be, a2, 2, 0, cat, 5, 0, 2, 2, 1);
    be->copy_cols(be, b2, 3, 0, cat, 5, 2, 2, 3, 0);
    const float a2ref[4] = {2, 3, 4, 5};
    test_close("split with accumulate", a2, a2ref, 4, 0, 0);
    test_close("split", b2, b, 6, 0, 0);
}

static void test_reduce(void) {
    const float x[5] = {1, -4, 2, 0.5f, 3};
    const float want[RISE_REDUCE_COUNT] = {2.5f, 30.25f, 0.5f, 3, -4, 4};
    for (int op = 0; op < RISE_REDUCE_COUNT; ++op) {
        float out;
        be->reduce(be, (rise_reduce_op)op, &out, x, 5);
        TEST_CHECK(fabsf(out - want[op]) < 1e-6f, "reduce op %d: %g vs %g", op, out, want[op]);
    }
    float out = 1;
    be->reduce(be, RISE_REDUCE_MEAN, &out, x, 0);
    TEST_CHECK(out == 0.0f, "mean of nothing is 0");
    const float m[6] = {1, 5, 2, -7, 0, 3};
    float rows[2];
    be->reduce_rows(be, RISE_REDUCE_MAX, rows, m, 2, 3);
    TEST_CHECK(rows[0] == 5 && rows[1] == 3, "reduce_rows max %g %g", rows[0], rows[1]);
    be->reduce_rows(be, RISE_REDUCE_SUM, rows, m, 2, 3);
    TEST_CHECK(rows[0] == 8 && rows[1] == -4, "reduce_rows sum");
}

int main(void) {
    be = test_backend_or_skip("cpu");
    test_gemm();
    test_elementwise();
    test_reduce();
    rise_backend_destroy(be);
    return test_finish();
}
