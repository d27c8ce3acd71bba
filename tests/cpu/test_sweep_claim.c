/* test_sweep_claim.c - a sweep spec's claim judged from synthetic per-seed values: the Welch
 * interval against a hand computation, each of the three verdicts (supported, not supported,
 * inconclusive), the "less" direction and a comparison with a number, margins, too few
 * seeds, and that swapping the sides of a comparison (a sign error) flips its verdict; the
 * claim block's parsing and its errors. */
#include <math.h>
#include <string.h>

#include "host/cli/sweep_claim.h"
#include "host/stats.h"
#include "test_util.h"

static const sweep_report_options opts = {NULL, NULL, 0, 0.95, 2000, 0};

static sweep_comparison_result judge(int direction, double margin, const double *a, int na,
                                     const double *b, int nb, int vs_value, double value,
                                     int bootstrap) {
    sweep_comparison c = {direction, 0, vs_value ? -1 : 1, value, margin, 0};
    sweep_report_options o = opts;
    o.bootstrap = bootstrap;
    sweep_comparison_result r;
    sweep_claim_compare(&c, a, na, b, nb, &o, &r);
    return r;
}

int main(void) {
    const double high[5] = {0.80, 0.85, 0.90, 0.82, 0.88}; /* mean 0.85 */
    const double low[5] = {0.40, 0.50, 0.45, 0.55, 0.35};  /* mean 0.45 */
    const double near[5] = {0.78, 0.90, 0.84, 0.86, 0.80}; /* mean 0.836: overlaps high */

    /* Welch interval by hand: sd(high)^2/5 + sd(low)^2/5, df from Welch-Satterthwaite */
    double lo, hi;
    TEST_CHECK(rise_stats_welch_interval(high, 5, low, 5, 0.95, &lo, &hi), "welch formed");
    const double va = pow(rise_stats_sd(high, 5), 2) / 5, vb = pow(rise_stats_sd(low, 5), 2) / 5;
    const double nu = (va + vb) * (va + vb) / (va * va / 4 + vb * vb / 4);
    const double t = rise_stats_t_quantile(0.975, nu);
    TEST_CHECK(fabs(lo - (0.4 - t * sqrt(va + vb))) < 1e-12 &&
                   fabs(hi - (0.4 + t * sqrt(va + vb))) < 1e-12,
               "welch [%g, %g]", lo, hi);
    TEST_CHECK(nu > 4 && nu < 8, "welch df %g between min(n)-1 and n_a+n_b-2", nu);

    for (int boot = 0; boot < 2; ++boot) {
        sweep_comparison_result r = judge(SWEEP_CLAIM_GREATER, 0, high, 5, low, 5, 0, 0, boot);
        TEST_CHECK(r.verdict == SWEEP_VERDICT_SUPPORTED && fabs(r.diff - 0.4) < 1e-12,
                   "high > low supported (boot %d): %s", boot, sweep_verdict_name(r.verdict));
        /* the sign error: the same comparison the wrong way round is contradicted */
        r = judge(SWEEP_CLAIM_GREATER, 0, low, 5, high, 5, 0, 0, boot);
        TEST_CHECK(r.verdict == SWEEP_VERDICT_NOT_SUPPORTED && r.hi < 0,
                   "low > high not supported (boot %d)", boot);
        r = judge(SWEEP_CLAIM_LESS, 0, low, 5, high, 5, 0, 0, boot);
        TEST_CHECK(r.verdict == SWEEP_VERDICT_SUPPORTED && fabs(r.diff - 0.4) < 1e-12,
                   "low < high supported (boot %d)", boot);
        r = judge(SWEEP_CLAIM_LESS, 0, high, 5, low, 5, 0, 0, boot);
        TEST_CHECK(r.verdict == SWEEP_VERDICT_NOT_SUPPORTED, "high < low not supported");
        r = judge(SWEEP_CLAIM_GREATER, 0, high, 5, near, 5, 0, 0, boot);
        TEST_CHECK(r.verdict == SWEEP_VERDICT_INCONCLUSIVE && r.lo < 0 && r.hi > 0,
                   "overlapping samples inconclusive (boot %d)", boot);
        /* against a number */
        r = judge(SWEEP_CLAIM_GREATER, 0, high, 5, NULL, 0, 1, 0.7, boot);
        TEST_CHECK(r.verdict == SWEEP_VERDICT_SUPPORTED && r.n_b == 0, "high > 0.7");
        r = judge(SWEEP_CLAIM_LESS, 0, high, 5, NULL, 0, 1, 0.7, boot);
        TEST_CHECK(r.verdict == SWEEP_VERDICT_NOT_SUPPORTED, "high < 0.7 not supported");
        r = judge(SWEEP_CLAIM_LESS, 0, low, 5, NULL, 0, 1, 0.7, boot);
        TEST_CHECK(r.verdict == SWEEP_VERDICT_SUPPORTED && fabs(r.diff - 0.25) < 1e-12,
                   "low < 0.7 by 0.25");
        /* margins: a difference of 0.4 clears 0.2, is refuted at 0.6, and a negative margin
         * (non-inferiority) accepts a small loss */
        r = judge(SWEEP_CLAIM_GREATER, 0.2, high, 5, low, 5, 0, 0, boot);
        TEST_CHECK(r.verdict == SWEEP_VERDICT_SUPPORTED, "margin 0.2 supported");
        r = judge(SWEEP_CLAIM_GREATER, 0.6, high, 5, low, 5, 0, 0, boot);
        TEST_CHECK(r.verdict == SWEEP_VERDICT_NOT_SUPPORTED, "margin 0.6 not supported");
        r = judge(SWEEP_CLAIM_GREATER, -0.5, low, 5, high, 5, 0, 0, boot);
        TEST_CHECK(r.verdict == SWEEP_VERDICT_SUPPORTED, "a loss of 0.4 is within -0.5");
        /* one seed on a side: no interval */
        r = judge(SWEEP_CLAIM_GREATER, 0, high, 1, low, 5, 0, 0, boot);
        TEST_CHECK(r.verdict == SWEEP_VERDICT_INCONCLUSIVE && isnan(r.lo), "one seed");
    }
    /* no spread on either side: the point difference decides */
    const double ones[3] = {1, 1, 1}, nines[3] = {0.9, 0.9, 0.9};
    sweep_comparison_result r = judge(SWEEP_CLAIM_GREATER, 0, ones, 3, nines, 3, 0, 0, 0);
    TEST_CHECK(r.verdict == SWEEP_VERDICT_SUPPORTED && r.lo == r.hi, "constant samples");

    /* the claim's verdict from its comparisons */
    sweep_comparison_result v[3];
    memset(v, 0, sizeof v);
    v[0].verdict = v[1].verdict = v[2].verdict = SWEEP_VERDICT_SUPPORTED;
    TEST_CHECK(sweep_claim_verdict(v, 3) == SWEEP_VERDICT_SUPPORTED, "all supported");
    v[1].verdict = SWEEP_VERDICT_INCONCLUSIVE;
    TEST_CHECK(sweep_claim_verdict(v, 3) == SWEEP_VERDICT_INCONCLUSIVE, "one inconclusive");
    v[2].verdict = SWEEP_VERDICT_NOT_SUPPORTED;
    TEST_CHECK(sweep_claim_verdict(v, 3) == SWEEP_VERDICT_NOT_SUPPORTED, "one contradicted");

    /* parsing */
    const char *head = "{\"configs\": {\"a\": \"a.json\", \"b\": \"b.json\"}, \"seeds\": 3, "
                       "\"metrics\": [{\"name\": \"coverage\", \"file\": \"c.json\", \"key\": "
                       "\"coverage\"}], \"claim\": ";
    char text[1024];
    sweep_spec s;
    snprintf(text, sizeof text,
             "%s{\"statement\": \"a wins\", \"metric\": \"coverage\", \"comparisons\": "
             "[{\"greater\": \"a\", \"than\": \"b\", \"margin\": 0.1}, {\"less\": \"b\", "
             "\"than\": 0.5}]}}",
             head);
    rise_status st = sweep_spec_parse(&s, text, "spec.json", ".");
    TEST_CHECK(st == RISE_OK, "claim parses: %s", st == RISE_OK ? "" : rise_last_error());
    if (st == RISE_OK) {
        TEST_CHECK(s.has_claim && s.claim.n_comparisons == 2, "two comparisons");
        const sweep_comparison *c = s.claim.comparisons;
        TEST_CHECK(c[0].direction == SWEEP_CLAIM_GREATER && c[0].a == 0 && c[0].b == 1 &&
                       c[0].margin == 0.1,
                   "first comparison");
        TEST_CHECK(c[1].direction == SWEEP_CLAIM_LESS && c[1].a == 1 && c[1].b == -1 &&
                       c[1].value == 0.5,
                   "second comparison");
        char buf[128];
        sweep_comparison_text(&s, &c[0], buf, sizeof buf);
        TEST_CHECK(!strcmp(buf, "a - b > 0.1"), "text '%s'", buf);
        sweep_comparison_text(&s, &c[1], buf, sizeof buf);
        TEST_CHECK(!strcmp(buf, "b < 0.5"), "text '%s'", buf);
        sweep_spec_free(&s);
    }
    static const char *const bad[][2] = {
        {"{\"statement\": \"x\", \"metric\": \"coverage\", \"comparisons\": [{\"greater\": "
         "\"c\", \"than\": \"b\"}]}",
         "claim.comparisons[0].greater: expected one of the points (a, b), found \"c\""},
        {"{\"statement\": \"x\", \"metric\": \"cov\", \"comparisons\": [{\"greater\": \"a\", "
         "\"than\": \"b\"}]}",
         "claim.metric: expected one of the metrics (coverage), found \"cov\""},
        {"{\"statement\": \"x\", \"metric\": \"coverage\", \"comparisons\": [{\"greater\": "
         "\"a\", \"less\": \"b\", \"than\": 1}]}",
         "expected exactly one of \"greater\" and \"less\""},
        {"{\"statement\": \"x\", \"metric\": \"coverage\", \"comparisons\": [{\"greater\": "
         "\"a\", \"than\": true}]}",
         "claim.comparisons[0].than: expected a point's name or a number, found true"},
        {"{\"statement\": \"x\", \"metric\": \"coverage\", \"comparisons\": []}",
         "claim.comparisons: expected a non-empty list"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        snprintf(text, sizeof text, "%s%s}", head, bad[i][0]);
        st = sweep_spec_parse(&s, text, "spec.json", ".");
        TEST_CHECK(st != RISE_OK && strstr(rise_last_error(), bad[i][1]) != NULL,
                   "bad claim %zu: %s", i, st == RISE_OK ? "accepted" : rise_last_error());
        if (st == RISE_OK) sweep_spec_free(&s);
    }
    return test_finish();
}
