/* loss.cu - fused loss-and-gradient kernels and the TD target (the ops and their rules:
 * kernels/loss.h). Variants: kernel1, one block of 1024 threads writes every gradient element
 * and reduces the loss in double in a fixed order (deterministic, one launch,
 * no host sync). Losses are over a batch (≤ ~1e5 elements), where one block
 * is enough; td_target is a plain grid-stride kernel. */
#include "common.cuh"
#include "loss.h"

__global__ void __launch_bounds__(1024)
    mse_kernel1(float *loss, float *dpred, const float *pred, const float *target, const float *w,
                size_t n, float scale) {
    const double k = loss_mean_scale(scale, n);
    double acc = 0.0;
    for (size_t i = threadIdx.x; i < n; i += blockDim.x) {
        const double d = (double)pred[i] - target[i];
        const double wi = w ? w[i] : 1.0;
        acc += wi * d * d;
        if (dpred) dpred[i] = (float)(2.0 * k * wi * d);
    }
    acc = rise_block_sum(acc);
    if (threadIdx.x == 0) *loss = (float)(acc * k);
}

__global__ void __launch_bounds__(1024)
    expectile_kernel1(float *loss, float *dv, const float *q, const float *v, size_t n, float tau,
                      float scale) {
    const double k = loss_mean_scale(scale, n);
    double acc = 0.0;
    for (size_t i = threadIdx.x; i < n; i += blockDim.x) {
        const double u = (double)q[i] - v[i];
        const double w = expectile_weight(u, tau);
        acc += w * u * u;
        if (dv) dv[i] = (float)(-2.0 * k * w * u);
    }
    acc = rise_block_sum(acc);
    if (threadIdx.x == 0) *loss = (float)(acc * k);
}

__global__ void td_target_kernel1(float *y, const float *r, const float *done, const float *v_next,
                                  size_t n, float gamma) {
    RISE_GRID_STRIDE(i, n) y[i] = td_target_value(r[i], done[i], v_next[i], gamma);
}

extern "C" void mse_cuda(void *stream, float *loss, float *dpred, const float *pred,
                         const float *target, const float *w, size_t n, float scale) {
    mse_kernel1<<<1, 1024, 0, RISE_STREAM(stream)>>>(loss, dpred, pred, target, w, n, scale);
    RISE_CUDA_LAUNCHED();
}

extern "C" void expectile_cuda(void *stream, float *loss, float *dv, const float *q, const float *v,
                               size_t n, float tau, float scale) {
    expectile_check(tau);
    expectile_kernel1<<<1, 1024, 0, RISE_STREAM(stream)>>>(loss, dv, q, v, n, tau, scale);
    RISE_CUDA_LAUNCHED();
}

extern "C" void td_target_cuda(void *stream, float *y, const float *r, const float *done,
                               const float *v_next, size_t n, float gamma) {
    if (!n) return;
    td_target_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(y, r, done, v_next, n,
                                                                              gamma);
    RISE_CUDA_LAUNCHED();
}
