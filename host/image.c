/* image.c - the RGB raster and its PNG writer (see image.h). */
#include "image.h"

#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

rise_status rise_image_create(rise_image *im, int w, int h, rise_rgb background) {
    im->w = im->h = 0;
    im->px = NULL;
    if (w < 1 || h < 1 || w > 16384 || h > 16384)
        return rise_error(RISE_ERR_INVALID, "image size %d x %d: expected 1..16384 per side", w, h);
    im->px = malloc((size_t)w * (size_t)h * 3);
    if (!im->px) return rise_error(RISE_ERR_NOMEM, "image of %d x %d: out of memory", w, h);
    im->w = w;
    im->h = h;
    rise_image_fill(im, 0, 0, w, h, background);
    return RISE_OK;
}

void rise_image_free(rise_image *im) {
    free(im->px);
    im->px = NULL;
    im->w = im->h = 0;
}

void rise_image_put(rise_image *im, int x, int y, rise_rgb c) {
    if (x < 0 || y < 0 || x >= im->w || y >= im->h) return;
    uint8_t *p = im->px + ((size_t)y * (size_t)im->w + (size_t)x) * 3;
    p[0] = c.r;
    p[1] = c.g;
    p[2] = c.b;
}

void rise_image_fill(rise_image *im, int x0, int y0, int x1, int y1, rise_rgb c) {
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > im->w) x1 = im->w;
    if (y1 > im->h) y1 = im->h;
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) rise_image_put(im, x, y, c);
}

void rise_image_frame(rise_image *im, int x0, int y0, int x1, int y1, int t, rise_rgb c) {
    rise_image_fill(im, x0, y0, x1, y0 + t, c);
    rise_image_fill(im, x0, y1 - t, x1, y1, c);
    rise_image_fill(im, x0, y0, x0 + t, y1, c);
    rise_image_fill(im, x1 - t, y0, x1, y1, c);
}

/* A square brush of `width` pixels stepped along the segment every half pixel: simple,
 * and at the 1-3 pixel widths of a plot indistinguishable from an exact thick line. */
void rise_image_line(rise_image *im, double x0, double y0, double x1, double y1, int width,
                     rise_rgb c) {
    if (width < 1) width = 1;
    const double len = hypot(x1 - x0, y1 - y0);
    const int steps = (int)ceil(2.0 * len) + 1;
    const int lo = -(width - 1) / 2, hi = width / 2;
    for (int i = 0; i <= steps; ++i) {
        const double t = (double)i / steps;
        const int x = (int)lround(x0 + t * (x1 - x0)), y = (int)lround(y0 + t * (y1 - y0));
        rise_image_fill(im, x + lo, y + lo, x + hi + 1, y + hi + 1, c);
    }
}

void rise_image_disc(rise_image *im, double cx, double cy, double radius, rise_rgb c) {
    const int r = (int)ceil(radius);
    for (int dy = -r; dy <= r; ++dy)
        for (int dx = -r; dx <= r; ++dx)
            if (dx * dx + dy * dy <= radius * radius + 0.25)
                rise_image_put(im, (int)lround(cx) + dx, (int)lround(cy) + dy, c);
}

static const unsigned char *glyph(char ch) {
    const unsigned char u = (unsigned char)ch;
    return rise_font5x7[(u >= 32 && u <= 126 ? u : '?') - 32];
}

int rise_image_text_width(const char *s, int scale) {
    const int n = (int)strlen(s);
    return n ? (n * (RISE_FONT_W + 1) - 1) * scale : 0;
}

int rise_image_text_height(int scale) { return RISE_FONT_H * scale; }

void rise_image_text(rise_image *im, int x, int y, const char *s, int scale, rise_rgb c) {
    for (; *s; ++s, x += (RISE_FONT_W + 1) * scale) {
        const unsigned char *g = glyph(*s);
        for (int r = 0; r < RISE_FONT_H; ++r)
            for (int col = 0; col < RISE_FONT_W; ++col)
                if (g[r] & (0x10 >> col))
                    rise_image_fill(im, x + col * scale, y + r * scale, x + (col + 1) * scale,
                                    y + (r + 1) * scale, c);
    }
}

void rise_image_text_up(rise_image *im, int x, int y, const char *s, int scale, rise_rgb c) {
    /* The glyph's column runs up the image, its rows to the right. */
    int base = y + rise_image_text_width(s, scale);
    for (; *s; ++s, base -= (RISE_FONT_W + 1) * scale) {
        const unsigned char *g = glyph(*s);
        for (int r = 0; r < RISE_FONT_H; ++r)
            for (int col = 0; col < RISE_FONT_W; ++col)
                if (g[r] & (0x10 >> col))
                    rise_image_fill(im, x + r * scale, base - (col + 1) * scale,
                                    x + (r + 1) * scale, base - col * scale, c);
    }
}

rise_status rise_image_write_png(const rise_image *im, const char *path) {
    FILE *f = fopen(path, "wb");
    if (!f)
        return rise_error(RISE_ERR_IO, "%s: cannot open for writing: %s", path, strerror(errno));
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
    for (int y = 0; y < im->h; ++y) png_write_row(png, im->px + (size_t)y * (size_t)im->w * 3);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (fclose(f) != 0) return rise_error(RISE_ERR_IO, "%s: write failed", path);
    return RISE_OK;
}
