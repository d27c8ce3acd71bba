/* extract_ref.c - CPU reference of the fused argmax + gather (kernels/extract.h). */
#include "extract.h"

#include <string.h>

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
