/* layernorm.cu - LayerNorm over the last dimension.
 * Variants (forward; backward has the same two):
 *   kernel1  one block (256 threads) per row: two passes over the row (mean,
 *            then centred variance), partial sums in double; good for wide rows.
 *   kernel2  one warp per row, 8 rows per block: no shared memory or block
 *            barriers; good for narrow rows (cols <= 1024) and many rows.
 * The dispatcher takes kernel2 for cols <= 1024, kernel1 otherwise.
 * dgamma/dbeta: one thread per column looping over rows (fixed order). */
#include "common.cuh"
#include "layernorm.h"

__device__ __forceinline__ float ln_affine(float xhat, const float *gamma, const float *beta, int c) {
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
    double s = 0.0;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) s += xr[c];
    const double mu = rise_block_sum(s) / cols;
    double q = 0.0;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) q += (xr[c] - mu) * (xr[c] - mu);
    const double rs = 1.0 / sqrt(rise_block_sum(q) / cols + eps);
    for (int c = threadIdx.x; c < cols; c += blockDim.x)
        y[r * cols + c] = ln_affine((float)((xr[c] - mu) * rs), gamma, beta, c);
    if (threadIdx.x == 0) {
        mean[r] = (float)mu;
        rstd[r] = (float)rs;
    }
}

__global__ void layernorm_forward_kernel2(float *y, float *mean, float *rstd, const float *x,
                                          const float *gamma, const float *beta, int rows,
                                          int cols, float eps) {
    const int lane = threadIdx.x & 31;
    const size_t r = (size_t)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (r >= (size_t)rows) return; /* whole warp leaves together: no barrier below */
    const float *xr = x + r * cols;
    double s = 0.0;
    for (int c = lane; c < cols; c += 32) s += xr[c];
    s = rise_warp_sum(s);
    const double mu = __shfl_sync(0xffffffffu, s, 0) / cols;
    double q = 0.0;
    for (int c = lane; c < cols; c += 32) q += (xr[c] - mu) * (xr[c] - mu);
    q = rise_warp_sum(q);
    const double rs = 1.0 / sqrt(__shfl_sync(0xffffffffu, q, 0) / cols + eps);
    for (int c = lane; c < cols; c += 32)
        y[r * cols + c] = ln_affine((float)((xr[c] - mu) * rs), gamma, beta, c);
    if (lane == 0) {
        mean[r] = (float)mu;
        rstd[r] = (float)rs;
    }
}

/* dx = rstd * (g - mean(g) - xhat * mean(g xhat)), g = dy * gamma */
__global__ void layernorm_backward_dx_kernel1(float *dx, const float *dy, const float *x,
                                              const float *mean, const float *rstd,
                                              const float *gamma, int cols, int accumulate) {
    const size_t r = blockIdx.x;
    const float *xr = x + r * cols, *dyr = dy + r * cols;
    const double mu = mean[r], rs = rstd[r];
    double sg = 0.0, sgx = 0.0;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        const double g = dyr[c] * (gamma ? (double)gamma[c] : 1.0);
        sg += g;
        sgx += g * (xr[c] - mu) * rs;
    }
    const double mg = rise_block_sum(sg) / cols;
    const double mgx = rise_block_sum(sgx) / cols;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        const double g = dyr[c] * (gamma ? (double)gamma[c] : 1.0);
        const float v = (float)(rs * (g - mg - (xr[c] - mu) * rs * mgx));
        dx[r * cols + c] = accumulate ? dx[r * cols + c] + v : v;
    }
}

__global__ void layernorm_backward_dx_kernel2(float *dx, const float *dy, const float *x,
                                              const float *mean, const float *rstd,
                                              const float *gamma, int rows, int cols,
                                              int accumulate) {
    const int lane = threadIdx.x & 31;
    const size_t r = (size_t)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (r >= (size_t)rows) return;
    const float *xr = x + r * cols, *dyr = dy + r * cols;
    const double mu = mean[r], rs = rstd[r];
    double sg = 0.0, sgx = 0.0;
    for (int c = lane; c < cols; c += 32) {
        const double g = dyr[c] * (gamma ? (double)gamma[c] : 1.0);
        sg += g;
        sgx += g * (xr[c] - mu) * rs;
    }
    sg = rise_warp_sum(sg);
    sgx = rise_warp_sum(sgx);
    const double mg = __shfl_sync(0xffffffffu, sg, 0) / cols;
    const double mgx = __shfl_sync(0xffffffffu, sgx, 0) / cols;
    for (int c = lane; c < cols; c += 32) {
        const double g = dyr[c] * (gamma ? (double)gamma[c] : 1.0);
        const float v = (float)(rs * (g - mg - (xr[c] - mu) * rs * mgx));
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
    RISE_ASSERT(layernorm_cuda_supports(variant, rows, cols), "layernorm variant %d rows %d cols %d",
                variant, rows, cols);
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
    RISE_ASSERT(layernorm_cuda_supports(variant, rows, cols), "layernorm variant %d rows %d cols %d",
                variant, rows, cols);
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
