/* mlp.h - multilayer perceptron (optionally an ensemble of E members) on the backend table.
 *
 * Each hidden layer is Linear -> dropout (train mode, p > 0) -> LayerNorm (when
 * on) -> activation, as in the IQL/IDQL code; the last layer is Linear ->
 * out_act (identity by default). Parameters are registered in a rise_params
 * table under "<name>.fc<i>" and "<name>.ln<i>"; the output layer is
 * "<name>.out".
 *
 * Forward saves what backward needs in a tape whose buffers come from a
 * rise_arena; run forward + backward once on a measuring arena
 * (rise_arena_init_measure) to size the real one. No op is issued while
 * measuring. Backward rewinds the arena to where it started, so the tape's
 * buffers stay valid until the caller rewinds past them. */
#ifndef RISE_MLP_H
#define RISE_MLP_H

#include "../host/arena.h"
#include "layer_norm.h"
#include "linear.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_MLP_MAX_HIDDEN 8

typedef struct {
    int in_dim;
    int out_dim;
    int n_hidden;
    int hidden[RISE_MLP_MAX_HIDDEN];
    rise_act act;     /* hidden activation */
    rise_act out_act; /* applied to the output layer (identity by default) */
    int layernorm;    /* 1: LayerNorm after each hidden Linear (and dropout) */
    float ln_eps;
    float dropout; /* probability of dropping, in [0, 1) */
    int ens;       /* ensemble members E >= 1 */
} rise_mlp_config;

/* 2 x 256 ReLU, no LayerNorm, no dropout, E = 1; in_dim/out_dim must be set. */
rise_mlp_config rise_mlp_config_default(void);
rise_status rise_mlp_config_check(const rise_mlp_config *c);

typedef struct {
    rise_mlp_config cfg;
    rise_linear fc[RISE_MLP_MAX_HIDDEN];
    rise_layer_norm ln[RISE_MLP_MAX_HIDDEN];
    rise_linear out;
} rise_mlp;

rise_status rise_mlp_register(rise_mlp *m, rise_params *p, const char *name,
                              const rise_mlp_config *cfg);

/* What forward saved. Per hidden layer l: z = Linear(in), d = dropout(z), n =
 * LayerNorm(d) (mean, rstd), a = act(n); aliases where a stage is off. */
typedef struct {
    int batch, x_shared, train;
    const float *x;
    float *z[RISE_MLP_MAX_HIDDEN], *mask[RISE_MLP_MAX_HIDDEN], *d[RISE_MLP_MAX_HIDDEN];
    float *mean[RISE_MLP_MAX_HIDDEN], *rstd[RISE_MLP_MAX_HIDDEN];
    float *n[RISE_MLP_MAX_HIDDEN], *a[RISE_MLP_MAX_HIDDEN];
    float *pre; /* output layer before out_act */
    float *y;   /* output [E, B, out_dim] */
} rise_mlp_tape;

/* Philox blocks one train-mode forward at this batch size draws (dropout):
 * the caller advances its rng offset by this much per forward. */
uint64_t rise_mlp_rng_blocks(const rise_mlp *m, int batch);

/* x: [B, in] when x_shared (every member sees it), else [E, B, in]. w: the
 * parameter slot read (value, target or EMA). train: dropout on; layer l uses
 * rng with its offset advanced past the layers before it. */
void rise_mlp_forward(const rise_mlp *m, rise_backend *be, const float *w, rise_arena *ar,
                      rise_mlp_tape *t, const float *x, int batch, int x_shared, int train,
                      rise_rng rng);

/* dy: dL/dy [E, B, out]. Parameter grads accumulate into the grad slot g; dx
 * (NULL to skip) gets dL/dx in x's layout, overwritten unless accumulate_dx. */
void rise_mlp_backward(const rise_mlp *m, rise_backend *be, const float *w, float *g,
                       rise_arena *ar, const rise_mlp_tape *t, const float *dy, float *dx,
                       int accumulate_dx);

#ifdef __cplusplus
}
#endif
#endif
