/* bench_optim.c - the optimiser and target-network updates over one flat
 * parameter buffer of n floats (n = 0.1M, 1M, 10M; RISE's critics + actor
 * hold a few million): Adam without clipping, Adam with global-norm clipping
 * (the backend-resident sum of squares is computed beforehand, as a training
 * step does), AdamW (weight decay) and Polyak averaging (tau = 0.005).
 * Bytes per call: adam 28 n (param, grad, m, v read; param, m, v written),
 * polyak 12 n (target, src read; target written).
 *   build/benchmarks/bench_optim [--backend cpu|ref|cuda] [--json optim.json] [--quick] */
#include "bench_util.h"
#include "kernels/optim.h"
#include "kernels/reduce.h"

enum { OPT_ADAM, OPT_ADAM_CLIP, OPT_ADAMW, OPT_POLYAK, OPT_COUNT };
static const char *const opt_names[OPT_COUNT] = {"adam", "adam_clip", "adamw", "polyak"};

#define OPT_STEP 10

typedef struct {
    int op;
    size_t n;
    rise_adam_hparams hp;
    bench_buf param, grad, m, v, sumsq;
} opt_case;

static void run_opt(rise_backend *be, void *arg) {
    opt_case *k = arg;
    if (k->op == OPT_POLYAK) {
        be->polyak(be, k->param.dev, k->grad.dev, k->n, 0.005f);
        return;
    }
    be->adam(be, k->param.dev, k->grad.dev, k->m.dev, k->v.dev, k->n, &k->hp, OPT_STEP,
             k->op == OPT_ADAM_CLIP ? k->sumsq.dev : NULL);
}

static void opt_bench(bench_ctx *c, int op, size_t n) {
    const char *name = opt_names[op];
    char shape[64];
    snprintf(shape, sizeof shape, "n=%.1fM", (double)n * 1e-6);
    opt_case k = {.op = op, .n = n};
    k.hp = (rise_adam_hparams){.lr = 3e-4f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
    if (op == OPT_ADAMW) k.hp.weight_decay = 1e-2f;
    k.param = bench_buf_random(c, n, 1, -1.0f, 1.0f);
    k.grad = bench_buf_random(c, n, 2, -1.0f, 1.0f);
    k.m = bench_buf_random(c, n, 3, -0.1f, 0.1f);
    k.v = bench_buf_random(c, n, 4, 0.0f, 0.01f);
    k.sumsq = bench_buf_const(c, 1, 0.0f);
    reduce_ref(RISE_REDUCE_SUMSQ, k.sumsq.host, k.grad.host, n);
    bench_buf_reset(c, &k.sumsq);
    /* Clip to half the actual norm so the clipping path really scales. */
    if (op == OPT_ADAM_CLIP) k.hp.max_grad_norm = 0.5f * sqrtf(k.sumsq.host[0]);

    run_opt(c->be, &k);
    int ok = bench_sync(c, name, shape);
    float *p = bench_buf_host_copy(c, &k.param), *m = bench_buf_host_copy(c, &k.m);
    float *v = bench_buf_host_copy(c, &k.v);
    if (op == OPT_POLYAK)
        polyak_ref(p, k.grad.host, n, 0.005f);
    else
        adam_ref(p, k.grad.host, m, v, n, &k.hp, OPT_STEP,
                 op == OPT_ADAM_CLIP ? k.sumsq.host : NULL);
    float *got = bench_buf_fetch(c, &k.param);
    ok = ok && bench_check(c, name, shape, "param", got, p, n, 1e-7, 1e-5);
    free(got);
    if (op != OPT_POLYAK) {
        got = bench_buf_fetch(c, &k.m);
        ok = ok && bench_check(c, name, shape, "m", got, m, n, 1e-8, 1e-5);
        free(got);
        got = bench_buf_fetch(c, &k.v);
        ok = ok && bench_check(c, name, shape, "v", got, v, n, 1e-10, 1e-5);
        free(got);
    }
    free(p);
    free(m);
    free(v);
    bench_time(c, name, shape, (op == OPT_POLYAK ? 12.0 : 28.0) * (double)n, 0.0, ok, run_opt, &k);
    bench_buf *all[] = {&k.param, &k.grad, &k.m, &k.v, &k.sumsq};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i) bench_buf_free(c, all[i]);
}

int main(int argc, char **argv) {
    bench_ctx c;
    bench_init(&c, argc, argv,
               "Adam (plain, clipped, AdamW) and Polyak averaging over a flat buffer.\n"
               "Bytes: adam 28 n, polyak 12 n.");
    const size_t full[] = {100000, 1000000, 10000000};
    const size_t quick[] = {1000};
    const size_t *sizes = c.quick ? quick : full;
    for (int s = 0; s < (c.quick ? 1 : 3); ++s)
        for (int op = 0; op < OPT_COUNT; ++op) opt_bench(&c, op, sizes[s]);
    return bench_finish(&c);
}
