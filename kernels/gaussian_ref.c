/* gaussian_ref.c - CPU reference of the Gaussian-actor ops and CQL's logsumexp (the ops and
 * their rules: kernels/gaussian.h). Serial; row sums in double in column order. */
#include "gaussian.h"

#include <math.h>

void gauss_logprob_forward_ref(float *logp, const float *x, const float *mean, const float *log_std,
                               int b, int a, int log_std_shared) {
    gaussian_check_shape("gauss_logprob_forward", b, a);
    for (int r = 0; r < b; ++r) {
        double s = 0.0;
        for (int j = 0; j < a; ++j) {
            const size_t i = (size_t)r * a + j;
            s += gauss_logprob_term(x[i], mean[i], log_std_shared ? log_std[j] : log_std[i]);
        }
        logp[r] = (float)s;
    }
}

void gauss_logprob_backward_ref(float *dmean, float *dlog_std, const float *dlogp, const float *x,
                                const float *mean, const float *log_std, int b, int a,
                                int log_std_shared) {
    gaussian_check_shape("gauss_logprob_backward", b, a);
    /* column-major traversal: a shared log_std's gradient is a column sum */
    for (int j = 0; j < a; ++j) {
        double col = 0.0;
        for (int r = 0; r < b; ++r) {
            const size_t i = (size_t)r * a + j;
            const double istd = exp(-(double)(log_std_shared ? log_std[j] : log_std[i]));
            dmean[i] = (float)gauss_logprob_dmean(dlogp[r], x[i], mean[i], istd);
            const double dls = gauss_logprob_dls(dlogp[r], x[i], mean[i], istd);
            if (log_std_shared)
                col += dls;
            else
                dlog_std[i] += (float)dls;
        }
        if (log_std_shared) dlog_std[j] += (float)col;
    }
}

void awr_weights_ref(float *w, const float *q, const float *v, int b, float beta, float max_w) {
    gaussian_check_shape("awr_weights", b, 1);
    for (int r = 0; r < b; ++r) w[r] = awr_weight(q[r], v[r], beta, max_w);
}

void tanh_gauss_sample_ref(float *act, float *logp, float *eps, const float *mean,
                           const float *log_std, int b, int a, rise_rng rng) {
    gaussian_check_shape("tanh_gauss_sample", b, a);
    rng = rise_rng_slice(rise_rng_resolve(rng), (uint64_t)b * (uint64_t)a);
    for (int r = 0; r < b; ++r) {
        double s = 0.0;
        for (int j = 0; j < a; ++j) {
            const size_t i = (size_t)r * a + j;
            const float e =
                rise_rng_normal(rng.seed, rng.stream, rng.offset, rng.skip + (uint64_t)i);
            const double u = tanh_gauss_u(mean[i], exp((double)log_std[i]), e);
            eps[i] = e;
            act[i] = (float)tanh(u);
            s += tanh_gauss_logp_term(e, log_std[i], u);
        }
        logp[r] = (float)s;
    }
}

void tanh_gauss_sample_backward_ref(float *dmean, float *dlog_std, const float *da,
                                    const float *dlogp, const float *eps, const float *mean,
                                    const float *log_std, const float *act, int b, int a) {
    gaussian_check_shape("tanh_gauss_sample_backward", b, a);
    for (int r = 0; r < b; ++r) {
        const double gl = dlogp ? (double)dlogp[r] : 0.0;
        for (int j = 0; j < a; ++j) {
            const size_t i = (size_t)r * a + j;
            const double sd = exp((double)log_std[i]);
            const double u = tanh_gauss_u(mean[i], sd, eps[i]);
            const double gu =
                tanh_gauss_grad_u(da ? (double)da[i] : 0.0, gl, gauss_sech2(u), (double)act[i]);
            dmean[i] = (float)gu;
            dlog_std[i] = (float)(gu * sd * (double)eps[i] - gl);
        }
    }
}

void logsumexp_rows_forward_ref(float *out, const float *x, int rows, int cols) {
    gaussian_check_shape("logsumexp_rows_forward", rows, cols);
    for (int r = 0; r < rows; ++r) {
        const float *xr = x + (size_t)r * cols;
        float m = -INFINITY;
        for (int c = 0; c < cols; ++c) m = lse_max(m, xr[c]);
        double s = 0.0;
        if (isfinite(m))
            for (int c = 0; c < cols; ++c) s += lse_term(xr[c], m);
        out[r] = lse_finish(m, s);
    }
}

void logsumexp_rows_backward_ref(float *dx, const float *dout, const float *x, const float *out,
                                 int rows, int cols) {
    gaussian_check_shape("logsumexp_rows_backward", rows, cols);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            const size_t i = (size_t)r * cols + c;
            dx[i] = lse_grad(dout[r], x[i], out[r]);
        }
}

void exp_forward_ref(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; ++i) y[i] = exp_value(x[i]);
}
