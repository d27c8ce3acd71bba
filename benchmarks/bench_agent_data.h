/* bench_agent_data.h - the maze training set the end-to-end benchmarks (bench_train,
 * bench_step_gemm) train on: 40 expert and 40 play episodes generated into a temporary
 * folder, expert and non-expert sources, normalised. */
#ifndef RISE_BENCH_AGENT_DATA_H
#define RISE_BENCH_AGENT_DATA_H

#include <stdio.h>
#include <stdlib.h>

#include "algorithms/agent.h"
#include "envs/gen.h"

static inline int make_data(const char *dir, const char *kind_name, int n, const char *file) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    rise_gen_kind kind;
    rise_gen_kind_parse(kind_name, &kind);
    rise_gen_opts o;
    rise_gen_opts_default(&o);
    rise_episode_buf *b = calloc((size_t)n, sizeof *b);
    rise_gen_stats s;
    rise_env *env = NULL;
    rise_status st = rise_env_create("maze", NULL, &env);
    if (st == RISE_OK) st = rise_gen_run("maze", NULL, kind, &o, 1, n, 0, b, &s, NULL, NULL);
    if (st == RISE_OK) st = rise_gen_write(path, env, kind, &o, 1, b, n);
    for (int i = 0; i < n; ++i) rise_episode_buf_free(&b[i]);
    free(b);
    rise_env_destroy(env);
    return st == RISE_OK;
}

/* Writes expert.h5 and play.h5 into a fresh folder `dir` (a mkdtemp template); 0 on failure. */
static inline int bench_agent_files(char *dir) {
    return mkdtemp(dir) && make_data(dir, "expert", 40, "expert.h5") &&
           make_data(dir, "play", 40, "play.h5");
}

/* The training set of the files in dir: expert and non-expert sources, normalised. */
static inline rise_status bench_agent_load(const char *dir, rise_trainset *ts) {
    rise_data_spec spec;
    rise_data_spec_default(&spec);
    char src[600];
    snprintf(src, sizeof src, "expert:%s/expert.h5", dir);
    rise_data_spec_add_source(&spec, src);
    snprintf(src, sizeof src, "non_expert:%s/play.h5", dir);
    rise_data_spec_add_source(&spec, src);
    rise_status st = rise_trainset_build(&spec, ts);
    if (st == RISE_OK) st = rise_trainset_normalize(ts, NULL);
    return st;
}

/* Builds the training set in a fresh folder `dir` (a mkdtemp template); 0 on failure. */
static inline int bench_agent_trainset(char *dir, rise_trainset *ts) {
    return bench_agent_files(dir) && bench_agent_load(dir, ts) == RISE_OK;
}

/* The agent both benchmarks time: IDQL or RISE at batch B and width W (LN-ResNet policy of
 * 3 blocks, critic 2 x W), K = 128 candidates; RISE with relabelled pairs every 2nd step.
 * IQL as CORL's single-file IQL (benchmarks/peers/iql_torch.py): twin Q and V MLPs 2 x W
 * with ReLU and no LayerNorm, Gaussian actor MLP 2 x W (ReLU, tanh mean, state-independent
 * log-std), expectile 0.7, beta 3, discount 0.99, tau 0.005, Adam lr 3e-4. */
static inline void bench_agent_config(rise_agent_config *c, const rise_trainset *ts, rise_algo algo,
                                      int batch, int width, int depth, int code_width) {
    rise_agent_config_default(c, algo);
    c->obs_dim = (int)ts->obs_dim;
    c->act_dim = (int)ts->act_dim;
    c->candidates = 128;
    c->batch = batch;
    c->diffusion.width = c->critic.width = width;
    if (depth > 0) c->diffusion.depth = depth;
    if (code_width > 0) c->diffusion.code_width = code_width;
    if (algo == RISE_ALGO_IQL) {
        c->diffusion.lnresnet = 0;
        c->diffusion.depth = 2;
        c->diffusion.act = RISE_ACT_RELU;
        c->diffusion.dropout = 0.0f;
        c->critic.layernorm = 0;
        c->critic.depth = 2;
        c->critic.expectile = 0.7f;
        c->critic.discount = 0.99f;
        c->critic.tau = 0.005f;
        c->critic.q_opt.lr = c->critic.v_opt.lr = c->policy_lr = 3e-4f;
        c->awr_beta = 3.0f;
        c->awr_max_weight = 100.0f;
    }
    if (algo == RISE_ALGO_RISE) {
        c->relabel = 1;
        c->relabel_cfg.threshold = 0.2f;
        c->relabel_cfg.skip_expert = c->relabel_cfg.skip_nonexpert = 0;
    }
}

#endif
