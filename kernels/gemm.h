/* gemm.h - row-major (strided-batched) GEMM and the linear layer's bias epilogue. The one
 * description of these ops (the backend table in host/backend.h points here).
 *
 *   gemm:       C[b] = alpha op(A[b]) op(B[b]) + beta C[b] for b < batch, row-major; op(A)
 *               is M x K, op(B) is K x N; A[b] = a + b stride_a etc., and a stride of 0
 *               broadcasts one matrix (batches run in order, so a C stride of 0
 *               accumulates them sequentially in the reference).
 *   bias_add:   y[e,b,:] += bias[e,:]  for y [E,B,N], bias [E,N]
 *   bias_grad:  dbias[e,:] += sum_b dy[e,b,:]  (accumulates; in double, row order)
 * Edge rules: as in BLAS, beta = 0 means C is not read (NaN or garbage in C is
 * overwritten; gemm_scale_c); K = 0 gives C = beta C (gemm_scale_c again); M, N or batch
 * = 0 does nothing. Dot products accumulate in double in the reference; the CUDA backend
 * uses cuBLAS in FP32 (no TF32), within 1e-5 (1 + sqrt(K)).
 * Argument rules (gemm_check, bias_check, abort): M, N, K, batch >= 0; leading
 * dimensions hold the stored (pre-transpose) rows: lda >= (trans_a ? M : K),
 * ldb >= (trans_b ? K : N), ldc >= N; E, B, N >= 0.
 *
 * gemm_ref / bias_*_ref: plain C reference (kernels/gemm_ref.c).
 * gemm_cuda: cuBLAS (kernels/gemm.cu), on the backend's cublasHandle_t (passed
 * opaquely); bias_*_cuda: kernels on the backend's cudaStream_t (never NULL). */
#ifndef RISE_KERNELS_GEMM_H
#define RISE_KERNELS_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"
#include "host_device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- shared rules (reference and kernels) ---- */

static inline void gemm_check(int trans_a, int trans_b, int m, int n, int k, int lda, int ldb,
                              int ldc, int batch) {
    RISE_ASSERT(m >= 0 && n >= 0 && k >= 0 && batch >= 0,
                "gemm: negative shape m=%d n=%d k=%d batch=%d", m, n, k, batch);
    RISE_ASSERT(lda >= (trans_a ? m : k), "gemm: lda=%d too small for op(A) %dx%d (trans_a=%d)",
                lda, m, k, trans_a);
    RISE_ASSERT(ldb >= (trans_b ? k : n), "gemm: ldb=%d too small for op(B) %dx%d (trans_b=%d)",
                ldb, k, n, trans_b);
    RISE_ASSERT(ldc >= n, "gemm: ldc=%d smaller than n=%d", ldc, n);
}

static inline void bias_check(const char *op, int e, int b, int n) {
    RISE_ASSERT(e >= 0 && b >= 0 && n >= 0, "%s: negative shape e=%d b=%d n=%d", op, e, b, n);
}

/* beta C, where beta = 0 does not read C. */
RISE_HD float gemm_scale_c(float beta, float c) { return beta == 0.0f ? 0.0f : beta * c; }

/* ---- the ops ---- */

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

void bias_add_ref(float *y, const float *bias, int e, int b, int n);
void bias_grad_ref(float *dbias, const float *dy, int e, int b, int n);
void bias_add_cuda(void *stream, float *y, const float *bias, int e, int b, int n);
void bias_grad_cuda(void *stream, float *dbias, const float *dy, int e, int b, int n);

#ifdef __cplusplus
}
#endif
#endif
