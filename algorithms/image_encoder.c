/* image_encoder.c - the small conv encoder (see image_encoder.h): register, forward through
 * the backend table's conv2d / group_norm / relu / spatial softmax / Linear, and backward in
 * reverse with two ping-pong scratch buffers. */
#include "image_encoder.h"

#include <stdio.h>

static rise_status conv_register(rise_params *p, const char *name, const rise_conv2d_shape *s,
                                 size_t *w_off, size_t *b_off) {
    char buf[RISE_PARAM_NAME_MAX + 8];
    const int shape[4] = {s->c_out, s->kh, s->kw, s->c_in}, fan_in = s->kh * s->kw * s->c_in;
    snprintf(buf, sizeof buf, "%s.w", name);
    RISE_TRY(rise_params_add(p, buf, 4, shape, rise_init_fan_in(fan_in), w_off));
    snprintf(buf, sizeof buf, "%s.b", name);
    return rise_params_add(p, buf, 1, &s->c_out, rise_init_fan_in(fan_in), b_off);
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
    if (c->kernel < 1 || c->kernel % 2 == 0)
        return rise_error(RISE_ERR_INVALID, "%s: kernel %d: expected an odd size >= 1", name,
                          c->kernel);
    if (c->groups < 1 || c->keypoints < 1 || c->feat_dim < 1)
        return rise_error(RISE_ERR_INVALID,
                          "%s: groups %d, keypoints %d, feat_dim %d: each must be >= 1", name,
                          c->groups, c->keypoints, c->feat_dim);
    e->cfg = *c;
    int h = c->height, w = c->width, ci = c->channels;
    char buf[RISE_PARAM_NAME_MAX];
    for (int i = 0; i < c->n_blocks; ++i) {
        const int co = c->block_channels[i], st = c->block_stride[i];
        if (co < 1 || co % c->groups || st < 1)
            return rise_error(RISE_ERR_INVALID,
                              "%s: block %d: channels %d must be a positive multiple of groups "
                              "%d and stride %d >= 1",
                              name, i, co, c->groups, st);
        rise_image_encoder_block *b = &e->blocks[i];
        b->conv = conv2d_make_shape(0, h, w, ci, co, c->kernel, c->kernel, st, c->kernel / 2);
        if (!conv2d_shape_ok(&b->conv))
            return rise_error(RISE_ERR_INVALID, "%s: block %d: a %dx%d map is too small for it",
                              name, i, h, w);
        snprintf(buf, sizeof buf, "%s.block%d.conv", name, i);
        RISE_TRY(conv_register(p, buf, &b->conv, &b->w_off, &b->b_off));
        snprintf(buf, sizeof buf, "%s.block%d.gn.g", name, i);
        RISE_TRY(rise_params_add(p, buf, 1, &co, rise_init_const(1.0f), &b->gn_g_off));
        snprintf(buf, sizeof buf, "%s.block%d.gn.b", name, i);
        RISE_TRY(rise_params_add(p, buf, 1, &co, rise_init_const(0.0f), &b->gn_b_off));
        h = b->conv.h_out, w = b->conv.w_out, ci = co;
    }
    e->kp_conv = conv2d_make_shape(0, h, w, ci, c->keypoints, 1, 1, 1, 0);
    snprintf(buf, sizeof buf, "%s.kp", name);
    RISE_TRY(conv_register(p, buf, &e->kp_conv, &e->kp_w_off, &e->kp_b_off));
    snprintf(buf, sizeof buf, "%s.proj", name);
    return rise_linear_register(&e->proj, p, buf, 2 * c->keypoints, c->feat_dim, 1, 1);
}

static rise_conv2d_shape at_batch(rise_conv2d_shape s, int batch) {
    s.batch = batch;
    return s;
}

static size_t map_floats(const rise_conv2d_shape *s, int batch) {
    return (size_t)batch * s->h_out * s->w_out * s->c_out;
}

static size_t ws_floats(const rise_image_encoder *e, rise_backend *be, int batch) {
    size_t m = 0;
    for (int i = 0; i <= e->cfg.n_blocks; ++i) {
        const rise_conv2d_shape s =
            at_batch(i < e->cfg.n_blocks ? e->blocks[i].conv : e->kp_conv, batch);
        const size_t v = (be->conv2d_workspace_bytes(be, &s) + sizeof(float) - 1) / sizeof(float);
        if (v > m) m = v;
    }
    return m;
}

void rise_image_encoder_forward(const rise_image_encoder *e, rise_backend *be, const float *w,
                                rise_arena *ar, rise_image_encoder_tape *t, const float *x,
                                int batch) {
    const rise_image_encoder_config *c = &e->cfg;
    const int run = ar->be != NULL, G = c->groups;
    t->x = x;
    t->batch = batch;
    t->ws = rise_arena_alloc(ar, ws_floats(e, be, batch));
    const float *in = x;
    for (int i = 0; i < c->n_blocks; ++i) {
        const rise_image_encoder_block *b = &e->blocks[i];
        const rise_conv2d_shape s = at_batch(b->conv, batch);
        const size_t n = map_floats(&s, batch), hw = (size_t)s.h_out * s.w_out;
        t->h[i] = rise_arena_alloc(ar, n);
        t->mean[i] = rise_arena_alloc(ar, (size_t)batch * G);
        t->rstd[i] = rise_arena_alloc(ar, (size_t)batch * G);
        t->n[i] = rise_arena_alloc(ar, n);
        t->a[i] = rise_arena_alloc(ar, n);
        if (run) {
            be->conv2d_forward(be, &s, t->h[i], in, w + b->w_off, w + b->b_off, t->ws);
            be->group_norm_forward(be, t->n[i], t->mean[i], t->rstd[i], t->h[i], w + b->gn_g_off,
                                   w + b->gn_b_off, batch, (int)hw, s.c_out, G, 1e-5f);
            be->act_forward(be, RISE_ACT_RELU, t->a[i], t->n[i], n);
        }
        in = t->a[i];
    }
    const rise_conv2d_shape k = at_batch(e->kp_conv, batch);
    t->maps = rise_arena_alloc(ar, map_floats(&k, batch));
    t->attn = rise_arena_alloc(ar, map_floats(&k, batch));
    t->kp = rise_arena_alloc(ar, (size_t)batch * 2 * c->keypoints);
    t->out = rise_arena_alloc(ar, (size_t)batch * c->feat_dim);
    if (!run) return;
    be->conv2d_forward(be, &k, t->maps, in, w + e->kp_w_off, w + e->kp_b_off, t->ws);
    be->spatial_softmax_forward(be, t->kp, t->attn, t->maps, batch, k.h_out, k.w_out, k.c_out,
                                1.0f);
    rise_linear_forward(&e->proj, be, w, t->out, t->kp, batch, 1);
}

void rise_image_encoder_backward(const rise_image_encoder *e, rise_backend *be, const float *w,
                                 float *g, rise_arena *ar, const rise_image_encoder_tape *t,
                                 const float *dout, float *dx) {
    const rise_image_encoder_config *c = &e->cfg;
    const int batch = t->batch, run = ar->be != NULL, G = c->groups;
    const size_t mark = rise_arena_mark(ar);
    size_t largest = map_floats(&e->kp_conv, batch);
    for (int i = 0; i < c->n_blocks; ++i) {
        const size_t v = map_floats(&e->blocks[i].conv, batch);
        if (v > largest) largest = v;
    }
    float *s1 = rise_arena_alloc(ar, largest), *s2 = rise_arena_alloc(ar, largest);
    float *dkp = rise_arena_alloc(ar, (size_t)batch * 2 * c->keypoints);
    if (run) {
        const rise_conv2d_shape k = at_batch(e->kp_conv, batch);
        const float *last = c->n_blocks ? t->a[c->n_blocks - 1] : t->x;
        rise_linear_backward(&e->proj, be, w, g, dkp, dout, t->kp, batch, 1, 0);
        be->spatial_softmax_backward(be, s1, dkp, t->kp, t->attn, batch, k.h_out, k.w_out, k.c_out,
                                     1.0f, 0);
        be->conv2d_backward_weight(be, &k, g + e->kp_w_off, g + e->kp_b_off, s1, last, t->ws);
        be->conv2d_backward_data(be, &k, s2, s1, w + e->kp_w_off, 0, t->ws);
        float *da = s2, *other = s1; /* da: dL/d(block output) */
        for (int i = c->n_blocks - 1; i >= 0; --i) {
            const rise_image_encoder_block *b = &e->blocks[i];
            const rise_conv2d_shape s = at_batch(b->conv, batch);
            const size_t n = map_floats(&s, batch), hw = (size_t)s.h_out * s.w_out;
            const float *in = i ? t->a[i - 1] : t->x;
            be->act_backward(be, RISE_ACT_RELU, other, da, t->n[i], n, 0); /* dn */
            be->group_norm_backward(be, da, g + b->gn_g_off, g + b->gn_b_off, other, t->h[i],
                                    t->mean[i], t->rstd[i], w + b->gn_g_off, batch, (int)hw,
                                    s.c_out, G, 0); /* dh in da */
            be->conv2d_backward_weight(be, &s, g + b->w_off, g + b->b_off, da, in, t->ws);
            float *dst = i ? other : dx;
            if (dst) be->conv2d_backward_data(be, &s, dst, da, w + b->w_off, 0, t->ws);
            float *tmp = da;
            da = other, other = tmp;
        }
    }
    rise_arena_rewind(ar, mark);
}
