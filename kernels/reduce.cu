/* reduce.cu - whole-buffer and per-row reductions (results in device memory).
 * Variants of the whole-buffer reduction (reduce_cuda_variant):
 *   kernel1  one block of 1024 threads strides over everything; one launch.
 *   kernel2  two passes: 256 blocks write partials to a device scratch array,
 *            then one block combines them; uses the whole GPU for long buffers
 *            (the global gradient norm over millions of parameters).
 *   reduce_cuda takes kernel2 above 1M elements (one block reads ~1 element
 *   per thread per 1k, so below that the second launch costs more than it saves).
 * Variants of the per-row reduction (reduce_rows_cuda_variant):
 *   rows_kernel1  one block of 256 threads per row; for wide rows.
 *   rows_kernel2  one warp per row, 8 rows per block; for many short rows
 *                 (per-candidate scores, K = 4..64 columns), where a block per
 *                 row would leave most threads idle.
 *   reduce_rows_cuda takes rows_kernel2 for cols <= 1024.
 * Everything combines in double in a fixed order (deterministic, no atomics)
 * with reduce.h's shared rules (identity, load, combine, finish; NaN-propagating
 * max/min), so sums agree with reduce_ref.c (also double) to float rounding and
 * max/min/absmax exactly, NaN included. kernel2's scratch is a static device array: calls must be
 * ordered (one stream, as the backend issues them); two backends driving
 * kernel2 concurrently on different streams would race. */
#include <math.h>

#include "common.cuh"
#include "reduce.h"

#define REDUCE_PARTIALS 256

static __device__ double reduce_scratch[REDUCE_PARTIALS];

/* Tree combine over a power-of-two block (<= 1024); result in thread 0. */
__device__ double reduce_block(rise_reduce_op op, double v) {
    __shared__ double buf[1024];
    buf[threadIdx.x] = v;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s)
            buf[threadIdx.x] = reduce_combine(op, buf[threadIdx.x], buf[threadIdx.x + s]);
        __syncthreads();
    }
    return buf[0];
}

__global__ void __launch_bounds__(1024)
    reduce_kernel1(rise_reduce_op op, float *out, const float *x, size_t n) {
    double acc = reduce_identity(op);
    for (size_t i = threadIdx.x; i < n; i += blockDim.x)
        acc = reduce_combine(op, acc, reduce_load(op, x[i]));
    acc = reduce_block(op, acc);
    if (threadIdx.x == 0) *out = reduce_finish(op, acc, n);
}

__global__ void reduce_kernel2_partial(rise_reduce_op op, const float *x, size_t n) {
    double acc = reduce_identity(op);
    RISE_GRID_STRIDE(i, n) acc = reduce_combine(op, acc, reduce_load(op, x[i]));
    acc = reduce_block(op, acc);
    if (threadIdx.x == 0) reduce_scratch[blockIdx.x] = acc;
}

__global__ void reduce_kernel2_final(rise_reduce_op op, float *out, size_t n) {
    double acc = threadIdx.x < REDUCE_PARTIALS ? reduce_scratch[threadIdx.x] : reduce_identity(op);
    acc = reduce_block(op, acc);
    if (threadIdx.x == 0) *out = reduce_finish(op, acc, n);
}

/* Butterfly over the warp: max/min are exact and the sum is combined in the
 * same order in every lane, so all lanes hold the identical result. */
__device__ __forceinline__ double reduce_warp(rise_reduce_op op, double v) {
    for (int off = 16; off > 0; off >>= 1)
        v = reduce_combine(op, v, __shfl_xor_sync(0xffffffffu, v, off));
    return v;
}

__global__ void reduce_rows_kernel2(rise_reduce_op op, float *out, const float *x, int rows,
                                    int cols) {
    const int lane = threadIdx.x & 31;
    const size_t r = (size_t)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (r >= (size_t)rows) return; /* whole warp; no block barrier follows */
    const float *xr = x + r * cols;
    double acc = reduce_identity(op);
    for (int c = lane; c < cols; c += 32) acc = reduce_combine(op, acc, reduce_load(op, xr[c]));
    acc = reduce_warp(op, acc);
    if (lane == 0) out[r] = reduce_finish(op, acc, (size_t)cols);
}

__global__ void reduce_rows_kernel1(rise_reduce_op op, float *out, const float *x, int cols) {
    const float *xr = x + (size_t)blockIdx.x * cols;
    double acc = reduce_identity(op);
    for (int c = threadIdx.x; c < cols; c += blockDim.x)
        acc = reduce_combine(op, acc, reduce_load(op, xr[c]));
    acc = reduce_block(op, acc);
    if (threadIdx.x == 0) out[blockIdx.x] = reduce_finish(op, acc, (size_t)cols);
}

extern "C" int reduce_cuda_supports(int variant, size_t n) {
    (void)n;
    return variant == 1 || variant == 2;
}

extern "C" void reduce_cuda_variant(int variant, void *stream, rise_reduce_op op, float *out,
                                    const float *x, size_t n) {
    reduce_check_op(op);
    RISE_ASSERT(reduce_cuda_supports(variant, n), "reduce variant %d unsupported", variant);
    if (variant == 1) {
        reduce_kernel1<<<1, 1024, 0, RISE_STREAM(stream)>>>(op, out, x, n);
    } else {
        reduce_kernel2_partial<<<REDUCE_PARTIALS, 256, 0, RISE_STREAM(stream)>>>(op, x, n);
        RISE_CUDA_LAUNCHED();
        reduce_kernel2_final<<<1, REDUCE_PARTIALS, 0, RISE_STREAM(stream)>>>(op, out, n);
    }
    RISE_CUDA_LAUNCHED();
}

extern "C" void reduce_cuda(void *stream, rise_reduce_op op, float *out, const float *x, size_t n) {
    reduce_cuda_variant(n > ((size_t)1 << 20) ? 2 : 1, stream, op, out, x, n);
}

extern "C" int reduce_rows_cuda_supports(int variant, int rows, int cols) {
    return (variant == 1 || variant == 2) && rows >= 0 && cols >= 0;
}

extern "C" void reduce_rows_cuda_variant(int variant, void *stream, rise_reduce_op op, float *out,
                                         const float *x, int rows, int cols) {
    reduce_rows_check(op, rows, cols);
    RISE_ASSERT(reduce_rows_cuda_supports(variant, rows, cols),
                "reduce_rows: variant %d unsupported for rows %d cols %d", variant, rows, cols);
    if (rows == 0) return;
    if (variant == 1)
        reduce_rows_kernel1<<<rows, 256, 0, RISE_STREAM(stream)>>>(op, out, x, cols);
    else
        reduce_rows_kernel2<<<(rows + 7) / 8, 256, 0, RISE_STREAM(stream)>>>(op, out, x, rows,
                                                                             cols);
    RISE_CUDA_LAUNCHED();
}

extern "C" void reduce_rows_cuda(void *stream, rise_reduce_op op, float *out, const float *x,
                                 int rows, int cols) {
    reduce_rows_cuda_variant(cols <= 1024 ? 2 : 1, stream, op, out, x, rows, cols);
}
