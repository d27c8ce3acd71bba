/* bench_layernorm.c - LayerNorm over the last dim with affine gamma/beta,
 * forward (y, mean, rstd) and backward (dx overwritten, dgamma/dbeta
 * accumulated), for rows 256 / 1024 / 4096 x cols 256 / 1024 (the LN-ResNet's
 * H and 4H at batch sizes up to K candidates x envs).
 * Bytes per call (R rows, C cols): forward 4 (2 R C + 2 C + 2 R): x read, y
 * written, gamma/beta read, mean/rstd written; backward 4 (3 R C + 2 R + 5 C):
 * dy, x read, dx written, mean/rstd and gamma read, dgamma/dbeta read+written.
 *   build/benchmarks/bench_layernorm [--backend cpu|ref|cuda] [--json ln.json] [--quick] */
#include "bench_util.h"
#include "kernels/layernorm.h"

typedef struct {
    int rows, cols;
    bench_buf x, y, mean, rstd, gamma, beta, dy, dx, dgamma, dbeta;
} ln_case;

static void run_fwd(rise_backend *be, void *arg) {
    ln_case *k = arg;
    be->layernorm_forward(be, k->y.dev, k->mean.dev, k->rstd.dev, k->x.dev, k->gamma.dev,
                          k->beta.dev, k->rows, k->cols, 1e-5f);
}

static void run_bwd(rise_backend *be, void *arg) {
    ln_case *k = arg;
    be->layernorm_backward(be, k->dx.dev, k->dgamma.dev, k->dbeta.dev, k->dy.dev, k->x.dev,
                           k->mean.dev, k->rstd.dev, k->gamma.dev, k->rows, k->cols, 0);
}

static int check_buf(bench_ctx *c, const char *op, const char *shape, const char *what,
                     const bench_buf *b, const float *ref, double atol, double rtol) {
    float *got = bench_buf_fetch(c, b);
    const int ok = bench_check(c, op, shape, what, got, ref, b->n, atol, rtol);
    free(got);
    return ok;
}

static void ln_bench(bench_ctx *c, int rows, int cols) {
    char shape[64];
    snprintf(shape, sizeof shape, "R=%d C=%d", rows, cols);
    const size_t n = (size_t)rows * cols;
    ln_case k = {.rows = rows, .cols = cols};
    /* An offset mean makes the variance computation non-trivial. */
    k.x = bench_buf_random(c, n, 1, 0.5f, 2.5f);
    k.gamma = bench_buf_random(c, cols, 2, 0.5f, 1.5f);
    k.beta = bench_buf_random(c, cols, 3, -0.5f, 0.5f);
    k.dy = bench_buf_random(c, n, 4, -1.0f, 1.0f);
    k.y = bench_buf_const(c, n, 0.0f);
    k.dx = bench_buf_const(c, n, 0.0f);
    k.mean = bench_buf_const(c, rows, 0.0f);
    k.rstd = bench_buf_const(c, rows, 0.0f);
    k.dgamma = bench_buf_const(c, cols, 0.0f);
    k.dbeta = bench_buf_const(c, cols, 0.0f);

    float *y = bench_host_alloc(c, n), *mean = bench_host_alloc(c, rows);
    float *rstd = bench_host_alloc(c, rows), *dx = bench_host_alloc(c, n);
    float *dgamma = bench_buf_host_copy(c, &k.dgamma), *dbeta = bench_buf_host_copy(c, &k.dbeta);
    layernorm_forward_ref(y, mean, rstd, k.x.host, k.gamma.host, k.beta.host, rows, cols, 1e-5f);
    layernorm_backward_ref(dx, dgamma, dbeta, k.dy.host, k.x.host, mean, rstd, k.gamma.host, rows,
                           cols, 0);

    run_fwd(c->be, &k);
    int ok = bench_sync(c, "layernorm_fwd", shape);
    ok = ok && check_buf(c, "layernorm_fwd", shape, "y", &k.y, y, 1e-5, 1e-4);
    ok = ok && check_buf(c, "layernorm_fwd", shape, "mean", &k.mean, mean, 1e-6, 1e-5);
    ok = ok && check_buf(c, "layernorm_fwd", shape, "rstd", &k.rstd, rstd, 1e-6, 1e-4);
    bench_time(c, "layernorm_fwd", shape, 4.0 * (2.0 * n + 2.0 * cols + 2.0 * rows), 0.0, ok,
               run_fwd, &k);

    /* Backward reads the backend's own saved statistics, so validate it from
     * the reference's to keep the two checks independent. */
    memcpy(k.mean.host, mean, (size_t)rows * sizeof(float));
    memcpy(k.rstd.host, rstd, (size_t)rows * sizeof(float));
    bench_buf_reset(c, &k.mean);
    bench_buf_reset(c, &k.rstd);
    run_bwd(c->be, &k);
    ok = bench_sync(c, "layernorm_bwd", shape);
    ok = ok && check_buf(c, "layernorm_bwd", shape, "dx", &k.dx, dx, 1e-5, 1e-4);
    ok = ok && check_buf(c, "layernorm_bwd", shape, "dgamma", &k.dgamma, dgamma, 1e-6 * rows, 1e-4);
    ok = ok && check_buf(c, "layernorm_bwd", shape, "dbeta", &k.dbeta, dbeta, 1e-6 * rows, 1e-4);
    bench_time(c, "layernorm_bwd", shape, 4.0 * (3.0 * n + 2.0 * rows + 5.0 * cols), 0.0, ok,
               run_bwd, &k);

    free(y);
    free(dx);
    free(dgamma);
    free(dbeta);
    free(mean);
    free(rstd);
    bench_buf *all[] = {&k.x,    &k.y,  &k.mean, &k.rstd,   &k.gamma,
                        &k.beta, &k.dy, &k.dx,   &k.dgamma, &k.dbeta};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i) bench_buf_free(c, all[i]);
}

int main(int argc, char **argv) {
    bench_ctx c;
    bench_init(&c, argc, argv,
               "LayerNorm forward and backward (affine), rows 256-4096 x cols 256/1024.\n"
               "Bytes: forward 4 (2RC + 2C + 2R), backward 4 (3RC + 2R + 5C).");
    if (c.quick) {
        ln_bench(&c, 5, 24);
        return bench_finish(&c);
    }
    static const int rows[] = {256, 1024, 4096}, cols[] = {256, 1024};
    for (int r = 0; r < 3; ++r)
        for (int k = 0; k < 2; ++k) ln_bench(&c, rows[r], cols[k]);
    return bench_finish(&c);
}
