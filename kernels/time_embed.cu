/* time_embed.cu - frequency embedding y = [sin(t f), cos(t f)] and its gradient.
 * Variants: kernel1; forward one thread per (row, frequency), backward one
 * thread per frequency looping over rows in double (fixed order). */
#include "common.cuh"
#include "time_embed.h"

__global__ void freq_embed_forward_kernel1(float *y, const float *t, const float *f, int b, int h) {
    const size_t n = (size_t)b * h;
    RISE_GRID_STRIDE(i, n) {
        const size_t row = i / h, j = i % h;
        const float a = t[row] * f[j];
        y[row * 2 * h + j] = sinf(a);
        y[row * 2 * h + h + j] = cosf(a);
    }
}

__global__ void freq_embed_backward_kernel1(float *df, const float *dy, const float *t,
                                            const float *f, int b, int h) {
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= h) return;
    double acc = 0.0;
    for (int i = 0; i < b; ++i) {
        const double a = (double)t[i] * f[j];
        acc += dy[(size_t)i * 2 * h + j] * t[i] * cos(a) -
               dy[(size_t)i * 2 * h + h + j] * t[i] * sin(a);
    }
    df[j] += (float)acc;
}

extern "C" void freq_embed_forward_cuda(void *stream, float *y, const float *t, const float *f,
                                        int b, int h) {
    const size_t n = (size_t)b * h;
    if (!n) return;
    freq_embed_forward_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(y, t, f, b,
                                                                                       h);
    RISE_CUDA_LAUNCHED();
}

extern "C" void freq_embed_backward_cuda(void *stream, float *df, const float *dy, const float *t,
                                         const float *f, int b, int h) {
    if (h <= 0) return;
    freq_embed_backward_kernel1<<<(h + 127) / 128, 128, 0, RISE_STREAM(stream)>>>(df, dy, t, f, b,
                                                                                  h);
    RISE_CUDA_LAUNCHED();
}
