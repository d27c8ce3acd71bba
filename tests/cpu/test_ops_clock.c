/* test_ops_clock.c - the device-clock hooks of the ops on the CPU backend: counters_add
 * adds its increments (and only n of them); every op that draws from Philox, given
 * rng.offset_add pointing at a counter holding K, returns bitwise what it returns for
 * offset + K by value, and another counter value gives other numbers (so the pointer
 * is read when the op runs); Adam with step_add equals Adam at step + *step_add.
 * (tests/gpu/test_backend_clock.c checks the same through CUDA and a captured graph.)
 * Run: ctest -R test_ops_clock */
#include "kernels/diffusion.h"
#include "kernels/gather.h"
#include "test_util.h"

static rise_backend *be;

static int same(const void *x, const void *y, size_t bytes) { return memcmp(x, y, bytes) == 0; }

static void test_counters_add(void) {
    uint64_t c[RISE_COUNTERS_MAX], want[RISE_COUNTERS_MAX];
    const uint64_t delta[RISE_COUNTERS_MAX] = {1, 1ULL << 32, 7, 0, 3, 5, UINT64_MAX, 9};
    for (int i = 0; i < RISE_COUNTERS_MAX; ++i) c[i] = want[i] = 1000u * (uint64_t)i + 17u;
    be->counters_add(be, c, delta, 3);
    for (int i = 0; i < 3; ++i) want[i] += delta[i];
    TEST_CHECK(same(c, want, sizeof c), "counters_add n=3 adds to the first 3 counters only");
    be->counters_add(be, c, delta, RISE_COUNTERS_MAX);
    for (int i = 0; i < RISE_COUNTERS_MAX; ++i) want[i] += delta[i];
    TEST_CHECK(same(c, want, sizeof c), "counters_add n=%d, wrapping modulo 2^64",
               RISE_COUNTERS_MAX);
    be->counters_add(be, c, delta, 0);
    TEST_CHECK(same(c, want, sizeof c), "counters_add n=0 changes nothing");
}

/* One op's output for an rng: `out` of `bytes`. */
typedef void (*draw_fn)(rise_rng rng, void *out);

enum { R = 37, C = 5, M = 3 };
static float x0[R * C], tab[2 * 10], mean[R * C], log_std[R * C], sig[M];
static int32_t pool[R];

static void draw_uniform(rise_rng rng, void *out) { be->rand_uniform(be, out, R * C, -1, 2, rng); }
static void draw_normal(rise_rng rng, void *out) { be->rand_normal(be, out, R * C, 0, 1, rng); }
static void draw_dropout(rise_rng rng, void *out) {
    float *y = out;
    be->dropout_forward(be, y, y + R * C, x0, R * C, 0.3f, rng);
}
static void draw_q_sample(rise_rng rng, void *out) {
    float *y = out;
    be->diffusion_q_sample(be, y, y + R * C, y + 2 * R * C, x0, tab, tab + 10, R, C, 10, rng);
}
static void draw_tanh_gauss(rise_rng rng, void *out) {
    float *y = out;
    be->tanh_gauss_sample(be, y, y + R * C, y + R * C + R, mean, log_std, R, C, rng);
}
static void draw_indices(rise_rng rng, void *out) {
    be->sample_indices(be, out, R, 1000, pool, R, pool, 11, 20, rng);
}
static void draw_noise(rise_rng rng, void *out) {
    float *y = out;
    be->action_noise(be, y, y + R * M * C, y + R * M * C + R * M, x0, sig, R, M, C, rng);
}

static void check_op(const char *name, draw_fn f) {
    enum { BYTES = sizeof(float) * 4 * R * C * M };
    static unsigned char by_value[BYTES], by_ptr[BYTES], other[BYTES];
    memset(by_value, 0, BYTES), memset(by_ptr, 0, BYTES), memset(other, 0, BYTES);
    uint64_t ctr = 3ULL << 32 | 12345u;
    const rise_rng direct = {0xabcdef12345ULL, 77, 40 + ctr, NULL};
    const rise_rng clocked = {0xabcdef12345ULL, 77, 40, &ctr};
    f(direct, by_value);
    f(clocked, by_ptr);
    TEST_CHECK(same(by_value, by_ptr, BYTES), "%s: offset 40 + *offset_add = offset %llu by value",
               name, (unsigned long long)(40 + ctr));
    ctr += 1000;
    f(clocked, other);
    TEST_CHECK(!same(by_ptr, other, BYTES), "%s: a new counter value draws other numbers", name);
}

static void test_rng_ops(void) {
    for (int i = 0; i < R * C; ++i) {
        x0[i] = 0.9f * sinf(0.37f * (float)i);
        mean[i] = 0.5f * cosf(0.11f * (float)i);
        log_std[i] = -1.0f + 0.01f * (float)(i % 50);
    }
    for (int k = 0; k < 10; ++k) {
        tab[k] = sqrtf(1.0f - 0.09f * (float)k);
        tab[10 + k] = sqrtf(0.09f * (float)k);
    }
    for (int i = 0; i < R; ++i) pool[i] = 3 * i + 1;
    for (int m = 0; m < M; ++m) sig[m] = 0.05f + 0.1f * (float)m;
    check_op("rand_uniform", draw_uniform);
    check_op("rand_normal", draw_normal);
    check_op("dropout_forward", draw_dropout);
    check_op("diffusion_q_sample", draw_q_sample);
    check_op("tanh_gauss_sample", draw_tanh_gauss);
    check_op("sample_indices", draw_indices);
    check_op("action_noise", draw_noise);
}

static void test_adam_step_add(void) {
    enum { N = 64 };
    float p[3][N], m[3][N], v[3][N], g[N];
    for (int i = 0; i < N; ++i) {
        g[i] = 0.3f * sinf((float)i);
        for (int k = 0; k < 3; ++k) p[k][i] = 0.1f * (float)i, m[k][i] = 0.01f, v[k][i] = 1e-4f;
    }
    uint64_t done = 4;
    rise_adam_hparams hp = {1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, 0.0f, NULL};
    be->adam(be, p[0], g, m[0], v[0], N, &hp, 5, NULL);
    be->adam(be, p[2], g, m[2], v[2], N, &hp, 1, NULL);
    hp.step_add = &done;
    be->adam(be, p[1], g, m[1], v[1], N, &hp, 1, NULL);
    TEST_CHECK(same(p[0], p[1], sizeof p[0]) && same(m[0], m[1], sizeof m[0]),
               "adam step 1 + *step_add (4) = adam step 5");
    TEST_CHECK(!same(p[1], p[2], sizeof p[1]), "adam: step_add changes the bias correction");
}

int main(void) {
    rise_status st;
    be = rise_backend_create("ref", &st);
    TEST_CHECK(be != NULL, "cpu backend: %s", rise_last_error());
    if (!be) return test_finish();
    TEST_CHECK(be->graph_begin == NULL && be->graph_end == NULL && be->graph_launch == NULL,
               "the cpu backend has no graphs (the agent then runs the clocked step eagerly)");
    test_counters_add();
    test_rng_ops();
    test_adam_step_add();
    rise_backend_destroy(be);
    return test_finish();
}
