/* gaussian_ref.c - CPU reference of the Gaussian-actor ops (kernels/gaussian.h).
 *
 *   gauss_logprob:  z = (x - mean) exp(-ls), logp = sum_j -z^2/2 - ls - log(2 pi)/2
 *                   dmean = dlogp z exp(-ls), dls (+)= dlogp (z^2 - 1)
 *   awr_weights:    w = min(exp(beta (q - v)), max_w)
 *   tanh_gauss:     u = mean + exp(ls) eps, a = tanh(u),
 *                   logp = sum_j -eps^2/2 - ls - log(2 pi)/2 - log(1 - a^2 + 1e-6)
 *                   g_u = da (1 - a^2) + dlogp 2 a (1 - a^2) / (1 - a^2 + 1e-6)
 *                   dmean = g_u, dls = g_u exp(ls) eps - dlogp
 *   logsumexp_rows: out = m + log sum_c exp(x_c - m), m = max_c x_c;
 *                   dx = dout exp(x - out)
 *   exp_forward:    y = exp(x)
 * Everything is computed in double from the float inputs and rounded once;
 * row sums accumulate in double in column order. */
#include "gaussian.h"

#include <math.h>

/* 1 - tanh(u)^2 without cancellation: 4 e / (1 + e)^2, e = exp(-2 |u|). */
static double sech2(double u) {
    const double e = exp(-2.0 * fabs(u));
    return 4.0 * e / ((1.0 + e) * (1.0 + e));
}

void gauss_logprob_forward_ref(float *logp, const float *x, const float *mean, const float *log_std,
                               int b, int a, int log_std_shared) {
    for (int r = 0; r < b; ++r) {
        double s = 0.0;
        for (int j = 0; j < a; ++j) {
            const size_t i = (size_t)r * a + j;
            const double ls = log_std_shared ? log_std[j] : log_std[i];
            const double z = ((double)x[i] - (double)mean[i]) * exp(-ls);
            s += -0.5 * z * z - ls - RISE_HALF_LOG_2PI;
        }
        logp[r] = (float)s;
    }
}

void gauss_logprob_backward_ref(float *dmean, float *dlog_std, const float *dlogp, const float *x,
                                const float *mean, const float *log_std, int b, int a,
                                int log_std_shared) {
    /* column-major traversal: a shared log_std's gradient is a column sum */
    for (int j = 0; j < a; ++j) {
        double col = 0.0;
        for (int r = 0; r < b; ++r) {
            const size_t i = (size_t)r * a + j;
            const double ls = log_std_shared ? log_std[j] : log_std[i];
            const double istd = exp(-ls);
            const double z = ((double)x[i] - (double)mean[i]) * istd;
            const double g = dlogp[r];
            dmean[i] = (float)(g * z * istd);
            if (log_std_shared)
                col += g * (z * z - 1.0);
            else
                dlog_std[i] += (float)(g * (z * z - 1.0));
        }
        if (log_std_shared) dlog_std[j] += (float)col;
    }
}

void awr_weights_ref(float *w, const float *q, const float *v, int b, float beta, float max_w) {
    for (int r = 0; r < b; ++r) {
        const double e = exp((double)beta * ((double)q[r] - (double)v[r]));
        w[r] = (float)(e > (double)max_w ? (double)max_w : e); /* NaN stays NaN */
    }
}

void tanh_gauss_sample_ref(float *act, float *logp, float *eps, const float *mean,
                           const float *log_std, int b, int a, rise_rng rng) {
    rng = rise_rng_slice(rise_rng_resolve(rng), (uint64_t)b * (uint64_t)a);
    for (int r = 0; r < b; ++r) {
        double s = 0.0;
        for (int j = 0; j < a; ++j) {
            const size_t i = (size_t)r * a + j;
            const float e =
                rise_rng_normal(rng.seed, rng.stream, rng.offset, rng.skip + (uint64_t)i);
            const double ls = log_std[i];
            const double u = (double)mean[i] + exp(ls) * (double)e;
            eps[i] = e;
            act[i] = (float)tanh(u);
            s += -0.5 * (double)e * (double)e - ls - RISE_HALF_LOG_2PI -
                 log(sech2(u) + RISE_TANH_LOGDET_EPS);
        }
        logp[r] = (float)s;
    }
}

void tanh_gauss_sample_backward_ref(float *dmean, float *dlog_std, const float *da,
                                    const float *dlogp, const float *eps, const float *mean,
                                    const float *log_std, const float *act, int b, int a) {
    for (int r = 0; r < b; ++r) {
        const double gl = dlogp ? (double)dlogp[r] : 0.0;
        for (int j = 0; j < a; ++j) {
            const size_t i = (size_t)r * a + j;
            const double sd = exp((double)log_std[i]);
            const double u = (double)mean[i] + sd * (double)eps[i];
            const double s2 = sech2(u), t = act[i];
            const double ga = da ? (double)da[i] : 0.0;
            const double gu = ga * s2 + gl * 2.0 * t * s2 / (s2 + RISE_TANH_LOGDET_EPS);
            dmean[i] = (float)gu;
            dlog_std[i] = (float)(gu * sd * (double)eps[i] - gl);
        }
    }
}

void logsumexp_rows_forward_ref(float *out, const float *x, int rows, int cols) {
    for (int r = 0; r < rows; ++r) {
        const float *xr = x + (size_t)r * cols;
        float m = -INFINITY;
        for (int c = 0; c < cols; ++c)
            if (xr[c] > m) m = xr[c];
        if (!isfinite(m)) { /* no columns, all -inf, or +inf present */
            out[r] = m;
            continue;
        }
        double s = 0.0;
        for (int c = 0; c < cols; ++c) s += exp((double)xr[c] - (double)m);
        out[r] = (float)((double)m + log(s));
    }
}

void logsumexp_rows_backward_ref(float *dx, const float *dout, const float *x, const float *out,
                                 int rows, int cols) {
    for (int r = 0; r < rows; ++r) {
        const double o = out[r], g = dout[r];
        for (int c = 0; c < cols; ++c) {
            const size_t i = (size_t)r * cols + c;
            dx[i] = o == -INFINITY ? 0.0f : (float)(g * exp((double)x[i] - o));
        }
    }
}

void exp_forward_ref(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; ++i) y[i] = (float)exp((double)x[i]);
}
