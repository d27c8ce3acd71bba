/* test_ops_loss.c - fused MSE and expectile losses on the CPU backend:
 * hand-computed losses and gradients, weights and scale, n = 0 (loss 0, no
 * division), the expectile asymmetry (tau on positive u, 1 - tau on
 * negative), and both gradients against double central differences of the
 * loss as documented in kernels/loss.h; edge rules: NaN in one element (loss NaN, its
 * gradient NaN, the others finite), tau at 0 and 1, the shared weight rule, and tau
 * outside [0, 1] aborts. Run: ctest -R test_ops_loss. */
#include "kernels/loss.h"
#include "test_util.h"
#include "expect_abort.h"

static rise_backend *be;

#define N 9

static double mse_d(const double *p, const float *t, const float *w, float scale) {
    double s = 0;
    for (int i = 0; i < N; ++i) s += (w ? w[i] : 1.0) * (p[i] - t[i]) * (p[i] - t[i]);
    return scale * s / N;
}

static double expectile_d(const float *q, const double *v, float tau, float scale) {
    double s = 0;
    for (int i = 0; i < N; ++i) {
        const double u = q[i] - v[i];
        s += fabs(tau - (u < 0 ? 1.0 : 0.0)) * u * u;
    }
    return scale * s / N;
}

static void test_hand(void) {
    const float p[3] = {1, 2, 3}, t[3] = {0, 2, 5};
    float loss = -1, d[3];
    be->mse(be, &loss, d, p, t, NULL, 3, 1.0f);
    TEST_CHECK(fabsf(loss - 5.0f / 3) < 1e-7f, "mse (1 + 0 + 4)/3: %g", loss);
    const float dref[3] = {2.0f / 3, 0, -4.0f / 3};
    test_close("mse gradient 2 d / n", d, dref, 3, 1e-7, 1e-6);
    const float w[3] = {1, 5, 0.5f};
    be->mse(be, &loss, d, p, t, w, 3, 2.0f);
    TEST_CHECK(fabsf(loss - 2.0f * (1 + 0.5f * 4) / 3) < 1e-6f, "weighted scaled mse %g", loss);
    const float dwref[3] = {4.0f / 3, 0, -8.0f / 3 * 0.5f};
    test_close("weighted scaled mse gradient", d, dwref, 3, 1e-7, 1e-6);
    be->mse(be, &loss, d, p, t, NULL, 0, 1.0f);
    TEST_CHECK(loss == 0, "mse of nothing is 0 (got %g)", loss);

    /* expectile: u = q - v = (1, -2); loss = (0.9 * 1 + 0.1 * 4) / 2 */
    const float q[2] = {2, 0}, v[2] = {1, 2};
    float dv[2];
    be->expectile(be, &loss, dv, q, v, 2, 0.9f, 1.0f);
    TEST_CHECK(fabsf(loss - 0.65f) < 1e-7f, "expectile hand value %g", loss);
    const float dvref[2] = {-0.9f, 0.2f}; /* -2 w u / n */
    test_close("expectile dv hand", dv, dvref, 2, 1e-7, 1e-6);
    /* tau = 0.5 is half the MSE between q and v */
    float lm, lmse;
    be->expectile(be, &lm, dv, q, v, 2, 0.5f, 1.0f);
    be->mse(be, &lmse, d, q, v, NULL, 2, 0.5f);
    TEST_CHECK(fabsf(lm - lmse) < 1e-7f, "expectile(0.5) = mse / 2: %g vs %g", lm, lmse);
    be->expectile(be, &loss, dv, q, v, 0, 0.7f, 1.0f);
    TEST_CHECK(loss == 0, "expectile of nothing is 0");
}

static void test_fd(void) {
    float p[N], t[N], w[N], g[N], fd[N], loss;
    test_fill_random(p, N, 31, -2, 2);
    test_fill_random(t, N, 32, -2, 2);
    test_fill_random(w, N, 33, 0, 2);
    const float scale = 1.7f;
    double pd[N];
    for (int i = 0; i < N; ++i) pd[i] = p[i];
    be->mse(be, &loss, g, p, t, w, N, scale);
    TEST_CHECK(fabs(loss - mse_d(pd, t, w, scale)) < 1e-6 * (1 + fabs(loss)), "mse loss value");
    const double h = 1e-6;
    for (int i = 0; i < N; ++i) {
        const double keep = pd[i];
        pd[i] = keep + h;
        const double lp = mse_d(pd, t, w, scale);
        pd[i] = keep - h;
        const double lmn = mse_d(pd, t, w, scale);
        pd[i] = keep;
        fd[i] = (float)((lp - lmn) / (2 * h));
    }
    test_close("mse dpred vs double FD", g, fd, N, 1e-6, 1e-5);

    /* expectile: d loss / d v, both signs of u present */
    float q[N], v[N];
    test_fill_random(q, N, 34, -1, 1);
    test_fill_random(v, N, 35, -1, 1);
    double vd[N];
    for (int i = 0; i < N; ++i) vd[i] = v[i];
    for (int k = 0; k < 3; ++k) {
        const float tau = k == 0 ? 0.7f : (k == 1 ? 0.9f : 0.1f);
        be->expectile(be, &loss, g, q, v, N, tau, scale);
        TEST_CHECK(fabs(loss - expectile_d(q, vd, tau, scale)) < 1e-6, "expectile loss tau %g",
                   tau);
        for (int i = 0; i < N; ++i) {
            const double keep = vd[i];
            vd[i] = keep + h;
            const double lp = expectile_d(q, vd, tau, scale);
            vd[i] = keep - h;
            const double lmn = expectile_d(q, vd, tau, scale);
            vd[i] = keep;
            fd[i] = (float)((lp - lmn) / (2 * h));
        }
        char name[64];
        snprintf(name, sizeof name, "expectile dv vs double FD (tau %g)", tau);
        test_close(name, g, fd, N, 1e-6, 1e-5);
    }
}

static void test_edge_rules(void) {
    const float q[3] = {1.0f, NAN, -1.0f}, v[3] = {0.0f, 0.0f, 0.0f};
    float loss, g[3];
    be->mse(be, &loss, g, q, v, NULL, 3, 1.0f);
    TEST_CHECK(isnan(loss) && isnan(g[1]) && isfinite(g[0]) && isfinite(g[2]),
               "mse: NaN loss, NaN gradient where the NaN is only");
    be->expectile(be, &loss, g, q, v, 3, 0.9f, 1.0f);
    TEST_CHECK(isnan(loss) && isnan(g[1]) && isfinite(g[0]) && isfinite(g[2]),
               "expectile: NaN loss, NaN gradient where the NaN is only");
    /* tau = 1 weights only u >= 0, tau = 0 only u < 0 */
    const float q2[2] = {1.0f, -1.0f};
    be->expectile(be, &loss, g, q2, v, 2, 1.0f, 1.0f);
    TEST_CHECK(loss == 0.5f && g[0] == -1.0f && g[1] == 0.0f, "tau = 1: loss %g", loss);
    be->expectile(be, &loss, g, q2, v, 2, 0.0f, 1.0f);
    TEST_CHECK(loss == 0.5f && g[0] == 0.0f && g[1] == 1.0f, "tau = 0: loss %g", loss);
    TEST_CHECK(expectile_weight(-0.0, 0.9f) == (double)0.9f &&
                   expectile_weight(-1e-30, 0.9f) == 1.0 - (double)0.9f &&
                   expectile_weight(NAN, 0.9f) == (double)0.9f && loss_mean_scale(2.0f, 0) == 0.0,
               "the shared weight and scale rules (u = -0 and NaN take tau; n = 0 scales by 0)");
    TEST_EXPECT_ABORT("expectile tau > 1", be->expectile(be, &loss, g, q, v, 3, 1.5f, 1.0f));
    TEST_EXPECT_ABORT("expectile tau NaN", expectile_ref(&loss, g, q, v, 3, NAN, 1.0f));
}

int main(void) {
    be = test_backend_or_skip("ref");
    test_hand();
    test_fd();
    test_edge_rules();
    rise_backend_destroy(be);
    return test_finish();
}
