/* group_norm_ref.c - CPU reference for GroupNorm over channels-last x [B, T, C].
 *
 * Per (b, g): n = T C/G values, mean and biased variance in double (two passes),
 * rstd = 1/sqrt(var + eps), y = (x - mean) rstd gamma[c] + beta[c].
 * Backward with xhat = (x - mean) rstd and g = dy gamma, over the group's values:
 *   dx = rstd (g - mean(g) - xhat mean(g xhat))     (overwrite or +=)
 *   dgamma[c] += sum_{b,t} dy xhat,  dbeta[c] += sum_{b,t} dy */
#include "group_norm.h"

#include <math.h>
#include <stdlib.h>

void group_norm_forward_ref(float *y, float *mean, float *rstd, const float *x, const float *gamma,
                            const float *beta, int b, int t, int c, int groups, float eps) {
    group_norm_check("group_norm_forward", b, t, c, groups);
    group_norm_check_eps(eps);
    const int cg = c / groups;
    for (int bi = 0; bi < b; ++bi)
        for (int g = 0; g < groups; ++g) {
            const float *xb = x + (int64_t)bi * t * c + (int64_t)g * cg;
            float *yb = y + (int64_t)bi * t * c + (int64_t)g * cg;
            const double n = (double)t * cg;
            double sum = 0.0;
            for (int ti = 0; ti < t; ++ti)
                for (int j = 0; j < cg; ++j) sum += xb[(int64_t)ti * c + j];
            const double mu = n > 0 ? sum / n : 0.0;
            double sq = 0.0;
            for (int ti = 0; ti < t; ++ti)
                for (int j = 0; j < cg; ++j) {
                    const double d = xb[(int64_t)ti * c + j] - mu;
                    sq += d * d;
                }
            const double rs = 1.0 / sqrt((n > 0 ? sq / n : 0.0) + (double)eps);
            for (int ti = 0; ti < t; ++ti)
                for (int j = 0; j < cg; ++j) {
                    const int64_t e = (int64_t)ti * c + j;
                    yb[e] = group_norm_affine((float)((xb[e] - mu) * rs), gamma, beta, g * cg + j);
                }
            mean[(int64_t)bi * groups + g] = (float)mu;
            rstd[(int64_t)bi * groups + g] = (float)rs;
        }
}

void group_norm_backward_ref(float *dx, float *dgamma, float *dbeta, const float *dy,
                             const float *x, const float *mean, const float *rstd,
                             const float *gamma, int b, int t, int c, int groups, int accumulate) {
    group_norm_check("group_norm_backward", b, t, c, groups);
    const int cg = c / groups;
    if (dx) {
        for (int bi = 0; bi < b; ++bi)
            for (int g = 0; g < groups; ++g) {
                const int64_t base = (int64_t)bi * t * c + (int64_t)g * cg;
                const double mu = mean[(int64_t)bi * groups + g];
                const double rs = rstd[(int64_t)bi * groups + g];
                const double n = (double)t * cg;
                double sg = 0.0, sgx = 0.0;
                for (int ti = 0; ti < t; ++ti)
                    for (int j = 0; j < cg; ++j) {
                        const int64_t e = base + (int64_t)ti * c + j;
                        const double gv = gamma ? (double)dy[e] * gamma[g * cg + j] : dy[e];
                        sg += gv;
                        sgx += gv * ((x[e] - mu) * rs);
                    }
                const double mg = n > 0 ? sg / n : 0.0, mgx = n > 0 ? sgx / n : 0.0;
                for (int ti = 0; ti < t; ++ti)
                    for (int j = 0; j < cg; ++j) {
                        const int64_t e = base + (int64_t)ti * c + j;
                        const double gv = gamma ? (double)dy[e] * gamma[g * cg + j] : dy[e];
                        const float v = group_norm_dx(gv, (x[e] - mu) * rs, rs, mg, mgx);
                        dx[e] = accumulate ? dx[e] + v : v;
                    }
            }
    }
    if (dgamma || dbeta) {
        /* per channel, sums over (b, t) in that order; channels side by side so every row of
         * x and dy is read once, in order */
        double stack[2 * 512], *acc = stack;
        if (c > 512) acc = malloc(sizeof(double) * 2 * (size_t)c);
        RISE_ASSERT(acc, "group_norm_backward: out of memory for %d channel sums", c);
        for (int ch = 0; ch < 2 * c; ++ch) acc[ch] = 0.0;
        for (int bi = 0; bi < b; ++bi)
            for (int g = 0; g < groups; ++g) {
                const double mu = mean[(int64_t)bi * groups + g];
                const double rs = rstd[(int64_t)bi * groups + g];
                for (int ti = 0; ti < t; ++ti)
                    for (int j = 0; j < cg; ++j) {
                        const int ch = g * cg + j;
                        const int64_t e = ((int64_t)bi * t + ti) * c + ch;
                        acc[ch] += (double)dy[e] * ((x[e] - mu) * rs);
                        acc[c + ch] += dy[e];
                    }
            }
        for (int ch = 0; ch < c; ++ch) {
            if (dgamma) dgamma[ch] += (float)acc[ch];
            if (dbeta) dbeta[ch] += (float)acc[c + ch];
        }
        if (acc != stack) free(acc);
    }
}
