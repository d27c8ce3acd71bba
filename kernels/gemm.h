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

/* The shape rules every GEMM checks: no negative size; leading dimensions hold the
 * stored (pre-transpose) row length. */
static inline void gemm_check_shape(int trans_a, int trans_b, int m, int n, int k, int lda, int ldb,
                                    int ldc, int batch) {
    RISE_ASSERT(m >= 0 && n >= 0 && k >= 0 && batch >= 0,
                "gemm: negative shape m=%d n=%d k=%d batch=%d", m, n, k, batch);
    RISE_ASSERT(lda >= (trans_a ? m : k), "gemm: lda=%d too small for op(A) %dx%d (trans_a=%d)",
                lda, m, k, trans_a);
    RISE_ASSERT(ldb >= (trans_b ? k : n), "gemm: ldb=%d too small for op(B) %dx%d (trans_b=%d)",
                ldb, k, n, trans_b);
    RISE_ASSERT(ldc >= n, "gemm: ldc=%d smaller than n=%d", ldc, n);
}

/* C[b] = alpha op(A[b]) op(B[b]) + beta C[b]; row-major; stride 0 broadcasts. */
void gemm_ref(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
              int64_t stride_a, const float *b, int ldb, int64_t stride_b, float beta, float *c,
              int ldc, int64_t stride_c, int batch);
/* Uses cuBLAS (row-major mapped to column-major by swapping operands). The
 * handle is the backend's cublasHandle_t, passed opaquely. */
void gemm_cuda(void *cublas_handle, int trans_a, int trans_b, int m, int n, int k, float alpha,
               const float *a, int lda, int64_t stride_a, const float *b, int ldb, int64_t stride_b,
               float beta, float *c, int ldc, int64_t stride_c, int batch);

/* The fast CPU GEMM (kernels/gemm_cpu.c): the same product through a BLAS, threaded over
 * one OpenMP pool (members, halves, or the BLAS's own OpenMP threads), with its state
 * (library handles) created once per backend. */
typedef struct gemm_cpu_state gemm_cpu_state;
typedef enum {
    GEMM_CPU_AUTO = 0,    /* the measured rule (gemm_cpu.c) */
    GEMM_CPU_BLAS,        /* OpenBLAS, threaded by members, halves or its own threads */
    GEMM_CPU_BLAS_SERIAL, /* OpenBLAS on the calling thread */
    GEMM_CPU_DNNL         /* oneDNN's matmul (its own OpenMP threading) */
} gemm_cpu_lib;
typedef enum { GEMM_CPU_FP32 = 0, GEMM_CPU_BF16 } gemm_cpu_precision;
gemm_cpu_state *gemm_cpu_create(void);
void gemm_cpu_destroy(gemm_cpu_state *s);
/* Benchmarks and tests: pin one library instead of the rule. */
void gemm_cpu_force(gemm_cpu_state *s, gemm_cpu_lib lib);
/* bf16: inputs rounded to bfloat16, products accumulated in fp32 (oneDNN); an error when
 * this processor has no bf16 matmul. */
rise_status gemm_cpu_set_precision(gemm_cpu_state *s, gemm_cpu_precision p);
void gemm_cpu(gemm_cpu_state *s, int trans_a, int trans_b, int m, int n, int k, float alpha,
              const float *a, int lda, int64_t stride_a, const float *b, int ldb, int64_t stride_b,
              float beta, float *c, int ldc, int64_t stride_c, int batch);
/* dbias += column sums of dy in row order in double over threads (bias_grad_ref's bits). */
void bias_grad_cpu(float *dbias, const float *dy, int e, int b, int n);

/* y[e,b,:] += bias[e,:];  dbias[e,:] += sum_b dy[e,b,:]. */
void bias_add_ref(float *y, const float *bias, int e, int b, int n);
void bias_grad_ref(float *dbias, const float *dy, int e, int b, int n);
void bias_add_cuda(void *stream, float *y, const float *bias, int e, int b, int n);
void bias_grad_cuda(void *stream, float *dbias, const float *dy, int e, int b, int n);

#ifdef __cplusplus
}
#endif
#endif
