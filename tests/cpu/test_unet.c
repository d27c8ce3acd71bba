/* test_unet.c - the conditional 1-D U-Net on the CPU backend: every parameter's gradient
 * and the condition's gradient against central finite differences of L = sum r y (two and
 * three levels), batch items independent of each other (GroupNorm is per sample), the
 * parameter count of the paper's configuration, and configuration errors that name the
 * field. Run: ctest -R test_unet. */
#include "unet_harness.h"

#define PAPER_UNET_PARAMS 65878279

static double loss_of(tunet *n, const float *r) {
    tunet_forward(n);
    double l = 0;
    for (size_t i = 0; i < n->ny; ++i) l += (double)r[i] * n->y[i];
    return l;
}

/* Every `stride`-th parameter (and every condition entry) by central differences. */
static void check_grads(const tunet_spec *s, const char *label, size_t stride) {
    rise_status st;
    rise_backend *be = rise_backend_create("cpu", &st);
    tunet n;
    if (!tunet_build(&n, be, s)) {
        TEST_CHECK(0, "%s: build failed", label);
        return;
    }
    const float *r = n.dy;
    rise_params_zero_grad(&n.p);
    tunet_forward(&n);
    tunet_backward(&n);
    const size_t P = n.p.size;
    const float h = 2e-3f;
    size_t checked = 0, bad = 0;
    double worst = 0;
    char worst_name[200] = "";
    for (int ti = 0; ti < n.p.count; ++ti) {
        const rise_param_tensor *t = &n.p.tensors[ti];
        for (size_t e = 0; e < t->numel; e += stride) {
            float *v = n.p.value + t->offset + e;
            const float keep = *v;
            *v = keep + h;
            const double lp = loss_of(&n, r);
            *v = keep - h;
            const double lm = loss_of(&n, r);
            *v = keep;
            const double fd = (lp - lm) / (2 * h), an = n.p.grad[t->offset + e];
            const double err = fabs(fd - an) / (2e-3 + 2e-2 * fabs(fd));
            ++checked;
            if (err > 1) ++bad;
            if (err > worst) {
                worst = err;
                snprintf(worst_name, sizeof worst_name, "%s[%zu] fd %.6g analytic %.6g", t->name, e,
                         fd, an);
            }
        }
    }
    TEST_CHECK(bad == 0, "%s: %zu of %zu parameter gradients off (worst %s)", label, bad, checked,
               worst_name);
    (void)P;
    /* the condition's gradient (the observation features' path to the code MLP) */
    const size_t nc = (size_t)s->batch * s->cfg.cond_dim;
    float *fdc = malloc(sizeof(float) * nc);
    for (size_t i = 0; i < nc; ++i) {
        const float keep = n.cond[i];
        n.cond[i] = keep + h;
        const double lp = loss_of(&n, r);
        n.cond[i] = keep - h;
        const double lm = loss_of(&n, r);
        n.cond[i] = keep;
        fdc[i] = (float)((lp - lm) / (2 * h));
    }
    char name[96];
    snprintf(name, sizeof name, "%s: dL/dcond", label);
    test_close(name, n.dcond, fdc, nc, 2e-3, 2e-2);
    free(fdc);
    /* batch item 0's output does not depend on item 1's input */
    tunet_forward(&n);
    float y0[64];
    const size_t row = (size_t)s->cfg.horizon * s->cfg.act_dim;
    memcpy(y0, n.y, sizeof(float) * row);
    for (size_t i = row; i < 2 * row; ++i) n.x[i] += 0.7f;
    tunet_forward(&n);
    snprintf(name, sizeof name, "%s: batch items independent", label);
    test_close(name, n.y, y0, row, 0, 0);
    tunet_free(&n);
    be->destroy(be);
}

static void check_paper_size(void) {
    /* ConditionalUnet1D(input_dim=7, global_cond_dim=2*23, down_dims [256,512,1024], K 5,
     * dsed 256), the paper's square configuration, has 65,878,279 parameters in PyTorch
     * (tests/golden/make_golden_unet.py prints the count; unet.txt's paper.numel). */
    rise_unet_config c = rise_unet_config_default();
    c.act_dim = 7;
    c.horizon = 16;
    c.cond_dim = 46;
    rise_params p;
    rise_params_init(&p);
    rise_unet u;
    TEST_CHECK(rise_unet_register(&u, &p, "policy", &c) == RISE_OK, "paper unet: %s",
               rise_last_error());
    const size_t numel = rise_params_numel(&p);
    TEST_CHECK(numel == PAPER_UNET_PARAMS, "paper unet has %zu parameters, PyTorch says %d", numel,
               PAPER_UNET_PARAMS);
    rise_params_free(&p);
}

static void check_errors(void) {
    rise_unet_config c = tunet_small().cfg;
    c.horizon = 6;
    c.n_levels = 3;
    c.down_dims[2] = 16;
    TEST_CHECK(rise_unet_config_check(&c) != RISE_OK && strstr(rise_last_error(), "divisible"),
               "horizon 6 with 3 levels: %s", rise_last_error());
    c = tunet_small().cfg;
    c.down_dims[1] = 18;
    TEST_CHECK(rise_unet_config_check(&c) != RISE_OK &&
                   strstr(rise_last_error(), "policy.unet_down_dims[1]"),
               "dims not a multiple of the groups: %s", rise_last_error());
    c = tunet_small().cfg;
    c.kernel = 4;
    TEST_CHECK(rise_unet_config_check(&c) != RISE_OK && strstr(rise_last_error(), "odd"),
               "even kernel: %s", rise_last_error());
}

int main(void) {
    tunet_spec s = tunet_small();
    check_grads(&s, "unet 2 levels", 1);
    s.cfg.n_levels = 3;
    s.cfg.down_dims[0] = 8;
    s.cfg.down_dims[1] = 8;
    s.cfg.down_dims[2] = 12;
    s.cfg.kernel = 5;
    s.batch = 2;
    check_grads(&s, "unet 3 levels, K 5", 3);
    check_paper_size();
    check_errors();
    return test_finish();
}
