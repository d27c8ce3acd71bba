/* maze_render.c - the maze's top-down camera view (see maze_render.h): per pixel, the last
 * shape drawn over its centre. */
#include "maze_render.h"

#include <math.h>

#include "../host/error.h"

static const uint8_t floor_rgb[3] = {224, 224, 224}, wall_rgb[3] = {64, 64, 64},
                     goal_rgb[3] = {40, 170, 60}, agent_rgb[3] = {210, 40, 40};

void rise_maze_render(const rise_maze *m, uint8_t *img, int size) {
    RISE_ASSERT(size >= 8, "rise_maze_render: size %d < 8", size);
    rise_maze_box walls[RISE_MAZE_MAX_BOXES];
    const int n_walls = rise_maze_walls(walls, RISE_MAZE_MAX_BOXES);
    const double px = 2.0 / size, gr2 = m->s.goal_radius * m->s.goal_radius;
    const double ar = m->s.agent_radius > RISE_MAZE_RENDER_MIN_RADIUS ? m->s.agent_radius
                                                                      : RISE_MAZE_RENDER_MIN_RADIUS;
    const double ar2 = ar * ar, border = 1.0 - fmax(0.5 * RISE_MAZE_WALL, px);
    for (int r = 0; r < size; ++r)
        for (int q = 0; q < size; ++q) {
            const double x = -1.0 + (q + 0.5) * px, y = 1.0 - (r + 0.5) * px;
            const uint8_t *rgb = fabs(x) > border || fabs(y) > border ? wall_rgb : floor_rgb;
            for (int k = 0; k < n_walls; ++k)
                if (x >= walls[k].x0 && x <= walls[k].x1 && y >= walls[k].y0 && y <= walls[k].y1)
                    rgb = wall_rgb;
            if ((x - m->gx) * (x - m->gx) + (y - m->gy) * (y - m->gy) <= gr2) rgb = goal_rgb;
            if ((x - m->px) * (x - m->px) + (y - m->py) * (y - m->py) <= ar2) rgb = agent_rgb;
            uint8_t *o = img + ((size_t)r * size + q) * 3;
            o[0] = rgb[0], o[1] = rgb[1], o[2] = rgb[2];
        }
}
