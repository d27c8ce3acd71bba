/* test_ops_knn.c - the knn_topk op of the CPU backend and its reference knn_topk_ref
 * (kernels/knn.h) against rise_knn_brute (kernels/knn_search.h), exactly: same idx (narrowed to
 * int32), same count, dist bit for bit. Awkward shapes: one query, one reference, k
 * above the references, F = 1 / 3 / 20 / 67, quantised data with many exact ties,
 * thresholds, the group (other trajectory) and match (gripper) filters, duplicates of
 * the query itself, and a hand case. Run: ctest -R test_ops_knn */
#include "kernels/knn_search.h"
#include "kernels/knn.h"
#include "test_util.h"

static rise_backend *be;

typedef struct {
    int nq, nr, f, k;
    float thr;
    int groups, match, quantise;
} knn_case;

static void run_case(const knn_case *c) {
    const int nq = c->nq, nr = c->nr, f = c->f, k = c->k;
    const size_t nqf = (size_t)nq * f, nrf = (size_t)nr * f, nqk = (size_t)nq * k;
    float *q = malloc(sizeof(float) * (nqf + 1)), *r = malloc(sizeof(float) * (nrf + 1));
    test_fill_random(q, nqf, (unsigned)(nq + 7 * f), -1, 1);
    test_fill_random(r, nrf, (unsigned)(nr + 3 * f), -1, 1);
    if (c->quantise) { /* a coarse grid: many exact ties, and exact duplicates */
        for (size_t i = 0; i < nrf; ++i) r[i] = roundf(r[i] * 2) / 2;
        for (size_t i = 0; i < nqf; ++i) q[i] = roundf(q[i] * 2) / 2;
    }
    if (nr > 3 && nq > 1) memcpy(r + 3 * (size_t)f, q + f, sizeof(float) * f); /* q1 = r3 */
    int32_t *qg = malloc(sizeof(int32_t) * (nq + 1)), *rg = malloc(sizeof(int32_t) * (nr + 1));
    float *qm = malloc(sizeof(float) * 2 * (nq + 1)), *rm = malloc(sizeof(float) * 2 * (nr + 1));
    for (int i = 0; i < nq; ++i) qg[i] = i % 5, qm[2 * i] = (float)(i % 3), qm[2 * i + 1] = 0.5f;
    for (int j = 0; j < nr; ++j)
        rg[j] = j % 7, rm[2 * j] = (float)(j % 4), rm[2 * j + 1] = (float)(j % 2);

    rise_knn_opts o;
    rise_knn_opts_default(&o);
    o.k = k, o.max_dist = c->thr;
    rise_knn_params p = {.k = k, .max_dist = c->thr};
    if (c->groups) o.q_group = qg, o.r_group = rg, p.q_group = qg, p.r_group = rg;
    if (c->match) {
        o.q_match = qm, o.r_match = rm, o.match_dim = 2, o.match_tol = 0.5f;
        p.q_match = qm, p.r_match = rm, p.match_dim = 2, p.match_tol = 0.5f;
    }
    int64_t *wi = malloc(sizeof(int64_t) * (nqk + 1));
    float *wd = malloc(sizeof(float) * (nqk + 1));
    int32_t *wc = malloc(sizeof(int32_t) * (nq + 1));
    rise_knn_brute(q, nq, r, nr, f, &o, wi, wd, wc);

    int32_t *gi = malloc(sizeof(int32_t) * (nqk + 1)), *gc = malloc(sizeof(int32_t) * (nq + 1));
    float *gd = malloc(sizeof(float) * (nqk + 1));
    void *scratch = be->alloc(be, knn_topk_scratch_bytes(nq, k) + 8);
    int64_t found = 0;
    for (int pass = 0; pass < 2; ++pass) { /* the backend op, then the reference */
        memset(gi, 0x55, sizeof(int32_t) * (nqk + 1));
        memset(gd, 0x55, sizeof(float) * (nqk + 1));
        if (pass == 0)
            be->knn_topk(be, gi, gd, gc, q, nq, r, nr, f, &p, scratch);
        else
            knn_topk_ref(gi, gd, gc, q, nq, r, nr, f, &p, scratch);
        int same = 1;
        found = 0;
        for (int i = 0; i < nq; ++i) {
            same &= gc[i] == wc[i];
            found += wc[i];
            for (int s = 0; s < k; ++s) {
                const size_t e = (size_t)i * k + s;
                same &= (int64_t)gi[e] == wi[e];
                same &= !memcmp(&gd[e], &wd[e], sizeof(float));
            }
        }
        TEST_CHECK(same,
                   "%s = rise_knn_brute: nq=%d nr=%d f=%d k=%d thr=%g groups %d match %d ties %d",
                   pass ? "knn_topk_ref" : "knn_topk (cpu)", nq, nr, f, k, (double)c->thr,
                   c->groups, c->match, c->quantise);
    }
    /* the cases must exercise something: full lists, partial lists and ties */
    TEST_CHECK(nq == 0 || nr == 0 || found > 0, "case finds neighbours (%lld)", (long long)found);
    be->free(be, scratch);
    free(q), free(r), free(qg), free(rg), free(qm), free(rm), free(wi), free(wd), free(wc);
    free(gi), free(gc), free(gd);
}

static void hand_case(void) {
    /* 1-D: q0 = 0 has r1 (0.2), then r0 and r3 tied at 0.5 (smaller index first), r2 is
     * beyond the threshold 1; q1 = 10 has only r4 (1.0, on the threshold) */
    const float q[2] = {0.0f, 10.0f}, r[5] = {0.5f, -0.2f, 3.0f, 0.5f, 9.0f};
    rise_knn_params p = {.k = 3, .max_dist = 1.0f};
    int32_t idx[6], cnt[2];
    float dist[6];
    double scratch[6];
    be->knn_topk(be, idx, dist, cnt, q, 2, r, 5, 1, &p, scratch);
    TEST_CHECK(cnt[0] == 3 && idx[0] == 1 && idx[1] == 0 && idx[2] == 3 && dist[0] == 0.2f &&
                   dist[1] == 0.5f && dist[2] == 0.5f,
               "hand case, query 0");
    TEST_CHECK(cnt[1] == 1 && idx[3] == 4 && dist[3] == 1.0f && idx[4] == -1 && idx[5] == -1 &&
                   isinf(dist[4]) && isinf(dist[5]),
               "hand case, query 1: the threshold is inclusive, -1 / inf past the count");
}

int main(void) {
    rise_status st;
    be = rise_backend_create("ref", &st);
    hand_case();
    const knn_case cases[] = {
        {50, 300, 6, 5, 0.9f, 0, 0, 0},     {50, 300, 6, 5, 0.0f, 0, 0, 0}, /* no threshold */
        {37, 211, 3, 15, 0.6f, 1, 1, 0},    {40, 90, 2, 4, 1.0f, 0, 0, 1},  /* ties */
        {10, 3, 4, 8, 0.0f, 0, 0, 0}, /* k above the references */
        {1, 1, 1, 1, 0.0f, 0, 0, 0},        {1, 257, 20, 15, 0.0f, 0, 0, 1},
        {300, 1000, 20, 15, 1.2f, 1, 0, 0}, {129, 77, 67, 7, 0.0f, 1, 1, 1}, /* f > 64 */
        {64, 500, 20, 1, 0.0f, 0, 0, 1},    {33, 129, 5, 40, 2.0f, 0, 1, 1},
        {0, 10, 3, 2, 0.0f, 0, 0, 0},       {5, 0, 3, 2, 0.0f, 0, 0, 0}, /* empty sides */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i) run_case(&cases[i]);
    rise_backend_destroy(be);
    return test_finish();
}
