/* cli/selftest.c - `rise selftest`: train an LN-ResNet on a synthetic regression problem and show
 * the loss falling.
 *
 * Run: rise selftest [--steps N] [--batch B] [--width H] [--blocks K] [--lr LR]
 *                [--backend cpu|ref|cuda] [--seed S] [--help]
 * Fits y = sin(3 x0) + x1 x2 on x ~ U(-1, 1)^3 (algorithms/toy_regression.c) with a progress
 * line, then prints the train loss at a few steps and the final held-out loss next to the
 * trivial baseline (predicting the mean). Exit codes: 0 ok, 1 runtime failure (e.g. the CUDA
 * backend is not available), 2 bad usage. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/toy_regression.h"
#include "host/backend.h"
#include "cli.h"
#include "host/progress.h"

static void selftest_usage(FILE *out, const rise_toy_config *d) {
    fprintf(out,
            "usage: rise selftest [options]\n"
            "Train an LN-ResNet (IDQL's residual MLP) to fit y = sin(3 x0) + x1 x2 on\n"
            "x ~ U(-1,1)^3 and show the loss falling.\n\n"
            "options (default in brackets):\n"
            "  --steps N           training steps [%d]\n"
            "  --batch B           minibatch size, 1..%d [%d]\n"
            "  --width H           residual stream width (inner layers 4H) [%d]\n"
            "  --blocks K          residual blocks, 0..16 [%d]\n"
            "  --lr LR             Adam learning rate [%g]\n"
            "  --backend NAME      cpu, ref or cuda [cpu]\n"
            "  --seed S            seed for initialisation and data [%llu]\n"
            "  --help              show this help\n",
            d->steps, d->n_train, d->batch, d->width, d->blocks, (double)d->lr,
            (unsigned long long)d->seed);
}

static int parse_int(const char *opt, const char *s, int lo, int hi, int *out) {
    char *end;
    errno = 0;
    const long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "rise selftest: %s expects an integer in %d..%d, got '%s'\n", opt, lo, hi,
                s);
        return 0;
    }
    *out = (int)v;
    return 1;
}

typedef struct {
    rise_progress bar;
    int *steps;
    float *losses;
    int count, capacity;
} selftest_log;

static void on_log(void *ctx, int step, float loss) {
    selftest_log *log = ctx;
    if (log->count < log->capacity) {
        log->steps[log->count] = step;
        log->losses[log->count++] = loss;
    }
    rise_progress_value(&log->bar, "loss", loss);
    rise_progress_update(&log->bar, step);
}

int rise_cmd_selftest(int argc, char **argv) {
    rise_toy_config c = rise_toy_config_default();
    const char *backend = "cpu";
    for (int i = 1; i < argc; ++i) {
        const char *opt = argv[i];
        if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
            selftest_usage(stdout, &c);
            return 0;
        }
        static const char *known[] = {"--steps", "--batch", "--width",  "--blocks",
                                      "--lr",    "--seed",  "--backend"};
        int is_known = 0;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; ++k)
            is_known |= strcmp(opt, known[k]) == 0;
        if (!is_known) {
            fprintf(stderr, "rise selftest: unknown %s '%s' (see rise selftest --help)\n",
                    strncmp(opt, "-", 1) == 0 ? "option" : "argument", opt);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "rise selftest: %s needs a value (see rise selftest --help)\n", opt);
            return 2;
        }
        const char *val = argv[++i];
        int ok = 1;
        if (strcmp(opt, "--steps") == 0)
            ok = parse_int(opt, val, 1, INT_MAX, &c.steps);
        else if (strcmp(opt, "--batch") == 0)
            ok = parse_int(opt, val, 1, c.n_train, &c.batch);
        else if (strcmp(opt, "--width") == 0)
            ok = parse_int(opt, val, 1, 4096, &c.width);
        else if (strcmp(opt, "--blocks") == 0)
            ok = parse_int(opt, val, 0, 16, &c.blocks);
        else if (strcmp(opt, "--seed") == 0) {
            char *end;
            errno = 0;
            const unsigned long long s = strtoull(val, &end, 10);
            ok = !errno && end != val && !*end && val[0] != '-';
            if (ok)
                c.seed = s;
            else
                fprintf(stderr, "rise selftest: --seed expects a non-negative integer, got '%s'\n",
                        val);
        } else if (strcmp(opt, "--lr") == 0) {
            char *end;
            const double lr = strtod(val, &end);
            ok = end != val && !*end && lr > 0.0 && lr < 1.0;
            if (ok)
                c.lr = (float)lr;
            else
                fprintf(stderr, "rise selftest: --lr expects a number in (0, 1), got '%s'\n", val);
        } else if (strcmp(opt, "--backend") == 0) {
            ok = strcmp(val, "cpu") == 0 || strcmp(val, "ref") == 0 || strcmp(val, "cuda") == 0;
            if (ok)
                backend = val;
            else
                fprintf(stderr, "rise selftest: --backend expects 'cpu' or 'cuda', got '%s'\n",
                        val);
        } else {
            fprintf(stderr, "rise selftest: unknown option '%s' (see rise selftest --help)\n", opt);
            return 2;
        }
        if (!ok) return 2;
    }
    if (rise_toy_config_check(&c) != RISE_OK) {
        fprintf(stderr, "rise selftest: %s\n", rise_last_error());
        return 2;
    }

    rise_status st;
    rise_backend *be = rise_backend_create(backend, &st);
    if (!be) {
        fprintf(stderr, "rise selftest: cannot use backend '%s': %s\n", backend, rise_last_error());
        return 1;
    }
    printf("rise selftest: fit y = sin(3 x0) + x1 x2, x ~ U(-1,1)^3, with an LN-ResNet\n");
    printf("  backend %s, width %d, %d blocks, batch %d, %d steps, Adam lr %g, seed %llu\n",
           be->name, c.width, c.blocks, c.batch, c.steps, (double)c.lr, (unsigned long long)c.seed);

    selftest_log log;
    memset(&log, 0, sizeof log);
    log.capacity = c.steps / c.log_every + 2;
    log.steps = malloc((size_t)log.capacity * sizeof *log.steps);
    log.losses = malloc((size_t)log.capacity * sizeof *log.losses);
    if (!log.steps || !log.losses) {
        fprintf(stderr, "rise selftest: out of host memory\n");
        free(log.steps);
        free(log.losses);
        rise_backend_destroy(be);
        return 1;
    }
    rise_progress_init(&log.bar, stdout, "train", c.steps);
    rise_toy_result r;
    st = rise_toy_regression_run(be, &c, on_log, &log, &r);
    if (st != RISE_OK) {
        if (log.bar.line_open) fputc('\n', stdout);
        fprintf(stderr, "rise selftest: training failed: %s\n", rise_last_error());
        free(log.steps);
        free(log.losses);
        rise_backend_destroy(be);
        return 1;
    }
    rise_progress_finish(&log.bar);

    printf("\n  %8s  %12s\n", "step", "train MSE");
    const double fractions[] = {0.0, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0};
    int last_row = -1;
    for (size_t f = 0; f < sizeof fractions / sizeof fractions[0]; ++f) {
        int row = (int)(fractions[f] * (log.count - 1) + 0.5);
        if (row <= last_row || row >= log.count) continue;
        printf("  %8d  %12.6g\n", log.steps[row], (double)log.losses[row]);
        last_row = row;
    }
    printf("\n  %zu parameters; %d steps in %.2f s (%.1f steps/s)\n", r.n_params, c.steps,
           r.seconds, r.seconds > 0 ? c.steps / r.seconds : 0.0);
    printf("  held-out MSE: %.6g at init -> %.6g after training\n", (double)r.initial_test_loss,
           (double)r.final_test_loss);
    printf("  baseline (predict the mean): %.6g; the network explains %.2f%% of the variance\n",
           (double)r.target_variance, 100.0 * (1.0 - r.final_test_loss / r.target_variance));
    printf("\n  (this checks the network stack; the RISE comparison on the maze is `rise demo`)\n");
    free(log.steps);
    free(log.losses);
    rise_backend_destroy(be);
    return 0;
}
