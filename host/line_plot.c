/* line_plot.c - the line plot rasteriser (see line_plot.h): layout from the text sizes,
 * ticks, grid, interval bars, lines, markers, legend. All text is the 5 x 7 font at
 * scale 2 (10 x 14 pixels a capital). */
#include "line_plot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define TEXT_SCALE 2
#define MAX_TICKS  32
#define TICK_CHARS 32

static const rise_rgb ink = {30, 30, 30}, grid_rgb = {228, 228, 228};

void rise_plot_defaults(rise_plot *p) {
    if (p->width <= 0) p->width = 900;
    if (p->height <= 0) p->height = 540;
}

rise_rgb rise_plot_color(int i) {
    static const rise_rgb palette[8] = {{31, 119, 180},  {255, 127, 14},  {44, 160, 44},
                                        {214, 39, 40},   {148, 103, 189}, {140, 86, 75},
                                        {227, 119, 194}, {110, 110, 110}};
    return palette[(i % 8 + 8) % 8];
}

static double axis_x(const rise_plot_frame *f, double x) { return f->log_x ? log10(x) : x; }

void rise_plot_map(const rise_plot_frame *f, double x, double y, double *px, double *py) {
    const double a = axis_x(f, f->xmin), b = axis_x(f, f->xmax);
    *px = f->x0 + (axis_x(f, x) - a) / (b - a) * (f->x1 - f->x0);
    *py = f->y1 - (y - f->ymin) / (f->ymax - f->ymin) * (f->y1 - f->y0);
}

typedef struct {
    int n;
    double v[MAX_TICKS];
    char label[MAX_TICKS][TICK_CHARS];
} ticks;

static double nice_step(double range, int target) {
    const double raw = range / target, mag = pow(10.0, floor(log10(raw))), m = raw / mag;
    return (m < 1.5 ? 1.0 : m < 3.0 ? 2.0 : m < 7.0 ? 5.0 : 10.0) * mag;
}

static void format_tick(double v, double step, double biggest, char *out) {
    if (fabs(v) < 1e-9 * step) v = 0.0; /* no "-0.00" */
    if (biggest >= 1e6 || step < 1e-5) {
        snprintf(out, TICK_CHARS, "%.3g", v);
        return;
    }
    const int decimals = step >= 1.0 ? 0 : (int)ceil(-log10(step) - 1e-9);
    snprintf(out, TICK_CHARS, "%.*f", decimals, v);
}

/* Ticks at multiples of a nice step inside [lo, hi]. */
static void linear_ticks(double lo, double hi, ticks *t) {
    const double step = nice_step(hi - lo, 5);
    t->n = 0;
    const double biggest = fmax(fabs(lo), fabs(hi));
    for (double k = ceil(lo / step - 1e-9); k * step <= hi + 1e-9 * step && t->n < MAX_TICKS;
         k += 1.0) {
        t->v[t->n] = k * step;
        format_tick(k * step, step, biggest, t->label[t->n]);
        ++t->n;
    }
}

/* Decades inside [lo, hi], with 2 and 5 between them when fewer than two decades fit. */
static void log_ticks(double lo, double hi, ticks *t) {
    t->n = 0;
    int decades = 0;
    for (int e = (int)floor(log10(lo)); e <= (int)ceil(log10(hi)); ++e)
        if (pow(10.0, e) >= lo * (1 - 1e-9) && pow(10.0, e) <= hi * (1 + 1e-9)) ++decades;
    static const double all[3] = {1, 2, 5};
    for (int e = (int)floor(log10(lo)); e <= (int)ceil(log10(hi)) && t->n < MAX_TICKS; ++e)
        for (int m = 0; m < (decades >= 2 ? 1 : 3) && t->n < MAX_TICKS; ++m) {
            const double v = all[m] * pow(10.0, e);
            if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9)) continue;
            t->v[t->n] = v;
            snprintf(t->label[t->n], TICK_CHARS, "%g", v);
            ++t->n;
        }
}

/* Ticks at the data's own x values when there are few of them (a sweep's grid). */
static int data_ticks(const rise_plot *p, ticks *t) {
    t->n = 0;
    for (int s = 0; s < p->n_series; ++s)
        for (int i = 0; i < p->series[s].n; ++i) {
            const double x = p->series[s].x[i];
            int seen = 0;
            for (int k = 0; k < t->n && !seen; ++k) seen = t->v[k] == x;
            if (seen) continue;
            if (t->n == 10) return 0;
            t->v[t->n++] = x;
        }
    for (int a = 1; a < t->n; ++a) /* insertion sort: a handful of values */
        for (int b = a; b > 0 && t->v[b - 1] > t->v[b]; --b) {
            const double tmp = t->v[b];
            t->v[b] = t->v[b - 1];
            t->v[b - 1] = tmp;
        }
    for (int k = 0; k < t->n; ++k) snprintf(t->label[k], TICK_CHARS, "%g", t->v[k]);
    return t->n > 0;
}

/* Tick labels centred under their ticks overlap? */
static int labels_overlap(const rise_plot_frame *f, const ticks *t, const char *const *names) {
    double last_right = -1e30;
    for (int k = 0; k < t->n; ++k) {
        double px, py;
        rise_plot_map(f, t->v[k], f->ymin, &px, &py);
        const int w = rise_image_text_width(names ? names[k] : t->label[k], TEXT_SCALE);
        if (px - 0.5 * w < last_right + 8) return 1;
        last_right = px + 0.5 * w;
    }
    return 0;
}

static int finite_range(const rise_plot *p, int use_y, double *lo, double *hi) {
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int s = 0; s < p->n_series; ++s) {
        const rise_plot_series *r = &p->series[s];
        for (int i = 0; i < r->n; ++i) {
            if (!use_y) {
                if (isfinite(r->x[i]) && isfinite(r->y[i])) {
                    *lo = fmin(*lo, r->x[i]);
                    *hi = fmax(*hi, r->x[i]);
                }
                continue;
            }
            const double v[3] = {r->y[i], r->lo ? r->lo[i] : NAN, r->hi ? r->hi[i] : NAN};
            for (int k = 0; k < 3; ++k)
                if (isfinite(v[k])) {
                    *lo = fmin(*lo, v[k]);
                    *hi = fmax(*hi, v[k]);
                }
        }
    }
    return *lo <= *hi;
}

static rise_status check_plot(const rise_plot *p) {
    if (p->n_series < 1 || !p->series)
        return rise_error(RISE_ERR_INVALID, "plot '%s': no series to draw",
                          p->title ? p->title : "");
    for (int s = 0; s < p->n_series; ++s)
        for (int i = 0; i < p->series[s].n; ++i) {
            const double x = p->series[s].x[i];
            if (p->log_x && !(x > 0.0))
                return rise_error(RISE_ERR_INVALID,
                                  "plot '%s': series '%s' has x = %g on a log axis (expected > 0)",
                                  p->title ? p->title : "", p->series[s].label, x);
            if (p->n_categories > 0 && (x < 0 || x > p->n_categories - 1 || x != floor(x)))
                return rise_error(RISE_ERR_INVALID,
                                  "plot '%s': x = %g is not a category index 0..%d",
                                  p->title ? p->title : "", x, p->n_categories - 1);
        }
    return RISE_OK;
}

/* The part of a segment inside the plot area (Liang-Barsky), drawn. */
static void clipped_line(rise_image *im, const rise_plot_frame *f, double ax, double ay, double bx,
                         double by, int width, rise_rgb c) {
    double t0 = 0.0, t1 = 1.0;
    const double dx = bx - ax, dy = by - ay;
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {ax - f->x0, f->x1 - ax, ay - f->y0, f->y1 - ay};
    for (int k = 0; k < 4; ++k) {
        if (p[k] == 0.0) {
            if (q[k] < 0.0) return;
            continue;
        }
        const double t = q[k] / p[k];
        if (p[k] < 0.0)
            t0 = fmax(t0, t);
        else
            t1 = fmin(t1, t);
    }
    if (t0 > t1) return;
    rise_image_line(im, ax + t0 * dx, ay + t0 * dy, ax + t1 * dx, ay + t1 * dy, width, c);
}

static void draw_legend(const rise_plot *p, rise_image *im, int x, int y) {
    const int th = rise_image_text_height(TEXT_SCALE);
    for (int s = 0; s < p->n_series; ++s) {
        const rise_rgb c = rise_plot_color(s);
        const int cy = y + s * (th + 10) + th / 2;
        rise_image_line(im, x, cy, x + 24, cy, 3, c);
        rise_image_disc(im, x + 12, cy, 4, c);
        rise_image_text(im, x + 32, cy - th / 2, p->series[s].label ? p->series[s].label : "",
                        TEXT_SCALE, ink);
    }
}

rise_status rise_plot_render(const rise_plot *pin, rise_image *im, rise_plot_frame *out) {
    rise_plot p = *pin;
    rise_plot_defaults(&p);
    RISE_TRY(check_plot(&p));
    const int th = rise_image_text_height(TEXT_SCALE);
    rise_plot_frame f;
    memset(&f, 0, sizeof f);
    f.log_x = p.log_x && p.n_categories == 0;

    /* y range: fixed, or the data padded by 5% and widened to whole ticks */
    ticks yt;
    if (p.y_min < p.y_max) {
        f.ymin = p.y_min;
        f.ymax = p.y_max;
    } else {
        double lo, hi;
        if (!finite_range(&p, 1, &lo, &hi)) lo = 0.0, hi = 1.0;
        if (hi - lo < 1e-12 * fmax(1.0, fabs(hi))) {
            const double pad = fmax(0.5, 0.1 * fabs(hi));
            lo -= pad;
            hi += pad;
        }
        const double pad = 0.05 * (hi - lo), step = nice_step(hi - lo + 2 * pad, 5);
        f.ymin = floor((lo - pad) / step) * step;
        f.ymax = ceil((hi + pad) / step) * step;
    }
    linear_ticks(f.ymin, f.ymax, &yt);

    /* x range */
    if (p.n_categories > 0) {
        f.xmin = -0.5;
        f.xmax = p.n_categories - 0.5;
    } else {
        double lo, hi;
        if (!finite_range(&p, 0, &lo, &hi)) lo = f.log_x ? 1.0 : 0.0, hi = f.log_x ? 10.0 : 1.0;
        if (f.log_x) {
            const double a = log10(lo), b = log10(hi), pad = b > a ? 0.06 * (b - a) : 0.5;
            f.xmin = pow(10.0, a - pad);
            f.xmax = pow(10.0, b + pad);
        } else {
            const double pad = hi > lo ? 0.06 * (hi - lo) : fmax(0.5, 0.1 * fabs(hi));
            f.xmin = lo - pad;
            f.xmax = hi + pad;
        }
    }

    /* layout: margins from the text they hold */
    int y_tick_w = 0;
    for (int k = 0; k < yt.n; ++k) {
        const int w = rise_image_text_width(yt.label[k], TEXT_SCALE);
        if (w > y_tick_w) y_tick_w = w;
    }
    int legend_w = 0;
    for (int s = 0; s < p.n_series; ++s) {
        const int w = rise_image_text_width(p.series[s].label ? p.series[s].label : "", TEXT_SCALE);
        if (w > legend_w) legend_w = w;
    }
    const int with_legend = p.n_series > 1 || legend_w > 0;
    f.x0 = 16 + (p.y_label ? th + 14 : 0) + y_tick_w + 12;
    f.x1 = p.width - (with_legend ? legend_w + 32 + 40 : 30);
    f.y0 = p.title ? 22 + th + 18 : 24;
    if (f.x1 - f.x0 < 80) f.x1 = f.x0 + 80; /* very long legends: let the legend clip */

    /* x ticks: categories, the data's own values, or nice ones */
    ticks xt;
    const char *const *names = NULL;
    if (p.n_categories > 0) {
        xt.n = p.n_categories < MAX_TICKS ? p.n_categories : MAX_TICKS;
        for (int k = 0; k < xt.n; ++k) {
            xt.v[k] = k;
            xt.label[k][0] = '\0';
        }
        names = p.categories;
    }
    int rows = 1;
    /* the plot's bottom depends on whether x labels need two rows: try one first */
    for (int attempt = 0; attempt < 2; ++attempt) {
        f.y1 = p.height - (16 + (p.x_label ? th + 12 : 0) + rows * (th + 6) + 10);
        if (p.n_categories > 0) {
            if (labels_overlap(&f, &xt, names) && rows == 1) {
                rows = 2;
                continue;
            }
        } else if (!data_ticks(&p, &xt) || labels_overlap(&f, &xt, NULL)) {
            if (f.log_x)
                log_ticks(f.xmin, f.xmax, &xt);
            else
                linear_ticks(f.xmin, f.xmax, &xt);
        }
        break;
    }

    RISE_TRY(rise_image_create(im, p.width, p.height, RISE_RGB_WHITE));
    /* grid */
    for (int k = 0; k < yt.n; ++k) {
        double px, py;
        rise_plot_map(&f, f.xmin, yt.v[k], &px, &py);
        rise_image_line(im, f.x0, py, f.x1, py, 1, grid_rgb);
    }
    for (int k = 0; k < xt.n; ++k) {
        double px, py;
        rise_plot_map(&f, xt.v[k], f.ymin, &px, &py);
        rise_image_line(im, px, f.y0, px, f.y1, 1, grid_rgb);
    }
    /* series: bars, then lines, then markers on top, all clipped to the plot area */
    for (int s = 0; s < p.n_series; ++s) {
        const rise_plot_series *r = &p.series[s];
        const rise_rgb c = rise_plot_color(s);
        const double dodge = p.n_categories > 0 && p.n_series > 1
                                 ? (s - 0.5 * (p.n_series - 1)) * fmin(0.15, 0.6 / p.n_series)
                                 : 0.0;
        double prev_x = NAN, prev_y = NAN;
        for (int i = 0; i < r->n; ++i) {
            if (!isfinite(r->y[i])) {
                prev_x = NAN;
                continue;
            }
            double px, py;
            rise_plot_map(&f, r->x[i] + dodge, r->y[i], &px, &py);
            if (r->lo && r->hi && isfinite(r->lo[i]) && isfinite(r->hi[i])) {
                double qx, qlo, qhi;
                rise_plot_map(&f, r->x[i] + dodge, r->lo[i], &qx, &qlo);
                rise_plot_map(&f, r->x[i] + dodge, r->hi[i], &qx, &qhi);
                clipped_line(im, &f, px, qlo, px, qhi, 2, c);
                if (qlo <= f.y1) clipped_line(im, &f, px - 6, qlo, px + 6, qlo, 2, c);
                if (qhi >= f.y0) clipped_line(im, &f, px - 6, qhi, px + 6, qhi, 2, c);
            }
            if (p.n_categories == 0 && isfinite(prev_x))
                clipped_line(im, &f, prev_x, prev_y, px, py, 3, c);
            prev_x = px;
            prev_y = py;
        }
        for (int i = 0; i < r->n; ++i) {
            if (!isfinite(r->y[i])) continue;
            double px, py;
            rise_plot_map(&f, r->x[i] + dodge, r->y[i], &px, &py);
            if (px >= f.x0 && px <= f.x1 && py >= f.y0 && py <= f.y1)
                rise_image_disc(im, px, py, 5, c);
        }
    }
    /* axes, ticks and their labels */
    rise_image_frame(im, f.x0 - 1, f.y0 - 1, f.x1 + 2, f.y1 + 2, 2, ink);
    for (int k = 0; k < yt.n; ++k) {
        double px, py;
        rise_plot_map(&f, f.xmin, yt.v[k], &px, &py);
        rise_image_line(im, f.x0 - 7, py, f.x0 - 1, py, 2, ink);
        const int w = rise_image_text_width(yt.label[k], TEXT_SCALE);
        rise_image_text(im, f.x0 - 12 - w, (int)lround(py) - th / 2, yt.label[k], TEXT_SCALE, ink);
    }
    for (int k = 0; k < xt.n; ++k) {
        double px, py;
        rise_plot_map(&f, xt.v[k], f.ymin, &px, &py);
        rise_image_line(im, px, f.y1 + 1, px, f.y1 + 7, 2, ink);
        const char *label = names ? names[k] : xt.label[k];
        const int w = rise_image_text_width(label, TEXT_SCALE);
        const int row = rows == 2 ? k % 2 : 0;
        rise_image_text(im, (int)lround(px) - w / 2, f.y1 + 12 + row * (th + 6), label, TEXT_SCALE,
                        ink);
    }
    if (p.x_label) {
        const int w = rise_image_text_width(p.x_label, TEXT_SCALE);
        rise_image_text(im, (f.x0 + f.x1) / 2 - w / 2, p.height - 16 - th, p.x_label, TEXT_SCALE,
                        ink);
    }
    if (p.y_label) {
        const int w = rise_image_text_width(p.y_label, TEXT_SCALE);
        rise_image_text_up(im, 16, (f.y0 + f.y1) / 2 - w / 2, p.y_label, TEXT_SCALE, ink);
    }
    if (p.title) {
        const int w = rise_image_text_width(p.title, TEXT_SCALE);
        int x = (f.x0 + f.x1) / 2 - w / 2;
        if (x < 8) x = 8;
        rise_image_text(im, x, 20, p.title, TEXT_SCALE, ink);
    }
    if (with_legend) draw_legend(&p, im, f.x1 + 24, f.y0 + 4);
    if (out) *out = f;
    return RISE_OK;
}

rise_status rise_plot_write_png(const rise_plot *p, const char *path) {
    rise_image im;
    RISE_TRY(rise_plot_render(p, &im, NULL));
    const rise_status st = rise_image_write_png(&im, path);
    rise_image_free(&im);
    return st;
}
