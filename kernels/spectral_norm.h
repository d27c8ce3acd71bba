/* spectral_norm.h - largest singular value by power iteration, and its gradient u v^T.
 *
 * The iteration runs `iters` times, or with tol > 0 stops early once u has converged
 * (rise_spectral_converged: successive unit vectors u closer than tol), which gives
 * sigma_max to float precision from a warm start in a few iterations.
 *
 * <op>_ref: plain C reference (the specification; long reductions in double).
 * <op>_cuda: CUDA dispatcher (kernels/spectral_norm.cu); `stream` is a cudaStream_t
 * passed opaquely so this header needs no CUDA types. Semantics and shapes are
 * documented once, on the backend table in host/backend.h. */
#ifndef RISE_KERNELS_SPECTRAL_NORM_H
#define RISE_KERNELS_SPECTRAL_NORM_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"
#include "philox.h" /* RISE_HD */

#ifdef __cplusplus
extern "C" {
#endif

/* The stopping rule, shared by the reference and the kernels: from dot = u_new . u_old,
 * s_new = |u_new|^2 and s_old = |u_old|^2 (double sums of the iteration's float vectors),
 * the unit vectors moved by |u_new/|u_new| - u_old/|u_old||^2 = 2 - 2 cos <= tol^2. A
 * vanishing (or non-finite) u counts as converged: there is nothing left to iterate. */
RISE_HD int rise_spectral_converged(double dot, double s_new, double s_old, double tol) {
    if (!(s_new > 0.0) || !(s_old > 0.0)) return 1;
    const double moved2 = 2.0 - 2.0 * (dot / sqrt(s_new * s_old));
    return moved2 <= tol * tol;
}

void spectral_norm_forward_ref(float *sigma, float *u, float *v, const float *w, int rows, int cols,
                               int iters, float tol);
void spectral_norm_backward_ref(float *dw, const float *sigma, const float *u, const float *v,
                                int rows, int cols, float lambda, int squared);
void spectral_norm_forward_cuda(void *stream, float *sigma, float *u, float *v, const float *w,
                                int rows, int cols, int iters, float tol);
void spectral_norm_backward_cuda(void *stream, float *dw, const float *sigma, const float *u,
                                 const float *v, int rows, int cols, float lambda, int squared);

/* Numbered CUDA variants of the forward pass (1: GEMV kernels, several
 * launches per iteration, fixed iteration count only (tol 0); 2: one single-block
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
