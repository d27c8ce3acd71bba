/* pair_walls.c - how many of RISE's relabelled pairs join states on two sides of a maze
 * wall (so the neighbour's action is wrong where it is applied).
 *
 *   build/maze_pair_walls EXPERT.h5 PLAY.h5 [threshold] [l2_normalize 0|1]
 *
 * Builds the training set as `rise train` does (gaussian observation normalisation),
 * runs the relabelling with the maze configs' settings (k 15, skips 0) and, per rule,
 * counts pairs whose straight segment between the two agent positions is blocked by a
 * wall (rise_maze_segment_free with margin 0). */
#include <stdio.h>
#include <stdlib.h>

#include "data/pairs.h"
#include "envs/maze.h"

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: maze_pair_walls EXPERT.h5 PLAY.h5 [threshold] [l2 0|1]\n");
        return 2;
    }
    rise_data_spec spec;
    rise_data_spec_default(&spec);
    char src[2048];
    snprintf(src, sizeof src, "expert:%s", argv[1]);
    rise_data_spec_add_source(&spec, src);
    snprintf(src, sizeof src, "non_expert:%s", argv[2]);
    rise_data_spec_add_source(&spec, src);
    rise_trainset ts;
    if (rise_trainset_build(&spec, &ts) != RISE_OK) {
        fprintf(stderr, "maze_pair_walls: %s\n", rise_last_error());
        return 1;
    }
    /* raw positions (agent_pos) before normalisation */
    int64_t off, dim;
    if (!rise_trainset_key_cols(&ts, "agent_pos", &off, &dim) || dim != 2) {
        fprintf(stderr, "maze_pair_walls: no agent_pos key of width 2\n");
        return 1;
    }
    double *pos = malloc(sizeof(double) * 2 * (size_t)ts.n);
    for (int64_t i = 0; i < ts.n; ++i)
        for (int d = 0; d < 2; ++d) pos[2 * i + d] = ts.obs[i * ts.obs_dim + off + d];
    rise_trainset_normalize(&ts, NULL);
    rise_relabel_config c;
    rise_relabel_config_default(&c);
    c.threshold = argc > 3 ? (float)atof(argv[3]) : 0.1f;
    c.l2_normalize = argc > 4 ? atoi(argv[4]) : 1;
    c.skip_expert = c.skip_nonexpert = 0;
    rise_pairs p;
    if (rise_relabel_build(&ts, &c, &p) != RISE_OK) {
        fprintf(stderr, "maze_pair_walls: %s\n", rise_last_error());
        return 1;
    }
    rise_env *env;
    rise_env_create("maze", NULL, &env);
    const rise_maze *m = rise_maze_of_const(env);
    int64_t n[RISE_PAIR_RULES] = {0}, blocked[RISE_PAIR_RULES] = {0};
    double far[RISE_PAIR_RULES] = {0};
    for (int64_t i = 0; i < p.n; ++i) {
        const double *a = pos + 2 * p.obs_idx[i], *b = pos + 2 * p.act_idx[i];
        const int r = p.rule[i];
        n[r]++;
        blocked[r] += !rise_maze_segment_free(m, a[0], a[1], b[0], b[1], 0.0);
        const double dx = a[0] - b[0], dy = a[1] - b[1], d = dx * dx + dy * dy;
        far[r] += d > 0.01; /* more than 0.1 arena units apart (a quarter cell) */
    }
    printf("threshold %g, l2_normalize %d: %lld pairs\n", (double)c.threshold, c.l2_normalize,
           (long long)p.n);
    const char *names[RISE_PAIR_RULES] = {"play->expert", "play->play"};
    for (int r = 0; r < RISE_PAIR_RULES; ++r)
        printf("  %-13s %9lld pairs, %5.1f%% across a wall, %5.1f%% more than 0.1 apart\n",
               names[r], (long long)n[r], n[r] ? 100.0 * blocked[r] / n[r] : 0.0,
               n[r] ? 100.0 * far[r] / n[r] : 0.0);
    rise_pairs_free(&p);
    rise_env_destroy(env);
    rise_trainset_free(&ts);
    free(pos);
    return 0;
}
