/* spatial_softmax.h - spatial softmax keypoints over channels-last feature maps, forward and
 * backward: robomimic's SpatialSoftmax (Levine et al. 2016) without its optional 1x1
 * convolution (that is a conv2d of its own). The one description of the op (the backend
 * table in host/backend.h points here).
 *
 * x [B, H, W, C]; for each (b, c) the softmax over the H W positions of x / temperature,
 *   attn[b, r, q, c] = exp(x / T - max) / sum,
 * and its expected position y[b, 2c] = sum attn px(q), y[b, 2c + 1] = sum attn py(r), with
 * px(q) = -1 + 2 q / (W - 1) and py(r) = -1 + 2 r / (H - 1) (0 for a size-1 axis): the
 * keypoint (x, y) in [-1, 1], as robomimic's meshgrid of linspace(-1, 1). y is [B, 2C] in
 * (x, y) pairs, robomimic's [B, C, 2] flattened; attn [B, H, W, C] is saved for backward.
 * Backward, with g = dy and the saved y (the expectations):
 *   dx[b, r, q, c] = attn / T (gx (px - y_x) + gy (py - y_y))   (overwrite, or += accumulate)
 * Edge rules: b = 0 does nothing; a NaN in a map spreads to its channel's keypoint.
 * Argument rules (spatial_softmax_check, abort): b >= 0, h, w, c >= 1, temperature > 0.
 * Precision: the reference in double; the CUDA kernels in float, within 1e-5 of it for maps
 * of a few hundred positions.
 *
 * <op>_ref: the plain C specification (kernels/spatial_softmax_ref.c).
 * <op>_cuda: CUDA kernels (kernels/spatial_softmax.cu); stream passed opaquely. */
#ifndef RISE_KERNELS_SPATIAL_SOFTMAX_H
#define RISE_KERNELS_SPATIAL_SOFTMAX_H

#include <stddef.h>

#include "../host/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Keypoint coordinate of index i along an axis of n positions: linspace(-1, 1, n)[i]. */
RISE_HD float spatial_softmax_pos(int i, int n) {
    return n > 1 ? -1.0f + 2.0f * (float)i / (float)(n - 1) : 0.0f;
}

/* dx of one position from its probability, coordinates and the channel's keypoint. */
RISE_HD float spatial_softmax_dx(float attn, float px, float py, float ex, float ey, float gx,
                                 float gy, float temperature) {
    return attn / temperature * (gx * (px - ex) + gy * (py - ey));
}

static inline void spatial_softmax_check(const char *op, int b, int h, int w, int c,
                                         float temperature) {
    RISE_ASSERT(b >= 0 && h >= 1 && w >= 1 && c >= 1 && temperature > 0.0f,
                "%s: bad arguments b=%d h=%d w=%d c=%d temperature=%g (b >= 0; h, w, c >= 1; "
                "temperature > 0)",
                op, b, h, w, c, (double)temperature);
}

void spatial_softmax_forward_ref(float *y, float *attn, const float *x, int b, int h, int w, int c,
                                 float temperature);
void spatial_softmax_backward_ref(float *dx, const float *dy, const float *y, const float *attn,
                                  int b, int h, int w, int c, float temperature, int accumulate);

void spatial_softmax_forward_cuda(void *stream, float *y, float *attn, const float *x, int b, int h,
                                  int w, int c, float temperature);
void spatial_softmax_backward_cuda(void *stream, float *dx, const float *dy, const float *y,
                                   const float *attn, int b, int h, int w, int c, float temperature,
                                   int accumulate);

#ifdef __cplusplus
}
#endif
#endif
