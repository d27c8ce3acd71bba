/* test_line_plot.c - host/image.h and host/line_plot.h: glyphs land where the font says,
 * markers land where the axes map their data, bars are clipped to the plot area, and the
 * PNG decodes (libpng) to exactly the rendered pixels. */
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "host/line_plot.h"
#include "test_util.h"

static int pixel_is(const rise_image *im, int x, int y, rise_rgb c) {
    if (x < 0 || y < 0 || x >= im->w || y >= im->h) return 0;
    const uint8_t *p = im->px + ((size_t)y * im->w + x) * 3;
    return p[0] == c.r && p[1] == c.g && p[2] == c.b;
}

static void test_text(void) {
    rise_image im;
    TEST_CHECK(rise_image_create(&im, 20, 12, RISE_RGB_WHITE) == RISE_OK, "image");
    rise_image_text(&im, 1, 1, "L|", 1, RISE_RGB_BLACK);
    /* 'L': the left column all the way down rows 0-6, the bottom row across */
    int ok = 1;
    for (int r = 0; r < 7; ++r) ok &= pixel_is(&im, 1, 1 + r, RISE_RGB_BLACK);
    for (int c = 0; c < 5; ++c) ok &= pixel_is(&im, 1 + c, 7, RISE_RGB_BLACK);
    ok &= pixel_is(&im, 3, 3, RISE_RGB_WHITE);
    /* '|' starts one letter (5 + 1 columns) later, in its middle column */
    ok &=
        pixel_is(&im, 1 + 6 + 2, 1, RISE_RGB_BLACK) && pixel_is(&im, 1 + 6 + 1, 1, RISE_RGB_WHITE);
    TEST_CHECK(ok, "glyph pixels of \"L|\"");
    TEST_CHECK(rise_image_text_width("L|", 2) == 22, "text width: 2 letters at scale 2 = %d",
               rise_image_text_width("L|", 2));
    rise_image_free(&im);
}

static int decode_png(const char *path, rise_image *out) {
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path)) return 0;
    img.format = PNG_FORMAT_RGB;
    out->w = (int)img.width;
    out->h = (int)img.height;
    out->px = malloc(PNG_IMAGE_SIZE(img));
    if (!out->px || !png_image_finish_read(&img, NULL, out->px, 0, NULL)) {
        png_image_free(&img);
        free(out->px);
        out->px = NULL;
        return 0;
    }
    return 1;
}

static void test_plot(void) {
    const double x[3] = {1e-4, 3e-4, 1e-3}, y[3] = {0.5, 0.7, 0.6};
    const double lo[3] = {0.4, 0.65, 0.5}, hi[3] = {0.6, 0.75, 2.0}; /* the last bar overflows */
    const double x2[2] = {1e-4, 1e-3}, y2[2] = {0.2, 0.3};
    const rise_plot_series s[2] = {{"rise", 3, x, y, lo, hi}, {"idql", 2, x2, y2, NULL, NULL}};
    rise_plot p;
    memset(&p, 0, sizeof p);
    p.title = "coverage vs lr";
    p.x_label = "critic.lr";
    p.y_label = "coverage";
    p.log_x = 1;
    p.y_min = 0.0;
    p.y_max = 1.0;
    p.n_series = 2;
    p.series = s;
    rise_plot_defaults(&p);
    rise_image im;
    rise_plot_frame f;
    TEST_CHECK(rise_plot_render(&p, &im, &f) == RISE_OK, "render: %s", rise_last_error());
    TEST_CHECK(im.w == 900 && im.h == 540, "default size %dx%d", im.w, im.h);
    TEST_CHECK(f.x0 > 40 && f.x1 < im.w - 60 && f.y0 > 20 && f.y1 < im.h - 40,
               "room for labels and legend: plot area [%d, %d] x [%d, %d]", f.x0, f.x1, f.y0, f.y1);
    /* each marker's centre has its series' colour, where the axes put it */
    for (int i = 0; i < 3; ++i) {
        double px, py;
        rise_plot_map(&f, x[i], y[i], &px, &py);
        TEST_CHECK(pixel_is(&im, (int)px, (int)py, rise_plot_color(0)),
                   "series 0 point %d at (%.0f, %.0f)", i, px, py);
    }
    double px, py, qx, qy;
    rise_plot_map(&f, x2[1], y2[1], &px, &py);
    TEST_CHECK(pixel_is(&im, (int)px, (int)py, rise_plot_color(1)), "series 1 last point");
    /* log axis: 3e-4 sits log10(3) of a decade right of 1e-4 */
    rise_plot_map(&f, 1e-4, 0, &px, &py);
    rise_plot_map(&f, 1e-3, 0, &qx, &qy);
    double mx, my;
    rise_plot_map(&f, 3e-4, 0, &mx, &my);
    TEST_CHECK(fabs((mx - px) / (qx - px) - log10(3.0)) < 1e-9, "log x mapping");
    rise_plot_map(&f, 1e-4, 1.0, &px, &py);
    TEST_CHECK(fabs(py - f.y0) < 1e-9, "y_max maps to the top of the plot area");
    /* the overflowing bar stops at the frame: no series colour above the plot area */
    int above = 0;
    for (int yy = 0; yy < f.y0 - 2; ++yy)
        for (int xx = f.x0; xx <= f.x1; ++xx) above += pixel_is(&im, xx, yy, rise_plot_color(0));
    TEST_CHECK(above == 0, "%d series pixels above the plot area", above);

    const char *path = "/tmp/rise_test_line_plot.png";
    TEST_CHECK(rise_image_write_png(&im, path) == RISE_OK, "write: %s", rise_last_error());
    rise_image back = {0, 0, NULL};
    TEST_CHECK(decode_png(path, &back), "libpng decodes %s", path);
    TEST_CHECK(back.px && back.w == im.w && back.h == im.h &&
                   !memcmp(back.px, im.px, (size_t)im.w * im.h * 3),
               "decoded pixels equal the rendered ones");
    free(back.px);
    remove(path);
    rise_image_free(&im);

    /* bad input: x <= 0 on a log axis names the series and the value */
    const double bad_x[1] = {0.0};
    const rise_plot_series b = {"zero", 1, bad_x, y, NULL, NULL};
    p.series = &b;
    p.n_series = 1;
    TEST_CHECK(rise_plot_render(&p, &im, NULL) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "zero") && strstr(rise_last_error(), "log"),
               "log axis error: %s", rise_last_error());
}

static void test_categories(void) {
    const char *names[3] = {"bc_expert", "idql", "rise"};
    const double x[3] = {0, 1, 2}, y[3] = {0.17, 0.79, 0.57}, lo[3] = {0.1, 0.7, 0.2},
                 hi[3] = {0.2, 0.9, 0.9};
    const rise_plot_series s = {"", 3, x, y, lo, hi};
    rise_plot p;
    memset(&p, 0, sizeof p);
    p.n_categories = 3;
    p.categories = names;
    p.n_series = 1;
    p.series = &s;
    rise_image im;
    rise_plot_frame f;
    TEST_CHECK(rise_plot_render(&p, &im, &f) == RISE_OK, "categorical render");
    for (int i = 0; i < 3; ++i) {
        double px, py;
        rise_plot_map(&f, x[i], y[i], &px, &py);
        TEST_CHECK(pixel_is(&im, (int)px, (int)py, rise_plot_color(0)), "category %d marker", i);
    }
    /* markers only: halfway between two categories there is no line */
    double ax, ay, bx, by;
    rise_plot_map(&f, 0, y[0], &ax, &ay);
    rise_plot_map(&f, 1, y[1], &bx, &by);
    TEST_CHECK(!pixel_is(&im, (int)((ax + bx) / 2), (int)((ay + by) / 2), rise_plot_color(0)),
               "no connecting line between categories");
    rise_image_free(&im);
}

int main(void) {
    test_text();
    test_plot();
    test_categories();
    return test_finish();
}
