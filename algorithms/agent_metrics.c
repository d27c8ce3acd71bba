/* agent_metrics.c - what the agent reports at a log interval: losses, gradient norms,
 * Q and V on expert vs non-expert states, the spread of K sampled candidates and their Q,
 * sigma_max, the Gaussian actors' and CQL's scalars; and the NaN/Inf check on losses
 * and parameters that stops a run. The backend work (diagnostic sampling, critic
 * evaluations) is rise_agent_diag_ops, which the step's arena sizing also measures. */
#include "agent_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Diagnostics on the first RISE_DIAG_STATES policy states: K candidates from the EMA
 * policy and their min(Q1, Q2); Q and V on the critic batch. Device results in *out. */
void rise_agent_diag_ops(rise_agent *a, rise_arena *ar, rise_agent_diag *o) {
    const int run = ar->be != NULL, B = a->B, K = a->cfg.candidates;
    const int S = RISE_DIAG_STATES < a->B ? RISE_DIAG_STATES : a->B, SK = S * K;
    rise_backend *be = a->be;
    memset(o, 0, sizeof *o);
    if (a->has_critic) {
        const rise_critic_frames fr = {
            (const uint8_t *const *)a->d_cframes, NULL, 0, {0, 0, 0, NULL}};
        const rise_critic_frames *frp = a->has_vision ? &fr : NULL;
        o->q = rise_arena_alloc(ar, (size_t)B);
        o->v = rise_arena_alloc(ar, (size_t)B);
        rise_iql_critic_qmin(&a->critic, ar, a->critic.qp.value, a->d_obs, a->d_act, B, o->q, frp);
        rise_iql_critic_value(&a->critic, ar, a->d_obs, B, o->v, frp);
    } else if (a->cfg.algo == RISE_ALGO_CQL) {
        o->q = rise_arena_alloc(ar, (size_t)B);
        rise_cql_qmin(&a->cql, ar, a->cql.qp.value, a->d_obs, a->d_act, B, o->q);
    }
    if (!a->has_diffusion) return;
    /* the policy's input for the S states: the low-dim history, or with camera frames the
     * EMA encoders' features of their centred crops (as evaluation sees them) */
    const float *pin = a->d_pobs;
    if (a->has_vision) {
        rise_obs_encoder_tape vt;
        const rise_rng none = {0, 0, 0, NULL};
        rise_obs_encoder_forward(&a->vis, be, a->pp.ema, ar, &vt, a->d_pobs,
                                 (const uint8_t *const *)a->d_frames, S, 0, none);
        pin = vt.out;
    }
    const int PO = a->PO;
    o->rep = rise_arena_alloc(ar, (size_t)SK * PO);
    o->cand_q = rise_arena_alloc(ar, (size_t)SK);
    if (run) {
        for (int s = 0; s < S; ++s)
            for (int k = 0; k < K; ++k)
                be->copy(be, o->rep + ((size_t)s * K + k) * PO, pin + (size_t)s * PO,
                         sizeof(float) * PO);
        const rise_rng rng = {a->cfg.seed, RISE_STREAM_AGENT_DIAG, RISE_AGENT_STEP_BLOCKS(a->step),
                              NULL};
        be->rand_normal(be, a->d_noise, rise_diffusion_noise_len(&a->diff, SK), 0.0f, 1.0f, rng);
    }
    rise_diffusion_sample(&a->diff, be, a->pp.ema, ar, o->rep, SK, a->d_noise, a->d_cand);
    if (a->has_critic && !a->has_vision) { /* (with cameras: no frames for the candidates) */
        /* The critic sees the current frame and the first action of each chunk. */
        const int D = a->cfg.obs_dim, A = a->cfg.act_dim;
        float *s0 = rise_arena_alloc(ar, (size_t)SK * D),
              *a0 = rise_arena_alloc(ar, (size_t)SK * A);
        if (run) {
            be->copy_cols(be, s0, D, 0, o->rep, a->OD, a->OD - D, SK, D, 0);
            be->copy_cols(be, a0, A, 0, a->d_cand, a->AD, 0, SK, A, 0);
        }
        rise_iql_critic_qmin(&a->critic, ar, a->critic.qp.value, s0, a0, SK, o->cand_q, NULL);
    }
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
static rise_status gauss_cql_metrics(rise_agent *a, const rise_agent_diag *d, rise_agent_metrics *m,
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
        const float *expert = rise_agent_batch_expert(a);
        put(m, "q_expert", masked_mean(hq, expert, B, 1.0f));
        put(m, "q_nonexpert", masked_mean(hq, expert, B, 0.0f));
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
    rise_agent_diag d;
    rise_agent_diag_ops(a, &a->arena, &d);
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
        const float *expert = rise_agent_batch_expert(a);
        put(m, "q_expert", masked_mean(hq, expert, B, 1.0f));
        put(m, "q_nonexpert", masked_mean(hq, expert, B, 0.0f));
        put(m, "v_expert", masked_mean(hq + B, expert, B, 1.0f));
        put(m, "v_nonexpert", masked_mean(hq + B, expert, B, 0.0f));
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
        const int cand_q = a->has_critic && !a->has_vision;
        if (cand_q) be->download(be, cq, d.cand_q, sizeof(float) * (size_t)S * K);
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
            if (cand_q) {
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
        if (cand_q) put(m, "cand_q_std", qstd / S);
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
