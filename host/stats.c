/* stats.c - mean, standard deviation, Student-t quantiles and intervals, a Philox bootstrap
 * (see stats.h). The t distribution goes through the regularised incomplete beta function,
 * evaluated by its continued fraction (modified Lentz); quantiles by bisection on the
 * tail, which is slow by numerical standards and irrelevant next to the runs it summarises. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

#include "kernels/philox.h"

double rise_stats_mean(const double *x, int n) {
    if (n < 1) return NAN;
    /* long double: the mean of a few values comes out correctly rounded, so a table printed
     * from it rounds as one printed from exact arithmetic would */
    long double s = 0.0L;
    for (int i = 0; i < n; ++i) s += x[i];
    return (double)(s / n);
}

double rise_stats_sd(const double *x, int n) {
    if (n < 2) return 0.0;
    const long double m = rise_stats_mean(x, n);
    long double s = 0.0L;
    for (int i = 0; i < n; ++i) s += (x[i] - m) * (x[i] - m);
    return (double)sqrtl(s / (n - 1));
}

/* 1 + d1/(1 + d2/(1 + ...)) for I_x(a, b); converges fast when x < (a + 1)/(a + b + 2). */
static double beta_continued_fraction(double a, double b, double x) {
    const double tiny = 1e-300;
    double f = 1.0, c = 1.0, d = 0.0;
    for (int m = 0; m < 1000; ++m) {
        for (int half = 0; half < 2; ++half) {
            double num;
            if (half == 0) { /* d_{2m+1} */
                num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
            } else { /* d_{2m+2} */
                const double k = m + 1;
                num = k * (b - k) * x / ((a + 2 * k - 1) * (a + 2 * k));
            }
            d = 1.0 + num * d;
            c = 1.0 + num / c;
            if (fabs(d) < tiny) d = tiny;
            if (fabs(c) < tiny) c = tiny;
            d = 1.0 / d;
            const double delta = c * d;
            f *= delta;
            if (fabs(delta - 1.0) < 1e-15) return f;
        }
    }
    return f;
}

/* I_x(a, b), the regularised incomplete beta function; y = 1 - x given separately so
 * that a tail close to 0 keeps its digits. */
static double incomplete_beta(double a, double b, double x, double y) {
    if (x <= 0.0) return 0.0;
    if (y <= 0.0) return 1.0;
    const double log_front = a * log(x) + b * log(y) + lgamma(a + b) - lgamma(a) - lgamma(b);
    if (x < (a + 1.0) / (a + b + 2.0))
        return exp(log_front) / (a * beta_continued_fraction(a, b, x));
    return 1.0 - exp(log_front) / (b * beta_continued_fraction(b, a, y));
}

/* P(T > t) for t >= 0. */
static double t_upper_tail(double t, double df) {
    const double t2 = t * t;
    return 0.5 * incomplete_beta(0.5 * df, 0.5, df / (df + t2), t2 / (df + t2));
}

double rise_stats_t_cdf(double t, double df) {
    if (!(df > 0.0) || isnan(t)) return NAN;
    const double tail = t_upper_tail(fabs(t), df);
    return t >= 0.0 ? 1.0 - tail : tail;
}

double rise_stats_t_quantile(double p, double df) {
    if (!(p > 0.0 && p < 1.0) || !(df > 0.0)) return NAN;
    if (p == 0.5) return 0.0;
    if (p < 0.5) return -rise_stats_t_quantile(1.0 - p, df);
    const double tail = 1.0 - p; /* find t with P(T > t) = tail */
    double lo = 0.0, hi = 1.0;
    while (t_upper_tail(hi, df) > tail && hi < 1e300) {
        lo = hi;
        hi *= 2.0;
    }
    for (int i = 0; i < 2000 && hi - lo > 1e-14 * hi; ++i) {
        const double mid = 0.5 * (lo + hi);
        if (t_upper_tail(mid, df) > tail)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

int rise_stats_t_interval(const double *x, int n, double level, double *lo, double *hi) {
    *lo = *hi = NAN;
    if (n < 2 || !(level > 0.0 && level < 1.0)) return 0;
    const double m = rise_stats_mean(x, n), se = rise_stats_sd(x, n) / sqrt((double)n);
    const double t = rise_stats_t_quantile(0.5 * (1.0 + level), n - 1);
    *lo = m - t * se;
    *hi = m + t * se;
    return 1;
}

static int compare_doubles(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double rise_stats_quantile_sorted(const double *v, int n, double q) {
    if (n < 1) return NAN;
    const double h = q * (n - 1);
    int k = (int)floor(h);
    if (k < 0) k = 0;
    if (k >= n - 1) return v[n - 1];
    return v[k] + (h - k) * (v[k + 1] - v[k]);
}

int rise_stats_bootstrap_interval(const double *x, int n, double level, int resamples,
                                  uint64_t seed, double *lo, double *hi) {
    *lo = *hi = NAN;
    if (n < 1 || resamples < 2 || !(level > 0.0 && level < 1.0)) return 0;
    double *means = malloc((size_t)resamples * sizeof *means);
    if (!means) return 0;
    for (int b = 0; b < resamples; ++b) {
        double s = 0.0;
        for (int j = 0; j < n; ++j) {
            const uint32_t w = rise_rng_word(seed, 0, 0, (uint64_t)b * (uint64_t)n + (uint64_t)j);
            s += x[rise_below(w, (uint32_t)n)];
        }
        means[b] = s / n;
    }
    qsort(means, (size_t)resamples, sizeof *means, compare_doubles);
    *lo = rise_stats_quantile_sorted(means, resamples, 0.5 * (1.0 - level));
    *hi = rise_stats_quantile_sorted(means, resamples, 0.5 * (1.0 + level));
    free(means);
    return 1;
}

int rise_stats_welch_interval(const double *a, int na, const double *b, int nb, double level,
                              double *lo, double *hi) {
    *lo = *hi = NAN;
    if (na < 2 || nb < 2 || !(level > 0.0 && level < 1.0)) return 0;
    const double d = rise_stats_mean(a, na) - rise_stats_mean(b, nb);
    const double sa = rise_stats_sd(a, na), sb = rise_stats_sd(b, nb);
    const double va = sa * sa / na, vb = sb * sb / nb, se2 = va + vb;
    if (se2 == 0.0) { /* no spread on either side: nothing to widen */
        *lo = *hi = d;
        return 1;
    }
    const double nu = se2 * se2 / (va * va / (na - 1) + vb * vb / (nb - 1));
    const double t = rise_stats_t_quantile(0.5 * (1.0 + level), nu);
    *lo = d - t * sqrt(se2);
    *hi = d + t * sqrt(se2);
    return 1;
}

int rise_stats_bootstrap_diff_interval(const double *a, int na, const double *b, int nb,
                                       double level, int resamples, uint64_t seed, double *lo,
                                       double *hi) {
    *lo = *hi = NAN;
    if (na < 1 || nb < 1 || resamples < 2 || !(level > 0.0 && level < 1.0)) return 0;
    double *diffs = malloc((size_t)resamples * sizeof *diffs);
    if (!diffs) return 0;
    const uint64_t per = (uint64_t)na + (uint64_t)nb;
    for (int r = 0; r < resamples; ++r) {
        double sa = 0.0, sb = 0.0;
        for (int j = 0; j < na; ++j)
            sa += a[rise_below(rise_rng_word(seed, 0, 0, (uint64_t)r * per + (uint64_t)j),
                               (uint32_t)na)];
        for (int j = 0; j < nb; ++j)
            sb += b[rise_below(rise_rng_word(seed, 0, 0, (uint64_t)r * per + (uint64_t)(na + j)),
                               (uint32_t)nb)];
        diffs[r] = sa / na - sb / nb;
    }
    qsort(diffs, (size_t)resamples, sizeof *diffs, compare_doubles);
    *lo = rise_stats_quantile_sorted(diffs, resamples, 0.5 * (1.0 - level));
    *hi = rise_stats_quantile_sorted(diffs, resamples, 0.5 * (1.0 + level));
    free(diffs);
    return 1;
}
