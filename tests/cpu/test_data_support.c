/* test_data_support.c - support expansion: the tiled kNN equals a double
 * brute force (random data, tiles smaller than the inputs, thresholds,
 * group and match filters, ties, k beyond the references); neighbour
 * relabelling on a hand-built training set gives exactly the hand-computed
 * play->expert and play->play pairs (skips, other-trajectory rule, gripper
 * match, feature keys, normalised features, counts per rule); actor-batch
 * gathers from pairs; action noise follows its Philox formula, clips to
 * [-1, 1] and reports sigma and the realised noise norm.
 * Run: ctest -R test_data_support */
#include <math.h>

#include "data/action_noise.h"
#include "kernels/knn_search.h"
#include "data/pairs.h"
#include "data/sampler.h"
#include "data/sequence.h"
#include "test_util.h"

static void run_knn_case(int64_t nq, int64_t nr, int64_t F, int k, float thr, int64_t tq,
                         int64_t tr, int groups, int match, int quantise) {
    float *q = malloc((size_t)(nq * F + 1) * sizeof *q),
          *r = malloc((size_t)(nr * F + 1) * sizeof *r);
    test_fill_random(q, (size_t)(nq * F), (unsigned)(nq + 7 * F), -1, 1);
    test_fill_random(r, (size_t)(nr * F), (unsigned)(nr + 3 * F), -1, 1);
    if (quantise) /* many exact ties */
        for (int64_t i = 0; i < nr * F; ++i)
            r[i] = roundf(r[i] * 2) / 2, q[i % (nq * F)] = roundf(q[i % (nq * F)] * 2) / 2;
    int32_t *qg = malloc((size_t)(nq + 1) * 4), *rg = malloc((size_t)(nr + 1) * 4);
    float *qm = malloc((size_t)(nq + 1) * 4), *rm = malloc((size_t)(nr + 1) * 4);
    for (int64_t i = 0; i < nq; ++i) qg[i] = (int32_t)(i % 5), qm[i] = (float)(i % 3);
    for (int64_t j = 0; j < nr; ++j) rg[j] = (int32_t)(j % 7), rm[j] = (float)(j % 4);
    rise_knn_opts o;
    rise_knn_opts_default(&o);
    o.k = k;
    o.max_dist = thr;
    o.tile_q = tq;
    o.tile_r = tr;
    if (groups) o.q_group = qg, o.r_group = rg;
    if (match) o.q_match = qm, o.r_match = rm, o.match_dim = 1, o.match_tol = 0.5f;
    int64_t *i1 = malloc((size_t)(nq * k + 1) * 8), *i2 = malloc((size_t)(nq * k + 1) * 8);
    float *d1 = malloc((size_t)(nq * k + 1) * 4), *d2 = malloc((size_t)(nq * k + 1) * 4);
    int32_t *c1 = malloc((size_t)(nq + 1) * 4), *c2 = malloc((size_t)(nq + 1) * 4);
    rise_status st = rise_knn(q, nq, r, nr, F, &o, i1, d1, c1);
    rise_knn_brute(q, nq, r, nr, F, &o, i2, d2, c2);
    int same = st == RISE_OK;
    int64_t found = 0;
    for (int64_t i = 0; same && i < nq; ++i) {
        same &= c1[i] == c2[i];
        found += c1[i];
        for (int s = 0; same && s < k; ++s)
            same &= i1[i * k + s] == i2[i * k + s] && (d1[i * k + s] == d2[i * k + s]);
    }
    TEST_CHECK(same,
               "knn nq=%lld nr=%lld F=%lld k=%d thr=%g tiles %lldx%lld groups %d match %d ties %d",
               (long long)nq, (long long)nr, (long long)F, k, (double)thr, (long long)tq,
               (long long)tr, groups, match, quantise);
    /* Property: distances ascending, within the threshold, filters respected. */
    int props = 1;
    for (int64_t i = 0; i < nq; ++i)
        for (int s = 0; s < c1[i]; ++s) {
            const int64_t j = i1[i * k + s];
            props &= thr <= 0 || d1[i * k + s] <= thr * (1 + 1e-6f);
            props &= s == 0 || d1[i * k + s] >= d1[i * k + s - 1];
            props &= !groups || qg[i] != rg[j];
            props &= !match || fabsf(qm[i] - rm[j]) <= 0.5f;
        }
    TEST_CHECK(props, "knn properties (found %lld)", (long long)found);
    free(q), free(r), free(qg), free(rg), free(qm), free(rm), free(i1), free(i2), free(d1),
        free(d2), free(c1), free(c2);
}

static void test_knn(void) {
    run_knn_case(50, 300, 6, 5, 0.9f, 16, 64, 0, 0, 0);
    run_knn_case(50, 300, 6, 5, 0.0f, 7, 33, 0, 0, 0); /* plain kNN, no threshold */
    run_knn_case(37, 211, 3, 15, 0.6f, 1024, 4096, 1, 1, 0);
    run_knn_case(40, 90, 2, 4, 1.0f, 8, 16, 0, 0, 1); /* ties -> smaller index first */
    run_knn_case(10, 3, 4, 8, 0.0f, 4, 2, 0, 0, 0);   /* k > references */
    run_knn_case(300, 1000, 20, 15, 1.2f, 128, 256, 1, 0, 0);
    /* Hand case: 1-D points. */
    const float q[2] = {0.0f, 10.0f}, r[5] = {0.5f, -0.2f, 3.0f, 0.5f, 9.0f};
    rise_knn_opts o;
    rise_knn_opts_default(&o);
    o.k = 3;
    o.max_dist = 1.0f;
    int64_t idx[6];
    float dist[6];
    int32_t cnt[2];
    TEST_CHECK(rise_knn(q, 2, r, 5, 1, &o, idx, dist, cnt) == RISE_OK, "knn hand");
    TEST_CHECK(cnt[0] == 3 && idx[0] == 1 && idx[1] == 0 && idx[2] == 3 &&
                   fabsf(dist[0] - 0.2f) < 1e-7f && cnt[1] == 1 && idx[3] == 4 && idx[4] == -1,
               "knn hand result");
    o.k = 0;
    TEST_CHECK(rise_knn(q, 2, r, 5, 1, &o, idx, dist, cnt) == RISE_ERR_INVALID, "k = 0 refused");
}

/* Hand-built training set (see the comment on the expected pairs below). */
typedef struct {
    rise_trainset ts;
    float obs[10 * 3], act[10 * 2];
} hand_set;

static void make_hand(hand_set *h) {
    memset(h, 0, sizeof *h);
    rise_trainset *ts = &h->ts;
    /* rows: expert traj 0 (4 steps), play traj 1 (3), play traj 2 (3) */
    const float pos[10][3] = {{0, 0, 0},       {1, 0, 0},    {2, 0, 1},    {3, 0, 1},
                              {10, 10, 0},     {1.1f, 0, 0}, {2.2f, 0, 1}, {50, 50, 0},
                              {1.2f, 0.1f, 0}, {3, 0.3f, 0}};
    memcpy(h->obs, pos, sizeof pos);
    for (int i = 0; i < 20; ++i) h->act[i] = 0.01f * (float)i;
    static int32_t traj[10] = {0, 0, 0, 0, 1, 1, 1, 2, 2, 2},
                   step[10] = {0, 1, 2, 3, 0, 1, 2, 0, 1, 2};
    static uint8_t expert[10] = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0};
    static int64_t start[3] = {0, 4, 7}, len[3] = {4, 3, 3};
    static rise_obs_key keys[2];
    keys[0] = (rise_obs_key){.name = "pos", .ndim = 1, .shape = {2}, .dim = 2, .offset = 0};
    keys[1] = (rise_obs_key){.name = "grip", .ndim = 1, .shape = {1}, .dim = 1, .offset = 2};
    ts->n = 10, ts->obs_dim = 3, ts->act_dim = 2;
    ts->obs = h->obs, ts->next_obs = h->obs, ts->actions = h->act;
    ts->traj = traj, ts->step = step, ts->expert = expert;
    ts->n_traj = 3, ts->traj_start = start, ts->traj_len = len;
    ts->n_keys = 2, ts->keys = keys;
    rise_norm_fit_arrays(&ts->norm, h->obs, h->act, 10, 3, 2, RISE_NORM_NONE, RISE_NORM_NONE);
}

/* Inputs whose float squared norms overflow (|x| ~ 1e19 and beyond, inf) must not be
 * pruned by the float pre-filter: the tiled search still equals the brute force. */
static void test_knn_extreme(void) {
    enum { NQ = 6, NR = 40, F = 6, K = 3 };
    float q[NQ * F], r[NR * F];
    test_fill_random(q, NQ * F, 11, -1, 1);
    test_fill_random(r, NR * F, 12, -1, 1);
    for (int f = 0; f < F; ++f) {
        q[0 * F + f] = 1e19f;   /* |q|^2 overflows */
        r[5 * F + f] = 1e19f;   /* its exact duplicate */
        r[6 * F + f] = 1.5e19f; /* and a near one */
        q[1 * F + f] = r[7 * F + f] = 3e38f;
    }
    q[2 * F] = INFINITY; /* distance inf: never within a threshold */
    r[9 * F + 2] = -INFINITY;
    for (int thr = 0; thr < 2; ++thr) {
        rise_knn_opts o;
        rise_knn_opts_default(&o);
        o.k = K;
        o.max_dist = thr ? 1e20f : 0.0f;
        int64_t i1[NQ * K], i2[NQ * K];
        float d1[NQ * K], d2[NQ * K];
        int32_t c1[NQ], c2[NQ];
        TEST_CHECK(rise_knn(q, NQ, r, NR, F, &o, i1, d1, c1) == RISE_OK, "knn extreme");
        rise_knn_brute(q, NQ, r, NR, F, &o, i2, d2, c2);
        int same = 1;
        for (int i = 0; i < NQ; ++i) {
            same &= c1[i] == c2[i];
            for (int s = 0; s < K; ++s)
                same &= i1[i * K + s] == i2[i * K + s] &&
                        (d1[i * K + s] == d2[i * K + s] ||
                         (isnan(d1[i * K + s]) && isnan(d2[i * K + s])));
        }
        TEST_CHECK(same, "knn with overflowing norms (threshold %d) equals the brute force", thr);
        TEST_CHECK(c2[0] >= 1 && i2[0] == 5, "huge query finds its duplicate (count %d, idx %lld)",
                   c2[0], (long long)i2[0]);
    }
}

static void test_pairs(void) {
    hand_set h;
    make_hand(&h);
    rise_relabel_config c;
    rise_relabel_config_default(&c);
    c.k = 2;
    c.threshold = 0.5f;
    c.l2_normalize = 0;
    c.skip_expert = 1;
    c.skip_nonexpert = 1;
    c.n_feature_keys = 1;
    snprintf(c.feature_keys[0], RISE_NAME_MAX, "pos");
    /* Queries (play, step >= 1): rows 5 (1.1,0), 6 (2.2,0), 8 (1.2,0.1), 9 (3,0.3).
     * play->expert (rows 1..3): 5->1 (0.1), 6->2 (0.2), 8->1 (0.224), 9->3 (0.3).
     * play->play (other trajectory): 5->8 (0.141), 8->5 (0.141); 6 and 9 none. */
    rise_pairs p;
    rise_status st = rise_relabel_build(&h.ts, &c, &p);
    TEST_CHECK(st == RISE_OK, "relabel: %s", rise_last_error());
    if (st == RISE_OK) {
        const int64_t want_obs[6] = {5, 5, 6, 8, 8, 9}, want_act[6] = {1, 8, 2, 1, 5, 3};
        const uint8_t want_rule[6] = {0, 1, 0, 0, 1, 0};
        int ok = p.n == 6 && p.count[0] == 4 && p.count[1] == 2 && p.queries == 4 &&
                 p.queries_matched[0] == 4 && p.queries_matched[1] == 2 && p.references[0] == 3 &&
                 p.references[1] == 4;
        for (int i = 0; ok && i < 6; ++i)
            ok &= p.obs_idx[i] == want_obs[i] && p.act_idx[i] == want_act[i] &&
                  p.rule[i] == want_rule[i];
        TEST_CHECK(ok, "hand pairs (n=%lld, %lld / %lld)", (long long)p.n, (long long)p.count[0],
                   (long long)p.count[1]);
        TEST_CHECK(fabsf(p.dist[0] - 0.1f) < 1e-6f && fabsf(p.dist[1] - sqrtf(0.02f)) < 1e-6f,
                   "pair distances");
        /* Actor batch: obs history of the query, action chunk from the neighbour. */
        const int64_t pidx[2] = {1, 2};
        float oh[2 * 2 * 3], ac[2 * 3 * 2], valid[2 * 3];
        rise_pairs_gather(&h.ts, &p, pidx, 2, 2, 3, oh, ac, valid);
        /* pair 1: obs row 5 (traj 1 step 1) history rows 4,5; act row 8 (traj 2 step 1) chunk 8,9,9
         */
        TEST_CHECK(oh[0] == 10 && oh[3] == 1.1f && ac[0] == h.act[16] && ac[2] == h.act[18] &&
                       ac[4] == h.act[18] && valid[2] == 0 && valid[1] == 1,
                   "pairs gather");
        /* pair 2: obs row 6; act row 2 (expert step 2, len 4): rows 2,3,3 */
        TEST_CHECK(oh[6] == 1.1f && oh[9] == 2.2f && ac[6] == h.act[4] && ac[8] == h.act[6] &&
                       valid[5] == 0,
                   "pairs gather 2");
        rise_pairs_free(&p);
    }
    /* Gripper must match: 9 (grip 0) loses its expert neighbour 3 (grip 1). */
    snprintf(c.match_key, RISE_NAME_MAX, "grip");
    c.match_tol = 0.5f;
    st = rise_relabel_build(&h.ts, &c, &p);
    TEST_CHECK(st == RISE_OK && p.count[0] == 3 && p.count[1] == 2, "match key: %lld %lld",
               (long long)p.count[0], (long long)p.count[1]);
    if (st == RISE_OK) rise_pairs_free(&p);
    /* Rules off; bigger skips. */
    c.play_to_play = 0;
    c.skip_nonexpert = 2;
    st = rise_relabel_build(&h.ts, &c, &p);
    TEST_CHECK(st == RISE_OK && p.queries == 2 && p.count[0] == 1 && p.count[1] == 0 && p.n == 1 &&
                   p.obs_idx[0] == 6,
               "skip 2, play->play off");
    if (st == RISE_OK) rise_pairs_free(&p);
    /* Unknown keys are refused. */
    snprintf(c.match_key, RISE_NAME_MAX, "gripper");
    st = rise_relabel_build(&h.ts, &c, &p);
    TEST_CHECK(st == RISE_ERR_INVALID && strstr(rise_last_error(), "'gripper'") &&
                   strstr(rise_last_error(), "pos, grip"),
               "unknown match key: %s", rise_last_error());
    /* Normalised, L2-normalised features: scaling an axis changes nothing once
     * Gaussian normalisation divides it out (raw features: it does). */
    rise_relabel_config_default(&c);
    c.k = 3;
    c.threshold = 0.3f;
    c.skip_expert = c.skip_nonexpert = 0;
    c.raw_features = 0;
    rise_norm_free(&h.ts.norm);
    rise_norm_fit_arrays(&h.ts.norm, h.obs, h.act, 10, 3, 2, RISE_NORM_GAUSSIAN, RISE_NORM_NONE);
    rise_pairs a, b;
    TEST_CHECK(rise_relabel_build(&h.ts, &c, &a) == RISE_OK, "normalised build");
    for (int i = 0; i < 10; ++i) h.obs[i * 3] *= 1000.0f;
    rise_norm_free(&h.ts.norm);
    rise_norm_fit_arrays(&h.ts.norm, h.obs, h.act, 10, 3, 2, RISE_NORM_GAUSSIAN, RISE_NORM_NONE);
    TEST_CHECK(rise_relabel_build(&h.ts, &c, &b) == RISE_OK, "scaled build");
    int same = a.n == b.n && a.n > 0;
    for (int64_t i = 0; same && i < a.n; ++i)
        same &= a.obs_idx[i] == b.obs_idx[i] && a.act_idx[i] == b.act_idx[i];
    TEST_CHECK(same, "normalisation makes pairs scale-invariant (%lld pairs)", (long long)a.n);
    rise_pairs_free(&b);
    /* raw features (RISE's code) see the scaled axis: other pairs */
    c.raw_features = 1;
    TEST_CHECK(rise_relabel_build(&h.ts, &c, &b) == RISE_OK, "scaled build, raw features");
    same = a.n == b.n;
    for (int64_t i = 0; same && i < a.n; ++i)
        same &= a.obs_idx[i] == b.obs_idx[i] && a.act_idx[i] == b.act_idx[i];
    TEST_CHECK(!same, "raw features depend on the scale (%lld vs %lld pairs)", (long long)a.n,
               (long long)b.n);
    rise_pairs_free(&a);
    rise_pairs_free(&b);
    rise_norm_free(&h.ts.norm);
}

/* Retrieve first (RISE's code) against filter first, on the hand set (pos features,
 * skips 1, threshold 3, no L2): queries 5 (1.1,0), 6 (2.2,0), 8 (1.2,0.1), 9 (3,0.3). */
static void test_pairs_retrieve_first(void) {
    hand_set h;
    make_hand(&h);
    rise_relabel_config c;
    rise_relabel_config_default(&c);
    TEST_CHECK(c.retrieve_first == 1 && c.raw_features == 1 && c.match_tol == 0.0f &&
                   c.match_play_to_play == 0,
               "defaults follow RISE's code");
    c.k = 2;
    c.threshold = 3.0f;
    c.l2_normalize = 0;
    c.skip_expert = c.skip_nonexpert = 1;
    c.n_feature_keys = 1;
    snprintf(c.feature_keys[0], RISE_NAME_MAX, "pos");
    /* play->play from query 5: the 3 nearest play states are 5 itself, 8 (0.141) and 6
     * (1.1, same trajectory): only 8 survives; filter first finds 8 and 9 (1.93).
     * play->expert (3 experts within 3 of query 5): k + 1 = 3 kept vs k = 2. */
    rise_pairs r, f;
    TEST_CHECK(rise_relabel_build(&h.ts, &c, &r) == RISE_OK, "retrieve first: %s",
               rise_last_error());
    c.retrieve_first = 0;
    TEST_CHECK(rise_relabel_build(&h.ts, &c, &f) == RISE_OK, "filter first: %s", rise_last_error());
    int64_t rp = 0, fp = 0, re = 0, fe = 0;
    for (int64_t i = 0; i < r.n; ++i)
        if (r.obs_idx[i] == 5) rp += r.rule[i] == 1, re += r.rule[i] == 0;
    for (int64_t i = 0; i < f.n; ++i)
        if (f.obs_idx[i] == 5) fp += f.rule[i] == 1, fe += f.rule[i] == 0;
    TEST_CHECK(rp == 1 && fp == 2,
               "query 5 play->play: retrieve first %lld (want 1), filter "
               "first %lld (want 2)",
               (long long)rp, (long long)fp);
    TEST_CHECK(re == 3 && fe == 2,
               "query 5 play->expert: retrieve first %lld (want k + 1 = 3), "
               "filter first %lld (want 2)",
               (long long)re, (long long)fe);
    rise_pairs_free(&r);
    rise_pairs_free(&f);
    /* The gripper filter after retrieval: query 9 (grip 0)'s 2 nearest experts, 3 and 2, both
     * hold grip 1, so with k = 1 it keeps none; filter first finds expert 1 (grip 0, 2.02). */
    c.k = 1;
    snprintf(c.match_key, RISE_NAME_MAX, "grip");
    c.play_to_play = 0;
    c.retrieve_first = 1;
    TEST_CHECK(rise_relabel_build(&h.ts, &c, &r) == RISE_OK, "retrieve first, grip");
    c.retrieve_first = 0;
    TEST_CHECK(rise_relabel_build(&h.ts, &c, &f) == RISE_OK, "filter first, grip");
    int r9 = 0, f9 = -1;
    for (int64_t i = 0; i < r.n; ++i) r9 += r.obs_idx[i] == 9;
    for (int64_t i = 0; i < f.n; ++i)
        if (f.obs_idx[i] == 9) f9 = (int)f.act_idx[i];
    TEST_CHECK(r9 == 0 && f9 == 1,
               "query 9 with grip: retrieve first %d pairs (want 0), filter "
               "first neighbour %d (want 1)",
               r9, f9);
    rise_pairs_free(&r);
    rise_pairs_free(&f);
    /* The match key on play->play only with match_play_to_play: query 5 (grip 0) and 8
     * (grip 0) match, 9 (grip 0) too; 6 (grip 1) loses its play neighbours. */
    c.play_to_play = 1;
    c.play_to_expert = 0;
    c.retrieve_first = 1;
    c.k = 3;
    TEST_CHECK(rise_relabel_build(&h.ts, &c, &r) == RISE_OK, "p2p, match off");
    c.match_play_to_play = 1;
    TEST_CHECK(rise_relabel_build(&h.ts, &c, &f) == RISE_OK, "p2p, match on");
    int r6 = 0, f6 = 0;
    for (int64_t i = 0; i < r.n; ++i) r6 += r.obs_idx[i] == 6;
    for (int64_t i = 0; i < f.n; ++i) f6 += f.obs_idx[i] == 6;
    TEST_CHECK(r6 > 0 && f6 == 0,
               "query 6 (grip 1) play->play: %d pairs without the match, %d "
               "with it (want 0)",
               r6, f6);
    rise_pairs_free(&r);
    rise_pairs_free(&f);
    rise_norm_free(&h.ts.norm);
}

static void test_noise(void) {
    const int64_t B = 3, A = 4;
    const int M = 5;
    float a[12], out[3 * 5 * 4], sig_out[15], dn[15], sigma[5];
    test_fill_random(a, 12, 3, -1, 1);
    a[0] = 1.0f; /* at the edge: clipping must act */
    rise_action_noise_levels(M, 0.01f, 1.0f, sigma);
    TEST_CHECK(fabsf(sigma[0] - 0.01f) < 1e-7f && fabsf(sigma[4] - 1.0f) < 1e-6f &&
                   fabsf(sigma[2] - 0.1f) < 1e-6f,
               "geometric levels");
    rise_rng rng = {42, RISE_STREAM_ACTION_NOISE, 7, NULL};
    rise_action_noise_ref(a, B, A, M, sigma, rng, out, sig_out, dn);
    int ok = 1, clipped = 0;
    for (int64_t b = 0; b < B; ++b)
        for (int m = 0; m < M; ++m) {
            double d2 = 0;
            for (int64_t j = 0; j < A; ++j) {
                const int64_t i = (b * M + m) * A + j;
                float want = a[b * A + j] + sigma[m] * rise_rng_normal(42, RISE_STREAM_ACTION_NOISE,
                                                                       7, (uint64_t)i);
                if (want > 1 || want < -1) ++clipped;
                want = fminf(1.0f, fmaxf(-1.0f, want));
                ok &= out[i] == want;
                d2 += ((double)out[i] - a[b * A + j]) * ((double)out[i] - a[b * A + j]);
            }
            ok &= sig_out[b * M + m] == sigma[m] && fabsf(dn[b * M + m] - (float)sqrt(d2)) < 1e-6f;
        }
    TEST_CHECK(ok, "noise formula, sigma and realised norm");
    TEST_CHECK(clipped > 0, "some values clipped");
    float lo = 1, hi = -1;
    for (int i = 0; i < 60; ++i) lo = fminf(lo, out[i]), hi = fmaxf(hi, out[i]);
    TEST_CHECK(lo >= -1 && hi <= 1, "within [-1, 1]");
    TEST_CHECK(rise_action_noise_blocks(B, M, A) == 30, "blocks consumed");
    /* Small sigma: mean squared noise ~ sigma^2 over many draws (property). */
    const int64_t BB = 4000;
    float *za = calloc((size_t)BB, sizeof(float)), *zo = malloc((size_t)BB * sizeof(float));
    const float s1 = 0.1f;
    rise_action_noise_ref(za, BB, 1, 1, &s1, rng, zo, NULL, NULL);
    double ms = 0;
    for (int64_t i = 0; i < BB; ++i) ms += (double)zo[i] * zo[i];
    ms /= (double)BB;
    TEST_CHECK(fabs(ms - 0.01) < 0.001, "noise variance %g ~ 0.01", ms);
    free(za);
    free(zo);
}

int main(void) {
    test_knn();
    test_knn_extreme();
    test_pairs();
    test_pairs_retrieve_first();
    test_noise();
    return test_finish();
}
