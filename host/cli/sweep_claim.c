/* cli/sweep_claim.c - a claim's comparisons judged from intervals over seeds (sweep_claim.h). */
#include "sweep_claim.h"

#include <math.h>
#include <stdio.h>

#include "host/stats.h"

static void interval_of_mean(const double *x, int n, const sweep_report_options *o, double *lo,
                             double *hi) {
    if (o->bootstrap)
        rise_stats_bootstrap_interval(x, n, o->level, o->resamples, o->seed, lo, hi);
    else
        rise_stats_t_interval(x, n, o->level, lo, hi);
}

static void interval_of_diff(const double *a, int na, const double *b, int nb,
                             const sweep_report_options *o, double *lo, double *hi) {
    if (o->bootstrap)
        rise_stats_bootstrap_diff_interval(a, na, b, nb, o->level, o->resamples, o->seed, lo, hi);
    else
        rise_stats_welch_interval(a, na, b, nb, o->level, lo, hi);
}

void sweep_claim_compare(const sweep_comparison *c, const double *a, int na, const double *b,
                         int nb, const sweep_report_options *o, sweep_comparison_result *r) {
    const int greater = c->direction == SWEEP_CLAIM_GREATER;
    const int vs_value = c->b < 0;
    r->n_a = na;
    r->n_b = vs_value ? 0 : nb;
    r->mean_a = na ? rise_stats_mean(a, na) : NAN;
    r->mean_b = vs_value ? c->value : nb ? rise_stats_mean(b, nb) : NAN;
    r->diff = greater ? r->mean_a - r->mean_b : r->mean_b - r->mean_a;
    double lo = NAN, hi = NAN; /* of mean(a) - mean(b) (or - value) */
    const int enough = na >= 2 && (vs_value || nb >= 2);
    if (enough && vs_value) {
        interval_of_mean(a, na, o, &lo, &hi);
        lo -= c->value;
        hi -= c->value;
    } else if (enough) {
        interval_of_diff(a, na, b, nb, o, &lo, &hi);
    }
    r->lo = greater ? lo : -hi;
    r->hi = greater ? hi : -lo;
    if (!isfinite(r->lo) || !isfinite(r->hi))
        r->verdict = SWEEP_VERDICT_INCONCLUSIVE;
    else if (r->lo > c->margin)
        r->verdict = SWEEP_VERDICT_SUPPORTED;
    else if (r->hi < c->margin)
        r->verdict = SWEEP_VERDICT_NOT_SUPPORTED;
    else
        r->verdict = SWEEP_VERDICT_INCONCLUSIVE;
}

int sweep_claim_verdict(const sweep_comparison_result *r, int n) {
    int all = n > 0;
    for (int i = 0; i < n; ++i) {
        if (r[i].verdict == SWEEP_VERDICT_NOT_SUPPORTED) return SWEEP_VERDICT_NOT_SUPPORTED;
        all &= r[i].verdict == SWEEP_VERDICT_SUPPORTED;
    }
    return all ? SWEEP_VERDICT_SUPPORTED : SWEEP_VERDICT_INCONCLUSIVE;
}

const char *sweep_verdict_name(int verdict) {
    return verdict == SWEEP_VERDICT_SUPPORTED       ? "supported"
           : verdict == SWEEP_VERDICT_NOT_SUPPORTED ? "not supported"
                                                    : "inconclusive";
}

void sweep_comparison_text(const sweep_spec *s, const sweep_comparison *c, char *buf, size_t size) {
    char other[256];
    if (c->b >= 0)
        snprintf(other, sizeof other, "%s", s->points[c->b].dir);
    else
        snprintf(other, sizeof other, "%g", c->value);
    const char *a = s->points[c->a].dir;
    const int greater = c->direction == SWEEP_CLAIM_GREATER;
    if (c->margin == 0.0)
        snprintf(buf, size, "%s %s %s", a, greater ? ">" : "<", other);
    else if (greater)
        snprintf(buf, size, "%s - %s > %g", a, other, c->margin);
    else
        snprintf(buf, size, "%s - %s > %g", other, a, c->margin);
}
