/* diffusion_policy.c - diffusion behaviour policy: loss, spectral penalty, sampling.
 * See diffusion_policy.h. Every backend call is skipped on a measuring arena (ar->be NULL),
 * so the same code sizes the arena. */
#include "diffusion_policy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_spec_layer(rise_diffusion *d, const rise_linear *l) {
    if (d->n_spec >= RISE_DIFFUSION_MAX_LAYERS) return;
    const int i = d->n_spec++;
    d->spec_layer[i] = l;
    d->spec_u_off[i] = d->spec_state_len;
    d->spec_v_off[i] = d->spec_state_len + (size_t)l->in;
    d->spec_state_len += (size_t)l->in + (size_t)l->out;
}

rise_status rise_diffusion_register(rise_diffusion *d, rise_params *p, const char *name,
                                    const rise_diffusion_config *cfg) {
    memset(d, 0, sizeof *d);
    d->cfg = *cfg;
    if (cfg->obs_dim < 1 || cfg->act_dim < 1)
        return rise_error(RISE_ERR_INVALID, "diffusion policy: obs_dim %d, act_dim %d (>= 1)",
                          cfg->obs_dim, cfg->act_dim);
    if (cfg->sampler == RISE_SAMPLER_DDIM &&
        (cfg->sample_steps < 1 || cfg->sample_steps > cfg->train_steps))
        return rise_error(RISE_ERR_INVALID, "diffusion.sample_steps = %d, expected 1..%d",
                          cfg->sample_steps, cfg->train_steps);
    const int frames = cfg->obs_frames > 0 ? cfg->obs_frames : 1;
    if (cfg->obs_dim % frames)
        return rise_error(RISE_ERR_INVALID,
                          "diffusion policy: obs_dim %d is not a multiple of %d frames",
                          cfg->obs_dim, frames);
    RISE_TRY(rise_schedule_make(&d->sched, cfg->schedule, cfg->train_steps));
    d->n_steps =
        rise_sampler_steps(&d->sched, cfg->sampler, cfg->sample_steps, cfg->clip_rule, d->steps);
    d->code_frames = cfg->spectral_per_frame ? frames : 1;
    char buf[96];
    if (cfg->unet && cfg->spectral == RISE_SPECTRAL_PAPER)
        return rise_error(RISE_ERR_INVALID,
                          "spectral.mode = paper (sum of sigma_max^2 over every Linear) is not "
                          "defined for policy.net = unet; use spectral.mode = code or none");
    if (cfg->unet) {
        const rise_unet_config *uc = &cfg->unet_cfg;
        if (uc->horizon < 1 || uc->act_dim * uc->horizon != cfg->act_dim)
            return rise_error(RISE_ERR_INVALID,
                              "policy.net = unet: action chunk of %d values is not horizon %d x "
                              "action dim %d",
                              cfg->act_dim, uc->horizon, uc->act_dim);
    } else {
        snprintf(buf, sizeof buf, "%s.time", name);
        RISE_TRY(rise_time_embedding_register(&d->te, p, buf, &cfg->time));
        d->in_dim = cfg->obs_dim + cfg->act_dim + rise_time_embedding_dim(&d->te);
    }
    if (cfg->spectral == RISE_SPECTRAL_CODE) {
        rise_mlp_config mc = rise_mlp_config_default();
        mc.in_dim = mc.out_dim = cfg->obs_dim / d->code_frames;
        mc.n_hidden = 2;
        mc.hidden[0] = mc.hidden[1] = cfg->code_width;
        mc.act = RISE_ACT_RELU;
        snprintf(buf, sizeof buf, "%s.code", name);
        RISE_TRY(rise_mlp_register(&d->code, p, buf, &mc));
    }
    snprintf(buf, sizeof buf, "%s.net", name);
    if (cfg->unet) {
        rise_unet_config uc = cfg->unet_cfg;
        uc.cond_dim = cfg->obs_dim;
        RISE_TRY(rise_unet_register(&d->unet, p, buf, &uc));
    } else if (cfg->lnresnet) {
        rise_lnresnet_config rc = rise_lnresnet_config_default();
        rc.in_dim = d->in_dim;
        rc.out_dim = cfg->act_dim;
        rc.hidden = cfg->width;
        rc.n_blocks = cfg->depth;
        rc.act = cfg->act;
        rc.dropout = cfg->dropout;
        RISE_TRY(rise_lnresnet_register(&d->res, p, buf, &rc));
    } else {
        rise_mlp_config mc = rise_mlp_config_default();
        mc.in_dim = d->in_dim;
        mc.out_dim = cfg->act_dim;
        mc.n_hidden = cfg->depth;
        for (int l = 0; l < cfg->depth; ++l) mc.hidden[l] = cfg->width;
        mc.act = cfg->act;
        mc.dropout = cfg->dropout;
        RISE_TRY(rise_mlp_register(&d->mlp, p, buf, &mc));
    }
    if (cfg->spectral == RISE_SPECTRAL_CODE) {
        add_spec_layer(d, &d->code.out);
    } else if (cfg->spectral == RISE_SPECTRAL_PAPER) {
        if (cfg->lnresnet) {
            add_spec_layer(d, &d->res.in);
            for (int k = 0; k < cfg->depth; ++k) {
                add_spec_layer(d, &d->res.fc1[k]);
                add_spec_layer(d, &d->res.fc2[k]);
            }
            add_spec_layer(d, &d->res.out);
        } else {
            for (int l = 0; l < cfg->depth; ++l) add_spec_layer(d, &d->mlp.fc[l]);
            add_spec_layer(d, &d->mlp.out);
        }
    }
    return RISE_OK;
}

rise_status rise_diffusion_setup(rise_diffusion *d, rise_backend *be, uint64_t seed) {
    const int T = d->sched.T;
    d->be = be;
    RISE_TRY(d->cfg.unet ? rise_unet_setup(&d->unet, be) : rise_time_embedding_setup(&d->te, be));
    float *tab = malloc(sizeof(float) * 2 * (size_t)T);
    if (!tab) return rise_error(RISE_ERR_NOMEM, "diffusion policy: schedule table");
    for (int k = 0; k < T; ++k) {
        tab[k] = (float)sqrt(d->sched.alpha_bar[k]);
        tab[T + k] = (float)sqrt(1.0 - d->sched.alpha_bar[k]);
    }
    d->sqrt_ab = be->alloc(be, sizeof(float) * 2 * (size_t)T);
    if (!d->sqrt_ab) {
        free(tab);
        return rise_error_context(RISE_ERR_NOMEM, "diffusion policy schedule on %s: ", be->name);
    }
    d->sqrt_1mab = d->sqrt_ab + T;
    be->upload(be, d->sqrt_ab, tab, sizeof(float) * 2 * (size_t)T);
    free(tab);
    if (d->n_spec) {
        d->spec_state = be->alloc(be, sizeof(float) * d->spec_state_len);
        d->sigma = be->alloc(be, sizeof(float) * (size_t)d->n_spec);
        if (!d->spec_state || !d->sigma)
            return rise_error_context(RISE_ERR_NOMEM, "spectral state on %s: ", be->name);
        /* u starts as a normalised Philox normal vector (v is overwritten first). */
        float *h = malloc(sizeof(float) * d->spec_state_len);
        if (!h) return rise_error(RISE_ERR_NOMEM, "spectral state");
        for (int i = 0; i < d->n_spec; ++i) {
            const int rows = d->spec_layer[i]->in;
            float *u = h + d->spec_u_off[i];
            double nrm = 0.0;
            for (int r = 0; r < rows; ++r) {
                u[r] = rise_rng_normal(seed, 0x5350u, (uint64_t)i << 20, (uint64_t)r);
                nrm += (double)u[r] * u[r];
            }
            for (int r = 0; r < rows; ++r) u[r] = (float)(u[r] / sqrt(nrm));
            memset(h + d->spec_v_off[i], 0, sizeof(float) * (size_t)d->spec_layer[i]->out);
        }
        be->upload(be, d->spec_state, h, sizeof(float) * d->spec_state_len);
        free(h);
    }
    return RISE_OK;
}

void rise_diffusion_free(rise_diffusion *d) {
    if (d->be) {
        if (d->sqrt_ab) d->be->free(d->be, d->sqrt_ab);
        if (d->spec_state) d->be->free(d->be, d->spec_state);
        if (d->sigma) d->be->free(d->be, d->sigma);
    }
    rise_time_embedding_free(&d->te);
    if (d->cfg.unet) rise_unet_free(&d->unet);
    d->sqrt_ab = d->spec_state = d->sigma = NULL;
}

/* The denoiser's trunk on input x [B, in_dim]: y [B, act_dim]. */
typedef struct {
    rise_lnresnet_tape res;
    rise_mlp_tape mlp;
    const float *y;
} net_tape;

static void net_forward(const rise_diffusion *d, rise_backend *be, const float *w, rise_arena *ar,
                        net_tape *t, const float *x, int batch, int train, rise_rng rng) {
    if (d->cfg.lnresnet) {
        rise_lnresnet_forward(&d->res, be, w, ar, &t->res, x, batch, 1, train, rng);
        t->y = t->res.y;
    } else {
        rise_mlp_forward(&d->mlp, be, w, ar, &t->mlp, x, batch, 1, train, rng);
        t->y = t->mlp.y;
    }
}

static void net_backward(const rise_diffusion *d, rise_backend *be, const float *w, float *g,
                         rise_arena *ar, const net_tape *t, const float *dy, float *dx) {
    if (d->cfg.lnresnet)
        rise_lnresnet_backward(&d->res, be, w, g, ar, &t->res, dy, dx, 0);
    else
        rise_mlp_backward(&d->mlp, be, w, g, ar, &t->mlp, dy, dx, 0);
}

/* feat [B, obs_dim] = c(obs) (or obs itself); the tape is in *ct when the code MLP runs.
 * Per frame, [B, To D] is [B To, D] row-major: c runs on B To rows. */
static const float *obs_features(const rise_diffusion *d, rise_backend *be, const float *w,
                                 rise_arena *ar, rise_mlp_tape *ct, const float *obs, int batch) {
    if (d->cfg.spectral != RISE_SPECTRAL_CODE) return obs;
    const rise_rng none = {0, 0, 0, NULL};
    rise_mlp_forward(&d->code, be, w, ar, ct, obs, batch * d->code_frames, 1, 0, none);
    return ct->y;
}

/* The U-Net's loss: x_k and k from the fused noising op, eps_hat = unet(x_k, k, c(o)). */
static void unet_loss(const rise_diffusion *d, rise_backend *be, const float *w, float *g,
                      rise_arena *ar, const float *obs, const float *a0, const float *weight,
                      int batch, rise_rng rng, float *loss, float *dobs) {
    const int run = ar->be != NULL;
    const int O = d->cfg.obs_dim, A = d->cfg.act_dim;
    const size_t na = (size_t)batch * A;
    float *xt = rise_arena_alloc(ar, na), *eps = rise_arena_alloc(ar, na);
    float *t = rise_arena_alloc(ar, (size_t)batch);
    if (run)
        be->diffusion_q_sample(be, xt, eps, t, a0, d->sqrt_ab, d->sqrt_1mab, batch, A, d->sched.T,
                               rng);
    rise_mlp_tape ct;
    const float *feat = obs_features(d, be, w, ar, &ct, obs, batch);
    rise_unet_tape ut;
    rise_unet_forward(&d->unet, be, w, ar, &ut, xt, t, feat, batch);
    float *dy = rise_arena_alloc(ar, na);
    if (run) be->mse(be, loss, dy, ut.y, eps, weight, na, 1.0f);
    const int code = d->cfg.spectral == RISE_SPECTRAL_CODE;
    float *dfeat = code ? rise_arena_alloc(ar, (size_t)batch * O) : dobs;
    rise_unet_backward(&d->unet, be, w, g, ar, &ut, dy, dfeat);
    if (code) rise_mlp_backward(&d->code, be, w, g, ar, &ct, dfeat, dobs, 0);
}

void rise_diffusion_loss(const rise_diffusion *d, rise_backend *be, const float *w, float *g,
                         rise_arena *ar, const float *obs, const float *a0, const float *weight,
                         int batch, rise_rng rng, float *loss, float *dobs) {
    if (d->cfg.unet) {
        unet_loss(d, be, w, g, ar, obs, a0, weight, batch, rng, loss, dobs);
        return;
    }
    const int run = ar->be != NULL;
    const int O = d->cfg.obs_dim, A = d->cfg.act_dim, E = rise_time_embedding_dim(&d->te);
    const int I = d->in_dim;
    const size_t na = (size_t)batch * A;
    float *xt = rise_arena_alloc(ar, na), *eps = rise_arena_alloc(ar, na);
    float *t = rise_arena_alloc(ar, (size_t)batch);
    float *emb = rise_arena_alloc(ar, (size_t)batch * E);
    float *x = rise_arena_alloc(ar, (size_t)batch * I);
    if (run) {
        be->diffusion_q_sample(be, xt, eps, t, a0, d->sqrt_ab, d->sqrt_1mab, batch, A, d->sched.T,
                               rng);
        rise_time_embedding_forward(&d->te, be, w, emb, t, batch);
    }
    rise_mlp_tape ct;
    const float *feat = obs_features(d, be, w, ar, &ct, obs, batch);
    if (run) {
        be->copy_cols(be, x, I, 0, feat, O, 0, batch, O, 0);
        be->copy_cols(be, x, I, O, xt, A, 0, batch, A, 0);
        be->copy_cols(be, x, I, O + A, emb, E, 0, batch, E, 0);
    }
    net_tape nt;
    const rise_rng drop = rise_rng_substream(rng, 1);
    net_forward(d, be, w, ar, &nt, x, batch, 1, drop);
    float *dy = rise_arena_alloc(ar, na), *dx = rise_arena_alloc(ar, (size_t)batch * I);
    if (run) be->mse(be, loss, dy, nt.y, eps, weight, na, 1.0f);
    const int code = d->cfg.spectral == RISE_SPECTRAL_CODE;
    const int need_dx = code || dobs || d->cfg.time.kind == RISE_TIME_FOURIER;
    net_backward(d, be, w, g, ar, &nt, dy, need_dx ? dx : NULL);
    if (!need_dx) return;
    if (d->cfg.time.kind == RISE_TIME_FOURIER) {
        float *demb = rise_arena_alloc(ar, (size_t)batch * E);
        if (run) {
            be->copy_cols(be, demb, E, 0, dx, I, O + A, batch, E, 0);
            rise_time_embedding_backward(&d->te, be, w, g, demb, t, batch);
        }
    }
    if (code || dobs) {
        float *dfeat = code ? rise_arena_alloc(ar, (size_t)batch * O) : dobs;
        if (run) be->copy_cols(be, dfeat, O, 0, dx, I, 0, batch, O, 0);
        if (code) rise_mlp_backward(&d->code, be, w, g, ar, &ct, dfeat, dobs, 0);
    }
}

void rise_diffusion_spectral(rise_diffusion *d, rise_backend *be, const float *w, float *g,
                             float lambda) {
    const int squared = d->cfg.spectral == RISE_SPECTRAL_PAPER;
    for (int i = 0; i < d->n_spec; ++i) {
        const rise_linear *l = d->spec_layer[i];
        float *u = d->spec_state + d->spec_u_off[i], *v = d->spec_state + d->spec_v_off[i];
        be->spectral_norm_forward(be, d->sigma + i, u, v, w + l->w_off, l->in, l->out,
                                  d->cfg.spectral_iters, d->cfg.spectral_tol);
        be->spectral_norm_backward(be, g + l->w_off, d->sigma + i, u, v, l->in, l->out, lambda,
                                   squared);
    }
}

size_t rise_diffusion_noise_len(const rise_diffusion *d, int n) {
    return (size_t)(d->n_steps + 1) * (size_t)n * (size_t)d->cfg.act_dim;
}

void rise_diffusion_sample(const rise_diffusion *d, rise_backend *be, const float *w,
                           rise_arena *ar, const float *obs, int n, const float *noise, float *x) {
    const int run = ar->be != NULL;
    const size_t mark = rise_arena_mark(ar);
    const int O = d->cfg.obs_dim, A = d->cfg.act_dim, E = rise_time_embedding_dim(&d->te);
    const int I = d->in_dim, unet = d->cfg.unet;
    const size_t na = (size_t)n * A;
    const float clip = d->cfg.clip;
    rise_mlp_tape ct;
    const float *feat = obs_features(d, be, w, ar, &ct, obs, n);
    float *in = unet ? NULL : rise_arena_alloc(ar, (size_t)n * I);
    float *t = rise_arena_alloc(ar, (size_t)n), *emb = rise_arena_alloc(ar, (size_t)n * E);
    float *x0 = rise_arena_alloc(ar, na);
    if (run) {
        if (!unet) be->copy_cols(be, in, I, 0, feat, O, 0, n, O, 0);
        be->copy(be, x, noise, sizeof(float) * na);
    }
    const size_t loop_mark = rise_arena_mark(ar);
    const rise_rng none = {0, 0, 0, NULL};
    for (int s = 0; s < d->n_steps; ++s) {
        const rise_reverse_step *r = &d->steps[s];
        rise_arena_rewind(ar, loop_mark);
        if (run) be->fill(be, t, (float)r->k, (size_t)n);
        net_tape nt;
        if (unet) {
            rise_unet_tape ut;
            rise_unet_forward(&d->unet, be, w, ar, &ut, x, t, feat, n);
            nt.y = ut.y;
        } else {
            if (run) {
                rise_time_embedding_forward(&d->te, be, w, emb, t, n);
                be->copy_cols(be, in, I, O, x, A, 0, n, A, 0);
                be->copy_cols(be, in, I, O + A, emb, E, 0, n, E, 0);
            }
            net_forward(d, be, w, ar, &nt, in, n, 0, none);
        }
        if (!run) continue;
        if (r->two_stage) {
            /* x0 = c_x0 x + c_eps0 eps (clipped); x = c_x x0 + c_xt x + c_eps eps */
            be->copy(be, x0, x, sizeof(float) * na);
            be->scale(be, x0, (float)r->c_x0, na);
            be->axpy(be, x0, (float)r->c_eps0, nt.y, na);
            if (r->clip_x0) be->clamp(be, x0, x0, -clip, clip, na);
            if (r->c_xt != 0.0) {
                be->scale(be, x, (float)r->c_xt, na);
                be->axpy(be, x, (float)r->c_x, x0, na);
            } else {
                be->copy(be, x, x0, sizeof(float) * na);
                be->scale(be, x, (float)r->c_x, na);
            }
            if (r->c_eps != 0.0) be->axpy(be, x, (float)r->c_eps, nt.y, na);
        } else {
            be->scale(be, x, (float)r->c_x, na);
            be->axpy(be, x, (float)r->c_eps, nt.y, na);
        }
        if (r->noise > 0.0) be->axpy(be, x, (float)r->noise, noise + (size_t)(s + 1) * na, na);
        if (r->clip_xt) be->clamp(be, x, x, -clip, clip, na);
    }
    rise_arena_rewind(ar, mark);
}
