/* reduce.h - whole-buffer and per-row reductions for losses and metrics. The one
 * description of the op (the backend table in host/backend.h points here).
 *
 *   reduce:       *out = R(x[0 .. n))
 *   reduce_rows:  out[r] = R(x[r, 0 .. cols)) for x [rows, cols]
 * R is a fold of reduce_combine over reduce_load(x_i) starting from reduce_identity,
 * finished by reduce_finish, all in double (shared by the reference and the kernels):
 *   SUM     sum x            SUMSQ   sum x^2           MEAN   sum x / n
 *   MAX     max x            MIN     min x             ABSMAX max |x|
 * Edge rules:
 *   - empty input (n = 0, cols = 0): SUM, SUMSQ, MEAN, ABSMAX give 0 (MEAN divides by
 *     nothing), MAX gives -inf and MIN +inf (the identities);
 *   - NaN: MAX, MIN and ABSMAX give NaN when any element is NaN, whatever the order the
 *     elements are combined in (rise_max_nan / rise_min_nan), so min(Q1, Q2) or a
 *     gradient's absmax never hides a diverged buffer; sums propagate NaN by arithmetic;
 *   - Inf: exact in MAX/MIN/ABSMAX; SUM of +inf and -inf is NaN.
 * Sums accumulate in double (the reference serially; the kernels in a fixed tree, so
 * within float rounding of it); MAX, MIN and ABSMAX are exact on both sides.
 * Argument rules (abort): op one of rise_reduce_op; rows, cols >= 0.
 *
 * reduce*_ref: plain C reference (kernels/reduce_ref.c).
 * reduce*_cuda: CUDA dispatchers (kernels/reduce.cu); `stream` is the backend's
 * cudaStream_t passed opaquely (never NULL), so this header needs no CUDA types. */
#ifndef RISE_KERNELS_REDUCE_H
#define RISE_KERNELS_REDUCE_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"
#include "host_device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- shared rules (reference and kernels) ---- */

static inline void reduce_check_op(rise_reduce_op op) {
    RISE_ASSERT((unsigned)op < RISE_REDUCE_COUNT, "reduce: unknown op %d", (int)op);
}

static inline void reduce_rows_check(rise_reduce_op op, int rows, int cols) {
    reduce_check_op(op);
    RISE_ASSERT(rows >= 0 && cols >= 0, "reduce_rows: negative shape rows=%d cols=%d", rows, cols);
}

RISE_HD double reduce_identity(rise_reduce_op op) {
    switch (op) {
    case RISE_REDUCE_MAX: return -INFINITY;
    case RISE_REDUCE_MIN: return INFINITY;
    default: return 0.0;
    }
}

RISE_HD double reduce_load(rise_reduce_op op, float x) {
    switch (op) {
    case RISE_REDUCE_SUMSQ: return (double)x * x;
    case RISE_REDUCE_ABSMAX: return fabs((double)x);
    default: return x;
    }
}

RISE_HD double reduce_combine(rise_reduce_op op, double a, double b) {
    switch (op) {
    case RISE_REDUCE_MAX:
    case RISE_REDUCE_ABSMAX: return rise_max_nan(a, b);
    case RISE_REDUCE_MIN: return rise_min_nan(a, b);
    default: return a + b;
    }
}

RISE_HD float reduce_finish(rise_reduce_op op, double acc, size_t n) {
    if (op == RISE_REDUCE_MEAN) return n ? (float)(acc / (double)n) : 0.0f;
    return (float)acc;
}

/* ---- the op ---- */

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
