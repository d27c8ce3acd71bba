/* gaussian_actor.c - IQL's AWR actor and CQL's tanh-Gaussian actor (see gaussian_actor.h).
 * Backend calls are skipped on a measuring arena, so callers size their scratch by
 * running the same code once on one. */
#include "gaussian_actor.h"

#include <stdio.h>
#include <string.h>

rise_status rise_gauss_actor_register(rise_gauss_actor *g, rise_params *p, const char *name,
                                      const rise_gauss_config *cfg) {
    memset(g, 0, sizeof *g);
    g->cfg = *cfg;
    if (!(cfg->log_std_min < cfg->log_std_max))
        return rise_error(RISE_ERR_INVALID,
                          "actor.log_std_min = %g, log_std_max = %g: need min < max",
                          (double)cfg->log_std_min, (double)cfg->log_std_max);
    if (cfg->depth < 0 || cfg->depth > RISE_MLP_MAX_HIDDEN)
        return rise_error(RISE_ERR_INVALID, "policy.depth = %d: the actor MLP takes 0..%d layers",
                          cfg->depth, RISE_MLP_MAX_HIDDEN);
    rise_mlp_config mc = rise_mlp_config_default();
    mc.in_dim = cfg->obs_dim;
    mc.n_hidden = cfg->depth;
    for (int l = 0; l < cfg->depth; ++l) mc.hidden[l] = cfg->width;
    mc.act = cfg->act;
    if (cfg->kind == RISE_GAUSS_AWR) {
        mc.out_dim = cfg->act_dim;
        mc.out_act = RISE_ACT_TANH;
    } else {
        mc.out_dim = 2 * cfg->act_dim;
    }
    RISE_TRY(rise_mlp_register(&g->net, p, name, &mc));
    if (cfg->kind == RISE_GAUSS_AWR) {
        char buf[RISE_PARAM_NAME_MAX];
        snprintf(buf, sizeof buf, "%s.log_std", name);
        const int shape[1] = {cfg->act_dim};
        RISE_TRY(rise_params_add(p, buf, 1, shape, rise_init_const(0.0f), &g->log_std_off));
    }
    return RISE_OK;
}

static const rise_rng no_rng = {0, 0, 0, NULL};

void rise_gauss_actor_act(const rise_gauss_actor *g, rise_backend *be, const float *w,
                          rise_arena *ar, const float *obs, int n, float *act) {
    const size_t mark = rise_arena_mark(ar);
    const int A = g->cfg.act_dim, run = ar->be != NULL;
    rise_mlp_tape t;
    rise_mlp_forward(&g->net, be, w, ar, &t, obs, n, 1, 0, no_rng);
    if (g->cfg.kind == RISE_GAUSS_AWR) {
        if (run) be->copy(be, act, t.y, sizeof(float) * (size_t)n * A);
    } else {
        float *m = rise_arena_alloc(ar, (size_t)n * A);
        if (run) {
            be->copy_cols(be, m, A, 0, t.y, 2 * A, 0, n, A, 0);
            be->act_forward(be, RISE_ACT_TANH, act, m, (size_t)n * A);
        }
    }
    rise_arena_rewind(ar, mark);
}

void rise_gauss_actor_awr(const rise_gauss_actor *g, rise_backend *be, const float *w, float *grad,
                          rise_arena *ar, const float *obs, const float *act, const float *wt,
                          int batch, float *loss) {
    const size_t mark = rise_arena_mark(ar);
    const int A = g->cfg.act_dim, B = batch, run = ar->be != NULL;
    const float lo = g->cfg.log_std_min, hi = g->cfg.log_std_max;
    rise_mlp_tape t;
    rise_mlp_forward(&g->net, be, w, ar, &t, obs, B, 1, 0, no_rng);
    float *ls = rise_arena_alloc(ar, (size_t)A), *dls = rise_arena_alloc(ar, (size_t)A);
    float *tmp = rise_arena_alloc(ar, (size_t)A), *logp = rise_arena_alloc(ar, (size_t)B);
    float *dlogp = rise_arena_alloc(ar, (size_t)B), *dmu = rise_arena_alloc(ar, (size_t)B * A);
    if (run) {
        const float *raw = w + g->log_std_off;
        be->clamp(be, ls, raw, lo, hi, (size_t)A);
        be->gauss_logprob_forward(be, logp, act, t.y, ls, B, A, 1);
        /* loss = -mean(wt logp); dlogp = -wt / B */
        be->mul(be, dlogp, wt, logp, (size_t)B);
        be->reduce(be, RISE_REDUCE_MEAN, loss, dlogp, (size_t)B);
        be->scale(be, loss, -1.0f, 1);
        be->copy(be, dlogp, wt, sizeof(float) * (size_t)B);
        be->scale(be, dlogp, -1.0f / (float)B, (size_t)B);
        be->fill(be, dls, 0.0f, (size_t)A);
        be->gauss_logprob_backward(be, dmu, dls, dlogp, act, t.y, ls, B, A, 1);
        /* through the clamp: dls * 1(raw > lo) * 1(raw < hi), as ReLU's derivative */
        be->fill(be, tmp, -lo, (size_t)A);
        be->axpy(be, tmp, 1.0f, raw, (size_t)A);
        be->act_backward(be, RISE_ACT_RELU, dls, dls, tmp, (size_t)A, 0);
        be->fill(be, tmp, hi, (size_t)A);
        be->axpy(be, tmp, -1.0f, raw, (size_t)A);
        be->act_backward(be, RISE_ACT_RELU, dls, dls, tmp, (size_t)A, 0);
        be->axpy(be, grad + g->log_std_off, 1.0f, dls, (size_t)A);
    }
    rise_mlp_backward(&g->net, be, w, grad, ar, &t, dmu, NULL, 0);
    rise_arena_rewind(ar, mark);
}

void rise_gauss_actor_sample(const rise_gauss_actor *g, rise_backend *be, const float *w,
                             rise_arena *ar, rise_gauss_sample_tape *s, const float *obs, int n,
                             rise_rng rng) {
    const int A = g->cfg.act_dim, run = ar->be != NULL;
    const size_t nA = (size_t)n * A;
    const float lo = g->cfg.log_std_min, hi = g->cfg.log_std_max;
    memset(s, 0, sizeof *s);
    s->n = n;
    rise_mlp_forward(&g->net, be, w, ar, &s->t, obs, n, 1, 0, no_rng);
    s->mean = rise_arena_alloc(ar, nA);
    s->raw_ls = rise_arena_alloc(ar, nA);
    s->log_std = rise_arena_alloc(ar, nA);
    s->eps = rise_arena_alloc(ar, nA);
    s->a = rise_arena_alloc(ar, nA);
    s->logp = rise_arena_alloc(ar, (size_t)n);
    if (!run) return;
    be->copy_cols(be, s->mean, A, 0, s->t.y, 2 * A, 0, n, A, 0);
    be->copy_cols(be, s->raw_ls, A, 0, s->t.y, 2 * A, A, n, A, 0);
    /* log_std = lo + (hi - lo)(tanh(r) + 1) / 2; eps and a reuse as scratch first */
    be->act_forward(be, RISE_ACT_TANH, s->eps, s->raw_ls, nA);
    be->fill(be, s->log_std, 0.5f * (lo + hi), nA);
    be->axpy(be, s->log_std, 0.5f * (hi - lo), s->eps, nA);
    be->tanh_gauss_sample(be, s->a, s->logp, s->eps, s->mean, s->log_std, n, A, rng);
}

void rise_gauss_actor_sample_backward(const rise_gauss_actor *g, rise_backend *be, const float *w,
                                      float *grad, rise_arena *ar, const rise_gauss_sample_tape *s,
                                      const float *da, const float *dlogp) {
    const size_t mark = rise_arena_mark(ar);
    const int A = g->cfg.act_dim, n = s->n, run = ar->be != NULL;
    const size_t nA = (size_t)n * A;
    float *dmean = rise_arena_alloc(ar, nA), *dls = rise_arena_alloc(ar, nA);
    float *dy = rise_arena_alloc(ar, 2 * nA);
    if (run) {
        be->tanh_gauss_sample_backward(be, dmean, dls, da, dlogp, s->eps, s->mean, s->log_std, s->a,
                                       n, A);
        be->act_backward(be, RISE_ACT_TANH, dls, dls, s->raw_ls, nA, 0);
        be->scale(be, dls, 0.5f * (g->cfg.log_std_max - g->cfg.log_std_min), nA);
        be->copy_cols(be, dy, 2 * A, 0, dmean, A, 0, n, A, 0);
        be->copy_cols(be, dy, 2 * A, A, dls, A, 0, n, A, 0);
    }
    rise_mlp_backward(&g->net, be, w, grad, ar, &s->t, dy, NULL, 0);
    rise_arena_rewind(ar, mark);
}
