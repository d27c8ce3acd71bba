/* gemm.h - row-major (strided-batched) GEMM and the linear layer's bias epilogue.
 *
 * <op>_ref: plain C reference (the specification; long reductions in double).
 * <op>_cuda: CUDA dispatcher (kernels/gemm.cu); `stream` is a cudaStream_t
 * passed opaquely so this header needs no CUDA types. Semantics and shapes are
 * documented once, on the backend table in host/backend.h. */
#ifndef RISE_KERNELS_GEMM_H
#define RISE_KERNELS_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* C[b] = alpha op(A[b]) op(B[b]) + beta C[b]; row-major; stride 0 broadcasts. */
void gemm_ref(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
              int64_t stride_a, const float *b, int ldb, int64_t stride_b, float beta, float *c,
              int ldc, int64_t stride_c, int batch);
/* Uses cuBLAS (row-major mapped to column-major by swapping operands). The
 * handle is the backend's cublasHandle_t, passed opaquely. */
void gemm_cuda(void *cublas_handle, int trans_a, int trans_b, int m, int n, int k, float alpha,
               const float *a, int lda, int64_t stride_a, const float *b, int ldb,
               int64_t stride_b, float beta, float *c, int ldc, int64_t stride_c, int batch);

/* y[e,b,:] += bias[e,:];  dbias[e,:] += sum_b dy[e,b,:]. */
void bias_add_ref(float *y, const float *bias, int e, int b, int n);
void bias_grad_ref(float *dbias, const float *dy, int e, int b, int n);
void bias_add_cuda(void *stream, float *y, const float *bias, int e, int b, int n);
void bias_grad_cuda(void *stream, float *dbias, const float *dy, int e, int b, int n);

#ifdef __cplusplus
}
#endif
#endif
