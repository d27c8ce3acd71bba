/* bench_reduce.c - whole-buffer reductions (sum, sumsq: the global gradient
 * norm before clipping, max, absmax) over n = 64K / 1M / 16M floats, and
 * per-row reductions (max: the best-of-K argmax's shape, envs x K; sum) over
 * [R, C] = 64 x 128, 512 x 128, 4096 x 256.
 * Bytes per call: reduce 4 n (+4 for the scalar), reduce_rows 4 (R C + R).
 * FLOPs: one per element (two for sumsq).
 *   build/benchmarks/bench_reduce [--backend cpu|ref|cuda] [--json reduce.json] [--quick] */
#include "bench_util.h"
#include "kernels/reduce.h"

static const char *const red_names[RISE_REDUCE_COUNT] = {"sum", "sumsq", "mean",
                                                         "max", "min",   "absmax"};

typedef struct {
    rise_reduce_op op;
    int rows, cols; /* rows == 0: whole-buffer reduce over cols elements */
    bench_buf x, out;
} red_case;

static void run_red(rise_backend *be, void *arg) {
    red_case *k = arg;
    if (k->rows)
        be->reduce_rows(be, k->op, k->out.dev, k->x.dev, k->rows, k->cols);
    else
        be->reduce(be, k->op, k->out.dev, k->x.dev, (size_t)k->cols);
}

static void red_bench(bench_ctx *c, rise_reduce_op op, int rows, size_t n_or_cols) {
    char name[32], shape[64];
    snprintf(name, sizeof name, "%s_%s", rows ? "reduce_rows" : "reduce", red_names[op]);
    if (rows)
        snprintf(shape, sizeof shape, "R=%d C=%zu", rows, n_or_cols);
    else
        snprintf(shape, sizeof shape, "n=%zu", n_or_cols);
    red_case k = {.op = op, .rows = rows, .cols = (int)n_or_cols};
    const size_t n = (rows ? (size_t)rows : 1) * n_or_cols, nout = rows ? (size_t)rows : 1;
    /* Sums get positive data so the relative tolerance means something. */
    const int is_sum = op == RISE_REDUCE_SUM || op == RISE_REDUCE_SUMSQ || op == RISE_REDUCE_MEAN;
    k.x = bench_buf_random(c, n, 1, is_sum ? 0.5f : -1.0f, 1.5f);
    k.out = bench_buf_const(c, nout, 0.0f);
    run_red(c->be, &k);
    int ok = bench_sync(c, name, shape);
    float *ref = bench_host_alloc(c, nout);
    if (rows)
        reduce_rows_ref(op, ref, k.x.host, rows, (int)n_or_cols);
    else
        reduce_ref(op, ref, k.x.host, n);
    float *got = bench_buf_fetch(c, &k.out);
    /* A float tree/chunked sum is off by about log2(n) eps; allow 1e-5. */
    ok = ok && bench_check(c, name, shape, "out", got, ref, nout, 0.0, is_sum ? 1e-5 : 0.0);
    free(got);
    free(ref);
    bench_time(c, name, shape, 4.0 * ((double)n + (double)nout),
               (op == RISE_REDUCE_SUMSQ ? 2.0 : 1.0) * (double)n, ok, run_red, &k);
    bench_buf_free(c, &k.x);
    bench_buf_free(c, &k.out);
}

int main(int argc, char **argv) {
    bench_ctx c;
    bench_init(&c, argc, argv,
               "Reductions: whole buffer (sum, sumsq, max, absmax) and per row (max, sum).\n"
               "Bytes: 4 n (+ outputs).");
    static const rise_reduce_op whole_ops[] = {RISE_REDUCE_SUM, RISE_REDUCE_SUMSQ, RISE_REDUCE_MAX,
                                               RISE_REDUCE_ABSMAX};
    const size_t full[] = {(size_t)1 << 16, (size_t)1 << 20, (size_t)1 << 24};
    const size_t quick[] = {1003};
    const size_t *sizes = c.quick ? quick : full;
    for (int s = 0; s < (c.quick ? 1 : 3); ++s)
        for (int o = 0; o < 4; ++o) red_bench(&c, whole_ops[o], 0, sizes[s]);
    static const int full_rc[][2] = {{64, 128}, {512, 128}, {4096, 256}}, quick_rc[][2] = {{3, 17}};
    const int(*rc)[2] = c.quick ? quick_rc : full_rc;
    for (int s = 0; s < (c.quick ? 1 : 3); ++s) {
        red_bench(&c, RISE_REDUCE_MAX, rc[s][0], (size_t)rc[s][1]);
        red_bench(&c, RISE_REDUCE_SUM, rc[s][0], (size_t)rc[s][1]);
    }
    return bench_finish(&c);
}
