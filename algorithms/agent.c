/* agent.c - agent set-up: configuration, networks, optimiser state, scratch, data.
 * The training step is in agent_step.c, evaluation in agent_policy.c, checkpoints in
 * agent_ckpt.c. */
#include "agent_internal.h"
#include "backend_knn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const algo_names[RISE_ALGO_COUNT] = {"bc_mlp", "bc_diffusion", "iql",
                                                        "idql",   "rise",         "cql"};

const char *rise_algo_name(rise_algo a) {
    return (unsigned)a < RISE_ALGO_COUNT ? algo_names[a] : "?";
}

int rise_algo_parse(const char *s, rise_algo *a) {
    for (int i = 0; i < RISE_ALGO_COUNT; ++i)
        if (!strcmp(s, algo_names[i])) {
            *a = (rise_algo)i;
            return 1;
        }
    return 0;
}

void rise_agent_config_default(rise_agent_config *c, rise_algo algo) {
    memset(c, 0, sizeof *c);
    c->algo = algo;
    c->batch = 256;
    c->expert_ratio = -1.0;
    c->obs_horizon = c->action_horizon = c->action_exec = 1;
    rise_diffusion_config *d = &c->diffusion;
    d->lnresnet = 1;
    d->width = 256;
    d->depth = 3;
    d->dropout = 0.1f;
    d->act = RISE_ACT_MISH;
    d->time = rise_time_embedding_config_default();
    d->schedule = RISE_SCHEDULE_COSINE;
    d->sampler = RISE_SAMPLER_DDIM;
    d->train_steps = 100;
    d->sample_steps = 10;
    d->clip = 1.0f;
    d->clip_rule = RISE_CLIP_X0;
    d->spectral = RISE_SPECTRAL_NONE;
    d->code_width = 512;
    d->spectral_iters = 100;
    d->spectral_tol = 1e-6f;
    d->spectral_per_frame = 1;
    c->policy_lr = 3e-4f;
    c->ema = 0.9999f;
    c->ema_power = 0.75f;
    c->ema_before = 1;
    c->spectral_lambda = 0.1f;
    rise_iql_config *q = &c->critic;
    q->width = 256;
    q->depth = 2;
    q->layernorm = 1;
    q->discount = 0.99f;
    q->tau = 0.005f;
    q->expectile = 0.9f;
    q->q_target_v_before = algo == RISE_ALGO_IDQL || algo == RISE_ALGO_RISE;
    const rise_adam_hparams adam = {3e-4f, 0.9f, 0.999f, 1e-8f, 0.0f, 0.0f, NULL};
    q->q_opt = q->v_opt = adam;
    c->candidates = 32;
    c->extract_rule = RISE_EXTRACT_ARGMAX;
    c->extract_temperature = 1.0f;
    rise_relabel_config_default(&c->relabel_cfg);
    c->relabel_every = 2;
    c->relabel_block = 100;
    c->noise_lo = 0.05f;
    c->noise_hi = 0.2f;
    c->awr_beta = 3.0f;
    c->awr_max_weight = 100.0f;
    c->log_std_min = -5.0f;
    c->log_std_max = 2.0f;
    c->cql_alpha = 1.0f;
    c->cql_target_gap = 5.0f;
    c->cql_samples = 10;
    c->cql_actor_lr = 1e-4f;
    c->cql_entropy_target = -1.0f;
    c->cql_reward_scale = 1.0f;
    c->data_on_backend = -1;
    c->step_graph = -1;
    if (algo == RISE_ALGO_RISE) c->diffusion.spectral = RISE_SPECTRAL_CODE;
}

/* What camera frames work with so far: the policy's own encoders (obs_encoder.h), batches
 * gathered on the host. */
static rise_status vision_check(const rise_agent_config *c) {
    if (c->vision.n_cams == 0) return RISE_OK;
    if (c->vision.n_cams < 0 || c->vision.n_cams > RISE_OBS_MAX_CAMERAS)
        return rise_error(RISE_ERR_INVALID, "agent: %d cameras, expected 0..%d", c->vision.n_cams,
                          RISE_OBS_MAX_CAMERAS);
    if (c->algo == RISE_ALGO_IQL || c->algo == RISE_ALGO_CQL || c->cql_enable)
        return rise_error(RISE_ERR_INVALID,
                          "train.algo = %s%s with camera frames: the Gaussian actors and the "
                          "conservative penalty have no image encoders so far (bc_mlp, "
                          "bc_diffusion, idql and rise do); list only low-dim keys in "
                          "data.obs_keys",
                          rise_algo_name(c->algo), c->cql_enable ? " with cql.enable" : "");
    if (c->data_on_backend == 1 || c->step_graph == 1)
        return rise_error(RISE_ERR_INVALID,
                          "train.data_on_backend = %d, train.step_graph = %d with camera frames: "
                          "image batches are gathered on the host so far (set both to -1 or 0)",
                          c->data_on_backend, c->step_graph);
    return RISE_OK;
}

rise_status rise_agent_config_check(const rise_agent_config *c) {
    if ((unsigned)c->algo >= RISE_ALGO_COUNT)
        return rise_error(RISE_ERR_INVALID, "agent: unknown algorithm %d", (int)c->algo);
    if (c->batch < 1)
        return rise_error(RISE_ERR_INVALID, "train.batch = %d, expected >= 1", c->batch);
    if (c->obs_dim < (c->vision.n_cams > 0 ? 0 : 1) || c->act_dim < 1)
        return rise_error(RISE_ERR_INVALID, "agent: obs_dim %d, act_dim %d (>= 1)", c->obs_dim,
                          c->act_dim);
    RISE_TRY(vision_check(c));
    if (c->obs_horizon < 1 || c->action_horizon < 1 || c->action_exec < 1 ||
        c->action_exec > c->action_horizon)
        return rise_error(RISE_ERR_INVALID,
                          "policy horizons: obs %d, action %d, exec %d (need >= 1, exec <= action)",
                          c->obs_horizon, c->action_horizon, c->action_exec);
    if (c->candidates < 1)
        return rise_error(RISE_ERR_INVALID, "extract.candidates = %d, expected >= 1",
                          c->candidates);
    if (c->noise_copies < 0 || c->noise_copies > 64)
        return rise_error(RISE_ERR_INVALID, "noise.copies = %d, expected 0..64", c->noise_copies);
    if (c->data_on_backend < -1 || c->data_on_backend > 1)
        return rise_error(RISE_ERR_INVALID, "train.data_on_backend = %d, expected -1, 0 or 1",
                          c->data_on_backend);
    if (c->step_graph < -1 || c->step_graph > 1)
        return rise_error(RISE_ERR_INVALID, "train.step_graph = %d, expected -1, 0 or 1",
                          c->step_graph);
    if (c->step_graph == 1 && c->data_on_backend == 0)
        return rise_error(RISE_ERR_INVALID,
                          "train.step_graph = 1 needs the batches assembled on the backend, but "
                          "train.data_on_backend = 0");
    if (c->relabel_every < 1)
        return rise_error(RISE_ERR_INVALID, "relabel.every = %d, expected >= 1", c->relabel_every);
    if (c->relabel_block < 1)
        return rise_error(RISE_ERR_INVALID, "relabel.block = %d, expected >= 1", c->relabel_block);
    if (!(c->ema >= 0.0f && c->ema < 1.0f))
        return rise_error(RISE_ERR_INVALID, "policy.ema = %g, expected in [0, 1)", (double)c->ema);
    if (!(c->ema_power >= 0.0f))
        return rise_error(RISE_ERR_INVALID, "policy.ema_power = %g, expected >= 0",
                          (double)c->ema_power);
    if (c->diffusion.spectral_iters < 1 || !(c->diffusion.spectral_tol >= 0.0f))
        return rise_error(RISE_ERR_INVALID,
                          "spectral.iters = %d, spectral.tol = %g: expected >= 1 and >= 0",
                          c->diffusion.spectral_iters, (double)c->diffusion.spectral_tol);
    if (c->algo == RISE_ALGO_IQL || c->algo == RISE_ALGO_CQL) {
        const char *n = rise_algo_name(c->algo);
        if (c->obs_horizon != 1 || c->action_horizon != 1)
            return rise_error(RISE_ERR_INVALID,
                              "train.algo = %s: its Gaussian actor sees one frame and emits one "
                              "action (policy.obs_horizon = %d, action_horizon = %d; expected 1)",
                              n, c->obs_horizon, c->action_horizon);
        if (c->noise_copies || c->relabel)
            return rise_error(RISE_ERR_INVALID,
                              "train.algo = %s: noise.copies and relabel.enable expand a diffusion "
                              "policy's data and are not defined for it",
                              n);
        if (!(c->log_std_min < c->log_std_max))
            return rise_error(RISE_ERR_INVALID,
                              "actor.log_std_min = %g, log_std_max = %g: need min < max",
                              (double)c->log_std_min, (double)c->log_std_max);
    }
    if (c->diffusion.unet &&
        (c->algo == RISE_ALGO_BC_MLP || c->algo == RISE_ALGO_IQL || c->algo == RISE_ALGO_CQL))
        return rise_error(
            RISE_ERR_INVALID,
            "policy.net = unet: the U-Net is a denoiser over action chunks; "
            "train.algo = %s has no diffusion policy (use bc_diffusion, idql or rise)",
            rise_algo_name(c->algo));
    if (c->cql_enable && (c->algo == RISE_ALGO_BC_MLP || c->algo == RISE_ALGO_BC_DIFFUSION))
        return rise_error(RISE_ERR_INVALID, "cql.enable = true: train.algo = %s has no critic",
                          rise_algo_name(c->algo));
    if ((c->cql_enable || c->algo == RISE_ALGO_CQL) && (c->cql_samples < 1 || c->cql_samples > 256))
        return rise_error(RISE_ERR_INVALID, "cql.samples = %d, expected 1..256", c->cql_samples);
    if (!(c->cql_reward_scale > 0.0f))
        return rise_error(RISE_ERR_INVALID, "cql.reward_scale = %g, expected > 0",
                          (double)c->cql_reward_scale);
    return RISE_OK;
}

static int uses_diffusion(rise_algo a) {
    return a == RISE_ALGO_BC_DIFFUSION || a == RISE_ALGO_IDQL || a == RISE_ALGO_RISE;
}
static int uses_critic(rise_algo a) {
    return a == RISE_ALGO_IDQL || a == RISE_ALGO_RISE || a == RISE_ALGO_IQL;
}
static int uses_gauss(rise_algo a) { return a == RISE_ALGO_IQL || a == RISE_ALGO_CQL; }

static float *dev_alloc(rise_backend *be, size_t floats, rise_status *st) {
    if (*st != RISE_OK) return NULL;
    float *p = be->alloc(be, sizeof(float) * (floats ? floats : 1));
    if (!p) *st = rise_error_context(RISE_ERR_NOMEM, "agent buffers on %s: ", be->name);
    return p;
}

static void *host_alloc(size_t bytes, rise_status *st) {
    if (*st != RISE_OK) return NULL;
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p) *st = rise_error(RISE_ERR_NOMEM, "agent: out of host memory (%zu bytes)", bytes);
    return p;
}

/* A frame batch's host staging buffer and its backend copy (uint8). */
static void frame_buffer(rise_backend *be, size_t bytes, uint8_t **h, uint8_t **d,
                         rise_status *st) {
    *h = host_alloc(bytes, st);
    if (*st != RISE_OK) return;
    *d = be->alloc(be, bytes);
    if (!*d) *st = rise_error_context(RISE_ERR_NOMEM, "agent frame buffers on %s: ", be->name);
}

rise_status rise_agent_create(const rise_agent_config *cfg, rise_backend *be,
                              const rise_norm_stats *norm, rise_agent **out) {
    *out = NULL;
    RISE_TRY(rise_agent_config_check(cfg));
    rise_agent *a = calloc(1, sizeof *a);
    if (!a) return rise_error(RISE_ERR_NOMEM, "agent: out of memory");
    a->cfg = *cfg;
    a->be = be;
    rise_params_init(&a->pp);
    rise_status st = norm ? rise_norm_copy(&a->norm, norm)
                          : rise_norm_init(&a->norm, cfg->obs_dim, cfg->act_dim);
    const rise_agent_config *c = &a->cfg;
    a->has_diffusion = uses_diffusion(c->algo);
    a->has_critic = uses_critic(c->algo);
    a->has_gauss = uses_gauss(c->algo);
    a->has_cql = c->algo == RISE_ALGO_CQL || (c->cql_enable && a->has_critic);
    a->OD = c->obs_horizon * c->obs_dim;
    a->AD = c->action_horizon * c->act_dim;
    a->B = c->batch;
    a->Bp = c->batch * (1 + c->noise_copies);
    a->has_vision = c->vision.n_cams > 0;
    a->data_on_backend = a->has_vision            ? 0
                         : c->data_on_backend < 0 ? be->is_device || c->step_graph == 1
                                                  : c->data_on_backend != 0;
    a->PO = a->OD;
    if (st == RISE_OK && a->has_vision) { /* first: a low-dim policy's names stay as they were */
        rise_obs_encoder_config vc = c->vision;
        vc.lowdim = c->obs_dim;
        vc.frames = c->obs_horizon;
        st = rise_obs_encoder_register(&a->vis, &a->pp, "policy", &vc);
        a->PO = c->obs_horizon * a->vis.frame_dim;
    }
    if (st == RISE_OK && a->has_diffusion) {
        rise_diffusion_config dc = c->diffusion;
        dc.obs_dim = a->PO;
        dc.unet_cfg.cond_dim = a->PO;
        dc.act_dim = a->AD;
        dc.obs_frames = c->obs_horizon;
        st = rise_diffusion_register(&a->diff, &a->pp, "policy", &dc);
        if (st == RISE_OK) st = rise_params_alloc(&a->pp, be, RISE_PARAMS_EMA);
        if (st == RISE_OK) {
            rise_params_init_values(&a->pp, c->seed);
            rise_params_copy_to_ema(&a->pp);
            st = rise_diffusion_setup(&a->diff, be, c->seed);
        }
    } else if (st == RISE_OK && a->has_gauss) {
        const rise_gauss_config gc = {c->algo == RISE_ALGO_IQL ? RISE_GAUSS_AWR : RISE_GAUSS_TANH,
                                      c->obs_dim,
                                      c->act_dim,
                                      c->diffusion.width,
                                      c->diffusion.depth,
                                      c->diffusion.act,
                                      c->log_std_min,
                                      c->log_std_max};
        st = rise_gauss_actor_register(&a->actor, &a->pp, "policy", &gc);
        if (st == RISE_OK) st = rise_params_alloc(&a->pp, be, 0);
        if (st == RISE_OK) rise_params_init_values(&a->pp, c->seed);
    } else if (st == RISE_OK) {
        rise_mlp_config mc = rise_mlp_config_default();
        mc.in_dim = a->PO;
        mc.out_dim = a->AD;
        mc.n_hidden = c->diffusion.depth;
        for (int l = 0; l < mc.n_hidden; ++l) mc.hidden[l] = c->diffusion.width;
        mc.act = c->diffusion.act;
        mc.dropout = c->diffusion.dropout;
        st = rise_mlp_register(&a->bc, &a->pp, "policy", &mc);
        if (st == RISE_OK) st = rise_params_alloc(&a->pp, be, 0);
        if (st == RISE_OK) rise_params_init_values(&a->pp, c->seed);
    }
    if (st == RISE_OK && a->has_critic) {
        rise_iql_config qc = c->critic;
        qc.obs_dim = c->obs_dim;
        qc.act_dim = c->act_dim;
        qc.vision = c->vision;
        st = rise_iql_critic_create(&a->critic, be, &qc, c->seed);
    }
    if (st == RISE_OK && a->has_cql) {
        const rise_iql_config *q = &c->critic;
        rise_cql_config kc;
        memset(&kc, 0, sizeof kc);
        kc.obs_dim = c->obs_dim;
        kc.act_dim = c->act_dim;
        kc.width = q->width;
        kc.depth = q->depth;
        memcpy(kc.hidden, q->hidden, sizeof kc.hidden);
        kc.layernorm = q->layernorm;
        kc.discount = q->discount;
        kc.tau = q->tau;
        kc.q_opt = q->q_opt;
        kc.alpha = c->cql_alpha;
        kc.lagrange = c->cql_lagrange;
        kc.target_gap = c->cql_target_gap;
        kc.samples = c->cql_samples;
        kc.actor_lr = c->cql_actor_lr;
        kc.entropy_target = c->cql_entropy_target;
        kc.reward_scale = c->cql_reward_scale;
        kc.reward_bias = c->cql_reward_bias;
        st = rise_cql_create(&a->cql, be, &kc, c->algo == RISE_ALGO_CQL, c->seed);
    }
    const size_t B = (size_t)a->B, Bp = (size_t)a->Bp, D = (size_t)c->obs_dim,
                 A = (size_t)c->act_dim;
    a->idx = host_alloc(sizeof(int64_t) * B, &st);
    a->pidx = host_alloc(sizeof(int64_t) * B, &st);
    a->h_obs = host_alloc(sizeof(float) * B * D, &st);
    a->h_next = host_alloc(sizeof(float) * B * D, &st);
    a->h_act = host_alloc(sizeof(float) * B * A, &st);
    a->h_r = host_alloc(sizeof(float) * B, &st);
    a->h_d = host_alloc(sizeof(float) * B, &st);
    a->h_expert = host_alloc(sizeof(float) * B, &st);
    a->h_pobs = host_alloc(sizeof(float) * Bp * a->OD, &st);
    a->h_chunk = host_alloc(sizeof(float) * Bp * a->AD, &st);
    a->h_valid = host_alloc(sizeof(float) * B * c->action_horizon, &st);
    a->h_noisy = host_alloc(sizeof(float) * B * (c->noise_copies + 1) * a->AD, &st);
    a->h_sigma = host_alloc(sizeof(float) * (c->noise_copies + 1), &st);
    a->d_obs = dev_alloc(be, B * D, &st);
    a->d_next = dev_alloc(be, B * D, &st);
    a->d_act = dev_alloc(be, B * A, &st);
    a->d_r = dev_alloc(be, B, &st);
    a->d_d = dev_alloc(be, B, &st);
    a->d_pobs = dev_alloc(be, Bp * a->OD, &st);
    a->d_chunk = dev_alloc(be, Bp * a->AD, &st);
    a->pm = dev_alloc(be, 4, &st);
    for (int k = 0; a->has_vision && k < c->vision.n_cams; ++k) {
        const rise_camera_shape *cam = &c->vision.cam[k];
        const size_t fb = (size_t)cam->h * cam->w * cam->c;
        frame_buffer(be, Bp * c->obs_horizon * fb, &a->h_frames[k], &a->d_frames[k], &st);
        if (!a->has_critic) continue;
        frame_buffer(be, B * fb, &a->h_cframes[k], &a->d_cframes[k], &st);
        frame_buffer(be, B * fb, &a->h_nframes[k], &a->d_nframes[k], &st);
    }
    if (a->has_vision) a->pair_frame_idx = host_alloc(sizeof(int64_t) * B, &st);
    if (a->has_diffusion) {
        const int nd = RISE_DIAG_STATES * c->candidates;
        a->d_noise = dev_alloc(be, rise_diffusion_noise_len(&a->diff, nd), &st);
        a->d_cand = dev_alloc(be, (size_t)nd * a->AD, &st);
    }
    if (st == RISE_OK) st = rise_agent_size_arena(a);
    const int graphs =
        c->step_graph < 0 ? be->graph_begin != NULL && a->data_on_backend : c->step_graph == 1;
    if (st == RISE_OK && graphs) st = rise_agent_clock_init(a);
    if (st != RISE_OK) {
        rise_agent_free(a);
        return st;
    }
    *out = a;
    return RISE_OK;
}

void rise_agent_free(rise_agent *a) {
    if (!a) return;
    rise_backend *be = a->be;
    rise_agent_clock_free(a);
    rise_agent_data_free(a);
    float *dev[] = {a->d_obs,  a->d_next,  a->d_act, a->d_r,     a->d_d,
                    a->d_pobs, a->d_chunk, a->pm,    a->d_noise, a->d_cand};
    for (size_t i = 0; i < sizeof dev / sizeof dev[0]; ++i)
        if (dev[i]) be->free(be, dev[i]);
    void *host[] = {a->idx,      a->pidx,   a->h_obs,   a->h_next,  a->h_act,   a->h_r,    a->h_d,
                    a->h_expert, a->h_pobs, a->h_chunk, a->h_valid, a->h_noisy, a->h_sigma};
    for (size_t i = 0; i < sizeof host / sizeof host[0]; ++i) free(host[i]);
    for (int k = 0; k < RISE_OBS_MAX_CAMERAS; ++k) {
        uint8_t *d[] = {a->d_frames[k], a->d_cframes[k], a->d_nframes[k]};
        for (size_t i = 0; i < sizeof d / sizeof d[0]; ++i)
            if (d[i]) be->free(be, d[i]);
        free(a->h_frames[k]);
        free(a->h_cframes[k]);
        free(a->h_nframes[k]);
    }
    free(a->pair_frame_idx);
    if (a->has_diffusion) rise_diffusion_free(&a->diff);
    if (a->has_critic) rise_iql_critic_free(&a->critic);
    if (a->has_cql) rise_cql_free(&a->cql);
    if (a->has_pairs && !a->pairs_shared) rise_pairs_free(&a->pairs);
    rise_arena_free(&a->arena);
    rise_params_free(&a->pp);
    rise_norm_free(&a->norm);
    free(a->env_args);
    free(a->obs_keys);
    free(a->cameras);
    free(a);
}

/* The training set's cameras are the ones the model's encoders were made for. */
static rise_status same_cameras(const rise_agent_config *c, const rise_trainset *ts) {
    int same = ts->n_cams == c->vision.n_cams;
    for (int k = 0; same && k < ts->n_cams; ++k)
        same = ts->cams[k].h == c->vision.cam[k].h && ts->cams[k].w == c->vision.cam[k].w &&
               ts->cams[k].c == c->vision.cam[k].c;
    if (same) return RISE_OK;
    return rise_error(RISE_ERR_INVALID,
                      "agent: the training set has %d camera%s%s%s, the model's encoders were made "
                      "for %d",
                      ts->n_cams, ts->n_cams == 1 ? "" : "s", ts->n_cams ? ", the first " : "",
                      ts->n_cams ? ts->cams[0].name : "", c->vision.n_cams);
}

rise_status rise_agent_attach_data(rise_agent *a, const rise_trainset *ts) {
    const rise_agent_config *c = &a->cfg;
    if (ts->obs_dim != c->obs_dim || ts->act_dim != c->act_dim)
        return rise_error(RISE_ERR_INVALID,
                          "agent: training set has obs_dim %lld, act_dim %lld; the model expects "
                          "%d, %d",
                          (long long)ts->obs_dim, (long long)ts->act_dim, c->obs_dim, c->act_dim);
    if (!ts->normalized)
        return rise_error(RISE_ERR_INVALID, "agent: the training set is not normalised yet");
    RISE_TRY(same_cameras(c, ts));
    a->ts = ts;
    free(a->env_args);
    free(a->obs_keys);
    a->env_args = ts->env_args ? strdup(ts->env_args) : NULL;
    a->obs_keys = calloc((size_t)ts->n_keys + 1, RISE_NAME_MAX + 24);
    if (!a->obs_keys) return rise_error(RISE_ERR_NOMEM, "agent: out of memory");
    for (int k = 0; k < ts->n_keys; ++k)
        sprintf(a->obs_keys + strlen(a->obs_keys), "%s%s:%lld", k ? "," : "", ts->keys[k].name,
                (long long)ts->keys[k].dim);
    free(a->cameras);
    a->cameras = NULL;
    if (ts->n_cams > 0) {
        const char *names[RISE_OBS_MAX_CAMERAS];
        for (int k = 0; k < ts->n_cams; ++k) names[k] = ts->cams[k].name;
        a->cameras = rise_camera_record_format(ts->n_cams, names, c->vision.cam);
        if (!a->cameras) return rise_error(RISE_ERR_NOMEM, "agent: out of memory");
    }
    const int rank = ts->spec.shard_rank;
    RISE_TRY(rise_sampler_init(&a->sampler, ts, c->seed, rank, c->batch, c->expert_ratio));
    if (c->relabel && !a->has_pairs) {
        /* on a GPU the neighbour search runs there (same pairs, backend_knn.h) */
        RISE_TRY(rise_relabel_build_with(
            ts, &c->relabel_cfg, a->be->is_device ? rise_backend_knn : NULL, a->be, &a->pairs));
        a->has_pairs = 1;
    }
    if (a->has_pairs && a->pairs.n > 0)
        RISE_TRY(rise_sampler_init_uniform(&a->pair_sampler, a->pairs.n, c->seed,
                                           RISE_STREAM_PAIR_SAMPLER + (uint32_t)rank, c->batch));
    RISE_TRY(rise_agent_dist_attach(a));     /* data parallelism: this rank's slice */
    if (a->clock) rise_agent_clock_reset(a); /* new buffers, new counters */
    if (a->data_on_backend) RISE_TRY(rise_agent_data_upload(a));
    return RISE_OK;
}

rise_status rise_agent_attach_data_sharing(rise_agent *a, const rise_trainset *ts,
                                           const rise_agent *from) {
    RISE_ASSERT(from->ts == ts, "agent: sharing pairs built for another training set");
    RISE_ASSERT(a->cfg.relabel == from->cfg.relabel &&
                    !memcmp(&a->cfg.relabel_cfg, &from->cfg.relabel_cfg, sizeof a->cfg.relabel_cfg),
                "agent: sharing pairs built with other relabelling settings");
    if (from->has_pairs && !a->has_pairs) {
        a->pairs = from->pairs; /* the arrays stay from's */
        a->has_pairs = 1;
        a->pairs_shared = 1;
    }
    return rise_agent_attach_data(a, ts);
}

const rise_pairs *rise_agent_pairs(const rise_agent *a) { return a->has_pairs ? &a->pairs : NULL; }
int64_t rise_agent_step_count(const rise_agent *a) { return a->step; }
const rise_agent_config *rise_agent_cfg(const rise_agent *a) { return &a->cfg; }
rise_params *rise_agent_policy_params(rise_agent *a) { return &a->pp; }
rise_iql_critic *rise_agent_critic(rise_agent *a) { return a->has_critic ? &a->critic : NULL; }
rise_diffusion *rise_agent_diffusion(rise_agent *a) { return a->has_diffusion ? &a->diff : NULL; }
const rise_norm_stats *rise_agent_norm(const rise_agent *a) { return &a->norm; }
const char *rise_agent_env_args(const rise_agent *a) { return a->env_args; }
const char *rise_agent_obs_keys(const rise_agent *a) { return a->obs_keys; }
const char *rise_agent_cameras(const rise_agent *a) { return a->cameras; }
