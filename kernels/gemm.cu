/* gemm.cu - strided-batched row-major GEMM through cuBLAS, and the bias epilogue (the ops
 * and their rules: kernels/gemm.h; the argument checks are the reference's).
 * Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T, so
 * cublasSgemmStridedBatched gets the operands swapped (B first, m and n
 * exchanged); the leading dimensions and strides carry over unchanged. FP32
 * math (the backend sets CUBLAS_DEFAULT_MATH, no TF32) to match the CPU
 * reference; k == 0 is handled by gemm_scale_c_kernel (C = beta C).
 * Variants:
 *   bias_add_kernel1   one thread per output element, grid-stride
 *   bias_grad_kernel1  one thread per (member, column), loops over rows:
 *                      coalesced across columns, deterministic order */
#include <cublas_v2.h>

#include "common.cuh"
#include "gemm.h"

/* C[b] = beta C[b] for k == 0; beta == 0 overwrites, so NaN in C never leaks
 * (the reference's rule). */
__global__ void gemm_scale_c_kernel(float *c, int ldc, int64_t stride_c, int m, int n, size_t total,
                                    float beta) {
    RISE_GRID_STRIDE(i, total) {
        const size_t p = i / ((size_t)m * n), r = (i / n) % m, j = i % n;
        float *out = c + (int64_t)p * stride_c + (int64_t)r * ldc + j;
        *out = gemm_scale_c(beta, *out);
    }
}

static cudaStream_t gemm_stream(cublasHandle_t h) {
    cudaStream_t s = 0;
    RISE_CUBLAS_CHECK(cublasGetStream(h, &s));
    return s;
}

extern "C" void gemm_cuda(void *cublas_handle, int trans_a, int trans_b, int m, int n, int k,
                          float alpha, const float *a, int lda, int64_t stride_a, const float *b,
                          int ldb, int64_t stride_b, float beta, float *c, int ldc,
                          int64_t stride_c, int batch) {
    gemm_check(trans_a, trans_b, m, n, k, lda, ldb, ldc, batch);
    if (m == 0 || n == 0 || batch == 0) return;
    cublasHandle_t h = (cublasHandle_t)cublas_handle;
    if (k == 0) { /* C = beta C without asking cuBLAS about empty operands */
        const size_t total = (size_t)batch * m * n;
        gemm_scale_c_kernel<<<rise_grid_for(total, 256), 256, 0, gemm_stream(h)>>>(
            c, ldc, stride_c, m, n, total, beta);
        RISE_CUDA_LAUNCHED();
        return;
    }
    RISE_CUBLAS_CHECK(cublasSgemmStridedBatched(
        h, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k,
        &alpha, b, ldb, stride_b, a, lda, stride_a, &beta, c, ldc, stride_c, batch));
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
    bias_check("bias_add", e, b, n);
    const size_t total = (size_t)e * b * n;
    if (!total) return;
    bias_add_kernel1<<<rise_grid_for(total, 256), 256, 0, RISE_STREAM(stream)>>>(y, bias, b, n,
                                                                                 total);
    RISE_CUDA_LAUNCHED();
}

extern "C" void bias_grad_cuda(void *stream, float *dbias, const float *dy, int e, int b, int n) {
    bias_check("bias_grad", e, b, n);
    const size_t cols = (size_t)e * n;
    if (!cols) return;
    bias_grad_kernel1<<<(unsigned)((cols + 127) / 128), 128, 0, RISE_STREAM(stream)>>>(dbias, dy, e,
                                                                                       b, n);
    RISE_CUDA_LAUNCHED();
}
