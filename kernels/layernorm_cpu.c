/* layernorm_cpu.c - the fast CPU LayerNorm ("cpu" backend): layernorm_ref.c's double
 * arithmetic, four lanes at a time, rows split over threads.
 *
 * Per row the reference sums in column order; here each row's sums (mean, centred sum of
 * squares, the backward's sum g and sum g xhat) run in eight interleaved double
 * accumulators added up in a fixed order, so they differ from the reference only in the
 * last bits of a double before the result is rounded to float. Everything else is the
 * reference's expression per element. The parameter gradients (dgamma, dbeta) are column
 * sums over rows in row order in double, split over threads by columns: the reference's
 * order, bit for bit. Nothing depends on the thread count. */
#include "layernorm.h"
#include "cpu_chunks.h"
#include "simd_cpu.h"

#include <math.h>

static inline double vd_hsum(vd4 a, vd4 b) {
    const vd4 s = _mm256_add_pd(a, b);
    double t[4];
    _mm256_storeu_pd(t, s);
    return (t[0] + t[1]) + (t[2] + t[3]);
}

/* Sum of x[j] (centre = 0) or of (x[j] - centre)^2 over a row, in double. */
static double row_sum(const float *x, int cols, double centre, int squares) {
    vd4 a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
    const vd4 c = _mm256_set1_pd(centre);
    int j = 0;
    for (; j + 8 <= cols; j += 8) {
        const vf8 v = vf_load(x + j);
        vd4 lo = vd_lo(v), hi = vd_hi(v);
        if (squares) {
            lo = _mm256_sub_pd(lo, c), hi = _mm256_sub_pd(hi, c);
            lo = _mm256_mul_pd(lo, lo), hi = _mm256_mul_pd(hi, hi);
        }
        a0 = _mm256_add_pd(a0, lo), a1 = _mm256_add_pd(a1, hi);
    }
    double s = vd_hsum(a0, a1);
    for (; j < cols; ++j) s += squares ? (x[j] - centre) * (x[j] - centre) : (double)x[j];
    return s;
}

static void forward_rows(float *y, float *mean, float *rstd, const float *x, const float *gamma,
                         const float *beta, size_t lo, size_t hi, int cols, float eps) {
    for (size_t r = lo; r < hi; ++r) {
        const float *xr = x + r * (size_t)cols;
        float *yr = y + r * (size_t)cols;
        const double mu = row_sum(xr, cols, 0.0, 0) / cols;
        const double rs = 1.0 / sqrt(row_sum(xr, cols, mu, 1) / cols + (double)eps);
        const vd4 mu4 = _mm256_set1_pd(mu), rs4 = _mm256_set1_pd(rs);
        int j = 0;
        for (; j + 4 <= cols; j += 4) {
            vd4 v = _mm256_mul_pd(_mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(xr + j)), mu4), rs4);
            if (gamma) v = _mm256_mul_pd(v, _mm256_cvtps_pd(_mm_loadu_ps(gamma + j)));
            if (beta) v = _mm256_add_pd(v, _mm256_cvtps_pd(_mm_loadu_ps(beta + j)));
            _mm_storeu_ps(yr + j, _mm256_cvtpd_ps(v));
        }
        for (; j < cols; ++j) yr[j] = layernorm_out(xr[j], mu, rs, gamma, beta, j);
        mean[r] = (float)mu;
        rstd[r] = (float)rs;
    }
}

void layernorm_forward_cpu(float *y, float *mean, float *rstd, const float *x, const float *gamma,
                           const float *beta, int rows, int cols, float eps) {
    layernorm_check("layernorm_forward", rows, cols);
    layernorm_check_eps(eps);
    CPU_FOR_CHUNKS((size_t)rows, 1, 2 * (size_t)cols,
                   forward_rows(y, mean, rstd, x, gamma, beta, lo, hi, cols, eps));
}

/* g = dy gamma (or dy) and xhat = (x - mu) rs for four columns, in double. */
static inline void g_xhat(const float *dyr, const float *xr, const float *gamma, int j, vd4 mu4,
                          vd4 rs4, vd4 *g, vd4 *xhat) {
    *g = _mm256_cvtps_pd(_mm_loadu_ps(dyr + j));
    if (gamma) *g = _mm256_mul_pd(*g, _mm256_cvtps_pd(_mm_loadu_ps(gamma + j)));
    *xhat = _mm256_mul_pd(_mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(xr + j)), mu4), rs4);
}

static void backward_rows(float *dx, const float *dy, const float *x, const float *mean,
                          const float *rstd, const float *gamma, size_t lo, size_t hi, int cols,
                          int accumulate) {
    for (size_t r = lo; r < hi; ++r) {
        const float *xr = x + r * (size_t)cols, *dyr = dy + r * (size_t)cols;
        float *dxr = dx + r * (size_t)cols;
        const double mu = mean[r], rs = rstd[r];
        const vd4 mu4 = _mm256_set1_pd(mu), rs4 = _mm256_set1_pd(rs);
        vd4 sg0 = _mm256_setzero_pd(), sg1 = _mm256_setzero_pd();
        vd4 sx0 = _mm256_setzero_pd(), sx1 = _mm256_setzero_pd();
        int j = 0;
        for (; j + 8 <= cols; j += 8) {
            vd4 g0, x0, g1, x1;
            g_xhat(dyr, xr, gamma, j, mu4, rs4, &g0, &x0);
            g_xhat(dyr, xr, gamma, j + 4, mu4, rs4, &g1, &x1);
            sg0 = _mm256_add_pd(sg0, g0), sg1 = _mm256_add_pd(sg1, g1);
            sx0 = _mm256_add_pd(sx0, _mm256_mul_pd(g0, x0));
            sx1 = _mm256_add_pd(sx1, _mm256_mul_pd(g1, x1));
        }
        double sum_g = vd_hsum(sg0, sg1), sum_gx = vd_hsum(sx0, sx1);
        for (int t = j; t < cols; ++t) {
            const double g = gamma ? (double)dyr[t] * gamma[t] : (double)dyr[t];
            sum_g += g;
            sum_gx += g * ((xr[t] - mu) * rs);
        }
        const double mean_g = sum_g / cols, mean_gx = sum_gx / cols;
        const vd4 mg4 = _mm256_set1_pd(mean_g), mgx4 = _mm256_set1_pd(mean_gx);
        for (j = 0; j + 4 <= cols; j += 4) {
            vd4 g, xhat;
            g_xhat(dyr, xr, gamma, j, mu4, rs4, &g, &xhat);
            const vd4 v =
                _mm256_mul_pd(rs4, _mm256_sub_pd(_mm256_sub_pd(g, mg4), _mm256_mul_pd(xhat, mgx4)));
            __m128 f = _mm256_cvtpd_ps(v);
            if (accumulate) f = _mm_add_ps(_mm_loadu_ps(dxr + j), f);
            _mm_storeu_ps(dxr + j, f);
        }
        for (; j < cols; ++j) {
            const double g = gamma ? (double)dyr[j] * gamma[j] : (double)dyr[j];
            const double xhat = (xr[j] - mu) * rs;
            const float v = (float)(rs * (g - mean_g - xhat * mean_gx));
            dxr[j] = accumulate ? dxr[j] + v : v;
        }
    }
}

/* dgamma/dbeta for columns [c0, c1): sums over all rows in row order, in double. */
#define LN_TILE 256
static void param_grad_cols(float *dgamma, float *dbeta, const float *dy, const float *x,
                            const float *mean, const float *rstd, int rows, int cols, size_t c0,
                            size_t c1) {
    double sg[LN_TILE], sb[LN_TILE];
    for (size_t t0 = c0; t0 < c1; t0 += LN_TILE) {
        const size_t w = c1 - t0 < LN_TILE ? c1 - t0 : LN_TILE;
        for (size_t j = 0; j < w; ++j) sg[j] = sb[j] = 0.0;
        for (int r = 0; r < rows; ++r) {
            const float *d = dy + (size_t)r * cols + t0, *xr = x + (size_t)r * cols + t0;
            const double mu = mean[r], rs = rstd[r];
            for (size_t j = 0; j < w; ++j) {
                const double dd = d[j];
                sg[j] += dd * ((xr[j] - mu) * rs);
                sb[j] += dd;
            }
        }
        for (size_t j = 0; j < w; ++j) {
            if (dgamma) dgamma[t0 + j] += (float)sg[j];
            if (dbeta) dbeta[t0 + j] += (float)sb[j];
        }
    }
}

void layernorm_backward_cpu(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                            const float *mean, const float *rstd, const float *gamma, int rows,
                            int cols, int accumulate) {
    layernorm_check("layernorm_backward", rows, cols);
    if (dx)
        CPU_FOR_CHUNKS((size_t)rows, 1, 3 * (size_t)cols,
                       backward_rows(dx, dy, x, mean, rstd, gamma, lo, hi, cols, accumulate));
    if (dgamma || dbeta)
        CPU_FOR_CHUNKS((size_t)cols, VF_LANES, 2 * (size_t)rows,
                       param_grad_cols(dgamma, dbeta, dy, x, mean, rstd, rows, cols, lo, hi));
}
