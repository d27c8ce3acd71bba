/* optim.h - Adam/AdamW over a flat buffer (optional global-norm clipping) and Polyak/EMA.
 *
 * <op>_ref: plain C reference (the specification; long reductions in double).
 * <op>_cuda: CUDA dispatcher (kernels/optim.cu); `stream` is a cudaStream_t
 * passed opaquely so this header needs no CUDA types. Semantics and shapes are
 * documented once, on the backend table in host/backend.h. */
#ifndef RISE_KERNELS_OPTIM_H
#define RISE_KERNELS_OPTIM_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Adam's per-call scalars (the rule shared by adam_ref and adam_cpu), computed once in
 * double: the clip factor c = min(1, max_grad_norm / (sqrt(*grad_sumsq) + 1e-6)) (1
 * without clipping) and the inverse bias corrections 1 / (1 - beta^t), t = step +
 * *hp->step_add; with the hyperparameters copied by value, so a loop over the buffer
 * need not reload them after every store. */
typedef struct {
    float gscale, inv_bc1, inv_bc2;
    float b1, b2, lr, eps, wd;
} adam_scalars;

static inline adam_scalars adam_scalars_of(const rise_adam_hparams *hp, int step,
                                           const float *grad_sumsq) {
    double clip = 1.0;
    if (hp->max_grad_norm > 0.0f && grad_sumsq) {
        const double norm = sqrt((double)*grad_sumsq);
        const double c = (double)hp->max_grad_norm / (norm + 1e-6);
        clip = c < 1.0 ? c : 1.0;
    }
    const double t = (double)step + (hp->step_add ? (double)*hp->step_add : 0.0);
    adam_scalars s;
    s.gscale = (float)clip;
    s.inv_bc1 = (float)(1.0 / (1.0 - pow((double)hp->beta1, t)));
    s.inv_bc2 = (float)(1.0 / (1.0 - pow((double)hp->beta2, t)));
    s.b1 = hp->beta1, s.b2 = hp->beta2, s.lr = hp->lr, s.eps = hp->eps, s.wd = hp->weight_decay;
    return s;
}

/* One element of Adam/AdamW in float (the order of operations both CPU backends use). */
static inline void adam_element(float *param, float grad, float *m, float *v, adam_scalars s) {
    const float g = grad * s.gscale;
    const float mi = s.b1 * *m + (1.0f - s.b1) * g;
    const float vi = s.b2 * *v + (1.0f - s.b2) * g * g;
    *m = mi;
    *v = vi;
    const float upd = (mi * s.inv_bc1) / (sqrtf(vi * s.inv_bc2) + s.eps);
    *param -= s.lr * (upd + s.wd * *param);
}

void adam_ref(float *param, const float *grad, float *m, float *v, size_t n,
              const rise_adam_hparams *hp, int step, const float *grad_sumsq);
void polyak_ref(float *target, const float *src, size_t n, float tau);
/* Fast CPU variant (kernels/optim_cpu.c): the same float arithmetic per element, vectorised
 * and over threads; equal to adam_ref bit for bit. */
void adam_cpu(float *param, const float *grad, float *m, float *v, size_t n,
              const rise_adam_hparams *hp, int step, const float *grad_sumsq);

/* grad_sumsq is device memory here; hp is read on the host. */
void adam_cuda(void *stream, float *param, const float *grad, float *m, float *v, size_t n,
               const rise_adam_hparams *hp, int step, const float *grad_sumsq);
void polyak_cuda(void *stream, float *target, const float *src, size_t n, float tau);

#ifdef __cplusplus
}
#endif
#endif
