/* time_embedding.h - diffusion-time embeddings: y [B, 2F] = [sin(t f), cos(t f)].
 *
 * Two kinds (backend op freq_embed_forward/backward):
 *  - sinusoidal: fixed frequencies f_i = exp(-ln(max_period) * i / (F - 1)),
 *    the transformer / DDPM form. They live in a small buffer owned by the
 *    embedding (not in the parameter buffer, so Adam and weight decay never
 *    touch them).
 *  - fourier: IDQL's learned Fourier features. f "<name>.f" [F] is a trainable
 *    parameter initialised N(0, sigma). IDQL computes cos/sin(2 pi t w) with
 *    w ~ N(0, 0.2); here the 2 pi is folded into f, so the equivalent default is
 *    sigma = 2 pi * 0.2. */
#ifndef RISE_TIME_EMBEDDING_H
#define RISE_TIME_EMBEDDING_H

#include "params.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { RISE_TIME_SINUSOIDAL = 0, RISE_TIME_FOURIER } rise_time_embedding_kind;

typedef struct {
    rise_time_embedding_kind kind;
    int n_freq;       /* F: the output has 2F columns */
    float max_period; /* sinusoidal */
    float sigma;      /* fourier init std */
} rise_time_embedding_config;

/* Learned Fourier, F = 8 (IDQL's 16 output features), sigma = 2 pi * 0.2. */
rise_time_embedding_config rise_time_embedding_config_default(void);
rise_status rise_time_embedding_config_check(const rise_time_embedding_config *c);

typedef struct {
    rise_time_embedding_config cfg;
    size_t f_off;     /* fourier: offset of f in the parameter buffer */
    rise_backend *be; /* sinusoidal: owner of fixed_f */
    float *fixed_f;   /* sinusoidal: [F] on the backend */
} rise_time_embedding;

/* Fourier registers its parameter in p (p may be NULL for sinusoidal). */
rise_status rise_time_embedding_register(rise_time_embedding *te, rise_params *p, const char *name,
                                         const rise_time_embedding_config *cfg);
/* Sinusoidal: allocates and uploads the fixed frequencies on be (once, at
 * set-up). Fourier: nothing to do. */
rise_status rise_time_embedding_setup(rise_time_embedding *te, rise_backend *be);
void rise_time_embedding_free(rise_time_embedding *te);

int rise_time_embedding_dim(const rise_time_embedding *te); /* 2F */

/* y [B, 2F] from t [B]; w: the parameter slot read (ignored for sinusoidal). */
void rise_time_embedding_forward(const rise_time_embedding *te, rise_backend *be, const float *w,
                                 float *y, const float *t, int batch);
/* df += dL/df into the grad slot g (fourier only; sinusoidal has no parameters). */
void rise_time_embedding_backward(const rise_time_embedding *te, rise_backend *be, const float *w,
                                  float *g, const float *dy, const float *t, int batch);

#ifdef __cplusplus
}
#endif
#endif
