/* test_ops_activation.c - the six activations: values against independent
 * double-precision formulas (and published constants), derivatives against
 * double central differences of those formulas, numerical safety at extreme
 * inputs, act_backward = dy * f'(x) with the accumulate flag (twice =
 * double), names round-tripping through act_parse, the chunked backend
 * equal to the serial reference bitwise, and the linear layer's fused epilogues
 * (bias_act_forward, act_bias_backward) equal bitwise to bias_add + act_forward and
 * act_backward + bias_grad, with and without a bias, for every activation and an
 * ensemble of 3. The float forms the CUDA kernels evaluate (act_value_f,
 * act_derivative_f in activation.h) against the reference on the host: within the
 * documented atol 1e-6 / rtol 1e-5 (derivatives 2e-6 / 2e-5) on a fine grid and at
 * extreme finite values, and the same NaN / infinity at +-inf and NaN; the unknown
 * activation aborts. Run: ctest -R test_ops_activation. */
#include "kernels/activation.h"
#include "test_util.h"
#include "expect_abort.h"

static rise_backend *be;

/* Written from the definitions, independently of kernels/activation_ref.c. */
static double f_double(rise_act act, double x) {
    switch (act) {
    case RISE_ACT_IDENTITY: return x;
    case RISE_ACT_RELU: return x > 0 ? x : 0;
    case RISE_ACT_MISH: return x * tanh(log(1 + exp(x))); /* fine for |x| < 30 */
    case RISE_ACT_GELU:
        return 0.5 * x * (1 + tanh(sqrt(2 / 3.14159265358979323846) * (x + 0.044715 * pow(x, 3))));
    case RISE_ACT_TANH: return tanh(x);
    case RISE_ACT_SILU: return x / (1 + exp(-x));
    default: return NAN;
    }
}

static void test_values_and_derivatives(void) {
    /* published values: mish(1) = 0.865098, gelu_tanh(1) = 0.841192, silu(1) = 0.731059 */
    TEST_CHECK(fabsf(act_value_ref(RISE_ACT_MISH, 1.0f) - 0.8650984f) < 1e-6f, "mish(1)");
    TEST_CHECK(fabsf(act_value_ref(RISE_ACT_GELU, 1.0f) - 0.8411920f) < 1e-6f, "gelu(1)");
    TEST_CHECK(fabsf(act_value_ref(RISE_ACT_SILU, 1.0f) - 0.7310586f) < 1e-6f, "silu(1)");
    for (int a = 0; a < RISE_ACT_COUNT; ++a) {
        double worst_v = 0, worst_d = 0;
        for (int i = 0; i <= 200; ++i) {
            const double x = -8.0 + 16.0 * i / 200.0 + 0.013; /* avoid relu's kink at 0 */
            const float xf = (float)x;
            const double ref = f_double((rise_act)a, xf);
            const double h = 1e-5;
            const double fd =
                (f_double((rise_act)a, (double)xf + h) - f_double((rise_act)a, (double)xf - h)) /
                (2 * h);
            const double ev = fabs(act_value_ref((rise_act)a, xf) - ref) / (1 + fabs(ref));
            const double ed = fabs(act_derivative_ref((rise_act)a, xf) - fd) / (1 + fabs(fd));
            if (ev > worst_v) worst_v = ev;
            if (ed > worst_d) worst_d = ed;
        }
        TEST_CHECK(worst_v < 2e-7, "%s value vs double formula: rel err %g", act_name(a), worst_v);
        TEST_CHECK(worst_d < 1e-6, "%s derivative vs double FD: rel err %g", act_name(a), worst_d);
    }
    TEST_CHECK(act_value_ref(RISE_ACT_RELU, -2.0f) == 0 && act_value_ref(RISE_ACT_RELU, 2.0f) == 2,
               "relu");
    TEST_CHECK(act_derivative_ref(RISE_ACT_RELU, 0.0f) == 0, "relu'(0) = 0");
}

static void test_extremes(void) {
    const float xs[] = {-1000.0f, -100.0f, -30.0f, 30.0f, 100.0f, 1000.0f, 3e38f};
    for (int a = 0; a < RISE_ACT_COUNT; ++a)
        for (size_t i = 0; i < sizeof xs / sizeof xs[0]; ++i) {
            const float v = act_value_ref((rise_act)a, xs[i]);
            const float d = act_derivative_ref((rise_act)a, xs[i]);
            TEST_CHECK(!isnan(v) && !isnan(d), "%s at %g: value %g derivative %g", act_name(a),
                       xs[i], v, d);
        }
    /* the asymptotes: mish and silu -> x for large x, -> 0 for very negative x */
    TEST_CHECK(act_value_ref(RISE_ACT_MISH, 100.0f) == 100.0f, "mish(100)");
    TEST_CHECK(fabsf(act_value_ref(RISE_ACT_MISH, -100.0f)) < 1e-30f, "mish(-100)");
    TEST_CHECK(act_value_ref(RISE_ACT_SILU, 100.0f) == 100.0f, "silu(100)");
    TEST_CHECK(act_derivative_ref(RISE_ACT_MISH, 100.0f) == 1.0f, "mish'(100)");
    TEST_CHECK(act_derivative_ref(RISE_ACT_GELU, -100.0f) == 0.0f, "gelu'(-100)");
}

static void test_backend(void) {
    const size_t n = 100003; /* large: exercises the chunked path */
    float *x = malloc(n * 4), *dy = malloc(n * 4), *y1 = malloc(n * 4), *y2 = malloc(n * 4);
    float *dx1 = malloc(n * 4), *dx2 = malloc(n * 4);
    test_fill_random(x, n, 4, -6, 6);
    test_fill_random(dy, n, 5, -1, 1);
    for (int a = 0; a < RISE_ACT_COUNT; ++a) {
        char name[80];
        be->act_forward(be, (rise_act)a, y1, x, n);
        act_forward_ref((rise_act)a, y2, x, n);
        snprintf(name, sizeof name, "%s forward == ref", act_name(a));
        test_close(name, y1, y2, n, 0, 0);
        int ok = 1;
        for (size_t i = 0; i < n; i += 97) ok &= y1[i] == act_value_ref((rise_act)a, x[i]);
        TEST_CHECK(ok, "%s forward == act_value_ref", act_name(a));

        be->act_backward(be, (rise_act)a, dx1, dy, x, n, 0);
        for (size_t i = 0; i < n; ++i)
            dx2[i] = (float)((double)dy[i] * act_derivative_ref((rise_act)a, x[i]));
        snprintf(name, sizeof name, "%s backward = dy f'(x)", act_name(a));
        test_close(name, dx1, dx2, n, 1e-7, 1e-6);
        be->act_backward(be, (rise_act)a, dx1, dy, x, n, 1);
        for (size_t i = 0; i < n; ++i) dx2[i] *= 2;
        snprintf(name, sizeof name, "%s backward accumulate twice = double", act_name(a));
        test_close(name, dx1, dx2, n, 1e-7, 1e-6);
    }
    free(x), free(dy), free(y1), free(y2), free(dx1), free(dx2);
}

static void test_names(void) {
    for (int a = 0; a < RISE_ACT_COUNT; ++a)
        TEST_CHECK(act_parse(act_name((rise_act)a)) == a, "act_parse(act_name(%d))", a);
    TEST_CHECK(act_parse("gelu") == RISE_ACT_GELU && act_parse("mish") == RISE_ACT_MISH,
               "act_parse names");
    TEST_CHECK(act_parse("Mish") == -1 && act_parse("") == -1 && act_parse(NULL) == -1,
               "act_parse rejects unknown names");
    TEST_CHECK(strcmp(act_name(RISE_ACT_COUNT), "unknown") == 0, "act_name out of range");
}

static void test_fused_epilogues(void) {
    enum { E = 3, B = 57, N = 41, T = E * B * N };
    float *x = malloc(sizeof(float) * T), *bias = malloc(sizeof(float) * E * N);
    float *h1 = malloc(sizeof(float) * T), *h2 = malloc(sizeof(float) * T);
    float *a1 = malloc(sizeof(float) * T), *a2 = malloc(sizeof(float) * T);
    float *da = malloc(sizeof(float) * T), *g1 = malloc(sizeof(float) * T);
    float *g2 = malloc(sizeof(float) * T);
    float db1[E * N], db2[E * N];
    test_fill_random(x, T, 11, -4.0f, 4.0f);
    test_fill_random(bias, E * N, 12, -1.0f, 1.0f);
    test_fill_random(da, T, 13, -1.0f, 1.0f);
    for (int act = 0; act < RISE_ACT_COUNT; ++act)
        for (int with_bias = 0; with_bias < 2; ++with_bias) {
            const float *b = with_bias ? bias : NULL;
            memcpy(h1, x, sizeof(float) * T);
            memcpy(h2, x, sizeof(float) * T);
            if (b) be->bias_add(be, h1, b, E, B, N);
            be->act_forward(be, (rise_act)act, a1, h1, T);
            be->bias_act_forward(be, (rise_act)act, h2, a2, b, E, B, N);
            TEST_CHECK(!memcmp(h1, h2, sizeof(float) * T) && !memcmp(a1, a2, sizeof(float) * T),
                       "bias_act_forward(%s, bias %d) = bias_add + act_forward",
                       act_name((rise_act)act), with_bias);
            for (int i = 0; i < E * N; ++i) db1[i] = db2[i] = 0.25f * (float)i;
            be->act_backward(be, (rise_act)act, g1, da, h1, T, 0);
            if (b) be->bias_grad(be, db1, g1, E, B, N);
            be->act_bias_backward(be, (rise_act)act, g2, b ? db2 : NULL, da, h2, E, B, N);
            TEST_CHECK(!memcmp(g1, g2, sizeof(float) * T) && !memcmp(db1, db2, sizeof db1),
                       "act_bias_backward(%s, bias %d) = act_backward + bias_grad (accumulating)",
                       act_name((rise_act)act), with_bias);
        }
    /* the bias gradient accumulates: a second call doubles what it added */
    for (int i = 0; i < E * N; ++i) db1[i] = 0.0f;
    be->act_bias_backward(be, RISE_ACT_MISH, g1, db1, da, x, E, B, N);
    memcpy(db2, db1, sizeof db1);
    be->act_bias_backward(be, RISE_ACT_MISH, g1, db1, da, x, E, B, N);
    int doubled = 1;
    for (int i = 0; i < E * N; ++i) doubled &= db1[i] == 2.0f * db2[i];
    TEST_CHECK(doubled, "act_bias_backward accumulates into dbias");
    free(x), free(bias), free(h1), free(h2), free(a1), free(a2), free(da), free(g1), free(g2);
}

/* |f - ref| <= atol + rtol |ref|, or the same NaN / the same infinity. */
static int agrees(float f, float ref, double atol, double rtol) {
    if (isnan(ref) || isinf(ref)) return isnan(ref) ? isnan(f) : f == ref;
    return fabs((double)f - ref) <= atol + rtol * fabs((double)ref);
}

static void test_float_forms(void) {
    const float special[] = {0.0f,  -0.0f,  20.0f,  20.001f, -20.0f, 1e19f,    -1e19f,
                             1e20f, -1e20f, 3e38f,  -3e38f,  1e-30f, INFINITY, -INFINITY,
                             NAN,   88.0f,  -88.0f, 89.0f,   -104.0f};
    for (int a = 0; a < RISE_ACT_COUNT; ++a) {
        int bad_v = 0, bad_d = 0;
        float worst_x = 0;
        for (int i = 0; i <= 12000 + (int)(sizeof special / sizeof *special); ++i) {
            const float x = i <= 12000 ? -30.0f + 0.005f * (float)i : special[i - 12001];
            const int v_ok =
                agrees(act_value_f((rise_act)a, x), act_value_ref((rise_act)a, x), 1e-6, 1e-5);
            const int d_ok = agrees(act_derivative_f((rise_act)a, x),
                                    act_derivative_ref((rise_act)a, x), 2e-6, 2e-5);
            if (!v_ok || !d_ok) worst_x = x;
            bad_v += !v_ok, bad_d += !d_ok;
        }
        TEST_CHECK(bad_v == 0 && bad_d == 0,
                   "%s: the device's float form agrees with the reference (%d values, %d "
                   "derivatives off; e.g. x = %g: %g vs %g, %g vs %g)",
                   act_name((rise_act)a), bad_v, bad_d, worst_x, act_value_f((rise_act)a, worst_x),
                   act_value_ref((rise_act)a, worst_x), act_derivative_f((rise_act)a, worst_x),
                   act_derivative_ref((rise_act)a, worst_x));
    }
    TEST_CHECK(act_derivative_ref(RISE_ACT_RELU, 0.0f) == 0.0f &&
                   act_value_ref(RISE_ACT_RELU, NAN) == 0.0f &&
                   act_value_f(RISE_ACT_RELU, NAN) == 0.0f,
               "relu'(0) = 0, relu(NaN) = 0 on both sides");
    float y[2];
    const float x[2] = {1, 2};
    TEST_EXPECT_ABORT("unknown activation", act_forward_ref((rise_act)RISE_ACT_COUNT, y, x, 2));
    TEST_EXPECT_ABORT("unknown activation on the backend",
                      be->act_backward(be, (rise_act)-1, y, x, x, 2, 0));
    TEST_EXPECT_ABORT("negative shape",
                      be->bias_act_forward(be, RISE_ACT_RELU, y, y, NULL, 1, -1, 2));
}

int main(void) {
    be = test_backend_or_skip("ref");
    test_values_and_derivatives();
    test_extremes();
    test_backend();
    test_names();
    test_fused_epilogues();
    test_float_forms();
    rise_backend_destroy(be);
    return test_finish();
}
