/* gaussian.cu - Gaussian-actor ops on the device (the ops and their rules:
 * kernels/gaussian.h; the per-element formulas are that header's RISE_HD functions, the
 * reference's own).
 * Variants (one each; the shapes are small: B a batch, A <= ~30 actions):
 *   gauss_logprob_forward_kernel1        one thread per row
 *   gauss_logprob_backward_kernel1       one thread per element (dmean, unshared dlog_std +=)
 *   gauss_logprob_backward_shared_kernel1 one block per action column: the shared
 *                                        log_std gradient, a block sum in double
 *   awr_weights_kernel1                  one thread per row
 *   tanh_gauss_sample_kernel1            one thread per row, Philox noise per element
 *   tanh_gauss_sample_backward_kernel1   one thread per element
 *   logsumexp_rows_forward_kernel1       one warp per row: the NaN-propagating max, then a
 *                                        double sum of the exponentials
 *   logsumexp_rows_backward_kernel1      one thread per element
 *   exp_forward_kernel1                  one thread per element
 * Everything is the reference's double arithmetic, so results agree with it to float
 * rounding (the row sums combine in a different order); the tanh-Gaussian noise to
 * rise_rng_normal's few ulp. No atomics: every result is written by one thread (or one
 * block) in a fixed order. */
#include "common.cuh"
#include "gaussian.h"

__global__ void gauss_logprob_forward_kernel1(float *logp, const float *x, const float *mean,
                                              const float *log_std, int b, int a,
                                              int log_std_shared) {
    RISE_GRID_STRIDE(r, (size_t)b) {
        double s = 0.0;
        for (int j = 0; j < a; ++j) {
            const size_t i = r * a + j;
            s += gauss_logprob_term(x[i], mean[i], log_std_shared ? log_std[j] : log_std[i]);
        }
        logp[r] = (float)s;
    }
}

__global__ void gauss_logprob_backward_kernel1(float *dmean, float *dlog_std, const float *dlogp,
                                               const float *x, const float *mean,
                                               const float *log_std, int b, int a,
                                               int log_std_shared) {
    const size_t n = (size_t)b * a;
    RISE_GRID_STRIDE(i, n) {
        const size_t r = i / a, j = i % a;
        const double istd = exp(-(double)(log_std_shared ? log_std[j] : log_std[i]));
        dmean[i] = (float)gauss_logprob_dmean(dlogp[r], x[i], mean[i], istd);
        if (!log_std_shared) dlog_std[i] += (float)gauss_logprob_dls(dlogp[r], x[i], mean[i], istd);
    }
}

/* Block j: dlog_std[j] += sum_r dlogp[r] (z[r, j]^2 - 1). */
__global__ void __launch_bounds__(256)
    gauss_logprob_backward_shared_kernel1(float *dlog_std, const float *dlogp, const float *x,
                                          const float *mean, const float *log_std, int b, int a) {
    const int j = blockIdx.x;
    const double istd = exp(-(double)log_std[j]);
    double acc = 0.0;
    for (int r = threadIdx.x; r < b; r += blockDim.x) {
        const size_t i = (size_t)r * a + j;
        acc += gauss_logprob_dls(dlogp[r], x[i], mean[i], istd);
    }
    acc = rise_block_sum(acc);
    if (threadIdx.x == 0) dlog_std[j] += (float)acc;
}

__global__ void awr_weights_kernel1(float *w, const float *q, const float *v, int b, float beta,
                                    float max_w) {
    RISE_GRID_STRIDE(r, (size_t)b) w[r] = awr_weight(q[r], v[r], beta, max_w);
}

__global__ void tanh_gauss_sample_kernel1(float *act, float *logp, float *eps, const float *mean,
                                          const float *log_std, int b, int a, rise_rng rng) {
    rng = rise_rng_slice(rise_rng_resolve(rng), (uint64_t)b * (uint64_t)a);
    RISE_GRID_STRIDE(r, (size_t)b) {
        double s = 0.0;
        for (int j = 0; j < a; ++j) {
            const size_t i = r * a + j;
            const float e =
                rise_rng_normal(rng.seed, rng.stream, rng.offset, rng.skip + (uint64_t)i);
            const double u = tanh_gauss_u(mean[i], exp((double)log_std[i]), e);
            eps[i] = e;
            act[i] = (float)tanh(u);
            s += tanh_gauss_logp_term(e, log_std[i], u);
        }
        logp[r] = (float)s;
    }
}

__global__ void tanh_gauss_sample_backward_kernel1(float *dmean, float *dlog_std, const float *da,
                                                   const float *dlogp, const float *eps,
                                                   const float *mean, const float *log_std,
                                                   const float *act, int b, int a) {
    const size_t n = (size_t)b * a;
    RISE_GRID_STRIDE(i, n) {
        const double gl = dlogp ? (double)dlogp[i / a] : 0.0;
        const double sd = exp((double)log_std[i]);
        const double u = tanh_gauss_u(mean[i], sd, eps[i]);
        const double gu =
            tanh_gauss_grad_u(da ? (double)da[i] : 0.0, gl, gauss_sech2(u), (double)act[i]);
        dmean[i] = (float)gu;
        dlog_std[i] = (float)(gu * sd * (double)eps[i] - gl);
    }
}

/* One warp per row (blockDim 256 = 8 rows per block, grid-stride over rows). */
__global__ void __launch_bounds__(256)
    logsumexp_rows_forward_kernel1(float *out, const float *x, int rows, int cols) {
    const int lane = threadIdx.x & 31;
    const size_t warps = (size_t)gridDim.x * (blockDim.x >> 5);
    for (size_t r = (size_t)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5); r < (size_t)rows;
         r += warps) {
        const float *xr = x + r * cols;
        float m = -INFINITY;
        for (int c = lane; c < cols; c += 32) m = lse_max(m, xr[c]);
        for (int off = 16; off > 0; off >>= 1) m = lse_max(m, __shfl_xor_sync(0xffffffffu, m, off));
        double s = 0.0;
        if (isfinite(m)) /* uniform across the warp */
            for (int c = lane; c < cols; c += 32) s += lse_term(xr[c], m);
        s = rise_warp_sum(s);
        if (lane == 0) out[r] = lse_finish(m, s);
    }
}

__global__ void logsumexp_rows_backward_kernel1(float *dx, const float *dout, const float *x,
                                                const float *out, int rows, int cols) {
    const size_t n = (size_t)rows * cols;
    RISE_GRID_STRIDE(i, n) {
        const size_t r = i / cols;
        dx[i] = lse_grad(dout[r], x[i], out[r]);
    }
}

__global__ void exp_forward_kernel1(float *y, const float *x, size_t n) {
    RISE_GRID_STRIDE(i, n) y[i] = exp_value(x[i]);
}

extern "C" void gauss_logprob_forward_cuda(void *stream, float *logp, const float *x,
                                           const float *mean, const float *log_std, int b, int a,
                                           int log_std_shared) {
    gaussian_check_shape("gauss_logprob_forward", b, a);
    if (b == 0) return;
    gauss_logprob_forward_kernel1<<<rise_grid_for((size_t)b, 128), 128, 0, RISE_STREAM(stream)>>>(
        logp, x, mean, log_std, b, a, log_std_shared);
    RISE_CUDA_LAUNCHED();
}

extern "C" void gauss_logprob_backward_cuda(void *stream, float *dmean, float *dlog_std,
                                            const float *dlogp, const float *x, const float *mean,
                                            const float *log_std, int b, int a,
                                            int log_std_shared) {
    gaussian_check_shape("gauss_logprob_backward", b, a);
    if (a == 0) return;
    const size_t n = (size_t)b * a;
    if (n) {
        gauss_logprob_backward_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(
            dmean, dlog_std, dlogp, x, mean, log_std, b, a, log_std_shared);
        RISE_CUDA_LAUNCHED();
    }
    if (log_std_shared && b > 0) {
        gauss_logprob_backward_shared_kernel1<<<(unsigned)a, 256, 0, RISE_STREAM(stream)>>>(
            dlog_std, dlogp, x, mean, log_std, b, a);
        RISE_CUDA_LAUNCHED();
    }
}

extern "C" void awr_weights_cuda(void *stream, float *w, const float *q, const float *v, int b,
                                 float beta, float max_w) {
    gaussian_check_shape("awr_weights", b, 1);
    if (b == 0) return;
    awr_weights_kernel1<<<rise_grid_for((size_t)b, 256), 256, 0, RISE_STREAM(stream)>>>(
        w, q, v, b, beta, max_w);
    RISE_CUDA_LAUNCHED();
}

extern "C" void tanh_gauss_sample_cuda(void *stream, float *act, float *logp, float *eps,
                                       const float *mean, const float *log_std, int b, int a,
                                       rise_rng rng) {
    gaussian_check_shape("tanh_gauss_sample", b, a);
    if (b == 0) return;
    tanh_gauss_sample_kernel1<<<rise_grid_for((size_t)b, 128), 128, 0, RISE_STREAM(stream)>>>(
        act, logp, eps, mean, log_std, b, a, rng);
    RISE_CUDA_LAUNCHED();
}

extern "C" void tanh_gauss_sample_backward_cuda(void *stream, float *dmean, float *dlog_std,
                                                const float *da, const float *dlogp,
                                                const float *eps, const float *mean,
                                                const float *log_std, const float *act, int b,
                                                int a) {
    gaussian_check_shape("tanh_gauss_sample_backward", b, a);
    if (b == 0 || a == 0) return;
    const size_t n = (size_t)b * a;
    tanh_gauss_sample_backward_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(
        dmean, dlog_std, da, dlogp, eps, mean, log_std, act, b, a);
    RISE_CUDA_LAUNCHED();
}

extern "C" void logsumexp_rows_forward_cuda(void *stream, float *out, const float *x, int rows,
                                            int cols) {
    gaussian_check_shape("logsumexp_rows_forward", rows, cols);
    if (rows == 0) return;
    logsumexp_rows_forward_kernel1<<<rise_grid_for((size_t)rows, 8), 256, 0, RISE_STREAM(stream)>>>(
        out, x, rows, cols);
    RISE_CUDA_LAUNCHED();
}

extern "C" void logsumexp_rows_backward_cuda(void *stream, float *dx, const float *dout,
                                             const float *x, const float *out, int rows, int cols) {
    gaussian_check_shape("logsumexp_rows_backward", rows, cols);
    const size_t n = (size_t)rows * (size_t)cols;
    if (!n) return;
    logsumexp_rows_backward_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(
        dx, dout, x, out, rows, cols);
    RISE_CUDA_LAUNCHED();
}

extern "C" void exp_forward_cuda(void *stream, float *y, const float *x, size_t n) {
    if (!n) return;
    exp_forward_kernel1<<<rise_grid_for(n, 256), 256, 0, RISE_STREAM(stream)>>>(y, x, n);
    RISE_CUDA_LAUNCHED();
}
