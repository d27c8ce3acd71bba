/* reduce_ref.c - CPU reference for whole-buffer and per-row reductions (the op and its
 * rules: kernels/reduce.h). Serial, in double. */
#include "reduce.h"

static float reduce_one(rise_reduce_op op, const float *x, size_t n) {
    double acc = reduce_identity(op);
    for (size_t i = 0; i < n; ++i) acc = reduce_combine(op, acc, reduce_load(op, x[i]));
    return reduce_finish(op, acc, n);
}

void reduce_ref(rise_reduce_op op, float *out, const float *x, size_t n) {
    reduce_check_op(op);
    *out = reduce_one(op, x, n);
}

void reduce_rows_ref(rise_reduce_op op, float *out, const float *x, int rows, int cols) {
    reduce_rows_check(op, rows, cols);
    for (int r = 0; r < rows; ++r) out[r] = reduce_one(op, x + (int64_t)r * cols, (size_t)cols);
}
