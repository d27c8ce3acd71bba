/* iql_critic.c - twin Q + expectile V update (see iql_critic.h). Backend calls are
 * skipped on a measuring arena, so the update sizes its own scratch. */
#include "iql_critic.h"

#include "critic_ops.h"

#include <string.h>

static rise_mlp_config critic_mlp(const rise_iql_config *c, int in, int ens) {
    rise_mlp_config m = rise_mlp_config_default();
    m.in_dim = in;
    m.out_dim = 1;
    m.n_hidden = c->depth;
    for (int l = 0; l < c->depth; ++l) m.hidden[l] = c->hidden[0] > 0 ? c->hidden[l] : c->width;
    m.act = RISE_ACT_RELU;
    m.layernorm = c->layernorm;
    m.ens = ens;
    return m;
}

rise_status rise_iql_critic_create(rise_iql_critic *c, rise_backend *be, const rise_iql_config *cfg,
                                   uint64_t seed) {
    memset(c, 0, sizeof *c);
    c->cfg = *cfg;
    c->be = be;
    rise_params_init(&c->qp);
    rise_params_init(&c->vp);
    const rise_mlp_config qc = critic_mlp(cfg, cfg->obs_dim + cfg->act_dim, 2);
    const rise_mlp_config vc = critic_mlp(cfg, cfg->obs_dim, 1);
    RISE_TRY(rise_mlp_register(&c->q, &c->qp, "q", &qc));
    RISE_TRY(rise_mlp_register(&c->v, &c->vp, "v", &vc));
    RISE_TRY(rise_params_alloc(&c->qp, be, RISE_PARAMS_TARGET));
    RISE_TRY(rise_params_alloc(&c->vp, be, 0));
    rise_params_init_values(&c->qp, seed ^ 0x51ull);
    rise_params_init_values(&c->vp, seed ^ 0x56ull);
    rise_params_copy_to_target(&c->qp);
    c->metrics = be->alloc(be, sizeof(float) * RISE_IQL_N_METRICS);
    if (!c->metrics) return rise_error_context(RISE_ERR_NOMEM, "critic metrics on %s: ", be->name);
    return RISE_OK;
}

void rise_iql_critic_free(rise_iql_critic *c) {
    if (c->be && c->metrics) c->be->free(c->be, c->metrics);
    c->metrics = NULL;
    rise_params_free(&c->qp);
    rise_params_free(&c->vp);
}

void rise_iql_critic_qmin(const rise_iql_critic *c, rise_arena *ar, const float *w,
                          const float *obs, const float *act, int batch, float *q) {
    const size_t mark = rise_arena_mark(ar);
    const rise_rng none = {0, 0, 0, NULL};
    float *x = rise_concat_sa(c->be, ar, obs, act, batch, c->cfg.obs_dim, c->cfg.act_dim);
    rise_mlp_tape t;
    rise_mlp_forward(&c->q, c->be, w, ar, &t, x, batch, 1, 0, none);
    rise_min2(c->be, ar, t.y, batch, q);
    rise_arena_rewind(ar, mark);
}

void rise_iql_critic_value(const rise_iql_critic *c, rise_arena *ar, const float *obs, int batch,
                           float *v) {
    const size_t mark = rise_arena_mark(ar);
    const rise_rng none = {0, 0, 0, NULL};
    rise_mlp_tape t;
    rise_mlp_forward(&c->v, c->be, c->vp.value, ar, &t, obs, batch, 1, 0, none);
    if (ar->be) c->be->copy(c->be, v, t.y, sizeof(float) * (size_t)batch);
    rise_arena_rewind(ar, mark);
}

/* y2 [2, B]: r + gamma (1 - d) V(s') for both Q members, with V's current values. */
static void q_target(const rise_iql_critic *c, rise_arena *ar, const float *r, const float *done,
                     const float *next_obs, int batch, float *y2) {
    rise_backend *be = c->be;
    const size_t m2 = rise_arena_mark(ar);
    const rise_rng none = {0, 0, 0, NULL};
    rise_mlp_tape t;
    rise_mlp_forward(&c->v, be, c->vp.value, ar, &t, next_obs, batch, 1, 0, none);
    if (ar->be) {
        be->td_target(be, y2, r, done, t.y, (size_t)batch, c->cfg.discount);
        be->copy(be, y2 + batch, y2, sizeof(float) * (size_t)batch);
    }
    rise_arena_rewind(ar, m2);
}

void rise_iql_critic_update(rise_iql_critic *c, rise_arena *ar, const float *obs, const float *act,
                            const float *next_obs, const float *r, const float *done, int batch,
                            int step, const rise_iql_taps *taps) {
    rise_iql_critic_update_hooked(c, ar, obs, act, next_obs, r, done, batch, step, NULL, NULL,
                                  taps);
}

void rise_iql_critic_update_hooked(rise_iql_critic *c, rise_arena *ar, const float *obs,
                                   const float *act, const float *next_obs, const float *r,
                                   const float *done, int batch, int step, rise_iql_q_hook hook,
                                   void *hook_ctx, const rise_iql_taps *taps) {
    rise_backend *be = c->be;
    const int run = ar->be != NULL;
    const size_t mark = rise_arena_mark(ar);
    const rise_rng none = {0, 0, 0, NULL};
    float *m = c->metrics;
    float *x = rise_concat_sa(c->be, ar, obs, act, batch, c->cfg.obs_dim, c->cfg.act_dim);

    /* Q's target r + gamma (1 - d) V(s'): here with V before its step (RISE's code), or
     * below, after it (IQL's order). */
    float *y2 = rise_arena_alloc(ar, 2 * (size_t)batch);
    if (c->cfg.q_target_v_before) q_target(c, ar, r, done, next_obs, batch, y2);

    /* V toward the expectile of the target critics' min. */
    float *qt =
        taps && taps->q_target_min ? taps->q_target_min : rise_arena_alloc(ar, (size_t)batch);
    {
        const size_t m2 = rise_arena_mark(ar);
        rise_mlp_tape t;
        rise_mlp_forward(&c->q, be, c->qp.target, ar, &t, x, batch, 1, 0, none);
        rise_min2(be, ar, t.y, batch, qt);
        rise_arena_rewind(ar, m2);
    }
    {
        const size_t m2 = rise_arena_mark(ar);
        rise_mlp_tape t;
        float *dv = rise_arena_alloc(ar, (size_t)batch);
        if (run) rise_params_zero_grad(&c->vp);
        rise_mlp_forward(&c->v, be, c->vp.value, ar, &t, obs, batch, 1, 1, none);
        if (run) {
            be->expectile(be, m + RISE_IQL_LOSS_V, dv, qt, t.y, (size_t)batch, c->cfg.expectile,
                          1.0f);
            be->reduce(be, RISE_REDUCE_MEAN, m + RISE_IQL_V_MEAN, t.y, (size_t)batch);
            if (taps && taps->v_before)
                be->copy(be, taps->v_before, t.y, sizeof(float) * (size_t)batch);
        }
        rise_mlp_backward(&c->v, be, c->vp.value, c->vp.grad, ar, &t, dv, NULL, 0);
        if (run) rise_params_adam_step(&c->vp, be, &c->cfg.v_opt, step, m + RISE_IQL_GRAD_V);
        rise_arena_rewind(ar, m2);
    }

    if (!c->cfg.q_target_v_before) q_target(c, ar, r, done, next_obs, batch, y2);
    {
        rise_mlp_tape t;
        float *dq = rise_arena_alloc(ar, 2 * (size_t)batch);
        if (run) rise_params_zero_grad(&c->qp);
        rise_mlp_forward(&c->q, be, c->qp.value, ar, &t, x, batch, 1, 1, none);
        if (run) {
            /* mse averages over 2B values; scale 2 makes it the sum of the two means. */
            be->mse(be, m + RISE_IQL_LOSS_Q, dq, t.y, y2, NULL, 2 * (size_t)batch, 2.0f);
            be->reduce(be, RISE_REDUCE_MEAN, m + RISE_IQL_Q_MEAN, t.y, 2 * (size_t)batch);
        }
        if (hook) hook(hook_ctx, c, ar, t.y, dq);
        rise_mlp_backward(&c->q, be, c->qp.value, c->qp.grad, ar, &t, dq, NULL, 0);
        if (run) {
            rise_params_adam_step(&c->qp, be, &c->cfg.q_opt, step, m + RISE_IQL_GRAD_Q);
            be->polyak(be, c->qp.target, c->qp.value, c->qp.size, c->cfg.tau);
        }
    }
    rise_arena_rewind(ar, mark);
}
