/* gemm.cu - strided-batched row-major GEMM through cuBLAS, and the bias epilogue.
 * Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T, so cuBLAS
 * gets the operands swapped. FP32 math (no TF32), to match the CPU reference.
 * Variants:
 *   bias_add_kernel1   one thread per output element, grid-stride
 *   bias_grad_kernel1  one thread per (member, column), loops over rows:
 *                      coalesced across columns, deterministic order */
#include <cublas_v2.h>

#include "common.cuh"
#include "gemm.h"

extern "C" void gemm_cuda(void *cublas_handle, int trans_a, int trans_b, int m, int n, int k,
                          float alpha, const float *a, int lda, int64_t stride_a, const float *b,
                          int ldb, int64_t stride_b, float beta, float *c, int ldc,
                          int64_t stride_c, int batch) {
    if (m == 0 || n == 0 || batch == 0) return;
    cublasHandle_t h = (cublasHandle_t)cublas_handle;
    const cublasStatus_t s = cublasSgemmStridedBatched(
        h, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k,
        &alpha, b, ldb, stride_b, a, lda, stride_a, &beta, c, ldc, stride_c, batch);
    if (s != CUBLAS_STATUS_SUCCESS)
        rise_fatal(__FILE__, __LINE__, "cublasSgemmStridedBatched(m=%d n=%d k=%d batch=%d): status %d",
                   m, n, k, batch, (int)s);
}

__global__ void bias_add_kernel1(float *y, const float *bias, int b, int n, size_t total) {
    RISE_GRID_STRIDE(i, total) {
        const size_t e = i / ((size_t)b * n);
        const size_t j = i % (size_t)n;
        y[i] += bias[e * n + j];
    }
}

__global__ void bias_grad_kernel1(float *dbias, const float *dy, int e, int b, int n) {
    const size_t col = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (col >= (size_t)e * n) return;
    const size_t ei = col / n, j = col % n;
    const float *base = dy + ei * (size_t)b * n + j;
    double acc = 0.0;
    for (int r = 0; r < b; ++r) acc += base[(size_t)r * n];
    dbias[col] += (float)acc;
}

extern "C" void bias_add_cuda(void *stream, float *y, const float *bias, int e, int b, int n) {
    const size_t total = (size_t)e * b * n;
    if (!total) return;
    bias_add_kernel1<<<rise_grid_for(total, 256), 256, 0, RISE_STREAM(stream)>>>(y, bias, b, n,
                                                                                total);
    RISE_CUDA_LAUNCHED();
}

extern "C" void bias_grad_cuda(void *stream, float *dbias, const float *dy, int e, int b, int n) {
    const size_t cols = (size_t)e * n;
    if (!cols) return;
    bias_grad_kernel1<<<(unsigned)((cols + 127) / 128), 128, 0, RISE_STREAM(stream)>>>(dbias, dy,
                                                                                      e, b, n);
    RISE_CUDA_LAUNCHED();
}
