/* gather_ref.c - CPU reference of device-resident batch assembly (kernels/gather.h):
 * the same integer maths and copies as data/sampler.c, data/sequence.c and
 * data/action_noise.c, from int32 indices. */
#include "gather.h"

#include <math.h>
#include <string.h>

#include "../host/error.h"

void gather_check_sample(int batch, int64_t n, const int32_t *pool_a, int64_t n_a,
                         const int32_t *pool_b, int64_t n_b, int batch_a) {
    RISE_ASSERT(batch >= 0, "sample_indices: batch %d", batch);
    if (batch_a < 0) {
        RISE_ASSERT(n >= 1 && n <= INT32_MAX, "sample_indices: n = %lld, expected 1 .. 2^31-1",
                    (long long)n);
        return;
    }
    if (batch_a > 0 && batch > 0)
        RISE_ASSERT(pool_a && n_a >= 1 && n_a <= (int64_t)UINT32_MAX,
                    "sample_indices: pool_a %s with %lld entries, expected 1 .. 2^32-1",
                    pool_a ? "given" : "missing", (long long)n_a);
    if (batch_a < batch)
        RISE_ASSERT(pool_b && n_b >= 1 && n_b <= (int64_t)UINT32_MAX,
                    "sample_indices: pool_b %s with %lld entries, expected 1 .. 2^32-1",
                    pool_b ? "given" : "missing", (long long)n_b);
}

void gather_check_shape(const char *op, int batch, int frames, int min_frames, int width,
                        int64_t n) {
    RISE_ASSERT(batch >= 0 && frames >= min_frames && width >= 0 && n >= 0,
                "%s: bad shape batch=%d frames=%d width=%d n=%lld", op, batch, frames, width,
                (long long)n);
}

void sample_indices_ref(int32_t *idx, int i0, int i1, int64_t n, const int32_t *pool_a, int64_t n_a,
                        const int32_t *pool_b, int64_t n_b, int batch_a, rise_rng rng) {
    RISE_ASSERT(rng.rows == 0, "sample_indices_ref: resolve the window with rise_rng_slice first");
    rng = rise_rng_resolve(rng);
    for (int i = i0; i < i1; ++i) {
        const uint32_t w = rise_rng_word(rng.seed, rng.stream, rng.offset, rng.skip + (uint64_t)i);
        if (batch_a < 0)
            idx[i] = (int32_t)rise_below(w, (uint32_t)n);
        else if (i < batch_a)
            idx[i] = pool_a[rise_below(w, (uint32_t)n_a)];
        else
            idx[i] = pool_b[rise_below(w, (uint32_t)n_b)];
    }
}

/* The transition index of batch row b, checked against the n rows of the dataset. */
static int64_t row_index(const int32_t *idx, int b, int64_t n) {
    const int64_t i = idx[b];
    RISE_ASSERT(i >= 0 && i < n, "gather: idx[%d] = %lld outside [0, %lld)", b, (long long)i,
                (long long)n);
    return i;
}

void gather_rows_ref(float *out, const float *src, int64_t n, const int32_t *idx, int rows,
                     int cols, const float *shift, const float *scale) {
    if (cols == 0) return; /* nothing written, no index read (as on the device) */
    for (int b = 0; b < rows; ++b) {
        const float *s = src + row_index(idx, b, n) * cols;
        float *o = out + (size_t)b * cols;
        if (!shift && !scale) {
            memcpy(o, s, sizeof(float) * (size_t)cols);
            continue;
        }
        for (int c = 0; c < cols; ++c) o[c] = gather_normalise(s[c], shift, scale, (size_t)c);
    }
}

void gather_obs_history_ref(float *out, const float *obs, const float *next_obs,
                            const int32_t *traj, const int32_t *step, const int64_t *traj_start,
                            int64_t n, const int32_t *idx, int batch, int to, int dim) {
    const size_t row_bytes = sizeof(float) * (size_t)dim;
    if (dim == 0) return; /* nothing written, no index read (as on the device) */
    for (int b = 0; b < batch; ++b) {
        const int64_t i = row_index(idx, b, n), t = step[i], s = traj_start[traj[i]];
        for (int j = 0; j < to; ++j) {
            /* obs history: frame j is time t - (To-1) + j; next-state history: one later */
            const int64_t u = t + (next_obs ? 1 : 0) - (to - 1) + j;
            const float *src =
                next_obs && u == t + 1 ? next_obs + i * dim : obs + (s + (u < 0 ? 0 : u)) * dim;
            memcpy(out + ((size_t)b * to + j) * dim, src, row_bytes);
        }
    }
}

void gather_action_chunk_ref(float *out, float *valid, const float *actions, const int32_t *traj,
                             const int32_t *step, const int64_t *traj_start,
                             const int64_t *traj_len, int64_t n, const int32_t *idx, int batch,
                             int ta, int act_dim) {
    const size_t row_bytes = sizeof(float) * (size_t)act_dim;
    if (act_dim == 0 && !valid) return; /* nothing written, no index read (as on the device) */
    for (int b = 0; b < batch; ++b) {
        const int64_t i = row_index(idx, b, n), t = step[i], tr = traj[i];
        const int64_t s = traj_start[tr], len = traj_len[tr];
        for (int j = 0; j < ta; ++j) {
            const int64_t u = t + j < len ? t + j : len - 1;
            memcpy(out + ((size_t)b * ta + j) * act_dim, actions + (s + u) * act_dim, row_bytes);
            if (valid) valid[(size_t)b * ta + j] = t + j < len ? 1.0f : 0.0f;
        }
    }
}

void action_noise_ref(float *out, float *sigma_out, float *delta_norm, const float *a,
                      const float *sigma, int batch, int m, int act_dim, rise_rng rng) {
    rng = rise_rng_slice(rise_rng_resolve(rng), (uint64_t)batch * (uint64_t)m * (uint64_t)act_dim);
    for (int b = 0; b < batch; ++b)
        for (int k = 0; k < m; ++k) {
            const size_t row = (size_t)b * m + k;
            const float *ab = a + (size_t)b * act_dim;
            double d2 = 0.0;
            for (int j = 0; j < act_dim; ++j) {
                const uint64_t i = (uint64_t)row * (uint64_t)act_dim + (uint64_t)j;
                const float e = rise_rng_normal(rng.seed, rng.stream, rng.offset, rng.skip + i);
                const float v = action_noise_value(ab[j], sigma[k], e);
                out[row * act_dim + j] = v;
                d2 = action_noise_d2(d2, v, ab[j]);
            }
            if (sigma_out) sigma_out[row] = sigma[k];
            if (delta_norm) delta_norm[row] = (float)sqrt(d2);
        }
}

void crop_frames_check(int count, int h, int w, int c, int hc, int wc, int ld, int col0) {
    RISE_ASSERT(count >= 0 && h >= 1 && w >= 1 && c >= 1 && c <= 4 && hc >= 1 && hc <= h &&
                    wc >= 1 && wc <= w && col0 >= 0 && ld >= col0 + hc * wc * c,
                "crop_frames: bad shape count=%d frames %dx%dx%d window %dx%d ld=%d col0=%d", count,
                h, w, c, hc, wc, ld, col0);
}

void gather_frames_ref(uint8_t *out, const uint8_t *frames, const int32_t *traj,
                       const int32_t *step, const int64_t *traj_start, const int64_t *traj_len,
                       int64_t n, const int32_t *idx, int batch, int to, int next,
                       int64_t frame_bytes) {
    if (frame_bytes == 0) return; /* nothing written, no index read (as on the device) */
    for (int b = 0; b < batch; ++b) {
        const int64_t i = row_index(idx, b, n), tr = traj[i];
        for (int j = 0; j < to; ++j) {
            const int64_t u = gather_history_time(step[i], to, j, next);
            const int64_t f = gather_frame_row(traj_start[tr], traj_len[tr], tr, u, n);
            memcpy(out + ((size_t)b * to + j) * (size_t)frame_bytes,
                   frames + (size_t)f * (size_t)frame_bytes, (size_t)frame_bytes);
        }
    }
}

void crop_frames_ref(float *out, int ld, int col0, const uint8_t *in, int i0, int i1, int h, int w,
                     int c, int hc, int wc, int random, rise_rng rng) {
    if (random) rng = rise_rng_resolve(rng);
    for (int i = i0; i < i1; ++i) {
        int oy = (h - hc) / 2, ox = (w - wc) / 2;
        if (random) {
            oy = crop_offset(rise_rng_word(rng.seed, rng.stream, rng.offset, 2 * (uint64_t)i),
                             h - hc);
            ox = crop_offset(rise_rng_word(rng.seed, rng.stream, rng.offset, 2 * (uint64_t)i + 1),
                             w - wc);
        }
        const uint8_t *src = in + (size_t)i * h * w * c;
        float *dst = out + (size_t)i * ld + col0;
        for (int y = 0; y < hc; ++y)
            for (int x = 0; x < wc; ++x)
                for (int k = 0; k < c; ++k)
                    dst[((size_t)y * wc + x) * c + k] =
                        crop_pixel(src[((size_t)(oy + y) * w + ox + x) * c + k]);
    }
}
