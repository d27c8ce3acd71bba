/* image.h - an RGB raster for rise's figures (coverage maps, sweep plots): rectangles,
 * thick lines, discs, 5 x 7 bitmap text (with descenders) at integer scales, and a PNG writer
 * (libpng).
 *
 *   rise_image im;
 *   RISE_TRY(rise_image_create(&im, 640, 400, RISE_RGB_WHITE));
 *   rise_image_line(&im, 10, 10, 200, 100, 2, RISE_RGB_BLACK);
 *   rise_image_text(&im, 20, 20, "coverage", 2, RISE_RGB_BLACK);
 *   rise_status st = rise_image_write_png(&im, "plot.png");
 *   rise_image_free(&im);
 *
 * Coordinates are pixels, x to the right and y down from the top-left corner; drawing
 * outside the image is clipped. */
#ifndef RISE_IMAGE_H
#define RISE_IMAGE_H

#include <stdint.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int w, h;
    uint8_t *px; /* RGB, row-major */
} rise_image;

typedef struct {
    uint8_t r, g, b;
} rise_rgb;

#define RISE_RGB_WHITE ((rise_rgb){255, 255, 255})
#define RISE_RGB_BLACK ((rise_rgb){0, 0, 0})

/* The glyphs of font5x7.c: printable ASCII 32..126, a byte per row, bit 4 = leftmost column. */
#define RISE_FONT_W 5
#define RISE_FONT_H 9 /* 7 rows above the baseline, 2 below */
extern const unsigned char rise_font5x7[95][RISE_FONT_H];

rise_status rise_image_create(rise_image *im, int w, int h, rise_rgb background);
void rise_image_free(rise_image *im);

void rise_image_put(rise_image *im, int x, int y, rise_rgb c);
/* The rectangle [x0, x1) x [y0, y1). */
void rise_image_fill(rise_image *im, int x0, int y0, int x1, int y1, rise_rgb c);
/* The outline of [x0, x1) x [y0, y1), t pixels thick, inside the rectangle. */
void rise_image_frame(rise_image *im, int x0, int y0, int x1, int y1, int t, rise_rgb c);
/* A segment of about `width` pixels. */
void rise_image_line(rise_image *im, double x0, double y0, double x1, double y1, int width,
                     rise_rgb c);
void rise_image_disc(rise_image *im, double cx, double cy, double radius, rise_rgb c);

/* Text with its top-left corner at (x, y), each font pixel a scale x scale square; one
 * pixel column between letters. Characters outside 32..126 draw as '?'. */
void rise_image_text(rise_image *im, int x, int y, const char *s, int scale, rise_rgb c);
/* The same, turned a quarter counter-clockwise (reads bottom to top), with the text's
 * top-left corner, as it reads, at (x, y + width): its box is [x, x + height) x [y, y + width). */
void rise_image_text_up(rise_image *im, int x, int y, const char *s, int scale, rise_rgb c);
int rise_image_text_width(const char *s, int scale);
int rise_image_text_height(int scale);

rise_status rise_image_write_png(const rise_image *im, const char *path);

#ifdef __cplusplus
}
#endif
#endif
