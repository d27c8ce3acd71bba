/* group_norm.h - GroupNorm over channels-last sequences x [B, T, C], forward and backward.
 * The one description of the op (the backend table in host/backend.h points here).
 *
 * G groups of C/G consecutive channels; each (b, g) is normalised over its T x C/G values
 * with the biased variance (two passes: the mean, then the centred squares),
 * rstd = 1/sqrt(var + eps), y = (x - mean) rstd gamma[c] + beta[c] (gamma/beta may be NULL:
 * no affine); mean and rstd [B, G] are saved for backward. This is PyTorch's nn.GroupNorm
 * on the channels-first [B, C, T] tensor, as the Diffusion Policy U-Net uses it (G = 8,
 * eps 1e-5).
 * Backward with xhat = (x - mean) rstd and g = dy gamma over the group's n = T C/G values:
 *   dx = rstd (g - mean(g) - xhat mean(g xhat))            (overwrite, or += with accumulate)
 *   dgamma[c] += sum_{b,t} dy xhat,  dbeta[c] += sum_{b,t} dy   (double, (b, t) order)
 * dx, dgamma and dbeta may each be NULL (skipped), which lets the CPU backend compute dx in
 * parallel batch blocks and the parameter sums once.
 * Edge rules: b = 0 or t = 0 does nothing; NaN in a group spreads to the whole group.
 * Argument rules (group_norm_check, abort): b, t >= 0, c >= 1, groups >= 1 dividing c,
 * eps >= 0.
 * Precision: the reference in double; the CUDA statistics in float (two-pass), within
 * 2e-5 of it for groups of a few thousand values.
 *
 * <op>_ref: the plain C specification (kernels/group_norm_ref.c).
 * <op>_cuda: CUDA variants and dispatcher (kernels/group_norm.cu); stream passed opaquely. */
#ifndef RISE_KERNELS_GROUP_NORM_H
#define RISE_KERNELS_GROUP_NORM_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- per-element rules shared by the reference and the kernels ---- */

/* 1 when the shape is valid: C divisible by G, sizes positive (b, t may be 0). */
RISE_HD int group_norm_shape_ok(int b, int t, int c, int groups) {
    return b >= 0 && t >= 0 && c > 0 && groups > 0 && c % groups == 0;
}

static inline void group_norm_check(const char *op, int b, int t, int c, int groups) {
    RISE_ASSERT(group_norm_shape_ok(b, t, c, groups),
                "%s: bad shape b=%d t=%d c=%d groups=%d (b, t >= 0; groups >= 1 dividing c)", op, b,
                t, c, groups);
}

static inline void group_norm_check_eps(float eps) {
    RISE_ASSERT(eps >= 0.0f, "group_norm_forward: eps=%g must be >= 0", (double)eps);
}

/* y = xhat gamma[c] + beta[c], either NULL meaning 1 / 0. */
RISE_HD float group_norm_affine(float xhat, const float *gamma, const float *beta, int c) {
    float v = xhat;
    if (gamma) v *= gamma[c];
    if (beta) v += beta[c];
    return v;
}

/* dx for one element from g = dy gamma, its xhat and the group's mean(g), mean(g xhat):
 * the LayerNorm backward over the group's n = T C/G values. */
RISE_HD float group_norm_dx(double g, double xhat, double rstd, double mean_g, double mean_gx) {
    return (float)(rstd * (g - mean_g - xhat * mean_gx));
}

void group_norm_forward_ref(float *y, float *mean, float *rstd, const float *x, const float *gamma,
                            const float *beta, int b, int t, int c, int groups, float eps);
/* dx (NULL: skipped) overwritten or accumulated; dgamma/dbeta (NULL: skipped) accumulated.
 * Batch items are independent in y and dx, so the CPU backend runs row blocks in parallel
 * with the parameter sums (dgamma/dbeta, in double over every item) done once. */
void group_norm_backward_ref(float *dx, float *dgamma, float *dbeta, const float *dy,
                             const float *x, const float *mean, const float *rstd,
                             const float *gamma, int b, int t, int c, int groups, int accumulate);

void group_norm_forward_cuda(void *stream, float *y, float *mean, float *rstd, const float *x,
                             const float *gamma, const float *beta, int b, int t, int c, int groups,
                             float eps);
void group_norm_backward_cuda(void *stream, float *dx, float *dgamma, float *dbeta, const float *dy,
                              const float *x, const float *mean, const float *rstd,
                              const float *gamma, int b, int t, int c, int groups, int accumulate);
/* Numbered variants for tests and benchmarks: 1 one block per (b, g), 2 one warp per (b, g). */
#define GROUP_NORM_CUDA_VARIANTS 2
int group_norm_cuda_supports(int variant, int b, int t, int c, int groups);
void group_norm_forward_cuda_variant(int variant, void *stream, float *y, float *mean, float *rstd,
                                     const float *x, const float *gamma, const float *beta, int b,
                                     int t, int c, int groups, float eps);
void group_norm_backward_cuda_variant(int variant, void *stream, float *dx, float *dgamma,
                                      float *dbeta, const float *dy, const float *x,
                                      const float *mean, const float *rstd, const float *gamma,
                                      int b, int t, int c, int groups, int accumulate);

#ifdef __cplusplus
}
#endif
#endif
