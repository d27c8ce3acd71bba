/* bench_activation.c - the six activations (identity, relu, mish, gelu-tanh,
 * tanh, silu), forward y = f(x) and backward dx = dy f'(x), over n floats:
 * B x H = 256 x 256 (a critic layer), 512 x 1024 (the LN-ResNet's 4H
 * expansion at B = 512) and 4M (a large batched sampler step).
 * Bytes per call: forward 8 n (x read, y written), backward 12 n (dy, x read,
 * dx written). No FLOP figure: the cost of the transcendental functions
 * (mish, gelu, tanh, silu) is not a FLOP count.
 *   build/benchmarks/bench_activation [--backend cpu|ref|cuda] [--json act.json] [--quick] */
#include "bench_util.h"
#include "kernels/activation.h"

typedef struct {
    rise_act act;
    int backward;
    size_t n;
    bench_buf x, dy, y;
} act_case;

static void run_act(rise_backend *be, void *arg) {
    act_case *k = arg;
    if (k->backward)
        be->act_backward(be, k->act, k->y.dev, k->dy.dev, k->x.dev, k->n, 0);
    else
        be->act_forward(be, k->act, k->y.dev, k->x.dev, k->n);
}

static void act_bench(bench_ctx *c, rise_act act, int backward, size_t n, const char *shape) {
    char op[32];
    snprintf(op, sizeof op, "%s_%s", act_name(act), backward ? "bwd" : "fwd");
    act_case k = {.act = act, .backward = backward, .n = n};
    /* [-4, 4) covers the saturating and the curved parts of every activation. */
    k.x = bench_buf_random(c, n, 1, -4.0f, 4.0f);
    k.dy = bench_buf_random(c, n, 2, -1.0f, 1.0f);
    k.y = bench_buf_const(c, n, 0.0f);
    run_act(c->be, &k);
    int ok = bench_sync(c, op, shape);
    float *got = bench_buf_fetch(c, &k.y), *ref = bench_buf_host_copy(c, &k.y);
    if (backward)
        act_backward_ref(act, ref, k.dy.host, k.x.host, n, 0);
    else
        act_forward_ref(act, ref, k.x.host, n);
    /* GPU transcendental functions differ from libm by a few ulp. */
    ok = ok && bench_check(c, op, shape, backward ? "dx" : "y", got, ref, n, 1e-5, 1e-4);
    free(got);
    free(ref);
    bench_time(c, op, shape, (backward ? 12.0 : 8.0) * (double)n, 0.0, ok, run_act, &k);
    bench_buf_free(c, &k.x);
    bench_buf_free(c, &k.dy);
    bench_buf_free(c, &k.y);
}

int main(int argc, char **argv) {
    bench_ctx c;
    bench_init(&c, argc, argv,
               "Activations (identity, relu, mish, gelu, tanh, silu), forward and backward.\n"
               "Bytes: forward 8 n, backward 12 n.");
    static const int full[][2] = {{256, 256}, {512, 1024}, {4096, 1024}};
    static const int quick[][2] = {{8, 33}};
    const int(*shapes)[2] = c.quick ? quick : full;
    const int ns = c.quick ? 1 : 3;
    for (int s = 0; s < ns; ++s) {
        const size_t n = (size_t)shapes[s][0] * shapes[s][1];
        char shape[64];
        snprintf(shape, sizeof shape, "%dx%d (n=%zu)", shapes[s][0], shapes[s][1], n);
        for (int a = 0; a < RISE_ACT_COUNT; ++a) {
            act_bench(&c, (rise_act)a, 0, n, shape);
            act_bench(&c, (rise_act)a, 1, n, shape);
        }
    }
    return bench_finish(&c);
}
