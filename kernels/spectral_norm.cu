/* spectral_norm.cu - power iteration for sigma_max(W), W [rows, cols] row-major.
 * Variants: kernel1 set, per iteration four launches:
 *   col_matvec   v = W^T u   one thread per column, loops over rows (coalesced)
 *   normalise    x /= |x|    one block; zero vector -> e_0 (as the reference)
 *   row_matvec   u = W v     one warp per row
 *   normalise
 * and one final single-block launch for sigma = u^T W v in a fixed order.
 * Backward: dW += lambda * (squared ? 2 sigma : 1) u v^T, sigma read on device. */
#include "common.cuh"
#include "spectral_norm.h"

__global__ void sn_col_matvec(float *v, const float *w, const float *u, int rows, int cols) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cols) return;
    double acc = 0.0;
    for (int r = 0; r < rows; ++r) acc += (double)w[(size_t)r * cols + c] * u[r];
    v[c] = (float)acc;
}

__global__ void sn_row_matvec(float *u, const float *w, const float *v, int rows, int cols) {
    const int lane = threadIdx.x & 31;
    const int r = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (r >= rows) return;
    double acc = 0.0;
    for (int c = lane; c < cols; c += 32) acc += (double)w[(size_t)r * cols + c] * v[c];
    acc = rise_warp_sum(acc);
    if (lane == 0) u[r] = (float)acc;
}

__global__ void sn_normalise(float *x, int n) {
    double s = 0.0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) s += (double)x[i] * x[i];
    const double norm = sqrt(rise_block_sum(s));
    for (int i = threadIdx.x; i < n; i += blockDim.x)
        x[i] = norm < 1e-30 ? (i == 0 ? 1.0f : 0.0f) : (float)(x[i] / norm);
}

__global__ void sn_sigma(float *sigma, const float *w, const float *u, const float *v, int rows,
                         int cols) {
    double s = 0.0;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    for (int r = warp; r < rows; r += nwarps) {
        double acc = 0.0;
        for (int c = lane; c < cols; c += 32) acc += (double)w[(size_t)r * cols + c] * v[c];
        acc = rise_warp_sum(acc);
        if (lane == 0) s += u[r] * acc;
    }
    s = rise_block_sum(lane == 0 ? s : 0.0);
    if (threadIdx.x == 0) *sigma = (float)s;
}

__global__ void sn_backward(float *dw, const float *sigma, const float *u, const float *v, int rows,
                            int cols, float lambda, int squared) {
    const float k = lambda * (squared ? 2.0f * *sigma : 1.0f);
    const size_t n = (size_t)rows * cols;
    RISE_GRID_STRIDE(i, n) dw[i] += k * u[i / cols] * v[i % cols];
}

extern "C" void spectral_norm_forward_cuda(void *stream, float *sigma, float *u, float *v,
                                           const float *w, int rows, int cols, int iters) {
    RISE_ASSERT(rows > 0 && cols > 0, "spectral norm of a %d x %d matrix", rows, cols);
    cudaStream_t s = RISE_STREAM(stream);
    if (iters < 1) iters = 1;
    for (int it = 0; it < iters; ++it) {
        sn_col_matvec<<<(cols + 127) / 128, 128, 0, s>>>(v, w, u, rows, cols);
        RISE_CUDA_LAUNCHED();
        sn_normalise<<<1, 1024, 0, s>>>(v, cols);
        RISE_CUDA_LAUNCHED();
        sn_row_matvec<<<(rows + 7) / 8, 256, 0, s>>>(u, w, v, rows, cols);
        RISE_CUDA_LAUNCHED();
        sn_normalise<<<1, 1024, 0, s>>>(u, rows);
        RISE_CUDA_LAUNCHED();
    }
    sn_sigma<<<1, 1024, 0, s>>>(sigma, w, u, v, rows, cols);
    RISE_CUDA_LAUNCHED();
}

extern "C" void spectral_norm_backward_cuda(void *stream, float *dw, const float *sigma,
                                            const float *u, const float *v, int rows, int cols,
                                            float lambda, int squared) {
    const size_t n = (size_t)rows * cols;
    if (!n) return;
    sn_backward<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(dw, sigma, u, v, rows, cols,
                                                                       lambda, squared);
    RISE_CUDA_LAUNCHED();
}
