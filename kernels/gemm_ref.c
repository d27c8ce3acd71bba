/* gemm_ref.c - CPU reference for the row-major strided-batched GEMM and the linear layer's
 * bias epilogue (the ops and their rules: kernels/gemm.h). Dot products and column sums
 * accumulate in double. */
#include "gemm.h"

void gemm_ref(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
              int64_t stride_a, const float *b, int ldb, int64_t stride_b, float beta, float *c,
              int ldc, int64_t stride_c, int batch) {
    gemm_check(trans_a, trans_b, m, n, k, lda, ldb, ldc, batch);
    for (int bi = 0; bi < batch; ++bi) {
        const float *ab = a + (int64_t)bi * stride_a;
        const float *bb = b + (int64_t)bi * stride_b;
        float *cb = c + (int64_t)bi * stride_c;
        for (int i = 0; i < m; ++i) {
            for (int j = 0; j < n; ++j) {
                double acc = 0.0;
                for (int p = 0; p < k; ++p) {
                    const float av = trans_a ? ab[(int64_t)p * lda + i] : ab[(int64_t)i * lda + p];
                    const float bv = trans_b ? bb[(int64_t)j * ldb + p] : bb[(int64_t)p * ldb + j];
                    acc += (double)av * (double)bv;
                }
                float *cij = &cb[(int64_t)i * ldc + j];
                if (k == 0) { /* C = beta C, exactly as the other backends give it */
                    *cij = gemm_scale_c(beta, *cij);
                    continue;
                }
                const double old = beta == 0.0f ? 0.0 : (double)beta * (double)*cij;
                *cij = (float)((double)alpha * acc + old);
            }
        }
    }
}

void bias_add_ref(float *y, const float *bias, int e, int b, int n) {
    bias_check("bias_add", e, b, n);
    for (int ei = 0; ei < e; ++ei)
        for (int bi = 0; bi < b; ++bi) {
            float *row = y + ((int64_t)ei * b + bi) * n;
            const float *bias_e = bias + (int64_t)ei * n;
            for (int j = 0; j < n; ++j) row[j] += bias_e[j];
        }
}

void bias_grad_ref(float *dbias, const float *dy, int e, int b, int n) {
    bias_check("bias_grad", e, b, n);
    for (int ei = 0; ei < e; ++ei) {
        const float *dy_e = dy + (int64_t)ei * b * n;
        for (int j = 0; j < n; ++j) {
            double acc = 0.0;
            for (int bi = 0; bi < b; ++bi) acc += dy_e[(int64_t)bi * n + j];
            dbias[(int64_t)ei * n + j] += (float)acc;
        }
    }
}
