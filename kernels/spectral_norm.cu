/* spectral_norm.cu - power iteration for sigma_max(W), W [rows, cols] row-major.
 * Variants of the forward pass (spectral_norm_forward_cuda_variant):
 *   1  GEMV kernels, five launches per iteration set (a fixed iteration count:
 *      tol 0 only, since stopping early would need the host):
 *        sn_col_matvec  v = W^T u   one thread per column, loops over rows
 *                                   (coalesced across columns, reference order)
 *        sn_normalise   x /= |x|    one block (normalise() of spectral_norm.h)
 *        sn_row_matvec  u = W v     one warp per row
 *        sn_normalise
 *      and one sn_sigma launch (sigma = u^T W v, fixed order). Spreads W over
 *      the whole GPU: for big matrices.
 *   2  sn_fused_kernel: all iterations and sigma in ONE single-block launch
 *      (the same four steps separated by block barriers, u and v kept in
 *      global memory, which a barrier makes visible to the block). For the
 *      small layers of these networks launch latency dominates, and one launch
 *      also keeps a CUDA graph short. With tol > 0 the block stops after the
 *      first iteration whose u moved by at most tol (sn_converged, the
 *      reference's rule; every thread sees the same block sums, so the whole
 *      block leaves the loop together).
 *   spectral_norm_forward_cuda takes 2 up to 256k weights (a 512 x 512 layer)
 *   and whenever tol > 0, and 1 above (a guess from launch cost vs one SM's bandwidth; to be set by
 *   benchmarks/bench_spectral_norm on a GPU).
 * Sums are in double; v = W^T u accumulates in the reference's order, the
 * rest in a fixed tree order, so results match spectral_norm_ref.c to float
 * rounding (tests: rtol 1e-5). The per-element rules (normalise or fall back,
 * the gradient element) and the argument checks are spectral_norm.h's, shared
 * with the reference.
 * Backward: sn_backward, one thread per element of dW, the coefficient from sigma
 * read on the device (no host sync). */
#include "common.cuh"
#include "spectral_norm.h"

/* v[c] = sum_r W[r, c] u[r] for the columns this thread owns. */
__device__ __forceinline__ void sn_col_matvec_part(float *v, const float *w, const float *u,
                                                   int rows, int cols, int c0, int step) {
    for (int c = c0; c < cols; c += step) {
        double acc = 0.0;
        for (int r = 0; r < rows; ++r) acc += (double)w[(size_t)r * cols + c] * u[r];
        v[c] = (float)acc;
    }
}

/* Row r of W times v, summed over the warp (every lane gets the result). */
__device__ __forceinline__ double sn_row_dot(const float *w, const float *v, int r, int cols,
                                             int lane) {
    double acc = 0.0;
    for (int c = lane; c < cols; c += 32) acc += (double)w[(size_t)r * cols + c] * v[c];
    return rise_warp_sum(acc);
}

/* normalise(x) of spectral_norm.h over one block; every thread of the block must call it. */
__device__ __forceinline__ void sn_normalise_block(float *x, int n) {
    double s = 0.0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) s += (double)x[i] * x[i];
    /* rise_block_sum's barrier: all reads are done before the writes */
    const double inv = sn_inv_norm(rise_block_sum(s));
    const float fallback = sn_fallback(n);
    for (int i = threadIdx.x; i < n; i += blockDim.x) x[i] = sn_normalised(x[i], inv, fallback);
}

/* sigma = u^T W v over one block; every thread must call it. */
__device__ __forceinline__ void sn_sigma_block(float *sigma, const float *w, const float *u,
                                               const float *v, int rows, int cols) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    double s = 0.0;
    for (int r = warp; r < rows; r += nwarps) {
        const double acc = sn_row_dot(w, v, r, cols, lane);
        if (lane == 0) s += u[r] * acc;
    }
    s = rise_block_sum(s); /* only lane 0 of each warp holds a non-zero part */
    if (threadIdx.x == 0) *sigma = (float)s;
}

__global__ void sn_col_matvec(float *v, const float *w, const float *u, int rows, int cols) {
    sn_col_matvec_part(v, w, u, rows, cols, blockIdx.x * blockDim.x + threadIdx.x,
                       gridDim.x * blockDim.x);
}

__global__ void sn_row_matvec(float *u, const float *w, const float *v, int rows, int cols) {
    const int lane = threadIdx.x & 31;
    const int r = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (r >= rows) return; /* whole warp */
    const double acc = sn_row_dot(w, v, r, cols, lane);
    if (lane == 0) u[r] = (float)acc;
}

__global__ void __launch_bounds__(1024) sn_normalise(float *x, int n) { sn_normalise_block(x, n); }

__global__ void __launch_bounds__(1024)
    sn_sigma(float *sigma, const float *w, const float *u, const float *v, int rows, int cols) {
    sn_sigma_block(sigma, w, u, v, rows, cols);
}

__global__ void __launch_bounds__(1024)
    sn_fused_kernel(float *sigma, float *u, float *v, const float *w, int rows, int cols, int iters,
                    float tol) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    for (int it = 0; it < iters; ++it) {
        sn_col_matvec_part(v, w, u, rows, cols, threadIdx.x, blockDim.x);
        __syncthreads();
        sn_normalise_block(v, cols);
        __syncthreads();
        double dot = 0.0, s_new = 0.0, s_old = 0.0; /* partial sums of lane 0s */
        for (int r = warp; r < rows; r += nwarps) {
            const double acc = sn_row_dot(w, v, r, cols, lane);
            if (lane == 0) {
                dot += acc * u[r];
                s_old += (double)u[r] * u[r];
                s_new += acc * acc;
                u[r] = (float)acc;
            }
        }
        __syncthreads();
        sn_normalise_block(u, rows);
        __syncthreads();
        if (tol > 0.0f) {
            dot = rise_block_sum(dot);
            s_new = rise_block_sum(s_new);
            s_old = rise_block_sum(s_old);
            if (sn_converged(dot, s_new, s_old, (double)tol)) break;
        }
    }
    sn_sigma_block(sigma, w, u, v, rows, cols);
}

__global__ void sn_backward(float *dw, const float *sigma, const float *u, const float *v, int rows,
                            int cols, float lambda, int squared) {
    const double coef = sn_grad_coef(lambda, squared, *sigma);
    const size_t n = (size_t)rows * cols;
    RISE_GRID_STRIDE(i, n) dw[i] = sn_grad_element(dw[i], coef, u[i / cols], v[i % cols]);
}

extern "C" int spectral_norm_cuda_supports(int variant, int rows, int cols, float tol) {
    return ((variant == 1 && tol == 0.0f) || variant == 2) && rows > 0 && cols > 0 && tol >= 0.0f;
}

extern "C" void spectral_norm_forward_cuda_variant(int variant, void *stream, float *sigma,
                                                   float *u, float *v, const float *w, int rows,
                                                   int cols, int iters, float tol) {
    spectral_norm_check_shape("spectral_norm_forward", rows, cols);
    spectral_norm_check_iters(iters);
    spectral_norm_check_tol(tol);
    RISE_ASSERT(spectral_norm_cuda_supports(variant, rows, cols, tol),
                "spectral norm: variant %d unsupported for a %d x %d matrix with tol %g", variant,
                rows, cols, (double)tol);
    cudaStream_t s = RISE_STREAM(stream);
    if (variant == 2) {
        sn_fused_kernel<<<1, 1024, 0, s>>>(sigma, u, v, w, rows, cols, iters, tol);
        RISE_CUDA_LAUNCHED();
        return;
    }
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

extern "C" void spectral_norm_forward_cuda(void *stream, float *sigma, float *u, float *v,
                                           const float *w, int rows, int cols, int iters,
                                           float tol) {
    const int variant = tol > 0.0f || (size_t)rows * cols <= ((size_t)1 << 18) ? 2 : 1;
    spectral_norm_forward_cuda_variant(variant, stream, sigma, u, v, w, rows, cols, iters, tol);
}

extern "C" void spectral_norm_backward_cuda(void *stream, float *dw, const float *sigma,
                                            const float *u, const float *v, int rows, int cols,
                                            float lambda, int squared) {
    spectral_norm_check_shape("spectral_norm_backward", rows, cols);
    const size_t n = (size_t)rows * cols;
    sn_backward<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(dw, sigma, u, v, rows, cols,
                                                                        lambda, squared);
    RISE_CUDA_LAUNCHED();
}
