/* test_ops_spectral_norm.c - power-iteration spectral norm on the CPU backend:
 * sigma of a diagonal and of a rank-1 matrix, u/v are unit singular vectors,
 * u persists across calls (one iteration per call still converges),
 * dsigma/dW = u v^T against double central differences of sigma computed by
 * a converged double power iteration, the squared penalty (2 sigma u v^T),
 * lambda, accumulation (twice = double), the edge rules of spectral_norm.h: the
 * W = 0 fallback (1/sqrt(n) everywhere, exactly), a zero first column (the fallback must
 * not pin sigma at 0, as an e_0 fallback would), NaN and Inf in W (finite unit u, v),
 * the shared normalise rule itself, and the argument checks (iters >= 1, shape >= 1); and
 * the tolerance rule: a run with tol stops at exactly the first iteration whose unit u
 * moved by at most tol (it equals, bit for bit, the fixed-count run of that many
 * iterations), reaches the double-precision sigma_max, and a warm restart stops after one
 * iteration.
 * Run: ctest -R test_ops_spectral_norm. */
#include "kernels/spectral_norm.h"
#include "test_util.h"
#include "expect_abort.h"

static rise_backend *be;

/* Largest singular value in double: v <- W^T W v / |.| to convergence, sigma = |W v|.
 * (Shapes here are at most 16 wide.) */
static double sigma_double(const double *w, int rows, int cols) {
    double v[16], u[16];
    for (int j = 0; j < cols; ++j) v[j] = 1.0 + 0.1 * j;
    for (int it = 0; it < 2000; ++it) {
        for (int i = 0; i < rows; ++i) {
            u[i] = 0;
            for (int j = 0; j < cols; ++j) u[i] += w[i * cols + j] * v[j];
        }
        double nv = 0;
        for (int j = 0; j < cols; ++j) {
            v[j] = 0;
            for (int i = 0; i < rows; ++i) v[j] += w[i * cols + j] * u[i];
            nv += v[j] * v[j];
        }
        for (int j = 0; j < cols; ++j) v[j] /= sqrt(nv);
    }
    double nu = 0;
    for (int i = 0; i < rows; ++i) {
        double a = 0;
        for (int j = 0; j < cols; ++j) a += w[i * cols + j] * v[j];
        nu += a * a;
    }
    return sqrt(nu);
}

static void test_known(void) {
    /* diag(3, -5, 1): sigma 5, u = +-e1, v = -+e1 with u^T W v = 5 */
    float w[9] = {3, 0, 0, 0, -5, 0, 0, 0, 1}, u[3] = {0.6f, 0.0f, 0.8f}, v[3], sigma;
    u[1] = 0.1f; /* a start with some weight on the top direction */
    be->spectral_norm_forward(be, &sigma, u, v, w, 3, 3, 60, 0.0f);
    TEST_CHECK(fabsf(sigma - 5.0f) < 1e-5f, "sigma of diag(3,-5,1) = %g", sigma);
    TEST_CHECK(fabsf(fabsf(u[1]) - 1) < 1e-5f && fabsf(fabsf(v[1]) - 1) < 1e-5f,
               "singular vectors e2: u %g %g %g v %g %g %g", u[0], u[1], u[2], v[0], v[1], v[2]);
    TEST_CHECK(u[1] * v[1] < 0, "u^T W v positive needs opposite signs for the -5 entry");

    /* rank one: W = a b^T with |a| = 3, |b| = 5 -> sigma 15, exact after one iteration */
    const float a[3] = {1, 2, 2}, b[2] = {3, 4};
    float r1[6], u2[3] = {1, 0, 0}, v2[2];
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 2; ++j) r1[i * 2 + j] = a[i] * b[j];
    be->spectral_norm_forward(be, &sigma, u2, v2, r1, 3, 2, 1, 0.0f);
    TEST_CHECK(fabsf(sigma - 15.0f) < 1e-5f, "sigma of rank one = %g (want 15)", sigma);
    const float uref[3] = {1.0f / 3, 2.0f / 3, 2.0f / 3}, vref[2] = {0.6f, 0.8f};
    test_close("rank-one u = a/|a|", u2, uref, 3, 1e-6, 1e-6);
    test_close("rank-one v = b/|b|", v2, vref, 2, 1e-6, 1e-6);
}

static void test_persistent_u(void) {
    /* one iteration per call, u carried over: converges like many iterations at once */
    const int R = 6, C = 4;
    float w[24], u1[6], u2[6], v1[4], v2[4], s1 = 0, s2 = 0;
    test_fill_random(w, 24, 41, -1, 1);
    for (int i = 0; i < R; ++i) u1[i] = u2[i] = 1.0f / sqrtf((float)R);
    for (int k = 0; k < 200; ++k) be->spectral_norm_forward(be, &s1, u1, v1, w, R, C, 1, 0.0f);
    be->spectral_norm_forward(be, &s2, u2, v2, w, R, C, 200, 0.0f);
    double wd[24];
    for (int i = 0; i < 24; ++i) wd[i] = w[i];
    const double sref = sigma_double(wd, R, C);
    TEST_CHECK(fabs(s1 - sref) < 1e-5 * sref, "200 calls x 1 iteration: %g vs %g", s1, sref);
    TEST_CHECK(fabs(s2 - sref) < 1e-5 * sref, "1 call x 200 iterations: %g vs %g", s2, sref);
    double nu = 0, nv = 0;
    for (int i = 0; i < R; ++i) nu += (double)u1[i] * u1[i];
    for (int j = 0; j < C; ++j) nv += (double)v1[j] * v1[j];
    TEST_CHECK(fabs(nu - 1) < 1e-6 && fabs(nv - 1) < 1e-6, "u, v unit: %g %g", nu, nv);
}

static void test_gradient(void) {
    const int R = 5, C = 3;
    float w[15], u[5], v[3], sigma;
    test_fill_random(w, 15, 51, -1, 1);
    for (int i = 0; i < R; ++i) u[i] = 1.0f / sqrtf((float)R);
    be->spectral_norm_forward(be, &sigma, u, v, w, R, C, 300, 0.0f);
    float dw[15] = {0}, fd[15];
    be->spectral_norm_backward(be, dw, &sigma, u, v, R, C, 1.0f, 0);
    double wd[15];
    for (int i = 0; i < 15; ++i) wd[i] = w[i];
    const double h = 1e-6;
    for (int i = 0; i < 15; ++i) {
        const double keep = wd[i];
        wd[i] = keep + h;
        const double sp = sigma_double(wd, R, C);
        wd[i] = keep - h;
        const double sm = sigma_double(wd, R, C);
        wd[i] = keep;
        fd[i] = (float)((sp - sm) / (2 * h));
    }
    TEST_CHECK(fabs(sigma - sigma_double(wd, R, C)) < 1e-5, "sigma %g vs double %g", sigma,
               sigma_double(wd, R, C));
    test_close("dsigma/dW = u v^T vs double FD", dw, fd, 15, 1e-5, 1e-4);

    /* accumulate: a second call doubles; lambda and squared scale it */
    be->spectral_norm_backward(be, dw, &sigma, u, v, R, C, 1.0f, 0);
    float twice[15];
    for (int i = 0; i < 15; ++i) twice[i] = 2 * fd[i];
    test_close("spectral backward accumulates (twice = double)", dw, twice, 15, 2e-5, 1e-4);
    float dsq[15] = {0}, want[15];
    be->spectral_norm_backward(be, dsq, &sigma, u, v, R, C, 0.25f, 1);
    for (int i = 0; i < 15; ++i) want[i] = (float)(0.25 * 2 * sigma * u[i / C] * v[i % C]);
    test_close("squared penalty: lambda 2 sigma u v^T", dsq, want, 15, 1e-7, 1e-6);
    for (int i = 0; i < 15; ++i) want[i] = 0.5f * fd[i] * sigma;
    test_close("squared penalty vs FD of lambda sigma^2", dsq, want, 15, 1e-5, 1e-4);
}

static void test_zero_matrix(void) {
    float w[6] = {0}, u[2] = {0.6f, 0.8f}, v[3] = {NAN, NAN, NAN}, sigma = NAN;
    be->spectral_norm_forward(be, &sigma, u, v, w, 2, 3, 3, 0.0f);
    TEST_CHECK(sigma == 0.0f, "sigma of W = 0 is 0 (got %g)", sigma);
    int finite = 1;
    double nu = 0, nv = 0;
    for (int i = 0; i < 2; ++i) finite &= isfinite(u[i]), nu += u[i] * u[i];
    for (int j = 0; j < 3; ++j) finite &= isfinite(v[j]), nv += v[j] * v[j];
    TEST_CHECK(finite && fabs(nu - 1) < 1e-6 && fabs(nv - 1) < 1e-6,
               "W = 0 keeps finite unit u, v (|u|^2 %g |v|^2 %g)", nu, nv);
    /* u orthogonal to W's column space: W = e1 e1^T, u = e2 */
    float w2[4] = {1, 0, 0, 0}, u2[2] = {0, 1}, v2[2];
    be->spectral_norm_forward(be, &sigma, u2, v2, w2, 2, 2, 5, 0.0f);
    TEST_CHECK(fabsf(sigma - 1.0f) < 1e-6f, "recovers from u orthogonal to range: %g", sigma);
}

/* |u_a - u_b| for unit vectors, in double. */
static double moved(const float *a, const float *b, int n) {
    double s = 0;
    for (int i = 0; i < n; ++i) s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return sqrt(s);
}

static void test_tolerance(void) {
    enum { R = 12, C = 5, CAP = 400 };
    float w[R * C], u0[R], ut[R], vt[C], st;
    test_fill_random(w, R * C, 61, -1, 1);
    test_fill_random(u0, R, 62, -1, 1);
    double n0 = 0;
    for (int i = 0; i < R; ++i) n0 += (double)u0[i] * u0[i];
    for (int i = 0; i < R; ++i) u0[i] = (float)(u0[i] / sqrt(n0));
    const float tol = 1e-4f;
    memcpy(ut, u0, sizeof ut);
    be->spectral_norm_forward(be, &st, ut, vt, w, R, C, CAP, tol);
    /* the fixed-count runs k = 1, 2, ..: the tol run is the first k whose step moved <= tol */
    float prev[R], uk[R], vk[C], sk = 0;
    memcpy(prev, u0, sizeof prev);
    int stop = -1;
    for (int k = 1; k <= CAP && stop < 0; ++k) {
        memcpy(uk, u0, sizeof uk);
        be->spectral_norm_forward(be, &sk, uk, vk, w, R, C, k, 0.0f);
        if (moved(uk, prev, R) <= tol) stop = k;
        memcpy(prev, uk, sizeof prev);
    }
    TEST_CHECK(stop > 1 && stop < CAP, "tol %g: the fixed-count runs first move <= tol at %d", tol,
               stop);
    TEST_CHECK(memcmp(ut, uk, sizeof ut) == 0 && memcmp(vt, vk, sizeof vt) == 0 && st == sk,
               "the tol run equals the %d-iteration run bit for bit", stop);
    /* tight tol: sigma_max to float precision; a warm restart stops after one iteration */
    double wd[R * C];
    for (int i = 0; i < R * C; ++i) wd[i] = w[i];
    const double sref = sigma_double(wd, R, C);
    be->spectral_norm_forward(be, &st, ut, vt, w, R, C, 1000, 1e-6f);
    TEST_CHECK(fabs(st - sref) < 2e-7 * sref, "tol 1e-6: sigma %.9g vs double %.9g", st, sref);
    float u1[R], v1[C], s1;
    memcpy(u1, ut, sizeof u1);
    memcpy(uk, ut, sizeof uk);
    be->spectral_norm_forward(be, &s1, u1, v1, w, R, C, 1000, 1e-6f);
    be->spectral_norm_forward(be, &sk, uk, vk, w, R, C, 1, 0.0f);
    TEST_CHECK(memcmp(u1, uk, sizeof u1) == 0 && s1 == sk,
               "a converged warm start stops after one iteration");
    /* W = 0 counts as converged at once (finite unit vectors, sigma 0) */
    float z[6] = {0}, uz[2] = {0.6f, 0.8f}, vz[3], sz = NAN;
    be->spectral_norm_forward(be, &sz, uz, vz, z, 2, 3, 50, 1e-6f);
    TEST_CHECK(sz == 0.0f && isfinite(uz[0]) && isfinite(vz[0]), "W = 0 with tol: sigma %g", sz);
}

static void test_edge_rules(void) {
    /* the normalise rule */
    TEST_CHECK(sn_inv_norm(4.0) == 0.5, "1/|x| from the sum of squares");
    TEST_CHECK(sn_inv_norm(0.0) == 0.0 && sn_inv_norm(NAN) == 0.0 && sn_inv_norm(INFINITY) == 0.0 &&
                   sn_inv_norm(-1.0) == 0.0,
               "zero, NaN, Inf sums fall back");
    TEST_CHECK(sn_fallback(4) == 0.5f && sn_normalised(3.0f, 0.0, 0.5f) == 0.5f &&
                   sn_normalised(3.0f, 0.5, 0.5f) == 1.5f,
               "fallback value 1/sqrt(n), normalised element x * inv");

    /* W = 0: u and v are exactly the constant unit vectors */
    float w[6] = {0}, u[2] = {0.6f, 0.8f}, v[3], sigma = NAN;
    be->spectral_norm_forward(be, &sigma, u, v, w, 2, 3, 1, 0.0f);
    TEST_CHECK(u[0] == (float)(1 / sqrt(2.0)) && u[1] == u[0] && v[0] == (float)(1 / sqrt(3.0)) &&
                   v[1] == v[0] && v[2] == v[0] && sigma == 0.0f,
               "W = 0: u = 1/sqrt(2), v = 1/sqrt(3) everywhere, sigma 0 (u %g v %g sigma %g)", u[0],
               v[0], sigma);

    /* a zero first column and u orthogonal to W's range: v = W^T u = 0 falls back; with
     * the constant vector the iteration still finds sigma_max (e_0 would give sigma 0) */
    float wz[9] = {0, 1, 2, 0, 2, -1, 0, 0, 0}, uz[3] = {0, 0, 1}, vz[3];
    be->spectral_norm_forward(be, &sigma, uz, vz, wz, 3, 3, 50, 0.0f);
    double wd[9];
    for (int i = 0; i < 9; ++i) wd[i] = wz[i];
    const double sref = sigma_double(wd, 3, 3);
    TEST_CHECK(fabs(sigma - sref) < 1e-5 * sref, "zero first column: sigma %g (want %g)", sigma,
               sref);

    /* NaN or Inf in W: u and v stay finite unit vectors; sigma shows the NaN (Inf) */
    const float bad[2] = {NAN, INFINITY};
    for (int b = 0; b < 2; ++b) {
        float wb[6] = {1, 2, 3, 4, 5, 6}, ub[2] = {0.6f, 0.8f}, vb[3];
        wb[4] = bad[b];
        be->spectral_norm_forward(be, &sigma, ub, vb, wb, 2, 3, 2, 0.0f);
        int finite = 1;
        for (int i = 0; i < 2; ++i) finite &= ub[i] == (float)(1 / sqrt(2.0));
        for (int j = 0; j < 3; ++j) finite &= vb[j] == (float)(1 / sqrt(3.0));
        TEST_CHECK(finite && (b ? sigma == INFINITY : isnan(sigma)),
                   "%s in W: constant unit u, v and sigma %s (got %g)", b ? "Inf" : "NaN",
                   b ? "+inf" : "NaN", sigma);
    }

    /* argument checks, on the reference (and so the CPU backend) */
    float w1[4] = {1, 0, 0, 1}, u1[2] = {1, 0}, v1[2], s1;
    TEST_EXPECT_ABORT("iters = 0", spectral_norm_forward_ref(&s1, u1, v1, w1, 2, 2, 0, 0.0f));
    TEST_EXPECT_ABORT("iters = 0 on the backend",
                      be->spectral_norm_forward(be, &s1, u1, v1, w1, 2, 2, 0, 0.0f));
    TEST_EXPECT_ABORT("rows = 0", spectral_norm_forward_ref(&s1, u1, v1, w1, 0, 2, 1, 0.0f));
    TEST_EXPECT_ABORT("backward cols = 0",
                      spectral_norm_backward_ref(w1, &s1, u1, v1, 2, 0, 1.0f, 0));
}

int main(void) {
    be = test_backend_or_skip("ref");
    test_known();
    test_persistent_u();
    test_gradient();
    test_zero_matrix();
    test_tolerance();
    test_edge_rules();
    rise_backend_destroy(be);
    return test_finish();
}
