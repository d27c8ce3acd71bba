/* net_harness.h - builds small MLP / LN-ResNet / time-embedding networks for the tests.
 *
 * One `tnet` wraps a network, its flat parameter buffer, an arena sized by a
 * measuring pass, an input and the dL/dy used for backward. Shared by the CPU
 * finite-difference test and the CUDA-vs-CPU comparison so both exercise the
 * same configurations. Header-only (tests are single files). */
#ifndef RISE_TEST_NET_HARNESS_H
#define RISE_TEST_NET_HARNESS_H

#include "algorithms/lnresnet.h"
#include "algorithms/mlp.h"
#include "algorithms/params.h"
#include "algorithms/time_embedding.h"
#include "test_util.h"

typedef enum { TNET_MLP = 0, TNET_RESNET, TNET_TIME_RESNET } tnet_kind;

typedef struct {
    const char *label;
    tnet_kind kind;
    rise_mlp_config mlp_cfg;
    rise_lnresnet_config res_cfg;
    rise_time_embedding_config te_cfg; /* TNET_TIME_RESNET: resnet input = [x, emb(t)] */
    int batch, x_shared, train;
    rise_rng rng;
    uint64_t seed;
} tnet_spec;

typedef struct {
    tnet_spec s;
    rise_backend *be;
    rise_mlp mlp;
    rise_lnresnet res;
    rise_time_embedding te;
    rise_params p;
    rise_arena arena;
    int in, out, ens, x_rows; /* x is [x_rows, in] (x_rows = B or E*B) */
    size_t nx, ny;
    float *x, *t, *dy, *dx; /* backend buffers; t only for TNET_TIME_RESNET */
    float *cat, *dcat;      /* TNET_TIME_RESNET: [B, in + 2F] input and its gradient */
    const float *y;         /* last forward's output (arena) */
    union {
        rise_mlp_tape m;
        rise_lnresnet_tape r;
    } tape;
} tnet;

static int tnet_net_in(const tnet *n) {
    return n->s.kind == TNET_TIME_RESNET ? n->in + rise_time_embedding_dim(&n->te) : n->in;
}

/* forward (+ backward when dy != NULL) from a rewound arena. */
static void tnet_run(tnet *n, rise_arena *ar, int backward) {
    rise_backend *be = n->be;
    const int run = ar->be != NULL;
    rise_arena_rewind(ar, 0);
    const float *x = n->x;
    int shared = n->s.x_shared;
    if (n->s.kind == TNET_TIME_RESNET) {
        const int b = n->s.batch, tw = rise_time_embedding_dim(&n->te), cw = n->in + tw;
        float *emb = rise_arena_alloc(ar, (size_t)b * tw);
        if (run) {
            rise_time_embedding_forward(&n->te, be, n->p.value, emb, n->t, b);
            be->copy_cols(be, n->cat, cw, 0, n->x, n->in, 0, b, n->in, 0);
            be->copy_cols(be, n->cat, cw, n->in, emb, tw, 0, b, tw, 0);
        }
        x = n->cat;
        shared = 1;
    }
    if (n->s.kind == TNET_MLP) {
        rise_mlp_forward(&n->mlp, be, n->p.value, ar, &n->tape.m, x, n->s.batch, shared, n->s.train,
                         n->s.rng);
        n->y = n->tape.m.y;
    } else {
        rise_lnresnet_forward(&n->res, be, n->p.value, ar, &n->tape.r, x, n->s.batch, shared,
                              n->s.train, n->s.rng);
        n->y = n->tape.r.y;
    }
    if (!backward) return;
    float *dx = n->s.kind == TNET_TIME_RESNET ? n->dcat : n->dx;
    if (n->s.kind == TNET_MLP)
        rise_mlp_backward(&n->mlp, be, n->p.value, n->p.grad, ar, &n->tape.m, n->dy, dx, 0);
    else
        rise_lnresnet_backward(&n->res, be, n->p.value, n->p.grad, ar, &n->tape.r, n->dy, dx, 0);
    if (n->s.kind == TNET_TIME_RESNET && run) {
        const int b = n->s.batch, tw = rise_time_embedding_dim(&n->te), cw = n->in + tw;
        float *demb = rise_arena_alloc(ar, (size_t)b * tw);
        be->copy_cols(be, n->dx, n->in, 0, n->dcat, cw, 0, b, n->in, 0);
        be->copy_cols(be, demb, tw, 0, n->dcat, cw, n->in, b, tw, 0);
        rise_time_embedding_backward(&n->te, be, n->p.value, n->p.grad, demb, n->t, b);
    } else if (n->s.kind == TNET_TIME_RESNET) {
        rise_arena_alloc(ar, (size_t)n->s.batch * rise_time_embedding_dim(&n->te));
    }
}

/* Builds the network, initialises parameters from s->seed, fills x (and t) and dy
 * with deterministic data, sizes the arena. */
static void tnet_build(tnet *n, rise_backend *be, const tnet_spec *s) {
    memset(n, 0, sizeof *n);
    n->s = *s;
    n->be = be;
    rise_params_init(&n->p);
    rise_status st = RISE_OK;
    if (s->kind == TNET_MLP) {
        n->in = s->mlp_cfg.in_dim;
        n->out = s->mlp_cfg.out_dim;
        n->ens = s->mlp_cfg.ens;
        st = rise_mlp_register(&n->mlp, &n->p, "net", &s->mlp_cfg);
    } else {
        rise_lnresnet_config rc = s->res_cfg;
        n->in = rc.in_dim;
        if (s->kind == TNET_TIME_RESNET) {
            st = rise_time_embedding_register(&n->te, &n->p, "time", &s->te_cfg);
            RISE_ASSERT(st == RISE_OK, "%s", rise_last_error());
            rc.in_dim += rise_time_embedding_dim(&n->te);
        }
        n->out = rc.out_dim;
        n->ens = rc.ens;
        st = rise_lnresnet_register(&n->res, &n->p, "net", &rc);
    }
    RISE_ASSERT(st == RISE_OK, "%s: %s", s->label, rise_last_error());
    st = rise_params_alloc(&n->p, be, 0);
    RISE_ASSERT(st == RISE_OK, "%s", rise_last_error());
    st = rise_time_embedding_setup(&n->te, be);
    RISE_ASSERT(st == RISE_OK, "%s", rise_last_error());
    rise_params_init_values(&n->p, s->seed);
    const int shared = s->x_shared || s->kind == TNET_TIME_RESNET;
    n->x_rows = shared ? s->batch : n->ens * s->batch;
    n->nx = (size_t)n->x_rows * n->in;
    n->ny = (size_t)n->ens * s->batch * n->out;
    float *hx = malloc(n->nx * sizeof(float)), *hdy = malloc(n->ny * sizeof(float));
    test_fill_random(hx, n->nx, (unsigned)s->seed + 11u, -1.0f, 1.0f);
    test_fill_random(hdy, n->ny, (unsigned)s->seed + 12u, -1.0f, 1.0f);
    n->x = test_to_backend(be, hx, n->nx);
    n->dx = test_to_backend(be, hx, n->nx);
    n->dy = test_to_backend(be, hdy, n->ny);
    if (s->kind == TNET_TIME_RESNET) {
        float ht[64];
        RISE_ASSERT(s->batch <= 64, "harness: batch too large");
        test_fill_random(ht, (size_t)s->batch, (unsigned)s->seed + 13u, 0.0f, 1.0f);
        n->t = test_to_backend(be, ht, (size_t)s->batch);
        const size_t nc = (size_t)s->batch * tnet_net_in(n);
        float *zero = calloc(nc, sizeof(float));
        n->cat = test_to_backend(be, zero, nc);
        n->dcat = test_to_backend(be, zero, nc);
        free(zero);
    }
    free(hx);
    free(hdy);
    rise_arena m;
    rise_arena_init_measure(&m);
    tnet_run(n, &m, 1);
    st = rise_arena_init(&n->arena, be, m.peak);
    RISE_ASSERT(st == RISE_OK, "%s", rise_last_error());
}

static void tnet_free(tnet *n) {
    rise_backend *be = n->be;
    rise_arena_free(&n->arena);
    be->free(be, n->x);
    be->free(be, n->dx);
    be->free(be, n->dy);
    if (n->t) be->free(be, n->t);
    if (n->cat) be->free(be, n->cat);
    if (n->dcat) be->free(be, n->dcat);
    rise_time_embedding_free(&n->te);
    rise_params_free(&n->p);
}

/* Zeroed grads, then forward + backward: grads in n->p.grad, dL/dx in n->dx. */
static void tnet_grads(tnet *n) {
    rise_params_zero_grad(&n->p);
    tnet_run(n, &n->arena, 1);
}

/* The configurations every network test runs (at most 16). */
static int tnet_standard_specs(tnet_spec *out) {
    int n = 0;
    const rise_rng drop_rng = {777, 5, 3, NULL};
    tnet_spec s;
    memset(&s, 0, sizeof s);
    s.batch = 4;
    s.x_shared = 1;
    s.seed = 100;
    s.mlp_cfg = rise_mlp_config_default();
    s.mlp_cfg.in_dim = 5;
    s.mlp_cfg.out_dim = 3;
    s.mlp_cfg.hidden[0] = 8;
    s.mlp_cfg.hidden[1] = 7;
    s.mlp_cfg.layernorm = 1;
    static const rise_act acts[] = {RISE_ACT_MISH, RISE_ACT_RELU, RISE_ACT_GELU,
                                    RISE_ACT_TANH, RISE_ACT_SILU, RISE_ACT_IDENTITY};
    static const char *act_labels[] = {"mlp LN mish", "mlp LN relu", "mlp LN gelu",
                                       "mlp LN tanh", "mlp LN silu", "mlp LN identity"};
    for (int i = 0; i < 6; ++i) {
        out[n] = s;
        out[n].label = act_labels[i];
        out[n].mlp_cfg.act = acts[i];
        out[n++].seed = 100 + i;
    }
    out[n] = s;
    out[n].label = "mlp no-LN mish, tanh output";
    out[n].mlp_cfg.layernorm = 0;
    out[n].mlp_cfg.act = RISE_ACT_MISH;
    out[n++].mlp_cfg.out_act = RISE_ACT_TANH;
    out[n] = s;
    out[n].label = "mlp E=2 shared input";
    out[n].mlp_cfg.act = RISE_ACT_MISH;
    out[n++].mlp_cfg.ens = 2;
    out[n] = s;
    out[n].label = "mlp E=2 per-member input";
    out[n].mlp_cfg.act = RISE_ACT_MISH;
    out[n].mlp_cfg.ens = 2;
    out[n++].x_shared = 0;
    out[n] = s;
    out[n].label = "mlp E=2 dropout 0.3 (fixed rng)";
    out[n].mlp_cfg.act = RISE_ACT_GELU;
    out[n].mlp_cfg.ens = 2;
    out[n].mlp_cfg.dropout = 0.3f;
    out[n].train = 1;
    out[n++].rng = drop_rng;

    tnet_spec r = s;
    r.kind = TNET_RESNET;
    r.res_cfg = rise_lnresnet_config_default();
    r.res_cfg.in_dim = 5;
    r.res_cfg.out_dim = 3;
    r.res_cfg.hidden = 6;
    r.res_cfg.n_blocks = 2;
    out[n] = r;
    out[n++].label = "lnresnet mish";
    out[n] = r;
    out[n].label = "lnresnet E=2 shared, dropout 0.25 (fixed rng)";
    out[n].res_cfg.ens = 2;
    out[n].res_cfg.dropout = 0.25f;
    out[n].train = 1;
    out[n++].rng = drop_rng;
    out[n] = r;
    out[n].label = "lnresnet no-LN tanh E=2 per-member";
    out[n].res_cfg.layernorm = 0;
    out[n].res_cfg.act = RISE_ACT_TANH;
    out[n].res_cfg.ens = 2;
    out[n++].x_shared = 0;
    r.kind = TNET_TIME_RESNET;
    r.res_cfg.in_dim = 3;
    r.res_cfg.n_blocks = 1;
    r.te_cfg = rise_time_embedding_config_default();
    r.te_cfg.n_freq = 4;
    out[n] = r;
    out[n++].label = "fourier time embedding -> lnresnet";
    out[n] = r;
    out[n].label = "sinusoidal time embedding -> lnresnet";
    out[n++].te_cfg.kind = RISE_TIME_SINUSOIDAL;
    return n;
}

#endif
