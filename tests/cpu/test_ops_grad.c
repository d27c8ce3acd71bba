/* test_ops_grad.c - hand-computed values and finite-difference gradients of
 * every differentiable op on the CPU backend: activations, LayerNorm, MSE,
 * expectile, frequency embedding, spectral norm, bias. */
#include "kernels/activation.h"
#include "test_util.h"

static rise_backend *be;

/* Probe loss L = sum_i w_i y_i; central differences in x. */
typedef void (*fwd_fn)(const float *x, float *y, void *ctx);

static void fd_grad(fwd_fn f, void *ctx, float *x, size_t nx, const float *w, size_t ny,
                    float eps, float *g) {
    float *y = malloc(ny * sizeof(float));
    for (size_t i = 0; i < nx; ++i) {
        const float keep = x[i];
        double lp = 0, lm = 0;
        x[i] = keep + eps;
        f(x, y, ctx);
        for (size_t j = 0; j < ny; ++j) lp += (double)w[j] * y[j];
        x[i] = keep - eps;
        f(x, y, ctx);
        for (size_t j = 0; j < ny; ++j) lm += (double)w[j] * y[j];
        x[i] = keep;
        g[i] = (float)((lp - lm) / (2.0 * eps));
    }
    free(y);
}

/* ---- activations ---- */
static rise_act cur_act;
static void act_fwd(const float *x, float *y, void *ctx) { be->act_forward(be, cur_act, y, x, 40); }

static void test_activations(void) {
    /* hand values */
    TEST_CHECK(fabsf(act_value_ref(RISE_ACT_MISH, 1.0f) - 0.8650984f) < 1e-6f, "mish(1)");
    TEST_CHECK(fabsf(act_value_ref(RISE_ACT_GELU, 1.0f) - 0.8411920f) < 1e-6f, "gelu_tanh(1)");
    TEST_CHECK(fabsf(act_value_ref(RISE_ACT_SILU, 1.0f) - 0.7310586f) < 1e-6f, "silu(1)");
    TEST_CHECK(act_value_ref(RISE_ACT_RELU, -2.0f) == 0.0f && act_value_ref(RISE_ACT_RELU, 2.0f) == 2.0f, "relu");
    TEST_CHECK(fabsf(act_value_ref(RISE_ACT_MISH, 100.0f) - 100.0f) < 1e-4f, "mish large x finite");
    TEST_CHECK(act_parse("mish") == RISE_ACT_MISH && act_parse("nope") == -1, "act_parse");
    float x[40], w[40], dy[40], dx[40], fd[40];
    test_fill_random(x, 40, 1, -3.0f, 3.0f);
    for (int i = 0; i < 40; ++i) if (fabsf(x[i]) < 0.05f) x[i] = 0.5f; /* keep relu's kink away */
    test_fill_random(w, 40, 2, -1.0f, 1.0f);
    for (int a = 0; a < RISE_ACT_COUNT; ++a) {
        cur_act = (rise_act)a;
        memcpy(dy, w, sizeof dy);
        be->act_backward(be, cur_act, dx, dy, x, 40, 0);
        fd_grad(act_fwd, NULL, x, 40, w, 40, 1e-3f, fd);
        char name[64];
        snprintf(name, sizeof name, "%s backward vs finite differences", act_name(cur_act));
        test_close(name, dx, fd, 40, 2e-3, 1e-2);
        float dx2[40];
        memcpy(dx2, dx, sizeof dx2);
        be->act_backward(be, cur_act, dx2, dy, x, 40, 1);
        for (int i = 0; i < 40; ++i) dx[i] *= 2.0f;
        test_close("act_backward accumulate doubles", dx2, dx, 40, 1e-6, 1e-6);
    }
}

/* ---- LayerNorm ---- */
enum { LR = 3, LC = 7 };
static float ln_gamma[LC], ln_beta[LC];
static void ln_fwd_x(const float *x, float *y, void *ctx) {
    float mean[LR], rstd[LR];
    be->layernorm_forward(be, y, mean, rstd, x, ln_gamma, ln_beta, LR, LC, 1e-5f);
}
static const float *ln_x_fixed;
static void ln_fwd_gamma(const float *g, float *y, void *ctx) {
    float mean[LR], rstd[LR];
    be->layernorm_forward(be, y, mean, rstd, ln_x_fixed, g, ln_beta, LR, LC, 1e-5f);
}
static void ln_fwd_beta(const float *b, float *y, void *ctx) {
    float mean[LR], rstd[LR];
    be->layernorm_forward(be, y, mean, rstd, ln_x_fixed, ln_gamma, b, LR, LC, 1e-5f);
}

static void test_layernorm(void) {
    /* hand case: row [1,2,3,4], mean 2.5, var 1.25 */
    const float x4[4] = {1, 2, 3, 4};
    float y4[4], m, r;
    be->layernorm_forward(be, y4, &m, &r, x4, NULL, NULL, 1, 4, 0.0f);
    const float k = 1.0f / sqrtf(1.25f);
    const float ref4[4] = {-1.5f * k, -0.5f * k, 0.5f * k, 1.5f * k};
    test_close("layernorm hand case", y4, ref4, 4, 1e-6, 1e-6);
    TEST_CHECK(fabsf(m - 2.5f) < 1e-7f && fabsf(r - k) < 1e-6f, "layernorm saved stats");

    float x[LR * LC], w[LR * LC], y[LR * LC], mean[LR], rstd[LR], dx[LR * LC], fd[LR * LC];
    float dg[LC] = {0}, db[LC] = {0}, fdg[LC], fdb[LC];
    test_fill_random(x, LR * LC, 3, -2.0f, 2.0f);
    test_fill_random(w, LR * LC, 4, -1.0f, 1.0f);
    test_fill_random(ln_gamma, LC, 5, 0.5f, 1.5f);
    test_fill_random(ln_beta, LC, 6, -0.5f, 0.5f);
    be->layernorm_forward(be, y, mean, rstd, x, ln_gamma, ln_beta, LR, LC, 1e-5f);
    be->layernorm_backward(be, dx, dg, db, w, x, mean, rstd, ln_gamma, LR, LC, 0);
    fd_grad(ln_fwd_x, NULL, x, LR * LC, w, LR * LC, 1e-3f, fd);
    test_close("layernorm dx vs FD", dx, fd, LR * LC, 2e-3, 1e-2);
    ln_x_fixed = x;
    fd_grad(ln_fwd_gamma, NULL, ln_gamma, LC, w, LR * LC, 1e-3f, fdg);
    fd_grad(ln_fwd_beta, NULL, ln_beta, LC, w, LR * LC, 1e-3f, fdb);
    test_close("layernorm dgamma vs FD", dg, fdg, LC, 2e-3, 1e-2);
    test_close("layernorm dbeta vs FD", db, fdb, LC, 2e-3, 1e-2);
    be->layernorm_backward(be, dx, dg, db, w, x, mean, rstd, ln_gamma, LR, LC, 1);
    for (int i = 0; i < LC; ++i) fdg[i] *= 2.0f;
    test_close("layernorm dgamma accumulates", dg, fdg, LC, 4e-3, 1e-2);
}

/* ---- losses ---- */
static void test_losses(void) {
    const float pred[3] = {1, 2, 3}, target[3] = {0, 2, 5}, wt[3] = {1, 1, 0.5f};
    float loss, d[3];
    be->mse(be, &loss, d, pred, target, NULL, 3, 1.0f);
    TEST_CHECK(fabsf(loss - 5.0f / 3.0f) < 1e-6f, "mse hand value %g", loss);
    const float dref[3] = {2.0f / 3, 0, -4.0f / 3};
    test_close("mse gradient", d, dref, 3, 1e-6, 1e-6);
    be->mse(be, &loss, d, pred, target, wt, 3, 2.0f);
    TEST_CHECK(fabsf(loss - 2.0f * (1 + 0.5f * 4) / 3) < 1e-6f, "weighted, scaled mse %g", loss);

    /* expectile tau 0.9: u = q - v = {1, -2} -> weights {0.9, 0.1} */
    const float q[2] = {3, 0}, v[2] = {2, 2};
    float dv[2];
    be->expectile(be, &loss, dv, q, v, 2, 0.9f, 1.0f);
    TEST_CHECK(fabsf(loss - (0.9f * 1 + 0.1f * 4) / 2) < 1e-6f, "expectile hand value %g", loss);
    const float dvref[2] = {-0.9f, 0.2f}; /* -2 w u / n */
    test_close("expectile gradient", dv, dvref, 2, 1e-6, 1e-6);
    /* FD of the expectile loss wrt v */
    float vv[5], qq[5], g[5], fd[5];
    test_fill_random(vv, 5, 7, -1, 1);
    test_fill_random(qq, 5, 8, -1, 1);
    be->expectile(be, &loss, g, qq, vv, 5, 0.7f, 1.5f);
    for (int i = 0; i < 5; ++i) {
        float lp, lm, keep = vv[i];
        vv[i] = keep + 1e-3f;
        be->expectile(be, &lp, NULL, qq, vv, 5, 0.7f, 1.5f);
        vv[i] = keep - 1e-3f;
        be->expectile(be, &lm, NULL, qq, vv, 5, 0.7f, 1.5f);
        vv[i] = keep;
        fd[i] = (lp - lm) / 2e-3f;
    }
    test_close("expectile dv vs FD", g, fd, 5, 2e-3, 1e-2);

    const float r[3] = {1, 0, 1}, done[3] = {0, 1, 0}, vn[3] = {2, 5, -1};
    float y[3];
    be->td_target(be, y, r, done, vn, 3, 0.99f);
    const float yref[3] = {1 + 0.99f * 2, 0, 1 - 0.99f};
    test_close("td target", y, yref, 3, 1e-6, 1e-6);
}

/* ---- time embedding ---- */
static float te_t[4];
static void te_fwd(const float *f, float *y, void *ctx) { be->freq_embed_forward(be, y, te_t, f, 4, 3); }

static void test_time_embed(void) {
    const float t1 = 2.0f, f1[2] = {0.5f, 1.0f};
    float y[4];
    be->freq_embed_forward(be, y, &t1, f1, 1, 2);
    const float yref[4] = {sinf(1.0f), sinf(2.0f), cosf(1.0f), cosf(2.0f)};
    test_close("freq embed hand case", y, yref, 4, 1e-6, 1e-6);
    float f[3], w[24], df[3] = {0}, fd[3];
    test_fill_random(te_t, 4, 9, 0, 5);
    test_fill_random(f, 3, 10, -1, 1);
    test_fill_random(w, 24, 11, -1, 1);
    be->freq_embed_backward(be, df, w, te_t, f, 4, 3);
    fd_grad(te_fwd, NULL, f, 3, w, 24, 1e-3f, fd);
    test_close("freq embed df vs FD", df, fd, 3, 5e-3, 1e-2);
}

/* ---- spectral norm ---- */
static void test_spectral_norm(void) {
    /* diag(3, -5, 1) padded to 3x4: sigma 5 with singular vectors e_1 */
    float w[12] = {3, 0, 0, 0, 0, -5, 0, 0, 0, 0, 1, 0};
    float u[3] = {0.6f, 0.5f, 0.62f}, v[4], sigma;
    be->spectral_norm_forward(be, &sigma, u, v, w, 3, 4, 50);
    TEST_CHECK(fabsf(sigma - 5.0f) < 1e-4f, "sigma of diagonal %g", sigma);
    /* rank one a b^T: sigma = |a| |b| in one iteration */
    const float a[3] = {1, 2, 2}, b[2] = {3, 4};
    float r1[6];
    for (int i = 0; i < 3; ++i) for (int j = 0; j < 2; ++j) r1[i * 2 + j] = a[i] * b[j];
    float u1[3] = {1, 0, 0}, v1[2];
    be->spectral_norm_forward(be, &sigma, u1, v1, r1, 3, 2, 1);
    TEST_CHECK(fabsf(sigma - 15.0f) < 1e-4f, "sigma of rank one %g", sigma);

    /* gradient: d sigma / dW = u v^T, checked by FD with converged iterations */
    enum { R = 5, C = 4 };
    float W[R * C], uu[R], vv[C], s, dW[R * C] = {0}, fd[R * C];
    test_fill_random(W, R * C, 12, -1, 1);
    for (int i = 0; i < R; ++i) uu[i] = 1.0f;
    be->spectral_norm_forward(be, &s, uu, vv, W, R, C, 200);
    be->spectral_norm_backward(be, dW, &s, uu, vv, R, C, 1.0f, 0);
    for (int i = 0; i < R * C; ++i) {
        float keep = W[i], sp, sm, up[R], vp[C];
        W[i] = keep + 1e-3f;
        memcpy(up, uu, sizeof up);
        be->spectral_norm_forward(be, &sp, up, vp, W, R, C, 200);
        W[i] = keep - 1e-3f;
        memcpy(up, uu, sizeof up);
        be->spectral_norm_forward(be, &sm, up, vp, W, R, C, 200);
        W[i] = keep;
        fd[i] = (sp - sm) / 2e-3f;
    }
    test_close("d sigma / dW vs FD", dW, fd, R * C, 3e-3, 2e-2);
    /* squared form: lambda * 2 sigma u v^T, accumulated */
    float dW2[R * C];
    memcpy(dW2, dW, sizeof dW2);
    be->spectral_norm_backward(be, dW2, &s, uu, vv, R, C, 0.5f, 1);
    for (int i = 0; i < R * C; ++i) fd[i] = dW[i] * (1.0f + s);
    test_close("squared spectral penalty gradient", dW2, fd, R * C, 1e-5, 1e-5);
}

/* ---- bias ---- */
static void test_bias(void) {
    /* E=2, B=2, N=3 */
    float y[12] = {0}, bias[6] = {1, 2, 3, 4, 5, 6}, db[6] = {0};
    be->bias_add(be, y, bias, 2, 2, 3);
    const float yref[12] = {1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6};
    test_close("bias_add per member", y, yref, 12, 0, 0);
    be->bias_grad(be, db, yref, 2, 2, 3);
    const float dbref[6] = {2, 4, 6, 8, 10, 12};
    test_close("bias_grad sums rows per member", db, dbref, 6, 0, 0);
}

int main(void) {
    be = test_backend_or_skip("cpu");
    test_activations();
    test_layernorm();
    test_losses();
    test_time_embed();
    test_spectral_norm();
    test_bias();
    rise_backend_destroy(be);
    return test_finish();
}
