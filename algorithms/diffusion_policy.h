/* diffusion_policy.h - epsilon-prediction diffusion behaviour policy on the backend table.
 *
 * The denoiser eps_hat = net([c(o), x_k, emb(k)]) sees the flattened, normalised
 * observation history o [B, To*D] (through the optional "code" MLP c of RISE's
 * spectral penalty, else c = identity), the noisy action chunk x_k [B, Ta*A] and a
 * time embedding of the step index k; net is an LN-ResNet (IDQL) or an MLP. Or, with
 * cfg.unet, eps_hat = unet(x_k as [B, Ta, A], k, c(o)): Diffusion Policy's conditional
 * 1-D U-Net (unet.h; its own sinusoidal step encoder, FiLM on [step, c(o)]), the RISE
 * paper's network.
 *
 * Training (rise_diffusion_loss): k uniform, eps ~ N(0, I), x_k from the schedule
 * (one fused backend op), loss = mean w (eps_hat - eps)^2, gradients into the grad
 * slot. The spectral penalty (rise_diffusion_spectral) adds either
 *   code:  lambda * sigma_max(W_last of c)          (RISE's code), or
 *   paper: lambda * sum_W sigma_max(W)^2            (over every Linear of the policy),
 * by power iteration whose vectors persist across steps (state to checkpoint), run to
 * convergence (spectral_tol > 0: sigma_max to float precision, as RISE's code's exact
 * matrix_norm(ord=2)) or for a fixed number of iterations. RISE's code applies c to each
 * observation frame (spectral_per_frame: c maps D -> D, To times) before flattening.
 * Sampling (rise_diffusion_sample): DDPM or DDIM from given noise, clipped by clip_rule
 * (diffusion_schedule.h).
 *
 * Randomness: the caller passes one rise_rng per call; the noising op uses
 * stream rng.stream, dropout rng.stream + 1, each at rng.offset, so a call's draws
 * are a function of (seed, stream, offset) alone. Give each step its own offset. */
#ifndef RISE_DIFFUSION_POLICY_H
#define RISE_DIFFUSION_POLICY_H

#include "diffusion_schedule.h"
#include "lnresnet.h"
#include "mlp.h"
#include "time_embedding.h"
#include "unet.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { RISE_SPECTRAL_NONE = 0, RISE_SPECTRAL_CODE, RISE_SPECTRAL_PAPER } rise_spectral_mode;

typedef struct {
    int obs_dim;  /* To * D */
    int act_dim;  /* Ta * A */
    int lnresnet; /* 1: LN-ResNet denoiser, 0: MLP (ignored with unet) */
    int unet;     /* 1: Diffusion Policy's conditional U-Net (then unet_cfg below) */
    /* act_dim A per step, horizon T = Ta, and its sizes; cond_dim is set to obs_dim */
    rise_unet_config unet_cfg;
    int width, depth;
    float dropout;
    rise_act act;
    rise_time_embedding_config time;
    rise_schedule_kind schedule;
    rise_sampler_kind sampler;
    int train_steps, sample_steps;
    float clip;
    rise_clip_rule clip_rule;
    rise_spectral_mode spectral;
    int code_width;         /* hidden width of the code MLP (spectral code form) */
    int spectral_iters;     /* power iterations per step (at most, when spectral_tol > 0) */
    float spectral_tol;     /* > 0: stop once no entry of u moves by more than this */
    int obs_frames;         /* To: obs_dim = To * D (0 counts as 1) */
    int spectral_per_frame; /* the code MLP maps each frame's D features (else all To*D) */
} rise_diffusion_config;

#define RISE_DIFFUSION_MAX_LAYERS 40

typedef struct {
    rise_diffusion_config cfg;
    rise_lnresnet res;
    rise_mlp mlp;
    rise_mlp code; /* RISE's d -> W -> W -> d MLP (spectral code form) */
    rise_unet unet;
    rise_time_embedding te;
    int in_dim;      /* obs_dim + act_dim + 2F */
    int code_frames; /* rows per observation the code MLP sees (To per frame, else 1) */
    rise_schedule sched;
    rise_reverse_step steps[RISE_DIFFUSION_MAX_STEPS];
    int n_steps;
    /* Linears penalised by the spectral term, with their power-iteration vectors. */
    int n_spec;
    const rise_linear *spec_layer[RISE_DIFFUSION_MAX_LAYERS];
    size_t spec_u_off[RISE_DIFFUSION_MAX_LAYERS], spec_v_off[RISE_DIFFUSION_MAX_LAYERS];
    size_t spec_state_len; /* floats of u/v state */
    /* Backend memory owned by the policy. */
    rise_backend *be;
    float *sqrt_ab, *sqrt_1mab; /* [T] */
    float *spec_state;          /* u/v vectors, persistent (checkpointed) */
    float *sigma;               /* [n_spec] last sigma_max values */
} rise_diffusion;

/* Registers every tensor under "<name>." in p (call before rise_params_alloc). */
rise_status rise_diffusion_register(rise_diffusion *d, rise_params *p, const char *name,
                                    const rise_diffusion_config *cfg);
/* After rise_params_alloc: schedule tables and spectral state on be (u random unit). */
rise_status rise_diffusion_setup(rise_diffusion *d, rise_backend *be, uint64_t seed);
void rise_diffusion_free(rise_diffusion *d);

/* loss (backend scalar) = mean over B * act_dim of w (eps_hat - eps)^2 (w [B*act_dim] or
 * NULL); grads accumulate into g. dobs [B, obs_dim] (may be NULL) receives d loss / d obs,
 * overwritten: what a learnt observation encoder in front of the policy trains on. */
void rise_diffusion_loss(const rise_diffusion *d, rise_backend *be, const float *w, float *g,
                         rise_arena *ar, const float *obs, const float *a0, const float *weight,
                         int batch, rise_rng rng, float *loss, float *dobs);

/* Spectral penalty: updates the power iteration on the value slot w, adds lambda * (sum
 * of) sigma (squared for the paper form) gradients into g, and writes each sigma to
 * d->sigma. Returns without doing anything when the mode is none. */
void rise_diffusion_spectral(rise_diffusion *d, rise_backend *be, const float *w, float *g,
                             float lambda);

/* Samples x [N, act_dim] for obs [N, obs_dim] with weights w (the EMA slot), starting
 * from noise [(n_steps + 1) * N * act_dim] (x_T first, then one block per step; DDIM
 * reads only x_T). Scratch from ar (rewound on return). */
void rise_diffusion_sample(const rise_diffusion *d, rise_backend *be, const float *w,
                           rise_arena *ar, const float *obs, int n, const float *noise, float *x);

/* Floats of noise rise_diffusion_sample reads for n rows. */
size_t rise_diffusion_noise_len(const rise_diffusion *d, int n);

#ifdef __cplusplus
}
#endif
#endif
