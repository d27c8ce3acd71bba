/* group_norm_ref.c - CPU reference for GroupNorm over channels-last x [B, T, C].
 *
 * Per (b, g): n = T C/G values, mean and biased variance in double (two passes),
 * rstd = 1/sqrt(var + eps), y = (x - mean) rstd gamma[c] + beta[c].
 * Backward with xhat = (x - mean) rstd and g = dy gamma, over the group's values:
 *   dx = rstd (g - mean(g) - xhat mean(g xhat))     (overwrite or +=)
 *   dgamma[c] += sum_{b,t} dy xhat,  dbeta[c] += sum_{b,t} dy
 * Every sum runs over its group's (or channel's) values in (t, channel) order; the loops
 * sweep whole rows and keep one accumulator per group (or channel), so each batch item is
 * read once per pass in memory order whatever the group width. */
#include "group_norm.h"

#include <math.h>
#include <stdlib.h>

/* The body (the arguments after cg) for every element e = ti C + ch of one item's row [T, C], in
 * memory order, with g its group. */
#define FOR_ROW(t, groups, cg, ...)                                                                \
    do {                                                                                           \
        int64_t e = 0;                                                                             \
        for (int ti = 0; ti < (t); ++ti)                                                           \
            for (int g = 0; g < (groups); ++g)                                                     \
                for (int ch = g * (cg); ch < (g + 1) * (cg); ++ch, ++e) {                          \
                    __VA_ARGS__;                                                                   \
                }                                                                                  \
    } while (0)

/* n doubles: from the caller's stack buffer when they fit, else the heap. */
static double *sums(double *stack, size_t cap, size_t n) {
    double *p = n <= cap ? stack : malloc(sizeof(double) * n);
    RISE_ASSERT(p, "group_norm: out of memory for %zu sums", n);
    for (size_t i = 0; i < n; ++i) p[i] = 0.0;
    return p;
}

void group_norm_forward_ref(float *y, float *mean, float *rstd, const float *x, const float *gamma,
                            const float *beta, int b, int t, int c, int groups, float eps) {
    group_norm_check("group_norm_forward", b, t, c, groups);
    group_norm_check_eps(eps);
    const int cg = c / groups;
    const double n = (double)t * cg;
    double stack[2 * 256];
    double *acc = sums(stack, 2 * 256, 2 * (size_t)groups), *mu = acc + groups;
    for (int bi = 0; bi < b; ++bi) {
        const float *xb = x + (int64_t)bi * t * c;
        float *yb = y + (int64_t)bi * t * c;
        for (int g = 0; g < groups; ++g) acc[g] = 0.0;
        FOR_ROW(t, groups, cg, acc[g] += xb[e]);
        for (int g = 0; g < groups; ++g) mu[g] = n > 0 ? acc[g] / n : 0.0, acc[g] = 0.0;
        FOR_ROW(t, groups, cg, {
            const double d = xb[e] - mu[g];
            acc[g] += d * d;
        });
        for (int g = 0; g < groups; ++g) {
            const double rs = 1.0 / sqrt((n > 0 ? acc[g] / n : 0.0) + (double)eps);
            mean[(int64_t)bi * groups + g] = (float)mu[g];
            rstd[(int64_t)bi * groups + g] = (float)rs;
            acc[g] = rs;
        }
        FOR_ROW(t, groups, cg,
                yb[e] = group_norm_affine((float)((xb[e] - mu[g]) * acc[g]), gamma, beta, ch));
    }
    if (acc != stack) free(acc);
}

void group_norm_backward_ref(float *dx, float *dgamma, float *dbeta, const float *dy,
                             const float *x, const float *mean, const float *rstd,
                             const float *gamma, int b, int t, int c, int groups, int accumulate) {
    group_norm_check("group_norm_backward", b, t, c, groups);
    const int cg = c / groups;
    const double n = (double)t * cg;
    const int64_t row = (int64_t)t * c;
    if (dx) {
        double stack[2 * 256];
        double *sg = sums(stack, 2 * 256, 2 * (size_t)groups), *sgx = sg + groups;
        for (int bi = 0; bi < b; ++bi) {
            const float *m = mean + (int64_t)bi * groups, *r = rstd + (int64_t)bi * groups;
            for (int g = 0; g < 2 * groups; ++g) sg[g] = 0.0;
            const float *xb = x + bi * row, *dyb = dy + bi * row;
            float *dxb = dx + bi * row;
            FOR_ROW(t, groups, cg, {
                const double gv = gamma ? (double)dyb[e] * gamma[ch] : dyb[e];
                sg[g] += gv;
                sgx[g] += gv * ((xb[e] - (double)m[g]) * (double)r[g]);
            });
            for (int g = 0; g < groups; ++g) /* the means of g and g xhat */
                sg[g] = n > 0 ? sg[g] / n : 0.0, sgx[g] = n > 0 ? sgx[g] / n : 0.0;
            FOR_ROW(t, groups, cg, {
                const double mu = m[g], rs = r[g];
                const double gv = gamma ? (double)dyb[e] * gamma[ch] : dyb[e];
                const float v = group_norm_dx(gv, (xb[e] - mu) * rs, rs, sg[g], sgx[g]);
                dxb[e] = accumulate ? dxb[e] + v : v;
            });
        }
        if (sg != stack) free(sg);
    }
    if (dgamma || dbeta) {
        double stack[2 * 512];
        double *acc = sums(stack, 2 * 512, 2 * (size_t)c);
        for (int bi = 0; bi < b; ++bi) {
            const float *m = mean + (int64_t)bi * groups, *r = rstd + (int64_t)bi * groups;
            const float *xb = x + bi * row, *dyb = dy + bi * row;
            FOR_ROW(t, groups, cg, {
                acc[ch] += (double)dyb[e] * ((xb[e] - (double)m[g]) * (double)r[g]);
                acc[c + ch] += dyb[e];
            });
        }
        for (int ch = 0; ch < c; ++ch) {
            if (dgamma) dgamma[ch] += (float)acc[ch];
            if (dbeta) dbeta[ch] += (float)acc[c + ch];
        }
        if (acc != stack) free(acc);
    }
}
