/* maze_nav.h - steering for the maze's scripted agents.
 *
 * Two controllers, both memoryless functions of position and velocity:
 *  - the expert follows its fixed route (rise_maze_route) by pure pursuit:
 *    it aims at the point `lookahead` further along the route than the
 *    route point closest to it. From starts whose closest route point is
 *    behind a wall it drives into that wall, which is what makes the expert
 *    (and anything cloned from it) narrow.
 *  - the navigator plans on the cell graph (4-neighbour cells joined when
 *    the straight line between their centres clears every wall) and
 *    pursues the polyline of cell centres from the agent's cell to a target
 *    cell. The play, suboptimal and planner agents use it. */
#ifndef RISE_ENVS_MAZE_NAV_H
#define RISE_ENVS_MAZE_NAV_H

#include "maze.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_MAZE_CELLS (RISE_MAZE_N * RISE_MAZE_N)

typedef struct {
    int next[RISE_MAZE_CELLS][RISE_MAZE_CELLS]; /* next cell on a shortest path, -1 unreachable */
    int dist[RISE_MAZE_CELLS][RISE_MAZE_CELLS]; /* edges on a shortest path, -1 unreachable */
    int adj[RISE_MAZE_CELLS][4];                /* neighbours, -1 padded */
} rise_maze_graph;

static inline int rise_maze_cell_index(int i, int j) { return j * RISE_MAZE_N + i; }

void rise_maze_graph_build(const rise_maze *m, rise_maze_graph *g);

/* Pure pursuit on a polyline of n points: the target lies `lookahead`
 * along the polyline past the point closest to (x, y); *remaining
 * (optional) is the polyline length left from the closest point. */
void rise_maze_pursuit(const double (*pts)[2], int n, double x, double y, double lookahead,
                       double *tx, double *ty, double *remaining);

/* The action that steers toward (tx, ty) at `speed` (arena units/s),
 * in the env's action mode; each component in [-1, 1]. */
void rise_maze_steer(const rise_maze_settings *s, double x, double y, double vx, double vy,
                     double tx, double ty, double speed, float *a);

/* The expert's action at (x, y) with velocity (vx, vy). */
void rise_maze_expert_action(const rise_maze_settings *s, double x, double y, double vx, double vy,
                             float *a);

/* The navigator's action toward the centre of cell `target` (the goal
 * centre for the goal cell). */
void rise_maze_nav_action(const rise_maze_settings *s, const rise_maze_graph *g, double x, double y,
                          double vx, double vy, int target, float *a);

#define RISE_MAZE_EXPERT_SPEED 0.7 /* fraction of max_speed the scripted agents cruise at */

#ifdef __cplusplus
}
#endif
#endif
