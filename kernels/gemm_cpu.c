/* gemm_cpu.c - the fast CPU GEMM ("cpu" backend) and the row-major bias gradient.
 *
 * GEMM threading: one OpenMP pool for the whole step. A product is
 *   - run on the calling thread when it is too small to pay for waking a second one,
 *   - split over threads by ensemble members when there are several (the twin critic),
 *   - else cut in two halves of N (or of M when N is narrow), each half one
 *     single-threaded BLAS call inside our own parallel region,
 *   - or, when large, handed to OpenBLAS's own OpenMP threading (the same pool).
 * With Debian's OpenMP build of OpenBLAS a call made inside a parallel region runs on
 * that thread alone; with another build (pthreads) the backend keeps OpenBLAS at one
 * thread so its workers never spin against OpenMP's. Every split is fixed by the shape,
 * never by the thread count, and a BLAS kernel computes an element of C the same way
 * whichever block of rows or columns it is given, so results do not depend on the
 * thread count. The thresholds come from benchmarks/bench_gemm (docs/performance.md).
 *
 * bias_grad: dbias[e, :] += column sums over rows, in row order in double (the
 * reference's order, bit for bit), columns split over threads. */
#include "gemm.h"
#include "cpu_chunks.h"

#include <cblas.h>
#include <stdlib.h>

/* Below this many flops a product runs on the calling thread. */
#define GEMM_SERIAL_FLOPS 2.0e6
/* From this many flops (per call, batch 1) OpenBLAS threads it itself. */
#define GEMM_BLAS_THREADED_FLOPS 4.0e8
/* Halves are cut on multiples of this many columns or rows (whole SIMD panels). */
#define GEMM_SPLIT_ALIGN 16

struct gemm_cpu_state {
    int blas_openmp; /* OpenBLAS shares our OpenMP pool */
};

gemm_cpu_state *gemm_cpu_create(void) {
    gemm_cpu_state *s = (gemm_cpu_state *)calloc(1, sizeof *s);
    if (!s) return NULL;
    s->blas_openmp = openblas_get_parallel() == 2;
    return s;
}

void gemm_cpu_destroy(gemm_cpu_state *s) { free(s); }

/* One member's product restricted to columns [n0, n1) and rows [m0, m1) of C. */
static void blas_part(int ta, int tb, int m0, int m1, int n0, int n1, int k, float alpha,
                      const float *a, int lda, const float *b, int ldb, float beta, float *c,
                      int ldc) {
    if (m1 <= m0 || n1 <= n0) return;
    const float *ap = a + (ta ? (int64_t)m0 : (int64_t)m0 * lda);
    const float *bp = b + (tb ? (int64_t)n0 * ldb : (int64_t)n0);
    float *cp = c + (int64_t)m0 * ldc + n0;
    if (k == 0) { /* C = beta C; BLAS would reject lda = 0 here */
        for (int i = 0; i < m1 - m0; ++i)
            for (int j = 0; j < n1 - n0; ++j) {
                float *cij = &cp[(int64_t)i * ldc + j];
                *cij = beta == 0.0f ? 0.0f : beta * *cij;
            }
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                m1 - m0, n1 - n0, k, alpha, ap, lda > 0 ? lda : 1, bp, ldb > 0 ? ldb : 1, beta, cp,
                ldc > 0 ? ldc : 1);
}

void gemm_cpu(gemm_cpu_state *s, int ta, int tb, int m, int n, int k, float alpha, const float *a,
              int lda, int64_t stride_a, const float *b, int ldb, int64_t stride_b, float beta,
              float *c, int ldc, int64_t stride_c, int batch) {
    gemm_check_shape(ta, tb, m, n, k, lda, ldb, ldc, batch);
    if (m == 0 || n == 0 || batch == 0) return;
    if (!s->blas_openmp) openblas_set_num_threads(1);
    const double flops = 2.0 * m * n * (double)k * batch;
    const int parallel = flops >= GEMM_SERIAL_FLOPS && omp_get_max_threads() > 1;
    if (!parallel) {
        for (int e = 0; e < batch; ++e)
            blas_part(ta, tb, 0, m, 0, n, k, alpha, a + e * stride_a, lda, b + e * stride_b, ldb,
                      beta, c + e * stride_c, ldc);
        return;
    }
    if (batch > 1 && stride_c != 0) { /* members write disjoint outputs */
#pragma omp parallel for schedule(static)
        for (int e = 0; e < batch; ++e)
            blas_part(ta, tb, 0, m, 0, n, k, alpha, a + e * stride_a, lda, b + e * stride_b, ldb,
                      beta, c + e * stride_c, ldc);
        return;
    }
    for (int e = 0; e < batch; ++e) {
        const float *ae = a + e * stride_a, *bb = b + e * stride_b;
        float *ce = c + e * stride_c;
        if (s->blas_openmp && flops / batch >= GEMM_BLAS_THREADED_FLOPS) {
            blas_part(ta, tb, 0, m, 0, n, k, alpha, ae, lda, bb, ldb, beta, ce, ldc);
            continue;
        }
        const int by_cols = n >= 2 * GEMM_SPLIT_ALIGN || n >= m;
        const int len = by_cols ? n : m;
        int half = (len / 2 + GEMM_SPLIT_ALIGN - 1) / GEMM_SPLIT_ALIGN * GEMM_SPLIT_ALIGN;
        if (half >= len) half = (len + 1) / 2;
#pragma omp parallel for schedule(static)
        for (int p = 0; p < 2; ++p) {
            const int lo = p ? half : 0, hi = p ? len : half;
            if (by_cols)
                blas_part(ta, tb, 0, m, lo, hi, k, alpha, ae, lda, bb, ldb, beta, ce, ldc);
            else
                blas_part(ta, tb, lo, hi, 0, n, k, alpha, ae, lda, bb, ldb, beta, ce, ldc);
        }
    }
}

/* Columns [c0, c1) of one member: sums over b rows in row order, in double. */
#define BIAS_TILE 256
static void bias_grad_cols(float *dbias, const float *dy, int b, int n, size_t c0, size_t c1) {
    double acc[BIAS_TILE];
    for (size_t t0 = c0; t0 < c1; t0 += BIAS_TILE) {
        const size_t w = c1 - t0 < BIAS_TILE ? c1 - t0 : BIAS_TILE;
        for (size_t j = 0; j < w; ++j) acc[j] = 0.0;
        for (int r = 0; r < b; ++r) {
            const float *d = dy + (size_t)r * n + t0;
            for (size_t j = 0; j < w; ++j) acc[j] += d[j];
        }
        for (size_t j = 0; j < w; ++j) dbias[t0 + j] += (float)acc[j];
    }
}

void bias_grad_cpu(float *dbias, const float *dy, int e, int b, int n) {
    RISE_ASSERT(e >= 0 && b >= 0 && n >= 0, "bias_grad: negative shape e=%d b=%d n=%d", e, b, n);
    for (int ei = 0; ei < e; ++ei)
        CPU_FOR_CHUNKS(
            (size_t)n, 8, (size_t)b,
            bias_grad_cols(dbias + (size_t)ei * n, dy + (size_t)ei * b * n, b, n, lo, hi));
}
