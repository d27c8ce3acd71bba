/* backend.h - the backend table: every op the algorithms may call.
 *
 * Algorithms never see CUDA. They hold a `rise_backend *` and call ops through
 * its function pointers; `rise_backend_create("ref"|"cpu"|"cuda")` returns the
 * reference implementation (plain C, OpenBLAS, OpenMP: the specification), the
 * fast CPU one (vectorised kernels validated against the reference) or the CUDA
 * one (cuBLAS + handwritten kernels). All pointers passed to ops live in that
 * backend's memory (alloc/upload/download move data in and out). Ops are
 * asynchronous on CUDA; `sync` waits and returns the first error seen.
 *
 * Conventions shared by every op:
 *  - float32, row-major. Shape letters: E ensemble members, B rows (batch),
 *    N columns (features), M/K GEMM dims.
 *  - Ops that produce parameter gradients ACCUMULATE (+=) into them; the
 *    training step zeroes the gradient buffer first. Ops that produce
 *    activations or activation gradients OVERWRITE unless `accumulate` is set.
 *  - Scalar results (losses, norms, metrics) are written to backend memory so
 *    a step never needs a host synchronisation; read them back with download.
 *  - Randomness comes from Philox keyed by a rise_rng (kernels/philox.h), so
 *    both backends draw the same numbers.
 * What each op computes, its edge rules (empty inputs, NaN/Inf, fallbacks) and its
 * argument checks are described once, in the op family's header kernels/<op>.h, named
 * at each group below; the rules themselves are code shared by the reference and the
 * CUDA kernel there. The comments here only say which is which. */
#ifndef RISE_BACKEND_H
#define RISE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "../kernels/philox.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    RISE_ACT_IDENTITY = 0,
    RISE_ACT_RELU,
    RISE_ACT_MISH,
    RISE_ACT_GELU, /* tanh approximation, as PyTorch's approximate="tanh" */
    RISE_ACT_TANH,
    RISE_ACT_SILU,
    RISE_ACT_COUNT
} rise_act;

typedef enum {
    RISE_REDUCE_SUM = 0,
    RISE_REDUCE_SUMSQ,
    RISE_REDUCE_MEAN,
    RISE_REDUCE_MAX,
    RISE_REDUCE_MIN,
    RISE_REDUCE_ABSMAX,
    RISE_REDUCE_COUNT
} rise_reduce_op;

/* Adam / AdamW settings (the update: kernels/optim.h). weight_decay > 0 gives decoupled
 * decay (AdamW); max_grad_norm > 0 clips by the global norm sqrt(*grad_sumsq). */
typedef struct {
    float lr;
    float beta1;
    float beta2;
    float eps;
    float weight_decay;
    float max_grad_norm;
    /* NULL, or a counter in backend memory added to the op's step when it runs
     * (the agent's device clock, so a captured CUDA graph corrects each replay's bias) */
    const uint64_t *step_add;
} rise_adam_hparams;

/* EMA settings (the update and its decay: kernels/optim.h). Update n = step + *step_add
 * (counting from 1) uses decay rise_ema_decay(n, power, max_decay): power > 0 is
 * diffusers' EMAModel warm-up (0 at n = 1, then min(max_decay, 1 - n^-power)); power 0 the
 * fixed decay max_decay. */
typedef struct {
    float max_decay;
    float power;
    const uint64_t *step_add; /* as in rise_adam_hparams */
} rise_ema_hparams;

/* Settings of knn_topk (kernels/knn.h); the pointers are backend memory. */
typedef struct {
    int k;                            /* neighbours per query, 1 .. 1024 */
    float max_dist;                   /* Euclidean threshold; <= 0: none */
    const int32_t *q_group, *r_group; /* [nq], [nr]: only pairs of different groups; or both NULL */
    const float *q_match, *r_match;   /* [nq, match_dim], [nr, match_dim]; or both NULL */
    int match_dim;
    float match_tol; /* pairs need |q_match - r_match| <= match_tol in every column */
} rise_knn_params;

/* Shape of a 1-D convolution over channels-last sequences (kernels/conv1d.h):
 * x [batch, t_in, c_in] -> y [batch, t_out, c_out] with kernel k, stride, zero padding
 * pad on both ends; t_out = (t_in + 2 pad - k) / stride + 1 (floor). */
typedef struct {
    int batch, t_in, c_in, t_out, c_out, k, stride, pad;
} rise_conv1d_shape;

/* Shape of a 2-D convolution over channels-last images (kernels/conv2d.h):
 * x [batch, h_in, w_in, c_in] -> y [batch, h_out, w_out, c_out] with a kh x kw kernel, one
 * stride and zero padding pad on every side; h_out = (h_in + 2 pad - kh) / stride + 1 and
 * w_out likewise (floor). */
typedef struct {
    int batch, h_in, w_in, c_in, h_out, w_out, c_out, kh, kw, stride, pad;
} rise_conv2d_shape;

/* Precision of the GEMM inputs (accumulation and every other op stay fp32). */
typedef enum { RISE_PRECISION_FP32 = 0, RISE_PRECISION_BF16 } rise_precision;

typedef struct rise_backend rise_backend;

#define RISE_COUNTERS_MAX 8 /* counters_add's limit */

struct rise_backend {
    const char *name; /* "ref", "cpu" or "cuda" */
    int is_device;    /* 1 when memory is not host-addressable */
    void *impl;       /* backend private state (stream, handles, error) */
    /* the backend's cudaStream_t (opaque), the one every kernel launcher must be given
     * (tests calling _cuda_variant launchers take it from here); NULL on cpu */
    void *stream;

    /* ---- lifetime, memory, synchronisation ---- */
    void (*destroy)(rise_backend *be);
    void *(*alloc)(rise_backend *be, size_t bytes); /* zero-filled; NULL + rise_error on failure */
    void (*free)(rise_backend *be, void *p);
    void (*upload)(rise_backend *be, void *dst, const void *host_src, size_t bytes);
    void (*download)(rise_backend *be, void *host_dst, const void *src, size_t bytes);
    void (*copy)(rise_backend *be, void *dst, const void *src, size_t bytes);
    rise_status (*sync)(rise_backend *be);
    /* GEMM input precision for the ops that follow; NULL on a backend that computes in
     * fp32 only (ref, cuda). bf16 rounds GEMM inputs to bfloat16 and accumulates in fp32;
     * an error where the processor has no bf16 matmul. */
    rise_status (*set_precision)(rise_backend *be, rise_precision p);

    /* ---- dense algebra (kernels/gemm.h) ----
     * C[b] = alpha op(A[b]) op(B[b]) + beta C[b], strided-batched, row-major. */
    void (*gemm)(rise_backend *be, int trans_a, int trans_b, int m, int n, int k, float alpha,
                 const float *a, int lda, int64_t stride_a, const float *b, int ldb,
                 int64_t stride_b, float beta, float *c, int ldc, int64_t stride_c, int batch);
    /* y[e,b,:] += bias[e,:]. */
    void (*bias_add)(rise_backend *be, float *y, const float *bias, int e, int b, int n);
    /* dbias[e,:] += sum_b dy[e,b,:]. */
    void (*bias_grad)(rise_backend *be, float *dbias, const float *dy, int e, int b, int n);

    /* ---- element-wise (kernels/elementwise.h) ---- */
    void (*fill)(rise_backend *be, float *y, float value, size_t n);
    void (*scale)(rise_backend *be, float *y, float alpha, size_t n); /* y *= alpha */
    void (*axpy)(rise_backend *be, float *y, float alpha, const float *x,
                 size_t n); /* y += alpha x */
    void (*add)(rise_backend *be, float *y, const float *a, const float *b,
                size_t n); /* y = a + b */
    void (*mul)(rise_backend *be, float *y, const float *a, const float *b,
                size_t n); /* y = a * b */
    /* dst[r, dst_off + c] (+)= src[r, src_off + c]: concat and split. */
    void (*copy_cols)(rise_backend *be, float *dst, int dst_ld, int dst_off, const float *src,
                      int src_ld, int src_off, int rows, int cols, int accumulate);
    /* y = clamp(x, lo, hi). */
    void (*clamp)(rise_backend *be, float *y, const float *x, float lo, float hi, size_t n);
    /* ctr[i] += delta[i], delta on the host: a captured training step advances its own
     * device counters with it (algorithms/agent_clock.c). */
    void (*counters_add)(rise_backend *be, uint64_t *ctr, const uint64_t *delta, int n);

    /* ---- activations (kernels/activation.h) ----  y = f(x); dx (+)= dy * f'(x). */
    void (*act_forward)(rise_backend *be, rise_act act, float *y, const float *x, size_t n);
    void (*act_backward)(rise_backend *be, rise_act act, float *dx, const float *dy, const float *x,
                         size_t n, int accumulate);
    /* The linear layer's fused epilogues: bias_add + act_forward, act_backward + bias_grad,
     * each in one pass. */
    void (*bias_act_forward)(rise_backend *be, rise_act act, float *h, float *a, const float *bias,
                             int e, int b, int n);
    void (*act_bias_backward)(rise_backend *be, rise_act act, float *dh, float *dbias,
                              const float *da, const float *h, int e, int b, int n);

    /* ---- LayerNorm over the last dim (kernels/layernorm.h) ---- */
    void (*layernorm_forward)(rise_backend *be, float *y, float *mean, float *rstd, const float *x,
                              const float *gamma, const float *beta, int rows, int cols, float eps);
    void (*layernorm_backward)(rise_backend *be, float *dx, float *dgamma, float *dbeta,
                               const float *dy, const float *x, const float *mean,
                               const float *rstd, const float *gamma, int rows, int cols,
                               int accumulate);

    /* ---- dropout and random fills (kernels/random.h) ---- */
    void (*dropout_forward)(rise_backend *be, float *y, float *mask, const float *x, size_t n,
                            float p, rise_rng rng);

    void (*rand_uniform)(rise_backend *be, float *y, size_t n, float lo, float hi, rise_rng rng);
    void (*rand_normal)(rise_backend *be, float *y, size_t n, float mean, float std, rise_rng rng);

    /* ---- losses and the TD target (kernels/loss.h) ---- */
    void (*mse)(rise_backend *be, float *loss, float *dpred, const float *pred, const float *target,
                const float *w, size_t n, float scale);
    void (*expectile)(rise_backend *be, float *loss, float *dv, const float *q, const float *v,
                      size_t n, float tau, float scale);
    void (*td_target)(rise_backend *be, float *y, const float *r, const float *done,
                      const float *v_next, size_t n, float gamma);

    /* ---- optimiser and target networks over flat buffers (kernels/optim.h) ---- */
    void (*adam)(rise_backend *be, float *param, const float *grad, float *m, float *v, size_t n,
                 const rise_adam_hparams *hp, int step, const float *grad_sumsq);
    /* Polyak averaging and EMA alike. */
    void (*polyak)(rise_backend *be, float *target, const float *src, size_t n, float tau);
    /* The same with tau = 1 - decay of EMA update n = step (+ *hp->step_add). */
    void (*ema)(rise_backend *be, float *target, const float *src, size_t n,
                const rise_ema_hparams *hp, int step);

    /* ---- reductions, whole-buffer and per row (kernels/reduce.h) ---- */
    void (*reduce)(rise_backend *be, rise_reduce_op op, float *out, const float *x, size_t n);
    void (*reduce_rows)(rise_backend *be, rise_reduce_op op, float *out, const float *x, int rows,
                        int cols);

    /* ---- spectral norm by power iteration and its gradient (kernels/spectral_norm.h) ---- */
    void (*spectral_norm_forward)(rise_backend *be, float *sigma, float *u, float *v,
                                  const float *w, int rows, int cols, int iters, float tol);
    void (*spectral_norm_backward)(rise_backend *be, float *dw, const float *sigma, const float *u,
                                   const float *v, int rows, int cols, float lambda, int squared);

    /* ---- sinusoidal / Fourier time embedding (kernels/time_embed.h) ---- */
    void (*freq_embed_forward)(rise_backend *be, float *y, const float *t, const float *f, int b,
                               int h);
    void (*freq_embed_backward)(rise_backend *be, float *df, const float *dy, const float *t,
                                const float *f, int b, int h);

    /* ---- the fused diffusion forward process (kernels/diffusion.h) ---- */
    void (*diffusion_q_sample)(rise_backend *be, float *xt, float *eps, float *t_out,
                               const float *x0, const float *sqrt_ab, const float *sqrt_1mab,
                               int rows, int cols, int n_steps, rise_rng rng);

    /* ---- Gaussian actors and CQL's logsumexp penalty (kernels/gaussian.h) ---- */
    void (*gauss_logprob_forward)(rise_backend *be, float *logp, const float *x, const float *mean,
                                  const float *log_std, int b, int a, int log_std_shared);
    void (*gauss_logprob_backward)(rise_backend *be, float *dmean, float *dlog_std,
                                   const float *dlogp, const float *x, const float *mean,
                                   const float *log_std, int b, int a, int log_std_shared);
    void (*awr_weights)(rise_backend *be, float *w, const float *q, const float *v, int b,
                        float beta, float max_w);
    void (*tanh_gauss_sample)(rise_backend *be, float *a_out, float *logp, float *eps,
                              const float *mean, const float *log_std, int b, int a, rise_rng rng);
    void (*tanh_gauss_sample_backward)(rise_backend *be, float *dmean, float *dlog_std,
                                       const float *da, const float *dlogp, const float *eps,
                                       const float *mean, const float *log_std, const float *a_in,
                                       int b, int a);
    void (*logsumexp_rows_forward)(rise_backend *be, float *out, const float *x, int rows,
                                   int cols);
    void (*logsumexp_rows_backward)(rise_backend *be, float *dx, const float *dout, const float *x,
                                    const float *out, int rows, int cols);
    void (*exp_forward)(rise_backend *be, float *y, const float *x, size_t n);

    /* ---- policy extraction: fused argmax + gather, the candidates' noise
     * (kernels/extract.h) ---- */
    void (*argmax_select)(rise_backend *be, float *out, float *best_idx, const float *score,
                          const float *cand, int rows, int k, int width);
    void (*candidate_noise)(rise_backend *be, float *y, const uint64_t *row_offset, int n, int k,
                            int s, int w, uint64_t seed, uint32_t stream);

    /* ---- device-resident batches (kernels/gather.h): the host sampler and gathers of
     * data/ reproduced bit for bit from dataset arrays uploaded once ---- */
    void (*sample_indices)(rise_backend *be, int32_t *idx, int batch, int64_t n,
                           const int32_t *pool_a, int64_t n_a, const int32_t *pool_b, int64_t n_b,
                           int batch_a, rise_rng rng);
    void (*gather_rows)(rise_backend *be, float *out, const float *src, int64_t n,
                        const int32_t *idx, int rows, int cols, const float *shift,
                        const float *scale);
    void (*gather_obs_history)(rise_backend *be, float *out, const float *obs,
                               const float *next_obs, const int32_t *traj, const int32_t *step,
                               const int64_t *traj_start, int64_t n, const int32_t *idx, int batch,
                               int to, int dim);
    void (*gather_action_chunk)(rise_backend *be, float *out, float *valid, const float *actions,
                                const int32_t *traj, const int32_t *step, const int64_t *traj_start,
                                const int64_t *traj_len, int64_t n, const int32_t *idx, int batch,
                                int ta, int act_dim);
    void (*action_noise)(rise_backend *be, float *out, float *sigma_out, float *delta_norm,
                         const float *a, const float *sigma, int batch, int m, int act_dim,
                         rise_rng rng);
    /* camera frames: history gather from a resident uint8 frame array, and the crop to
     * float network inputs (random, robomimic's CropRandomizer; or centred) */
    void (*gather_frames)(rise_backend *be, uint8_t *out, const uint8_t *frames,
                          const int32_t *traj, const int32_t *step, const int64_t *traj_start,
                          const int64_t *traj_len, int64_t n, const int32_t *idx, int batch, int to,
                          int next, int64_t frame_bytes);
    void (*crop_frames)(rise_backend *be, float *out, int ld, int col0, const uint8_t *in,
                        int count, int h, int w, int c, int hc, int wc, int random, rise_rng rng);

    /* ---- thresholded k-nearest neighbours, rise_knn's result (kernels/knn.h) ---- */
    void (*knn_topk)(rise_backend *be, int32_t *idx, float *dist, int32_t *count, const float *q,
                     int nq, const float *r, int nr, int f, const rise_knn_params *p,
                     void *scratch);

    /* ---- 1-D convolution over channels-last sequences, forward, backward-data (also the
     * transposed convolution) and backward-weight + bias, with a caller's workspace
     * (kernels/conv1d.h) ---- */
    size_t (*conv1d_workspace_bytes)(rise_backend *be, const rise_conv1d_shape *s);
    void (*conv1d_forward)(rise_backend *be, const rise_conv1d_shape *s, float *y, const float *x,
                           const float *w, const float *bias, void *ws);
    void (*conv1d_backward_data)(rise_backend *be, const rise_conv1d_shape *s, float *dx,
                                 const float *dy, const float *w, int accumulate, void *ws);
    void (*conv1d_backward_weight)(rise_backend *be, const rise_conv1d_shape *s, float *dw,
                                   float *dbias, const float *dy, const float *x, void *ws);

    /* ---- 2-D convolution over channels-last images: forward, backward-data and
     * backward-weight + bias, with a caller's workspace (kernels/conv2d.h) ---- */
    size_t (*conv2d_workspace_bytes)(rise_backend *be, const rise_conv2d_shape *s);
    void (*conv2d_forward)(rise_backend *be, const rise_conv2d_shape *s, float *y, const float *x,
                           const float *w, const float *bias, void *ws);
    void (*conv2d_backward_data)(rise_backend *be, const rise_conv2d_shape *s, float *dx,
                                 const float *dy, const float *w, int accumulate, void *ws);
    void (*conv2d_backward_weight)(rise_backend *be, const rise_conv2d_shape *s, float *dw,
                                   float *dbias, const float *dy, const float *x, void *ws);

    /* ---- spatial softmax keypoints over channels-last feature maps
     * (kernels/spatial_softmax.h) ---- */
    void (*spatial_softmax_forward)(rise_backend *be, float *y, float *attn, const float *x, int b,
                                    int h, int w, int c, float temperature);
    void (*spatial_softmax_backward)(rise_backend *be, float *dx, const float *dy, const float *y,
                                     const float *attn, int b, int h, int w, int c,
                                     float temperature, int accumulate);

    /* ---- 2-D max pooling over channels-last images; forward saves the maxima's positions
     * idx (int32, as many as y) for backward (kernels/max_pool2d.h; s.c_out == s.c_in) ---- */
    void (*max_pool2d_forward)(rise_backend *be, const rise_conv2d_shape *s, float *y, int32_t *idx,
                               const float *x);
    void (*max_pool2d_backward)(rise_backend *be, const rise_conv2d_shape *s, float *dx,
                                const float *dy, const int32_t *idx, int accumulate);

    /* ---- GroupNorm over channels-last sequences (kernels/group_norm.h) ---- */
    void (*group_norm_forward)(rise_backend *be, float *y, float *mean, float *rstd, const float *x,
                               const float *gamma, const float *beta, int b, int t, int c,
                               int groups, float eps);
    void (*group_norm_backward)(rise_backend *be, float *dx, float *dgamma, float *dbeta,
                                const float *dy, const float *x, const float *mean,
                                const float *rstd, const float *gamma, int b, int t, int c,
                                int groups, int accumulate);

    /* ---- FiLM: per-row scale and bias broadcast over time (kernels/film.h) ---- */
    void (*film_forward)(rise_backend *be, float *y, const float *x, const float *emb, int b, int t,
                         int c);
    void (*film_backward)(rise_backend *be, float *dx, float *demb, const float *dy, const float *x,
                          const float *emb, int b, int t, int c);

    /* ---- CUDA graphs; all four NULL on a backend without them (cpu) ----
     * graph_begin starts recording: the ops issued until graph_end are captured, not run.
     * It first waits for the work already issued, so a failure of that work stays the
     * backend's own (sticky, reported by sync; graph_begin then refuses to capture).
     * graph_end stops recording and instantiates the capture into *graph (NULL and an
     * error on failure; recording stops either way). A failed capture is not sticky:
     * nothing it recorded ran, the backend stays usable and the caller issues the same
     * ops again without a graph (algorithms/agent_clock.c, agent_policy.c do, with a
     * warning). graph_launch replays a graph on the backend's stream; graph_destroy frees
     * it. Captured ops must not allocate, free, upload, download or sync, and their
     * by-value arguments are frozen: what must change between replays is read from
     * backend memory (rise_rng.offset_add, rise_adam_hparams.step_add). */
    rise_status (*graph_begin)(rise_backend *be);
    rise_status (*graph_end)(rise_backend *be, void **graph);
    void (*graph_launch)(rise_backend *be, void *graph);
    void (*graph_destroy)(rise_backend *be, void *graph);
};

/* "ref", "cpu" (also for NULL) or "cuda". Returns NULL with rise_last_error() set (status in *st,
 * RISE_ERR_NO_DEVICE when CUDA was not built or no GPU is present). */
rise_backend *rise_backend_create(const char *name, rise_status *st);
void rise_backend_destroy(rise_backend *be);

/* Parses "fp32" / "bf16" and applies it (fp32 is every backend's default); a clear error
 * for an unknown name or a backend without that precision. */
rise_status rise_backend_set_precision_name(rise_backend *be, const char *precision);

/* Whether the CUDA backend was compiled into this build. */
int rise_backend_cuda_built(void);

/* The CUDA backend's cublasHandle_t and cudnnHandle_t (NULL without cuDNN), opaquely, for
 * tests and benchmarks that call kernel variants directly; both NULL without CUDA. */
void rise_backend_cuda_libs(rise_backend *be, void **cublas, void **cudnn);

/* Implementations (host/backend_ref.c, host/backend_cpu.c, host/backend_cuda.c). */
rise_backend *rise_backend_ref_create(rise_status *st);
rise_backend *rise_backend_cpu_create(rise_status *st);
rise_backend *rise_backend_cuda_create(rise_status *st);

#ifdef __cplusplus
}
#endif
#endif
