/* loss_ref.c - CPU reference for the fused loss-and-gradient ops and the TD target (the ops
 * and their rules: kernels/loss.h). Serial sums in double. */
#include "loss.h"

void mse_ref(float *loss, float *dpred, const float *pred, const float *target, const float *w,
             size_t n, float scale) {
    const double k = loss_mean_scale(scale, n);
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) {
        const double d = (double)pred[i] - (double)target[i];
        const double wi = w ? (double)w[i] : 1.0;
        sum += wi * d * d;
        if (dpred) dpred[i] = (float)(2.0 * k * wi * d);
    }
    *loss = (float)(sum * k);
}

void expectile_ref(float *loss, float *dv, const float *q, const float *v, size_t n, float tau,
                   float scale) {
    expectile_check(tau);
    const double k = loss_mean_scale(scale, n);
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) {
        const double u = (double)q[i] - (double)v[i];
        const double wi = expectile_weight(u, tau);
        sum += wi * u * u;
        if (dv) dv[i] = (float)(-2.0 * k * wi * u);
    }
    *loss = (float)(sum * k);
}

void td_target_ref(float *y, const float *r, const float *done, const float *v_next, size_t n,
                   float gamma) {
    for (size_t i = 0; i < n; ++i) y[i] = td_target_value(r[i], done[i], v_next[i], gamma);
}
