/* test_ops_conv1d.c - the U-Net's ops on the CPU: 1-D convolution (forward, backward-data,
 * backward-weight, bias), GroupNorm and FiLM.
 *
 * Hand-computed cases (a padded 3-tap convolution, a strided down-sampling, the
 * transposed up-sampling ConvTranspose1d(k 4, s 2, p 1) as backward-data, GroupNorm with
 * one and two groups); finite-difference gradients of L = sum R y in double for each op;
 * the CPU backend's im2col + OpenBLAS path against the direct-loop reference on awkward
 * shapes (odd lengths, channels not multiples of anything, pointwise), with accumulation
 * run twice; the headers' edge rules (empty batches, NaN) and argument checks (aborts).
 * Run: ctest -R test_ops_conv1d. */
#include "kernels/conv1d.h"
#include "kernels/film.h"
#include "kernels/group_norm.h"
#include "test_util.h"
#include "expect_abort.h"

static rise_backend *be;

static rise_conv1d_shape shape(int b, int ti, int ci, int co, int k, int s, int p) {
    rise_conv1d_shape sh = {b, ti, ci, conv1d_out_len(ti, k, s, p), co, k, s, p};
    return sh;
}

static float *ws_for(const rise_conv1d_shape *s) {
    const size_t bytes = be->conv1d_workspace_bytes(be, s);
    return bytes ? malloc(bytes) : NULL;
}

static void test_conv_hand(void) {
    /* 3 taps, padding 1: y[t] = sum_k w[k] x[t - 1 + k] + 0.5 */
    const float x[3] = {1, 2, 3}, w[3] = {1, 2, 3}, bias[1] = {0.5f};
    rise_conv1d_shape s = shape(1, 3, 1, 1, 3, 1, 1);
    float y[3];
    conv1d_forward_ref(&s, y, x, w, bias);
    const float want[3] = {8.5f, 14.5f, 8.5f};
    test_close("conv1d hand padded", y, want, 3, 0, 0);
    float *ws = ws_for(&s);
    float yb[3];
    be->conv1d_forward(be, &s, yb, x, w, bias, ws);
    test_close("conv1d hand padded (cpu backend)", yb, want, 3, 0, 0);
    free(ws);

    /* down-sampling k 3, s 2, p 1 over 4 steps: 2 outputs */
    const float x4[4] = {1, 2, 3, 4};
    s = shape(1, 4, 1, 1, 3, 2, 1);
    TEST_CHECK(s.t_out == 2, "strided t_out %d, want 2", s.t_out);
    float y2[2];
    conv1d_forward_ref(&s, y2, x4, w, NULL);
    const float want2[2] = {8, 20};
    test_close("conv1d hand strided", y2, want2, 2, 0, 0);

    /* up-sampling: ConvTranspose1d(1, 1, 4, 2, 1) of [1, 2] with weight [1 2 3 4] is
     * [2 5 8 6] (by hand: out[j] = sum_i x[i] w[j - 2 i + 1]) */
    const float dy[2] = {1, 2}, w4[4] = {1, 2, 3, 4};
    s = shape(1, 4, 1, 1, 4, 2, 1);
    TEST_CHECK(s.t_out == 2, "transposed inverse shape t_out %d, want 2", s.t_out);
    float up[4];
    conv1d_backward_data_ref(&s, up, dy, w4, 0);
    const float want_up[4] = {2, 5, 8, 6};
    test_close("conv1d backward-data = ConvTranspose1d", up, want_up, 4, 0, 0);

    /* two channels in, pointwise: y = W x per step */
    const float xc[4] = {1, 2, 3, 4}, wc[2] = {10, 1};
    s = shape(1, 2, 2, 1, 1, 1, 0);
    float yc[2];
    conv1d_forward_ref(&s, yc, xc, wc, NULL);
    const float want_c[2] = {12, 34};
    test_close("conv1d hand pointwise", yc, want_c, 2, 0, 0);
    TEST_CHECK(be->conv1d_workspace_bytes(be, &s) == 0, "pointwise needs no workspace");
}

/* Finite differences of L = sum R y (linear in x and w, so the central difference is exact
 * up to rounding). */
static void test_conv_fd(int b, int ti, int ci, int co, int k, int st, int p) {
    const rise_conv1d_shape s = shape(b, ti, ci, co, k, st, p);
    const size_t nx = (size_t)b * ti * ci, ny = (size_t)b * s.t_out * co, nw = (size_t)co * k * ci;
    float *x = malloc(4 * nx), *w = malloc(4 * nw), *bias = malloc(4 * co), *r = malloc(4 * ny);
    float *y = malloc(4 * ny), *dx = malloc(4 * nx), *dw = calloc(nw, 4), *db = calloc(co, 4);
    float *fx = malloc(4 * nx), *fw = malloc(4 * nw), *fb = malloc(4 * co);
    test_fill_random(x, nx, 21, -1, 1);
    test_fill_random(w, nw, 22, -1, 1);
    test_fill_random(bias, co, 23, -1, 1);
    test_fill_random(r, ny, 24, -1, 1);
    conv1d_backward_data_ref(&s, dx, r, w, 0);
    conv1d_backward_weight_ref(&s, dw, db, r, x);
    const float h = 0.25f;
    for (int pass = 0; pass < 3; ++pass) {
        float *v = pass == 0 ? x : pass == 1 ? w : bias;
        float *f = pass == 0 ? fx : pass == 1 ? fw : fb;
        const size_t n = pass == 0 ? nx : pass == 1 ? nw : (size_t)co;
        for (size_t i = 0; i < n; ++i) {
            const float keep = v[i];
            double l[2];
            for (int sgn = 0; sgn < 2; ++sgn) {
                v[i] = keep + (sgn ? h : -h);
                conv1d_forward_ref(&s, y, x, w, bias);
                l[sgn] = 0;
                for (size_t j = 0; j < ny; ++j) l[sgn] += (double)r[j] * y[j];
            }
            v[i] = keep;
            f[i] = (float)((l[1] - l[0]) / (2 * h));
        }
    }
    char name[96];
    snprintf(name, sizeof name, "conv1d fd dx b%d t%d ci%d co%d k%d s%d p%d", b, ti, ci, co, k, st,
             p);
    test_close(name, dx, fx, nx, 1e-4, 1e-4);
    snprintf(name, sizeof name, "conv1d fd dw k%d s%d p%d", k, st, p);
    test_close(name, dw, fw, nw, 1e-4, 1e-4);
    snprintf(name, sizeof name, "conv1d fd dbias k%d s%d p%d", k, st, p);
    test_close(name, db, fb, co, 1e-4, 1e-4);
    free(x), free(w), free(bias), free(r), free(y), free(dx), free(dw), free(db);
    free(fx), free(fw), free(fb);
}

/* The CPU backend's lowering against the direct loops, accumulating twice. */
static void test_conv_backend(int b, int ti, int ci, int co, int k, int st, int p) {
    const rise_conv1d_shape s = shape(b, ti, ci, co, k, st, p);
    const size_t nx = (size_t)b * ti * ci, ny = (size_t)b * s.t_out * co, nw = (size_t)co * k * ci;
    float *x = malloc(4 * nx), *w = malloc(4 * nw), *bias = malloc(4 * co), *dy = malloc(4 * ny);
    float *y = malloc(4 * ny), *yr = malloc(4 * ny);
    float *dx = malloc(4 * nx), *dxr = malloc(4 * nx);
    float *dw = calloc(nw, 4), *dwr = calloc(nw, 4), *db = calloc(co, 4), *dbr = calloc(co, 4);
    test_fill_random(x, nx, 31, -2, 2);
    test_fill_random(w, nw, 32, -1, 1);
    test_fill_random(bias, co, 33, -1, 1);
    test_fill_random(dy, ny, 34, -1, 1);
    float *ws = ws_for(&s);
    be->conv1d_forward(be, &s, y, x, w, bias, ws);
    conv1d_forward_ref(&s, yr, x, w, bias);
    char name[96];
    snprintf(name, sizeof name, "conv1d %s forward b%d t%d ci%d co%d k%d s%d p%d", be->name, b, ti,
             ci, co, k, st, p);
    test_close(name, y, yr, ny, 1e-5, 1e-5);
    for (int rep = 0; rep < 2; ++rep) {
        be->conv1d_backward_data(be, &s, dx, dy, w, rep, ws);
        conv1d_backward_data_ref(&s, dxr, dy, w, rep);
        be->conv1d_backward_weight(be, &s, dw, db, dy, x, ws);
        conv1d_backward_weight_ref(&s, dwr, dbr, dy, x);
    }
    snprintf(name, sizeof name, "conv1d cpu backward-data (x2) k%d s%d p%d", k, st, p);
    test_close(name, dx, dxr, nx, 1e-5, 1e-5);
    snprintf(name, sizeof name, "conv1d cpu backward-weight (x2) k%d s%d p%d", k, st, p);
    test_close(name, dw, dwr, nw, 1e-4, 1e-5);
    snprintf(name, sizeof name, "conv1d cpu bias grad (x2) k%d s%d p%d", k, st, p);
    test_close(name, db, dbr, co, 1e-4, 1e-5);
    free(ws);
    free(x), free(w), free(bias), free(dy), free(y), free(yr), free(dx), free(dxr);
    free(dw), free(dwr), free(db), free(dbr);
}

static void test_group_norm_hand(void) {
    /* x [1, 2, 2] = [[1 2] [3 4]]: one group has mean 2.5, biased var 1.25 */
    const float x[4] = {1, 2, 3, 4}, g[2] = {1, 2}, b[2] = {0, 1};
    float y[4], m[2], rs[2];
    be->group_norm_forward(be, y, m, rs, x, NULL, NULL, 1, 2, 2, 1, 0.0f);
    const double k = 1 / sqrt(1.25);
    const float y1[4] = {(float)(-1.5 * k), (float)(-0.5 * k), (float)(0.5 * k), (float)(1.5 * k)};
    test_close("group_norm one group", y, y1, 4, 1e-7, 1e-6);
    TEST_CHECK(m[0] == 2.5f && fabs(rs[0] - k) < 1e-7, "saved mean %g rstd %g", m[0], rs[0]);
    /* two groups = per channel over time: channel 0 {1, 3}, channel 1 {2, 4}; xhat = -1, 1 */
    be->group_norm_forward(be, y, m, rs, x, g, b, 1, 2, 2, 2, 0.0f);
    const float y2[4] = {-1, -2 + 1, 1, 2 + 1};
    test_close("group_norm two groups with affine", y, y2, 4, 1e-6, 1e-6);
    TEST_CHECK(m[0] == 2.0f && m[1] == 3.0f, "group means %g %g (want 2, 3)", m[0], m[1]);
}

/* Independent double GroupNorm, L = sum R y. */
static double gn_loss(const double *x, const double *g, const double *bt, const double *r, int b,
                      int t, int c, int groups, double eps) {
    const int cg = c / groups;
    double loss = 0;
    for (int bi = 0; bi < b; ++bi)
        for (int gi = 0; gi < groups; ++gi) {
            double mu = 0, var = 0;
            const int n = t * cg;
            for (int ti = 0; ti < t; ++ti)
                for (int j = 0; j < cg; ++j) mu += x[(bi * t + ti) * c + gi * cg + j] / n;
            for (int ti = 0; ti < t; ++ti)
                for (int j = 0; j < cg; ++j) {
                    const double d = x[(bi * t + ti) * c + gi * cg + j] - mu;
                    var += d * d / n;
                }
            for (int ti = 0; ti < t; ++ti)
                for (int j = 0; j < cg; ++j) {
                    const int e = (bi * t + ti) * c + gi * cg + j, ch = gi * cg + j;
                    loss += r[e] * ((x[e] - mu) / sqrt(var + eps) * g[ch] + bt[ch]);
                }
        }
    return loss;
}

static void test_group_norm_fd(void) {
    enum { B = 3, T = 5, C = 12, G = 4, N = B * T * C };
    const float eps = 1e-5f;
    float x[N], g[C], bt[C], r[N], y[N], m[B * G], rs[B * G], dx[N], dg[C] = {0}, db[C] = {0};
    test_fill_random(x, N, 41, -2, 2);
    test_fill_random(g, C, 42, 0.5f, 1.5f);
    test_fill_random(bt, C, 43, -0.5f, 0.5f);
    test_fill_random(r, N, 44, -1, 1);
    be->group_norm_forward(be, y, m, rs, x, g, bt, B, T, C, G, eps);
    float yr[N], mr[B * G], rsr[B * G];
    group_norm_forward_ref(yr, mr, rsr, x, g, bt, B, T, C, G, eps);
    test_close("group_norm cpu forward = ref", y, yr, N, 0, 0);
    /* accumulate: run twice, the second adding, against 2x the single result */
    be->group_norm_backward(be, dx, dg, db, r, x, m, rs, g, B, T, C, G, 0);
    double xd[N], gd[C], bd[C], rd[N];
    for (int i = 0; i < N; ++i) xd[i] = x[i], rd[i] = r[i];
    for (int i = 0; i < C; ++i) gd[i] = g[i], bd[i] = bt[i];
    const double h = 1e-5;
    float fx[N], fg[C], fb[C];
    for (int pass = 0; pass < 3; ++pass) {
        double *v = pass == 0 ? xd : pass == 1 ? gd : bd;
        float *f = pass == 0 ? fx : pass == 1 ? fg : fb;
        const int n = pass == 0 ? N : C;
        for (int i = 0; i < n; ++i) {
            const double keep = v[i];
            v[i] = keep + h;
            const double lp = gn_loss(xd, gd, bd, rd, B, T, C, G, eps);
            v[i] = keep - h;
            const double lm = gn_loss(xd, gd, bd, rd, B, T, C, G, eps);
            v[i] = keep;
            f[i] = (float)((lp - lm) / (2 * h));
        }
    }
    test_close("group_norm fd dx", dx, fx, N, 1e-4, 1e-3);
    test_close("group_norm fd dgamma", dg, fg, C, 1e-4, 1e-3);
    test_close("group_norm fd dbeta", db, fb, C, 1e-4, 1e-3);
    float dx2[N], dg2[C], db2[C];
    for (int i = 0; i < N; ++i) dx2[i] = 2 * dx[i];
    for (int i = 0; i < C; ++i) dg2[i] = 2 * dg[i], db2[i] = 2 * db[i];
    be->group_norm_backward(be, dx, dg, db, r, x, m, rs, g, B, T, C, G, 1);
    test_close("group_norm accumulates dx", dx, dx2, N, 1e-6, 1e-6);
    test_close("group_norm accumulates dgamma", dg, dg2, C, 1e-6, 1e-6);
    test_close("group_norm accumulates dbeta", db, db2, C, 1e-6, 1e-6);
}

static void test_film(void) {
    /* hand: x [1, 2, 2], scale (2, -1), bias (1, 0.5) */
    const float x[4] = {1, 2, 3, 4}, emb[4] = {2, -1, 1, 0.5f}, dy[4] = {1, 1, 2, -1};
    float y[4], dx[4], demb[4];
    be->film_forward(be, y, x, emb, 1, 2, 2);
    const float want[4] = {3, -1.5f, 7, -3.5f};
    test_close("film hand forward", y, want, 4, 0, 0);
    be->film_backward(be, dx, demb, dy, x, emb, 1, 2, 2);
    const float wdx[4] = {2, -1, 4, 1}, wdemb[4] = {1 + 6, 2 - 4, 3, 0};
    test_close("film hand dx", dx, wdx, 4, 0, 0);
    test_close("film hand demb", demb, wdemb, 4, 0, 0);
    /* fd on a larger case (film is bilinear: central differences exact up to rounding) */
    enum { B = 3, T = 7, C = 5, N = B * T * C, NE = B * 2 * C };
    float xs[N], es[NE], r[N], ys[N], dxs[N], des[NE], fx[N], fe[NE];
    test_fill_random(xs, N, 51, -1, 1);
    test_fill_random(es, NE, 52, -1, 1);
    test_fill_random(r, N, 53, -1, 1);
    be->film_backward(be, dxs, des, r, xs, es, B, T, C);
    const float h = 0.25f;
    for (int pass = 0; pass < 2; ++pass) {
        float *v = pass ? es : xs, *f = pass ? fe : fx;
        const int n = pass ? NE : N;
        for (int i = 0; i < n; ++i) {
            const float keep = v[i];
            double l[2];
            for (int sgn = 0; sgn < 2; ++sgn) {
                v[i] = keep + (sgn ? h : -h);
                be->film_forward(be, ys, xs, es, B, T, C);
                l[sgn] = 0;
                for (int j = 0; j < N; ++j) l[sgn] += (double)r[j] * ys[j];
            }
            v[i] = keep;
            f[i] = (float)((l[1] - l[0]) / (2 * h));
        }
    }
    test_close("film fd dx", dxs, fx, N, 1e-5, 1e-4);
    test_close("film fd demb", des, fe, NE, 1e-5, 1e-4);
}

/* The headers' edge and argument rules: empty batches do nothing, NaN spreads as the header
 * says, bad shapes abort on the reference and the CPU backend alike. */
static void test_edges(void) {
    /* batch 0: nothing written */
    rise_conv1d_shape s = shape(0, 4, 2, 3, 3, 1, 1);
    float y[4] = {7, 7, 7, 7}, w[18] = {0}, x[8] = {0};
    be->conv1d_forward(be, &s, y, x, w, NULL, NULL);
    be->conv1d_backward_data(be, &s, y, x, w, 0, NULL);
    TEST_CHECK(y[0] == 7 && y[3] == 7, "conv1d batch 0 writes nothing");
    float gy[4] = {7, 7, 7, 7}, gm[2], gr[2];
    be->group_norm_forward(be, gy, gm, gr, x, NULL, NULL, 0, 2, 2, 1, 1e-5f);
    be->film_forward(be, gy, x, w, 0, 2, 2);
    TEST_CHECK(gy[0] == 7 && gy[3] == 7, "group_norm / film batch 0 write nothing");
    /* a NaN in one group spreads to that group only; the other group stays finite */
    /* x [1, 2, 4]: group 0 = channels 0-1 (1 2 5 6), group 1 = channels 2-3 (NaN 4 7 8) */
    const float xn[8] = {1, 2, NAN, 4, 5, 6, 7, 8};
    float yn[8], mn[2], rn[2];
    be->group_norm_forward(be, yn, mn, rn, xn, NULL, NULL, 1, 2, 4, 2, 1e-5f);
    TEST_CHECK(isnan(yn[2]) && isnan(yn[3]) && isnan(yn[6]) && isnan(yn[7]),
               "group_norm: NaN spreads over its group");
    TEST_CHECK(isfinite(yn[0]) && isfinite(yn[1]) && isfinite(yn[4]) && isfinite(yn[5]),
               "group_norm: the other group stays finite");
    /* a NaN input of a convolution reaches exactly the outputs whose taps read it */
    const float xc[5] = {1, 1, NAN, 1, 1}, wc[3] = {1, 1, 1};
    float yc[5];
    s = shape(1, 5, 1, 1, 3, 1, 1);
    float *ws = ws_for(&s);
    be->conv1d_forward(be, &s, yc, xc, wc, NULL, ws);
    free(ws);
    TEST_CHECK(isfinite(yc[0]) && isnan(yc[1]) && isnan(yc[2]) && isnan(yc[3]) && isfinite(yc[4]),
               "conv1d: NaN reaches the outputs whose window holds it");
    /* argument rules */
    rise_conv1d_shape bad = shape(1, 4, 2, 3, 3, 1, 1);
    bad.t_out = 3; /* the formula says 4 */
    TEST_EXPECT_ABORT("conv1d_forward_ref, t_out off", conv1d_forward_ref(&bad, y, x, w, NULL));
    TEST_EXPECT_ABORT("cpu conv1d_forward, t_out off",
                      be->conv1d_forward(be, &bad, y, x, w, NULL, NULL));
    TEST_EXPECT_ABORT("cpu conv1d_backward_weight, t_out off",
                      be->conv1d_backward_weight(be, &bad, w, NULL, y, x, NULL));
    TEST_EXPECT_ABORT("group_norm, groups not dividing c",
                      be->group_norm_forward(be, gy, gm, gr, x, NULL, NULL, 1, 2, 3, 2, 1e-5f));
    TEST_EXPECT_ABORT("group_norm_backward_ref, groups 0",
                      group_norm_backward_ref(gy, NULL, NULL, x, x, gm, gr, NULL, 1, 2, 2, 0, 0));
    TEST_EXPECT_ABORT("group_norm, negative eps",
                      group_norm_forward_ref(gy, gm, gr, x, NULL, NULL, 1, 2, 2, 1, -1.0f));
    TEST_EXPECT_ABORT("film, c = 0", be->film_forward(be, gy, x, w, 1, 2, 0));
    TEST_EXPECT_ABORT("film_backward_ref, negative t",
                      film_backward_ref(gy, NULL, x, x, w, 1, -1, 2));
}

int main(void) {
    rise_status st;
    be = rise_backend_create("cpu", &st);
    if (!be) return 1;
    test_conv_hand();
    test_conv_fd(2, 7, 3, 4, 5, 1, 2); /* the U-Net's k = 5 block conv */
    test_conv_fd(2, 8, 3, 2, 3, 2, 1); /* down-sampling */
    test_conv_fd(2, 8, 3, 2, 4, 2, 1); /* the inverse of up-sampling */
    test_conv_fd(1, 5, 2, 3, 1, 1, 0); /* pointwise */
    test_conv_fd(2, 9, 3, 2, 3, 2, 0); /* odd length, unpadded stride */
    test_conv_backend(3, 16, 13, 17, 5, 1, 2);
    test_conv_backend(3, 17, 9, 6, 3, 2, 1);
    test_conv_backend(2, 16, 7, 5, 4, 2, 1);
    test_conv_backend(4, 11, 19, 3, 1, 1, 0);
    test_conv_backend(1, 3, 2, 2, 5, 1, 2);   /* kernel wider than the sequence */
    test_conv_backend(40, 16, 8, 9, 5, 1, 2); /* enough rows for the OpenMP chunks */
    test_group_norm_hand();
    test_group_norm_fd();
    test_film();
    test_edges();
    be->destroy(be);
    return test_finish();
}
