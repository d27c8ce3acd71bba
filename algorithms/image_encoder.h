/* image_encoder.h - a camera's image encoder: robomimic's VisualCore (conv trunk -> spatial
 * softmax -> Linear) on one of two trunks. One encoder per camera; its features are
 * concatenated with the low-dim keys and trained end to end with the network that reads them.
 *
 * Input x [B, H, W, C] floats (the cropped frames, kernels/gather.h's crop_frames), NHWC.
 * Trunks:
 *  - RISE_TRUNK_CONV, the small encoder for CPU-scale experiments: block i is conv2d (kernel
 *    k, stride s_i, padding k/2, with bias) -> GroupNorm(groups) -> ReLU.
 *  - RISE_TRUNK_RESNET, robomimic's ResNet18Conv with Diffusion Policy's GroupNorm in place of
 *    BatchNorm (torchvision's resnet18 without avgpool and fc): a stem conv 7x7 stride 2
 *    padding 3 to block_channels[0] -> GroupNorm -> ReLU -> max pool 3x3 stride 2 padding 1,
 *    then one stage per block_channels[i] of stage_blocks BasicBlocks (conv 3x3 -> GN -> ReLU
 *    -> conv 3x3 -> GN, plus the shortcut, -> ReLU; the first block of stage i > 0 has stride
 *    2, and a 1x1 stride-s conv -> GN shortcut where stride or width change). Convolutions
 *    have no bias (torchvision's); every GroupNorm has C / group_channels groups (Diffusion
 *    Policy's replace_bn_with_gn: 16 channels per group). ResNet-18: block_channels 64, 128,
 *    256, 512 and stage_blocks 2; on a 76x76 crop its map is 3x3x512.
 * Then a 1x1 conv (with bias) to `keypoints` maps, spatial softmax (temperature 1,
 * robomimic's default) to [B, 2 keypoints] (x, y) pairs, and a Linear to [B, feat_dim]
 * (robomimic's feature_dimension). Parameters live in a rise_params buffer (offsets only
 * here), initialised as PyTorch's defaults (conv and Linear U(+-1/sqrt(fan_in)), GroupNorm 1 /
 * 0); names follow torchvision's for the ResNet ("<name>.conv1.w", "<name>.layer2.0.down.conv.w").
 *
 * Memory: forward takes its tape and the convolutions' workspace from the arena and keeps them
 * until backward; backward takes four activation-sized scratch buffers and gives them back.
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

#define RISE_IMAGE_ENCODER_MAX_BLOCKS 6 /* conv blocks, or ResNet stages (at most 4 of them) */
#define RISE_RESNET_MAX_STAGES        4
#define RISE_RESNET_MAX_STAGE_BLOCKS  3
#define RISE_RESNET_MAX_BLOCKS        (RISE_RESNET_MAX_STAGES * RISE_RESNET_MAX_STAGE_BLOCKS)
/* conv-GN(-ReLU) units: the conv blocks, or the stem + two per BasicBlock + the shortcuts */
#define RISE_IMAGE_ENCODER_MAX_UNITS (1 + 3 * RISE_RESNET_MAX_BLOCKS)

typedef enum { RISE_TRUNK_CONV = 0, RISE_TRUNK_RESNET = 1 } rise_image_trunk;

typedef struct {
    int height, width, channels; /* the input (the crop), channels-last */
    rise_image_trunk trunk;
    int n_blocks; /* conv blocks, or ResNet stages */
    int block_channels[RISE_IMAGE_ENCODER_MAX_BLOCKS];
    int block_stride[RISE_IMAGE_ENCODER_MAX_BLOCKS]; /* conv trunk only */
    int kernel;                                      /* conv trunk: odd; padding kernel / 2 */
    int groups;         /* conv trunk: GroupNorm groups; divides every block's channels */
    int stage_blocks;   /* ResNet: BasicBlocks per stage (ResNet-18: 2) */
    int group_channels; /* ResNet: channels per GroupNorm group (Diffusion Policy: 16) */
    int keypoints;      /* spatial softmax maps (robomimic's num_kp, 32) */
    int feat_dim;       /* output features (robomimic's feature_dimension, 64) */
} rise_image_encoder_config;

/* conv2d -> GroupNorm (-> ReLU): a conv block, the ResNet stem, a BasicBlock's half or a
 * shortcut. b_off SIZE_MAX: no bias. */
typedef struct {
    rise_conv2d_shape conv; /* at batch 0; the batch is set per call */
    size_t w_off, b_off, gn_g_off, gn_b_off;
    int groups, relu;
} rise_conv_unit;

/* A BasicBlock: units u1 (ReLU) and u2 on the way, `down` (-1: identity) on the shortcut. */
typedef struct {
    int u1, u2, down;
} rise_resnet_block;

typedef struct {
    rise_image_encoder_config cfg;
    int n_units;
    rise_conv_unit units[RISE_IMAGE_ENCODER_MAX_UNITS];
    rise_conv2d_shape pool; /* ResNet: the stem's max pool */
    int n_res_blocks;
    rise_resnet_block res[RISE_RESNET_MAX_BLOCKS];
    rise_conv2d_shape kp_conv;
    size_t kp_w_off, kp_b_off;
    rise_linear proj;
    size_t map_floats; /* the largest activation per frame */
} rise_image_encoder;

typedef struct {
    float *h, *n, *a, *mean, *rstd; /* conv out, GroupNorm out, ReLU out (a == n: no ReLU) */
} rise_conv_unit_tape;

/* What forward keeps for backward (arena memory). */
typedef struct {
    const float *x;
    rise_conv_unit_tape unit[RISE_IMAGE_ENCODER_MAX_UNITS];
    float *pooled;                            /* ResNet: the max pool's output */
    int32_t *pool_idx;                        /* ResNet: the positions of its maxima */
    float *sum[RISE_RESNET_MAX_BLOCKS];       /* ResNet: u2 + shortcut, before the ReLU */
    float *block_out[RISE_RESNET_MAX_BLOCKS]; /* ResNet: the blocks' outputs */
    float *maps, *attn, *kp, *out;            /* out [B, feat_dim]: the features */
    float *ws;
    int batch;
} rise_image_encoder_tape;

/* Checks cfg (clear message naming the field) and registers the parameters in p. */
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
