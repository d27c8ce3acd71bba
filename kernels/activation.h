/* activation.h - activations relu, mish, gelu (tanh form), tanh, silu and their derivatives,
 * and the linear layer's fused epilogues. The one description of these ops (the backend
 * table in host/backend.h points here).
 *
 *   act_forward    y = f(x)
 *   act_backward   dx (+)= dy f'(x)        (overwrites unless accumulate)
 *   bias_act_forward   h[e,b,:] += bias[e,:], a = f(h) for h, a [E,B,N] (h keeps the
 *                      pre-activation; bias may be NULL): bias_add + act_forward in one pass
 *   act_bias_backward  dh = da f'(h) (overwritten), dbias[e,:] += sum_b dh[e,b,:] (double,
 *                      row order; dbias may be NULL): act_backward + bias_grad in one pass
 * The functions:
 *   relu   max(x, 0), f'(0) = 0; relu(NaN) = 0 (x > 0 is false)
 *   mish   x tanh(softplus(x)), linear (tanh(softplus(x)) = 1) above RISE_MISH_LINEAR_ABOVE
 *   gelu   0.5 x (1 + tanh(RISE_GELU_K (x + RISE_GELU_C x^3)))  (PyTorch approximate="tanh")
 *   tanh, silu = x sigmoid(x), identity
 * Edge values follow the formulas, the same on both sides: where a formula multiplies an
 * infinite x by 0 the result is NaN (mish, gelu and silu at -inf; the derivatives of
 * mish, gelu and silu at +-inf); +inf gives +inf for mish, gelu, silu; tanh'(+-inf) = 0;
 * NaN in gives NaN out except relu and relu' (0, as x > 0 is false). Every finite x gives
 * a finite result on both sides (the float gelu' does not overflow).
 * Precision: the reference evaluates in double and rounds once (activation_ref.c; its
 * mish uses one exponential: with e = exp(x), n = e (e + 2), tanh(softplus(x)) =
 * n / (n + 2)); the CUDA kernels evaluate the float forms act_value_f /
 * act_derivative_f below, which agree with it to a few float ulp (atol 1e-6, rtol 1e-5;
 * GELU/mish lose relative accuracy where 1 + tanh(.) cancels, hence the atol), a bound
 * tests/cpu/test_ops_activation.c checks on the host.
 * Argument rules (act_check, abort): act one of rise_act; shapes >= 0.
 *
 * <op>_ref: plain C reference (kernels/activation_ref.c).
 * <op>_cuda: CUDA dispatchers (kernels/activation.cu); `stream` is the backend's
 * cudaStream_t passed opaquely (never NULL), so this header needs no CUDA types. */
#ifndef RISE_KERNELS_ACTIVATION_H
#define RISE_KERNELS_ACTIVATION_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"
#include "host_device.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_GELU_K            0.7978845608028654 /* sqrt(2 / pi) */
#define RISE_GELU_C            0.044715
#define RISE_MISH_LINEAR_ABOVE 20.0

/* ---- shared rules (reference and kernels) ---- */

static inline void act_check(const char *op, rise_act act) {
    RISE_ASSERT((int)act >= 0 && act < RISE_ACT_COUNT, "%s: unknown activation %d", op, (int)act);
}

static inline void act_check_shape(const char *op, int e, int b, int n) {
    RISE_ASSERT(e >= 0 && b >= 0 && n >= 0, "%s: negative shape e=%d b=%d n=%d", op, e, b, n);
}

/* The float forms the CUDA kernels evaluate. */
RISE_HD float act_softplus_f(float x) {
    return x > (float)RISE_MISH_LINEAR_ABOVE ? x : log1pf(expf(x));
}
RISE_HD float act_sigmoid_f(float x) { return 1.0f / (1.0f + expf(-x)); }

RISE_HD float act_value_f(rise_act act, float x) {
    switch (act) {
    case RISE_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case RISE_ACT_MISH: return x * tanhf(act_softplus_f(x));
    case RISE_ACT_GELU:
        return 0.5f * x * (1.0f + tanhf((float)RISE_GELU_K * (x + (float)RISE_GELU_C * x * x * x)));
    case RISE_ACT_TANH: return tanhf(x);
    case RISE_ACT_SILU: return x * act_sigmoid_f(x);
    default: return x;
    }
}

RISE_HD float act_derivative_f(rise_act act, float x) {
    switch (act) {
    case RISE_ACT_RELU: return x > 0.0f ? 1.0f : 0.0f;
    case RISE_ACT_MISH: {
        const float t = tanhf(act_softplus_f(x));
        return t + x * (1.0f - t * t) * act_sigmoid_f(x);
    }
    case RISE_ACT_GELU: {
        const float k = (float)RISE_GELU_K, c = (float)RISE_GELU_C;
        const float t = tanhf(k * (x + c * x * x * x)), s = 1.0f - t * t;
        /* x^2 overflows float above ~1e19 while s is already 0: the term is 0 there, as in
         * the double reference (at +-inf both give NaN) */
        if (s == 0.0f && isfinite(x)) return 0.5f * (1.0f + t);
        const float dinner = k * (1.0f + 3.0f * c * x * x);
        return 0.5f * (1.0f + t) + 0.5f * x * s * dinner;
    }
    case RISE_ACT_TANH: {
        const float t = tanhf(x);
        return 1.0f - t * t;
    }
    case RISE_ACT_SILU: {
        const float s = act_sigmoid_f(x);
        return s * (1.0f + x * (1.0f - s));
    }
    default: return 1.0f;
    }
}

/* ---- the ops ---- */

/* The reference's scalar forms (double, rounded once): f(x) and f'(x). */
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
