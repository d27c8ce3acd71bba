/* reduce_ref.c - reference reductions (sums in double). MEAN of nothing is 0;
 * MAX/MIN of nothing are -inf/+inf. */
#include "reduce.h"

#include <math.h>

static double reduce_span(rise_reduce_op op, const float *x, size_t n) {
    double acc = 0.0;
    switch (op) {
    case RISE_REDUCE_SUM:
    case RISE_REDUCE_MEAN:
        for (size_t i = 0; i < n; ++i) acc += x[i];
        return op == RISE_REDUCE_MEAN ? (n ? acc / (double)n : 0.0) : acc;
    case RISE_REDUCE_SUMSQ:
        for (size_t i = 0; i < n; ++i) acc += (double)x[i] * x[i];
        return acc;
    case RISE_REDUCE_MAX:
        acc = -INFINITY;
        for (size_t i = 0; i < n; ++i) acc = x[i] > acc ? x[i] : acc;
        return acc;
    case RISE_REDUCE_MIN:
        acc = INFINITY;
        for (size_t i = 0; i < n; ++i) acc = x[i] < acc ? x[i] : acc;
        return acc;
    case RISE_REDUCE_ABSMAX:
        for (size_t i = 0; i < n; ++i) acc = fabs(x[i]) > acc ? fabs(x[i]) : acc;
        return acc;
    default: break;
    }
    RISE_ASSERT(0, "unknown reduction %d", (int)op);
    return 0.0;
}

void reduce_ref(rise_reduce_op op, float *out, const float *x, size_t n) {
    *out = (float)reduce_span(op, x, n);
}

void reduce_rows_ref(rise_reduce_op op, float *out, const float *x, int rows, int cols) {
    for (int r = 0; r < rows; ++r) out[r] = (float)reduce_span(op, x + (int64_t)r * cols, cols);
}
