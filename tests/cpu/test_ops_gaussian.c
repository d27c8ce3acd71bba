/* test_ops_gaussian.c - the Gaussian-actor ops (kernels/gaussian.h) on the CPU
 * backend: hand-computed log-densities, gradients, AWR weights (clip and
 * overflow), logsumexp at large magnitudes and on empty / -inf rows, exp;
 * the tanh-Gaussian draw against philox.h and a naive double formula
 * (including saturated actions); double central differences of both
 * backward ops; and the chunked (multi-threaded) backend against the serial
 * reference, bitwise. Edge rules of gaussian.h: logsumexp rows holding NaN (NaN, even a
 * row of NaN only, which a NaN-skipping max would turn into -inf), +inf (+inf; its
 * gradient), sech2 where tanh saturates, AWR weights of NaN and infinite advantages,
 * exp of infinities, and negative shapes abort. Run: ctest -R test_ops_gaussian. */
#include "kernels/gaussian.h"
#include "test_util.h"
#include "expect_abort.h"

static rise_backend *be;

#define C_HALF_LOG_2PI 0.91893853320467274178
#define LN2            0.69314718055994530942

/* ---- double evaluators of the documented formulas (independent of gaussian_ref.c) ---- */

static double gauss_loss_d(const float *x, const double *mean, const double *ls, const float *dlogp,
                           int b, int a, int shared) {
    double l = 0.0;
    for (int r = 0; r < b; ++r) {
        double lp = 0.0;
        for (int j = 0; j < a; ++j) {
            const int i = r * a + j;
            const double s = shared ? ls[j] : ls[i];
            const double z = (x[i] - mean[i]) / exp(s);
            lp += -0.5 * z * z - s - C_HALF_LOG_2PI;
        }
        l += dlogp[r] * lp;
    }
    return l;
}

/* L = sum da * a + sum dlogp * logp for the tanh-Gaussian draw with eps fixed;
 * NULL weights count as zero. logp_out (optional) receives the per-row logp. */
static double tanh_loss_d(const float *eps, const double *mean, const double *ls, const float *da,
                          const float *dlogp, int b, int a, double *logp_out, double *act_out) {
    double l = 0.0;
    for (int r = 0; r < b; ++r) {
        double lp = 0.0;
        for (int j = 0; j < a; ++j) {
            const int i = r * a + j;
            const double u = mean[i] + exp(ls[i]) * eps[i], t = tanh(u);
            lp += -0.5 * (double)eps[i] * eps[i] - ls[i] - C_HALF_LOG_2PI - log(1 - t * t + 1e-6);
            if (da) l += da[i] * t;
            if (act_out) act_out[i] = t;
        }
        if (dlogp) l += dlogp[r] * lp;
        if (logp_out) logp_out[r] = lp;
    }
    return l;
}

/* ---- hand-computed cases ---- */

static void test_gauss_hand(void) {
    /* B = 2, A = 2, shared log_std = (0, ln 2), std = (1, 2), c = log(2 pi)/2:
     *   row 0: x - mean = (1, 2) -> z = (1, 1): logp = -1/2 - c + (-1/2 - ln 2 - c)
     *   row 1: x - mean = (0, -2) -> z = (0, -1): logp = -c + (-1/2 - ln 2 - c)
     * dlogp = (1, 2): dmean = dlogp z / std = (1, 1/2; 0, -1);
     * dlog_std += sum_b dlogp (z^2 - 1) = (1*0 + 2*(-1), 1*0 + 2*0) = (-2, 0). */
    const float x[4] = {1, 2, 0, -1}, mean[4] = {0, 0, 0, 1};
    const float ls_shared[2] = {0.0f, (float)LN2};
    const double c = C_HALF_LOG_2PI;
    float logp[2];
    be->gauss_logprob_forward(be, logp, x, mean, ls_shared, 2, 2, 1);
    const float lp_ref[2] = {(float)(-1 - LN2 - 2 * c), (float)(-0.5 - LN2 - 2 * c)};
    test_close("gauss_logprob shared hand", logp, lp_ref, 2, 1e-6, 1e-6);
    const float dlogp[2] = {1, 2};
    float dmean[4], dls[2] = {10, 20};
    be->gauss_logprob_backward(be, dmean, dls, dlogp, x, mean, ls_shared, 2, 2, 1);
    const float dmean_ref[4] = {1, 0.5f, 0, -1}, dls_ref[2] = {10 - 2, 20 + 0};
    test_close("gauss_logprob_backward shared dmean hand", dmean, dmean_ref, 4, 1e-6, 1e-6);
    test_close("gauss_logprob_backward shared dlog_std accumulates", dls, dls_ref, 2, 1e-6, 1e-6);

    /* per-row log_std (0, ln 2; ln 2, 0): row 1 becomes z = (0, -2):
     *   logp = (-ln 2 - c) + (-2 - c); dmean row 1 = 2 * (0, -2) / (2, 1) = (0, -4);
     *   dlog_std row 0 = 1 * (0, 0), row 1 = 2 * (0 - 1, 4 - 1) = (-2, 6), added to 1. */
    const float ls_rows[4] = {0.0f, (float)LN2, (float)LN2, 0.0f};
    be->gauss_logprob_forward(be, logp, x, mean, ls_rows, 2, 2, 0);
    const float lp2_ref[2] = {(float)(-1 - LN2 - 2 * c), (float)(-2 - LN2 - 2 * c)};
    test_close("gauss_logprob per-row hand", logp, lp2_ref, 2, 1e-6, 1e-6);
    float dls4[4] = {1, 1, 1, 1};
    be->gauss_logprob_backward(be, dmean, dls4, dlogp, x, mean, ls_rows, 2, 2, 0);
    const float dmean2_ref[4] = {1, 0.5f, 0, -4}, dls4_ref[4] = {1, 1, -1, 7};
    test_close("gauss_logprob_backward per-row dmean hand", dmean, dmean2_ref, 4, 1e-6, 1e-6);
    test_close("gauss_logprob_backward per-row dlog_std accumulates", dls4, dls4_ref, 4, 1e-6,
               1e-6);
    /* no action dims: logp 0 */
    logp[0] = logp[1] = 5.0f;
    be->gauss_logprob_forward(be, logp, x, mean, ls_shared, 2, 0, 1);
    TEST_CHECK(logp[0] == 0.0f && logp[1] == 0.0f, "gauss_logprob with A = 0 is 0");
}

static void test_awr_hand(void) {
    /* beta = 3, max_w = 100: q - v = (0, 1, -1, 10) -> (1, e^3, e^-3, min(e^30, 100)) */
    const float q[5] = {1, 2, 0, 10, 1e30f}, v[5] = {1, 1, 1, 0, -1e30f};
    float w[5];
    be->awr_weights(be, w, q, v, 5, 3.0f, 100.0f);
    const float ref[5] = {1.0f, (float)exp(3.0), (float)exp(-3.0), 100.0f, 100.0f};
    test_close("awr_weights hand, clip, overflow to max_w", w, ref, 5, 0, 1e-7);
    be->awr_weights(be, w, q, v, 2, 0.0f, 100.0f); /* beta 0: uniform weights */
    TEST_CHECK(w[0] == 1.0f && w[1] == 1.0f, "awr_weights beta 0 gives 1 (%g %g)", w[0], w[1]);
}

static void test_logsumexp_hand(void) {
    /* rows: (1000, 1001) -> 1001 + log(1 + e^-1); (0, ln 3) -> ln 4;
     *       (-1000, -1001) -> -1000 + log(1 + e^-1); (-inf, 2) -> 2; (-inf, -inf) -> -inf */
    const float xr[5][2] = {
        {1000, 1001}, {0, (float)log(3.0)}, {-1000, -1001}, {-INFINITY, 2}, {-INFINITY, -INFINITY}};
    const float *x = &xr[0][0];
    float out[5];
    be->logsumexp_rows_forward(be, out, x, 5, 2);
    const double l1 = log1p(exp(-1.0));
    const float ref[4] = {(float)(1001 + l1), (float)log(4.0), (float)(-1000 + l1), 2.0f};
    test_close("logsumexp_rows large, small, -inf entries", out, ref, 4, 0, 1e-7);
    TEST_CHECK(out[4] == -INFINITY, "logsumexp of an all -inf row is -inf (%g)", out[4]);
    /* backward: dx = dout softmax(x): row 0 (sigmoid(-1), sigmoid(1)), row 1 2 (1/4, 3/4) */
    const float dout[5] = {1, 2, 1, 3, 5};
    float dx[10];
    be->logsumexp_rows_backward(be, dx, dout, x, out, 5, 2);
    const double s1 = 1.0 / (1.0 + exp(1.0));
    const float dref[10] = {
        (float)s1, (float)(1 - s1), 0.5f, 1.5f, (float)(1 - s1), (float)s1, 0, 3, 0, 0};
    /* out is a float: near 1000 its rounding (ulp 6e-5) carries into dx relatively */
    test_close("logsumexp_rows_backward softmax, -inf rows 0", dx, dref, 10, 1e-7, 4e-5);
    float dexact[10];
    for (int i = 0; i < 10; ++i)
        dexact[i] = out[i / 2] == -INFINITY
                        ? 0.0f
                        : (float)(dout[i / 2] * exp((double)x[i] - (double)out[i / 2]));
    test_close("logsumexp_rows_backward = dout exp(x - out) with the float out", dx, dexact, 10, 0,
               1e-7);
    /* no columns: -inf */
    float e2[2] = {0, 0};
    be->logsumexp_rows_forward(be, e2, x, 2, 0);
    TEST_CHECK(e2[0] == -INFINITY && e2[1] == -INFINITY, "logsumexp of no columns is -inf");
}

static void test_exp_hand(void) {
    float x[6] = {0, 1, -1, 88, -100, (float)LN2}, y[6];
    be->exp_forward(be, y, x, 6);
    float ref[6];
    for (int i = 0; i < 6; ++i) ref[i] = (float)exp((double)x[i]);
    TEST_CHECK(y[0] == 1.0f && fabsf(y[5] - 2.0f) <= 2.4e-7f, "exp(0) = 1, exp(ln 2) = 2");
    test_close("exp_forward", y, ref, 6, 0, 1e-7);
    be->exp_forward(be, x, x, 6); /* in place */
    test_close("exp_forward in place", x, ref, 6, 0, 0);
}

static void test_tanh_sample_hand(void) {
    const int b = 3, a = 2;
    const rise_rng rng = {1234, 5, 17, NULL};
    /* rows: tiny std at mean 0 (a = 0), at atanh(1/2) (a = 1/2), at 20 (saturated, a = 1) */
    const float mean[6] = {0, 0, 0.54930614f, 0.54930614f, 20, -20};
    const float ls[6] = {-30, -30, -30, -30, -30, -30};
    float act[6], logp[3], eps[6];
    be->tanh_gauss_sample(be, act, logp, eps, mean, ls, b, a, rng);
    int eps_ok = 1;
    for (int i = 0; i < b * a; ++i)
        eps_ok &= eps[i] == rise_rng_normal(rng.seed, rng.stream, rng.offset, (uint64_t)i);
    TEST_CHECK(eps_ok, "tanh_gauss_sample eps = rise_rng_normal(rng, i) bitwise");
    const float act_ref[6] = {0, 0, 0.5f, 0.5f, 1, -1};
    test_close("tanh_gauss_sample a = tanh(mean) at tiny std", act, act_ref, 6, 1e-7, 1e-6);
    /* logp_b = sum_j -eps^2/2 + 30 - c - log(1 - a^2 + 1e-6) with 1 - a^2 = 1, 3/4, ~0 */
    const double c = C_HALF_LOG_2PI, e = 1e-6;
    const double corr[3] = {log(1 + e), log(0.75 + e), log(4 * exp(-40.0) + e)};
    float lref[3];
    for (int r = 0; r < b; ++r) {
        double s = 0;
        for (int j = 0; j < a; ++j) s += -0.5 * eps[r * a + j] * eps[r * a + j] + 30 - c;
        lref[r] = (float)(s - 2 * corr[r]);
    }
    test_close("tanh_gauss_sample logp hand (incl. saturated)", logp, lref, 3, 1e-5, 1e-6);
    TEST_CHECK(isfinite(logp[2]), "saturated action gives a finite logp");
}

/* ---- finite differences ---- */

static void test_gauss_fd(void) {
    enum { B = 5, A = 3 };
    float x[B * A], mean[B * A], ls[B * A], dlogp[B];
    test_fill_random(x, B * A, 1, -2, 2);
    test_fill_random(mean, B * A, 2, -1, 1);
    test_fill_random(ls, B * A, 3, -1, 0.5f);
    test_fill_random(dlogp, B, 4, -1, 1);
    const double h = 1e-6;
    for (int shared = 0; shared < 2; ++shared) {
        const int nls = shared ? A : B * A;
        double md[B * A], lsd[B * A];
        for (int i = 0; i < B * A; ++i) md[i] = mean[i];
        for (int i = 0; i < nls; ++i) lsd[i] = ls[i];
        float logp[B], lp_ref[B], dmean[B * A], dls[B * A], fdm[B * A], fds[B * A];
        be->gauss_logprob_forward(be, logp, x, mean, ls, B, A, shared);
        for (int r = 0; r < B; ++r) {
            float one[B] = {0};
            one[r] = 1;
            lp_ref[r] = (float)gauss_loss_d(x, md, lsd, one, B, A, shared);
        }
        test_close(shared ? "gauss_logprob shared vs double" : "gauss_logprob per-row vs double",
                   logp, lp_ref, B, 1e-6, 1e-6);
        for (int i = 0; i < nls; ++i) dls[i] = 0.0f;
        be->gauss_logprob_backward(be, dmean, dls, dlogp, x, mean, ls, B, A, shared);
        for (int i = 0; i < B * A; ++i) {
            const double keep = md[i];
            md[i] = keep + h;
            const double lp = gauss_loss_d(x, md, lsd, dlogp, B, A, shared);
            md[i] = keep - h;
            const double lm = gauss_loss_d(x, md, lsd, dlogp, B, A, shared);
            md[i] = keep;
            fdm[i] = (float)((lp - lm) / (2 * h));
        }
        for (int i = 0; i < nls; ++i) {
            const double keep = lsd[i];
            lsd[i] = keep + h;
            const double lp = gauss_loss_d(x, md, lsd, dlogp, B, A, shared);
            lsd[i] = keep - h;
            const double lm = gauss_loss_d(x, md, lsd, dlogp, B, A, shared);
            lsd[i] = keep;
            fds[i] = (float)((lp - lm) / (2 * h));
        }
        test_close(shared ? "gauss dmean vs FD (shared)" : "gauss dmean vs FD (per-row)", dmean,
                   fdm, B * A, 1e-5, 1e-5);
        test_close(shared ? "gauss dlog_std vs FD (shared)" : "gauss dlog_std vs FD (per-row)", dls,
                   fds, nls, 1e-5, 1e-5);
    }
}

static void test_tanh_fd(void) {
    enum { B = 4, A = 3 };
    float mean[B * A], ls[B * A], da[B * A], dlogp[B];
    test_fill_random(mean, B * A, 11, -1.5f, 1.5f);
    test_fill_random(ls, B * A, 12, -1.5f, 0.0f);
    test_fill_random(da, B * A, 13, -1, 1);
    test_fill_random(dlogp, B, 14, -1, 1);
    const rise_rng rng = {99, 3, 1000, NULL};
    float act[B * A], logp[B], eps[B * A];
    be->tanh_gauss_sample(be, act, logp, eps, mean, ls, B, A, rng);
    double md[B * A], lsd[B * A], lpd[B], actd[B * A];
    for (int i = 0; i < B * A; ++i) md[i] = mean[i], lsd[i] = ls[i];
    tanh_loss_d(eps, md, lsd, NULL, NULL, B, A, lpd, actd);
    float lpf[B], actf[B * A];
    for (int r = 0; r < B; ++r) lpf[r] = (float)lpd[r];
    for (int i = 0; i < B * A; ++i) actf[i] = (float)actd[i];
    test_close("tanh_gauss_sample a vs naive double", act, actf, B * A, 1e-7, 1e-6);
    test_close("tanh_gauss_sample logp vs naive double", logp, lpf, B, 1e-5, 1e-6);

    const double h = 1e-6;
    for (int which = 0; which < 3; ++which) { /* both, da only, dlogp only */
        const float *wa = which == 2 ? NULL : da, *wl = which == 1 ? NULL : dlogp;
        float dmean[B * A], dls[B * A], fdm[B * A], fds[B * A];
        be->tanh_gauss_sample_backward(be, dmean, dls, wa, wl, eps, mean, ls, act, B, A);
        for (int i = 0; i < B * A; ++i) {
            double keep = md[i];
            md[i] = keep + h;
            double lp = tanh_loss_d(eps, md, lsd, wa, wl, B, A, NULL, NULL);
            md[i] = keep - h;
            double lm = tanh_loss_d(eps, md, lsd, wa, wl, B, A, NULL, NULL);
            md[i] = keep;
            fdm[i] = (float)((lp - lm) / (2 * h));
            keep = lsd[i];
            lsd[i] = keep + h;
            lp = tanh_loss_d(eps, md, lsd, wa, wl, B, A, NULL, NULL);
            lsd[i] = keep - h;
            lm = tanh_loss_d(eps, md, lsd, wa, wl, B, A, NULL, NULL);
            lsd[i] = keep;
            fds[i] = (float)((lp - lm) / (2 * h));
        }
        char name[96];
        snprintf(name, sizeof name, "tanh_gauss dmean vs FD (%s)",
                 which == 0 ? "da + dlogp" : (which == 1 ? "da, dlogp NULL" : "dlogp, da NULL"));
        test_close(name, dmean, fdm, B * A, 2e-5, 2e-5);
        snprintf(name, sizeof name, "tanh_gauss dlog_std vs FD (%s)",
                 which == 0 ? "da + dlogp" : (which == 1 ? "da, dlogp NULL" : "dlogp, da NULL"));
        test_close(name, dls, fds, B * A, 2e-5, 2e-5);
    }
    /* both NULL: zero gradients, overwritten */
    float dmean[B * A], dls[B * A], zero[B * A] = {0};
    for (int i = 0; i < B * A; ++i) dmean[i] = dls[i] = 7.0f;
    be->tanh_gauss_sample_backward(be, dmean, dls, NULL, NULL, eps, mean, ls, act, B, A);
    test_close("tanh_gauss backward, no upstream: dmean 0", dmean, zero, B * A, 0, 0);
    test_close("tanh_gauss backward, no upstream: dlog_std 0", dls, zero, B * A, 0, 0);
}

static void test_logsumexp_fd(void) {
    enum { R = 3, C = 7 };
    float x[R * C], dout[R], out[R], dx[R * C], fd[R * C];
    test_fill_random(x, R * C, 21, -3, 3);
    test_fill_random(dout, R, 22, -1, 1);
    be->logsumexp_rows_forward(be, out, x, R, C);
    be->logsumexp_rows_backward(be, dx, dout, x, out, R, C);
    double xd[R * C];
    for (int i = 0; i < R * C; ++i) xd[i] = x[i];
    const double h = 1e-6;
    for (int i = 0; i < R * C; ++i) {
        const int r = i / C;
        double l[2];
        for (int s = 0; s < 2; ++s) {
            const double keep = xd[i];
            xd[i] = keep + (s ? -h : h);
            double sum = 0;
            for (int c = 0; c < C; ++c) sum += exp(xd[r * C + c]);
            l[s] = dout[r] * log(sum);
            xd[i] = keep;
        }
        fd[i] = (float)((l[0] - l[1]) / (2 * h));
    }
    test_close("logsumexp_rows_backward vs FD", dx, fd, R * C, 1e-6, 1e-5);
}

/* ---- the chunked backend equals the serial reference bitwise ---- */

static void test_chunked(void) {
    enum { B = 4001, A = 3 };
    const size_t n = (size_t)B * A;
    float *mean = malloc(n * 4), *ls = malloc(n * 4), *da = malloc(n * 4), *dlogp = malloc(B * 4);
    float *act = malloc(n * 4), *eps = malloc(n * 4), *logp = malloc(B * 4);
    float *act_r = malloc(n * 4), *eps_r = malloc(n * 4), *logp_r = malloc(B * 4);
    float *g1 = malloc(n * 4), *g2 = malloc(n * 4), *g1_r = malloc(n * 4), *g2_r = malloc(n * 4);
    test_fill_random(mean, n, 31, -1, 1);
    test_fill_random(ls, n, 32, -2, 0.5f);
    test_fill_random(da, n, 33, -1, 1);
    test_fill_random(dlogp, B, 34, -1, 1);
    const rise_rng rng = {777, 2, 12345, NULL};
    be->tanh_gauss_sample(be, act, logp, eps, mean, ls, B, A, rng);
    tanh_gauss_sample_ref(act_r, logp_r, eps_r, mean, ls, B, A, rng);
    TEST_CHECK(!memcmp(eps, eps_r, n * 4) && !memcmp(act, act_r, n * 4) &&
                   !memcmp(logp, logp_r, B * 4),
               "tanh_gauss_sample chunked = serial reference, bitwise (B=%d A=%d)", B, A);
    be->tanh_gauss_sample_backward(be, g1, g2, da, dlogp, eps, mean, ls, act, B, A);
    tanh_gauss_sample_backward_ref(g1_r, g2_r, da, dlogp, eps, mean, ls, act, B, A);
    TEST_CHECK(!memcmp(g1, g1_r, n * 4) && !memcmp(g2, g2_r, n * 4),
               "tanh_gauss_sample_backward chunked = serial reference, bitwise");
    be->gauss_logprob_forward(be, logp, act, mean, ls, B, A, 0);
    gauss_logprob_forward_ref(logp_r, act, mean, ls, B, A, 0);
    TEST_CHECK(!memcmp(logp, logp_r, B * 4), "gauss_logprob_forward chunked = reference");
    memset(g2, 0, n * 4), memset(g2_r, 0, n * 4);
    be->gauss_logprob_backward(be, g1, g2, dlogp, act, mean, ls, B, A, 0);
    gauss_logprob_backward_ref(g1_r, g2_r, dlogp, act, mean, ls, B, A, 0);
    TEST_CHECK(!memcmp(g1, g1_r, n * 4) && !memcmp(g2, g2_r, n * 4),
               "gauss_logprob_backward chunked = reference");
    be->logsumexp_rows_forward(be, logp, mean, B, A);
    logsumexp_rows_forward_ref(logp_r, mean, B, A);
    TEST_CHECK(!memcmp(logp, logp_r, B * 4), "logsumexp_rows_forward chunked = reference");
    be->logsumexp_rows_backward(be, g1, dlogp, mean, logp, B, A);
    logsumexp_rows_backward_ref(g1_r, dlogp, mean, logp, B, A);
    TEST_CHECK(!memcmp(g1, g1_r, n * 4), "logsumexp_rows_backward chunked = reference");
    /* the caller's offset bookkeeping: one draw of B*A normals */
    TEST_CHECK(tanh_gauss_sample_blocks(B, A) == rise_rng_blocks_normal(n),
               "tanh_gauss_sample_blocks = rise_rng_blocks_normal(B*A)");
    free(mean), free(ls), free(da), free(dlogp), free(act), free(eps), free(logp);
    free(act_r), free(eps_r), free(logp_r), free(g1), free(g2), free(g1_r), free(g2_r);
}

static void test_edge_rules(void) {
    const float x[9] = {1, NAN, 2, NAN, NAN, NAN, 0, INFINITY, 1};
    float out[3], dx[9];
    be->logsumexp_rows_forward(be, out, x, 3, 3);
    TEST_CHECK(isnan(out[0]) && isnan(out[1]) && out[2] == INFINITY,
               "logsumexp: NaN rows NaN (all-NaN too), a +inf row +inf (%g %g %g)", out[0], out[1],
               out[2]);
    const float dout[3] = {1, 1, 2};
    be->logsumexp_rows_backward(be, dx, dout, x, out, 3, 3);
    TEST_CHECK(isnan(dx[0]) && isnan(dx[4]) && dx[6] == 0 && isnan(dx[7]) && dx[8] == 0,
               "logsumexp backward: NaN rows NaN; a +inf row 0 for finite x, NaN at the inf");
    TEST_CHECK(isnan(lse_max(1.0f, NAN)) && isnan(lse_max(NAN, -INFINITY)) && lse_max(1, 2) == 2,
               "the shared max: NaN wins");
    TEST_CHECK(gauss_sech2(0.0) == 1.0 && gauss_sech2(1e3) == 0.0 && gauss_sech2(-1e3) == 0.0 &&
                   gauss_sech2(INFINITY) == 0.0,
               "sech2: 1 at 0, 0 (not NaN) where tanh saturates");
    const float q[4] = {NAN, INFINITY, -INFINITY, 0.0f}, v[4] = {0, 0, 0, 0};
    float w[4];
    be->awr_weights(be, w, q, v, 4, 3.0f, 100.0f);
    TEST_CHECK(isnan(w[0]) && w[1] == 100.0f && w[2] == 0.0f && w[3] == 1.0f,
               "awr: NaN stays NaN, +inf clips, -inf gives 0");
    float e[4];
    be->exp_forward(be, e, q, 4);
    TEST_CHECK(isnan(e[0]) && e[1] == INFINITY && e[2] == 0.0f && e[3] == 1.0f, "exp edges");
    TEST_EXPECT_ABORT("gauss_logprob negative rows",
                      be->gauss_logprob_forward(be, w, q, v, v, -1, 1, 1));
    TEST_EXPECT_ABORT("logsumexp negative cols", logsumexp_rows_forward_ref(out, x, 3, -3));
    TEST_EXPECT_ABORT("tanh_gauss_sample_backward negative cols",
                      tanh_gauss_sample_backward_ref(w, w, NULL, NULL, v, v, v, v, 1, -1));
}

int main(void) {
    rise_status st;
    be = rise_backend_create("ref", &st);
    if (!be) {
        fprintf(stderr, "FAIL: cpu backend: %s\n", rise_last_error());
        return 1;
    }
    test_gauss_hand();
    test_awr_hand();
    test_logsumexp_hand();
    test_exp_hand();
    test_tanh_sample_hand();
    test_gauss_fd();
    test_tanh_fd();
    test_logsumexp_fd();
    test_chunked();
    test_edge_rules();
    rise_backend_destroy(be);
    return test_finish();
}
