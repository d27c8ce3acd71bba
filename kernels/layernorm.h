/* layernorm.h - LayerNorm over the last dimension, forward and backward.
 *
 * <op>_ref: plain C reference (the specification; long reductions in double).
 * <op>_cuda: CUDA dispatcher (kernels/layernorm.cu); `stream` is a cudaStream_t
 * passed opaquely so this header needs no CUDA types. Semantics and shapes are
 * documented once, on the backend table in host/backend.h. */
#ifndef RISE_KERNELS_LAYERNORM_H
#define RISE_KERNELS_LAYERNORM_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

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
