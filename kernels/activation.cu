/* activation.cu - activations and their derivatives, element-wise.
 * Variants: kernel1, one grid-stride kernel per direction with the activation
 * chosen by a switch (uniform across the grid, so no divergence). Computed in
 * float: matches activation_ref.c (double) to ~1e-6 relative. */
#include "activation.h"
#include "common.cuh"

__global__ void act_forward_kernel1(rise_act act, float *y, const float *x, size_t n) {
    RISE_GRID_STRIDE(i, n) y[i] = rise_act_value(act, x[i]);
}

__global__ void act_backward_kernel1(rise_act act, float *dx, const float *dy, const float *x,
                                     size_t n, int accumulate) {
    RISE_GRID_STRIDE(i, n) {
        const float g = dy[i] * rise_act_derivative(act, x[i]);
        dx[i] = accumulate ? dx[i] + g : g;
    }
}

extern "C" void act_forward_cuda(void *stream, rise_act act, float *y, const float *x, size_t n) {
    if (!n) return;
    act_forward_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(act, y, x, n);
    RISE_CUDA_LAUNCHED();
}

extern "C" void act_backward_cuda(void *stream, rise_act act, float *dx, const float *dy,
                                  const float *x, size_t n, int accumulate) {
    if (!n) return;
    act_backward_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(act, dx, dy, x, n,
                                                                                accumulate);
    RISE_CUDA_LAUNCHED();
}
