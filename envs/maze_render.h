/* maze_render.h - a rasterised top-down camera view of the maze (pure C): the image
 * camera view of task "maze" (camera_view.h: `rise gen --obs image|both`).
 *
 * The square image of size x size RGB pixels (uint8, [row, col, channel], row 0 at the top,
 * y = +1) covers the arena [-1, 1]^2: pixel (r, q) shows the point at its centre,
 * x = -1 + (q + 0.5) 2 / size, y = 1 - (r + 0.5) 2 / size. Colours: floor light grey, walls
 * (as drawn, rise_maze_walls, plus the arena's border, RISE_MAZE_WALL / 2 or one pixel wide,
 * whichever is wider) dark grey, goal
 * disc green, agent disc red, drawn in that order (the agent on top). The agent's disc has
 * radius max(agent_radius, RISE_MAZE_RENDER_MIN_RADIUS) so that it covers pixels at the small
 * sizes image policies train on (agent_radius is 0.02 by default: under a pixel at 24 x 24). A
 * pixel is inside a shape when its centre is; no anti-aliasing, so the image is a pure function of
 * the state. */
#ifndef RISE_ENVS_MAZE_RENDER_H
#define RISE_ENVS_MAZE_RENDER_H

#include <stdint.h>

#include "maze.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_MAZE_RENDER_MIN_RADIUS 0.06

/* Renders m's current state into img [size, size, 3] (size >= 8). */
void rise_maze_render(const rise_maze *m, uint8_t *img, int size);

#ifdef __cplusplus
}
#endif
#endif
