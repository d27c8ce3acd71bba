/* agent_fixture.h - small agent configurations for tests that train agents on the maze
 * fixture (maze_fixture.h): any algorithm at a given batch and width, and RISE with
 * everything its step can do (mixed expert / non-expert batches, relabelled pairs every
 * 2nd step (phases of one step, not RISE's epochs of 100, so short runs see both), the
 * critic resting in pair steps, action-noise copies, observation history and action
 * chunks). */
#ifndef RISE_TESTS_AGENT_FIXTURE_H
#define RISE_TESTS_AGENT_FIXTURE_H

#include "algorithms/agent.h"

static inline void agent_fixture_config(rise_agent_config *c, rise_algo algo,
                                        const rise_trainset *ts, int batch, int width, int depth) {
    rise_agent_config_default(c, algo);
    c->obs_dim = (int)ts->obs_dim;
    c->act_dim = (int)ts->act_dim;
    c->batch = batch;
    c->diffusion.width = c->diffusion.code_width = c->critic.width = width;
    c->diffusion.depth = depth;
    c->diffusion.train_steps = 10;
    c->candidates = 4;
    c->cql_samples = 3;
    if (algo == RISE_ALGO_RISE) {
        c->expert_ratio = 0.25;
        c->obs_horizon = 2;
        c->action_horizon = 3;
        c->noise_copies = 2;
        c->relabel = 1;
        c->relabel_block = 1;
        c->relabel_cfg.threshold = 0.5f;
        c->relabel_cfg.skip_expert = c->relabel_cfg.skip_nonexpert = 0;
    }
}

#endif
