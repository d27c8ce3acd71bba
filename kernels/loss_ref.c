/* loss_ref.c - reference fused loss-and-gradient ops and the TD target. */
#include "loss.h"

void mse_ref(float *loss, float *dpred, const float *pred, const float *target, const float *w,
             size_t n, float scale) {
    double acc = 0.0;
    const double k = n ? (double)scale / (double)n : 0.0;
    for (size_t i = 0; i < n; ++i) {
        const double d = (double)pred[i] - target[i];
        const double wi = w ? w[i] : 1.0;
        acc += wi * d * d;
        if (dpred) dpred[i] = (float)(2.0 * k * wi * d);
    }
    *loss = (float)(acc * k);
}

void expectile_ref(float *loss, float *dv, const float *q, const float *v, size_t n, float tau,
                   float scale) {
    double acc = 0.0;
    const double k = n ? (double)scale / (double)n : 0.0;
    for (size_t i = 0; i < n; ++i) {
        const double u = (double)q[i] - v[i];
        const double w = u < 0.0 ? 1.0 - tau : tau;
        acc += w * u * u;
        if (dv) dv[i] = (float)(-2.0 * k * w * u);
    }
    *loss = (float)(acc * k);
}

void td_target_ref(float *y, const float *r, const float *done, const float *v_next, size_t n,
                   float gamma) {
    for (size_t i = 0; i < n; ++i) y[i] = r[i] + gamma * (1.0f - done[i]) * v_next[i];
}
