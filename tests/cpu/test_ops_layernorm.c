/* test_ops_layernorm.c - LayerNorm on the CPU backend: a hand-computed row,
 * saved statistics (biased variance), gamma/beta NULL, a constant row, and
 * dx / dgamma / dbeta against double-precision central differences of an
 * independent double LayerNorm; accumulate flags (twice = double); the
 * chunked path equal to the reference; edge rules of layernorm.h: eps = 0 on a constant
 * row (rstd +inf, y NaN), a NaN spreading over its row only, and the argument checks
 * (cols < 1, eps < 0, rows < 0). Run: ctest -R test_ops_layernorm. */
#include "kernels/layernorm.h"
#include "test_util.h"
#include "expect_abort.h"

static rise_backend *be;

#define R 5
#define C 7

/* Independent double LayerNorm and the probe loss L = sum w y. */
static double ln_loss(const double *x, const double *g, const double *b, const double *w,
                      double eps) {
    double loss = 0;
    for (int r = 0; r < R; ++r) {
        double mu = 0, var = 0;
        for (int j = 0; j < C; ++j) mu += x[r * C + j] / C;
        for (int j = 0; j < C; ++j) var += (x[r * C + j] - mu) * (x[r * C + j] - mu) / C;
        for (int j = 0; j < C; ++j)
            loss += w[r * C + j] * ((x[r * C + j] - mu) / sqrt(var + eps) * g[j] + b[j]);
    }
    return loss;
}

static void test_hand(void) {
    /* x = [1 2 3 4]: mean 2.5, biased var 1.25 */
    const float x[4] = {1, 2, 3, 4}, g[4] = {1, 2, 1, 1}, b[4] = {0, 0, 0, 1};
    float y[4], m, rs;
    be->layernorm_forward(be, y, &m, &rs, x, g, b, 1, 4, 0.0f);
    const double k = 1 / sqrt(1.25);
    const float yref[4] = {(float)(-1.5 * k), (float)(-1.0 * k), (float)(0.5 * k),
                           (float)(1.5 * k + 1)};
    test_close("layernorm hand row", y, yref, 4, 1e-7, 1e-6);
    TEST_CHECK(m == 2.5f && fabs(rs - k) < 1e-7, "saved mean %g rstd %g (want 2.5, %g)", m, rs, k);
    /* gamma = beta = NULL is the plain normalisation */
    be->layernorm_forward(be, y, &m, &rs, x, NULL, NULL, 1, 4, 0.0f);
    const float yn[4] = {(float)(-1.5 * k), (float)(-0.5 * k), (float)(0.5 * k), (float)(1.5 * k)};
    test_close("layernorm without affine", y, yn, 4, 1e-7, 1e-6);
    /* a constant row normalises to beta, finite thanks to eps */
    const float cst[4] = {3, 3, 3, 3};
    be->layernorm_forward(be, y, &m, &rs, cst, g, b, 1, 4, 1e-5f);
    test_close("constant row gives beta", y, b, 4, 0, 0);
    TEST_CHECK(fabs(rs - 1 / sqrt(1e-5)) < 1e-2, "constant row rstd %g", rs);
}

static void test_gradients(void) {
    float x[R * C], g[C], b[C], w[R * C];
    test_fill_random(x, R * C, 11, -2, 2);
    test_fill_random(g, C, 12, 0.5f, 1.5f);
    test_fill_random(b, C, 13, -0.5f, 0.5f);
    test_fill_random(w, R * C, 14, -1, 1);
    const float eps = 1e-5f;
    double xd[R * C], gd[C], bd[C], wd[R * C];
    for (int i = 0; i < R * C; ++i) xd[i] = x[i], wd[i] = w[i];
    for (int j = 0; j < C; ++j) gd[j] = g[j], bd[j] = b[j];

    float y[R * C], mean[R], rstd[R], dx[R * C], dg[C] = {0}, db[C] = {0};
    be->layernorm_forward(be, y, mean, rstd, x, g, b, R, C, eps);
    be->layernorm_backward(be, dx, dg, db, w, x, mean, rstd, g, R, C, 0);

    float fdx[R * C], fdg[C], fdb[C];
    const double h = 1e-6;
    for (int i = 0; i < R * C; ++i) {
        const double keep = xd[i];
        xd[i] = keep + h;
        const double lp = ln_loss(xd, gd, bd, wd, eps);
        xd[i] = keep - h;
        const double lm = ln_loss(xd, gd, bd, wd, eps);
        xd[i] = keep;
        fdx[i] = (float)((lp - lm) / (2 * h));
    }
    for (int j = 0; j < C; ++j) {
        double keep = gd[j];
        gd[j] = keep + h;
        double lp = ln_loss(xd, gd, bd, wd, eps);
        gd[j] = keep - h;
        double lm = ln_loss(xd, gd, bd, wd, eps);
        gd[j] = keep;
        fdg[j] = (float)((lp - lm) / (2 * h));
        keep = bd[j];
        bd[j] = keep + h;
        lp = ln_loss(xd, gd, bd, wd, eps);
        bd[j] = keep - h;
        lm = ln_loss(xd, gd, bd, wd, eps);
        bd[j] = keep;
        fdb[j] = (float)((lp - lm) / (2 * h));
    }
    test_close("layernorm dx vs double FD", dx, fdx, R * C, 1e-5, 1e-4);
    test_close("layernorm dgamma vs double FD", dg, fdg, C, 1e-5, 1e-4);
    test_close("layernorm dbeta vs double FD", db, fdb, C, 1e-5, 1e-4);

    /* accumulate: dx with accumulate=1 and the parameter grads double */
    be->layernorm_backward(be, dx, dg, db, w, x, mean, rstd, g, R, C, 1);
    for (int i = 0; i < R * C; ++i) fdx[i] *= 2;
    for (int j = 0; j < C; ++j) fdg[j] *= 2, fdb[j] *= 2;
    test_close("layernorm dx accumulate twice", dx, fdx, R * C, 2e-5, 1e-4);
    test_close("layernorm dgamma accumulates", dg, fdg, C, 2e-5, 1e-4);
    test_close("layernorm dbeta accumulates", db, fdb, C, 2e-5, 1e-4);

    /* gamma = NULL: dx equals the gamma = 1 case */
    float ones[C], dx_null[R * C], dx_one[R * C];
    for (int j = 0; j < C; ++j) ones[j] = 1;
    be->layernorm_forward(be, y, mean, rstd, x, NULL, NULL, R, C, eps);
    be->layernorm_backward(be, dx_null, NULL, NULL, w, x, mean, rstd, NULL, R, C, 0);
    be->layernorm_backward(be, dx_one, NULL, NULL, w, x, mean, rstd, ones, R, C, 0);
    test_close("layernorm dx with gamma NULL == gamma 1", dx_null, dx_one, R * C, 0, 0);
}

static void test_large(void) {
    const int rows = 1203, cols = 61;
    const size_t n = (size_t)rows * cols;
    float *x = malloc(n * 4), *dy = malloc(n * 4), *y1 = malloc(n * 4), *y2 = malloc(n * 4);
    float *m1 = malloc(rows * 4), *m2 = malloc(rows * 4), *s1 = malloc(rows * 4),
          *s2 = malloc(rows * 4);
    float g[61], b[61], dg1[61] = {0}, dg2[61] = {0}, db1[61] = {0}, db2[61] = {0};
    test_fill_random(x, n, 21, -3, 5);
    test_fill_random(dy, n, 22, -1, 1);
    test_fill_random(g, cols, 23, 0.5f, 2);
    test_fill_random(b, cols, 24, -1, 1);
    be->layernorm_forward(be, y1, m1, s1, x, g, b, rows, cols, 1e-5f);
    layernorm_forward_ref(y2, m2, s2, x, g, b, rows, cols, 1e-5f);
    test_close("layernorm forward large == ref", y1, y2, n, 0, 0);
    test_close("layernorm rstd large == ref", s1, s2, rows, 0, 0);
    be->layernorm_backward(be, y1, dg1, db1, dy, x, m1, s1, g, rows, cols, 0);
    layernorm_backward_ref(y2, dg2, db2, dy, x, m2, s2, g, rows, cols, 0);
    test_close("layernorm dx large == ref", y1, y2, n, 0, 0);
    test_close("layernorm dgamma large == ref", dg1, dg2, cols, 0, 0);
    test_close("layernorm dbeta large == ref", db1, db2, cols, 0, 0);
    free(x), free(dy), free(y1), free(y2), free(m1), free(m2), free(s1), free(s2);
}

static void test_edge_rules(void) {
    const float x[8] = {2, 2, 2, 2, 1, NAN, 3, 4};
    float y[8], m[2], rs[2];
    be->layernorm_forward(be, y, m, rs, x, NULL, NULL, 2, 4, 0.0f);
    TEST_CHECK(rs[0] == INFINITY && isnan(y[0]) && isnan(y[3]),
               "eps = 0, constant row: rstd +inf, y NaN (rstd %g)", rs[0]);
    TEST_CHECK(isnan(y[4]) && isnan(y[7]) && isnan(m[1]), "a NaN spreads over its row");
    TEST_EXPECT_ABORT("layernorm cols = 0",
                      be->layernorm_forward(be, y, m, rs, x, NULL, NULL, 2, 0, 1e-5f));
    TEST_EXPECT_ABORT("layernorm eps < 0",
                      layernorm_forward_ref(y, m, rs, x, NULL, NULL, 2, 4, -1e-5f));
    TEST_EXPECT_ABORT("layernorm eps < 0 with no rows",
                      be->layernorm_forward(be, y, m, rs, x, NULL, NULL, 0, 4, -1.0f));
    TEST_EXPECT_ABORT("layernorm_backward rows < 0",
                      layernorm_backward_ref(y, NULL, NULL, x, x, m, rs, NULL, -1, 4, 0));
}

int main(void) {
    be = test_backend_or_skip("ref");
    test_hand();
    test_gradients();
    test_large();
    test_edge_rules();
    rise_backend_destroy(be);
    return test_finish();
}
