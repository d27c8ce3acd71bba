/* test_ops_adam.c - Adam/AdamW and Polyak averaging on the CPU backend:
 * two Adam steps against values computed by hand from the bias-corrected
 * formulas, AdamW's decoupled decay on a zero gradient (exact), global-norm
 * clipping (the hand-computed factor on the first moment; a clipped step
 * equals an unclipped step on pre-scaled gradients, bitwise; no clipping
 * below the threshold, without grad_sumsq or with max_grad_norm = 0), Polyak
 * at tau 0, 1 and a hand value, and the chunked path equal to the
 * reference for 1 and 3 threads. Edge rules of optim.h: the clip factor for a NaN, an
 * infinite and a zero sum of squares, and the argument checks (step < 1, a beta of 1).
 * Run: ctest -R test_ops_adam. */
#include <omp.h>

#include "kernels/optim.h"
#include "test_util.h"
#include "expect_abort.h"

static rise_backend *be;

static void test_two_steps(void) {
    /* eps = 0: step 1 moves each parameter by exactly -lr sign(g) */
    const rise_adam_hparams hp = {0.1f, 0.9f, 0.999f, 0.0f, 0.0f, 0.0f, NULL};
    float p[3] = {1, 2, 3}, m[3] = {0}, v[3] = {0};
    const float g1[3] = {0.5f, -2, 4}, g2[3] = {1, 1, -3};
    be->adam(be, p, g1, m, v, 3, &hp, 1, NULL);
    const float p1[3] = {0.9f, 2.1f, 2.9f};
    test_close("adam step 1 = -lr sign(g)", p, p1, 3, 1e-7, 1e-6);
    be->adam(be, p, g2, m, v, 3, &hp, 2, NULL);
    float p2[3];
    for (int i = 0; i < 3; ++i) {
        const double m2 = 0.9 * (0.1 * g1[i]) + 0.1 * g2[i];
        const double v2 = 0.999 * (0.001 * g1[i] * g1[i]) + 0.001 * g2[i] * g2[i];
        const double mhat = m2 / (1 - 0.81), vhat = v2 / (1 - 0.998001);
        p2[i] = (float)(p1[i] - 0.1 * mhat / sqrt(vhat));
    }
    test_close("adam step 2 by hand", p, p2, 3, 1e-6, 1e-6);
    const float m_ref[3] = {0.9f * 0.05f + 0.1f, 0.9f * -0.2f + 0.1f, 0.9f * 0.4f - 0.3f};
    test_close("adam first moment after 2 steps", m, m_ref, 3, 1e-7, 1e-6);
}

static void test_adamw(void) {
    /* zero gradient: the Adam term is 0/(0 + eps) = 0, only decay acts */
    const rise_adam_hparams hp = {0.1f, 0.9f, 0.999f, 1e-8f, 0.5f, 0.0f, NULL};
    float p[2] = {2, -4}, m[2] = {0}, v[2] = {0};
    const float g[2] = {0, 0};
    be->adam(be, p, g, m, v, 2, &hp, 1, NULL);
    const float want[2] = {2 - 0.1f * 0.5f * 2, -4 + 0.1f * 0.5f * 4};
    test_close("adamw decoupled decay", p, want, 2, 1e-7, 1e-7);
}

static void test_clipping(void) {
    /* g = (3, 4): norm 5, max 1 -> factor 1/(5 + 1e-6) on the gradient */
    const rise_adam_hparams hp = {0.01f, 0.9f, 0.999f, 1e-8f, 0.0f, 1.0f, NULL};
    const float g[2] = {3, 4}, sumsq = 25;
    float p[2] = {0, 0}, m[2] = {0}, v[2] = {0};
    be->adam(be, p, g, m, v, 2, &hp, 1, &sumsq);
    const double c = 1.0 / (5.0 + 1e-6);
    const float m_ref[2] = {(float)(0.1 * 3 * c), (float)(0.1 * 4 * c)};
    test_close("clipped first moment", m, m_ref, 2, 1e-8, 1e-6);

    /* clipped step == unclipped step on pre-scaled gradients, bitwise, over 3 steps */
    const size_t n = 50;
    float grad[50], scaled[50], pa[50], pb[50], ma[50] = {0}, mb[50] = {0}, va[50] = {0},
                                                vb[50] = {0};
    test_fill_random(grad, n, 81, -1, 1);
    test_fill_random(pa, n, 82, -1, 1);
    memcpy(pb, pa, sizeof pa);
    double ss = 0;
    for (size_t i = 0; i < n; ++i) ss += (double)grad[i] * grad[i];
    const float gsum = (float)ss;
    rise_adam_hparams clip = {0.01f, 0.9f, 0.999f, 1e-8f, 0.01f, 0.5f, NULL};
    rise_adam_hparams noclip = clip;
    noclip.max_grad_norm = 0.0f;
    const float factor = (float)(0.5 / (sqrt((double)gsum) + 1e-6));
    TEST_CHECK(factor < 1.0f, "the case actually clips (factor %g)", factor);
    for (size_t i = 0; i < n; ++i) scaled[i] = grad[i] * factor;
    for (int step = 1; step <= 3; ++step) {
        be->adam(be, pa, grad, ma, va, n, &clip, step, &gsum);
        be->adam(be, pb, scaled, mb, vb, n, &noclip, step, &gsum);
    }
    TEST_CHECK(memcmp(pa, pb, sizeof pa) == 0 && memcmp(va, vb, sizeof va) == 0,
               "clipping = scaling the gradient by min(1, max/(norm + 1e-6))");

    /* no clipping: below threshold, grad_sumsq NULL, or max_grad_norm 0 */
    float pc[50], pd[50], mc[50] = {0}, md[50] = {0}, vc[50] = {0}, vd[50] = {0};
    test_fill_random(pc, n, 83, -1, 1);
    memcpy(pd, pc, sizeof pc);
    rise_adam_hparams loose = clip;
    loose.max_grad_norm = 100.0f;
    be->adam(be, pc, grad, mc, vc, n, &loose, 1, &gsum);
    be->adam(be, pd, grad, md, vd, n, &noclip, 1, NULL);
    TEST_CHECK(memcmp(pc, pd, sizeof pc) == 0, "norm below max_grad_norm: unchanged update");
    be->adam(be, pc, grad, mc, vc, n, &clip, 2, NULL);
    be->adam(be, pd, grad, md, vd, n, &noclip, 2, &gsum);
    TEST_CHECK(memcmp(pc, pd, sizeof pc) == 0, "grad_sumsq NULL or max_grad_norm 0: no clipping");
}

static void test_polyak(void) {
    float t[3] = {1, 2, 3};
    const float s[3] = {5, -2, 3};
    be->polyak(be, t, s, 3, 0.0f);
    const float t0[3] = {1, 2, 3};
    test_close("polyak tau 0 keeps target", t, t0, 3, 0, 0);
    be->polyak(be, t, s, 3, 0.25f);
    const float t1[3] = {2, 1, 3};
    test_close("polyak tau 0.25", t, t1, 3, 0, 0);
    be->polyak(be, t, s, 3, 1.0f);
    test_close("polyak tau 1 copies", t, s, 3, 0, 0);
}

/* The EMA's decay (diffusers' EMAModel with use_ema_warmup, power 0.75, decay cap 0.9999):
 * 0 at update 1, 1 - n^-0.75 after, ~0.998 by n = 4000, capped; power 0 is the fixed decay;
 * the op is Polyak with tau = 1 - decay, and reads its step from step + *step_add. */
static void test_ema(void) {
    TEST_CHECK(rise_ema_decay(1, 0.75, 0.9999) == 0.0 && rise_ema_decay(0, 0.75, 0.9999) == 0.0,
               "update 1: decay 0 (the EMA becomes a copy)");
    TEST_CHECK(fabs(rise_ema_decay(2, 0.75, 0.9999) - (1.0 - pow(2.0, -0.75))) < 1e-15,
               "update 2: 1 - 2^-0.75 = %.6f", rise_ema_decay(2, 0.75, 0.9999));
    const double d4000 = rise_ema_decay(4000, 0.75, 0.9999);
    TEST_CHECK(d4000 > 0.9980 && d4000 < 0.9981, "update 4000: %.6f (~0.998)", d4000);
    TEST_CHECK(rise_ema_decay(1e9, 0.75, 0.9999) == 0.9999, "capped at the max decay");
    TEST_CHECK(rise_ema_decay(1, 0.0, 0.995) == 0.995 && rise_ema_decay(77, 0.0, 0.995) == 0.995,
               "power 0: the fixed decay from update 1");
    float t[3] = {1, 2, 3};
    const float s[3] = {5, -2, 3};
    const rise_ema_hparams warm = {0.9999f, 0.75f, NULL};
    be->ema(be, t, s, 3, &warm, 1);
    test_close("ema update 1 copies", t, s, 3, 0, 0);
    const float t0[3] = {1, 2, 3};
    float a[3], b[3];
    memcpy(a, t0, sizeof a), memcpy(b, t0, sizeof b);
    const uint64_t add = 3; /* step 2 + 3 = update 5 */
    const rise_ema_hparams clocked = {0.9999f, 0.75f, &add};
    be->ema(be, a, s, 3, &clocked, 2);
    be->polyak(be, b, s, 3, (float)pow(5.0, -0.75));
    test_close("ema update 5 (step 2 + step_add 3) = polyak with tau 5^-0.75", a, b, 3, 0, 0);
    const rise_ema_hparams fixed = {0.75f, 0.0f, NULL};
    memcpy(a, t0, sizeof a), memcpy(b, t0, sizeof b);
    be->ema(be, a, s, 3, &fixed, 9);
    be->polyak(be, b, s, 3, 0.25f);
    test_close("ema power 0 = polyak with tau 1 - max_decay", a, b, 3, 0, 0);
}

static void test_matches_ref(int threads) {
    omp_set_num_threads(threads);
    const size_t n = 100003;
    float *g = malloc(n * 4), *p[2], *m[2], *v[2];
    for (int k = 0; k < 2; ++k) {
        p[k] = malloc(n * 4), m[k] = calloc(n, 4), v[k] = calloc(n, 4);
        test_fill_random(p[k], n, 91, -1, 1);
    }
    test_fill_random(g, n, 92, -1, 1);
    const rise_adam_hparams hp = {1e-3f, 0.9f, 0.999f, 1e-8f, 1e-4f, 1.0f, NULL};
    const float gsum = 12345.0f;
    for (int step = 1; step <= 2; ++step) {
        be->adam(be, p[0], g, m[0], v[0], n, &hp, step, &gsum);
        adam_ref(p[1], g, m[1], v[1], n, &hp, step, &gsum);
    }
    TEST_CHECK(memcmp(p[0], p[1], n * 4) == 0 && memcmp(m[0], m[1], n * 4) == 0 &&
                   memcmp(v[0], v[1], n * 4) == 0,
               "adam large == ref (%d threads)", threads);
    be->polyak(be, p[0], g, n, 0.005f), polyak_ref(p[1], g, n, 0.005f);
    TEST_CHECK(memcmp(p[0], p[1], n * 4) == 0, "polyak large == ref (%d threads)", threads);
    for (int k = 0; k < 2; ++k) free(p[k]), free(m[k]), free(v[k]);
    free(g);
}

static void test_edge_rules(void) {
    const float nan = NAN, inf = INFINITY, zero = 0.0f, four = 4.0f;
    TEST_CHECK(adam_clip_factor(1.0f, &nan) == 1.0f, "NaN norm: no clipping (the NaN stays)");
    TEST_CHECK(adam_clip_factor(1.0f, &inf) == 0.0f, "infinite norm: gradient scaled to 0");
    TEST_CHECK(adam_clip_factor(1.0f, &zero) == 1.0f && adam_clip_factor(0.0f, &four) == 1.0f &&
                   adam_clip_factor(1.0f, NULL) == 1.0f,
               "no clipping for a zero norm, max_grad_norm 0 or no norm");
    TEST_CHECK(adam_clip_factor(1.0f, &four) == (float)(1.0 / (2.0 + 1e-6)),
               "clip = 1 / (2 + 1e-6)");
    const uint64_t add = 2;
    TEST_CHECK(adam_inv_bias_correction(0.5f, 1, &add) == (float)(1.0 / (1.0 - 0.125)),
               "bias correction at t = step + step_add");
    rise_adam_hparams hp = {0.1f, 0.9f, 0.999f, 1e-8f, 0.0f, 0.0f, NULL};
    float p[2] = {1, 2}, g[2] = {1, 1}, m[2] = {0}, v[2] = {0};
    TEST_EXPECT_ABORT("adam step 0", be->adam(be, p, g, m, v, 2, &hp, 0, NULL));
    hp.beta1 = 1.0f;
    TEST_EXPECT_ABORT("adam beta1 = 1", adam_ref(p, g, m, v, 2, &hp, 1, NULL));
    hp.beta1 = 0.9f, hp.beta2 = -0.1f;
    TEST_EXPECT_ABORT("adam beta2 < 0", be->adam(be, p, g, m, v, 2, &hp, 1, NULL));
}

int main(void) {
    be = test_backend_or_skip("ref");
    test_two_steps();
    test_adamw();
    test_clipping();
    test_polyak();
    test_ema();
    test_matches_ref(1);
    test_matches_ref(3);
    test_edge_rules();
    rise_backend_destroy(be);
    return test_finish();
}
