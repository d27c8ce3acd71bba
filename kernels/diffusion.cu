/* diffusion.cu - fused diffusion forward process (kernels/diffusion.h).
 * Variants: kernel1, one thread per element; the row's time index is
 * recomputed per element (one Philox block, cheaper than a second pass). */
#include "common.cuh"
#include "diffusion.h"

__global__ void diffusion_q_sample_kernel1(float *xt, float *eps, float *t_out, const float *x0,
                                           const float *sqrt_ab, const float *sqrt_1mab, int rows,
                                           int cols, int n_steps, rise_rng rng) {
    rng = rise_rng_resolve(rng);
    const size_t n = (size_t)rows * cols;
    const uint64_t row_skip = diffusion_q_sample_row_skip(rng, rows);
    const uint64_t noise_skip = diffusion_q_sample_noise_skip(rng, rows, cols);
    const uint64_t noise_off = diffusion_q_sample_noise_offset(rng, rows);
    RISE_GRID_STRIDE(i, n) {
        const size_t b = i / cols;
        const uint32_t k = rise_below(rise_rng_word(rng.seed, rng.stream, rng.offset, row_skip + b),
                                      (uint32_t)n_steps);
        const float e = rise_rng_normal(rng.seed, rng.stream, noise_off, noise_skip + i);
        eps[i] = e;
        xt[i] = sqrt_ab[k] * x0[i] + sqrt_1mab[k] * e;
        if (i % cols == 0) t_out[b] = (float)k;
    }
}

extern "C" void diffusion_q_sample_cuda(void *stream, float *xt, float *eps, float *t_out,
                                        const float *x0, const float *sqrt_ab,
                                        const float *sqrt_1mab, int rows, int cols, int n_steps,
                                        rise_rng rng) {
    const size_t n = (size_t)rows * cols;
    if (!n) return;
    diffusion_q_sample_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(
        xt, eps, t_out, x0, sqrt_ab, sqrt_1mab, rows, cols, n_steps, rng);
    RISE_CUDA_LAUNCHED();
}
