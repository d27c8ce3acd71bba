/* linear.h - Linear layer for an ensemble of E members: y[e] = x[e] W[e] + b[e].
 *
 * Weights are [E, in, out] row-major (so x W is a plain row-major GEMM), bias
 * [E, out]. The input is either shared by every member ([B, in], GEMM stride 0)
 * or per member ([E, B, in]); the output is always [E, B, out]. Each pass is ONE
 * strided-batched GEMM over all members, plus the bias epilogue (fused with the
 * activation that follows, in the _act forms). Parameters live
 * in a rise_params buffer; the layer only stores their offsets, so the same
 * layer reads the value slot, writes the grad slot, and can be evaluated with
 * the target or EMA slot (pass that slot as `w`). */
#ifndef RISE_LINEAR_H
#define RISE_LINEAR_H

#include "params.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int in, out, ens;
    int has_bias;
    size_t w_off, b_off; /* offsets into every slot of the parameter buffer */
} rise_linear;

/* Registers "<name>.w" [E,in,out] (or [in,out] when E == 1) and "<name>.b"
 * [E,out] (or [out]), both initialised U(+-1/sqrt(in)) like PyTorch. */
rise_status rise_linear_register(rise_linear *l, rise_params *p, const char *name, int in, int out,
                                 int ens, int has_bias);

/* y [E,B,out] = x W + b, overwritten. x: [B,in] when x_shared, else [E,B,in].
 * w: the parameter slot to read (p->value, p->target, p->ema). */
void rise_linear_forward(const rise_linear *l, rise_backend *be, const float *w, float *y,
                         const float *x, int batch, int x_shared);

/* dW += x^T dy, db += sum_b dy (into the grad slot `g`); when dx is not NULL,
 * dx (+)= dy W^T. With a shared input, dx [B,in] sums the members'
 * contributions (one GEMM per member, accumulating). */
void rise_linear_backward(const rise_linear *l, rise_backend *be, const float *w, float *g,
                          float *dx, const float *dy, const float *x, int batch, int x_shared,
                          int accumulate_dx);

/* y = x W + b and a = f(y) with the bias and activation in one pass (y keeps the
 * pre-activation for the backward). */
void rise_linear_forward_act(const rise_linear *l, rise_backend *be, const float *w, float *y,
                             float *a, rise_act act, const float *x, int batch, int x_shared);

/* The backward of rise_linear_forward_act from da = dL/da: dy = da f'(y) (written to dy,
 * [E,B,out] scratch) with the bias gradient in the same pass, then as rise_linear_backward. */
void rise_linear_backward_act(const rise_linear *l, rise_backend *be, const float *w, float *g,
                              float *dx, float *dy, const float *da, const float *y, rise_act act,
                              const float *x, int batch, int x_shared, int accumulate_dx);

#ifdef __cplusplus
}
#endif
#endif
