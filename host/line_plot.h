/* line_plot.h - a small line plot rasteriser: series of (x, y) points with optional
 * interval bars, axes with "nice" ticks (1, 2, 5 x 10^k; decades on a log axis), tick
 * labels, axis labels, a title and a legend, drawn with host/image.h and written as PNG.
 * Used by `rise sweep report` to plot a metric against a swept value.
 *
 *   const double x[] = {1e-4, 3e-4, 1e-3}, y[] = {0.5, 0.7, 0.6}, lo[] = ..., hi[] = ...;
 *   rise_plot_series s = {"rise", 3, x, y, lo, hi};
 *   rise_plot p = {.title = "coverage", .x_label = "critic.lr", .y_label = "coverage",
 *                  .log_x = 1, .n_series = 1, .series = &s};
 *   rise_plot_defaults(&p);          // 900 x 540 pixels
 *   RISE_TRY(rise_plot_write_png(&p, "coverage_vs_lr.png"));
 *
 * A categorical x axis (n_categories > 0) places category i at x = i with its name as the
 * tick label and draws markers without connecting lines; several series are then spread
 * a little sideways so their bars stay apart. */
#ifndef RISE_LINE_PLOT_H
#define RISE_LINE_PLOT_H

#include "error.h"
#include "image.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *label; /* legend entry */
    int n;
    const double *x, *y;   /* a NaN y is not drawn */
    const double *lo, *hi; /* bar from lo to hi; NULL or NaN entries: no bar */
} rise_plot_series;

typedef struct {
    const char *title, *x_label, *y_label;
    int log_x;        /* numeric x on a log10 axis (every x must be > 0) */
    int n_categories; /* > 0: categorical x, x values are 0 .. n_categories-1 */
    const char *const *categories;
    double y_min, y_max; /* y_min < y_max: a fixed range; else from the data */
    int width, height;   /* pixels */
    int n_series;
    const rise_plot_series *series;
} rise_plot;

/* Where the data lands in the image (for tests and callers that annotate). */
typedef struct {
    int x0, y0, x1, y1; /* the plot area [x0, x1] x [y0, y1] in pixels */
    double xmin, xmax, ymin, ymax;
    int log_x;
} rise_plot_frame;

/* 900 x 540 pixels where width and height are left at zero. */
void rise_plot_defaults(rise_plot *p);
/* The colour of series i (a fixed palette of 8, repeating). */
rise_rgb rise_plot_color(int i);
/* Data coordinates to pixels. */
void rise_plot_map(const rise_plot_frame *f, double x, double y, double *px, double *py);

/* Draws p into a new image (the caller frees it); frame may be NULL. */
rise_status rise_plot_render(const rise_plot *p, rise_image *im, rise_plot_frame *frame);
rise_status rise_plot_write_png(const rise_plot *p, const char *path);

#ifdef __cplusplus
}
#endif
#endif
