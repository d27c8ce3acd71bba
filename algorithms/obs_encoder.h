/* obs_encoder.h - the observation front end of a policy that sees camera frames: one image
 * encoder per camera (image_encoder.h, robomimic's VisualCore), its features concatenated
 * with the low-dimensional keys frame by frame, trained end to end with the policy
 * (robomimic's ObservationEncoder; RISE's and Diffusion Policy's policies do the same).
 *
 * Layout. A policy row holds To frames; frame j of row b is
 *   [ lowdim (D) | camera 0 features (F) | ... | camera C-1 features (F) ]
 * so the networks read [B, To (D + C F)] where a low-dim policy reads [B, To D]. The frames
 * come as uint8 [B, To, H, W, ch] per camera (data/frames.h's gather), are cropped to
 * crop_h x crop_w (kernels/gather.h's crop_frames: random in training, robomimic's
 * CropRandomizer, centred in evaluation) and scaled to [0, 1]; the encoder runs on the
 * B To crops at once, so every frame of the history shares one encoder, as in robomimic.
 *
 * Parameters are registered in the policy's rise_params ("<name>.cam<c>.*"), so the
 * policy's Adam, EMA, checkpoint and export carry them with the rest of the policy. */
#ifndef RISE_OBS_ENCODER_H
#define RISE_OBS_ENCODER_H

#include "image_encoder.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_OBS_MAX_CAMERAS 4

typedef struct {
    int h, w, c; /* a camera's frames, channels-last */
} rise_camera_shape;

typedef struct {
    int lowdim; /* D: low-dim features per frame (may be 0) */
    int frames; /* To */
    int n_cams; /* 0: no cameras (the front end is not used) */
    rise_camera_shape cam[RISE_OBS_MAX_CAMERAS];
    int crop_h, crop_w; /* the crop; at most every camera's h, w */
    /* the trunk; its height, width and channels are the crop's, filled per camera */
    rise_image_encoder_config enc;
} rise_obs_encoder_config;

typedef struct {
    rise_obs_encoder_config cfg;
    rise_image_encoder enc[RISE_OBS_MAX_CAMERAS];
    int frame_dim; /* D + C F: the features of one frame */
} rise_obs_encoder;

typedef struct {
    rise_image_encoder_tape cam[RISE_OBS_MAX_CAMERAS];
    float *out; /* [rows, To frame_dim] */
    int rows;
} rise_obs_encoder_tape;

/* Checks cfg (clear messages naming the setting) and registers every camera's encoder. */
rise_status rise_obs_encoder_register(rise_obs_encoder *e, rise_params *p, const char *name,
                                      const rise_obs_encoder_config *cfg);

/* Philox blocks one training forward draws (the crops of every camera), for rows rows. */
uint64_t rise_obs_encoder_rng_blocks(const rise_obs_encoder *e, int rows);

/* t->out [rows, To frame_dim] from lowdim [rows, To D] (NULL: those columns are left unset) and
 * frames[c] uint8 [rows, To, h, w, ch] of each camera, with weights w. random 1: crops drawn
 * from rng (camera c at rng.offset + c crop_frames_blocks(rows To)); 0: centred crops. The
 * tape and the activations stay in the arena for the backward. */
void rise_obs_encoder_forward(const rise_obs_encoder *e, rise_backend *be, const float *w,
                              rise_arena *ar, rise_obs_encoder_tape *t, const float *lowdim,
                              const uint8_t *const *frames, int rows, int random, rise_rng rng);

/* Parameter gradients += into g from dout [rows, To frame_dim] (the low-dim columns of dout
 * are not used: the keys are inputs, not parameters). */
void rise_obs_encoder_backward(const rise_obs_encoder *e, rise_backend *be, const float *w,
                               float *g, rise_arena *ar, const rise_obs_encoder_tape *t,
                               const float *dout);

/* The cameras a model was trained on, as a checkpoint records them:
 * "name:HxWxC,name:HxWxC". Format returns a malloc'ed string (NULL when out of memory);
 * parse fills shapes[0..*n) and, when names is not NULL, names[0..*n), and fails with a
 * message naming `where` on anything else. */
#define RISE_OBS_CAMERA_NAME_MAX 64
char *rise_camera_record_format(int n, const char *const *names, const rise_camera_shape *shapes);
rise_status rise_camera_record_parse(const char *record, const char *where,
                                     rise_camera_shape *shapes,
                                     char (*names)[RISE_OBS_CAMERA_NAME_MAX], int *n);

#ifdef __cplusplus
}
#endif
#endif
