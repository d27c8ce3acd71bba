/* elementwise_ref.c - reference element-wise ops, column copies and clamping. */
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
    for (int r = 0; r < rows; ++r) {
        float *d = dst + (int64_t)r * dst_ld + dst_off;
        const float *s = src + (int64_t)r * src_ld + src_off;
        for (int c = 0; c < cols; ++c) d[c] = accumulate ? d[c] + s[c] : s[c];
    }
}

void clamp_ref(float *y, const float *x, float lo, float hi, size_t n) {
    for (size_t i = 0; i < n; ++i) y[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
}
