/* reduce_cpu.c - the fast CPU reductions ("cpu" backend). SUM, SUMSQ and MEAN accumulate
 * in double like the reference, but in split accumulators: the buffer is cut into at most
 * REDUCE_PARTS ranges (a number that depends on n only, never on the thread count), each
 * range is summed in sixteen interleaved double lanes and the ranges' sums are added in
 * order. The result differs from reduce_ref's sequential sum only by double rounding and
 * is the same on every run and every thread count. MAX, MIN and ABSMAX are exact in any
 * order and use the reference; so do the per-row reductions (short rows). */
#include "reduce.h"
#include "cpu_chunks.h"
#include "simd_cpu.h"

#define REDUCE_PARTS    64
#define REDUCE_PART_MIN ((size_t)16384) /* elements below which a range is not split */

static double sum_span(const float *x, size_t n, int squares) {
    vd4 a[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int h = 0; h < 2; ++h) {
            const vf8 v = vf_load(x + i + 8 * h);
            vd4 lo = vd_lo(v), hi = vd_hi(v);
            if (squares) lo = _mm256_mul_pd(lo, lo), hi = _mm256_mul_pd(hi, hi);
            a[2 * h] = _mm256_add_pd(a[2 * h], lo);
            a[2 * h + 1] = _mm256_add_pd(a[2 * h + 1], hi);
        }
    const vd4 s = _mm256_add_pd(_mm256_add_pd(a[0], a[1]), _mm256_add_pd(a[2], a[3]));
    double t[4];
    _mm256_storeu_pd(t, s);
    double r = (t[0] + t[1]) + (t[2] + t[3]);
    for (; i < n; ++i) r += squares ? (double)x[i] * x[i] : (double)x[i];
    return r;
}

static double sum_parts(const float *x, size_t n, int squares) {
    size_t parts = n / REDUCE_PART_MIN;
    if (parts > REDUCE_PARTS) parts = REDUCE_PARTS;
    if (parts <= 1) return sum_span(x, n, squares);
    double part[REDUCE_PARTS];
    const long np = (long)parts;
#pragma omp parallel for schedule(static)
    for (long p = 0; p < np; ++p) {
        const size_t lo = cpu_chunk_start(n, parts, (size_t)p, 16);
        const size_t hi = cpu_chunk_start(n, parts, (size_t)p + 1, 16);
        part[p] = sum_span(x + lo, hi - lo, squares);
    }
    double r = 0.0;
    for (size_t p = 0; p < parts; ++p) r += part[p];
    return r;
}

void reduce_cpu(rise_reduce_op op, float *out, const float *x, size_t n) {
    switch (op) {
    case RISE_REDUCE_SUM: *out = (float)sum_parts(x, n, 0); return;
    case RISE_REDUCE_MEAN: *out = n ? (float)(sum_parts(x, n, 0) / (double)n) : 0.0f; return;
    case RISE_REDUCE_SUMSQ: *out = (float)sum_parts(x, n, 1); return;
    default: reduce_ref(op, out, x, n); return;
    }
}
