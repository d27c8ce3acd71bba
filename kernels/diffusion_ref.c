/* diffusion_ref.c - CPU reference of the fused diffusion forward process
 * (kernels/diffusion.h). Row b's time index and element (b, j)'s noise are
 * pure functions of (rng, b, j), so any split of the rows gives the same
 * numbers and the CUDA kernel reproduces them. */
#include "diffusion.h"

void diffusion_q_sample_ref(float *xt, float *eps, float *t_out, const float *x0,
                            const float *sqrt_ab, const float *sqrt_1mab, int rows, int cols,
                            int n_steps, rise_rng rng) {
    rng = rise_rng_resolve(rng);
    const uint64_t row_skip = diffusion_q_sample_row_skip(rng, rows);
    const uint64_t noise_skip = diffusion_q_sample_noise_skip(rng, rows, cols);
    const uint64_t noise_off = diffusion_q_sample_noise_offset(rng, rows);
    for (int b = 0; b < rows; ++b) {
        const uint32_t k =
            rise_below(rise_rng_word(rng.seed, rng.stream, rng.offset, row_skip + (uint64_t)b),
                       (uint32_t)n_steps);
        const float ca = sqrt_ab[k], cn = sqrt_1mab[k];
        t_out[b] = (float)k;
        for (int j = 0; j < cols; ++j) {
            const size_t i = (size_t)b * cols + j;
            const float e = rise_rng_normal(rng.seed, rng.stream, noise_off, noise_skip + i);
            eps[i] = e;
            xt[i] = ca * x0[i] + cn * e;
        }
    }
}
