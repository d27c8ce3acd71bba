/* gather.cu - device-resident batch assembly (kernels/gather.h).
 * Variants (one each; batches are small, B x D is thousands of elements):
 *   sample_indices_kernel1       one thread per slot: its Philox word, rise_below, the pool
 *                                lookup (philox.h's functions, so the host's integers)
 *   gather_rows_kernel1          one thread per output element (grid-stride, consecutive
 *                                threads read consecutive columns of one source row)
 *   gather_obs_history_kernel1   one thread per output element of [B, To, D]
 *   gather_action_chunk_kernel1  one thread per output element of [B, Ta, A], then one per
 *                                valid flag of [B, Ta]
 *   action_noise_kernel1         one thread per noisy row (b, m): its A normals, clip, and
 *                                the double sum of squared changes in j order
 *   gather_frames_kernel1        one thread per 4-byte word of [B, To, F] when F is a
 *                                multiple of 4 (frames are then word-aligned), else per byte
 *   crop_frames_kernel1          one thread per output value of [count, Hc, Wc, C]: its
 *                                frame's two Philox words (or the centre), crop_pixel
 * All index maths is int64 as in the references, and the element rules are gather.h's
 * (gather_normalise, action_noise_value, action_noise_d2: no FMA), so gathers are bitwise
 * equal to the CPU's, and action noise differs only through the normals' few ulp.
 * An index outside [0, n) traps (see gather.h). */
#include "common.cuh"
#include "gather.h"

/* The transition index of batch row b; traps outside [0, n). */
__device__ __forceinline__ int64_t gather_row_index(const int32_t *idx, int64_t b, int64_t n) {
    const int64_t i = idx[b];
    if (i < 0 || i >= n) __trap();
    return i;
}

__global__ void sample_indices_kernel1(int32_t *idx, int batch, uint32_t n, const int32_t *pool_a,
                                       uint32_t n_a, const int32_t *pool_b, uint32_t n_b,
                                       int batch_a, rise_rng rng) {
    rng = rise_rng_slice(rise_rng_resolve(rng), (uint64_t)batch);
    RISE_GRID_STRIDE(i, (size_t)batch) {
        const uint32_t w = rise_rng_word(rng.seed, rng.stream, rng.offset, rng.skip + (uint64_t)i);
        if (batch_a < 0)
            idx[i] = (int32_t)rise_below(w, n);
        else if ((int64_t)i < (int64_t)batch_a)
            idx[i] = pool_a[rise_below(w, n_a)];
        else
            idx[i] = pool_b[rise_below(w, n_b)];
    }
}

__global__ void gather_rows_kernel1(float *out, const float *src, int64_t n, const int32_t *idx,
                                    int rows, int cols, const float *shift, const float *scale) {
    const size_t total = (size_t)rows * (size_t)cols;
    RISE_GRID_STRIDE(e, total) {
        const size_t b = e / (size_t)cols, c = e % (size_t)cols;
        const int64_t i = gather_row_index(idx, (int64_t)b, n);
        out[e] = gather_normalise(src[(size_t)i * (size_t)cols + c], shift, scale, c);
    }
}

__global__ void gather_obs_history_kernel1(float *out, const float *obs, const float *next_obs,
                                           const int32_t *traj, const int32_t *step,
                                           const int64_t *traj_start, int64_t n, const int32_t *idx,
                                           int batch, int to, int dim) {
    const size_t frame = (size_t)dim, row = (size_t)to * frame;
    const size_t total = (size_t)batch * row;
    RISE_GRID_STRIDE(e, total) {
        const size_t b = e / row, j = (e % row) / frame, c = e % frame;
        const int64_t i = gather_row_index(idx, (int64_t)b, n);
        const int64_t t = step[i], s = traj_start[traj[i]];
        const int64_t u = t + (next_obs ? 1 : 0) - (int64_t)(to - 1) + (int64_t)j;
        out[e] = next_obs && u == t + 1 ? next_obs[(size_t)i * frame + c]
                                        : obs[(size_t)(s + (u < 0 ? 0 : u)) * frame + c];
    }
}

__global__ void gather_action_chunk_kernel1(float *out, float *valid, const float *actions,
                                            const int32_t *traj, const int32_t *step,
                                            const int64_t *traj_start, const int64_t *traj_len,
                                            int64_t n, const int32_t *idx, int batch, int ta,
                                            int act_dim) {
    const size_t frame = (size_t)act_dim, row = (size_t)ta * frame;
    const size_t total = (size_t)batch * row;
    RISE_GRID_STRIDE(e, total) {
        const size_t b = e / row, j = (e % row) / frame, c = e % frame;
        const int64_t i = gather_row_index(idx, (int64_t)b, n);
        const int64_t t = step[i], tr = traj[i];
        const int64_t s = traj_start[tr], len = traj_len[tr];
        const int64_t u = t + (int64_t)j < len ? t + (int64_t)j : len - 1;
        out[e] = actions[(size_t)(s + u) * frame + c];
    }
    if (!valid) return;
    const size_t flags = (size_t)batch * (size_t)ta;
    RISE_GRID_STRIDE(v, flags) {
        const size_t b = v / (size_t)ta, j = v % (size_t)ta;
        const int64_t i = gather_row_index(idx, (int64_t)b, n);
        const int64_t t = step[i], len = traj_len[traj[i]];
        valid[v] = t + (int64_t)j < len ? 1.0f : 0.0f;
    }
}

__global__ void action_noise_kernel1(float *out, float *sigma_out, float *delta_norm,
                                     const float *a, const float *sigma, int batch, int m,
                                     int act_dim, rise_rng rng) {
    const size_t rows = (size_t)batch * (size_t)m;
    rng = rise_rng_slice(rise_rng_resolve(rng), (uint64_t)rows * (uint64_t)act_dim);
    RISE_GRID_STRIDE(row, rows) {
        const size_t b = row / (size_t)m, k = row % (size_t)m;
        const float *ab = a + b * (size_t)act_dim;
        const float sk = sigma[k];
        double d2 = 0.0;
        for (int j = 0; j < act_dim; ++j) {
            const uint64_t i = (uint64_t)row * (uint64_t)act_dim + (uint64_t)j;
            const float e = rise_rng_normal(rng.seed, rng.stream, rng.offset, rng.skip + i);
            const float v = action_noise_value(ab[j], sk, e);
            out[row * (size_t)act_dim + j] = v;
            d2 = action_noise_d2(d2, v, ab[j]);
        }
        if (sigma_out) sigma_out[row] = sk;
        if (delta_norm) delta_norm[row] = __double2float_rn(__dsqrt_rn(d2));
    }
}

extern "C" void sample_indices_cuda(void *stream, int32_t *idx, int batch, int64_t n,
                                    const int32_t *pool_a, int64_t n_a, const int32_t *pool_b,
                                    int64_t n_b, int batch_a, rise_rng rng) {
    if (batch <= 0) return;
    sample_indices_kernel1<<<rise_grid_for((size_t)batch, 256), 256, 0, RISE_STREAM(stream)>>>(
        idx, batch, (uint32_t)n, pool_a, (uint32_t)n_a, pool_b, (uint32_t)n_b, batch_a, rng);
    RISE_CUDA_LAUNCHED();
}

extern "C" void gather_rows_cuda(void *stream, float *out, const float *src, int64_t n,
                                 const int32_t *idx, int rows, int cols, const float *shift,
                                 const float *scale) {
    const size_t total = (size_t)rows * (size_t)cols;
    if (rows <= 0 || cols <= 0) return;
    gather_rows_kernel1<<<rise_grid_for(total, 256), 256, 0, RISE_STREAM(stream)>>>(
        out, src, n, idx, rows, cols, shift, scale);
    RISE_CUDA_LAUNCHED();
}

extern "C" void gather_obs_history_cuda(void *stream, float *out, const float *obs,
                                        const float *next_obs, const int32_t *traj,
                                        const int32_t *step, const int64_t *traj_start, int64_t n,
                                        const int32_t *idx, int batch, int to, int dim) {
    const size_t total = (size_t)batch * (size_t)to * (size_t)dim;
    if (batch <= 0 || to <= 0 || dim <= 0) return;
    gather_obs_history_kernel1<<<rise_grid_for(total, 256), 256, 0, RISE_STREAM(stream)>>>(
        out, obs, next_obs, traj, step, traj_start, n, idx, batch, to, dim);
    RISE_CUDA_LAUNCHED();
}

extern "C" void gather_action_chunk_cuda(void *stream, float *out, float *valid,
                                         const float *actions, const int32_t *traj,
                                         const int32_t *step, const int64_t *traj_start,
                                         const int64_t *traj_len, int64_t n, const int32_t *idx,
                                         int batch, int ta, int act_dim) {
    if (batch <= 0 || ta <= 0) return;
    /* enough threads for the larger of the two loops (the flags when act_dim is 0) */
    size_t total = (size_t)batch * (size_t)ta * (size_t)(act_dim > 1 ? act_dim : 1);
    gather_action_chunk_kernel1<<<rise_grid_for(total, 256), 256, 0, RISE_STREAM(stream)>>>(
        out, valid, actions, traj, step, traj_start, traj_len, n, idx, batch, ta, act_dim);
    RISE_CUDA_LAUNCHED();
}

extern "C" void action_noise_cuda(void *stream, float *out, float *sigma_out, float *delta_norm,
                                  const float *a, const float *sigma, int batch, int m, int act_dim,
                                  rise_rng rng) {
    const size_t rows = (size_t)batch * (size_t)m;
    if (batch <= 0 || m <= 0) return;
    action_noise_kernel1<<<rise_grid_for(rows, 128), 128, 0, RISE_STREAM(stream)>>>(
        out, sigma_out, delta_norm, a, sigma, batch, m, act_dim, rng);
    RISE_CUDA_LAUNCHED();
}

template <typename T>
__global__ void gather_frames_kernel1(T *out, const T *frames, const int32_t *traj,
                                      const int32_t *step, const int64_t *traj_start,
                                      const int64_t *traj_len, int64_t n, const int32_t *idx,
                                      int batch, int to, int next, int64_t frame_elems) {
    const size_t frame = (size_t)frame_elems, row = (size_t)to * frame;
    const size_t total = (size_t)batch * row;
    RISE_GRID_STRIDE(e, total) {
        const size_t b = e / row, j = (e % row) / frame, c = e % frame;
        const int64_t i = gather_row_index(idx, (int64_t)b, n), tr = traj[i];
        const int64_t u = gather_history_time(step[i], to, (int)j, next);
        const int64_t f = gather_frame_row(traj_start[tr], traj_len[tr], tr, u, n);
        out[e] = frames[(size_t)f * frame + c];
    }
}

__global__ void crop_frames_kernel1(float *out, int ld, int col0, const uint8_t *in, int count,
                                    int h, int w, int c, int hc, int wc, int random, rise_rng rng) {
    if (random) rng = rise_rng_resolve(rng);
    const size_t per = (size_t)hc * wc * c, total = (size_t)count * per;
    RISE_GRID_STRIDE(e, total) {
        const size_t i = e / per, r = e % per;
        const int k = (int)(r % c), x = (int)(r / c % wc), y = (int)(r / c / wc);
        int oy = (h - hc) / 2, ox = (w - wc) / 2;
        if (random) {
            oy = crop_offset(rise_rng_word(rng.seed, rng.stream, rng.offset, 2 * (uint64_t)i),
                             h - hc);
            ox = crop_offset(rise_rng_word(rng.seed, rng.stream, rng.offset, 2 * (uint64_t)i + 1),
                             w - wc);
        }
        out[i * (size_t)ld + col0 + r] =
            crop_pixel(in[i * (size_t)h * w * c + ((size_t)(oy + y) * w + ox + x) * c + k]);
    }
}

extern "C" void gather_frames_cuda(void *stream, uint8_t *out, const uint8_t *frames,
                                   const int32_t *traj, const int32_t *step,
                                   const int64_t *traj_start, const int64_t *traj_len, int64_t n,
                                   const int32_t *idx, int batch, int to, int next,
                                   int64_t frame_bytes) {
    gather_check_shape("gather_frames", batch, to, 1,
                       frame_bytes > INT32_MAX ? -1 : (int)frame_bytes, n);
    if (batch <= 0 || frame_bytes <= 0) return;
    const int words = frame_bytes % 4 == 0 && ((uintptr_t)out | (uintptr_t)frames) % 4 == 0;
    const int64_t elems = words ? frame_bytes / 4 : frame_bytes;
    const size_t total = (size_t)batch * (size_t)to * (size_t)elems;
    if (words)
        gather_frames_kernel1<uint32_t><<<rise_grid_for(total, 256), 256, 0, RISE_STREAM(stream)>>>(
            (uint32_t *)out, (const uint32_t *)frames, traj, step, traj_start, traj_len, n, idx,
            batch, to, next, elems);
    else
        gather_frames_kernel1<uint8_t><<<rise_grid_for(total, 256), 256, 0, RISE_STREAM(stream)>>>(
            out, frames, traj, step, traj_start, traj_len, n, idx, batch, to, next, elems);
    RISE_CUDA_LAUNCHED();
}

extern "C" void crop_frames_cuda(void *stream, float *out, int ld, int col0, const uint8_t *in,
                                 int count, int h, int w, int c, int hc, int wc, int random,
                                 rise_rng rng) {
    crop_frames_check(count, h, w, c, hc, wc, ld, col0);
    const size_t total = (size_t)count * hc * wc * c;
    if (total == 0) return;
    crop_frames_kernel1<<<rise_grid_for(total, 256), 256, 0, RISE_STREAM(stream)>>>(
        out, ld, col0, in, count, h, w, c, hc, wc, random, rng);
    RISE_CUDA_LAUNCHED();
}
