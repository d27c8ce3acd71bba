/* bench_elementwise.c - bandwidth of the element-wise ops over n floats:
 * add (y = a + b), axpy (y += alpha x), mul (y = a * b), clamp, copy_cols
 * (a [R, 256] block into columns 256..511 of a [R, 512] matrix, the concat of
 * a layer input; overwrite and accumulate), and the backend's plain copy.
 * Bytes per call count each float read or written once: add/mul/axpy 12 n,
 * clamp/copy 8 n, copy_cols 8 R C (12 R C accumulating).
 * On the CPU backend a last row times an OpenMP memcpy over all threads: the
 * machine's practical peak bandwidth, the yardstick for the other rows.
 *   build/benchmarks/bench_elementwise [--backend cpu|ref|cuda] [--json ew.json] [--quick] */
#include "bench_util.h"
#include "kernels/elementwise.h"

enum { EW_ADD, EW_AXPY, EW_MUL, EW_CLAMP, EW_COPY, EW_COUNT };
static const char *const ew_names[EW_COUNT] = {"add", "axpy", "mul", "clamp", "copy"};
static const double ew_floats[EW_COUNT] = {3, 3, 3, 2, 2};

typedef struct {
    int op;
    size_t n;
    bench_buf a, b, y;
} ew_case;

static void run_ew(rise_backend *be, void *arg) {
    ew_case *k = arg;
    switch (k->op) {
    case EW_ADD: be->add(be, k->y.dev, k->a.dev, k->b.dev, k->n); break;
    case EW_AXPY: be->axpy(be, k->y.dev, 0.5f, k->a.dev, k->n); break;
    case EW_MUL: be->mul(be, k->y.dev, k->a.dev, k->b.dev, k->n); break;
    case EW_CLAMP: be->clamp(be, k->y.dev, k->a.dev, -0.5f, 0.5f, k->n); break;
    case EW_COPY: be->copy(be, k->y.dev, k->a.dev, k->n * sizeof(float)); break;
    }
}

static void ref_ew(const ew_case *k, float *y) {
    const float *a = k->a.host, *b = k->b.host;
    switch (k->op) {
    case EW_ADD: add_ref(y, a, b, k->n); break;
    case EW_AXPY: axpy_ref(y, 0.5f, a, k->n); break;
    case EW_MUL: mul_ref(y, a, b, k->n); break;
    case EW_CLAMP: clamp_ref(y, a, -0.5f, 0.5f, k->n); break;
    case EW_COPY: memcpy(y, a, k->n * sizeof(float)); break;
    }
}

static void ew_bench(bench_ctx *c, int op, size_t n) {
    char shape[64];
    snprintf(shape, sizeof shape, "n=%zu", n);
    ew_case k = {.op = op, .n = n};
    k.a = bench_buf_random(c, n, 1, -2.0f, 2.0f);
    k.b = bench_buf_random(c, n, 2, -2.0f, 2.0f);
    k.y = bench_buf_random(c, n, 3, -2.0f, 2.0f);
    run_ew(c->be, &k);
    int ok = bench_sync(c, ew_names[op], shape);
    float *got = bench_buf_fetch(c, &k.y), *ref = bench_buf_host_copy(c, &k.y);
    ref_ew(&k, ref);
    ok = ok && bench_check(c, ew_names[op], shape, "y", got, ref, n, 1e-6, 1e-6);
    free(got);
    free(ref);
    const double flops = op == EW_COPY ? 0.0 : (op == EW_AXPY ? 2.0 : 1.0) * (double)n;
    bench_time(c, ew_names[op], shape, 4.0 * ew_floats[op] * (double)n, flops, ok, run_ew, &k);
    bench_buf_free(c, &k.a);
    bench_buf_free(c, &k.b);
    bench_buf_free(c, &k.y);
}

typedef struct {
    int rows, cols, accumulate;
    bench_buf src, dst;
} cols_case;

#define COLS_DST_LD 512

static void run_cols(rise_backend *be, void *arg) {
    cols_case *k = arg;
    be->copy_cols(be, k->dst.dev, COLS_DST_LD, COLS_DST_LD - k->cols, k->src.dev, k->cols, 0,
                  k->rows, k->cols, k->accumulate);
}

static void cols_bench(bench_ctx *c, int rows, int cols, int accumulate) {
    const char *op = accumulate ? "copy_cols_acc" : "copy_cols";
    char shape[64];
    snprintf(shape, sizeof shape, "R=%d C=%d into ld=%d", rows, cols, COLS_DST_LD);
    cols_case k = {.rows = rows, .cols = cols, .accumulate = accumulate};
    k.src = bench_buf_random(c, (size_t)rows * cols, 4, -1.0f, 1.0f);
    k.dst = bench_buf_random(c, (size_t)rows * COLS_DST_LD, 5, -1.0f, 1.0f);
    run_cols(c->be, &k);
    int ok = bench_sync(c, op, shape);
    float *got = bench_buf_fetch(c, &k.dst), *ref = bench_buf_host_copy(c, &k.dst);
    copy_cols_ref(ref, COLS_DST_LD, COLS_DST_LD - cols, k.src.host, cols, 0, rows, cols,
                  accumulate);
    ok = ok && bench_check(c, op, shape, "dst", got, ref, k.dst.n, 1e-6, 1e-6);
    free(got);
    free(ref);
    const double elems = (double)rows * cols;
    bench_time(c, op, shape, 4.0 * elems * (accumulate ? 3 : 2), accumulate ? elems : 0.0, ok,
               run_cols, &k);
    bench_buf_free(c, &k.src);
    bench_buf_free(c, &k.dst);
}

/* ---- the peak yardstick: memcpy split over the OpenMP threads ---- */

typedef struct {
    float *dst;
    const float *src;
    size_t n;
} peak_case;

static void run_peak(rise_backend *be, void *arg) {
    peak_case *k = arg;
    const long chunks = 64;
    const size_t per = (k->n + (size_t)chunks - 1) / (size_t)chunks;
#pragma omp parallel for schedule(static)
    for (long i = 0; i < chunks; ++i) {
        const size_t off = (size_t)i * per;
        if (off < k->n)
            memcpy(k->dst + off, k->src + off, (k->n - off < per ? k->n - off : per) * 4);
    }
}

static void peak_bench(bench_ctx *c, size_t n) {
    const char *op = "memcpy_peak_omp";
    char shape[64];
    snprintf(shape, sizeof shape, "n=%zu (host)", n);
    peak_case k = {bench_host_alloc(c, n), NULL, n};
    float *src = bench_host_alloc(c, n);
    bench_fill_random(src, n, 6, -1.0f, 1.0f);
    memset(k.dst, 0, n * sizeof(float));
    k.src = src;
    run_peak(c->be, &k);
    const int ok = bench_check(c, op, shape, "dst", k.dst, src, n, 0.0, 0.0);
    bench_time(c, op, shape, 8.0 * (double)n, 0.0, ok, run_peak, &k);
    free(k.dst);
    free(src);
}

int main(int argc, char **argv) {
    bench_ctx c;
    bench_init(&c, argc, argv,
               "Element-wise ops (add, axpy, mul, clamp, copy, copy_cols) over n floats.\n"
               "Bytes: each float read or written once.");
    const size_t full[] = {(size_t)1 << 16, (size_t)1 << 20, (size_t)1 << 24};
    const size_t quick[] = {1000};
    const size_t *sizes = c.quick ? quick : full;
    const int ns = c.quick ? 1 : 3;
    for (int s = 0; s < ns; ++s)
        for (int op = 0; op < EW_COUNT; ++op) ew_bench(&c, op, sizes[s]);
    const int full_rows[] = {256, 16384}, quick_rows[] = {7};
    const int *rows = c.quick ? quick_rows : full_rows;
    for (int r = 0; r < (c.quick ? 1 : 2); ++r) {
        cols_bench(&c, rows[r], 256, 0);
        cols_bench(&c, rows[r], 256, 1);
    }
    if (!c.be->is_device) peak_bench(&c, c.quick ? 1000 : (size_t)1 << 25);
    return bench_finish(&c);
}
