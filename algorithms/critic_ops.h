/* critic_ops.h - small backend compositions shared by the critics (iql_critic.c,
 * cql_critic.c). Each allocates its output from the arena and issues no op on a
 * measuring arena (ar->be NULL), so callers' sizing passes stay exact. */
#ifndef RISE_CRITIC_OPS_H
#define RISE_CRITIC_OPS_H

#include "../host/arena.h"
#include "params.h"

#ifdef __cplusplus
extern "C" {
#endif

/* x [B, D + A] = [obs, act] (from the arena). */
float *rise_concat_sa(rise_backend *be, rise_arena *ar, const float *obs, const float *act,
                      int batch, int obs_dim, int act_dim);
/* out [B] = min over the two ensemble members of y [2, B]. */
void rise_min2(rise_backend *be, rise_arena *ar, const float *y, int batch, float *out);
/* The ranks' mean gradient (rise_params_reduce_grad; nothing in one process), *grad_sumsq
 * = |g|^2 of it, then one Adam step (clipped by global norm when hp->max_grad_norm > 0). */
void rise_params_adam_step(rise_params *p, rise_backend *be, const rise_adam_hparams *hp, int step,
                           float *grad_sumsq);

#ifdef __cplusplus
}
#endif
#endif
