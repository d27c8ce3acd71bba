/* test_ops_time_embed.c - the time embedding y = [sin(t f), cos(t f)] on the
 * CPU backend: a hand-computed case (layout [B, 2H]), df against double
 * central differences of a probe loss, accumulation (twice = double), and
 * the chunked forward equal to the reference; edge rules of time_embed.h: the phase in
 * double for t up to the diffusion steps (a float phase t f is off by ~1e-5 there),
 * t = 0, NaN, and negative shapes abort. Run: ctest -R test_ops_time_embed. */
#include "kernels/time_embed.h"
#include "test_util.h"
#include "expect_abort.h"

static rise_backend *be;

#define B 6
#define H 4

static double probe(const float *t, const double *f, const float *w) {
    double s = 0;
    for (int b = 0; b < B; ++b)
        for (int i = 0; i < H; ++i)
            s += w[b * 2 * H + i] * sin(t[b] * f[i]) + w[b * 2 * H + H + i] * cos(t[b] * f[i]);
    return s;
}

static void test_edge_rules(void) {
    const float t[3] = {99.0f, 0.0f, NAN}, f[2] = {29.7f, 0.1234567f};
    float y[12];
    be->freq_embed_forward(be, y, t, f, 3, 2);
    int dbl = 1, flt_differs = 0;
    for (int i = 0; i < 2; ++i) {
        const double ph = (double)t[0] * (double)f[i];
        dbl &= y[i] == (float)sin(ph) && y[2 + i] == (float)cos(ph);
        flt_differs |= y[i] != sinf(t[0] * f[i]) || y[2 + i] != cosf(t[0] * f[i]);
    }
    TEST_CHECK(dbl, "t = 99: sin and cos of the double phase, rounded once");
    TEST_CHECK(flt_differs, "(and a float phase would not give the same values)");
    TEST_CHECK(y[4] == 0.0f && y[5] == 0.0f && y[6] == 1.0f && y[7] == 1.0f, "t = 0: (0, 1)");
    TEST_CHECK(isnan(y[8]) && isnan(y[11]), "t NaN: NaN");
    TEST_CHECK(freq_embed_grad_term(2.0f, 0.0f, 1.5f, 7.0f) == 3.0,
               "grad term t (dy_s cos - dy_c sin)");
    float df[2];
    TEST_EXPECT_ABORT("freq_embed negative b", be->freq_embed_forward(be, y, t, f, -1, 2));
    TEST_EXPECT_ABORT("freq_embed_backward negative h",
                      freq_embed_backward_ref(df, y, t, f, 3, -2));
}

int main(void) {
    be = test_backend_or_skip("ref");
    /* t = (0, 1), f = (1, pi/2): rows [sin 0, sin 0, cos 0, cos 0], [sin 1, 1, cos 1, ~0] */
    const float t2[2] = {0, 1}, f2[2] = {1, 1.5707963705062866f};
    float y[8];
    be->freq_embed_forward(be, y, t2, f2, 2, 2);
    const float yref[8] = {0, 0, 1, 1, (float)sin(1.0), 1, (float)cos(1.0), -4.37113883e-08f};
    test_close("freq embed hand case", y, yref, 8, 1e-7, 1e-6);

    float t[B], f[H], w[B * 2 * H], df[H] = {0}, fd[H];
    test_fill_random(t, B, 61, 0, 1);
    test_fill_random(f, H, 62, -8, 8);
    test_fill_random(w, B * 2 * H, 63, -1, 1);
    be->freq_embed_backward(be, df, w, t, f, B, H);
    double fdd[H];
    for (int i = 0; i < H; ++i) fdd[i] = f[i];
    const double h = 1e-6;
    for (int i = 0; i < H; ++i) {
        const double keep = fdd[i];
        fdd[i] = keep + h;
        const double lp = probe(t, fdd, w);
        fdd[i] = keep - h;
        const double lm = probe(t, fdd, w);
        fdd[i] = keep;
        fd[i] = (float)((lp - lm) / (2 * h));
    }
    test_close("freq embed df vs double FD", df, fd, H, 1e-6, 1e-5);
    be->freq_embed_backward(be, df, w, t, f, B, H);
    for (int i = 0; i < H; ++i) fd[i] *= 2;
    test_close("freq embed df accumulates (twice = double)", df, fd, H, 2e-6, 1e-5);

    /* large batch: chunked forward == reference; y is [B, 2H] row-major */
    const int bb = 3001, hh = 32;
    float *tt = malloc(bb * 4), *ff = malloc(hh * 4), *y1 = malloc((size_t)bb * 2 * hh * 4),
          *y2 = malloc((size_t)bb * 2 * hh * 4);
    test_fill_random(tt, bb, 64, 0, 1000);
    test_fill_random(ff, hh, 65, 0, 1);
    be->freq_embed_forward(be, y1, tt, ff, bb, hh);
    freq_embed_forward_ref(y2, tt, ff, bb, hh);
    test_close("freq embed large == ref", y1, y2, (size_t)bb * 2 * hh, 0, 0);
    const int row = 1234, col = 7;
    const double ph = (double)tt[row] * ff[col];
    TEST_CHECK(y1[row * 2 * hh + col] == (float)sin(ph) &&
                   y1[row * 2 * hh + hh + col] == (float)cos(ph),
               "layout y[b, i] = sin, y[b, H + i] = cos");
    free(tt), free(ff), free(y1), free(y2);
    test_edge_rules();
    rise_backend_destroy(be);
    return test_finish();
}
