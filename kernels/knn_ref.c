/* knn_ref.c - CPU reference of the thresholded kNN (kernels/knn.h): a double brute
 * force with rise_knn_brute's order (references ascending, ties kept in index order). */
#include "knn.h"
#include "knn_rules.h"

#include <math.h>

void knn_topk_check(const rise_knn_params *p, int nq, int nr, int f, const void *scratch) {
    RISE_ASSERT(p != NULL, "knn_topk: no parameters");
    RISE_ASSERT(p->k >= 1 && p->k <= KNN_MAX_K, "knn_topk: k = %d, expected 1..%d", p->k,
                KNN_MAX_K);
    RISE_ASSERT(nq >= 0 && nr >= 0 && f >= 1, "knn_topk: bad shape nq=%d nr=%d f=%d", nq, nr, f);
    RISE_ASSERT((p->q_group != NULL) == (p->r_group != NULL),
                "knn_topk: the group filter needs both q_group and r_group");
    RISE_ASSERT((p->q_match != NULL) == (p->r_match != NULL),
                "knn_topk: the match filter needs both q_match and r_match");
    RISE_ASSERT(p->match_dim >= 0, "knn_topk: match_dim = %d", p->match_dim);
    RISE_ASSERT(nq == 0 || scratch != NULL, "knn_topk: no scratch (knn_topk_scratch_bytes)");
}

static int passes_filters(const rise_knn_params *p, size_t i, size_t j) {
    if (p->q_group && p->q_group[i] == p->r_group[j]) return 0;
    const size_t md = (size_t)p->match_dim;
    return !p->q_match ||
           knn_match_ok(p->q_match + i * md, p->r_match + j * md, p->match_dim, p->match_tol);
}

void knn_topk_ref(int32_t *idx, float *dist, int32_t *count, const float *q, int nq, const float *r,
                  int nr, int f, const rise_knn_params *p, void *scratch) {
    knn_topk_check(p, nq, nr, f, scratch);
    const int k = p->k;
    const double t2 = knn_threshold2(p->max_dist);
    for (int i = 0; i < nq; ++i) {
        double *bd = (double *)scratch + (size_t)i * k;
        int32_t *bi = idx + (size_t)i * k;
        const float *qi = q + (size_t)i * f;
        int32_t c = 0;
        for (int j = 0; j < nr; ++j) {
            if (!passes_filters(p, (size_t)i, (size_t)j)) continue;
            const double d2 = knn_exact_d2(qi, r + (size_t)j * f, f);
            if (d2 <= t2) knn_insert_i32(bd, bi, &c, k, d2, j);
        }
        count[i] = c;
        for (int s = 0; s < k; ++s) {
            dist[(size_t)i * k + s] = s < c ? (float)sqrt(bd[s]) : INFINITY;
            if (s >= c) bi[s] = -1;
        }
    }
}
