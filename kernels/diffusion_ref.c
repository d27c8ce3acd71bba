/* diffusion_ref.c - CPU reference of the fused diffusion forward process (the op and its
 * rules: kernels/diffusion.h). */
#include "diffusion.h"

void diffusion_q_sample_ref(float *xt, float *eps, float *t_out, const float *x0,
                            const float *sqrt_ab, const float *sqrt_1mab, int rows, int cols,
                            int n_steps, rise_rng rng) {
    diffusion_q_sample_check(rows, cols, n_steps);
    rng = rise_rng_resolve(rng);
    const rise_rng trng = rise_rng_slice(rng, (uint64_t)rows);
    const uint64_t noise_off = diffusion_noise_offset(rng, rows);
    const uint64_t noise_skip = diffusion_noise_skip(rng, rows, cols);
    for (int b = 0; b < rows; ++b) {
        const uint32_t k = diffusion_time_index(trng, (uint64_t)b, n_steps);
        const float ca = sqrt_ab[k], cn = sqrt_1mab[k];
        t_out[b] = (float)k;
        for (int j = 0; j < cols; ++j) {
            const size_t i = (size_t)b * cols + j;
            const float e = rise_rng_normal(rng.seed, rng.stream, noise_off, noise_skip + i);
            eps[i] = e;
            xt[i] = diffusion_xt(ca, x0[i], cn, e);
        }
    }
}
