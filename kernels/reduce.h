/* reduce.h - whole-buffer and per-row reductions for losses and metrics.
 *
 * <op>_ref: plain C reference (the specification; long reductions in double).
 * <op>_cuda: CUDA dispatcher (kernels/reduce.cu); `stream` is a cudaStream_t
 * passed opaquely so this header needs no CUDA types. Semantics and shapes are
 * documented once, on the backend table in host/backend.h. */
#ifndef RISE_KERNELS_REDUCE_H
#define RISE_KERNELS_REDUCE_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

void reduce_ref(rise_reduce_op op, float *out, const float *x, size_t n);
void reduce_rows_ref(rise_reduce_op op, float *out, const float *x, int rows, int cols);
/* Fast CPU variant (kernels/reduce_cpu.c): split double accumulators for SUM, SUMSQ and
 * MEAN (the reference's value up to double rounding; independent of the thread count). */
void reduce_cpu(rise_reduce_op op, float *out, const float *x, size_t n);
void reduce_cuda(void *stream, rise_reduce_op op, float *out, const float *x, size_t n);
void reduce_rows_cuda(void *stream, rise_reduce_op op, float *out, const float *x, int rows,
                      int cols);

/* Numbered CUDA variants of reduce (1: one block, 2: two passes); for tests
 * and benchmarks. reduce_cuda picks by length. */
#define REDUCE_CUDA_VARIANTS 2
int reduce_cuda_supports(int variant, size_t n);
void reduce_cuda_variant(int variant, void *stream, rise_reduce_op op, float *out, const float *x,
                         size_t n);

/* Numbered CUDA variants of reduce_rows (1: block per row, 2: warp per row);
 * reduce_rows_cuda picks by width. */
#define REDUCE_ROWS_CUDA_VARIANTS 2
int reduce_rows_cuda_supports(int variant, int rows, int cols);
void reduce_rows_cuda_variant(int variant, void *stream, rise_reduce_op op, float *out,
                              const float *x, int rows, int cols);

#ifdef __cplusplus
}
#endif
#endif
