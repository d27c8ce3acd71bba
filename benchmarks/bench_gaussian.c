/* bench_gaussian.c - the Gaussian-actor ops (kernels/gaussian.h) over a batch of
 * B rows x A action dims: gauss_logprob forward/backward (shared log_std, IQL),
 * awr_weights (n = B), the tanh-Gaussian draw and its backward (CQL/SAC),
 * logsumexp over rows (R states x C sampled actions) forward/backward, and exp.
 * Shapes: B 256 x A 6 an actor batch, 2560 x 6 CQL's 10 sampled actions per
 * state, 65536 x 16 a large batched evaluation; logsumexp 256 x 10, 256 x 30
 * (CQL's random + policy + next-policy samples) and 65536 x 32.
 * Bytes per call (n = B A; the [A] log_std and scalars ignored):
 *   logprob fwd 8 n + 4 B, logprob bwd 12 n + 4 B, awr 12 B, tanh sample
 *   16 n + 4 B (eps written), tanh backward 28 n + 4 B, logsumexp fwd 4 n + 4 R,
 *   logsumexp bwd 8 n + 8 R, exp 8 n.
 *   build/benchmarks/bench_gaussian [--backend cpu|ref|cuda] [--json gaussian.json] [--quick] */
#include "bench_util.h"
#include "kernels/gaussian.h"

enum { G_LOGP, G_LOGP_BWD, G_AWR, G_TANH, G_TANH_BWD, G_LSE, G_LSE_BWD, G_EXP, G_COUNT };
static const char *const g_names[G_COUNT] = {
    "gauss_logprob_fwd", "gauss_logprob_bwd",  "awr_weights",        "tanh_gauss_sample",
    "tanh_gauss_bwd",    "logsumexp_rows_fwd", "logsumexp_rows_bwd", "exp_forward"};

typedef struct {
    int op, b, a;
    rise_rng rng;
    bench_buf x, mean, ls, dn, rowv, out, out2, rowout;
} g_case;

static void run_g(rise_backend *be, void *arg) {
    g_case *k = arg;
    const int b = k->b, a = k->a;
    switch (k->op) {
    case G_LOGP:
        be->gauss_logprob_forward(be, k->rowout.dev, k->x.dev, k->mean.dev, k->ls.dev, b, a, 1);
        break;
    case G_LOGP_BWD:
        be->gauss_logprob_backward(be, k->out.dev, k->out2.dev, k->rowv.dev, k->x.dev, k->mean.dev,
                                   k->ls.dev, b, a, 1);
        break;
    case G_AWR: be->awr_weights(be, k->rowout.dev, k->rowv.dev, k->x.dev, b, 3.0f, 100.0f); break;
    case G_TANH:
        be->tanh_gauss_sample(be, k->out.dev, k->rowout.dev, k->out2.dev, k->mean.dev, k->ls.dev, b,
                              a, k->rng);
        break;
    case G_TANH_BWD: /* x holds the saved eps, dn the upstream da */
        be->tanh_gauss_sample_backward(be, k->out.dev, k->out2.dev, k->dn.dev, k->rowv.dev,
                                       k->x.dev, k->mean.dev, k->ls.dev, k->dn.dev, b, a);
        break;
    case G_LSE: be->logsumexp_rows_forward(be, k->rowout.dev, k->x.dev, b, a); break;
    case G_LSE_BWD: /* rowout holds the forward's out (set up before timing) */
        be->logsumexp_rows_backward(be, k->out.dev, k->rowv.dev, k->x.dev, k->rowout.dev, b, a);
        break;
    case G_EXP: be->exp_forward(be, k->out.dev, k->x.dev, (size_t)b * a); break;
    }
}

static void g_bench(bench_ctx *c, int op, int b, int a) {
    const char *name = g_names[op];
    const size_t n = (size_t)b * a, nb = (size_t)b;
    char shape[64];
    if (op == G_AWR)
        snprintf(shape, sizeof shape, "B=%d", b);
    else if (op == G_EXP)
        snprintf(shape, sizeof shape, "n=%zu", n);
    else if (op == G_LSE || op == G_LSE_BWD)
        snprintf(shape, sizeof shape, "R=%d C=%d", b, a);
    else
        snprintf(shape, sizeof shape, "B=%d A=%d", b, a);
    g_case k = {.op = op, .b = b, .a = a, .rng = {2024, 3, 17}};
    k.x = bench_buf_random(c, n, 1, -2.0f, 2.0f);
    k.mean = bench_buf_random(c, n, 2, -1.5f, 1.5f);
    k.ls = bench_buf_random(c, n, 3, -2.0f, 0.5f);
    k.dn = bench_buf_random(c, n, 4, -1.0f, 1.0f);
    k.rowv = bench_buf_random(c, nb, 5, -1.0f, 1.0f);
    k.out = bench_buf_const(c, n, 0.0f);
    k.out2 = bench_buf_const(c, n, 0.0f);
    k.rowout = bench_buf_const(c, nb, 0.0f);
    float *ref = bench_host_alloc(c, n), *ref2 = bench_host_alloc(c, n);
    float *rref = bench_host_alloc(c, nb);
    memset(ref2, 0, n * sizeof(float)); /* gauss backward accumulates into zeros */
    /* logsumexp backward: the forward's out, from the reference, on both sides */
    if (op == G_LSE_BWD) {
        logsumexp_rows_forward_ref(k.rowout.host, k.x.host, b, a);
        bench_buf_reset(c, &k.rowout);
    }
    run_g(c->be, &k);
    int ok = bench_sync(c, name, shape);
    /* which outputs to compare: out (n), out2 (n), rowout (b) */
    int cmp_out = 0, cmp_out2 = 0, cmp_row = 0;
    double atol = 1e-6, rtol = 1e-5, atol_row = 1e-6;
    switch (op) {
    case G_LOGP:
        gauss_logprob_forward_ref(rref, k.x.host, k.mean.host, k.ls.host, b, a, 1);
        cmp_row = 1;
        break;
    case G_LOGP_BWD:
        gauss_logprob_backward_ref(ref, ref2, k.rowv.host, k.x.host, k.mean.host, k.ls.host, b, a,
                                   1);
        cmp_out = cmp_out2 = 1; /* out2: only [A] is written */
        break;
    case G_AWR:
        awr_weights_ref(rref, k.rowv.host, k.x.host, b, 3.0f, 100.0f);
        cmp_row = 1;
        break;
    case G_TANH: /* the device's noise differs by a few ulp (see tests/gpu) */
        tanh_gauss_sample_ref(ref, rref, ref2, k.mean.host, k.ls.host, b, a, k.rng);
        cmp_out = cmp_out2 = cmp_row = 1;
        atol = 1e-5;
        atol_row = 4e-5 * a;
        break;
    case G_TANH_BWD:
        tanh_gauss_sample_backward_ref(ref, ref2, k.dn.host, k.rowv.host, k.x.host, k.mean.host,
                                       k.ls.host, k.dn.host, b, a);
        cmp_out = cmp_out2 = 1;
        break;
    case G_LSE:
        logsumexp_rows_forward_ref(rref, k.x.host, b, a);
        cmp_row = 1;
        break;
    case G_LSE_BWD:
        logsumexp_rows_backward_ref(ref, k.rowv.host, k.x.host, k.rowout.host, b, a);
        cmp_out = 1;
        break;
    case G_EXP:
        exp_forward_ref(ref, k.x.host, n);
        cmp_out = 1;
        break;
    }
    float *got;
    if (cmp_out) {
        got = bench_buf_fetch(c, &k.out);
        ok = bench_check(c, name, shape, "out", got, ref, n, atol, rtol) && ok;
        free(got);
    }
    if (cmp_out2) {
        got = bench_buf_fetch(c, &k.out2);
        ok = bench_check(c, name, shape, "out2", got, ref2, op == G_LOGP_BWD ? (size_t)a : n, atol,
                         rtol) &&
             ok;
        free(got);
    }
    if (cmp_row) {
        got = bench_buf_fetch(c, &k.rowout);
        ok = bench_check(c, name, shape, "rows", got, rref, nb, atol_row, rtol) && ok;
        free(got);
    }
    free(ref), free(ref2), free(rref);
    static const double per_n[G_COUNT] = {8, 12, 0, 16, 28, 4, 8, 8};
    static const double per_b[G_COUNT] = {4, 4, 12, 4, 4, 4, 8, 0};
    bench_time(c, name, shape, per_n[op] * (double)n + per_b[op] * (double)nb, 0.0, ok, run_g, &k);
    bench_buf *all[] = {&k.x, &k.mean, &k.ls, &k.dn, &k.rowv, &k.out, &k.out2, &k.rowout};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i) bench_buf_free(c, all[i]);
}

int main(int argc, char **argv) {
    bench_ctx c;
    bench_init(&c, argc, argv,
               "Gaussian actors: log-density, AWR weights, tanh-Gaussian draw, logsumexp, exp.\n"
               "Bytes: see the header of benchmarks/bench_gaussian.c.");
    const int full_ba[][2] = {{256, 6}, {2560, 6}, {65536, 16}};
    const int full_rc[][2] = {{256, 10}, {256, 30}, {65536, 32}};
    const int quick_ba[][2] = {{37, 3}}, quick_rc[][2] = {{37, 5}};
    const int ns = c.quick ? 1 : 3;
    for (int s = 0; s < ns; ++s)
        for (int op = 0; op < G_COUNT; ++op) {
            const int(*shp)[2] = (op == G_LSE || op == G_LSE_BWD) ? (c.quick ? quick_rc : full_rc)
                                                                  : (c.quick ? quick_ba : full_ba);
            g_bench(&c, op, shp[s][0], shp[s][1]);
        }
    return bench_finish(&c);
}
