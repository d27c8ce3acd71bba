/* activation.h - activations relu, mish, gelu (tanh form), tanh, silu and their derivatives,
 * and the linear layer's fused epilogues: bias + activation forward, activation backward
 * + bias gradient (one pass each instead of two).
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
/* h[e,b,:] += bias[e,:], a = f(h), for h, a [E,B,N]; bias may be NULL. */
void bias_act_forward_ref(rise_act act, float *h, float *a, const float *bias, int e, int b, int n);
/* dh = da f'(h) (overwritten), dbias[e,:] += sum_b dh[e,b,:] (double, row order); dbias may
 * be NULL. Equal bit for bit to act_backward_ref followed by bias_grad_ref. */
void act_bias_backward_ref(rise_act act, float *dh, float *dbias, const float *da, const float *h,
                           int e, int b, int n);
/* Fast CPU variants (kernels/activation_cpu.c): float, vectorised, one formula per
 * activation; identity and relu bit for bit, the others within bounds derived per
 * activation (tests/cpu/test_backend_cpu.c); the bias gradient bit for bit for the same dh. */
void act_forward_cpu(rise_act act, float *y, const float *x, size_t n);
void act_backward_cpu(rise_act act, float *dx, const float *dy, const float *x, size_t n,
                      int accumulate);
void bias_act_forward_cpu(rise_act act, float *h, float *a, const float *bias, int e, int b, int n);
void act_bias_backward_cpu(rise_act act, float *dh, float *dbias, const float *da, const float *h,
                           int e, int b, int n);
void act_forward_cuda(void *stream, rise_act act, float *y, const float *x, size_t n);
void act_backward_cuda(void *stream, rise_act act, float *dx, const float *dy, const float *x,
                       size_t n, int accumulate);
void bias_act_forward_cuda(void *stream, rise_act act, float *h, float *a, const float *bias, int e,
                           int b, int n);
void act_bias_backward_cuda(void *stream, rise_act act, float *dh, float *dbias, const float *da,
                            const float *h, int e, int b, int n);

#ifdef __cplusplus
}
#endif
#endif
