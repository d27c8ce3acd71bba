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
 * Samplers, and what they clip to [-clip, clip] (rise_clip_rule):
 *  - x0 (diffusers' schedulers with clip_sample, RISE's code): the predicted
 *    x0 = (x - sqrt(1 - ab_k) eps) / sqrt(ab_k) is clipped, x_t never.
 *    DDPM steps by the posterior mean from the clipped x0,
 *      x = sqrt(ab_prev) beta_k / (1 - ab_k) x0 + sqrt(alpha_k) (1 - ab_prev) / (1 - ab_k) x,
 *    plus sqrt(beta~_k) z for k > 0, beta~_k = (1 - ab_prev) / (1 - ab_k) beta_k (diffusers'
 *    "fixed_small" variance, floored at 1e-20); ab_prev = 1 at k = 0.
 *    DDIM (eta 0, diffusers' "leading" spacing, set_alpha_to_one): S steps k_s = s T / S,
 *    visited from the largest, x = sqrt(ab_prev) x0 + sqrt(1 - ab_prev) eps with the
 *    network's eps (not one recomputed from the clipped x0).
 *  - xt (IDQL's sampler): x_t is clamped after every step, x0 never. DDPM by the eps form
 *    x = (x - beta_k / sqrt(1 - ab_k) eps) / sqrt(alpha_k) + sqrt(beta_k) z (variance beta);
 *    DDIM as above without clipping x0.
 *  - both: x0 clipped and x_t clamped (DDPM in the posterior form) - rise's DDIM before the
 *    x0 rule became the default. */
#ifndef RISE_DIFFUSION_SCHEDULE_H
#define RISE_DIFFUSION_SCHEDULE_H

#include "../host/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_DIFFUSION_MAX_STEPS 1000

typedef enum {
    RISE_SCHEDULE_COSINE = 0,
    RISE_SCHEDULE_VP,
    RISE_SCHEDULE_LINEAR
} rise_schedule_kind;
typedef enum { RISE_SAMPLER_DDPM = 0, RISE_SAMPLER_DDIM } rise_sampler_kind;
typedef enum { RISE_CLIP_X0 = 0, RISE_CLIP_XT, RISE_CLIP_BOTH } rise_clip_rule;

int rise_schedule_parse(const char *s, rise_schedule_kind *k);
int rise_sampler_parse(const char *s, rise_sampler_kind *k);
int rise_clip_rule_parse(const char *s, rise_clip_rule *r);

typedef struct {
    int T;
    double beta[RISE_DIFFUSION_MAX_STEPS], alpha[RISE_DIFFUSION_MAX_STEPS];
    double alpha_bar[RISE_DIFFUSION_MAX_STEPS];
} rise_schedule;

rise_status rise_schedule_make(rise_schedule *s, rise_schedule_kind kind, int T);

/* One reverse step from x to x_next:
 *   two_stage: x0 = c_x0 x + c_eps0 eps_hat, clipped when clip_x0;
 *              x_next = c_x x0 + c_xt x + c_eps eps_hat
 *   else:      x_next = c_x x + c_eps eps_hat
 * then + noise * z, clamped when clip_xt. */
typedef struct {
    int k;         /* time index fed to the denoiser */
    int two_stage; /* through the predicted x0 */
    int clip_x0, clip_xt;
    double c_x0, c_eps0;
    double c_x, c_xt, c_eps;
    double noise; /* DDPM: the step's standard deviation for k > 0, else 0 */
} rise_reverse_step;

/* The reverse steps of a sampler under a clip rule, in execution order; returns their
 * count (T for DDPM, sample_steps for DDIM). */
int rise_sampler_steps(const rise_schedule *s, rise_sampler_kind kind, int sample_steps,
                       rise_clip_rule rule, rise_reverse_step *out);

#ifdef __cplusplus
}
#endif
#endif
