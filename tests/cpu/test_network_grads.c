/* test_network_grads.c - whole-network finite-difference gradient checks on the CPU backend.
 *
 * Run: ctest -R test_network_grads (or ./test_network_grads from tests/).
 * For every configuration in tests/net_harness.h (MLP with LayerNorm and each activation,
 * tanh output, ensembles E=2 with shared and per-member input, dropout with a fixed rng so the
 * mask is fixed, LN-ResNet with/without LayerNorm and dropout, learned-Fourier and sinusoidal
 * time embeddings feeding an LN-ResNet) the scalar L = sum_i r_i y_i (r fixed, so dL/dy = r)
 * is differentiated by central differences in float32 with the loss summed in double, and
 * compared with backward's gradient for EVERY element of EVERY parameter tensor and of the
 * input x:  |fd - analytic| <= FD_ATOL * max(1, max|analytic| of the tensor) + FD_RTOL |analytic|.
 * Also: parameter gradients accumulate (+=) across two backward passes; eval mode ignores
 * dropout; train-mode dropout changes the output; sinusoidal embedding values by hand. */
#include "net_harness.h"

#define FD_STEP 2e-3f
#define FD_ATOL 5e-4
#define FD_RTOL 5e-3

static float *host_dy; /* r of the net being checked */

static double loss_of(tnet *n) {
    tnet_run(n, &n->arena, 0);
    float *y = test_from_backend(n->be, n->y, n->ny);
    double l = 0.0;
    for (size_t i = 0; i < n->ny; ++i) l += (double)host_dy[i] * y[i];
    free(y);
    return l;
}

/* Central differences of L over the n floats at dev (backend memory, host-addressable
 * on the CPU backend but moved with upload/download so the code is backend-neutral). */
static void finite_diff(tnet *n, float *dev, size_t count, float *fd) {
    rise_backend *be = n->be;
    for (size_t j = 0; j < count; ++j) {
        float v;
        be->download(be, &v, dev + j, sizeof v);
        const float vp = v + FD_STEP, vm = v - FD_STEP;
        be->upload(be, dev + j, &vp, sizeof vp);
        const double lp = loss_of(n);
        be->upload(be, dev + j, &vm, sizeof vm);
        const double lm = loss_of(n);
        be->upload(be, dev + j, &v, sizeof v);
        fd[j] = (float)((lp - lm) / ((double)vp - (double)vm));
    }
}

static double max_abs(const float *x, size_t n) {
    double m = 0.0;
    for (size_t i = 0; i < n; ++i) m = fabs(x[i]) > m ? fabs(x[i]) : m;
    return m;
}

static void check_spec(rise_backend *be, const tnet_spec *s) {
    tnet n;
    tnet_build(&n, be, s);
    host_dy = test_from_backend(be, n.dy, n.ny);
    tnet_grads(&n);
    float *grad = test_from_backend(be, n.p.grad, n.p.size);
    float *dx = test_from_backend(be, n.dx, n.nx);
    char label[160];
    double worst = 0.0;
    for (int i = 0; i < n.p.count; ++i) {
        const rise_param_tensor *t = &n.p.tensors[i];
        float *fd = malloc(t->numel * sizeof(float));
        finite_diff(&n, n.p.value + t->offset, t->numel, fd);
        const float *an = grad + t->offset;
        const double scale = max_abs(an, t->numel) > 1.0 ? max_abs(an, t->numel) : 1.0;
        snprintf(label, sizeof label, "%s: d/d %s", s->label, t->name);
        test_close(label, fd, an, t->numel, FD_ATOL * scale, FD_RTOL);
        for (size_t k = 0; k < t->numel; ++k) {
            const double e = fabs(fd[k] - an[k]) / (scale + fabs(an[k]));
            worst = e > worst ? e : worst;
        }
        TEST_CHECK(max_abs(an, t->numel) > 0.0, "%s: gradient of %s is all zero", s->label,
                   t->name);
        free(fd);
    }
    float *fdx = malloc(n.nx * sizeof(float));
    finite_diff(&n, n.x, n.nx, fdx);
    snprintf(label, sizeof label, "%s: d/dx", s->label);
    const double sx = max_abs(dx, n.nx) > 1.0 ? max_abs(dx, n.nx) : 1.0;
    test_close(label, fdx, dx, n.nx, FD_ATOL * sx, FD_RTOL);
    TEST_CHECK(max_abs(dx, n.nx) > 0.0, "%s: dx is all zero", s->label);
    printf("%-48s %2d tensors %5zu params  worst scaled FD error %.2e\n", s->label, n.p.count,
           rise_params_numel(&n.p), worst);

    /* Parameter gradients accumulate: a second backward without zeroing doubles them. */
    tnet_run(&n, &n.arena, 1);
    float *grad2 = test_from_backend(be, n.p.grad, n.p.size);
    for (size_t k = 0; k < n.p.size; ++k) grad[k] *= 2.0f;
    snprintf(label, sizeof label, "%s: grads accumulate", s->label);
    test_close(label, grad2, grad, n.p.size, 1e-6, 1e-5);
    free(grad2);
    free(fdx);
    free(grad);
    free(dx);
    free(host_dy);
    tnet_free(&n);
}

/* Eval mode must ignore dropout; train mode must apply it. */
static void check_dropout_modes(rise_backend *be, const tnet_spec *with_dropout) {
    tnet_spec plain = *with_dropout;
    plain.mlp_cfg.dropout = 0.0f;
    plain.res_cfg.dropout = 0.0f;
    plain.train = 0;
    tnet_spec eval = *with_dropout;
    eval.train = 0;
    tnet a, b, c;
    tnet_build(&a, be, &plain);
    tnet_build(&b, be, &eval);
    tnet_build(&c, be, with_dropout);
    tnet_run(&a, &a.arena, 0);
    tnet_run(&b, &b.arena, 0);
    tnet_run(&c, &c.arena, 0);
    float *ya = test_from_backend(be, a.y, a.ny), *yb = test_from_backend(be, b.y, b.ny),
          *yc = test_from_backend(be, c.y, c.ny);
    TEST_CHECK(memcmp(ya, yb, a.ny * sizeof(float)) == 0,
               "%s: eval mode output differs from the same net without dropout",
               with_dropout->label);
    TEST_CHECK(memcmp(ya, yc, a.ny * sizeof(float)) != 0,
               "%s: train-mode dropout left the output unchanged", with_dropout->label);
    free(ya);
    free(yb);
    free(yc);
    tnet_free(&a);
    tnet_free(&b);
    tnet_free(&c);
}

/* y = [sin(t f_i), cos(t f_i)], f_i = max_period^(-i/(F-1)), computed by hand. */
static void check_sinusoidal_values(rise_backend *be) {
    rise_time_embedding te;
    rise_time_embedding_config c = rise_time_embedding_config_default();
    c.kind = RISE_TIME_SINUSOIDAL;
    c.n_freq = 4;
    c.max_period = 1000.0f;
    TEST_CHECK(rise_time_embedding_register(&te, NULL, "t", &c) == RISE_OK, "register: %s",
               rise_last_error());
    TEST_CHECK(rise_time_embedding_setup(&te, be) == RISE_OK, "setup: %s", rise_last_error());
    const float t[2] = {0.5f, 7.0f};
    const double f[4] = {1.0, 0.1, 0.01, 0.001}; /* 1000^(-i/3) */
    float ref[16];
    for (int b = 0; b < 2; ++b)
        for (int i = 0; i < 4; ++i) {
            ref[b * 8 + i] = (float)sin(t[b] * f[i]);
            ref[b * 8 + 4 + i] = (float)cos(t[b] * f[i]);
        }
    float *dt = test_to_backend(be, t, 2), *dy = test_to_backend(be, ref, 16);
    rise_time_embedding_forward(&te, be, NULL, dy, dt, 2);
    float *y = test_from_backend(be, dy, 16);
    test_close("sinusoidal embedding values", y, ref, 16, 1e-6, 1e-5);
    free(y);
    be->free(be, dt);
    be->free(be, dy);
    rise_time_embedding_free(&te);
}

int main(void) {
    rise_backend *be = test_backend_or_skip("ref");
    tnet_spec specs[16];
    const int count = tnet_standard_specs(specs);
    for (int i = 0; i < count; ++i) check_spec(be, &specs[i]);
    for (int i = 0; i < count; ++i)
        if (specs[i].train) check_dropout_modes(be, &specs[i]);
    check_sinusoidal_values(be);
    rise_backend_destroy(be);
    return test_finish();
}
