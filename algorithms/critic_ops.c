/* critic_ops.c - see critic_ops.h. */
#include "critic_ops.h"

float *rise_concat_sa(rise_backend *be, rise_arena *ar, const float *obs, const float *act,
                      int batch, int obs_dim, int act_dim) {
    const int D = obs_dim, A = act_dim;
    float *x = rise_arena_alloc(ar, (size_t)batch * (D + A));
    if (ar->be) {
        be->copy_cols(be, x, D + A, 0, obs, D, 0, batch, D, 0);
        be->copy_cols(be, x, D + A, D, act, A, 0, batch, A, 0);
    }
    return x;
}

void rise_min2(rise_backend *be, rise_arena *ar, const float *y, int batch, float *out) {
    float *pair = rise_arena_alloc(ar, 2 * (size_t)batch);
    if (!ar->be) return;
    be->copy_cols(be, pair, 2, 0, y, 1, 0, batch, 1, 0);
    be->copy_cols(be, pair, 2, 1, y + batch, 1, 0, batch, 1, 0);
    be->reduce_rows(be, RISE_REDUCE_MIN, out, pair, batch, 2);
}

void rise_params_adam_step(rise_params *p, rise_backend *be, const rise_adam_hparams *hp, int step,
                           float *grad_sumsq) {
    rise_params_reduce_grad(p); /* data parallelism: the ranks' mean gradient */
    be->reduce(be, RISE_REDUCE_SUMSQ, grad_sumsq, p->grad, p->size);
    rise_params_adam(p, hp, step, hp->max_grad_norm > 0.0f ? grad_sumsq : NULL);
}
