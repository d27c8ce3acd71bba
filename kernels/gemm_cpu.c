/* gemm_cpu.c - the fast CPU GEMM ("cpu" backend) and the row-major bias gradient.
 *
 * Which library (measured per call signature of a training step by
 * benchmarks/bench_step_gemm; docs/performance.md has the table and the machine):
 *   - oneDNN's matmul when m, n and k are all >= 16: its brgemm kernels ran the step's
 *     large products ~10% faster than OpenBLAS's on one core (AVX-512 Zen 4), while its
 *     fixed cost per call (~20-60 us) loses to OpenBLAS on the thin products (network
 *     heads with n = 1..6, input layers with k = 6..8, their gradients);
 *   - OpenBLAS otherwise; BLIS (0.9, Debian) lost on every shape and is not used.
 * Primitives are created on a call signature's first use and cached (a run has a few dozen).
 *
 * Threading: one OpenMP pool for the whole step. oneDNN (Debian's OpenMP build) threads
 * its products over that pool. An OpenBLAS product is
 *   - run on the calling thread when it is too small to pay for waking a second one,
 *   - split over threads by ensemble members when there are several (the twin critic),
 *   - else cut in two halves of N (or of M when N is narrow), each half one
 *     single-threaded BLAS call inside our own parallel region,
 *   - or, when large, handed to OpenBLAS's own OpenMP threading (the same pool).
 * With Debian's OpenMP build of OpenBLAS a call made inside a parallel region runs on
 * that thread alone; with another build (pthreads) the backend keeps OpenBLAS at one
 * thread so its workers never spin against OpenMP's. The OpenBLAS splits are fixed by the
 * shape, never by the thread count. Every run gives the same bits (neither library
 * reduces across threads nondeterministically); oneDNN may block its products
 * differently for another thread count.
 *
 * Precision bf16: the products oneDNN takes get bf16 inputs (rounded to nearest even,
 * converted into dense copies) and fp32 accumulation and output; the thin ones stay fp32.
 *
 * bias_grad: dbias[e, :] += column sums over rows, in row order in double (the
 * reference's order, bit for bit), columns split over threads. */
#include "gemm.h"
#include "cpu_chunks.h"

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdlib.h>
#include <string.h>

/* Below this many flops a product runs on the calling thread. */
#define GEMM_SERIAL_FLOPS 2.0e6
/* From this many flops (per call, batch 1) OpenBLAS threads it itself. */
#define GEMM_BLAS_THREADED_FLOPS 4.0e8
/* Halves are cut on multiples of this many columns or rows (whole SIMD panels). */
#define GEMM_SPLIT_ALIGN 16
/* oneDNN takes a product when m, n and k are all at least this (measured rule, below). */
#define GEMM_DNNL_MIN_DIM 16
/* Cached oneDNN matmuls (one per distinct call signature of a run: a few dozen). */
#define GEMM_CACHE_SLOTS 512

/* A oneDNN matmul for one call signature, with its memory objects (data set per call). */
typedef struct {
    int used;
    int key[14];
    float alpha, beta;
    dnnl_primitive_t prim;
    dnnl_memory_t a, b, c, scratch;
    size_t scratch_bytes;
} dnnl_entry;

struct gemm_cpu_state {
    int blas_openmp; /* OpenBLAS shares our OpenMP pool */
    gemm_cpu_lib force;
    gemm_cpu_precision precision;
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    dnnl_entry *cache; /* GEMM_CACHE_SLOTS, open addressing */
    int cache_used;
    void *scratch; /* shared user scratchpad, grown when a larger primitive is created */
    size_t scratch_bytes;
    uint16_t *bf16_a, *bf16_b; /* the operands in bf16 (precision bf16), grown likewise */
    size_t bf16_a_bytes, bf16_b_bytes;
};

/* Makes *buf hold at least `bytes` (64-byte aligned); 0 when out of memory. */
static int grow(void **buf, size_t *have, size_t bytes) {
    if (bytes <= *have) return 1;
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes) != 0) return 0;
    free(*buf);
    *buf = p;
    *have = bytes;
    return 1;
}

gemm_cpu_state *gemm_cpu_create(void) {
    gemm_cpu_state *s = (gemm_cpu_state *)calloc(1, sizeof *s);
    if (!s) return NULL;
    s->blas_openmp = openblas_get_parallel() == 2;
    s->cache = (dnnl_entry *)calloc(GEMM_CACHE_SLOTS, sizeof *s->cache);
    if (!s->cache || dnnl_engine_create(&s->eng, dnnl_cpu, 0) != dnnl_success ||
        dnnl_stream_create(&s->stream, s->eng, dnnl_stream_default_flags) != dnnl_success) {
        gemm_cpu_destroy(s);
        return NULL;
    }
    return s;
}

void gemm_cpu_destroy(gemm_cpu_state *s) {
    if (!s) return;
    for (int i = 0; s->cache && i < GEMM_CACHE_SLOTS; ++i) {
        dnnl_entry *e = &s->cache[i];
        if (!e->used) continue;
        dnnl_memory_destroy(e->a), dnnl_memory_destroy(e->b), dnnl_memory_destroy(e->c);
        if (e->scratch) dnnl_memory_destroy(e->scratch);
        dnnl_primitive_destroy(e->prim);
    }
    free(s->cache);
    free(s->scratch);
    free(s->bf16_a);
    free(s->bf16_b);
    if (s->stream) dnnl_stream_destroy(s->stream);
    if (s->eng) dnnl_engine_destroy(s->eng);
    free(s);
}

void gemm_cpu_force(gemm_cpu_state *s, gemm_cpu_lib lib) { s->force = lib; }

/* ---- OpenBLAS ---- */

/* One member's product restricted to columns [n0, n1) and rows [m0, m1) of C. */
static void blas_part(int ta, int tb, int m0, int m1, int n0, int n1, int k, float alpha,
                      const float *a, int lda, const float *b, int ldb, float beta, float *c,
                      int ldc) {
    if (m1 <= m0 || n1 <= n0) return;
    const float *ap = a + (ta ? (int64_t)m0 : (int64_t)m0 * lda);
    const float *bp = b + (tb ? (int64_t)n0 * ldb : (int64_t)n0);
    float *cp = c + (int64_t)m0 * ldc + n0;
    if (k == 0) { /* C = beta C; BLAS would reject lda = 0 here */
        for (int i = 0; i < m1 - m0; ++i)
            for (int j = 0; j < n1 - n0; ++j) {
                float *cij = &cp[(int64_t)i * ldc + j];
                *cij = beta == 0.0f ? 0.0f : beta * *cij;
            }
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                m1 - m0, n1 - n0, k, alpha, ap, lda > 0 ? lda : 1, bp, ldb > 0 ? ldb : 1, beta, cp,
                ldc > 0 ? ldc : 1);
}

static void gemm_blas(gemm_cpu_state *s, int ta, int tb, int m, int n, int k, float alpha,
                      const float *a, int lda, int64_t stride_a, const float *b, int ldb,
                      int64_t stride_b, float beta, float *c, int ldc, int64_t stride_c, int batch,
                      int threads) {
    if (!s->blas_openmp) openblas_set_num_threads(1);
    const double flops = 2.0 * m * n * (double)k * batch;
    if (threads <= 1 || flops < GEMM_SERIAL_FLOPS) {
        for (int e = 0; e < batch; ++e)
            blas_part(ta, tb, 0, m, 0, n, k, alpha, a + e * stride_a, lda, b + e * stride_b, ldb,
                      beta, c + e * stride_c, ldc);
        return;
    }
    if (batch > 1 && stride_c != 0) { /* members write disjoint outputs */
#pragma omp parallel for schedule(static)
        for (int e = 0; e < batch; ++e)
            blas_part(ta, tb, 0, m, 0, n, k, alpha, a + e * stride_a, lda, b + e * stride_b, ldb,
                      beta, c + e * stride_c, ldc);
        return;
    }
    for (int e = 0; e < batch; ++e) {
        const float *ae = a + e * stride_a, *bb = b + e * stride_b;
        float *ce = c + e * stride_c;
        if (s->blas_openmp && flops / batch >= GEMM_BLAS_THREADED_FLOPS) {
            blas_part(ta, tb, 0, m, 0, n, k, alpha, ae, lda, bb, ldb, beta, ce, ldc);
            continue;
        }
        const int by_cols = n >= 2 * GEMM_SPLIT_ALIGN || n >= m;
        const int len = by_cols ? n : m;
        int half = (len / 2 + GEMM_SPLIT_ALIGN - 1) / GEMM_SPLIT_ALIGN * GEMM_SPLIT_ALIGN;
        if (half >= len) half = (len + 1) / 2;
#pragma omp parallel for schedule(static)
        for (int p = 0; p < 2; ++p) {
            const int lo = p ? half : 0, hi = p ? len : half;
            if (by_cols)
                blas_part(ta, tb, 0, m, lo, hi, k, alpha, ae, lda, bb, ldb, beta, ce, ldc);
            else
                blas_part(ta, tb, lo, hi, 0, n, k, alpha, ae, lda, bb, ldb, beta, ce, ldc);
        }
    }
}

/* ---- oneDNN matmul ---- */

static unsigned key_hash(const int *key, int n, float alpha, float beta) {
    unsigned h = 2166136261u;
    for (int i = 0; i < n; ++i) h = (h ^ (unsigned)key[i]) * 16777619u;
    unsigned fa, fb;
    memcpy(&fa, &alpha, 4), memcpy(&fb, &beta, 4);
    h = (h ^ fa) * 16777619u;
    return (h ^ fb) * 16777619u;
}

/* A row-major [batch, rows, cols] operand stored with leading dimension ld (transposed:
 * stored [cols, rows]) and member stride `stride` (0: one matrix for every member). */
static dnnl_status_t operand_md(dnnl_memory_desc_t *md, int batch, int rows, int cols, int trans,
                                int ld, int64_t stride, dnnl_data_type_t dt) {
    const dnnl_dims_t dims = {stride == 0 ? 1 : batch, rows, cols};
    const dnnl_dims_t strides = {stride == 0 ? (dnnl_dim_t)rows * cols : stride, trans ? 1 : ld,
                                 trans ? ld : 1};
    return dnnl_memory_desc_init_by_strides(md, 3, dims, dt, strides);
}

static dnnl_entry *dnnl_lookup(gemm_cpu_state *s, int ta, int tb, int m, int n, int k, float alpha,
                               int lda, int64_t stride_a, int ldb, int64_t stride_b, float beta,
                               int ldc, int64_t stride_c, int batch) {
    const int key[14] = {ta,
                         tb,
                         m,
                         n,
                         k,
                         lda,
                         (int)stride_a,
                         (int)(stride_a >> 32),
                         ldb,
                         (int)stride_b,
                         ldc,
                         (int)stride_c,
                         batch,
                         (int)s->precision};
    unsigned h = key_hash(key, 14, alpha, beta) % GEMM_CACHE_SLOTS;
    for (int probe = 0; probe < GEMM_CACHE_SLOTS; ++probe, h = (h + 1) % GEMM_CACHE_SLOTS) {
        dnnl_entry *e = &s->cache[h];
        if (e->used && !memcmp(e->key, key, sizeof key) && e->alpha == alpha && e->beta == beta)
            return e;
        if (e->used) continue;
        if (s->cache_used * 4 >= GEMM_CACHE_SLOTS * 3) return NULL; /* full: use OpenBLAS */
        dnnl_memory_desc_t amd, bmd, cmd;
        dnnl_matmul_desc_t desc;
        dnnl_primitive_attr_t attr = NULL;
        dnnl_primitive_desc_t pd = NULL;
        dnnl_post_ops_t po = NULL;
        /* bf16: the operands are converted into dense copies (bf16_dense) first */
        const int bf16 = s->precision == GEMM_CPU_BF16;
        const dnnl_data_type_t in_dt = bf16 ? dnnl_bf16 : dnnl_f32;
        const int lda_ = bf16 ? (ta ? m : k) : lda, ldb_ = bf16 ? (tb ? k : n) : ldb;
        const int64_t sa_ = bf16 && stride_a ? (int64_t)m * k : stride_a;
        const int64_t sb_ = bf16 && stride_b ? (int64_t)k * n : stride_b;
        int ok = operand_md(&amd, batch, m, k, ta, lda_, sa_, in_dt) == dnnl_success &&
                 operand_md(&bmd, batch, k, n, tb, ldb_, sb_, in_dt) == dnnl_success &&
                 operand_md(&cmd, batch, m, n, 0, ldc, stride_c, dnnl_f32) == dnnl_success &&
                 dnnl_matmul_desc_init(&desc, &amd, &bmd, NULL, &cmd) == dnnl_success &&
                 dnnl_primitive_attr_create(&attr) == dnnl_success &&
                 dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) ==
                     dnnl_success;
        if (ok && alpha != 1.0f)
            ok = dnnl_primitive_attr_set_output_scales(attr, 1, 0, &alpha) == dnnl_success;
        if (ok && beta != 0.0f)
            ok = dnnl_post_ops_create(&po) == dnnl_success &&
                 dnnl_post_ops_append_sum(po, beta) == dnnl_success &&
                 dnnl_primitive_attr_set_post_ops(attr, po) == dnnl_success;
        if (ok) ok = dnnl_primitive_desc_create(&pd, &desc, attr, s->eng, NULL) == dnnl_success;
        if (ok) ok = dnnl_primitive_create(&e->prim, pd) == dnnl_success;
        if (ok) {
            const dnnl_memory_desc_t *smd =
                dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
            e->scratch_bytes = smd ? dnnl_memory_desc_get_size(smd) : 0;
            ok = dnnl_memory_create(&e->a, &amd, s->eng, DNNL_MEMORY_NONE) == dnnl_success &&
                 dnnl_memory_create(&e->b, &bmd, s->eng, DNNL_MEMORY_NONE) == dnnl_success &&
                 dnnl_memory_create(&e->c, &cmd, s->eng, DNNL_MEMORY_NONE) == dnnl_success &&
                 (!e->scratch_bytes ||
                  dnnl_memory_create(&e->scratch, smd, s->eng, DNNL_MEMORY_NONE) == dnnl_success);
        }
        if (ok) ok = grow(&s->scratch, &s->scratch_bytes, e->scratch_bytes);
        if (ok && bf16) {
            const size_t na = (size_t)m * k * (stride_a ? batch : 1);
            const size_t nb = (size_t)k * n * (stride_b ? batch : 1);
            ok = grow((void **)&s->bf16_a, &s->bf16_a_bytes, 2 * na) &&
                 grow((void **)&s->bf16_b, &s->bf16_b_bytes, 2 * nb);
        }
        if (po) dnnl_post_ops_destroy(po);
        if (attr) dnnl_primitive_attr_destroy(attr);
        if (pd) dnnl_primitive_desc_destroy(pd);
        if (!ok) return NULL; /* (leaks nothing that matters: a failed slot stays unused) */
        memcpy(e->key, key, sizeof key);
        e->alpha = alpha, e->beta = beta;
        e->used = 1;
        s->cache_used++;
        return e;
    }
    return NULL;
}

/* Round to nearest even (what oneDNN's own conversion does); NaN stays a (quiet) NaN. */
static inline uint16_t bf16_of(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x0040u);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

/* The stored rows x cols of `count` members (leading dimension ld, member stride) as a
 * dense bf16 array. */
static void bf16_dense(uint16_t *dst, const float *src, int count, int rows, int cols, int ld,
                       int64_t stride) {
    for (int e = 0; e < count; ++e)
        for (int r = 0; r < rows; ++r) {
            const float *s = src + e * stride + (int64_t)r * ld;
            uint16_t *d = dst + ((size_t)e * rows + r) * cols;
            for (int c = 0; c < cols; ++c) d[c] = bf16_of(s[c]);
        }
}

/* Runs the product through oneDNN; 0 when oneDNN cannot take it (then nothing was done). */
static int gemm_dnnl(gemm_cpu_state *s, int ta, int tb, int m, int n, int k, float alpha,
                     const float *a, int lda, int64_t stride_a, const float *b, int ldb,
                     int64_t stride_b, float beta, float *c, int ldc, int64_t stride_c, int batch) {
    if (k == 0 || (stride_c == 0 && batch > 1)) return 0;
    dnnl_entry *e = dnnl_lookup(s, ta, tb, m, n, k, alpha, lda, stride_a, ldb, stride_b, beta, ldc,
                                stride_c, batch);
    if (!e) return 0;
    if (s->precision == GEMM_CPU_BF16) {
        bf16_dense(s->bf16_a, a, stride_a ? batch : 1, ta ? k : m, ta ? m : k, lda, stride_a);
        bf16_dense(s->bf16_b, b, stride_b ? batch : 1, tb ? n : k, tb ? k : n, ldb, stride_b);
        a = (const float *)(const void *)s->bf16_a;
        b = (const float *)(const void *)s->bf16_b;
    }
    dnnl_memory_set_data_handle(e->a, (void *)a);
    dnnl_memory_set_data_handle(e->b, (void *)b);
    dnnl_memory_set_data_handle(e->c, c);
    dnnl_exec_arg_t args[4] = {
        {DNNL_ARG_SRC, e->a}, {DNNL_ARG_WEIGHTS, e->b}, {DNNL_ARG_DST, e->c}};
    int nargs = 3;
    if (e->scratch) {
        dnnl_memory_set_data_handle(e->scratch, s->scratch);
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, e->scratch};
    }
    RISE_ASSERT(dnnl_primitive_execute(e->prim, s->stream, nargs, args) == dnnl_success,
                "gemm: oneDNN matmul failed (m=%d n=%d k=%d batch=%d)", m, n, k, batch);
    dnnl_stream_wait(s->stream);
    return 1;
}

rise_status gemm_cpu_set_precision(gemm_cpu_state *s, gemm_cpu_precision p) {
    if (p == GEMM_CPU_FP32) {
        s->precision = p;
        return RISE_OK;
    }
    /* probe: can oneDNN run a bf16 matmul on this processor? */
    s->precision = p;
    float a[16] = {1}, b[16] = {1}, c[16];
    if (!gemm_dnnl(s, 0, 0, 4, 4, 4, 1.0f, a, 4, 16, b, 4, 16, 0.0f, c, 4, 16, 1)) {
        s->precision = GEMM_CPU_FP32;
        return rise_error(RISE_ERR_INVALID,
                          "precision bf16: oneDNN has no bf16 matmul on this processor (it needs "
                          "AVX-512 or AMX; this one offers oneDNN ISA level %d); use fp32",
                          (int)dnnl_get_effective_cpu_isa());
    }
    return RISE_OK;
}

void gemm_cpu(gemm_cpu_state *s, int ta, int tb, int m, int n, int k, float alpha, const float *a,
              int lda, int64_t stride_a, const float *b, int ldb, int64_t stride_b, float beta,
              float *c, int ldc, int64_t stride_c, int batch) {
    gemm_check(ta, tb, m, n, k, lda, ldb, ldc, batch);
    if (m == 0 || n == 0 || batch == 0) return;
    gemm_cpu_lib lib = s->force;
    if (lib == GEMM_CPU_AUTO) /* oneDNN from 16 in every dimension (its fixed cost ~20 us) */
        lib = m >= GEMM_DNNL_MIN_DIM && n >= GEMM_DNNL_MIN_DIM && k >= GEMM_DNNL_MIN_DIM
                  ? GEMM_CPU_DNNL
                  : GEMM_CPU_BLAS;
    if (lib == GEMM_CPU_DNNL && gemm_dnnl(s, ta, tb, m, n, k, alpha, a, lda, stride_a, b, ldb,
                                          stride_b, beta, c, ldc, stride_c, batch))
        return;
    gemm_blas(s, ta, tb, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc, stride_c,
              batch, lib == GEMM_CPU_BLAS_SERIAL ? 1 : omp_get_max_threads());
}

/* Columns [c0, c1) of one member: sums over b rows in row order, in double. */
#define BIAS_TILE 256
static void bias_grad_cols(float *dbias, const float *dy, int b, int n, size_t c0, size_t c1) {
    double acc[BIAS_TILE];
    for (size_t t0 = c0; t0 < c1; t0 += BIAS_TILE) {
        const size_t w = c1 - t0 < BIAS_TILE ? c1 - t0 : BIAS_TILE;
        for (size_t j = 0; j < w; ++j) acc[j] = 0.0;
        for (int r = 0; r < b; ++r) {
            const float *d = dy + (size_t)r * n + t0;
            for (size_t j = 0; j < w; ++j) acc[j] += d[j];
        }
        for (size_t j = 0; j < w; ++j) dbias[t0 + j] += (float)acc[j];
    }
}

void bias_grad_cpu(float *dbias, const float *dy, int e, int b, int n) {
    bias_check("bias_grad", e, b, n);
    for (int ei = 0; ei < e; ++ei)
        CPU_FOR_CHUNKS(
            (size_t)n, 8, (size_t)b,
            bias_grad_cols(dbias + (size_t)ei * n, dy + (size_t)ei * b * n, b, n, lo, hi));
}
