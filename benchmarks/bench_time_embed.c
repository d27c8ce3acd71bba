/* bench_time_embed.c - the diffusion time embedding y[b] = [sin(t_b f),
 * cos(t_b f)] forward and its learned-Fourier gradient df (backward), for
 * B = 256 (a training batch) and 8192 (64 envs x K = 128 candidates at
 * sampling time), H = 32 and 128 frequencies.
 * Bytes per call: forward 4 (B + H + 2 B H) (t, f read, y written); backward
 * 4 (2 B H + B + 3 H) (dy, t, f read, df read and written).
 *   build/benchmarks/bench_time_embed [--backend cpu|ref|cuda] [--json te.json] [--quick] */
#include "bench_util.h"
#include "kernels/time_embed.h"

typedef struct {
    int b, h;
    bench_buf t, f, y, dy, df;
} te_case;

static void run_fwd(rise_backend *be, void *arg) {
    te_case *k = arg;
    be->freq_embed_forward(be, k->y.dev, k->t.dev, k->f.dev, k->b, k->h);
}

static void run_bwd(rise_backend *be, void *arg) {
    te_case *k = arg;
    be->freq_embed_backward(be, k->df.dev, k->dy.dev, k->t.dev, k->f.dev, k->b, k->h);
}

static void te_bench(bench_ctx *c, int b, int h) {
    char shape[64];
    snprintf(shape, sizeof shape, "B=%d H=%d", b, h);
    const size_t ny = (size_t)b * 2 * h;
    te_case k = {.b = b, .h = h};
    k.t = bench_buf_random(c, b, 1, 0.0f, 10.0f);
    k.f = bench_buf_random(c, h, 2, 0.0f, 2.0f);
    k.y = bench_buf_const(c, ny, 0.0f);
    k.dy = bench_buf_random(c, ny, 3, -1.0f, 1.0f);
    k.df = bench_buf_random(c, h, 4, -1.0f, 1.0f);

    float *y = bench_host_alloc(c, ny), *df = bench_buf_host_copy(c, &k.df);
    freq_embed_forward_ref(y, k.t.host, k.f.host, b, h);
    freq_embed_backward_ref(df, k.dy.host, k.t.host, k.f.host, b, h);

    run_fwd(c->be, &k);
    int ok = bench_sync(c, "time_embed_fwd", shape);
    float *got = bench_buf_fetch(c, &k.y);
    /* Arguments up to 20 rad: GPU sinf/cosf differ from libm by ~1e-6 there. */
    ok = ok && bench_check(c, "time_embed_fwd", shape, "y", got, y, ny, 1e-5, 1e-4);
    free(got);
    bench_time(c, "time_embed_fwd", shape, 4.0 * ((double)b + h + (double)ny), 0.0, ok, run_fwd,
               &k);

    run_bwd(c->be, &k);
    ok = bench_sync(c, "time_embed_bwd", shape);
    got = bench_buf_fetch(c, &k.df);
    ok = ok && bench_check(c, "time_embed_bwd", shape, "df", got, df, (size_t)h, 1e-5 * b, 1e-4);
    free(got);
    bench_time(c, "time_embed_bwd", shape, 4.0 * ((double)ny + b + 3.0 * h), 0.0, ok, run_bwd, &k);
    free(y);
    free(df);
    bench_buf *all[] = {&k.t, &k.f, &k.y, &k.dy, &k.df};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i) bench_buf_free(c, all[i]);
}

int main(int argc, char **argv) {
    bench_ctx c;
    bench_init(&c, argc, argv,
               "Sinusoidal / learned-Fourier time embedding, forward and backward (df).\n"
               "Bytes: forward 4 (B + H + 2BH), backward 4 (2BH + B + 3H).");
    if (c.quick) {
        te_bench(&c, 5, 3);
        return bench_finish(&c);
    }
    static const int bs[] = {256, 8192}, hs[] = {32, 128};
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) te_bench(&c, bs[i], hs[j]);
    return bench_finish(&c);
}
