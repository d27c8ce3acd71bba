/* conv1d.h - 1-D convolution over channels-last sequences: forward, backward-data,
 * backward-weight (+ bias gradient). The U-Net's convolutions, its strided down-sampling
 * and (as backward-data) its transposed up-sampling. The one description of the op (the
 * backend table in host/backend.h points here).
 *
 * Shape rise_conv1d_shape s (host/backend.h): x [B, Ti, Ci], y [B, To, Co] (time-major
 * rows, channels contiguous, so a 1x1 convolution is a plain Linear over B*T rows),
 * w [Co, K, Ci] (cuDNN's NHWC filter layout with H = 1; PyTorch's Conv1d weight
 * [Co, Ci, K] permuted), bias [Co]; To = (Ti + 2p - K) / s + 1 (floor).
 *   forward          y[b,t,o] = bias[o] + sum_{k,i} w[o,k,i] x[b, t s - p + k, i]
 *                    (x = 0 outside [0, Ti); y overwritten; bias may be NULL)
 *   backward_data    dx (+)= dL/dx from dy = dL/dy (overwrite, or += with accumulate).
 *                    Run on its own it is the transposed convolution (ConvTranspose1d)
 *                    from dy [B, To, Co] to dx [B, Ti, Ci] with the same w: the U-Net's
 *                    up-sampling ConvTranspose1d(C, C, 4, 2, 1) of T steps is
 *                    backward_data of the shape {B, 2T, C, T, C, 4, 2, 1}
 *   backward_weight  dw += dL/dw, dbias += sum_{b,t} dy (accumulated, as every
 *                    parameter gradient; dw or dbias may be NULL: skipped)
 * Workspace: ws holds conv1d_workspace_bytes(s) bytes of backend memory (overwritten; may
 * be NULL when that is 0), taken from the arena so a step allocates nothing; the CPU
 * backend and CUDA variant 2 keep the im2col matrix there, cuDNN its algorithm's scratch.
 * Edge rules: batch 0 does nothing; NaN/Inf propagate as through any sum of products.
 * Argument rules (conv1d_check, abort): positive sizes, batch >= 0, and t_out equal to
 * the formula above.
 * Precision: the reference sums in double; the CPU backend's OpenBLAS and the CUDA
 * variants in float, within 1e-5 relative of it at these sizes (tests use 2e-5).
 *
 * <op>_ref: the plain C specification (direct loops, kernels/conv1d_ref.c).
 * conv1d_im2col_ref / conv1d_col2im_ref: the lowering the CPU backend and CUDA
 * variant 2 use, y = col(x) w^T with col [B To, K Ci]; tested against the direct loops.
 * <op>_cuda: CUDA variants and dispatcher (kernels/conv1d.cu); stream, cuBLAS and cuDNN
 * handles are passed opaquely so this header needs no CUDA types. */
#ifndef RISE_KERNELS_CONV1D_H
#define RISE_KERNELS_CONV1D_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- per-element rules shared by the reference and the kernels ---- */

/* Output length of a convolution over ti steps; < 1 when the shape is impossible. */
RISE_HD int conv1d_out_len(int ti, int k, int stride, int pad) {
    if (stride < 1 || ti + 2 * pad < k) return 0;
    return (ti + 2 * pad - k) / stride + 1;
}

/* Input step read by output step t through tap k (may fall outside [0, Ti): zero). */
RISE_HD int conv1d_src(int t, int k, int stride, int pad) { return t * stride - pad + k; }

/* Backward-data gather: the output step that input step ti reaches through tap k, or -1.
 * ti = t s - p + k  <=>  t = (ti + p - k) / s when divisible and 0 <= t < To. */
RISE_HD int conv1d_dst(int ti, int k, int stride, int pad, int to) {
    const int num = ti + pad - k;
    if (num < 0 || num % stride) return -1;
    const int t = num / stride;
    return t < to ? t : -1;
}

/* 1 when the shape is consistent (positive sizes, To as the formula says). */
RISE_HD int conv1d_shape_ok(const rise_conv1d_shape *s) {
    return s->batch >= 0 && s->t_in > 0 && s->c_in > 0 && s->c_out > 0 && s->k > 0 &&
           s->stride > 0 && s->pad >= 0 && s->t_out > 0 &&
           s->t_out == conv1d_out_len(s->t_in, s->k, s->stride, s->pad);
}

/* A 1x1, stride-1, unpadded convolution is a GEMM over x itself: no lowering. */
RISE_HD int conv1d_is_pointwise(const rise_conv1d_shape *s) {
    return s->k == 1 && s->stride == 1 && s->pad == 0;
}

/* Floats of the im2col buffer col [B To, K Ci] (0 for a pointwise convolution). */
static inline size_t conv1d_col_floats(const rise_conv1d_shape *s) {
    if (conv1d_is_pointwise(s)) return 0;
    return (size_t)s->batch * (size_t)s->t_out * (size_t)s->k * (size_t)s->c_in;
}

/* Aborts with the shape when it is inconsistent (a programmer error). */
static inline void conv1d_check(const char *op, const rise_conv1d_shape *s) {
    RISE_ASSERT(conv1d_shape_ok(s),
                "%s: inconsistent shape batch=%d t_in=%d c_in=%d t_out=%d c_out=%d k=%d "
                "stride=%d pad=%d (t_out should be %d)",
                op, s->batch, s->t_in, s->c_in, s->t_out, s->c_out, s->k, s->stride, s->pad,
                conv1d_out_len(s->t_in, s->k, s->stride, s->pad));
}

/* ---- CPU reference ---- */
void conv1d_forward_ref(const rise_conv1d_shape *s, float *y, const float *x, const float *w,
                        const float *bias);
void conv1d_backward_data_ref(const rise_conv1d_shape *s, float *dx, const float *dy,
                              const float *w, int accumulate);
void conv1d_backward_weight_ref(const rise_conv1d_shape *s, float *dw, float *dbias,
                                const float *dy, const float *x);
/* col[(b To + t), k Ci + i] = x[b, t s - p + k, i] or 0, for rows [row_lo, row_hi) of col. */
void conv1d_im2col_ref(const rise_conv1d_shape *s, float *col, const float *x, size_t row_lo,
                       size_t row_hi);
/* dx (+)= the scatter of dcol back to x, for batch items [b_lo, b_hi) (disjoint ranges may
 * run in parallel). Gathers per dx element in (k, t) order, so it is deterministic. */
void conv1d_col2im_ref(const rise_conv1d_shape *s, float *dx, const float *dcol, int accumulate,
                       int b_lo, int b_hi);

/* ---- CUDA ----
 * Variants: 1 direct kernels, 2 im2col/col2im + cuBLAS GEMM, 3 cuDNN (RISE_WITH_CUDNN).
 * ws: workspace of conv1d_cuda_workspace_bytes(variant 0 = the dispatcher's choice)
 * bytes of device memory, allocated before any graph capture. cudnn may be NULL
 * (variant 3 unsupported then). */
#define CONV1D_CUDA_VARIANTS 3
int conv1d_cuda_supports(int variant, const rise_conv1d_shape *s, const void *cudnn);
size_t conv1d_cuda_workspace_bytes(int variant, void *cudnn, const rise_conv1d_shape *s);
void conv1d_forward_cuda_variant(int variant, void *stream, void *cublas, void *cudnn,
                                 const rise_conv1d_shape *s, float *y, const float *x,
                                 const float *w, const float *bias, void *ws);
void conv1d_backward_data_cuda_variant(int variant, void *stream, void *cublas, void *cudnn,
                                       const rise_conv1d_shape *s, float *dx, const float *dy,
                                       const float *w, int accumulate, void *ws);
void conv1d_backward_weight_cuda_variant(int variant, void *stream, void *cublas, void *cudnn,
                                         const rise_conv1d_shape *s, float *dw, float *dbias,
                                         const float *dy, const float *x, void *ws);
/* The variant the dispatcher picks (0 above means this one). */
int conv1d_cuda_pick(const rise_conv1d_shape *s, const void *cudnn);

#ifdef __cplusplus
}
#endif
#endif
