/* random_ref.c - reference Philox fills and dropout (element i -> philox.h). */
#include "random.h"

void rand_uniform_ref(float *y, size_t n, float lo, float hi, rise_rng rng) {
    for (size_t i = 0; i < n; ++i)
        y[i] = lo + (hi - lo) * rise_rng_uniform(rng.seed, rng.stream, rng.offset, i);
}

void rand_normal_ref(float *y, size_t n, float mean, float std, rise_rng rng) {
    for (size_t i = 0; i < n; ++i)
        y[i] = mean + std * rise_rng_normal(rng.seed, rng.stream, rng.offset, i);
}

void dropout_forward_ref(float *y, float *mask, const float *x, size_t n, float p, rise_rng rng) {
    RISE_ASSERT(p >= 0.0f && p < 1.0f, "dropout probability %g outside [0, 1)", (double)p);
    const float keep_scale = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; ++i) {
        const int keep = p == 0.0f || rise_rng_uniform(rng.seed, rng.stream, rng.offset, i) >= p;
        mask[i] = keep ? keep_scale : 0.0f;
        y[i] = x[i] * mask[i];
    }
}
