/* test_ops_chunked.c - the CPU backend's OpenMP-chunked ops give bitwise the
 * same results as the serial kernels/<op>_ref.c references on inputs large
 * enough to be split across threads (odd lengths, odd Philox offsets), so
 * results do not depend on the thread count.
 * Run: OMP_NUM_THREADS=2 build/tests/test_ops_chunked (ctest runs it too). */
#include "kernels/activation.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/layernorm.h"
#include "kernels/optim.h"
#include "kernels/random.h"
#include "kernels/reduce.h"
#include "kernels/time_embed.h"
#include "test_util.h"

enum { N = 200003, ROWS = 1001, COLS = 97 };

static rise_backend *be;

static void same(const char *name, const float *got, const float *ref, size_t n) {
    size_t first = n;
    for (size_t i = 0; i < n && first == n; ++i)
        if (memcmp(&got[i], &ref[i], sizeof(float)) != 0) first = i;
    TEST_CHECK(first == n, "%s: first difference at [%zu]: %.9g vs %.9g", name, first,
               first < n ? (double)got[first] : 0.0, first < n ? (double)ref[first] : 0.0);
}

static float *buf(size_t n) { return malloc(n * sizeof(float)); }

static void test_elementwise_and_acts(float *x, float *dy, float *a, float *b) {
    const size_t bytes = N * sizeof(float);
    memcpy(a, x, bytes);
    memcpy(b, x, bytes);
    be->axpy(be, a, -0.75f, dy, N);
    axpy_ref(b, -0.75f, dy, N);
    same("axpy", a, b, N);
    be->clamp(be, a, x, -1.0f, 0.5f, N);
    clamp_ref(b, x, -1.0f, 0.5f, N);
    same("clamp", a, b, N);
    for (int act = 0; act < RISE_ACT_COUNT; ++act) {
        char name[64];
        be->act_forward(be, (rise_act)act, a, x, N);
        act_forward_ref((rise_act)act, b, x, N);
        snprintf(name, sizeof name, "%s forward", act_name((rise_act)act));
        same(name, a, b, N);
        memcpy(a, dy, bytes);
        memcpy(b, dy, bytes);
        be->act_backward(be, (rise_act)act, a, dy, x, N, 1);
        act_backward_ref((rise_act)act, b, dy, x, N, 1);
        snprintf(name, sizeof name, "%s backward (accumulate)", act_name((rise_act)act));
        same(name, a, b, N);
    }
}

static void test_random(float *x, float *a, float *b, float *ma, float *mb) {
    /* odd offset and odd length: chunks must start on Philox block boundaries */
    const rise_rng rng = {0xfeedULL, 5, 12345, NULL};
    be->rand_uniform(be, a, N, -3.0f, 2.0f, rng);
    rand_uniform_ref(b, N, -3.0f, 2.0f, rng);
    same("rand_uniform", a, b, N);
    be->rand_normal(be, a, N, 0.5f, 2.0f, rng);
    rand_normal_ref(b, N, 0.5f, 2.0f, rng);
    same("rand_normal", a, b, N);
    be->dropout_forward(be, a, ma, x, N, 0.4f, rng);
    dropout_forward_ref(b, mb, x, N, 0.4f, rng);
    same("dropout y", a, b, N);
    same("dropout mask", ma, mb, N);
}

static void test_rows(float *x, float *dy, float *a, float *b) {
    const size_t n = (size_t)ROWS * COLS;
    float gamma[COLS], beta[COLS], dga[COLS] = {0}, dgb[COLS] = {0}, dba[COLS] = {0},
                                   dbb[COLS] = {0};
    float *mean_a = buf(ROWS), *mean_b = buf(ROWS), *rstd_a = buf(ROWS), *rstd_b = buf(ROWS);
    test_fill_random(gamma, COLS, 21, 0.5f, 1.5f);
    test_fill_random(beta, COLS, 22, -0.5f, 0.5f);
    be->layernorm_forward(be, a, mean_a, rstd_a, x, gamma, beta, ROWS, COLS, 1e-5f);
    layernorm_forward_ref(b, mean_b, rstd_b, x, gamma, beta, ROWS, COLS, 1e-5f);
    same("layernorm y", a, b, n);
    same("layernorm mean", mean_a, mean_b, ROWS);
    same("layernorm rstd", rstd_a, rstd_b, ROWS);
    be->layernorm_backward(be, a, dga, dba, dy, x, mean_b, rstd_b, gamma, ROWS, COLS, 0);
    layernorm_backward_ref(b, dgb, dbb, dy, x, mean_b, rstd_b, gamma, ROWS, COLS, 0);
    same("layernorm dx", a, b, n);
    same("layernorm dgamma", dga, dgb, COLS);
    same("layernorm dbeta", dba, dbb, COLS);

    be->reduce_rows(be, RISE_REDUCE_SUMSQ, mean_a, x, ROWS, COLS);
    reduce_rows_ref(RISE_REDUCE_SUMSQ, mean_b, x, ROWS, COLS);
    same("reduce_rows sumsq", mean_a, mean_b, ROWS);

    /* bias_add over E = 2 members of ROWS/2 rows each */
    const int half = ROWS / 2;
    memcpy(a, x, n * sizeof(float));
    memcpy(b, x, n * sizeof(float));
    be->bias_add(be, a, dy, 2, half, COLS);
    bias_add_ref(b, dy, 2, half, COLS);
    same("bias_add", a, b, n);

    /* copy_cols: columns [10, 50) of x into columns [3, 43) of a 60-wide buffer, accumulating */
    const size_t m = (size_t)ROWS * 60;
    memcpy(a, dy, m * sizeof(float));
    memcpy(b, dy, m * sizeof(float));
    be->copy_cols(be, a, 60, 3, x, COLS, 10, ROWS, 40, 1);
    copy_cols_ref(b, 60, 3, x, COLS, 10, ROWS, 40, 1);
    same("copy_cols", a, b, m);

    /* freq_embed: [ROWS, 2 * 48] */
    float f[48];
    test_fill_random(f, 48, 23, 0.1f, 30.0f);
    be->freq_embed_forward(be, a, x, f, ROWS, 48);
    freq_embed_forward_ref(b, x, f, ROWS, 48);
    same("freq_embed forward", a, b, (size_t)ROWS * 96);
    free(mean_a), free(mean_b), free(rstd_a), free(rstd_b);
}

static void test_adam(float *x, float *dy) {
    const rise_adam_hparams hp = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1.0f, NULL};
    float *pa = buf(N), *pb = buf(N), *ma = buf(N), *mb = buf(N), *va = buf(N), *vb = buf(N);
    const float sumsq = 4.0f;
    memcpy(pa, x, N * sizeof(float));
    memcpy(pb, x, N * sizeof(float));
    memset(ma, 0, N * sizeof(float));
    memset(mb, 0, N * sizeof(float));
    memset(va, 0, N * sizeof(float));
    memset(vb, 0, N * sizeof(float));
    for (int step = 1; step <= 3; ++step) {
        be->adam(be, pa, dy, ma, va, N, &hp, step, &sumsq);
        adam_ref(pb, dy, mb, vb, N, &hp, step, &sumsq);
    }
    same("adam param", pa, pb, N);
    same("adam m", ma, mb, N);
    same("adam v", va, vb, N);
    be->polyak(be, pa, x, N, 0.005f);
    polyak_ref(pb, x, N, 0.005f);
    same("polyak", pa, pb, N);
    free(pa), free(pb), free(ma), free(mb), free(va), free(vb);
}

int main(void) {
    be = test_backend_or_skip("ref");
    float *x = buf(N), *dy = buf(N), *a = buf(N), *b = buf(N), *ma = buf(N), *mb = buf(N);
    test_fill_random(x, N, 1, -4.0f, 4.0f);
    test_fill_random(dy, N, 2, -1.0f, 1.0f);
    test_elementwise_and_acts(x, dy, a, b);
    test_random(x, a, b, ma, mb);
    test_rows(x, dy, a, b);
    test_adam(x, dy);
    free(x), free(dy), free(a), free(b), free(ma), free(mb);
    rise_backend_destroy(be);
    return test_finish();
}
