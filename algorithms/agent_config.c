/* agent_config.c - run configuration -> agent settings (see agent_config.h). */
#include "agent_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_act(const char *s, rise_act *a) {
    static const char *const names[] = {"identity", "relu", "mish", "gelu", "tanh", "silu"};
    for (int i = 0; i < RISE_ACT_COUNT; ++i)
        if (!strcmp(s, names[i])) {
            *a = (rise_act)i;
            return 1;
        }
    return 0;
}

/* "64,128,256" or "[64, 128, 256]" into dims; the error names the key. */
static rise_status parse_dims(const char *s, rise_unet_config *u) {
    const char *p = s;
    u->n_levels = 0;
    while (*p) {
        while (*p == ' ' || *p == '[' || *p == ',' || *p == ']') ++p;
        if (!*p) break;
        char *end;
        const long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 65536 || u->n_levels == RISE_UNET_MAX_LEVELS)
            return rise_error(RISE_ERR_INVALID,
                              "policy.unet_down_dims = '%s': expected 1 to %d positive channel "
                              "counts separated by commas, e.g. 64,128,256",
                              s, RISE_UNET_MAX_LEVELS);
        u->down_dims[u->n_levels++] = (int)v;
        p = end;
    }
    if (u->n_levels == 0)
        return rise_error(RISE_ERR_INVALID,
                          "policy.unet_down_dims = '%s': no channel counts (e.g. 64,128,256)", s);
    return RISE_OK;
}

/* critic.hidden "300,400,300" (or '-' / 'x' between widths) -> depth and widths. */
static rise_status parse_hidden(const char *text, rise_iql_config *q) {
    int n = 0;
    const char *p = text;
    while (*p) {
        char *end;
        const long w = strtol(p, &end, 10);
        if (end == p || w < 1 || w > 1 << 20 || n == RISE_MLP_MAX_HIDDEN)
            return rise_error(RISE_ERR_INVALID,
                              "critic.hidden = '%s': expected up to %d positive widths separated "
                              "by commas, e.g. 300,400,300",
                              text, RISE_MLP_MAX_HIDDEN);
        q->hidden[n++] = (int)w;
        p = end;
        if (*p == ',' || *p == '-' || *p == 'x')
            ++p;
        else if (*p)
            return rise_error(RISE_ERR_INVALID,
                              "critic.hidden = '%s': unexpected '%c' (widths separated by commas, "
                              "e.g. 300,400,300)",
                              text, *p);
    }
    q->depth = n;
    return RISE_OK;
}

static rise_status set_cameras(const rise_train_config *t, int n_cams,
                               const rise_camera_shape *cams, rise_agent_config *c);

rise_status rise_agent_config_from_train(const rise_train_config *t, int obs_dim, int act_dim,
                                         int n_cams, const rise_camera_shape *cams,
                                         rise_agent_config *c) {
    rise_algo algo;
    if (!rise_algo_parse(t->train_algo, &algo))
        return rise_error(RISE_ERR_INVALID, "train.algo = '%s' is not an algorithm", t->train_algo);
    rise_agent_config_default(c, algo);
    c->seed = (uint64_t)t->train_seed;
    c->batch = t->train_batch;
    c->expert_ratio = t->train_expert_ratio;
    c->obs_dim = obs_dim;
    c->act_dim = act_dim;
    c->obs_horizon = t->policy_obs_horizon;
    c->action_horizon = t->policy_action_horizon;
    c->action_exec = t->policy_action_exec;
    c->data_on_backend = t->train_data_on_backend;
    c->step_graph = t->train_step_graph;

    rise_diffusion_config *d = &c->diffusion;
    d->lnresnet = !strcmp(t->policy_net, "lnresnet");
    d->unet = !strcmp(t->policy_net, "unet");
    d->unet_cfg = rise_unet_config_default();
    if (d->unet) {
        RISE_TRY(parse_dims(t->policy_unet_down_dims, &d->unet_cfg));
        d->unet_cfg.act_dim = act_dim;
        d->unet_cfg.horizon = t->policy_action_horizon;
        d->unet_cfg.kernel = t->policy_unet_kernel;
        d->unet_cfg.groups = t->policy_unet_groups;
        d->unet_cfg.step_embed = t->policy_unet_step_embed;
        d->unet_cfg.cond_dim = obs_dim * t->policy_obs_horizon;
        RISE_TRY(rise_unet_config_check(&d->unet_cfg));
    }
    d->width = t->policy_width;
    d->depth = t->policy_depth;
    d->dropout = t->policy_dropout;
    if (!parse_act(t->policy_act, &d->act))
        return rise_error(RISE_ERR_INVALID, "policy.act = '%s' is not an activation",
                          t->policy_act);
    d->time = rise_time_embedding_config_default();
    d->time.n_freq = t->policy_time_freqs;
    if (!strcmp(t->policy_time_embed, "sinusoidal")) {
        d->time.kind = RISE_TIME_SINUSOIDAL;
        d->time.max_period = 1000.0f;
    }
    if (!rise_schedule_parse(t->diffusion_schedule, &d->schedule))
        return rise_error(RISE_ERR_INVALID, "diffusion.schedule = '%s'", t->diffusion_schedule);
    if (!rise_sampler_parse(t->diffusion_sampler, &d->sampler))
        return rise_error(RISE_ERR_INVALID, "diffusion.sampler = '%s'", t->diffusion_sampler);
    d->train_steps = t->diffusion_train_steps;
    d->sample_steps = t->diffusion_sample_steps;
    d->clip = t->diffusion_clip;
    if (!rise_clip_rule_parse(t->diffusion_clip_rule, &d->clip_rule))
        return rise_error(RISE_ERR_INVALID, "diffusion.clip_rule = '%s'", t->diffusion_clip_rule);
    d->spectral = !strcmp(t->spectral_mode, "code")    ? RISE_SPECTRAL_CODE
                  : !strcmp(t->spectral_mode, "paper") ? RISE_SPECTRAL_PAPER
                                                       : RISE_SPECTRAL_NONE;
    d->code_width = t->spectral_width;
    d->spectral_iters = t->spectral_iters;
    d->spectral_tol = t->spectral_tol;
    d->spectral_per_frame = t->spectral_per_frame;
    c->spectral_lambda = t->spectral_lambda;
    c->policy_lr = t->policy_lr;
    c->policy_weight_decay = t->train_weight_decay;
    c->ema = t->policy_ema;
    c->ema_power = t->policy_ema_power;
    c->ema_before = !strcmp(t->policy_ema_timing, "before");
    c->max_grad_norm = t->train_max_grad_norm;

    rise_iql_config *q = &c->critic;
    q->width = t->critic_width;
    q->depth = t->critic_depth;
    q->layernorm = t->critic_layernorm;
    q->discount = t->critic_discount;
    q->tau = t->critic_tau;
    q->expectile = t->critic_expectile;
    if (t->critic_hidden[0]) RISE_TRY(parse_hidden(t->critic_hidden, q));
    if (strcmp(t->critic_q_target_v, "auto")) /* else rise_agent_config_default's, by algo */
        q->q_target_v_before = !strcmp(t->critic_q_target_v, "before");
    q->q_opt.lr = q->v_opt.lr = t->critic_lr;
    q->q_opt.max_grad_norm = q->v_opt.max_grad_norm = t->train_max_grad_norm;

    c->candidates = t->extract_candidates;
    c->extract_rule =
        !strcmp(t->extract_rule, "expectile") ? RISE_EXTRACT_EXPECTILE : RISE_EXTRACT_ARGMAX;
    c->extract_temperature = t->extract_temperature;

    c->relabel = t->relabel_enable;
    rise_relabel_config *r = &c->relabel_cfg;
    r->k = t->relabel_k;
    r->retrieve_first = !strcmp(t->relabel_search, "retrieve_then_filter");
    r->raw_features = !strcmp(t->relabel_features, "raw");
    r->match_play_to_play = t->relabel_match_play_to_play;
    r->threshold = t->relabel_threshold;
    r->l2_normalize = t->relabel_l2_normalize;
    r->skip_expert = t->relabel_skip_expert;
    r->skip_nonexpert = t->relabel_skip_nonexpert;
    r->play_to_play = t->relabel_play_to_play;
    snprintf(r->match_key, sizeof r->match_key, "%s", t->relabel_match_key);
    r->match_tol = t->relabel_match_tol;
    c->relabel_every = t->relabel_every;
    c->relabel_block = t->relabel_block;
    c->relabel_critic_on_pairs = t->relabel_critic_on_pairs;
    c->noise_copies = t->noise_copies;
    c->noise_lo = t->noise_sigma_lo;
    c->noise_hi = t->noise_sigma_hi;
    c->awr_beta = t->actor_awr_beta;
    c->awr_max_weight = t->actor_awr_max_weight;
    c->log_std_min = t->actor_log_std_min;
    c->log_std_max = t->actor_log_std_max;
    c->cql_enable = t->cql_enable;
    c->cql_alpha = t->cql_alpha;
    c->cql_lagrange = t->cql_lagrange;
    c->cql_target_gap = t->cql_target_gap;
    c->cql_samples = t->cql_samples;
    c->cql_actor_lr = t->cql_actor_lr;
    c->cql_entropy_target = t->cql_entropy_target;
    c->cql_reward_scale = t->cql_reward_scale;
    c->cql_reward_bias = t->cql_reward_bias;
    RISE_TRY(set_cameras(t, n_cams, cams, c));
    return rise_agent_config_check(c);
}

/* "32,64" (or "[32, 64]") into out[0..*n); the error names the field. */
static rise_status parse_ints(const char *field, const char *text, int *out, int max, int *n) {
    *n = 0;
    for (const char *p = text; *p;) {
        while (*p == ' ' || *p == '[' || *p == ',' || *p == ']') ++p;
        if (!*p) break;
        char *end;
        const long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 65536 || *n == max)
            return rise_error(RISE_ERR_INVALID,
                              "%s = '%s': expected 1 to %d positive integers separated by commas",
                              field, text, max);
        out[(*n)++] = (int)v;
        p = end;
    }
    if (*n == 0) return rise_error(RISE_ERR_INVALID, "%s = '%s': no values", field, text);
    return RISE_OK;
}

static int crop_side(int crop, int side) {
    return crop < 0 ? side - side / 10 : crop == 0 ? side : crop;
}

/* The encoder settings for the cameras (none: vision.n_cams stays 0). */
static rise_status set_cameras(const rise_train_config *t, int n_cams,
                               const rise_camera_shape *cams, rise_agent_config *c) {
    rise_obs_encoder_config *v = &c->vision;
    memset(v, 0, sizeof *v);
    if (n_cams == 0) return RISE_OK;
    if (n_cams < 0 || n_cams > RISE_OBS_MAX_CAMERAS)
        return rise_error(RISE_ERR_INVALID, "data.obs_keys names %d cameras; at most %d", n_cams,
                          RISE_OBS_MAX_CAMERAS);
    rise_image_encoder_config *e = &v->enc;
    int n_strides = 0;
    RISE_TRY(parse_ints("encoder.channels", t->encoder_channels, e->block_channels,
                        RISE_IMAGE_ENCODER_MAX_BLOCKS, &e->n_blocks));
    RISE_TRY(parse_ints("encoder.strides", t->encoder_strides, e->block_stride,
                        RISE_IMAGE_ENCODER_MAX_BLOCKS, &n_strides));
    e->trunk = strcmp(t->encoder_trunk, "resnet") ? RISE_TRUNK_CONV : RISE_TRUNK_RESNET;
    if (e->trunk == RISE_TRUNK_CONV && n_strides != e->n_blocks)
        return rise_error(RISE_ERR_INVALID,
                          "encoder.strides = '%s' has %d values; encoder.channels = '%s' has %d "
                          "blocks (one stride per block)",
                          t->encoder_strides, n_strides, t->encoder_channels, e->n_blocks);
    e->kernel = t->encoder_kernel;
    e->groups = t->encoder_groups;
    e->stage_blocks = t->encoder_blocks;
    e->group_channels = t->encoder_group_channels;
    e->keypoints = t->encoder_keypoints;
    e->feat_dim = t->encoder_feat_dim;
    if (t->encoder_crop < -1)
        return rise_error(RISE_ERR_INVALID, "encoder.crop = %d, expected -1, 0 or a side >= 1",
                          t->encoder_crop);
    v->n_cams = n_cams;
    v->crop_h = v->crop_w = 1 << 30;
    for (int k = 0; k < n_cams; ++k) {
        v->cam[k] = cams[k];
        const int ch = crop_side(t->encoder_crop, cams[k].h);
        const int cw = crop_side(t->encoder_crop, cams[k].w);
        if (ch < v->crop_h) v->crop_h = ch;
        if (cw < v->crop_w) v->crop_w = cw;
    }
    return RISE_OK;
}
