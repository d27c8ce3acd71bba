/* loss.h - fused loss-and-gradient ops (MSE, expectile) and the TD target. The one
 * description of these ops (the backend table in host/backend.h points here).
 *
 *   mse:        d = pred - target, loss = k sum w d^2, dpred = 2 k w d
 *   expectile:  u = q - v, w = |tau - 1(u < 0)| (expectile_weight), loss = k sum w u^2,
 *               dv = -2 k w u  (IQL's value loss; q is the target, v the prediction)
 *   td_target:  y = r + gamma (1 - done) v_next
 * with k = scale / n (loss_mean_scale). The scalar loss goes to *loss (backend memory,
 * so a step never synchronises); the gradient is OVERWRITTEN, already scaled, and may be
 * NULL when only the loss is wanted; w may be NULL (all 1). Differences, weights and the
 * loss sum are evaluated in double (the sum serially in the reference, in a fixed tree
 * on the device).
 * Edge rules: n = 0 gives loss 0 (nothing divided) and writes no gradient; NaN in an
 * input gives a NaN loss and NaN gradients where it sits (a NaN u takes weight tau).
 * td_target rounds each product as written (rise_mul_rn, never an FMA), so both
 * backends give the same bits.
 * Argument rules (expectile_check, abort): 0 <= tau <= 1.
 *
 * <op>_ref: plain C reference (kernels/loss_ref.c).
 * <op>_cuda: CUDA dispatchers (kernels/loss.cu); `stream` is the backend's cudaStream_t
 * passed opaquely (never NULL), so this header needs no CUDA types. */
#ifndef RISE_KERNELS_LOSS_H
#define RISE_KERNELS_LOSS_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"
#include "host_device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- shared rules (reference and kernels) ---- */

static inline void expectile_check(float tau) {
    RISE_ASSERT(tau >= 0.0f && tau <= 1.0f, "expectile: tau=%g outside [0, 1]", (double)tau);
}

/* k = scale / n, 0 for n = 0. */
RISE_HD double loss_mean_scale(float scale, size_t n) {
    return n ? (double)scale / (double)n : 0.0;
}

RISE_HD double expectile_weight(double u, float tau) {
    return u < 0.0 ? 1.0 - (double)tau : (double)tau;
}

RISE_HD float td_target_value(float r, float done, float v_next, float gamma) {
    return rise_add_rn(r, rise_mul_rn(rise_mul_rn(gamma, 1.0f - done), v_next));
}

/* ---- the ops ---- */

void mse_ref(float *loss, float *dpred, const float *pred, const float *target, const float *w,
             size_t n, float scale);
void expectile_ref(float *loss, float *dv, const float *q, const float *v, size_t n, float tau,
                   float scale);
void td_target_ref(float *y, const float *r, const float *done, const float *v_next, size_t n,
                   float gamma);

void mse_cuda(void *stream, float *loss, float *dpred, const float *pred, const float *target,
              const float *w, size_t n, float scale);
void expectile_cuda(void *stream, float *loss, float *dv, const float *q, const float *v, size_t n,
                    float tau, float scale);
void td_target_cuda(void *stream, float *y, const float *r, const float *done, const float *v_next,
                    size_t n, float gamma);

#ifdef __cplusplus
}
#endif
#endif
