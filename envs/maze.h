/* maze.h - task "maze": a 2-D point mass in a walled maze (pure C).
 *
 * The arena is [-1,1]^2, divided into a 5x5 grid of 0.4-wide cells; walls
 * (0.04 thick) lie on cell boundaries. The goal is a disc of radius
 * goal_radius around the centre of the top-right cell (0.8, 0.8). The
 * expert starts in a narrow box in the bottom-left cell and its route runs
 * up the left column and along the top row (the "expert corridor", an L).
 * That corridor is walled off from the rest of the maze except at two
 * openings (cell (0,1)-(1,1) low on the left, and cell (2,3)-(2,4) in the
 * middle of the top row), so starts in the other 16 cells reach the
 * expert's path only by routes the expert never shows. See docs/tasks.md.
 *
 * Cells (col i, row j), x = -1 + 0.4 (i + 0.5), y likewise; S the expert's
 * start box, G the goal; the expert route runs up column 0 and along row 4:
 *
 *   y = 1  +----+----+----+----+----+
 *   row 4  |                     G  |
 *          +    +----+    +----+----+
 *   row 3  |    |         |    |    |
 *          +    +----+    +    +    +
 *   row 2  |    |         |    |    |
 *          +    +    +    +    +    +
 *   row 1  |                        |
 *          +    +----+----+----+    +
 *   row 0  | S  |                   |
 *   y = -1 +----+----+----+----+----+
 *        x = -1                    x = 1
 *
 * State: position and velocity (doubles). Action in [-1,1]^2:
 *  - action_mode "acceleration" (default): v += (a max_accel - drag v) dt,
 *  - action_mode "velocity": v = a max_speed,
 * then |v| is capped at max_speed and the agent (a disc of agent_radius)
 * moves by v dt with swept collision against the walls: it stops at the
 * first wall face the motion reaches, loses the velocity component normal
 * to that face and slides along it with the rest of the motion. The
 * straight line from a step's start to its end never crosses a wall (no
 * tunnelling at any speed), which the tests check independently.
 * Success: the centre is inside the goal disc; reward 1 on that step.
 * Observation keys: agent_pos (2), agent_vel (2), goal_rel (2, goal -
 * position; setting goal_rel=false drops it). Initial condition: the start
 * position (x, y); the velocity starts at zero. */
#ifndef RISE_ENVS_MAZE_H
#define RISE_ENVS_MAZE_H

#include "env.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_MAZE_N         5    /* cells per side */
#define RISE_MAZE_CELL      0.4  /* cell width */
#define RISE_MAZE_WALL      0.04 /* wall thickness */
#define RISE_MAZE_MAX_BOXES 24
#define RISE_MAZE_GOAL_X    0.8
#define RISE_MAZE_GOAL_Y    0.8

typedef enum { RISE_MAZE_ACCEL = 0, RISE_MAZE_VELOCITY = 1 } rise_maze_action_mode;

typedef struct {
    double dt, max_speed, max_accel, drag, agent_radius, goal_radius;
    int horizon;
    int action_mode; /* rise_maze_action_mode */
    int goal_rel;    /* include the goal_rel observation key */
    int layout;      /* index into the layout names; one layout for now */
} rise_maze_settings;

typedef struct {
    double x0, y0, x1, y1;
} rise_maze_box;

typedef struct {
    rise_maze_settings s;
    int n_boxes;
    rise_maze_box boxes[RISE_MAZE_MAX_BOXES]; /* walls grown by agent_radius */
    double gx, gy;                            /* goal centre */
    double px, py, vx, vy;                    /* the state */
} rise_maze;

/* The maze behind an env created with task "maze" (asserts the task). */
rise_maze *rise_maze_of(rise_env *e);
const rise_maze *rise_maze_of_const(const rise_env *e);

/* The walls as drawn (not grown), inside the arena; returns the count. */
int rise_maze_walls(rise_maze_box *out, int max);

/* One step of the dynamics without any checks; returns 1 when the agent
 * ends inside the goal. The generators use it to look ahead on copies. */
int rise_maze_advance(rise_maze *m, float ax, float ay);
/* Moves (x, y) by (dx, dy) with the collision rule above. hit_x / hit_y
 * (optional) report which velocity components a wall stopped. */
void rise_maze_move(const rise_maze *m, double *x, double *y, double dx, double dy, int *hit_x,
                    int *hit_y);

/* 1 when the agent's centre may be at (x, y): outside every grown wall's
 * open interior. */
int rise_maze_point_free(const rise_maze *m, double x, double y);
/* 1 when the segment stays out of every wall grown by agent_radius + margin. */
int rise_maze_segment_free(const rise_maze *m, double x0, double y0, double x1, double y1,
                           double margin);
int rise_maze_in_goal(const rise_maze *m, double x, double y);
void rise_maze_observe(const rise_maze *m, float *obs);

/* Cell (col i, row j) of a point, clamped to the grid; cell centres. */
void rise_maze_cell_of(double x, double y, int *i, int *j);
double rise_maze_cell_center(int i);

/* The expert's route: an L polyline from below its start box, up the left
 * column to the top-left cell centre, then right to the goal centre. */
#define RISE_MAZE_ROUTE_POINTS 3
extern const double rise_maze_route[RISE_MAZE_ROUTE_POINTS][2];

#ifdef __cplusplus
}
#endif
#endif
