/* conv2d.h - 2-D convolution over channels-last images: forward, backward-data,
 * backward-weight (+ bias gradient). The image encoder's convolutions. The one description
 * of the op (the backend table in host/backend.h points here).
 *
 * Shape rise_conv2d_shape s (host/backend.h): x [B, Hi, Wi, Ci], y [B, Ho, Wo, Co] (NHWC:
 * channels contiguous, so a 1x1 convolution is a plain Linear over B*H*W rows), w
 * [Co, KH, KW, Ci] (cuDNN's NHWC filter layout; PyTorch's Conv2d weight [Co, Ci, KH, KW]
 * permuted), bias [Co]; Ho = (Hi + 2p - KH) / s + 1 and Wo = (Wi + 2p - KW) / s + 1 (floor).
 *   forward          y[b,u,v,o] = bias[o] + sum_{i,j,c} w[o,i,j,c] x[b, u s - p + i, v s - p + j,
 * c] (x = 0 outside the image; y overwritten; bias may be NULL) backward_data    dx (+)= dL/dx from
 * dy = dL/dy (overwrite, or += with accumulate) backward_weight  dw += dL/dw, dbias += sum_{b,u,v}
 * dy (accumulated, as every parameter gradient; dw or dbias may be NULL: skipped) Workspace: ws
 * holds conv2d_workspace_bytes(s) bytes of backend memory (overwritten; may be NULL when that is
 * 0), taken from the arena so a step allocates nothing; the CPU backend and the CUDA kernels keep
 * the im2col matrix col [B Ho Wo, KH KW Ci] there. Edge rules: batch 0 does nothing; NaN/Inf
 * propagate as through any sum of products. Argument rules (conv2d_check, abort): positive sizes,
 * batch >= 0, pad >= 0, and h_out, w_out equal to the formulas above. Precision: the reference sums
 * in double; the im2col + GEMM paths in float, within 1e-5 relative of it at these sizes (tests use
 * 2e-5).
 *
 * <op>_ref: the plain C specification (direct loops, kernels/conv2d_ref.c).
 * conv2d_im2col_ref / conv2d_col2im_ref: the lowering the CPU backend runs, y = col(x) w^T;
 * tested against the direct loops.
 * <op>_cuda: im2col / col2im kernels around cuBLAS GEMMs, or cuDNN (kernels/conv2d.cu); stream,
 * cuBLAS and cuDNN handles passed opaquely so this header needs no CUDA types. */
#ifndef RISE_KERNELS_CONV2D_H
#define RISE_KERNELS_CONV2D_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- per-element rules shared by the reference and the kernels ---- */

/* Output size of a convolution along one axis of n pixels; 0 when impossible. */
RISE_HD int conv2d_out_len(int n, int k, int stride, int pad) {
    if (stride < 1 || pad < 0 || n + 2 * pad < k) return 0;
    return (n + 2 * pad - k) / stride + 1;
}

/* Input row (or column) read by output row u through tap i (may be outside: zero). */
RISE_HD int conv2d_src(int u, int i, int stride, int pad) { return u * stride - pad + i; }

/* Backward-data gather along one axis: the output index that input index n reaches
 * through tap i, or -1 (n = u s - p + i <=> u = (n + p - i) / s when divisible, in range). */
RISE_HD int conv2d_dst(int n, int i, int stride, int pad, int n_out) {
    const int num = n + pad - i;
    if (num < 0 || num % stride) return -1;
    const int u = num / stride;
    return u < n_out ? u : -1;
}

RISE_HD int conv2d_shape_ok(const rise_conv2d_shape *s) {
    return s->batch >= 0 && s->h_in > 0 && s->w_in > 0 && s->c_in > 0 && s->c_out > 0 &&
           s->kh > 0 && s->kw > 0 && s->stride > 0 && s->pad >= 0 && s->h_out > 0 && s->w_out > 0 &&
           s->h_out == conv2d_out_len(s->h_in, s->kh, s->stride, s->pad) &&
           s->w_out == conv2d_out_len(s->w_in, s->kw, s->stride, s->pad);
}

/* A 1x1, stride-1, unpadded convolution is a GEMM over x itself: no lowering. */
RISE_HD int conv2d_is_pointwise(const rise_conv2d_shape *s) {
    return s->kh == 1 && s->kw == 1 && s->stride == 1 && s->pad == 0;
}

/* Index of x[b, r, q, c] (r, q in range). */
RISE_HD size_t conv2d_x_at(const rise_conv2d_shape *s, int b, int r, int q, int c) {
    return (((size_t)b * s->h_in + r) * s->w_in + q) * s->c_in + c;
}

/* Columns of the im2col matrix: KH KW Ci, in w's [KH, KW, Ci] order. */
RISE_HD int conv2d_col_width(const rise_conv2d_shape *s) { return s->kh * s->kw * s->c_in; }

/* col entry (row = b Ho Wo + u Wo + v, column e = (i KW + j) Ci + c): x or 0 outside. */
RISE_HD float conv2d_col_value(const rise_conv2d_shape *s, const float *x, size_t row, int e) {
    const int v = (int)(row % (size_t)s->w_out);
    const size_t bu = row / (size_t)s->w_out;
    const int u = (int)(bu % (size_t)s->h_out), b = (int)(bu / (size_t)s->h_out);
    const int c = e % s->c_in, ij = e / s->c_in;
    const int r = conv2d_src(u, ij / s->kw, s->stride, s->pad);
    const int q = conv2d_src(v, ij % s->kw, s->stride, s->pad);
    if (r < 0 || r >= s->h_in || q < 0 || q >= s->w_in) return 0.0f;
    return x[conv2d_x_at(s, b, r, q, c)];
}

/* acc[k] = dx[b, r, q, c0 + k] for k < n: the sum of the dcol entries that read it, in
 * (i, j) order, so the reference, its channel-run lowering and the kernels add in the same
 * order (deterministic, bit-identical). */
RISE_HD void conv2d_col2im_run(const rise_conv2d_shape *s, const float *dcol, int b, int r, int q,
                               int c0, int n, float *acc) {
    const int cw = conv2d_col_width(s);
    for (int k = 0; k < n; ++k) acc[k] = 0.0f;
    for (int i = 0; i < s->kh; ++i) {
        const int u = conv2d_dst(r, i, s->stride, s->pad, s->h_out);
        if (u < 0) continue;
        for (int j = 0; j < s->kw; ++j) {
            const int v = conv2d_dst(q, j, s->stride, s->pad, s->w_out);
            if (v < 0) continue;
            const size_t row = ((size_t)b * s->h_out + u) * s->w_out + v;
            const float *d = dcol + row * cw + (size_t)(i * s->kw + j) * s->c_in + c0;
            for (int k = 0; k < n; ++k) acc[k] += d[k];
        }
    }
}

/* One channel of conv2d_col2im_run. */
RISE_HD float conv2d_col2im_value(const rise_conv2d_shape *s, const float *dcol, int b, int r,
                                  int q, int c) {
    float acc;
    conv2d_col2im_run(s, dcol, b, r, q, c, 1, &acc);
    return acc;
}

/* Floats of the im2col buffer col [B Ho Wo, KH KW Ci] (0 for a pointwise convolution). */
static inline size_t conv2d_col_floats(const rise_conv2d_shape *s) {
    if (conv2d_is_pointwise(s)) return 0;
    return (size_t)s->batch * s->h_out * s->w_out * (size_t)conv2d_col_width(s);
}

/* Aborts with the shape when it is inconsistent (a programmer error). */
static inline void conv2d_check(const char *op, const rise_conv2d_shape *s) {
    RISE_ASSERT(conv2d_shape_ok(s),
                "%s: inconsistent shape batch=%d in=%dx%dx%d out=%dx%dx%d kernel=%dx%d "
                "stride=%d pad=%d (out should be %dx%d)",
                op, s->batch, s->h_in, s->w_in, s->c_in, s->h_out, s->w_out, s->c_out, s->kh, s->kw,
                s->stride, s->pad, conv2d_out_len(s->h_in, s->kh, s->stride, s->pad),
                conv2d_out_len(s->w_in, s->kw, s->stride, s->pad));
}

/* A consistent shape from the input size and kernel (h_out, w_out from the formulas). */
static inline rise_conv2d_shape conv2d_make_shape(int batch, int h_in, int w_in, int c_in,
                                                  int c_out, int kh, int kw, int stride, int pad) {
    rise_conv2d_shape s = {batch,
                           h_in,
                           w_in,
                           c_in,
                           conv2d_out_len(h_in, kh, stride, pad),
                           conv2d_out_len(w_in, kw, stride, pad),
                           c_out,
                           kh,
                           kw,
                           stride,
                           pad};
    return s;
}

/* ---- CPU reference ---- */
void conv2d_forward_ref(const rise_conv2d_shape *s, float *y, const float *x, const float *w,
                        const float *bias);
void conv2d_backward_data_ref(const rise_conv2d_shape *s, float *dx, const float *dy,
                              const float *w, int accumulate);
void conv2d_backward_weight_ref(const rise_conv2d_shape *s, float *dw, float *dbias,
                                const float *dy, const float *x);
/* col rows [row_lo, row_hi) from x. */
void conv2d_im2col_ref(const rise_conv2d_shape *s, float *col, const float *x, size_t row_lo,
                       size_t row_hi);
/* dx (+)= the gather of dcol back to x, for batch items [b_lo, b_hi). */
void conv2d_col2im_ref(const rise_conv2d_shape *s, float *dx, const float *dcol, int accumulate,
                       int b_lo, int b_hi);

/* ---- CUDA (kernels/conv2d.cu) ----
 * Variants: 2 im2col / col2im kernels + cuBLAS GEMM, 3 cuDNN (kernels/cudnn_conv.h); 0 is the
 * dispatcher's choice (conv2d_cuda_pick: 3 when cuDNN has a plan for the shape, else 2).
 * ws: conv2d_cuda_workspace_bytes(the same variant) bytes of device memory, allocated before
 * any graph capture. cudnn may be NULL (variant 3 unsupported then). */
int conv2d_cuda_supports(int variant, const rise_conv2d_shape *s, void *cudnn);
int conv2d_cuda_pick(const rise_conv2d_shape *s, void *cudnn);
size_t conv2d_cuda_workspace_bytes(int variant, void *cudnn, const rise_conv2d_shape *s);
void conv2d_forward_cuda(int variant, void *stream, void *cublas, void *cudnn,
                         const rise_conv2d_shape *s, float *y, const float *x, const float *w,
                         const float *bias, void *ws);
void conv2d_backward_data_cuda(int variant, void *stream, void *cublas, void *cudnn,
                               const rise_conv2d_shape *s, float *dx, const float *dy,
                               const float *w, int accumulate, void *ws);
void conv2d_backward_weight_cuda(int variant, void *stream, void *cublas, void *cudnn,
                                 const rise_conv2d_shape *s, float *dw, float *dbias,
                                 const float *dy, const float *x, void *ws);

#ifdef __cplusplus
}
#endif
#endif
