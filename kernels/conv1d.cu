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
 *      CONV1D_CUDNN_WS_MAX; bias added and reduced by kernels/gemm.cu's epilogues.
 * The dispatcher takes 3 when cuDNN is available and supports the shape, else 2 (which
 * wins until a GPU benchmark says otherwise is to be measured: benchmarks/bench_conv1d).
 * Every variant is graph-safe: descriptors are host objects, the algorithm choice is
 * host-side heuristics (no trial runs), the workspace is the caller's. cuDNN plans
 * (descriptors + algorithms) are cached per (handle, shape), so an eager step pays the
 * heuristics once per shape. */
#include "common.cuh"
#include "conv1d.h"
#include "gemm.h"

#include <pthread.h>
#include <string.h>

#ifdef RISE_WITH_CUDNN
#include <cudnn.h>
#endif

#define CONV1D_CUDNN_WS_MAX ((size_t)64 << 20)

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

/* ---- variant 3: cuDNN ---- */

#ifdef RISE_WITH_CUDNN
static void rise_cudnn_check_at(cudnnStatus_t st, const char *what, const char *file, int line) {
    if (st == CUDNN_STATUS_SUCCESS) return;
    if (st == CUDNN_STATUS_BAD_PARAM || st == CUDNN_STATUS_NOT_SUPPORTED)
        rise_fatal(file, line, "%s: %s", what, cudnnGetErrorString(st));
    rise_cuda_park_error(file, line, what, cudnnGetErrorString(st));
}
#define RISE_CUDNN_CHECK(expr) rise_cudnn_check_at((expr), #expr, __FILE__, __LINE__)

typedef struct {
    cudnnTensorDescriptor_t x, y;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t c;
} cudnn_conv;

static int cudnn_conv_make(cudnn_conv *d, const rise_conv1d_shape *s) {
    memset(d, 0, sizeof *d);
    if (cudnnCreateTensorDescriptor(&d->x) != CUDNN_STATUS_SUCCESS ||
        cudnnCreateTensorDescriptor(&d->y) != CUDNN_STATUS_SUCCESS ||
        cudnnCreateFilterDescriptor(&d->w) != CUDNN_STATUS_SUCCESS ||
        cudnnCreateConvolutionDescriptor(&d->c) != CUDNN_STATUS_SUCCESS)
        return 0;
    return cudnnSetTensor4dDescriptor(d->x, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, s->batch, s->c_in,
                                      1, s->t_in) == CUDNN_STATUS_SUCCESS &&
           cudnnSetTensor4dDescriptor(d->y, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, s->batch, s->c_out,
                                      1, s->t_out) == CUDNN_STATUS_SUCCESS &&
           cudnnSetFilter4dDescriptor(d->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC, s->c_out, s->c_in,
                                      1, s->k) == CUDNN_STATUS_SUCCESS &&
           cudnnSetConvolution2dDescriptor(d->c, 0, s->pad, 1, s->stride, 1, 1,
                                           CUDNN_CROSS_CORRELATION,
                                           CUDNN_DATA_FLOAT) == CUDNN_STATUS_SUCCESS &&
           cudnnSetConvolutionMathType(d->c, CUDNN_FMA_MATH) == CUDNN_STATUS_SUCCESS;
}

static void cudnn_conv_free(cudnn_conv *d) {
    if (d->x) cudnnDestroyTensorDescriptor(d->x);
    if (d->y) cudnnDestroyTensorDescriptor(d->y);
    if (d->w) cudnnDestroyFilterDescriptor(d->w);
    if (d->c) cudnnDestroyConvolutionDescriptor(d->c);
}

static int fp32_math(cudnnMathType_t m) { return m == CUDNN_DEFAULT_MATH || m == CUDNN_FMA_MATH; }

/* The three algorithms for a shape (heuristics only: no device work); 0 when cuDNN offers
 * no deterministic FP32 algorithm within the workspace cap for one of the passes. */
typedef struct {
    cudnnConvolutionFwdAlgo_t fwd;
    cudnnConvolutionBwdDataAlgo_t bwd_data;
    cudnnConvolutionBwdFilterAlgo_t bwd_filter;
    size_t ws;
} cudnn_algos;

static int cudnn_pick(cudnnHandle_t h, const cudnn_conv *d, cudnn_algos *a) {
    int n = 0, found = 0;
    a->ws = 0;
    cudnnConvolutionFwdAlgoPerf_t pf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    if (cudnnGetConvolutionForwardAlgorithm_v7(h, d->x, d->w, d->c, d->y,
                                               CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n,
                                               pf) != CUDNN_STATUS_SUCCESS)
        return 0;
    for (int i = 0; i < n && !found; ++i)
        if (pf[i].status == CUDNN_STATUS_SUCCESS && pf[i].determinism == CUDNN_DETERMINISTIC &&
            fp32_math(pf[i].mathType) && pf[i].memory <= CONV1D_CUDNN_WS_MAX) {
            a->fwd = pf[i].algo;
            if (pf[i].memory > a->ws) a->ws = pf[i].memory;
            found = 1;
        }
    if (!found) return 0;
    found = 0;
    cudnnConvolutionBwdDataAlgoPerf_t pd[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    if (cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d->w, d->y, d->c, d->x,
                                                    CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n,
                                                    pd) != CUDNN_STATUS_SUCCESS)
        return 0;
    for (int i = 0; i < n && !found; ++i)
        if (pd[i].status == CUDNN_STATUS_SUCCESS && pd[i].determinism == CUDNN_DETERMINISTIC &&
            fp32_math(pd[i].mathType) && pd[i].memory <= CONV1D_CUDNN_WS_MAX) {
            a->bwd_data = pd[i].algo;
            if (pd[i].memory > a->ws) a->ws = pd[i].memory;
            found = 1;
        }
    if (!found) return 0;
    found = 0;
    cudnnConvolutionBwdFilterAlgoPerf_t pw[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    if (cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d->x, d->y, d->c, d->w,
                                                      CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &n,
                                                      pw) != CUDNN_STATUS_SUCCESS)
        return 0;
    for (int i = 0; i < n && !found; ++i)
        if (pw[i].status == CUDNN_STATUS_SUCCESS && pw[i].determinism == CUDNN_DETERMINISTIC &&
            fp32_math(pw[i].mathType) && pw[i].memory <= CONV1D_CUDNN_WS_MAX) {
            a->bwd_filter = pw[i].algo;
            if (pw[i].memory > a->ws) a->ws = pw[i].memory;
            found = 1;
        }
    return found;
}

/* Descriptors and algorithms per (handle, shape), cached: a plan costs three heuristic
 * queries (host work only), and an eager step would otherwise pay them for every
 * convolution. The cache never evicts (a run has a few dozen shapes); past
 * CONV1D_PLAN_CACHE entries a plan is built into the caller's storage and freed after
 * use. Negative answers (cuDNN cannot run the shape) are cached too. */
#define CONV1D_PLAN_CACHE 256

typedef struct {
    void *handle;
    rise_conv1d_shape s;
    int ok;
    cudnn_conv d;
    cudnn_algos a;
} cudnn_plan_entry;

static cudnn_plan_entry plan_cache[CONV1D_PLAN_CACHE];
static int plan_count;
static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER;

static int same_shape(const rise_conv1d_shape *a, const rise_conv1d_shape *b) {
    return a->batch == b->batch && a->t_in == b->t_in && a->c_in == b->c_in &&
           a->t_out == b->t_out && a->c_out == b->c_out && a->k == b->k && a->stride == b->stride &&
           a->pad == b->pad;
}

static int plan_build(void *cudnn, const rise_conv1d_shape *s, cudnn_conv *d, cudnn_algos *a) {
    if (!cudnn_conv_make(d, s)) {
        cudnn_conv_free(d);
        return 0;
    }
    if (!cudnn_pick((cudnnHandle_t)cudnn, d, a)) {
        cudnn_conv_free(d);
        return 0;
    }
    return 1;
}

/* The plan of a shape, or NULL when cuDNN cannot run it. *tmp is used (and *owned set)
 * when the cache is full; the caller then frees tmp->d. */
static const cudnn_plan_entry *cudnn_plan(void *cudnn, const rise_conv1d_shape *s,
                                          cudnn_plan_entry *tmp, int *owned) {
    *owned = 0;
    if (!cudnn || s->batch < 1) return NULL;
    pthread_mutex_lock(&plan_lock);
    for (int i = 0; i < plan_count; ++i)
        if (plan_cache[i].handle == cudnn && same_shape(&plan_cache[i].s, s)) {
            const cudnn_plan_entry *e = &plan_cache[i];
            pthread_mutex_unlock(&plan_lock);
            return e->ok ? e : NULL;
        }
    cudnn_plan_entry *e = plan_count < CONV1D_PLAN_CACHE ? &plan_cache[plan_count] : tmp;
    memset(e, 0, sizeof *e);
    e->handle = cudnn;
    e->s = *s;
    e->ok = plan_build(cudnn, s, &e->d, &e->a);
    if (e == tmp)
        *owned = e->ok;
    else
        ++plan_count;
    pthread_mutex_unlock(&plan_lock);
    return e->ok ? e : NULL;
}

static void cudnn_plan_release(cudnn_plan_entry *tmp, int owned) {
    if (owned) cudnn_conv_free(&tmp->d);
}

/* Drops the plans of a handle being destroyed (entries after it move down). */
static void cudnn_plans_forget(void *cudnn) {
    pthread_mutex_lock(&plan_lock);
    int j = 0;
    for (int i = 0; i < plan_count; ++i) {
        if (plan_cache[i].handle == cudnn) {
            if (plan_cache[i].ok) cudnn_conv_free(&plan_cache[i].d);
            continue;
        }
        plan_cache[j++] = plan_cache[i];
    }
    plan_count = j;
    pthread_mutex_unlock(&plan_lock);
}
#endif

/* ---- public entry points ---- */

extern "C" void *conv1d_cudnn_create(void *stream) {
#ifdef RISE_WITH_CUDNN
    cudnnHandle_t h = NULL;
    if (cudnnCreate(&h) != CUDNN_STATUS_SUCCESS) return NULL;
    if (cudnnSetStream(h, RISE_STREAM(stream)) != CUDNN_STATUS_SUCCESS) {
        cudnnDestroy(h);
        return NULL;
    }
    return (void *)h;
#else
    return NULL;
#endif
}

extern "C" void conv1d_cudnn_destroy(void *cudnn) {
#ifdef RISE_WITH_CUDNN
    if (!cudnn) return;
    cudnn_plans_forget(cudnn);
    cudnnDestroy((cudnnHandle_t)cudnn);
#endif
}

extern "C" int conv1d_cuda_supports(int variant, const rise_conv1d_shape *s, const void *cudnn) {
    if (!conv1d_shape_ok(s)) return 0;
    if (variant == 1 || variant == 2) return 1;
#ifdef RISE_WITH_CUDNN
    if (variant == 3) {
        if (s->batch == 0) return cudnn != NULL;
        cudnn_plan_entry tmp;
        int owned;
        const int ok = cudnn_plan((void *)cudnn, s, &tmp, &owned) != NULL;
        cudnn_plan_release(&tmp, owned);
        return ok;
    }
#endif
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
#ifdef RISE_WITH_CUDNN
    if (variant == 3 && s->batch > 0) {
        cudnn_plan_entry tmp;
        int owned;
        const cudnn_plan_entry *e = cudnn_plan(cudnn, s, &tmp, &owned);
        const size_t ws = e ? e->a.ws : 0;
        cudnn_plan_release(&tmp, owned);
        return ws;
    }
#endif
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
#ifdef RISE_WITH_CUDNN
    if (variant == 3) {
        cudnn_plan_entry tmp;
        int owned;
        const cudnn_plan_entry *e = cudnn_plan(cudnn, s, &tmp, &owned);
        const float one = 1.0f, zero = 0.0f;
        RISE_CUDNN_CHECK(cudnnConvolutionForward((cudnnHandle_t)cudnn, &one, e->d.x, x, e->d.w, w,
                                                 e->d.c, e->a.fwd, ws, e->a.ws, &zero, e->d.y, y));
        cudnn_plan_release(&tmp, owned);
    }
#endif
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
#ifdef RISE_WITH_CUDNN
    if (variant == 3) {
        cudnn_plan_entry tmp;
        int owned;
        const cudnn_plan_entry *e = cudnn_plan(cudnn, s, &tmp, &owned);
        const float one = 1.0f, beta = accumulate ? 1.0f : 0.0f;
        RISE_CUDNN_CHECK(cudnnConvolutionBackwardData((cudnnHandle_t)cudnn, &one, e->d.w, w, e->d.y,
                                                      dy, e->d.c, e->a.bwd_data, ws, e->a.ws, &beta,
                                                      e->d.x, dx));
        cudnn_plan_release(&tmp, owned);
    }
#endif
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
#ifdef RISE_WITH_CUDNN
    if (dw && variant == 3) {
        cudnn_plan_entry tmp;
        int owned;
        const cudnn_plan_entry *e = cudnn_plan(cudnn, s, &tmp, &owned);
        const float one = 1.0f;
        RISE_CUDNN_CHECK(cudnnConvolutionBackwardFilter((cudnnHandle_t)cudnn, &one, e->d.x, x,
                                                        e->d.y, dy, e->d.c, e->a.bwd_filter, ws,
                                                        e->a.ws, &one, e->d.w, dw));
        cudnn_plan_release(&tmp, owned);
    }
#endif
    if (dbias) bias_grad_cuda(stream, dbias, dy, 1, m, s->c_out);
}
