/* bench_gemm.c - GEMM (and the linear layer's bias epilogue) at the shapes
 * rise's networks run: a batch of B rows through Linear(in -> out) with E
 * ensemble members in one strided-batched call, as algorithms/linear.c issues
 * them:
 *   fwd  y[E,B,out]  = x[B,in] W[E,in,out]      (x shared: stride 0)
 *   dW   dW[E,in,out] += x[E,B,in]^T dy[E,B,out] (beta 1: gradients accumulate)
 *   dx   dx[E,B,in]  = dy[E,B,out] W[E,in,out]^T
 * Shapes: B in {64,256,512}; square hidden layers 256/512/1024 (E = 1); twin
 * critics (E = 2) at 256/512, forward and both backward GEMMs; the LN-ResNet's
 * H -> 4H and 4H -> H (H = 256). A last square 2048^3 GEMM is no network
 * shape: it is the yardstick for the machine's practical FLOP peak.
 * Bytes per call: every operand element read once (a shared operand once, not
 * E times), C written once and also read when beta != 0; FLOPs 2 M N K E.
 * bias_add: y [E,B,N] read+written, bias read; bias_grad: dy read, dbias
 * read+written.
 *   build/benchmarks/bench_gemm [--backend cpu|ref|cuda] [--json gemm.json] [--quick] */
#include "bench_util.h"
#include "kernels/gemm.h"

typedef struct {
    int ta, tb, m, n, k, lda, ldb, batch;
    int64_t sa, sb;
    float beta;
    bench_buf a, b, c;
} gemm_case;

static void run_gemm(rise_backend *be, void *arg) {
    gemm_case *g = arg;
    be->gemm(be, g->ta, g->tb, g->m, g->n, g->k, 1.0f, g->a.dev, g->lda, g->sa, g->b.dev, g->ldb,
             g->sb, g->beta, g->c.dev, g->n, (int64_t)g->m * g->n, g->batch);
}

/* Above this many multiply-adds the double-precision reference checks only the
 * first rows of each member (row slices of op(A) keep lda, so this is exact). */
#define GEMM_FULL_CHECK_MACS 2e7
#define GEMM_CHECK_ROWS      32

static void gemm_bench(bench_ctx *c, const char *op, int ta, int tb, int m, int n, int k,
                       int a_shared, float beta, int batch, const char *shape) {
    gemm_case g = {.ta = ta, .tb = tb, .m = m, .n = n, .k = k, .batch = batch, .beta = beta};
    const size_t na = (size_t)m * k, nb = (size_t)k * n, nc = (size_t)m * n;
    g.lda = ta ? m : k;
    g.ldb = tb ? k : n;
    g.sa = a_shared ? 0 : (int64_t)na;
    g.sb = (int64_t)nb;
    g.a = bench_buf_random(c, a_shared ? na : na * batch, 11, -1.0f, 1.0f);
    g.b = bench_buf_random(c, nb * batch, 12, -1.0f, 1.0f);
    g.c = bench_buf_random(c, nc * batch, 13, -1.0f, 1.0f);

    run_gemm(c->be, &g);
    int ok = bench_sync(c, op, shape);
    float *got = bench_buf_fetch(c, &g.c);
    float *ref = bench_buf_host_copy(c, &g.c);
    const int rows = (double)m * n * k * batch > GEMM_FULL_CHECK_MACS && m > GEMM_CHECK_ROWS
                         ? GEMM_CHECK_ROWS
                         : m;
    for (int e = 0; e < batch && ok; ++e) {
        float *ce = ref + (size_t)e * nc;
        gemm_ref(ta, tb, rows, n, k, 1.0f, g.a.host + e * g.sa, g.lda, 0, g.b.host + e * g.sb,
                 g.ldb, 0, beta, ce, n, 0, 1);
        /* FP32 sums of k products of [-1,1) values: error grows like k eps. */
        ok = bench_check(c, op, shape, "C", got + (size_t)e * nc, ce, (size_t)rows * n, 2e-6 * k,
                         1e-4);
    }
    free(got);
    free(ref);

    const double bytes = 4.0 * ((double)(a_shared ? na : na * batch) + (double)nb * batch +
                                (double)nc * batch * (beta != 0.0f ? 2 : 1));
    bench_time(c, op, shape, bytes, 2.0 * m * n * (double)k * batch, ok, run_gemm, &g);
    bench_buf_free(c, &g.a);
    bench_buf_free(c, &g.b);
    bench_buf_free(c, &g.c);
}

/* A Linear(in -> out) over B rows and E members: forward, and optionally its
 * two backward GEMMs. */
static void linear_bench(bench_ctx *c, int rows, int in, int out, int e, int backward,
                         const char *tag) {
    char shape[64];
    snprintf(shape, sizeof shape, "B=%d %d->%d E=%d%s", rows, in, out, e, tag);
    gemm_bench(c, "gemm_fwd", 0, 0, rows, out, in, 1, 0.0f, e, shape);
    if (!backward) return;
    gemm_bench(c, "gemm_bwd_dW", 1, 0, in, out, rows, 0, 1.0f, e, shape);
    gemm_bench(c, "gemm_bwd_dx", 0, 1, rows, in, out, 0, 0.0f, e, shape);
}

typedef struct {
    int grad, e, b, n;
    bench_buf y, bias;
} bias_case;

static void run_bias(rise_backend *be, void *arg) {
    bias_case *k = arg;
    if (k->grad)
        be->bias_grad(be, k->bias.dev, k->y.dev, k->e, k->b, k->n);
    else
        be->bias_add(be, k->y.dev, k->bias.dev, k->e, k->b, k->n);
}

static void bias_bench(bench_ctx *c, int grad, int e, int rows, int n) {
    const char *op = grad ? "bias_grad" : "bias_add";
    char shape[64];
    snprintf(shape, sizeof shape, "E=%d B=%d N=%d", e, rows, n);
    bias_case k = {.grad = grad, .e = e, .b = rows, .n = n};
    const size_t ny = (size_t)e * rows * n, nbias = (size_t)e * n;
    k.y = bench_buf_random(c, ny, 21, -1.0f, 1.0f);
    k.bias = bench_buf_random(c, nbias, 22, -1.0f, 1.0f);
    run_bias(c->be, &k);
    int ok = bench_sync(c, op, shape);
    bench_buf *out = grad ? &k.bias : &k.y;
    float *got = bench_buf_fetch(c, out), *ref = bench_buf_host_copy(c, out);
    if (grad)
        bias_grad_ref(ref, k.y.host, e, rows, n);
    else
        bias_add_ref(ref, k.bias.host, e, rows, n);
    ok = ok && bench_check(c, op, shape, grad ? "dbias" : "y", got, ref, out->n, 1e-6 * rows, 1e-5);
    free(got);
    free(ref);
    const double bytes = grad ? 4.0 * ((double)ny + 2.0 * nbias) : 4.0 * (2.0 * ny + nbias);
    bench_time(c, op, shape, bytes, (double)ny, ok, run_bias, &k);
    bench_buf_free(c, &k.y);
    bench_buf_free(c, &k.bias);
}

int main(int argc, char **argv) {
    bench_ctx c;
    bench_init(&c, argc, argv,
               "GEMM at the networks' shapes (fwd x W, bwd x^T dy and dy W^T; E = 2 twin\n"
               "critics; H -> 4H) plus bias_add / bias_grad. Bytes: operands once, C read\n"
               "too when beta != 0; FLOPs 2 M N K E.");
    if (c.quick) {
        linear_bench(&c, 8, 16, 16, 1, 1, "");
        linear_bench(&c, 8, 16, 24, 2, 1, " twin");
        bias_bench(&c, 0, 2, 8, 16);
        bias_bench(&c, 1, 2, 8, 16);
        return bench_finish(&c);
    }
    static const int batches[] = {64, 256, 512};
    for (int i = 0; i < 3; ++i) {
        const int rows = batches[i];
        linear_bench(&c, rows, 256, 256, 1, 0, "");
        linear_bench(&c, rows, 512, 512, 1, 0, "");
        linear_bench(&c, rows, 1024, 1024, 1, 0, "");
        linear_bench(&c, rows, 256, 256, 2, 1, " twin");
        linear_bench(&c, rows, 512, 512, 2, 1, " twin");
        linear_bench(&c, rows, 256, 1024, 1, 1, " H->4H");
        linear_bench(&c, rows, 1024, 256, 1, 1, " 4H->H");
    }
    static const int bias_rows[] = {64, 512};
    for (int i = 0; i < 2; ++i) {
        bias_bench(&c, 0, 2, bias_rows[i], 256);
        bias_bench(&c, 1, 2, bias_rows[i], 256);
    }
    gemm_bench(&c, "gemm_peak", 0, 0, 2048, 2048, 2048, 0, 0.0f, 1, "2048x2048x2048");
    return bench_finish(&c);
}
