/* mlp.c - MLP forward/backward over the backend table with an arena tape. */
#include "mlp.h"

#include <stdio.h>
#include <string.h>

rise_mlp_config rise_mlp_config_default(void) {
    rise_mlp_config c;
    memset(&c, 0, sizeof c);
    c.n_hidden = 2;
    c.hidden[0] = c.hidden[1] = 256;
    c.act = RISE_ACT_RELU;
    c.out_act = RISE_ACT_IDENTITY;
    c.ln_eps = RISE_LAYER_NORM_EPS;
    c.ens = 1;
    return c;
}

rise_status rise_mlp_config_check(const rise_mlp_config *c) {
    if (c->in_dim <= 0 || c->out_dim <= 0)
        return rise_error(RISE_ERR_INVALID, "mlp: in_dim=%d out_dim=%d, expected both > 0",
                          c->in_dim, c->out_dim);
    if (c->n_hidden < 0 || c->n_hidden > RISE_MLP_MAX_HIDDEN)
        return rise_error(RISE_ERR_INVALID, "mlp: %d hidden layers, expected 0..%d", c->n_hidden,
                          RISE_MLP_MAX_HIDDEN);
    for (int l = 0; l < c->n_hidden; ++l)
        if (c->hidden[l] <= 0)
            return rise_error(RISE_ERR_INVALID, "mlp: hidden[%d] = %d, expected > 0", l,
                              c->hidden[l]);
    if ((int)c->act < 0 || c->act >= RISE_ACT_COUNT || (int)c->out_act < 0 ||
        c->out_act >= RISE_ACT_COUNT)
        return rise_error(RISE_ERR_INVALID, "mlp: unknown activation (act=%d, out_act=%d)",
                          (int)c->act, (int)c->out_act);
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f))
        return rise_error(RISE_ERR_INVALID, "mlp: dropout %g, expected in [0, 1)",
                          (double)c->dropout);
    if (c->layernorm && !(c->ln_eps > 0.0f))
        return rise_error(RISE_ERR_INVALID, "mlp: LayerNorm eps %g, expected > 0",
                          (double)c->ln_eps);
    if (c->ens < 1) return rise_error(RISE_ERR_INVALID, "mlp: ensemble %d, expected >= 1", c->ens);
    return RISE_OK;
}

rise_status rise_mlp_register(rise_mlp *m, rise_params *p, const char *name,
                              const rise_mlp_config *cfg) {
    RISE_TRY(rise_mlp_config_check(cfg));
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    char buf[RISE_PARAM_NAME_MAX];
    int in = cfg->in_dim;
    for (int l = 0; l < cfg->n_hidden; ++l) {
        snprintf(buf, sizeof buf, "%s.fc%d", name, l);
        RISE_TRY(rise_linear_register(&m->fc[l], p, buf, in, cfg->hidden[l], cfg->ens, 1));
        if (cfg->layernorm) {
            snprintf(buf, sizeof buf, "%s.ln%d", name, l);
            RISE_TRY(
                rise_layer_norm_register(&m->ln[l], p, buf, cfg->hidden[l], cfg->ens, cfg->ln_eps));
        }
        in = cfg->hidden[l];
    }
    snprintf(buf, sizeof buf, "%s.out", name);
    return rise_linear_register(&m->out, p, buf, in, cfg->out_dim, cfg->ens, 1);
}

static size_t hidden_elems(const rise_mlp *m, int l, int batch) {
    return (size_t)m->cfg.ens * (size_t)batch * (size_t)m->cfg.hidden[l];
}

uint64_t rise_mlp_rng_blocks(const rise_mlp *m, int batch) {
    if (m->cfg.dropout <= 0.0f) return 0;
    uint64_t blocks = 0;
    for (int l = 0; l < m->cfg.n_hidden; ++l)
        blocks += rise_rng_blocks_uniform(hidden_elems(m, l, batch));
    return blocks;
}

void rise_mlp_forward(const rise_mlp *m, rise_backend *be, const float *w, rise_arena *ar,
                      rise_mlp_tape *t, const float *x, int batch, int x_shared, int train,
                      rise_rng rng) {
    const rise_mlp_config *c = &m->cfg;
    const int run = ar->be != NULL; /* measuring pass: allocate only */
    const int drop = train && c->dropout > 0.0f;
    /* a data-parallel window slices rows of [rows, width] draws; an ensemble's [E, B, H]
     * masks would not be one slice */
    RISE_ASSERT(!drop || !rng.rows || c->ens == 1, "dropout in an ensemble under a window");
    memset(t, 0, sizeof *t);
    t->batch = batch;
    t->x_shared = x_shared;
    t->train = train;
    t->x = x;
    const float *in = x;
    int in_shared = x_shared;
    for (int l = 0; l < c->n_hidden; ++l) {
        const size_t n = hidden_elems(m, l, batch), rows = (size_t)c->ens * batch;
        t->z[l] = rise_arena_alloc(ar, n);
        if (!drop && !c->layernorm) { /* Linear + activation, the bias fused with f */
            t->d[l] = t->n[l] = t->z[l];
            t->a[l] = rise_arena_alloc(ar, n);
            if (run)
                rise_linear_forward_act(&m->fc[l], be, w, t->z[l], t->a[l], c->act, in, batch,
                                        in_shared);
            in = t->a[l];
            in_shared = 0;
            continue;
        }
        if (run) rise_linear_forward(&m->fc[l], be, w, t->z[l], in, batch, in_shared);
        t->d[l] = t->z[l];
        if (drop) {
            t->mask[l] = rise_arena_alloc(ar, n);
            t->d[l] = rise_arena_alloc(ar, n);
            if (run) be->dropout_forward(be, t->d[l], t->mask[l], t->z[l], n, c->dropout, rng);
            rng.offset += rise_rng_blocks_uniform(rise_rng_span(rng, n));
        }
        t->n[l] = t->d[l];
        if (c->layernorm) {
            t->n[l] = rise_arena_alloc(ar, n);
            t->mean[l] = rise_arena_alloc(ar, rows);
            t->rstd[l] = rise_arena_alloc(ar, rows);
            if (run)
                rise_layer_norm_forward(&m->ln[l], be, w, t->n[l], t->mean[l], t->rstd[l], t->d[l],
                                        batch);
        }
        t->a[l] = rise_arena_alloc(ar, n);
        if (run) be->act_forward(be, c->act, t->a[l], t->n[l], n);
        in = t->a[l];
        in_shared = 0;
    }
    const size_t n_out = (size_t)c->ens * batch * c->out_dim;
    t->pre = rise_arena_alloc(ar, n_out);
    if (run) rise_linear_forward(&m->out, be, w, t->pre, in, batch, in_shared);
    t->y = t->pre;
    if (c->out_act != RISE_ACT_IDENTITY) {
        t->y = rise_arena_alloc(ar, n_out);
        if (run) be->act_forward(be, c->out_act, t->y, t->pre, n_out);
    }
}

void rise_mlp_backward(const rise_mlp *m, rise_backend *be, const float *w, float *g,
                       rise_arena *ar, const rise_mlp_tape *t, const float *dy, float *dx,
                       int accumulate_dx) {
    const rise_mlp_config *c = &m->cfg;
    const int run = ar->be != NULL;
    const int batch = t->batch;
    const int drop = t->train && c->dropout > 0.0f;
    const size_t mark = rise_arena_mark(ar);
    const size_t n_out = (size_t)c->ens * batch * c->out_dim;
    const float *dpre = dy;
    if (c->out_act != RISE_ACT_IDENTITY) {
        float *buf = rise_arena_alloc(ar, n_out);
        if (run) be->act_backward(be, c->out_act, buf, dy, t->pre, n_out, 0);
        dpre = buf;
    }
    const int L = c->n_hidden;
    /* ga: dL/da of the layer below the one being processed. */
    float *ga = L > 0 ? rise_arena_alloc(ar, hidden_elems(m, L - 1, batch)) : NULL;
    if (run)
        rise_linear_backward(&m->out, be, w, g, L > 0 ? ga : dx, dpre, L > 0 ? t->a[L - 1] : t->x,
                             batch, L > 0 ? 0 : t->x_shared, L > 0 ? 0 : accumulate_dx);
    for (int l = L - 1; l >= 0; --l) {
        const size_t n = hidden_elems(m, l, batch);
        float *dn = rise_arena_alloc(ar, n);
        float *dbelow = l > 0 ? rise_arena_alloc(ar, hidden_elems(m, l - 1, batch)) : NULL;
        float *dxl = l > 0 ? dbelow : dx;
        const float *xl = l > 0 ? t->a[l - 1] : t->x;
        const int shared = l > 0 ? 0 : t->x_shared, acc = l > 0 ? 0 : accumulate_dx;
        if (!drop && !c->layernorm) { /* the forward's fused Linear + activation */
            if (run)
                rise_linear_backward_act(&m->fc[l], be, w, g, dxl, dn, ga, t->z[l], c->act, xl,
                                         batch, shared, acc);
            ga = dbelow;
            continue;
        }
        if (run) be->act_backward(be, c->act, dn, ga, t->n[l], n, 0);
        float *dd = dn;
        if (c->layernorm) {
            dd = rise_arena_alloc(ar, n);
            if (run)
                rise_layer_norm_backward(&m->ln[l], be, w, g, dd, dn, t->d[l], t->mean[l],
                                         t->rstd[l], batch, 0);
        }
        float *dz = dd;
        if (drop) {
            dz = rise_arena_alloc(ar, n);
            if (run) be->mul(be, dz, dd, t->mask[l], n);
        }
        if (run) rise_linear_backward(&m->fc[l], be, w, g, dxl, dz, xl, batch, shared, acc);
        ga = dbelow;
    }
    rise_arena_rewind(ar, mark);
}
