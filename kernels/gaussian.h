/* gaussian.h - Gaussian actors and CQL's conservative penalty.
 *
 *   gauss_logprob_{forward,backward}   diagonal Gaussian log-density (IQL's AWR actor)
 *   awr_weights                        IQL's clipped advantage weights
 *   tanh_gauss_sample{,_backward}      reparameterised tanh-Gaussian draw (CQL/SAC actor)
 *   logsumexp_rows_{forward,backward}  CQL's logsumexp over sampled actions
 *   exp_forward                        y = exp(x) (alpha = exp(log_alpha))
 *
 * <op>_ref: plain C reference (the specification; row sums in double).
 * <op>_cuda: CUDA dispatcher (kernels/gaussian.cu); `stream` is a cudaStream_t
 * passed opaquely so this header needs no CUDA types. Semantics and shapes are
 * documented once, on the backend table in host/backend.h; B rows (batch) by
 * A action dims, R rows by C columns, float32 row-major.
 *
 * Numerics shared by both sides: per-row sums accumulate in double; the
 * tanh-Gaussian forms use 1 - tanh(u)^2 = 4 e / (1 + e)^2 with e = exp(-2|u|)
 * (exact where tanh(u) rounds to +-1), so log(1 - a^2 + 1e-6) is well
 * conditioned even for saturated actions. */
#ifndef RISE_KERNELS_GAUSSIAN_H
#define RISE_KERNELS_GAUSSIAN_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"

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
