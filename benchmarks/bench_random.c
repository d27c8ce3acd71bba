/* bench_random.c - Philox4x32-10 fills and dropout over n floats: uniform
 * (one Philox block per 4 values), normal (Box-Muller, one block per 2
 * values) and dropout (p = 0.1: uniform draw, mask and y = x * mask).
 * Bytes per call: uniform/normal 4 n (y written), dropout 12 n (x read, mask
 * and y written). These ops are compute-bound on the CPU (10 Philox rounds per
 * block), so GB/s here mostly measures the generator.
 *   build/benchmarks/bench_random [--backend cpu|ref|cuda] [--json random.json] [--quick] */
#include "bench_util.h"
#include "kernels/random.h"

enum { RND_UNIFORM, RND_NORMAL, RND_DROPOUT, RND_COUNT };
static const char *const rnd_names[RND_COUNT] = {"rand_uniform", "rand_normal", "dropout"};

typedef struct {
    int op;
    size_t n;
    rise_rng rng;
    bench_buf x, y, mask;
} rnd_case;

static void run_rnd(rise_backend *be, void *arg) {
    rnd_case *k = arg;
    switch (k->op) {
    case RND_UNIFORM: be->rand_uniform(be, k->y.dev, k->n, -1.0f, 1.0f, k->rng); break;
    case RND_NORMAL: be->rand_normal(be, k->y.dev, k->n, 0.0f, 1.0f, k->rng); break;
    case RND_DROPOUT: be->dropout_forward(be, k->y.dev, k->mask.dev, k->x.dev, k->n, 0.1f, k->rng);
    }
}

static void rnd_bench(bench_ctx *c, int op, size_t n) {
    const char *name = rnd_names[op];
    char shape[64];
    snprintf(shape, sizeof shape, "n=%zu", n);
    /* A large offset exercises the high counter word, as late training steps do. */
    rnd_case k = {.op = op, .n = n, .rng = {0x5eed1234abcdull, 7u, ((uint64_t)1 << 32) - 3}};
    k.x = bench_buf_random(c, n, 1, -1.0f, 1.0f);
    k.y = bench_buf_const(c, n, 0.0f);
    k.mask = bench_buf_const(c, n, 0.0f);
    run_rnd(c->be, &k);
    int ok = bench_sync(c, name, shape);
    float *y = bench_host_alloc(c, n), *mask = bench_host_alloc(c, n);
    switch (op) {
    case RND_UNIFORM: rand_uniform_ref(y, n, -1.0f, 1.0f, k.rng); break;
    case RND_NORMAL: rand_normal_ref(y, n, 0.0f, 1.0f, k.rng); break;
    case RND_DROPOUT: dropout_forward_ref(y, mask, k.x.host, n, 0.1f, k.rng); break;
    }
    float *got = bench_buf_fetch(c, &k.y);
    /* Uniforms agree bitwise up to fused multiply-add rounding; normals to a
     * few ulp of logf/cosf (philox.h). */
    ok = ok && bench_check(c, name, shape, "y", got, y, n, op == RND_NORMAL ? 1e-5 : 1e-7, 1e-5);
    free(got);
    if (op == RND_DROPOUT) {
        got = bench_buf_fetch(c, &k.mask);
        ok = ok && bench_check(c, name, shape, "mask", got, mask, n, 0.0, 1e-6);
        free(got);
    }
    free(y);
    free(mask);
    bench_time(c, name, shape, (op == RND_DROPOUT ? 12.0 : 4.0) * (double)n, 0.0, ok, run_rnd, &k);
    bench_buf_free(c, &k.x);
    bench_buf_free(c, &k.y);
    bench_buf_free(c, &k.mask);
}

int main(int argc, char **argv) {
    bench_ctx c;
    bench_init(&c, argc, argv,
               "Philox fills (uniform, normal) and dropout over n floats.\n"
               "Bytes: uniform/normal 4 n, dropout 12 n.");
    const size_t full[] = {(size_t)1 << 16, (size_t)1 << 20, (size_t)1 << 22};
    const size_t quick[] = {1001};
    const size_t *sizes = c.quick ? quick : full;
    for (int s = 0; s < (c.quick ? 1 : 3); ++s)
        for (int op = 0; op < RND_COUNT; ++op) rnd_bench(&c, op, sizes[s]);
    return bench_finish(&c);
}
