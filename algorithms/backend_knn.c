/* backend_knn.c - rise_knn's search through a backend's knn_topk (see backend_knn.h). */
#include "backend_knn.h"

#include <stdlib.h>

#include "kernels/knn.h"

/* bytes of backend memory, or NULL with st set. */
static void *take(rise_backend *be, size_t bytes, rise_status *st) {
    if (*st != RISE_OK) return NULL;
    void *d = be->alloc(be, bytes ? bytes : 8);
    if (!d)
        *st = rise_error(RISE_ERR_NOMEM, "knn on %s: out of backend memory for %zu bytes", be->name,
                         bytes);
    return d;
}

/* A host array in fresh backend memory (NULL for a NULL source). */
static void *put(rise_backend *be, const void *src, size_t bytes, rise_status *st) {
    if (!src) return NULL;
    void *d = take(be, bytes, st);
    if (d && bytes) be->upload(be, d, src, bytes);
    return d;
}

rise_status rise_backend_knn(void *backend, const float *q, int64_t nq, const float *r, int64_t nr,
                             int64_t F, const rise_knn_opts *o, int64_t *idx, float *dist,
                             int32_t *count) {
    rise_backend *be = backend;
    if (nq < 0 || nr < 0 || nq > INT32_MAX || nr > INT32_MAX || F < 1 || F > INT32_MAX)
        return rise_error(RISE_ERR_INVALID,
                          "knn on %s: %lld queries x %lld references of %lld features; the "
                          "backend op takes fewer than 2^31 of each",
                          be->name, (long long)nq, (long long)nr, (long long)F);
    if (o->k < 1 || o->k > 1024)
        return rise_error(RISE_ERR_INVALID, "knn on %s: k = %d, expected 1..1024", be->name, o->k);
    if (nq == 0) return RISE_OK;
    const size_t k = (size_t)o->k, m = (size_t)o->match_dim;
    rise_status st = RISE_OK;
    float *dq = put(be, q, sizeof(float) * (size_t)nq * (size_t)F, &st);
    float *dr = put(be, r, sizeof(float) * (size_t)nr * (size_t)F, &st);
    rise_knn_params p = {o->k, o->max_dist,       NULL,        NULL, NULL,
                         NULL, (int)o->match_dim, o->match_tol};
    p.q_group = put(be, o->q_group, sizeof(int32_t) * (size_t)nq, &st);
    p.r_group = put(be, o->r_group, sizeof(int32_t) * (size_t)nr, &st);
    p.q_match = m ? put(be, o->q_match, sizeof(float) * (size_t)nq * m, &st) : NULL;
    p.r_match = m ? put(be, o->r_match, sizeof(float) * (size_t)nr * m, &st) : NULL;
    int32_t *didx = take(be, sizeof(int32_t) * (size_t)nq * k, &st);
    float *ddist = take(be, sizeof(float) * (size_t)nq * k, &st);
    int32_t *dcount = take(be, sizeof(int32_t) * (size_t)nq, &st);
    void *scratch = take(be, knn_topk_scratch_bytes((int)nq, o->k), &st);
    int32_t *hidx = st == RISE_OK ? malloc(sizeof(int32_t) * (size_t)nq * k) : NULL;
    if (st == RISE_OK && !hidx) st = rise_error(RISE_ERR_NOMEM, "knn: out of host memory");
    if (st == RISE_OK) {
        be->knn_topk(be, didx, ddist, dcount, dq, (int)nq, dr, (int)nr, (int)F, &p, scratch);
        be->download(be, hidx, didx, sizeof(int32_t) * (size_t)nq * k);
        be->download(be, dist, ddist, sizeof(float) * (size_t)nq * k);
        be->download(be, count, dcount, sizeof(int32_t) * (size_t)nq);
        st = be->sync(be);
    }
    for (size_t i = 0; st == RISE_OK && i < (size_t)nq * k; ++i) idx[i] = hidx[i];
    free(hidx);
    void *dev[] = {dq,
                   dr,
                   (void *)p.q_group,
                   (void *)p.r_group,
                   (void *)p.q_match,
                   (void *)p.r_match,
                   didx,
                   ddist,
                   dcount,
                   scratch};
    for (size_t i = 0; i < sizeof dev / sizeof dev[0]; ++i)
        if (dev[i]) be->free(be, dev[i]);
    return st;
}
