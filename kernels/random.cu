/* random.cu - Philox random fills and dropout on the device (the ops and their rules:
 * kernels/random.h). Variants: rand_uniform_kernel1, rand_normal_kernel1, dropout_forward_kernel1,
 * rand_index_kernel1:
 * one thread per element (grid-stride) computing element i's Philox block and
 * lane with philox.h's functions, i.e. exactly random_ref.c's element ->
 * (block, lane) mapping, and the reference's element rules (rise_fma_free: no FMA;
 * dropout_mask): uniforms and dropout masks are bitwise equal to the CPU's; normals
 * differ by a few ulp (device logf/sinf/cosf). */
#include "common.cuh"
#include "random.h"

__global__ void rand_uniform_kernel1(float *y, size_t n, float lo, float hi, rise_rng rng) {
    rng = rise_rng_slice(rise_rng_resolve(rng), n);
    const float width = hi - lo;
    RISE_GRID_STRIDE(i, n) {
        y[i] = rise_fma_free(lo, width,
                             rise_rng_uniform(rng.seed, rng.stream, rng.offset, rng.skip + i));
    }
}

__global__ void rand_normal_kernel1(float *y, size_t n, float mean, float std, rise_rng rng) {
    rng = rise_rng_slice(rise_rng_resolve(rng), n);
    RISE_GRID_STRIDE(i, n) {
        y[i] = rise_fma_free(mean, std,
                             rise_rng_normal(rng.seed, rng.stream, rng.offset, rng.skip + i));
    }
}

__global__ void dropout_forward_kernel1(float *y, float *mask, const float *x, size_t n, float p,
                                        rise_rng rng) {
    rng = rise_rng_slice(rise_rng_resolve(rng), n);
    const float keep_scale = dropout_keep_scale(p);
    RISE_GRID_STRIDE(i, n) {
        const float m = dropout_mask(
            rise_rng_uniform(rng.seed, rng.stream, rng.offset, rng.skip + i), p, keep_scale);
        mask[i] = m;
        y[i] = x[i] * m;
    }
}

__global__ void rand_index_kernel1(uint32_t *y, size_t n, uint32_t below, rise_rng rng) {
    rng = rise_rng_slice(rise_rng_resolve(rng), n);
    RISE_GRID_STRIDE(i, n) {
        const uint32_t w = rise_rng_word(rng.seed, rng.stream, rng.offset, rng.skip + i);
        y[i] = below ? rise_below(w, below) : w;
    }
}

extern "C" void rand_index_cuda(void *stream, uint32_t *y, size_t n, uint32_t below, rise_rng rng) {
    if (!n) return;
    rand_index_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(y, n, below, rng);
    RISE_CUDA_LAUNCHED();
}

extern "C" void rand_uniform_cuda(void *stream, float *y, size_t n, float lo, float hi,
                                  rise_rng rng) {
    if (!n) return;
    rand_uniform_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(y, n, lo, hi, rng);
    RISE_CUDA_LAUNCHED();
}

extern "C" void rand_normal_cuda(void *stream, float *y, size_t n, float mean, float std,
                                 rise_rng rng) {
    if (!n) return;
    rand_normal_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(y, n, mean, std,
                                                                                rng);
    RISE_CUDA_LAUNCHED();
}

extern "C" void dropout_forward_cuda(void *stream, float *y, float *mask, const float *x, size_t n,
                                     float p, rise_rng rng) {
    dropout_check(p);
    if (!n) return;
    dropout_forward_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(y, mask, x, n,
                                                                                    p, rng);
    RISE_CUDA_LAUNCHED();
}
