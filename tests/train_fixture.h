/* train_fixture.h - rise_train_config for the tests that train through rise_train_run on
 * the maze fixture's two files (DIR/expert.h5, DIR/play.h5): --set lines checked as they
 * are applied, and the small configuration of every algorithm those tests share. */
#ifndef RISE_TESTS_TRAIN_FIXTURE_H
#define RISE_TESTS_TRAIN_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "algorithms/train_config.h"
#include "host/checkpoint.h"
#include "test_util.h"

static inline void train_fixture_set(rise_train_config *c, const char *kv) {
    TEST_CHECK(rise_train_config_set(c, kv) == RISE_OK, "--set %s: %s", kv, rise_last_error());
}

/* The default config of algo, then each of kv[0..n). */
static inline void train_fixture_with(rise_train_config *c, const char *algo, const char *const *kv,
                                      size_t n) {
    char buf[512];
    rise_train_config_default(c);
    snprintf(buf, sizeof buf, "train.algo=%s", algo);
    train_fixture_set(c, buf);
    for (size_t i = 0; i < n; ++i) train_fixture_set(c, kv[i]);
}

/* A tiny image policy of algo for the image tests: batch 8, width 16, a two-frame history,
 * chunks of 4 (2 executed), 10 diffusion steps, a two-block conv encoder of 8 channels with 4
 * keypoints and 8 features, no checkpoints; callers --set what differs afterwards. */
static inline void train_fixture_images(rise_train_config *c, const char *algo) {
    static const char *const kv[] = {
        "train.batch=8",        "train.ckpt_every=0",       "policy.width=16",
        "policy.depth=1",       "policy.obs_horizon=2",     "policy.action_horizon=4",
        "policy.action_exec=2", "diffusion.train_steps=10", "diffusion.sample_steps=5",
        "encoder.channels=8,8", "encoder.strides=2,2",      "encoder.groups=4",
        "encoder.keypoints=4",  "encoder.feat_dim=8",       "noise.copies=1"};
    train_fixture_with(c, algo, kv, sizeof kv / sizeof kv[0]);
}

/* RISE's parts at test size: a width-16 critic, the spectral penalty (code form), 4
 * candidates, relabelling within 0.5 with no skips and pair phases of 5 steps. */
static inline void train_fixture_rise_small(rise_train_config *c) {
    static const char *const kv[] = {
        "critic.width=16",       "spectral.mode=code",       "spectral.width=16",
        "extract.candidates=4",  "relabel.enable=true",      "relabel.threshold=0.5",
        "relabel.skip_expert=0", "relabel.skip_nonexpert=0", "relabel.block=5"};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; ++i) train_fixture_set(c, kv[i]);
}

/* A string record of run_dir/checkpoint.h5 (malloc'd; NULL when absent or unreadable). */
static inline char *train_fixture_ckpt_string(const char *run_dir, const char *key) {
    char path[700];
    snprintf(path, sizeof path, "%s/checkpoint.h5", run_dir);
    rise_ckpt_reader rd;
    char *value = NULL;
    if (rise_ckpt_open(&rd, path) == RISE_OK) {
        rise_ckpt_get_string(&rd, key, &value);
        rise_ckpt_close(&rd);
    }
    return value;
}

/* The fixture's expert and play files in dir as the two sources. */
static inline void train_fixture_sources(rise_train_config *c, const char *dir) {
    char buf[600];
    snprintf(buf, sizeof buf, "data.source=expert:%s/expert.h5", dir);
    train_fixture_set(c, buf);
    snprintf(buf, sizeof buf, "data.source=non_expert:%s/play.h5", dir);
    train_fixture_set(c, buf);
}

/* 40 steps at batch 32 and width 16, a checkpoint every 10 steps, RISE with relabelling. */
static inline void train_fixture_small(rise_train_config *c, const char *algo, const char *dir) {
    static const char *const kv[] = {
        "train.steps=40",        "train.batch=32",           "train.log_every=10",
        "train.ckpt_every=10",   "policy.width=16",          "policy.depth=1",
        "policy.dropout=0.1",    "diffusion.train_steps=10", "diffusion.sample_steps=5",
        "critic.width=16",       "extract.candidates=4",     "spectral.width=16",
        "relabel.threshold=0.5", "relabel.skip_expert=0",    "relabel.skip_nonexpert=0",
        "noise.copies=1"};
    train_fixture_with(c, algo, kv, sizeof kv / sizeof kv[0]);
    if (!strcmp(algo, "iql") || !strcmp(algo, "cql")) {
        train_fixture_set(c, "noise.copies=0"); /* Gaussian actors: no action-noise expansion */
        train_fixture_set(c, "cql.samples=3");
    }
    if (!strcmp(algo, "rise")) {
        train_fixture_set(c, "spectral.mode=code");
        train_fixture_set(c, "relabel.enable=true");
    }
    train_fixture_sources(c, dir);
}

#endif
