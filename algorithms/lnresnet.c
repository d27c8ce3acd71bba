/* lnresnet.c - LN-ResNet forward/backward over the backend table with an arena tape. */
#include "lnresnet.h"

#include <stdio.h>
#include <string.h>

rise_lnresnet_config rise_lnresnet_config_default(void) {
    rise_lnresnet_config c;
    memset(&c, 0, sizeof c);
    c.hidden = 256;
    c.expand = 4;
    c.n_blocks = 3;
    c.act = RISE_ACT_MISH;
    c.layernorm = 1;
    c.ln_eps = RISE_LAYER_NORM_EPS;
    c.ens = 1;
    return c;
}

rise_status rise_lnresnet_config_check(const rise_lnresnet_config *c) {
    if (c->in_dim <= 0 || c->out_dim <= 0 || c->hidden <= 0 || c->expand <= 0)
        return rise_error(RISE_ERR_INVALID,
                          "lnresnet: in_dim=%d out_dim=%d hidden=%d expand=%d, expected all > 0",
                          c->in_dim, c->out_dim, c->hidden, c->expand);
    if (c->n_blocks < 0 || c->n_blocks > RISE_LNRESNET_MAX_BLOCKS)
        return rise_error(RISE_ERR_INVALID, "lnresnet: %d blocks, expected 0..%d", c->n_blocks,
                          RISE_LNRESNET_MAX_BLOCKS);
    if ((int)c->act < 0 || c->act >= RISE_ACT_COUNT)
        return rise_error(RISE_ERR_INVALID, "lnresnet: unknown activation %d", (int)c->act);
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f))
        return rise_error(RISE_ERR_INVALID, "lnresnet: dropout %g, expected in [0, 1)",
                          (double)c->dropout);
    if (c->layernorm && !(c->ln_eps > 0.0f))
        return rise_error(RISE_ERR_INVALID, "lnresnet: LayerNorm eps %g, expected > 0",
                          (double)c->ln_eps);
    if (c->ens < 1)
        return rise_error(RISE_ERR_INVALID, "lnresnet: ensemble %d, expected >= 1", c->ens);
    return RISE_OK;
}

rise_status rise_lnresnet_register(rise_lnresnet *m, rise_params *p, const char *name,
                                   const rise_lnresnet_config *cfg) {
    RISE_TRY(rise_lnresnet_config_check(cfg));
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    const int h = cfg->hidden, inner = cfg->expand * cfg->hidden, e = cfg->ens;
    char buf[RISE_PARAM_NAME_MAX];
    snprintf(buf, sizeof buf, "%s.in", name);
    RISE_TRY(rise_linear_register(&m->in, p, buf, cfg->in_dim, h, e, 1));
    for (int k = 0; k < cfg->n_blocks; ++k) {
        if (cfg->layernorm) {
            snprintf(buf, sizeof buf, "%s.blk%d.ln", name, k);
            RISE_TRY(rise_layer_norm_register(&m->ln[k], p, buf, h, e, cfg->ln_eps));
        }
        snprintf(buf, sizeof buf, "%s.blk%d.fc1", name, k);
        RISE_TRY(rise_linear_register(&m->fc1[k], p, buf, h, inner, e, 1));
        snprintf(buf, sizeof buf, "%s.blk%d.fc2", name, k);
        RISE_TRY(rise_linear_register(&m->fc2[k], p, buf, inner, h, e, 1));
    }
    snprintf(buf, sizeof buf, "%s.out", name);
    return rise_linear_register(&m->out, p, buf, h, cfg->out_dim, e, 1);
}

uint64_t rise_lnresnet_rng_blocks(const rise_lnresnet *m, int batch) {
    if (m->cfg.dropout <= 0.0f) return 0;
    const size_t n = (size_t)m->cfg.ens * batch * m->cfg.hidden;
    return (uint64_t)m->cfg.n_blocks * rise_rng_blocks_uniform(n);
}

void rise_lnresnet_forward(const rise_lnresnet *m, rise_backend *be, const float *w, rise_arena *ar,
                           rise_lnresnet_tape *t, const float *x, int batch, int x_shared,
                           int train, rise_rng rng) {
    const rise_lnresnet_config *c = &m->cfg;
    const int run = ar->be != NULL; /* measuring pass: allocate only */
    const int drop = train && c->dropout > 0.0f;
    /* a data-parallel window slices rows of [rows, width] draws; an ensemble's [E, B, H]
     * masks would not be one slice */
    RISE_ASSERT(!drop || !rng.rows || c->ens == 1, "dropout in an ensemble under a window");
    const size_t rows = (size_t)c->ens * batch, nh = rows * c->hidden,
                 ni = rows * c->hidden * c->expand, no = rows * c->out_dim;
    memset(t, 0, sizeof *t);
    t->batch = batch;
    t->x_shared = x_shared;
    t->train = train;
    t->x = x;
    t->r[0] = rise_arena_alloc(ar, nh);
    if (run) rise_linear_forward(&m->in, be, w, t->r[0], x, batch, x_shared);
    for (int k = 0; k < c->n_blocks; ++k) {
        t->d[k] = t->r[k];
        if (drop) {
            t->mask[k] = rise_arena_alloc(ar, nh);
            t->d[k] = rise_arena_alloc(ar, nh);
            if (run) be->dropout_forward(be, t->d[k], t->mask[k], t->r[k], nh, c->dropout, rng);
            rng.offset += rise_rng_blocks_uniform(rise_rng_span(rng, nh));
        }
        t->n[k] = t->d[k];
        if (c->layernorm) {
            t->n[k] = rise_arena_alloc(ar, nh);
            t->mean[k] = rise_arena_alloc(ar, rows);
            t->rstd[k] = rise_arena_alloc(ar, rows);
            if (run)
                rise_layer_norm_forward(&m->ln[k], be, w, t->n[k], t->mean[k], t->rstd[k], t->d[k],
                                        batch);
        }
        t->h[k] = rise_arena_alloc(ar, ni);
        t->a[k] = rise_arena_alloc(ar, ni);
        t->r[k + 1] = rise_arena_alloc(ar, nh);
        if (run) {
            rise_linear_forward_act(&m->fc1[k], be, w, t->h[k], t->a[k], c->act, t->n[k], batch, 0);
            rise_linear_forward(&m->fc2[k], be, w, t->r[k + 1], t->a[k], batch, 0);
            be->axpy(be, t->r[k + 1], 1.0f, t->r[k], nh);
        }
    }
    t->f = rise_arena_alloc(ar, nh);
    t->y = rise_arena_alloc(ar, no);
    if (run) {
        be->act_forward(be, c->act, t->f, t->r[c->n_blocks], nh);
        rise_linear_forward(&m->out, be, w, t->y, t->f, batch, 0);
    }
}

void rise_lnresnet_backward(const rise_lnresnet *m, rise_backend *be, const float *w, float *g,
                            rise_arena *ar, const rise_lnresnet_tape *t, const float *dy, float *dx,
                            int accumulate_dx) {
    const rise_lnresnet_config *c = &m->cfg;
    const int run = ar->be != NULL;
    const int batch = t->batch;
    const int drop = t->train && c->dropout > 0.0f;
    const size_t rows = (size_t)c->ens * batch, nh = rows * c->hidden,
                 ni = rows * c->hidden * c->expand;
    const size_t mark = rise_arena_mark(ar);
    float *gf = rise_arena_alloc(ar, nh); /* dL/df, then scratch */
    float *gr = rise_arena_alloc(ar, nh); /* dL/dr[k], updated in place down the blocks */
    float *da = rise_arena_alloc(ar, ni);
    float *dh = rise_arena_alloc(ar, ni);
    float *dn = rise_arena_alloc(ar, nh);
    float *dd = (c->layernorm && drop) ? rise_arena_alloc(ar, nh) : NULL;
    if (run) {
        rise_linear_backward(&m->out, be, w, g, gf, dy, t->f, batch, 0, 0);
        be->act_backward(be, c->act, gr, gf, t->r[c->n_blocks], nh, 0);
    }
    for (int k = c->n_blocks - 1; k >= 0 && run; --k) {
        /* The residual branch's gradient is added to gr only after fc2 has
         * consumed gr for its own weight gradient. */
        rise_linear_backward(&m->fc2[k], be, w, g, da, gr, t->a[k], batch, 0, 0);
        rise_linear_backward_act(&m->fc1[k], be, w, g, dn, dh, da, t->h[k], c->act, t->n[k], batch,
                                 0, 0);
        if (c->layernorm && !drop) {
            rise_layer_norm_backward(&m->ln[k], be, w, g, gr, dn, t->d[k], t->mean[k], t->rstd[k],
                                     batch, 1);
            continue;
        }
        const float *branch = dn;
        if (c->layernorm) {
            rise_layer_norm_backward(&m->ln[k], be, w, g, dd, dn, t->d[k], t->mean[k], t->rstd[k],
                                     batch, 0);
            branch = dd;
        }
        if (drop) {
            be->mul(be, gf, branch, t->mask[k], nh);
            branch = gf;
        }
        be->axpy(be, gr, 1.0f, branch, nh);
    }
    if (run)
        rise_linear_backward(&m->in, be, w, g, dx, gr, t->x, batch, t->x_shared, accumulate_dx);
    rise_arena_rewind(ar, mark);
}
