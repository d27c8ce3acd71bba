/* reduce_ref.c - CPU reference for whole-buffer and per-row reductions (the op and its
 * rules: kernels/reduce.h). Serial, in double. */
#include "reduce.h"

/* The fold for one op; called with a constant op below, so the shared rules' switches
 * fold away and each op gets its own loop. */
static inline float fold(rise_reduce_op op, const float *x, size_t n) {
    double acc = reduce_identity(op);
    for (size_t i = 0; i < n; ++i) acc = reduce_combine(op, acc, reduce_load(op, x[i]));
    return reduce_finish(op, acc, n);
}

static float reduce_one(rise_reduce_op op, const float *x, size_t n) {
    switch (op) {
    case RISE_REDUCE_SUM: return fold(RISE_REDUCE_SUM, x, n);
    case RISE_REDUCE_SUMSQ: return fold(RISE_REDUCE_SUMSQ, x, n);
    case RISE_REDUCE_MEAN: return fold(RISE_REDUCE_MEAN, x, n);
    case RISE_REDUCE_MAX: return fold(RISE_REDUCE_MAX, x, n);
    case RISE_REDUCE_MIN: return fold(RISE_REDUCE_MIN, x, n);
    case RISE_REDUCE_ABSMAX: return fold(RISE_REDUCE_ABSMAX, x, n);
    default: break;
    }
    rise_fatal(__FILE__, __LINE__, "reduce: unknown op %d", (int)op);
}

void reduce_ref(rise_reduce_op op, float *out, const float *x, size_t n) {
    reduce_check_op(op);
    *out = reduce_one(op, x, n);
}

void reduce_rows_ref(rise_reduce_op op, float *out, const float *x, int rows, int cols) {
    reduce_rows_check(op, rows, cols);
    for (int r = 0; r < rows; ++r) out[r] = reduce_one(op, x + (int64_t)r * cols, (size_t)cols);
}
