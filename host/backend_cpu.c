/* backend_cpu.c - the CPU backend table: the kernels/<op>_ref.c references,
 * OpenBLAS for GEMM, and OpenMP over independent chunks for the large
 * element-wise ops. Every parallel loop writes disjoint elements and no float
 * reduction is split across threads, so results do not depend on the number
 * of threads. */
#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "kernels/activation.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/layernorm.h"
#include "kernels/loss.h"
#include "kernels/optim.h"
#include "kernels/random.h"
#include "kernels/reduce.h"
#include "kernels/spectral_norm.h"
#include "kernels/time_embed.h"

/* Below this many elements a parallel region costs more than it saves. */
#define CPU_PAR_MIN ((size_t)1 << 16)
#define CPU_CHUNK ((size_t)1 << 14)
/* GEMMs below this many flops run single-threaded in OpenBLAS. */
#define CPU_BLAS_THREADED_FLOPS 5e7

/* Runs body(offset, count) over [0, n) in chunks, in parallel when large. */
#define CPU_CHUNKED(n, body)                                                   \
    do {                                                                       \
        const size_t n_ = (n);                                                 \
        if (n_ < CPU_PAR_MIN) {                                                \
            const size_t off = 0, cnt = n_;                                    \
            body;                                                              \
        } else {                                                               \
            const long chunks_ = (long)((n_ + CPU_CHUNK - 1) / CPU_CHUNK);     \
            _Pragma("omp parallel for schedule(static)") for (long c_ = 0; c_ < chunks_; ++c_) { \
                const size_t off = (size_t)c_ * CPU_CHUNK;                     \
                const size_t cnt = n_ - off < CPU_CHUNK ? n_ - off : CPU_CHUNK; \
                body;                                                          \
            }                                                                  \
        }                                                                      \
    } while (0)

static void cpu_destroy(rise_backend *be) { free(be); }

static void *cpu_alloc(rise_backend *be, size_t bytes) {
    /* 256 bytes, as the arena's and the parameter table's offsets assume */
    const size_t rounded = (bytes + 255) / 256 * 256;
    void *p = aligned_alloc(256, rounded ? rounded : 256);
    if (!p) {
        rise_error(RISE_ERR_NOMEM, "cpu backend: cannot allocate %zu bytes", bytes);
        return NULL;
    }
    memset(p, 0, rounded ? rounded : 256);
    return p;
}

static void cpu_free(rise_backend *be, void *p) { free(p); }

static void cpu_memcpy(rise_backend *be, void *dst, const void *src, size_t bytes) {
    if (bytes) memcpy(dst, src, bytes);
}

static rise_status cpu_sync(rise_backend *be) { return RISE_OK; }

static void cpu_gemm(rise_backend *be, int trans_a, int trans_b, int m, int n, int k, float alpha,
                     const float *a, int lda, int64_t stride_a, const float *b, int ldb,
                     int64_t stride_b, float beta, float *c, int ldc, int64_t stride_c,
                     int batch) {
    RISE_ASSERT(m >= 0 && n >= 0 && k >= 0 && batch >= 0, "gemm: negative shape");
    if (m == 0 || n == 0) return;
    /* OpenBLAS's own threads and OpenMP's fight over the cores (mostly spin
     * time) on the small GEMMs these networks run; only big ones get them. */
    const double flops = 2.0 * m * n * (double)k;
    openblas_set_num_threads(flops >= CPU_BLAS_THREADED_FLOPS ? omp_get_max_threads() : 1);
    for (int p = 0; p < batch; ++p) {
        float *cp = c + p * stride_c;
        if (k == 0) { /* BLAS leaves C * beta; make beta == 0 an overwrite */
            for (int i = 0; i < m; ++i)
                for (int j = 0; j < n; ++j)
                    cp[(int64_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * cp[(int64_t)i * ldc + j];
            continue;
        }
        cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                    trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a + p * stride_a, lda,
                    b + p * stride_b, ldb, beta, cp, ldc);
    }
}

static void cpu_bias_add(rise_backend *be, float *y, const float *bias, int e, int b, int n) {
    bias_add_ref(y, bias, e, b, n);
}

static void cpu_bias_grad(rise_backend *be, float *dbias, const float *dy, int e, int b, int n) {
    bias_grad_ref(dbias, dy, e, b, n);
}

static void cpu_fill(rise_backend *be, float *y, float value, size_t n) {
    CPU_CHUNKED(n, fill_ref(y + off, value, cnt));
}

static void cpu_scale(rise_backend *be, float *y, float alpha, size_t n) {
    CPU_CHUNKED(n, scale_ref(y + off, alpha, cnt));
}

static void cpu_axpy(rise_backend *be, float *y, float alpha, const float *x, size_t n) {
    CPU_CHUNKED(n, axpy_ref(y + off, alpha, x + off, cnt));
}

static void cpu_add(rise_backend *be, float *y, const float *a, const float *b, size_t n) {
    CPU_CHUNKED(n, add_ref(y + off, a + off, b + off, cnt));
}

static void cpu_mul(rise_backend *be, float *y, const float *a, const float *b, size_t n) {
    CPU_CHUNKED(n, mul_ref(y + off, a + off, b + off, cnt));
}

static void cpu_copy_cols(rise_backend *be, float *dst, int dst_ld, int dst_off, const float *src,
                          int src_ld, int src_off, int rows, int cols, int accumulate) {
    copy_cols_ref(dst, dst_ld, dst_off, src, src_ld, src_off, rows, cols, accumulate);
}

static void cpu_clamp(rise_backend *be, float *y, const float *x, float lo, float hi, size_t n) {
    CPU_CHUNKED(n, clamp_ref(y + off, x + off, lo, hi, cnt));
}

static void cpu_act_forward(rise_backend *be, rise_act act, float *y, const float *x, size_t n) {
    CPU_CHUNKED(n, act_forward_ref(act, y + off, x + off, cnt));
}

static void cpu_act_backward(rise_backend *be, rise_act act, float *dx, const float *dy,
                             const float *x, size_t n, int accumulate) {
    CPU_CHUNKED(n, act_backward_ref(act, dx + off, dy + off, x + off, cnt, accumulate));
}

static void cpu_layernorm_forward(rise_backend *be, float *y, float *mean, float *rstd,
                                  const float *x, const float *gamma, const float *beta, int rows,
                                  int cols, float eps) {
    layernorm_forward_ref(y, mean, rstd, x, gamma, beta, rows, cols, eps);
}

static void cpu_layernorm_backward(rise_backend *be, float *dx, float *dgamma, float *dbeta,
                                   const float *dy, const float *x, const float *mean,
                                   const float *rstd, const float *gamma, int rows, int cols,
                                   int accumulate) {
    layernorm_backward_ref(dx, dgamma, dbeta, dy, x, mean, rstd, gamma, rows, cols, accumulate);
}

static void cpu_dropout_forward(rise_backend *be, float *y, float *mask, const float *x, size_t n,
                                float p, rise_rng rng) {
    dropout_forward_ref(y, mask, x, n, p, rng);
}

static void cpu_rand_uniform(rise_backend *be, float *y, size_t n, float lo, float hi,
                             rise_rng rng) {
    rand_uniform_ref(y, n, lo, hi, rng);
}

static void cpu_rand_normal(rise_backend *be, float *y, size_t n, float mean, float std,
                            rise_rng rng) {
    rand_normal_ref(y, n, mean, std, rng);
}

static void cpu_mse(rise_backend *be, float *loss, float *dpred, const float *pred,
                    const float *target, const float *w, size_t n, float scale) {
    mse_ref(loss, dpred, pred, target, w, n, scale);
}

static void cpu_expectile(rise_backend *be, float *loss, float *dv, const float *q, const float *v,
                          size_t n, float tau, float scale) {
    expectile_ref(loss, dv, q, v, n, tau, scale);
}

static void cpu_td_target(rise_backend *be, float *y, const float *r, const float *done,
                          const float *v_next, size_t n, float gamma) {
    td_target_ref(y, r, done, v_next, n, gamma);
}

static void cpu_adam(rise_backend *be, float *param, const float *grad, float *m, float *v,
                     size_t n, const rise_adam_hparams *hp, int step, const float *grad_sumsq) {
    CPU_CHUNKED(n, adam_ref(param + off, grad + off, m + off, v + off, cnt, hp, step, grad_sumsq));
}

static void cpu_polyak(rise_backend *be, float *target, const float *src, size_t n, float tau) {
    CPU_CHUNKED(n, polyak_ref(target + off, src + off, cnt, tau));
}

static void cpu_reduce(rise_backend *be, rise_reduce_op op, float *out, const float *x, size_t n) {
    reduce_ref(op, out, x, n);
}

static void cpu_reduce_rows(rise_backend *be, rise_reduce_op op, float *out, const float *x,
                            int rows, int cols) {
    reduce_rows_ref(op, out, x, rows, cols);
}

static void cpu_spectral_norm_forward(rise_backend *be, float *sigma, float *u, float *v,
                                      const float *w, int rows, int cols, int iters) {
    spectral_norm_forward_ref(sigma, u, v, w, rows, cols, iters);
}

static void cpu_spectral_norm_backward(rise_backend *be, float *dw, const float *sigma,
                                       const float *u, const float *v, int rows, int cols,
                                       float lambda, int squared) {
    spectral_norm_backward_ref(dw, sigma, u, v, rows, cols, lambda, squared);
}

static void cpu_freq_embed_forward(rise_backend *be, float *y, const float *t, const float *f,
                                   int b, int h) {
    freq_embed_forward_ref(y, t, f, b, h);
}

static void cpu_freq_embed_backward(rise_backend *be, float *df, const float *dy, const float *t,
                                    const float *f, int b, int h) {
    freq_embed_backward_ref(df, dy, t, f, b, h);
}

rise_backend *rise_backend_cpu_create(rise_status *st) {
    rise_backend *be = calloc(1, sizeof *be);
    if (!be) {
        *st = rise_error(RISE_ERR_NOMEM, "cpu backend: out of host memory");
        return NULL;
    }
    be->name = "cpu";
    be->is_device = 0;
    be->destroy = cpu_destroy;
    be->alloc = cpu_alloc;
    be->free = cpu_free;
    be->upload = cpu_memcpy;
    be->download = cpu_memcpy;
    be->copy = cpu_memcpy;
    be->sync = cpu_sync;
    be->gemm = cpu_gemm;
    be->bias_add = cpu_bias_add;
    be->bias_grad = cpu_bias_grad;
    be->fill = cpu_fill;
    be->scale = cpu_scale;
    be->axpy = cpu_axpy;
    be->add = cpu_add;
    be->mul = cpu_mul;
    be->copy_cols = cpu_copy_cols;
    be->clamp = cpu_clamp;
    be->act_forward = cpu_act_forward;
    be->act_backward = cpu_act_backward;
    be->layernorm_forward = cpu_layernorm_forward;
    be->layernorm_backward = cpu_layernorm_backward;
    be->dropout_forward = cpu_dropout_forward;
    be->rand_uniform = cpu_rand_uniform;
    be->rand_normal = cpu_rand_normal;
    be->mse = cpu_mse;
    be->expectile = cpu_expectile;
    be->td_target = cpu_td_target;
    be->adam = cpu_adam;
    be->polyak = cpu_polyak;
    be->reduce = cpu_reduce;
    be->reduce_rows = cpu_reduce_rows;
    be->spectral_norm_forward = cpu_spectral_norm_forward;
    be->spectral_norm_backward = cpu_spectral_norm_backward;
    be->freq_embed_forward = cpu_freq_embed_forward;
    be->freq_embed_backward = cpu_freq_embed_backward;
    *st = RISE_OK;
    return be;
}
