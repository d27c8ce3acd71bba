/* random_ref.c - CPU reference for Philox random fills and dropout (the ops and their
 * rules: kernels/random.h). */
#include "random.h"

void rand_uniform_ref(float *y, size_t n, float lo, float hi, rise_rng rng) {
    rng = rise_rng_slice(rise_rng_resolve(rng), n);
    const float width = hi - lo;
    for (size_t i = 0; i < n; ++i)
        y[i] = rise_fma_free(lo, width,
                             rise_rng_uniform(rng.seed, rng.stream, rng.offset, rng.skip + i));
}

void rand_normal_ref(float *y, size_t n, float mean, float std, rise_rng rng) {
    rng = rise_rng_slice(rise_rng_resolve(rng), n);
    for (size_t i = 0; i < n; ++i)
        y[i] = rise_fma_free(mean, std,
                             rise_rng_normal(rng.seed, rng.stream, rng.offset, rng.skip + i));
}

void dropout_forward_ref(float *y, float *mask, const float *x, size_t n, float p, rise_rng rng) {
    dropout_check(p);
    rng = rise_rng_slice(rise_rng_resolve(rng), n);
    const float keep_scale = dropout_keep_scale(p);
    for (size_t i = 0; i < n; ++i) {
        const float m = dropout_mask(
            rise_rng_uniform(rng.seed, rng.stream, rng.offset, rng.skip + i), p, keep_scale);
        mask[i] = m;
        y[i] = x[i] * m;
    }
}
