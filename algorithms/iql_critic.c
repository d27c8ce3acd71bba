/* iql_critic.c - twin Q + expectile V update (see iql_critic.h), each network reading the
 * low-dim state or, with cameras, its own encoders' features of it. Backend calls are
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
    c->state_dim = cfg->obs_dim;
    if (cfg->vision.n_cams > 0) { /* first: a low-dim critic's names stay as they were */
        rise_obs_encoder_config e = cfg->vision;
        e.lowdim = cfg->obs_dim;
        e.frames = 1;
        RISE_TRY(rise_obs_encoder_register(&c->q_enc[0], &c->qp, "q0", &e));
        RISE_TRY(rise_obs_encoder_register(&c->q_enc[1], &c->qp, "q1", &e));
        RISE_TRY(rise_obs_encoder_register(&c->v_enc, &c->vp, "v", &e));
        c->state_dim = c->v_enc.frame_dim;
    }
    const rise_mlp_config qc = critic_mlp(cfg, c->state_dim + cfg->act_dim, 2);
    const rise_mlp_config vc = critic_mlp(cfg, c->state_dim, 1);
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

static int has_vision(const rise_iql_critic *c) { return c->cfg.vision.n_cams > 0; }

/* Who reads a state, for its encoders' weights and its own random crops. */
enum { NET_Q1, NET_Q2, NET_Q1_TARGET, NET_Q2_TARGET, NET_V, NET_V_NEXT };

/* What network `net` reads of states obs [B, D]: obs itself, or with cameras its features
 * [B, D + C F] through that network's encoders with weights w (the frames of next_obs when
 * net is NET_V_NEXT); the encoder's tape t stays in the arena for a backward. */
static const float *state_in(const rise_iql_critic *c, rise_arena *ar, int net, const float *w,
                             const float *obs, const rise_critic_frames *fr, int batch,
                             rise_obs_encoder_tape *t) {
    if (!has_vision(c)) return obs;
    RISE_ASSERT(fr && fr->obs && (net != NET_V_NEXT || fr->next),
                "critic: camera frames are needed for a critic with cameras");
    const rise_obs_encoder *e = net >= NET_V ? &c->v_enc : &c->q_enc[net % 2];
    rise_rng r = fr->crop;
    r.offset += (uint64_t)net * rise_obs_encoder_rng_blocks(e, batch);
    if (!fr->rep) {
        rise_obs_encoder_forward(e, c->be, w, ar, t, obs, net == NET_V_NEXT ? fr->next : fr->obs,
                                 batch, fr->random, r);
        return t->out;
    }
    /* shared frames: encode each once, give every state its frame's features and its own
     * low-dim keys */
    const int S = c->state_dim, D = c->cfg.obs_dim;
    rise_obs_encoder_forward(e, c->be, w, ar, t, NULL, fr->obs, fr->frame_rows, fr->random, r);
    float *s = rise_arena_alloc(ar, (size_t)batch * S);
    if (ar->be) {
        c->be->gather_rows(c->be, s, t->out, fr->frame_rows, fr->rep, batch, S, NULL, NULL);
        if (D > 0) c->be->copy_cols(c->be, s, S, 0, obs, D, 0, batch, D, 0);
    }
    return s;
}

/* Q's input: [B, S + A] = [s, a] for both members (x_shared; no cameras), or each member's
 * own features [2, B, S + A] (first = NET_Q1 or NET_Q1_TARGET: the members' weights). */
static float *q_input(const rise_iql_critic *c, rise_arena *ar, int first, const float *w,
                      const float *obs, const float *act, const rise_critic_frames *fr, int batch,
                      rise_obs_encoder_tape *t) {
    const int A = c->cfg.act_dim, S = c->state_dim, I = S + A;
    if (!has_vision(c)) return rise_concat_sa(c->be, ar, obs, act, batch, S, A);
    float *x = rise_arena_alloc(ar, 2 * (size_t)batch * I);
    for (int i = 0; i < 2; ++i) {
        const float *f = state_in(c, ar, first + i, w, obs, fr, batch, &t[i]);
        if (!ar->be) continue;
        float *xi = x + (size_t)i * batch * I;
        c->be->copy_cols(c->be, xi, I, 0, f, S, 0, batch, S, 0);
        c->be->copy_cols(c->be, xi, I, S, act, A, 0, batch, A, 0);
    }
    return x;
}

/* With cameras: the encoders' gradients from the network's input gradient dx ([members,
 * B, S + extra] rows of width ld), each into its params' grad slot g. */
static void encoders_backward(const rise_iql_critic *c, rise_arena *ar, const rise_obs_encoder *e,
                              int members, const float *w, float *g, const rise_obs_encoder_tape *t,
                              const float *dx, int ld, int batch) {
    const size_t mark = rise_arena_mark(ar);
    const int S = c->state_dim;
    float *df = rise_arena_alloc(ar, (size_t)batch * S);
    for (int i = 0; i < members; ++i) {
        if (ar->be)
            c->be->copy_cols(c->be, df, S, 0, dx + (size_t)i * batch * ld, ld, 0, batch, S, 0);
        rise_obs_encoder_backward(&e[i], c->be, w, g, ar, &t[i], df);
    }
    rise_arena_rewind(ar, mark);
}

void rise_iql_critic_qmin(const rise_iql_critic *c, rise_arena *ar, const float *w,
                          const float *obs, const float *act, int batch, float *q,
                          const rise_critic_frames *fr) {
    const size_t mark = rise_arena_mark(ar);
    const rise_rng none = {0, 0, 0, NULL};
    rise_obs_encoder_tape et[2];
    float *x = q_input(c, ar, NET_Q1, w, obs, act, fr, batch, et);
    rise_mlp_tape t;
    rise_mlp_forward(&c->q, c->be, w, ar, &t, x, batch, !has_vision(c), 0, none);
    rise_min2(c->be, ar, t.y, batch, q);
    rise_arena_rewind(ar, mark);
}

void rise_iql_critic_value(const rise_iql_critic *c, rise_arena *ar, const float *obs, int batch,
                           float *v, const rise_critic_frames *fr) {
    const size_t mark = rise_arena_mark(ar);
    const rise_rng none = {0, 0, 0, NULL};
    rise_obs_encoder_tape et;
    const float *s = state_in(c, ar, NET_V, c->vp.value, obs, fr, batch, &et);
    rise_mlp_tape t;
    rise_mlp_forward(&c->v, c->be, c->vp.value, ar, &t, s, batch, 1, 0, none);
    if (ar->be) c->be->copy(c->be, v, t.y, sizeof(float) * (size_t)batch);
    rise_arena_rewind(ar, mark);
}

/* y2 [2, B]: r + gamma (1 - d) V(s') for both Q members, with V's current values. */
static void q_target(const rise_iql_critic *c, rise_arena *ar, const float *r, const float *done,
                     const float *next_obs, const rise_critic_frames *fr, int batch, float *y2) {
    rise_backend *be = c->be;
    const size_t m2 = rise_arena_mark(ar);
    const rise_rng none = {0, 0, 0, NULL};
    rise_obs_encoder_tape et;
    const float *s = state_in(c, ar, NET_V_NEXT, c->vp.value, next_obs, fr, batch, &et);
    rise_mlp_tape t;
    rise_mlp_forward(&c->v, be, c->vp.value, ar, &t, s, batch, 1, 0, none);
    if (ar->be) {
        be->td_target(be, y2, r, done, t.y, (size_t)batch, c->cfg.discount);
        be->copy(be, y2 + batch, y2, sizeof(float) * (size_t)batch);
    }
    rise_arena_rewind(ar, m2);
}

void rise_iql_critic_update(rise_iql_critic *c, rise_arena *ar, const float *obs, const float *act,
                            const float *next_obs, const float *r, const float *done, int batch,
                            int step, const rise_iql_taps *taps, const rise_critic_frames *fr) {
    rise_iql_critic_update_hooked(c, ar, obs, act, next_obs, r, done, batch, step, NULL, NULL, taps,
                                  fr);
}

void rise_iql_critic_update_hooked(rise_iql_critic *c, rise_arena *ar, const float *obs,
                                   const float *act, const float *next_obs, const float *r,
                                   const float *done, int batch, int step, rise_iql_q_hook hook,
                                   void *hook_ctx, const rise_iql_taps *taps,
                                   const rise_critic_frames *fr) {
    rise_backend *be = c->be;
    const int run = ar->be != NULL, vision = has_vision(c);
    RISE_ASSERT(!fr || !fr->rep, "critic update: shared frames (rep) are for evaluation only");
    const int I = c->state_dim + c->cfg.act_dim;
    const size_t mark = rise_arena_mark(ar);
    const rise_rng none = {0, 0, 0, NULL};
    float *m = c->metrics;
    rise_obs_encoder_tape et[2];
    /* without cameras both Q passes read this one [s, a] */
    float *x = vision ? NULL : q_input(c, ar, NET_Q1, NULL, obs, act, fr, batch, et);

    /* Q's target r + gamma (1 - d) V(s'): here with V before its step (RISE's code), or
     * below, after it (IQL's order). */
    float *y2 = rise_arena_alloc(ar, 2 * (size_t)batch);
    if (c->cfg.q_target_v_before) q_target(c, ar, r, done, next_obs, fr, batch, y2);

    /* V toward the expectile of the target critics' min. */
    float *qt =
        taps && taps->q_target_min ? taps->q_target_min : rise_arena_alloc(ar, (size_t)batch);
    {
        const size_t m2 = rise_arena_mark(ar);
        const float *xt =
            vision ? q_input(c, ar, NET_Q1_TARGET, c->qp.target, obs, act, fr, batch, et) : x;
        rise_mlp_tape t;
        rise_mlp_forward(&c->q, be, c->qp.target, ar, &t, xt, batch, !vision, 0, none);
        rise_min2(be, ar, t.y, batch, qt);
        rise_arena_rewind(ar, m2);
    }
    {
        const size_t m2 = rise_arena_mark(ar);
        rise_mlp_tape t;
        float *dv = rise_arena_alloc(ar, (size_t)batch);
        if (run) rise_params_zero_grad(&c->vp);
        const float *s = state_in(c, ar, NET_V, c->vp.value, obs, fr, batch, et);
        rise_mlp_forward(&c->v, be, c->vp.value, ar, &t, s, batch, 1, 1, none);
        if (run) {
            be->expectile(be, m + RISE_IQL_LOSS_V, dv, qt, t.y, (size_t)batch, c->cfg.expectile,
                          1.0f);
            be->reduce(be, RISE_REDUCE_MEAN, m + RISE_IQL_V_MEAN, t.y, (size_t)batch);
            if (taps && taps->v_before)
                be->copy(be, taps->v_before, t.y, sizeof(float) * (size_t)batch);
        }
        float *ds = vision ? rise_arena_alloc(ar, (size_t)batch * c->state_dim) : NULL;
        rise_mlp_backward(&c->v, be, c->vp.value, c->vp.grad, ar, &t, dv, ds, 0);
        if (vision)
            encoders_backward(c, ar, &c->v_enc, 1, c->vp.value, c->vp.grad, et, ds, c->state_dim,
                              batch);
        if (run) rise_params_adam_step(&c->vp, be, &c->cfg.v_opt, step, m + RISE_IQL_GRAD_V);
        rise_arena_rewind(ar, m2);
    }

    if (!c->cfg.q_target_v_before) q_target(c, ar, r, done, next_obs, fr, batch, y2);
    {
        rise_mlp_tape t;
        float *dq = rise_arena_alloc(ar, 2 * (size_t)batch);
        if (run) rise_params_zero_grad(&c->qp);
        if (vision) x = q_input(c, ar, NET_Q1, c->qp.value, obs, act, fr, batch, et);
        rise_mlp_forward(&c->q, be, c->qp.value, ar, &t, x, batch, !vision, 1, none);
        if (run) {
            /* mse averages over 2B values; scale 2 makes it the sum of the two means. */
            be->mse(be, m + RISE_IQL_LOSS_Q, dq, t.y, y2, NULL, 2 * (size_t)batch, 2.0f);
            be->reduce(be, RISE_REDUCE_MEAN, m + RISE_IQL_Q_MEAN, t.y, 2 * (size_t)batch);
        }
        if (hook) hook(hook_ctx, c, ar, t.y, dq);
        float *dx = vision ? rise_arena_alloc(ar, 2 * (size_t)batch * I) : NULL;
        rise_mlp_backward(&c->q, be, c->qp.value, c->qp.grad, ar, &t, dq, dx, 0);
        if (vision)
            encoders_backward(c, ar, c->q_enc, 2, c->qp.value, c->qp.grad, et, dx, I, batch);
        if (run) {
            rise_params_adam_step(&c->qp, be, &c->cfg.q_opt, step, m + RISE_IQL_GRAD_Q);
            be->polyak(be, c->qp.target, c->qp.value, c->qp.size, c->cfg.tau);
        }
    }
    rise_arena_rewind(ar, mark);
}
