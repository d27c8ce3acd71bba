/* reduce_ref.c - CPU reference for whole-buffer and per-row reductions.
 *
 * SUM, SUMSQ and MEAN accumulate in double. Empty input (n = 0): SUM, SUMSQ,
 * MEAN and ABSMAX give 0 (MEAN divides by nothing), MAX gives -inf and MIN
 * +inf (the identities of those operations). MAX, MIN and ABSMAX return NaN
 * if any element is NaN, so a diverged buffer never reports a finite metric. */
#include "reduce.h"

#include <math.h>

static float reduce_one(rise_reduce_op op, const float *x, size_t n) {
    switch (op) {
    case RISE_REDUCE_SUM:
    case RISE_REDUCE_MEAN: {
        double s = 0.0;
        for (size_t i = 0; i < n; ++i) s += x[i];
        if (op == RISE_REDUCE_MEAN) return n ? (float)(s / (double)n) : 0.0f;
        return (float)s;
    }
    case RISE_REDUCE_SUMSQ: {
        double s = 0.0;
        for (size_t i = 0; i < n; ++i) s += (double)x[i] * x[i];
        return (float)s;
    }
    case RISE_REDUCE_MAX:
    case RISE_REDUCE_MIN:
    case RISE_REDUCE_ABSMAX: {
        float best = op == RISE_REDUCE_MAX ? -INFINITY : (op == RISE_REDUCE_MIN ? INFINITY : 0.0f);
        for (size_t i = 0; i < n; ++i) {
            const float v = op == RISE_REDUCE_ABSMAX ? fabsf(x[i]) : x[i];
            if (isnan(v)) return NAN;
            if (op == RISE_REDUCE_MIN ? v < best : v > best) best = v;
        }
        return best;
    }
    default: break;
    }
    rise_fatal(__FILE__, __LINE__, "reduce: unknown op %d", (int)op);
}

void reduce_ref(rise_reduce_op op, float *out, const float *x, size_t n) {
    *out = reduce_one(op, x, n);
}

void reduce_rows_ref(rise_reduce_op op, float *out, const float *x, int rows, int cols) {
    RISE_ASSERT(rows >= 0 && cols >= 0, "reduce_rows: negative shape rows=%d cols=%d", rows, cols);
    for (int r = 0; r < rows; ++r) out[r] = reduce_one(op, x + (int64_t)r * cols, (size_t)cols);
}
