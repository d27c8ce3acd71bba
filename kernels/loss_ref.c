/* loss_ref.c - CPU reference for the fused loss-and-gradient ops and the TD target.
 *
 *   mse:       d = pred - target, loss = scale/n sum w d^2, dpred = 2 scale w d / n
 *   expectile: u = q - v, w = |tau - 1(u<0)|, loss = scale/n sum w u^2,
 *              dv = -2 scale w u / n
 * The loss sums accumulate in double. n = 0 gives loss 0 (nothing divided).
 * dpred / dv may be NULL when only the loss is wanted. */
#include "loss.h"

void mse_ref(float *loss, float *dpred, const float *pred, const float *target, const float *w,
             size_t n, float scale) {
    double sum = 0.0;
    const double g = n ? 2.0 * (double)scale / (double)n : 0.0;
    for (size_t i = 0; i < n; ++i) {
        const double d = (double)pred[i] - (double)target[i];
        const double wi = w ? (double)w[i] : 1.0;
        sum += wi * d * d;
        if (dpred) dpred[i] = (float)(g * wi * d);
    }
    *loss = n ? (float)((double)scale * sum / (double)n) : 0.0f;
}

void expectile_ref(float *loss, float *dv, const float *q, const float *v, size_t n, float tau,
                   float scale) {
    RISE_ASSERT(tau >= 0.0f && tau <= 1.0f, "expectile: tau=%g outside [0, 1]", (double)tau);
    double sum = 0.0;
    const double g = n ? 2.0 * (double)scale / (double)n : 0.0;
    for (size_t i = 0; i < n; ++i) {
        const double u = (double)q[i] - (double)v[i];
        const double wi = u < 0.0 ? 1.0 - (double)tau : (double)tau;
        sum += wi * u * u;
        if (dv) dv[i] = (float)(-g * wi * u);
    }
    *loss = n ? (float)((double)scale * sum / (double)n) : 0.0f;
}

void td_target_ref(float *y, const float *r, const float *done, const float *v_next, size_t n,
                   float gamma) {
    for (size_t i = 0; i < n; ++i) y[i] = r[i] + gamma * (1.0f - done[i]) * v_next[i];
}
