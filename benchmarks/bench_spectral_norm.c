/* bench_spectral_norm.c - sigma_max(W) by power iteration (forward, 1 and 5
 * iterations, and to convergence with tol 1e-6 from a warm start: after the checked cold
 * call every timed call starts converged and stops after one iteration, the steady
 * state of training) and its gradient dW += lambda u v^T (backward), for W [R, C] =
 * 512 x 512, 1024 x 256 (a rectangular one) and 512 x 20 (the code form's last layer at
 * a low-dimensional observation).
 * Bytes per call: forward 4 R C (2 iters + 1) (W read once per matrix-vector
 * product: W^T u and W v per iteration, W v again for sigma) plus the vectors;
 * backward 8 R C (dW read and written). FLOPs: forward 2 R C (2 iters + 1),
 * backward 2 R C.
 *   build/benchmarks/bench_spectral_norm [--backend cpu|ref|cuda] [--json sn.json] [--quick] */
#include "bench_util.h"
#include "kernels/spectral_norm.h"

typedef struct {
    int rows, cols, iters;
    float tol;
    bench_buf w, u, v, sigma, dw;
} sn_case;

static void run_fwd(rise_backend *be, void *arg) {
    sn_case *k = arg;
    be->spectral_norm_forward(be, k->sigma.dev, k->u.dev, k->v.dev, k->w.dev, k->rows, k->cols,
                              k->iters, k->tol);
}

static void run_bwd(rise_backend *be, void *arg) {
    sn_case *k = arg;
    be->spectral_norm_backward(be, k->dw.dev, k->sigma.dev, k->u.dev, k->v.dev, k->rows, k->cols,
                               0.1f, 0);
}

static int check(bench_ctx *c, const char *op, const char *shape, const char *what,
                 const bench_buf *b, const float *ref) {
    float *got = bench_buf_fetch(c, b);
    const int ok = bench_check(c, op, shape, what, got, ref, b->n, 1e-5, 1e-4);
    free(got);
    return ok;
}

static void sn_bench(bench_ctx *c, int rows, int cols, int iters, float tol) {
    char shape[64];
    if (tol > 0)
        snprintf(shape, sizeof shape, "%dx%d tol=%g warm", rows, cols, (double)tol);
    else
        snprintf(shape, sizeof shape, "%dx%d iters=%d", rows, cols, iters);
    const size_t n = (size_t)rows * cols;
    sn_case k = {.rows = rows, .cols = cols, .iters = iters, .tol = tol};
    k.w = bench_buf_random(c, n, 1, -1.0f, 1.0f);
    k.u = bench_buf_random(c, rows, 2, -1.0f, 1.0f);
    double s = 0.0; /* u starts as a random unit vector, as the layer initialises it */
    for (int i = 0; i < rows; ++i) s += (double)k.u.host[i] * k.u.host[i];
    for (int i = 0; i < rows; ++i) k.u.host[i] = (float)(k.u.host[i] / sqrt(s));
    bench_buf_reset(c, &k.u);
    k.v = bench_buf_const(c, cols, 0.0f);
    k.sigma = bench_buf_const(c, 1, 0.0f);
    k.dw = bench_buf_random(c, n, 3, -1.0f, 1.0f);

    float *u = bench_buf_host_copy(c, &k.u), *v = bench_host_alloc(c, cols), sigma = 0.0f;
    spectral_norm_forward_ref(&sigma, u, v, k.w.host, rows, cols, iters, tol);
    float *dw = bench_buf_host_copy(c, &k.dw);
    spectral_norm_backward_ref(dw, &sigma, u, v, rows, cols, 0.1f, 0);

    run_fwd(c->be, &k);
    int ok = bench_sync(c, "spectral_norm_fwd", shape);
    ok = ok && check(c, "spectral_norm_fwd", shape, "sigma", &k.sigma, &sigma);
    ok = ok && check(c, "spectral_norm_fwd", shape, "u", &k.u, u);
    ok = ok && check(c, "spectral_norm_fwd", shape, "v", &k.v, v);
    /* Backward before the timed forward calls move u on. */
    run_bwd(c->be, &k);
    int ok_bwd = ok && bench_sync(c, "spectral_norm_bwd", shape);
    ok_bwd = ok_bwd && check(c, "spectral_norm_bwd", shape, "dW", &k.dw, dw);

    const double passes = tol > 0 ? 3.0 : 2.0 * iters + 1.0; /* warm: one iteration */
    bench_time(c, "spectral_norm_fwd", shape, 4.0 * (passes * n + 3.0 * rows + 2.0 * cols),
               2.0 * passes * n, ok, run_fwd, &k);
    /* The backward does not depend on iters: time it once per shape (a wrong
     * result at iters = 5 is already counted by bench_check). */
    if (iters == 1 && tol == 0)
        bench_time(c, "spectral_norm_bwd", shape, 8.0 * n, 2.0 * n, ok_bwd, run_bwd, &k);
    free(u);
    free(v);
    free(dw);
    bench_buf *all[] = {&k.w, &k.u, &k.v, &k.sigma, &k.dw};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i) bench_buf_free(c, all[i]);
}

int main(int argc, char **argv) {
    bench_ctx c;
    bench_init(&c, argc, argv,
               "Spectral norm by power iteration (1 and 5 iterations; to convergence with tol\n"
               "1e-6, timed warm: one iteration per call) and its gradient.\n"
               "Bytes: forward 4 RC (2 iters + 1), backward 8 RC.");
    static const int full[][2] = {{512, 512}, {1024, 256}, {512, 20}}, quick[][2] = {{9, 5}};
    const int(*shapes)[2] = c.quick ? quick : full;
    for (int s = 0; s < (c.quick ? 1 : 3); ++s) {
        sn_bench(&c, shapes[s][0], shapes[s][1], 1, 0.0f);
        sn_bench(&c, shapes[s][0], shapes[s][1], 5, 0.0f);
        sn_bench(&c, shapes[s][0], shapes[s][1], 1000, 1e-6f);
    }
    return bench_finish(&c);
}
