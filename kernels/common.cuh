/* common.cuh - device helpers shared by the kernels/<op>.cu files: launch
 * checking, grid sizing, deterministic warp/block reductions (fixed order, no
 * atomics, so two runs give identical bits) and the activation functions. */
#ifndef RISE_KERNELS_COMMON_CUH
#define RISE_KERNELS_COMMON_CUH

#include <cuda_runtime.h>
#include <stdint.h>

#include "../host/backend.h"

/* A failed CUDA call in a launcher is a programmer error (bad configuration,
 * bad pointer): abort with the location and CUDA's message. */
#define RISE_CUDA_CHECK(expr)                                                              \
    do {                                                                                   \
        cudaError_t rise_e_ = (expr);                                                      \
        if (rise_e_ != cudaSuccess)                                                        \
            rise_fatal(__FILE__, __LINE__, "%s: %s", #expr, cudaGetErrorString(rise_e_));  \
    } while (0)

#define RISE_CUDA_LAUNCHED() RISE_CUDA_CHECK(cudaGetLastError())

#define RISE_STREAM(s) ((cudaStream_t)(s))

static inline unsigned rise_grid_for(size_t n, unsigned block) {
    size_t g = (n + block - 1) / block;
    if (g < 1) g = 1;
    if (g > 65535u * 16u) g = 65535u * 16u; /* kernels use grid-stride loops */
    return (unsigned)g;
}

#define RISE_GRID_STRIDE(i, n)                                                             \
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);                \
         i += (size_t)gridDim.x * blockDim.x)

__device__ __forceinline__ double rise_warp_sum(double v) {
    for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
    return v;
}

/* Sum over the block; the result is valid in every thread. blockDim.x must be
 * a multiple of 32 (at most 1024). Uses 32 doubles of shared memory. */
__device__ __forceinline__ double rise_block_sum(double v) {
    __shared__ double warp_sums[32];
    __shared__ double total;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = rise_warp_sum(v);
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    if (warp == 0) {
        double w = lane < (int)(blockDim.x >> 5) ? warp_sums[lane] : 0.0;
        w = rise_warp_sum(w);
        if (lane == 0) total = w;
    }
    __syncthreads();
    const double r = total;
    __syncthreads(); /* the shared slots may be reused by the next call */
    return r;
}

/* Activation value and derivative in float; same formulas as activation_ref.c. */
__device__ __forceinline__ float rise_softplus(float x) { return x > 20.0f ? x : log1pf(expf(x)); }
__device__ __forceinline__ float rise_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

__device__ __forceinline__ float rise_act_value(rise_act act, float x) {
    const float k = 0.7978845608028654f, c = 0.044715f;
    switch (act) {
    case RISE_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case RISE_ACT_MISH: return x * tanhf(rise_softplus(x));
    case RISE_ACT_GELU: return 0.5f * x * (1.0f + tanhf(k * (x + c * x * x * x)));
    case RISE_ACT_TANH: return tanhf(x);
    case RISE_ACT_SILU: return x * rise_sigmoid(x);
    default: return x;
    }
}

__device__ __forceinline__ float rise_act_derivative(rise_act act, float x) {
    const float k = 0.7978845608028654f, c = 0.044715f;
    switch (act) {
    case RISE_ACT_RELU: return x > 0.0f ? 1.0f : 0.0f;
    case RISE_ACT_MISH: {
        const float t = tanhf(rise_softplus(x));
        return t + x * (1.0f - t * t) * rise_sigmoid(x);
    }
    case RISE_ACT_GELU: {
        const float t = tanhf(k * (x + c * x * x * x));
        return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * k * (1.0f + 3.0f * c * x * x);
    }
    case RISE_ACT_TANH: {
        const float t = tanhf(x);
        return 1.0f - t * t;
    }
    case RISE_ACT_SILU: {
        const float s = rise_sigmoid(x);
        return s * (1.0f + x * (1.0f - s));
    }
    default: return 1.0f;
    }
}

#endif
