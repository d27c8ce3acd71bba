/* optim_ref.c - CPU reference for Adam/AdamW over a flat buffer and Polyak/EMA (the ops and
 * their rules: kernels/optim.h). */
#include "optim.h"

void adam_ref(float *param, const float *grad, float *m, float *v, size_t n,
              const rise_adam_hparams *hp, int step, const float *grad_sumsq) {
    adam_check(hp, step);
    const adam_scalars s = adam_scalars_of(hp, step, grad_sumsq);
    for (size_t i = 0; i < n; ++i) adam_element(&param[i], grad[i], &m[i], &v[i], s);
}

void polyak_ref(float *target, const float *src, size_t n, float tau) {
    for (size_t i = 0; i < n; ++i) target[i] = polyak_value(target[i], src[i], tau);
}

void ema_ref(float *target, const float *src, size_t n, const rise_ema_hparams *hp, int step) {
    ema_check(hp, step);
    polyak_ref(target, src, n, ema_tau(hp, step));
}
