/* test_ops_extract.c - policy extraction's ops. The fused argmax + gather: hand cases
 * (first of tied maxima, negatives, NaN never winning, a row of NaN, K = 1), and the
 * threaded backend op against the serial reference on a large batch, bit for bit. The
 * candidates' noise: the documented Philox mapping element by element, a row's values
 * independent of the other rows of the call, and the threaded op equal to the reference.
 * Edge rules of extract.h: +inf wins (the first of several), a row of -inf picks 0, the
 * shared order argmax_beats, and K = 0 (no candidate to choose) aborts on the reference
 * and the backend, as does candidate_noise with K = 0. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/extract.h"
#include "kernels/philox.h"
#include "test_util.h"
#include "expect_abort.h"

static void hand_cases(void) {
    /* 4 rows, K = 3, W = 2; candidate (r, k) holds (10 r + k, -(10 r + k)) */
    const float score[12] = {0.1f, 0.7f, 0.7f, -5.0f, -1.0f, -3.0f, NAN, NAN, 0.2f, NAN, NAN, NAN};
    float cand[24], out[8], idx[4];
    for (int r = 0; r < 4; ++r)
        for (int k = 0; k < 3; ++k) {
            cand[(r * 3 + k) * 2] = (float)(10 * r + k);
            cand[(r * 3 + k) * 2 + 1] = -(float)(10 * r + k);
        }
    argmax_select_ref(out, idx, score, cand, 4, 3, 2);
    const float want_idx[4] = {1, 1, 2, 0};
    for (int r = 0; r < 4; ++r) {
        TEST_CHECK(idx[r] == want_idx[r], "row %d picks %g, expected %g", r, idx[r], want_idx[r]);
        const int k = (int)want_idx[r];
        TEST_CHECK(out[2 * r] == (float)(10 * r + k) && out[2 * r + 1] == -(float)(10 * r + k),
                   "row %d gathers candidate %d", r, k);
    }
    /* K = 1: 2 rows x W = 3, so the output holds 6 floats */
    const float one[2] = {3.0f, -2.0f};
    float o1[6], i1[2];
    const float c1[6] = {1, 2, 3, 4, 5, 6};
    argmax_select_ref(o1, i1, one, c1, 2, 1, 3);
    TEST_CHECK(i1[0] == 0 && i1[1] == 0 && !memcmp(o1, c1, sizeof o1),
               "K = 1 copies each row's candidate");
}

static void backend_matches_reference(void) {
    rise_status st;
    rise_backend *be = rise_backend_create("ref", &st);
    enum { R = 5000, K = 33, W = 5 };
    float *score = malloc(sizeof(float) * R * K), *cand = malloc(sizeof(float) * R * K * W);
    float *o_ref = malloc(sizeof(float) * R * W), *o_be = malloc(sizeof(float) * R * W);
    float *i_ref = malloc(sizeof(float) * R), *i_be = malloc(sizeof(float) * R);
    for (int i = 0; i < R * K; ++i) score[i] = (float)((i * 7919) % 13) - (i % 11 == 0 ? NAN : 0);
    for (int i = 0; i < R * K * W; ++i) cand[i] = (float)i;
    argmax_select_ref(o_ref, i_ref, score, cand, R, K, W);
    be->argmax_select(be, o_be, i_be, score, cand, R, K, W);
    TEST_CHECK(!memcmp(o_ref, o_be, sizeof(float) * R * W) &&
                   !memcmp(i_ref, i_be, sizeof(float) * R),
               "threaded op = reference");
    int ok = 1;
    for (int r = 0; r < R; ++r) {
        float best = -INFINITY;
        for (int k = 0; k < K; ++k)
            if (score[r * K + k] > best) best = score[r * K + k];
        ok &= score[r * K + (int)i_ref[r]] == best;
    }
    TEST_CHECK(ok, "every row's choice holds its maximum score");
    free(score), free(cand), free(o_ref), free(o_be), free(i_ref), free(i_be);
    rise_backend_destroy(be);
}

static void candidate_noise(void) {
    enum { N = 3, K = 4, S = 5, W = 6 };
    const uint64_t seed = 0x1234567ULL, off[N] = {7, 1ULL << 40, 99};
    const uint32_t stream = 0x41000030u;
    float y[S * N * K * W], one[S * K * W];
    candidate_noise_ref(y, off, 0, N, N, K, S, W, seed, stream);
    int mapped = 1;
    for (int s = 0; s < S; ++s)
        for (int r = 0; r < N; ++r)
            for (int k = 0; k < K; ++k)
                for (int j = 0; j < W; ++j)
                    mapped &= y[((s * N + r) * K + k) * W + j] ==
                              rise_rng_normal(seed, stream, off[r], (uint64_t)(k * S + s) * W + j);
    TEST_CHECK(mapped,
               "candidate_noise: y[s, r K + k, j] = normal(row_offset[r], (k S + s) W + j)");
    candidate_noise_ref(one, off + 1, 0, 1, 1, K, S, W, seed, stream);
    int alone = 1;
    for (int s = 0; s < S; ++s)
        alone &= !memcmp(one + s * K * W, y + (s * N + 1) * K * W, sizeof(float) * K * W);
    TEST_CHECK(alone, "candidate_noise: row 1 alone draws what it draws among 3 rows");
    TEST_CHECK(y[0] != y[(N * K) * W], "candidate_noise: denoising steps draw different values");

    rise_status st;
    rise_backend *be = rise_backend_create("ref", &st);
    enum { R = 700 };
    uint64_t *offs = malloc(sizeof(uint64_t) * R);
    for (int r = 0; r < R; ++r) offs[r] = ((uint64_t)r << 24) + 3u * (uint64_t)r;
    const size_t len = (size_t)S * R * K * W;
    float *a = malloc(sizeof(float) * len), *b = malloc(sizeof(float) * len);
    candidate_noise_ref(a, offs, 0, R, R, K, S, W, seed, stream);
    be->candidate_noise(be, b, offs, R, K, S, W, seed, stream);
    TEST_CHECK(!memcmp(a, b, sizeof(float) * len), "candidate_noise: threaded op = reference");
    free(a), free(b), free(offs);
    rise_backend_destroy(be);
}

static void test_edge_rules(void) {
    const float score[8] = {1.0f,      INFINITY,  3.0f,      INFINITY,
                            -INFINITY, -INFINITY, -INFINITY, -INFINITY};
    float cand[8], out[2], idx[2];
    for (int i = 0; i < 8; ++i) cand[i] = (float)i;
    argmax_select_ref(out, idx, score, cand, 2, 4, 1);
    TEST_CHECK(idx[0] == 1 && out[0] == 1 && idx[1] == 0 && out[1] == 4,
               "the first +inf wins; a row of -inf picks 0 (%g %g)", idx[0], idx[1]);
    TEST_CHECK(!argmax_beats(NAN, 0, -INFINITY, 1) && argmax_beats(-INFINITY, 1, NAN, 0) &&
                   argmax_beats(2.0f, 1, 2.0f, 3) && !argmax_beats(2.0f, 3, 2.0f, 1) &&
                   !argmax_beats(NAN, 0, NAN, 1),
               "argmax_beats: NaN never wins, ties go to the smaller index");
    rise_status st;
    rise_backend *be = rise_backend_create("cpu", &st);
    TEST_EXPECT_ABORT("argmax_select K = 0", argmax_select_ref(out, idx, score, cand, 2, 0, 1));
    TEST_EXPECT_ABORT("argmax_select K = 0 on the backend",
                      be->argmax_select(be, out, idx, score, cand, 2, 0, 1));
    TEST_EXPECT_ABORT("argmax_select negative width",
                      argmax_select_ref(out, idx, score, cand, 2, 4, -1));
    const uint64_t off[1] = {0};
    TEST_EXPECT_ABORT("candidate_noise K = 0",
                      candidate_noise_ref(out, off, 0, 1, 1, 0, 1, 1, 1, 2));
    TEST_EXPECT_ABORT("candidate_noise rows past n",
                      candidate_noise_ref(out, off, 0, 2, 1, 1, 1, 1, 1, 2));
    rise_backend_destroy(be);
}

int main(void) {
    hand_cases();
    backend_matches_reference();
    candidate_noise();
    test_edge_rules();
    return test_finish();
}
