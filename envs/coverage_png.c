/* coverage_png.c - the coverage map as a PNG heatmap (libpng): one square
 * per cell coloured from red (0) through yellow (0.5) to green (1), grey
 * where a cell has no valid start; the task's walls in near-black, its goal
 * as a white ring, the expert box outlined in blue. */
#include <math.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "coverage.h"

#define MARGIN 12

typedef struct {
    int w, h;
    uint8_t *px; /* RGB */
} image;

static void put(image *im, int x, int y, const uint8_t c[3]) {
    if (x < 0 || y < 0 || x >= im->w || y >= im->h) return;
    memcpy(im->px + ((size_t)y * im->w + x) * 3, c, 3);
}

static void fill(image *im, int x0, int y0, int x1, int y1, const uint8_t c[3]) {
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) put(im, x, y, c);
}

static void frame(image *im, int x0, int y0, int x1, int y1, int t, const uint8_t c[3]) {
    fill(im, x0, y0, x1, y0 + t, c);
    fill(im, x0, y1 - t, x1, y1, c);
    fill(im, x0, y0, x0 + t, y1, c);
    fill(im, x1 - t, y0, x1, y1, c);
}

static void ramp(double p, uint8_t c[3]) {
    static const double lo[3] = {215, 48, 39}, mid[3] = {254, 224, 139}, hi[3] = {26, 152, 80};
    for (int k = 0; k < 3; ++k) {
        const double v = p < 0.5 ? lo[k] + (mid[k] - lo[k]) * (p / 0.5)
                                 : mid[k] + (hi[k] - mid[k]) * ((p - 0.5) / 0.5);
        c[k] = (uint8_t)lround(v);
    }
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

static rise_status write_png(const image *im, const char *path) {
    FILE *f = fopen(path, "wb");
    if (!f) return rise_error(RISE_ERR_IO, "%s: cannot open for writing", path);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        return rise_error(RISE_ERR_LIBRARY, "%s: libpng could not start", path);
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        return rise_error(RISE_ERR_LIBRARY, "%s: libpng failed while writing", path);
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)im->w, (png_uint_32)im->h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < im->h; ++y) png_write_row(png, im->px + (size_t)y * im->w * 3);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (fclose(f) != 0) return rise_error(RISE_ERR_IO, "%s: write failed", path);
    return RISE_OK;
}

rise_status rise_coverage_write_png(const rise_coverage_result *r, const rise_env *env,
                                    const char *path) {
    const int G = r->grid;
    int cell = 480 / G;
    if (cell < 4) cell = 4;
    mapping m = {{r->lo[0], r->lo[1]}, {r->hi[0], r->hi[1]}, cell * G};
    image im = {m.side + 2 * MARGIN, m.side + 2 * MARGIN, NULL};
    im.px = malloc((size_t)im.w * im.h * 3);
    if (!im.px) return rise_error(RISE_ERR_NOMEM, "out of memory");
    static const uint8_t white[3] = {255, 255, 255}, grey[3] = {170, 170, 170};
    static const uint8_t line[3] = {235, 235, 235}, wall[3] = {30, 30, 30};
    static const uint8_t blue[3] = {20, 70, 230};
    fill(&im, 0, 0, im.w, im.h, white);
    for (int j = 0; j < G; ++j)
        for (int i = 0; i < G; ++i) {
            const int c = j * G + i;
            uint8_t col[3];
            if (r->n_trials[c])
                ramp(r->rate[c], col);
            else
                memcpy(col, grey, 3);
            const int x0 = MARGIN + i * cell, y0 = MARGIN + (G - 1 - j) * cell;
            fill(&im, x0, y0, x0 + cell, y0 + cell, col);
            frame(&im, x0, y0, x0 + cell, y0 + cell, 1, line);
        }
    if (env && env->ops->shapes) {
        rise_env_shape shapes[64];
        const int n = env->ops->shapes(env, shapes, 64);
        for (int k = 0; k < n; ++k) {
            const rise_env_shape *s = &shapes[k];
            const int x0 = px_x(&m, s->x0), x1 = px_x(&m, s->x1);
            const int y0 = px_y(&m, s->y1), y1 = px_y(&m, s->y0);
            if (s->kind == RISE_ENV_SHAPE_WALL) {
                fill(&im, x0, y0, x1 > x0 ? x1 : x0 + 1, y1 > y0 ? y1 : y0 + 1, wall);
                continue;
            }
            /* goal: a 2-pixel ring on the inscribed ellipse */
            const double cx = 0.5 * (x0 + x1), cy = 0.5 * (y0 + y1);
            const double rx = 0.5 * (x1 - x0), ry = 0.5 * (y1 - y0);
            for (int y = y0 - 2; y <= y1 + 2; ++y)
                for (int x = x0 - 2; x <= x1 + 2; ++x) {
                    const double u = (x - cx) / (rx > 1 ? rx : 1), v = (y - cy) / (ry > 1 ? ry : 1);
                    const double d = sqrt(u * u + v * v) * (rx > ry ? rx : ry);
                    if (fabs(d - (rx > ry ? rx : ry)) <= 1.2) put(&im, x, y, white);
                }
        }
    }
    frame(&im, px_x(&m, r->expert_lo[0]) - 1, px_y(&m, r->expert_hi[1]) - 1,
          px_x(&m, r->expert_hi[0]) + 2, px_y(&m, r->expert_lo[1]) + 2, 3, blue);
    frame(&im, MARGIN - 2, MARGIN - 2, MARGIN + m.side + 2, MARGIN + m.side + 2, 2, wall);
    rise_status st = write_png(&im, path);
    free(im.px);
    return st;
}
