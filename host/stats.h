/* stats.h - summary statistics for results over seeds: mean, sample standard deviation,
 * Student-t quantiles and confidence intervals of the mean, and a percentile bootstrap
 * whose resamples are drawn from Philox (kernels/philox.h), so a report's bootstrap
 * interval is the same on every machine and every run.
 *
 *   double lo, hi;
 *   rise_stats_t_interval(x, n, 0.95, &lo, &hi);          // mean +- t * sd / sqrt(n)
 *   rise_stats_bootstrap_interval(x, n, 0.95, 10000, 0, &lo, &hi);
 *
 * With a handful of seeds (the usual 3-5) the t interval is the honest default: it widens
 * with the few degrees of freedom, where a percentile bootstrap can never reach beyond the
 * sample's own minimum and maximum and so covers the mean far less often than it claims. */
#ifndef RISE_STATS_H
#define RISE_STATS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

double rise_stats_mean(const double *x, int n);
/* Sample standard deviation (divisor n - 1); 0 when n < 2. */
double rise_stats_sd(const double *x, int n);

/* P(T <= t) for Student's t with df > 0 degrees of freedom (regularised incomplete beta). */
double rise_stats_t_cdf(double t, double df);
/* The p-quantile of Student's t with df > 0, p in (0, 1); accurate to ~1e-12 relative. */
double rise_stats_t_quantile(double p, double df);

/* Two-sided `level` (e.g. 0.95) interval for the mean: mean +- t_{(1+level)/2, n-1} sd/sqrt(n).
 * Returns 0 and sets NaN bounds when n < 2 (no spread to estimate). */
int rise_stats_t_interval(const double *x, int n, double level, double *lo, double *hi);

/* Percentile bootstrap interval of the mean: `resamples` resamples of n values drawn with
 * replacement (index j of resample b is rise_below(word b*n + j of Philox(seed, stream 0), n)),
 * their means sorted, the (1-level)/2 and (1+level)/2 quantiles taken with linear
 * interpolation between order statistics. Returns 0 (NaN bounds) when n < 1, resamples < 2
 * or memory runs out. */
int rise_stats_bootstrap_interval(const double *x, int n, double level, int resamples,
                                  uint64_t seed, double *lo, double *hi);

/* Two-sided `level` interval for the difference of two means, mean(a) - mean(b), from
 * samples of possibly unequal variance (Welch): d +- t_{(1+level)/2, nu} se with
 * se^2 = sa^2/na + sb^2/nb and nu the Welch-Satterthwaite degrees of freedom. When both
 * samples have no spread the interval is the point [d, d]. Returns 0 (NaN bounds) when
 * na < 2 or nb < 2. */
int rise_stats_welch_interval(const double *a, int na, const double *b, int nb, double level,
                              double *lo, double *hi);

/* Percentile bootstrap interval of mean(a) - mean(b): a and b resampled independently, with
 * resample r's indices drawn from Philox(seed, stream 0) words r*(na+nb) + j (a's j < na,
 * then b's). Returns 0 (NaN bounds) when na < 1, nb < 1, resamples < 2 or memory runs out. */
int rise_stats_bootstrap_diff_interval(const double *a, int na, const double *b, int nb,
                                       double level, int resamples, uint64_t seed, double *lo,
                                       double *hi);

/* The q-quantile (q in [0, 1]) of sorted values v[0..n-1]: linear interpolation between the
 * order statistics at position q (n - 1). */
double rise_stats_quantile_sorted(const double *v, int n, double q);

#ifdef __cplusplus
}
#endif
#endif
