/* spatial_softmax.cu - spatial softmax keypoints on CUDA (see spatial_softmax.h). Forward: one
 * warp per (b, c) map, a max, a sum of exponentials and the two expectations by warp
 * reductions (maps of 10^2..10^3 positions, so a warp is enough); attn written as it goes.
 * Backward: one thread per element from the header's rule. */
#include "common.cuh"
#include "spatial_softmax.h"

__global__ void spatial_softmax_forward_kernel(float *y, float *attn, const float *x, int b, int h,
                                               int w, int c, float temperature) {
    const int warp = (int)((blockIdx.x * (size_t)blockDim.x + threadIdx.x) / 32);
    const int lane = threadIdx.x % 32;
    if (warp >= b * c) return;
    const int n = warp / c, ch = warp % c;
    const int hw = h * w;
    const float *xm = x + (size_t)n * hw * c + ch;
    float *am = attn + (size_t)n * hw * c + ch;
    float mx = -INFINITY;
    for (int p = lane; p < hw; p += 32) mx = fmaxf(mx, xm[(size_t)p * c] / temperature);
    for (int o = 16; o > 0; o >>= 1) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o));
    float sum = 0.0f;
    for (int p = lane; p < hw; p += 32) sum += expf(xm[(size_t)p * c] / temperature - mx);
    sum = rise_warp_sum(sum);
    float ex = 0.0f, ey = 0.0f;
    for (int p = lane; p < hw; p += 32) {
        const float a = expf(xm[(size_t)p * c] / temperature - mx) / sum;
        am[(size_t)p * c] = a;
        ex += a * spatial_softmax_pos(p % w, w);
        ey += a * spatial_softmax_pos(p / w, h);
    }
    ex = rise_warp_sum(ex);
    ey = rise_warp_sum(ey);
    if (lane == 0) {
        y[(size_t)n * 2 * c + 2 * ch] = ex;
        y[(size_t)n * 2 * c + 2 * ch + 1] = ey;
    }
}

__global__ void spatial_softmax_backward_kernel(float *dx, const float *dy, const float *y,
                                                const float *attn, int b, int h, int w, int c,
                                                float temperature, int accumulate) {
    const size_t total = (size_t)b * h * w * c;
    RISE_GRID_STRIDE(idx, total) {
        const int ch = (int)(idx % c);
        const size_t pos = idx / c;
        const int q = (int)(pos % w);
        const size_t nr = pos / w;
        const int r = (int)(nr % h), n = (int)(nr / h);
        const size_t k = (size_t)n * 2 * c + 2 * ch;
        const float v =
            spatial_softmax_dx(attn[idx], spatial_softmax_pos(q, w), spatial_softmax_pos(r, h),
                               y[k], y[k + 1], dy[k], dy[k + 1], temperature);
        dx[idx] = accumulate ? dx[idx] + v : v;
    }
}

extern "C" void spatial_softmax_forward_cuda(void *stream, float *y, float *attn, const float *x,
                                             int b, int h, int w, int c, float temperature) {
    spatial_softmax_check("spatial_softmax_forward", b, h, w, c, temperature);
    if (b == 0) return;
    const size_t threads = (size_t)b * c * 32;
    spatial_softmax_forward_kernel<<<(unsigned)((threads + 255) / 256), 256, 0,
                                     RISE_STREAM(stream)>>>(y, attn, x, b, h, w, c, temperature);
    RISE_CUDA_LAUNCHED();
}

extern "C" void spatial_softmax_backward_cuda(void *stream, float *dx, const float *dy,
                                              const float *y, const float *attn, int b, int h,
                                              int w, int c, float temperature, int accumulate) {
    spatial_softmax_check("spatial_softmax_backward", b, h, w, c, temperature);
    if (b == 0) return;
    const size_t n = (size_t)b * h * w * c;
    spatial_softmax_backward_kernel<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(
        dx, dy, y, attn, b, h, w, c, temperature, accumulate);
    RISE_CUDA_LAUNCHED();
}
