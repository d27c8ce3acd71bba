/* bench_loss.c - the fused loss-and-gradient ops and the TD target over n
 * elements: mse (unweighted and weighted), expectile (tau = 0.9) and
 * td_target (gamma = 0.99). n = 256 is a critic batch (launch/call-bound),
 * 65536 a diffusion epsilon-MSE (B 256 x horizon 16 x action 16), 1M a large
 * batched evaluation.
 * Bytes per call: mse 12 n (pred, target read, dpred written; +4 n with
 * weights), expectile 12 n (q, v read, dv written), td_target 16 n (r, done,
 * v_next read, y written); the scalar loss is ignored.
 *   build/benchmarks/bench_loss [--backend cpu|ref|cuda] [--json loss.json] [--quick] */
#include "bench_util.h"
#include "kernels/loss.h"

enum { LOSS_MSE, LOSS_MSE_W, LOSS_EXPECTILE, LOSS_TD, LOSS_COUNT };
static const char *const loss_names[LOSS_COUNT] = {"mse", "mse_weighted", "expectile", "td_target"};
static const double loss_floats[LOSS_COUNT] = {3, 4, 3, 4};

typedef struct {
    int op;
    size_t n;
    bench_buf a, b, w, out, loss;
} loss_case;

static void run_loss(rise_backend *be, void *arg) {
    loss_case *k = arg;
    switch (k->op) {
    case LOSS_MSE:
        be->mse(be, k->loss.dev, k->out.dev, k->a.dev, k->b.dev, NULL, k->n, 0.5f);
        break;
    case LOSS_MSE_W:
        be->mse(be, k->loss.dev, k->out.dev, k->a.dev, k->b.dev, k->w.dev, k->n, 0.5f);
        break;
    case LOSS_EXPECTILE:
        be->expectile(be, k->loss.dev, k->out.dev, k->a.dev, k->b.dev, k->n, 0.9f, 1.0f);
        break;
    case LOSS_TD: /* w holds the done flags, b the next-state values */
        be->td_target(be, k->out.dev, k->a.dev, k->w.dev, k->b.dev, k->n, 0.99f);
        break;
    }
}

static void loss_bench(bench_ctx *c, int op, size_t n) {
    const char *name = loss_names[op];
    char shape[64];
    snprintf(shape, sizeof shape, "n=%zu", n);
    loss_case k = {.op = op, .n = n};
    k.a = bench_buf_random(c, n, 1, -1.0f, 1.0f);
    k.b = bench_buf_random(c, n, 2, -1.0f, 1.0f);
    k.w = bench_buf_random(c, n, 3, 0.0f, 2.0f);
    if (op == LOSS_TD) /* done flags: exactly 0 or 1 */
        for (size_t i = 0; i < n; ++i) k.w.host[i] = k.w.host[i] < 0.2f ? 1.0f : 0.0f;
    bench_buf_reset(c, &k.w);
    k.out = bench_buf_const(c, n, 0.0f);
    k.loss = bench_buf_const(c, 1, 0.0f);
    run_loss(c->be, &k);
    int ok = bench_sync(c, name, shape);
    float *out = bench_host_alloc(c, n), loss = 0.0f;
    switch (op) {
    case LOSS_MSE: mse_ref(&loss, out, k.a.host, k.b.host, NULL, n, 0.5f); break;
    case LOSS_MSE_W: mse_ref(&loss, out, k.a.host, k.b.host, k.w.host, n, 0.5f); break;
    case LOSS_EXPECTILE: expectile_ref(&loss, out, k.a.host, k.b.host, n, 0.9f, 1.0f); break;
    case LOSS_TD: td_target_ref(out, k.a.host, k.w.host, k.b.host, n, 0.99f); break;
    }
    float *got = bench_buf_fetch(c, &k.out);
    ok = ok && bench_check(c, name, shape, op == LOSS_TD ? "y" : "grad", got, out, n, 1e-7, 1e-5);
    free(got);
    if (op != LOSS_TD) {
        got = bench_buf_fetch(c, &k.loss);
        /* A float (tree) sum on the device drifts by ~log2(n) eps; a
         * sequential one by up to ~n eps: allow a little of the latter. */
        ok = ok && bench_check(c, name, shape, "loss", got, &loss, 1, 0.0, 1e-5 + 1e-10 * n);
        free(got);
    }
    free(out);
    bench_time(c, name, shape, 4.0 * loss_floats[op] * (double)n, 0.0, ok, run_loss, &k);
    bench_buf *all[] = {&k.a, &k.b, &k.w, &k.out, &k.loss};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i) bench_buf_free(c, all[i]);
}

int main(int argc, char **argv) {
    bench_ctx c;
    bench_init(&c, argc, argv,
               "Losses with their gradient (mse, weighted mse, expectile) and the TD target.\n"
               "Bytes: 12 n (16 n weighted mse and td_target).");
    const size_t full[] = {256, 65536, (size_t)1 << 20};
    const size_t quick[] = {77};
    const size_t *sizes = c.quick ? quick : full;
    for (int s = 0; s < (c.quick ? 1 : 3); ++s)
        for (int op = 0; op < LOSS_COUNT; ++op) loss_bench(&c, op, sizes[s]);
    return bench_finish(&c);
}
