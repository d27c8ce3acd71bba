/* coverage_png.c - the coverage map as a PNG heatmap (host/image.h): one square
 * per cell coloured from red (0) through yellow (0.5) to green (1), grey
 * where a cell has no valid start; the task's walls in near-black, its goal
 * as a white ring, the expert box outlined in blue. */
#include <math.h>

#include "coverage.h"
#include "host/image.h"

#define MARGIN 12

static rise_rgb ramp(double p) {
    static const double lo[3] = {215, 48, 39}, mid[3] = {254, 224, 139}, hi[3] = {26, 152, 80};
    uint8_t c[3];
    for (int k = 0; k < 3; ++k) {
        const double v = p < 0.5 ? lo[k] + (mid[k] - lo[k]) * (p / 0.5)
                                 : mid[k] + (hi[k] - mid[k]) * ((p - 0.5) / 0.5);
        c[k] = (uint8_t)lround(v);
    }
    return (rise_rgb){c[0], c[1], c[2]};
}

typedef struct {
    double lo[2], hi[2];
    int side; /* pixels of the map square */
} mapping;

static int px_x(const mapping *m, double x) {
    return MARGIN + (int)lround((x - m->lo[0]) / (m->hi[0] - m->lo[0]) * m->side);
}
static int px_y(const mapping *m, double y) {
    return MARGIN + (int)lround((m->hi[1] - y) / (m->hi[1] - m->lo[1]) * m->side);
}

rise_status rise_coverage_write_png(const rise_coverage_result *r, const rise_env *env,
                                    const char *path) {
    const int G = r->grid;
    int cell = 480 / G;
    if (cell < 4) cell = 4;
    mapping m = {{r->lo[0], r->lo[1]}, {r->hi[0], r->hi[1]}, cell * G};
    const rise_rgb white = {255, 255, 255}, grey = {170, 170, 170}, line = {235, 235, 235};
    const rise_rgb wall = {30, 30, 30}, blue = {20, 70, 230};
    rise_image im;
    RISE_TRY(rise_image_create(&im, m.side + 2 * MARGIN, m.side + 2 * MARGIN, white));
    for (int j = 0; j < G; ++j)
        for (int i = 0; i < G; ++i) {
            const int c = j * G + i;
            const rise_rgb col = r->n_trials[c] ? ramp(r->rate[c]) : grey;
            const int x0 = MARGIN + i * cell, y0 = MARGIN + (G - 1 - j) * cell;
            rise_image_fill(&im, x0, y0, x0 + cell, y0 + cell, col);
            rise_image_frame(&im, x0, y0, x0 + cell, y0 + cell, 1, line);
        }
    if (env && env->ops->shapes) {
        rise_env_shape shapes[64];
        const int n = env->ops->shapes(env, shapes, 64);
        for (int k = 0; k < n; ++k) {
            const rise_env_shape *s = &shapes[k];
            const int x0 = px_x(&m, s->x0), x1 = px_x(&m, s->x1);
            const int y0 = px_y(&m, s->y1), y1 = px_y(&m, s->y0);
            if (s->kind == RISE_ENV_SHAPE_WALL) {
                rise_image_fill(&im, x0, y0, x1 > x0 ? x1 : x0 + 1, y1 > y0 ? y1 : y0 + 1, wall);
                continue;
            }
            /* goal: a 2-pixel ring on the inscribed ellipse */
            const double cx = 0.5 * (x0 + x1), cy = 0.5 * (y0 + y1);
            const double rx = 0.5 * (x1 - x0), ry = 0.5 * (y1 - y0);
            for (int y = y0 - 2; y <= y1 + 2; ++y)
                for (int x = x0 - 2; x <= x1 + 2; ++x) {
                    const double u = (x - cx) / (rx > 1 ? rx : 1), v = (y - cy) / (ry > 1 ? ry : 1);
                    const double d = sqrt(u * u + v * v) * (rx > ry ? rx : ry);
                    if (fabs(d - (rx > ry ? rx : ry)) <= 1.2) rise_image_put(&im, x, y, white);
                }
        }
    }
    rise_image_frame(&im, px_x(&m, r->expert_lo[0]) - 1, px_y(&m, r->expert_hi[1]) - 1,
                     px_x(&m, r->expert_hi[0]) + 2, px_y(&m, r->expert_lo[1]) + 2, 3, blue);
    rise_image_frame(&im, MARGIN - 2, MARGIN - 2, MARGIN + m.side + 2, MARGIN + m.side + 2, 2,
                     wall);
    rise_status st = rise_image_write_png(&im, path);
    rise_image_free(&im);
    return st;
}
