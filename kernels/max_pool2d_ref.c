/* max_pool2d_ref.c - CPU reference for 2-D max pooling (see max_pool2d.h): loops over the
 * header's per-element rules. */
#include "max_pool2d.h"

void max_pool2d_forward_ref(const rise_conv2d_shape *s, float *y, int32_t *idx, const float *x,
                            int b_lo, int b_hi) {
    max_pool2d_check("max_pool2d_forward", s);
    for (int b = b_lo; b < b_hi; ++b)
        for (int u = 0; u < s->h_out; ++u)
            for (int v = 0; v < s->w_out; ++v)
                for (int c = 0; c < s->c_in; ++c) {
                    const int at = max_pool2d_argmax(s, x, b, u, v, c);
                    const size_t o = (((size_t)b * s->h_out + u) * s->w_out + v) * s->c_out + c;
                    y[o] = x[conv2d_x_at(s, b, at / s->w_in, at % s->w_in, c)];
                    idx[o] = at;
                }
}

void max_pool2d_backward_ref(const rise_conv2d_shape *s, float *dx, const float *dy,
                             const int32_t *idx, int accumulate, int b_lo, int b_hi) {
    max_pool2d_check("max_pool2d_backward", s);
    for (int b = b_lo; b < b_hi; ++b)
        for (int r = 0; r < s->h_in; ++r)
            for (int q = 0; q < s->w_in; ++q)
                for (int c = 0; c < s->c_in; ++c) {
                    const size_t at = conv2d_x_at(s, b, r, q, c);
                    const float v = max_pool2d_dx_value(s, idx, dy, b, r, q, c);
                    dx[at] = accumulate ? dx[at] + v : v;
                }
}
