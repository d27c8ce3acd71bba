/* toy_regression.c - the synthetic regression fit behind `rise demo` and its test. */
#include "toy_regression.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../host/arena.h"
#include "lnresnet.h"
#include "params.h"

#define TOY_IN 3

rise_toy_config rise_toy_config_default(void) {
    rise_toy_config c;
    c.steps = 1000;
    c.batch = 256;
    c.width = 64;
    c.blocks = 2;
    c.lr = 1e-3f;
    c.seed = 0;
    c.n_train = 8192;
    c.n_test = 2048;
    c.log_every = 20;
    return c;
}

rise_status rise_toy_config_check(const rise_toy_config *c) {
    if (c->steps < 1) return rise_error(RISE_ERR_INVALID, "steps = %d, expected >= 1", c->steps);
    if (c->batch < 1 || c->batch > c->n_train)
        return rise_error(RISE_ERR_INVALID, "batch = %d, expected 1..%d (the training set size)",
                          c->batch, c->n_train);
    if (c->width < 1 || c->width > 4096)
        return rise_error(RISE_ERR_INVALID, "width = %d, expected 1..4096", c->width);
    if (c->blocks < 0 || c->blocks > RISE_LNRESNET_MAX_BLOCKS)
        return rise_error(RISE_ERR_INVALID, "blocks = %d, expected 0..%d", c->blocks,
                          RISE_LNRESNET_MAX_BLOCKS);
    if (!(c->lr > 0.0f) || !(c->lr < 1.0f))
        return rise_error(RISE_ERR_INVALID, "lr = %g, expected in (0, 1)", (double)c->lr);
    if (c->n_test < 1) return rise_error(RISE_ERR_INVALID, "n_test = %d, expected >= 1", c->n_test);
    if (c->log_every < 1)
        return rise_error(RISE_ERR_INVALID, "log_every = %d, expected >= 1", c->log_every);
    return RISE_OK;
}

/* x [n, 3] from Philox (seed, stream), y [n] = sin(3 x0) + x1 x2. */
static void make_data(float *x, float *y, int n, uint64_t seed, uint32_t stream) {
    for (int i = 0; i < n; ++i) {
        for (int d = 0; d < TOY_IN; ++d)
            x[i * TOY_IN + d] =
                2.0f * rise_rng_uniform(seed, stream, 0, (uint64_t)i * TOY_IN + d) - 1.0f;
        y[i] = (float)(sin(3.0 * x[i * TOY_IN]) + (double)x[i * TOY_IN + 1] * x[i * TOY_IN + 2]);
    }
}

static double seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    rise_backend *be;
    rise_lnresnet net;
    rise_params p;
    rise_arena arena;
    float *x_train, *y_train, *x_test, *y_test, *dy, *loss;
} toy_state;

static float test_loss(toy_state *s, int n_test) {
    rise_lnresnet_tape t;
    const rise_rng rng = {0, 0, 0, NULL};
    rise_arena_rewind(&s->arena, 0);
    rise_lnresnet_forward(&s->net, s->be, s->p.value, &s->arena, &t, s->x_test, n_test, 1, 0, rng);
    float l = 0.0f;
    if (s->arena.be) {
        s->be->mse(s->be, s->loss, s->dy, t.y, s->y_test, NULL, (size_t)n_test, 1.0f);
        s->be->download(s->be, &l, s->loss, sizeof l);
    }
    return l;
}

static void train_step(toy_state *s, rise_arena *ar, const rise_toy_config *c, int step,
                       const rise_adam_hparams *hp) {
    rise_lnresnet_tape t;
    const rise_rng rng = {c->seed, 2, 0, NULL};
    const int windows = c->n_train / c->batch;
    const size_t first = (size_t)(step % windows) * c->batch;
    const int run = ar->be != NULL;
    rise_arena_rewind(ar, 0);
    if (run) rise_params_zero_grad(&s->p);
    rise_lnresnet_forward(&s->net, s->be, s->p.value, ar, &t, s->x_train + first * TOY_IN, c->batch,
                          1, 1, rng);
    if (run)
        s->be->mse(s->be, s->loss, s->dy, t.y, s->y_train + first, NULL, (size_t)c->batch, 1.0f);
    rise_lnresnet_backward(&s->net, s->be, s->p.value, s->p.grad, ar, &t, s->dy, NULL, 0);
    if (run) rise_params_adam(&s->p, hp, step + 1, NULL);
}

static void toy_free(toy_state *s) {
    rise_backend *be = s->be;
    float *bufs[] = {s->x_train, s->y_train, s->x_test, s->y_test, s->dy, s->loss};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i)
        if (bufs[i]) be->free(be, bufs[i]);
    rise_arena_free(&s->arena);
    rise_params_free(&s->p);
}

static float *upload_new(rise_backend *be, const float *host, size_t n) {
    float *d = be->alloc(be, n * sizeof(float));
    if (d && host) be->upload(be, d, host, n * sizeof(float));
    return d;
}

rise_status rise_toy_regression_run(rise_backend *be, const rise_toy_config *c,
                                    rise_toy_callback cb, void *ctx, rise_toy_result *out) {
    RISE_TRY(rise_toy_config_check(c));
    memset(out, 0, sizeof *out);
    toy_state s;
    memset(&s, 0, sizeof s);
    s.be = be;
    rise_params_init(&s.p);
    rise_lnresnet_config nc = rise_lnresnet_config_default();
    nc.in_dim = TOY_IN;
    nc.out_dim = 1;
    nc.hidden = c->width;
    nc.n_blocks = c->blocks;
    rise_status st = rise_lnresnet_register(&s.net, &s.p, "net", &nc);
    if (st == RISE_OK) st = rise_params_alloc(&s.p, be, 0);
    if (st != RISE_OK) {
        toy_free(&s);
        return st;
    }
    rise_params_init_values(&s.p, c->seed);
    out->n_params = rise_params_numel(&s.p);

    const size_t ntr = (size_t)c->n_train, nte = (size_t)c->n_test;
    float *hx = malloc((ntr + nte) * TOY_IN * sizeof(float)),
          *hy = malloc((ntr + nte) * sizeof(float));
    if (!hx || !hy) {
        free(hx);
        free(hy);
        toy_free(&s);
        return rise_error(RISE_ERR_NOMEM, "toy regression: out of host memory for the data");
    }
    make_data(hx, hy, c->n_train, c->seed, 0);
    make_data(hx + ntr * TOY_IN, hy + ntr, c->n_test, c->seed, 1);
    double mean = 0.0, var = 0.0;
    for (size_t i = 0; i < nte; ++i) mean += hy[ntr + i] / (double)nte;
    for (size_t i = 0; i < nte; ++i)
        var += (hy[ntr + i] - mean) * (hy[ntr + i] - mean) / (double)nte;
    out->target_variance = (float)var;
    const size_t ndy = (size_t)(c->batch > c->n_test ? c->batch : c->n_test);
    s.x_train = upload_new(be, hx, ntr * TOY_IN);
    s.y_train = upload_new(be, hy, ntr);
    s.x_test = upload_new(be, hx + ntr * TOY_IN, nte * TOY_IN);
    s.y_test = upload_new(be, hy + ntr, nte);
    s.dy = upload_new(be, NULL, ndy);
    s.loss = upload_new(be, NULL, 1);
    free(hx);
    free(hy);
    if (!s.x_train || !s.y_train || !s.x_test || !s.y_test || !s.dy || !s.loss) {
        toy_free(&s);
        return rise_error_context(RISE_ERR_NOMEM, "toy regression data on %s: ", be->name);
    }

    /* Size the arena for the larger of a training step and the held-out forward. */
    const rise_adam_hparams hp = {c->lr, 0.9f, 0.999f, 1e-8f, 0.0f, 0.0f, NULL};
    rise_arena m;
    rise_arena_init_measure(&m);
    train_step(&s, &m, c, 0, &hp);
    size_t peak = m.peak;
    rise_arena_init_measure(&m);
    {
        rise_lnresnet_tape t;
        const rise_rng rng = {0, 0, 0, NULL};
        rise_lnresnet_forward(&s.net, be, s.p.value, &m, &t, s.x_test, c->n_test, 1, 0, rng);
    }
    peak = m.peak > peak ? m.peak : peak;
    st = rise_arena_init(&s.arena, be, peak);
    if (st != RISE_OK) {
        toy_free(&s);
        return st;
    }

    out->initial_test_loss = test_loss(&s, c->n_test);
    const double t0 = seconds_now();
    for (int step = 0; step < c->steps; ++step) {
        train_step(&s, &s.arena, c, step, &hp);
        if ((step + 1) % c->log_every == 0 || step + 1 == c->steps) {
            float l;
            be->download(be, &l, s.loss, sizeof l);
            out->last_train_loss = l;
            if (!isfinite(l)) {
                toy_free(&s);
                return rise_error(RISE_ERR_NUMERIC,
                                  "toy regression: train loss is %g at step %d (lr %g too high?)",
                                  (double)l, step + 1, (double)c->lr);
            }
            if (cb) cb(ctx, step + 1, l);
        }
    }
    st = be->sync(be);
    out->seconds = seconds_now() - t0;
    out->final_test_loss = test_loss(&s, c->n_test);
    toy_free(&s);
    return st;
}
