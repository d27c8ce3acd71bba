/* test_stats.c - host/stats.h against values computed independently: Student-t quantiles
 * from closed forms (1 and 2 degrees of freedom) and printed tables, a t interval worked out
 * here by hand, and the bootstrap's documented Philox draws replayed in this file. */
#include <math.h>
#include <stdlib.h>

#include "host/stats.h"
#include "kernels/philox.h"
#include "test_util.h"

static void check_rel(const char *what, double got, double want, double rel) {
    TEST_CHECK(fabs(got - want) <= rel * fabs(want), "%s: got %.15g, want %.15g", what, got, want);
}

static void test_t_quantiles(void) {
    const double pi = 3.14159265358979323846;
    /* closed forms: Cauchy (df 1) and df 2 */
    for (int k = 0; k < 4; ++k) {
        const double p = (const double[]){0.6, 0.9, 0.975, 0.995}[k];
        check_rel("t quantile df 1", rise_stats_t_quantile(p, 1), tan(pi * (p - 0.5)), 1e-11);
        check_rel("t quantile df 2", rise_stats_t_quantile(p, 2),
                  (2 * p - 1) / sqrt(2 * p * (1 - p)), 1e-11);
    }
    /* printed tables (two-sided 95% unless noted) */
    check_rel("t 0.975 df 4", rise_stats_t_quantile(0.975, 4), 2.7764451051977987, 1e-9);
    check_rel("t 0.975 df 9", rise_stats_t_quantile(0.975, 9), 2.2621571627409915, 1e-9);
    check_rel("t 0.975 df 29", rise_stats_t_quantile(0.975, 29), 2.045229642132703, 1e-9);
    check_rel("t 0.975 df 1000", rise_stats_t_quantile(0.975, 1000), 1.9623390808264078, 1e-9);
    check_rel("t 0.995 df 3", rise_stats_t_quantile(0.995, 3), 5.840909309733351, 1e-9);
    check_rel("t 0.9 df 5", rise_stats_t_quantile(0.9, 5), 1.475884048824481, 1e-9);
    check_rel("t 0.025 df 4 (lower tail)", rise_stats_t_quantile(0.025, 4), -2.7764451051977987,
              1e-9);
    TEST_CHECK(rise_stats_t_quantile(0.5, 7) == 0.0, "median of t is 0");
    TEST_CHECK(isnan(rise_stats_t_quantile(1.0, 3)) && isnan(rise_stats_t_quantile(0.3, 0)),
               "out-of-range arguments give NaN");
    /* the CDF: Cauchy, and df 2's closed form */
    check_rel("t cdf df 1", rise_stats_t_cdf(1.0, 1), 0.75, 1e-12);
    check_rel("t cdf df 2", rise_stats_t_cdf(-1.5, 2), 0.5 - 1.5 / (2 * sqrt(2 + 1.5 * 1.5)),
              1e-12);
    check_rel("t cdf symmetric", rise_stats_t_cdf(0.0, 3.5), 0.5, 1e-15);
}

static void test_mean_sd_interval(void) {
    /* coverage of three seeds, worked by hand: mean 2.03 / 3, deviations from it squared and
     * summed over n - 1 = 2 */
    const double x[3] = {0.74, 0.64, 0.65};
    const double mean = (0.74 + 0.64 + 0.65) / 3.0;
    const double d0 = 0.74 - mean, d1 = 0.64 - mean, d2 = 0.65 - mean;
    const double sd = sqrt((d0 * d0 + d1 * d1 + d2 * d2) / 2.0);
    check_rel("mean", rise_stats_mean(x, 3), mean, 1e-15);
    check_rel("sd", rise_stats_sd(x, 3), sd, 1e-13);
    check_rel("sd by hand", rise_stats_sd(x, 3), 0.0550757054728611, 1e-12);
    double lo, hi;
    TEST_CHECK(rise_stats_t_interval(x, 3, 0.95, &lo, &hi), "t interval of 3 values");
    const double half = 4.302652729749464 * sd / sqrt(3.0); /* t(0.975, 2) from the table */
    check_rel("t interval low", lo, mean - half, 1e-11);
    check_rel("t interval high", hi, mean + half, 1e-11);
    check_rel("t interval low, digits", lo, 0.53985103, 1e-7);
    TEST_CHECK(!rise_stats_t_interval(x, 1, 0.95, &lo, &hi) && isnan(lo) && isnan(hi),
               "one value has no interval");
    TEST_CHECK(rise_stats_sd(x, 1) == 0.0, "sd of one value is 0");
    const double v[4] = {1, 2, 3, 4};
    check_rel("quantile 0.5", rise_stats_quantile_sorted(v, 4, 0.5), 2.5, 1e-15);
    check_rel("quantile 1/3", rise_stats_quantile_sorted(v, 4, 1.0 / 3.0), 2.0, 1e-15);
    TEST_CHECK(rise_stats_quantile_sorted(v, 4, 0.0) == 1 &&
                   rise_stats_quantile_sorted(v, 4, 1.0) == 4,
               "quantile ends");
}

static int cmp(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_bootstrap(void) {
    /* {0, 1}: resample means are 0, 0.5 and 1 with chances 1/4, 1/2, 1/4, so the 95% percentile
     * interval is [0, 1] */
    const double two[2] = {0.0, 1.0};
    double lo, hi;
    TEST_CHECK(rise_stats_bootstrap_interval(two, 2, 0.95, 10000, 7, &lo, &hi), "bootstrap {0,1}");
    TEST_CHECK(lo == 0.0 && hi == 1.0, "bootstrap {0,1}: [%g, %g], want [0, 1]", lo, hi);
    const double same[3] = {0.3, 0.3, 0.3};
    rise_stats_bootstrap_interval(same, 3, 0.95, 1000, 0, &lo, &hi);
    TEST_CHECK(lo == 0.3 && hi == 0.3, "constant data: [%g, %g]", lo, hi);

    /* the documented draws, replayed: index j of resample b is rise_below(word b n + j) */
    const double x[5] = {0.1, 0.9, 0.35, 0.62, 0.48};
    const int B = 2000, n = 5;
    double *means = malloc(B * sizeof *means);
    for (int b = 0; b < B; ++b) {
        double s = 0;
        for (int j = 0; j < n; ++j)
            s += x[rise_below(rise_rng_word(42, 0, 0, (uint64_t)b * n + j), n)];
        means[b] = s / n;
    }
    qsort(means, B, sizeof *means, cmp);
    const double h_lo = 0.025 * (B - 1), h_hi = 0.975 * (B - 1);
    const int k_lo = (int)h_lo, k_hi = (int)h_hi;
    const double want_lo = means[k_lo] + (h_lo - k_lo) * (means[k_lo + 1] - means[k_lo]);
    const double want_hi = means[k_hi] + (h_hi - k_hi) * (means[k_hi + 1] - means[k_hi]);
    free(means);
    rise_stats_bootstrap_interval(x, n, 0.95, B, 42, &lo, &hi);
    TEST_CHECK(lo == want_lo && hi == want_hi,
               "bootstrap replay: got [%.17g, %.17g], want [%.17g, %.17g]", lo, hi, want_lo,
               want_hi);
    double lo2, hi2;
    rise_stats_bootstrap_interval(x, n, 0.95, B, 42, &lo2, &hi2);
    TEST_CHECK(lo2 == lo && hi2 == hi, "same seed, same interval");
    TEST_CHECK(lo > 0.1 && hi < 0.9 && lo < 0.49 && hi > 0.49, "interval [%g, %g] around the mean",
               lo, hi);
}

int main(void) {
    test_t_quantiles();
    test_mean_sd_interval();
    test_bootstrap();
    return test_finish();
}
