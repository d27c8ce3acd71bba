/* knn.cu - thresholded k-nearest neighbours on the device (kernels/knn.h).
 * Variants (knn_topk_cuda_variant):
 *   kernel1<F4>  f <= 64. A block of KNN_THREADS threads owns KNN_THREADS * KNN_QPT
 *                queries (thread t: queries t and t + KNN_THREADS of the block's tile),
 *                each held in registers as F4 float4 (zero-padded). References are
 *                streamed through shared memory in tiles of KNN_TR rows (zero-padded to
 *                a multiple of 4 floats) with (1 - m)|r|^2 per row; a thread forms the
 *                float dot products of its queries with KNN_RJ references at a time (the
 *                GEMM Q R^T fused with the scan) and tests the GEMM-form distance
 *                  (1 - m)|r|^2 - 2 q.r <= bound + (m - 1)|q|^2  (= lim),
 *                i.e. |q|^2 + |r|^2 - 2 q.r <= bound + m (|q|^2 + |r|^2), with bound the
 *                threshold t2 or, once the list holds k, its k-th d2. A pair that passes
 *                (or gives NaN) is filtered and re-checked with the exact d2 in double;
 *                m = 1e-6 (f + 8) is ~16x the float rounding of the left side
 *                (f u for the dot product, u = 2^-24, plus a few u for the norms and
 *                the subtraction), and lim is rounded up, so no pair with d2 <= bound is
 *                ever pruned (the bound is derived in the comment of knn_limit). A
 *                query whose |q|^2 is not finite tests every pair exactly; a reference
 *                whose |r|^2 is not finite, and a test value that overflowed or is NaN,
 *                go to the exact check too.
 *   kernel2      any f. One thread per query scans every reference in double (the
 *                reference's loop on the device): the fallback for f > 64 and a second,
 *                independent implementation for the tests.
 * Both visit references in increasing j per query and filter, measure and insert with
 * the rules of knn_rules.h (shared with the CPU), so ties keep the smaller index and d2
 * is summed in x order without FMA: idx, count and dist equal the CPU's bit for bit. Each query's
 * sorted list lives in the caller's scratch (double d2 [nq, k]) and in idx itself; the
 * kernels write every output element (no initialisation pass). No atomics. */
#include <math.h>

#include "common.cuh"
#include "knn.h"
#include "knn_rules.h"

#define KNN_THREADS 64  /* threads per block */
#define KNN_QPT     2   /* queries per thread (kernel1) */
#define KNN_TR      128 /* references per shared-memory tile (kernel1), a multiple of KNN_RJ */
#define KNN_RJ      4   /* references per inner step (kernel1) */
#define KNN_F4_MAX  16  /* kernel1: f <= 4 * KNN_F4_MAX */

/* Per-launch constants. */
typedef struct {
    const float *q, *r;
    int nq, nr, f, k;
    double t2; /* squared threshold, +inf without one */
    float m;   /* rounding margin of kernel1's float test */
    const int32_t *q_group, *r_group;
    const float *q_match, *r_match;
    int match_dim;
    float match_tol;
    int32_t *idx;   /* [nq, k]: each query's list indices, then the output */
    float *dist;    /* [nq, k] */
    int32_t *count; /* [nq] */
    double *bd;     /* scratch [nq, k]: each query's list d2, ascending */
} knn_ctx;

__device__ __forceinline__ bool knn_passes_filters(const knn_ctx &c, int i, int j) {
    if (c.q_group && c.q_group[i] == c.r_group[j]) return false;
    const size_t md = (size_t)c.match_dim;
    return !c.q_match || knn_match_ok(c.q_match + (size_t)i * md, c.r_match + (size_t)j * md,
                                      c.match_dim, c.match_tol);
}

/* kernel1's float limit for one query (rounded up, so it only ever lets more through).
 * Why no pair with exact d2 <= bound is pruned, for finite t, rn and qn (u = 2^-24,
 * S = |q|^2 + |r|^2): the float dot product (FMAs, f terms) is within f u S / 2 of q.r,
 * 2 acc is exact, the subtraction adds at most u (|rn| + 2|acc|) <= 2 u S, rn is rounded
 * down and qn is within u |q|^2, so
 *   t <= d2 - |q|^2 - m |r|^2 + (f + 3) u S (+ f 2^-53 S from the double norms),
 *   lim >= bound + (m - 1) |q|^2 - u |q|^2 + 1e-30,
 * and t <= lim whenever d2 - bound <= (m - (f + 4) u) S. With m = 1e-6 (f + 8) ~
 * 16.8 (f + 8) u that holds for bound <= 4 S (d2 is at most bound (1 + f 2^-52)); for
 * bound > 4 S, d2 <= 2 S < bound - 2 S and t is far below lim. Underflow adds at most
 * f 2^-149 in absolute terms, below the 1e-30. */
__device__ __forceinline__ float knn_limit(const knn_ctx &c, const double *bd, int cnt, float qn) {
    if (!isfinite(qn)) return INFINITY;
    double bound = c.t2;
    if (cnt == c.k && bd[c.k - 1] < bound) bound = bd[c.k - 1];
    const float lim = __double2float_ru(bound + ((double)c.m - 1.0) * (double)qn);
    return __fadd_ru(lim, 1e-30f);
}

/* A pair that passed the float test (or is being checked exactly anyway): filters, exact
 * d2, insertion. Returns 1 when d2 was within the threshold and offered to the list (which
 * may then have changed), 0 otherwise. */
__device__ __forceinline__ int knn_consider(const knn_ctx &c, int i, int j, const float *rrow,
                                            int &cnt) {
    if (!knn_passes_filters(c, i, j)) return 0;
    const double d2 = knn_exact_d2(c.q + (size_t)i * c.f, rrow, c.f);
    if (!(d2 <= c.t2)) return 0;
    knn_insert_i32(c.bd + (size_t)i * c.k, c.idx + (size_t)i * c.k, &cnt, c.k, d2, j);
    return 1;
}

/* Writes query i's outputs from its list of cnt entries. */
__device__ __forceinline__ void knn_finish(const knn_ctx &c, int i, int cnt) {
    const size_t base = (size_t)i * c.k;
    for (int s = 0; s < c.k; ++s) {
        if (s < cnt) {
            c.dist[base + s] = __double2float_rn(__dsqrt_rn(c.bd[base + s]));
        } else {
            c.dist[base + s] = INFINITY;
            c.idx[base + s] = -1;
        }
    }
    c.count[i] = cnt;
}

template <int F4> __global__ void __launch_bounds__(KNN_THREADS) knn_topk_kernel1(knn_ctx c) {
    extern __shared__ float4 knn_tile[];
    const int nf4 = (c.f + 3) / 4;                  /* <= F4 */
    const int row4 = nf4 * 4;                       /* floats per padded reference row */
    float4 *rs = knn_tile;                          /* [KNN_TR][nf4] */
    float *rn = (float *)(knn_tile + KNN_TR * nf4); /* [KNN_TR]: (1 - m)|r|^2 */
    float *rs_f = (float *)rs;
    const int tid = threadIdx.x;

    /* This thread's queries, in registers. */
    int qi[KNN_QPT], cnt[KNN_QPT];
    bool act[KNN_QPT];
    float qn[KNN_QPT], lim[KNN_QPT];
    float4 qv[KNN_QPT][F4];
#pragma unroll
    for (int a = 0; a < KNN_QPT; ++a) {
        const int64_t i = (int64_t)blockIdx.x * (KNN_THREADS * KNN_QPT) + a * KNN_THREADS + tid;
        act[a] = i < c.nq;
        qi[a] = act[a] ? (int)i : 0;
        const float *qrow = c.q + (size_t)qi[a] * c.f;
        double qsq = 0.0;
#pragma unroll
        for (int x = 0; x < F4; ++x) {
            float v[4];
#pragma unroll
            for (int comp = 0; comp < 4; ++comp) {
                const int fx = 4 * x + comp;
                v[comp] = act[a] && fx < c.f ? qrow[fx] : 0.0f;
                qsq += (double)v[comp] * (double)v[comp];
            }
            qv[a][x] = make_float4(v[0], v[1], v[2], v[3]);
        }
        cnt[a] = 0;
        qn[a] = (float)qsq;
        lim[a] = knn_limit(c, c.bd + (size_t)qi[a] * c.k, 0, qn[a]);
    }

    const int tiles = (int)(((int64_t)c.nr + KNN_TR - 1) / KNN_TR);
    for (int tile = 0; tile < tiles; ++tile) {
        const int j0 = tile * KNN_TR;
        const int nt = c.nr - j0 < KNN_TR ? c.nr - j0 : KNN_TR;
        __syncthreads(); /* every thread is done with the previous tile */
        for (int e = tid; e < KNN_TR * row4; e += KNN_THREADS) {
            const int jj = e / row4, x = e % row4;
            rs_f[e] = jj < nt && x < c.f ? c.r[(size_t)(j0 + jj) * c.f + x] : 0.0f;
        }
        for (int jj = tid; jj < KNN_TR; jj += KNN_THREADS) {
            float v = 0.0f;
            if (jj < nt) {
                const float *rrow = c.r + (size_t)(j0 + jj) * c.f;
                double rsq = 0.0;
                for (int x = 0; x < c.f; ++x) rsq += (double)rrow[x] * (double)rrow[x];
                v = isfinite(rsq) ? __double2float_rd((1.0 - (double)c.m) * rsq) : -INFINITY;
            }
            rn[jj] = v;
        }
        __syncthreads();

        for (int jj = 0; jj < nt; jj += KNN_RJ) {
            /* jj + rr < KNN_TR: KNN_TR is a multiple of KNN_RJ; rows >= nt are zeros */
            float acc[KNN_QPT][KNN_RJ];
#pragma unroll
            for (int a = 0; a < KNN_QPT; ++a)
#pragma unroll
                for (int rr = 0; rr < KNN_RJ; ++rr) acc[a][rr] = 0.0f;
#pragma unroll
            for (int x = 0; x < F4; ++x) {
                if (x < nf4) {
#pragma unroll
                    for (int rr = 0; rr < KNN_RJ; ++rr) {
                        const float4 rv = rs[(jj + rr) * nf4 + x];
#pragma unroll
                        for (int a = 0; a < KNN_QPT; ++a) {
                            float s = acc[a][rr];
                            s = fmaf(qv[a][x].x, rv.x, s);
                            s = fmaf(qv[a][x].y, rv.y, s);
                            s = fmaf(qv[a][x].z, rv.z, s);
                            s = fmaf(qv[a][x].w, rv.w, s);
                            acc[a][rr] = s;
                        }
                    }
                }
            }
            /* per query, references in increasing j */
#pragma unroll
            for (int a = 0; a < KNN_QPT; ++a) {
#pragma unroll
                for (int rr = 0; rr < KNN_RJ; ++rr) {
                    const int jl = jj + rr;
                    if (!act[a] || jl >= nt) continue;
                    const float t = __fsub_rn(rn[jl], __fmul_rn(2.0f, acc[a][rr]));
                    /* prune only a finite t above the limit: an overflow or a NaN on the
                     * way goes on to the exact check */
                    if (isfinite(t) && t > lim[a]) continue;
                    if (knn_consider(c, qi[a], j0 + jl, rs_f + (size_t)jl * row4, cnt[a]))
                        lim[a] = knn_limit(c, c.bd + (size_t)qi[a] * c.k, cnt[a], qn[a]);
                }
            }
        }
    }

#pragma unroll
    for (int a = 0; a < KNN_QPT; ++a)
        if (act[a]) knn_finish(c, qi[a], cnt[a]);
}

__global__ void __launch_bounds__(KNN_THREADS) knn_topk_kernel2(knn_ctx c) {
    const int64_t i64 = (int64_t)blockIdx.x * KNN_THREADS + threadIdx.x;
    if (i64 >= c.nq) return;
    const int i = (int)i64;
    int cnt = 0;
    for (int j = 0; j < c.nr; ++j) knn_consider(c, i, j, c.r + (size_t)j * c.f, cnt);
    knn_finish(c, i, cnt);
}

extern "C" int knn_topk_cuda_supports(int variant, int f) {
    if (variant == 1) return f >= 1 && f <= 4 * KNN_F4_MAX;
    return variant == 2 && f >= 1;
}

static knn_ctx knn_make_ctx(int32_t *idx, float *dist, int32_t *count, const float *q, int nq,
                            const float *r, int nr, int f, const rise_knn_params *p,
                            void *scratch) {
    knn_ctx c;
    c.q = q, c.r = r, c.nq = nq, c.nr = nr, c.f = f, c.k = p->k;
    c.t2 = knn_threshold2(p->max_dist);
    c.m = 1e-6f * (float)(f + 8);
    c.q_group = p->q_group, c.r_group = p->r_group;
    c.q_match = p->q_match, c.r_match = p->r_match;
    c.match_dim = p->match_dim, c.match_tol = p->match_tol;
    c.idx = idx, c.dist = dist, c.count = count, c.bd = (double *)scratch;
    return c;
}

template <int F4> static void knn_launch1(cudaStream_t s, const knn_ctx &c) {
    const int per_block = KNN_THREADS * KNN_QPT;
    const unsigned blocks = (unsigned)(((int64_t)c.nq + per_block - 1) / per_block);
    const int nf4 = (c.f + 3) / 4;
    const size_t smem = (size_t)KNN_TR * nf4 * sizeof(float4) + KNN_TR * sizeof(float);
    knn_topk_kernel1<F4><<<blocks, KNN_THREADS, smem, s>>>(c);
}

extern "C" void knn_topk_cuda_variant(int variant, void *stream, int32_t *idx, float *dist,
                                      int32_t *count, const float *q, int nq, const float *r,
                                      int nr, int f, const rise_knn_params *p, void *scratch) {
    knn_topk_check(p, nq, nr, f, scratch);
    RISE_ASSERT(knn_topk_cuda_supports(variant, f), "knn_topk: variant %d unsupported for f=%d",
                variant, f);
    if (nq == 0) return;
    const knn_ctx c = knn_make_ctx(idx, dist, count, q, nq, r, nr, f, p, scratch);
    const cudaStream_t s = RISE_STREAM(stream);
    if (variant == 2) {
        const unsigned blocks = (unsigned)(((int64_t)nq + KNN_THREADS - 1) / KNN_THREADS);
        knn_topk_kernel2<<<blocks, KNN_THREADS, 0, s>>>(c);
    } else if (f <= 4) {
        knn_launch1<1>(s, c);
    } else if (f <= 8) {
        knn_launch1<2>(s, c);
    } else if (f <= 16) {
        knn_launch1<4>(s, c);
    } else if (f <= 32) {
        knn_launch1<8>(s, c);
    } else {
        knn_launch1<KNN_F4_MAX>(s, c);
    }
    RISE_CUDA_LAUNCHED();
}

extern "C" void knn_topk_cuda(void *stream, int32_t *idx, float *dist, int32_t *count,
                              const float *q, int nq, const float *r, int nr, int f,
                              const rise_knn_params *p, void *scratch) {
    knn_topk_cuda_variant(knn_topk_cuda_supports(1, f) ? 1 : 2, stream, idx, dist, count, q, nq, r,
                          nr, f, p, scratch);
}
