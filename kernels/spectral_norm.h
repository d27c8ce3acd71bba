/* spectral_norm.h - largest singular value of W [rows, cols] (row-major) by power
 * iteration, and its gradient. The one description of the op (the backend table in
 * host/backend.h points here).
 *
 * Forward, iters >= 1 times, or with tol > 0 up to iters times, stopping after the first
 * iteration whose unit u moved by at most tol (sn_converged), which gives sigma_max to float
 * precision from a warm start in a few iterations:
 *   v = W^T u, v = normalise(v);  u = W v, u = normalise(u);   then sigma = u^T W v.
 * u [rows] persists across calls (the caller initialises it to a random unit vector and
 * keeps it), v [cols] is overwritten. Products and norms accumulate in double.
 * normalise(x) over n values (sn_inv_norm, sn_normalised): s = sum x^2 in double; when
 * s > 0 and finite, x = x / sqrt(s) (computed as x * (1 / sqrt(s))); otherwise (W = 0,
 * u orthogonal to W's columns, v in W's null space, NaN or Inf anywhere) x becomes the
 * constant unit vector 1/sqrt(n) everywhere. So u and v are always finite unit vectors
 * and sigma is 0 for W = 0 (and NaN when W holds NaN: sigma = u^T W v sees it).
 * Backward (accumulates): dW += coef u v^T, coef = lambda (squared ? 2 sigma : 1) in
 * double, each element dW += (float)(coef u_i v_j) (sn_grad_element).
 * Argument rules (spectral_norm_check_*, abort): rows, cols >= 1; iters >= 1.
 *
 * spectral_norm_*_ref: the plain C reference (kernels/spectral_norm_ref.c).
 * spectral_norm_*_cuda: the CUDA dispatchers (kernels/spectral_norm.cu); `stream` is the
 * backend's cudaStream_t passed opaquely (never NULL), so this header needs no CUDA types. */
#ifndef RISE_KERNELS_SPECTRAL_NORM_H
#define RISE_KERNELS_SPECTRAL_NORM_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"
#include "host_device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- shared rules (reference and kernels) ---- */

static inline void spectral_norm_check_shape(const char *op, int rows, int cols) {
    RISE_ASSERT(rows > 0 && cols > 0, "%s: bad shape rows=%d cols=%d (both must be >= 1)", op, rows,
                cols);
}

static inline void spectral_norm_check_iters(int iters) {
    RISE_ASSERT(iters >= 1, "spectral_norm_forward: iters=%d must be >= 1", iters);
}

/* 1 / |x| from the sum of squares, or 0 when x must fall back to the constant vector. */
RISE_HD double sn_inv_norm(double sumsq) {
    return sumsq > 0.0 && isfinite(sumsq) ? 1.0 / sqrt(sumsq) : 0.0;
}

/* The fallback value of every element of an n-vector: 1/sqrt(n). */
RISE_HD float sn_fallback(int n) { return (float)(1.0 / sqrt((double)n)); }

/* Element x of a vector after normalise(): inv from sn_inv_norm. */
RISE_HD float sn_normalised(float x, double inv, float fallback) {
    return inv > 0.0 ? (float)((double)x * inv) : fallback;
}

RISE_HD double sn_grad_coef(float lambda, int squared, float sigma) {
    return (double)lambda * (squared ? 2.0 * (double)sigma : 1.0);
}

RISE_HD float sn_grad_element(float dw, double coef, float u, float v) {
    return dw + (float)(coef * (double)u * (double)v);
}

/* The stopping rule: from dot = u_new . u_old, s_new = |u_new|^2 and s_old = |u_old|^2 (double
 * sums of the iteration's float vectors, u_new before normalise), the unit vectors moved by
 * |u_new/|u_new| - u_old/|u_old||^2 = 2 - 2 cos <= tol^2. A vanishing (or non-finite) u
 * counts as converged: there is nothing left to iterate. */
RISE_HD int sn_converged(double dot, double s_new, double s_old, double tol) {
    if (!(s_new > 0.0) || !(s_old > 0.0)) return 1;
    const double moved2 = 2.0 - 2.0 * (dot / sqrt(s_new * s_old));
    return moved2 <= tol * tol;
}

static inline void spectral_norm_check_tol(float tol) {
    RISE_ASSERT(tol >= 0.0f, "spectral_norm_forward: tol=%g must be >= 0", (double)tol);
}

/* ---- the op ---- */

void spectral_norm_forward_ref(float *sigma, float *u, float *v, const float *w, int rows, int cols,
                               int iters, float tol);
void spectral_norm_backward_ref(float *dw, const float *sigma, const float *u, const float *v,
                                int rows, int cols, float lambda, int squared);
void spectral_norm_forward_cuda(void *stream, float *sigma, float *u, float *v, const float *w,
                                int rows, int cols, int iters, float tol);
void spectral_norm_backward_cuda(void *stream, float *dw, const float *sigma, const float *u,
                                 const float *v, int rows, int cols, float lambda, int squared);

/* Numbered CUDA variants of the forward pass (1: GEMV kernels, several
 * launches per iteration, a fixed iteration count only (tol 0); 2: one single-block
 * launch for all iterations, with or without tol); spectral_norm_forward_cuda picks by
 * size and tol. For tests and benchmarks. */
#define SPECTRAL_NORM_CUDA_VARIANTS 2
int spectral_norm_cuda_supports(int variant, int rows, int cols, float tol);
void spectral_norm_forward_cuda_variant(int variant, void *stream, float *sigma, float *u, float *v,
                                        const float *w, int rows, int cols, int iters, float tol);

#ifdef __cplusplus
}
#endif
#endif
