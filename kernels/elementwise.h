/* elementwise.h - element-wise arithmetic, column copies (concat/split), clamping and
 * step-counter increments. The one description of these ops (the backend table in
 * host/backend.h points here).
 *
 *   fill   y = value               scale  y *= alpha            axpy  y += alpha x
 *   add    y = a + b               mul    y = a * b
 *   copy_cols  dst[r, dst_off + c] (+)= src[r, src_off + c] for r < rows, c < cols
 *              (concat and split of row-major blocks; accumulate adds)
 *   clamp  y = clamp(x, lo, hi) (rise_clampf: NaN passes through unchanged, so a
 *          divergence stays visible downstream)
 *   counters_add  ctr[i] += delta[i] for i < n <= RISE_COUNTERS_MAX: ctr in backend
 *          memory, delta on the host (copied into the op, so a captured graph holds it)
 * In-place use (y aliasing an input) is allowed everywhere. Sizes are element counts;
 * n = 0 does nothing.
 * Argument rules (abort; copy_cols_check, clamp_check, counters_add_check):
 *   copy_cols: rows, cols >= 0; 0 <= dst_off, dst_off + cols <= dst_ld; the same for src;
 *   clamp: lo <= hi (a NaN bound fails);  counters_add: 0 <= n <= RISE_COUNTERS_MAX.
 *
 * <op>_ref: plain C reference (kernels/elementwise_ref.c).
 * <op>_cuda: CUDA dispatchers (kernels/elementwise.cu); `stream` is the backend's
 * cudaStream_t passed opaquely (never NULL), so this header needs no CUDA types. */
#ifndef RISE_KERNELS_ELEMENTWISE_H
#define RISE_KERNELS_ELEMENTWISE_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"
#include "host_device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- shared rules (reference and kernels; the element rule of clamp is rise_clampf) ---- */

static inline void copy_cols_check(int dst_ld, int dst_off, int src_ld, int src_off, int rows,
                                   int cols) {
    RISE_ASSERT(rows >= 0 && cols >= 0, "copy_cols: negative shape rows=%d cols=%d", rows, cols);
    RISE_ASSERT(dst_off >= 0 && dst_off + cols <= dst_ld,
                "copy_cols: destination columns [%d, %d) outside row length %d", dst_off,
                dst_off + cols, dst_ld);
    RISE_ASSERT(src_off >= 0 && src_off + cols <= src_ld,
                "copy_cols: source columns [%d, %d) outside row length %d", src_off, src_off + cols,
                src_ld);
}

static inline void clamp_check(float lo, float hi) {
    RISE_ASSERT(lo <= hi, "clamp: lo=%g greater than hi=%g (or a bound is NaN)", (double)lo,
                (double)hi);
}

static inline void counters_add_check(int n) {
    RISE_ASSERT(n >= 0 && n <= RISE_COUNTERS_MAX, "counters_add: n=%d outside [0, %d]", n,
                RISE_COUNTERS_MAX);
}

/* ---- the ops ---- */

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
