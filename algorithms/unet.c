/* unet.c - the conditional 1-D temporal U-Net over the backend table (see unet.h). Every
 * backend call is skipped on a measuring arena (ar->be NULL), so the same code sizes it. */
#include "unet.h"

#include <stdio.h>
#include <string.h>

#include "../kernels/conv1d.h"

rise_unet_config rise_unet_config_default(void) {
    rise_unet_config c;
    memset(&c, 0, sizeof c);
    c.n_levels = 3;
    c.down_dims[0] = 256;
    c.down_dims[1] = 512;
    c.down_dims[2] = 1024;
    c.kernel = 5;
    c.groups = 8;
    c.step_embed = 256;
    c.gn_eps = 1e-5f;
    return c;
}

rise_status rise_unet_config_check(const rise_unet_config *c) {
    if (c->act_dim < 1 || c->horizon < 1 || c->cond_dim < 0)
        return rise_error(RISE_ERR_INVALID,
                          "unet: action dim %d, horizon %d, condition dim %d (expected >= 1, >= 1, "
                          ">= 0)",
                          c->act_dim, c->horizon, c->cond_dim);
    if (c->n_levels < 1 || c->n_levels > RISE_UNET_MAX_LEVELS)
        return rise_error(RISE_ERR_INVALID, "policy.unet_down_dims has %d levels, expected 1..%d",
                          c->n_levels, RISE_UNET_MAX_LEVELS);
    if (c->groups < 1)
        return rise_error(RISE_ERR_INVALID, "policy.unet_groups = %d, expected >= 1", c->groups);
    for (int l = 0; l < c->n_levels; ++l)
        if (c->down_dims[l] < 1 || c->down_dims[l] % c->groups)
            return rise_error(RISE_ERR_INVALID,
                              "policy.unet_down_dims[%d] = %d: expected a positive multiple of "
                              "policy.unet_groups = %d (GroupNorm splits the channels evenly)",
                              l, c->down_dims[l], c->groups);
    if (c->kernel < 1 || c->kernel % 2 == 0)
        return rise_error(RISE_ERR_INVALID,
                          "policy.unet_kernel = %d, expected an odd size >= 1 (same padding)",
                          c->kernel);
    if (c->step_embed < 4 || c->step_embed % 2)
        return rise_error(RISE_ERR_INVALID, "policy.unet_step_embed = %d, expected even and >= 4",
                          c->step_embed);
    const int div = 1 << (c->n_levels - 1);
    if (c->horizon % div)
        return rise_error(RISE_ERR_INVALID,
                          "unet: the action horizon %d must be divisible by 2^(levels - 1) = %d "
                          "(each down-sampling halves it and the up-sampling doubles it back); "
                          "change policy.action_horizon or the number of policy.unet_down_dims",
                          c->horizon, div);
    if (!(c->gn_eps > 0.0f))
        return rise_error(RISE_ERR_INVALID, "unet: GroupNorm eps %g, expected > 0",
                          (double)c->gn_eps);
    return RISE_OK;
}

static rise_status conv_register(rise_unet_conv *c, rise_params *p, const char *name, int ci,
                                 int co, int k, int stride, int pad, int bias_len) {
    c->ci = ci;
    c->co = co;
    c->k = k;
    c->stride = stride;
    c->pad = pad;
    char buf[RISE_PARAM_NAME_MAX + 8];
    const int shape[3] = {co, k, ci};
    /* PyTorch's Conv1d / ConvTranspose1d default: U(+-1/sqrt(fan_in)), fan_in = weight
     * dim 1 times K, which is ci K in both cases with this layout. */
    snprintf(buf, sizeof buf, "%s.w", name);
    RISE_TRY(rise_params_add(p, buf, 3, shape, rise_init_fan_in(ci * k), &c->w_off));
    snprintf(buf, sizeof buf, "%s.b", name);
    return rise_params_add(p, buf, 1, &bias_len, rise_init_fan_in(ci * k), &c->b_off);
}

static rise_status gn_register(rise_unet_gn *g, rise_params *p, const char *name, int c) {
    char buf[RISE_PARAM_NAME_MAX + 8];
    g->c = c;
    snprintf(buf, sizeof buf, "%s.g", name);
    RISE_TRY(rise_params_add(p, buf, 1, &c, rise_init_const(1.0f), &g->g_off));
    snprintf(buf, sizeof buf, "%s.b", name);
    return rise_params_add(p, buf, 1, &c, rise_init_const(0.0f), &g->b_off);
}

static rise_status block_register(rise_unet *u, rise_params *p, const char *name, int ci, int co,
                                  int level) {
    RISE_ASSERT(u->n_blocks < RISE_UNET_MAX_BLOCKS, "unet: too many blocks");
    rise_unet_block *b = &u->blocks[u->n_blocks++];
    const int K = u->cfg.kernel;
    char buf[RISE_PARAM_NAME_MAX];
    b->ci = ci;
    b->co = co;
    b->level = level;
    snprintf(buf, sizeof buf, "%s.conv1", name);
    RISE_TRY(conv_register(&b->conv1, p, buf, ci, co, K, 1, K / 2, co));
    snprintf(buf, sizeof buf, "%s.gn1", name);
    RISE_TRY(gn_register(&b->gn1, p, buf, co));
    snprintf(buf, sizeof buf, "%s.film", name);
    RISE_TRY(rise_linear_register(&b->film, p, buf, u->cond_total, 2 * co, 1, 1));
    snprintf(buf, sizeof buf, "%s.conv2", name);
    RISE_TRY(conv_register(&b->conv2, p, buf, co, co, K, 1, K / 2, co));
    snprintf(buf, sizeof buf, "%s.gn2", name);
    RISE_TRY(gn_register(&b->gn2, p, buf, co));
    b->has_skip = ci != co;
    if (b->has_skip) {
        snprintf(buf, sizeof buf, "%s.skip", name);
        RISE_TRY(conv_register(&b->skip, p, buf, ci, co, 1, 1, 0, co));
    }
    return RISE_OK;
}

rise_status rise_unet_register(rise_unet *u, rise_params *p, const char *name,
                               const rise_unet_config *cfg) {
    RISE_TRY(rise_unet_config_check(cfg));
    memset(u, 0, sizeof *u);
    u->cfg = *cfg;
    const int L = cfg->n_levels, E = cfg->step_embed, K = cfg->kernel, A = cfg->act_dim;
    const int *d = cfg->down_dims;
    u->cond_total = E + cfg->cond_dim;
    char buf[RISE_PARAM_NAME_MAX];
    /* Diffusion Policy's SinusoidalPosEmb: F = E/2 frequencies 10000^(-i/(F-1)) */
    rise_time_embedding_config tc = rise_time_embedding_config_default();
    tc.kind = RISE_TIME_SINUSOIDAL;
    tc.n_freq = E / 2;
    tc.max_period = 10000.0f;
    snprintf(buf, sizeof buf, "%s.step.sin", name);
    RISE_TRY(rise_time_embedding_register(&u->sinus, p, buf, &tc));
    snprintf(buf, sizeof buf, "%s.step.fc1", name);
    RISE_TRY(rise_linear_register(&u->step_fc1, p, buf, E, 4 * E, 1, 1));
    snprintf(buf, sizeof buf, "%s.step.fc2", name);
    RISE_TRY(rise_linear_register(&u->step_fc2, p, buf, 4 * E, E, 1, 1));
    for (int l = 0; l < L; ++l) {
        const int ci = l ? d[l - 1] : A;
        snprintf(buf, sizeof buf, "%s.down%d.res0", name, l);
        RISE_TRY(block_register(u, p, buf, ci, d[l], l));
        snprintf(buf, sizeof buf, "%s.down%d.res1", name, l);
        RISE_TRY(block_register(u, p, buf, d[l], d[l], l));
        if (l < L - 1) {
            snprintf(buf, sizeof buf, "%s.down%d.conv", name, l);
            RISE_TRY(conv_register(&u->down[l], p, buf, d[l], d[l], 3, 2, 1, d[l]));
        }
    }
    for (int i = 0; i < 2; ++i) {
        snprintf(buf, sizeof buf, "%s.mid.res%d", name, i);
        RISE_TRY(block_register(u, p, buf, d[L - 1], d[L - 1], L - 1));
    }
    for (int j = 0; j < L - 1; ++j) {
        const int lv = L - 1 - j, cin = d[lv], cout = d[lv - 1];
        snprintf(buf, sizeof buf, "%s.up%d.res0", name, j);
        RISE_TRY(block_register(u, p, buf, 2 * cin, cout, lv));
        snprintf(buf, sizeof buf, "%s.up%d.res1", name, j);
        RISE_TRY(block_register(u, p, buf, cout, cout, lv));
        /* ConvTranspose1d(cout, cout, 4, 2, 1) as the backward-data of this convolution */
        snprintf(buf, sizeof buf, "%s.up%d.conv", name, j);
        RISE_TRY(conv_register(&u->up[j], p, buf, cout, cout, 4, 2, 1, cout));
    }
    snprintf(buf, sizeof buf, "%s.final.conv", name);
    RISE_TRY(conv_register(&u->final_conv, p, buf, d[0], d[0], K, 1, K / 2, d[0]));
    snprintf(buf, sizeof buf, "%s.final.gn", name);
    RISE_TRY(gn_register(&u->final_gn, p, buf, d[0]));
    snprintf(buf, sizeof buf, "%s.final.out", name);
    return conv_register(&u->final_out, p, buf, d[0], A, 1, 1, 0, A);
}

rise_status rise_unet_setup(rise_unet *u, rise_backend *be) {
    return rise_time_embedding_setup(&u->sinus, be);
}

void rise_unet_free(rise_unet *u) { rise_time_embedding_free(&u->sinus); }

/* ---- helpers ---- */

static int steps_at(const rise_unet *u, int level) { return u->cfg.horizon >> level; }

/* The convolution over t_in input steps (for the up convs: t_in is the doubled length). */
static rise_conv1d_shape conv_shape(const rise_unet_conv *c, int batch, int t_in) {
    rise_conv1d_shape s = {batch, t_in, c->ci,     conv1d_out_len(t_in, c->k, c->stride, c->pad),
                           c->co, c->k, c->stride, c->pad};
    return s;
}

static size_t ws_floats_of(rise_backend *be, const rise_unet_conv *c, int batch, int t_in) {
    const rise_conv1d_shape s = conv_shape(c, batch, t_in);
    return (be->conv1d_workspace_bytes(be, &s) + sizeof(float) - 1) / sizeof(float);
}

static size_t max_ws_floats(const rise_unet *u, rise_backend *be, int batch) {
    size_t m = 0, v;
#define KEEP(expr) (v = (expr), m = v > m ? v : m)
    for (int i = 0; i < u->n_blocks; ++i) {
        const rise_unet_block *b = &u->blocks[i];
        const int T = steps_at(u, b->level);
        KEEP(ws_floats_of(be, &b->conv1, batch, T));
        KEEP(ws_floats_of(be, &b->conv2, batch, T));
        if (b->has_skip) KEEP(ws_floats_of(be, &b->skip, batch, T));
    }
    for (int l = 0; l < u->cfg.n_levels - 1; ++l) {
        KEEP(ws_floats_of(be, &u->down[l], batch, steps_at(u, l)));
        KEEP(ws_floats_of(be, &u->up[l], batch, 2 * steps_at(u, u->cfg.n_levels - 1 - l)));
    }
    KEEP(ws_floats_of(be, &u->final_conv, batch, u->cfg.horizon));
    KEEP(ws_floats_of(be, &u->final_out, batch, u->cfg.horizon));
#undef KEEP
    return m;
}

static void conv_fwd(rise_backend *be, const float *w, const rise_unet_conv *c, float *y,
                     const float *x, int batch, int t_in, float *ws) {
    const rise_conv1d_shape s = conv_shape(c, batch, t_in);
    be->conv1d_forward(be, &s, y, x, w + c->w_off, w + c->b_off, ws);
}

/* dx (+)= ..., dw and db += ...; dx may be NULL. */
static void conv_bwd(rise_backend *be, const float *w, float *g, const rise_unet_conv *c, float *dx,
                     const float *dy, const float *x, int batch, int t_in, int accumulate,
                     float *ws) {
    const rise_conv1d_shape s = conv_shape(c, batch, t_in);
    be->conv1d_backward_weight(be, &s, g + c->w_off, g + c->b_off, dy, x, ws);
    if (dx) be->conv1d_backward_data(be, &s, dx, dy, w + c->w_off, accumulate, ws);
}

static void block_forward(const rise_unet *u, rise_backend *be, const float *w, rise_arena *ar,
                          const rise_unet_block *b, rise_unet_block_tape *bt, const float *x,
                          const float *mcond, int batch, float *ws, float *tmp) {
    const int run = ar->be != NULL, T = steps_at(u, b->level), G = u->cfg.groups;
    const size_t n = (size_t)batch * T * b->co, ng = (size_t)batch * G;
    const float eps = u->cfg.gn_eps;
    bt->x = x;
    bt->h1 = rise_arena_alloc(ar, n);
    bt->m1 = rise_arena_alloc(ar, ng);
    bt->r1 = rise_arena_alloc(ar, ng);
    bt->n1 = rise_arena_alloc(ar, n);
    bt->a1 = rise_arena_alloc(ar, n);
    bt->e = rise_arena_alloc(ar, (size_t)batch * 2 * b->co);
    bt->f = rise_arena_alloc(ar, n);
    bt->h2 = rise_arena_alloc(ar, n);
    bt->m2 = rise_arena_alloc(ar, ng);
    bt->r2 = rise_arena_alloc(ar, ng);
    bt->n2 = rise_arena_alloc(ar, n);
    bt->out = rise_arena_alloc(ar, n);
    if (!run) return;
    conv_fwd(be, w, &b->conv1, bt->h1, x, batch, T, ws);
    be->group_norm_forward(be, bt->n1, bt->m1, bt->r1, bt->h1, w + b->gn1.g_off, w + b->gn1.b_off,
                           batch, T, b->co, G, eps);
    be->act_forward(be, RISE_ACT_MISH, bt->a1, bt->n1, n);
    rise_linear_forward(&b->film, be, w, bt->e, mcond, batch, 1);
    be->film_forward(be, bt->f, bt->a1, bt->e, batch, T, b->co);
    conv_fwd(be, w, &b->conv2, bt->h2, bt->f, batch, T, ws);
    be->group_norm_forward(be, bt->n2, bt->m2, bt->r2, bt->h2, w + b->gn2.g_off, w + b->gn2.b_off,
                           batch, T, b->co, G, eps);
    be->act_forward(be, RISE_ACT_MISH, bt->out, bt->n2, n);
    if (b->has_skip) {
        conv_fwd(be, w, &b->skip, tmp, x, batch, T, ws);
        be->axpy(be, bt->out, 1.0f, tmp, n);
    } else {
        be->axpy(be, bt->out, 1.0f, x, n);
    }
}

/* dx (overwritten; NULL: not computed) from dout; parameter gradients into g; the FiLM
 * encoder's input gradient is added to dmcond. s1, s2: scratch of the block's size. */
static void block_backward(const rise_unet *u, rise_backend *be, const float *w, float *g,
                           const rise_unet_block *b, const rise_unet_block_tape *bt, float *dx,
                           const float *dout, const float *mcond, float *dmcond, int batch,
                           float *ws, float *s1, float *s2, float *se) {
    const int T = steps_at(u, b->level), G = u->cfg.groups;
    const size_t n = (size_t)batch * T * b->co;
    /* out = mish(n2) + skip(x) */
    be->act_backward(be, RISE_ACT_MISH, s1, dout, bt->n2, n, 0); /* dn2 */
    be->group_norm_backward(be, s2, g + b->gn2.g_off, g + b->gn2.b_off, s1, bt->h2, bt->m2, bt->r2,
                            w + b->gn2.g_off, batch, T, b->co, G, 0);  /* dh2 */
    conv_bwd(be, w, g, &b->conv2, s1, s2, bt->f, batch, T, 0, ws);     /* df */
    be->film_backward(be, s2, se, s1, bt->a1, bt->e, batch, T, b->co); /* da1, de */
    rise_linear_backward(&b->film, be, w, g, dmcond, se, mcond, batch, 1, 1);
    be->act_backward(be, RISE_ACT_MISH, s1, s2, bt->n1, n, 0); /* dn1 */
    be->group_norm_backward(be, s2, g + b->gn1.g_off, g + b->gn1.b_off, s1, bt->h1, bt->m1, bt->r1,
                            w + b->gn1.g_off, batch, T, b->co, G, 0); /* dh1 */
    conv_bwd(be, w, g, &b->conv1, dx, s2, bt->x, batch, T, 0, ws);
    if (b->has_skip)
        conv_bwd(be, w, g, &b->skip, dx, dout, bt->x, batch, T, 1, ws);
    else if (dx)
        be->axpy(be, dx, 1.0f, dout, n);
}

static size_t largest_activation(const rise_unet *u, int batch) {
    size_t m = (size_t)batch * u->cfg.horizon * u->cfg.act_dim;
    for (int i = 0; i < u->n_blocks; ++i) {
        const rise_unet_block *b = &u->blocks[i];
        const size_t T = (size_t)steps_at(u, b->level);
        const size_t v = (size_t)batch * T * (b->ci > b->co ? b->ci : b->co);
        if (v > m) m = v;
    }
    return m;
}

void rise_unet_forward(const rise_unet *u, rise_backend *be, const float *w, rise_arena *ar,
                       rise_unet_tape *t, const float *x, const float *k, const float *cond,
                       int batch) {
    const rise_unet_config *c = &u->cfg;
    const int run = ar->be != NULL, L = c->n_levels, E = c->step_embed, D = c->cond_dim;
    const int CT = u->cond_total, T = c->horizon, G = c->groups;
    const int *d = c->down_dims;
    memset(t, 0, sizeof *t);
    t->batch = batch;
    t->k = k;
    t->cond_in = cond;
    t->ws = rise_arena_alloc(ar, max_ws_floats(u, be, batch));
    float *tmp = rise_arena_alloc(ar, largest_activation(u, batch));
    /* the condition: [step encoder(k), obs], and its Mish shared by every FiLM encoder */
    t->sin_emb = rise_arena_alloc(ar, (size_t)batch * E);
    t->s1 = rise_arena_alloc(ar, (size_t)batch * 4 * E);
    t->s1a = rise_arena_alloc(ar, (size_t)batch * 4 * E);
    t->cond = rise_arena_alloc(ar, (size_t)batch * CT);
    t->mcond = rise_arena_alloc(ar, (size_t)batch * CT);
    float *s2 = rise_arena_alloc(ar, (size_t)batch * E);
    if (run) {
        rise_time_embedding_forward(&u->sinus, be, w, t->sin_emb, k, batch);
        rise_linear_forward_act(&u->step_fc1, be, w, t->s1, t->s1a, RISE_ACT_MISH, t->sin_emb,
                                batch, 1);
        rise_linear_forward(&u->step_fc2, be, w, s2, t->s1a, batch, 1);
        be->copy_cols(be, t->cond, CT, 0, s2, E, 0, batch, E, 0);
        if (D) be->copy_cols(be, t->cond, CT, E, cond, D, 0, batch, D, 0);
        be->act_forward(be, RISE_ACT_MISH, t->mcond, t->cond, (size_t)batch * CT);
    }
    int bi = 0;
    const float *h = x;
    for (int l = 0; l < L; ++l) {
        for (int r = 0; r < 2; ++r, ++bi) {
            block_forward(u, be, w, ar, &u->blocks[bi], &t->blk[bi], h, t->mcond, batch, t->ws,
                          tmp);
            h = t->blk[bi].out;
        }
        if (l < L - 1) {
            t->down_out[l] = rise_arena_alloc(ar, (size_t)batch * steps_at(u, l + 1) * d[l]);
            if (run) conv_fwd(be, w, &u->down[l], t->down_out[l], h, batch, steps_at(u, l), t->ws);
            h = t->down_out[l];
        }
    }
    for (int r = 0; r < 2; ++r, ++bi) {
        block_forward(u, be, w, ar, &u->blocks[bi], &t->blk[bi], h, t->mcond, batch, t->ws, tmp);
        h = t->blk[bi].out;
    }
    for (int j = 0; j < L - 1; ++j) {
        const int lv = L - 1 - j, Tl = steps_at(u, lv), C = d[lv];
        const float *skip = t->blk[2 * lv + 1].out; /* down level lv's output */
        t->cat[j] = rise_arena_alloc(ar, (size_t)batch * Tl * 2 * C);
        if (run) {
            be->copy_cols(be, t->cat[j], 2 * C, 0, h, C, 0, batch * Tl, C, 0);
            be->copy_cols(be, t->cat[j], 2 * C, C, skip, C, 0, batch * Tl, C, 0);
        }
        h = t->cat[j];
        for (int r = 0; r < 2; ++r, ++bi) {
            block_forward(u, be, w, ar, &u->blocks[bi], &t->blk[bi], h, t->mcond, batch, t->ws,
                          tmp);
            h = t->blk[bi].out;
        }
        const rise_unet_conv *up = &u->up[j];
        t->up_out[j] = rise_arena_alloc(ar, (size_t)batch * 2 * Tl * up->ci);
        if (run) {
            const rise_conv1d_shape s = conv_shape(up, batch, 2 * Tl);
            be->conv1d_backward_data(be, &s, t->up_out[j], h, w + up->w_off, 0, t->ws);
            be->bias_add(be, t->up_out[j], w + up->b_off, 1, batch * 2 * Tl, up->ci);
        }
        h = t->up_out[j];
    }
    const size_t nf = (size_t)batch * T * d[0];
    t->fh = rise_arena_alloc(ar, nf);
    t->fm = rise_arena_alloc(ar, (size_t)batch * G);
    t->fr = rise_arena_alloc(ar, (size_t)batch * G);
    t->fn = rise_arena_alloc(ar, nf);
    t->fa = rise_arena_alloc(ar, nf);
    t->y = rise_arena_alloc(ar, (size_t)batch * T * c->act_dim);
    t->final_in = h;
    if (!run) return;
    conv_fwd(be, w, &u->final_conv, t->fh, h, batch, T, t->ws);
    be->group_norm_forward(be, t->fn, t->fm, t->fr, t->fh, w + u->final_gn.g_off,
                           w + u->final_gn.b_off, batch, T, d[0], G, c->gn_eps);
    be->act_forward(be, RISE_ACT_MISH, t->fa, t->fn, nf);
    conv_fwd(be, w, &u->final_out, t->y, t->fa, batch, T, t->ws);
}

void rise_unet_backward(const rise_unet *u, rise_backend *be, const float *w, float *g,
                        rise_arena *ar, const rise_unet_tape *t, const float *dy, float *dcond) {
    const rise_unet_config *c = &u->cfg;
    const int run = ar->be != NULL, L = c->n_levels, E = c->step_embed, D = c->cond_dim;
    const int CT = u->cond_total, T = c->horizon, G = c->groups, batch = t->batch;
    const int *d = c->down_dims;
    const size_t mark = rise_arena_mark(ar);
    const size_t big = largest_activation(u, batch);
    /* ga/gb: the gradient flowing down the network, swapped block by block */
    float *ga = rise_arena_alloc(ar, big), *gb = rise_arena_alloc(ar, big);
    float *s1 = rise_arena_alloc(ar, big), *s2 = rise_arena_alloc(ar, big);
    int max_co = d[0];
    for (int l = 1; l < L; ++l) max_co = d[l] > max_co ? d[l] : max_co;
    float *se = rise_arena_alloc(ar, (size_t)batch * 2 * max_co);
    float *dmcond = rise_arena_alloc(ar, (size_t)batch * CT);
    float *dskip[RISE_UNET_MAX_LEVELS] = {0};
    for (int l = 1; l < L; ++l)
        dskip[l] = rise_arena_alloc(ar, (size_t)batch * steps_at(u, l) * d[l]);
    float *ds2 = rise_arena_alloc(ar, (size_t)batch * E);
    float *ds1 = rise_arena_alloc(ar, (size_t)batch * 4 * E);
    float *dh1 = rise_arena_alloc(ar, (size_t)batch * 4 * E);
    float *dcat = rise_arena_alloc(ar, (size_t)batch * CT);
    if (!run) {
        rise_arena_rewind(ar, mark);
        return;
    }
    be->fill(be, dmcond, 0.0f, (size_t)batch * CT);
    /* final: y = conv_1(mish(GN(conv_K(h)))) */
    const size_t nf = (size_t)batch * T * d[0];
    conv_bwd(be, w, g, &u->final_out, s1, dy, t->fa, batch, T, 0, t->ws);
    be->act_backward(be, RISE_ACT_MISH, s2, s1, t->fn, nf, 0);
    be->group_norm_backward(be, s1, g + u->final_gn.g_off, g + u->final_gn.b_off, s2, t->fh, t->fm,
                            t->fr, w + u->final_gn.g_off, batch, T, d[0], G, 0);
    conv_bwd(be, w, g, &u->final_conv, ga, s1, t->final_in, batch, T, 0, t->ws);
    int bi = u->n_blocks - 1;
    for (int j = L - 2; j >= 0; --j) {
        const int lv = L - 1 - j, Tl = steps_at(u, lv), C = d[lv];
        const rise_unet_conv *up = &u->up[j];
        /* the transposed conv's input gradient is the forward convolution of its output's */
        const rise_conv1d_shape s = conv_shape(up, batch, 2 * Tl);
        be->conv1d_forward(be, &s, gb, ga, w + up->w_off, NULL, t->ws);
        be->conv1d_backward_weight(be, &s, g + up->w_off, NULL, t->blk[bi].out, ga, t->ws);
        be->bias_grad(be, g + up->b_off, ga, 1, batch * 2 * Tl, up->ci);
        for (int r = 0; r < 2; ++r, --bi) {
            block_backward(u, be, w, g, &u->blocks[bi], &t->blk[bi], ga, gb, t->mcond, dmcond,
                           batch, t->ws, s1, s2, se);
            float *sw = ga;
            ga = gb;
            gb = sw;
        }
        /* gb holds d(cat): split into the path below and the skip */
        be->copy_cols(be, ga, C, 0, gb, 2 * C, 0, batch * Tl, C, 0);
        be->copy_cols(be, dskip[lv], C, 0, gb, 2 * C, C, batch * Tl, C, 0);
    }
    for (int r = 0; r < 2; ++r, --bi) {
        block_backward(u, be, w, g, &u->blocks[bi], &t->blk[bi], gb, ga, t->mcond, dmcond, batch,
                       t->ws, s1, s2, se);
        float *sw = ga;
        ga = gb;
        gb = sw;
    }
    for (int l = L - 1; l >= 0; --l) {
        const int Tl = steps_at(u, l);
        if (l < L - 1) {
            const rise_conv1d_shape s = conv_shape(&u->down[l], batch, Tl);
            be->conv1d_backward_weight(be, &s, g + u->down[l].w_off, g + u->down[l].b_off, ga,
                                       t->blk[bi].out, t->ws);
            be->conv1d_backward_data(be, &s, gb, ga, w + u->down[l].w_off, 0, t->ws);
            float *sw = ga;
            ga = gb;
            gb = sw;
        }
        if (l >= 1 && L > 1) be->axpy(be, ga, 1.0f, dskip[l], (size_t)batch * Tl * d[l]);
        for (int r = 0; r < 2; ++r, --bi) {
            /* the first block's input is the noisy chunk: no gradient wanted */
            float *dx = (l == 0 && r == 1) ? NULL : gb;
            block_backward(u, be, w, g, &u->blocks[bi], &t->blk[bi], dx, ga, t->mcond, dmcond,
                           batch, t->ws, s1, s2, se);
            float *sw = ga;
            ga = gb;
            gb = sw;
        }
    }
    /* the condition: mish, then the step encoder and the observation columns */
    be->act_backward(be, RISE_ACT_MISH, dcat, dmcond, t->cond, (size_t)batch * CT, 0);
    be->copy_cols(be, ds2, E, 0, dcat, CT, 0, batch, E, 0);
    rise_linear_backward(&u->step_fc2, be, w, g, ds1, ds2, t->s1a, batch, 1, 0);
    rise_linear_backward_act(&u->step_fc1, be, w, g, NULL, dh1, ds1, t->s1, RISE_ACT_MISH,
                             t->sin_emb, batch, 1, 0);
    if (dcond && D) be->copy_cols(be, dcond, D, 0, dcat, CT, E, batch, D, 0);
    rise_arena_rewind(ar, mark);
}
