/* knn.h - thresholded k-nearest-neighbour search on backend-resident data, the
 * semantics of kernels/knn_search.h (rise_knn / rise_knn_brute) with int32 outputs.
 *
 * For each query row q_i of Q [nq, F], the references r_j of R [nr, F] that pass
 *   group:  q_group[i] != r_group[j]                                  (when set)
 *   match:  |q_match[i, x] - r_match[j, x]| <= match_tol for every x  (when set; NaN fails)
 *   d2 <= t2, t2 = (double)max_dist * (double)max_dist (max_dist <= 0: t2 = +inf),
 * where d2 = sum_x ((double)q_ix - (double)r_jx)^2 accumulated in double in x order
 * (a NaN d2 never passes), ordered by (d2, j) ascending; the first k of them are
 *   idx[i, s] = j, dist[i, s] = (float)sqrt(d2) for s < count[i] (<= k),
 *   idx[i, s] = -1, dist[i, s] = +inf past count[i].
 * This is exactly rise_knn_brute's result (same idx, count and dist bits), for
 * non-finite and huge inputs too, on both backends (the CPU backend calls kernels/knn_search.c's
 * tiled rise_knn).
 *
 * Scratch: knn_topk_scratch_bytes(nq, k) bytes of backend memory, 8-byte aligned, that
 * the op may overwrite (the CUDA kernels keep each query's sorted double d2 list there;
 * the CPU backend keeps rise_knn's int64 indices there). Pointers in rise_knn_params
 * are backend memory too.
 *
 * knn_topk_ref: the specification, a double brute force (serial; scratch as above).
 * knn_topk_cuda (kernels/knn.cu) picks a variant by F; _cuda_variant runs one. */
#ifndef RISE_KERNELS_KNN_H
#define RISE_KERNELS_KNN_H

#include <stddef.h>
#include <stdint.h>

#include "../host/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KNN_MAX_K 1024

static inline size_t knn_topk_scratch_bytes(int nq, int k) {
    return (size_t)(nq > 0 ? nq : 0) * (size_t)(k > 0 ? k : 0) * sizeof(double);
}

/* Aborts (RISE_ASSERT) on bad shapes or settings: k outside 1..KNN_MAX_K, f < 1, negative
 * counts, a filter given for only one side, negative match_dim, no scratch. */
void knn_topk_check(const rise_knn_params *p, int nq, int nr, int f, const void *scratch);

void knn_topk_ref(int32_t *idx, float *dist, int32_t *count, const float *q, int nq, const float *r,
                  int nr, int f, const rise_knn_params *p, void *scratch);

/* Variants (kernels/knn.cu): 1 register-tiled GEMM form with exact re-check (f <= 64),
 * 2 one thread per query, every pair in double (any f). */
int knn_topk_cuda_supports(int variant, int f);
void knn_topk_cuda_variant(int variant, void *stream, int32_t *idx, float *dist, int32_t *count,
                           const float *q, int nq, const float *r, int nr, int f,
                           const rise_knn_params *p, void *scratch);
void knn_topk_cuda(void *stream, int32_t *idx, float *dist, int32_t *count, const float *q, int nq,
                   const float *r, int nr, int f, const rise_knn_params *p, void *scratch);

#ifdef __cplusplus
}
#endif
#endif
