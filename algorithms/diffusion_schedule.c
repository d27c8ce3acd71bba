/* diffusion_schedule.c - schedules and reverse-step coefficients (see the header). */
#include "diffusion_schedule.h"

#include <math.h>
#include <string.h>

int rise_schedule_parse(const char *s, rise_schedule_kind *k) {
    if (!strcmp(s, "cosine"))
        *k = RISE_SCHEDULE_COSINE;
    else if (!strcmp(s, "vp"))
        *k = RISE_SCHEDULE_VP;
    else if (!strcmp(s, "linear"))
        *k = RISE_SCHEDULE_LINEAR;
    else
        return 0;
    return 1;
}

int rise_sampler_parse(const char *s, rise_sampler_kind *k) {
    if (!strcmp(s, "ddpm"))
        *k = RISE_SAMPLER_DDPM;
    else if (!strcmp(s, "ddim"))
        *k = RISE_SAMPLER_DDIM;
    else
        return 0;
    return 1;
}

int rise_clip_rule_parse(const char *s, rise_clip_rule *r) {
    if (!strcmp(s, "x0"))
        *r = RISE_CLIP_X0;
    else if (!strcmp(s, "xt"))
        *r = RISE_CLIP_XT;
    else if (!strcmp(s, "both"))
        *r = RISE_CLIP_BOTH;
    else
        return 0;
    return 1;
}

static double cosine_alpha_bar(double t, int T) {
    const double c = cos((t / T + 0.008) / 1.008 * 3.14159265358979323846 / 2.0);
    return c * c;
}

rise_status rise_schedule_make(rise_schedule *s, rise_schedule_kind kind, int T) {
    if (T < 1 || T > RISE_DIFFUSION_MAX_STEPS)
        return rise_error(RISE_ERR_INVALID, "diffusion steps T = %d, expected 1..%d", T,
                          RISE_DIFFUSION_MAX_STEPS);
    memset(s, 0, sizeof *s);
    s->T = T;
    for (int k = 0; k < T; ++k) {
        double beta;
        if (kind == RISE_SCHEDULE_COSINE) {
            beta = 1.0 - cosine_alpha_bar(k + 1, T) / cosine_alpha_bar(k, T);
            if (beta > 0.999) beta = 0.999;
        } else if (kind == RISE_SCHEDULE_VP) {
            const double t = k + 1, bmin = 0.1, bmax = 10.0;
            beta = 1.0 - exp(-bmin / T - 0.5 * (bmax - bmin) * (2.0 * t - 1.0) / ((double)T * T));
        } else {
            beta = T == 1 ? 1e-4 : 1e-4 + (0.02 - 1e-4) * k / (T - 1);
        }
        s->beta[k] = beta;
        s->alpha[k] = 1.0 - beta;
        s->alpha_bar[k] = (k ? s->alpha_bar[k - 1] : 1.0) * s->alpha[k];
    }
    return RISE_OK;
}

int rise_sampler_steps(const rise_schedule *s, rise_sampler_kind kind, int sample_steps,
                       rise_clip_rule rule, rise_reverse_step *out) {
    const int clip_x0 = rule != RISE_CLIP_XT, clip_xt = rule != RISE_CLIP_X0;
    if (kind == RISE_SAMPLER_DDPM) {
        for (int i = 0; i < s->T; ++i) {
            const int k = s->T - 1 - i;
            const double ab = s->alpha_bar[k], ab_prev = k > 0 ? s->alpha_bar[k - 1] : 1.0;
            rise_reverse_step *r = &out[i];
            memset(r, 0, sizeof *r);
            r->k = k;
            r->clip_xt = clip_xt;
            if (rule == RISE_CLIP_XT) { /* IDQL: the eps form, variance beta */
                r->c_x = 1.0 / sqrt(s->alpha[k]);
                r->c_eps = -s->beta[k] / sqrt(1.0 - ab) / sqrt(s->alpha[k]);
                r->noise = k > 0 ? sqrt(s->beta[k]) : 0.0;
                continue;
            }
            /* diffusers: the posterior mean from the clipped x0, variance beta-tilde */
            r->two_stage = 1;
            r->clip_x0 = clip_x0;
            r->c_x0 = 1.0 / sqrt(ab);
            r->c_eps0 = -sqrt(1.0 - ab) / sqrt(ab);
            r->c_x = sqrt(ab_prev) * s->beta[k] / (1.0 - ab);
            r->c_xt = sqrt(s->alpha[k]) * (1.0 - ab_prev) / (1.0 - ab);
            double var = (1.0 - ab_prev) / (1.0 - ab) * s->beta[k];
            if (var < 1e-20) var = 1e-20;
            r->noise = k > 0 ? sqrt(var) : 0.0;
        }
        return s->T;
    }
    const int S = sample_steps, ratio = s->T / S;
    for (int i = 0; i < S; ++i) {
        const int k = (S - 1 - i) * ratio, prev = k - ratio;
        const double ab = s->alpha_bar[k], ab_prev = prev >= 0 ? s->alpha_bar[prev] : 1.0;
        rise_reverse_step *r = &out[i];
        memset(r, 0, sizeof *r);
        r->k = k;
        r->two_stage = 1;
        r->clip_x0 = clip_x0;
        r->clip_xt = clip_xt;
        r->c_x0 = 1.0 / sqrt(ab);
        r->c_eps0 = -sqrt(1.0 - ab) / sqrt(ab);
        r->c_x = sqrt(ab_prev);
        r->c_eps = sqrt(1.0 - ab_prev);
    }
    return S;
}
