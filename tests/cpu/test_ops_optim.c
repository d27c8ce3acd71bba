/* test_ops_optim.c - Adam/AdamW against hand-computed steps, gradient
 * clipping, Polyak averaging, random fills and dropout on the CPU backend. */
#include "test_util.h"

static rise_backend *be;

static void test_adam(void) {
    /* Adam step 1 moves every parameter by -lr * sign(g) (up to eps) */
    rise_adam_hparams hp = {0.1f, 0.9f, 0.999f, 1e-8f, 0.0f, 0.0f};
    float p[3] = {1, 2, 3}, g[3] = {0.5f, -2, 0}, m[3] = {0}, v[3] = {0};
    be->adam(be, p, g, m, v, 3, &hp, 1, NULL);
    const float p1[3] = {0.9f, 2.1f, 3.0f};
    test_close("adam step 1", p, p1, 3, 1e-6, 1e-6);
    /* step 2 with g = (1, 1, 1), by hand */
    const float g2[3] = {1, 1, 1};
    be->adam(be, p, g2, m, v, 3, &hp, 2, NULL);
    float p2[3];
    const float gg[3] = {0.5f, -2, 0};
    for (int i = 0; i < 3; ++i) {
        const double m1 = 0.1 * gg[i], v1 = 0.001 * gg[i] * gg[i];
        const double m2 = 0.9 * m1 + 0.1, v2 = 0.999 * v1 + 0.001;
        const double mh = m2 / (1 - 0.81), vh = v2 / (1 - 0.999 * 0.999);
        p2[i] = (float)(p1[i] - 0.1 * mh / (sqrt(vh) + 1e-8));
    }
    test_close("adam step 2", p, p2, 3, 1e-5, 1e-5);

    /* AdamW: decoupled decay adds lr * wd * p */
    rise_adam_hparams hw = hp;
    hw.weight_decay = 0.5f;
    float q[1] = {2}, gq[1] = {1}, mq[1] = {0}, vq[1] = {0};
    be->adam(be, q, gq, mq, vq, 1, &hw, 1, NULL);
    TEST_CHECK(fabsf(q[0] - (2 - 0.1f * (1 + 0.5f * 2))) < 1e-5f, "adamw decay %g", q[0]);

    /* clipping: norm 5 clipped to 1 scales g by 1/5: first moments show it */
    rise_adam_hparams hc = hp;
    hc.max_grad_norm = 1.0f;
    float pc[2] = {0, 0}, gc[2] = {3, 4}, mc[2] = {0}, vc[2] = {0}, sumsq = 25.0f;
    be->adam(be, pc, gc, mc, vc, 2, &hc, 1, &sumsq);
    const float mref[2] = {0.1f * 3 / (5 + 1e-6f), 0.1f * 4 / (5 + 1e-6f)};
    test_close("clipped first moment", mc, mref, 2, 1e-7, 1e-5);
    sumsq = 0.25f; /* norm below the limit: untouched */
    float md[2] = {0}, vd[2] = {0};
    be->adam(be, pc, gc, md, vd, 2, &hc, 1, &sumsq);
    const float mref2[2] = {0.3f, 0.4f};
    test_close("unclipped first moment", md, mref2, 2, 1e-7, 1e-6);

    /* polyak */
    float t[2] = {1, 2};
    const float s[2] = {3, -2};
    be->polyak(be, t, s, 2, 0.25f);
    const float tref[2] = {1.5f, 1.0f};
    test_close("polyak", t, tref, 2, 1e-7, 1e-7);
}

static void test_random(void) {
    enum { N = 100000 };
    float *x = malloc(N * 4), *y = malloc(N * 4), *mask = malloc(N * 4);
    const rise_rng rng = {11, 3, 1000};
    be->rand_uniform(be, x, N, -2, 4, rng);
    int inside = 1;
    for (int i = 0; i < N; ++i) inside &= x[i] > -2 && x[i] < 4;
    TEST_CHECK(inside, "uniform within (lo, hi)");
    TEST_CHECK(x[5] == -2 + 6 * rise_rng_uniform(11, 3, 1000, 5), "uniform follows the mapping");
    be->rand_normal(be, y, N, 1.0f, 2.0f, rng);
    double s = 0, s2 = 0;
    for (int i = 0; i < N; ++i) s += y[i], s2 += (double)y[i] * y[i];
    const double mean = s / N, var = s2 / N - mean * mean;
    TEST_CHECK(fabs(mean - 1) < 0.03 && fabs(var - 4) < 0.1, "normal(1, 2): mean %g var %g", mean, var);

    for (int i = 0; i < N; ++i) x[i] = 1.0f;
    be->dropout_forward(be, y, mask, x, N, 0.3f, rng);
    int kept = 0, valid = 1;
    for (int i = 0; i < N; ++i) {
        kept += mask[i] != 0;
        valid &= (mask[i] == 0 || mask[i] == 1.0f / 0.7f) && y[i] == x[i] * mask[i];
    }
    TEST_CHECK(valid, "dropout mask values and y = x * mask");
    TEST_CHECK(fabs(kept / (double)N - 0.7) < 0.01, "kept fraction %g", kept / (double)N);
    float *mask2 = malloc(N * 4);
    be->dropout_forward(be, y, mask2, x, N, 0.3f, rng);
    TEST_CHECK(memcmp(mask, mask2, N * 4) == 0, "dropout deterministic for an rng");
    rise_rng other = rng;
    other.offset += rise_rng_blocks_uniform(N);
    be->dropout_forward(be, y, mask2, x, N, 0.3f, other);
    TEST_CHECK(memcmp(mask, mask2, N * 4) != 0, "advanced offset gives a new mask");
    be->dropout_forward(be, y, mask2, x, N, 0.0f, rng);
    int ident = 1;
    for (int i = 0; i < N; ++i) ident &= mask2[i] == 1.0f && y[i] == x[i];
    TEST_CHECK(ident, "p = 0 is the identity");
    free(x), free(y), free(mask), free(mask2);
}

int main(void) {
    be = test_backend_or_skip("cpu");
    test_adam();
    test_random();
    rise_backend_destroy(be);
    return test_finish();
}
