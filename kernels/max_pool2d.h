/* max_pool2d.h - 2-D max pooling over channels-last images, forward and backward: the
 * ResNet stem's MaxPool2d(3, stride 2, padding 1). The one description of the op (the backend
 * table in host/backend.h points here).
 *
 * Shape: a rise_conv2d_shape with c_out == c_in (the kernel, stride and padding of the
 * window; h_out, w_out by kernels/conv2d.h's formulas, PyTorch's ceil_mode=False).
 *   forward   y[b,u,v,c] = max over the window's in-image pixels x[b, u s - p + i, v s - p + j, c]
 *             (padding never wins: it is -inf, as PyTorch pads), and idx[b,u,v,c] = r W + q,
 *             the position of that maximum (int32, saved for backward, PyTorch's indices)
 *   backward  dx[b,r,q,c] (+)= sum of dy[b,u,v,c] over the windows whose idx is (r, q), in
 *             (i, j) window order (a gather, so it is deterministic on every backend)
 * Ties: the first maximum in row-major window order wins (PyTorch's rule); NaN: the first NaN
 * wins and y is NaN.
 * Argument rules (max_pool2d_check, abort): a consistent conv2d shape with c_out == c_in and
 * pad <= kernel / 2 on both axes (every window holds a pixel, as PyTorch requires).
 *
 * <op>_ref: the plain C specification (kernels/max_pool2d_ref.c).
 * <op>_cuda: CUDA kernels (kernels/max_pool2d.cu), one thread per output (forward) or input
 * (backward) element, from the rules below; stream passed opaquely. */
#ifndef RISE_KERNELS_MAX_POOL2D_H
#define RISE_KERNELS_MAX_POOL2D_H

#include <stddef.h>
#include <stdint.h>

#include "conv2d.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Row-major position r W + q of the window maximum of output (b, u, v) in channel c. */
RISE_HD int max_pool2d_argmax(const rise_conv2d_shape *s, const float *x, int b, int u, int v,
                              int c) {
    int best = -1;
    float m = 0.0f;
    for (int i = 0; i < s->kh; ++i) {
        const int r = conv2d_src(u, i, s->stride, s->pad);
        if (r < 0 || r >= s->h_in) continue;
        for (int j = 0; j < s->kw; ++j) {
            const int q = conv2d_src(v, j, s->stride, s->pad);
            if (q < 0 || q >= s->w_in) continue;
            const float val = x[conv2d_x_at(s, b, r, q, c)];
            if (best < 0 || val > m || (val != val && m == m)) best = r * s->w_in + q, m = val;
        }
    }
    return best;
}

/* dx[b, r, q, c]: the dy of every output whose saved maximum idx is (r, q), in (i, j) order. */
RISE_HD float max_pool2d_dx_value(const rise_conv2d_shape *s, const int32_t *idx, const float *dy,
                                  int b, int r, int q, int c) {
    float acc = 0.0f;
    for (int i = 0; i < s->kh; ++i) {
        const int u = conv2d_dst(r, i, s->stride, s->pad, s->h_out);
        if (u < 0) continue;
        for (int j = 0; j < s->kw; ++j) {
            const int v = conv2d_dst(q, j, s->stride, s->pad, s->w_out);
            const size_t o = (((size_t)b * s->h_out + u) * s->w_out + v) * s->c_out + c;
            if (v >= 0 && idx[o] == r * s->w_in + q) acc += dy[o];
        }
    }
    return acc;
}

static inline void max_pool2d_check(const char *op, const rise_conv2d_shape *s) {
    RISE_ASSERT(conv2d_shape_ok(s) && s->c_out == s->c_in && 2 * s->pad <= s->kh &&
                    2 * s->pad <= s->kw,
                "%s: bad shape batch=%d in=%dx%dx%d out=%dx%dx%d kernel=%dx%d stride=%d pad=%d "
                "(a consistent shape, c_out == c_in, pad <= kernel / 2)",
                op, s->batch, s->h_in, s->w_in, s->c_in, s->h_out, s->w_out, s->c_out, s->kh, s->kw,
                s->stride, s->pad);
}

/* A consistent pooling shape from the input size and the window. */
static inline rise_conv2d_shape max_pool2d_make_shape(int batch, int h_in, int w_in, int c,
                                                      int kernel, int stride, int pad) {
    return conv2d_make_shape(batch, h_in, w_in, c, c, kernel, kernel, stride, pad);
}

/* ---- CPU reference (batch items [b_lo, b_hi) of the whole tensors) ---- */
void max_pool2d_forward_ref(const rise_conv2d_shape *s, float *y, int32_t *idx, const float *x,
                            int b_lo, int b_hi);
void max_pool2d_backward_ref(const rise_conv2d_shape *s, float *dx, const float *dy,
                             const int32_t *idx, int accumulate, int b_lo, int b_hi);

/* ---- CUDA ---- */
void max_pool2d_forward_cuda(void *stream, const rise_conv2d_shape *s, float *y, int32_t *idx,
                             const float *x);
void max_pool2d_backward_cuda(void *stream, const rise_conv2d_shape *s, float *dx, const float *dy,
                              const int32_t *idx, int accumulate);

#ifdef __cplusplus
}
#endif
#endif
