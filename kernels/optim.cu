/* optim.cu - Adam/AdamW, Polyak averaging and the EMA over a flat parameter buffer (the ops and
 * their rules: kernels/optim.h).
 * Variants: kernel1, one grid-stride launch over the whole buffer (every tensor of a model
 * at once). The clip factor and the bias corrections are computed in-kernel with the
 * reference's functions, from the device scalar grad_sumsq and the device step counter
 * (hp.step_add), so no host synchronisation is needed; the element update is the
 * reference's too (products rounded as written, no FMA). */
#include <math.h>

#include "common.cuh"
#include "optim.h"

__global__ void adam_kernel1(float *param, const float *grad, float *m, float *v, size_t n,
                             rise_adam_hparams hp, int step, const float *grad_sumsq) {
    const float clip = adam_clip_factor(hp.max_grad_norm, grad_sumsq);
    const float inv_bc1 = adam_inv_bias_correction(hp.beta1, step, hp.step_add);
    const float inv_bc2 = adam_inv_bias_correction(hp.beta2, step, hp.step_add);
    RISE_GRID_STRIDE(i, n) {
        param[i] = adam_update(param[i], grad[i], &m[i], &v[i], clip, inv_bc1, inv_bc2, hp.lr,
                               hp.beta1, hp.beta2, hp.eps, hp.weight_decay);
    }
}

__global__ void polyak_kernel1(float *target, const float *src, size_t n, float tau) {
    RISE_GRID_STRIDE(i, n) target[i] = polyak_value(target[i], src[i], tau);
}

/* The EMA: tau from the step read on the device (ema_tau, the reference's rule). */
__global__ void ema_kernel1(float *target, const float *src, size_t n, rise_ema_hparams hp,
                            int step) {
    const float tau = ema_tau(&hp, step);
    RISE_GRID_STRIDE(i, n) target[i] = polyak_value(target[i], src[i], tau);
}

extern "C" void adam_cuda(void *stream, float *param, const float *grad, float *m, float *v,
                          size_t n, const rise_adam_hparams *hp, int step,
                          const float *grad_sumsq) {
    adam_check(hp, step);
    if (!n) return;
    adam_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(param, grad, m, v, n, *hp,
                                                                         step, grad_sumsq);
    RISE_CUDA_LAUNCHED();
}

extern "C" void polyak_cuda(void *stream, float *target, const float *src, size_t n, float tau) {
    if (!n) return;
    polyak_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(target, src, n, tau);
    RISE_CUDA_LAUNCHED();
}

extern "C" void ema_cuda(void *stream, float *target, const float *src, size_t n,
                         const rise_ema_hparams *hp, int step) {
    ema_check(hp, step);
    if (!n) return;
    ema_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(target, src, n, *hp, step);
    RISE_CUDA_LAUNCHED();
}
