/* test_ops_random.c - Philox random fills and dropout through the CPU backend:
 * element i follows the documented mapping (uniform word i of block
 * offset + i/4, normal i from block offset + i/2), offsets address those
 * blocks, streams and seeds differ, uniforms lie in (lo, hi), moments of
 * 1e5 normals, dropout (p = 0 identity, p = 1 drops all, mask values only
 * {0, 1/(1-p)}, kept fraction near 1 - p, keep iff uniform >= p,
 * determinism), and the chunked backend bitwise equal to the reference for
 * 1 and 3 threads. (Philox known-answer vectors: test_philox.c.) Edge rules of
 * random.h: p = 1 with NaN and Inf inputs (y = 0 x: NaN), p = 0 passes them, the
 * shared mask rule, and p outside [0, 1] (or NaN) aborts.
 * Run: ctest -R test_ops_random. */
#include <omp.h>

#include "kernels/random.h"
#include "test_util.h"
#include "expect_abort.h"

static rise_backend *be;

#define N 100003 /* odd and prime: chunk ends fall mid-block */

static void test_uniform(void) {
    float *y = malloc(N * 4), *z = malloc(N * 4);
    const rise_rng rng = {0x1234abcd5678ULL, 3, 1000, NULL};
    be->rand_uniform(be, y, N, -2.0f, 4.0f, rng);
    int inside = 1, mapped = 1;
    double mean = 0;
    for (int i = 0; i < N; ++i) {
        inside &= y[i] > -2.0f && y[i] < 4.0f;
        mapped &= y[i] == -2.0f + 6.0f * rise_rng_uniform(rng.seed, rng.stream, rng.offset, i);
        mean += y[i];
    }
    TEST_CHECK(inside, "uniform values inside (lo, hi)");
    TEST_CHECK(mapped, "element i = lo + (hi - lo) rise_rng_uniform(seed, stream, offset, i)");
    TEST_CHECK(fabs(mean / N - 1.0) < 0.02, "uniform(-2, 4) mean %g", mean / N);
    /* word i lives in block offset + i/4: starting 5 blocks later skips 20 values */
    const rise_rng later = {rng.seed, rng.stream, rng.offset + 5, NULL};
    be->rand_uniform(be, z, N - 20, -2.0f, 4.0f, later);
    TEST_CHECK(memcmp(z, y + 20, (N - 20) * 4) == 0, "offset + 5 blocks = 20 uniforms later");
    const rise_rng other_stream = {rng.seed, rng.stream + 1, rng.offset, NULL};
    be->rand_uniform(be, z, N, -2.0f, 4.0f, other_stream);
    int same = 0;
    for (int i = 0; i < N; ++i) same += z[i] == y[i];
    TEST_CHECK(same < 100, "another stream differs (%d equal values)", same);
    const rise_rng other_seed = {rng.seed + 1, rng.stream, rng.offset, NULL};
    be->rand_uniform(be, z, N, -2.0f, 4.0f, other_seed);
    same = 0;
    for (int i = 0; i < N; ++i) same += z[i] == y[i];
    TEST_CHECK(same < 100, "another seed differs (%d equal values)", same);
    be->rand_uniform(be, z, N, -2.0f, 4.0f, rng);
    TEST_CHECK(memcmp(z, y, N * 4) == 0, "same rng, same numbers");
    free(y), free(z);
}

static void test_normal(void) {
    float *y = malloc(N * 4), *z = malloc(N * 4);
    const rise_rng rng = {7, 1, 0, NULL};
    be->rand_normal(be, y, N, 1.0f, 2.0f, rng);
    double s = 0, s2 = 0;
    int mapped = 1;
    for (int i = 0; i < N; ++i) {
        s += y[i], s2 += (double)y[i] * y[i];
        mapped &= y[i] == 1.0f + 2.0f * rise_rng_normal(7, 1, 0, i);
    }
    const double mean = s / N, var = s2 / N - mean * mean;
    TEST_CHECK(mapped, "element i = mean + std rise_rng_normal(..., i)");
    TEST_CHECK(fabs(mean - 1) < 0.03 && fabs(var - 4) < 0.1, "N(1, 2^2): mean %g var %g", mean,
               var);
    /* normals take two per block: 3 blocks later = 6 values later */
    const rise_rng later = {7, 1, 3, NULL};
    be->rand_normal(be, z, N - 6, 1.0f, 2.0f, later);
    TEST_CHECK(memcmp(z, y + 6, (N - 6) * 4) == 0, "offset + 3 blocks = 6 normals later");
    free(y), free(z);
}

static void test_dropout(void) {
    float *x = malloc(N * 4), *y = malloc(N * 4), *m = malloc(N * 4), *m2 = malloc(N * 4);
    test_fill_random(x, N, 71, -1, 1);
    rise_rng rng = {99, 5, 40, NULL};
    be->dropout_forward(be, y, m, x, N, 0.0f, rng);
    int ident = 1;
    for (int i = 0; i < N; ++i) ident &= y[i] == x[i] && m[i] == 1.0f;
    TEST_CHECK(ident, "p = 0: y = x, mask 1");
    be->dropout_forward(be, y, m, x, N, 1.0f, rng);
    int none = 1;
    for (int i = 0; i < N; ++i) none &= y[i] == 0.0f && m[i] == 0.0f;
    TEST_CHECK(none, "p = 1 drops everything");

    const float p = 0.3f, keep_scale = 1.0f / (1.0f - p);
    be->dropout_forward(be, y, m, x, N, p, rng);
    int valid = 1, rule = 1;
    size_t kept = 0;
    for (int i = 0; i < N; ++i) {
        valid &= (m[i] == 0.0f || m[i] == keep_scale) && y[i] == x[i] * m[i];
        rule &= (m[i] != 0.0f) == (rise_rng_uniform(99, 5, 40, i) >= p);
        kept += m[i] != 0.0f;
    }
    TEST_CHECK(valid, "mask only {0, 1/(1-p)} and y = x mask");
    TEST_CHECK(rule, "kept iff rise_rng_uniform(i) >= p");
    TEST_CHECK(fabs(kept / (double)N - 0.7) < 0.01, "kept fraction %g (want 0.7)",
               kept / (double)N);
    be->dropout_forward(be, y, m2, x, N, p, rng);
    TEST_CHECK(memcmp(m, m2, N * 4) == 0, "same rng, same mask");
    rng.offset += rise_rng_blocks_uniform(N);
    be->dropout_forward(be, y, m2, x, N, p, rng);
    TEST_CHECK(memcmp(m, m2, N * 4) != 0, "advancing the offset draws a new mask");
    free(x), free(y), free(m), free(m2);
}

static void test_matches_ref(int threads) {
    omp_set_num_threads(threads);
    float *a = malloc(N * 4), *b = malloc(N * 4), *x = malloc(N * 4), *ma = malloc(N * 4),
          *mb = malloc(N * 4);
    const rise_rng rng = {0xfeedULL, 9, 123456789ULL, NULL};
    be->rand_uniform(be, a, N, 0.0f, 1.0f, rng), rand_uniform_ref(b, N, 0.0f, 1.0f, rng);
    TEST_CHECK(memcmp(a, b, N * 4) == 0, "rand_uniform == ref (%d threads)", threads);
    be->rand_normal(be, a, N, 0.5f, 3.0f, rng), rand_normal_ref(b, N, 0.5f, 3.0f, rng);
    TEST_CHECK(memcmp(a, b, N * 4) == 0, "rand_normal == ref (%d threads)", threads);
    test_fill_random(x, N, 72, -1, 1);
    be->dropout_forward(be, a, ma, x, N, 0.1f, rng), dropout_forward_ref(b, mb, x, N, 0.1f, rng);
    TEST_CHECK(memcmp(a, b, N * 4) == 0 && memcmp(ma, mb, N * 4) == 0,
               "dropout == ref (%d threads)", threads);
    free(a), free(b), free(x), free(ma), free(mb);
}

static void test_edge_rules(void) {
    const float x[4] = {NAN, INFINITY, -2.0f, 0.0f};
    float y[4], m[4];
    const rise_rng rng = {3, 1, 0, NULL};
    be->dropout_forward(be, y, m, x, 4, 1.0f, rng);
    TEST_CHECK(m[0] == 0 && m[1] == 0 && m[2] == 0 && m[3] == 0 && isnan(y[0]) && isnan(y[1]) &&
                   y[2] == 0 && y[3] == 0,
               "p = 1: mask 0, y = 0 x (NaN for NaN and Inf)");
    be->dropout_forward(be, y, m, x, 4, 0.0f, rng);
    TEST_CHECK(isnan(y[0]) && y[1] == INFINITY && y[2] == -2.0f && m[0] == 1 && m[3] == 1,
               "p = 0: y = x");
    TEST_CHECK(dropout_keep_scale(1.0f) == 0.0f && dropout_keep_scale(0.5f) == 2.0f &&
                   dropout_mask(0.25f, 0.25f, 4.0f) == 4.0f && dropout_mask(0.2f, 0.25f, 4.0f) == 0,
               "the shared mask rule: kept iff u >= p");
    TEST_EXPECT_ABORT("dropout p > 1", be->dropout_forward(be, y, m, x, 4, 1.5f, rng));
    TEST_EXPECT_ABORT("dropout p < 0", dropout_forward_ref(y, m, x, 4, -0.1f, rng));
    TEST_EXPECT_ABORT("dropout p NaN", dropout_forward_ref(y, m, x, 4, NAN, rng));
}

int main(void) {
    be = test_backend_or_skip("ref");
    test_uniform();
    test_normal();
    test_dropout();
    test_matches_ref(1);
    test_matches_ref(3);
    test_edge_rules();
    rise_backend_destroy(be);
    return test_finish();
}
