/* diffusion.cu - fused diffusion forward process (the op and its rules: kernels/diffusion.h).
 * Variants: kernel1, one thread per element; the row's time index is recomputed per
 * element (one Philox block, cheaper than a second pass); then one thread per row writes
 * t_out (separately, so cols = 0 still writes it, as the reference does). */
#include "common.cuh"
#include "diffusion.h"

__global__ void diffusion_q_sample_kernel1(float *xt, float *eps, float *t_out, const float *x0,
                                           const float *sqrt_ab, const float *sqrt_1mab, int rows,
                                           int cols, int n_steps, rise_rng rng) {
    rng = rise_rng_resolve(rng);
    const size_t n = (size_t)rows * cols;
    const rise_rng trng = rise_rng_slice(rng, (uint64_t)rows);
    const uint64_t noise_off = diffusion_noise_offset(rng, rows);
    const uint64_t noise_skip = diffusion_noise_skip(rng, rows, cols);
    RISE_GRID_STRIDE(i, n) {
        const uint32_t k = diffusion_time_index(trng, i / cols, n_steps);
        const float e = rise_rng_normal(rng.seed, rng.stream, noise_off, noise_skip + i);
        eps[i] = e;
        xt[i] = diffusion_xt(sqrt_ab[k], x0[i], sqrt_1mab[k], e);
    }
    RISE_GRID_STRIDE(b, (size_t)rows) t_out[b] = (float)diffusion_time_index(trng, b, n_steps);
}

extern "C" void diffusion_q_sample_cuda(void *stream, float *xt, float *eps, float *t_out,
                                        const float *x0, const float *sqrt_ab,
                                        const float *sqrt_1mab, int rows, int cols, int n_steps,
                                        rise_rng rng) {
    diffusion_q_sample_check(rows, cols, n_steps);
    const size_t n = (size_t)rows * cols, threads = n > (size_t)rows ? n : (size_t)rows;
    if (!threads) return;
    diffusion_q_sample_kernel1<<<rise_grid_for(threads, 256), 256, 0, RISE_STREAM(stream)>>>(
        xt, eps, t_out, x0, sqrt_ab, sqrt_1mab, rows, cols, n_steps, rng);
    RISE_CUDA_LAUNCHED();
}
