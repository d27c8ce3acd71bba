/* cql_critic.h - CQL on the backend table: the conservative penalty on a twin Q, the
 * SAC-style critic update of algo "cql" (with its own twin Q), its actor step with an
 * automatic entropy temperature, and IQL's critic update with the penalty added
 * (cql.enable on iql / idql / rise).
 *
 * Penalty on member i of a twin Q, over B states with C candidate actions each:
 *   X_i[b, c] = Q_i(s_b, a_bc) - log q(a_bc)       (q: the candidate's proposal density)
 *   gap_i     = mean_b logsumexp_c X_i[b, :] - mean_b Q_i(s_b, a_b)      (a_b: data action)
 *   pen_i     = w gap_i                 fixed weight w = cql.alpha
 *   pen_i     = w (gap_i - target_gap)  with cql.lagrange, w = clamp(exp(log w'), 0, 1e6),
 *               log w' (init log cql.alpha) descending L = -w mean_i (gap_i - target_gap)
 * added to the critic loss (candidates detached). Candidates, N = cql.samples per source:
 *   algo cql:  N uniform on [-1, 1]^A (log q = A log 0.5), N from pi(.|s), N from pi(.|s')
 *              (log q = their log pi), C = 3N, as CQL's reference;
 *   IQL critic: N uniform only (the diffusion policy has no density), C = N.
 *
 * algo cql, one step (rise_cql_actor_grad, rise_cql_critic_update, then the caller's
 * actor Adam), every quantity from the pre-step networks as in CQL's reference:
 *   temperature: a~ ~ pi(s), L_alpha = -log_alpha (mean_b log pi(a~|s) + H), H =
 *                entropy_target * A; Adam (lr actor_lr); alpha = exp(log_alpha)
 *   actor grads: L_pi = mean_b (alpha log pi(a~_b|s_b) - min_i Q_i(s_b, a~_b))
 *   critic:      y = r + gamma (1 - d) min_i Q'_i(s', a'), a' ~ pi(s') (no entropy term);
 *                L_Q = sum_i [mean_b (Q_i(s_b, a_b) - y_b)^2 + pen_i]; Adam; Polyak Q'
 *   Lagrange:    log w' Adam step (lr critic.lr) on the same step's gap.
 * Rewards: both critic updates train on r~ = reward_scale r + reward_bias instead of r
 * (CQL's reference maps sparse 0/1 AntMaze rewards to (r - 0.5) 4: scale 4, bias -2).
 * The penalty does not scale with r, so the transform sets how much a reward step
 * weighs against it. reward_scale 0 (a zero-initialised config) is read as 1.
 * Randomness: streams RISE_STREAM_CQL + 0..4 at the caller's offset (the step). */
#ifndef RISE_CQL_CRITIC_H
#define RISE_CQL_CRITIC_H

#include "gaussian_actor.h"
#include "iql_critic.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_STREAM_CQL                                                                            \
    0x41000040u /* +0 actor draw, +1 target a', +2 pi(s), +3 pi(s'), +4 uniform */

typedef struct {
    int obs_dim, act_dim;
    int width, depth, layernorm;     /* own twin Q (algo cql) */
    int hidden[RISE_MLP_MAX_HIDDEN]; /* hidden[0] > 0: per-layer widths (as rise_iql_config) */
    float discount, tau;
    rise_adam_hparams q_opt; /* own Q; its lr is also the Lagrange multiplier's */
    float alpha;             /* penalty weight (initial value with lagrange) */
    int lagrange;
    float target_gap;
    int samples;          /* N per source */
    float actor_lr;       /* entropy temperature's Adam lr (algo cql) */
    float entropy_target; /* per action dim */
    float reward_scale;   /* r~ = reward_scale r + reward_bias; 0 is read as 1 */
    float reward_bias;
} rise_cql_config;

/* Backend scalars in `metrics`. */
enum {
    RISE_CQL_LOSS_TD = 0, /* sum over members of the TD mean squares (own Q) */
    RISE_CQL_PENALTY,     /* sum_i pen_i */
    RISE_CQL_GAP,         /* mean_i gap_i */
    RISE_CQL_WEIGHT,      /* w */
    RISE_CQL_Q_MEAN,      /* own Q: mean of Q_i(s, a) over both members */
    RISE_CQL_GRAD_Q,      /* own Q: sum of squared gradients */
    RISE_CQL_LOSS_PI,     /* actor loss */
    RISE_CQL_ALPHA,       /* entropy temperature */
    RISE_CQL_ENTROPY,     /* -mean log pi(a~|s) */
    RISE_CQL_N_METRICS
};

typedef struct {
    rise_cql_config cfg;
    rise_backend *be;
    int own_q;
    rise_mlp q;
    rise_params qp; /* own_q: twin Q with a target slot */
    rise_params tp; /* "log_alpha" (entropy), "log_alpha_prime" (Lagrange), Adam each */
    size_t off_alpha, off_prime;
    float *metrics; /* [RISE_CQL_N_METRICS + 8]: metrics, then scratch scalars */
} rise_cql;

/* own_q: build algo cql's twin Q (seeded like the IQL critic's). */
rise_status rise_cql_create(rise_cql *k, rise_backend *be, const rise_cql_config *cfg, int own_q,
                            uint64_t seed);
void rise_cql_free(rise_cql *k);

/* q [B] = min(Q1, Q2)(s, a) of the own Q with slot w (value or target). */
void rise_cql_qmin(const rise_cql *k, rise_arena *ar, const float *w, const float *obs,
                   const float *act, int batch, float *q);

/* algo cql: temperature step and the actor's gradients (accumulated into pg) on obs [B, D]. */
void rise_cql_actor_grad(rise_cql *k, const rise_gauss_actor *pi, const float *pw, float *pg,
                         rise_arena *ar, const float *obs, int batch, int step, rise_rng rng);
/* algo cql: the critic update (own Q) with candidates from pi (weights pw). */
void rise_cql_critic_update(rise_cql *k, const rise_gauss_actor *pi, const float *pw,
                            rise_arena *ar, const float *obs, const float *act,
                            const float *next_obs, const float *r, const float *done, int batch,
                            int step, rise_rng rng);
/* IQL's update (iql_critic.h: V, Q, targets, metrics in c->metrics) with the penalty on Q
 * over uniform candidates. */
void rise_cql_iql_update(rise_cql *k, rise_iql_critic *c, rise_arena *ar, const float *obs,
                         const float *act, const float *next_obs, const float *r, const float *done,
                         int batch, int step, rise_rng rng, const rise_iql_taps *taps);

#ifdef __cplusplus
}
#endif
#endif
