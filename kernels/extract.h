/* extract.h - policy extraction's per-state choice, fused: argmax of the K candidates'
 * scores and the gather of the winner, so only the chosen actions leave the device.
 *
 * argmax_select: for each row r of score [R, K], best = the first k with the largest
 * score (NaN never wins; a row of NaN picks 0); out[r, :] = cand[r K + best, :] for cand
 * [R K, W]; best_idx[r] = best (as a float, exact below 2^24; may be NULL).
 * Semantics are documented once, on the backend table (host/backend.h). */
#ifndef RISE_KERNELS_EXTRACT_H
#define RISE_KERNELS_EXTRACT_H

#ifdef __cplusplus
extern "C" {
#endif

void argmax_select_ref(float *out, float *best_idx, const float *score, const float *cand, int rows,
                       int k, int width);
void argmax_select_cuda(void *stream, float *out, float *best_idx, const float *score,
                        const float *cand, int rows, int k, int width);

#ifdef __cplusplus
}
#endif
#endif
