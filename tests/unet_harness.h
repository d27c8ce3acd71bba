/* unet_harness.h - a small conditional U-Net with its parameters, arena, inputs and dL/dy,
 * shared by the CPU finite-difference test and the CUDA-vs-CPU comparison so both run
 * the same configurations. Header-only (tests are single files). */
#ifndef RISE_TEST_UNET_HARNESS_H
#define RISE_TEST_UNET_HARNESS_H

#include "algorithms/params.h"
#include "algorithms/unet.h"
#include "test_util.h"

typedef struct {
    rise_unet_config cfg;
    int batch;
    uint64_t seed;
} tunet_spec;

typedef struct {
    tunet_spec s;
    rise_backend *be;
    rise_unet u;
    rise_params p;
    rise_arena arena;
    size_t nx, ny;
    float *x, *k, *cond, *dy, *dcond; /* backend buffers */
    const float *y;                   /* last forward's output (arena) */
    rise_unet_tape tape;
} tunet;

/* A=2, T=8, D=3, dims [8, 16], K=3, 4 groups, E=8 (every block kind, skip convs, one
 * down- and one up-sampling). */
static tunet_spec tunet_small(void) {
    tunet_spec s;
    s.cfg = rise_unet_config_default();
    s.cfg.act_dim = 2;
    s.cfg.horizon = 8;
    s.cfg.cond_dim = 3;
    s.cfg.n_levels = 2;
    s.cfg.down_dims[0] = 8;
    s.cfg.down_dims[1] = 16;
    s.cfg.kernel = 3;
    s.cfg.groups = 4;
    s.cfg.step_embed = 8;
    s.batch = 3;
    s.seed = 5;
    return s;
}

static float *tunet_upload(rise_backend *be, size_t n, uint64_t seed, float lo, float hi) {
    float *h = malloc(sizeof(float) * n), *d = be->alloc(be, sizeof(float) * n);
    test_fill_random(h, n, seed, lo, hi);
    be->upload(be, d, h, sizeof(float) * n);
    free(h);
    return d;
}

static void tunet_forward(tunet *n) {
    rise_arena_rewind(&n->arena, 0);
    rise_unet_forward(&n->u, n->be, n->p.value, &n->arena, &n->tape, n->x, n->k, n->cond,
                      n->s.batch);
    n->y = n->tape.y;
}

static void tunet_backward(tunet *n) {
    rise_unet_backward(&n->u, n->be, n->p.value, n->p.grad, &n->arena, &n->tape, n->dy, n->dcond);
}

static int tunet_build(tunet *n, rise_backend *be, const tunet_spec *s) {
    memset(n, 0, sizeof *n);
    n->s = *s;
    n->be = be;
    rise_params_init(&n->p);
    if (rise_unet_register(&n->u, &n->p, "net", &s->cfg) != RISE_OK ||
        rise_params_alloc(&n->p, be, 0) != RISE_OK || rise_unet_setup(&n->u, be) != RISE_OK) {
        fprintf(stderr, "unet build: %s\n", rise_last_error());
        return 0;
    }
    rise_params_init_values(&n->p, s->seed);
    /* GroupNorm's affine starts at 1/0: perturb it so a missing gamma or beta shows */
    for (int i = 0; i < n->p.count; ++i) {
        const rise_param_tensor *t = &n->p.tensors[i];
        const size_t len = strlen(t->name);
        if (len > 2 && t->name[len - 2] == '.' && strstr(t->name, "gn")) {
            float *h = malloc(sizeof(float) * t->numel);
            test_fill_random(h, t->numel, 100 + i, t->name[len - 1] == 'g' ? 0.5f : -0.5f,
                             t->name[len - 1] == 'g' ? 1.5f : 0.5f);
            rise_params_upload(&n->p, RISE_SLOT_VALUE, t->name, h, t->numel);
            free(h);
        }
    }
    const rise_unet_config *c = &s->cfg;
    n->nx = (size_t)s->batch * c->horizon * c->act_dim;
    n->ny = n->nx;
    n->x = tunet_upload(be, n->nx, s->seed + 1, -1.5f, 1.5f);
    n->k = be->alloc(be, sizeof(float) * s->batch);
    float *hk = malloc(sizeof(float) * s->batch);
    for (int b = 0; b < s->batch; ++b) hk[b] = (float)((7 * b + 3) % 100);
    be->upload(be, n->k, hk, sizeof(float) * s->batch);
    free(hk);
    n->cond =
        tunet_upload(be, (size_t)s->batch * (c->cond_dim ? c->cond_dim : 1), s->seed + 2, -1, 1);
    n->dy = tunet_upload(be, n->ny, s->seed + 3, -1, 1);
    n->dcond = be->alloc(be, sizeof(float) * s->batch * (c->cond_dim ? c->cond_dim : 1));
    rise_arena m;
    rise_arena_init_measure(&m);
    rise_unet_forward(&n->u, be, n->p.value, &m, &n->tape, n->x, n->k, n->cond, s->batch);
    rise_unet_backward(&n->u, be, n->p.value, n->p.grad, &m, &n->tape, n->dy, n->dcond);
    return rise_arena_init(&n->arena, be, m.peak + RISE_ARENA_ALIGN_FLOATS) == RISE_OK;
}

static void tunet_free(tunet *n) {
    float *bufs[] = {n->x, n->k, n->cond, n->dy, n->dcond};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i)
        if (bufs[i]) n->be->free(n->be, bufs[i]);
    rise_arena_free(&n->arena);
    rise_unet_free(&n->u);
    rise_params_free(&n->p);
}

#endif
