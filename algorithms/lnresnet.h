/* lnresnet.h - IDQL's LayerNorm residual MLP (MLPResNet), optionally an ensemble.
 *
 *   x -> Linear(in -> H)
 *     -> N blocks: r + Linear(4H -> H)(act(Linear(H -> 4H)(LayerNorm(dropout(r)))))
 *     -> act -> Linear(H -> out)
 *
 * as in IDQL's jaxrl5 MLPResNet (use_layer_norm=True, mish by default). Tensors
 * are "<name>.in", "<name>.blk<k>.ln", "<name>.blk<k>.fc1", "<name>.blk<k>.fc2"
 * and "<name>.out". Forward keeps a tape in a rise_arena (see mlp.h for the
 * measuring pass and the rewind rule; the same rules hold here). */
#ifndef RISE_LNRESNET_H
#define RISE_LNRESNET_H

#include "../host/arena.h"
#include "layer_norm.h"
#include "linear.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_LNRESNET_MAX_BLOCKS 16

typedef struct {
    int in_dim, out_dim;
    int hidden;   /* H, width of the residual stream */
    int expand;   /* inner width = expand * H (4 in IDQL) */
    int n_blocks; /* 3 in IDQL */
    rise_act act; /* mish in IDQL */
    int layernorm;
    float ln_eps;
    float dropout; /* 0.1 in IDQL's policy */
    int ens;
} rise_lnresnet_config;

/* H = 256, expand 4, 3 blocks, mish, LayerNorm on, no dropout, E = 1. */
rise_lnresnet_config rise_lnresnet_config_default(void);
rise_status rise_lnresnet_config_check(const rise_lnresnet_config *c);

typedef struct {
    rise_lnresnet_config cfg;
    rise_linear in, out;
    rise_linear fc1[RISE_LNRESNET_MAX_BLOCKS], fc2[RISE_LNRESNET_MAX_BLOCKS];
    rise_layer_norm ln[RISE_LNRESNET_MAX_BLOCKS];
} rise_lnresnet;

rise_status rise_lnresnet_register(rise_lnresnet *m, rise_params *p, const char *name,
                                   const rise_lnresnet_config *cfg);

typedef struct {
    int batch, x_shared, train;
    const float *x;
    float *r[RISE_LNRESNET_MAX_BLOCKS + 1]; /* residual stream entering block k; r[N] leaves */
    float *mask[RISE_LNRESNET_MAX_BLOCKS], *d[RISE_LNRESNET_MAX_BLOCKS];
    float *n[RISE_LNRESNET_MAX_BLOCKS], *mean[RISE_LNRESNET_MAX_BLOCKS];
    float *rstd[RISE_LNRESNET_MAX_BLOCKS];
    float *h[RISE_LNRESNET_MAX_BLOCKS], *a[RISE_LNRESNET_MAX_BLOCKS]; /* inner pre/post act */
    float *f;                                                         /* act(r[N]) */
    float *y;                                                         /* output [E, B, out] */
} rise_lnresnet_tape;

/* Philox blocks one train-mode forward draws (the caller advances its offset). */
uint64_t rise_lnresnet_rng_blocks(const rise_lnresnet *m, int batch);

/* Same arguments as rise_mlp_forward / rise_mlp_backward. */
void rise_lnresnet_forward(const rise_lnresnet *m, rise_backend *be, const float *w, rise_arena *ar,
                           rise_lnresnet_tape *t, const float *x, int batch, int x_shared,
                           int train, rise_rng rng);
void rise_lnresnet_backward(const rise_lnresnet *m, rise_backend *be, const float *w, float *g,
                            rise_arena *ar, const rise_lnresnet_tape *t, const float *dy, float *dx,
                            int accumulate_dx);

#ifdef __cplusplus
}
#endif
#endif
