/* optim.h - Adam/AdamW over a flat buffer (optional global-norm clipping), Polyak averaging,
 * and the EMA of a model's weights with diffusers' warm-up.
 *
 * <op>_ref: plain C reference (the specification; long reductions in double).
 * <op>_cuda: CUDA dispatcher (kernels/optim.cu); `stream` is a cudaStream_t
 * passed opaquely so this header needs no CUDA types. Semantics and shapes are
 * documented once, on the backend table in host/backend.h. */
#ifndef RISE_KERNELS_OPTIM_H
#define RISE_KERNELS_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"
#include "philox.h" /* RISE_HD */

#ifdef __cplusplus
extern "C" {
#endif

/* The decay of EMA update n (counting from 1), shared by the reference and the kernel:
 * power > 0 is diffusers' EMAModel with use_ema_warmup (inv_gamma 1, min_decay 0, no
 * delayed start): 0 at n = 1 (the EMA becomes a copy), then min(max_decay, 1 - n^-power)
 * (power 0.75: 0.998 by n = 4000, 0.9999 from n = 215k). power <= 0: max_decay always. */
RISE_HD double rise_ema_decay(double n, double power, double max_decay) {
    if (!(power > 0.0)) return max_decay;
    if (n <= 1.0) return 0.0;
    const double d = 1.0 - pow(n, -power);
    return d < max_decay ? d : max_decay;
}

void adam_ref(float *param, const float *grad, float *m, float *v, size_t n,
              const rise_adam_hparams *hp, int step, const float *grad_sumsq);
void polyak_ref(float *target, const float *src, size_t n, float tau);
void ema_ref(float *target, const float *src, size_t n, const rise_ema_hparams *hp, int step);

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
