/* conv2d_ref.c - CPU reference for the channels-last 2-D convolution (see conv2d.h).
 *
 * Direct loops with every sum in double: forward sums KH KW Ci taps per output,
 * backward-data gathers per input element over (i, j, o), backward-weight sums B Ho Wo
 * terms per weight. The im2col/col2im lowering below is what the CPU backend runs (with
 * the table's GEMM); the tests hold it to these loops. */
#include "conv2d.h"

#include <string.h>

void conv2d_forward_ref(const rise_conv2d_shape *s, float *y, const float *x, const float *w,
                        const float *bias) {
    conv2d_check("conv2d_forward", s);
    const int Ci = s->c_in, Co = s->c_out, KH = s->kh, KW = s->kw;
    size_t out = 0;
    for (int b = 0; b < s->batch; ++b)
        for (int u = 0; u < s->h_out; ++u)
            for (int v = 0; v < s->w_out; ++v)
                for (int o = 0; o < Co; ++o, ++out) {
                    double acc = bias ? bias[o] : 0.0;
                    for (int i = 0; i < KH; ++i) {
                        const int r = conv2d_src(u, i, s->stride, s->pad);
                        if (r < 0 || r >= s->h_in) continue;
                        for (int j = 0; j < KW; ++j) {
                            const int q = conv2d_src(v, j, s->stride, s->pad);
                            if (q < 0 || q >= s->w_in) continue;
                            const float *xr = x + conv2d_x_at(s, b, r, q, 0);
                            const float *wr = w + (((size_t)o * KH + i) * KW + j) * Ci;
                            for (int c = 0; c < Ci; ++c) acc += (double)wr[c] * xr[c];
                        }
                    }
                    y[out] = (float)acc;
                }
}

void conv2d_backward_data_ref(const rise_conv2d_shape *s, float *dx, const float *dy,
                              const float *w, int accumulate) {
    conv2d_check("conv2d_backward_data", s);
    const int Ci = s->c_in, Co = s->c_out, KH = s->kh, KW = s->kw;
    for (int b = 0; b < s->batch; ++b)
        for (int r = 0; r < s->h_in; ++r)
            for (int q = 0; q < s->w_in; ++q)
                for (int c = 0; c < Ci; ++c) {
                    double acc = 0.0;
                    for (int i = 0; i < KH; ++i) {
                        const int u = conv2d_dst(r, i, s->stride, s->pad, s->h_out);
                        if (u < 0) continue;
                        for (int j = 0; j < KW; ++j) {
                            const int v = conv2d_dst(q, j, s->stride, s->pad, s->w_out);
                            if (v < 0) continue;
                            const float *dyr =
                                dy + (((size_t)b * s->h_out + u) * s->w_out + v) * Co;
                            for (int o = 0; o < Co; ++o)
                                acc += (double)dyr[o] * w[(((size_t)o * KH + i) * KW + j) * Ci + c];
                        }
                    }
                    float *e = dx + conv2d_x_at(s, b, r, q, c);
                    *e = accumulate ? *e + (float)acc : (float)acc;
                }
}

void conv2d_backward_weight_ref(const rise_conv2d_shape *s, float *dw, float *dbias,
                                const float *dy, const float *x) {
    conv2d_check("conv2d_backward_weight", s);
    const int Ci = s->c_in, Co = s->c_out, KH = s->kh, KW = s->kw;
    const size_t rows = (size_t)s->batch * s->h_out * s->w_out;
    for (int o = 0; o < Co; ++o) {
        if (dw)
            for (int i = 0; i < KH; ++i)
                for (int j = 0; j < KW; ++j)
                    for (int c = 0; c < Ci; ++c) {
                        double acc = 0.0;
                        for (int b = 0; b < s->batch; ++b)
                            for (int u = 0; u < s->h_out; ++u) {
                                const int r = conv2d_src(u, i, s->stride, s->pad);
                                if (r < 0 || r >= s->h_in) continue;
                                for (int v = 0; v < s->w_out; ++v) {
                                    const int q = conv2d_src(v, j, s->stride, s->pad);
                                    if (q < 0 || q >= s->w_in) continue;
                                    const size_t row = ((size_t)b * s->h_out + u) * s->w_out + v;
                                    acc += (double)dy[row * Co + o] * x[conv2d_x_at(s, b, r, q, c)];
                                }
                            }
                        dw[(((size_t)o * KH + i) * KW + j) * Ci + c] += (float)acc;
                    }
        if (dbias) {
            double acc = 0.0;
            for (size_t row = 0; row < rows; ++row) acc += dy[row * Co + o];
            dbias[o] += (float)acc;
        }
    }
}

/* conv2d_col_value's entries, a kernel position's Ci channels at a time (they are
 * contiguous in NHWC): the same values, copied as runs instead of one index at a time. */
void conv2d_im2col_ref(const rise_conv2d_shape *s, float *col, const float *x, size_t row_lo,
                       size_t row_hi) {
    const int cw = conv2d_col_width(s), ci = s->c_in;
    for (size_t row = row_lo; row < row_hi; ++row) {
        const int v = (int)(row % (size_t)s->w_out);
        const size_t bu = row / (size_t)s->w_out;
        const int u = (int)(bu % (size_t)s->h_out), b = (int)(bu / (size_t)s->h_out);
        float *out = col + row * cw;
        for (int i = 0; i < s->kh; ++i) {
            const int r = conv2d_src(u, i, s->stride, s->pad);
            for (int j = 0; j < s->kw; ++j, out += ci) {
                const int q = conv2d_src(v, j, s->stride, s->pad);
                if (r < 0 || r >= s->h_in || q < 0 || q >= s->w_in)
                    memset(out, 0, sizeof(float) * (size_t)ci);
                else
                    memcpy(out, x + conv2d_x_at(s, b, r, q, 0), sizeof(float) * (size_t)ci);
            }
        }
    }
}

/* By channel runs (conv2d_col2im_run, the rule the kernels apply one channel at a time):
 * each pixel's runs of up to CONV2D_COL2IM_RUN channels are summed into dx itself when
 * overwriting, else into a buffer added to dx. */
#define CONV2D_COL2IM_RUN 256
void conv2d_col2im_ref(const rise_conv2d_shape *s, float *dx, const float *dcol, int accumulate,
                       int b_lo, int b_hi) {
    const int ci = s->c_in;
    float acc[CONV2D_COL2IM_RUN];
    for (int b = b_lo; b < b_hi; ++b)
        for (int r = 0; r < s->h_in; ++r)
            for (int q = 0; q < s->w_in; ++q) {
                float *e = dx + conv2d_x_at(s, b, r, q, 0);
                for (int c0 = 0; c0 < ci; c0 += CONV2D_COL2IM_RUN) {
                    const int n = ci - c0 < CONV2D_COL2IM_RUN ? ci - c0 : CONV2D_COL2IM_RUN;
                    conv2d_col2im_run(s, dcol, b, r, q, c0, n, accumulate ? acc : e + c0);
                    if (accumulate)
                        for (int c = 0; c < n; ++c) e[c0 + c] += acc[c];
                }
            }
}
