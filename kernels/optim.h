/* optim.h - Adam/AdamW over a flat buffer (optional global-norm clipping), Polyak averaging,
 * and the EMA of a model's weights with diffusers' warm-up.
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
 * EMA (ema op): tau = (float)(1 - rise_ema_decay(n)) for update n = step (+ *step_add),
 * the decay computed in double once, then the Polyak update (ema_check: step >= 1,
 * max_decay in [0, 1], power >= 0).
 * Argument rules (adam_check, abort): step >= 1; 0 <= beta1, beta2 < 1.
 *
 * <op>_ref: plain C reference (kernels/optim_ref.c).
 * <op>_cuda: CUDA dispatchers (kernels/optim.cu); `stream` is the backend's cudaStream_t
 * passed opaquely (never NULL), so this header needs no CUDA types. */
#ifndef RISE_KERNELS_OPTIM_H
#define RISE_KERNELS_OPTIM_H

#include <math.h>
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

/* The decay of EMA update n (counting from 1): power > 0 is diffusers' EMAModel with
 * use_ema_warmup (inv_gamma 1, min_decay 0, no delayed start): 0 at n = 1 (the EMA becomes a
 * copy), then min(max_decay, 1 - n^-power) (power 0.75: 0.998 by n = 4000, 0.9999 from
 * n = 215k). power <= 0: max_decay always. */
RISE_HD double rise_ema_decay(double n, double power, double max_decay) {
    if (!(power > 0.0)) return max_decay;
    if (n <= 1.0) return 0.0;
    const double d = 1.0 - pow(n, -power);
    return d < max_decay ? d : max_decay;
}

/* tau of EMA update step (+ *step_add), read where the op runs. */
RISE_HD float ema_tau(const rise_ema_hparams *hp, int step) {
    const double n = (double)step + (hp->step_add ? (double)*hp->step_add : 0.0);
    return (float)(1.0 - rise_ema_decay(n, (double)hp->power, (double)hp->max_decay));
}

static inline void ema_check(const rise_ema_hparams *hp, int step) {
    RISE_ASSERT(step >= 1, "ema: step=%d must count from 1", step);
    RISE_ASSERT(hp->max_decay >= 0.0f && hp->max_decay <= 1.0f && hp->power >= 0.0f,
                "ema: max_decay %g must lie in [0, 1] and power %g be >= 0", (double)hp->max_decay,
                (double)hp->power);
}

/* ---- the ops ---- */

/* Adam's per-call scalars, computed once from the rules above; the reference and the fast
 * CPU loop (kernels/optim_cpu.c) hold them in locals so stores cannot force reloads. */
typedef struct {
    float clip, inv_bc1, inv_bc2, lr, b1, b2, eps, wd;
} adam_scalars;

static inline adam_scalars adam_scalars_of(const rise_adam_hparams *hp, int step,
                                           const float *grad_sumsq) {
    adam_scalars s;
    s.clip = adam_clip_factor(hp->max_grad_norm, grad_sumsq);
    s.inv_bc1 = adam_inv_bias_correction(hp->beta1, step, hp->step_add);
    s.inv_bc2 = adam_inv_bias_correction(hp->beta2, step, hp->step_add);
    s.lr = hp->lr, s.b1 = hp->beta1, s.b2 = hp->beta2, s.eps = hp->eps, s.wd = hp->weight_decay;
    return s;
}

/* One element through adam_update with the call's scalars. */
static inline void adam_element(float *param, float grad, float *m, float *v, adam_scalars s) {
    *param = adam_update(*param, grad, m, v, s.clip, s.inv_bc1, s.inv_bc2, s.lr, s.b1, s.b2, s.eps,
                         s.wd);
}

void adam_ref(float *param, const float *grad, float *m, float *v, size_t n,
              const rise_adam_hparams *hp, int step, const float *grad_sumsq);
void polyak_ref(float *target, const float *src, size_t n, float tau);
void ema_ref(float *target, const float *src, size_t n, const rise_ema_hparams *hp, int step);
/* Fast CPU variant (kernels/optim_cpu.c): the same float arithmetic per element, vectorised
 * and over threads; equal to adam_ref bit for bit. */
void adam_cpu(float *param, const float *grad, float *m, float *v, size_t n,
              const rise_adam_hparams *hp, int step, const float *grad_sumsq);

/* grad_sumsq is device memory here; hp is read on the host. */
void adam_cuda(void *stream, float *param, const float *grad, float *m, float *v, size_t n,
               const rise_adam_hparams *hp, int step, const float *grad_sumsq);
void polyak_cuda(void *stream, float *target, const float *src, size_t n, float tau);
void ema_cuda(void *stream, float *target, const float *src, size_t n, const rise_ema_hparams *hp,
              int step);

#ifdef __cplusplus
}
#endif
#endif
