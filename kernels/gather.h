/* gather.h - device-resident batch assembly: the training step's sampling, gathers and
 * action-noise copies as ops, so a batch never passes through the host.
 *
 * Each op reproduces a data-layer host function exactly (bitwise: integer maths and
 * copies) from dataset arrays that live in backend memory, laid out as in rise_trainset
 * (data/trainset.h) and uploaded unchanged:
 *   obs, next_obs [n, D], actions [n, A], rewards, dones [n] (float),
 *   traj, step [n] (int32), traj_start, traj_len [n_traj] (int64).
 * Transition indices idx [B] are int32 in [0, n) (so n <= 2^31 - 1).
 *
 *   sample_indices       rise_sampler_next (data/sampler.c): slot i draws
 *                        w = rise_rng_word(rng.seed, rng.stream, rng.offset, i) and takes
 *                          batch_a < 0 (uniform):  idx[i] = rise_below(w, n)
 *                          batch_a >= 0 (mixed):   i < batch_a: idx[i] = pool_a[rise_below(w, n_a)]
 *                                                  otherwise:   idx[i] = pool_b[rise_below(w, n_b)]
 *                        then the CALLER advances rng.offset by sample_indices_blocks(batch)
 *                        (= rise_rng_blocks_uniform(batch)), as the host sampler advances
 *                        its counter.
 *   gather_rows          rise_gather_transitions column by column: out[b, c] =
 *                        norm(src[idx[b], c]) with norm(x) = (x - shift[c]) / scale[c], the
 *                        formula of data/normalize.h (rise_norm_apply_*); shift or scale NULL
 *                        drops that step (both NULL: a plain copy). rewards/dones are cols = 1;
 *                        the expert flag is gathered from a float [n] copy of ts->expert.
 *   gather_obs_history   rise_gather_obs_history (next_obs NULL): frame j of row b is
 *                        obs[s + max(0, t - (To-1) + j)], t = step[i], s = traj_start[traj[i]],
 *                        i = idx[b]; with next_obs, rise_gather_next_obs_history: frame j is
 *                        u = t + 1 - (To-1) + j, next_obs[i] when u = t + 1, else
 *                        obs[s + max(0, u)]. out [B, To, D].
 *   gather_action_chunk  rise_gather_action_chunk: action j of row b is
 *                        actions[s + min(t + j, L - 1)] with L = traj_len[traj[i]];
 *                        valid[b, j] = t + j < L ? 1 : 0 (valid may be NULL). out [B, Ta, A].
 *   action_noise         rise_action_noise_ref (data/action_noise.c): for row = b M + m,
 *                          e_i = rise_rng_normal(rng.seed, rng.stream, rng.offset, i),
 *                          i = row A + j,
 *                          out[row, j] = clip(a[b, j] + sigma[m] e_i, -1, 1)   (no FMA;
 *                                        action_noise_value: NaN passes the clip)
 *                          sigma_out[row] = sigma[m]                           (may be NULL)
 *                          delta_norm[row] = (float)sqrt(sum_j ((double)out - a)^2) (may be NULL;
 *                                            double sum in j order, no FMA; action_noise_d2)
 *                        The caller advances rng.offset by action_noise_blocks(B, M, A).
 *                        The CUDA normals differ from the CPU's by a few ulp (device
 *                        logf/sinf/cosf, see philox.h); everything else is exact.
 *
 *   gather_frames        rise_gather_frames (data/frames.h), camera frames from a resident
 *                        uint8 frame array [n + n_traj, F] (F = H W C bytes): frame j of
 *                        row b is frames[gather_frame_row(s, L, tr, u, n)] with
 *                        u = gather_history_time(t, To, j, next). out [B, To, F] uint8.
 *   crop_frames          robomimic's CropRandomizer on uint8 frames in [count, H, W, C]:
 *                        out[i, (y Wc + x) C + k] (row i at out + i ld + col0) =
 *                        crop_pixel(in[i, oy + y, ox + x, k]) for a Hc x Wc window at
 *                        (oy, ox): random (random = 1):
 *                          oy = crop_offset(rise_rng_word(.., 2 i), H - Hc),
 *                          ox = crop_offset(rise_rng_word(.., 2 i + 1), W - Wc)
 *                        (robomimic's floor(u (H - Hc)): the last offset is never drawn);
 *                        centred (random = 0): ((H - Hc) / 2, (W - Wc) / 2), its eval crop.
 *                        The caller advances rng.offset by crop_frames_blocks(count).
 *
 * Bounds: an idx outside [0, n) (or a pool entry drawn as one) is a programmer error:
 * the CPU backend aborts through RISE_ASSERT; a CUDA kernel executes a trap, which the
 * backend's next sync() reports as RISE_ERR_DEVICE (and the CUDA context is lost). A
 * gather that writes nothing (cols, dim = 0; act_dim = 0 without valid) reads no index,
 * on either side.
 *
 * <op>_ref: plain C reference (the specification), serial over the rows it is given.
 * <op>_cuda: CUDA dispatcher (kernels/gather.cu), asynchronous on `stream` (a
 * cudaStream_t passed opaquely, never NULL). This is the one description of these ops
 * (the backend table in host/backend.h points here). */
#ifndef RISE_KERNELS_GATHER_H
#define RISE_KERNELS_GATHER_H

#include <stddef.h>
#include <stdint.h>

#include "host_device.h"
#include "philox.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- shared element rules (reference and kernels) ---- */

/* norm(x) of gather_rows: (x - shift[c]) / scale[c], either step skipped when NULL. */
RISE_HD float gather_normalise(float x, const float *shift, const float *scale, size_t c) {
    if (shift) x = x - shift[c];
    if (scale) x = x / scale[c];
    return x;
}

/* One noisy action value: clip(a + sigma e, -1, 1) with the product rounded first. */
RISE_HD float action_noise_value(float a, float sigma, float e) {
    return rise_clampf(rise_fma_free(a, sigma, e), -1.0f, 1.0f);
}

/* The squared-change sum of delta_norm after one more value: d2 + ((double)v - a)^2. */
RISE_HD double action_noise_d2(double d2, float v, float a) {
    const double d = (double)v - (double)a;
    return rise_dadd_rn(d2, rise_dmul_rn(d, d));
}

/* Time u of frame j of the To-frame history ending at step t: the observation history
 * (next 0) or the next-state history (next 1), the first frame repeated before the start
 * (data/sequence.h's rule, for the image frames of data/frames.h). */
RISE_HD int64_t gather_history_time(int64_t t, int to, int j, int next) {
    const int64_t u = t + next - (to - 1) + j;
    return u < 0 ? 0 : u;
}

/* Index of the frame at time u (0 <= u <= L) of trajectory tr (first row s, L steps) in a
 * camera's frame array [n + n_traj]: row s + u for u < L, then n + tr, the next frame of the
 * trajectory's last step (data/frames.h's layout). */
RISE_HD int64_t gather_frame_row(int64_t s, int64_t len, int64_t tr, int64_t u, int64_t n) {
    return u < len ? s + u : n + tr;
}

/* A frame byte as a network input: v / 255 (correctly rounded on both sides). */
RISE_HD float crop_pixel(uint8_t v) { return (float)v / 255.0f; }

/* A random crop's offset from its Philox word: floor(u span), u = w / 2^32 (0 when the
 * window fills the side). */
RISE_HD int crop_offset(uint32_t w, int span) {
    return span > 0 ? (int)rise_below(w, (uint32_t)span) : 0;
}

/* Philox blocks one random crop_frames call consumes (two words per frame). */
static inline uint64_t crop_frames_blocks(int count) {
    return rise_rng_blocks_uniform(2 * (uint64_t)count);
}

/* Philox blocks one sample_indices call consumes (the sampler's counter step). */
static inline uint64_t sample_indices_blocks(int batch) {
    return rise_rng_blocks_uniform((uint64_t)batch);
}

/* Philox blocks one action_noise call consumes (= rise_action_noise_blocks). */
static inline uint64_t action_noise_blocks(int batch, int m, int act_dim) {
    return rise_rng_blocks_normal((uint64_t)batch * (uint64_t)m * (uint64_t)act_dim);
}

/* Aborts (RISE_ASSERT) on arguments rise_sampler_init would refuse: batch < 0; uniform
 * n outside [1, 2^31 - 1]; a pool that is drawn from (pool_a when batch_a > 0, pool_b when
 * batch_a < batch) missing or with n_x outside [1, 2^32 - 1]. Both backends call it. */
void gather_check_sample(int batch, int64_t n, const int32_t *pool_a, int64_t n_a,
                         const int32_t *pool_b, int64_t n_b, int batch_a);

/* Aborts on a negative shape: `batch` rows of `frames` frames (>= min_frames) of `width`
 * values, from a dataset of n rows. op names the caller in the message. Both backends
 * call it before gather_rows (frames 1), the history and chunk gathers (frames To, Ta,
 * at least 1) and action_noise (frames M, may be 0; n unused, pass 0). */
void gather_check_shape(const char *op, int batch, int frames, int min_frames, int width,
                        int64_t n);

/* Aborts on a bad crop: count >= 0, frames of h, w >= 1 and 1..4 channels, a window
 * 1 <= hc <= h, 1 <= wc <= w, ld >= col0 + hc wc c. Both backends call it. */
void crop_frames_check(int count, int h, int w, int c, int hc, int wc, int ld, int col0);

/* Slots [i0, i1) of a batch (indices i are absolute, so any split of the batch draws
 * the same numbers): idx[i] for i0 <= i < i1. */
void sample_indices_ref(int32_t *idx, int i0, int i1, int64_t n, const int32_t *pool_a, int64_t n_a,
                        const int32_t *pool_b, int64_t n_b, int batch_a, rise_rng rng);
void gather_rows_ref(float *out, const float *src, int64_t n, const int32_t *idx, int rows,
                     int cols, const float *shift, const float *scale);
void gather_obs_history_ref(float *out, const float *obs, const float *next_obs,
                            const int32_t *traj, const int32_t *step, const int64_t *traj_start,
                            int64_t n, const int32_t *idx, int batch, int to, int dim);
void gather_action_chunk_ref(float *out, float *valid, const float *actions, const int32_t *traj,
                             const int32_t *step, const int64_t *traj_start,
                             const int64_t *traj_len, int64_t n, const int32_t *idx, int batch,
                             int ta, int act_dim);
/* Rows b < batch draw noise elements (b M + m) A + j from rng (callers that split the
 * rows shift rng.offset by blocks, so a split must start on an even element). */
void action_noise_ref(float *out, float *sigma_out, float *delta_norm, const float *a,
                      const float *sigma, int batch, int m, int act_dim, rise_rng rng);

void gather_frames_ref(uint8_t *out, const uint8_t *frames, const int32_t *traj,
                       const int32_t *step, const int64_t *traj_start, const int64_t *traj_len,
                       int64_t n, const int32_t *idx, int batch, int to, int next,
                       int64_t frame_bytes);
/* Frames [i0, i1) of the count (absolute indices, so any split draws the same offsets). */
void crop_frames_ref(float *out, int ld, int col0, const uint8_t *in, int i0, int i1, int h, int w,
                     int c, int hc, int wc, int random, rise_rng rng);

void sample_indices_cuda(void *stream, int32_t *idx, int batch, int64_t n, const int32_t *pool_a,
                         int64_t n_a, const int32_t *pool_b, int64_t n_b, int batch_a,
                         rise_rng rng);
void gather_rows_cuda(void *stream, float *out, const float *src, int64_t n, const int32_t *idx,
                      int rows, int cols, const float *shift, const float *scale);
void gather_obs_history_cuda(void *stream, float *out, const float *obs, const float *next_obs,
                             const int32_t *traj, const int32_t *step, const int64_t *traj_start,
                             int64_t n, const int32_t *idx, int batch, int to, int dim);
void gather_action_chunk_cuda(void *stream, float *out, float *valid, const float *actions,
                              const int32_t *traj, const int32_t *step, const int64_t *traj_start,
                              const int64_t *traj_len, int64_t n, const int32_t *idx, int batch,
                              int ta, int act_dim);
void action_noise_cuda(void *stream, float *out, float *sigma_out, float *delta_norm,
                       const float *a, const float *sigma, int batch, int m, int act_dim,
                       rise_rng rng);
void gather_frames_cuda(void *stream, uint8_t *out, const uint8_t *frames, const int32_t *traj,
                        const int32_t *step, const int64_t *traj_start, const int64_t *traj_len,
                        int64_t n, const int32_t *idx, int batch, int to, int next,
                        int64_t frame_bytes);
void crop_frames_cuda(void *stream, float *out, int ld, int col0, const uint8_t *in, int count,
                      int h, int w, int c, int hc, int wc, int random, rise_rng rng);

#ifdef __cplusplus
}
#endif
#endif
