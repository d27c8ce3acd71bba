/* cli_demo.c - `rise demo`: trains IDQL's LN-ResNet on a small synthetic
 * regression problem, y = sin(3 x0) + x1 x2 - 0.5 x3^2 with x in [-1,1]^4, and
 * shows the loss falling. Runs on either backend: `rise demo --backend cuda`.
 * Everything a step needs lives on the backend; losses are read back only at
 * the progress interval. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/lnresnet.h"
#include "algorithms/params.h"
#include "cli.h"
#include "cli_args.h"
#include "progress.h"

#define DEMO_IN 4
#define DEMO_TRAIN 8192
#define DEMO_TEST 2048

typedef struct {
    long steps;
    long batch;
    long width;
    long blocks;
    long seed;
    double lr;
    const char *backend;
} demo_options;

static float demo_target(const float *x) {
    return sinf(3.0f * x[0]) + x[1] * x[2] - 0.5f * x[3] * x[3];
}

/* Inputs from Philox on the host (stream 1 train, 2 test): same data everywhere. */
static void demo_make_data(float *x, float *y, int n, uint64_t seed, uint32_t stream) {
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < DEMO_IN; ++j)
            x[i * DEMO_IN + j] = 2.0f * rise_rng_uniform(seed, stream, 0, (uint64_t)i * DEMO_IN + j) - 1.0f;
        y[i] = demo_target(x + i * DEMO_IN);
    }
}

static void demo_usage(FILE *out, const demo_options *d) {
    fprintf(out,
            "usage: rise demo [options]\n"
            "Trains an LN-ResNet on y = sin(3 x0) + x1 x2 - 0.5 x3^2 and shows the loss falling.\n\n"
            "  --steps N      training steps            (default %ld)\n"
            "  --batch B      batch size                (default %ld)\n"
            "  --width H      residual width            (default %ld)\n"
            "  --blocks N     residual blocks           (default %ld)\n"
            "  --lr X         Adam learning rate        (default %g)\n"
            "  --seed S       initialisation seed       (default %ld)\n"
            "  --backend B    cpu or cuda               (default %s)\n",
            d->steps, d->batch, d->width, d->blocks, d->lr, d->seed, d->backend);
}

int rise_cmd_demo(int argc, char **argv) {
    demo_options o = {.steps = 1500, .batch = 256, .width = 64, .blocks = 2, .seed = 0,
                      .lr = 1e-3, .backend = "cpu"};
    const demo_options defaults = o;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            demo_usage(stdout, &defaults);
            return 0;
        }
        int ok;
        if (!strcmp(a, "--steps")) ok = rise_arg_long(argc, argv, &i, 1, 10000000, &o.steps);
        else if (!strcmp(a, "--batch")) ok = rise_arg_long(argc, argv, &i, 1, DEMO_TRAIN, &o.batch);
        else if (!strcmp(a, "--width")) ok = rise_arg_long(argc, argv, &i, 1, 4096, &o.width);
        else if (!strcmp(a, "--blocks")) ok = rise_arg_long(argc, argv, &i, 0, RISE_LNRESNET_MAX_BLOCKS, &o.blocks);
        else if (!strcmp(a, "--seed")) ok = rise_arg_long(argc, argv, &i, 0, 1L << 62, &o.seed);
        else if (!strcmp(a, "--lr")) ok = rise_arg_double(argc, argv, &i, 1e-8, 1.0, &o.lr);
        else if (!strcmp(a, "--backend")) ok = rise_arg_string(argc, argv, &i, &o.backend);
        else {
            fprintf(stderr, "rise demo: unknown option '%s' (see rise demo --help)\n", a);
            return 2;
        }
        if (!ok) return 2;
    }

    rise_status st;
    rise_backend *be = rise_backend_create(o.backend, &st);
    if (!be) {
        fprintf(stderr, "rise demo: %s\n", rise_last_error());
        return 1;
    }

    rise_lnresnet_config cfg = rise_lnresnet_config_default();
    cfg.in_dim = DEMO_IN;
    cfg.out_dim = 1;
    cfg.hidden = (int)o.width;
    cfg.n_blocks = (int)o.blocks;
    rise_params params;
    rise_params_init(&params);
    rise_lnresnet net;
    st = rise_lnresnet_register(&net, &params, "net", &cfg);
    if (st == RISE_OK) st = rise_params_alloc(&params, be, 0);
    if (st != RISE_OK) {
        fprintf(stderr, "rise demo: %s\n", rise_last_error());
        rise_backend_destroy(be);
        return 1;
    }
    rise_params_init_values(&params, (uint64_t)o.seed);
    printf("rise demo: LN-ResNet %d -> %d x %d blocks (width %d, mish, LayerNorm) -> 1, "
           "%zu parameters, backend %s\n",
           DEMO_IN, (int)o.blocks, cfg.expand * cfg.hidden, cfg.hidden, rise_params_numel(&params),
           be->name);

    /* data: generated once on the host, copied once to the backend */
    float *hx = malloc(sizeof(float) * (DEMO_TRAIN + DEMO_TEST) * DEMO_IN);
    float *hy = malloc(sizeof(float) * (DEMO_TRAIN + DEMO_TEST));
    demo_make_data(hx, hy, DEMO_TRAIN, 7, 1);
    demo_make_data(hx + DEMO_TRAIN * DEMO_IN, hy + DEMO_TRAIN, DEMO_TEST, 7, 2);
    const size_t n_all = DEMO_TRAIN + DEMO_TEST;
    float *dx = be->alloc(be, sizeof(float) * n_all * DEMO_IN);
    float *dy = be->alloc(be, sizeof(float) * n_all);
    float *dgrad_out = be->alloc(be, sizeof(float) * DEMO_TEST);
    float *dloss = be->alloc(be, sizeof(float));
    be->upload(be, dx, hx, sizeof(float) * n_all * DEMO_IN);
    be->upload(be, dy, hy, sizeof(float) * n_all);
    free(hx);
    free(hy);

    /* size the scratch arena with a measuring pass at the largest batch */
    rise_arena arena;
    rise_lnresnet_tape tape;
    const int max_batch = o.batch > DEMO_TEST ? (int)o.batch : DEMO_TEST;
    const rise_rng no_rng = {0, 0, 0};
    rise_arena_init_measure(&arena);
    rise_lnresnet_forward(&net, be, params.value, &arena, &tape, NULL, max_batch, 1, 0, no_rng);
    rise_lnresnet_backward(&net, be, params.value, params.grad, &arena, &tape, NULL, NULL, 0);
    const size_t arena_floats = arena.peak;
    if (rise_arena_init(&arena, be, arena_floats) != RISE_OK) {
        fprintf(stderr, "rise demo: %s\n", rise_last_error());
        return 1;
    }

    const rise_adam_hparams adam = {(float)o.lr, 0.9f, 0.999f, 1e-8f, 0.0f, 0.0f};
    const int batches_per_epoch = DEMO_TRAIN / (int)o.batch;
    rise_progress progress;
    rise_progress_init(&progress, stdout, "demo", o.steps);
    float first_loss = NAN, loss = NAN;
    long report_at[] = {1, o.steps / 10, o.steps / 4, o.steps / 2, o.steps};
    float report_loss[5];
    int next_report = 0;
    for (long step = 1; step <= o.steps; ++step) {
        const int b = (int)((step - 1) % batches_per_epoch);
        const float *xb = dx + (size_t)b * o.batch * DEMO_IN;
        const float *yb = dy + (size_t)b * o.batch;
        const size_t mark = rise_arena_mark(&arena);
        rise_params_zero_grad(&params);
        rise_lnresnet_forward(&net, be, params.value, &arena, &tape, xb, (int)o.batch, 1, 1, no_rng);
        float *dpred = rise_arena_alloc(&arena, (size_t)o.batch);
        be->mse(be, dloss, dpred, tape.y, yb, NULL, (size_t)o.batch, 1.0f);
        rise_lnresnet_backward(&net, be, params.value, params.grad, &arena, &tape, dpred, NULL, 0);
        rise_params_adam(&params, &adam, (int)step, NULL);
        rise_arena_rewind(&arena, mark);

        const int reporting = next_report < 5 && step == report_at[next_report];
        if (reporting || step % 25 == 0 || step == o.steps) {
            be->download(be, &loss, dloss, sizeof loss);
            if (step == 1) first_loss = loss;
            rise_progress_value(&progress, "loss", loss);
        }
        while (next_report < 5 && step == report_at[next_report]) report_loss[next_report++] = loss;
        rise_progress_update(&progress, step);
    }
    rise_progress_finish(&progress);

    /* held-out loss, evaluation mode */
    const size_t mark = rise_arena_mark(&arena);
    rise_lnresnet_forward(&net, be, params.value, &arena, &tape, dx + (size_t)DEMO_TRAIN * DEMO_IN,
                          DEMO_TEST, 1, 0, no_rng);
    be->mse(be, dloss, dgrad_out, tape.y, dy + DEMO_TRAIN, NULL, DEMO_TEST, 1.0f);
    float test_loss;
    be->download(be, &test_loss, dloss, sizeof test_loss);
    rise_arena_rewind(&arena, mark);
    st = be->sync(be);

    printf("\n  %10s  %12s\n", "step", "train MSE");
    for (int i = 0; i < 5; ++i) printf("  %10ld  %12.6f\n", report_at[i], report_loss[i]);
    printf("\nheld-out MSE %.6f (target variance ~0.55; first batch %.4f)\n", test_loss,
           first_loss);

    rise_arena_free(&arena);
    be->free(be, dx);
    be->free(be, dy);
    be->free(be, dgrad_out);
    be->free(be, dloss);
    rise_params_free(&params);
    rise_backend_destroy(be);
    if (st != RISE_OK || !isfinite(test_loss)) {
        fprintf(stderr, "rise demo: training failed: %s\n",
                st != RISE_OK ? rise_last_error() : "non-finite loss");
        return 1;
    }
    return 0;
}
