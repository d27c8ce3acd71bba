/* elementwise_ref.c - CPU reference for fill, scale, axpy, add, mul, copy_cols,
 * clamp and counters_add. In-place use (y aliasing an input) is allowed everywhere. clamp
 * passes NaN through unchanged so divergence stays visible downstream. */
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
    RISE_ASSERT(rows >= 0 && cols >= 0, "copy_cols: negative shape rows=%d cols=%d", rows, cols);
    RISE_ASSERT(dst_off >= 0 && dst_off + cols <= dst_ld,
                "copy_cols: destination columns [%d, %d) outside row length %d", dst_off,
                dst_off + cols, dst_ld);
    RISE_ASSERT(src_off >= 0 && src_off + cols <= src_ld,
                "copy_cols: source columns [%d, %d) outside row length %d", src_off, src_off + cols,
                src_ld);
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
    RISE_ASSERT(lo <= hi, "clamp: lo=%g greater than hi=%g", (double)lo, (double)hi);
    for (size_t i = 0; i < n; ++i) {
        const float v = x[i];
        y[i] = v < lo ? lo : (v > hi ? hi : v);
    }
}

void counters_add_ref(uint64_t *ctr, const uint64_t *delta, int n) {
    RISE_ASSERT(n >= 0 && n <= RISE_COUNTERS_MAX, "counters_add: n=%d outside [0, %d]", n,
                RISE_COUNTERS_MAX);
    for (int i = 0; i < n; ++i) ctr[i] += delta[i];
}
