/* diffusion.h - the forward (noising) process of a diffusion policy, fused.
 *
 * diffusion_q_sample: for each row b of x0 [rows, cols]
 *   k_b        = rise_below(word(rng, b), n_steps)          (time index, uniform)
 *   eps[b, j]  = normal(rng advanced by blocks_uniform(rows), b * cols + j)
 *   xt[b, j]   = sqrt_ab[k_b] * x0[b, j] + sqrt_1mab[k_b] * eps[b, j]
 *   t_out[b]   = (float)k_b
 * with sqrt_ab / sqrt_1mab [n_steps] the schedule's sqrt(alpha_bar) and
 * sqrt(1 - alpha_bar) (backend memory). eps is the epsilon-prediction target.
 * The caller advances its rng offset by diffusion_q_sample_blocks(rows, cols).
 * Under a data-parallel window (philox.h) the rows are rows row0.. of the whole batch:
 * k_b is word row0 + b and the noise starts blocks_uniform(rows_total) blocks in, at
 * element row0 * cols, so each rank draws what one process would for its rows.
 * Semantics are documented once, on the backend table (host/backend.h). */
#ifndef RISE_KERNELS_DIFFUSION_H
#define RISE_KERNELS_DIFFUSION_H

#include <stddef.h>
#include <stdint.h>

#include "philox.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The window's positions of the time indices and the noise (shared by both sides). */
RISE_HD uint64_t diffusion_q_sample_row_skip(rise_rng rng, int rows) {
    return rise_rng_slice(rng, (uint64_t)rows).skip;
}
RISE_HD uint64_t diffusion_q_sample_noise_skip(rise_rng rng, int rows, int cols) {
    return rise_rng_slice(rng, (uint64_t)rows * (uint64_t)cols).skip;
}
RISE_HD uint64_t diffusion_q_sample_noise_offset(rise_rng rng, int rows) {
    return rng.offset + rise_rng_blocks_uniform(rise_rng_span(rng, (uint64_t)rows));
}

static inline uint64_t diffusion_q_sample_blocks(int rows, int cols) {
    return rise_rng_blocks_uniform((uint64_t)rows) +
           rise_rng_blocks_normal((uint64_t)rows * (uint64_t)cols);
}

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
