/* optim_ref.c - CPU reference for Adam/AdamW over a flat buffer and Polyak/EMA.
 *
 * Adam (step counts from 1), with c = min(1, max_grad_norm / (sqrt(*grad_sumsq)
 * + 1e-6)) when max_grad_norm > 0 and grad_sumsq != NULL, else c = 1:
 *   g = c grad;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
 *   p -= lr (m / (1-b1^t) / (sqrt(v / (1-b2^t)) + eps) + weight_decay p)
 * with t = step + *hp->step_add when step_add is set. The scalars (bias
 * corrections, clip factor) are computed in double once; the per-element update
 * is float, as the GPU kernel does it.
 * EMA: tau = (float)(1 - rise_ema_decay(n)) for update n = step (+ *step_add), then
 * the Polyak update (the decay is computed in double once, as in the kernel). */
#include "optim.h"

#include <math.h>

void adam_ref(float *param, const float *grad, float *m, float *v, size_t n,
              const rise_adam_hparams *hp, int step, const float *grad_sumsq) {
    RISE_ASSERT(step >= 1, "adam: step=%d must count from 1", step);
    RISE_ASSERT(hp->beta1 >= 0.0f && hp->beta1 < 1.0f && hp->beta2 >= 0.0f && hp->beta2 < 1.0f,
                "adam: betas (%g, %g) must lie in [0, 1)", (double)hp->beta1, (double)hp->beta2);
    double clip = 1.0;
    if (hp->max_grad_norm > 0.0f && grad_sumsq) {
        const double norm = sqrt((double)*grad_sumsq);
        const double c = (double)hp->max_grad_norm / (norm + 1e-6);
        clip = c < 1.0 ? c : 1.0;
    }
    const float gscale = (float)clip;
    const double t = (double)step + (hp->step_add ? (double)*hp->step_add : 0.0);
    const float inv_bc1 = (float)(1.0 / (1.0 - pow((double)hp->beta1, t)));
    const float inv_bc2 = (float)(1.0 / (1.0 - pow((double)hp->beta2, t)));
    const float b1 = hp->beta1, b2 = hp->beta2, lr = hp->lr, eps = hp->eps;
    const float wd = hp->weight_decay;
    for (size_t i = 0; i < n; ++i) {
        const float g = grad[i] * gscale;
        const float mi = b1 * m[i] + (1.0f - b1) * g;
        const float vi = b2 * v[i] + (1.0f - b2) * g * g;
        m[i] = mi;
        v[i] = vi;
        const float upd = (mi * inv_bc1) / (sqrtf(vi * inv_bc2) + eps);
        param[i] -= lr * (upd + wd * param[i]);
    }
}

void polyak_ref(float *target, const float *src, size_t n, float tau) {
    for (size_t i = 0; i < n; ++i) target[i] = (1.0f - tau) * target[i] + tau * src[i];
}

void ema_ref(float *target, const float *src, size_t n, const rise_ema_hparams *hp, int step) {
    RISE_ASSERT(step >= 1, "ema: step=%d must count from 1", step);
    RISE_ASSERT(hp->max_decay >= 0.0f && hp->max_decay <= 1.0f && hp->power >= 0.0f,
                "ema: max_decay %g must lie in [0, 1] and power %g be >= 0", (double)hp->max_decay,
                (double)hp->power);
    const double t = (double)step + (hp->step_add ? (double)*hp->step_add : 0.0);
    const float tau = (float)(1.0 - rise_ema_decay(t, (double)hp->power, (double)hp->max_decay));
    polyak_ref(target, src, n, tau);
}
