/* agent_step.c - one training step of the agent and its scratch sizing.
 *
 * (Metrics and diagnostics: agent_metrics.c.)
 *
 * Phases: with relabelled pairs, step s is a pair step when (s / relabel.block) %
 * relabel.every == relabel.every - 1 (RISE's code: epochs of 100 steps, the even ones on
 * pairs); a pair step trains the policy on a batch of pairs and, as RISE's code does, leaves
 * the critic alone (relabel.critic_on_pairs: rise's earlier rule, a critic update on a
 * regular batch in every step). The critic's Adam counts its own updates.
 * A step: draw B transition indices (sampler) when the critic or the policy needs them,
 * gather the critic batch (s, a_0, r, d, s') and the policy batch (observation history,
 * action chunk, or the pairs'; plus M action-noise copies per row) on the host and upload
 * it (or, with data_on_backend, do the same on the backend: agent_data.c), then on the
 * backend: critic update (V, Q, targets; with the CQL penalty when cql.enable), policy loss +
 * spectral penalty + Adam, and the EMA (diffusers' warm-up decay; averaging the weights from
 * before the Adam step, as RISE's code steps its EMA while forming the loss, or after it).
 * Nothing is read back here.
 * With the device clock (agent_clock.c) the same ops read the step number and Philox
 * positions from backend memory, and the step is replayed as a CUDA graph where the
 * backend has graphs.
 * The Gaussian actors train on the critic batch:
 *   iql: q = min Q'(s, a) (targets before the critic update), critic update, v = V(s)
 *        (updated V), w = min(exp(beta (q - v)), max_w), AWR loss, Adam (policy.lr);
 *        this is IQL's reference order (V, actor, Q, targets) with identical inputs.
 *   cql: temperature + actor gradients with the pre-step Q, critic update with the
 *        pre-step actor, then the actor's Adam (cql.actor_lr) (cql_critic.h). */
#include "agent_internal.h"
#include "critic_ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../data/action_noise.h"
#include "../data/frames.h"
#include "../data/sequence.h"

/* The policy batch's camera frames [Bp, To, h w c]: the history of each sampled row (of a
 * pair's observation transition in a pair step), and copies of row b for its M noisy rows
 * B + b M + m (as the low-dim history). */
static void gather_frames(rise_agent *a) {
    const rise_agent_config *c = &a->cfg;
    const int B = a->B, M = c->noise_copies;
    if (!a->has_vision) return;
    const int64_t *rows = a->idx;
    if (a->last_policy_from_pairs) {
        for (int b = 0; b < B; ++b) a->pair_frame_idx[b] = a->pairs.obs_idx[a->pidx[b]];
        rows = a->pair_frame_idx;
    }
    for (int k = 0; k < c->vision.n_cams; ++k) {
        const rise_camera_shape *cam = &c->vision.cam[k];
        const size_t row = (size_t)c->obs_horizon * cam->h * cam->w * cam->c;
        uint8_t *f = a->h_frames[k];
        /* in memory this cannot fail; a streamed read that fails stops the step before any
         * op runs (rise_agent_step returns the error) */
        a->io_status = rise_gather_frames(a->ts, k, rows, B, c->obs_horizon, 0, f);
        if (a->io_status != RISE_OK) return;
        for (int b = 0; b < B; ++b)
            for (int m = 0; m < M; ++m)
                memcpy(f + ((size_t)B + (size_t)b * M + m) * row, f + (size_t)b * row, row);
    }
}

static void gather_policy_batch(rise_agent *a) {
    const rise_agent_config *c = &a->cfg;
    const rise_trainset *ts = a->ts;
    const int B = a->B, OD = a->OD, AD = a->AD, M = c->noise_copies;
    if (a->last_policy_from_pairs) {
        rise_sampler_next(&a->pair_sampler, a->pidx);
        rise_pairs_gather(ts, &a->pairs, a->pidx, B, c->obs_horizon, c->action_horizon, a->h_pobs,
                          a->h_chunk, a->h_valid);
    } else {
        rise_gather_obs_history(ts, a->idx, B, c->obs_horizon, a->h_pobs);
        rise_gather_action_chunk(ts, a->idx, B, c->action_horizon, a->h_chunk, a->h_valid);
    }
    gather_frames(a);
    if (M == 0) return;
    /* Rows B + b M + m: copy m of row b, the chunk with noise sigma_m, clipped. */
    rise_action_noise_levels(M, c->noise_lo, c->noise_hi, a->h_sigma);
    const rise_rng rng = rise_agent_step_rng(a, RISE_STREAM_AGENT_NOISE);
    rise_action_noise_ref(a->h_chunk, B, AD, M, a->h_sigma, rng, a->h_noisy, NULL, NULL);
    memcpy(a->h_chunk + (size_t)B * AD, a->h_noisy, sizeof(float) * (size_t)B * M * AD);
    for (int b = 0; b < B; ++b)
        for (int m = 0; m < M; ++m)
            memcpy(a->h_pobs + ((size_t)B + (size_t)b * M + m) * OD, a->h_pobs + (size_t)b * OD,
                   sizeof(float) * OD);
}

/* A critic with cameras: the current and next frame of each transition of the critic batch.
 * The current one is the last frame of the policy row's history when the policy trained on
 * the same transitions (no second read of the same frames); a pair step reads it. */
static void gather_critic_frames(rise_agent *a) {
    const rise_agent_config *c = &a->cfg;
    const int B = a->B, To = c->obs_horizon;
    for (int k = 0; k < c->vision.n_cams && a->io_status == RISE_OK; ++k) {
        const rise_camera_shape *cam = &c->vision.cam[k];
        const size_t fb = (size_t)cam->h * cam->w * cam->c;
        if (a->last_policy_from_pairs)
            a->io_status = rise_gather_frames(a->ts, k, a->idx, B, 1, 0, a->h_cframes[k]);
        else
            for (int b = 0; b < B; ++b)
                memcpy(a->h_cframes[k] + (size_t)b * fb,
                       a->h_frames[k] + ((size_t)b * To + To - 1) * fb, fb);
        if (a->io_status == RISE_OK)
            a->io_status = rise_gather_frames(a->ts, k, a->idx, B, 1, 1, a->h_nframes[k]);
    }
}

static void gather_and_upload(rise_agent *a) {
    if (a->data_on_backend) { /* the same batch, assembled on the backend (agent_data.c) */
        rise_agent_data_gather(a);
        return;
    }
    const int B = a->B;
    const size_t D = (size_t)a->cfg.obs_dim, A = (size_t)a->cfg.act_dim;
    rise_backend *be = a->be;
    if (a->last_regular_batch) {
        rise_sampler_next(&a->sampler, a->idx);
        rise_gather_transitions(a->ts, a->idx, B, a->h_obs, a->h_next, a->h_act, a->h_r, a->h_d,
                                a->h_expert);
    }
    if (!a->has_gauss) gather_policy_batch(a);
    if (a->io_status == RISE_OK && a->last_regular_batch && a->has_critic) gather_critic_frames(a);
    if (a->io_status != RISE_OK) return;
    if (a->last_critic_update || a->has_gauss) {
        for (int k = 0; a->has_critic && k < a->cfg.vision.n_cams; ++k) {
            const rise_camera_shape *cam = &a->cfg.vision.cam[k];
            const size_t bytes = (size_t)B * cam->h * cam->w * cam->c;
            be->upload(be, a->d_cframes[k], a->h_cframes[k], bytes);
            be->upload(be, a->d_nframes[k], a->h_nframes[k], bytes);
        }
        be->upload(be, a->d_obs, a->h_obs, sizeof(float) * B * D);
        be->upload(be, a->d_next, a->h_next, sizeof(float) * B * D);
        be->upload(be, a->d_act, a->h_act, sizeof(float) * B * A);
        be->upload(be, a->d_r, a->h_r, sizeof(float) * B);
        be->upload(be, a->d_d, a->h_d, sizeof(float) * B);
    }
    if (a->has_gauss) return;
    for (int k = 0; k < a->cfg.vision.n_cams; ++k) {
        const rise_camera_shape *cam = &a->cfg.vision.cam[k];
        be->upload(be, a->d_frames[k], a->h_frames[k],
                   (size_t)a->Bp * a->cfg.obs_horizon * cam->h * cam->w * cam->c);
    }
    be->upload(be, a->d_pobs, a->h_pobs, sizeof(float) * (size_t)a->Bp * a->OD);
    be->upload(be, a->d_chunk, a->h_chunk, sizeof(float) * (size_t)a->Bp * a->AD);
}

static void policy_adam(rise_agent *a, float lr) {
    const rise_agent_config *c = &a->cfg;
    const rise_adam_hparams hp = {
        lr, 0.9f, 0.999f, 1e-8f, c->policy_weight_decay, c->max_grad_norm, rise_agent_step_add(a)};
    rise_params_adam_step(&a->pp, a->be, &hp, rise_agent_adam_step(a), a->pm + 1);
}

static void policy_update(rise_agent *a, rise_arena *ar) {
    const rise_agent_config *c = &a->cfg;
    rise_backend *be = a->be;
    const int run = ar->be != NULL;
    const size_t mark = rise_arena_mark(ar);
    const rise_rng rng = rise_agent_step_rng(a, RISE_STREAM_AGENT_POLICY);
    if (run) rise_params_zero_grad(&a->pp);
    /* the policy's input: the low-dim history, or it and the cameras' features */
    rise_obs_encoder_tape vt;
    const float *pin = a->d_pobs;
    float *dpin = NULL;
    if (a->has_vision) {
        const rise_rng crop = rise_agent_step_rng(a, RISE_STREAM_AGENT_CROP);
        rise_obs_encoder_forward(&a->vis, be, a->pp.value, ar, &vt, a->d_pobs,
                                 (const uint8_t *const *)a->d_frames, a->Bp, 1, crop);
        pin = vt.out;
        dpin = rise_arena_alloc(ar, (size_t)a->Bp * a->PO);
    }
    if (a->has_diffusion) {
        rise_diffusion_loss(&a->diff, be, a->pp.value, a->pp.grad, ar, pin, a->d_chunk, NULL, a->Bp,
                            rng, a->pm, dpin);
        if (run && a->diff.n_spec)
            rise_diffusion_spectral(&a->diff, be, a->pp.value, a->pp.grad, c->spectral_lambda);
    } else {
        rise_mlp_tape t;
        const rise_rng drop = rise_rng_substream(rng, 1);
        rise_mlp_forward(&a->bc, be, a->pp.value, ar, &t, pin, a->Bp, 1, 1, drop);
        float *dy = rise_arena_alloc(ar, (size_t)a->Bp * a->AD);
        if (run) be->mse(be, a->pm, dy, t.y, a->d_chunk, NULL, (size_t)a->Bp * a->AD, 1.0f);
        rise_mlp_backward(&a->bc, be, a->pp.value, a->pp.grad, ar, &t, dy, dpin, 0);
    }
    if (a->has_vision)
        rise_obs_encoder_backward(&a->vis, be, a->pp.value, a->pp.grad, ar, &vt, dpin);
    if (run) {
        const rise_ema_hparams eh = {c->ema, c->ema_power, rise_agent_step_add(a)};
        const int n = rise_agent_adam_step(a);
        if (a->has_diffusion && c->ema_before)
            be->ema(be, a->pp.ema, a->pp.value, a->pp.size, &eh, n);
        policy_adam(a, c->policy_lr);
        if (a->has_diffusion && !c->ema_before)
            be->ema(be, a->pp.ema, a->pp.value, a->pp.size, &eh, n);
    }
    rise_arena_rewind(ar, mark);
}

/* IQL's actor: qt = min Q'(s, a) from before the critic update. */
/* AWR on the advantage min(Q1', Q2')(s, a) - V(s), both from before this step's critic
 * update (IQL's reference order); the critic update hands them over, so neither network
 * runs a second forward on the same batch. */
static void awr_update(rise_agent *a, rise_arena *ar, const float *qt, const float *v) {
    const rise_agent_config *c = &a->cfg;
    rise_backend *be = a->be;
    const int run = ar->be != NULL, B = a->B;
    const size_t mark = rise_arena_mark(ar);
    float *wt = rise_arena_alloc(ar, (size_t)B);
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
    const int run = ar->be != NULL, step = rise_agent_adam_step(a);
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
    const int step = rise_agent_critic_adam_step(a);
    const rise_rng crng = rise_agent_step_rng(a, RISE_STREAM_CQL);
    if (a->cfg.algo == RISE_ALGO_CQL) {
        cql_step(a, ar, crng);
        return;
    }
    const size_t mark = rise_arena_mark(ar);
    rise_iql_taps taps = {NULL, NULL}; /* IQL's actor reads what the critic update computes */
    if (a->cfg.algo == RISE_ALGO_IQL) {
        taps.q_target_min = rise_arena_alloc(ar, (size_t)a->B);
        taps.v_before = rise_arena_alloc(ar, (size_t)a->B);
    }
    if (!a->last_critic_update) {
        /* pair step: the critic rests (IQL, a Gaussian actor, has no pair steps) */
    } else if (a->has_critic && a->has_cql)
        rise_cql_iql_update(&a->cql, &a->critic, ar, a->d_obs, a->d_act, a->d_next, a->d_r, a->d_d,
                            a->B, step, crng, &taps);
    else if (a->has_critic) {
        /* with cameras, each critic network's own random crops of the batch's frames */
        const rise_critic_frames fr = {(const uint8_t *const *)a->d_cframes,
                                       (const uint8_t *const *)a->d_nframes, 1,
                                       rise_agent_step_rng(a, RISE_STREAM_AGENT_CROP + 1)};
        rise_iql_critic_update(&a->critic, ar, a->d_obs, a->d_act, a->d_next, a->d_r, a->d_d, a->B,
                               step, &taps, a->has_vision ? &fr : NULL);
    }
    if (a->cfg.algo == RISE_ALGO_IQL)
        awr_update(a, ar, taps.q_target_min, taps.v_before);
    else
        policy_update(a, ar);
    rise_arena_rewind(ar, mark);
}

rise_status rise_agent_size_arena(rise_agent *a) {
    rise_arena m;
    rise_arena_init_measure(&m);
    a->last_critic_update = a->has_critic || a->has_cql; /* the larger phase */
    step_ops(a, &m);
    size_t peak = m.peak;
    rise_arena_init_measure(&m);
    rise_agent_diag d;
    rise_agent_diag_ops(a, &m, &d);
    if (m.peak > peak) peak = m.peak;
    return rise_arena_init(&a->arena, a->be,
                           peak + 4 * RISE_ARENA_ALIGN_FLOATS); /* + metric scalars */
}

/* Everything a step issues on the backend (and, on the host path, its gathers). */
static void step_body(rise_agent *a) {
    gather_and_upload(a);
    if (a->io_status != RISE_OK) return;
    rise_arena_rewind(&a->arena, 0);
    step_ops(a, &a->arena);
}

rise_status rise_agent_step(rise_agent *a) {
    if (!a->ts) return rise_error(RISE_ERR_INVALID, "agent: no training data attached");
    const rise_agent_config *c = &a->cfg;
    const int64_t phase = a->step / c->relabel_block;
    const int pairs = !a->has_gauss && a->has_pairs && a->pairs.n > 0 &&
                      phase % c->relabel_every == c->relabel_every - 1;
    a->last_policy_from_pairs = pairs;
    a->last_critic_update = (a->has_critic || a->has_cql) && (!pairs || c->relabel_critic_on_pairs);
    a->last_regular_batch = !pairs || a->last_critic_update;
    a->io_status = RISE_OK;
    if (a->clock)
        RISE_TRY(rise_agent_clock_step(a, step_body));
    else
        step_body(a);
    if (a->io_status != RISE_OK) return a->io_status; /* no op ran: nothing trained */
    if (a->data_on_backend) { /* the backend drew with the counters; the host path advanced them */
        if (a->last_regular_batch) rise_sampler_skip(&a->sampler);
        if (a->last_policy_from_pairs) rise_sampler_skip(&a->pair_sampler);
    }
    a->step++;
    return RISE_OK;
}
