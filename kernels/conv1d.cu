/* conv1d.cu - channels-last 1-D convolution on CUDA: forward, backward-data (also the
 * U-Net's transposed up-sampling), backward-weight + bias.
 * Variants:
 *   1  direct kernels: one thread per output (forward), per input element (backward-data,
 *      a gather over the taps that reach it, so no atomics) and per weight (backward-
 *      weight, a loop over B To). No workspace; the baseline every other variant is
 *      checked against on the device.
 *   2  im2col / col2im kernels around one cuBLAS GEMM per pass (the CPU backend's
 *      lowering): col [B To, K Ci] in the workspace, y = col w^T, dcol = dy w,
 *      dw += dy^T col. A pointwise convolution skips the lowering.
 *   3  cuDNN (built with RISE_WITH_CUDNN): the convolution as a 2-D one with H = 1 in NHWC,
 *      FP32 FMA math (no TF32, to stay within the reference's tolerance), the first
 *      deterministic algorithm of cuDNN's heuristics whose workspace fits
 *      RISE_CUDNN_WS_MAX (kernels/cudnn_conv.h, shared with conv2d); bias added and reduced
 *      by kernels/gemm.cu's epilogues.
 * The dispatcher takes 3 when cuDNN is available and supports the shape, else 2 (which
 * wins until a GPU benchmark says otherwise is to be measured: benchmarks/bench_conv1d).
 * Every variant is graph-safe: descriptors are host objects, the algorithm choice is
 * host-side heuristics (no trial runs), the workspace is the caller's. cuDNN plans
 * (descriptors + algorithms) are cached per (handle, shape), so an eager step pays the
 * heuristics once per shape. */
#include "common.cuh"
#include "conv1d.h"
#include "cudnn_conv.h"
#include "gemm.h"

/* ---- variant 1: direct ---- */

__global__ void conv1d_forward_kernel1(rise_conv1d_shape s, float *y, const float *x,
                                       const float *w, const float *bias) {
    const size_t n = (size_t)s.batch * s.t_out * s.c_out;
    RISE_GRID_STRIDE(idx, n) {
        const int o = (int)(idx % s.c_out);
        const size_t bt = idx / s.c_out;
        const int t = (int)(bt % s.t_out), b = (int)(bt / s.t_out);
        float acc = bias ? bias[o] : 0.0f;
        for (int k = 0; k < s.k; ++k) {
            const int ti = conv1d_src(t, k, s.stride, s.pad);
            if (ti < 0 || ti >= s.t_in) continue;
            const float *xr = x + ((size_t)b * s.t_in + ti) * s.c_in;
            const float *wr = w + ((size_t)o * s.k + k) * s.c_in;
            for (int i = 0; i < s.c_in; ++i) acc = fmaf(wr[i], xr[i], acc);
        }
        y[idx] = acc;
    }
}

__global__ void conv1d_backward_data_kernel1(rise_conv1d_shape s, float *dx, const float *dy,
                                             const float *w, int accumulate) {
    const size_t n = (size_t)s.batch * s.t_in * s.c_in;
    RISE_GRID_STRIDE(idx, n) {
        const int i = (int)(idx % s.c_in);
        const size_t bt = idx / s.c_in;
        const int ti = (int)(bt % s.t_in), b = (int)(bt / s.t_in);
        float acc = 0.0f;
        for (int k = 0; k < s.k; ++k) {
            const int t = conv1d_dst(ti, k, s.stride, s.pad, s.t_out);
            if (t < 0) continue;
            const float *dyr = dy + ((size_t)b * s.t_out + t) * s.c_out;
            for (int o = 0; o < s.c_out; ++o)
                acc = fmaf(dyr[o], w[((size_t)o * s.k + k) * s.c_in + i], acc);
        }
        dx[idx] = accumulate ? dx[idx] + acc : acc;
    }
}

__global__ void conv1d_backward_weight_kernel1(rise_conv1d_shape s, float *dw, const float *dy,
                                               const float *x) {
    const size_t n = (size_t)s.c_out * s.k * s.c_in;
    RISE_GRID_STRIDE(idx, n) {
        const int i = (int)(idx % s.c_in);
        const size_t ok = idx / s.c_in;
        const int k = (int)(ok % s.k), o = (int)(ok / s.k);
        float acc = 0.0f;
        for (int b = 0; b < s.batch; ++b)
            for (int t = 0; t < s.t_out; ++t) {
                const int ti = conv1d_src(t, k, s.stride, s.pad);
                if (ti < 0 || ti >= s.t_in) continue;
                acc = fmaf(dy[((size_t)b * s.t_out + t) * s.c_out + o],
                           x[((size_t)b * s.t_in + ti) * s.c_in + i], acc);
            }
        dw[idx] += acc;
    }
}

/* ---- variant 2: im2col / col2im + cuBLAS ---- */

__global__ void conv1d_im2col_kernel(rise_conv1d_shape s, float *col, const float *x) {
    const size_t kc = (size_t)s.k * s.c_in;
    const size_t n = (size_t)s.batch * s.t_out * kc;
    RISE_GRID_STRIDE(idx, n) {
        const size_t r = idx / kc, e = idx % kc;
        const int k = (int)(e / s.c_in), i = (int)(e % s.c_in);
        const int t = (int)(r % s.t_out), b = (int)(r / s.t_out);
        const int ti = conv1d_src(t, k, s.stride, s.pad);
        col[idx] = (ti < 0 || ti >= s.t_in) ? 0.0f : x[((size_t)b * s.t_in + ti) * s.c_in + i];
    }
}

/* Gather per dx element over the taps that reach it, in k order (as conv1d_col2im_ref). */
__global__ void conv1d_col2im_kernel(rise_conv1d_shape s, float *dx, const float *dcol,
                                     int accumulate) {
    const size_t n = (size_t)s.batch * s.t_in * s.c_in;
    RISE_GRID_STRIDE(idx, n) {
        const int i = (int)(idx % s.c_in);
        const size_t bt = idx / s.c_in;
        const int ti = (int)(bt % s.t_in), b = (int)(bt / s.t_in);
        float acc = accumulate ? dx[idx] : 0.0f;
        for (int k = 0; k < s.k; ++k) {
            const int t = conv1d_dst(ti, k, s.stride, s.pad, s.t_out);
            if (t < 0) continue;
            acc += dcol[(((size_t)b * s.t_out + t) * s.k + k) * s.c_in + i];
        }
        dx[idx] = acc;
    }
}

static const float *conv1d_cols2(void *stream, const rise_conv1d_shape *s, const float *x,
                                 void *ws) {
    if (conv1d_is_pointwise(s)) return x;
    RISE_ASSERT(ws != NULL, "conv1d variant 2: NULL workspace");
    float *col = (float *)ws;
    const size_t n = conv1d_col_floats(s);
    conv1d_im2col_kernel<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(*s, col, x);
    RISE_CUDA_LAUNCHED();
    return col;
}

/* ---- variant 3: cuDNN (kernels/cudnn_conv.h) ---- */

/* The 1-D shape as cuDNN's 2-D one: a 1 x T image. */
static rise_cudnn_conv_shape as_2d(const rise_conv1d_shape *s) {
    const rise_cudnn_conv_shape c = {s->batch, s->c_in, 1, s->t_in,   s->c_out, 1,     s->t_out,
                                     1,        s->k,    1, s->stride, 0,        s->pad};
    return c;
}

/* ---- public entry points ---- */

extern "C" int conv1d_cuda_supports(int variant, const rise_conv1d_shape *s, const void *cudnn) {
    if (!conv1d_shape_ok(s)) return 0;
    if (variant == 1 || variant == 2) return 1;
    if (variant == 3) {
        if (s->batch == 0) return cudnn != NULL;
        const rise_cudnn_conv_shape c = as_2d(s);
        return rise_cudnn_conv_supported((void *)cudnn, &c);
    }
    return 0;
}

extern "C" int conv1d_cuda_pick(const rise_conv1d_shape *s, const void *cudnn) {
    return conv1d_cuda_supports(3, s, cudnn) ? 3 : 2;
}

extern "C" size_t conv1d_cuda_workspace_bytes(int variant, void *cudnn,
                                              const rise_conv1d_shape *s) {
    conv1d_check("conv1d_workspace_bytes", s);
    if (variant == 0) variant = conv1d_cuda_pick(s, cudnn);
    if (variant == 2) return sizeof(float) * conv1d_col_floats(s);
    if (variant == 3 && s->batch > 0) {
        const rise_cudnn_conv_shape c = as_2d(s);
        return rise_cudnn_conv_workspace(cudnn, &c);
    }
    return 0;
}

static int conv1d_resolve(int variant, const rise_conv1d_shape *s, void *cudnn, const char *op) {
    conv1d_check(op, s);
    if (variant == 0) variant = conv1d_cuda_pick(s, cudnn);
    RISE_ASSERT(conv1d_cuda_supports(variant, s, cudnn), "%s: variant %d unsupported here", op,
                variant);
    return variant;
}

extern "C" void conv1d_forward_cuda_variant(int variant, void *stream, void *cublas, void *cudnn,
                                            const rise_conv1d_shape *s, float *y, const float *x,
                                            const float *w, const float *bias, void *ws) {
    variant = conv1d_resolve(variant, s, cudnn, "conv1d_forward");
    if (s->batch == 0) return;
    const int m = s->batch * s->t_out, kk = s->k * s->c_in;
    if (variant == 1) {
        const size_t n = (size_t)m * s->c_out;
        conv1d_forward_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(*s, y, x, w,
                                                                                       bias);
        RISE_CUDA_LAUNCHED();
        return;
    }
    if (variant == 2) {
        const float *col = conv1d_cols2(stream, s, x, ws);
        gemm_cuda(cublas, 0, 1, m, s->c_out, kk, 1.0f, col, kk, 0, w, kk, 0, 0.0f, y, s->c_out, 0,
                  1);
    }
    if (variant == 3) {
        const rise_cudnn_conv_shape c = as_2d(s);
        rise_cudnn_conv_forward(cudnn, &c, y, x, w, ws);
    }
    if (bias) bias_add_cuda(stream, y, bias, 1, m, s->c_out);
}

extern "C" void conv1d_backward_data_cuda_variant(int variant, void *stream, void *cublas,
                                                  void *cudnn, const rise_conv1d_shape *s,
                                                  float *dx, const float *dy, const float *w,
                                                  int accumulate, void *ws) {
    variant = conv1d_resolve(variant, s, cudnn, "conv1d_backward_data");
    if (s->batch == 0) return;
    const int m = s->batch * s->t_out, kk = s->k * s->c_in;
    if (variant == 1) {
        const size_t n = (size_t)s->batch * s->t_in * s->c_in;
        conv1d_backward_data_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(
            *s, dx, dy, w, accumulate);
        RISE_CUDA_LAUNCHED();
        return;
    }
    if (variant == 2) {
        if (conv1d_is_pointwise(s)) {
            gemm_cuda(cublas, 0, 0, m, kk, s->c_out, 1.0f, dy, s->c_out, 0, w, kk, 0,
                      accumulate ? 1.0f : 0.0f, dx, kk, 0, 1);
            return;
        }
        RISE_ASSERT(ws != NULL, "conv1d_backward_data variant 2: NULL workspace");
        float *dcol = (float *)ws;
        gemm_cuda(cublas, 0, 0, m, kk, s->c_out, 1.0f, dy, s->c_out, 0, w, kk, 0, 0.0f, dcol, kk, 0,
                  1);
        const size_t n = (size_t)s->batch * s->t_in * s->c_in;
        conv1d_col2im_kernel<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(*s, dx, dcol,
                                                                                     accumulate);
        RISE_CUDA_LAUNCHED();
        return;
    }
    if (variant == 3) {
        const rise_cudnn_conv_shape c = as_2d(s);
        rise_cudnn_conv_backward_data(cudnn, &c, dx, dy, w, accumulate, ws);
    }
}

extern "C" void conv1d_backward_weight_cuda_variant(int variant, void *stream, void *cublas,
                                                    void *cudnn, const rise_conv1d_shape *s,
                                                    float *dw, float *dbias, const float *dy,
                                                    const float *x, void *ws) {
    variant = conv1d_resolve(variant, s, cudnn, "conv1d_backward_weight");
    if (s->batch == 0) return;
    const int m = s->batch * s->t_out, kk = s->k * s->c_in;
    if (dw && variant == 1) {
        const size_t n = (size_t)s->c_out * kk;
        conv1d_backward_weight_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(
            *s, dw, dy, x);
        RISE_CUDA_LAUNCHED();
    }
    if (dw && variant == 2) {
        const float *col = conv1d_cols2(stream, s, x, ws);
        gemm_cuda(cublas, 1, 0, s->c_out, kk, m, 1.0f, dy, s->c_out, 0, col, kk, 0, 1.0f, dw, kk, 0,
                  1);
    }
    if (dw && variant == 3) {
        const rise_cudnn_conv_shape c = as_2d(s);
        rise_cudnn_conv_backward_filter(cudnn, &c, dw, dy, x, ws);
    }
    if (dbias) bias_grad_cuda(stream, dbias, dy, 1, m, s->c_out);
}
