/* backend_knn.h - kernels/knn_search.h's neighbour search run by a backend's knn_topk op, so
 * neighbour relabelling (data/pairs.h) can search on the GPU. The op equals rise_knn bit
 * for bit, so the pairs do not depend on where the search ran. */
#ifndef RISE_BACKEND_KNN_H
#define RISE_BACKEND_KNN_H

#include "kernels/knn_search.h"
#include "host/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* rise_knn_fn with ctx = the rise_backend *: uploads Q, R and the filters, runs knn_topk,
 * downloads idx, dist and count. nq and nr must be below 2^31. */
rise_status rise_backend_knn(void *backend, const float *q, int64_t nq, const float *r, int64_t nr,
                             int64_t F, const rise_knn_opts *o, int64_t *idx, float *dist,
                             int32_t *count);

#ifdef __cplusplus
}
#endif
#endif
