/* optim_ref.c - CPU reference for Adam/AdamW over a flat buffer and Polyak/EMA.
 *
 * Adam (step counts from 1), with c = min(1, max_grad_norm / (sqrt(*grad_sumsq)
 * + 1e-6)) when max_grad_norm > 0 and grad_sumsq != NULL, else c = 1:
 *   g = c grad;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
 *   p -= lr (m / (1-b1^t) / (sqrt(v / (1-b2^t)) + eps) + weight_decay p)
 * with t = step + *hp->step_add when step_add is set. The scalars (bias
 * corrections, clip factor) are computed in double once; the per-element update
 * is float, as the GPU kernel does it. */
#include "optim.h"

#include <math.h>

void adam_ref(float *param, const float *grad, float *m, float *v, size_t n,
              const rise_adam_hparams *hp, int step, const float *grad_sumsq) {
    RISE_ASSERT(step >= 1, "adam: step=%d must count from 1", step);
    RISE_ASSERT(hp->beta1 >= 0.0f && hp->beta1 < 1.0f && hp->beta2 >= 0.0f && hp->beta2 < 1.0f,
                "adam: betas (%g, %g) must lie in [0, 1)", (double)hp->beta1, (double)hp->beta2);
    const adam_scalars s = adam_scalars_of(hp, step, grad_sumsq);
    for (size_t i = 0; i < n; ++i) adam_element(&param[i], grad[i], &m[i], &v[i], s);
}

void polyak_ref(float *target, const float *src, size_t n, float tau) {
    for (size_t i = 0; i < n; ++i) target[i] = (1.0f - tau) * target[i] + tau * src[i];
}
