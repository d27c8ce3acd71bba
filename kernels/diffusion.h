/* diffusion.h - the forward (noising) process of a diffusion policy, fused. The one
 * description of the op (the backend table in host/backend.h points here).
 *
 * diffusion_q_sample: for each row b of x0 [rows, cols], with rng resolved where the op runs
 *   k_b        = rise_below(word(rng, b), n_steps)                 (time index, uniform)
 *   eps[b, j]  = normal(rng advanced by blocks_uniform(rows), b * cols + j)
 *   xt[b, j]   = sqrt_ab[k_b] x0[b, j] + sqrt_1mab[k_b] eps[b, j]   (no FMA)
 *   t_out[b]   = (float)k_b
 * with sqrt_ab / sqrt_1mab [n_steps] the schedule's sqrt(alpha_bar) and sqrt(1 - alpha_bar)
 * (backend memory). eps is the epsilon-prediction target. Row b's time index and element
 * (b, j)'s noise are pure functions of (rng, b, j) (diffusion_time_index,
 * diffusion_noise_offset), so any split of the rows draws the same numbers.
 * Edge rules: cols = 0 still draws and writes t_out for every row (and consumes the
 * same Philox blocks); rows = 0 does nothing.
 * Under a data-parallel window (philox.h) the rows are rows row0.. of the whole batch: k_b
 * is word row0 + b and the noise starts blocks_uniform(rows_total) blocks in, at element
 * row0 * cols, so each rank draws what one process would for its rows.
 * The caller advances its rng offset by diffusion_q_sample_blocks(rows, cols).
 * Argument rules (diffusion_q_sample_check, abort): rows, cols >= 0; n_steps >= 1.
 *
 * diffusion_q_sample_ref: plain C reference (kernels/diffusion_ref.c).
 * diffusion_q_sample_cuda: CUDA launcher (kernels/diffusion.cu); `stream` is the backend's
 * cudaStream_t passed opaquely (never NULL). */
#ifndef RISE_KERNELS_DIFFUSION_H
#define RISE_KERNELS_DIFFUSION_H

#include <stddef.h>
#include <stdint.h>

#include "../host/error.h"
#include "host_device.h"
#include "philox.h"

#ifdef __cplusplus
extern "C" {
#endif

static inline uint64_t diffusion_q_sample_blocks(int rows, int cols) {
    return rise_rng_blocks_uniform((uint64_t)rows) +
           rise_rng_blocks_normal((uint64_t)rows * (uint64_t)cols);
}

/* ---- shared rules (reference and kernels) ---- */

static inline void diffusion_q_sample_check(int rows, int cols, int n_steps) {
    RISE_ASSERT(rows >= 0 && cols >= 0 && n_steps >= 1,
                "diffusion_q_sample: bad shape rows=%d cols=%d n_steps=%d (rows, cols >= 0, "
                "n_steps >= 1)",
                rows, cols, n_steps);
}

/* k_b of row b; rng already resolved and sliced for the rows' draw
 * (rise_rng_slice(rng, rows)). */
RISE_HD uint32_t diffusion_time_index(rise_rng rng, uint64_t b, int n_steps) {
    return rise_below(rise_rng_word(rng.seed, rng.stream, rng.offset, rng.skip + b),
                      (uint32_t)n_steps);
}

/* The first block of the noise draw: past the whole batch's time indices; rng already
 * resolved, with its window (not sliced). */
RISE_HD uint64_t diffusion_noise_offset(rise_rng rng, int rows) {
    return rng.offset + rise_rng_blocks_uniform(rise_rng_span(rng, (uint64_t)rows));
}

/* The element of the noise draw where this process's rows start (0 without a window). */
RISE_HD uint64_t diffusion_noise_skip(rise_rng rng, int rows, int cols) {
    return rise_rng_slice(rng, (uint64_t)rows * (uint64_t)cols).skip;
}

RISE_HD float diffusion_xt(float sqrt_ab, float x0, float sqrt_1mab, float eps) {
    return rise_add_rn(rise_mul_rn(sqrt_ab, x0), rise_mul_rn(sqrt_1mab, eps));
}

/* ---- the op ---- */

void diffusion_q_sample_ref(float *xt, float *eps, float *t_out, const float *x0,
                            const float *sqrt_ab, const float *sqrt_1mab, int rows, int cols,
                            int n_steps, rise_rng rng);
void diffusion_q_sample_cuda(void *stream, float *xt, float *eps, float *t_out, const float *x0,
                             const float *sqrt_ab, const float *sqrt_1mab, int rows, int cols,
                             int n_steps, rise_rng rng);

#ifdef __cplusplus
}
#endif
#endif
