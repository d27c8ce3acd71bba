/* iql_critic.h - IQL's critic: twin Q with Polyak targets and a state value V fitted by
 * expectile regression, on the backend table (used by IQL, IDQL and RISE).
 *
 * One update on a batch (s, a, r, d, s'):
 *   V:  L_V = mean |tau - 1(u < 0)| u^2,  u = min(Q1', Q2')(s, a) - V(s)   (targets Q')
 *   Q:  L_Q = sum_i mean (r + gamma (1 - d) V(s') - Q_i(s, a))^2
 *   Q' <- (1 - rate) Q' + rate Q
 * V(s') in Q's target is V before this update's V step (q_target_v_before: RISE's code,
 * which forms every loss from the pre-step networks before stepping any) or after it
 * (IQL's reference order: V, then Q toward the new V). Both networks are MLPs (Q is an
 * ensemble of two sharing one strided-batched GEMM per layer) over [s, a] and s, each
 * with its own flat parameter buffer and Adam state. Losses and means stay on the
 * backend (scalars in `metrics`) until the caller reads them. */
#ifndef RISE_IQL_CRITIC_H
#define RISE_IQL_CRITIC_H

#include "mlp.h"
#include "obs_encoder.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int obs_dim, act_dim;
    int width, depth, layernorm;
    int hidden[RISE_MLP_MAX_HIDDEN]; /* hidden[0] > 0: per-layer widths of the depth layers */
    float discount, tau, expectile;
    int q_target_v_before; /* 1: V(s') from before the V step (RISE's code); 0: after (IQL) */
    rise_adam_hparams q_opt, v_opt;
    /* camera frames (vision.n_cams > 0): each network (Q1, Q2, V) reads the current frame
     * through its own encoders (obs_encoder.h, frames 1; lowdim = obs_dim), as in RISE's
     * code, where every critic is a robomimic value network with its own encoder; the
     * targets Q1', Q2' are Polyak copies of Q's encoders too */
    rise_obs_encoder_config vision;
} rise_iql_config;

/* The camera frames of the states a call is given (a critic with cameras; NULL without):
 * obs[k] / next[k] [B, h, w, c] of camera k for obs / next_obs (next: the update only).
 * random 1: each network's crops drawn from crop (the update); 0: centred. With rep (backend
 * int32 [B], not in an update), obs[k] holds frame_rows frames and state i shows frame rep[i]:
 * each frame is encoded once for the states that share it (extraction's K candidates). */
typedef struct {
    const uint8_t *const *obs, *const *next;
    int random;
    rise_rng crop;
    const int32_t *rep;
    int frame_rows;
} rise_critic_frames;

/* Backend scalars written by an update. */
enum {
    RISE_IQL_LOSS_Q = 0,
    RISE_IQL_LOSS_V,
    RISE_IQL_Q_MEAN,
    RISE_IQL_V_MEAN,
    RISE_IQL_GRAD_Q, /* sum of squared gradients */
    RISE_IQL_GRAD_V,
    RISE_IQL_N_METRICS
};

typedef struct {
    rise_iql_config cfg;
    rise_mlp q, v;
    rise_obs_encoder q_enc[2], v_enc; /* with cameras */
    int state_dim;                    /* what Q and V read of a state: D, or D + C F */
    rise_params qp, vp;               /* qp has a target slot */
    rise_backend *be;
    float *metrics; /* [RISE_IQL_N_METRICS] on the backend */
} rise_iql_critic;

rise_status rise_iql_critic_create(rise_iql_critic *c, rise_backend *be, const rise_iql_config *cfg,
                                   uint64_t seed);
void rise_iql_critic_free(rise_iql_critic *c);

/* What an update computes anyway and a caller's policy step needs next (AWR's weights):
 * each [B] on the backend, or NULL when not wanted. Both are from before this update's
 * steps, as in IQL's reference (the actor's advantage uses V before V's step). */
typedef struct {
    float *q_target_min; /* min(Q1', Q2')(s, a) with the target slot */
    float *v_before;     /* V(s) before the V step */
} rise_iql_taps;

/* One update; obs/next_obs [B, D], act [B, A], r/done [B] on the backend; fr: their frames
 * (NULL without cameras). step is 1-based (Adam bias correction). taps may be NULL. */
void rise_iql_critic_update(rise_iql_critic *c, rise_arena *ar, const float *obs, const float *act,
                            const float *next_obs, const float *r, const float *done, int batch,
                            int step, const rise_iql_taps *taps, const rise_critic_frames *fr);

/* Extra terms of the Q loss (CQL's penalty on this critic): called once per update, on
 * the measuring pass too, after the TD loss, with Q(s, a) q [2, B] and its gradient dq
 * [2, B]. It may add to dq and accumulate further gradients into c->qp.grad; scratch
 * comes from ar (rewound by the update). */
typedef void (*rise_iql_q_hook)(void *ctx, rise_iql_critic *c, rise_arena *ar, const float *q,
                                float *dq);
void rise_iql_critic_update_hooked(rise_iql_critic *c, rise_arena *ar, const float *obs,
                                   const float *act, const float *next_obs, const float *r,
                                   const float *done, int batch, int step, rise_iql_q_hook hook,
                                   void *hook_ctx, const rise_iql_taps *taps,
                                   const rise_critic_frames *fr);

/* q [B] = min(Q1, Q2)(s, a) with the parameter slot w (value or target); fr: the states'
 * frames (centred crops; NULL without cameras). */
void rise_iql_critic_qmin(const rise_iql_critic *c, rise_arena *ar, const float *w,
                          const float *obs, const float *act, int batch, float *q,
                          const rise_critic_frames *fr);
/* v [B] = V(s). */
void rise_iql_critic_value(const rise_iql_critic *c, rise_arena *ar, const float *obs, int batch,
                           float *v, const rise_critic_frames *fr);

#ifdef __cplusplus
}
#endif
#endif
