/* cql_critic.c - CQL's conservative penalty, critic update, actor step and IQL's update
 * with the penalty (see cql_critic.h). Backend calls are skipped on a measuring arena,
 * so each function sizes its own scratch. */
#include "cql_critic.h"

#include "critic_ops.h"

#include <math.h>
#include <string.h>

#define SCRATCH(k, i) ((k)->metrics + RISE_CQL_N_METRICS + (i))

static const rise_rng no_rng = {0, 0, 0, NULL};

rise_status rise_cql_create(rise_cql *k, rise_backend *be, const rise_cql_config *cfg, int own_q,
                            uint64_t seed) {
    memset(k, 0, sizeof *k);
    k->cfg = *cfg;
    k->be = be;
    k->own_q = own_q;
    rise_params_init(&k->qp);
    rise_params_init(&k->tp);
    if (cfg->samples < 1)
        return rise_error(RISE_ERR_INVALID, "cql.samples = %d, expected >= 1", cfg->samples);
    if (cfg->lagrange ? !(cfg->alpha > 0.0f) : !(cfg->alpha >= 0.0f))
        return rise_error(RISE_ERR_INVALID, "cql.alpha = %g, expected %s", (double)cfg->alpha,
                          cfg->lagrange ? "> 0 with cql.lagrange (log alpha is trained)" : ">= 0");
    if (own_q) {
        rise_mlp_config m = rise_mlp_config_default();
        m.in_dim = cfg->obs_dim + cfg->act_dim;
        m.out_dim = 1;
        m.n_hidden = cfg->depth;
        for (int l = 0; l < cfg->depth; ++l)
            m.hidden[l] = cfg->hidden[0] > 0 ? cfg->hidden[l] : cfg->width;
        m.layernorm = cfg->layernorm;
        m.ens = 2;
        RISE_TRY(rise_mlp_register(&k->q, &k->qp, "q", &m));
        RISE_TRY(rise_params_alloc(&k->qp, be, RISE_PARAMS_TARGET));
        rise_params_init_values(&k->qp, seed ^ 0x51ull);
        rise_params_copy_to_target(&k->qp);
    }
    const int one[1] = {1};
    RISE_TRY(rise_params_add(&k->tp, "log_alpha", 1, one, rise_init_const(0.0f), &k->off_alpha));
    RISE_TRY(rise_params_add(&k->tp, "log_alpha_prime", 1, one,
                             rise_init_const(cfg->lagrange ? logf(cfg->alpha) : 0.0f),
                             &k->off_prime));
    RISE_TRY(rise_params_alloc(&k->tp, be, 0));
    rise_params_init_values(&k->tp, seed);
    k->metrics = be->alloc(be, sizeof(float) * (RISE_CQL_N_METRICS + 8));
    if (!k->metrics) return rise_error_context(RISE_ERR_NOMEM, "CQL metrics on %s: ", be->name);
    return RISE_OK;
}

void rise_cql_free(rise_cql *k) {
    if (k->be && k->metrics) k->be->free(k->be, k->metrics);
    k->metrics = NULL;
    rise_params_free(&k->qp);
    rise_params_free(&k->tp);
}

/* Adam on the one-float tensor at off of the temperature buffer (gradient set first). */
static void temp_adam(rise_cql *k, size_t off, float lr, int step) {
    const rise_adam_hparams hp = {lr, 0.9f, 0.999f, 1e-8f, 0.0f, 0.0f, k->cfg.q_opt.step_add};
    rise_params *t = &k->tp;
    rise_params_reduce_grad_range(t, off, 1); /* data parallelism: the ranks' mean */
    k->be->adam(k->be, t->value + off, t->grad + off, t->m + off, t->v + off, 1, &hp, step, NULL);
}

void rise_cql_qmin(const rise_cql *k, rise_arena *ar, const float *w, const float *obs,
                   const float *act, int batch, float *q) {
    const size_t mark = rise_arena_mark(ar);
    float *x = rise_concat_sa(k->be, ar, obs, act, batch, k->cfg.obs_dim, k->cfg.act_dim);
    rise_mlp_tape t;
    rise_mlp_forward(&k->q, k->be, w, ar, &t, x, batch, 1, 0, no_rng);
    rise_min2(k->be, ar, t.y, batch, q);
    rise_arena_rewind(ar, mark);
}

/* r~ [B] = reward_scale r + reward_bias in the arena (r itself with the identity). */
static const float *critic_reward(const rise_cql *k, rise_arena *ar, const float *r, int B) {
    const float scale = k->cfg.reward_scale != 0.0f ? k->cfg.reward_scale : 1.0f;
    if (scale == 1.0f && k->cfg.reward_bias == 0.0f) return r;
    float *rt = rise_arena_alloc(ar, (size_t)B);
    if (ar->be) {
        k->be->fill(k->be, rt, k->cfg.reward_bias, (size_t)B);
        k->be->axpy(k->be, rt, scale, r, (size_t)B);
    }
    return rt;
}

/* ---- the penalty ---- */

/* w at the start of a critic update: cql.alpha, or clamp(exp(log w'), 0, 1e6). */
static void set_weight(rise_cql *k) {
    rise_backend *be = k->be;
    float *w = k->metrics + RISE_CQL_WEIGHT;
    if (k->cfg.lagrange) {
        be->exp_forward(be, w, k->tp.value + k->off_prime, 1);
        be->clamp(be, w, w, 0.0f, 1e6f, 1);
    } else {
        be->fill(be, w, k->cfg.alpha, 1);
    }
}

/* Adds pen_1 + pen_2 to Q's loss: parameter gradients of the candidate terms into qg,
 * -w / B into dq [2, B] (the data rows' gradient, backpropagated by the caller).
 * cand [B, C, A], logq [B, C], qdata [2, B]. */
static void penalty(rise_cql *k, const rise_mlp *q, const float *qw, float *qg, rise_arena *ar,
                    const float *obs, const float *cand, const float *logq, int B, int C,
                    const float *qdata, float *dq) {
    rise_backend *be = k->be;
    const int run = ar->be != NULL, D = k->cfg.obs_dim, A = k->cfg.act_dim;
    const size_t mark = rise_arena_mark(ar), BC = (size_t)B * C;
    float *m = k->metrics;
    /* x [B C, D + A]: obs repeated C times ([B, C (D + A)] is the same memory) */
    float *x = rise_arena_alloc(ar, BC * (D + A));
    if (run) {
        for (int c = 0; c < C; ++c)
            be->copy_cols(be, x, C * (D + A), c * (D + A), obs, D, 0, B, D, 0);
        be->copy_cols(be, x, D + A, D, cand, A, 0, (int)BC, A, 0);
    }
    rise_mlp_tape t;
    rise_mlp_forward(q, be, qw, ar, &t, x, (int)BC, 1, 1, no_rng);
    float *X = rise_arena_alloc(ar, 2 * BC), *lse = rise_arena_alloc(ar, 2 * (size_t)B);
    float *dout = rise_arena_alloc(ar, 2 * (size_t)B), *dX = rise_arena_alloc(ar, 2 * BC);
    if (run) {
        be->copy(be, X, t.y, sizeof(float) * 2 * BC);
        be->axpy(be, X, -1.0f, logq, BC);
        be->axpy(be, X + BC, -1.0f, logq, BC);
        be->logsumexp_rows_forward(be, lse, X, 2 * B, C);
        /* gap = mean over both members: mean(lse) - mean(Q(s, a)) */
        be->reduce(be, RISE_REDUCE_MEAN, m + RISE_CQL_GAP, lse, 2 * (size_t)B);
        be->reduce(be, RISE_REDUCE_MEAN, SCRATCH(k, 0), qdata, 2 * (size_t)B);
        be->axpy(be, m + RISE_CQL_GAP, -1.0f, SCRATCH(k, 0), 1);
        /* penalty = 2 w (gap - target) */
        be->fill(be, SCRATCH(k, 1), k->cfg.lagrange ? -k->cfg.target_gap : 0.0f, 1);
        be->axpy(be, SCRATCH(k, 1), 1.0f, m + RISE_CQL_GAP, 1);
        be->mul(be, m + RISE_CQL_PENALTY, SCRATCH(k, 1), m + RISE_CQL_WEIGHT, 1);
        be->scale(be, m + RISE_CQL_PENALTY, 2.0f, 1);
        /* d pen / d lse_i[b] = w / B; d pen / d Q_i(s_b, a_b) = -w / B */
        be->fill(be, dout, 0.0f, 2 * (size_t)B);
        be->bias_add(be, dout, m + RISE_CQL_WEIGHT, 1, 2 * B, 1);
        be->scale(be, dout, 1.0f / (float)B, 2 * (size_t)B);
        be->logsumexp_rows_backward(be, dX, dout, X, lse, 2 * B, C);
        be->axpy(be, dq, -1.0f, dout, 2 * (size_t)B);
    }
    rise_mlp_backward(q, be, qw, qg, ar, &t, dX, NULL, 0);
    rise_arena_rewind(ar, mark);
}

/* Lagrange step on log w': gradient -w (gap - target_gap) (SCRATCH 1 holds gap - target). */
static void lagrange_step(rise_cql *k, float lr, int step) {
    if (!k->cfg.lagrange) return;
    rise_backend *be = k->be;
    float *g = k->tp.grad + k->off_prime;
    be->mul(be, g, SCRATCH(k, 1), k->metrics + RISE_CQL_WEIGHT, 1);
    be->scale(be, g, -1.0f, 1);
    temp_adam(k, k->off_prime, lr, step);
}

/* obs [B, D] repeated N times: [B N, D]. */
static float *repeat_rows(rise_cql *k, rise_arena *ar, const float *obs, int B, int N) {
    const int D = k->cfg.obs_dim;
    float *rep = rise_arena_alloc(ar, (size_t)B * N * D);
    if (ar->be)
        for (int n = 0; n < N; ++n) k->be->copy_cols(k->be, rep, N * D, n * D, obs, D, 0, B, D, 0);
    return rep;
}

/* Candidates block `blk` of N per state from pi on obs (log q = log pi). */
static void policy_block(rise_cql *k, const rise_gauss_actor *pi, const float *pw, rise_arena *ar,
                         const float *obs, int B, int blk, rise_rng rng, float *cand, float *logq) {
    const int N = k->cfg.samples, C = 3 * N, A = k->cfg.act_dim;
    const size_t mark = rise_arena_mark(ar);
    float *rep = repeat_rows(k, ar, obs, B, N);
    rise_gauss_sample_tape s;
    rise_gauss_actor_sample(pi, k->be, pw, ar, &s, rep, B * N, rng);
    if (ar->be) {
        k->be->copy_cols(k->be, cand, C * A, blk * N * A, s.a, N * A, 0, B, N * A, 0);
        k->be->copy_cols(k->be, logq, C, blk * N, s.logp, N, 0, B, N, 0);
    }
    rise_arena_rewind(ar, mark);
}

/* ---- algo cql ---- */

void rise_cql_actor_grad(rise_cql *k, const rise_gauss_actor *pi, const float *pw, float *pg,
                         rise_arena *ar, const float *obs, int batch, int step, rise_rng rng) {
    rise_backend *be = k->be;
    const int run = ar->be != NULL, B = batch, D = k->cfg.obs_dim, A = k->cfg.act_dim;
    const size_t mark = rise_arena_mark(ar);
    float *m = k->metrics;
    rise_gauss_sample_tape s;
    rise_gauss_actor_sample(pi, be, pw, ar, &s, obs, B, rng);
    if (run) {
        /* entropy and the temperature: grad of log_alpha = -(mean logp + H) */
        be->reduce(be, RISE_REDUCE_MEAN, m + RISE_CQL_ENTROPY, s.logp, (size_t)B);
        be->scale(be, m + RISE_CQL_ENTROPY, -1.0f, 1);
        float *g = k->tp.grad + k->off_alpha;
        be->fill(be, g, -k->cfg.entropy_target * (float)A, 1);
        be->axpy(be, g, 1.0f, m + RISE_CQL_ENTROPY, 1);
        temp_adam(k, k->off_alpha, k->cfg.actor_lr, step);
        be->exp_forward(be, m + RISE_CQL_ALPHA, k->tp.value + k->off_alpha, 1);
    }
    float *x = rise_concat_sa(be, ar, obs, s.a, B, D, A);
    rise_mlp_tape t;
    rise_mlp_forward(&k->q, be, k->qp.value, ar, &t, x, B, 1, 0, no_rng);
    float *qmin = rise_arena_alloc(ar, (size_t)B), *diff = rise_arena_alloc(ar, (size_t)B);
    float *gq = rise_arena_alloc(ar, (size_t)B), *dq = rise_arena_alloc(ar, 2 * (size_t)B);
    float *dx = rise_arena_alloc(ar, (size_t)B * (D + A)),
          *da = rise_arena_alloc(ar, (size_t)B * A);
    float *dlogp = rise_arena_alloc(ar, (size_t)B);
    rise_min2(be, ar, t.y, B, qmin);
    if (run) {
        /* loss = alpha mean(logp) - mean(min Q) = -alpha entropy - mean(min Q) */
        float *lp = m + RISE_CQL_LOSS_PI;
        be->reduce(be, RISE_REDUCE_MEAN, SCRATCH(k, 2), qmin, (size_t)B);
        be->mul(be, lp, m + RISE_CQL_ENTROPY, m + RISE_CQL_ALPHA, 1);
        be->scale(be, lp, -1.0f, 1);
        be->axpy(be, lp, -1.0f, SCRATCH(k, 2), 1);
        /* d/dQ_1 = -1/B where Q_1 < Q_2 (ReLU's derivative of Q_2 - Q_1), else to Q_2 */
        be->copy(be, diff, t.y + B, sizeof(float) * (size_t)B);
        be->axpy(be, diff, -1.0f, t.y, (size_t)B);
        be->fill(be, gq, -1.0f / (float)B, (size_t)B);
        be->act_backward(be, RISE_ACT_RELU, dq, gq, diff, (size_t)B, 0);
        be->copy(be, dq + B, gq, sizeof(float) * (size_t)B);
        be->axpy(be, dq + B, -1.0f, dq, (size_t)B);
    }
    /* Q's parameter gradients land in its grad slot, zeroed by the critic update. */
    rise_mlp_backward(&k->q, be, k->qp.value, k->qp.grad, ar, &t, dq, dx, 0);
    if (run) {
        be->copy_cols(be, da, A, 0, dx, D + A, D, B, A, 0);
        be->fill(be, dlogp, 0.0f, (size_t)B);
        be->bias_add(be, dlogp, m + RISE_CQL_ALPHA, 1, B, 1);
        be->scale(be, dlogp, 1.0f / (float)B, (size_t)B);
    }
    rise_gauss_actor_sample_backward(pi, be, pw, pg, ar, &s, da, dlogp);
    rise_arena_rewind(ar, mark);
}

void rise_cql_critic_update(rise_cql *k, const rise_gauss_actor *pi, const float *pw,
                            rise_arena *ar, const float *obs, const float *act,
                            const float *next_obs, const float *r, const float *done, int batch,
                            int step, rise_rng rng) {
    rise_backend *be = k->be;
    const int run = ar->be != NULL, B = batch, D = k->cfg.obs_dim, A = k->cfg.act_dim;
    const int N = k->cfg.samples, C = 3 * N;
    const size_t mark = rise_arena_mark(ar);
    float *m = k->metrics;
    if (run) set_weight(k);
    /* y = r~ + gamma (1 - d) min Q'(s', a'), a' ~ pi(s') */
    const float *rt = critic_reward(k, ar, r, B);
    float *y2 = rise_arena_alloc(ar, 2 * (size_t)B);
    {
        const size_t m2 = rise_arena_mark(ar);
        rise_gauss_sample_tape s;
        const rise_rng r1 = rise_rng_substream(rng, 1);
        rise_gauss_actor_sample(pi, be, pw, ar, &s, next_obs, B, r1);
        float *xn = rise_concat_sa(be, ar, next_obs, s.a, B, D, A),
              *qn = rise_arena_alloc(ar, (size_t)B);
        rise_mlp_tape t;
        rise_mlp_forward(&k->q, be, k->qp.target, ar, &t, xn, B, 1, 0, no_rng);
        rise_min2(be, ar, t.y, B, qn);
        if (run) {
            be->td_target(be, y2, rt, done, qn, (size_t)B, k->cfg.discount);
            be->copy(be, y2 + B, y2, sizeof(float) * (size_t)B);
        }
        rise_arena_rewind(ar, m2);
    }
    /* candidates [B, 3N, A]: uniform, pi(s), pi(s') */
    float *cand = rise_arena_alloc(ar, (size_t)B * C * A),
          *logq = rise_arena_alloc(ar, (size_t)B * C);
    {
        const size_t m2 = rise_arena_mark(ar);
        float *u = rise_arena_alloc(ar, (size_t)B * N * A);
        if (run) {
            const rise_rng r4 = rise_rng_substream(rng, 4);
            be->rand_uniform(be, u, (size_t)B * N * A, -1.0f, 1.0f, r4);
            be->copy_cols(be, cand, C * A, 0, u, N * A, 0, B, N * A, 0);
            be->fill(be, logq, (float)A * logf(0.5f), (size_t)B * C);
        }
        rise_arena_rewind(ar, m2);
        const rise_rng r2 = rise_rng_substream(rng, 2);
        const rise_rng r3 = rise_rng_substream(rng, 3);
        policy_block(k, pi, pw, ar, obs, B, 1, r2, cand, logq);
        policy_block(k, pi, pw, ar, next_obs, B, 2, r3, cand, logq);
    }
    float *x = rise_concat_sa(be, ar, obs, act, B, D, A);
    rise_mlp_tape t;
    float *dq = rise_arena_alloc(ar, 2 * (size_t)B);
    if (run) rise_params_zero_grad(&k->qp);
    rise_mlp_forward(&k->q, be, k->qp.value, ar, &t, x, B, 1, 1, no_rng);
    if (run) {
        be->mse(be, m + RISE_CQL_LOSS_TD, dq, t.y, y2, NULL, 2 * (size_t)B, 2.0f);
        be->reduce(be, RISE_REDUCE_MEAN, m + RISE_CQL_Q_MEAN, t.y, 2 * (size_t)B);
    }
    penalty(k, &k->q, k->qp.value, k->qp.grad, ar, obs, cand, logq, B, C, t.y, dq);
    rise_mlp_backward(&k->q, be, k->qp.value, k->qp.grad, ar, &t, dq, NULL, 0);
    if (run) {
        rise_params_adam_step(&k->qp, be, &k->cfg.q_opt, step, m + RISE_CQL_GRAD_Q);
        be->polyak(be, k->qp.target, k->qp.value, k->qp.size, k->cfg.tau);
        lagrange_step(k, k->cfg.q_opt.lr, step);
    }
    rise_arena_rewind(ar, mark);
}

/* ---- IQL's critic with the penalty ---- */

typedef struct {
    rise_cql *k;
    const float *obs, *cand, *logq;
    int batch, n;
} iql_penalty_ctx;

static void iql_penalty_hook(void *ctx, rise_iql_critic *c, rise_arena *ar, const float *q,
                             float *dq) {
    const iql_penalty_ctx *p = ctx;
    penalty(p->k, &c->q, c->qp.value, c->qp.grad, ar, p->obs, p->cand, p->logq, p->batch, p->n, q,
            dq);
}

void rise_cql_iql_update(rise_cql *k, rise_iql_critic *c, rise_arena *ar, const float *obs,
                         const float *act, const float *next_obs, const float *r, const float *done,
                         int batch, int step, rise_rng rng, const rise_iql_taps *taps) {
    rise_backend *be = c->be;
    const int run = ar->be != NULL, B = batch, A = c->cfg.act_dim;
    const int N = k->cfg.samples;
    const size_t mark = rise_arena_mark(ar);
    if (run) set_weight(k);
    /* the penalty's candidates: N uniform actions per state */
    float *cand = rise_arena_alloc(ar, (size_t)B * N * A),
          *logq = rise_arena_alloc(ar, (size_t)B * N);
    if (run) {
        const rise_rng r4 = rise_rng_substream(rng, 4);
        be->rand_uniform(be, cand, (size_t)B * N * A, -1.0f, 1.0f, r4);
        be->fill(be, logq, (float)A * logf(0.5f), (size_t)B * N);
    }
    const float *rt = critic_reward(k, ar, r, B);
    iql_penalty_ctx ctx = {k, obs, cand, logq, B, N};
    rise_iql_critic_update_hooked(c, ar, obs, act, next_obs, rt, done, batch, step,
                                  iql_penalty_hook, &ctx, taps, NULL);
    if (run) lagrange_step(k, c->cfg.q_opt.lr, step);
    rise_arena_rewind(ar, mark);
}
