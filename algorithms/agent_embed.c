/* agent_embed.c - the policy's image encoder of one camera run on raw frames, for features
 * outside the policy (`rise data embed`: neighbour relabelling on the policy encoder's
 * features). Each frame is centre-cropped and encoded with the weights the policy acts with
 * (the EMA copy for diffusion policies, as agent_policy.c samples), exactly the camera's
 * columns of the policy's feature row in evaluation (obs_encoder.c with random 0). For tools,
 * not the step loop: an embedder holds the scratch of its largest call and reuses it. */
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"

rise_status rise_agent_camera_find(const rise_agent *a, const char *name, int *cam, char *found,
                                   rise_camera_shape *shape, int *feat_dim) {
    const char *algo = rise_algo_name(a->cfg.algo);
    if (!a->has_vision || !a->cameras)
        return rise_error(RISE_ERR_INVALID,
                          "this %s run's policy reads no camera frames (it has no image "
                          "encoder to embed with)",
                          algo);
    rise_camera_shape shapes[RISE_OBS_MAX_CAMERAS];
    char names[RISE_OBS_MAX_CAMERAS][RISE_OBS_CAMERA_NAME_MAX];
    int n = 0;
    RISE_TRY(rise_camera_record_parse(a->cameras, "the run's cameras", shapes, names, &n));
    for (int k = 0; k < n && k < a->vis.cfg.n_cams; ++k)
        if (!name || !strcmp(names[k], name)) {
            *cam = k;
            if (found) memcpy(found, names[k], RISE_OBS_CAMERA_NAME_MAX);
            if (shape) *shape = shapes[k];
            if (feat_dim) *feat_dim = a->vis.enc[k].cfg.feat_dim;
            return RISE_OK;
        }
    return rise_error(RISE_ERR_INVALID, "camera '%s': the %s run's policy reads %s", name, algo,
                      a->cameras);
}

/* Centred crops of frames [n, h, w, c] -> the encoder's features [n, F] (measure-safe). */
static float *embed_ops(rise_agent *a, int cam, rise_arena *ar, const uint8_t *d_frames, int n) {
    rise_backend *be = a->be;
    const rise_obs_encoder_config *c = &a->vis.cfg;
    const rise_camera_shape *s = &c->cam[cam];
    const int cf = c->crop_h * c->crop_w * s->c;
    const rise_rng none = {0, 0, 0, NULL};
    float *x = rise_arena_alloc(ar, (size_t)n * cf);
    if (ar->be)
        be->crop_frames(be, x, cf, 0, d_frames, n, s->h, s->w, s->c, c->crop_h, c->crop_w, 0, none);
    rise_image_encoder_tape t;
    rise_image_encoder_forward(&a->vis.enc[cam], be, rise_agent_acting_weights(a), ar, &t, x, n);
    return t.out;
}

struct rise_frame_embedder {
    rise_agent *a;
    int cam, cap;
    uint8_t *d_frames; /* [cap, h w c] */
    rise_arena ar;     /* sized for cap frames, rewound every call */
};

rise_status rise_frame_embedder_create(rise_agent *a, int cam, int max_frames,
                                       rise_frame_embedder **out) {
    *out = NULL;
    if (!a->has_vision || cam < 0 || cam >= a->vis.cfg.n_cams)
        return rise_error(RISE_ERR_INVALID, "embed: camera %d of a policy with %d cameras", cam,
                          a->has_vision ? a->vis.cfg.n_cams : 0);
    if (max_frames <= 0)
        return rise_error(RISE_ERR_INVALID, "embed: %d frames a call, expected >= 1", max_frames);
    rise_frame_embedder *e = calloc(1, sizeof *e);
    if (!e) return rise_error(RISE_ERR_NOMEM, "embed: out of memory");
    rise_backend *be = a->be;
    const rise_camera_shape *s = &a->vis.cfg.cam[cam];
    e->a = a, e->cam = cam, e->cap = max_frames;
    e->d_frames = be->alloc(be, (size_t)s->h * s->w * s->c * (size_t)max_frames);
    rise_status st = RISE_OK;
    if (!e->d_frames)
        st = rise_error(RISE_ERR_NOMEM, "embed: out of memory for %d frames", max_frames);
    if (st == RISE_OK) {
        rise_arena m;
        rise_arena_init_measure(&m);
        embed_ops(a, cam, &m, e->d_frames, max_frames);
        st = rise_arena_init(&e->ar, be, m.peak + RISE_ARENA_ALIGN_FLOATS);
    }
    if (st != RISE_OK) {
        rise_frame_embedder_free(e);
        return st;
    }
    *out = e;
    return RISE_OK;
}

rise_status rise_frame_embedder_run(rise_frame_embedder *e, int n, const uint8_t *frames,
                                    float *out) {
    if (n <= 0 || n > e->cap)
        return rise_error(RISE_ERR_INVALID, "embed: %d frames, expected 1..%d", n, e->cap);
    rise_agent *a = e->a;
    rise_backend *be = a->be;
    const rise_camera_shape *s = &a->vis.cfg.cam[e->cam];
    const size_t fb = (size_t)s->h * s->w * s->c, F = (size_t)a->vis.enc[e->cam].cfg.feat_dim;
    be->upload(be, e->d_frames, frames, fb * (size_t)n);
    rise_arena_rewind(&e->ar, 0);
    const float *d_out = embed_ops(a, e->cam, &e->ar, e->d_frames, n);
    RISE_TRY(be->sync(be));
    be->download(be, out, d_out, sizeof(float) * F * (size_t)n);
    return RISE_OK;
}

void rise_frame_embedder_free(rise_frame_embedder *e) {
    if (!e) return;
    rise_arena_free(&e->ar);
    if (e->d_frames) e->a->be->free(e->a->be, e->d_frames);
    free(e);
}

const char *rise_agent_embed_weights(const rise_agent *a) {
    return rise_agent_acting_weights(a) == a->pp.ema ? "ema" : "value";
}
