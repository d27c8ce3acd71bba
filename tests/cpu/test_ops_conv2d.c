/* test_ops_conv2d.c - the image encoder's ops on the CPU: 2-D convolution (forward,
 * backward-data, backward-weight, bias), max pooling and spatial softmax keypoints.
 *
 * Hand-computed cases (a padded 3x3 box filter, a strided 2x2, a keypoint at a known
 * position); finite-difference gradients in double of L = sum R y for each op; the ref and
 * cpu tables' im2col + GEMM path against the direct-loop reference on awkward shapes (odd
 * sizes, non-square kernels, strided, pointwise, kernel as large as the padded image), with
 * accumulation run twice; edge rules (empty batch, NaN) and argument checks (aborts).
 * Run: ctest -R test_ops_conv2d. */
#include "kernels/conv2d.h"
#include "kernels/max_pool2d.h"
#include "kernels/spatial_softmax.h"
#include "test_util.h"
#include "expect_abort.h"

static rise_backend *be;

static float *ws_for(const rise_conv2d_shape *s) {
    const size_t bytes = be->conv2d_workspace_bytes(be, s);
    return bytes ? malloc(bytes) : NULL;
}

static void test_conv_hand(void) {
    /* 3x3 image 1..9, 3x3 box filter of ones, pad 1: each output sums its neighbourhood */
    const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    float w[9];
    for (int i = 0; i < 9; ++i) w[i] = 1.0f;
    const float bias[1] = {0.5f};
    rise_conv2d_shape s = conv2d_make_shape(1, 3, 3, 1, 1, 3, 3, 1, 1);
    float y[9], yb[9];
    conv2d_forward_ref(&s, y, x, w, bias);
    const float want[9] = {12.5f, 21.5f, 16.5f, 27.5f, 45.5f, 33.5f, 24.5f, 39.5f, 28.5f};
    test_close("conv2d hand box filter", y, want, 9, 0, 0);
    float *ws = ws_for(&s);
    be->conv2d_forward(be, &s, yb, x, w, bias, ws);
    test_close("conv2d hand box filter (backend)", yb, want, 9, 0, 0);
    free(ws);
    /* 2x2 kernel [1 2; 3 4], stride 2, no pad, over a 4x4 image 0..15 with 2 channels where
     * channel 1 has weight 0: y[u,v] = x[2u,2v] + 2 x[2u,2v+1] + 3 x[2u+1,2v] + 4 x[2u+1,2v+1] */
    float x2[32], w2[8] = {1, 0, 2, 0, 3, 0, 4, 0};
    for (int i = 0; i < 16; ++i) x2[2 * i] = (float)i, x2[2 * i + 1] = 100.0f;
    s = conv2d_make_shape(1, 4, 4, 2, 1, 2, 2, 2, 0);
    TEST_CHECK(s.h_out == 2 && s.w_out == 2, "strided out %dx%d, want 2x2", s.h_out, s.w_out);
    float y2[4];
    conv2d_forward_ref(&s, y2, x2, w2, NULL);
    const float want2[4] = {0 + 2 + 12 + 20, 2 + 6 + 18 + 28, 8 + 18 + 36 + 52, 10 + 22 + 42 + 60};
    test_close("conv2d hand strided", y2, want2, 4, 0, 0);
}

static double weighted(const float *r, const float *y, size_t n) {
    double l = 0;
    for (size_t j = 0; j < n; ++j) l += (double)r[j] * y[j];
    return l;
}

/* Finite differences of L = sum R y (linear in x and w: exact up to rounding). */
static void test_conv_fd(int b, int h, int w, int ci, int co, int kh, int kw, int st, int p) {
    const rise_conv2d_shape s = conv2d_make_shape(b, h, w, ci, co, kh, kw, st, p);
    const size_t nx = (size_t)b * h * w * ci, ny = (size_t)b * s.h_out * s.w_out * co;
    const size_t nw = (size_t)co * kh * kw * ci;
    float *x = malloc(4 * nx), *wt = malloc(4 * nw), *bias = malloc(4 * co), *r = malloc(4 * ny);
    float *y = malloc(4 * ny), *dx = malloc(4 * nx), *dw = calloc(nw, 4), *db = calloc(co, 4);
    float *fx = malloc(4 * nx), *fw = malloc(4 * nw), *fb = malloc(4 * co);
    test_fill_random(x, nx, 21, -1, 1);
    test_fill_random(wt, nw, 22, -1, 1);
    test_fill_random(bias, co, 23, -1, 1);
    test_fill_random(r, ny, 24, -1, 1);
    conv2d_backward_data_ref(&s, dx, r, wt, 0);
    conv2d_backward_weight_ref(&s, dw, db, r, x);
    const float eps = 0.25f;
    for (int pass = 0; pass < 3; ++pass) {
        float *v = pass == 0 ? x : pass == 1 ? wt : bias;
        float *f = pass == 0 ? fx : pass == 1 ? fw : fb;
        const size_t n = pass == 0 ? nx : pass == 1 ? nw : (size_t)co;
        for (size_t i = 0; i < n; ++i) {
            const float keep = v[i];
            double l[2];
            for (int sgn = 0; sgn < 2; ++sgn) {
                v[i] = keep + (sgn ? eps : -eps);
                conv2d_forward_ref(&s, y, x, wt, bias);
                l[sgn] = weighted(r, y, ny);
            }
            v[i] = keep;
            f[i] = (float)((l[1] - l[0]) / (2 * eps));
        }
    }
    char name[112];
    snprintf(name, sizeof name, "conv2d fd dx b%d %dx%dx%d co%d k%dx%d s%d p%d", b, h, w, ci, co,
             kh, kw, st, p);
    test_close(name, dx, fx, nx, 1e-4, 1e-4);
    snprintf(name, sizeof name, "conv2d fd dw k%dx%d s%d p%d", kh, kw, st, p);
    test_close(name, dw, fw, nw, 1e-4, 1e-4);
    snprintf(name, sizeof name, "conv2d fd dbias k%dx%d s%d p%d", kh, kw, st, p);
    test_close(name, db, fb, co, 1e-4, 1e-4);
    free(x), free(wt), free(bias), free(r), free(y), free(dx), free(dw), free(db);
    free(fx), free(fw), free(fb);
}

/* The table's lowering against the direct loops, accumulating twice. */
static void test_conv_backend(int b, int h, int w, int ci, int co, int kh, int kw, int st, int p) {
    const rise_conv2d_shape s = conv2d_make_shape(b, h, w, ci, co, kh, kw, st, p);
    const size_t nx = (size_t)b * h * w * ci, ny = (size_t)b * s.h_out * s.w_out * co;
    const size_t nw = (size_t)co * kh * kw * ci;
    float *x = malloc(4 * nx), *wt = malloc(4 * nw), *bias = malloc(4 * co), *dy = malloc(4 * ny);
    float *y = malloc(4 * ny), *yr = malloc(4 * ny), *dx = malloc(4 * nx), *dxr = malloc(4 * nx);
    float *dw = calloc(nw, 4), *dwr = calloc(nw, 4), *db = calloc(co, 4), *dbr = calloc(co, 4);
    test_fill_random(x, nx, 31, -2, 2);
    test_fill_random(wt, nw, 32, -1, 1);
    test_fill_random(bias, co, 33, -1, 1);
    test_fill_random(dy, ny, 34, -1, 1);
    float *ws = ws_for(&s);
    be->conv2d_forward(be, &s, y, x, wt, bias, ws);
    conv2d_forward_ref(&s, yr, x, wt, bias);
    char name[112];
    snprintf(name, sizeof name, "conv2d %s forward b%d %dx%dx%d co%d k%dx%d s%d p%d", be->name, b,
             h, w, ci, co, kh, kw, st, p);
    test_close(name, y, yr, ny, 2e-5, 2e-5);
    for (int rep = 0; rep < 2; ++rep) {
        be->conv2d_backward_data(be, &s, dx, dy, wt, rep, ws);
        conv2d_backward_data_ref(&s, dxr, dy, wt, rep);
        be->conv2d_backward_weight(be, &s, dw, db, dy, x, ws);
        conv2d_backward_weight_ref(&s, dwr, dbr, dy, x);
    }
    snprintf(name, sizeof name, "conv2d %s backward-data (accumulated) k%dx%d s%d p%d", be->name,
             kh, kw, st, p);
    test_close(name, dx, dxr, nx, 2e-5, 2e-5);
    snprintf(name, sizeof name, "conv2d %s backward-weight k%dx%d s%d p%d", be->name, kh, kw, st,
             p);
    test_close(name, dw, dwr, nw, 1e-4, 2e-5);
    test_close("conv2d backend dbias", db, dbr, co, 1e-4, 2e-5);
    /* the lowering itself: im2col then col2im of the same matrix equals backward-data of a
     * kernel of ones is not needed; the column values are held to the direct loops above */
    free(ws);
    free(x), free(wt), free(bias), free(dy), free(y), free(yr), free(dx), free(dxr);
    free(dw), free(dwr), free(db), free(dbr);
}

/* col2im by channel runs against the per-element gather conv2d_col2im_value: bit for bit
 * (same additions in the same order), overwriting and accumulating; ci > 256 crosses the
 * run buffer. */
static void test_col2im_exact(int b, int h, int w, int ci, int kh, int kw, int st, int p) {
    const rise_conv2d_shape s = conv2d_make_shape(b, h, w, ci, 1, kh, kw, st, p);
    const size_t nx = (size_t)b * h * w * ci;
    const size_t ncol = (size_t)b * s.h_out * s.w_out * (size_t)conv2d_col_width(&s);
    float *dcol = malloc(4 * ncol), *dx = malloc(4 * nx), *want = malloc(4 * nx);
    test_fill_random(dcol, ncol, 51, -1, 1);
    for (int acc = 0; acc < 2; ++acc) {
        test_fill_random(dx, nx, 52, -1, 1);
        size_t k = 0;
        for (int bb = 0; bb < b; ++bb)
            for (int r = 0; r < h; ++r)
                for (int q = 0; q < w; ++q)
                    for (int c = 0; c < ci; ++c, ++k) {
                        const float v = conv2d_col2im_value(&s, dcol, bb, r, q, c);
                        want[k] = acc ? dx[k] + v : v;
                    }
        conv2d_col2im_ref(&s, dx, dcol, acc, 0, b);
        char name[96];
        snprintf(name, sizeof name, "col2im runs b%d %dx%dx%d k%dx%d s%d p%d acc %d", b, h, w, ci,
                 kh, kw, st, p, acc);
        test_close(name, dx, want, nx, 0, 0);
    }
    free(dcol), free(dx), free(want);
}

static void test_spatial_softmax_hand(void) {
    /* one 3x3 map with a huge value at (r 0, q 2): the keypoint is (x +1, y -1); a second
     * channel of zeros: uniform attention, keypoint (0, 0); temperature 1 */
    float x[18] = {0};
    x[2 * 2 + 0] = 60.0f;
    float y[4], attn[18];
    spatial_softmax_forward_ref(y, attn, x, 1, 3, 3, 2, 1.0f);
    const float want[4] = {1, -1, 0, 0};
    test_close("spatial softmax hand keypoints", y, want, 4, 1e-6, 0);
    TEST_CHECK(fabsf(attn[1] - 1.0f / 9) < 1e-7f, "uniform channel attention %g, want 1/9",
               (double)attn[1]);
    /* temperature 2 on a 1x2 map [0, ln 4]: softmax of [0, ln 2] = [1/3, 2/3], x = 1/3 */
    const float x2[2] = {0, logf(4.0f)};
    float y2[2], a2[2];
    spatial_softmax_forward_ref(y2, a2, x2, 1, 1, 2, 1, 2.0f);
    const float want2[2] = {1.0f / 3, 0};
    test_close("spatial softmax temperature", y2, want2, 2, 1e-6, 0);
}

static void test_spatial_softmax_fd(float temperature) {
    const int b = 2, h = 4, w = 5, c = 3;
    const size_t nx = (size_t)b * h * w * c, ny = (size_t)b * 2 * c;
    float *x = malloc(4 * nx), *attn = malloc(4 * nx), *dx = malloc(4 * nx), *fx = malloc(4 * nx);
    float y[12], r[12], yp[12];
    test_fill_random(x, nx, 41, -2, 2);
    test_fill_random(r, ny, 42, -1, 1);
    spatial_softmax_forward_ref(y, attn, x, b, h, w, c, temperature);
    spatial_softmax_backward_ref(dx, r, y, attn, b, h, w, c, temperature, 0);
    const float eps = 1e-2f;
    float *scratch = malloc(4 * nx);
    for (size_t i = 0; i < nx; ++i) {
        const float keep = x[i];
        double l[2];
        for (int sgn = 0; sgn < 2; ++sgn) {
            x[i] = keep + (sgn ? eps : -eps);
            spatial_softmax_forward_ref(yp, scratch, x, b, h, w, c, temperature);
            l[sgn] = weighted(r, yp, ny);
        }
        x[i] = keep;
        fx[i] = (float)((l[1] - l[0]) / (2 * eps));
    }
    char name[64];
    snprintf(name, sizeof name, "spatial softmax fd dx T=%g", (double)temperature);
    test_close(name, dx, fx, nx, 2e-4, 2e-3);
    /* the table (parallel batch blocks, accumulate) against the reference */
    float yb[12], *ab = malloc(4 * nx), *dxb = malloc(4 * nx);
    be->spatial_softmax_forward(be, yb, ab, x, b, h, w, c, temperature);
    test_close("spatial softmax table forward", yb, y, ny, 0, 0);
    test_close("spatial softmax table attn", ab, attn, nx, 0, 0);
    for (size_t i = 0; i < nx; ++i) dxb[i] = 1.0f;
    be->spatial_softmax_backward(be, dxb, r, yb, ab, b, h, w, c, temperature, 1);
    for (size_t i = 0; i < nx; ++i) fx[i] = dx[i] + 1.0f;
    test_close("spatial softmax table backward (accumulate)", dxb, fx, nx, 1e-6, 1e-6);
    free(x), free(attn), free(dx), free(fx), free(scratch), free(ab), free(dxb);
}

static void test_max_pool_hand(void) {
    /* 4x4 image 0..15 with channel 1 = -channel 0, 3x3 stride 2 pad 1 (the ResNet stem's
     * pool): channel 0 keeps each window's bottom-right pixel, channel 1 its top-left */
    float x[32];
    for (int i = 0; i < 16; ++i) x[2 * i] = (float)i, x[2 * i + 1] = -(float)i;
    rise_conv2d_shape s = max_pool2d_make_shape(1, 4, 4, 2, 3, 2, 1);
    TEST_CHECK(s.h_out == 2 && s.w_out == 2, "pool out %dx%d, want 2x2", s.h_out, s.w_out);
    float y[8], yb[8];
    int32_t idx[8], idxb[8];
    max_pool2d_forward_ref(&s, y, idx, x, 0, 1);
    const float want[8] = {5, -0.0f, 7, -1, 13, -4, 15, -5};
    const int32_t want_idx[8] = {5, 0, 7, 1, 13, 4, 15, 5};
    test_close("max pool hand", y, want, 8, 0, 0);
    be->max_pool2d_forward(be, &s, yb, idxb, x);
    test_close("max pool hand (backend)", yb, want, 8, 0, 0);
    TEST_CHECK(!memcmp(idx, want_idx, sizeof idx) && !memcmp(idxb, want_idx, sizeof idx),
               "max pool hand: the saved positions r W + q");
    /* backward: each output's dy lands on its window's argmax (windows rows / columns
     * {0,1} or {1,2,3}) */
    const float dy[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    float dx[32];
    max_pool2d_backward_ref(&s, dx, dy, idx, 0, 0, 1);
    float wdx[32] = {0};
    wdx[2 * 5] = 1, wdx[2 * 7] = 3, wdx[2 * 13] = 5, wdx[2 * 15] = 7;
    wdx[2 * 0 + 1] = 2, wdx[2 * 1 + 1] = 4, wdx[2 * 4 + 1] = 6, wdx[2 * 5 + 1] = 8;
    test_close("max pool hand backward", dx, wdx, 32, 0, 0);
    /* ties: the first maximum in row-major window order takes the gradient; NaN wins */
    const float flat[4] = {3, 3, 3, 3};
    rise_conv2d_shape t = max_pool2d_make_shape(1, 2, 2, 1, 2, 2, 0);
    float yt, dxt[4];
    int32_t it;
    const float one = 1.0f;
    max_pool2d_forward_ref(&t, &yt, &it, flat, 0, 1);
    max_pool2d_backward_ref(&t, dxt, &one, &it, 0, 0, 1);
    const float wt[4] = {1, 0, 0, 0};
    test_close("max pool tie: first maximum", dxt, wt, 4, 0, 0);
    const float withnan[4] = {1, 9, NAN, 2};
    be->max_pool2d_forward(be, &t, &yt, &it, withnan);
    max_pool2d_backward_ref(&t, dxt, &one, &it, 0, 0, 1);
    TEST_CHECK(isnan(yt) && dxt[2] == 1.0f && dxt[1] == 0.0f,
               "max pool: a NaN in the window is the maximum (y %g, dx %g %g)", (double)yt,
               (double)dxt[1], (double)dxt[2]);
}

/* Finite differences of L = sum R y through the pool (inputs distinct, so the argmax does not
 * move under the step), and the table (parallel batch items, accumulate) against the
 * reference. */
static void test_max_pool_fd(int b, int h, int w, int c, int k, int st, int p) {
    const rise_conv2d_shape s = max_pool2d_make_shape(b, h, w, c, k, st, p);
    const size_t nx = (size_t)b * h * w * c, ny = (size_t)b * s.h_out * s.w_out * c;
    float *x = malloc(4 * nx), *y = malloc(4 * ny), *r = malloc(4 * ny), *yp = malloc(4 * ny);
    float *dx = malloc(4 * nx), *fx = malloc(4 * nx), *dxb = malloc(4 * nx);
    int32_t *idx = malloc(4 * ny), *idxb = malloc(4 * ny), *scratch = malloc(4 * ny);
    for (size_t i = 0; i < nx; ++i) x[i] = (float)((i * 7919) % nx) * 0.01f; /* distinct */
    test_fill_random(r, ny, 61, -1, 1);
    max_pool2d_forward_ref(&s, y, idx, x, 0, b);
    max_pool2d_backward_ref(&s, dx, r, idx, 0, 0, b);
    const float eps = 1e-3f;
    for (size_t i = 0; i < nx; ++i) {
        const float keep = x[i];
        double l[2];
        for (int sgn = 0; sgn < 2; ++sgn) {
            x[i] = keep + (sgn ? eps : -eps);
            max_pool2d_forward_ref(&s, yp, scratch, x, 0, b);
            l[sgn] = weighted(r, yp, ny);
        }
        x[i] = keep;
        fx[i] = (float)((l[1] - l[0]) / (2 * eps));
    }
    char name[96];
    snprintf(name, sizeof name, "max pool fd dx b%d %dx%dx%d k%d s%d p%d", b, h, w, c, k, st, p);
    test_close(name, dx, fx, nx, 1e-3, 1e-3);
    be->max_pool2d_forward(be, &s, yp, idxb, x);
    snprintf(name, sizeof name, "max pool table forward b%d %dx%d", b, h, w);
    test_close(name, yp, y, ny, 0, 0);
    TEST_CHECK(!memcmp(idx, idxb, 4 * ny), "%s: the same positions", name);
    for (size_t i = 0; i < nx; ++i) dxb[i] = 0.5f, fx[i] = dx[i] + 0.5f;
    be->max_pool2d_backward(be, &s, dxb, r, idxb, 1);
    snprintf(name, sizeof name, "max pool table backward (accumulate) b%d %dx%d", b, h, w);
    test_close(name, dxb, fx, nx, 0, 0);
    free(x), free(y), free(r), free(yp), free(dx), free(fx), free(dxb);
    free(idx), free(idxb), free(scratch);
}

static void test_edges(void) {
    rise_conv2d_shape s = conv2d_make_shape(0, 4, 4, 2, 3, 3, 3, 1, 1);
    float y[4] = {7, 7, 7, 7}, w[54] = {0}, x[32] = {0};
    be->conv2d_forward(be, &s, y, x, w, NULL, NULL);
    be->conv2d_backward_data(be, &s, y, x, w, 0, NULL);
    be->spatial_softmax_forward(be, y, y, x, 0, 2, 2, 1, 1.0f);
    TEST_CHECK(y[0] == 7 && y[3] == 7, "conv2d / spatial softmax batch 0 write nothing");
    /* a NaN pixel reaches exactly the outputs whose 3x3 window holds it */
    float xn[25];
    for (int i = 0; i < 25; ++i) xn[i] = 1.0f;
    xn[0] = NAN; /* corner (0, 0): windows of outputs (0,0), (0,1), (1,0), (1,1) with pad 1 */
    float w9[9], yn[25];
    for (int i = 0; i < 9; ++i) w9[i] = 1.0f;
    s = conv2d_make_shape(1, 5, 5, 1, 1, 3, 3, 1, 1);
    float *ws = ws_for(&s);
    be->conv2d_forward(be, &s, yn, xn, w9, NULL, ws);
    free(ws);
    TEST_CHECK(isnan(yn[0]) && isnan(yn[1]) && isnan(yn[5]) && isnan(yn[6]) && isfinite(yn[2]) &&
                   isfinite(yn[10]) && isfinite(yn[24]),
               "conv2d: NaN reaches the outputs whose window holds it");
    /* a NaN in one channel's map spreads to that keypoint only */
    float xs[8] = {1, 2, 3, NAN, 5, 6, 7, 8}, ys[4], as[8];
    be->spatial_softmax_forward(be, ys, as, xs, 1, 2, 2, 2, 1.0f);
    TEST_CHECK(isfinite(ys[0]) && isfinite(ys[1]) && isnan(ys[2]) && isnan(ys[3]),
               "spatial softmax: NaN spreads to its channel's keypoint only");
    rise_conv2d_shape bad = conv2d_make_shape(1, 4, 4, 2, 3, 3, 3, 1, 1);
    bad.w_out = 3;
    TEST_EXPECT_ABORT("conv2d_forward_ref, w_out off", conv2d_forward_ref(&bad, y, x, w, NULL));
    TEST_EXPECT_ABORT("conv2d_forward, w_out off",
                      be->conv2d_forward(be, &bad, y, x, w, NULL, NULL));
    TEST_EXPECT_ABORT("conv2d_backward_weight, w_out off",
                      be->conv2d_backward_weight(be, &bad, w, NULL, y, x, NULL));
    bad = conv2d_make_shape(1, 2, 2, 1, 1, 5, 5, 1, 0); /* kernel larger than the image */
    TEST_EXPECT_ABORT("conv2d, kernel larger than the padded image",
                      be->conv2d_backward_data(be, &bad, x, y, w, 0, NULL));
    rise_conv2d_shape pool = max_pool2d_make_shape(1, 4, 4, 2, 3, 2, 2); /* pad > kernel / 2 */
    TEST_EXPECT_ABORT("max pool, pad 2 with a 3x3 window",
                      be->max_pool2d_forward(be, &pool, y, (int32_t *)w, x));
    pool = max_pool2d_make_shape(1, 4, 4, 2, 3, 2, 1);
    pool.c_out = 3;
    TEST_EXPECT_ABORT("max_pool2d_backward_ref, c_out != c_in",
                      max_pool2d_backward_ref(&pool, x, y, (int32_t *)w, 0, 0, 1));
    TEST_EXPECT_ABORT("spatial softmax, temperature 0",
                      be->spatial_softmax_forward(be, y, y, x, 1, 2, 2, 1, 0.0f));
    TEST_EXPECT_ABORT("spatial_softmax_backward_ref, w 0",
                      spatial_softmax_backward_ref(x, y, y, x, 1, 2, 0, 1, 1.0f, 0));
}

static void run_table(const char *name) {
    rise_status st;
    be = rise_backend_create(name, &st);
    if (!be) exit(1);
    test_conv_hand();
    test_conv_backend(3, 9, 7, 5, 6, 3, 3, 1, 1);
    test_conv_backend(2, 11, 10, 3, 4, 3, 5, 2, 2);   /* non-square kernel, strided */
    test_conv_backend(2, 8, 8, 3, 16, 8, 8, 4, 0);    /* the stem of a small encoder */
    test_conv_backend(4, 5, 6, 7, 3, 1, 1, 1, 0);     /* pointwise */
    test_conv_backend(1, 3, 2, 2, 2, 5, 4, 1, 2);     /* kernel as large as the padded image */
    test_conv_backend(32, 12, 12, 8, 8, 3, 3, 1, 1);  /* enough rows for the OpenMP chunks */
    test_conv_backend(3, 15, 13, 3, 8, 7, 7, 2, 3);   /* 7x7 stride 2, odd sizes */
    test_conv_backend(1, 10, 10, 16, 32, 3, 3, 2, 1); /* the encoder's stride-2 3x3, batch 1 */
    test_spatial_softmax_fd(1.0f);
    test_spatial_softmax_fd(0.5f);
    test_max_pool_hand();
    test_max_pool_fd(2, 9, 8, 3, 3, 2, 1);  /* the ResNet stem's pool, odd sizes */
    test_max_pool_fd(24, 6, 6, 4, 2, 2, 0); /* enough items for the OpenMP chunks */
    test_max_pool_fd(1, 5, 7, 2, 3, 1, 1);  /* overlapping stride-1 windows */
    test_edges();
    be->destroy(be);
}

int main(void) {
    test_conv_fd(2, 5, 6, 2, 3, 3, 3, 1, 1);
    test_conv_fd(2, 7, 6, 2, 2, 3, 2, 2, 1); /* non-square kernel, strided */
    test_conv_fd(1, 4, 5, 3, 2, 1, 1, 1, 0); /* pointwise */
    test_conv_fd(2, 6, 7, 2, 2, 4, 4, 2, 0); /* unpadded stride, odd width */
    test_spatial_softmax_hand();
    test_col2im_exact(2, 7, 6, 3, 3, 3, 2, 1);
    test_col2im_exact(1, 5, 5, 300, 3, 2, 1, 1); /* channels beyond one run buffer */
    test_col2im_exact(2, 9, 8, 4, 7, 7, 2, 3);
    run_table("ref");
    run_table("cpu");
    return test_finish();
}
