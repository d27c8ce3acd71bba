/* agent_step.c - one training step of the agent, its scratch sizing and its metrics.
 *
 * A step: draw B transition indices (sampler), gather the critic batch (s, a_0, r, d, s')
 * and the policy batch (observation history, action chunk; every relabel.every-th step
 * from the relabelled pairs instead; plus M action-noise copies per row) on the host,
 * upload, then on the backend: critic update (V, Q, targets; with the CQL penalty when
 * cql.enable), policy loss + spectral penalty + Adam + EMA. Nothing is read back here.
 * The Gaussian actors train on the critic batch:
 *   iql: q = min Q'(s, a) (targets before the critic update), critic update, v = V(s)
 *        (updated V), w = min(exp(beta (q - v)), max_w), AWR loss, Adam (policy.lr);
 *        this is IQL's reference order (V, actor, Q, targets) with identical inputs.
 *   cql: temperature + actor gradients with the pre-step Q, critic update with the
 *        pre-step actor, then the actor's Adam (cql.actor_lr) (cql_critic.h). */
#include "agent_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../data/action_noise.h"
#include "../data/sequence.h"

static void gather_policy_batch(rise_agent *a) {
    const rise_agent_config *c = &a->cfg;
    const rise_trainset *ts = a->ts;
    const int B = a->B, OD = a->OD, AD = a->AD, M = c->noise_copies;
    a->last_policy_from_pairs =
        a->has_pairs && a->pairs.n > 0 && a->step % c->relabel_every == c->relabel_every - 1;
    if (a->last_policy_from_pairs) {
        rise_sampler_next(&a->pair_sampler, a->pidx);
        rise_pairs_gather(ts, &a->pairs, a->pidx, B, c->obs_horizon, c->action_horizon, a->h_pobs,
                          a->h_chunk, a->h_valid);
    } else {
        rise_gather_obs_history(ts, a->idx, B, c->obs_horizon, a->h_pobs);
        rise_gather_action_chunk(ts, a->idx, B, c->action_horizon, a->h_chunk, a->h_valid);
    }
    if (M == 0) return;
    /* Rows B + b M + m: copy m of row b, the chunk with noise sigma_m, clipped. */
    rise_action_noise_levels(M, c->noise_lo, c->noise_hi, a->h_sigma);
    const rise_rng rng = {c->seed, RISE_STREAM_AGENT_NOISE, RISE_AGENT_STEP_BLOCKS(a->step)};
    rise_action_noise_ref(a->h_chunk, B, AD, M, a->h_sigma, rng, a->h_noisy, NULL, NULL);
    memcpy(a->h_chunk + (size_t)B * AD, a->h_noisy, sizeof(float) * (size_t)B * M * AD);
    for (int b = 0; b < B; ++b)
        for (int m = 0; m < M; ++m)
            memcpy(a->h_pobs + ((size_t)B + (size_t)b * M + m) * OD, a->h_pobs + (size_t)b * OD,
                   sizeof(float) * OD);
}

static void gather_and_upload(rise_agent *a) {
    const int B = a->B;
    const size_t D = (size_t)a->cfg.obs_dim, A = (size_t)a->cfg.act_dim;
    rise_backend *be = a->be;
    rise_sampler_next(&a->sampler, a->idx);
    rise_gather_transitions(a->ts, a->idx, B, a->h_obs, a->h_next, a->h_act, a->h_r, a->h_d,
                            a->h_expert);
    if (!a->has_gauss) gather_policy_batch(a);
    if (a->has_critic || a->has_gauss) {
        be->upload(be, a->d_obs, a->h_obs, sizeof(float) * B * D);
        be->upload(be, a->d_next, a->h_next, sizeof(float) * B * D);
        be->upload(be, a->d_act, a->h_act, sizeof(float) * B * A);
        be->upload(be, a->d_r, a->h_r, sizeof(float) * B);
        be->upload(be, a->d_d, a->h_d, sizeof(float) * B);
    }
    if (a->has_gauss) return;
    be->upload(be, a->d_pobs, a->h_pobs, sizeof(float) * (size_t)a->Bp * a->OD);
    be->upload(be, a->d_chunk, a->h_chunk, sizeof(float) * (size_t)a->Bp * a->AD);
}

static void policy_adam(rise_agent *a, float lr) {
    const rise_agent_config *c = &a->cfg;
    const rise_adam_hparams hp = {
        lr, 0.9f, 0.999f, 1e-8f, c->policy_weight_decay, c->max_grad_norm};
    a->be->reduce(a->be, RISE_REDUCE_SUMSQ, a->pm + 1, a->pp.grad, a->pp.size);
    rise_params_adam(&a->pp, &hp, (int)(a->step + 1), hp.max_grad_norm > 0 ? a->pm + 1 : NULL);
}

static void policy_update(rise_agent *a, rise_arena *ar) {
    const rise_agent_config *c = &a->cfg;
    rise_backend *be = a->be;
    const int run = ar->be != NULL;
    const size_t mark = rise_arena_mark(ar);
    const rise_rng rng = {c->seed, RISE_STREAM_AGENT_POLICY, RISE_AGENT_STEP_BLOCKS(a->step)};
    if (run) rise_params_zero_grad(&a->pp);
    if (a->has_diffusion) {
        rise_diffusion_loss(&a->diff, be, a->pp.value, a->pp.grad, ar, a->d_pobs, a->d_chunk, NULL,
                            a->Bp, rng, a->pm);
        if (run && a->diff.n_spec)
            rise_diffusion_spectral(&a->diff, be, a->pp.value, a->pp.grad, c->spectral_lambda);
    } else {
        rise_mlp_tape t;
        const rise_rng drop = {rng.seed, rng.stream + 1, rng.offset};
        rise_mlp_forward(&a->bc, be, a->pp.value, ar, &t, a->d_pobs, a->Bp, 1, 1, drop);
        float *dy = rise_arena_alloc(ar, (size_t)a->Bp * a->AD);
        if (run) be->mse(be, a->pm, dy, t.y, a->d_chunk, NULL, (size_t)a->Bp * a->AD, 1.0f);
        rise_mlp_backward(&a->bc, be, a->pp.value, a->pp.grad, ar, &t, dy, NULL, 0);
    }
    if (run) {
        policy_adam(a, c->policy_lr);
        if (a->has_diffusion) be->polyak(be, a->pp.ema, a->pp.value, a->pp.size, 1.0f - c->ema);
    }
    rise_arena_rewind(ar, mark);
}

/* IQL's actor: qt = min Q'(s, a) from before the critic update. */
static void awr_update(rise_agent *a, rise_arena *ar, const float *qt) {
    const rise_agent_config *c = &a->cfg;
    rise_backend *be = a->be;
    const int run = ar->be != NULL, B = a->B;
    const size_t mark = rise_arena_mark(ar);
    float *v = rise_arena_alloc(ar, (size_t)B), *wt = rise_arena_alloc(ar, (size_t)B);
    rise_iql_critic_value(&a->critic, ar, a->d_obs, B, v);
    if (run) {
        be->awr_weights(be, wt, qt, v, B, c->awr_beta, c->awr_max_weight);
        be->reduce(be, RISE_REDUCE_MEAN, a->pm + 2, wt, (size_t)B);
        rise_params_zero_grad(&a->pp);
    }
    rise_gauss_actor_awr(&a->actor, be, a->pp.value, a->pp.grad, ar, a->d_obs, a->d_act, wt, B,
                         a->pm);
    if (run) policy_adam(a, c->policy_lr);
    rise_arena_rewind(ar, mark);
}

static void cql_step(rise_agent *a, rise_arena *ar, rise_rng rng) {
    rise_backend *be = a->be;
    const int run = ar->be != NULL, step = (int)(a->step + 1);
    if (run) rise_params_zero_grad(&a->pp);
    rise_cql_actor_grad(&a->cql, &a->actor, a->pp.value, a->pp.grad, ar, a->d_obs, a->B, step, rng);
    rise_cql_critic_update(&a->cql, &a->actor, a->pp.value, ar, a->d_obs, a->d_act, a->d_next,
                           a->d_r, a->d_d, a->B, step, rng);
    if (run) {
        be->copy(be, a->pm, a->cql.metrics + RISE_CQL_LOSS_PI, sizeof(float));
        policy_adam(a, a->cfg.cql_actor_lr);
    }
}

static void step_ops(rise_agent *a, rise_arena *ar) {
    const int step = (int)(a->step + 1);
    const rise_rng crng = {a->cfg.seed, RISE_STREAM_CQL, RISE_AGENT_STEP_BLOCKS(a->step)};
    if (a->cfg.algo == RISE_ALGO_CQL) {
        cql_step(a, ar, crng);
        return;
    }
    const size_t mark = rise_arena_mark(ar);
    float *qt = NULL;
    if (a->cfg.algo == RISE_ALGO_IQL) {
        qt = rise_arena_alloc(ar, (size_t)a->B);
        rise_iql_critic_qmin(&a->critic, ar, a->critic.qp.target, a->d_obs, a->d_act, a->B, qt);
    }
    if (a->has_critic && a->has_cql)
        rise_cql_iql_update(&a->cql, &a->critic, ar, a->d_obs, a->d_act, a->d_next, a->d_r, a->d_d,
                            a->B, step, crng);
    else if (a->has_critic)
        rise_iql_critic_update(&a->critic, ar, a->d_obs, a->d_act, a->d_next, a->d_r, a->d_d, a->B,
                               step);
    if (a->cfg.algo == RISE_ALGO_IQL)
        awr_update(a, ar, qt);
    else
        policy_update(a, ar);
    rise_arena_rewind(ar, mark);
}

/* Diagnostics on the first RISE_DIAG_STATES policy states: K candidates from the EMA
 * policy and their min(Q1, Q2); Q and V on the critic batch. Device results in *out. */
typedef struct {
    float *q, *v;  /* [B] */
    float *cand_q; /* [S K] */
    float *rep;    /* [S K, OD] */
} diag_buffers;

static void diag_ops(rise_agent *a, rise_arena *ar, diag_buffers *o) {
    const int run = ar->be != NULL, B = a->B, K = a->cfg.candidates;
    const int S = RISE_DIAG_STATES < a->B ? RISE_DIAG_STATES : a->B, SK = S * K;
    rise_backend *be = a->be;
    memset(o, 0, sizeof *o);
    if (a->has_critic) {
        o->q = rise_arena_alloc(ar, (size_t)B);
        o->v = rise_arena_alloc(ar, (size_t)B);
        rise_iql_critic_qmin(&a->critic, ar, a->critic.qp.value, a->d_obs, a->d_act, B, o->q);
        rise_iql_critic_value(&a->critic, ar, a->d_obs, B, o->v);
    } else if (a->cfg.algo == RISE_ALGO_CQL) {
        o->q = rise_arena_alloc(ar, (size_t)B);
        rise_cql_qmin(&a->cql, ar, a->cql.qp.value, a->d_obs, a->d_act, B, o->q);
    }
    if (!a->has_diffusion) return;
    o->rep = rise_arena_alloc(ar, (size_t)SK * a->OD);
    o->cand_q = rise_arena_alloc(ar, (size_t)SK);
    if (run) {
        for (int s = 0; s < S; ++s)
            for (int k = 0; k < K; ++k)
                be->copy(be, o->rep + ((size_t)s * K + k) * a->OD, a->d_pobs + (size_t)s * a->OD,
                         sizeof(float) * a->OD);
        const rise_rng rng = {a->cfg.seed, RISE_STREAM_AGENT_DIAG, RISE_AGENT_STEP_BLOCKS(a->step)};
        be->rand_normal(be, a->d_noise, rise_diffusion_noise_len(&a->diff, SK), 0.0f, 1.0f, rng);
    }
    rise_diffusion_sample(&a->diff, be, a->pp.ema, ar, o->rep, SK, a->d_noise, a->d_cand);
    if (a->has_critic) {
        /* The critic sees the current frame and the first action of each chunk. */
        const int D = a->cfg.obs_dim, A = a->cfg.act_dim;
        float *s0 = rise_arena_alloc(ar, (size_t)SK * D),
              *a0 = rise_arena_alloc(ar, (size_t)SK * A);
        if (run) {
            be->copy_cols(be, s0, D, 0, o->rep, a->OD, a->OD - D, SK, D, 0);
            be->copy_cols(be, a0, A, 0, a->d_cand, a->AD, 0, SK, A, 0);
        }
        rise_iql_critic_qmin(&a->critic, ar, a->critic.qp.value, s0, a0, SK, o->cand_q);
    }
}

rise_status rise_agent_size_arena(rise_agent *a) {
    rise_arena m;
    rise_arena_init_measure(&m);
    step_ops(a, &m);
    size_t peak = m.peak;
    rise_arena_init_measure(&m);
    diag_buffers d;
    diag_ops(a, &m, &d);
    if (m.peak > peak) peak = m.peak;
    return rise_arena_init(&a->arena, a->be,
                           peak + 4 * RISE_ARENA_ALIGN_FLOATS); /* + metric scalars */
}

rise_status rise_agent_step(rise_agent *a) {
    if (!a->ts) return rise_error(RISE_ERR_INVALID, "agent: no training data attached");
    gather_and_upload(a);
    rise_arena_rewind(&a->arena, 0);
    step_ops(a, &a->arena);
    a->step++;
    return RISE_OK;
}

static void put(rise_agent_metrics *m, const char *name, double v) {
    if (m->n < RISE_AGENT_MAX_METRICS) {
        m->names[m->n] = name;
        m->values[m->n++] = v;
    }
}

static float download1(rise_backend *be, const float *p) {
    float v;
    be->download(be, &v, p, sizeof v);
    return v;
}

/* mean of x over rows whose flag equals want (NaN when none). */
static double masked_mean(const float *x, const float *flag, int n, float want) {
    double s = 0.0;
    int c = 0;
    for (int i = 0; i < n; ++i)
        if (flag[i] == want) {
            s += x[i];
            ++c;
        }
    return c ? s / c : NAN;
}

static rise_status check_params(rise_agent *a, rise_params *p, const char *what) {
    float *scratch = rise_arena_alloc(&a->arena, 1);
    a->be->reduce(a->be, RISE_REDUCE_SUMSQ, scratch, p->value, p->size);
    const float s = download1(a->be, scratch);
    if (!isfinite(s))
        return rise_error(RISE_ERR_NUMERIC, "non-finite %s parameters at step %lld", what,
                          (long long)a->step);
    return RISE_OK;
}

/* IQL's actor, CQL's critic, temperatures and penalty. */
static rise_status gauss_cql_metrics(rise_agent *a, const diag_buffers *d, rise_agent_metrics *m,
                                     const float *pm) {
    rise_backend *be = a->be;
    const int A = a->cfg.act_dim;
    float km[RISE_CQL_N_METRICS];
    if (a->has_cql) be->download(be, km, a->cql.metrics, sizeof km);
    if (a->cfg.algo == RISE_ALGO_CQL) {
        put(m, "loss_q", km[RISE_CQL_LOSS_TD]);
        put(m, "q_mean", km[RISE_CQL_Q_MEAN]);
        put(m, "grad_norm_q", sqrt(km[RISE_CQL_GRAD_Q]));
        const int B = a->B;
        float *hq = malloc(sizeof(float) * (size_t)B);
        if (!hq) return rise_error(RISE_ERR_NOMEM, "metrics: out of memory");
        be->download(be, hq, d->q, sizeof(float) * B);
        put(m, "q_expert", masked_mean(hq, a->h_expert, B, 1.0f));
        put(m, "q_nonexpert", masked_mean(hq, a->h_expert, B, 0.0f));
        free(hq);
        put(m, "alpha", km[RISE_CQL_ALPHA]);
        put(m, "entropy", km[RISE_CQL_ENTROPY]);
    }
    if (a->has_cql) {
        put(m, "cql_penalty", km[RISE_CQL_PENALTY]);
        put(m, "cql_gap", km[RISE_CQL_GAP]);
        put(m, "cql_alpha", km[RISE_CQL_WEIGHT]);
    }
    if (a->cfg.algo == RISE_ALGO_IQL) {
        /* the Gaussian's entropy: sum_j clamp(log_std_j) + A log(2 pi e) / 2 */
        float ls[64];
        const int n = A < 64 ? A : 64;
        be->download(be, ls, a->pp.value + a->actor.log_std_off, sizeof(float) * n);
        double h = 0.0, mean = 0.0;
        for (int j = 0; j < n; ++j) {
            const double l = ls[j] < a->cfg.log_std_min   ? a->cfg.log_std_min
                             : ls[j] > a->cfg.log_std_max ? a->cfg.log_std_max
                                                          : ls[j];
            h += l + 1.4189385332046727; /* log(2 pi e) / 2 */
            mean += l / n;
        }
        put(m, "awr_weight_mean", pm[2]);
        put(m, "log_std_mean", mean);
        if (n == A) put(m, "entropy", h);
    }
    return RISE_OK;
}

rise_status rise_agent_metrics_read(rise_agent *a, rise_agent_metrics *m) {
    rise_backend *be = a->be;
    memset(m, 0, sizeof *m);
    rise_arena_rewind(&a->arena, 0);
    diag_buffers d;
    diag_ops(a, &a->arena, &d);
    RISE_TRY(be->sync(be));
    float pm[3];
    be->download(be, pm, a->pm, sizeof pm);
    put(m, "loss_pi", pm[0]);
    put(m, "grad_norm_pi", sqrt(pm[1]));
    put(m, "pairs_batch", a->last_policy_from_pairs);
    if (a->has_critic) {
        float cm[RISE_IQL_N_METRICS];
        be->download(be, cm, a->critic.metrics, sizeof cm);
        put(m, "loss_q", cm[RISE_IQL_LOSS_Q]);
        put(m, "loss_v", cm[RISE_IQL_LOSS_V]);
        put(m, "q_mean", cm[RISE_IQL_Q_MEAN]);
        put(m, "v_mean", cm[RISE_IQL_V_MEAN]);
        put(m, "grad_norm_q", sqrt(cm[RISE_IQL_GRAD_Q]));
        put(m, "grad_norm_v", sqrt(cm[RISE_IQL_GRAD_V]));
        const int B = a->B;
        float *hq = malloc(sizeof(float) * 2 * (size_t)B);
        if (!hq) return rise_error(RISE_ERR_NOMEM, "metrics: out of memory");
        be->download(be, hq, d.q, sizeof(float) * B);
        be->download(be, hq + B, d.v, sizeof(float) * B);
        put(m, "q_expert", masked_mean(hq, a->h_expert, B, 1.0f));
        put(m, "q_nonexpert", masked_mean(hq, a->h_expert, B, 0.0f));
        put(m, "v_expert", masked_mean(hq + B, a->h_expert, B, 1.0f));
        put(m, "v_nonexpert", masked_mean(hq + B, a->h_expert, B, 0.0f));
        free(hq);
    }
    if (a->has_gauss || a->has_cql) RISE_TRY(gauss_cql_metrics(a, &d, m, pm));
    if (a->has_diffusion) {
        const int K = a->cfg.candidates, AD = a->AD;
        const int S = RISE_DIAG_STATES < a->B ? RISE_DIAG_STATES : a->B;
        float *c = malloc(sizeof(float) * (size_t)S * K * (AD + 1));
        if (!c) return rise_error(RISE_ERR_NOMEM, "metrics: out of memory");
        float *cq = c + (size_t)S * K * AD;
        be->download(be, c, a->d_cand, sizeof(float) * (size_t)S * K * AD);
        if (a->has_critic) be->download(be, cq, d.cand_q, sizeof(float) * (size_t)S * K);
        /* spread: per state, the RMS over dims of the std across the K candidates */
        double spread = 0.0, qstd = 0.0;
        for (int s = 0; s < S; ++s) {
            double var = 0.0;
            for (int j = 0; j < AD; ++j) {
                double mu = 0.0, m2 = 0.0;
                for (int k = 0; k < K; ++k) mu += c[((size_t)s * K + k) * AD + j];
                mu /= K;
                for (int k = 0; k < K; ++k) {
                    const double e = c[((size_t)s * K + k) * AD + j] - mu;
                    m2 += e * e;
                }
                var += m2 / K;
            }
            spread += sqrt(var / AD);
            if (a->has_critic) {
                double mu = 0.0, m2 = 0.0;
                for (int k = 0; k < K; ++k) mu += cq[(size_t)s * K + k];
                mu /= K;
                for (int k = 0; k < K; ++k)
                    m2 += (cq[(size_t)s * K + k] - mu) * (cq[(size_t)s * K + k] - mu);
                qstd += sqrt(m2 / K);
            }
        }
        free(c);
        put(m, "cand_spread", spread / S);
        if (a->has_critic) put(m, "cand_q_std", qstd / S);
        if (a->diff.n_spec) {
            float sig[RISE_DIFFUSION_MAX_LAYERS];
            be->download(be, sig, a->diff.sigma, sizeof(float) * a->diff.n_spec);
            float mx = 0.0f;
            for (int i = 0; i < a->diff.n_spec; ++i) mx = sig[i] > mx ? sig[i] : mx;
            put(m, "sigma_max", mx);
        }
    }
    for (int i = 0; i < m->n; ++i)
        if (!strncmp(m->names[i], "loss", 4) && !isfinite(m->values[i]))
            return rise_error(RISE_ERR_NUMERIC, "%s is %g at step %lld", m->names[i], m->values[i],
                              (long long)a->step);
    RISE_TRY(check_params(a, &a->pp, "policy"));
    if (a->has_critic) {
        RISE_TRY(check_params(a, &a->critic.qp, "Q"));
        RISE_TRY(check_params(a, &a->critic.vp, "V"));
    }
    if (a->has_cql) {
        if (a->cql.own_q) RISE_TRY(check_params(a, &a->cql.qp, "Q"));
        RISE_TRY(check_params(a, &a->cql.tp, "temperature"));
    }
    return RISE_OK;
}
