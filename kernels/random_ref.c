/* random_ref.c - CPU reference for Philox random fills and dropout.
 *
 * Element i of every op is a pure function of (rng, i) as fixed by philox.h,
 * so any split of the index range (threads, CUDA blocks) gives the same
 * numbers; a data-parallel window (philox.h) is resolved before the loop. Dropout: element i is
 * kept iff uniform(rng, i) >= p; the mask holds 1/(1-p) for kept and 0 for dropped elements (p = 0
 * keeps all with mask 1; p = 1 drops all). */
#include "random.h"

void rand_uniform_ref(float *y, size_t n, float lo, float hi, rise_rng rng) {
    rng = rise_rng_slice(rise_rng_resolve(rng), n);
    for (size_t i = 0; i < n; ++i)
        y[i] = lo + (hi - lo) * rise_rng_uniform(rng.seed, rng.stream, rng.offset, rng.skip + i);
}

void rand_normal_ref(float *y, size_t n, float mean, float std, rise_rng rng) {
    rng = rise_rng_slice(rise_rng_resolve(rng), n);
    for (size_t i = 0; i < n; ++i)
        y[i] = mean + std * rise_rng_normal(rng.seed, rng.stream, rng.offset, rng.skip + i);
}

void dropout_forward_ref(float *y, float *mask, const float *x, size_t n, float p, rise_rng rng) {
    rng = rise_rng_slice(rise_rng_resolve(rng), n);
    RISE_ASSERT(p >= 0.0f && p <= 1.0f, "dropout: p=%g outside [0, 1]", (double)p);
    const float keep_scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    for (size_t i = 0; i < n; ++i) {
        const int keep = rise_rng_uniform(rng.seed, rng.stream, rng.offset, rng.skip + i) >= p;
        const float m = keep ? keep_scale : 0.0f;
        mask[i] = m;
        y[i] = x[i] * m;
    }
}
