/* elementwise.cu - element-wise arithmetic, column copies, clamping and counter increments
 * (the ops and their rules: kernels/elementwise.h; the argument checks are the
 * reference's). Variants: one grid-stride kernel per op (kernel1); these are bandwidth-bound
 * and launched with 256 threads per block. counters_add is one thread per counter,
 * the increments passed by value so a captured graph holds them. */
#include "common.cuh"
#include "elementwise.h"

__global__ void fill_kernel1(float *y, float value, size_t n) {
    RISE_GRID_STRIDE(i, n) y[i] = value;
}
__global__ void scale_kernel1(float *y, float alpha, size_t n) {
    RISE_GRID_STRIDE(i, n) y[i] *= alpha;
}
__global__ void axpy_kernel1(float *y, float alpha, const float *x, size_t n) {
    RISE_GRID_STRIDE(i, n) y[i] += alpha * x[i];
}
__global__ void add_kernel1(float *y, const float *a, const float *b, size_t n) {
    RISE_GRID_STRIDE(i, n) y[i] = a[i] + b[i];
}
__global__ void mul_kernel1(float *y, const float *a, const float *b, size_t n) {
    RISE_GRID_STRIDE(i, n) y[i] = a[i] * b[i];
}
__global__ void clamp_kernel1(float *y, const float *x, float lo, float hi, size_t n) {
    RISE_GRID_STRIDE(i, n) y[i] = rise_clampf(x[i], lo, hi);
}
typedef struct {
    uint64_t d[RISE_COUNTERS_MAX];
} counters_delta;

__global__ void counters_add_kernel1(uint64_t *ctr, counters_delta delta, int n) {
    const int i = (int)threadIdx.x;
    if (i < n) ctr[i] += delta.d[i];
}
__global__ void copy_cols_kernel1(float *dst, int dst_ld, int dst_off, const float *src, int src_ld,
                                  int src_off, int cols, size_t total, int accumulate) {
    RISE_GRID_STRIDE(i, total) {
        const size_t r = i / cols, c = i % cols;
        float *d = dst + r * dst_ld + dst_off + c;
        const float s = src[r * src_ld + src_off + c];
        *d = accumulate ? *d + s : s;
    }
}

#define LAUNCH(kernel, n, ...)                                                                     \
    do {                                                                                           \
        if (!(n)) return;                                                                          \
        kernel<<<rise_grid_for((n), 256), 256, 0, RISE_STREAM(stream)>>>(__VA_ARGS__);             \
        RISE_CUDA_LAUNCHED();                                                                      \
    } while (0)

extern "C" void fill_cuda(void *stream, float *y, float value, size_t n) {
    LAUNCH(fill_kernel1, n, y, value, n);
}
extern "C" void scale_cuda(void *stream, float *y, float alpha, size_t n) {
    LAUNCH(scale_kernel1, n, y, alpha, n);
}
extern "C" void axpy_cuda(void *stream, float *y, float alpha, const float *x, size_t n) {
    LAUNCH(axpy_kernel1, n, y, alpha, x, n);
}
extern "C" void add_cuda(void *stream, float *y, const float *a, const float *b, size_t n) {
    LAUNCH(add_kernel1, n, y, a, b, n);
}
extern "C" void mul_cuda(void *stream, float *y, const float *a, const float *b, size_t n) {
    LAUNCH(mul_kernel1, n, y, a, b, n);
}
extern "C" void clamp_cuda(void *stream, float *y, const float *x, float lo, float hi, size_t n) {
    clamp_check(lo, hi);
    LAUNCH(clamp_kernel1, n, y, x, lo, hi, n);
}
extern "C" void copy_cols_cuda(void *stream, float *dst, int dst_ld, int dst_off, const float *src,
                               int src_ld, int src_off, int rows, int cols, int accumulate) {
    copy_cols_check(dst_ld, dst_off, src_ld, src_off, rows, cols);
    const size_t total = (size_t)rows * cols;
    LAUNCH(copy_cols_kernel1, total, dst, dst_ld, dst_off, src, src_ld, src_off, cols, total,
           accumulate);
}
extern "C" void counters_add_cuda(void *stream, uint64_t *ctr, const uint64_t *delta, int n) {
    counters_add_check(n);
    if (!n) return;
    counters_delta d = {{0}};
    for (int i = 0; i < n; ++i) d.d[i] = delta[i];
    counters_add_kernel1<<<1, RISE_COUNTERS_MAX, 0, RISE_STREAM(stream)>>>(ctr, d, n);
    RISE_CUDA_LAUNCHED();
}
