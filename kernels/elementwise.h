/* elementwise.h - element-wise arithmetic, column copies (concat/split), clamping and
 * step-counter increments.
 *
 * <op>_ref: plain C reference (the specification; long reductions in double).
 * <op>_cuda: CUDA dispatcher (kernels/elementwise.cu); `stream` is a cudaStream_t
 * passed opaquely so this header needs no CUDA types. Semantics and shapes are
 * documented once, on the backend table in host/backend.h. */
#ifndef RISE_KERNELS_ELEMENTWISE_H
#define RISE_KERNELS_ELEMENTWISE_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

void fill_ref(float *y, float value, size_t n);
void scale_ref(float *y, float alpha, size_t n);
void axpy_ref(float *y, float alpha, const float *x, size_t n);
void add_ref(float *y, const float *a, const float *b, size_t n);
void mul_ref(float *y, const float *a, const float *b, size_t n);
void copy_cols_ref(float *dst, int dst_ld, int dst_off, const float *src, int src_ld, int src_off,
                   int rows, int cols, int accumulate);
void clamp_ref(float *y, const float *x, float lo, float hi, size_t n);
void counters_add_ref(uint64_t *ctr, const uint64_t *delta, int n);

void fill_cuda(void *stream, float *y, float value, size_t n);
void scale_cuda(void *stream, float *y, float alpha, size_t n);
void axpy_cuda(void *stream, float *y, float alpha, const float *x, size_t n);
void add_cuda(void *stream, float *y, const float *a, const float *b, size_t n);
void mul_cuda(void *stream, float *y, const float *a, const float *b, size_t n);
void copy_cols_cuda(void *stream, float *dst, int dst_ld, int dst_off, const float *src, int src_ld,
                    int src_off, int rows, int cols, int accumulate);
void clamp_cuda(void *stream, float *y, const float *x, float lo, float hi, size_t n);
void counters_add_cuda(void *stream, uint64_t *ctr, const uint64_t *delta, int n);

#ifdef __cplusplus
}
#endif
#endif
