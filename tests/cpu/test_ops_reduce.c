/* test_ops_reduce.c - whole-buffer and per-row reductions on the CPU backend:
 * hand-computed values for every op, the documented empty-input results
 * (MEAN of nothing is 0, no division by zero), NaN propagation, double
 * accumulation (a float running sum would lose the small terms), and
 * reduce_rows on the chunked path against the reference, and the edge rules of
 * reduce.h: the shared combine propagates NaN in either argument position (so the
 * result does not depend on the combination order a kernel uses), infinities are exact
 * (+inf - inf sums to NaN), a NaN in one row poisons that row only, and the argument
 * checks (unknown op, negative shape) abort.
 * Run: ctest -R test_ops_reduce. */
#include "kernels/reduce.h"
#include "test_util.h"
#include "expect_abort.h"

static rise_backend *be;

static float run(rise_reduce_op op, const float *x, size_t n) {
    float out = 12345.0f;
    be->reduce(be, op, &out, x, n);
    return out;
}

static void test_edge_rules(void) {
    /* the combine rule: NaN on either side, any order */
    const rise_reduce_op mm[3] = {RISE_REDUCE_MAX, RISE_REDUCE_MIN, RISE_REDUCE_ABSMAX};
    for (int i = 0; i < 3; ++i) {
        TEST_CHECK(isnan(reduce_combine(mm[i], NAN, 1.0)) &&
                       isnan(reduce_combine(mm[i], 1.0, NAN)) &&
                       isnan(reduce_combine(mm[i], NAN, INFINITY)) &&
                       isnan(reduce_combine(mm[i], -INFINITY, NAN)),
                   "combine %d: NaN wins from either side", (int)mm[i]);
        /* a tree (pairs first) and a left fold give NaN alike */
        const double t =
            reduce_combine(mm[i], reduce_combine(mm[i], 1.0, 2.0), reduce_combine(mm[i], NAN, 3.0));
        const double f =
            reduce_combine(mm[i], reduce_combine(mm[i], reduce_combine(mm[i], 1.0, 2.0), NAN), 3.0);
        TEST_CHECK(isnan(t) && isnan(f), "combine %d: order independent", (int)mm[i]);
    }
    /* infinities */
    const float inf[4] = {1.0f, INFINITY, -INFINITY, -2.0f};
    TEST_CHECK(run(RISE_REDUCE_MAX, inf, 4) == INFINITY &&
                   run(RISE_REDUCE_MIN, inf, 4) == -INFINITY &&
                   run(RISE_REDUCE_ABSMAX, inf, 4) == INFINITY,
               "max/min/absmax with infinities");
    TEST_CHECK(isnan(run(RISE_REDUCE_SUM, inf, 4)) && isnan(run(RISE_REDUCE_MEAN, inf, 4)) &&
                   run(RISE_REDUCE_SUMSQ, inf, 4) == INFINITY,
               "+inf - inf: sum and mean NaN, sumsq +inf");
    TEST_CHECK(run(RISE_REDUCE_ABSMAX, inf + 2, 2) == INFINITY, "absmax of -inf is +inf");
    /* NaN in one row only */
    const float m[6] = {1, NAN, 2, -1, -3, 4};
    float out[2];
    for (int op = 0; op < RISE_REDUCE_COUNT; ++op) {
        be->reduce_rows(be, (rise_reduce_op)op, out, m, 2, 3);
        TEST_CHECK(isnan(out[0]) && !isnan(out[1]), "reduce_rows op %d: NaN stays in its row", op);
    }
    /* argument checks */
    float o;
    TEST_EXPECT_ABORT("unknown reduce op", reduce_ref((rise_reduce_op)RISE_REDUCE_COUNT, &o, m, 3));
    TEST_EXPECT_ABORT("unknown reduce_rows op",
                      be->reduce_rows(be, (rise_reduce_op)-1, out, m, 2, 3));
    TEST_EXPECT_ABORT("negative rows", reduce_rows_ref(RISE_REDUCE_SUM, out, m, -1, 3));
    TEST_EXPECT_ABORT("negative cols", be->reduce_rows(be, RISE_REDUCE_SUM, out, m, 2, -3));
}

int main(void) {
    be = test_backend_or_skip("ref");
    const float x[5] = {3, -7, 2.5f, 0, 1};
    TEST_CHECK(run(RISE_REDUCE_SUM, x, 5) == -0.5f, "sum");
    TEST_CHECK(run(RISE_REDUCE_SUMSQ, x, 5) == 9 + 49 + 6.25f + 1, "sumsq");
    TEST_CHECK(run(RISE_REDUCE_MEAN, x, 5) == -0.1f, "mean %g", run(RISE_REDUCE_MEAN, x, 5));
    TEST_CHECK(run(RISE_REDUCE_MAX, x, 5) == 3, "max");
    TEST_CHECK(run(RISE_REDUCE_MIN, x, 5) == -7, "min");
    TEST_CHECK(run(RISE_REDUCE_ABSMAX, x, 5) == 7, "absmax");
    TEST_CHECK(run(RISE_REDUCE_MAX, x + 1, 1) == -7, "max of one negative element");

    /* empty input: documented identities, no division by zero */
    TEST_CHECK(run(RISE_REDUCE_SUM, x, 0) == 0, "sum of nothing");
    TEST_CHECK(run(RISE_REDUCE_SUMSQ, x, 0) == 0, "sumsq of nothing");
    TEST_CHECK(run(RISE_REDUCE_MEAN, x, 0) == 0, "mean of nothing is 0");
    TEST_CHECK(run(RISE_REDUCE_ABSMAX, x, 0) == 0, "absmax of nothing is 0");
    TEST_CHECK(isinf(run(RISE_REDUCE_MAX, x, 0)) && run(RISE_REDUCE_MAX, x, 0) < 0,
               "max of nothing is -inf");
    TEST_CHECK(isinf(run(RISE_REDUCE_MIN, x, 0)) && run(RISE_REDUCE_MIN, x, 0) > 0,
               "min of nothing is +inf");

    /* NaN anywhere (first, middle, last) poisons max/min/absmax and sums */
    for (int pos = 0; pos < 3; ++pos) {
        float y[3] = {1, -2, 3};
        y[pos] = NAN;
        for (int op = 0; op < RISE_REDUCE_COUNT; ++op)
            TEST_CHECK(isnan(run((rise_reduce_op)op, y, 3)), "op %d with NaN at %d", op, pos);
    }

    /* double accumulation: 2^24 + 1000 ones; a float running sum stays at 2^24 */
    const size_t n = 1001;
    float *big = malloc(n * 4);
    big[0] = 16777216.0f;
    for (size_t i = 1; i < n; ++i) big[i] = 1.0f;
    TEST_CHECK(run(RISE_REDUCE_SUM, big, n) == 16778216.0f, "sum in double: %.1f",
               run(RISE_REDUCE_SUM, big, n));
    free(big);

    /* reduce_rows: hand case, cols = 0, and the chunked path == reference */
    const float m[6] = {1, 5, -2, -4, 3, -9};
    float rows[2];
    be->reduce_rows(be, RISE_REDUCE_MAX, rows, m, 2, 3);
    TEST_CHECK(rows[0] == 5 && rows[1] == 3, "reduce_rows max %g %g", rows[0], rows[1]);
    be->reduce_rows(be, RISE_REDUCE_ABSMAX, rows, m, 2, 3);
    TEST_CHECK(rows[0] == 5 && rows[1] == 9, "reduce_rows absmax %g %g", rows[0], rows[1]);
    be->reduce_rows(be, RISE_REDUCE_MEAN, rows, m, 2, 3);
    TEST_CHECK(fabsf(rows[0] - 4.0f / 3) < 1e-7f && rows[1] == -10.0f / 3, "reduce_rows mean");
    be->reduce_rows(be, RISE_REDUCE_MEAN, rows, m, 2, 0);
    TEST_CHECK(rows[0] == 0 && rows[1] == 0, "reduce_rows mean with cols = 0");
    const int r = 4099, c = 37;
    float *xs = malloc((size_t)r * c * 4), *o1 = malloc(r * 4), *o2 = malloc(r * 4);
    test_fill_random(xs, (size_t)r * c, 9, -3, 3);
    for (int op = 0; op < RISE_REDUCE_COUNT; ++op) {
        be->reduce_rows(be, (rise_reduce_op)op, o1, xs, r, c);
        reduce_rows_ref((rise_reduce_op)op, o2, xs, r, c);
        char name[64];
        snprintf(name, sizeof name, "reduce_rows op %d large == ref", op);
        test_close(name, o1, o2, r, 0, 0);
    }
    /* the whole-buffer sum agrees with a double sum of the row sums */
    be->reduce_rows(be, RISE_REDUCE_SUM, o1, xs, r, c);
    double tot = 0;
    for (int i = 0; i < r * c; ++i) tot += xs[i];
    const float all = run(RISE_REDUCE_SUM, xs, (size_t)r * c);
    TEST_CHECK(all == (float)tot, "large sum %g vs double %g", all, tot);
    free(xs), free(o1), free(o2);
    test_edge_rules();
    rise_backend_destroy(be);
    return test_finish();
}
