/* action_noise.c - CPU reference of action-noise expansion (see action_noise.h). */
#include "action_noise.h"

#include <math.h>

void rise_action_noise_ref(const float *a, int64_t B, int64_t A, int M, const float *sigma,
                           rise_rng rng, float *out, float *sigma_out, float *delta_norm) {
    rng = rise_rng_slice(rise_rng_resolve(rng), (uint64_t)(B * M * A));
    for (int64_t b = 0; b < B; ++b)
        for (int m = 0; m < M; ++m) {
            const int64_t row = b * M + m;
            double d2 = 0;
            for (int64_t j = 0; j < A; ++j) {
                const uint64_t i = (uint64_t)(row * A + j);
                const float eps = rise_rng_normal(rng.seed, rng.stream, rng.offset, rng.skip + i);
                float v = a[b * A + j] + sigma[m] * eps;
                v = v < -1.0f ? -1.0f : (v > 1.0f ? 1.0f : v);
                out[row * A + j] = v;
                const double d = (double)v - a[b * A + j];
                d2 += d * d;
            }
            if (sigma_out) sigma_out[row] = sigma[m];
            if (delta_norm) delta_norm[row] = (float)sqrt(d2);
        }
}

void rise_action_noise_levels(int M, float lo, float hi, float *sigma) {
    if (M == 1) {
        sigma[0] = lo;
        return;
    }
    for (int m = 0; m < M; ++m)
        sigma[m] = lo > 0 && hi > 0 ? lo * powf(hi / lo, (float)m / (float)(M - 1))
                                    : lo + (hi - lo) * (float)m / (float)(M - 1);
}
