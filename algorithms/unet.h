/* unet.h - Diffusion Policy's conditional 1-D temporal U-Net (ConditionalUnet1D), the
 * RISE paper's noise-prediction network, over the backend table.
 *
 * Input: a noisy action chunk x [B, T, A] (channels last: the flat [B, T*A] chunk as it
 * is), the diffusion step index k [B] (float), and the global condition [B, D] (the
 * flattened observation features of To frames). Output: eps_hat [B, T, A].
 *
 *   step  = Linear(4E -> E)(mish(Linear(E -> 4E)(sinusoid_E(k))))   E = step_embed
 *   cond  = [step, obs];  m = mish(cond)          (each block's FiLM encoder starts
 *                                                  with Mish: computed once, shared)
 *   block(Ci -> Co) on x [B, T, Ci]:
 *       h = mish(GN(conv_K(x)));  h = scale h + bias  with [scale | bias] = Linear(m)
 *       out = mish(GN(conv_K(h))) + (Ci == Co ? x : conv_1(x))
 *   down level l < L (dims d[0..L-1]): 2 blocks (d[l-1] or A -> d[l] -> d[l]); the output
 *       is kept as skip l; then a stride-2 conv (k 3, p 1) halves T, except after the last
 *   mid: 2 blocks (d[L-1] -> d[L-1])
 *   up j < L-1: concat(x, skip L-1-j) channels -> 2 blocks (2 d[L-1-j] -> d[L-2-j]) ->
 *       ConvTranspose(k 4, s 2, p 1) doubles T (skip 0 is never used, as in the original)
 *   final: mish(GN(conv_K(x))) -> conv_1 (d[0] -> A)
 * with GroupNorm(n_groups, eps 1e-5), "same" padding K/2, FiLM scale and bias
 * (robomimic/RISE's cond_predict_scale), PyTorch's default initialisation. T must be
 * divisible by 2^(L-1). The transposed convolution is conv1d backward-data with the
 * weight [C_in_of_transpose, 4, C_out_of_transpose] (ConvTranspose1d's [Ci, Co, 4]
 * permuted), so the network needs no separate op for it.
 *
 * Tensors: "<name>.step.fc1|fc2", "<name>.down<l>.res<i>.{conv1,gn1,film,conv2,gn2,skip}",
 * "<name>.down<l>.conv", "<name>.mid.res<i>...", "<name>.up<j>.res<i>...",
 * "<name>.up<j>.conv", "<name>.final.{conv,gn,out}"; convolution weights [Co, K, Ci]
 * (kernels/conv1d.h). Forward keeps a tape in a rise_arena (mlp.h's measuring-pass and
 * rewind rules hold here); backward accumulates into the grad slot. */
#ifndef RISE_UNET_H
#define RISE_UNET_H

#include "../host/arena.h"
#include "linear.h"
#include "time_embedding.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_UNET_MAX_LEVELS 6
#define RISE_UNET_MAX_BLOCKS (4 * RISE_UNET_MAX_LEVELS)

typedef struct {
    int act_dim;  /* A: channels of the chunk */
    int horizon;  /* T: steps of the chunk (the prediction horizon) */
    int cond_dim; /* D: global condition (observation features) */
    int n_levels; /* L */
    int down_dims[RISE_UNET_MAX_LEVELS];
    int kernel;     /* K, odd (5 in robomimic/RISE, 3 in Diffusion Policy's default) */
    int groups;     /* GroupNorm groups (8) */
    int step_embed; /* E, even (256) */
    float gn_eps;   /* 1e-5 */
} rise_unet_config;

/* Paper sizes: down dims [256, 512, 1024], K 5, 8 groups, E 256; A, T, D left 0. */
rise_unet_config rise_unet_config_default(void);
rise_status rise_unet_config_check(const rise_unet_config *c);

typedef struct {
    size_t w_off, b_off;
    int ci, co, k, stride, pad;
} rise_unet_conv;

typedef struct {
    size_t g_off, b_off;
    int c;
} rise_unet_gn;

typedef struct {
    int ci, co, level;                 /* level: time resolution T / 2^level */
    rise_unet_conv conv1, conv2, skip; /* skip: 1x1 when ci != co */
    int has_skip;
    rise_unet_gn gn1, gn2;
    rise_linear film; /* cond -> [scale | bias] (2 co) */
} rise_unet_block;

typedef struct {
    rise_unet_config cfg;
    int cond_total; /* E + D */
    rise_time_embedding sinus;
    rise_linear step_fc1, step_fc2;
    int n_blocks;
    rise_unet_block blocks[RISE_UNET_MAX_BLOCKS]; /* down (2 L), mid (2), up (2 (L-1)) */
    rise_unet_conv down[RISE_UNET_MAX_LEVELS], up[RISE_UNET_MAX_LEVELS];
    rise_unet_conv final_conv, final_out;
    rise_unet_gn final_gn;
} rise_unet;

rise_status rise_unet_register(rise_unet *u, rise_params *p, const char *name,
                               const rise_unet_config *cfg);
/* The sinusoid's fixed frequencies on be (once, after rise_params_alloc). */
rise_status rise_unet_setup(rise_unet *u, rise_backend *be);
void rise_unet_free(rise_unet *u);

typedef struct {
    const float *x; /* block input */
    float *h1, *m1, *r1, *n1, *a1, *e, *f, *h2, *m2, *r2, *n2, *out;
} rise_unet_block_tape;

typedef struct {
    int batch;
    const float *k, *cond_in;
    float *ws; /* convolution workspace, the largest any convolution here needs */
    float *sin_emb, *s1, *s1a, *cond, *mcond;
    rise_unet_block_tape blk[RISE_UNET_MAX_BLOCKS];
    float *down_out[RISE_UNET_MAX_LEVELS]; /* after the stride-2 conv */
    float *cat[RISE_UNET_MAX_LEVELS];      /* up j's concatenated input */
    float *up_out[RISE_UNET_MAX_LEVELS];   /* after the transposed conv */
    const float *final_in;                 /* the final block's input */
    float *fh, *fm, *fr, *fn, *fa;         /* final block */
    float *y;                              /* [B, T, A] */
} rise_unet_tape;

/* y = tape->y [B, T, A] from x [B, T, A], k [B], cond [B, D]; w: the parameter slot. */
void rise_unet_forward(const rise_unet *u, rise_backend *be, const float *w, rise_arena *ar,
                       rise_unet_tape *t, const float *x, const float *k, const float *cond,
                       int batch);
/* Gradients of the loss whose dL/dy is dy into the grad slot g (+=); dcond [B, D]
 * (overwritten) when not NULL. The gradient with respect to x is not computed. */
void rise_unet_backward(const rise_unet *u, rise_backend *be, const float *w, float *g,
                        rise_arena *ar, const rise_unet_tape *t, const float *dy, float *dcond);

#ifdef __cplusplus
}
#endif
#endif
