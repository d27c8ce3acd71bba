/* cli/sweep_claim.h - judging a sweep spec's claim from intervals over seeds.
 *
 * Each comparison of the claim ("rise greater than idql by more than margin m", or a point
 * against a number) becomes the difference of means in the claimed direction (positive
 * favours the claim) with its interval: Welch's t interval of the difference of two means,
 * or a one-sample t interval against a number (with `--ci bootstrap`, percentile bootstrap
 * intervals drawn from Philox). A comparison is
 *   supported      when the whole interval lies above the margin,
 *   not supported  when the whole interval lies below it (the claim is contradicted),
 *   inconclusive   otherwise, or with fewer than two seeds on a side;
 * and the claim is supported when every comparison is, not supported when any is, and
 * inconclusive otherwise. */
#ifndef RISE_CLI_SWEEP_CLAIM_H
#define RISE_CLI_SWEEP_CLAIM_H

#include "sweep.h"

enum { SWEEP_VERDICT_SUPPORTED, SWEEP_VERDICT_NOT_SUPPORTED, SWEEP_VERDICT_INCONCLUSIVE };

typedef struct {
    int n_a, n_b;  /* seeds on each side (n_b = 0 against a number) */
    double mean_a; /* the point's mean */
    double mean_b; /* the other point's mean, or the number */
    double diff;   /* in the claimed direction: a - b for greater, b - a for less */
    double lo, hi; /* its interval (NaN when it cannot be formed) */
    int verdict;
} sweep_comparison_result;

/* Judges one comparison from the values of its point (a) and of the other point (b, nb; b is
 * ignored when the comparison is against a number). */
void sweep_claim_compare(const sweep_comparison *c, const double *a, int na, const double *b,
                         int nb, const sweep_report_options *o, sweep_comparison_result *r);

/* The claim's verdict from its comparisons' verdicts. */
int sweep_claim_verdict(const sweep_comparison_result *r, int n);

const char *sweep_verdict_name(int verdict);

/* "rise > idql", "bc_expert < 0.3", "rise - idql > 0.05": the comparison as text. */
void sweep_comparison_text(const sweep_spec *s, const sweep_comparison *c, char *buf, size_t size);

#endif
