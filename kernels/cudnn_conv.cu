/* cudnn_conv.cu - cuDNN's NHWC convolutions shared by conv1d.cu and conv2d.cu (see
 * cudnn_conv.h): descriptors, the deterministic FP32 algorithm choice by heuristics, a plan
 * cache per (handle, shape), and the three passes. */
#include "common.cuh"
#include "cudnn_conv.h"

#include <pthread.h>
#include <string.h>

#ifdef RISE_WITH_CUDNN
#include <cudnn.h>
#endif

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

static int cudnn_conv_make(cudnn_conv *d, const rise_cudnn_conv_shape *s) {
    memset(d, 0, sizeof *d);
    if (cudnnCreateTensorDescriptor(&d->x) != CUDNN_STATUS_SUCCESS ||
        cudnnCreateTensorDescriptor(&d->y) != CUDNN_STATUS_SUCCESS ||
        cudnnCreateFilterDescriptor(&d->w) != CUDNN_STATUS_SUCCESS ||
        cudnnCreateConvolutionDescriptor(&d->c) != CUDNN_STATUS_SUCCESS)
        return 0;
    int on, oc, oh, ow;
    return cudnnSetTensor4dDescriptor(d->x, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, s->n, s->c_in,
                                      s->h_in, s->w_in) == CUDNN_STATUS_SUCCESS &&
           cudnnSetTensor4dDescriptor(d->y, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, s->n, s->c_out,
                                      s->h_out, s->w_out) == CUDNN_STATUS_SUCCESS &&
           cudnnSetFilter4dDescriptor(d->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC, s->c_out, s->c_in,
                                      s->kh, s->kw) == CUDNN_STATUS_SUCCESS &&
           cudnnSetConvolution2dDescriptor(d->c, s->pad_h, s->pad_w, s->stride_h, s->stride_w, 1, 1,
                                           CUDNN_CROSS_CORRELATION,
                                           CUDNN_DATA_FLOAT) == CUDNN_STATUS_SUCCESS &&
           cudnnSetConvolutionMathType(d->c, CUDNN_FMA_MATH) == CUDNN_STATUS_SUCCESS &&
           cudnnGetConvolution2dForwardOutputDim(d->c, d->x, d->w, &on, &oc, &oh, &ow) ==
               CUDNN_STATUS_SUCCESS &&
           on == s->n && oc == s->c_out && oh == s->h_out && ow == s->w_out;
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

/* The first of cuDNN's ranked answers (forward, backward data or backward filter) that is
 * deterministic FP32 within the workspace cap: its algorithm, and ws raised to its memory. */
template <typename Perf, typename Algo>
static int first_usable(const Perf *p, int n, Algo *algo, size_t *ws) {
    for (int i = 0; i < n; ++i)
        if (p[i].status == CUDNN_STATUS_SUCCESS && p[i].determinism == CUDNN_DETERMINISTIC &&
            fp32_math(p[i].mathType) && p[i].memory <= RISE_CUDNN_WS_MAX) {
            *algo = p[i].algo;
            if (p[i].memory > *ws) *ws = p[i].memory;
            return 1;
        }
    return 0;
}

static int cudnn_pick(cudnnHandle_t h, const cudnn_conv *d, cudnn_algos *a) {
    int n = 0;
    a->ws = 0;
    cudnnConvolutionFwdAlgoPerf_t pf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    if (cudnnGetConvolutionForwardAlgorithm_v7(h, d->x, d->w, d->c, d->y,
                                               CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n,
                                               pf) != CUDNN_STATUS_SUCCESS ||
        !first_usable(pf, n, &a->fwd, &a->ws))
        return 0;
    cudnnConvolutionBwdDataAlgoPerf_t pd[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    if (cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d->w, d->y, d->c, d->x,
                                                    CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n,
                                                    pd) != CUDNN_STATUS_SUCCESS ||
        !first_usable(pd, n, &a->bwd_data, &a->ws))
        return 0;
    cudnnConvolutionBwdFilterAlgoPerf_t pw[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    return cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d->x, d->y, d->c, d->w,
                                                         CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
                                                         &n, pw) == CUDNN_STATUS_SUCCESS &&
           first_usable(pw, n, &a->bwd_filter, &a->ws);
}

/* Descriptors and algorithms per (handle, shape), cached: a plan costs three heuristic
 * queries (host work only), and an eager step would otherwise pay them for every
 * convolution. The cache never evicts (a run has a few dozen shapes); past
 * RISE_CUDNN_PLAN_CACHE entries a plan is built into the caller's storage and freed after
 * use. Negative answers (cuDNN cannot run the shape) are cached too. */
#define RISE_CUDNN_PLAN_CACHE 256

typedef struct {
    void *handle;
    rise_cudnn_conv_shape s;
    int ok;
    cudnn_conv d;
    cudnn_algos a;
} cudnn_plan_entry;

static cudnn_plan_entry plan_cache[RISE_CUDNN_PLAN_CACHE];
static int plan_count;
static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER;

static int same_shape(const rise_cudnn_conv_shape *a, const rise_cudnn_conv_shape *b) {
    return !memcmp(a, b, sizeof *a);
}

static int plan_build(void *cudnn, const rise_cudnn_conv_shape *s, cudnn_conv *d, cudnn_algos *a) {
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
static const cudnn_plan_entry *cudnn_plan(void *cudnn, const rise_cudnn_conv_shape *s,
                                          cudnn_plan_entry *tmp, int *owned) {
    *owned = 0;
    if (!cudnn || s->n < 1) return NULL;
    pthread_mutex_lock(&plan_lock);
    for (int i = 0; i < plan_count; ++i)
        if (plan_cache[i].handle == cudnn && same_shape(&plan_cache[i].s, s)) {
            const cudnn_plan_entry *e = &plan_cache[i];
            pthread_mutex_unlock(&plan_lock);
            return e->ok ? e : NULL;
        }
    cudnn_plan_entry *e = plan_count < RISE_CUDNN_PLAN_CACHE ? &plan_cache[plan_count] : tmp;
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

extern "C" void *rise_cudnn_create(void *stream) {
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

extern "C" void rise_cudnn_destroy(void *cudnn) {
#ifdef RISE_WITH_CUDNN
    if (!cudnn) return;
    cudnn_plans_forget(cudnn);
    cudnnDestroy((cudnnHandle_t)cudnn);
#endif
}

extern "C" int rise_cudnn_conv_supported(void *cudnn, const rise_cudnn_conv_shape *s) {
#ifdef RISE_WITH_CUDNN
    cudnn_plan_entry tmp;
    int owned;
    const int ok = cudnn_plan(cudnn, s, &tmp, &owned) != NULL;
    cudnn_plan_release(&tmp, owned);
    return ok;
#else
    (void)cudnn, (void)s;
    return 0;
#endif
}

extern "C" size_t rise_cudnn_conv_workspace(void *cudnn, const rise_cudnn_conv_shape *s) {
#ifdef RISE_WITH_CUDNN
    cudnn_plan_entry tmp;
    int owned;
    const cudnn_plan_entry *e = cudnn_plan(cudnn, s, &tmp, &owned);
    const size_t ws = e ? e->a.ws : 0;
    cudnn_plan_release(&tmp, owned);
    return ws;
#else
    (void)cudnn, (void)s;
    return 0;
#endif
}

#ifdef RISE_WITH_CUDNN
/* The plan of a shape the caller checked with rise_cudnn_conv_supported. */
static const cudnn_plan_entry *plan_or_die(void *cudnn, const rise_cudnn_conv_shape *s,
                                           cudnn_plan_entry *tmp, int *owned, const char *op) {
    const cudnn_plan_entry *e = cudnn_plan(cudnn, s, tmp, owned);
    RISE_ASSERT(e, "%s: cuDNN has no plan for n=%d %dx%dx%d -> %dx%dx%d kernel %dx%d", op, s->n,
                s->h_in, s->w_in, s->c_in, s->h_out, s->w_out, s->c_out, s->kh, s->kw);
    return e;
}
#endif

extern "C" void rise_cudnn_conv_forward(void *cudnn, const rise_cudnn_conv_shape *s, float *y,
                                        const float *x, const float *w, void *ws) {
#ifdef RISE_WITH_CUDNN
    cudnn_plan_entry tmp;
    int owned;
    const cudnn_plan_entry *e = plan_or_die(cudnn, s, &tmp, &owned, "cudnn_conv_forward");
    const float one = 1.0f, zero = 0.0f;
    RISE_CUDNN_CHECK(cudnnConvolutionForward((cudnnHandle_t)cudnn, &one, e->d.x, x, e->d.w, w,
                                             e->d.c, e->a.fwd, ws, e->a.ws, &zero, e->d.y, y));
    cudnn_plan_release(&tmp, owned);
#else
    (void)y, (void)x, (void)w, (void)ws;
    RISE_ASSERT(0, "cudnn_conv_forward: built without cuDNN (n=%d)", s->n);
#endif
}

extern "C" void rise_cudnn_conv_backward_data(void *cudnn, const rise_cudnn_conv_shape *s,
                                              float *dx, const float *dy, const float *w,
                                              int accumulate, void *ws) {
#ifdef RISE_WITH_CUDNN
    cudnn_plan_entry tmp;
    int owned;
    const cudnn_plan_entry *e = plan_or_die(cudnn, s, &tmp, &owned, "cudnn_conv_backward_data");
    const float one = 1.0f, beta = accumulate ? 1.0f : 0.0f;
    RISE_CUDNN_CHECK(cudnnConvolutionBackwardData((cudnnHandle_t)cudnn, &one, e->d.w, w, e->d.y, dy,
                                                  e->d.c, e->a.bwd_data, ws, e->a.ws, &beta, e->d.x,
                                                  dx));
    cudnn_plan_release(&tmp, owned);
#else
    (void)dx, (void)dy, (void)w, (void)accumulate, (void)ws;
    RISE_ASSERT(0, "cudnn_conv_backward_data: built without cuDNN (n=%d)", s->n);
#endif
}

extern "C" void rise_cudnn_conv_backward_filter(void *cudnn, const rise_cudnn_conv_shape *s,
                                                float *dw, const float *dy, const float *x,
                                                void *ws) {
#ifdef RISE_WITH_CUDNN
    cudnn_plan_entry tmp;
    int owned;
    const cudnn_plan_entry *e = plan_or_die(cudnn, s, &tmp, &owned, "cudnn_conv_backward_filter");
    const float one = 1.0f;
    RISE_CUDNN_CHECK(cudnnConvolutionBackwardFilter((cudnnHandle_t)cudnn, &one, e->d.x, x, e->d.y,
                                                    dy, e->d.c, e->a.bwd_filter, ws, e->a.ws, &one,
                                                    e->d.w, dw));
    cudnn_plan_release(&tmp, owned);
#else
    (void)dw, (void)dy, (void)x, (void)ws;
    RISE_ASSERT(0, "cudnn_conv_backward_filter: built without cuDNN (n=%d)", s->n);
#endif
}
