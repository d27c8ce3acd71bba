/* knn_rules.h - the per-pair rules of the thresholded kNN (kernels/knn.h), written once
 * for the reference (knn_ref.c), the host search (knn_search.c) and the CUDA kernels
 * (knn.cu), so the three cannot order, filter or measure pairs differently:
 *   knn_threshold2   the squared threshold in double (max_dist <= 0: none, +inf)
 *   knn_match_ok     every |q_x - r_x| <= tol (NaN fails)
 *   knn_exact_d2     sum_x (q_x - r_x)^2 in double, in x order, never an FMA
 *   knn_insert_i32   sorted insertion into one query's list (d2 ascending; candidates
 *   knn_insert_i64   arrive in increasing j, so ties keep the smaller index first) */
#ifndef RISE_KERNELS_KNN_RULES_H
#define RISE_KERNELS_KNN_RULES_H

#include <stdint.h>

#include "host_device.h"

RISE_HD double knn_threshold2(float max_dist) {
    return max_dist > 0 ? (double)max_dist * (double)max_dist : (double)INFINITY;
}

RISE_HD int knn_match_ok(const float *q_match, const float *r_match, int64_t dim, float tol) {
    for (int64_t x = 0; x < dim; ++x)
        if (!(fabsf(rise_add_rn(q_match[x], -r_match[x])) <= tol)) return 0;
    return 1;
}

RISE_HD double knn_exact_d2(const float *a, const float *b, int64_t f) {
    double s = 0.0;
    for (int64_t x = 0; x < f; ++x) {
        const double d = rise_dadd_rn((double)a[x], -(double)b[x]);
        s = rise_dadd_rn(s, rise_dmul_rn(d, d));
    }
    return s;
}

/* One body for both index widths (the backend op keeps int32, the host search int64). */
#define KNN_DEFINE_INSERT(name, idx_t)                                                             \
    RISE_HD void name(double *bd, idx_t *bi, int32_t *cnt, int k, double d2, idx_t j) {            \
        const int n = *cnt;                                                                        \
        if (n == k && !(d2 < bd[k - 1])) return;                                                   \
        int pos = n < k ? n : k - 1;                                                               \
        while (pos > 0 && bd[pos - 1] > d2) {                                                      \
            bd[pos] = bd[pos - 1];                                                                 \
            bi[pos] = bi[pos - 1];                                                                 \
            --pos;                                                                                 \
        }                                                                                          \
        bd[pos] = d2;                                                                              \
        bi[pos] = j;                                                                               \
        if (n < k) *cnt = n + 1;                                                                   \
    }
KNN_DEFINE_INSERT(knn_insert_i32, int32_t)
KNN_DEFINE_INSERT(knn_insert_i64, int64_t)
#undef KNN_DEFINE_INSERT

#endif
