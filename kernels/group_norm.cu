/* group_norm.cu - GroupNorm over channels-last x [B, T, C] on CUDA, forward and backward.
 * Variants (forward and the backward dx pass come in both):
 *   kernel1  one block (256 threads) per (b, g); block reductions through shared memory.
 *            Keeps a large group (T C/G in the thousands: the paper's 1024-channel
 *            levels) on many threads.
 *   kernel2  one warp per (b, g), 8 groups per block; shuffle reductions only. For the
 *            small groups of the CPU-scale U-Net (T C/G of a few hundred).
 * The dispatchers take kernel2 when T C/G <= 1024 and kernel1 above (the LayerNorm rule,
 * to be refined by benchmarks/bench_conv1d's GroupNorm rows on a GPU). cuDNN has no
 * GroupNorm in its legacy API and its graph API's normalisation needs a per-shape plan per
 * phase; these two passes over a group in cache are what it would run anyway.
 * Statistics are two-pass in float (mean, then centred squares). dgamma/dbeta:
 * group_norm_backward_params_kernel, one thread per channel looping over (b, t) in
 * double, the reference's order (deterministic). Element rules from group_norm.h. */
#include "common.cuh"
#include "group_norm.h"

/* Element e of group g of batch item b, for e < T C/G. */
__device__ __forceinline__ size_t gn_index(int b, int g, int e, int t, int c, int cg) {
    return ((size_t)b * t + e / cg) * c + (size_t)g * cg + e % cg;
}

__global__ void group_norm_forward_kernel1(float *y, float *mean, float *rstd, const float *x,
                                           const float *gamma, const float *beta, int t, int c,
                                           int groups, float eps) {
    const int bg = blockIdx.x, b = bg / groups, g = bg % groups, cg = c / groups, n = t * cg;
    float s = 0.0f;
    for (int e = threadIdx.x; e < n; e += blockDim.x) s += x[gn_index(b, g, e, t, c, cg)];
    const float mu = rise_block_sum(s) / n;
    float q = 0.0f;
    for (int e = threadIdx.x; e < n; e += blockDim.x) {
        const float d = x[gn_index(b, g, e, t, c, cg)] - mu;
        q += d * d;
    }
    const float rs = 1.0f / sqrtf(rise_block_sum(q) / n + eps);
    for (int e = threadIdx.x; e < n; e += blockDim.x) {
        const size_t i = gn_index(b, g, e, t, c, cg);
        y[i] = group_norm_affine((x[i] - mu) * rs, gamma, beta, g * cg + e % cg);
    }
    if (threadIdx.x == 0) {
        mean[bg] = mu;
        rstd[bg] = rs;
    }
}

__global__ void group_norm_forward_kernel2(float *y, float *mean, float *rstd, const float *x,
                                           const float *gamma, const float *beta, int bgs, int t,
                                           int c, int groups, float eps) {
    const int lane = threadIdx.x & 31;
    const int bg = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (bg >= bgs) return; /* the whole warp leaves together; no block barrier follows */
    const int b = bg / groups, g = bg % groups, cg = c / groups, n = t * cg;
    float s = 0.0f;
    for (int e = lane; e < n; e += 32) s += x[gn_index(b, g, e, t, c, cg)];
    const float mu = rise_warp_sum(s) / n;
    float q = 0.0f;
    for (int e = lane; e < n; e += 32) {
        const float d = x[gn_index(b, g, e, t, c, cg)] - mu;
        q += d * d;
    }
    const float rs = 1.0f / sqrtf(rise_warp_sum(q) / n + eps);
    for (int e = lane; e < n; e += 32) {
        const size_t i = gn_index(b, g, e, t, c, cg);
        y[i] = group_norm_affine((x[i] - mu) * rs, gamma, beta, g * cg + e % cg);
    }
    if (lane == 0) {
        mean[bg] = mu;
        rstd[bg] = rs;
    }
}

__global__ void group_norm_backward_dx_kernel1(float *dx, const float *dy, const float *x,
                                               const float *mean, const float *rstd,
                                               const float *gamma, int t, int c, int groups,
                                               int accumulate) {
    const int bg = blockIdx.x, b = bg / groups, g = bg % groups, cg = c / groups, n = t * cg;
    const float mu = mean[bg], rs = rstd[bg];
    float sg = 0.0f, sgx = 0.0f;
    for (int e = threadIdx.x; e < n; e += blockDim.x) {
        const size_t i = gn_index(b, g, e, t, c, cg);
        const float gv = gamma ? dy[i] * gamma[g * cg + e % cg] : dy[i];
        sg += gv;
        sgx += gv * ((x[i] - mu) * rs);
    }
    const float mg = rise_block_sum(sg) / n, mgx = rise_block_sum(sgx) / n;
    for (int e = threadIdx.x; e < n; e += blockDim.x) {
        const size_t i = gn_index(b, g, e, t, c, cg);
        const float gv = gamma ? dy[i] * gamma[g * cg + e % cg] : dy[i];
        const float v = group_norm_dx(gv, (x[i] - mu) * rs, rs, mg, mgx);
        dx[i] = accumulate ? dx[i] + v : v;
    }
}

__global__ void group_norm_backward_dx_kernel2(float *dx, const float *dy, const float *x,
                                               const float *mean, const float *rstd,
                                               const float *gamma, int bgs, int t, int c,
                                               int groups, int accumulate) {
    const int lane = threadIdx.x & 31;
    const int bg = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (bg >= bgs) return; /* whole warp; no block barrier follows */
    const int b = bg / groups, g = bg % groups, cg = c / groups, n = t * cg;
    const float mu = mean[bg], rs = rstd[bg];
    float sg = 0.0f, sgx = 0.0f;
    for (int e = lane; e < n; e += 32) {
        const size_t i = gn_index(b, g, e, t, c, cg);
        const float gv = gamma ? dy[i] * gamma[g * cg + e % cg] : dy[i];
        sg += gv;
        sgx += gv * ((x[i] - mu) * rs);
    }
    const float mg = rise_warp_sum(sg) / n, mgx = rise_warp_sum(sgx) / n;
    for (int e = lane; e < n; e += 32) {
        const size_t i = gn_index(b, g, e, t, c, cg);
        const float gv = gamma ? dy[i] * gamma[g * cg + e % cg] : dy[i];
        const float v = group_norm_dx(gv, (x[i] - mu) * rs, rs, mg, mgx);
        dx[i] = accumulate ? dx[i] + v : v;
    }
}

__global__ void group_norm_backward_params_kernel(float *dgamma, float *dbeta, const float *dy,
                                                  const float *x, const float *mean,
                                                  const float *rstd, int b, int t, int c,
                                                  int groups) {
    const int ch = blockIdx.x * blockDim.x + threadIdx.x;
    if (ch >= c) return;
    const int g = ch / (c / groups);
    double sgm = 0.0, sb = 0.0;
    for (int bi = 0; bi < b; ++bi) {
        const double mu = mean[bi * groups + g], rs = rstd[bi * groups + g];
        for (int ti = 0; ti < t; ++ti) {
            const size_t e = ((size_t)bi * t + ti) * c + ch;
            sgm += (double)dy[e] * ((x[e] - mu) * rs);
            sb += dy[e];
        }
    }
    if (dgamma) dgamma[ch] += (float)sgm;
    if (dbeta) dbeta[ch] += (float)sb;
}

extern "C" int group_norm_cuda_supports(int variant, int b, int t, int c, int groups) {
    return (variant == 1 || variant == 2) && group_norm_shape_ok(b, t, c, groups) && t > 0;
}

static int group_norm_pick(int t, int c, int groups) { return t * (c / groups) <= 1024 ? 2 : 1; }

extern "C" void group_norm_forward_cuda_variant(int variant, void *stream, float *y, float *mean,
                                                float *rstd, const float *x, const float *gamma,
                                                const float *beta, int b, int t, int c, int groups,
                                                float eps) {
    RISE_ASSERT(group_norm_cuda_supports(variant, b, t, c, groups),
                "group_norm: variant %d unsupported for b=%d t=%d c=%d groups=%d", variant, b, t, c,
                groups);
    const int bgs = b * groups;
    if (bgs == 0) return;
    if (variant == 1)
        group_norm_forward_kernel1<<<bgs, 256, 0, RISE_STREAM(stream)>>>(y, mean, rstd, x, gamma,
                                                                         beta, t, c, groups, eps);
    else
        group_norm_forward_kernel2<<<(bgs + 7) / 8, 256, 0, RISE_STREAM(stream)>>>(
            y, mean, rstd, x, gamma, beta, bgs, t, c, groups, eps);
    RISE_CUDA_LAUNCHED();
}

extern "C" void group_norm_backward_cuda_variant(int variant, void *stream, float *dx,
                                                 float *dgamma, float *dbeta, const float *dy,
                                                 const float *x, const float *mean,
                                                 const float *rstd, const float *gamma, int b,
                                                 int t, int c, int groups, int accumulate) {
    RISE_ASSERT(group_norm_cuda_supports(variant, b, t, c, groups),
                "group_norm: variant %d unsupported for b=%d t=%d c=%d groups=%d", variant, b, t, c,
                groups);
    const int bgs = b * groups;
    if (bgs == 0) return;
    if (dx) {
        if (variant == 1)
            group_norm_backward_dx_kernel1<<<bgs, 256, 0, RISE_STREAM(stream)>>>(
                dx, dy, x, mean, rstd, gamma, t, c, groups, accumulate);
        else
            group_norm_backward_dx_kernel2<<<(bgs + 7) / 8, 256, 0, RISE_STREAM(stream)>>>(
                dx, dy, x, mean, rstd, gamma, bgs, t, c, groups, accumulate);
        RISE_CUDA_LAUNCHED();
    }
    if (dgamma || dbeta) {
        group_norm_backward_params_kernel<<<(c + 127) / 128, 128, 0, RISE_STREAM(stream)>>>(
            dgamma, dbeta, dy, x, mean, rstd, b, t, c, groups);
        RISE_CUDA_LAUNCHED();
    }
}

extern "C" void group_norm_forward_cuda(void *stream, float *y, float *mean, float *rstd,
                                        const float *x, const float *gamma, const float *beta,
                                        int b, int t, int c, int groups, float eps) {
    group_norm_check("group_norm_forward", b, t, c, groups);
    group_norm_check_eps(eps);
    if (t == 0 || b == 0) return;
    group_norm_forward_cuda_variant(group_norm_pick(t, c, groups), stream, y, mean, rstd, x, gamma,
                                    beta, b, t, c, groups, eps);
}

extern "C" void group_norm_backward_cuda(void *stream, float *dx, float *dgamma, float *dbeta,
                                         const float *dy, const float *x, const float *mean,
                                         const float *rstd, const float *gamma, int b, int t, int c,
                                         int groups, int accumulate) {
    group_norm_check("group_norm_backward", b, t, c, groups);
    if (t == 0 || b == 0) return;
    group_norm_backward_cuda_variant(group_norm_pick(t, c, groups), stream, dx, dgamma, dbeta, dy,
                                     x, mean, rstd, gamma, b, t, c, groups, accumulate);
}
