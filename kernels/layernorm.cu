/* layernorm.cu - LayerNorm over the last dimension, forward and backward (the op and its
 * rules: kernels/layernorm.h; the argument checks are the reference's).
 * Variants (forward and the backward dx pass come in both):
 *   kernel1  one block (256 threads) per row; block reductions through shared
 *            memory. Keeps a wide row (cols in the thousands) on many threads.
 *   kernel2  one warp per row, 8 rows per block; shuffle reductions only, no
 *            shared memory or block barriers. Better for the narrow rows
 *            (256-1024) of these networks and many rows: a 256-thread block
 *            per 256-wide row would leave most lanes one element each.
 * The dispatchers take kernel2 for cols <= 1024 and kernel1 above (the
 * crossover is where a warp needs more than 32 elements per lane; to be
 * refined by benchmarks/bench_layernorm when a GPU run is available).
 * Statistics are two-pass in float: the mean first, then the centred sum of
 * squares, so no cancellation for rows with a large mean. Against
 * layernorm_ref.c (double) outputs agree to about 1e-6 relative for rows of a
 * few thousand; the tests use atol 2e-5, rtol 2e-5.
 * dgamma/dbeta: layernorm_backward_params_kernel, one thread per column
 * looping over rows in double, the reference's order (deterministic). */
#include "common.cuh"
#include "layernorm.h"

__device__ __forceinline__ float ln_affine(float xhat, const float *gamma, const float *beta,
                                           int c) {
    float v = xhat;
    if (gamma) v *= gamma[c];
    if (beta) v += beta[c];
    return v;
}

__global__ void layernorm_forward_kernel1(float *y, float *mean, float *rstd, const float *x,
                                          const float *gamma, const float *beta, int cols,
                                          float eps) {
    const size_t r = blockIdx.x;
    const float *xr = x + r * cols;
    float s = 0.0f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) s += xr[c];
    const float mu = rise_block_sum(s) / cols;
    float q = 0.0f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        const float d = xr[c] - mu;
        q += d * d;
    }
    const float rs = 1.0f / sqrtf(rise_block_sum(q) / cols + eps);
    for (int c = threadIdx.x; c < cols; c += blockDim.x)
        y[r * cols + c] = ln_affine((xr[c] - mu) * rs, gamma, beta, c);
    if (threadIdx.x == 0) {
        mean[r] = mu;
        rstd[r] = rs;
    }
}

__global__ void layernorm_forward_kernel2(float *y, float *mean, float *rstd, const float *x,
                                          const float *gamma, const float *beta, int rows, int cols,
                                          float eps) {
    const int lane = threadIdx.x & 31;
    const size_t r = (size_t)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (r >= (size_t)rows) return; /* the whole warp leaves together; no block barrier follows */
    const float *xr = x + r * cols;
    float s = 0.0f;
    for (int c = lane; c < cols; c += 32) s += xr[c];
    const float mu = rise_warp_sum(s) / cols;
    float q = 0.0f;
    for (int c = lane; c < cols; c += 32) {
        const float d = xr[c] - mu;
        q += d * d;
    }
    const float rs = 1.0f / sqrtf(rise_warp_sum(q) / cols + eps);
    for (int c = lane; c < cols; c += 32)
        y[r * cols + c] = ln_affine((xr[c] - mu) * rs, gamma, beta, c);
    if (lane == 0) {
        mean[r] = mu;
        rstd[r] = rs;
    }
}

/* dx = rstd * (g - mean(g) - xhat * mean(g xhat)), g = dy * gamma */
__global__ void layernorm_backward_dx_kernel1(float *dx, const float *dy, const float *x,
                                              const float *mean, const float *rstd,
                                              const float *gamma, int cols, int accumulate) {
    const size_t r = blockIdx.x;
    const float *xr = x + r * cols, *dyr = dy + r * cols;
    const float mu = mean[r], rs = rstd[r];
    float sg = 0.0f, sgx = 0.0f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        const float g = gamma ? dyr[c] * gamma[c] : dyr[c];
        sg += g;
        sgx += g * ((xr[c] - mu) * rs);
    }
    const float mg = rise_block_sum(sg) / cols;
    const float mgx = rise_block_sum(sgx) / cols;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        const float g = gamma ? dyr[c] * gamma[c] : dyr[c];
        const float v = rs * (g - mg - (xr[c] - mu) * rs * mgx);
        dx[r * cols + c] = accumulate ? dx[r * cols + c] + v : v;
    }
}

__global__ void layernorm_backward_dx_kernel2(float *dx, const float *dy, const float *x,
                                              const float *mean, const float *rstd,
                                              const float *gamma, int rows, int cols,
                                              int accumulate) {
    const int lane = threadIdx.x & 31;
    const size_t r = (size_t)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (r >= (size_t)rows) return; /* whole warp; no block barrier follows */
    const float *xr = x + r * cols, *dyr = dy + r * cols;
    const float mu = mean[r], rs = rstd[r];
    float sg = 0.0f, sgx = 0.0f;
    for (int c = lane; c < cols; c += 32) {
        const float g = gamma ? dyr[c] * gamma[c] : dyr[c];
        sg += g;
        sgx += g * ((xr[c] - mu) * rs);
    }
    const float mg = rise_warp_sum(sg) / cols;
    const float mgx = rise_warp_sum(sgx) / cols;
    for (int c = lane; c < cols; c += 32) {
        const float g = gamma ? dyr[c] * gamma[c] : dyr[c];
        const float v = rs * (g - mg - (xr[c] - mu) * rs * mgx);
        dx[r * cols + c] = accumulate ? dx[r * cols + c] + v : v;
    }
}

__global__ void layernorm_backward_params_kernel(float *dgamma, float *dbeta, const float *dy,
                                                 const float *x, const float *mean,
                                                 const float *rstd, int rows, int cols) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cols) return;
    double sg = 0.0, sb = 0.0;
    for (int r = 0; r < rows; ++r) {
        const double d = dy[(size_t)r * cols + c];
        sg += d * (x[(size_t)r * cols + c] - mean[r]) * rstd[r];
        sb += d;
    }
    if (dgamma) dgamma[c] += (float)sg;
    if (dbeta) dbeta[c] += (float)sb;
}

extern "C" int layernorm_cuda_supports(int variant, int rows, int cols) {
    return (variant == 1 || variant == 2) && rows >= 0 && cols > 0;
}

static int layernorm_pick(int cols) { return cols <= 1024 ? 2 : 1; }

extern "C" void layernorm_forward_cuda_variant(int variant, void *stream, float *y, float *mean,
                                               float *rstd, const float *x, const float *gamma,
                                               const float *beta, int rows, int cols, float eps) {
    layernorm_check("layernorm_forward", rows, cols);
    layernorm_check_eps(eps);
    RISE_ASSERT(layernorm_cuda_supports(variant, rows, cols),
                "layernorm: variant %d unsupported for rows %d cols %d", variant, rows, cols);
    if (rows == 0) return;
    if (variant == 1)
        layernorm_forward_kernel1<<<rows, 256, 0, RISE_STREAM(stream)>>>(y, mean, rstd, x, gamma,
                                                                         beta, cols, eps);
    else
        layernorm_forward_kernel2<<<(rows + 7) / 8, 256, 0, RISE_STREAM(stream)>>>(
            y, mean, rstd, x, gamma, beta, rows, cols, eps);
    RISE_CUDA_LAUNCHED();
}

extern "C" void layernorm_backward_cuda_variant(int variant, void *stream, float *dx, float *dgamma,
                                                float *dbeta, const float *dy, const float *x,
                                                const float *mean, const float *rstd,
                                                const float *gamma, int rows, int cols,
                                                int accumulate) {
    layernorm_check("layernorm_backward", rows, cols);
    RISE_ASSERT(layernorm_cuda_supports(variant, rows, cols),
                "layernorm: variant %d unsupported for rows %d cols %d", variant, rows, cols);
    if (rows == 0) return;
    if (dx) {
        if (variant == 1)
            layernorm_backward_dx_kernel1<<<rows, 256, 0, RISE_STREAM(stream)>>>(
                dx, dy, x, mean, rstd, gamma, cols, accumulate);
        else
            layernorm_backward_dx_kernel2<<<(rows + 7) / 8, 256, 0, RISE_STREAM(stream)>>>(
                dx, dy, x, mean, rstd, gamma, rows, cols, accumulate);
        RISE_CUDA_LAUNCHED();
    }
    if (dgamma || dbeta) {
        layernorm_backward_params_kernel<<<(cols + 127) / 128, 128, 0, RISE_STREAM(stream)>>>(
            dgamma, dbeta, dy, x, mean, rstd, rows, cols);
        RISE_CUDA_LAUNCHED();
    }
}

extern "C" void layernorm_forward_cuda(void *stream, float *y, float *mean, float *rstd,
                                       const float *x, const float *gamma, const float *beta,
                                       int rows, int cols, float eps) {
    layernorm_forward_cuda_variant(layernorm_pick(cols), stream, y, mean, rstd, x, gamma, beta,
                                   rows, cols, eps);
}

extern "C" void layernorm_backward_cuda(void *stream, float *dx, float *dgamma, float *dbeta,
                                        const float *dy, const float *x, const float *mean,
                                        const float *rstd, const float *gamma, int rows, int cols,
                                        int accumulate) {
    layernorm_backward_cuda_variant(layernorm_pick(cols), stream, dx, dgamma, dbeta, dy, x, mean,
                                    rstd, gamma, rows, cols, accumulate);
}
