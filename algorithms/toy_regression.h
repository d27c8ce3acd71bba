/* toy_regression.h - fit y = sin(3 x0) + x1 x2 on x ~ U(-1, 1)^3 with an LN-ResNet + Adam.
 *
 * A small end-to-end exercise of the network stack on any backend (the `rise demo`
 * command and the CPU convergence test both run it): data drawn once on the host with
 * Philox (training set from stream 0 of the seed, held-out set from stream 1, so every
 * backend sees the same numbers) and uploaded once; each step takes the next contiguous
 * minibatch of the training set, runs forward, MSE, backward and one Adam call over the
 * flat parameter buffer. Scratch comes from an arena sized by a measuring pass; nothing is
 * allocated in the step loop. The train loss is read back only every `log_every` steps. */
#ifndef RISE_TOY_REGRESSION_H
#define RISE_TOY_REGRESSION_H

#include <stdint.h>

#include "../host/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int steps;
    int batch;
    int width;  /* LN-ResNet hidden width H */
    int blocks; /* residual blocks */
    float lr;
    uint64_t seed;
    int n_train, n_test;
    int log_every; /* read the train loss back (and call the callback) every this many steps */
} rise_toy_config;

/* 1000 steps, batch 256, width 64, 2 blocks, lr 1e-3, seed 0, 8192 train / 2048 test
 * rows, log every 20 steps. */
rise_toy_config rise_toy_config_default(void);
rise_status rise_toy_config_check(const rise_toy_config *c);

typedef struct {
    float initial_test_loss; /* held-out MSE of the freshly initialised network */
    float final_test_loss;
    float last_train_loss; /* minibatch loss at the last logged step */
    float target_variance; /* held-out MSE of predicting the mean: the trivial baseline */
    size_t n_params;
    double seconds; /* wall time of the step loop */
} rise_toy_result;

/* Called after step `step` (1-based) whenever the train loss was read back. */
typedef void (*rise_toy_callback)(void *ctx, int step, float train_loss);

rise_status rise_toy_regression_run(rise_backend *be, const rise_toy_config *c,
                                    rise_toy_callback cb, void *ctx, rise_toy_result *out);

#ifdef __cplusplus
}
#endif
#endif
