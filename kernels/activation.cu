/* activation.cu - activations and their derivatives, element-wise (the ops and their
 * rules: kernels/activation.h; the kernels evaluate its float forms act_value_f and
 * act_derivative_f).
 * Variants:
 *   act_forward_kernel1 / act_backward_kernel1: one grid-stride kernel per
 *   direction, the activation chosen by a switch that is uniform across the
 *   grid (no divergence).
 *   bias_act_forward_kernel1: the linear layer's bias and activation in one grid-stride
 *   pass. act_bias_backward_kernel1: one thread per (member, column) walking the rows
 *   (coalesced across columns, deterministic order, as bias_grad_kernel1), writing
 *   da f'(h) and summing it for the bias gradient in double. */
#include "activation.h"
#include "common.cuh"

__global__ void act_forward_kernel1(rise_act act, float *y, const float *x, size_t n) {
    RISE_GRID_STRIDE(i, n) y[i] = act_value_f(act, x[i]);
}

__global__ void act_backward_kernel1(rise_act act, float *dx, const float *dy, const float *x,
                                     size_t n, int accumulate) {
    RISE_GRID_STRIDE(i, n) {
        const float g = dy[i] * act_derivative_f(act, x[i]);
        dx[i] = accumulate ? dx[i] + g : g;
    }
}

__global__ void bias_act_forward_kernel1(rise_act act, float *h, float *a, const float *bias, int b,
                                         int n, size_t total) {
    RISE_GRID_STRIDE(i, total) {
        float v = h[i];
        if (bias) {
            const size_t e = i / ((size_t)b * n), j = i % (size_t)n;
            v += bias[e * n + j];
            h[i] = v;
        }
        a[i] = act_value_f(act, v);
    }
}

__global__ void act_bias_backward_kernel1(rise_act act, float *dh, float *dbias, const float *da,
                                          const float *h, int e, int b, int n) {
    const size_t col = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (col >= (size_t)e * n) return;
    const size_t ei = col / n, j = col % n, first = ei * (size_t)b * n + j;
    double acc = 0.0;
    for (int r = 0; r < b; ++r) {
        const size_t i = first + (size_t)r * n;
        const float g = da[i] * act_derivative_f(act, h[i]);
        dh[i] = g;
        acc += g;
    }
    if (dbias) dbias[col] += (float)acc;
}

extern "C" void bias_act_forward_cuda(void *stream, rise_act act, float *h, float *a,
                                      const float *bias, int e, int b, int n) {
    act_check("bias_act_forward", act);
    act_check_shape("bias_act_forward", e, b, n);
    const size_t total = (size_t)e * b * n;
    if (!total) return;
    bias_act_forward_kernel1<<<rise_grid_for(total, 256), 256, 0, RISE_STREAM(stream)>>>(
        act, h, a, bias, b, n, total);
    RISE_CUDA_LAUNCHED();
}

extern "C" void act_bias_backward_cuda(void *stream, rise_act act, float *dh, float *dbias,
                                       const float *da, const float *h, int e, int b, int n) {
    act_check("act_bias_backward", act);
    act_check_shape("act_bias_backward", e, b, n);
    const size_t cols = (size_t)e * n;
    if (!cols || b <= 0) return;
    act_bias_backward_kernel1<<<(unsigned)((cols + 127) / 128), 128, 0, RISE_STREAM(stream)>>>(
        act, dh, dbias, da, h, e, b, n);
    RISE_CUDA_LAUNCHED();
}

extern "C" void act_forward_cuda(void *stream, rise_act act, float *y, const float *x, size_t n) {
    act_check("act_forward", act);
    if (!n) return;
    act_forward_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(act, y, x, n);
    RISE_CUDA_LAUNCHED();
}

extern "C" void act_backward_cuda(void *stream, rise_act act, float *dx, const float *dy,
                                  const float *x, size_t n, int accumulate) {
    act_check("act_backward", act);
    if (!n) return;
    act_backward_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(act, dx, dy, x, n,
                                                                                 accumulate);
    RISE_CUDA_LAUNCHED();
}
