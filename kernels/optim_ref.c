/* optim_ref.c - reference Adam/AdamW and Polyak averaging over flat buffers. */
#include "optim.h"

#include <math.h>

/* The factor that clips gradients to max_grad_norm (1 when off). Shared with
 * the CUDA kernel's formula: min(1, max_norm / (norm + 1e-6)). */
static float clip_factor(const rise_adam_hparams *hp, const float *grad_sumsq) {
    if (hp->max_grad_norm <= 0.0f || !grad_sumsq) return 1.0f;
    const float norm = sqrtf(*grad_sumsq);
    const float f = hp->max_grad_norm / (norm + 1e-6f);
    return f < 1.0f ? f : 1.0f;
}

void adam_ref(float *param, const float *grad, float *m, float *v, size_t n,
              const rise_adam_hparams *hp, int step, const float *grad_sumsq) {
    RISE_ASSERT(step >= 1, "Adam step counts from 1, got %d", step);
    const float clip = clip_factor(hp, grad_sumsq);
    const float bc1 = 1.0f - powf(hp->beta1, (float)step);
    const float bc2 = 1.0f - powf(hp->beta2, (float)step);
    for (size_t i = 0; i < n; ++i) {
        const float g = grad[i] * clip;
        m[i] = hp->beta1 * m[i] + (1.0f - hp->beta1) * g;
        v[i] = hp->beta2 * v[i] + (1.0f - hp->beta2) * g * g;
        const float mhat = m[i] / bc1;
        const float vhat = v[i] / bc2;
        param[i] -= hp->lr * (mhat / (sqrtf(vhat) + hp->eps) + hp->weight_decay * param[i]);
    }
}

void polyak_ref(float *target, const float *src, size_t n, float tau) {
    for (size_t i = 0; i < n; ++i) target[i] = (1.0f - tau) * target[i] + tau * src[i];
}
