/* image_encoder.c - a camera's encoder (see image_encoder.h): register the trunk's conv-GN
 * units (conv blocks, or the ResNet stem, BasicBlocks and shortcuts) and the keypoint head,
 * forward through the backend table's conv2d / group_norm / relu / max pool / spatial softmax
 * / Linear, and backward in reverse through four scratch buffers. */
#include "image_encoder.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../kernels/max_pool2d.h"

/* ---- registration ---- */

static void map_seen(rise_image_encoder *e, const rise_conv2d_shape *s) {
    const size_t v = (size_t)s->h_out * s->w_out * s->c_out;
    if (v > e->map_floats) e->map_floats = v;
}

/* Registers "<conv>.w" (and "<conv>.b" with bias), "<gn>.g", "<gn>.b"; the unit's index in
 * *index. */
static rise_status unit_register(rise_image_encoder *e, rise_params *p, const char *conv,
                                 const char *gn, rise_conv2d_shape s, int bias, int groups,
                                 int relu, int *index) {
    RISE_ASSERT(e->n_units < RISE_IMAGE_ENCODER_MAX_UNITS, "image encoder: too many units");
    rise_conv_unit *u = &e->units[e->n_units];
    char buf[RISE_PARAM_NAME_MAX + 8];
    const int shape[4] = {s.c_out, s.kh, s.kw, s.c_in}, fan_in = s.kh * s.kw * s.c_in;
    u->conv = s;
    u->groups = groups;
    u->relu = relu;
    snprintf(buf, sizeof buf, "%s.w", conv);
    RISE_TRY(rise_params_add(p, buf, 4, shape, rise_init_fan_in(fan_in), &u->w_off));
    u->b_off = SIZE_MAX;
    if (bias) {
        snprintf(buf, sizeof buf, "%s.b", conv);
        RISE_TRY(rise_params_add(p, buf, 1, &s.c_out, rise_init_fan_in(fan_in), &u->b_off));
    }
    snprintf(buf, sizeof buf, "%s.g", gn);
    RISE_TRY(rise_params_add(p, buf, 1, &s.c_out, rise_init_const(1.0f), &u->gn_g_off));
    snprintf(buf, sizeof buf, "%s.b", gn);
    RISE_TRY(rise_params_add(p, buf, 1, &s.c_out, rise_init_const(0.0f), &u->gn_b_off));
    map_seen(e, &s);
    *index = e->n_units++;
    return RISE_OK;
}

static rise_status too_small(const char *name, const char *what, int h, int w) {
    return rise_error(RISE_ERR_INVALID, "%s: %s: a %dx%d map is too small for it", name, what, h,
                      w);
}

static rise_status register_conv_trunk(rise_image_encoder *e, rise_params *p, const char *name,
                                       int *h, int *w, int *ci) {
    const rise_image_encoder_config *c = &e->cfg;
    if (c->kernel < 1 || c->kernel % 2 == 0)
        return rise_error(RISE_ERR_INVALID, "%s: kernel %d: expected an odd size >= 1", name,
                          c->kernel);
    if (c->groups < 1)
        return rise_error(RISE_ERR_INVALID, "%s: groups %d: expected >= 1", name, c->groups);
    char conv[RISE_PARAM_NAME_MAX], gn[RISE_PARAM_NAME_MAX];
    for (int i = 0; i < c->n_blocks; ++i) {
        const int co = c->block_channels[i], st = c->block_stride[i];
        if (co < 1 || co % c->groups || st < 1)
            return rise_error(RISE_ERR_INVALID,
                              "%s: block %d: channels %d must be a positive multiple of groups "
                              "%d and stride %d >= 1",
                              name, i, co, c->groups, st);
        const rise_conv2d_shape s =
            conv2d_make_shape(0, *h, *w, *ci, co, c->kernel, c->kernel, st, c->kernel / 2);
        char what[32];
        snprintf(what, sizeof what, "block %d", i);
        if (!conv2d_shape_ok(&s)) return too_small(name, what, *h, *w);
        snprintf(conv, sizeof conv, "%s.block%d.conv", name, i);
        snprintf(gn, sizeof gn, "%s.block%d.gn", name, i);
        int index;
        RISE_TRY(unit_register(e, p, conv, gn, s, 1, c->groups, 1, &index));
        *h = s.h_out, *w = s.w_out, *ci = co;
    }
    return RISE_OK;
}

/* A ResNet unit: no bias, C / group_channels groups. */
static rise_status resnet_unit(rise_image_encoder *e, rise_params *p, const char *name,
                               const char *conv, const char *gn, int h, int w, int ci, int co,
                               int k, int stride, int relu, int *index) {
    const rise_conv2d_shape s = conv2d_make_shape(0, h, w, ci, co, k, k, stride, k / 2);
    if (!conv2d_shape_ok(&s)) return too_small(name, conv + strlen(name) + 1, h, w);
    return unit_register(e, p, conv, gn, s, 0, co / e->cfg.group_channels, relu, index);
}

static rise_status register_resnet_trunk(rise_image_encoder *e, rise_params *p, const char *name,
                                         int *h, int *w, int *ci) {
    const rise_image_encoder_config *c = &e->cfg;
    if (c->n_blocks > RISE_RESNET_MAX_STAGES || c->stage_blocks < 1 ||
        c->stage_blocks > RISE_RESNET_MAX_STAGE_BLOCKS)
        return rise_error(
            RISE_ERR_INVALID,
            "%s: a ResNet of %d stages (encoder.channels) of %d blocks (encoder.blocks): "
            "expected 1..%d stages of 1..%d",
            name, c->n_blocks, c->stage_blocks, RISE_RESNET_MAX_STAGES,
            RISE_RESNET_MAX_STAGE_BLOCKS);
    for (int i = 0; i < c->n_blocks; ++i)
        if (c->group_channels < 1 || c->block_channels[i] < 1 ||
            c->block_channels[i] % c->group_channels)
            return rise_error(RISE_ERR_INVALID,
                              "%s: stage %d: channels %d must be a positive multiple of "
                              "group_channels %d (encoder.channels, encoder.group_channels)",
                              name, i, c->block_channels[i], c->group_channels);
    char conv[RISE_PARAM_NAME_MAX], gn[RISE_PARAM_NAME_MAX], down[RISE_PARAM_NAME_MAX];
    int stem;
    snprintf(conv, sizeof conv, "%s.conv1", name);
    snprintf(gn, sizeof gn, "%s.gn1", name);
    RISE_TRY(resnet_unit(e, p, name, conv, gn, *h, *w, *ci, c->block_channels[0], 7, 2, 1, &stem));
    const rise_conv2d_shape *s = &e->units[stem].conv;
    e->pool = max_pool2d_make_shape(0, s->h_out, s->w_out, s->c_out, 3, 2, 1);
    if (!conv2d_shape_ok(&e->pool))
        return too_small(name, "the stem's max pool", s->h_out, s->w_out);
    *h = e->pool.h_out, *w = e->pool.w_out, *ci = e->pool.c_out;
    for (int st = 0; st < c->n_blocks; ++st)
        for (int j = 0; j < c->stage_blocks; ++j) {
            rise_resnet_block *b = &e->res[e->n_res_blocks++];
            const int co = c->block_channels[st], stride = st > 0 && j == 0 ? 2 : 1;
            char pre[RISE_PARAM_NAME_MAX - 16];
            snprintf(pre, sizeof pre, "%s.layer%d.%d", name, st + 1, j);
            snprintf(conv, sizeof conv, "%s.conv1", pre);
            snprintf(gn, sizeof gn, "%s.gn1", pre);
            RISE_TRY(resnet_unit(e, p, name, conv, gn, *h, *w, *ci, co, 3, stride, 1, &b->u1));
            const rise_conv2d_shape *s1 = &e->units[b->u1].conv;
            snprintf(conv, sizeof conv, "%s.conv2", pre);
            snprintf(gn, sizeof gn, "%s.gn2", pre);
            RISE_TRY(
                resnet_unit(e, p, name, conv, gn, s1->h_out, s1->w_out, co, co, 3, 1, 0, &b->u2));
            b->down = -1;
            if (stride != 1 || *ci != co) {
                snprintf(down, sizeof down, "%s.down.conv", pre);
                snprintf(gn, sizeof gn, "%s.down.gn", pre);
                RISE_TRY(
                    resnet_unit(e, p, name, down, gn, *h, *w, *ci, co, 1, stride, 0, &b->down));
            }
            *h = s1->h_out, *w = s1->w_out, *ci = co;
        }
    return RISE_OK;
}

rise_status rise_image_encoder_register(rise_image_encoder *e, rise_params *p, const char *name,
                                        const rise_image_encoder_config *cfg) {
    const rise_image_encoder_config *c = cfg;
    if (c->height < 1 || c->width < 1 || c->channels < 1)
        return rise_error(RISE_ERR_INVALID, "%s: input %dx%dx%d: every size must be >= 1", name,
                          c->height, c->width, c->channels);
    if (c->n_blocks < 1 || c->n_blocks > RISE_IMAGE_ENCODER_MAX_BLOCKS)
        return rise_error(RISE_ERR_INVALID, "%s: n_blocks %d: expected 1..%d", name, c->n_blocks,
                          RISE_IMAGE_ENCODER_MAX_BLOCKS);
    if (c->keypoints < 1 || c->feat_dim < 1)
        return rise_error(RISE_ERR_INVALID, "%s: keypoints %d, feat_dim %d: each must be >= 1",
                          name, c->keypoints, c->feat_dim);
    *e = (rise_image_encoder){.cfg = *c};
    int h = c->height, w = c->width, ci = c->channels;
    if (c->trunk == RISE_TRUNK_RESNET)
        RISE_TRY(register_resnet_trunk(e, p, name, &h, &w, &ci));
    else
        RISE_TRY(register_conv_trunk(e, p, name, &h, &w, &ci));
    e->kp_conv = conv2d_make_shape(0, h, w, ci, c->keypoints, 1, 1, 1, 0);
    map_seen(e, &e->kp_conv);
    char buf[RISE_PARAM_NAME_MAX + 8];
    const int shape[4] = {c->keypoints, 1, 1, ci};
    snprintf(buf, sizeof buf, "%s.kp.w", name);
    RISE_TRY(rise_params_add(p, buf, 4, shape, rise_init_fan_in(ci), &e->kp_w_off));
    snprintf(buf, sizeof buf, "%s.kp.b", name);
    RISE_TRY(rise_params_add(p, buf, 1, &c->keypoints, rise_init_fan_in(ci), &e->kp_b_off));
    snprintf(buf, sizeof buf, "%s.proj", name);
    return rise_linear_register(&e->proj, p, buf, 2 * c->keypoints, c->feat_dim, 1, 1);
}

/* ---- forward ---- */

static rise_conv2d_shape at_batch(rise_conv2d_shape s, int batch) {
    s.batch = batch;
    return s;
}

static size_t map_floats(const rise_conv2d_shape *s, int batch) {
    return (size_t)batch * s->h_out * s->w_out * s->c_out;
}

static size_t ws_floats(const rise_image_encoder *e, rise_backend *be, int batch) {
    size_t m = 0;
    for (int i = 0; i <= e->n_units; ++i) {
        const rise_conv2d_shape s = at_batch(i < e->n_units ? e->units[i].conv : e->kp_conv, batch);
        const size_t v = (be->conv2d_workspace_bytes(be, &s) + sizeof(float) - 1) / sizeof(float);
        if (v > m) m = v;
    }
    return m;
}

static void unit_forward(const rise_conv_unit *u, rise_backend *be, const float *w, rise_arena *ar,
                         rise_conv_unit_tape *t, const float *in, int batch, float *ws) {
    const rise_conv2d_shape s = at_batch(u->conv, batch);
    const size_t n = map_floats(&s, batch);
    t->h = rise_arena_alloc(ar, n);
    t->n = rise_arena_alloc(ar, n);
    t->a = u->relu ? rise_arena_alloc(ar, n) : t->n;
    t->mean = rise_arena_alloc(ar, (size_t)batch * u->groups);
    t->rstd = rise_arena_alloc(ar, (size_t)batch * u->groups);
    if (!ar->be) return;
    const float *bias = u->b_off == SIZE_MAX ? NULL : w + u->b_off;
    be->conv2d_forward(be, &s, t->h, in, w + u->w_off, bias, ws);
    be->group_norm_forward(be, t->n, t->mean, t->rstd, t->h, w + u->gn_g_off, w + u->gn_b_off,
                           batch, s.h_out * s.w_out, s.c_out, u->groups, 1e-5f);
    if (u->relu) be->act_forward(be, RISE_ACT_RELU, t->a, t->n, n);
}

/* The ResNet trunk's output from x. */
static const float *resnet_forward(const rise_image_encoder *e, rise_backend *be, const float *w,
                                   rise_arena *ar, rise_image_encoder_tape *t, const float *x,
                                   int batch) {
    unit_forward(&e->units[0], be, w, ar, &t->unit[0], x, batch, t->ws);
    const rise_conv2d_shape pool = at_batch(e->pool, batch);
    t->pooled = rise_arena_alloc(ar, map_floats(&pool, batch));
    _Static_assert(sizeof(int32_t) == sizeof(float), "pool indices use float-sized slots");
    t->pool_idx = (int32_t *)rise_arena_alloc(ar, map_floats(&pool, batch));
    if (ar->be) be->max_pool2d_forward(be, &pool, t->pooled, t->pool_idx, t->unit[0].a);
    const float *in = t->pooled;
    for (int k = 0; k < e->n_res_blocks; ++k) {
        const rise_resnet_block *b = &e->res[k];
        unit_forward(&e->units[b->u1], be, w, ar, &t->unit[b->u1], in, batch, t->ws);
        unit_forward(&e->units[b->u2], be, w, ar, &t->unit[b->u2], t->unit[b->u1].a, batch, t->ws);
        const float *shortcut = in;
        if (b->down >= 0) {
            unit_forward(&e->units[b->down], be, w, ar, &t->unit[b->down], in, batch, t->ws);
            shortcut = t->unit[b->down].n;
        }
        const size_t n = map_floats(&e->units[b->u2].conv, batch);
        t->sum[k] = rise_arena_alloc(ar, n);
        t->block_out[k] = rise_arena_alloc(ar, n);
        if (ar->be) {
            be->add(be, t->sum[k], t->unit[b->u2].n, shortcut, n);
            be->act_forward(be, RISE_ACT_RELU, t->block_out[k], t->sum[k], n);
        }
        in = t->block_out[k];
    }
    return in;
}

void rise_image_encoder_forward(const rise_image_encoder *e, rise_backend *be, const float *w,
                                rise_arena *ar, rise_image_encoder_tape *t, const float *x,
                                int batch) {
    const rise_image_encoder_config *c = &e->cfg;
    t->x = x;
    t->batch = batch;
    t->ws = rise_arena_alloc(ar, ws_floats(e, be, batch));
    const float *in = x;
    if (c->trunk == RISE_TRUNK_RESNET) {
        in = resnet_forward(e, be, w, ar, t, x, batch);
    } else {
        for (int i = 0; i < e->n_units; ++i) {
            unit_forward(&e->units[i], be, w, ar, &t->unit[i], in, batch, t->ws);
            in = t->unit[i].a;
        }
    }
    const rise_conv2d_shape k = at_batch(e->kp_conv, batch);
    t->maps = rise_arena_alloc(ar, map_floats(&k, batch));
    t->attn = rise_arena_alloc(ar, map_floats(&k, batch));
    t->kp = rise_arena_alloc(ar, (size_t)batch * 2 * c->keypoints);
    t->out = rise_arena_alloc(ar, (size_t)batch * c->feat_dim);
    if (!ar->be) return;
    be->conv2d_forward(be, &k, t->maps, in, w + e->kp_w_off, w + e->kp_b_off, t->ws);
    be->spatial_softmax_forward(be, t->kp, t->attn, t->maps, batch, k.h_out, k.w_out, k.c_out,
                                1.0f);
    rise_linear_forward(&e->proj, be, w, t->out, t->kp, batch, 1);
}

/* ---- backward ---- */

/* From p = dL/d(the unit's output) (overwritten), with scratch q: the unit's parameter
 * gradients += into g and, when dx is not NULL, dL/d(in) written to (accumulate: added to) dx.
 * A unit without ReLU leaves p unchanged. */
static void unit_backward(const rise_conv_unit *u, rise_backend *be, const float *w, float *g,
                          const rise_conv_unit_tape *t, const float *in, int batch, float *p,
                          float *q, float *dx, int accumulate, float *ws) {
    const rise_conv2d_shape s = at_batch(u->conv, batch);
    const size_t n = map_floats(&s, batch);
    const int hw = s.h_out * s.w_out;
    float *dy = p, *dh = q;
    if (u->relu) {
        be->act_backward(be, RISE_ACT_RELU, q, p, t->n, n, 0);
        dy = q, dh = p;
    }
    be->group_norm_backward(be, dh, g + u->gn_g_off, g + u->gn_b_off, dy, t->h, t->mean, t->rstd,
                            w + u->gn_g_off, batch, hw, s.c_out, u->groups, 0);
    float *gb = u->b_off == SIZE_MAX ? NULL : g + u->b_off;
    be->conv2d_backward_weight(be, &s, g + u->w_off, gb, dh, in, ws);
    if (dx) be->conv2d_backward_data(be, &s, dx, dh, w + u->w_off, accumulate, ws);
}

static void swap(float **a, float **b) {
    float *t = *a;
    *a = *b, *b = t;
}

/* From A = dL/d(trunk output): dx (NULL: none); s: three more scratch buffers. */
static void resnet_backward(const rise_image_encoder *e, rise_backend *be, const float *w, float *g,
                            const rise_image_encoder_tape *t, float *A, float *s[3], float *dx) {
    const int batch = t->batch;
    float *B = s[0], *C = s[1], *X = s[2];
    for (int k = e->n_res_blocks - 1; k >= 0; --k) {
        const rise_resnet_block *b = &e->res[k];
        const float *in = k ? t->block_out[k - 1] : t->pooled;
        const size_t n = map_floats(&e->units[b->u2].conv, batch);
        be->act_backward(be, RISE_ACT_RELU, B, A, t->sum[k], n, 0); /* d(sum) */
        if (b->down >= 0)
            unit_backward(&e->units[b->down], be, w, g, &t->unit[b->down], in, batch, B, A, X, 0,
                          t->ws);
        else
            be->copy(be, X, B, n * sizeof(float));
        unit_backward(&e->units[b->u2], be, w, g, &t->unit[b->u2], t->unit[b->u1].a, batch, B, A, C,
                      0, t->ws);
        unit_backward(&e->units[b->u1], be, w, g, &t->unit[b->u1], in, batch, C, A, X, 1, t->ws);
        swap(&A, &X);
    }
    const rise_conv2d_shape pool = at_batch(e->pool, batch);
    be->max_pool2d_backward(be, &pool, X, A, t->pool_idx, 0);
    unit_backward(&e->units[0], be, w, g, &t->unit[0], t->x, batch, X, A, dx, 0, t->ws);
}

void rise_image_encoder_backward(const rise_image_encoder *e, rise_backend *be, const float *w,
                                 float *g, rise_arena *ar, const rise_image_encoder_tape *t,
                                 const float *dout, float *dx) {
    const rise_image_encoder_config *c = &e->cfg;
    const int batch = t->batch;
    const size_t mark = rise_arena_mark(ar), largest = (size_t)batch * e->map_floats;
    float *A = rise_arena_alloc(ar, largest), *s[3];
    for (int i = 0; i < 3; ++i) s[i] = rise_arena_alloc(ar, largest);
    float *dkp = rise_arena_alloc(ar, (size_t)batch * 2 * c->keypoints);
    if (ar->be) {
        const rise_conv2d_shape k = at_batch(e->kp_conv, batch);
        const float *last = c->trunk == RISE_TRUNK_RESNET ? t->block_out[e->n_res_blocks - 1]
                                                          : t->unit[e->n_units - 1].a;
        rise_linear_backward(&e->proj, be, w, g, dkp, dout, t->kp, batch, 1, 0);
        be->spatial_softmax_backward(be, s[0], dkp, t->kp, t->attn, batch, k.h_out, k.w_out,
                                     k.c_out, 1.0f, 0);
        be->conv2d_backward_weight(be, &k, g + e->kp_w_off, g + e->kp_b_off, s[0], last, t->ws);
        be->conv2d_backward_data(be, &k, A, s[0], w + e->kp_w_off, 0, t->ws);
        if (c->trunk == RISE_TRUNK_RESNET) {
            resnet_backward(e, be, w, g, t, A, s, dx);
        } else {
            float *X = s[2];
            for (int i = e->n_units - 1; i >= 0; --i) {
                const float *in = i ? t->unit[i - 1].a : t->x;
                unit_backward(&e->units[i], be, w, g, &t->unit[i], in, batch, A, s[0], i ? X : dx,
                              0, t->ws);
                swap(&A, &X);
            }
        }
    }
    rise_arena_rewind(ar, mark);
}
