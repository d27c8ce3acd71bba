/* backend.h - the backend table: every op the algorithms may call.
 *
 * Algorithms never see CUDA. They hold a `rise_backend *` and call ops through
 * its function pointers; `rise_backend_create("cpu"|"cuda")` returns the CPU
 * reference implementation (plain C, OpenBLAS, OpenMP) or the CUDA one
 * (cuBLAS + handwritten kernels). All pointers passed to ops live in that
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
 *    both backends draw the same numbers. */
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

/* Adam / AdamW. weight_decay > 0 gives decoupled decay (AdamW):
 *   p -= lr * (m_hat / (sqrt(v_hat) + eps) + weight_decay * p).
 * max_grad_norm > 0 clips by global norm: g *= min(1, max_norm / (norm + 1e-6)),
 * where norm = sqrt(*grad_sumsq) is computed on the backend beforehand. */
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

typedef struct rise_backend rise_backend;

#define RISE_COUNTERS_MAX 8 /* counters_add's limit */

struct rise_backend {
    const char *name; /* "cpu" or "cuda" */
    int is_device;    /* 1 when memory is not host-addressable */
    void *impl;       /* backend private state (stream, handles, error) */
    void *stream;     /* opaque cudaStream_t for kernels' _cuda_variant launchers; NULL on cpu */

    /* ---- lifetime, memory, synchronisation ---- */
    void (*destroy)(rise_backend *be);
    void *(*alloc)(rise_backend *be, size_t bytes); /* zero-filled; NULL + rise_error on failure */
    void (*free)(rise_backend *be, void *p);
    void (*upload)(rise_backend *be, void *dst, const void *host_src, size_t bytes);
    void (*download)(rise_backend *be, void *host_dst, const void *src, size_t bytes);
    void (*copy)(rise_backend *be, void *dst, const void *src, size_t bytes);
    rise_status (*sync)(rise_backend *be);

    /* ---- dense algebra ----
     * C[b] = alpha * op(A[b]) * op(B[b]) + beta * C[b], b < batch, row-major;
     * op(A) is M x K, op(B) is K x N. A stride of 0 broadcasts one matrix. */
    void (*gemm)(rise_backend *be, int trans_a, int trans_b, int m, int n, int k, float alpha,
                 const float *a, int lda, int64_t stride_a, const float *b, int ldb,
                 int64_t stride_b, float beta, float *c, int ldc, int64_t stride_c, int batch);
    /* y[e,b,:] += bias[e,:] for y [E,B,N], bias [E,N]. */
    void (*bias_add)(rise_backend *be, float *y, const float *bias, int e, int b, int n);
    /* dbias[e,:] += sum_b dy[e,b,:]. */
    void (*bias_grad)(rise_backend *be, float *dbias, const float *dy, int e, int b, int n);

    /* ---- element-wise ---- */
    void (*fill)(rise_backend *be, float *y, float value, size_t n);
    void (*scale)(rise_backend *be, float *y, float alpha, size_t n); /* y *= alpha */
    void (*axpy)(rise_backend *be, float *y, float alpha, const float *x,
                 size_t n); /* y += alpha x */
    void (*add)(rise_backend *be, float *y, const float *a, const float *b,
                size_t n); /* y = a + b */
    void (*mul)(rise_backend *be, float *y, const float *a, const float *b,
                size_t n); /* y = a * b */
    /* dst[r, dst_off + c] (+)= src[r, src_off + c] for r < rows, c < cols: concat and split. */
    void (*copy_cols)(rise_backend *be, float *dst, int dst_ld, int dst_off, const float *src,
                      int src_ld, int src_off, int rows, int cols, int accumulate);
    /* y = clamp(x, lo, hi). */
    void (*clamp)(rise_backend *be, float *y, const float *x, float lo, float hi, size_t n);
    /* ctr[i] += delta[i] for i < n <= RISE_COUNTERS_MAX: ctr in backend memory, delta on
     * the host (copied into the op). A captured training step advances its own device
     * counters with it (algorithms/agent_clock.c). */
    void (*counters_add)(rise_backend *be, uint64_t *ctr, const uint64_t *delta, int n);

    /* ---- activations ----  y = f(x); dx (+)= dy * f'(x). */
    void (*act_forward)(rise_backend *be, rise_act act, float *y, const float *x, size_t n);
    void (*act_backward)(rise_backend *be, rise_act act, float *dx, const float *dy, const float *x,
                         size_t n, int accumulate);
    /* The linear layer's fused epilogues, for h, a, dh, da [E,B,N] and bias, dbias [E,N]
     * (either may be NULL: no bias): h[e,b,:] += bias[e,:], a = f(h) (h keeps the
     * pre-activation); dh = da f'(h) (overwritten), dbias[e,:] += sum_b dh[e,b,:]. Each is
     * the composition bias_add + act_forward, act_backward + bias_grad in one pass. */
    void (*bias_act_forward)(rise_backend *be, rise_act act, float *h, float *a, const float *bias,
                             int e, int b, int n);
    void (*act_bias_backward)(rise_backend *be, rise_act act, float *dh, float *dbias,
                              const float *da, const float *h, int e, int b, int n);

    /* ---- LayerNorm over the last dim (rows x cols); gamma/beta may be NULL
     * (no affine). mean/rstd [rows] are saved for backward.
     * Backward: dx (+)= ..., dgamma += ..., dbeta += .... */
    void (*layernorm_forward)(rise_backend *be, float *y, float *mean, float *rstd, const float *x,
                              const float *gamma, const float *beta, int rows, int cols, float eps);
    void (*layernorm_backward)(rise_backend *be, float *dx, float *dgamma, float *dbeta,
                               const float *dy, const float *x, const float *mean,
                               const float *rstd, const float *gamma, int rows, int cols,
                               int accumulate);

    /* ---- dropout: element i is kept iff uniform(rng, i) >= p; mask holds the
     * scale (0 or 1/(1-p)); y = x * mask. Backward is mul(dx, dy, mask). ---- */
    void (*dropout_forward)(rise_backend *be, float *y, float *mask, const float *x, size_t n,
                            float p, rise_rng rng);

    /* ---- random fills (element i from rng as in philox.h) ---- */
    void (*rand_uniform)(rise_backend *be, float *y, size_t n, float lo, float hi, rise_rng rng);
    void (*rand_normal)(rise_backend *be, float *y, size_t n, float mean, float std, rise_rng rng);

    /* ---- losses: the scalar loss goes to *loss (backend memory), the gradient
     * to dpred (overwritten), already scaled by `scale` / n. ---- */
    /* loss = scale * mean(w_i (pred_i - target_i)^2); w may be NULL (all 1). */
    void (*mse)(rise_backend *be, float *loss, float *dpred, const float *pred, const float *target,
                const float *w, size_t n, float scale);
    /* u = q - v; loss = scale * mean(|tau - 1(u<0)| u^2); dv = d loss / d v. */
    void (*expectile)(rise_backend *be, float *loss, float *dv, const float *q, const float *v,
                      size_t n, float tau, float scale);
    /* y = r + gamma * (1 - done) * v_next. */
    void (*td_target)(rise_backend *be, float *y, const float *r, const float *done,
                      const float *v_next, size_t n, float gamma);

    /* ---- optimiser and target networks over flat buffers ---- */
    /* grad_sumsq: backend scalar sum of squared gradients, or NULL (no clipping). */
    void (*adam)(rise_backend *be, float *param, const float *grad, float *m, float *v, size_t n,
                 const rise_adam_hparams *hp, int step, const float *grad_sumsq);
    /* target = (1 - tau) * target + tau * src: Polyak averaging and EMA alike. */
    void (*polyak)(rise_backend *be, float *target, const float *src, size_t n, float tau);

    /* ---- reductions: *out = reduce(x[0..n)) ---- */
    void (*reduce)(rise_backend *be, rise_reduce_op op, float *out, const float *x, size_t n);
    /* out[r] = reduce over cols of x[r, :] (per-row metrics, argmax support). */
    void (*reduce_rows)(rise_backend *be, rise_reduce_op op, float *out, const float *x, int rows,
                        int cols);

    /* ---- spectral norm of W [rows, cols] by power iteration ----
     * u [rows] persists across steps (initialised to a random unit vector);
     * per iteration v = W^T u / |W^T u|, u = W v / |W v|; *sigma = u^T W v.
     * Backward: dW += lambda * (squared ? 2 sigma : 1) * u v^T. */
    void (*spectral_norm_forward)(rise_backend *be, float *sigma, float *u, float *v,
                                  const float *w, int rows, int cols, int iters);
    void (*spectral_norm_backward)(rise_backend *be, float *dw, const float *sigma, const float *u,
                                   const float *v, int rows, int cols, float lambda, int squared);

    /* ---- time embedding: y[b, i] = sin(t_b f_i), y[b, H + i] = cos(t_b f_i)
     * for y [B, 2H], t [B], f [H]. Sinusoidal embeddings use fixed f;
     * learned Fourier features train f (backward: df += ...). ---- */
    void (*freq_embed_forward)(rise_backend *be, float *y, const float *t, const float *f, int b,
                               int h);
    void (*freq_embed_backward)(rise_backend *be, float *df, const float *dy, const float *t,
                                const float *f, int b, int h);

    /* ---- diffusion forward process (kernels/diffusion.h): per row b a time
     * index k_b uniform in [0, n_steps), noise eps ~ N(0, 1), and
     * xt = sqrt_ab[k_b] x0 + sqrt_1mab[k_b] eps; t_out[b] = k_b. Advance the
     * rng offset by diffusion_q_sample_blocks(rows, cols). ---- */
    void (*diffusion_q_sample)(rise_backend *be, float *xt, float *eps, float *t_out,
                               const float *x0, const float *sqrt_ab, const float *sqrt_1mab,
                               int rows, int cols, int n_steps, rise_rng rng);

    /* ---- Gaussian actors and CQL's penalty (kernels/gaussian.h); x, mean,
     * eps, a [B, A]; per-row results [B]; row sums in double. ----
     * Diagonal Gaussian log-density, z = (x - mean) / exp(log_std):
     *   logp[b] = sum_j -z^2/2 - log_std - log(2 pi)/2.
     * log_std is [A] (state-independent, IQL) when log_std_shared, else [B, A].
     * Backward: dmean = dlogp z / std (overwritten); dlog_std += dlogp (z^2 - 1),
     * ACCUMULATED in both cases (shared: summed over rows into [A]). */
    void (*gauss_logprob_forward)(rise_backend *be, float *logp, const float *x, const float *mean,
                                  const float *log_std, int b, int a, int log_std_shared);
    void (*gauss_logprob_backward)(rise_backend *be, float *dmean, float *dlog_std,
                                   const float *dlogp, const float *x, const float *mean,
                                   const float *log_std, int b, int a, int log_std_shared);
    /* IQL's advantage weights (no gradient): w = min(exp(beta (q - v)), max_w), [B]. */
    void (*awr_weights)(rise_backend *be, float *w, const float *q, const float *v, int b,
                        float beta, float max_w);
    /* Reparameterised tanh-Gaussian draw (CQL/SAC actor), log_std [B, A]:
     *   eps[i] = rise_rng_normal(rng, i) (saved), u = mean + exp(log_std) eps,
     *   a = tanh(u), logp[b] = sum_j -eps^2/2 - log_std - log(2 pi)/2
     *                                - log(1 - a^2 + 1e-6).
     * Advance the rng offset by tanh_gauss_sample_blocks(b, a)
     * (= rise_rng_blocks_normal(b * a)). */
    void (*tanh_gauss_sample)(rise_backend *be, float *a_out, float *logp, float *eps,
                              const float *mean, const float *log_std, int b, int a, rise_rng rng);
    /* Gradients of L(a, logp) w.r.t. mean and log_std through the draw above
     * (eps fixed), both OVERWRITTEN; da [B, A] and dlogp [B] may be NULL (zero):
     *   g_u = da (1 - a^2) + dlogp 2 a (1 - a^2) / (1 - a^2 + 1e-6),
     *   dmean = g_u, dlog_std = g_u exp(log_std) eps - dlogp.
     * 1 - a^2 is recomputed from u (exact when a saturates); a is the forward's. */
    void (*tanh_gauss_sample_backward)(rise_backend *be, float *dmean, float *dlog_std,
                                       const float *da, const float *dlogp, const float *eps,
                                       const float *mean, const float *log_std, const float *a_in,
                                       int b, int a);
    /* out[r] = log sum_c exp(x[r, c]), max-shifted (stable for large x); a row of
     * no columns or all -inf gives -inf. Backward: dx = dout[r] exp(x - out[r])
     * (overwritten; 0 on -inf rows), using the float out, so ulp(out) carries
     * into dx relatively (3e-5 near |out| = 1000). x [R, C], out/dout [R]. */
    void (*logsumexp_rows_forward)(rise_backend *be, float *out, const float *x, int rows,
                                   int cols);
    void (*logsumexp_rows_backward)(rise_backend *be, float *dx, const float *dout, const float *x,
                                    const float *out, int rows, int cols);
    /* y = exp(x) element-wise (alpha = exp(log_alpha)); y may alias x. */
    void (*exp_forward)(rise_backend *be, float *y, const float *x, size_t n);

    /* ---- policy extraction (kernels/extract.h): per row r of score [R, K], the first
     * k with the largest score (NaN never wins), out[r, :] = cand[r K + k, :] for cand
     * [R K, W], best_idx[r] = k (as float; NULL to skip). ---- */
    void (*argmax_select)(rise_backend *be, float *out, float *best_idx, const float *score,
                          const float *cand, int rows, int k, int width);
    /* The candidates' starting noise (kernels/extract.h): y [S, n K, W] with
     * y[s, r K + k, j] = rise_rng_normal(seed, stream, row_offset[r], (k S + s) W + j);
     * row_offset [n] (backend memory) is row r's own Philox position. */
    void (*candidate_noise)(rise_backend *be, float *y, const uint64_t *row_offset, int n, int k,
                            int s, int w, uint64_t seed, uint32_t stream);

    /* ---- device-resident batches (kernels/gather.h): the host sampler and gathers of
     * data/ reproduced bit for bit from dataset arrays uploaded once, unchanged from
     * rise_trainset: obs/next_obs [n, D], actions [n, A], rewards/dones [n] (float),
     * traj/step [n] (int32), traj_start/traj_len [n_traj] (int64). Indices are int32;
     * an index outside [0, n) aborts (cpu) or traps (cuda: sync reports
     * RISE_ERR_DEVICE). ----
     * rise_sampler_next: slot i < batch takes w = rise_rng_word(rng, i) and
     *   batch_a < 0: idx[i] = rise_below(w, n)                  (uniform, 1 <= n < 2^31)
     *   else: i < batch_a ? pool_a[rise_below(w, n_a)] : pool_b[rise_below(w, n_b)]
     * (pools: int32 transition indices, e.g. ts->expert_idx / nonexpert_idx; a pool that
     * is drawn from needs 1 <= n_x < 2^32). The caller then advances rng.offset by
     * sample_indices_blocks(batch), as the host sampler advances its counter. */
    void (*sample_indices)(rise_backend *be, int32_t *idx, int batch, int64_t n,
                           const int32_t *pool_a, int64_t n_a, const int32_t *pool_b, int64_t n_b,
                           int batch_a, rise_rng rng);
    /* out[b, c] = (src[idx[b], c] - shift[c]) / scale[c] for src [n, cols], b < rows: the
     * transition gather, normalised at gather time with data/normalize.h's formula (its
     * obs_shift/obs_scale, act_shift/act_scale); shift or scale NULL skips that step, both
     * NULL is a plain copy. rewards/dones: cols = 1. */
    void (*gather_rows)(rise_backend *be, float *out, const float *src, int64_t n,
                        const int32_t *idx, int rows, int cols, const float *shift,
                        const float *scale);
    /* rise_gather_obs_history into out [B, To, D]: frame j of row b, i = idx[b],
     * t = step[i], s = traj_start[traj[i]], is obs[s + max(0, t - (To-1) + j)] (the first
     * frame repeats). With next_obs non-NULL, rise_gather_next_obs_history instead: frame
     * To-1 is next_obs[i], frame j < To-1 is obs[s + max(0, t + 1 - (To-1) + j)]. */
    void (*gather_obs_history)(rise_backend *be, float *out, const float *obs,
                               const float *next_obs, const int32_t *traj, const int32_t *step,
                               const int64_t *traj_start, int64_t n, const int32_t *idx, int batch,
                               int to, int dim);
    /* rise_gather_action_chunk into out [B, Ta, A]: action j of row b is
     * actions[s + min(t + j, L - 1)], L = traj_len[traj[i]] (the last action repeats);
     * valid[b, j] = t + j < L ? 1 : 0 (valid [B, Ta] may be NULL). */
    void (*gather_action_chunk)(rise_backend *be, float *out, float *valid, const float *actions,
                                const int32_t *traj, const int32_t *step, const int64_t *traj_start,
                                const int64_t *traj_len, int64_t n, const int32_t *idx, int batch,
                                int ta, int act_dim);
    /* rise_action_noise_ref: M noisy copies of each action a [B, A], row = b M + m:
     *   out[row, j] = clip(a[b, j] + sigma[m] e, -1, 1), e = rise_rng_normal(rng, row A + j)
     *   sigma_out[row] = sigma[m], delta_norm[row] = |out[row] - a[b]|_2 (double sum, in j
     *   order); sigma_out and delta_norm may be NULL. sigma [M] is backend memory. The
     * caller advances rng.offset by action_noise_blocks(B, M, A). The CUDA normals differ
     * from the CPU's by a few ulp (philox.h), the arithmetic around them is the same. */
    void (*action_noise)(rise_backend *be, float *out, float *sigma_out, float *delta_norm,
                         const float *a, const float *sigma, int batch, int m, int act_dim,
                         rise_rng rng);

    /* ---- neighbour search (kernels/knn.h): rise_knn's result for Q [nq, F] and
     * R [nr, F] with int32 outputs: per query the references passing the filters with
     * d2 = sum ((double)q - r)^2 <= max_dist^2, ordered by (d2, index); the first k give
     * idx [nq, k] (-1 past the last), dist [nq, k] = (float)sqrt(d2) (+inf past the
     * last), count [nq]. Equal to rise_knn_brute bit for bit on both backends, for any
     * input (cpu runs kernels/knn_search.c's tiled rise_knn). scratch: backend memory of
     * knn_topk_scratch_bytes(nq, k) bytes (overwritten). */
    void (*knn_topk)(rise_backend *be, int32_t *idx, float *dist, int32_t *count, const float *q,
                     int nq, const float *r, int nr, int f, const rise_knn_params *p,
                     void *scratch);

    /* ---- 1-D convolution, channels last (kernels/conv1d.h): x [B, Ti, Ci], y [B, To, Co],
     * w [Co, K, Ci], bias [Co] (may be NULL; dbias may be NULL):
     *   forward          y[b,t,o] = bias[o] + sum_{k,i} w[o,k,i] x[b, t s - p + k, i]
     *                    (x = 0 outside [0, Ti); y overwritten)
     *   backward_data    dx (+)= dL/dx for dy = dL/dy; run on its own it is the
     *                    transposed convolution (ConvTranspose1d) from dy [B, To, Co] to
     *                    dx [B, Ti, Ci] with the same w, which is how the U-Net up-samples
     *   backward_weight  dw += dL/dw, dbias += sum_{b,t} dy (accumulate, as every
     *                    parameter gradient)
     * ws: workspace of conv1d_workspace_bytes(shape) bytes of backend memory (overwritten;
     * may be NULL when that is 0), taken from the arena so a step allocates nothing. ---- */
    size_t (*conv1d_workspace_bytes)(rise_backend *be, const rise_conv1d_shape *s);
    void (*conv1d_forward)(rise_backend *be, const rise_conv1d_shape *s, float *y, const float *x,
                           const float *w, const float *bias, void *ws);
    void (*conv1d_backward_data)(rise_backend *be, const rise_conv1d_shape *s, float *dx,
                                 const float *dy, const float *w, int accumulate, void *ws);
    void (*conv1d_backward_weight)(rise_backend *be, const rise_conv1d_shape *s, float *dw,
                                   float *dbias, const float *dy, const float *x, void *ws);

    /* ---- GroupNorm over channels-last x [B, T, C] (kernels/group_norm.h): G groups of
     * C/G consecutive channels; per (b, g) the mean and biased variance over T x C/G
     * values, y = (x - mean) rstd gamma[c] + beta[c], mean/rstd [B, G] saved for
     * backward (gamma/beta may be NULL: no affine). Backward: dx (+)= ...,
     * dgamma += ..., dbeta += ... (either may be NULL). ---- */
    void (*group_norm_forward)(rise_backend *be, float *y, float *mean, float *rstd, const float *x,
                               const float *gamma, const float *beta, int b, int t, int c,
                               int groups, float eps);
    void (*group_norm_backward)(rise_backend *be, float *dx, float *dgamma, float *dbeta,
                                const float *dy, const float *x, const float *mean,
                                const float *rstd, const float *gamma, int b, int t, int c,
                                int groups, int accumulate);

    /* ---- FiLM over channels-last x [B, T, C] (kernels/film.h): emb [B, 2C] holds per
     * row a scale (columns 0..C-1) and a bias (C..2C-1), broadcast over time:
     *   y[b,t,c] = emb[b,c] x[b,t,c] + emb[b,C+c]
     * Backward (all overwritten): dx = dy scale, demb[b,c] = sum_t dy x,
     * demb[b,C+c] = sum_t dy (dx or demb may be NULL: skipped). ---- */
    void (*film_forward)(rise_backend *be, float *y, const float *x, const float *emb, int b, int t,
                         int c);
    void (*film_backward)(rise_backend *be, float *dx, float *demb, const float *dy, const float *x,
                          const float *emb, int b, int t, int c);

    /* ---- CUDA graphs; all four NULL on a backend without them (cpu) ----
     * graph_begin starts recording: the ops issued until graph_end are captured, not run.
     * graph_end stops recording and instantiates the capture into *graph (NULL and an
     * error on failure; recording stops either way). graph_launch replays it on the
     * backend's stream; graph_destroy frees it. Captured ops must not allocate, free,
     * upload, download or sync, and their by-value arguments are frozen: what must change
     * between replays is read from backend memory (rise_rng.offset_add,
     * rise_adam_hparams.step_add). */
    rise_status (*graph_begin)(rise_backend *be);
    rise_status (*graph_end)(rise_backend *be, void **graph);
    void (*graph_launch)(rise_backend *be, void *graph);
    void (*graph_destroy)(rise_backend *be, void *graph);
};

/* "cpu" or "cuda". Returns NULL with rise_last_error() set (status in *st,
 * RISE_ERR_NO_DEVICE when CUDA was not built or no GPU is present). */
rise_backend *rise_backend_create(const char *name, rise_status *st);
void rise_backend_destroy(rise_backend *be);

/* Whether the CUDA backend was compiled into this build. */
int rise_backend_cuda_built(void);

/* The CUDA backend's cublasHandle_t and cudnnHandle_t (NULL without cuDNN), opaquely, for
 * tests and benchmarks that call kernel variants directly; both NULL without CUDA. */
void rise_backend_cuda_libs(rise_backend *be, void **cublas, void **cudnn);

/* Implementations (host/backend_cpu.c, host/backend_cuda.c). */
rise_backend *rise_backend_cpu_create(rise_status *st);
rise_backend *rise_backend_cuda_create(rise_status *st);

#ifdef __cplusplus
}
#endif
#endif
