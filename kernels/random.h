/* random.h - Philox random fills and dropout (the same numbers on every backend). The one
 * description of these ops (the backend table in host/backend.h points here).
 *
 * Element i of every op is a pure function of (rng, i) as fixed by philox.h (the draw
 * starts at block rise_rng_start(rng), resolved where the op runs), so any split of the
 * index range (threads, CUDA blocks) draws the same numbers (under a data-parallel window,
 * philox.h, element i is element skip + i of the whole batch's draw: rise_rng_slice(rng, n)
 * first):
 *   rand_uniform  y[i] = lo + (hi - lo) u_i,   u_i = rise_rng_uniform(rng, i) in (0, 1)
 *   rand_normal   y[i] = mean + std z_i,       z_i = rise_rng_normal(rng, i)
 *   dropout       element i is kept iff u_i >= p; mask[i] = kept ? 1/(1-p) : 0 and
 *                 y[i] = x[i] mask[i] (dropout_keep_scale, dropout_mask). p = 0 keeps everything
 * with mask 1; p = 1 drops everything (mask 0, y = 0 x: a NaN or Inf x gives NaN). Backward is
 * mul(dx, dy, mask). The affine maps round each product and sum as written (rise_fma_free), so
 * uniforms and dropout masks are bitwise equal on every backend; normals differ by the few ulp of
 * the device's logf/sinf/cosf (philox.h). Argument rules (dropout_check, abort): 0 <= p <= 1.
 *
 * <op>_ref: plain C reference (kernels/random_ref.c).
 * <op>_cuda: CUDA dispatchers (kernels/random.cu); `stream` is the backend's cudaStream_t
 * passed opaquely (never NULL), so this header needs no CUDA types. */
#ifndef RISE_KERNELS_RANDOM_H
#define RISE_KERNELS_RANDOM_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"
#include "host_device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- shared rules (reference and kernels) ---- */

static inline void dropout_check(float p) {
    RISE_ASSERT(p >= 0.0f && p <= 1.0f, "dropout: p=%g outside [0, 1]", (double)p);
}

/* The mask value of a kept element: 1/(1-p) (0 for p = 1, where nothing is kept). */
RISE_HD float dropout_keep_scale(float p) { return p < 1.0f ? 1.0f / (1.0f - p) : 0.0f; }

/* mask of an element with uniform u: keep_scale when kept (u >= p), else 0. */
RISE_HD float dropout_mask(float u, float p, float keep_scale) {
    return u >= p ? keep_scale : 0.0f;
}

/* ---- the ops ---- */

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
