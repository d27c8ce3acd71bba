/* maze_fixture.h - generated maze datasets for tests that train agents: `n` episodes of
 * one generator kind written as a robomimic-layout file (envs/gen.h; low-dim keys, or the
 * rendered camera view too), and a normalised
 * training set of expert and play episodes built from two such files. */
#ifndef RISE_TESTS_MAZE_FIXTURE_H
#define RISE_TESTS_MAZE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "data/trainset.h"
#include "envs/gen.h"
#include "test_util.h"

/* As maze_fixture_gen, observing obs (rise_gen_obs) with size x size camera frames. */
static inline void maze_fixture_gen_obs(const char *kind_name, int n, uint64_t seed, int obs,
                                        int size, const char *path) {
    rise_gen_kind kind;
    rise_gen_kind_parse(kind_name, &kind);
    rise_gen_opts o;
    rise_gen_opts_default(&o);
    o.obs = obs;
    if (size > 0) o.image_size = size;
    rise_episode_buf *bufs = calloc((size_t)n, sizeof *bufs);
    rise_gen_stats stats;
    rise_env *env;
    TEST_CHECK(rise_env_create("maze", NULL, &env) == RISE_OK, "env");
    rise_status st = rise_gen_run("maze", NULL, kind, &o, seed, n, 1, bufs, &stats, NULL, NULL);
    if (st == RISE_OK) st = rise_gen_write(path, env, kind, &o, seed, bufs, n);
    TEST_CHECK(st == RISE_OK, "gen %s: %s", kind_name, rise_last_error());
    for (int i = 0; i < n; ++i) rise_episode_buf_free(&bufs[i]);
    free(bufs);
    rise_env_destroy(env);
}

static inline void maze_fixture_gen(const char *kind_name, int n, uint64_t seed, const char *path) {
    maze_fixture_gen_obs(kind_name, n, seed, RISE_GEN_OBS_LOWDIM, 0, path);
}

/* dir/expert.h5 (n expert episodes, seed 1) and dir/play.h5 (n play episodes, seed 2) as a
 * normalised training set. */
static inline void maze_fixture_trainset(const char *dir, int n, rise_trainset *ts) {
    char path[600], src[700];
    rise_data_spec spec;
    rise_data_spec_default(&spec);
    snprintf(path, sizeof path, "%s/expert.h5", dir);
    maze_fixture_gen("expert", n, 1, path);
    snprintf(src, sizeof src, "expert:%s", path);
    rise_data_spec_add_source(&spec, src);
    snprintf(path, sizeof path, "%s/play.h5", dir);
    maze_fixture_gen("play", n, 2, path);
    snprintf(src, sizeof src, "non_expert:%s", path);
    rise_data_spec_add_source(&spec, src);
    TEST_CHECK(rise_trainset_build(&spec, ts) == RISE_OK &&
                   rise_trainset_normalize(ts, NULL) == RISE_OK,
               "trainset: %s", rise_last_error());
}

#endif
