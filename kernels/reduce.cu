/* reduce.cu - whole-buffer and per-row reductions (results in device memory).
 * Variants of the whole-buffer reduction:
 *   kernel1  one block of 1024 threads strides over everything; one launch.
 *   kernel2  two passes: 256 blocks write partials to a device scratch array,
 *            then one block combines them; uses the whole GPU for long buffers
 *            (the global gradient norm over millions of parameters).
 * Both combine in double in a fixed order (deterministic, no atomics). The
 * dispatcher takes kernel2 above 1M elements. reduce_rows: one block per row.
 * kernel2's scratch is a static device array: calls on one stream (the
 * backend's) are serialised, which is the only way rise issues them. */
#include <math.h>

#include "common.cuh"
#include "reduce.h"

#define REDUCE_PARTIALS 256

static __device__ double reduce_scratch[REDUCE_PARTIALS];

__device__ __forceinline__ double reduce_identity(rise_reduce_op op) {
    switch (op) {
    case RISE_REDUCE_MAX: return -INFINITY;
    case RISE_REDUCE_MIN: return INFINITY;
    default: return 0.0;
    }
}

__device__ __forceinline__ double reduce_load(rise_reduce_op op, float x) {
    switch (op) {
    case RISE_REDUCE_SUMSQ: return (double)x * x;
    case RISE_REDUCE_ABSMAX: return fabs((double)x);
    default: return x;
    }
}

__device__ __forceinline__ double reduce_combine(rise_reduce_op op, double a, double b) {
    switch (op) {
    case RISE_REDUCE_MAX:
    case RISE_REDUCE_ABSMAX: return b > a ? b : a;
    case RISE_REDUCE_MIN: return b < a ? b : a;
    default: return a + b;
    }
}

/* Tree combine over a power-of-two block (<= 1024); result in thread 0. */
__device__ double reduce_block(rise_reduce_op op, double v) {
    __shared__ double buf[1024];
    buf[threadIdx.x] = v;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) buf[threadIdx.x] = reduce_combine(op, buf[threadIdx.x], buf[threadIdx.x + s]);
        __syncthreads();
    }
    return buf[0];
}

__device__ float reduce_finish(rise_reduce_op op, double v, size_t n) {
    if (op == RISE_REDUCE_MEAN) return n ? (float)(v / (double)n) : 0.0f;
    return (float)v;
}

__global__ void reduce_kernel1(rise_reduce_op op, float *out, const float *x, size_t n) {
    double acc = reduce_identity(op);
    for (size_t i = threadIdx.x; i < n; i += blockDim.x) acc = reduce_combine(op, acc, reduce_load(op, x[i]));
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

__global__ void reduce_rows_kernel1(rise_reduce_op op, float *out, const float *x, int cols) {
    const float *xr = x + (size_t)blockIdx.x * cols;
    double acc = reduce_identity(op);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) acc = reduce_combine(op, acc, reduce_load(op, xr[c]));
    acc = reduce_block(op, acc);
    if (threadIdx.x == 0) out[blockIdx.x] = reduce_finish(op, acc, (size_t)cols);
}

extern "C" int reduce_cuda_supports(int variant, size_t n) { return variant == 1 || variant == 2; }

extern "C" void reduce_cuda_variant(int variant, void *stream, rise_reduce_op op, float *out,
                                    const float *x, size_t n) {
    RISE_ASSERT(reduce_cuda_supports(variant, n), "reduce variant %d unsupported", variant);
    RISE_ASSERT((unsigned)op < RISE_REDUCE_COUNT, "unknown reduction %d", (int)op);
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

extern "C" void reduce_rows_cuda(void *stream, rise_reduce_op op, float *out, const float *x,
                                 int rows, int cols) {
    RISE_ASSERT((unsigned)op < RISE_REDUCE_COUNT, "unknown reduction %d", (int)op);
    if (rows == 0) return;
    reduce_rows_kernel1<<<rows, 256, 0, RISE_STREAM(stream)>>>(op, out, x, cols);
    RISE_CUDA_LAUNCHED();
}
