/* spectral_norm.h - largest singular value by power iteration, and its gradient u v^T.
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

#ifdef __cplusplus
extern "C" {
#endif

void spectral_norm_forward_ref(float *sigma, float *u, float *v, const float *w, int rows, int cols,
                               int iters);
void spectral_norm_backward_ref(float *dw, const float *sigma, const float *u, const float *v,
                                int rows, int cols, float lambda, int squared);
void spectral_norm_forward_cuda(void *stream, float *sigma, float *u, float *v, const float *w,
                                int rows, int cols, int iters);
void spectral_norm_backward_cuda(void *stream, float *dw, const float *sigma, const float *u,
                                 const float *v, int rows, int cols, float lambda, int squared);

/* Numbered CUDA variants of the forward pass (1: GEMV kernels, several
 * launches per iteration; 2: one single-block launch for all iterations);
 * spectral_norm_forward_cuda picks by size. For tests and benchmarks. */
#define SPECTRAL_NORM_CUDA_VARIANTS 2
int spectral_norm_cuda_supports(int variant, int rows, int cols);
void spectral_norm_forward_cuda_variant(int variant, void *stream, float *sigma, float *u, float *v,
                                        const float *w, int rows, int cols, int iters);

#ifdef __cplusplus
}
#endif
#endif
