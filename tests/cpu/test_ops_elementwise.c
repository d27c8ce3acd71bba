/* test_ops_elementwise.c - fill, scale, axpy, add, mul, copy_cols, clamp and
 * td_target on the CPU backend: hand-computed cases, in-place use, NaN
 * passing through clamp, column concat/split with accumulate, and large
 * buffers (the OpenMP-chunked path) equal to the serial reference bitwise
 * for 1 and 3 threads; the edge rules of elementwise.h and loss.h's td_target: clamp of
 * infinities and with lo == hi, empty copies, the argument checks (clamp lo > hi or a NaN
 * bound, copy_cols columns outside a row, counters_add beyond RISE_COUNTERS_MAX) and
 * td_target's products rounded as written (bitwise, no FMA).
 * Run: ctest -R test_ops_elementwise. */
#include <omp.h>

#include "kernels/elementwise.h"
#include "kernels/loss.h"
#include "test_util.h"
#include "expect_abort.h"

static rise_backend *be;

static void test_hand(void) {
    float y[4] = {1, 2, 3, 4};
    const float a[4] = {1, -1, 2, 0.5f}, b[4] = {3, 3, -2, 4};
    be->scale(be, y, -2.0f, 4);
    const float s_ref[4] = {-2, -4, -6, -8};
    test_close("scale", y, s_ref, 4, 0, 0);
    be->axpy(be, y, 0.5f, b, 4);
    const float ax_ref[4] = {-0.5f, -2.5f, -7, -6};
    test_close("axpy", y, ax_ref, 4, 0, 0);
    be->add(be, y, a, b, 4);
    const float add_ref_v[4] = {4, 2, 0, 4.5f};
    test_close("add", y, add_ref_v, 4, 0, 0);
    be->mul(be, y, a, b, 4);
    const float mul_ref_v[4] = {3, -3, -4, 2};
    test_close("mul", y, mul_ref_v, 4, 0, 0);
    be->mul(be, y, y, y, 4); /* in place */
    const float sq_ref[4] = {9, 9, 16, 4};
    test_close("mul in place", y, sq_ref, 4, 0, 0);
    be->fill(be, y, 7.5f, 3);
    TEST_CHECK(y[0] == 7.5f && y[2] == 7.5f && y[3] == 4, "fill writes exactly n elements");

    const float x[6] = {-3, -1, 0, 0.5f, 2, NAN};
    float c[6];
    be->clamp(be, c, x, -1.0f, 1.0f, 6);
    TEST_CHECK(c[0] == -1 && c[1] == -1 && c[2] == 0 && c[3] == 0.5f && c[4] == 1,
               "clamp values %g %g %g %g %g", c[0], c[1], c[2], c[3], c[4]);
    TEST_CHECK(isnan(c[5]), "clamp passes NaN through (got %g)", c[5]);

    const float r[3] = {1, 0, 0.5f}, done[3] = {0, 1, 0}, vn[3] = {10, 10, -2};
    float t[3];
    be->td_target(be, t, r, done, vn, 3, 0.9f);
    const float t_ref[3] = {1 + 0.9f * 10, 0, 0.5f - 0.9f * 2};
    test_close("td_target", t, t_ref, 3, 1e-7, 1e-7);
}

static void test_copy_cols(void) {
    /* concat a [2x2] and b [2x3] into [2x5], then split back out */
    const float a[4] = {1, 2, 3, 4}, b[6] = {5, 6, 7, 8, 9, 10};
    float cat[10] = {0};
    be->copy_cols(be, cat, 5, 0, a, 2, 0, 2, 2, 0);
    be->copy_cols(be, cat, 5, 2, b, 3, 0, 2, 3, 0);
    const float cat_ref[10] = {1, 2, 5, 6, 7, 3, 4, 8, 9, 10};
    test_close("copy_cols concat", cat, cat_ref, 10, 0, 0);
    float b2[6] = {0}, a2[4] = {1, 1, 1, 1};
    be->copy_cols(be, b2, 3, 0, cat, 5, 2, 2, 3, 0);
    test_close("copy_cols split", b2, b, 6, 0, 0);
    be->copy_cols(be, a2, 2, 0, cat, 5, 0, 2, 2, 1);
    const float a2_ref[4] = {2, 3, 4, 5};
    test_close("copy_cols split with accumulate", a2, a2_ref, 4, 0, 0);
    /* a middle column block into a middle column block, other columns untouched */
    float d[6] = {-1, -1, -1, -1, -1, -1};
    be->copy_cols(be, d, 3, 1, cat, 5, 3, 2, 1, 0);
    const float d_ref[6] = {-1, 6, -1, -1, 9, -1};
    test_close("copy_cols offsets", d, d_ref, 6, 0, 0);
}

/* Every chunked op against the serial reference, bitwise, for several thread counts. */
static void test_large_matches_ref(int threads) {
    omp_set_num_threads(threads);
    const size_t n = 200003;
    float *a = malloc(n * 4), *b = malloc(n * 4), *y1 = malloc(n * 4), *y2 = malloc(n * 4);
    test_fill_random(a, n, 1, -2, 2);
    test_fill_random(b, n, 2, -2, 2);
    char name[96];
#define SAME(what)                                                                                 \
    snprintf(name, sizeof name, "%s large == ref (%d threads)", what, threads);                    \
    test_close(name, y1, y2, n, 0, 0)
    be->add(be, y1, a, b, n), add_ref(y2, a, b, n);
    SAME("add");
    be->mul(be, y1, a, b, n), mul_ref(y2, a, b, n);
    SAME("mul");
    be->axpy(be, y1, 0.3f, a, n), axpy_ref(y2, 0.3f, a, n);
    SAME("axpy");
    be->scale(be, y1, -1.7f, n), scale_ref(y2, -1.7f, n);
    SAME("scale");
    be->clamp(be, y1, a, -0.5f, 0.25f, n), clamp_ref(y2, a, -0.5f, 0.25f, n);
    SAME("clamp");
    be->fill(be, y1, 3.0f, n), fill_ref(y2, 3.0f, n);
    SAME("fill");
    be->td_target(be, y1, a, b, a, n, 0.99f), td_target_ref(y2, a, b, a, n, 0.99f);
    SAME("td_target");
    /* copy_cols over many rows: [rows x 7] into cols 3..9 of [rows x 11] */
    const int rows = (int)(n / 11);
    memcpy(y1, b, n * 4), memcpy(y2, b, n * 4);
    be->copy_cols(be, y1, 11, 3, a, 7, 0, rows, 7, 1);
    copy_cols_ref(y2, 11, 3, a, 7, 0, rows, 7, 1);
    SAME("copy_cols");
#undef SAME
    free(a), free(b), free(y1), free(y2);
}

static void test_edge_rules(void) {
    const float x[5] = {INFINITY, -INFINITY, NAN, 0.3f, -0.3f};
    float c[5];
    be->clamp(be, c, x, -1.0f, 1.0f, 5);
    TEST_CHECK(c[0] == 1 && c[1] == -1 && isnan(c[2]) && c[3] == 0.3f && c[4] == -0.3f,
               "clamp clips infinities, passes NaN");
    be->clamp(be, c, x, 0.5f, 0.5f, 5);
    TEST_CHECK(c[0] == 0.5f && c[1] == 0.5f && isnan(c[2]) && c[3] == 0.5f, "clamp lo == hi");
    TEST_CHECK(isnan(rise_clampf(NAN, 0, 1)) && rise_clampf(-INFINITY, 0, 1) == 0,
               "the shared clamp rule");
    TEST_EXPECT_ABORT("clamp lo > hi", be->clamp(be, c, x, 1.0f, -1.0f, 5));
    TEST_EXPECT_ABORT("clamp NaN bound", clamp_ref(c, x, NAN, 1.0f, 5));

    /* empty copies write nothing; columns outside a row abort */
    float dst[6] = {1, 2, 3, 4, 5, 6};
    const float keep[6] = {1, 2, 3, 4, 5, 6};
    be->copy_cols(be, dst, 3, 3, x, 5, 5, 2, 0, 0);
    be->copy_cols(be, dst, 3, 0, x, 5, 0, 0, 3, 1);
    test_close("copy_cols with cols = 0 or rows = 0", dst, keep, 6, 0, 0);
    TEST_EXPECT_ABORT("copy_cols past the destination row",
                      be->copy_cols(be, dst, 3, 1, x, 5, 0, 1, 3, 0));
    TEST_EXPECT_ABORT("copy_cols past the source row", copy_cols_ref(dst, 3, 0, x, 5, 3, 1, 3, 0));
    TEST_EXPECT_ABORT("copy_cols negative offset", copy_cols_ref(dst, 3, -1, x, 5, 0, 1, 1, 0));
    TEST_EXPECT_ABORT("copy_cols negative rows", be->copy_cols(be, dst, 3, 0, x, 5, 0, -1, 1, 0));
    uint64_t ctr[RISE_COUNTERS_MAX + 1] = {0}, delta[RISE_COUNTERS_MAX + 1] = {0};
    TEST_EXPECT_ABORT("counters_add beyond the limit",
                      be->counters_add(be, ctr, delta, RISE_COUNTERS_MAX + 1));

    /* td_target: each product rounded as written (what the device computes too) */
    const float r[2] = {0.1f, 1.0f}, done[2] = {0.0f, 0.3f}, vn[2] = {3.3f, -7.1f};
    float t[2];
    be->td_target(be, t, r, done, vn, 2, 0.99f);
    for (int i = 0; i < 2; ++i) {
        volatile float g = 0.99f * (1.0f - done[i]);
        volatile float p = g * vn[i];
        TEST_CHECK(t[i] == r[i] + p, "td_target %d: r + (gamma (1 - done)) v rounded stepwise", i);
    }
}

int main(void) {
    be = test_backend_or_skip("ref");
    test_hand();
    test_copy_cols();
    test_large_matches_ref(1);
    test_large_matches_ref(3);
    test_edge_rules();
    rise_backend_destroy(be);
    return test_finish();
}
