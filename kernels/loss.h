/* loss.h - fused loss-and-gradient ops (MSE, expectile) and the TD target.
 *
 * <op>_ref: plain C reference (the specification; long reductions in double).
 * <op>_cuda: CUDA dispatcher (kernels/loss.cu); `stream` is a cudaStream_t
 * passed opaquely so this header needs no CUDA types. Semantics and shapes are
 * documented once, on the backend table in host/backend.h. */
#ifndef RISE_KERNELS_LOSS_H
#define RISE_KERNELS_LOSS_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

void mse_ref(float *loss, float *dpred, const float *pred, const float *target, const float *w,
             size_t n, float scale);
void expectile_ref(float *loss, float *dv, const float *q, const float *v, size_t n, float tau,
                   float scale);
void td_target_ref(float *y, const float *r, const float *done, const float *v_next, size_t n,
                   float gamma);

void mse_cuda(void *stream, float *loss, float *dpred, const float *pred, const float *target,
              const float *w, size_t n, float scale);
void expectile_cuda(void *stream, float *loss, float *dv, const float *q, const float *v, size_t n,
                    float tau, float scale);
void td_target_cuda(void *stream, float *y, const float *r, const float *done,
                    const float *v_next, size_t n, float gamma);

#ifdef __cplusplus
}
#endif
#endif
