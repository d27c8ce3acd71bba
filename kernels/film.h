/* film.h - FiLM conditioning over channels-last x [B, T, C]: a per-row, per-channel scale
 * and bias broadcast over time (the Diffusion Policy U-Net's conditional residual block):
 *   y[b,t,c] = emb[b,c] x[b,t,c] + emb[b,C+c],  emb [B, 2C] = [scale | bias]
 * Semantics are on the backend table in host/backend.h.
 *
 * <op>_ref: the plain C specification (time sums in double).
 * <op>_cuda: CUDA dispatcher (kernels/film.cu); stream passed opaquely. */
#ifndef RISE_KERNELS_FILM_H
#define RISE_KERNELS_FILM_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The element rule both sides use. */
RISE_HD float film_value(float x, float scale, float bias) { return scale * x + bias; }

void film_forward_ref(float *y, const float *x, const float *emb, int b, int t, int c);
/* dx = dy scale, demb = [sum_t dy x | sum_t dy] (all overwritten; either may be NULL). */
void film_backward_ref(float *dx, float *demb, const float *dy, const float *x, const float *emb,
                       int b, int t, int c);

void film_forward_cuda(void *stream, float *y, const float *x, const float *emb, int b, int t,
                       int c);
void film_backward_cuda(void *stream, float *dx, float *demb, const float *dy, const float *x,
                        const float *emb, int b, int t, int c);

#ifdef __cplusplus
}
#endif
#endif
