/* conv2d.cu - channels-last 2-D convolution on CUDA: im2col / col2im kernels around one cuBLAS
 * GEMM per pass (the CPU backend's lowering, the same per-element rules from conv2d.h):
 * col [B Ho Wo, KH KW Ci] in the caller's workspace, y = col w^T, dcol = dy w, dw += dy^T col;
 * a pointwise convolution skips the lowering. Graph-safe: no allocation, no host sync.
 * cuDNN (as conv1d.cu's variant 3) is not wired for 2-D yet. */
#include "common.cuh"
#include "conv2d.h"
#include "gemm.h"

__global__ void conv2d_im2col_kernel(rise_conv2d_shape s, float *col, const float *x) {
    const int cw = conv2d_col_width(&s);
    const size_t n = (size_t)s.batch * s.h_out * s.w_out * cw;
    RISE_GRID_STRIDE(idx, n) { col[idx] = conv2d_col_value(&s, x, idx / cw, (int)(idx % cw)); }
}

__global__ void conv2d_col2im_kernel(rise_conv2d_shape s, float *dx, const float *dcol,
                                     int accumulate) {
    const size_t n = (size_t)s.batch * s.h_in * s.w_in * s.c_in;
    RISE_GRID_STRIDE(idx, n) {
        const int c = (int)(idx % s.c_in);
        size_t rest = idx / s.c_in;
        const int q = (int)(rest % s.w_in);
        rest /= s.w_in;
        const int r = (int)(rest % s.h_in), b = (int)(rest / s.h_in);
        const float v = conv2d_col2im_value(&s, dcol, b, r, q, c);
        dx[idx] = accumulate ? dx[idx] + v : v;
    }
}

static const float *conv2d_cols_cuda(void *stream, const rise_conv2d_shape *s, const float *x,
                                     void *ws) {
    if (conv2d_is_pointwise(s)) return x;
    RISE_ASSERT(ws != NULL, "conv2d: NULL workspace for a shape that needs %zu floats",
                conv2d_col_floats(s));
    float *col = (float *)ws;
    const size_t n = conv2d_col_floats(s);
    conv2d_im2col_kernel<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(*s, col, x);
    RISE_CUDA_LAUNCHED();
    return col;
}

extern "C" void conv2d_forward_cuda(void *stream, void *cublas, const rise_conv2d_shape *s,
                                    float *y, const float *x, const float *w, const float *bias,
                                    void *ws) {
    conv2d_check("conv2d_forward", s);
    const int m = s->batch * s->h_out * s->w_out, kk = conv2d_col_width(s);
    if (m == 0) return;
    const float *col = conv2d_cols_cuda(stream, s, x, ws);
    gemm_cuda(cublas, 0, 1, m, s->c_out, kk, 1.0f, col, kk, 0, w, kk, 0, 0.0f, y, s->c_out, 0, 1);
    if (bias) bias_add_cuda(stream, y, bias, 1, m, s->c_out);
}

extern "C" void conv2d_backward_data_cuda(void *stream, void *cublas, const rise_conv2d_shape *s,
                                          float *dx, const float *dy, const float *w,
                                          int accumulate, void *ws) {
    conv2d_check("conv2d_backward_data", s);
    const int m = s->batch * s->h_out * s->w_out, kk = conv2d_col_width(s);
    if (m == 0) return;
    if (conv2d_is_pointwise(s)) {
        gemm_cuda(cublas, 0, 0, m, kk, s->c_out, 1.0f, dy, s->c_out, 0, w, kk, 0,
                  accumulate ? 1.0f : 0.0f, dx, kk, 0, 1);
        return;
    }
    RISE_ASSERT(ws != NULL, "conv2d_backward_data: NULL workspace");
    float *dcol = (float *)ws;
    gemm_cuda(cublas, 0, 0, m, kk, s->c_out, 1.0f, dy, s->c_out, 0, w, kk, 0, 0.0f, dcol, kk, 0, 1);
    const size_t n = (size_t)s->batch * s->h_in * s->w_in * s->c_in;
    conv2d_col2im_kernel<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(*s, dx, dcol,
                                                                                 accumulate);
    RISE_CUDA_LAUNCHED();
}

extern "C" void conv2d_backward_weight_cuda(void *stream, void *cublas, const rise_conv2d_shape *s,
                                            float *dw, float *dbias, const float *dy,
                                            const float *x, void *ws) {
    conv2d_check("conv2d_backward_weight", s);
    const int m = s->batch * s->h_out * s->w_out, kk = conv2d_col_width(s);
    if (m == 0) return;
    if (dw) {
        const float *col = conv2d_cols_cuda(stream, s, x, ws);
        gemm_cuda(cublas, 1, 0, s->c_out, kk, m, 1.0f, dy, s->c_out, 0, col, kk, 0, 1.0f, dw, kk, 0,
                  1);
    }
    if (dbias) bias_grad_cuda(stream, dbias, dy, 1, m, s->c_out);
}
