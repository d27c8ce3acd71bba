/* diffusion_schedule.h - noise schedules and sampler coefficients of a diffusion policy.
 *
 * Forward process over T steps k = 0 .. T-1 (0-based): beta_k, alpha_k = 1 - beta_k,
 * alpha_bar_k = prod_{i <= k} alpha_i, and x_k = sqrt(alpha_bar_k) x_0 +
 * sqrt(1 - alpha_bar_k) eps. Schedules:
 *  - cosine (Nichol & Dhariwal; diffusers' "squaredcos_cap_v2", Diffusion Policy and RISE):
 *    alpha_bar(t) = cos^2(((t / T) + 0.008) / 1.008 * pi / 2), beta_k = min(1 -
 *    alpha_bar(k + 1) / alpha_bar(k), 0.999);
 *  - vp (IDQL's variance-preserving schedule, b_min 0.1, b_max 10): with t = k + 1,
 *    alpha_k = exp(-b_min / T - (b_max - b_min) (2t - 1) / (2 T^2));
 *  - linear: beta from 1e-4 to 0.02.
 * Samplers (both clip to [-clip, clip]):
 *  - DDPM (IDQL): k = T-1 .. 0: x = (x - beta_k / sqrt(1 - alpha_bar_k) eps) / sqrt(alpha_k),
 *    then + sqrt(beta_k) z for k > 0, clipped every step;
 *  - DDIM (eta 0, diffusers' "leading" spacing, final alpha_bar 1): S steps k_s = s * T / S,
 *    visited from the largest; x0 = clip((x - sqrt(1 - ab_k) eps) / sqrt(ab_k)), x =
 *    sqrt(ab_prev) x0 + sqrt(1 - ab_prev) eps. */
#ifndef RISE_DIFFUSION_SCHEDULE_H
#define RISE_DIFFUSION_SCHEDULE_H

#include "../host/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_DIFFUSION_MAX_STEPS 1000

typedef enum { RISE_SCHEDULE_COSINE = 0, RISE_SCHEDULE_VP, RISE_SCHEDULE_LINEAR } rise_schedule_kind;
typedef enum { RISE_SAMPLER_DDPM = 0, RISE_SAMPLER_DDIM } rise_sampler_kind;

int rise_schedule_parse(const char *s, rise_schedule_kind *k);
int rise_sampler_parse(const char *s, rise_sampler_kind *k);

typedef struct {
    int T;
    double beta[RISE_DIFFUSION_MAX_STEPS], alpha[RISE_DIFFUSION_MAX_STEPS];
    double alpha_bar[RISE_DIFFUSION_MAX_STEPS];
} rise_schedule;

rise_status rise_schedule_make(rise_schedule *s, rise_schedule_kind kind, int T);

/* One reverse step: x_next = c_x * x + c_eps * eps_hat (+ noise * z), then clip.
 * DDIM's x0 clipping makes it two affine steps: x0 = clip(c_x0 x + c_eps0 eps), then
 * x = c_x * x0 + c_eps * eps_hat. */
typedef struct {
    int k;          /* time index fed to the denoiser */
    int two_stage;  /* DDIM: 1 */
    double c_x0, c_eps0;
    double c_x, c_eps;
    double noise; /* DDPM: sqrt(beta_k) for k > 0, else 0 */
} rise_reverse_step;

/* The reverse steps of a sampler, in execution order; returns their count (T for DDPM,
 * sample_steps for DDIM). */
int rise_sampler_steps(const rise_schedule *s, rise_sampler_kind kind, int sample_steps,
                       rise_reverse_step *out);

#ifdef __cplusplus
}
#endif
#endif
