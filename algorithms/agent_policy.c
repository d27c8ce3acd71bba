/* agent_policy.c - a trained agent as an envs/ policy (batch of observations in, action
 * chunks out).
 *
 * Per call, on n rows: normalise the observations on the host and upload the n rows
 * (and each row's Philox position); on the backend, BC-MLP runs its network; diffusion
 * policies repeat each row K times (K = extract.candidates for IDQL/RISE, 1 for
 * diffusion BC), draw the candidates' noise from Philox (seed, episode key, step index:
 * candidate_noise) so results do not depend on batching, sample with the EMA weights,
 * score the first action of each candidate with min(Q1, Q2) and keep the argmax per row
 * (ties: the first), or, with extract.rule = expectile, IDQL's resampling with weights
 * tau / 1 - tau by the sign of Q - V (drawn on the host). The Gaussian actors act
 * deterministically: IQL with its mean, CQL with tanh of its mean. Actions are
 * un-normalised and clipped to [-1, 1]. Where the backend has graphs (and
 * train.step_graph is not 0) the backend part is captured once per (n, seed) and
 * replayed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"
#include "../envs/camera_view.h"

typedef struct {
    rise_agent *a;
    int K, cap; /* candidates per row; rows x K the buffers hold */
    rise_extract_rule rule;
    rise_arena ar;
    float *d_rows, *d_obs, *d_noise, *d_x, *d_s0, *d_a0, *d_q, *d_v, *d_sel;
    int32_t *d_rep;     /* [cap]: candidate row r K + k <- row r */
    uint64_t *d_rowoff; /* [cap / K]: each row's Philox position */
    float *h_rows, *h_x, *h_q, *h_v;
    uint64_t *h_rowoff;
    void *graph;   /* the captured backend part of a call, for graph_n rows and graph_seed */
    int graph_off; /* a capture failed: calls run without a graph from then on */
    int graph_n;
    uint64_t graph_seed;
    int env_dim;  /* E: width of the observations the caller passes */
    int *col_map; /* [D]: model column j <- caller column col_map[j] */
    /* camera frames (a policy that reads them): the caller's for this call (given, set by
     * rise_agent_policy_act_frames), else rendered from the observations by the bound env's
     * camera view (envs/camera_view.h), [cap rows, To, h w c] per camera */
    const uint8_t *const *given;
    const rise_env *view;
    char cam_names[RISE_OBS_MAX_CAMERAS][RISE_OBS_CAMERA_NAME_MAX];
    uint8_t *h_frames[RISE_OBS_MAX_CAMERAS], *d_frames[RISE_OBS_MAX_CAMERAS];
    /* the critic's: each row's current frame, shared by its K candidates, [rows, h w c] */
    uint8_t *h_cframes[RISE_OBS_MAX_CAMERAS], *d_cframes[RISE_OBS_MAX_CAMERAS];
} agent_policy;

static void free_buffers(agent_policy *p) {
    rise_backend *be = p->a->be;
    if (p->graph) be->graph_destroy(be, p->graph);
    p->graph = NULL;
    void *dev[] = {p->d_rows, p->d_obs, p->d_noise, p->d_x,   p->d_s0,    p->d_a0,
                   p->d_q,    p->d_v,   p->d_sel,   p->d_rep, p->d_rowoff};
    for (size_t i = 0; i < sizeof dev / sizeof dev[0]; ++i)
        if (dev[i]) be->free(be, dev[i]);
    void *host[] = {p->h_rows, p->h_x, p->h_q, p->h_v, p->h_rowoff};
    for (size_t i = 0; i < sizeof host / sizeof host[0]; ++i) free(host[i]);
    for (int k = 0; k < RISE_OBS_MAX_CAMERAS; ++k) {
        if (p->d_frames[k]) be->free(be, p->d_frames[k]);
        if (p->d_cframes[k]) be->free(be, p->d_cframes[k]);
        free(p->h_frames[k]);
        free(p->h_cframes[k]);
        p->d_frames[k] = p->h_frames[k] = p->d_cframes[k] = p->h_cframes[k] = NULL;
    }
    rise_arena_free(&p->ar);
    p->d_rows = p->d_obs = p->d_noise = p->d_x = p->d_s0 = p->d_a0 = p->d_q = p->d_v = p->d_sel =
        NULL;
    p->d_rep = NULL;
    p->d_rowoff = p->h_rowoff = NULL;
    p->h_rows = p->h_x = p->h_q = p->h_v = NULL;
    p->cap = 0;
}

/* Best-of-K by argmax runs on the backend (fused argmax + gather). */
static int fused_argmax(const agent_policy *p) {
    return p->a->has_diffusion && p->a->has_critic && p->K > 1 && p->rule == RISE_EXTRACT_ARGMAX;
}

/* The backend work of one call on N = n K rows (measure-safe): the rows repeated K times,
 * the candidates' noise, the network(s) and the choice. */
static void policy_ops(agent_policy *p, rise_arena *ar, int n, uint64_t seed) {
    rise_agent *a = p->a;
    rise_backend *be = a->be;
    const int N = n * p->K, D = a->cfg.obs_dim, A = a->cfg.act_dim;
    const rise_rng none = {0, 0, 0, NULL};
    /* the policy's input per row: its low-dim history, or that and its frames' features
     * (centred crops, the weights the policy samples with) */
    const float *rows = p->d_rows;
    if (a->has_vision) {
        rise_obs_encoder_tape vt;
        rise_obs_encoder_forward(&a->vis, be, rise_agent_acting_weights(a), ar, &vt, p->d_rows,
                                 (const uint8_t *const *)p->d_frames, n, 0, none);
        rows = vt.out;
    }
    if (ar->be) {
        be->gather_rows(be, p->d_obs, rows, n, p->d_rep, N, a->PO, NULL, NULL);
        if (a->has_diffusion)
            be->candidate_noise(be, p->d_noise, p->d_rowoff, n, p->K, a->diff.n_steps + 1, a->AD,
                                seed, RISE_STREAM_AGENT_EVAL);
    }
    if (a->has_gauss) {
        rise_gauss_actor_act(&a->actor, be, a->pp.value, ar, p->d_obs, N, p->d_x);
        return;
    }
    if (!a->has_diffusion) {
        rise_mlp_tape t;
        rise_mlp_forward(&a->bc, be, a->pp.value, ar, &t, p->d_obs, N, 1, 0, none);
        if (ar->be) be->copy(be, p->d_x, t.y, sizeof(float) * (size_t)N * a->AD);
        return;
    }
    rise_diffusion_sample(&a->diff, be, a->pp.ema, ar, p->d_obs, N, p->d_noise, p->d_x);
    if (!a->has_critic || p->K == 1) return;
    if (ar->be) {
        /* the current frame's low-dim keys: the last frame's first D columns */
        be->copy_cols(be, p->d_s0, D, 0, p->d_obs, a->PO, a->PO - a->PO / a->cfg.obs_horizon, N, D,
                      0);
        be->copy_cols(be, p->d_a0, A, 0, p->d_x, a->AD, 0, N, A, 0);
    }
    const rise_critic_frames fr = {
        (const uint8_t *const *)p->d_cframes, NULL, 0, none, p->d_rep, n};
    const rise_critic_frames *frp = a->has_vision ? &fr : NULL;
    rise_iql_critic_qmin(&a->critic, ar, a->critic.qp.value, p->d_s0, p->d_a0, N, p->d_q, frp);
    if (p->rule == RISE_EXTRACT_EXPECTILE)
        rise_iql_critic_value(&a->critic, ar, p->d_s0, N, p->d_v, frp);
    else if (ar->be)
        be->argmax_select(be, p->d_sel, NULL, p->d_q, p->d_x, n, p->K, a->AD);
}

static rise_status ensure_capacity(agent_policy *p, int n) {
    if (n * p->K <= p->cap) return RISE_OK;
    rise_agent *a = p->a;
    rise_backend *be = a->be;
    free_buffers(p);
    const int rows = n < 64 ? 64 : n, N = rows * p->K;
    const size_t L = a->has_diffusion ? rise_diffusion_noise_len(&a->diff, N) : 1;
    const size_t D = (size_t)a->cfg.obs_dim, A = (size_t)a->cfg.act_dim;
    const size_t OD = a->OD ? (size_t)a->OD : 1; /* a camera-only model has no low-dim rows */
    p->d_rows = be->alloc(be, sizeof(float) * rows * OD);
    p->d_obs = be->alloc(be, sizeof(float) * N * a->PO);
    p->d_noise = be->alloc(be, sizeof(float) * L);
    p->d_x = be->alloc(be, sizeof(float) * N * a->AD);
    p->d_s0 = be->alloc(be, sizeof(float) * N * D);
    p->d_a0 = be->alloc(be, sizeof(float) * N * A);
    p->d_q = be->alloc(be, sizeof(float) * N);
    p->d_v = be->alloc(be, sizeof(float) * N);
    p->d_sel = be->alloc(be, sizeof(float) * N * a->AD);
    p->d_rep = be->alloc(be, sizeof(int32_t) * N);
    p->d_rowoff = be->alloc(be, sizeof(uint64_t) * rows);
    p->h_rows = malloc(sizeof(float) * rows * OD);
    int frames_ok = 1;
    for (int k = 0; k < a->cfg.vision.n_cams; ++k) {
        const rise_camera_shape *cam = &a->cfg.vision.cam[k];
        const size_t bytes = (size_t)rows * a->cfg.obs_horizon * cam->h * cam->w * cam->c;
        p->h_frames[k] = malloc(bytes);
        p->d_frames[k] = be->alloc(be, bytes);
        frames_ok = frames_ok && p->h_frames[k] && p->d_frames[k];
        if (!a->has_critic) continue;
        const size_t cbytes = (size_t)rows * cam->h * cam->w * cam->c;
        p->h_cframes[k] = malloc(cbytes);
        p->d_cframes[k] = be->alloc(be, cbytes);
        frames_ok = frames_ok && p->h_cframes[k] && p->d_cframes[k];
    }
    p->h_x = malloc(sizeof(float) * N * a->AD);
    p->h_q = malloc(sizeof(float) * N);
    p->h_v = malloc(sizeof(float) * N);
    p->h_rowoff = malloc(sizeof(uint64_t) * rows);
    int32_t *rep = malloc(sizeof(int32_t) * N);
    if (!p->d_rows || !p->d_obs || !p->d_noise || !p->d_x || !p->d_s0 || !p->d_a0 || !p->d_q ||
        !p->d_v || !p->d_sel || !p->d_rep || !p->d_rowoff || !p->h_rows || !p->h_x || !p->h_q ||
        !p->h_v || !p->h_rowoff || !rep || !frames_ok) {
        free(rep);
        free_buffers(p);
        return rise_error(RISE_ERR_NOMEM, "agent policy: out of memory for %d rows", N);
    }
    for (int i = 0; i < N; ++i) rep[i] = i / p->K;
    be->upload(be, p->d_rep, rep, sizeof(int32_t) * N);
    free(rep);
    p->cap = N;
    rise_arena m;
    rise_arena_init_measure(&m);
    policy_ops(p, &m, N / p->K, 0);
    const rise_status st = rise_arena_init(&p->ar, be, m.peak + RISE_ARENA_ALIGN_FLOATS);
    if (st != RISE_OK) free_buffers(p);
    return st;
}

/* The backend part of a call on n rows, captured once per (n, seed) where the backend has
 * graphs. A failed capture ran nothing (backend.h): warn, and run without a graph from then
 * on. */
static rise_status run_backend(agent_policy *p, int n, uint64_t seed) {
    rise_backend *be = p->a->be;
    if (p->graph && (p->graph_n != n || p->graph_seed != seed)) {
        be->graph_destroy(be, p->graph);
        p->graph = NULL;
    }
    if (be->graph_begin && p->a->cfg.step_graph != 0 && !p->graph_off && !p->graph) {
        rise_status st = be->graph_begin(be);
        if (st == RISE_OK) {
            rise_arena_rewind(&p->ar, 0);
            policy_ops(p, &p->ar, n, seed);
            st = be->graph_end(be, &p->graph);
        }
        if (st == RISE_OK) {
            p->graph_n = n;
            p->graph_seed = seed;
        } else {
            p->graph = NULL;
            p->graph_off = 1;
            rise_warning("agent policy: capturing the extraction as a CUDA graph failed, so it "
                         "runs without one from now on (same actions): %s",
                         rise_last_error());
        }
    }
    if (p->graph) {
        be->graph_launch(be, p->graph);
        return RISE_OK;
    }
    rise_arena_rewind(&p->ar, 0);
    policy_ops(p, &p->ar, n, seed);
    return RISE_OK;
}

/* Each camera's frames of the n rows' To observations src [n, To, E] (the caller's layout):
 * the caller's (p->given), else drawn by the bound env's camera view; uploaded, and for a
 * critic each row's current frame (its K candidates share it: rise_critic_frames' rep). */
static rise_status render_frames(agent_policy *p, int n, const float *src, int To) {
    rise_agent *a = p->a;
    for (int k = 0; k < a->cfg.vision.n_cams; ++k) {
        const rise_camera_shape *cam = &a->cfg.vision.cam[k];
        const size_t fb = (size_t)cam->h * cam->w * cam->c;
        const uint8_t *frames = p->given ? p->given[k] : p->h_frames[k];
        if (!p->given)
            RISE_TRY(rise_camera_view(p->view, p->cam_names[k], src, (int64_t)n * To, cam->h,
                                      cam->w, cam->c, p->h_frames[k]));
        a->be->upload(a->be, p->d_frames[k], frames, (size_t)n * To * fb);
        if (!a->has_critic) continue;
        for (int r = 0; r < n; ++r)
            memcpy(p->h_cframes[k] + (size_t)r * fb, frames + ((size_t)r * To + To - 1) * fb, fb);
        a->be->upload(a->be, p->d_cframes[k], p->h_cframes[k], (size_t)n * fb);
    }
    return RISE_OK;
}

static rise_status agent_act(rise_policy *pol, int n, const float *obs, const rise_policy_ctx *ctx,
                             float *actions) {
    agent_policy *p = pol->impl;
    rise_agent *a = p->a;
    rise_backend *be = a->be;
    const rise_agent_config *c = &a->cfg;
    const int K = p->K, N = n * K, D = c->obs_dim, A = c->act_dim, Ta = c->action_horizon;
    const int To = c->obs_horizon, OD = a->OD;
    if (To > 1 && !ctx->hist)
        return rise_error(RISE_ERR_INVALID,
                          "policy.obs_horizon = %d but the caller passed no observation history",
                          To);
    if (a->has_vision && !p->view && !p->given)
        return rise_error(RISE_ERR_INVALID,
                          "this %s policy reads camera frames (%s): pass them "
                          "(rise_agent_policy_act_frames) or bind an env that renders them "
                          "(rise_agent_policy_bind_view)",
                          rise_algo_name(c->algo), a->cameras ? a->cameras : "");
    RISE_TRY(ensure_capacity(p, n));
    RISE_TRY(render_frames(p, n, To > 1 ? ctx->hist : obs, To));
    /* row r: its To frames (history, or the current observation) in the model's column
     * order, normalised; its candidates' noise starts at its own Philox position */
    const int E = p->env_dim;
    for (int r = 0; r < n; ++r) {
        float *row = p->h_rows + (size_t)r * OD;
        const float *src = To > 1 ? ctx->hist + (size_t)r * To * E : obs + (size_t)r * E;
        for (int f = 0; f < To; ++f)
            for (int j = 0; j < D; ++j) row[f * D + j] = src[(size_t)f * E + p->col_map[j]];
        rise_norm_apply_obs(&a->norm, row, To);
    }
    be->upload(be, p->d_rows, p->h_rows, sizeof(float) * (size_t)n * OD);
    if (a->has_diffusion) {
        /* noise[s][row r K + k][j] = normal(seed, key block + t * per_call, k L + s AD + j) */
        const uint64_t L = (uint64_t)(a->diff.n_steps + 1) * (uint64_t)a->AD;
        const uint64_t per_call = rise_rng_blocks_normal((uint64_t)K * L);
        for (int r = 0; r < n; ++r)
            p->h_rowoff[r] = RISE_ENV_KEY_BLOCKS(ctx->keys[r]) + (uint64_t)ctx->t[r] * per_call;
        be->upload(be, p->d_rowoff, p->h_rowoff, sizeof(uint64_t) * (size_t)n);
    }
    RISE_TRY(run_backend(p, n, pol->seed));
    RISE_TRY(be->sync(be));
    /* argmax: the winners were gathered on the backend (d_sel [n, AD]); the expectile
     * rule draws on the host from every candidate's Q and V. */
    const int fused = fused_argmax(p), score = !fused && a->has_critic && K > 1;
    if (fused) {
        be->download(be, p->h_x, p->d_sel, sizeof(float) * (size_t)n * a->AD);
    } else {
        be->download(be, p->h_x, p->d_x, sizeof(float) * (size_t)N * a->AD);
    }
    if (score) {
        be->download(be, p->h_q, p->d_q, sizeof(float) * N);
        be->download(be, p->h_v, p->d_v, sizeof(float) * N);
    }
    const int stride = fused ? 1 : K;
    for (int r = 0; r < n; ++r) {
        int best = 0;
        if (score) {
            const size_t o = (size_t)r * K;
            const double u =
                rise_rng_uniform(pol->seed, RISE_STREAM_AGENT_EVAL + 1,
                                 RISE_ENV_KEY_BLOCKS(ctx->keys[r]), (uint64_t)ctx->t[r]);
            best = rise_extract_pick(p->rule, p->h_q + o, p->h_v + o, K, c->critic.expectile, u);
        }
        float *out = actions + (size_t)r * Ta * A;
        memcpy(out, p->h_x + ((size_t)r * stride + best) * a->AD, sizeof(float) * a->AD);
        rise_norm_unapply_actions(&a->norm, out, Ta);
        for (int j = 0; j < Ta * A; ++j) {
            if (!isfinite(out[j]))
                return rise_error(RISE_ERR_NUMERIC, "policy produced a non-finite action (row %d)",
                                  r);
            out[j] = out[j] < -1.0f ? -1.0f : out[j] > 1.0f ? 1.0f : out[j];
        }
    }
    return RISE_OK;
}

int rise_extract_pick(rise_extract_rule rule, const float *q, const float *v, int K, float tau,
                      double u) {
    int best = 0;
    if (rule == RISE_EXTRACT_ARGMAX) {
        for (int k = 1; k < K; ++k)
            if (q[k] > q[best]) best = k;
        return best;
    }
    double total = 0.0;
    for (int k = 0; k < K; ++k) total += q[k] - v[k] < 0.0f ? 1.0 - tau : tau;
    const double target = u * total;
    double acc = 0.0;
    for (best = 0; best < K - 1; ++best) {
        acc += q[best] - v[best] < 0.0f ? 1.0 - tau : tau;
        if (target < acc) break;
    }
    return best;
}

static void agent_policy_destroy(rise_policy *pol) {
    agent_policy *p = pol->impl;
    if (p) {
        free_buffers(p);
        free(p->col_map);
        free(p);
    }
    free(pol);
}

rise_status rise_agent_policy(rise_agent *a, uint64_t seed, rise_policy **out) {
    *out = NULL;
    rise_policy *pol = calloc(1, sizeof *pol);
    agent_policy *p = calloc(1, sizeof *p);
    if (!pol || !p) {
        free(pol);
        free(p);
        return rise_error(RISE_ERR_NOMEM, "agent policy: out of memory");
    }
    p->a = a;
    p->env_dim = a->cfg.obs_dim;
    p->col_map = malloc(sizeof(int) * (size_t)(a->cfg.obs_dim ? a->cfg.obs_dim : 1));
    if (!p->col_map) {
        free(pol);
        free(p);
        return rise_error(RISE_ERR_NOMEM, "agent policy: out of memory");
    }
    for (int j = 0; j < a->cfg.obs_dim; ++j) p->col_map[j] = j;
    p->K = a->has_diffusion && a->has_critic ? a->cfg.candidates : 1;
    p->rule = a->cfg.extract_rule;
    snprintf(pol->name, sizeof pol->name, "%s", rise_algo_name(a->cfg.algo));
    pol->obs_dim = a->cfg.obs_dim;
    pol->act_dim = a->cfg.act_dim;
    pol->chunk = a->cfg.action_horizon;
    pol->n_exec = a->cfg.action_exec;
    pol->obs_horizon = a->cfg.obs_horizon;
    pol->seed = seed;
    pol->act = agent_act;
    pol->destroy = agent_policy_destroy;
    pol->impl = p;
    *out = pol;
    return RISE_OK;
}

rise_status rise_agent_policy_set_extraction(rise_policy *pol, int k, int rule) {
    agent_policy *p = pol->impl;
    if (k < 0) return rise_error(RISE_ERR_INVALID, "candidates = %d, expected >= 1", k);
    if (rule >= 0 && rule != RISE_EXTRACT_ARGMAX && rule != RISE_EXTRACT_EXPECTILE)
        return rise_error(RISE_ERR_INVALID, "unknown extraction rule %d", rule);
    if (!(p->a->has_diffusion && p->a->has_critic))
        return rise_error(RISE_ERR_INVALID, "a %s policy does not choose among candidates",
                          rise_algo_name(p->a->cfg.algo));
    if (p->cap)
        return rise_error(RISE_ERR_INVALID, "set the extraction before the policy's first call");
    if (k > 0) p->K = k;
    if (rule >= 0) p->rule = (rise_extract_rule)rule;
    return RISE_OK;
}

void rise_agent_policy_extraction(const rise_policy *pol, int *k, rise_extract_rule *rule) {
    const agent_policy *p = pol->impl;
    *k = p->K;
    *rule = p->rule;
}

const char *rise_extract_rule_name(rise_extract_rule rule) {
    return rule == RISE_EXTRACT_EXPECTILE ? "expectile" : "argmax";
}

rise_status rise_extract_rule_parse(const char *name, rise_extract_rule *out) {
    if (!strcmp(name, "argmax") || !strcmp(name, "expectile")) {
        *out = strcmp(name, "argmax") ? RISE_EXTRACT_EXPECTILE : RISE_EXTRACT_ARGMAX;
        return RISE_OK;
    }
    return rise_error(RISE_ERR_INVALID, "extraction rule '%s': expected argmax or expectile", name);
}

rise_status rise_agent_policy_bind_env(rise_policy *pol, const rise_env_info *info) {
    agent_policy *p = pol->impl;
    const char *keys = p->a->obs_keys;
    const int D = p->a->cfg.obs_dim;
    if (!keys) {
        if (info->obs_dim != D)
            return rise_error(RISE_ERR_INVALID,
                              "the model takes %d observation values and records no key names; "
                              "the %s env has %d",
                              D, info->task, info->obs_dim);
        p->env_dim = info->obs_dim;
        pol->obs_dim = info->obs_dim;
        return RISE_OK;
    }
    /* "name:dim,name:dim,..." in the model's column order */
    int col = 0;
    for (const char *k = keys; *k;) {
        const char *colon = strchr(k, ':'), *comma = strchr(k, ',');
        if (!colon) break;
        char name[RISE_ENV_NAME_MAX + 1];
        const size_t len =
            (size_t)(colon - k) < sizeof name - 1 ? (size_t)(colon - k) : sizeof name - 1;
        memcpy(name, k, len);
        name[len] = 0;
        const int dim = atoi(colon + 1);
        const int e = rise_env_find_key(info, name);
        if (e < 0)
            return rise_error(
                RISE_ERR_INVALID,
                "the model was trained on observation key '%s', which the %s env does "
                "not have",
                name, info->task);
        if (info->keys[e].dim != dim || col + dim > D)
            return rise_error(RISE_ERR_INVALID,
                              "observation key '%s' has %d values in the model, %d in the %s env",
                              name, dim, info->keys[e].dim, info->task);
        for (int j = 0; j < dim; ++j) p->col_map[col + j] = info->keys[e].offset + j;
        col += dim;
        k = comma ? comma + 1 : k + strlen(k);
    }
    if (col != D)
        return rise_error(RISE_ERR_FORMAT, "the model's key list '%s' covers %d of its %d inputs",
                          keys, col, D);
    p->env_dim = info->obs_dim;
    pol->obs_dim = info->obs_dim;
    return RISE_OK;
}

rise_status rise_agent_policy_bind_view(rise_policy *pol, const rise_env *env) {
    agent_policy *p = pol->impl;
    rise_agent *a = p->a;
    if (!a->has_vision) return RISE_OK;
    rise_camera_shape shapes[RISE_OBS_MAX_CAMERAS];
    int n = 0;
    RISE_TRY(rise_camera_record_parse(a->cameras ? a->cameras : "", "the model", shapes,
                                      p->cam_names, &n));
    if (n != a->cfg.vision.n_cams)
        return rise_error(RISE_ERR_FORMAT,
                          "the model reads %d cameras but records %d camera names ('%s')",
                          a->cfg.vision.n_cams, n, a->cameras ? a->cameras : "");
    /* every camera renders (one frame of an all-zero observation) */
    float *obs = calloc((size_t)env->info.obs_dim + 1, sizeof(float));
    rise_status st = obs ? RISE_OK : rise_error(RISE_ERR_NOMEM, "agent policy: out of memory");
    for (int k = 0; st == RISE_OK && k < n; ++k) {
        uint8_t *frame = malloc((size_t)shapes[k].h * shapes[k].w * shapes[k].c);
        st = frame ? rise_camera_view(env, p->cam_names[k], obs, 1, shapes[k].h, shapes[k].w,
                                      shapes[k].c, frame)
                   : rise_error(RISE_ERR_NOMEM, "agent policy: out of memory");
        free(frame);
    }
    free(obs);
    if (st == RISE_OK) p->view = env;
    return st;
}

rise_status rise_agent_policy_act_frames(rise_policy *pol, int n, const float *obs,
                                         const uint8_t *const *frames, const rise_policy_ctx *ctx,
                                         float *actions) {
    agent_policy *p = pol->impl;
    const int cams = p->a->cfg.vision.n_cams;
    if (cams == 0)
        return rise_error(RISE_ERR_INVALID,
                          "act with frames: this policy reads no cameras; call act without them");
    for (int k = 0; k < cams; ++k)
        if (!frames || !frames[k])
            return rise_error(RISE_ERR_INVALID,
                              "act with frames: no frames for camera %d of %d (%s)", k, cams,
                              p->a->cameras ? p->a->cameras : "");
    p->given = frames;
    const rise_status st = pol->act(pol, n, obs, ctx, actions);
    p->given = NULL;
    return st;
}
