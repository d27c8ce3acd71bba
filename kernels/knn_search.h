/* knn_search.h - tiled brute-force k-nearest neighbours with a distance threshold.
 *
 * For each query row q_i of Q [nq, F] find up to k rows r_j of R [nr, F]
 * with |q_i - r_j| <= max_dist (Euclidean), nearest first, ties broken by
 * the smaller j, optionally only where
 *   - group:  q_group[i] != r_group[j]     (e.g. another trajectory), and
 *   - match:  max_m |q_match[i,m] - r_match[j,m]| <= match_tol (e.g. gripper).
 * Work is tiled: threads own tiles of queries; a register block of 4 queries
 * x 16 references computes q.r (the GEMM of Q and R^T, fused with the scan so
 * the nq x nr product is never stored), |q|^2 + |r|^2 - 2 q.r is compared
 * with the threshold (or the current k-th distance) plus a rounding margin,
 * and the few pairs that pass are re-checked with the exact distance (double
 * accumulation), so results equal a double-precision brute force. This is the
 * CPU reference; the CUDA version keeps the same shape (a tile of queries per
 * block, references streamed through shared memory, per-query top-k).
 * Outputs: idx [nq, k] (-1 past the last neighbour), dist [nq, k], count
 * [nq] (neighbours found). */
#ifndef RISE_KERNELS_KNN_SEARCH_H
#define RISE_KERNELS_KNN_SEARCH_H

#include <stdint.h>

#include "host/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int k;
    float max_dist; /* <= 0: no threshold */
    int64_t tile_q; /* queries per tile (default 1024) */
    int64_t tile_r; /* references per tile (default 4096) */
    /* Optional filters (NULL = off). */
    const int32_t *q_group, *r_group;
    const float *q_match, *r_match; /* [nq, match_dim], [nr, match_dim] */
    int64_t match_dim;
    float match_tol;
} rise_knn_opts;

void rise_knn_opts_default(rise_knn_opts *o);

rise_status rise_knn(const float *q, int64_t nq, const float *r, int64_t nr, int64_t F,
                     const rise_knn_opts *o, int64_t *idx, float *dist, int32_t *count);

/* Exact double-precision brute force with the same semantics (for tests). */
void rise_knn_brute(const float *q, int64_t nq, const float *r, int64_t nr, int64_t F,
                    const rise_knn_opts *o, int64_t *idx, float *dist, int32_t *count);

#ifdef __cplusplus
}
#endif
#endif
