/* params.h - all parameters of a model in ONE flat backend buffer, with named views.
 *
 * Modules (Linear, LayerNorm, time embeddings, ...) register their tensors in a
 * table while the model is built; rise_params_alloc then makes one backend
 * allocation of `nslots` contiguous slots of equal length P (value, grad, Adam m,
 * Adam v, and optionally a Polyak target copy and an EMA copy). Every tensor sits
 * at the same offset in every slot, so one Adam call, one polyak call, one
 * all-reduce and one checkpoint dataset cover the whole model. Offsets are
 * aligned to RISE_PARAM_ALIGN floats; the padding between tensors stays zero in
 * every slot (zero gradient, zero moments, so Adam and decay leave it zero).
 *
 * Initialisation runs on the backend with Philox, stream = tensor index, offset
 * 0, so the CPU and CUDA backends produce the same initial weights. */
#ifndef RISE_PARAMS_H
#define RISE_PARAMS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../host/backend.h"
#include "../host/comm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_PARAM_ALIGN    64 /* floats (256 bytes), as the arena */
#define RISE_PARAM_NAME_MAX 64
#define RISE_PARAM_MAX_DIMS 4

typedef enum {
    RISE_INIT_CONST = 0, /* every element = a */
    RISE_INIT_FAN_IN,    /* U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch's Linear default */
    RISE_INIT_UNIFORM,   /* U(a, b) */
    RISE_INIT_NORMAL,    /* N(a, b^2): mean a, std b */
} rise_init_kind;

typedef struct {
    rise_init_kind kind;
    float a, b;
    int fan_in; /* RISE_INIT_FAN_IN only */
} rise_init;

static inline rise_init rise_init_const(float value) {
    rise_init r = {RISE_INIT_CONST, value, 0.0f, 0};
    return r;
}
static inline rise_init rise_init_fan_in(int fan_in) {
    rise_init r = {RISE_INIT_FAN_IN, 0.0f, 0.0f, fan_in};
    return r;
}
static inline rise_init rise_init_uniform(float lo, float hi) {
    rise_init r = {RISE_INIT_UNIFORM, lo, hi, 0};
    return r;
}
static inline rise_init rise_init_normal(float mean, float std) {
    rise_init r = {RISE_INIT_NORMAL, mean, std, 0};
    return r;
}

typedef struct {
    char name[RISE_PARAM_NAME_MAX];
    int ndim;
    int shape[RISE_PARAM_MAX_DIMS];
    size_t offset; /* floats from the start of each slot; multiple of RISE_PARAM_ALIGN */
    size_t numel;
    rise_init init;
} rise_param_tensor;

typedef enum {
    RISE_SLOT_VALUE = 0,
    RISE_SLOT_GRAD,
    RISE_SLOT_ADAM_M,
    RISE_SLOT_ADAM_V,
    RISE_SLOT_TARGET, /* present with RISE_PARAMS_TARGET */
    RISE_SLOT_EMA,    /* present with RISE_PARAMS_EMA */
    RISE_SLOT_COUNT
} rise_param_slot;

enum { RISE_PARAMS_TARGET = 1, RISE_PARAMS_EMA = 2 };

typedef struct {
    rise_param_tensor *tensors;
    int count, capacity;
    size_t size; /* P: slot length in floats (aligned end of the last tensor) */
    int flags;   /* RISE_PARAMS_TARGET | RISE_PARAMS_EMA, fixed by rise_params_alloc */
    rise_backend *be;
    float *buffer; /* nslots * P floats on be; NULL before rise_params_alloc */
    /* Slot views into buffer (NULL when the slot is absent). */
    float *value, *grad, *m, *v, *target, *ema;
    /* Data parallelism: the ranks' gradients are averaged over comm before every optimiser
     * step (rise_params_reduce_grad); NULL: one process. */
    rise_comm *comm;
} rise_params;

void rise_params_init(rise_params *p);
/* Registers a tensor; its offset is returned in *offset (valid in every slot).
 * Fails (RISE_ERR_INVALID) on a duplicate or over-long name, ndim outside
 * 1..4, a non-positive dimension, or registering after rise_params_alloc. */
rise_status rise_params_add(rise_params *p, const char *name, int ndim, const int *shape,
                            rise_init init, size_t *offset);
/* One zero-filled allocation of all slots on be. flags: RISE_PARAMS_TARGET, _EMA. */
rise_status rise_params_alloc(rise_params *p, rise_backend *be, int flags);
void rise_params_free(rise_params *p);

/* Seeded initialisation of the value slot (Philox, stream = tensor index). */
void rise_params_init_values(rise_params *p, uint64_t seed);

int rise_params_find(const rise_params *p, const char *name); /* index or -1 */
const rise_param_tensor *rise_params_tensor(const rise_params *p, const char *name);
int rise_params_slot_count(const rise_params *p);
float *rise_params_slot(const rise_params *p, rise_param_slot slot); /* NULL when absent */

/* Host <-> slot copies of one named tensor (numel must match). */
rise_status rise_params_upload(rise_params *p, rise_param_slot slot, const char *name,
                               const float *host, size_t numel);
rise_status rise_params_download(const rise_params *p, rise_param_slot slot, const char *name,
                                 float *host, size_t numel);

void rise_params_zero_grad(rise_params *p);
void rise_params_copy_to_target(rise_params *p); /* target = value */
void rise_params_copy_to_ema(rise_params *p);    /* ema = value */
/* Data parallelism's one hook, after backward and before the optimiser: grad[off ..
 * off + n) = its mean over the ranks of p->comm (one all-reduce on the backend's stream;
 * nothing without a communicator). rise_params_reduce_grad covers the whole slot. */
void rise_params_reduce_grad_range(rise_params *p, size_t off, size_t n);
void rise_params_reduce_grad(rise_params *p);
/* One Adam/AdamW step over the whole buffer. grad_sumsq: backend scalar or NULL. */
void rise_params_adam(rise_params *p, const rise_adam_hparams *hp, int step,
                      const float *grad_sumsq);

size_t rise_params_numel(const rise_params *p); /* sum of tensor sizes (no padding) */
/* Table: index, name, shape, offset, numel, init rule; then the totals. */
void rise_params_print(const rise_params *p, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
