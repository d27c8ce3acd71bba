/* conv1d_ref.c - CPU reference for the channels-last 1-D convolution (see conv1d.h).
 *
 * Direct loops with every sum in double: forward sums K Ci taps per output, backward-data
 * gathers per input element over (k, o), backward-weight sums B To terms per weight. The
 * im2col/col2im lowering below is what the CPU backend runs (with OpenBLAS); the tests
 * hold it to these loops. */
#include "conv1d.h"

void conv1d_forward_ref(const rise_conv1d_shape *s, float *y, const float *x, const float *w,
                        const float *bias) {
    conv1d_check("conv1d_forward", s);
    const int Ti = s->t_in, Ci = s->c_in, To = s->t_out, Co = s->c_out, K = s->k;
    for (int b = 0; b < s->batch; ++b)
        for (int t = 0; t < To; ++t)
            for (int o = 0; o < Co; ++o) {
                double acc = bias ? bias[o] : 0.0;
                for (int k = 0; k < K; ++k) {
                    const int ti = conv1d_src(t, k, s->stride, s->pad);
                    if (ti < 0 || ti >= Ti) continue;
                    const float *xr = x + ((int64_t)b * Ti + ti) * Ci;
                    const float *wr = w + ((int64_t)o * K + k) * Ci;
                    for (int i = 0; i < Ci; ++i) acc += (double)wr[i] * xr[i];
                }
                y[((int64_t)b * To + t) * Co + o] = (float)acc;
            }
}

void conv1d_backward_data_ref(const rise_conv1d_shape *s, float *dx, const float *dy,
                              const float *w, int accumulate) {
    conv1d_check("conv1d_backward_data", s);
    const int Ti = s->t_in, Ci = s->c_in, To = s->t_out, Co = s->c_out, K = s->k;
    for (int b = 0; b < s->batch; ++b)
        for (int ti = 0; ti < Ti; ++ti)
            for (int i = 0; i < Ci; ++i) {
                double acc = 0.0;
                for (int k = 0; k < K; ++k) {
                    const int t = conv1d_dst(ti, k, s->stride, s->pad, To);
                    if (t < 0) continue;
                    const float *dyr = dy + ((int64_t)b * To + t) * Co;
                    for (int o = 0; o < Co; ++o)
                        acc += (double)dyr[o] * w[((int64_t)o * K + k) * Ci + i];
                }
                float *dxe = dx + ((int64_t)b * Ti + ti) * Ci + i;
                *dxe = accumulate ? *dxe + (float)acc : (float)acc;
            }
}

void conv1d_backward_weight_ref(const rise_conv1d_shape *s, float *dw, float *dbias,
                                const float *dy, const float *x) {
    conv1d_check("conv1d_backward_weight", s);
    const int Ti = s->t_in, Ci = s->c_in, To = s->t_out, Co = s->c_out, K = s->k;
    for (int o = 0; o < Co; ++o) {
        if (dw)
            for (int k = 0; k < K; ++k)
                for (int i = 0; i < Ci; ++i) {
                    double acc = 0.0;
                    for (int b = 0; b < s->batch; ++b)
                        for (int t = 0; t < To; ++t) {
                            const int ti = conv1d_src(t, k, s->stride, s->pad);
                            if (ti < 0 || ti >= Ti) continue;
                            acc += (double)dy[((int64_t)b * To + t) * Co + o] *
                                   x[((int64_t)b * Ti + ti) * Ci + i];
                        }
                    dw[((int64_t)o * K + k) * Ci + i] += (float)acc;
                }
        if (dbias) {
            double acc = 0.0;
            for (int r = 0; r < s->batch * To; ++r) acc += dy[(int64_t)r * Co + o];
            dbias[o] += (float)acc;
        }
    }
}

void conv1d_im2col_ref(const rise_conv1d_shape *s, float *col, const float *x, size_t row_lo,
                       size_t row_hi) {
    const int Ti = s->t_in, Ci = s->c_in, To = s->t_out, K = s->k;
    for (size_t r = row_lo; r < row_hi; ++r) {
        const int b = (int)(r / (size_t)To), t = (int)(r % (size_t)To);
        float *cr = col + r * (size_t)K * Ci;
        for (int k = 0; k < K; ++k) {
            const int ti = conv1d_src(t, k, s->stride, s->pad);
            float *dst = cr + (size_t)k * Ci;
            if (ti < 0 || ti >= Ti) {
                for (int i = 0; i < Ci; ++i) dst[i] = 0.0f;
                continue;
            }
            const float *src = x + ((int64_t)b * Ti + ti) * Ci;
            for (int i = 0; i < Ci; ++i) dst[i] = src[i];
        }
    }
}

void conv1d_col2im_ref(const rise_conv1d_shape *s, float *dx, const float *dcol, int accumulate,
                       int b_lo, int b_hi) {
    const int Ti = s->t_in, Ci = s->c_in, To = s->t_out, K = s->k;
    for (int b = b_lo; b < b_hi; ++b)
        for (int ti = 0; ti < Ti; ++ti) {
            float *dxr = dx + ((int64_t)b * Ti + ti) * Ci;
            if (!accumulate)
                for (int i = 0; i < Ci; ++i) dxr[i] = 0.0f;
            for (int k = 0; k < K; ++k) {
                const int t = conv1d_dst(ti, k, s->stride, s->pad, To);
                if (t < 0) continue;
                const float *src = dcol + (((int64_t)b * To + t) * K + k) * Ci;
                for (int i = 0; i < Ci; ++i) dxr[i] += src[i];
            }
        }
}
