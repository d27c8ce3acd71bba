/* common.cuh - device helpers shared by the kernels/<op>.cu files: error checks
 * for CUDA and cuBLAS calls, grid sizing, deterministic warp/block reductions
 * (fixed combination order, no float atomics, so two runs give identical bits).
 * Per-element rules shared with the references live in the ops' headers
 * (kernels/host_device.h explains how). */
#ifndef RISE_KERNELS_COMMON_CUH
#define RISE_KERNELS_COMMON_CUH

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include "../host/backend.h"
#include "cuda_errors.h"

/* ---- error checks ----
 * Configuration errors (bad launch shape, bad pointer or stream, a GPU this
 * build has no code for) are programmer errors: abort with the location.
 * Anything else is a run-time failure (often a fault of an earlier kernel,
 * which CUDA reports at the next call): it is parked for the backend's sync()
 * to return as its sticky RISE_ERR_DEVICE status. */
static inline int rise_cuda_is_config_error(cudaError_t e) {
    switch (e) {
    case cudaErrorInvalidConfiguration:
    case cudaErrorInvalidValue:
    case cudaErrorLaunchOutOfResources:
    case cudaErrorInvalidDeviceFunction:
    case cudaErrorNoKernelImageForDevice:
    case cudaErrorInvalidKernelImage:
    case cudaErrorInvalidDevicePointer:
    case cudaErrorInvalidResourceHandle:
    case cudaErrorInvalidPitchValue: return 1;
    default: return 0;
    }
}

static inline void rise_cuda_check_at(cudaError_t e, const char *what, const char *file, int line) {
    if (e == cudaSuccess) return;
    if (rise_cuda_is_config_error(e))
        rise_fatal(file, line, "%s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
    rise_cuda_park_error(file, line, what, cudaGetErrorString(e));
}

static inline void rise_cublas_check_at(cublasStatus_t s, const char *what, const char *file,
                                        int line) {
    if (s == CUBLAS_STATUS_SUCCESS) return;
    if (s == CUBLAS_STATUS_INVALID_VALUE || s == CUBLAS_STATUS_NOT_SUPPORTED ||
        s == CUBLAS_STATUS_ARCH_MISMATCH || s == CUBLAS_STATUS_NOT_INITIALIZED)
        rise_fatal(file, line, "%s: %s", what, cublasGetStatusString(s));
    rise_cuda_park_error(file, line, what, cublasGetStatusString(s));
}

#define RISE_CUDA_CHECK(expr)   rise_cuda_check_at((expr), #expr, __FILE__, __LINE__)
#define RISE_CUBLAS_CHECK(expr) rise_cublas_check_at((expr), #expr, __FILE__, __LINE__)
/* After every <<<>>>: catches bad configurations at the launch site. */
#define RISE_CUDA_LAUNCHED()                                                                       \
    rise_cuda_check_at(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)

/* The stream a launcher was given: always the backend's (be->stream), never NULL. NULL
 * would be the legacy default stream, which does not order with the backend's
 * non-blocking stream: a kernel there could run before the upload, memset or kernel it
 * depends on. Refusing it here makes that mistake impossible in every launcher. */
static inline cudaStream_t rise_stream_of(void *s, const char *file, int line) {
    if (!s)
        rise_fatal(file, line,
                   "kernel launcher given no stream: pass the backend's own (be->stream); the "
                   "legacy default stream does not order with it");
    return (cudaStream_t)s;
}
#define RISE_STREAM(s) rise_stream_of((s), __FILE__, __LINE__)

/* Blocks for a grid-stride kernel over n elements; capped because the
 * kernels loop, and a smaller grid keeps per-thread work above launch cost. */
static inline unsigned rise_grid_for(size_t n, unsigned block) {
    size_t g = (n + block - 1) / block;
    if (g < 1) g = 1;
    if (g > 65535u * 16u) g = 65535u * 16u;
    return (unsigned)g;
}

#define RISE_GRID_STRIDE(i, n)                                                                     \
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);                        \
         i += (size_t)gridDim.x * blockDim.x)

/* ---- deterministic reductions (float or double) ---- */

/* Butterfly sum: every lane ends with the same total, combined in a fixed
 * order. All 32 lanes must call it. */
template <typename T> __device__ __forceinline__ T rise_warp_sum(T v) {
    for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
    return v;
}

/* Sum over the block; the result is valid in every thread. Every thread of
 * the block must call it (it has barriers); blockDim.x a multiple of 32. */
template <typename T> __device__ __forceinline__ T rise_block_sum(T v) {
    __shared__ T warp_sums[32];
    __shared__ T total;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = rise_warp_sum(v);
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    if (warp == 0) {
        T w = lane < (int)(blockDim.x >> 5) ? warp_sums[lane] : T(0);
        w = rise_warp_sum(w);
        if (lane == 0) total = w;
    }
    __syncthreads();
    const T r = total;
    __syncthreads(); /* the shared slots may be reused by the next call */
    return r;
}

#endif
