/* action_noise.h - action-noise support expansion (the design card's cheaper
 * alternative or complement to neighbour relabelling).
 *
 * For a batch of normalised actions a [B, A] and M noise levels sigma [M]:
 *   out[b, m, j] = clip(a[b, j] + sigma[m] * eps[(b*M + m)*A + j], -1, 1)
 *   eps[i] = rise_rng_normal(rng.seed, rng.stream, rng.offset, i)
 * so the CUDA kernel reproduces it. The noise magnitude goes to the loss:
 * sigma_out[b*M + m] = sigma[m] (what was asked) and, optionally,
 * delta_norm[b*M + m] = |out[b, m] - a[b]|_2 (what clipping left of it).
 * The caller advances its offset by rise_action_noise_blocks(B, M, A). */
#ifndef RISE_DATA_ACTION_NOISE_H
#define RISE_DATA_ACTION_NOISE_H

#include <stdint.h>

#include "kernels/philox.h"

#ifdef __cplusplus
extern "C" {
#endif

void rise_action_noise_ref(const float *a, int64_t B, int64_t A, int M, const float *sigma,
                           rise_rng rng, float *out, float *sigma_out, float *delta_norm);

static inline uint64_t rise_action_noise_blocks(int64_t B, int M, int64_t A) {
    return rise_rng_blocks_normal((uint64_t)(B * M * A));
}

/* M levels spaced geometrically from lo to hi (M = 1: lo). */
void rise_action_noise_levels(int M, float lo, float hi, float *sigma);

#ifdef __cplusplus
}
#endif
#endif
