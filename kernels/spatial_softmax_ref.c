/* spatial_softmax_ref.c - CPU reference for the spatial softmax keypoints (see
 * spatial_softmax.h): per (b, c) a max, a sum of exponentials and two expectations, in
 * double. */
#include "spatial_softmax.h"

#include <math.h>

void spatial_softmax_forward_ref(float *y, float *attn, const float *x, int b, int h, int w, int c,
                                 float temperature) {
    spatial_softmax_check("spatial_softmax_forward", b, h, w, c, temperature);
    const size_t hw = (size_t)h * w;
    for (int n = 0; n < b; ++n)
        for (int ch = 0; ch < c; ++ch) {
            const float *xm = x + (size_t)n * hw * c + ch;
            float *am = attn + (size_t)n * hw * c + ch;
            double mx = -INFINITY;
            for (size_t p = 0; p < hw; ++p)
                if ((double)xm[p * c] / temperature > mx) mx = (double)xm[p * c] / temperature;
            double sum = 0.0;
            for (size_t p = 0; p < hw; ++p) sum += exp((double)xm[p * c] / temperature - mx);
            double ex = 0.0, ey = 0.0;
            for (int r = 0; r < h; ++r)
                for (int q = 0; q < w; ++q) {
                    const size_t p = (size_t)r * w + q;
                    const double a = exp((double)xm[p * c] / temperature - mx) / sum;
                    am[p * c] = (float)a;
                    ex += a * spatial_softmax_pos(q, w);
                    ey += a * spatial_softmax_pos(r, h);
                }
            y[(size_t)n * 2 * c + 2 * ch] = (float)ex;
            y[(size_t)n * 2 * c + 2 * ch + 1] = (float)ey;
        }
}

void spatial_softmax_backward_ref(float *dx, const float *dy, const float *y, const float *attn,
                                  int b, int h, int w, int c, float temperature, int accumulate) {
    spatial_softmax_check("spatial_softmax_backward", b, h, w, c, temperature);
    for (int n = 0; n < b; ++n)
        for (int r = 0; r < h; ++r)
            for (int q = 0; q < w; ++q)
                for (int ch = 0; ch < c; ++ch) {
                    const size_t at = (((size_t)n * h + r) * w + q) * c + ch;
                    const size_t k = (size_t)n * 2 * c + 2 * ch;
                    const float v = spatial_softmax_dx(attn[at], spatial_softmax_pos(q, w),
                                                       spatial_softmax_pos(r, h), y[k], y[k + 1],
                                                       dy[k], dy[k + 1], temperature);
                    dx[at] = accumulate ? dx[at] + v : v;
                }
}
