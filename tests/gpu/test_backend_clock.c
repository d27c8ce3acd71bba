/* test_backend_clock.c - the device-clock hooks and CUDA graphs of the CUDA backend (exit
 * 77 without a GPU).
 *
 * 1. Every Philox op with rng.offset_add pointing at a device counter holding K against
 *    the CPU backend's op at offset + K by value: uniforms, indices and dropout masks
 *    bitwise, normals and what is built on them within 1e-5 (philox.h's few ulp).
 * 2. Adam with step_add (device counter) against the CPU at the summed step.
 * 3. counters_add on the device.
 * 4. A captured graph of {rand_normal on the clock, counters_add}: three replays give
 *    the CPU's draws at K, K + d and K + 2d, so replays read the counter the graph itself
 *    advanced, and nothing ran while capturing.
 * Run: ctest -L gpu -R test_backend_clock */
#include "kernels/gather.h"
#include "test_util.h"

static rise_backend *gpu, *cpu;

enum { R = 333, C = 7, M = 3 };

static uint64_t *dev_counter(uint64_t value) {
    uint64_t *d = gpu->alloc(gpu, sizeof value);
    gpu->upload(gpu, d, &value, sizeof value);
    return d;
}

static void test_draws(void) {
    const uint64_t K = (5ULL << 32) + 321;
    uint64_t *dk = dev_counter(K);
    const rise_rng by_value = {0x5eed5eedULL, 91, 17 + K, NULL};
    const rise_rng clocked = {0x5eed5eedULL, 91, 17, dk};
    const size_t n = (size_t)R * C;
    float *h = malloc(sizeof(float) * n * 4), *x = malloc(sizeof(float) * n);
    test_fill_random(x, n, 3, -0.9f, 0.9f);
    float *d = gpu->alloc(gpu, sizeof(float) * n * 4), *dx = test_to_backend(gpu, x, n);

    gpu->rand_uniform(gpu, d, n, -1.0f, 3.0f, clocked);
    cpu->rand_uniform(cpu, h, n, -1.0f, 3.0f, by_value);
    float *g = test_from_backend(gpu, d, n);
    TEST_CHECK(memcmp(g, h, sizeof(float) * n) == 0, "rand_uniform on the clock: bitwise");
    free(g);

    gpu->rand_normal(gpu, d, n, 0.5f, 2.0f, clocked);
    cpu->rand_normal(cpu, h, n, 0.5f, 2.0f, by_value);
    g = test_from_backend(gpu, d, n);
    test_close("rand_normal on the clock", g, h, n, 1e-5, 1e-5);
    free(g);

    gpu->dropout_forward(gpu, d, d + n, dx, n, 0.25f, clocked);
    cpu->dropout_forward(cpu, h, h + n, x, n, 0.25f, by_value);
    g = test_from_backend(gpu, d + n, n);
    TEST_CHECK(memcmp(g, h + n, sizeof(float) * n) == 0, "dropout mask on the clock: bitwise");
    free(g);

    int32_t hi[R], gi[R];
    int32_t *di = gpu->alloc(gpu, sizeof hi);
    gpu->sample_indices(gpu, di, R, 100000, NULL, 0, NULL, 0, -1, clocked);
    cpu->sample_indices(cpu, hi, R, 100000, NULL, 0, NULL, 0, -1, by_value);
    gpu->download(gpu, gi, di, sizeof gi);
    TEST_CHECK(memcmp(gi, hi, sizeof hi) == 0, "sample_indices on the clock: bitwise");

    const float sig[M] = {0.05f, 0.1f, 0.2f};
    float *dsig = test_to_backend(gpu, sig, M);
    float *dn = gpu->alloc(gpu, sizeof(float) * n * M), *hn = malloc(sizeof(float) * n * M);
    gpu->action_noise(gpu, dn, NULL, NULL, dx, dsig, R, M, C, clocked);
    cpu->action_noise(cpu, hn, NULL, NULL, x, sig, R, M, C, by_value);
    g = test_from_backend(gpu, dn, n * M);
    test_close("action_noise on the clock", g, hn, n * M, 1e-5, 1e-5);
    free(g), free(hn);
    gpu->free(gpu, dn), gpu->free(gpu, dsig), gpu->free(gpu, di);

    float ls[R * C];
    for (size_t i = 0; i < n; ++i) ls[i] = -1.0f + 0.001f * (float)i;
    float *dls = test_to_backend(gpu, ls, n);
    gpu->tanh_gauss_sample(gpu, d, d + n, d + n + R, dx, dls, R, C, clocked);
    cpu->tanh_gauss_sample(cpu, h, h + n, h + n + R, x, ls, R, C, by_value);
    g = test_from_backend(gpu, d, n);
    test_close("tanh_gauss_sample on the clock", g, h, n, 1e-5, 1e-5);
    free(g);
    gpu->free(gpu, dls);

    float tab[20];
    for (int k = 0; k < 10; ++k) tab[k] = sqrtf(1.0f - 0.09f * k), tab[10 + k] = sqrtf(0.09f * k);
    float *dtab = test_to_backend(gpu, tab, 20);
    gpu->diffusion_q_sample(gpu, d, d + n, d + 2 * n, dx, dtab, dtab + 10, R, C, 10, clocked);
    cpu->diffusion_q_sample(cpu, h, h + n, h + 2 * n, x, tab, tab + 10, R, C, 10, by_value);
    g = test_from_backend(gpu, d, 3 * n);
    TEST_CHECK(memcmp(g + 2 * n, h + 2 * n, sizeof(float) * R) == 0,
               "diffusion_q_sample on the clock: time indices bitwise");
    test_close("diffusion_q_sample on the clock", g, h, n, 1e-5, 1e-5);
    free(g);
    gpu->free(gpu, dtab);
    gpu->free(gpu, d), gpu->free(gpu, dx), gpu->free(gpu, dk);
    free(h), free(x);
    TEST_CHECK(gpu->sync(gpu) == RISE_OK, "draws: %s", rise_last_error());
}

static void test_adam(void) {
    enum { N = 4099 };
    float p[N], gr[N], m[N], v[N];
    test_fill_random(p, N, 1, -1, 1);
    test_fill_random(gr, N, 2, -0.1f, 0.1f);
    test_fill_random(m, N, 3, -0.01f, 0.01f);
    test_fill_random(v, N, 4, 0, 1e-4f);
    float *dp = test_to_backend(gpu, p, N), *dg = test_to_backend(gpu, gr, N);
    float *dm = test_to_backend(gpu, m, N), *dv = test_to_backend(gpu, v, N);
    uint64_t *ds = dev_counter(6);
    rise_adam_hparams hp = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 0.0f, NULL};
    cpu->adam(cpu, p, gr, m, v, N, &hp, 7, NULL);
    hp.step_add = ds;
    gpu->adam(gpu, dp, dg, dm, dv, N, &hp, 1, NULL);
    float *g = test_from_backend(gpu, dp, N);
    test_close("adam, step 1 + device step_add 6, against step 7", g, p, N, 1e-7, 1e-5);
    free(g);
    gpu->free(gpu, dp), gpu->free(gpu, dg), gpu->free(gpu, dm), gpu->free(gpu, dv);
    gpu->free(gpu, ds);
}

static void test_counters(void) {
    uint64_t h[RISE_COUNTERS_MAX] = {1, 2, 3, 4, 5, 6, 7, UINT64_MAX};
    const uint64_t delta[RISE_COUNTERS_MAX] = {10, 1ULL << 32, 0, 1, 1, 1, 1, 2};
    uint64_t *d = gpu->alloc(gpu, sizeof h);
    gpu->upload(gpu, d, h, sizeof h);
    gpu->counters_add(gpu, d, delta, 5);
    uint64_t got[RISE_COUNTERS_MAX];
    gpu->download(gpu, got, d, sizeof got);
    cpu->counters_add(cpu, h, delta, 5);
    TEST_CHECK(memcmp(got, h, sizeof h) == 0, "counters_add on the device");
    gpu->free(gpu, d);
}

static void test_graph_replay(void) {
    if (!gpu->graph_begin) {
        TEST_CHECK(0, "the cuda backend has graph ops");
        return;
    }
    const size_t n = 1001;
    const uint64_t K = 40, step = rise_rng_blocks_normal(n);
    uint64_t *dk = dev_counter(K);
    float *d = gpu->alloc(gpu, sizeof(float) * n), *h = malloc(sizeof(float) * n);
    gpu->fill(gpu, d, -7.0f, n);
    const rise_rng clocked = {99, 3, 0, dk};
    TEST_CHECK(gpu->sync(gpu) == RISE_OK && gpu->graph_begin(gpu) == RISE_OK, "begin capture: %s",
               rise_last_error());
    gpu->rand_normal(gpu, d, n, 0.0f, 1.0f, clocked);
    gpu->counters_add(gpu, dk, &step, 1);
    void *graph = NULL;
    TEST_CHECK(gpu->graph_end(gpu, &graph) == RISE_OK && graph, "end capture: %s",
               rise_last_error());
    if (!graph) return;
    float *g = test_from_backend(gpu, d, n);
    TEST_CHECK(g[0] == -7.0f && g[n - 1] == -7.0f, "capturing runs nothing");
    free(g);
    for (int r = 0; r < 3; ++r) {
        gpu->graph_launch(gpu, graph);
        const rise_rng at = {99, 3, K + (uint64_t)r * step, NULL};
        cpu->rand_normal(cpu, h, n, 0.0f, 1.0f, at);
        g = test_from_backend(gpu, d, n);
        char name[80];
        snprintf(name, sizeof name, "graph replay %d draws at K + %d d", r, r);
        test_close(name, g, h, n, 1e-5, 1e-5);
        free(g);
    }
    uint64_t k = 0;
    gpu->download(gpu, &k, dk, sizeof k);
    TEST_CHECK(k == K + 3 * step, "three replays advanced the counter by 3 d (%llu)",
               (unsigned long long)k);
    gpu->graph_destroy(gpu, graph);
    TEST_CHECK(gpu->sync(gpu) == RISE_OK, "graph: %s", rise_last_error());
    gpu->free(gpu, d), gpu->free(gpu, dk);
    free(h);
}

int main(void) {
    gpu = test_backend_or_skip("cuda");
    rise_status st;
    cpu = rise_backend_create("ref", &st);
    test_draws();
    test_adam();
    test_counters();
    test_graph_replay();
    rise_backend_destroy(gpu);
    rise_backend_destroy(cpu);
    return test_finish();
}
