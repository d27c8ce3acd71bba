/* cudnn_conv.h - cuDNN's convolutions for the conv1d (as 1 x T images) and conv2d CUDA
 * variants: NHWC activations, NHWC filters [Co, KH, KW, Ci] (rise's layout), cross-
 * correlation, FP32 FMA math (no TF32, to stay within the references' tolerance), and per
 * pass the first deterministic algorithm of cuDNN's heuristics whose workspace fits
 * RISE_CUDNN_WS_MAX. Plans (descriptors + algorithms) come from host-side heuristics only (no
 * trial runs, no device work) and are cached per (handle, shape), so the calls are safe inside
 * a CUDA graph capture once the shape's workspace was sized before it. Bias is not cuDNN's:
 * the callers add and reduce it with kernels/gemm.h's epilogues.
 * Built with RISE_WITH_CUDNN; without it rise_cudnn_create returns NULL and no shape is
 * supported. */
#ifndef RISE_KERNELS_CUDNN_CONV_H
#define RISE_KERNELS_CUDNN_CONV_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_CUDNN_WS_MAX ((size_t)64 << 20)

typedef struct {
    int n, c_in, h_in, w_in, c_out, h_out, w_out, kh, kw, stride_h, stride_w, pad_h, pad_w;
} rise_cudnn_conv_shape;

/* A cuDNN handle bound to stream, or NULL (not built, or no usable cuDNN at run time). */
void *rise_cudnn_create(void *stream);
void rise_cudnn_destroy(void *cudnn); /* NULL: nothing; drops the handle's cached plans */

/* 1 when cuDNN (cudnn not NULL) has a plan for s (n >= 1). */
int rise_cudnn_conv_supported(void *cudnn, const rise_cudnn_conv_shape *s);
/* Workspace bytes of s's plan (0 when unsupported). */
size_t rise_cudnn_conv_workspace(void *cudnn, const rise_cudnn_conv_shape *s);
/* y = conv(x, w) (overwritten). */
void rise_cudnn_conv_forward(void *cudnn, const rise_cudnn_conv_shape *s, float *y, const float *x,
                             const float *w, void *ws);
/* dx = (or += with accumulate) the gradient of the input. */
void rise_cudnn_conv_backward_data(void *cudnn, const rise_cudnn_conv_shape *s, float *dx,
                                   const float *dy, const float *w, int accumulate, void *ws);
/* dw += the gradient of the filter. */
void rise_cudnn_conv_backward_filter(void *cudnn, const rise_cudnn_conv_shape *s, float *dw,
                                     const float *dy, const float *x, void *ws);

#ifdef __cplusplus
}
#endif
#endif
