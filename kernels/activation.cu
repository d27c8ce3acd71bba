/* activation.cu - activations and their derivatives, element-wise.
 * Variants:
 *   act_forward_kernel1 / act_backward_kernel1: one grid-stride kernel per
 *   direction, the activation chosen by a switch that is uniform across the
 *   grid (no divergence). Computed in float; activation_ref.c uses double, so
 *   results agree to a few float ulp (tests: atol 1e-6, rtol 1e-5; GELU/mish
 *   lose relative accuracy where 1 + tanh(.) cancels, hence the atol). */
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
    RISE_ASSERT((unsigned)act < RISE_ACT_COUNT, "unknown activation %d", (int)act);
    if (!n) return;
    act_forward_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(act, y, x, n);
    RISE_CUDA_LAUNCHED();
}

extern "C" void act_backward_cuda(void *stream, rise_act act, float *dx, const float *dy,
                                  const float *x, size_t n, int accumulate) {
    RISE_ASSERT((unsigned)act < RISE_ACT_COUNT, "unknown activation %d", (int)act);
    if (!n) return;
    act_backward_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(act, dx, dy, x, n,
                                                                                 accumulate);
    RISE_CUDA_LAUNCHED();
}
