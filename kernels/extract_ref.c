/* extract_ref.c - CPU reference of the candidates' noise and the fused argmax + gather
 * (kernels/extract.h). */
#include "extract.h"

#include <string.h>

#include "philox.h"

void candidate_noise_ref(float *y, const uint64_t *row_offset, int r0, int r1, int n, int k, int s,
                         int w, uint64_t seed, uint32_t stream) {
    const size_t N = (size_t)n * (size_t)k;
    for (int r = r0; r < r1; ++r)
        for (int c = 0; c < k; ++c)
            for (int t = 0; t < s; ++t) {
                float *out = y + ((size_t)t * N + (size_t)r * k + c) * w;
                const uint64_t base = ((uint64_t)c * (uint64_t)s + (uint64_t)t) * (uint64_t)w;
                for (int j = 0; j < w; ++j)
                    out[j] = rise_rng_normal(seed, stream, row_offset[r], base + (uint64_t)j);
            }
}

void argmax_select_ref(float *out, float *best_idx, const float *score, const float *cand, int rows,
                       int k, int width) {
    for (int r = 0; r < rows; ++r) {
        const float *s = score + (size_t)r * k;
        int best = 0;
        for (int j = 1; j < k; ++j)
            if (s[j] > s[best] || (s[best] != s[best] && s[j] == s[j])) best = j;
        memcpy(out + (size_t)r * width, cand + ((size_t)r * k + best) * width,
               sizeof(float) * (size_t)width);
        if (best_idx) best_idx[r] = (float)best;
    }
}
