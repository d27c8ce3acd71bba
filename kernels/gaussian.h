/* gaussian.h - Gaussian actors and CQL's conservative penalty. The one description of
 * these ops (the backend table in host/backend.h points here). B rows (batch) by A action
 * dims, R rows by C columns, float32 row-major; per-row results [B].
 *
 *   gauss_logprob_forward   diagonal Gaussian log-density (IQL's AWR actor):
 *       z = (x - mean) exp(-ls), logp[b] = sum_j -z^2/2 - ls - log(2 pi)/2
 *       with ls = log_std [A] (state-independent, log_std_shared) or [B, A]
 *   gauss_logprob_backward  dmean = dlogp z exp(-ls) (OVERWRITTEN);
 *       dlog_std += dlogp (z^2 - 1), ACCUMULATED in both cases (shared: a column sum
 *       over rows into [A], in double, in row order)
 *   awr_weights             IQL's advantage weights (no gradient): w = min(exp(beta (q - v)),
 *       max_w); NaN stays NaN
 *   tanh_gauss_sample       reparameterised tanh-Gaussian draw (CQL/SAC actor), log_std [B, A]:
 *       eps[i] = rise_rng_normal(rng, i) (saved), u = mean + exp(ls) eps, a = tanh(u),
 *       logp[b] = sum_j -eps^2/2 - ls - log(2 pi)/2 - log(1 - a^2 + 1e-6);
 *       advance the rng offset by tanh_gauss_sample_blocks(b, a)
 *   tanh_gauss_sample_backward  gradients of L(a, logp) w.r.t. mean and log_std through the
 *       draw (eps fixed), both OVERWRITTEN; da [B, A] and dlogp [B] may be NULL (zero):
 *       g_u = da (1 - a^2) + dlogp 2 a (1 - a^2) / (1 - a^2 + 1e-6),
 *       dmean = g_u, dlog_std = g_u exp(ls) eps - dlogp; 1 - a^2 is recomputed from u
 *       (exact when a saturates), a is the forward's
 *   logsumexp_rows_forward  out[r] = m + log sum_c exp(x[r, c] - m), m = max_c x[r, c]
 *       (stable for large x). A row of no columns or all -inf gives -inf, a row with +inf
 *       gives +inf, a row with NaN gives NaN (lse_max: NaN wins the max, so a diverged
 *       critic shows up in the penalty instead of vanishing from it)
 *   logsumexp_rows_backward dx = dout[r] exp(x - out[r]) (OVERWRITTEN; 0 on -inf rows),
 *       using the float out, so ulp(out) carries into dx relatively (3e-5 near |out| = 1000)
 *   exp_forward             y = exp(x) (alpha = exp(log_alpha)); y may alias x
 *
 * Numerics shared by both sides (the RISE_HD functions below): everything is computed in
 * double from the float inputs and rounded once; row sums accumulate in double in column
 * order (the device's shared-log_std column sum in a fixed tree); 1 - tanh(u)^2 is
 * gauss_sech2(u) = 4 e / (1 + e)^2 with e = exp(-2|u|) (exact where tanh(u) rounds to
 * +-1), so log(1 - a^2 + 1e-6) is well conditioned even for saturated actions.
 * Argument rules (gaussian_check_shape, abort): b, a (rows, cols) >= 0.
 *
 * <op>_ref: plain C reference (kernels/gaussian_ref.c).
 * <op>_cuda: CUDA dispatchers (kernels/gaussian.cu); `stream` is the backend's
 * cudaStream_t passed opaquely (never NULL), so this header needs no CUDA types. */
#ifndef RISE_KERNELS_GAUSSIAN_H
#define RISE_KERNELS_GAUSSIAN_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"
#include "host_device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 0.5 log(2 pi) and the tanh-correction epsilon of log(1 - a^2 + eps). */
#define RISE_HALF_LOG_2PI    0.91893853320467274178
#define RISE_TANH_LOGDET_EPS 1e-6

/* Philox blocks tanh_gauss_sample draws for b x a noise values. */
static inline uint64_t tanh_gauss_sample_blocks(int b, int a) {
    return rise_rng_blocks_normal((uint64_t)b * (uint64_t)a);
}

/* ---- shared rules (reference and kernels) ---- */

static inline void gaussian_check_shape(const char *op, int b, int a) {
    RISE_ASSERT(b >= 0 && a >= 0, "%s: bad shape b=%d a=%d", op, b, a);
}

/* 1 - tanh(u)^2 without cancellation: 4 e / (1 + e)^2, e = exp(-2 |u|). */
RISE_HD double gauss_sech2(double u) {
    const double e = exp(-2.0 * fabs(u));
    return 4.0 * e / ((1.0 + e) * (1.0 + e));
}

/* Element j's term of logp: -z^2/2 - ls - log(2 pi)/2. */
RISE_HD double gauss_logprob_term(float x, float mean, double ls) {
    const double z = ((double)x - (double)mean) * exp(-ls);
    return -0.5 * z * z - ls - RISE_HALF_LOG_2PI;
}

/* dmean = g z / std and the dlog_std term g (z^2 - 1) of one element, istd = exp(-ls). */
RISE_HD double gauss_logprob_dmean(double g, float x, float mean, double istd) {
    const double z = ((double)x - (double)mean) * istd;
    return g * z * istd;
}

RISE_HD double gauss_logprob_dls(double g, float x, float mean, double istd) {
    const double z = ((double)x - (double)mean) * istd;
    return g * (z * z - 1.0);
}

RISE_HD float awr_weight(float q, float v, float beta, float max_w) {
    const double e = exp((double)beta * ((double)q - (double)v));
    return (float)(e > (double)max_w ? (double)max_w : e); /* NaN stays NaN */
}

/* u = mean + std eps, std = exp(ls) (the caller's, so the backward reuses it). */
RISE_HD double tanh_gauss_u(float mean, double std, float eps) {
    return (double)mean + std * (double)eps;
}

/* Element j's term of the tanh-Gaussian logp. */
RISE_HD double tanh_gauss_logp_term(float eps, float ls, double u) {
    return -0.5 * (double)eps * (double)eps - (double)ls - RISE_HALF_LOG_2PI -
           log(gauss_sech2(u) + RISE_TANH_LOGDET_EPS);
}

/* g_u from ga = dL/da, gl = dL/dlogp, s2 = 1 - a^2 (gauss_sech2(u)) and t = a. */
RISE_HD double tanh_gauss_grad_u(double ga, double gl, double s2, double t) {
    return ga * s2 + gl * 2.0 * t * s2 / (s2 + RISE_TANH_LOGDET_EPS);
}

/* The running max of a logsumexp row; NaN wins (then the row's result is NaN). */
RISE_HD float lse_max(float m, float x) {
    if (isnan(m) || isnan(x)) return m + x; /* NaN */
    return x > m ? x : m;
}

/* Column c's term of the row sum, given the row max m (finite). */
RISE_HD double lse_term(float x, float m) { return exp((double)x - (double)m); }

/* out = m + log(sum) for a finite m; a non-finite m (no columns, all -inf, +inf, NaN)
 * is the result itself. */
RISE_HD float lse_finish(float m, double sum) {
    return isfinite(m) ? (float)((double)m + log(sum)) : m;
}

RISE_HD float lse_grad(float dout, float x, float out) {
    return out == -INFINITY ? 0.0f : (float)((double)dout * exp((double)x - (double)out));
}

RISE_HD float exp_value(float x) { return (float)exp((double)x); }

void gauss_logprob_forward_ref(float *logp, const float *x, const float *mean, const float *log_std,
                               int b, int a, int log_std_shared);
void gauss_logprob_backward_ref(float *dmean, float *dlog_std, const float *dlogp, const float *x,
                                const float *mean, const float *log_std, int b, int a,
                                int log_std_shared);
void awr_weights_ref(float *w, const float *q, const float *v, int b, float beta, float max_w);
/* Rows [0, b) draw noise elements row * a + j from rng (callers that split the
 * rows shift rng.offset by blocks, so a split must start on an even element). */
void tanh_gauss_sample_ref(float *act, float *logp, float *eps, const float *mean,
                           const float *log_std, int b, int a, rise_rng rng);
void tanh_gauss_sample_backward_ref(float *dmean, float *dlog_std, const float *da,
                                    const float *dlogp, const float *eps, const float *mean,
                                    const float *log_std, const float *act, int b, int a);
void logsumexp_rows_forward_ref(float *out, const float *x, int rows, int cols);
void logsumexp_rows_backward_ref(float *dx, const float *dout, const float *x, const float *out,
                                 int rows, int cols);
void exp_forward_ref(float *y, const float *x, size_t n);

void gauss_logprob_forward_cuda(void *stream, float *logp, const float *x, const float *mean,
                                const float *log_std, int b, int a, int log_std_shared);
void gauss_logprob_backward_cuda(void *stream, float *dmean, float *dlog_std, const float *dlogp,
                                 const float *x, const float *mean, const float *log_std, int b,
                                 int a, int log_std_shared);
void awr_weights_cuda(void *stream, float *w, const float *q, const float *v, int b, float beta,
                      float max_w);
void tanh_gauss_sample_cuda(void *stream, float *act, float *logp, float *eps, const float *mean,
                            const float *log_std, int b, int a, rise_rng rng);
void tanh_gauss_sample_backward_cuda(void *stream, float *dmean, float *dlog_std, const float *da,
                                     const float *dlogp, const float *eps, const float *mean,
                                     const float *log_std, const float *act, int b, int a);
void logsumexp_rows_forward_cuda(void *stream, float *out, const float *x, int rows, int cols);
void logsumexp_rows_backward_cuda(void *stream, float *dx, const float *dout, const float *x,
                                  const float *out, int rows, int cols);
void exp_forward_cuda(void *stream, float *y, const float *x, size_t n);

#ifdef __cplusplus
}
#endif
#endif
