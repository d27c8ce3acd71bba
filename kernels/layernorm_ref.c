/* layernorm_ref.c - reference LayerNorm over the last dimension.
 * Biased variance, rstd = 1/sqrt(var + eps), statistics in double. */
#include "layernorm.h"

#include <math.h>

void layernorm_forward_ref(float *y, float *mean, float *rstd, const float *x, const float *gamma,
                           const float *beta, int rows, int cols, float eps) {
    for (int r = 0; r < rows; ++r) {
        const float *xr = x + (int64_t)r * cols;
        float *yr = y + (int64_t)r * cols;
        double mu = 0.0, var = 0.0;
        for (int c = 0; c < cols; ++c) mu += xr[c];
        mu /= cols;
        for (int c = 0; c < cols; ++c) var += (xr[c] - mu) * (xr[c] - mu);
        var /= cols;
        const double rs = 1.0 / sqrt(var + eps);
        for (int c = 0; c < cols; ++c) {
            double v = (xr[c] - mu) * rs;
            if (gamma) v *= gamma[c];
            if (beta) v += beta[c];
            yr[c] = (float)v;
        }
        mean[r] = (float)mu;
        rstd[r] = (float)rs;
    }
}

/* With xhat = (x - mean) * rstd and g = dy * gamma:
 *   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)). */
void layernorm_backward_ref(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                            const float *mean, const float *rstd, const float *gamma, int rows,
                            int cols, int accumulate) {
    for (int r = 0; r < rows; ++r) {
        const float *xr = x + (int64_t)r * cols;
        const float *dyr = dy + (int64_t)r * cols;
        double sum_g = 0.0, sum_gx = 0.0;
        for (int c = 0; c < cols; ++c) {
            const double xhat = (xr[c] - mean[r]) * (double)rstd[r];
            const double g = dyr[c] * (gamma ? (double)gamma[c] : 1.0);
            sum_g += g;
            sum_gx += g * xhat;
        }
        const double mg = sum_g / cols, mgx = sum_gx / cols;
        if (dx) {
            float *dxr = dx + (int64_t)r * cols;
            for (int c = 0; c < cols; ++c) {
                const double xhat = (xr[c] - mean[r]) * (double)rstd[r];
                const double g = dyr[c] * (gamma ? (double)gamma[c] : 1.0);
                const float v = (float)(rstd[r] * (g - mg - xhat * mgx));
                dxr[c] = accumulate ? dxr[c] + v : v;
            }
        }
    }
    /* parameter gradients reduce over rows: column-wise, in double */
    for (int c = 0; c < cols && (dgamma || dbeta); ++c) {
        double sg = 0.0, sb = 0.0;
        for (int r = 0; r < rows; ++r) {
            const double d = dy[(int64_t)r * cols + c];
            sg += d * (x[(int64_t)r * cols + c] - mean[r]) * rstd[r];
            sb += d;
        }
        if (dgamma) dgamma[c] += (float)sg;
        if (dbeta) dbeta[c] += (float)sb;
    }
}
