/* optim.cu - Adam/AdamW and Polyak averaging over a flat parameter buffer.
 * Variants: kernel1, one grid-stride launch over the whole buffer (every
 * tensor of a model at once). The clipping factor is computed in-kernel from
 * the device scalar grad_sumsq, so no host synchronisation is needed; the bias
 * corrections are computed in-kernel in double exactly as in optim_ref.c (the
 * step may come from a device counter, hp.step_add). The EMA's decay is computed
 * in-kernel from the step the same way (rise_ema_decay, shared with optim_ref.c). */
#include <math.h>

#include "common.cuh"
#include "optim.h"

__global__ void adam_kernel1(float *param, const float *grad, float *m, float *v, size_t n,
                             rise_adam_hparams hp, int step, const float *grad_sumsq) {
    float clip = 1.0f;
    if (hp.max_grad_norm > 0.0f && grad_sumsq) {
        const double c = (double)hp.max_grad_norm / (sqrt((double)*grad_sumsq) + 1e-6);
        clip = (float)(c < 1.0 ? c : 1.0);
    }
    const double t = (double)step + (hp.step_add ? (double)*hp.step_add : 0.0);
    const float inv_bc1 = (float)(1.0 / (1.0 - pow((double)hp.beta1, t)));
    const float inv_bc2 = (float)(1.0 / (1.0 - pow((double)hp.beta2, t)));
    RISE_GRID_STRIDE(i, n) {
        const float g = grad[i] * clip;
        const float mi = hp.beta1 * m[i] + (1.0f - hp.beta1) * g;
        const float vi = hp.beta2 * v[i] + (1.0f - hp.beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        const float upd = (mi * inv_bc1) / (sqrtf(vi * inv_bc2) + hp.eps);
        param[i] -= hp.lr * (upd + hp.weight_decay * param[i]);
    }
}

__global__ void polyak_kernel1(float *target, const float *src, size_t n, float tau) {
    RISE_GRID_STRIDE(i, n) target[i] = (1.0f - tau) * target[i] + tau * src[i];
}

__global__ void ema_kernel1(float *target, const float *src, size_t n, rise_ema_hparams hp,
                            int step) {
    const double t = (double)step + (hp.step_add ? (double)*hp.step_add : 0.0);
    const float tau = (float)(1.0 - rise_ema_decay(t, (double)hp.power, (double)hp.max_decay));
    RISE_GRID_STRIDE(i, n) target[i] = (1.0f - tau) * target[i] + tau * src[i];
}

extern "C" void adam_cuda(void *stream, float *param, const float *grad, float *m, float *v,
                          size_t n, const rise_adam_hparams *hp, int step,
                          const float *grad_sumsq) {
    RISE_ASSERT(step >= 1, "Adam step counts from 1, got %d", step);
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
    RISE_ASSERT(step >= 1, "ema: step=%d must count from 1", step);
    if (!n) return;
    ema_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(target, src, n, *hp, step);
    RISE_CUDA_LAUNCHED();
}
