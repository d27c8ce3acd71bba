/* random.h - Philox random fills and dropout (same numbers on every backend).
 *
 * <op>_ref: plain C reference (the specification; long reductions in double).
 * <op>_cuda: CUDA dispatcher (kernels/random.cu); `stream` is a cudaStream_t
 * passed opaquely so this header needs no CUDA types. Semantics and shapes are
 * documented once, on the backend table in host/backend.h. */
#ifndef RISE_KERNELS_RANDOM_H
#define RISE_KERNELS_RANDOM_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

void rand_uniform_ref(float *y, size_t n, float lo, float hi, rise_rng rng);
void rand_normal_ref(float *y, size_t n, float mean, float std, rise_rng rng);
void dropout_forward_ref(float *y, float *mask, const float *x, size_t n, float p, rise_rng rng);
/* Fast CPU variants (kernels/random_cpu.c): one Philox block per four uniforms or two
 * normals, eight blocks at a time; the reference's numbers bit for bit. */
void rand_uniform_cpu(float *y, size_t n, float lo, float hi, rise_rng rng);
void rand_normal_cpu(float *y, size_t n, float mean, float std, rise_rng rng);
void dropout_forward_cpu(float *y, float *mask, const float *x, size_t n, float p, rise_rng rng);

void rand_uniform_cuda(void *stream, float *y, size_t n, float lo, float hi, rise_rng rng);
void rand_normal_cuda(void *stream, float *y, size_t n, float mean, float std, rise_rng rng);
void dropout_forward_cuda(void *stream, float *y, float *mask, const float *x, size_t n, float p,
                          rise_rng rng);

/* y[i] = rise_below(rise_rng_word(rng, i), below), or the raw word when
 * below == 0: integer draws (batch indices) on the device. Its reference is
 * philox.h itself (the same two functions on the host). */
void rand_index_cuda(void *stream, uint32_t *y, size_t n, uint32_t below, rise_rng rng);

#ifdef __cplusplus
}
#endif
#endif
