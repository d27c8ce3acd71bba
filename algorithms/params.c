/* params.c - the flat parameter buffer: tensor table, one allocation, seeded init. */
#include "params.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static size_t align_up(size_t n) {
    return (n + RISE_PARAM_ALIGN - 1) / RISE_PARAM_ALIGN * RISE_PARAM_ALIGN;
}

void rise_params_init(rise_params *p) { memset(p, 0, sizeof *p); }

int rise_params_find(const rise_params *p, const char *name) {
    for (int i = 0; i < p->count; ++i)
        if (strcmp(p->tensors[i].name, name) == 0) return i;
    return -1;
}

const rise_param_tensor *rise_params_tensor(const rise_params *p, const char *name) {
    const int i = rise_params_find(p, name);
    return i < 0 ? NULL : &p->tensors[i];
}

rise_status rise_params_add(rise_params *p, const char *name, int ndim, const int *shape,
                            rise_init init, size_t *offset) {
    if (p->buffer)
        return rise_error(RISE_ERR_INVALID,
                          "parameter '%s': registered after the buffer was allocated "
                          "(register every tensor before rise_params_alloc)",
                          name);
    if (!name || !name[0] || strlen(name) >= RISE_PARAM_NAME_MAX)
        return rise_error(RISE_ERR_INVALID, "parameter name '%s': expected 1..%d characters",
                          name ? name : "(null)", RISE_PARAM_NAME_MAX - 1);
    if (ndim < 1 || ndim > RISE_PARAM_MAX_DIMS)
        return rise_error(RISE_ERR_INVALID, "parameter '%s': ndim %d, expected 1..%d", name, ndim,
                          RISE_PARAM_MAX_DIMS);
    if (rise_params_find(p, name) >= 0)
        return rise_error(RISE_ERR_INVALID, "parameter '%s' registered twice", name);
    size_t numel = 1;
    for (int d = 0; d < ndim; ++d) {
        if (shape[d] <= 0)
            return rise_error(RISE_ERR_INVALID, "parameter '%s': dimension %d is %d, expected > 0",
                              name, d, shape[d]);
        numel *= (size_t)shape[d];
    }
    if (init.kind == RISE_INIT_FAN_IN && init.fan_in <= 0)
        return rise_error(RISE_ERR_INVALID, "parameter '%s': fan-in init needs fan_in > 0, got %d",
                          name, init.fan_in);
    if (p->count == p->capacity) {
        const int cap = p->capacity ? 2 * p->capacity : 16;
        rise_param_tensor *t = realloc(p->tensors, (size_t)cap * sizeof *t);
        if (!t) return rise_error(RISE_ERR_NOMEM, "parameter table: out of host memory");
        p->tensors = t;
        p->capacity = cap;
    }
    rise_param_tensor *t = &p->tensors[p->count++];
    memset(t, 0, sizeof *t);
    memcpy(t->name, name, strlen(name) + 1);
    t->ndim = ndim;
    for (int d = 0; d < ndim; ++d) t->shape[d] = shape[d];
    t->offset = p->size;
    t->numel = numel;
    t->init = init;
    p->size = align_up(p->size + numel);
    if (offset) *offset = t->offset;
    return RISE_OK;
}

int rise_params_slot_count(const rise_params *p) {
    return 4 + ((p->flags & RISE_PARAMS_TARGET) != 0) + ((p->flags & RISE_PARAMS_EMA) != 0);
}

rise_status rise_params_alloc(rise_params *p, rise_backend *be, int flags) {
    if (p->buffer) return rise_error(RISE_ERR_INVALID, "parameter buffer allocated twice");
    if (p->size == 0)
        return rise_error(RISE_ERR_INVALID, "parameter buffer: no tensors were registered");
    p->flags = flags & (RISE_PARAMS_TARGET | RISE_PARAMS_EMA);
    p->be = be;
    const size_t slots = (size_t)rise_params_slot_count(p);
    p->buffer = be->alloc(be, slots * p->size * sizeof(float));
    if (!p->buffer)
        return rise_error_context(RISE_ERR_NOMEM,
                                  "parameter buffer (%zu slots x %zu floats): ", slots, p->size);
    float *s = p->buffer;
    p->value = s;
    p->grad = s + p->size;
    p->m = s + 2 * p->size;
    p->v = s + 3 * p->size;
    s += 4 * p->size;
    if (p->flags & RISE_PARAMS_TARGET) {
        p->target = s;
        s += p->size;
    }
    if (p->flags & RISE_PARAMS_EMA) p->ema = s;
    return RISE_OK;
}

void rise_params_free(rise_params *p) {
    if (p->buffer && p->be) p->be->free(p->be, p->buffer);
    free(p->tensors);
    memset(p, 0, sizeof *p);
}

float *rise_params_slot(const rise_params *p, rise_param_slot slot) {
    switch (slot) {
    case RISE_SLOT_VALUE: return p->value;
    case RISE_SLOT_GRAD: return p->grad;
    case RISE_SLOT_ADAM_M: return p->m;
    case RISE_SLOT_ADAM_V: return p->v;
    case RISE_SLOT_TARGET: return p->target;
    case RISE_SLOT_EMA: return p->ema;
    case RISE_SLOT_COUNT: break;
    }
    return NULL;
}

void rise_params_init_values(rise_params *p, uint64_t seed) {
    RISE_ASSERT(p->buffer, "rise_params_init_values before rise_params_alloc");
    rise_backend *be = p->be;
    for (int i = 0; i < p->count; ++i) {
        const rise_param_tensor *t = &p->tensors[i];
        float *dst = p->value + t->offset;
        const rise_rng rng = {seed, (uint32_t)i, 0, NULL};
        switch (t->init.kind) {
        case RISE_INIT_CONST: be->fill(be, dst, t->init.a, t->numel); break;
        case RISE_INIT_FAN_IN: {
            const float bound = 1.0f / sqrtf((float)t->init.fan_in);
            be->rand_uniform(be, dst, t->numel, -bound, bound, rng);
            break;
        }
        case RISE_INIT_UNIFORM:
            be->rand_uniform(be, dst, t->numel, t->init.a, t->init.b, rng);
            break;
        case RISE_INIT_NORMAL: be->rand_normal(be, dst, t->numel, t->init.a, t->init.b, rng); break;
        }
    }
}

static rise_status slot_tensor(const rise_params *p, rise_param_slot slot, const char *name,
                               size_t numel, float **where) {
    if (!p->buffer) return rise_error(RISE_ERR_INVALID, "parameter buffer not allocated yet");
    const rise_param_tensor *t = rise_params_tensor(p, name);
    if (!t) return rise_error(RISE_ERR_INVALID, "no parameter named '%s'", name);
    if (t->numel != numel)
        return rise_error(RISE_ERR_INVALID, "parameter '%s': %zu elements given, expected %zu",
                          name, numel, t->numel);
    float *base = rise_params_slot(p, slot);
    if (!base) return rise_error(RISE_ERR_INVALID, "parameter buffer has no slot %d", (int)slot);
    *where = base + t->offset;
    return RISE_OK;
}

rise_status rise_params_upload(rise_params *p, rise_param_slot slot, const char *name,
                               const float *host, size_t numel) {
    float *dst = NULL;
    RISE_TRY(slot_tensor(p, slot, name, numel, &dst));
    p->be->upload(p->be, dst, host, numel * sizeof(float));
    return RISE_OK;
}

rise_status rise_params_download(const rise_params *p, rise_param_slot slot, const char *name,
                                 float *host, size_t numel) {
    float *src = NULL;
    RISE_TRY(slot_tensor(p, slot, name, numel, &src));
    p->be->download(p->be, host, src, numel * sizeof(float));
    return RISE_OK;
}

void rise_params_zero_grad(rise_params *p) { p->be->fill(p->be, p->grad, 0.0f, p->size); }

void rise_params_copy_to_target(rise_params *p) {
    RISE_ASSERT(p->target, "parameter buffer allocated without a target slot");
    p->be->copy(p->be, p->target, p->value, p->size * sizeof(float));
}

void rise_params_copy_to_ema(rise_params *p) {
    RISE_ASSERT(p->ema, "parameter buffer allocated without an EMA slot");
    p->be->copy(p->be, p->ema, p->value, p->size * sizeof(float));
}

void rise_params_reduce_grad_range(rise_params *p, size_t off, size_t n) {
    RISE_ASSERT(off + n <= p->size, "gradient range %zu + %zu of %zu", off, n, p->size);
    if (p->comm) rise_comm_allreduce(p->comm, p->grad + off, n, RISE_COMM_MEAN);
}

void rise_params_reduce_grad(rise_params *p) { rise_params_reduce_grad_range(p, 0, p->size); }

void rise_params_adam(rise_params *p, const rise_adam_hparams *hp, int step,
                      const float *grad_sumsq) {
    p->be->adam(p->be, p->value, p->grad, p->m, p->v, p->size, hp, step, grad_sumsq);
}

size_t rise_params_numel(const rise_params *p) {
    size_t n = 0;
    for (int i = 0; i < p->count; ++i) n += p->tensors[i].numel;
    return n;
}

static void format_init(const rise_init *in, char *buf, size_t size) {
    switch (in->kind) {
    case RISE_INIT_CONST: snprintf(buf, size, "const(%g)", in->a); break;
    case RISE_INIT_FAN_IN: snprintf(buf, size, "fan_in(%d)", in->fan_in); break;
    case RISE_INIT_UNIFORM: snprintf(buf, size, "U(%g,%g)", in->a, in->b); break;
    case RISE_INIT_NORMAL: snprintf(buf, size, "N(%g,%g)", in->a, in->b); break;
    }
}

void rise_params_print(const rise_params *p, FILE *out) {
    fprintf(out, "%4s  %-36s %-18s %10s %10s  %s\n", "#", "name", "shape", "offset", "numel",
            "init");
    for (int i = 0; i < p->count; ++i) {
        const rise_param_tensor *t = &p->tensors[i];
        char shape[64], init[48];
        int len = snprintf(shape, sizeof shape, "[");
        for (int d = 0; d < t->ndim; ++d)
            len += snprintf(shape + len, sizeof shape - (size_t)len, "%s%d", d ? "," : "",
                            t->shape[d]);
        snprintf(shape + len, sizeof shape - (size_t)len, "]");
        format_init(&t->init, init, sizeof init);
        fprintf(out, "%4d  %-36s %-18s %10zu %10zu  %s\n", i, t->name, shape, t->offset, t->numel,
                init);
    }
    fprintf(out, "%d tensors, %zu parameters, slot length %zu floats, %d slots\n", p->count,
            rise_params_numel(p), p->size, p->buffer ? rise_params_slot_count(p) : 0);
}
