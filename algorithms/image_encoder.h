/* image_encoder.h - the small convolutional image encoder for CPU-scale experiments: robomimic's
 * visual core (conv trunk -> spatial softmax -> Linear) with a trunk of a few conv-GroupNorm-
 * ReLU blocks in place of ResNet-18. One encoder per camera; its features are concatenated
 * with the low-dim keys and trained end to end with the network that reads them.
 *
 * Input x [B, H, W, C] floats (the cropped frames, kernels/gather.h's crop_frames), NHWC.
 * Block i: conv2d (kernel k, stride s_i, padding k/2) -> GroupNorm(groups) -> ReLU.
 * Then a 1x1 conv to `keypoints` maps, spatial softmax (temperature 1, robomimic's default)
 * to [B, 2 keypoints] (x, y) pairs, and a Linear to [B, feat_dim] (robomimic's
 * feature_dimension). Parameters live in a rise_params buffer (offsets only here), initialised
 * as PyTorch's defaults (conv and Linear U(+-1/sqrt(fan_in)), GroupNorm 1 / 0).
 *
 * Memory: forward takes its tape and the convolutions' workspace from the arena and keeps them
 * until backward; backward takes two activation-sized scratch buffers and gives them back.
 * Size the arena by running forward + backward once on a measuring arena. */
#ifndef RISE_IMAGE_ENCODER_H
#define RISE_IMAGE_ENCODER_H

#include "../host/arena.h"
#include "../kernels/conv2d.h"
#include "linear.h"
#include "params.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_IMAGE_ENCODER_MAX_BLOCKS 6

typedef struct {
    int height, width, channels; /* the input (the crop), channels-last */
    int n_blocks;
    int block_channels[RISE_IMAGE_ENCODER_MAX_BLOCKS];
    int block_stride[RISE_IMAGE_ENCODER_MAX_BLOCKS];
    int kernel;    /* odd; padding kernel / 2 */
    int groups;    /* GroupNorm groups; divides every block's channels */
    int keypoints; /* spatial softmax maps (robomimic's num_kp, 32) */
    int feat_dim;  /* output features (robomimic's feature_dimension, 64) */
} rise_image_encoder_config;

typedef struct {
    rise_conv2d_shape conv; /* at batch 0; the batch is set per call */
    size_t w_off, b_off, gn_g_off, gn_b_off;
} rise_image_encoder_block;

typedef struct {
    rise_image_encoder_config cfg;
    rise_image_encoder_block blocks[RISE_IMAGE_ENCODER_MAX_BLOCKS];
    rise_conv2d_shape kp_conv;
    size_t kp_w_off, kp_b_off;
    rise_linear proj;
} rise_image_encoder;

/* What forward keeps for backward (arena memory). */
typedef struct {
    const float *x;
    float *h[RISE_IMAGE_ENCODER_MAX_BLOCKS], *mean[RISE_IMAGE_ENCODER_MAX_BLOCKS];
    float *rstd[RISE_IMAGE_ENCODER_MAX_BLOCKS], *n[RISE_IMAGE_ENCODER_MAX_BLOCKS];
    float *a[RISE_IMAGE_ENCODER_MAX_BLOCKS];
    float *maps, *attn, *kp, *out; /* out [B, feat_dim]: the features */
    float *ws;
    int batch;
} rise_image_encoder_tape;

/* Checks cfg (clear message naming the field) and registers "<name>.block<i>.conv.w" ...,
 * "<name>.kp.w/b", "<name>.proj.w/b" in p. */
rise_status rise_image_encoder_register(rise_image_encoder *e, rise_params *p, const char *name,
                                        const rise_image_encoder_config *cfg);

/* t->out [B, feat_dim] from x [B, H, W, C]; w: the parameter slot to read. */
void rise_image_encoder_forward(const rise_image_encoder *e, rise_backend *be, const float *w,
                                rise_arena *ar, rise_image_encoder_tape *t, const float *x,
                                int batch);

/* Parameter gradients += into g from dout [B, feat_dim]; dx [B, H, W, C] overwritten when not
 * NULL (an encoder on raw frames needs none). */
void rise_image_encoder_backward(const rise_image_encoder *e, rise_backend *be, const float *w,
                                 float *g, rise_arena *ar, const rise_image_encoder_tape *t,
                                 const float *dout, float *dx);

#ifdef __cplusplus
}
#endif
#endif
