/* conv2d.cu - channels-last 2-D convolution on CUDA. Variants:
 *   2  im2col / col2im kernels around one cuBLAS GEMM per pass (the CPU backend's lowering,
 *      the same per-element rules from conv2d.h): col [B Ho Wo, KH KW Ci] in the caller's
 *      workspace, y = col w^T, dcol = dy w, dw += dy^T col; a pointwise convolution skips the
 *      lowering.
 *   3  cuDNN (kernels/cudnn_conv.h, shared with conv1d's variant 3): rise's NHWC activations
 *      and [Co, KH, KW, Ci] filters are cuDNN's NHWC layouts as they are; FP32 FMA math,
 *      deterministic algorithms; bias by kernels/gemm.cu's epilogues.
 * The dispatcher (variant 0) takes 3 when cuDNN has a plan for the shape, else 2. Both are
 * graph-safe: no allocation, no host sync, the workspace is the caller's. */
#include "common.cuh"
#include "conv2d.h"
#include "cudnn_conv.h"
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

static rise_cudnn_conv_shape as_cudnn(const rise_conv2d_shape *s) {
    const rise_cudnn_conv_shape c = {s->batch,  s->c_in,  s->h_in, s->w_in, s->c_out,
                                     s->h_out,  s->w_out, s->kh,   s->kw,   s->stride,
                                     s->stride, s->pad,   s->pad};
    return c;
}

extern "C" int conv2d_cuda_supports(int variant, const rise_conv2d_shape *s, void *cudnn) {
    if (!conv2d_shape_ok(s)) return 0;
    if (variant == 2) return 1;
    if (variant == 3) {
        if (s->batch == 0) return cudnn != NULL;
        const rise_cudnn_conv_shape c = as_cudnn(s);
        return rise_cudnn_conv_supported(cudnn, &c);
    }
    return 0;
}

extern "C" int conv2d_cuda_pick(const rise_conv2d_shape *s, void *cudnn) {
    return conv2d_cuda_supports(3, s, cudnn) ? 3 : 2;
}

extern "C" size_t conv2d_cuda_workspace_bytes(int variant, void *cudnn,
                                              const rise_conv2d_shape *s) {
    conv2d_check("conv2d_workspace_bytes", s);
    if (variant == 0) variant = conv2d_cuda_pick(s, cudnn);
    if (variant == 2) return sizeof(float) * conv2d_col_floats(s);
    if (variant == 3 && s->batch > 0) {
        const rise_cudnn_conv_shape c = as_cudnn(s);
        return rise_cudnn_conv_workspace(cudnn, &c);
    }
    return 0;
}

static int conv2d_resolve(int variant, const rise_conv2d_shape *s, void *cudnn, const char *op) {
    conv2d_check(op, s);
    if (variant == 0) variant = conv2d_cuda_pick(s, cudnn);
    RISE_ASSERT(conv2d_cuda_supports(variant, s, cudnn), "%s: variant %d unsupported here", op,
                variant);
    return variant;
}

extern "C" void conv2d_forward_cuda(int variant, void *stream, void *cublas, void *cudnn,
                                    const rise_conv2d_shape *s, float *y, const float *x,
                                    const float *w, const float *bias, void *ws) {
    variant = conv2d_resolve(variant, s, cudnn, "conv2d_forward");
    const int m = s->batch * s->h_out * s->w_out, kk = conv2d_col_width(s);
    if (m == 0) return;
    if (variant == 3) {
        const rise_cudnn_conv_shape c = as_cudnn(s);
        rise_cudnn_conv_forward(cudnn, &c, y, x, w, ws);
    } else {
        const float *col = conv2d_cols_cuda(stream, s, x, ws);
        gemm_cuda(cublas, 0, 1, m, s->c_out, kk, 1.0f, col, kk, 0, w, kk, 0, 0.0f, y, s->c_out, 0,
                  1);
    }
    if (bias) bias_add_cuda(stream, y, bias, 1, m, s->c_out);
}

extern "C" void conv2d_backward_data_cuda(int variant, void *stream, void *cublas, void *cudnn,
                                          const rise_conv2d_shape *s, float *dx, const float *dy,
                                          const float *w, int accumulate, void *ws) {
    variant = conv2d_resolve(variant, s, cudnn, "conv2d_backward_data");
    const int m = s->batch * s->h_out * s->w_out, kk = conv2d_col_width(s);
    if (m == 0) return;
    if (variant == 3) {
        const rise_cudnn_conv_shape c = as_cudnn(s);
        rise_cudnn_conv_backward_data(cudnn, &c, dx, dy, w, accumulate, ws);
        return;
    }
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

extern "C" void conv2d_backward_weight_cuda(int variant, void *stream, void *cublas, void *cudnn,
                                            const rise_conv2d_shape *s, float *dw, float *dbias,
                                            const float *dy, const float *x, void *ws) {
    variant = conv2d_resolve(variant, s, cudnn, "conv2d_backward_weight");
    const int m = s->batch * s->h_out * s->w_out, kk = conv2d_col_width(s);
    if (m == 0) return;
    if (dw && variant == 3) {
        const rise_cudnn_conv_shape c = as_cudnn(s);
        rise_cudnn_conv_backward_filter(cudnn, &c, dw, dy, x, ws);
    } else if (dw) {
        const float *col = conv2d_cols_cuda(stream, s, x, ws);
        gemm_cuda(cublas, 1, 0, s->c_out, kk, m, 1.0f, dy, s->c_out, 0, col, kk, 0, 1.0f, dw, kk, 0,
                  1);
    }
    if (dbias) bias_grad_cuda(stream, dbias, dy, 1, m, s->c_out);
}
