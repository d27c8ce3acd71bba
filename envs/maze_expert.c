/* maze_expert.c - the maze's scripted policies behind the policy interface:
 *  "expert":  pure pursuit of the expert route (the demonstrator; narrow),
 *  "planner": the cell-graph navigator to the goal (an oracle that succeeds
 *             from anywhere; an upper bound on coverage, and a test fixture).
 * Both read agent_pos and agent_vel from the observation, so they act on
 * exactly what a trained policy sees. */
#include <stdio.h>
#include <stdlib.h>

#include "maze_nav.h"
#include "policy.h"

typedef struct {
    rise_maze_settings s;
    int pos, vel; /* offsets of agent_pos, agent_vel in the observation */
    int planner;
    rise_maze_graph graph;
} maze_policy;

static rise_status maze_policy_act(rise_policy *p, int n, const float *obs,
                                   const rise_policy_ctx *ctx, float *actions) {
    (void)ctx;
    const maze_policy *mp = p->impl;
    const int goal = rise_maze_cell_index(RISE_MAZE_N - 1, RISE_MAZE_N - 1);
    for (int r = 0; r < n; ++r) {
        const float *o = obs + (size_t)r * p->obs_dim;
        const double x = o[mp->pos], y = o[mp->pos + 1], vx = o[mp->vel], vy = o[mp->vel + 1];
        float *a = actions + (size_t)r * 2;
        if (mp->planner)
            rise_maze_nav_action(&mp->s, &mp->graph, x, y, vx, vy, goal, a);
        else
            rise_maze_expert_action(&mp->s, x, y, vx, vy, a);
    }
    return RISE_OK;
}

static void maze_policy_destroy(rise_policy *p) {
    free(p->impl);
    free(p);
}

static rise_status make(const rise_env *env, uint64_t seed, int planner, rise_policy **out) {
    *out = NULL;
    const rise_maze *m = rise_maze_of_const(env);
    const int kp = rise_env_find_key(&env->info, "agent_pos");
    const int kv = rise_env_find_key(&env->info, "agent_vel");
    if (kp < 0 || kv < 0)
        return rise_error(RISE_ERR_INVALID, "maze policy: observation keys agent_pos and agent_vel "
                                            "are required");
    rise_policy *p = calloc(1, sizeof *p);
    maze_policy *mp = calloc(1, sizeof *mp);
    if (!p || !mp) {
        free(p);
        free(mp);
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    mp->s = m->s;
    mp->pos = env->info.keys[kp].offset;
    mp->vel = env->info.keys[kv].offset;
    mp->planner = planner;
    if (planner) rise_maze_graph_build(m, &mp->graph);
    snprintf(p->name, sizeof p->name, "%s", planner ? "planner" : "expert");
    p->obs_dim = env->info.obs_dim;
    p->act_dim = env->info.act_dim;
    p->chunk = p->n_exec = 1;
    p->seed = seed;
    p->act = maze_policy_act;
    p->destroy = maze_policy_destroy;
    p->impl = mp;
    *out = p;
    return RISE_OK;
}

rise_status rise_maze_policy_expert(const rise_env *env, uint64_t seed, rise_policy **out) {
    return make(env, seed, 0, out);
}

rise_status rise_maze_policy_planner(const rise_env *env, uint64_t seed, rise_policy **out) {
    return make(env, seed, 1, out);
}
