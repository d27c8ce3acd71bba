/* time_embed.cu - frequency embedding y = [sin(t f), cos(t f)] and its gradient (the op
 * and its rules: kernels/time_embed.h).
 * Variants: kernel1; forward one thread per (row, frequency), the phase, sine and cosine
 * in double as in the reference (freq_embed_phase); backward one thread per frequency
 * looping over rows in double (fixed order, freq_embed_grad_term). */
#include "common.cuh"
#include "time_embed.h"

__global__ void freq_embed_forward_kernel1(float *y, const float *t, const float *f, int b, int h) {
    const size_t n = (size_t)b * h;
    RISE_GRID_STRIDE(i, n) {
        const size_t row = i / h, j = i % h;
        double s, c;
        sincos(freq_embed_phase(t[row], f[j]), &s, &c);
        y[row * 2 * h + j] = (float)s;
        y[row * 2 * h + h + j] = (float)c;
    }
}

__global__ void freq_embed_backward_kernel1(float *df, const float *dy, const float *t,
                                            const float *f, int b, int h) {
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= h) return;
    double acc = 0.0;
    for (int i = 0; i < b; ++i)
        acc += freq_embed_grad_term(t[i], f[j], dy[(size_t)i * 2 * h + j],
                                    dy[(size_t)i * 2 * h + h + j]);
    df[j] += (float)acc;
}

extern "C" void freq_embed_forward_cuda(void *stream, float *y, const float *t, const float *f,
                                        int b, int h) {
    freq_embed_check(b, h);
    const size_t n = (size_t)b * h;
    if (!n) return;
    freq_embed_forward_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(y, t, f, b,
                                                                                       h);
    RISE_CUDA_LAUNCHED();
}

extern "C" void freq_embed_backward_cuda(void *stream, float *df, const float *dy, const float *t,
                                         const float *f, int b, int h) {
    freq_embed_check(b, h);
    if (h == 0) return;
    freq_embed_backward_kernel1<<<(h + 127) / 128, 128, 0, RISE_STREAM(stream)>>>(df, dy, t, f, b,
                                                                                  h);
    RISE_CUDA_LAUNCHED();
}
