/* optim_ref.c - CPU reference for Adam/AdamW over a flat buffer and Polyak/EMA (the ops and
 * their rules: kernels/optim.h). */
#include "optim.h"

void adam_ref(float *param, const float *grad, float *m, float *v, size_t n,
              const rise_adam_hparams *hp, int step, const float *grad_sumsq) {
    adam_check(hp, step);
    const float clip = adam_clip_factor(hp->max_grad_norm, grad_sumsq);
    const float inv_bc1 = adam_inv_bias_correction(hp->beta1, step, hp->step_add);
    const float inv_bc2 = adam_inv_bias_correction(hp->beta2, step, hp->step_add);
    /* locals, not hp->..., so the stores below cannot force a reload per element */
    const float lr = hp->lr, b1 = hp->beta1, b2 = hp->beta2, eps = hp->eps;
    const float wd = hp->weight_decay;
    for (size_t i = 0; i < n; ++i)
        param[i] = adam_update(param[i], grad[i], &m[i], &v[i], clip, inv_bc1, inv_bc2, lr, b1, b2,
                               eps, wd);
}

void polyak_ref(float *target, const float *src, size_t n, float tau) {
    for (size_t i = 0; i < n; ++i) target[i] = polyak_value(target[i], src[i], tau);
}
