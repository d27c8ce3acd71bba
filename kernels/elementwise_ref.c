/* elementwise_ref.c - CPU reference for fill, scale, axpy, add, mul, copy_cols, clamp and
 * counters_add (the ops and their rules: kernels/elementwise.h). */
#include "elementwise.h"

void fill_ref(float *y, float value, size_t n) {
    for (size_t i = 0; i < n; ++i) y[i] = value;
}

void scale_ref(float *y, float alpha, size_t n) {
    for (size_t i = 0; i < n; ++i) y[i] *= alpha;
}

void axpy_ref(float *y, float alpha, const float *x, size_t n) {
    for (size_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

void add_ref(float *y, const float *a, const float *b, size_t n) {
    for (size_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

void mul_ref(float *y, const float *a, const float *b, size_t n) {
    for (size_t i = 0; i < n; ++i) y[i] = a[i] * b[i];
}

void copy_cols_ref(float *dst, int dst_ld, int dst_off, const float *src, int src_ld, int src_off,
                   int rows, int cols, int accumulate) {
    copy_cols_check(dst_ld, dst_off, src_ld, src_off, rows, cols);
    for (int r = 0; r < rows; ++r) {
        float *d = dst + (int64_t)r * dst_ld + dst_off;
        const float *s = src + (int64_t)r * src_ld + src_off;
        if (accumulate)
            for (int c = 0; c < cols; ++c) d[c] += s[c];
        else
            for (int c = 0; c < cols; ++c) d[c] = s[c];
    }
}

void clamp_ref(float *y, const float *x, float lo, float hi, size_t n) {
    clamp_check(lo, hi);
    for (size_t i = 0; i < n; ++i) y[i] = rise_clampf(x[i], lo, hi);
}

void counters_add_ref(uint64_t *ctr, const uint64_t *delta, int n) {
    counters_add_check(n);
    for (int i = 0; i < n; ++i) ctr[i] += delta[i];
}
