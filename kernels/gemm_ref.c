/* gemm_ref.c - reference strided-batched row-major GEMM and the bias epilogue.
 * Dot products accumulate in double: this is the yardstick, not the fast path
 * (the CPU backend uses OpenBLAS). */
#include "gemm.h"

static float elem(const float *m, int ld, int trans, int r, int c) {
    return trans ? m[(int64_t)c * ld + r] : m[(int64_t)r * ld + c];
}

void gemm_ref(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
              int64_t stride_a, const float *b, int ldb, int64_t stride_b, float beta, float *c,
              int ldc, int64_t stride_c, int batch) {
    for (int p = 0; p < batch; ++p) {
        const float *ap = a + p * stride_a;
        const float *bp = b + p * stride_b;
        float *cp = c + p * stride_c;
        for (int i = 0; i < m; ++i) {
            for (int j = 0; j < n; ++j) {
                double acc = 0.0;
                for (int q = 0; q < k; ++q)
                    acc += (double)elem(ap, lda, trans_a, i, q) * elem(bp, ldb, trans_b, q, j);
                float *out = &cp[(int64_t)i * ldc + j];
                /* beta == 0 overwrites, so uninitialised C (NaN) never leaks in */
                *out = beta == 0.0f ? (float)(alpha * acc) : (float)(alpha * acc + beta * *out);
            }
        }
    }
}

void bias_add_ref(float *y, const float *bias, int e, int b, int n) {
    for (int ei = 0; ei < e; ++ei)
        for (int bi = 0; bi < b; ++bi) {
            float *row = y + ((int64_t)ei * b + bi) * n;
            for (int j = 0; j < n; ++j) row[j] += bias[(int64_t)ei * n + j];
        }
}

void bias_grad_ref(float *dbias, const float *dy, int e, int b, int n) {
    for (int ei = 0; ei < e; ++ei)
        for (int j = 0; j < n; ++j) {
            double acc = 0.0;
            for (int bi = 0; bi < b; ++bi) acc += dy[((int64_t)ei * b + bi) * n + j];
            dbias[(int64_t)ei * n + j] += (float)acc;
        }
}
