/* time_embedding.c - sinusoidal and learned-Fourier time embeddings. */
#include "time_embedding.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

rise_time_embedding_config rise_time_embedding_config_default(void) {
    rise_time_embedding_config c;
    c.kind = RISE_TIME_FOURIER;
    c.n_freq = 8;
    c.max_period = 10000.0f;
    c.sigma = 6.283185307179586f * 0.2f;
    return c;
}

rise_status rise_time_embedding_config_check(const rise_time_embedding_config *c) {
    if (c->kind != RISE_TIME_SINUSOIDAL && c->kind != RISE_TIME_FOURIER)
        return rise_error(RISE_ERR_INVALID, "time embedding: unknown kind %d", (int)c->kind);
    if (c->n_freq <= 0)
        return rise_error(RISE_ERR_INVALID, "time embedding: n_freq %d, expected > 0", c->n_freq);
    if (c->kind == RISE_TIME_SINUSOIDAL && !(c->max_period > 1.0f))
        return rise_error(RISE_ERR_INVALID, "time embedding: max_period %g, expected > 1",
                          (double)c->max_period);
    if (c->kind == RISE_TIME_FOURIER && !(c->sigma > 0.0f))
        return rise_error(RISE_ERR_INVALID, "time embedding: sigma %g, expected > 0",
                          (double)c->sigma);
    return RISE_OK;
}

rise_status rise_time_embedding_register(rise_time_embedding *te, rise_params *p, const char *name,
                                         const rise_time_embedding_config *cfg) {
    RISE_TRY(rise_time_embedding_config_check(cfg));
    memset(te, 0, sizeof *te);
    te->cfg = *cfg;
    if (cfg->kind != RISE_TIME_FOURIER) return RISE_OK;
    if (!p)
        return rise_error(RISE_ERR_INVALID, "time embedding '%s': fourier needs a parameter table",
                          name);
    char buf[RISE_PARAM_NAME_MAX + 4];
    snprintf(buf, sizeof buf, "%s.f", name);
    return rise_params_add(p, buf, 1, &cfg->n_freq, rise_init_normal(0.0f, cfg->sigma), &te->f_off);
}

rise_status rise_time_embedding_setup(rise_time_embedding *te, rise_backend *be) {
    if (te->cfg.kind != RISE_TIME_SINUSOIDAL || te->fixed_f) return RISE_OK;
    const int n = te->cfg.n_freq;
    float *host = malloc((size_t)n * sizeof *host);
    if (!host) return rise_error(RISE_ERR_NOMEM, "time embedding: out of host memory");
    /* n == 1 keeps the single frequency at 1 instead of dividing by zero. */
    const double step = n > 1 ? log((double)te->cfg.max_period) / (n - 1) : 0.0;
    for (int i = 0; i < n; ++i) host[i] = (float)exp(-step * i);
    te->fixed_f = be->alloc(be, (size_t)n * sizeof(float));
    if (!te->fixed_f) {
        free(host);
        return rise_error_context(RISE_ERR_NOMEM, "time embedding frequencies: ");
    }
    be->upload(be, te->fixed_f, host, (size_t)n * sizeof(float));
    te->be = be;
    free(host);
    return RISE_OK;
}

void rise_time_embedding_free(rise_time_embedding *te) {
    if (te->fixed_f && te->be) te->be->free(te->be, te->fixed_f);
    te->fixed_f = NULL;
    te->be = NULL;
}

int rise_time_embedding_dim(const rise_time_embedding *te) { return 2 * te->cfg.n_freq; }

void rise_time_embedding_forward(const rise_time_embedding *te, rise_backend *be, const float *w,
                                 float *y, const float *t, int batch) {
    const float *f = te->cfg.kind == RISE_TIME_FOURIER ? w + te->f_off : te->fixed_f;
    RISE_ASSERT(f, "sinusoidal time embedding used before rise_time_embedding_setup");
    be->freq_embed_forward(be, y, t, f, batch, te->cfg.n_freq);
}

void rise_time_embedding_backward(const rise_time_embedding *te, rise_backend *be, const float *w,
                                  float *g, const float *dy, const float *t, int batch) {
    if (te->cfg.kind != RISE_TIME_FOURIER) return;
    be->freq_embed_backward(be, g + te->f_off, dy, t, w + te->f_off, batch, te->cfg.n_freq);
}
