/* backend_cuda.c - the CUDA backend table: cuBLAS GEMMs plus the handwritten
 * kernels of kernels/<op>.cu, all on one stream. Ops are asynchronous; the
 * first runtime error is kept and returned by sync(), except a failure while a graph is
 * being captured, which graph_end returns once (host/device_status.h). Without
 * RISE_WITH_CUDA (no nvcc at configure time) it only reports that it was not built. */
#include "backend.h"
#include "device_status.h"

#ifdef RISE_WITH_CUDA

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernels/activation.h"
#include "kernels/cuda_errors.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/layernorm.h"
#include "kernels/loss.h"
#include "kernels/optim.h"
#include "kernels/random.h"
#include "kernels/reduce.h"
#include "kernels/spectral_norm.h"
#include "kernels/time_embed.h"
#include "kernels/diffusion.h"
#include "kernels/extract.h"
#include "kernels/gaussian.h"
#include "kernels/gather.h"
#include "kernels/knn.h"
#include "kernels/conv1d.h"
#include "kernels/conv2d.h"
#include "kernels/cudnn_conv.h"
#include "kernels/film.h"
#include "kernels/group_norm.h"
#include "kernels/max_pool2d.h"
#include "kernels/spatial_softmax.h"

typedef struct {
    cudaStream_t stream;
    cublasHandle_t cublas;
    void *cublas_workspace; /* CUBLAS_WORKSPACE_BYTES */
    void *cudnn;            /* cudnnHandle_t on the stream, or NULL (not built / not loadable) */
    int device;
    rise_device_status errors; /* sticky status for sync, and the current capture's */
} cuda_impl;

#define CUBLAS_WORKSPACE_BYTES ((size_t)32 << 20)

#define IMPL(be)   ((cuda_impl *)(be)->impl)
#define STREAM(be) ((void *)IMPL(be)->stream)

/* Remembers a runtime error: for sync() to report, or, during a capture, for graph_end. */
static void cuda_note(rise_backend *be, cudaError_t e, const char *what) {
    if (e != cudaSuccess) rise_device_status_note(&IMPL(be)->errors, what, cudaGetErrorString(e));
}

/* Moves a failure a kernel launcher parked (kernels/cuda_errors.h) into the bookkeeping.
 * The parking slot is one per process: with two backends driven from two threads, one
 * backend may take the other's failure (a limit of the launchers not seeing a backend). */
static void cuda_take_parked(rise_backend *be) {
    char parked[400];
    if (rise_cuda_take_error(parked, sizeof parked))
        rise_device_status_note(&IMPL(be)->errors, "kernel launch", parked);
}

static void cuda_destroy(rise_backend *be) {
    cuda_impl *c = IMPL(be);
    cudaStreamSynchronize(c->stream);
    cublasDestroy(c->cublas);
    rise_cudnn_destroy(c->cudnn);
    cudaFree(c->cublas_workspace);
    cudaStreamDestroy(c->stream);
    free(c);
    free(be);
}

static void *cuda_alloc(rise_backend *be, size_t bytes) {
    void *p = NULL;
    cudaError_t e = cudaMalloc(&p, bytes ? bytes : 1);
    if (e != cudaSuccess) {
        /* out of memory is not sticky: clear it so the next kernel launch's
         * check does not mistake it for a failure of its own */
        (void)cudaGetLastError();
        rise_error(RISE_ERR_NOMEM, "cuda backend: cudaMalloc(%zu bytes): %s", bytes,
                   cudaGetErrorString(e));
        return NULL;
    }
    e = cudaMemsetAsync(p, 0, bytes ? bytes : 1, IMPL(be)->stream);
    cuda_note(be, e, "cudaMemsetAsync");
    return p;
}

static void cuda_free(rise_backend *be, void *p) {
    if (!p) return;
    cuda_note(be, cudaStreamSynchronize(IMPL(be)->stream), "cudaStreamSynchronize");
    cuda_note(be, cudaFree(p), "cudaFree");
}

static void cuda_upload(rise_backend *be, void *dst, const void *src, size_t bytes) {
    if (!bytes) return;
    cuda_note(be, cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, IMPL(be)->stream),
              "upload");
    cuda_note(be, cudaStreamSynchronize(IMPL(be)->stream), "upload sync");
}

static void cuda_download(rise_backend *be, void *dst, const void *src, size_t bytes) {
    if (!bytes) return;
    cuda_note(be, cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, IMPL(be)->stream),
              "download");
    cuda_note(be, cudaStreamSynchronize(IMPL(be)->stream), "download sync");
}

static void cuda_copy(rise_backend *be, void *dst, const void *src, size_t bytes) {
    if (!bytes) return;
    cuda_note(be, cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, IMPL(be)->stream),
              "copy");
}

/* Waits for the stream, then reports the first error of any kind: one seen
 * here (memory calls, the stream itself) or one a kernel launcher parked
 * (kernels/cuda_errors.h). The status is sticky: a device fault leaves the
 * CUDA context unusable, so every later sync reports it again. */
static rise_status cuda_sync(rise_backend *be) {
    cuda_note(be, cudaStreamSynchronize(IMPL(be)->stream), "cudaStreamSynchronize");
    cuda_take_parked(be);
    return rise_device_status_report(&IMPL(be)->errors);
}

static void cuda_gemm(rise_backend *be, int trans_a, int trans_b, int m, int n, int k, float alpha,
                      const float *a, int lda, int64_t stride_a, const float *b, int ldb,
                      int64_t stride_b, float beta, float *c, int ldc, int64_t stride_c,
                      int batch) {
    gemm_cuda(IMPL(be)->cublas, trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb,
              stride_b, beta, c, ldc, stride_c, batch);
}

static void cuda_bias_add(rise_backend *be, float *y, const float *bias, int e, int b, int n) {
    bias_add_cuda(STREAM(be), y, bias, e, b, n);
}
static void cuda_bias_grad(rise_backend *be, float *dbias, const float *dy, int e, int b, int n) {
    bias_grad_cuda(STREAM(be), dbias, dy, e, b, n);
}
static void cuda_fill(rise_backend *be, float *y, float value, size_t n) {
    fill_cuda(STREAM(be), y, value, n);
}
static void cuda_scale(rise_backend *be, float *y, float alpha, size_t n) {
    scale_cuda(STREAM(be), y, alpha, n);
}
static void cuda_axpy(rise_backend *be, float *y, float alpha, const float *x, size_t n) {
    axpy_cuda(STREAM(be), y, alpha, x, n);
}
static void cuda_add(rise_backend *be, float *y, const float *a, const float *b, size_t n) {
    add_cuda(STREAM(be), y, a, b, n);
}
static void cuda_mul(rise_backend *be, float *y, const float *a, const float *b, size_t n) {
    mul_cuda(STREAM(be), y, a, b, n);
}
static void cuda_copy_cols(rise_backend *be, float *dst, int dst_ld, int dst_off, const float *src,
                           int src_ld, int src_off, int rows, int cols, int accumulate) {
    copy_cols_cuda(STREAM(be), dst, dst_ld, dst_off, src, src_ld, src_off, rows, cols, accumulate);
}
static void cuda_counters_add(rise_backend *be, uint64_t *ctr, const uint64_t *delta, int n) {
    counters_add_cuda(STREAM(be), ctr, delta, n);
}

static void cuda_bias_act_forward(rise_backend *be, rise_act act, float *h, float *a,
                                  const float *bias, int e, int b, int n) {
    bias_act_forward_cuda(STREAM(be), act, h, a, bias, e, b, n);
}

static void cuda_act_bias_backward(rise_backend *be, rise_act act, float *dh, float *dbias,
                                   const float *da, const float *h, int e, int b, int n) {
    act_bias_backward_cuda(STREAM(be), act, dh, dbias, da, h, e, b, n);
}

static void cuda_clamp(rise_backend *be, float *y, const float *x, float lo, float hi, size_t n) {
    clamp_cuda(STREAM(be), y, x, lo, hi, n);
}
static void cuda_act_forward(rise_backend *be, rise_act act, float *y, const float *x, size_t n) {
    act_forward_cuda(STREAM(be), act, y, x, n);
}
static void cuda_act_backward(rise_backend *be, rise_act act, float *dx, const float *dy,
                              const float *x, size_t n, int accumulate) {
    act_backward_cuda(STREAM(be), act, dx, dy, x, n, accumulate);
}
static void cuda_layernorm_forward(rise_backend *be, float *y, float *mean, float *rstd,
                                   const float *x, const float *gamma, const float *beta, int rows,
                                   int cols, float eps) {
    layernorm_forward_cuda(STREAM(be), y, mean, rstd, x, gamma, beta, rows, cols, eps);
}
static void cuda_layernorm_backward(rise_backend *be, float *dx, float *dgamma, float *dbeta,
                                    const float *dy, const float *x, const float *mean,
                                    const float *rstd, const float *gamma, int rows, int cols,
                                    int accumulate) {
    layernorm_backward_cuda(STREAM(be), dx, dgamma, dbeta, dy, x, mean, rstd, gamma, rows, cols,
                            accumulate);
}
static void cuda_dropout_forward(rise_backend *be, float *y, float *mask, const float *x, size_t n,
                                 float p, rise_rng rng) {
    dropout_forward_cuda(STREAM(be), y, mask, x, n, p, rng);
}
static void cuda_rand_uniform(rise_backend *be, float *y, size_t n, float lo, float hi,
                              rise_rng rng) {
    rand_uniform_cuda(STREAM(be), y, n, lo, hi, rng);
}
static void cuda_rand_normal(rise_backend *be, float *y, size_t n, float mean, float std,
                             rise_rng rng) {
    rand_normal_cuda(STREAM(be), y, n, mean, std, rng);
}
static void cuda_mse(rise_backend *be, float *loss, float *dpred, const float *pred,
                     const float *target, const float *w, size_t n, float scale) {
    mse_cuda(STREAM(be), loss, dpred, pred, target, w, n, scale);
}
static void cuda_expectile(rise_backend *be, float *loss, float *dv, const float *q, const float *v,
                           size_t n, float tau, float scale) {
    expectile_cuda(STREAM(be), loss, dv, q, v, n, tau, scale);
}
static void cuda_td_target(rise_backend *be, float *y, const float *r, const float *done,
                           const float *v_next, size_t n, float gamma) {
    td_target_cuda(STREAM(be), y, r, done, v_next, n, gamma);
}
static void cuda_adam(rise_backend *be, float *param, const float *grad, float *m, float *v,
                      size_t n, const rise_adam_hparams *hp, int step, const float *grad_sumsq) {
    adam_cuda(STREAM(be), param, grad, m, v, n, hp, step, grad_sumsq);
}
static void cuda_polyak(rise_backend *be, float *target, const float *src, size_t n, float tau) {
    polyak_cuda(STREAM(be), target, src, n, tau);
}
static void cuda_ema(rise_backend *be, float *target, const float *src, size_t n,
                     const rise_ema_hparams *hp, int step) {
    ema_cuda(STREAM(be), target, src, n, hp, step);
}
static void cuda_reduce(rise_backend *be, rise_reduce_op op, float *out, const float *x, size_t n) {
    reduce_cuda(STREAM(be), op, out, x, n);
}
static void cuda_reduce_rows(rise_backend *be, rise_reduce_op op, float *out, const float *x,
                             int rows, int cols) {
    reduce_rows_cuda(STREAM(be), op, out, x, rows, cols);
}
static void cuda_spectral_norm_forward(rise_backend *be, float *sigma, float *u, float *v,
                                       const float *w, int rows, int cols, int iters, float tol) {
    spectral_norm_forward_cuda(STREAM(be), sigma, u, v, w, rows, cols, iters, tol);
}
static void cuda_spectral_norm_backward(rise_backend *be, float *dw, const float *sigma,
                                        const float *u, const float *v, int rows, int cols,
                                        float lambda, int squared) {
    spectral_norm_backward_cuda(STREAM(be), dw, sigma, u, v, rows, cols, lambda, squared);
}
static void cuda_freq_embed_forward(rise_backend *be, float *y, const float *t, const float *f,
                                    int b, int h) {
    freq_embed_forward_cuda(STREAM(be), y, t, f, b, h);
}
static void cuda_freq_embed_backward(rise_backend *be, float *df, const float *dy, const float *t,
                                     const float *f, int b, int h) {
    freq_embed_backward_cuda(STREAM(be), df, dy, t, f, b, h);
}

static void cuda_diffusion_q_sample(rise_backend *be, float *xt, float *eps, float *t_out,
                                    const float *x0, const float *sqrt_ab, const float *sqrt_1mab,
                                    int rows, int cols, int n_steps, rise_rng rng) {
    diffusion_q_sample_cuda(STREAM(be), xt, eps, t_out, x0, sqrt_ab, sqrt_1mab, rows, cols, n_steps,
                            rng);
}

static void cuda_gauss_logprob_forward(rise_backend *be, float *logp, const float *x,
                                       const float *mean, const float *log_std, int b, int a,
                                       int log_std_shared) {
    gauss_logprob_forward_cuda(STREAM(be), logp, x, mean, log_std, b, a, log_std_shared);
}

static void cuda_gauss_logprob_backward(rise_backend *be, float *dmean, float *dlog_std,
                                        const float *dlogp, const float *x, const float *mean,
                                        const float *log_std, int b, int a, int log_std_shared) {
    gauss_logprob_backward_cuda(STREAM(be), dmean, dlog_std, dlogp, x, mean, log_std, b, a,
                                log_std_shared);
}

static void cuda_awr_weights(rise_backend *be, float *w, const float *q, const float *v, int b,
                             float beta, float max_w) {
    awr_weights_cuda(STREAM(be), w, q, v, b, beta, max_w);
}

static void cuda_tanh_gauss_sample(rise_backend *be, float *act, float *logp, float *eps,
                                   const float *mean, const float *log_std, int b, int a,
                                   rise_rng rng) {
    tanh_gauss_sample_cuda(STREAM(be), act, logp, eps, mean, log_std, b, a, rng);
}

static void cuda_tanh_gauss_sample_backward(rise_backend *be, float *dmean, float *dlog_std,
                                            const float *da, const float *dlogp, const float *eps,
                                            const float *mean, const float *log_std,
                                            const float *act, int b, int a) {
    tanh_gauss_sample_backward_cuda(STREAM(be), dmean, dlog_std, da, dlogp, eps, mean, log_std, act,
                                    b, a);
}

static void cuda_logsumexp_rows_forward(rise_backend *be, float *out, const float *x, int rows,
                                        int cols) {
    logsumexp_rows_forward_cuda(STREAM(be), out, x, rows, cols);
}

static void cuda_logsumexp_rows_backward(rise_backend *be, float *dx, const float *dout,
                                         const float *x, const float *out, int rows, int cols) {
    logsumexp_rows_backward_cuda(STREAM(be), dx, dout, x, out, rows, cols);
}

static void cuda_exp_forward(rise_backend *be, float *y, const float *x, size_t n) {
    exp_forward_cuda(STREAM(be), y, x, n);
}

static void cuda_candidate_noise(rise_backend *be, float *y, const uint64_t *row_offset, int n,
                                 int k, int s, int w, uint64_t seed, uint32_t stream) {
    candidate_noise_cuda(STREAM(be), y, row_offset, n, k, s, w, seed, stream);
}

static void cuda_argmax_select(rise_backend *be, float *out, float *best_idx, const float *score,
                               const float *cand, int rows, int k, int width) {
    argmax_select_cuda(STREAM(be), out, best_idx, score, cand, rows, k, width);
}

/* Device-resident batches: argument checks on the host (as the CPU backend's), then one
 * asynchronous launch each. */
static void cuda_sample_indices(rise_backend *be, int32_t *idx, int batch, int64_t n,
                                const int32_t *pool_a, int64_t n_a, const int32_t *pool_b,
                                int64_t n_b, int batch_a, rise_rng rng) {
    gather_check_sample(batch, n, pool_a, n_a, pool_b, n_b, batch_a);
    sample_indices_cuda(STREAM(be), idx, batch, n, pool_a, n_a, pool_b, n_b, batch_a, rng);
}

static void cuda_gather_rows(rise_backend *be, float *out, const float *src, int64_t n,
                             const int32_t *idx, int rows, int cols, const float *shift,
                             const float *scale) {
    gather_check_shape("gather_rows", rows, 1, 1, cols, n);
    gather_rows_cuda(STREAM(be), out, src, n, idx, rows, cols, shift, scale);
}

static void cuda_gather_obs_history(rise_backend *be, float *out, const float *obs,
                                    const float *next_obs, const int32_t *traj, const int32_t *step,
                                    const int64_t *traj_start, int64_t n, const int32_t *idx,
                                    int batch, int to, int dim) {
    gather_check_shape("gather_obs_history", batch, to, 1, dim, n);
    gather_obs_history_cuda(STREAM(be), out, obs, next_obs, traj, step, traj_start, n, idx, batch,
                            to, dim);
}

static void cuda_gather_action_chunk(rise_backend *be, float *out, float *valid,
                                     const float *actions, const int32_t *traj, const int32_t *step,
                                     const int64_t *traj_start, const int64_t *traj_len, int64_t n,
                                     const int32_t *idx, int batch, int ta, int act_dim) {
    gather_check_shape("gather_action_chunk", batch, ta, 1, act_dim, n);
    gather_action_chunk_cuda(STREAM(be), out, valid, actions, traj, step, traj_start, traj_len, n,
                             idx, batch, ta, act_dim);
}

static void cuda_gather_frames(rise_backend *be, uint8_t *out, const uint8_t *frames,
                               const int32_t *traj, const int32_t *step, const int64_t *traj_start,
                               const int64_t *traj_len, int64_t n, const int32_t *idx, int batch,
                               int to, int next, int64_t frame_bytes) {
    gather_frames_cuda(STREAM(be), out, frames, traj, step, traj_start, traj_len, n, idx, batch, to,
                       next, frame_bytes);
}

static void cuda_crop_frames(rise_backend *be, float *out, int ld, int col0, const uint8_t *in,
                             int count, int h, int w, int c, int hc, int wc, int random,
                             rise_rng rng) {
    crop_frames_cuda(STREAM(be), out, ld, col0, in, count, h, w, c, hc, wc, random, rng);
}

static void cuda_action_noise(rise_backend *be, float *out, float *sigma_out, float *delta_norm,
                              const float *a, const float *sigma, int batch, int m, int act_dim,
                              rise_rng rng) {
    gather_check_shape("action_noise", batch, m, 0, act_dim, 0);
    action_noise_cuda(STREAM(be), out, sigma_out, delta_norm, a, sigma, batch, m, act_dim, rng);
}

static void cuda_knn_topk(rise_backend *be, int32_t *idx, float *dist, int32_t *count,
                          const float *q, int nq, const float *r, int nr, int f,
                          const rise_knn_params *p, void *scratch) {
    knn_topk_cuda(STREAM(be), idx, dist, count, q, nq, r, nr, f, p, scratch);
}

/* ---- CUDA graphs: stream capture in relaxed mode (a library's lazy allocation inside
 * the capture is allowed; ours are all made beforehand). Failures during a capture go to
 * the capture's own slot (host/device_status.h): graph_end reports them once and the
 * backend stays usable, so the caller can run the same ops eagerly. ---- */

static rise_status cuda_graph_begin(rise_backend *be) {
    cuda_impl *c = IMPL(be);
    /* The work issued so far, and any failure of it, stays the backend's: wait for it and
     * note what it left (a fault, a parked launch error, a stale last error) before the
     * capture's slot opens, so graph_end never reports it as the capture's. */
    cuda_note(be, cudaStreamSynchronize(c->stream),
              "before a graph capture: cudaStreamSynchronize");
    cuda_note(be, cudaGetLastError(), "before a graph capture");
    cuda_take_parked(be);
    RISE_TRY(rise_device_status_begin_capture(&c->errors));
    const cudaError_t e = cudaStreamBeginCapture(c->stream, cudaStreamCaptureModeRelaxed);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        cuda_note(be, e, "cudaStreamBeginCapture");
        return rise_device_status_end_capture(&c->errors);
    }
    return RISE_OK;
}

static rise_status cuda_graph_end(rise_backend *be, void **graph) {
    cuda_impl *c = IMPL(be);
    *graph = NULL;
    cudaGraph_t g = NULL;
    cuda_note(be, cudaStreamEndCapture(c->stream, &g), "cudaStreamEndCapture");
    cuda_take_parked(be); /* launches during the capture (e.g. into an invalidated one) */
    cudaGraphExec_t x = NULL;
    if (g && !c->errors.capture_failed)
        cuda_note(be, cudaGraphInstantiate(&x, g, 0), "cudaGraphInstantiate");
    if (g) cudaGraphDestroy(g);
    /* a failed capture leaves its error as the thread's last error: clear it, or the next
     * eager launch would report it as its own */
    (void)cudaGetLastError();
    const rise_status st = rise_device_status_end_capture(&c->errors);
    if (st != RISE_OK) {
        if (x) cudaGraphExecDestroy(x);
        return st;
    }
    if (!x) return rise_error(RISE_ERR_DEVICE, "cuda backend: graph capture produced no graph");
    *graph = x;
    return RISE_OK;
}

static void cuda_graph_launch(rise_backend *be, void *graph) {
    cuda_note(be, cudaGraphLaunch((cudaGraphExec_t)graph, IMPL(be)->stream), "cudaGraphLaunch");
}

static void cuda_graph_destroy(rise_backend *be, void *graph) {
    if (!graph) return;
    cuda_note(be, cudaStreamSynchronize(IMPL(be)->stream), "cudaStreamSynchronize");
    cuda_note(be, cudaGraphExecDestroy((cudaGraphExec_t)graph), "cudaGraphExecDestroy");
}

/* ---- the U-Net's ops: convolutions through kernels/conv1d.cu's dispatcher (cuDNN when
 * it loaded, else im2col + cuBLAS), GroupNorm and FiLM kernels ---- */

static size_t cuda_conv1d_workspace_bytes(rise_backend *be, const rise_conv1d_shape *s) {
    return conv1d_cuda_workspace_bytes(0, IMPL(be)->cudnn, s);
}
static void cuda_conv1d_forward(rise_backend *be, const rise_conv1d_shape *s, float *y,
                                const float *x, const float *w, const float *bias, void *ws) {
    conv1d_forward_cuda_variant(0, STREAM(be), IMPL(be)->cublas, IMPL(be)->cudnn, s, y, x, w, bias,
                                ws);
}
static void cuda_conv1d_backward_data(rise_backend *be, const rise_conv1d_shape *s, float *dx,
                                      const float *dy, const float *w, int accumulate, void *ws) {
    conv1d_backward_data_cuda_variant(0, STREAM(be), IMPL(be)->cublas, IMPL(be)->cudnn, s, dx, dy,
                                      w, accumulate, ws);
}
static void cuda_conv1d_backward_weight(rise_backend *be, const rise_conv1d_shape *s, float *dw,
                                        float *dbias, const float *dy, const float *x, void *ws) {
    conv1d_backward_weight_cuda_variant(0, STREAM(be), IMPL(be)->cublas, IMPL(be)->cudnn, s, dw,
                                        dbias, dy, x, ws);
}
/* ---- the image encoder's ops: conv2d (cuDNN or im2col + cuBLAS), max pool, spatial softmax ----
 */

static size_t cuda_conv2d_workspace_bytes(rise_backend *be, const rise_conv2d_shape *s) {
    return conv2d_cuda_workspace_bytes(0, IMPL(be)->cudnn, s);
}
static void cuda_conv2d_forward(rise_backend *be, const rise_conv2d_shape *s, float *y,
                                const float *x, const float *w, const float *bias, void *ws) {
    conv2d_forward_cuda(0, STREAM(be), IMPL(be)->cublas, IMPL(be)->cudnn, s, y, x, w, bias, ws);
}
static void cuda_conv2d_backward_data(rise_backend *be, const rise_conv2d_shape *s, float *dx,
                                      const float *dy, const float *w, int accumulate, void *ws) {
    conv2d_backward_data_cuda(0, STREAM(be), IMPL(be)->cublas, IMPL(be)->cudnn, s, dx, dy, w,
                              accumulate, ws);
}
static void cuda_conv2d_backward_weight(rise_backend *be, const rise_conv2d_shape *s, float *dw,
                                        float *dbias, const float *dy, const float *x, void *ws) {
    conv2d_backward_weight_cuda(0, STREAM(be), IMPL(be)->cublas, IMPL(be)->cudnn, s, dw, dbias, dy,
                                x, ws);
}
static void cuda_max_pool2d_forward(rise_backend *be, const rise_conv2d_shape *s, float *y,
                                    int32_t *idx, const float *x) {
    max_pool2d_forward_cuda(STREAM(be), s, y, idx, x);
}
static void cuda_max_pool2d_backward(rise_backend *be, const rise_conv2d_shape *s, float *dx,
                                     const float *dy, const int32_t *idx, int accumulate) {
    max_pool2d_backward_cuda(STREAM(be), s, dx, dy, idx, accumulate);
}
static void cuda_spatial_softmax_forward(rise_backend *be, float *y, float *attn, const float *x,
                                         int b, int h, int w, int c, float temperature) {
    spatial_softmax_forward_cuda(STREAM(be), y, attn, x, b, h, w, c, temperature);
}
static void cuda_spatial_softmax_backward(rise_backend *be, float *dx, const float *dy,
                                          const float *y, const float *attn, int b, int h, int w,
                                          int c, float temperature, int accumulate) {
    spatial_softmax_backward_cuda(STREAM(be), dx, dy, y, attn, b, h, w, c, temperature, accumulate);
}
static void cuda_group_norm_forward(rise_backend *be, float *y, float *mean, float *rstd,
                                    const float *x, const float *gamma, const float *beta, int b,
                                    int t, int c, int groups, float eps) {
    group_norm_forward_cuda(STREAM(be), y, mean, rstd, x, gamma, beta, b, t, c, groups, eps);
}
static void cuda_group_norm_backward(rise_backend *be, float *dx, float *dgamma, float *dbeta,
                                     const float *dy, const float *x, const float *mean,
                                     const float *rstd, const float *gamma, int b, int t, int c,
                                     int groups, int accumulate) {
    group_norm_backward_cuda(STREAM(be), dx, dgamma, dbeta, dy, x, mean, rstd, gamma, b, t, c,
                             groups, accumulate);
}
static void cuda_film_forward(rise_backend *be, float *y, const float *x, const float *emb, int b,
                              int t, int c) {
    film_forward_cuda(STREAM(be), y, x, emb, b, t, c);
}
static void cuda_film_backward(rise_backend *be, float *dx, float *demb, const float *dy,
                               const float *x, const float *emb, int b, int t, int c) {
    film_backward_cuda(STREAM(be), dx, demb, dy, x, emb, b, t, c);
}

void rise_backend_cuda_libs(rise_backend *be, void **cublas, void **cudnn) {
    if (cublas) *cublas = IMPL(be)->cublas;
    if (cudnn) *cudnn = IMPL(be)->cudnn;
}

int rise_backend_cuda_built(void) { return 1; }

rise_backend *rise_backend_cuda_create(rise_status *st) {
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess || count == 0) {
        *st = rise_error(RISE_ERR_NO_DEVICE, "cuda backend: no usable GPU (%s)",
                         e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
        return NULL;
    }
    rise_backend *be = calloc(1, sizeof *be);
    cuda_impl *c = calloc(1, sizeof *c);
    if (!be || !c) {
        free(be);
        free(c);
        *st = rise_error(RISE_ERR_NOMEM, "cuda backend: out of host memory");
        return NULL;
    }
    cudaGetDevice(&c->device);
    rise_device_status_init(&c->errors, "cuda");
    if ((e = cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking)) != cudaSuccess) {
        *st = rise_error(RISE_ERR_DEVICE, "cuda backend: cudaStreamCreate: %s",
                         cudaGetErrorString(e));
        free(be);
        free(c);
        return NULL;
    }
    cublasStatus_t cs = cublasCreate(&c->cublas);
    if (cs == CUBLAS_STATUS_SUCCESS) cs = cublasSetStream(c->cublas, c->stream);
    /* FP32 GEMMs (no TF32) so results stay comparable with the CPU reference. */
    if (cs == CUBLAS_STATUS_SUCCESS) cs = cublasSetMathMode(c->cublas, CUBLAS_DEFAULT_MATH);
    /* cuBLAS's own workspace, fixed up front so captured GEMMs never allocate. */
    if (cs == CUBLAS_STATUS_SUCCESS) {
        if (cudaMalloc(&c->cublas_workspace, CUBLAS_WORKSPACE_BYTES) != cudaSuccess) {
            (void)cudaGetLastError();
            cs = CUBLAS_STATUS_ALLOC_FAILED;
        } else {
            cs = cublasSetWorkspace(c->cublas, c->cublas_workspace, CUBLAS_WORKSPACE_BYTES);
        }
    }
    if (cs != CUBLAS_STATUS_SUCCESS) {
        *st = rise_error(RISE_ERR_DEVICE, "cuda backend: cuBLAS initialisation failed (status %d)",
                         (int)cs);
        if (c->cublas_workspace) cudaFree(c->cublas_workspace);
        if (c->cublas) cublasDestroy(c->cublas);
        cudaStreamDestroy(c->stream);
        free(be);
        free(c);
        return NULL;
    }
    /* cuDNN is optional: without it (not built, or the library fails to load) the
     * convolutions run on the handwritten / cuBLAS variants. */
    c->cudnn = rise_cudnn_create(c->stream);
    be->name = "cuda";
    be->is_device = 1;
    be->impl = c;
    be->stream = c->stream;
    be->destroy = cuda_destroy;
    be->alloc = cuda_alloc;
    be->free = cuda_free;
    be->upload = cuda_upload;
    be->download = cuda_download;
    be->copy = cuda_copy;
    be->sync = cuda_sync;
    be->gemm = cuda_gemm;
    be->bias_add = cuda_bias_add;
    be->bias_grad = cuda_bias_grad;
    be->fill = cuda_fill;
    be->scale = cuda_scale;
    be->axpy = cuda_axpy;
    be->add = cuda_add;
    be->mul = cuda_mul;
    be->copy_cols = cuda_copy_cols;
    be->clamp = cuda_clamp;
    be->counters_add = cuda_counters_add;
    be->act_forward = cuda_act_forward;
    be->act_backward = cuda_act_backward;
    be->bias_act_forward = cuda_bias_act_forward;
    be->act_bias_backward = cuda_act_bias_backward;
    be->layernorm_forward = cuda_layernorm_forward;
    be->layernorm_backward = cuda_layernorm_backward;
    be->dropout_forward = cuda_dropout_forward;
    be->rand_uniform = cuda_rand_uniform;
    be->rand_normal = cuda_rand_normal;
    be->mse = cuda_mse;
    be->expectile = cuda_expectile;
    be->td_target = cuda_td_target;
    be->adam = cuda_adam;
    be->polyak = cuda_polyak;
    be->ema = cuda_ema;
    be->reduce = cuda_reduce;
    be->reduce_rows = cuda_reduce_rows;
    be->spectral_norm_forward = cuda_spectral_norm_forward;
    be->spectral_norm_backward = cuda_spectral_norm_backward;
    be->freq_embed_forward = cuda_freq_embed_forward;
    be->freq_embed_backward = cuda_freq_embed_backward;
    be->diffusion_q_sample = cuda_diffusion_q_sample;
    be->gauss_logprob_forward = cuda_gauss_logprob_forward;
    be->gauss_logprob_backward = cuda_gauss_logprob_backward;
    be->awr_weights = cuda_awr_weights;
    be->tanh_gauss_sample = cuda_tanh_gauss_sample;
    be->tanh_gauss_sample_backward = cuda_tanh_gauss_sample_backward;
    be->logsumexp_rows_forward = cuda_logsumexp_rows_forward;
    be->logsumexp_rows_backward = cuda_logsumexp_rows_backward;
    be->exp_forward = cuda_exp_forward;
    be->argmax_select = cuda_argmax_select;
    be->candidate_noise = cuda_candidate_noise;
    be->sample_indices = cuda_sample_indices;
    be->gather_rows = cuda_gather_rows;
    be->gather_obs_history = cuda_gather_obs_history;
    be->gather_action_chunk = cuda_gather_action_chunk;
    be->action_noise = cuda_action_noise;
    be->gather_frames = cuda_gather_frames;
    be->crop_frames = cuda_crop_frames;
    be->knn_topk = cuda_knn_topk;
    be->conv1d_workspace_bytes = cuda_conv1d_workspace_bytes;
    be->conv1d_forward = cuda_conv1d_forward;
    be->conv1d_backward_data = cuda_conv1d_backward_data;
    be->conv1d_backward_weight = cuda_conv1d_backward_weight;
    be->conv2d_workspace_bytes = cuda_conv2d_workspace_bytes;
    be->conv2d_forward = cuda_conv2d_forward;
    be->conv2d_backward_data = cuda_conv2d_backward_data;
    be->conv2d_backward_weight = cuda_conv2d_backward_weight;
    be->max_pool2d_forward = cuda_max_pool2d_forward;
    be->max_pool2d_backward = cuda_max_pool2d_backward;
    be->spatial_softmax_forward = cuda_spatial_softmax_forward;
    be->spatial_softmax_backward = cuda_spatial_softmax_backward;
    be->group_norm_forward = cuda_group_norm_forward;
    be->group_norm_backward = cuda_group_norm_backward;
    be->film_forward = cuda_film_forward;
    be->film_backward = cuda_film_backward;
    be->graph_begin = cuda_graph_begin;
    be->graph_end = cuda_graph_end;
    be->graph_launch = cuda_graph_launch;
    be->graph_destroy = cuda_graph_destroy;
    *st = RISE_OK;
    return be;
}

#else

int rise_backend_cuda_built(void) { return 0; }

void rise_backend_cuda_libs(rise_backend *be, void **cublas, void **cudnn) {
    if (cublas) *cublas = NULL;
    if (cudnn) *cudnn = NULL;
}

rise_backend *rise_backend_cuda_create(rise_status *st) {
    *st = rise_error(RISE_ERR_NO_DEVICE,
                     "the CUDA backend was not built (no nvcc at configure time; "
                     "install the CUDA toolkit and reconfigure with -DRISE_CUDA=ON)");
    return NULL;
}

#endif
