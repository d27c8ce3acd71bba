/* time_embed.h - sinusoidal / learned-Fourier time embedding [sin(t f), cos(t f)].
 *
 * <op>_ref: plain C reference (the specification; long reductions in double).
 * <op>_cuda: CUDA dispatcher (kernels/time_embed.cu); `stream` is a cudaStream_t
 * passed opaquely so this header needs no CUDA types. Semantics and shapes are
 * documented once, on the backend table in host/backend.h. */
#ifndef RISE_KERNELS_TIME_EMBED_H
#define RISE_KERNELS_TIME_EMBED_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

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
