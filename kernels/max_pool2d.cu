/* max_pool2d.cu - 2-D max pooling on CUDA (see max_pool2d.h): one thread per output element
 * (forward: the maximum and its saved position) or input element (backward, a gather over
 * the saved positions: deterministic, no atomics), each from the header's shared rules. */
#include "common.cuh"
#include "max_pool2d.h"

__global__ void max_pool2d_forward_kernel(rise_conv2d_shape s, float *y, int32_t *idx,
                                          const float *x) {
    const size_t total = (size_t)s.batch * s.h_out * s.w_out * s.c_out;
    RISE_GRID_STRIDE(o, total) {
        const int c = (int)(o % s.c_out);
        const size_t p = o / s.c_out;
        const int v = (int)(p % s.w_out);
        const size_t bu = p / s.w_out;
        const int u = (int)(bu % s.h_out), b = (int)(bu / s.h_out);
        const int at = max_pool2d_argmax(&s, x, b, u, v, c);
        y[o] = x[conv2d_x_at(&s, b, at / s.w_in, at % s.w_in, c)];
        idx[o] = at;
    }
}

__global__ void max_pool2d_backward_kernel(rise_conv2d_shape s, float *dx, const float *dy,
                                           const int32_t *idx, int accumulate) {
    const size_t total = (size_t)s.batch * s.h_in * s.w_in * s.c_in;
    RISE_GRID_STRIDE(e, total) {
        const int c = (int)(e % s.c_in);
        const size_t p = e / s.c_in;
        const int q = (int)(p % s.w_in);
        const size_t br = p / s.w_in;
        const int r = (int)(br % s.h_in), b = (int)(br / s.h_in);
        const float v = max_pool2d_dx_value(&s, idx, dy, b, r, q, c);
        dx[e] = accumulate ? dx[e] + v : v;
    }
}

extern "C" void max_pool2d_forward_cuda(void *stream, const rise_conv2d_shape *s, float *y,
                                        int32_t *idx, const float *x) {
    max_pool2d_check("max_pool2d_forward", s);
    const size_t n = (size_t)s->batch * s->h_out * s->w_out * s->c_out;
    if (n == 0) return;
    max_pool2d_forward_kernel<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(*s, y, idx,
                                                                                      x);
    RISE_CUDA_LAUNCHED();
}

extern "C" void max_pool2d_backward_cuda(void *stream, const rise_conv2d_shape *s, float *dx,
                                         const float *dy, const int32_t *idx, int accumulate) {
    max_pool2d_check("max_pool2d_backward", s);
    const size_t n = (size_t)s->batch * s->h_in * s->w_in * s->c_in;
    if (n == 0) return;
    max_pool2d_backward_kernel<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(
        *s, dx, dy, idx, accumulate);
    RISE_CUDA_LAUNCHED();
}
