/* obs_encoder.c - the policy's observation front end (obs_encoder.h): crop each camera's
 * frames, encode them, and interleave the features with the low-dim keys frame by frame;
 * backward splits the gradient per camera and runs each encoder's backward. */
#include "obs_encoder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/gather.h"

rise_status rise_obs_encoder_register(rise_obs_encoder *e, rise_params *p, const char *name,
                                      const rise_obs_encoder_config *cfg) {
    const rise_obs_encoder_config *c = cfg;
    if (c->n_cams < 1 || c->n_cams > RISE_OBS_MAX_CAMERAS)
        return rise_error(RISE_ERR_INVALID, "%s: %d cameras, expected 1..%d", name, c->n_cams,
                          RISE_OBS_MAX_CAMERAS);
    if (c->lowdim < 0 || c->frames < 1)
        return rise_error(RISE_ERR_INVALID, "%s: %d low-dim features, %d frames (>= 0, >= 1)", name,
                          c->lowdim, c->frames);
    e->cfg = *c;
    e->frame_dim = c->lowdim;
    for (int k = 0; k < c->n_cams; ++k) {
        const rise_camera_shape *s = &c->cam[k];
        if (c->crop_h < 1 || c->crop_w < 1 || c->crop_h > s->h || c->crop_w > s->w)
            return rise_error(RISE_ERR_INVALID,
                              "encoder.crop: a %dx%d crop does not fit camera %d's %dx%d frames "
                              "(expected 1..%d x 1..%d)",
                              c->crop_h, c->crop_w, k, s->h, s->w, s->h, s->w);
        if (s->c < 1 || s->c > 4)
            return rise_error(RISE_ERR_INVALID, "%s: camera %d has %d channels, expected 1..4",
                              name, k, s->c);
        rise_image_encoder_config ec = c->enc;
        ec.height = c->crop_h;
        ec.width = c->crop_w;
        ec.channels = s->c;
        char buf[RISE_PARAM_NAME_MAX];
        snprintf(buf, sizeof buf, "%s.cam%d", name, k);
        RISE_TRY(rise_image_encoder_register(&e->enc[k], p, buf, &ec));
        e->frame_dim += ec.feat_dim;
    }
    return RISE_OK;
}

static int crop_floats(const rise_obs_encoder *e, int k) {
    return e->cfg.crop_h * e->cfg.crop_w * e->cfg.cam[k].c;
}

uint64_t rise_obs_encoder_rng_blocks(const rise_obs_encoder *e, int rows) {
    return (uint64_t)e->cfg.n_cams * crop_frames_blocks(rows * e->cfg.frames);
}

void rise_obs_encoder_forward(const rise_obs_encoder *e, rise_backend *be, const float *w,
                              rise_arena *ar, rise_obs_encoder_tape *t, const float *lowdim,
                              const uint8_t *const *frames, int rows, int random, rise_rng rng) {
    const rise_obs_encoder_config *c = &e->cfg;
    const int run = ar->be != NULL, n = rows * c->frames, F = e->frame_dim, D = c->lowdim;
    t->rows = rows;
    t->out = rise_arena_alloc(ar, (size_t)n * F);
    if (run && D > 0 && lowdim) be->copy_cols(be, t->out, F, 0, lowdim, D, 0, n, D, 0);
    int col = D;
    for (int k = 0; k < c->n_cams; ++k) {
        const rise_camera_shape *s = &c->cam[k];
        const int cf = crop_floats(e, k);
        float *x = rise_arena_alloc(ar, (size_t)n * cf);
        rise_rng r = rng;
        r.offset += (uint64_t)k * crop_frames_blocks(n);
        if (run)
            be->crop_frames(be, x, cf, 0, frames[k], n, s->h, s->w, s->c, c->crop_h, c->crop_w,
                            random, r);
        rise_image_encoder_forward(&e->enc[k], be, w, ar, &t->cam[k], x, n);
        const int fk = e->enc[k].cfg.feat_dim;
        if (run) be->copy_cols(be, t->out, F, col, t->cam[k].out, fk, 0, n, fk, 0);
        col += fk;
    }
}

void rise_obs_encoder_backward(const rise_obs_encoder *e, rise_backend *be, const float *w,
                               float *g, rise_arena *ar, const rise_obs_encoder_tape *t,
                               const float *dout) {
    const rise_obs_encoder_config *c = &e->cfg;
    const int run = ar->be != NULL, n = t->rows * c->frames, F = e->frame_dim;
    const size_t mark = rise_arena_mark(ar);
    int col = c->lowdim;
    for (int k = 0; k < c->n_cams; ++k) {
        const int fk = e->enc[k].cfg.feat_dim;
        float *dk = rise_arena_alloc(ar, (size_t)n * fk);
        if (run) be->copy_cols(be, dk, fk, 0, dout, F, col, n, fk, 0);
        rise_image_encoder_backward(&e->enc[k], be, w, g, ar, &t->cam[k], dk, NULL);
        col += fk;
        rise_arena_rewind(ar, mark);
    }
}

char *rise_camera_record_format(int n, const char *const *names, const rise_camera_shape *shapes) {
    size_t len = 1;
    for (int k = 0; k < n; ++k) len += strlen(names[k]) + 40;
    char *s = calloc(len, 1);
    for (int k = 0; s && k < n; ++k)
        sprintf(s + strlen(s), "%s%s:%dx%dx%d", k ? "," : "", names[k], shapes[k].h, shapes[k].w,
                shapes[k].c);
    return s;
}

rise_status rise_camera_record_parse(const char *record, const char *where,
                                     rise_camera_shape *shapes,
                                     char (*names)[RISE_OBS_CAMERA_NAME_MAX], int *n) {
    *n = 0;
    for (const char *p = record; *p;) {
        const char *colon = strchr(p, ':');
        rise_camera_shape s;
        int used = 0;
        if (!colon || colon == p || colon - p >= RISE_OBS_CAMERA_NAME_MAX ||
            *n == RISE_OBS_MAX_CAMERAS ||
            sscanf(colon + 1, "%dx%dx%d%n", &s.h, &s.w, &s.c, &used) != 3 || s.h < 1 || s.w < 1 ||
            s.c < 1 || s.c > 4 || (colon[1 + used] && colon[1 + used] != ','))
            return rise_error(RISE_ERR_FORMAT,
                              "%s: cameras record '%s': expected up to %d entries name:HxWxC "
                              "separated by commas",
                              where, record, RISE_OBS_MAX_CAMERAS);
        if (names) {
            memcpy(names[*n], p, (size_t)(colon - p));
            names[*n][colon - p] = 0;
        }
        shapes[(*n)++] = s;
        p = colon + 1 + used;
        if (*p == ',') ++p;
    }
    return RISE_OK;
}
