/* film.h - FiLM conditioning over channels-last x [B, T, C]: a per-row, per-channel scale
 * and bias broadcast over time (the Diffusion Policy U-Net's conditional residual block,
 * FiLM with cond_predict_scale). The one description of the op (the backend table in
 * host/backend.h points here).
 *   forward   y[b,t,c] = emb[b,c] x[b,t,c] + emb[b,C+c],  emb [B, 2C] = [scale | bias]
 *   backward  dx = dy scale, demb[b,c] = sum_t dy x, demb[b,C+c] = sum_t dy
 *             (all overwritten: activation gradients; dx or demb may be NULL: skipped;
 *             the time sums in double, t order)
 * Edge rules: b = 0 or t = 0 does nothing (demb of t = 0 is 0).
 * Argument rules (film_check, abort): b, t >= 0, c >= 1.
 *
 * <op>_ref: the plain C specification (kernels/film_ref.c).
 * <op>_cuda: CUDA kernels (kernels/film.cu); stream passed opaquely. */
#ifndef RISE_KERNELS_FILM_H
#define RISE_KERNELS_FILM_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

static inline void film_check(const char *op, int b, int t, int c) {
    RISE_ASSERT(b >= 0 && t >= 0 && c > 0, "%s: bad shape b=%d t=%d c=%d (b, t >= 0, c >= 1)", op,
                b, t, c);
}

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
