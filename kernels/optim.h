/* optim.h - Adam/AdamW over a flat buffer (optional global-norm clipping) and Polyak/EMA.
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

#ifdef __cplusplus
extern "C" {
#endif

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
