/* extract.cu - the candidates' noise and the fused argmax + gather of policy extraction
 * (the ops and their rules: kernels/extract.h). candidate_noise kernel1: one thread per value,
 * grid-stride (each computes the Philox block of its Box-Muller pair). argmax_select kernel1: one
 * warp per row: each lane scans a strided slice of the K scores keeping (value, first index), a
 * shuffle reduction combines the lanes' winners with the reference's order (argmax_beats: largest
 * value, then smallest index, NaN never wins), and the lanes copy the winner's W values. */
#include "common.cuh"
#include "extract.h"
#include "philox.h"

__global__ void candidate_noise_kernel1(float *y, const uint64_t *row_offset, int n, int k, int s,
                                        int w, uint64_t seed, uint32_t stream) {
    const size_t N = (size_t)n * (size_t)k, total = (size_t)s * N * (size_t)w;
    RISE_GRID_STRIDE(i, total) {
        const size_t j = i % (size_t)w, row = (i / (size_t)w) % N, t = i / ((size_t)w * N);
        const size_t r = row / (size_t)k, c = row % (size_t)k;
        y[i] = candidate_noise_value(seed, stream, row_offset[r], c, t, s, w, j);
    }
}

extern "C" void candidate_noise_cuda(void *stream, float *y, const uint64_t *row_offset, int n,
                                     int k, int s, int w, uint64_t seed, uint32_t philox_stream) {
    candidate_noise_check(n, k, s, w);
    const size_t total = (size_t)s * (size_t)n * (size_t)k * (size_t)w;
    if (!total) return;
    candidate_noise_kernel1<<<rise_grid_for(total, 256), 256, 0, RISE_STREAM(stream)>>>(
        y, row_offset, n, k, s, w, seed, philox_stream);
    RISE_CUDA_LAUNCHED();
}

__global__ void argmax_select_kernel1(float *out, float *best_idx, const float *score,
                                      const float *cand, int rows, int k, int width) {
    const int warps = blockDim.x / 32;
    const int r = blockIdx.x * warps + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (r >= rows) return;
    const float *s = score + (size_t)r * k;
    float bv = s[0];
    int bi = 0;
    for (int j = lane; j < k; j += 32)
        if (argmax_beats(s[j], j, bv, bi)) bv = s[j], bi = j;
    for (int off = 16; off > 0; off /= 2) {
        const float ov = __shfl_down_sync(0xffffffffu, bv, off);
        const int oi = __shfl_down_sync(0xffffffffu, bi, off);
        if (argmax_beats(ov, oi, bv, bi)) bv = ov, bi = oi;
    }
    bi = __shfl_sync(0xffffffffu, bi, 0);
    const float *src = cand + ((size_t)r * k + bi) * width;
    for (int w = lane; w < width; w += 32) out[(size_t)r * width + w] = src[w];
    if (lane == 0 && best_idx) best_idx[r] = (float)bi;
}

extern "C" void argmax_select_cuda(void *stream, float *out, float *best_idx, const float *score,
                                   const float *cand, int rows, int k, int width) {
    argmax_select_check(rows, k, width);
    if (rows == 0) return;
    const int warps = 8;
    argmax_select_kernel1<<<(rows + warps - 1) / warps, warps * 32, 0, RISE_STREAM(stream)>>>(
        out, best_idx, score, cand, rows, k, width);
    RISE_CUDA_LAUNCHED();
}
