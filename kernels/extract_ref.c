/* extract_ref.c - CPU reference of the candidates' noise and the fused argmax + gather (the
 * ops and their rules: kernels/extract.h). */
#include "extract.h"

#include <string.h>

void candidate_noise_ref(float *y, const uint64_t *row_offset, int r0, int r1, int n, int k, int s,
                         int w, uint64_t seed, uint32_t stream) {
    candidate_noise_check(n, k, s, w);
    RISE_ASSERT(0 <= r0 && r0 <= r1 && r1 <= n, "candidate_noise: rows [%d, %d) outside [0, %d)",
                r0, r1, n);
    const size_t N = (size_t)n * (size_t)k;
    for (int r = r0; r < r1; ++r)
        for (int c = 0; c < k; ++c)
            for (int t = 0; t < s; ++t) {
                float *out = y + ((size_t)t * N + (size_t)r * k + c) * w;
                for (int j = 0; j < w; ++j)
                    out[j] = candidate_noise_value(seed, stream, row_offset[r], (size_t)c,
                                                   (size_t)t, s, w, (size_t)j);
            }
}

void argmax_select_ref(float *out, float *best_idx, const float *score, const float *cand, int rows,
                       int k, int width) {
    argmax_select_check(rows, k, width);
    for (int r = 0; r < rows; ++r) {
        const float *sr = score + (size_t)r * k;
        int best = 0;
        for (int j = 1; j < k; ++j)
            if (argmax_beats(sr[j], j, sr[best], best)) best = j;
        memcpy(out + (size_t)r * width, cand + ((size_t)r * k + best) * width,
               sizeof(float) * (size_t)width);
        if (best_idx) best_idx[r] = (float)best;
    }
}
