/* layernorm_ref.c - CPU reference for LayerNorm over the last dimension (the op and its
 * rules: kernels/layernorm.h). Statistics and sums in double. */
#include "layernorm.h"

#include <math.h>

void layernorm_forward_ref(float *y, float *mean, float *rstd, const float *x, const float *gamma,
                           const float *beta, int rows, int cols, float eps) {
    layernorm_check("layernorm_forward", rows, cols);
    layernorm_check_eps(eps);
    for (int r = 0; r < rows; ++r) {
        const float *xr = x + (int64_t)r * cols;
        float *yr = y + (int64_t)r * cols;
        double sum = 0.0;
        for (int j = 0; j < cols; ++j) sum += xr[j];
        const double mu = sum / cols;
        double sq = 0.0;
        for (int j = 0; j < cols; ++j) sq += (xr[j] - mu) * (xr[j] - mu);
        const double rs = 1.0 / sqrt(sq / cols + (double)eps);
        for (int j = 0; j < cols; ++j) yr[j] = layernorm_out(xr[j], mu, rs, gamma, beta, j);
        mean[r] = (float)mu;
        rstd[r] = (float)rs;
    }
}

void layernorm_backward_ref(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                            const float *mean, const float *rstd, const float *gamma, int rows,
                            int cols, int accumulate) {
    layernorm_check("layernorm_backward", rows, cols);
    if (dx) {
        for (int r = 0; r < rows; ++r) {
            const float *xr = x + (int64_t)r * cols, *dyr = dy + (int64_t)r * cols;
            float *dxr = dx + (int64_t)r * cols;
            const double mu = mean[r], rs = rstd[r];
            double sum_g = 0.0, sum_gx = 0.0;
            for (int j = 0; j < cols; ++j) {
                const double g = gamma ? (double)dyr[j] * gamma[j] : (double)dyr[j];
                sum_g += g;
                sum_gx += g * ((xr[j] - mu) * rs);
            }
            const double mean_g = sum_g / cols, mean_gx = sum_gx / cols;
            for (int j = 0; j < cols; ++j) {
                const double g = gamma ? (double)dyr[j] * gamma[j] : (double)dyr[j];
                const double xhat = (xr[j] - mu) * rs;
                const float v = (float)(rs * (g - mean_g - xhat * mean_gx));
                dxr[j] = accumulate ? dxr[j] + v : v;
            }
        }
    }
    if (dgamma || dbeta) {
        for (int j = 0; j < cols; ++j) {
            double sg = 0.0, sb = 0.0;
            for (int r = 0; r < rows; ++r) {
                const double d = dy[(int64_t)r * cols + j];
                sg += d * ((x[(int64_t)r * cols + j] - (double)mean[r]) * rstd[r]);
                sb += d;
            }
            if (dgamma) dgamma[j] += (float)sg;
            if (dbeta) dbeta[j] += (float)sb;
        }
    }
}
