/* knn_search.c - tiled GEMM kNN with exact re-checking (see knn_search.h). */
#include "knn_search.h"

#include "knn_rules.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void rise_knn_opts_default(rise_knn_opts *o) {
    memset(o, 0, sizeof *o);
    o->k = 15;
    o->max_dist = 0.0f;
    o->tile_q = 256;
    o->tile_r = 2048;
}

/* Register tile of the fused scan: queries x references per inner block. */
#define KNN_QB 4
#define KNN_RB 16 /* two 8-float vectors */
typedef float knn_v8 __attribute__((vector_size(32)));
typedef int32_t knn_i8 __attribute__((vector_size(32)));
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define KNN_CLONES __attribute__((target_clones("fma", "default")))
#else
#define KNN_CLONES
#endif

static double sq_norm(const float *a, int64_t F) {
    double s = 0;
    for (int64_t f = 0; f < F; ++f) s += (double)a[f] * (double)a[f];
    return s;
}

static int passes_filters(const rise_knn_opts *o, int64_t i, int64_t j) {
    if (o->q_group && o->r_group && o->q_group[i] == o->r_group[j]) return 0;
    return !(o->q_match && o->r_match) ||
           knn_match_ok(o->q_match + i * o->match_dim, o->r_match + j * o->match_dim, o->match_dim,
                        o->match_tol);
}

static void clear_outputs(int64_t nq, int k, int64_t *idx, float *dist) {
    for (int64_t i = 0; i < nq * k; ++i) {
        idx[i] = -1;
        dist[i] = INFINITY;
    }
}

/* Pruning limit of one query: its bound (threshold, or its k-th distance once
 * full) plus the rounding margin, rearranged as in the scan. */
static float limit(double t2, const double *qbd, int32_t c, int k, float m, float qn) {
    if (!isfinite(qn)) return INFINITY; /* |q|^2 overflowed float: nothing can be pruned */
    double bound = t2;
    if (c == k && qbd[k - 1] < bound) bound = qbd[k - 1];
    return (float)(bound + (double)(m - 1.0f) * qn) + 1e-30f;
}

static rise_status check_opts(const rise_knn_opts *o, int64_t F) {
    if (o->k < 1 || o->k > 1024)
        return rise_error(RISE_ERR_INVALID, "knn: k = %d, expected 1..1024", o->k);
    if (F < 1) return rise_error(RISE_ERR_INVALID, "knn: feature dim %lld", (long long)F);
    if ((o->q_match != NULL) != (o->r_match != NULL) ||
        (o->q_group != NULL) != (o->r_group != NULL))
        return rise_error(RISE_ERR_INVALID, "knn: filters need both query and reference arrays");
    return RISE_OK;
}

void rise_knn_brute(const float *q, int64_t nq, const float *r, int64_t nr, int64_t F,
                    const rise_knn_opts *o, int64_t *idx, float *dist, int32_t *count) {
    const int k = o->k;
    const double t2 = knn_threshold2(o->max_dist);
    double *bd = malloc((size_t)k * sizeof *bd);
    int64_t *bi = malloc((size_t)k * sizeof *bi);
    RISE_ASSERT(bd && bi, "out of memory");
    clear_outputs(nq, k, idx, dist);
    for (int64_t i = 0; i < nq; ++i) {
        int32_t c = 0;
        for (int64_t j = 0; j < nr; ++j) {
            if (!passes_filters(o, i, j)) continue;
            const double d2 = knn_exact_d2(q + i * F, r + j * F, F);
            if (d2 <= t2) knn_insert_i64(bd, bi, &c, k, d2, j);
        }
        count[i] = c;
        for (int s = 0; s < c; ++s) {
            idx[i * k + s] = bi[s];
            dist[i * k + s] = (float)sqrt(bd[s]);
        }
    }
    free(bd);
    free(bi);
}

/* Scans references [j0, j1) (a multiple of KNN_RB apart, rT padded) for the
 * ni <= KNN_QB queries starting at i0. Built for AVX2 and for the baseline
 * ISA; the loader picks the one the CPU runs. */
KNN_CLONES
static void scan_block(const float *q, const float *r, const float *rT, int64_t nr_pad,
                       const float *rnm, int64_t nr, int64_t F, int64_t i0, int ni, int64_t j0,
                       int64_t j1, const rise_knn_opts *o, double t2, float m, const float *qn,
                       double *bd, int64_t *bi, int32_t *count) {
    const int k = o->k;
    float lim[KNN_QB];
    const float *qrow[KNN_QB];
    for (int a = 0; a < KNN_QB; ++a) {
        qrow[a] = q + (i0 + (a < ni ? a : 0)) * F;
        lim[a] = a < ni ? limit(t2, bd + (i0 + a) * k, count[i0 + a], k, m, qn[i0 + a]) : -1.0f;
    }
    for (int64_t jb = j0; jb < j1; jb += KNN_RB) {
        /* Register tile: KNN_QB queries x 16 references (two 8-float vectors each),
         * dot products over F. */
        knn_v8 acc[KNN_QB][2];
        for (int a = 0; a < KNN_QB; ++a) acc[a][0] = acc[a][1] = (knn_v8){0};
        for (int64_t f = 0; f < F; ++f) {
            knn_v8 r0, r1;
            memcpy(&r0, rT + f * nr_pad + jb, sizeof r0);
            memcpy(&r1, rT + f * nr_pad + jb + 8, sizeof r1);
            for (int a = 0; a < KNN_QB; ++a) {
                const float qf = qrow[a][f];
                acc[a][0] += qf * r0;
                acc[a][1] += qf * r1;
            }
        }
        knn_v8 n0, n1;
        memcpy(&n0, rnm + jb, sizeof n0);
        memcpy(&n1, rnm + jb + 8, sizeof n1);
        for (int a = 0; a < ni; ++a) {
            /* "not above" rather than "<=": a NaN (inf - inf on huge inputs) goes on to
             * the exact check instead of being pruned */
            const knn_i8 c0 = (n0 - 2.0f * acc[a][0] > lim[a]) == 0;
            const knn_i8 c1 = (n1 - 2.0f * acc[a][1] > lim[a]) == 0;
            const knn_i8 any = c0 | c1;
            if (!(any[0] | any[1] | any[2] | any[3] | any[4] | any[5] | any[6] | any[7])) continue;
            uint32_t hit = 0;
            for (int b = 0; b < 8; ++b)
                hit |= (uint32_t)(c0[b] != 0) << b | (uint32_t)(c1[b] != 0) << (b + 8);
            const int64_t gi = i0 + a;
            while (hit) {
                const int b = __builtin_ctz(hit);
                hit &= hit - 1;
                const int64_t gj = jb + b;
                if (gj >= nr || !passes_filters(o, gi, gj)) continue;
                const double d2 = knn_exact_d2(q + gi * F, r + gj * F, F);
                if (d2 <= t2) {
                    knn_insert_i64(bd + gi * k, bi + gi * k, &count[gi], k, d2, gj);
                    lim[a] = limit(t2, bd + gi * k, count[gi], k, m, qn[gi]);
                }
            }
        }
    }
}

rise_status rise_knn(const float *q, int64_t nq, const float *r, int64_t nr, int64_t F,
                     const rise_knn_opts *o, int64_t *idx, float *dist, int32_t *count) {
    RISE_TRY(check_opts(o, F));
    const int k = o->k;
    const int64_t tq = o->tile_q > 0 ? o->tile_q : 256;
    int64_t tr = o->tile_r > 0 ? o->tile_r : 2048;
    tr = (tr + KNN_RB - 1) / KNN_RB * KNN_RB;
    const double t2 = knn_threshold2(o->max_dist);
    const int64_t nr_pad = (nr + KNN_RB - 1) / KNN_RB * KNN_RB;
    double *bd = malloc((size_t)(nq ? nq : 1) * (size_t)k * sizeof *bd);
    int64_t *bi = malloc((size_t)(nq ? nq : 1) * (size_t)k * sizeof *bi);
    float *qn = malloc((size_t)(nq ? nq : 1) * sizeof *qn);
    float *rnm = malloc((size_t)(nr_pad ? nr_pad : 1) * sizeof *rnm);
    for (int64_t j = nr; rnm && j < nr_pad; ++j) rnm[j] = INFINITY; /* padding never matches */
    float *rT = calloc((size_t)(nr_pad ? nr_pad : 1) * (size_t)F, sizeof *rT);
    if (!bd || !bi || !qn || !rnm || !rT) {
        free(bd), free(bi), free(qn), free(rnm), free(rT);
        return rise_error(RISE_ERR_NOMEM, "knn: out of memory for %lld references", (long long)nr);
    }
    /* Float rounding of |q|^2 + |r|^2 - 2 q.r is below ~F * 2^-24 * (|q|^2 + |r|^2);
     * candidates within this margin are re-checked exactly. The test
     *   approx <= bound + m (|q|^2 + |r|^2)
     * is rearranged to (1 - m)|r|^2 - 2 q.r <= bound + (m - 1)|q|^2 = lim. */
    const float m = 1e-6f * (float)(F + 8);
    for (int64_t j = 0; j < nr; ++j) {
        rnm[j] = (float)sq_norm(r + j * F, F) * (1.0f - m);
        if (!isfinite(rnm[j])) rnm[j] = -INFINITY; /* overflowed: never pruned */
        for (int64_t f = 0; f < F; ++f) rT[f * nr_pad + j] = r[j * F + f];
    }
    for (int64_t i = 0; i < nq; ++i) {
        qn[i] = (float)sq_norm(q + i * F, F);
        count[i] = 0;
    }
    /* Each thread owns whole query tiles (their top-k lists); reference chunks
     * of tr columns of rT stay in cache while the tile's queries pass over them;
     * references are visited in increasing index, so ties keep the smaller one. */
    const int64_t n_tiles = (nq + tq - 1) / tq;
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t t = 0; t < n_tiles; ++t) {
        const int64_t q0 = t * tq, q1 = q0 + tq < nq ? q0 + tq : nq;
        for (int64_t j0 = 0; j0 < nr_pad; j0 += tr) {
            const int64_t j1 = j0 + tr < nr_pad ? j0 + tr : nr_pad;
            for (int64_t i0 = q0; i0 < q1; i0 += KNN_QB) {
                const int ni = (int)(q1 - i0 < KNN_QB ? q1 - i0 : KNN_QB);
                scan_block(q, r, rT, nr_pad, rnm, nr, F, i0, ni, j0, j1, o, t2, m, qn, bd, bi,
                           count);
            }
        }
    }
    clear_outputs(nq, k, idx, dist);
    for (int64_t i = 0; i < nq; ++i)
        for (int s = 0; s < count[i]; ++s) {
            idx[i * k + s] = bi[i * k + s];
            dist[i * k + s] = (float)sqrt(bd[i * k + s]);
        }
    free(bd), free(bi), free(qn), free(rnm), free(rT);
    return RISE_OK;
}
