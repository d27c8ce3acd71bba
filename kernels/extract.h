/* extract.h - policy extraction on the device: the candidates' starting noise, and the
 * per-state choice, fused: argmax of the K candidates' scores and the gather of the
 * winner, so only the chosen actions leave the device. The one description of these ops
 * (the backend table in host/backend.h points here).
 *
 * candidate_noise: y [S, n K, W], y[s, r K + k, j] = rise_rng_normal(seed, stream,
 * row_offset[r], (k S + s) W + j) (candidate_noise_value): row r draws at its own Philox
 * position row_offset[r] (backend memory: its episode key and step), so its candidates do
 * not depend on the other rows of the call. The ref fills rows [r0, r1) of the n.
 *
 * argmax_select: for each row r of score [R, K], best = the first k with the largest
 * score; out[r, :] = cand[r K + best, :] for cand [R K, W]; best_idx[r] = best (as a
 * float, exact below 2^24; may be NULL). The order (argmax_beats): a larger score wins,
 * an equal score the smaller index; NaN never wins against a number, and a row of NaN
 * picks 0. Infinities are ordinary values (+inf wins, -inf loses to any number).
 *
 * Argument rules (abort): candidate_noise_check: n, s, w >= 0, k >= 1;
 * argmax_select_check: rows, width >= 0, k >= 1 (a row with no candidate has no choice).
 *
 * <op>_ref: plain C references (kernels/extract_ref.c).
 * <op>_cuda: CUDA launchers (kernels/extract.cu); `stream` is the backend's cudaStream_t
 * passed opaquely (never NULL). */
#ifndef RISE_KERNELS_EXTRACT_H
#define RISE_KERNELS_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "../host/error.h"
#include "host_device.h"
#include "philox.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- shared rules (reference and kernels) ---- */

static inline void candidate_noise_check(int n, int k, int s, int w) {
    RISE_ASSERT(n >= 0 && k >= 1 && s >= 0 && w >= 0,
                "candidate_noise: bad shape n=%d k=%d s=%d w=%d (k >= 1, the rest >= 0)", n, k, s,
                w);
}

static inline void argmax_select_check(int rows, int k, int width) {
    RISE_ASSERT(rows >= 0 && k >= 1 && width >= 0,
                "argmax_select: bad shape rows=%d k=%d width=%d (k >= 1, the rest >= 0)", rows, k,
                width);
}

/* Value j of candidate c, step t of row r (whose draw starts at block row_offset). */
RISE_HD float candidate_noise_value(uint64_t seed, uint32_t stream, uint64_t row_offset, size_t c,
                                    size_t t, int s, int w, size_t j) {
    const uint64_t e = ((uint64_t)c * (uint64_t)s + (uint64_t)t) * (uint64_t)w + (uint64_t)j;
    return rise_rng_normal(seed, stream, row_offset, e);
}

/* Score va at index ia beats vb at ib: larger, or equal and earlier; NaN never beats a
 * number and every number beats NaN. */
RISE_HD int argmax_beats(float va, int ia, float vb, int ib) {
    if (isnan(va)) return 0;
    if (isnan(vb)) return 1;
    return va > vb || (va == vb && ia < ib);
}

/* ---- the ops ---- */

void candidate_noise_ref(float *y, const uint64_t *row_offset, int r0, int r1, int n, int k, int s,
                         int w, uint64_t seed, uint32_t stream);
void candidate_noise_cuda(void *stream, float *y, const uint64_t *row_offset, int n, int k, int s,
                          int w, uint64_t seed, uint32_t philox_stream);

void argmax_select_ref(float *out, float *best_idx, const float *score, const float *cand, int rows,
                       int k, int width);
void argmax_select_cuda(void *stream, float *out, float *best_idx, const float *score,
                        const float *cand, int rows, int k, int width);

#ifdef __cplusplus
}
#endif
#endif
