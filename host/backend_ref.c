/* backend_ref.c - the reference backend table ("ref", the specification every other
 * backend is tested against): OpenBLAS for GEMM, the kernels/<op>_ref.c references for
 * everything else, split into OpenMP chunks where the work is large and element- or
 * row-independent (kernels/cpu_chunks.h). The fast CPU backend (backend_cpu.c) starts
 * from this table and replaces the entries worth speeding up.
 *
 * Determinism: every chunked op computes each output element (or row) exactly
 * as the serial reference does, so results are bitwise independent of the
 * thread count. Reductions across elements (losses, reduce, bias_grad and the
 * LayerNorm parameter gradients, spectral norm) run serially in the reference,
 * in double, in a fixed order. Random ops split on Philox block boundaries so
 * each chunk draws the same words as the serial reference. */
#include "backend.h"

#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/activation.h"
#include "../kernels/elementwise.h"
#include "../kernels/gemm.h"
#include "../kernels/layernorm.h"
#include "../kernels/loss.h"
#include "../kernels/optim.h"
#include "../kernels/random.h"
#include "../kernels/reduce.h"
#include "../kernels/spectral_norm.h"
#include "../kernels/time_embed.h"
#include "../kernels/diffusion.h"
#include "../kernels/extract.h"
#include "../kernels/gaussian.h"
#include "../kernels/gather.h"
#include "../kernels/knn.h"
#include "../kernels/knn_search.h"
#include "../kernels/cpu_chunks.h"
#include "../kernels/conv1d.h"
#include "../kernels/conv2d.h"
#include "../kernels/film.h"
#include "../kernels/group_norm.h"
#include "../kernels/max_pool2d.h"
#include "../kernels/spatial_softmax.h"

/* ---- lifetime, memory ---- */

static void ref_destroy(rise_backend *be) { free(be); }

/* 256-byte alignment (more than the 64 a cache line needs) because the arena
 * promises 256-byte aligned blocks (RISE_ARENA_ALIGN_FLOATS) carved from one
 * allocation, as cudaMalloc's alignment gives on the CUDA backend. */
#define CPU_ALLOC_ALIGN ((size_t)256)

static void *ref_alloc(rise_backend *be, size_t bytes) {
    const size_t rounded = (bytes + CPU_ALLOC_ALIGN - 1) / CPU_ALLOC_ALIGN * CPU_ALLOC_ALIGN;
    void *p = NULL;
    if (rounded < bytes ||
        posix_memalign(&p, CPU_ALLOC_ALIGN, rounded ? rounded : CPU_ALLOC_ALIGN) != 0) {
        rise_error(RISE_ERR_NOMEM, "%s backend: cannot allocate %zu bytes of host memory", be->name,
                   bytes);
        return NULL;
    }
    memset(p, 0, rounded ? rounded : CPU_ALLOC_ALIGN);
    return p;
}

static void ref_free(rise_backend *be, void *p) { free(p); }

static void ref_memcpy(rise_backend *be, void *dst, const void *src, size_t bytes) {
    if (bytes) memcpy(dst, src, bytes);
}

static rise_status ref_sync(rise_backend *be) { return RISE_OK; }

/* ---- dense algebra ---- */

/* GEMMs below this many flops run single-threaded in OpenBLAS. */
#define CPU_BLAS_THREADED_FLOPS 5e7

static void ref_gemm(rise_backend *be, int trans_a, int trans_b, int m, int n, int k, float alpha,
                     const float *a, int lda, int64_t stride_a, const float *b, int ldb,
                     int64_t stride_b, float beta, float *c, int ldc, int64_t stride_c, int batch) {
    gemm_check(trans_a, trans_b, m, n, k, lda, ldb, ldc, batch);
    if (m == 0 || n == 0) return;
    /* A pthreads OpenBLAS's own threads and OpenMP's fight over the cores (mostly spin
     * time) on the small GEMMs these networks run: on 2 cores the LN-ResNet demo ran 2.5x
     * slower with them, so only large products get them. An OpenMP OpenBLAS shares our
     * pool and picks its thread count itself (its openblas_set_num_threads would set the
     * whole program's OpenMP thread count). */
    const double flops = 2.0 * m * n * (double)k;
    if (openblas_get_parallel() != 2)
        openblas_set_num_threads(flops >= CPU_BLAS_THREADED_FLOPS ? omp_get_max_threads() : 1);
    for (int bi = 0; bi < batch; ++bi) {
        float *cb = c + (int64_t)bi * stride_c;
        if (k == 0) { /* C = beta C; BLAS would reject lda = 0 here */
            for (int i = 0; i < m; ++i)
                for (int j = 0; j < n; ++j) {
                    float *cij = &cb[(int64_t)i * ldc + j];
                    *cij = gemm_scale_c(beta, *cij);
                }
            continue;
        }
        /* BLAS requires leading dimensions >= 1 even for a single column. */
        const int lda_ = lda > 0 ? lda : 1, ldb_ = ldb > 0 ? ldb : 1, ldc_ = ldc > 0 ? ldc : 1;
        cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                    trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a + (int64_t)bi * stride_a,
                    lda_, b + (int64_t)bi * stride_b, ldb_, beta, cb, ldc_);
    }
}

static void ref_bias_add(rise_backend *be, float *y, const float *bias, int e, int b, int n) {
    bias_check("bias_add", e, b, n);
    for (int ei = 0; ei < e; ++ei) {
        float *ye = y + (int64_t)ei * b * n;
        const float *be_bias = bias + (int64_t)ei * n;
        CPU_FOR_CHUNKS((size_t)b, 1, n, bias_add_ref(ye + lo * n, be_bias, 1, (int)(hi - lo), n));
    }
}

static void ref_bias_grad(rise_backend *be, float *dbias, const float *dy, int e, int b, int n) {
    bias_grad_ref(dbias, dy, e, b, n);
}

/* ---- element-wise ---- */

static void ref_fill(rise_backend *be, float *y, float value, size_t n) {
    CPU_FOR_CHUNKS(n, 1, 1, fill_ref(y + lo, value, hi - lo));
}

static void ref_scale(rise_backend *be, float *y, float alpha, size_t n) {
    CPU_FOR_CHUNKS(n, 1, 1, scale_ref(y + lo, alpha, hi - lo));
}

static void ref_axpy(rise_backend *be, float *y, float alpha, const float *x, size_t n) {
    CPU_FOR_CHUNKS(n, 1, 1, axpy_ref(y + lo, alpha, x + lo, hi - lo));
}

static void ref_add(rise_backend *be, float *y, const float *a, const float *b, size_t n) {
    CPU_FOR_CHUNKS(n, 1, 1, add_ref(y + lo, a + lo, b + lo, hi - lo));
}

static void ref_mul(rise_backend *be, float *y, const float *a, const float *b, size_t n) {
    CPU_FOR_CHUNKS(n, 1, 1, mul_ref(y + lo, a + lo, b + lo, hi - lo));
}

static void ref_copy_cols(rise_backend *be, float *dst, int dst_ld, int dst_off, const float *src,
                          int src_ld, int src_off, int rows, int cols, int accumulate) {
    copy_cols_check(dst_ld, dst_off, src_ld, src_off, rows, cols);
    CPU_FOR_CHUNKS((size_t)rows, 1, cols,
                   copy_cols_ref(dst + (int64_t)lo * dst_ld, dst_ld, dst_off,
                                 src + (int64_t)lo * src_ld, src_ld, src_off, (int)(hi - lo), cols,
                                 accumulate));
}

static void ref_counters_add(rise_backend *be, uint64_t *ctr, const uint64_t *delta, int n) {
    (void)be;
    counters_add_ref(ctr, delta, n);
}

static void ref_clamp(rise_backend *be, float *y, const float *x, float lo_v, float hi_v,
                      size_t n) {
    clamp_check(lo_v, hi_v);
    CPU_FOR_CHUNKS(n, 1, 1, clamp_ref(y + lo, x + lo, lo_v, hi_v, hi - lo));
}

/* ---- activations (transcendentals: a smaller grain pays off) ---- */

static void ref_act_forward(rise_backend *be, rise_act act, float *y, const float *x, size_t n) {
    act_check("act_forward", act);
    CPU_FOR_CHUNKS(n, 1, 8, act_forward_ref(act, y + lo, x + lo, hi - lo));
}

static void ref_act_backward(rise_backend *be, rise_act act, float *dx, const float *dy,
                             const float *x, size_t n, int accumulate) {
    act_check("act_backward", act);
    CPU_FOR_CHUNKS(n, 1, 8, act_backward_ref(act, dx + lo, dy + lo, x + lo, hi - lo, accumulate));
}

/* Rows chunked per member: the bias (and the activation on the cache-hot chunk) in one
 * sweep. */
static void ref_bias_act_forward(rise_backend *be, rise_act act, float *h, float *a,
                                 const float *bias, int e, int b, int n) {
    act_check("bias_act_forward", act);
    act_check_shape("bias_act_forward", e, b, n);
    for (int ei = 0; ei < e; ++ei) {
        const size_t m = (size_t)ei * b * n;
        const float *bb = bias ? bias + (size_t)ei * n : NULL;
        CPU_FOR_CHUNKS(
            (size_t)b, 1, 8 * (size_t)n,
            bias_act_forward_ref(act, h + m + lo * n, a + m + lo * n, bb, 1, (int)(hi - lo), n));
    }
}

static void ref_act_bias_backward(rise_backend *be, rise_act act, float *dh, float *dbias,
                                  const float *da, const float *h, int e, int b, int n) {
    act_check_shape("act_bias_backward", e, b, n);
    ref_act_backward(be, act, dh, da, h, (size_t)e * b * n, 0);
    if (dbias) bias_grad_ref(dbias, dh, e, b, n);
}

/* ---- LayerNorm ---- */

static void ref_layernorm_forward(rise_backend *be, float *y, float *mean, float *rstd,
                                  const float *x, const float *gamma, const float *beta, int rows,
                                  int cols, float eps) {
    layernorm_check("layernorm_forward", rows, cols);
    layernorm_check_eps(eps);
    CPU_FOR_CHUNKS((size_t)rows, 1, 4 * (size_t)cols,
                   layernorm_forward_ref(y + lo * cols, mean + lo, rstd + lo, x + lo * cols, gamma,
                                         beta, (int)(hi - lo), cols, eps));
}

static void ref_layernorm_backward(rise_backend *be, float *dx, float *dgamma, float *dbeta,
                                   const float *dy, const float *x, const float *mean,
                                   const float *rstd, const float *gamma, int rows, int cols,
                                   int accumulate) {
    layernorm_check("layernorm_backward", rows, cols);
    if (dx)
        CPU_FOR_CHUNKS((size_t)rows, 1, 4 * (size_t)cols,
                       layernorm_backward_ref(dx + lo * cols, NULL, NULL, dy + lo * cols,
                                              x + lo * cols, mean + lo, rstd + lo, gamma,
                                              (int)(hi - lo), cols, accumulate));
    if (dgamma || dbeta)
        layernorm_backward_ref(NULL, dgamma, dbeta, dy, x, mean, rstd, gamma, rows, cols, 0);
}

/* ---- randomness: chunks start on Philox block boundaries; a data-parallel window is
 * resolved into the draw's skip first (kernels/philox.h), so every chunk sees it ---- */

static rise_rng rng_at_block(rise_rng rng, size_t blocks) {
    rng.offset += blocks;
    return rng;
}

static void ref_dropout_forward(rise_backend *be, float *y, float *mask, const float *x, size_t n,
                                float p, rise_rng rng) {
    dropout_check(p);
    rng = rise_rng_slice(rng, n);
    CPU_FOR_CHUNKS(
        n, 4, 4,
        dropout_forward_ref(y + lo, mask + lo, x + lo, hi - lo, p, rng_at_block(rng, lo / 4)));
}

static void ref_rand_uniform(rise_backend *be, float *y, size_t n, float lo_v, float hi_v,
                             rise_rng rng) {
    rng = rise_rng_slice(rng, n);
    CPU_FOR_CHUNKS(n, 4, 4,
                   rand_uniform_ref(y + lo, hi - lo, lo_v, hi_v, rng_at_block(rng, lo / 4)));
}

static void ref_rand_normal(rise_backend *be, float *y, size_t n, float mean, float std,
                            rise_rng rng) {
    rng = rise_rng_slice(rng, n);
    CPU_FOR_CHUNKS(n, 2, 8, rand_normal_ref(y + lo, hi - lo, mean, std, rng_at_block(rng, lo / 2)));
}

/* ---- losses (serial: the loss is a sum in double, in a fixed order) ---- */

static void ref_mse(rise_backend *be, float *loss, float *dpred, const float *pred,
                    const float *target, const float *w, size_t n, float scale) {
    mse_ref(loss, dpred, pred, target, w, n, scale);
}

static void ref_expectile(rise_backend *be, float *loss, float *dv, const float *q, const float *v,
                          size_t n, float tau, float scale) {
    expectile_ref(loss, dv, q, v, n, tau, scale);
}

static void ref_td_target(rise_backend *be, float *y, const float *r, const float *done,
                          const float *v_next, size_t n, float gamma) {
    CPU_FOR_CHUNKS(n, 1, 1, td_target_ref(y + lo, r + lo, done + lo, v_next + lo, hi - lo, gamma));
}

/* ---- optimiser ---- */

static void ref_adam(rise_backend *be, float *param, const float *grad, float *m, float *v,
                     size_t n, const rise_adam_hparams *hp, int step, const float *grad_sumsq) {
    adam_check(hp, step);
    CPU_FOR_CHUNKS(n, 1, 4,
                   adam_ref(param + lo, grad + lo, m + lo, v + lo, hi - lo, hp, step, grad_sumsq));
}

static void ref_polyak(rise_backend *be, float *target, const float *src, size_t n, float tau) {
    CPU_FOR_CHUNKS(n, 1, 1, polyak_ref(target + lo, src + lo, hi - lo, tau));
}

static void ref_ema(rise_backend *be, float *target, const float *src, size_t n,
                    const rise_ema_hparams *hp, int step) {
    ema_check(hp, step);
    CPU_FOR_CHUNKS(n, 1, 1, ema_ref(target + lo, src + lo, hi - lo, hp, step));
}

/* ---- reductions ---- */

static void ref_reduce(rise_backend *be, rise_reduce_op op, float *out, const float *x, size_t n) {
    reduce_ref(op, out, x, n);
}

static void ref_reduce_rows(rise_backend *be, rise_reduce_op op, float *out, const float *x,
                            int rows, int cols) {
    reduce_rows_check(op, rows, cols);
    CPU_FOR_CHUNKS((size_t)rows, 1, cols,
                   reduce_rows_ref(op, out + lo, x + lo * cols, (int)(hi - lo), cols));
}

/* ---- spectral norm (power iteration is sequential) ---- */

static void ref_spectral_norm_forward(rise_backend *be, float *sigma, float *u, float *v,
                                      const float *w, int rows, int cols, int iters, float tol) {
    spectral_norm_forward_ref(sigma, u, v, w, rows, cols, iters, tol);
}

static void ref_spectral_norm_backward(rise_backend *be, float *dw, const float *sigma,
                                       const float *u, const float *v, int rows, int cols,
                                       float lambda, int squared) {
    spectral_norm_backward_ref(dw, sigma, u, v, rows, cols, lambda, squared);
}

/* ---- time embedding ---- */

static void ref_freq_embed_forward(rise_backend *be, float *y, const float *t, const float *f,
                                   int b, int h) {
    freq_embed_check(b, h);
    CPU_FOR_CHUNKS((size_t)b, 1, 16 * (size_t)h,
                   freq_embed_forward_ref(y + lo * 2 * h, t + lo, f, (int)(hi - lo), h));
}

static void ref_freq_embed_backward(rise_backend *be, float *df, const float *dy, const float *t,
                                    const float *f, int b, int h) {
    freq_embed_backward_ref(df, dy, t, f, b, h);
}

/* ---- diffusion (cheap: B x A elements; single-threaded) ---- */

static void ref_diffusion_q_sample(rise_backend *be, float *xt, float *eps, float *t_out,
                                   const float *x0, const float *sqrt_ab, const float *sqrt_1mab,
                                   int rows, int cols, int n_steps, rise_rng rng) {
    (void)be;
    diffusion_q_sample_ref(xt, eps, t_out, x0, sqrt_ab, sqrt_1mab, rows, cols, n_steps, rng);
}

/* ---- Gaussian actors (rows independent: chunked by rows; the shared
 * log_std gradient is a column sum, serial in the reference's order) ---- */

#define GAUSS_SHAPE_OK(op, b, a) gaussian_check_shape(op, b, a)

static void ref_gauss_logprob_forward(rise_backend *be, float *logp, const float *x,
                                      const float *mean, const float *log_std, int b, int a,
                                      int log_std_shared) {
    GAUSS_SHAPE_OK("gauss_logprob_forward", b, a);
    const size_t sa = (size_t)a;
    CPU_FOR_CHUNKS((size_t)b, 1, 8 * sa,
                   gauss_logprob_forward_ref(logp + lo, x + lo * sa, mean + lo * sa,
                                             log_std_shared ? log_std : log_std + lo * sa,
                                             (int)(hi - lo), a, log_std_shared));
}

static void ref_gauss_logprob_backward(rise_backend *be, float *dmean, float *dlog_std,
                                       const float *dlogp, const float *x, const float *mean,
                                       const float *log_std, int b, int a, int log_std_shared) {
    GAUSS_SHAPE_OK("gauss_logprob_backward", b, a);
    if (log_std_shared) {
        gauss_logprob_backward_ref(dmean, dlog_std, dlogp, x, mean, log_std, b, a, 1);
        return;
    }
    const size_t sa = (size_t)a;
    CPU_FOR_CHUNKS((size_t)b, 1, 8 * sa,
                   gauss_logprob_backward_ref(dmean + lo * sa, dlog_std + lo * sa, dlogp + lo,
                                              x + lo * sa, mean + lo * sa, log_std + lo * sa,
                                              (int)(hi - lo), a, 0));
}

static void ref_awr_weights(rise_backend *be, float *w, const float *q, const float *v, int b,
                            float beta, float max_w) {
    GAUSS_SHAPE_OK("awr_weights", b, 1);
    CPU_FOR_CHUNKS((size_t)b, 1, 8,
                   awr_weights_ref(w + lo, q + lo, v + lo, (int)(hi - lo), beta, max_w));
}

/* Chunks start on even rows, so on even noise elements: whole Philox blocks. */
static void ref_tanh_gauss_sample(rise_backend *be, float *act, float *logp, float *eps,
                                  const float *mean, const float *log_std, int b, int a,
                                  rise_rng rng) {
    GAUSS_SHAPE_OK("tanh_gauss_sample", b, a);
    const size_t sa = (size_t)a;
    rng = rise_rng_slice(rng, (size_t)b * sa);
    CPU_FOR_CHUNKS((size_t)b, 2, 32 * sa,
                   tanh_gauss_sample_ref(act + lo * sa, logp + lo, eps + lo * sa, mean + lo * sa,
                                         log_std + lo * sa, (int)(hi - lo), a,
                                         rng_at_block(rng, lo * sa / 2)));
}

static void ref_tanh_gauss_sample_backward(rise_backend *be, float *dmean, float *dlog_std,
                                           const float *da, const float *dlogp, const float *eps,
                                           const float *mean, const float *log_std,
                                           const float *act, int b, int a) {
    GAUSS_SHAPE_OK("tanh_gauss_sample_backward", b, a);
    const size_t sa = (size_t)a;
    CPU_FOR_CHUNKS((size_t)b, 1, 16 * sa,
                   tanh_gauss_sample_backward_ref(
                       dmean + lo * sa, dlog_std + lo * sa, da ? da + lo * sa : NULL,
                       dlogp ? dlogp + lo : NULL, eps + lo * sa, mean + lo * sa, log_std + lo * sa,
                       act + lo * sa, (int)(hi - lo), a));
}

static void ref_logsumexp_rows_forward(rise_backend *be, float *out, const float *x, int rows,
                                       int cols) {
    GAUSS_SHAPE_OK("logsumexp_rows_forward", rows, cols);
    const size_t sc = (size_t)cols;
    CPU_FOR_CHUNKS((size_t)rows, 1, 8 * sc,
                   logsumexp_rows_forward_ref(out + lo, x + lo * sc, (int)(hi - lo), cols));
}

static void ref_logsumexp_rows_backward(rise_backend *be, float *dx, const float *dout,
                                        const float *x, const float *out, int rows, int cols) {
    GAUSS_SHAPE_OK("logsumexp_rows_backward", rows, cols);
    const size_t sc = (size_t)cols;
    CPU_FOR_CHUNKS((size_t)rows, 1, 8 * sc,
                   logsumexp_rows_backward_ref(dx + lo * sc, dout + lo, x + lo * sc, out + lo,
                                               (int)(hi - lo), cols));
}

static void ref_exp_forward(rise_backend *be, float *y, const float *x, size_t n) {
    CPU_FOR_CHUNKS(n, 1, 8, exp_forward_ref(y + lo, x + lo, hi - lo));
}

static void ref_candidate_noise(rise_backend *be, float *y, const uint64_t *row_offset, int n,
                                int k, int s, int w, uint64_t seed, uint32_t stream) {
    candidate_noise_check(n, k, s, w);
    CPU_FOR_CHUNKS((size_t)n, 1, (size_t)k * (size_t)s * (size_t)w * 8,
                   candidate_noise_ref(y, row_offset, (int)lo, (int)hi, n, k, s, w, seed, stream));
}

static void ref_argmax_select(rise_backend *be, float *out, float *best_idx, const float *score,
                              const float *cand, int rows, int k, int width) {
    argmax_select_check(rows, k, width);
    CPU_FOR_CHUNKS((size_t)rows, 1, (size_t)k + (size_t)width,
                   argmax_select_ref(out + lo * width, best_idx ? best_idx + lo : NULL,
                                     score + lo * k, cand + lo * k * width, (int)(hi - lo), k,
                                     width));
}

/* ---- device-resident batches (rows independent: chunked by rows) ----
 * A gathered float is a copy, ~1/16 of the work CPU_GRAIN counts per element, so a
 * gather only splits over threads from ~256K floats: a training batch (B = 256, a few
 * thousand floats) stays on one thread, where waking a second one costs more than the copy
 * (a 28k-float action chunk: 10 us on one thread, 42-85 us on two with
 * OMP_WAIT_POLICY=passive, bench_data_ops). */
#define CPU_COPY_WORK(floats_per_row) ((floats_per_row) / 16 + 1)

static void ref_sample_indices(rise_backend *be, int32_t *idx, int batch, int64_t n,
                               const int32_t *pool_a, int64_t n_a, const int32_t *pool_b,
                               int64_t n_b, int batch_a, rise_rng rng) {
    gather_check_sample(batch, n, pool_a, n_a, pool_b, n_b, batch_a);
    rng = rise_rng_slice(rng, (size_t)batch);
    /* slots are absolute, so any split draws the same words */
    CPU_FOR_CHUNKS(
        (size_t)batch, 1, 64,
        sample_indices_ref(idx, (int)lo, (int)hi, n, pool_a, n_a, pool_b, n_b, batch_a, rng));
}

static void ref_gather_rows(rise_backend *be, float *out, const float *src, int64_t n,
                            const int32_t *idx, int rows, int cols, const float *shift,
                            const float *scale) {
    gather_check_shape("gather_rows", rows, 1, 1, cols, n);
    const size_t sc = (size_t)cols;
    CPU_FOR_CHUNKS(
        (size_t)rows, 1, CPU_COPY_WORK(sc),
        gather_rows_ref(out + lo * sc, src, n, idx + lo, (int)(hi - lo), cols, shift, scale));
}

static void ref_gather_obs_history(rise_backend *be, float *out, const float *obs,
                                   const float *next_obs, const int32_t *traj, const int32_t *step,
                                   const int64_t *traj_start, int64_t n, const int32_t *idx,
                                   int batch, int to, int dim) {
    gather_check_shape("gather_obs_history", batch, to, 1, dim, n);
    const size_t row = (size_t)to * (size_t)dim;
    CPU_FOR_CHUNKS((size_t)batch, 1, CPU_COPY_WORK(row),
                   gather_obs_history_ref(out + lo * row, obs, next_obs, traj, step, traj_start, n,
                                          idx + lo, (int)(hi - lo), to, dim));
}

static void ref_gather_action_chunk(rise_backend *be, float *out, float *valid,
                                    const float *actions, const int32_t *traj, const int32_t *step,
                                    const int64_t *traj_start, const int64_t *traj_len, int64_t n,
                                    const int32_t *idx, int batch, int ta, int act_dim) {
    gather_check_shape("gather_action_chunk", batch, ta, 1, act_dim, n);
    const size_t row = (size_t)ta * (size_t)act_dim;
    CPU_FOR_CHUNKS((size_t)batch, 1, CPU_COPY_WORK(row + (size_t)ta),
                   gather_action_chunk_ref(out + lo * row, valid ? valid + lo * ta : NULL, actions,
                                           traj, step, traj_start, traj_len, n, idx + lo,
                                           (int)(hi - lo), ta, act_dim));
}

/* Chunks start on even rows, so on even noise elements: whole Philox blocks. */
static void ref_action_noise(rise_backend *be, float *out, float *sigma_out, float *delta_norm,
                             const float *a, const float *sigma, int batch, int m, int act_dim,
                             rise_rng rng) {
    gather_check_shape("action_noise", batch, m, 0, act_dim, 0);
    const size_t sm = (size_t)m, sa = (size_t)act_dim;
    rng = rise_rng_slice(rng, (size_t)batch * sm * sa);
    CPU_FOR_CHUNKS((size_t)batch, 2, 32 * sm * sa,
                   action_noise_ref(out + lo * sm * sa, sigma_out ? sigma_out + lo * sm : NULL,
                                    delta_norm ? delta_norm + lo * sm : NULL, a + lo * sa, sigma,
                                    (int)(hi - lo), m, act_dim,
                                    rng_at_block(rng, lo * sm * sa / 2)));
}

static void ref_gather_frames(rise_backend *be, uint8_t *out, const uint8_t *frames,
                              const int32_t *traj, const int32_t *step, const int64_t *traj_start,
                              const int64_t *traj_len, int64_t n, const int32_t *idx, int batch,
                              int to, int next, int64_t frame_bytes) {
    RISE_ASSERT(frame_bytes >= 0 && frame_bytes <= INT32_MAX, "gather_frames: %lld bytes a frame",
                (long long)frame_bytes);
    gather_check_shape("gather_frames", batch, to, 1, (int)frame_bytes, n);
    const size_t row = (size_t)to * (size_t)frame_bytes;
    CPU_FOR_CHUNKS((size_t)batch, 1, row / 64 + 1,
                   gather_frames_ref(out + lo * row, frames, traj, step, traj_start, traj_len, n,
                                     idx + lo, (int)(hi - lo), to, next, frame_bytes));
}

/* Frame indices are absolute, so any split draws the same offsets. */
static void ref_crop_frames(rise_backend *be, float *out, int ld, int col0, const uint8_t *in,
                            int count, int h, int w, int c, int hc, int wc, int random,
                            rise_rng rng) {
    crop_frames_check(count, h, w, c, hc, wc, ld, col0);
    CPU_FOR_CHUNKS(
        (size_t)count, 1, (size_t)hc * wc * c,
        crop_frames_ref(out, ld, col0, in, (int)lo, (int)hi, h, w, c, hc, wc, random, rng));
}

/* ---- neighbour search: kernels/knn_search.c's tiled kNN (exact, OpenMP over query tiles), its
 * int64 indices parked in the scratch and narrowed to int32 ---- */

static void ref_knn_topk(rise_backend *be, int32_t *idx, float *dist, int32_t *count,
                         const float *q, int nq, const float *r, int nr, int f,
                         const rise_knn_params *p, void *scratch) {
    knn_topk_check(p, nq, nr, f, scratch);
    if (nq == 0) return;
    rise_knn_opts o;
    rise_knn_opts_default(&o);
    o.k = p->k;
    o.max_dist = p->max_dist;
    o.q_group = p->q_group, o.r_group = p->r_group;
    o.q_match = p->q_match, o.r_match = p->r_match;
    o.match_dim = p->match_dim;
    o.match_tol = p->match_tol;
    int64_t *idx64 = (int64_t *)scratch;
    const rise_status st = rise_knn(q, nq, r, nr, f, &o, idx64, dist, count);
    RISE_ASSERT(st == RISE_OK, "knn_topk: %s", rise_last_error());
    const size_t total = (size_t)nq * (size_t)p->k;
    for (size_t i = 0; i < total; ++i) idx[i] = (int32_t)idx64[i];
}

/* ---- 1-D convolution: im2col (OpenMP rows) + one GEMM per pass through the table's
 * gemm, so the fast CPU table (backend_cpu.c) runs its own GEMM here without an entry
 * of its own; a pointwise convolution is the GEMM on x itself. Held to conv1d_ref.c's
 * direct loops by tests/cpu/test_ops_conv1d.c. ---- */

static size_t ref_conv1d_workspace_bytes(rise_backend *be, const rise_conv1d_shape *s) {
    conv1d_check("conv1d_workspace_bytes", s);
    return sizeof(float) * conv1d_col_floats(s);
}

/* col = im2col(x), or x itself when pointwise. */
static const float *ref_conv1d_cols(const rise_conv1d_shape *s, const float *x, void *ws) {
    if (conv1d_is_pointwise(s)) return x;
    RISE_ASSERT(ws != NULL, "conv1d: NULL workspace for a shape that needs %zu floats",
                conv1d_col_floats(s));
    float *col = ws;
    const size_t rows = (size_t)s->batch * s->t_out;
    CPU_FOR_CHUNKS(rows, 1, (size_t)s->k * s->c_in, conv1d_im2col_ref(s, col, x, lo, hi));
    return col;
}

static void ref_conv1d_forward(rise_backend *be, const rise_conv1d_shape *s, float *y,
                               const float *x, const float *w, const float *bias, void *ws) {
    conv1d_check("conv1d_forward", s);
    const int m = s->batch * s->t_out, kk = s->k * s->c_in;
    if (m == 0) return;
    const float *col = ref_conv1d_cols(s, x, ws);
    be->gemm(be, 0, 1, m, s->c_out, kk, 1.0f, col, kk, 0, w, kk, 0, 0.0f, y, s->c_out, 0, 1);
    if (bias) be->bias_add(be, y, bias, 1, m, s->c_out);
}

static void ref_conv1d_backward_data(rise_backend *be, const rise_conv1d_shape *s, float *dx,
                                     const float *dy, const float *w, int accumulate, void *ws) {
    conv1d_check("conv1d_backward_data", s);
    const int m = s->batch * s->t_out, kk = s->k * s->c_in;
    if (m == 0) return;
    if (conv1d_is_pointwise(s)) {
        be->gemm(be, 0, 0, m, kk, s->c_out, 1.0f, dy, s->c_out, 0, w, kk, 0,
                 accumulate ? 1.0f : 0.0f, dx, kk, 0, 1);
        return;
    }
    RISE_ASSERT(ws != NULL, "conv1d_backward_data: NULL workspace");
    float *dcol = ws;
    be->gemm(be, 0, 0, m, kk, s->c_out, 1.0f, dy, s->c_out, 0, w, kk, 0, 0.0f, dcol, kk, 0, 1);
    CPU_FOR_CHUNKS((size_t)s->batch, 1, (size_t)s->t_in * s->c_in * s->k,
                   conv1d_col2im_ref(s, dx, dcol, accumulate, (int)lo, (int)hi));
}

static void ref_conv1d_backward_weight(rise_backend *be, const rise_conv1d_shape *s, float *dw,
                                       float *dbias, const float *dy, const float *x, void *ws) {
    conv1d_check("conv1d_backward_weight", s);
    const int m = s->batch * s->t_out, kk = s->k * s->c_in;
    if (m == 0) return;
    if (dw) {
        const float *col = ref_conv1d_cols(s, x, ws);
        be->gemm(be, 1, 0, s->c_out, kk, m, 1.0f, dy, s->c_out, 0, col, kk, 0, 1.0f, dw, kk, 0, 1);
    }
    if (dbias) be->bias_grad(be, dbias, dy, 1, m, s->c_out);
}

/* ---- 2-D convolution: im2col (OpenMP rows) + one GEMM per pass through the table's gemm,
 * as conv1d above (the fast CPU table inherits it with its own GEMM). Held to conv2d_ref.c's
 * direct loops by tests/cpu/test_ops_conv2d.c. ---- */

static size_t ref_conv2d_workspace_bytes(rise_backend *be, const rise_conv2d_shape *s) {
    conv2d_check("conv2d_workspace_bytes", s);
    return sizeof(float) * conv2d_col_floats(s);
}

static const float *ref_conv2d_cols(const rise_conv2d_shape *s, const float *x, void *ws) {
    if (conv2d_is_pointwise(s)) return x;
    RISE_ASSERT(ws != NULL, "conv2d: NULL workspace for a shape that needs %zu floats",
                conv2d_col_floats(s));
    float *col = ws;
    const size_t rows = (size_t)s->batch * s->h_out * s->w_out;
    CPU_FOR_CHUNKS(rows, 1, (size_t)conv2d_col_width(s), conv2d_im2col_ref(s, col, x, lo, hi));
    return col;
}

static void ref_conv2d_forward(rise_backend *be, const rise_conv2d_shape *s, float *y,
                               const float *x, const float *w, const float *bias, void *ws) {
    conv2d_check("conv2d_forward", s);
    const int m = s->batch * s->h_out * s->w_out, kk = conv2d_col_width(s);
    if (m == 0) return;
    const float *col = ref_conv2d_cols(s, x, ws);
    be->gemm(be, 0, 1, m, s->c_out, kk, 1.0f, col, kk, 0, w, kk, 0, 0.0f, y, s->c_out, 0, 1);
    if (bias) be->bias_add(be, y, bias, 1, m, s->c_out);
}

static void ref_conv2d_backward_data(rise_backend *be, const rise_conv2d_shape *s, float *dx,
                                     const float *dy, const float *w, int accumulate, void *ws) {
    conv2d_check("conv2d_backward_data", s);
    const int m = s->batch * s->h_out * s->w_out, kk = conv2d_col_width(s);
    if (m == 0) return;
    if (conv2d_is_pointwise(s)) {
        be->gemm(be, 0, 0, m, kk, s->c_out, 1.0f, dy, s->c_out, 0, w, kk, 0,
                 accumulate ? 1.0f : 0.0f, dx, kk, 0, 1);
        return;
    }
    RISE_ASSERT(ws != NULL, "conv2d_backward_data: NULL workspace");
    float *dcol = ws;
    be->gemm(be, 0, 0, m, kk, s->c_out, 1.0f, dy, s->c_out, 0, w, kk, 0, 0.0f, dcol, kk, 0, 1);
    CPU_FOR_CHUNKS((size_t)s->batch, 1, (size_t)s->h_in * s->w_in * s->c_in * s->kh * s->kw,
                   conv2d_col2im_ref(s, dx, dcol, accumulate, (int)lo, (int)hi));
}

static void ref_conv2d_backward_weight(rise_backend *be, const rise_conv2d_shape *s, float *dw,
                                       float *dbias, const float *dy, const float *x, void *ws) {
    conv2d_check("conv2d_backward_weight", s);
    const int m = s->batch * s->h_out * s->w_out, kk = conv2d_col_width(s);
    if (m == 0) return;
    if (dw) {
        const float *col = ref_conv2d_cols(s, x, ws);
        be->gemm(be, 1, 0, s->c_out, kk, m, 1.0f, dy, s->c_out, 0, col, kk, 0, 1.0f, dw, kk, 0, 1);
    }
    if (dbias) be->bias_grad(be, dbias, dy, 1, m, s->c_out);
}

/* ---- spatial softmax (batch items in parallel) ---- */

static void ref_spatial_softmax_forward(rise_backend *be, float *y, float *attn, const float *x,
                                        int b, int h, int w, int c, float temperature) {
    spatial_softmax_check("spatial_softmax_forward", b, h, w, c, temperature);
    const size_t map = (size_t)h * w * c;
    CPU_FOR_CHUNKS((size_t)b, 1, 8 * map,
                   spatial_softmax_forward_ref(y + lo * 2 * c, attn + lo * map, x + lo * map,
                                               (int)(hi - lo), h, w, c, temperature));
}

static void ref_spatial_softmax_backward(rise_backend *be, float *dx, const float *dy,
                                         const float *y, const float *attn, int b, int h, int w,
                                         int c, float temperature, int accumulate) {
    spatial_softmax_check("spatial_softmax_backward", b, h, w, c, temperature);
    const size_t map = (size_t)h * w * c;
    CPU_FOR_CHUNKS((size_t)b, 1, 4 * map,
                   spatial_softmax_backward_ref(dx + lo * map, dy + lo * 2 * c, y + lo * 2 * c,
                                                attn + lo * map, (int)(hi - lo), h, w, c,
                                                temperature, accumulate));
}

/* ---- max pooling (batch items in parallel) ---- */

static void ref_max_pool2d_forward(rise_backend *be, const rise_conv2d_shape *s, float *y,
                                   int32_t *idx, const float *x) {
    max_pool2d_check("max_pool2d_forward", s);
    const size_t work = (size_t)s->h_out * s->w_out * s->c_out * s->kh * s->kw;
    CPU_FOR_CHUNKS((size_t)s->batch, 1, work,
                   max_pool2d_forward_ref(s, y, idx, x, (int)lo, (int)hi));
}

static void ref_max_pool2d_backward(rise_backend *be, const rise_conv2d_shape *s, float *dx,
                                    const float *dy, const int32_t *idx, int accumulate) {
    max_pool2d_check("max_pool2d_backward", s);
    const size_t work = (size_t)s->h_in * s->w_in * s->c_in * s->kh * s->kw;
    CPU_FOR_CHUNKS((size_t)s->batch, 1, work,
                   max_pool2d_backward_ref(s, dx, dy, idx, accumulate, (int)lo, (int)hi));
}

/* ---- GroupNorm (batch items in parallel; parameter sums serial in double) ---- */

static void ref_group_norm_forward(rise_backend *be, float *y, float *mean, float *rstd,
                                   const float *x, const float *gamma, const float *beta, int b,
                                   int t, int c, int groups, float eps) {
    group_norm_check("group_norm_forward", b, t, c, groups);
    group_norm_check_eps(eps);
    const size_t row = (size_t)t * c;
    CPU_FOR_CHUNKS((size_t)b, 1, 4 * row,
                   group_norm_forward_ref(y + lo * row, mean + lo * groups, rstd + lo * groups,
                                          x + lo * row, gamma, beta, (int)(hi - lo), t, c, groups,
                                          eps));
}

static void ref_group_norm_backward(rise_backend *be, float *dx, float *dgamma, float *dbeta,
                                    const float *dy, const float *x, const float *mean,
                                    const float *rstd, const float *gamma, int b, int t, int c,
                                    int groups, int accumulate) {
    group_norm_check("group_norm_backward", b, t, c, groups);
    const size_t row = (size_t)t * c;
    if (dx)
        CPU_FOR_CHUNKS((size_t)b, 1, 4 * row,
                       group_norm_backward_ref(dx + lo * row, NULL, NULL, dy + lo * row,
                                               x + lo * row, mean + lo * groups, rstd + lo * groups,
                                               gamma, (int)(hi - lo), t, c, groups, accumulate));
    if (dgamma || dbeta)
        group_norm_backward_ref(NULL, dgamma, dbeta, dy, x, mean, rstd, gamma, b, t, c, groups, 0);
}

/* ---- FiLM (batch items in parallel) ---- */

static void ref_film_forward(rise_backend *be, float *y, const float *x, const float *emb, int b,
                             int t, int c) {
    film_check("film_forward", b, t, c);
    const size_t row = (size_t)t * c;
    CPU_FOR_CHUNKS(
        (size_t)b, 1, row,
        film_forward_ref(y + lo * row, x + lo * row, emb + lo * 2 * c, (int)(hi - lo), t, c));
}

static void ref_film_backward(rise_backend *be, float *dx, float *demb, const float *dy,
                              const float *x, const float *emb, int b, int t, int c) {
    film_check("film_backward", b, t, c);
    const size_t row = (size_t)t * c;
    CPU_FOR_CHUNKS((size_t)b, 1, 2 * row,
                   film_backward_ref(dx ? dx + lo * row : NULL, demb ? demb + lo * 2 * c : NULL,
                                     dy + lo * row, x + lo * row, emb + lo * 2 * c, (int)(hi - lo),
                                     t, c));
}

rise_backend *rise_backend_ref_create(rise_status *st) {
    rise_status local;
    if (!st) st = &local;
    rise_backend *be = (rise_backend *)calloc(1, sizeof *be);
    if (!be) {
        *st = rise_error(RISE_ERR_NOMEM, "ref backend: cannot allocate the backend table");
        return NULL;
    }
    be->name = "ref";
    be->is_device = 0;
    be->impl = NULL;
    be->destroy = ref_destroy;
    be->alloc = ref_alloc;
    be->free = ref_free;
    be->upload = ref_memcpy;
    be->download = ref_memcpy;
    be->copy = ref_memcpy;
    be->sync = ref_sync;
    be->gemm = ref_gemm;
    be->bias_add = ref_bias_add;
    be->bias_grad = ref_bias_grad;
    be->fill = ref_fill;
    be->scale = ref_scale;
    be->axpy = ref_axpy;
    be->add = ref_add;
    be->mul = ref_mul;
    be->copy_cols = ref_copy_cols;
    be->clamp = ref_clamp;
    be->counters_add = ref_counters_add;
    be->act_forward = ref_act_forward;
    be->act_backward = ref_act_backward;
    be->bias_act_forward = ref_bias_act_forward;
    be->act_bias_backward = ref_act_bias_backward;
    be->layernorm_forward = ref_layernorm_forward;
    be->layernorm_backward = ref_layernorm_backward;
    be->dropout_forward = ref_dropout_forward;
    be->rand_uniform = ref_rand_uniform;
    be->rand_normal = ref_rand_normal;
    be->mse = ref_mse;
    be->expectile = ref_expectile;
    be->td_target = ref_td_target;
    be->adam = ref_adam;
    be->polyak = ref_polyak;
    be->ema = ref_ema;
    be->reduce = ref_reduce;
    be->reduce_rows = ref_reduce_rows;
    be->spectral_norm_forward = ref_spectral_norm_forward;
    be->spectral_norm_backward = ref_spectral_norm_backward;
    be->freq_embed_forward = ref_freq_embed_forward;
    be->freq_embed_backward = ref_freq_embed_backward;
    be->diffusion_q_sample = ref_diffusion_q_sample;
    be->gauss_logprob_forward = ref_gauss_logprob_forward;
    be->gauss_logprob_backward = ref_gauss_logprob_backward;
    be->awr_weights = ref_awr_weights;
    be->tanh_gauss_sample = ref_tanh_gauss_sample;
    be->tanh_gauss_sample_backward = ref_tanh_gauss_sample_backward;
    be->logsumexp_rows_forward = ref_logsumexp_rows_forward;
    be->logsumexp_rows_backward = ref_logsumexp_rows_backward;
    be->exp_forward = ref_exp_forward;
    be->argmax_select = ref_argmax_select;
    be->candidate_noise = ref_candidate_noise;
    be->sample_indices = ref_sample_indices;
    be->gather_rows = ref_gather_rows;
    be->gather_obs_history = ref_gather_obs_history;
    be->gather_action_chunk = ref_gather_action_chunk;
    be->action_noise = ref_action_noise;
    be->gather_frames = ref_gather_frames;
    be->crop_frames = ref_crop_frames;
    be->knn_topk = ref_knn_topk;
    be->conv1d_workspace_bytes = ref_conv1d_workspace_bytes;
    be->conv1d_forward = ref_conv1d_forward;
    be->conv1d_backward_data = ref_conv1d_backward_data;
    be->conv1d_backward_weight = ref_conv1d_backward_weight;
    be->conv2d_workspace_bytes = ref_conv2d_workspace_bytes;
    be->conv2d_forward = ref_conv2d_forward;
    be->conv2d_backward_data = ref_conv2d_backward_data;
    be->conv2d_backward_weight = ref_conv2d_backward_weight;
    be->max_pool2d_forward = ref_max_pool2d_forward;
    be->max_pool2d_backward = ref_max_pool2d_backward;
    be->spatial_softmax_forward = ref_spatial_softmax_forward;
    be->spatial_softmax_backward = ref_spatial_softmax_backward;
    be->group_norm_forward = ref_group_norm_forward;
    be->group_norm_backward = ref_group_norm_backward;
    be->film_forward = ref_film_forward;
    be->film_backward = ref_film_backward;
    *st = RISE_OK;
    return be;
}
