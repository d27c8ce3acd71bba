/* random.cu - Philox random fills and dropout on the device.
 * Variants: kernel1, one thread per element computing its Philox block with the
 * same (block, lane) mapping as random_ref.c, so uniforms and dropout masks are
 * bitwise equal to the CPU's and normals agree to a few ulp. */
#include "common.cuh"
#include "random.h"

__global__ void rand_uniform_kernel1(float *y, size_t n, float lo, float hi, rise_rng rng) {
    RISE_GRID_STRIDE(i, n) y[i] = lo + (hi - lo) * rise_rng_uniform(rng.seed, rng.stream, rng.offset, i);
}

__global__ void rand_normal_kernel1(float *y, size_t n, float mean, float std, rise_rng rng) {
    RISE_GRID_STRIDE(i, n) y[i] = mean + std * rise_rng_normal(rng.seed, rng.stream, rng.offset, i);
}

__global__ void dropout_forward_kernel1(float *y, float *mask, const float *x, size_t n, float p,
                                        rise_rng rng) {
    const float keep_scale = 1.0f / (1.0f - p);
    RISE_GRID_STRIDE(i, n) {
        const int keep = p == 0.0f || rise_rng_uniform(rng.seed, rng.stream, rng.offset, i) >= p;
        mask[i] = keep ? keep_scale : 0.0f;
        y[i] = x[i] * mask[i];
    }
}

extern "C" void rand_uniform_cuda(void *stream, float *y, size_t n, float lo, float hi, rise_rng rng) {
    if (!n) return;
    rand_uniform_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(y, n, lo, hi, rng);
    RISE_CUDA_LAUNCHED();
}

extern "C" void rand_normal_cuda(void *stream, float *y, size_t n, float mean, float std, rise_rng rng) {
    if (!n) return;
    rand_normal_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(y, n, mean, std, rng);
    RISE_CUDA_LAUNCHED();
}

extern "C" void dropout_forward_cuda(void *stream, float *y, float *mask, const float *x, size_t n,
                                     float p, rise_rng rng) {
    RISE_ASSERT(p >= 0.0f && p < 1.0f, "dropout probability %g outside [0, 1)", (double)p);
    if (!n) return;
    dropout_forward_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(y, mask, x, n,
                                                                                   p, rng);
    RISE_CUDA_LAUNCHED();
}
