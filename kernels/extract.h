/* extract.h - policy extraction on the device: the candidates' starting noise, and the
 * per-state choice, fused: argmax of the K candidates' scores and the gather of the
 * winner, so only the chosen actions leave the device.
 *
 * candidate_noise: y [S, n K, W], y[s, r K + k, j] = rise_rng_normal(seed, stream,
 * row_offset[r], (k S + s) W + j): row r draws at its own Philox position (its episode
 * key and step), so its candidates do not depend on the other rows of the call. The ref
 * fills rows [r0, r1) of the n.
 *
 * argmax_select: for each row r of score [R, K], best = the first k with the largest
 * score (NaN never wins; a row of NaN picks 0); out[r, :] = cand[r K + best, :] for cand
 * [R K, W]; best_idx[r] = best (as a float, exact below 2^24; may be NULL).
 * Semantics are documented once, on the backend table (host/backend.h). */
#ifndef RISE_KERNELS_EXTRACT_H
#define RISE_KERNELS_EXTRACT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

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
