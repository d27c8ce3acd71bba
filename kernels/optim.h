/* optim.h - Adam/AdamW over a flat buffer (optional global-norm clipping) and Polyak/EMA.
 * The one description of these ops (the backend table in host/backend.h points here;
 * rise_adam_hparams is declared there).
 *
 * Adam, step t = step + (*hp->step_add when set: a counter in backend memory, the agent's
 * device clock), t counting from 1:
 *   c = min(1, max_grad_norm / (sqrt(*grad_sumsq) + 1e-6)) when max_grad_norm > 0 and
 *       grad_sumsq != NULL (a backend scalar, the sum of squared gradients), else 1
 *   g = c grad;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
 *   p -= lr (m / (1-b1^t) / (sqrt(v / (1-b2^t)) + eps) + weight_decay p)   (AdamW)
 * The scalars (clip factor, bias corrections) are computed in double (adam_clip_factor,
 * adam_inv_bias_correction); the per-element update is float with every product and sum
 * rounded as written (adam_update, never an FMA), so both backends give the same bits
 * for the same scalars. A NaN grad_sumsq gives c = 1 (the NaN then reaches the
 * parameters through g, visibly); an infinite one gives c = 0.
 * Polyak / EMA: target = (1 - tau) target + tau src (polyak_value, no FMA).
 * Argument rules (adam_check, abort): step >= 1; 0 <= beta1, beta2 < 1.
 *
 * <op>_ref: plain C reference (kernels/optim_ref.c).
 * <op>_cuda: CUDA dispatchers (kernels/optim.cu); `stream` is the backend's cudaStream_t
 * passed opaquely (never NULL), so this header needs no CUDA types. */
#ifndef RISE_KERNELS_OPTIM_H
#define RISE_KERNELS_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"
#include "host_device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- shared rules (reference and kernels) ---- */

static inline void adam_check(const rise_adam_hparams *hp, int step) {
    RISE_ASSERT(step >= 1, "adam: step=%d must count from 1", step);
    RISE_ASSERT(hp->beta1 >= 0.0f && hp->beta1 < 1.0f && hp->beta2 >= 0.0f && hp->beta2 < 1.0f,
                "adam: betas (%g, %g) must lie in [0, 1)", (double)hp->beta1, (double)hp->beta2);
}

/* The clip factor c; grad_sumsq is read where the op runs (host or device). */
RISE_HD float adam_clip_factor(float max_grad_norm, const float *grad_sumsq) {
    if (!(max_grad_norm > 0.0f) || !grad_sumsq) return 1.0f;
    const double c = (double)max_grad_norm / (sqrt((double)*grad_sumsq) + 1e-6);
    return (float)(c < 1.0 ? c : 1.0);
}

/* 1 / (1 - beta^t) for t = step + *step_add. */
RISE_HD float adam_inv_bias_correction(float beta, int step, const uint64_t *step_add) {
    const double t = (double)step + (step_add ? (double)*step_add : 0.0);
    return (float)(1.0 / (1.0 - pow((double)beta, t)));
}

/* One element: updates *m, *v and returns the new parameter. */
RISE_HD float adam_update(float p, float grad, float *m, float *v, float clip, float inv_bc1,
                          float inv_bc2, float lr, float b1, float b2, float eps, float wd) {
    const float g = rise_mul_rn(grad, clip);
    const float mi = rise_add_rn(rise_mul_rn(b1, *m), rise_mul_rn(1.0f - b1, g));
    const float vi = rise_add_rn(rise_mul_rn(b2, *v), rise_mul_rn(rise_mul_rn(1.0f - b2, g), g));
    *m = mi;
    *v = vi;
    const float upd = rise_mul_rn(mi, inv_bc1) / (sqrtf(rise_mul_rn(vi, inv_bc2)) + eps);
    return p - rise_mul_rn(lr, rise_add_rn(upd, rise_mul_rn(wd, p)));
}

RISE_HD float polyak_value(float target, float src, float tau) {
    return rise_add_rn(rise_mul_rn(1.0f - tau, target), rise_mul_rn(tau, src));
}

/* ---- the ops ---- */

void adam_ref(float *param, const float *grad, float *m, float *v, size_t n,
              const rise_adam_hparams *hp, int step, const float *grad_sumsq);
void polyak_ref(float *target, const float *src, size_t n, float tau);

/* grad_sumsq is device memory here; hp is read on the host. */
void adam_cuda(void *stream, float *param, const float *grad, float *m, float *v, size_t n,
               const rise_adam_hparams *hp, int step, const float *grad_sumsq);
void polyak_cuda(void *stream, float *target, const float *src, size_t n, float tau);

#ifdef __cplusplus
}
#endif
#endif
