/* gaussian_actor.h - Gaussian actors on the backend table: IQL's AWR actor and CQL's
 * SAC-style tanh-Gaussian actor, both an MLP over one observation frame.
 *
 *   AWR (IQL):  mu(s) = tanh(MLP(s)) [A], log_std a state-independent parameter [A]
 *               ("<name>.log_std", init 0) clamped to [log_std_min, log_std_max] when
 *               used (zero gradient outside, as jnp.clip);
 *               loss = -mean_b w_b log N(a_b; mu(s_b), exp(2 log_std)).
 *               Acts with mu(s).
 *   tanh (CQL): MLP(s) = [m, r] [2A], log_std = lo + (hi - lo)(tanh(r) + 1) / 2,
 *               a = tanh(m + exp(log_std) eps), eps ~ N(0, 1) (reparameterised), with
 *               log pi(a|s) including the tanh correction (backend tanh_gauss_sample).
 *               Acts with tanh(m).
 * Parameters are registered in the caller's rise_params (the agent's policy buffer).
 * Every function runs on a measuring arena too (allocates, issues no op). The
 * actors use no dropout. */
#ifndef RISE_GAUSSIAN_ACTOR_H
#define RISE_GAUSSIAN_ACTOR_H

#include "mlp.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { RISE_GAUSS_AWR = 0, RISE_GAUSS_TANH } rise_gauss_kind;

typedef struct {
    rise_gauss_kind kind;
    int obs_dim, act_dim;
    int width, depth;
    rise_act act; /* hidden activation */
    float log_std_min, log_std_max;
} rise_gauss_config;

typedef struct {
    rise_gauss_config cfg;
    rise_mlp net;
    size_t log_std_off; /* AWR: offset of "<name>.log_std" in every slot */
} rise_gauss_actor;

rise_status rise_gauss_actor_register(rise_gauss_actor *g, rise_params *p, const char *name,
                                      const rise_gauss_config *cfg);

/* Deterministic action act [n, A]: mu(s) (AWR) or tanh(m(s)) (tanh). */
void rise_gauss_actor_act(const rise_gauss_actor *g, rise_backend *be, const float *w,
                          rise_arena *ar, const float *obs, int n, float *act);

/* AWR step's loss and gradients: *loss (backend scalar) = -mean_b wt_b log pi(act_b|obs_b);
 * parameter gradients accumulate into grad. wt [B] (no gradient). */
void rise_gauss_actor_awr(const rise_gauss_actor *g, rise_backend *be, const float *w, float *grad,
                          rise_arena *ar, const float *obs, const float *act, const float *wt,
                          int batch, float *loss);

/* A reparameterised tanh-Gaussian draw and what its backward needs (arena buffers). */
typedef struct {
    rise_mlp_tape t;
    int n;
    float *raw_ls;         /* r [n, A] */
    float *mean, *log_std; /* [n, A] */
    float *eps, *a;        /* [n, A] */
    float *logp;           /* [n] */
} rise_gauss_sample_tape;

/* Draws a [n, A] and logp [n] for obs [n, D] with noise from rng (offset advanced by
 * nothing: the caller owns the stream). */
void rise_gauss_actor_sample(const rise_gauss_actor *g, rise_backend *be, const float *w,
                             rise_arena *ar, rise_gauss_sample_tape *s, const float *obs, int n,
                             rise_rng rng);
/* Parameter gradients (accumulated into grad) of L given da [n, A] and dlogp [n] (either
 * may be NULL). Rewinds the arena to where it started. */
void rise_gauss_actor_sample_backward(const rise_gauss_actor *g, rise_backend *be, const float *w,
                                      float *grad, rise_arena *ar, const rise_gauss_sample_tape *s,
                                      const float *da, const float *dlogp);

#ifdef __cplusplus
}
#endif
#endif
