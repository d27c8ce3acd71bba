/* layernorm.h - LayerNorm over the last dimension (rows x cols), forward and backward. The
 * one description of the op (the backend table in host/backend.h points here).
 *
 * Forward per row: mean and biased variance (two passes: the mean, then the centred sum
 * of squares, so rows with a large mean do not cancel), rstd = 1/sqrt(var + eps),
 * y = (x - mean) rstd gamma + beta; gamma and beta may be NULL (no affine). mean and rstd
 * [rows] are saved for backward.
 * Backward with xhat = (x - mean) rstd and g = dy gamma:
 *   dx = rstd (g - mean(g) - xhat mean(g xhat))     (overwrite, or += with accumulate)
 *   dgamma += sum_rows dy xhat,  dbeta += sum_rows dy   (in double, row order)
 * dx, dgamma and dbeta may each be NULL (skipped), which lets the CPU backend compute dx
 * in parallel row blocks and the column sums once.
 * Edge rules: rows = 0 does nothing; eps = 0 on a constant row gives rstd = +inf and
 * y = NaN (0 * inf) on both sides; NaN in a row spreads to the whole row.
 * Precision: the reference in double; the CUDA kernels' statistics in float (two-pass),
 * within 2e-5 of it for rows of a few thousand.
 * Argument rules (layernorm_check, abort): rows >= 0, cols >= 1, eps >= 0 (forward).
 *
 * layernorm_*_ref: plain C reference (kernels/layernorm_ref.c).
 * layernorm_*_cuda: CUDA dispatchers (kernels/layernorm.cu); `stream` is the backend's
 * cudaStream_t passed opaquely (never NULL), so this header needs no CUDA types. */
#ifndef RISE_KERNELS_LAYERNORM_H
#define RISE_KERNELS_LAYERNORM_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- shared argument rules (reference and kernels) ---- */

static inline void layernorm_check(const char *op, int rows, int cols) {
    RISE_ASSERT(rows >= 0 && cols > 0, "%s: bad shape rows=%d cols=%d (rows >= 0, cols >= 1)", op,
                rows, cols);
}

static inline void layernorm_check_eps(float eps) {
    RISE_ASSERT(eps >= 0.0f, "layernorm_forward: eps=%g must be >= 0", (double)eps);
}

/* Output element j of a row with mean mu and 1/std rs: (x - mu) rs gamma_j + beta_j in
 * double, either affine part absent when its pointer is NULL (the reference, and the fast
 * CPU path's scalar tail, so both round the same way). */
static inline float layernorm_out(float x, double mu, double rs, const float *gamma,
                                  const float *beta, int j) {
    double v = (x - mu) * rs;
    if (gamma) v *= gamma[j];
    if (beta) v += beta[j];
    return (float)v;
}

/* ---- the op ---- */

void layernorm_forward_ref(float *y, float *mean, float *rstd, const float *x, const float *gamma,
                           const float *beta, int rows, int cols, float eps);
void layernorm_backward_ref(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                            const float *mean, const float *rstd, const float *gamma, int rows,
                            int cols, int accumulate);
/* Fast CPU variants (kernels/layernorm_cpu.c): the reference's double arithmetic with
 * split row sums, rows over threads; parameter gradients bit for bit. */
void layernorm_forward_cpu(float *y, float *mean, float *rstd, const float *x, const float *gamma,
                           const float *beta, int rows, int cols, float eps);
void layernorm_backward_cpu(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                            const float *mean, const float *rstd, const float *gamma, int rows,
                            int cols, int accumulate);
void layernorm_forward_cuda(void *stream, float *y, float *mean, float *rstd, const float *x,
                            const float *gamma, const float *beta, int rows, int cols, float eps);
void layernorm_backward_cuda(void *stream, float *dx, float *dgamma, float *dbeta, const float *dy,
                             const float *x, const float *mean, const float *rstd,
                             const float *gamma, int rows, int cols, int accumulate);

/* Numbered CUDA variants (1: block per row, 2: warp per row); for tests and
 * benchmarks. The plain _cuda dispatchers pick one by width. */
#define LAYERNORM_CUDA_VARIANTS 2
int layernorm_cuda_supports(int variant, int rows, int cols);
void layernorm_forward_cuda_variant(int variant, void *stream, float *y, float *mean, float *rstd,
                                    const float *x, const float *gamma, const float *beta, int rows,
                                    int cols, float eps);
void layernorm_backward_cuda_variant(int variant, void *stream, float *dx, float *dgamma,
                                     float *dbeta, const float *dy, const float *x,
                                     const float *mean, const float *rstd, const float *gamma,
                                     int rows, int cols, int accumulate);

#ifdef __cplusplus
}
#endif
#endif
