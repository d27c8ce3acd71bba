/* time_embed.h - sinusoidal / learned-Fourier time embedding and its frequency gradient.
 * The one description of the op (the backend table in host/backend.h points here).
 *
 *   forward:   y[b, i] = sin(t_b f_i), y[b, H + i] = cos(t_b f_i)  for y [B, 2H], t [B], f [H]
 *   backward:  df_i += sum_b t_b (dy[b, i] cos(t_b f_i) - dy[b, H + i] sin(t_b f_i))
 * Sinusoidal embeddings keep f fixed; learned Fourier features train it (df accumulates).
 * The phase t f, its sine and cosine and the gradient terms are evaluated in double on
 * both sides (freq_embed_phase, freq_embed_grad_term): with t up to the number of
 * diffusion steps a float phase would already be off by ~1e-5. The backward sum runs
 * over b in order, in double.
 * Argument rules (freq_embed_check, abort): b, h >= 0; b = 0 or h = 0 does nothing.
 *
 * freq_embed_*_ref: plain C reference (kernels/time_embed_ref.c).
 * freq_embed_*_cuda: CUDA dispatchers (kernels/time_embed.cu); `stream` is the backend's
 * cudaStream_t passed opaquely (never NULL), so this header needs no CUDA types. */
#ifndef RISE_KERNELS_TIME_EMBED_H
#define RISE_KERNELS_TIME_EMBED_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"
#include "host_device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- shared rules (reference and kernels) ---- */

static inline void freq_embed_check(int b, int h) {
    RISE_ASSERT(b >= 0 && h >= 0, "freq_embed: negative shape b=%d h=%d", b, h);
}

RISE_HD double freq_embed_phase(float t, float f) { return (double)t * (double)f; }

/* Row b's term of df_i: t (dy_sin cos(phase) - dy_cos sin(phase)). */
RISE_HD double freq_embed_grad_term(float t, float f, float dy_sin, float dy_cos) {
    const double phase = freq_embed_phase(t, f);
    return (double)t * ((double)dy_sin * cos(phase) - (double)dy_cos * sin(phase));
}

/* ---- the op ---- */

void freq_embed_forward_ref(float *y, const float *t, const float *f, int b, int h);
void freq_embed_backward_ref(float *df, const float *dy, const float *t, const float *f, int b,
                             int h);
void freq_embed_forward_cuda(void *stream, float *y, const float *t, const float *f, int b, int h);
void freq_embed_backward_cuda(void *stream, float *df, const float *dy, const float *t,
                              const float *f, int b, int h);

#ifdef __cplusplus
}
#endif
#endif
