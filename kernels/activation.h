/* activation.h - activations relu, mish, gelu (tanh form), tanh, silu and their derivatives.
 *
 * <op>_ref: plain C reference (the specification; long reductions in double).
 * <op>_cuda: CUDA dispatcher (kernels/activation.cu); `stream` is a cudaStream_t
 * passed opaquely so this header needs no CUDA types. Semantics and shapes are
 * documented once, on the backend table in host/backend.h. */
#ifndef RISE_KERNELS_ACTIVATION_H
#define RISE_KERNELS_ACTIVATION_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Scalar forms shared by the reference and tests: f(x) and f'(x). */
float act_value_ref(rise_act act, float x);
float act_derivative_ref(rise_act act, float x);
const char *act_name(rise_act act);
/* Parses "relu", "mish", ...; returns -1 for an unknown name. */
int act_parse(const char *name);

void act_forward_ref(rise_act act, float *y, const float *x, size_t n);
void act_backward_ref(rise_act act, float *dx, const float *dy, const float *x, size_t n,
                      int accumulate);
void act_forward_cuda(void *stream, rise_act act, float *y, const float *x, size_t n);
void act_backward_cuda(void *stream, rise_act act, float *dx, const float *dy, const float *x,
                       size_t n, int accumulate);

#ifdef __cplusplus
}
#endif
#endif
