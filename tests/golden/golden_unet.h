/* golden_unet.h - the conditional U-Net's forward and backward against PyTorch
 * (tests/golden/unet.txt from make_golden_unet.py) on a named backend; shared by the CPU
 * test and the CUDA one. Every parameter is uploaded from the file by name, so a wrong
 * layout, a missing term or a misplaced skip shows in y, in a gradient or in dL/dcond.
 * Tolerances: the reference runs in float64; the C code in float32 through a dozen
 * layers, so atol 2e-5 / rtol 1e-4 on y and 1e-4 / 1e-3 on gradients (whose sums run
 * over B T terms). A negative control checks the file can tell FiLM's scale and bias apart
 * (the output with them swapped is far outside the tolerance). */
#ifndef RISE_GOLDEN_UNET_H
#define RISE_GOLDEN_UNET_H

#include "golden/golden_file.h"
#include "unet_harness.h"

static float *golden_unet_download(rise_backend *be, const float *d, size_t n) {
    float *h = malloc(sizeof(float) * n);
    be->download(be, h, d, sizeof(float) * n);
    return h;
}

static int golden_unet_main(const char *backend) {
    char path[512];
    golden_path(path, sizeof path, "unet.txt");
    golden_file gf;
    if (golden_load(&gf, path)) return 1;
    rise_backend *be = test_backend_or_skip(backend);
    tunet n;
    tunet_spec s = tunet_small();
    if (!tunet_build(&n, be, &s)) return 1;
    const size_t nc = (size_t)s.batch * s.cfg.cond_dim;
    const struct {
        const char *name;
        float *dst;
        size_t n;
    } inputs[] = {
        {"x", n.x, n.nx}, {"k", n.k, (size_t)s.batch}, {"cond", n.cond, nc}, {"r", n.dy, n.ny}};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; ++i) {
        const golden_array *a = golden_find(&gf, inputs[i].name);
        TEST_CHECK(a && a->n == inputs[i].n, "golden %s: missing or %zu values (want %zu)",
                   inputs[i].name, a ? a->n : 0, inputs[i].n);
        if (a && a->n == inputs[i].n) be->upload(be, inputs[i].dst, a->data, sizeof(float) * a->n);
    }
    int found = 0;
    for (int i = 0; i < n.p.count; ++i) {
        const rise_param_tensor *t = &n.p.tensors[i];
        char key[160];
        snprintf(key, sizeof key, "p.%s", t->name);
        const golden_array *a = golden_find(&gf, key);
        TEST_CHECK(a && a->n == t->numel, "golden %s: missing or %zu values (C has %zu)", key,
                   a ? a->n : 0, t->numel);
        if (a && a->n == t->numel) {
            rise_params_upload(&n.p, RISE_SLOT_VALUE, t->name, a->data, a->n);
            ++found;
        }
    }
    int in_file = 0;
    for (int i = 0; i < gf.count; ++i) in_file += strncmp(gf.arrays[i].name, "p.", 2) == 0;
    TEST_CHECK(found == in_file, "C registers %d of the file's %d parameters", found, in_file);

    rise_params_zero_grad(&n.p);
    tunet_forward(&n);
    tunet_backward(&n);
    float *y = golden_unet_download(be, n.y, n.ny);
    const golden_array *ya = golden_find(&gf, "y");
    if (ya && ya->n == n.ny) test_close("unet golden y", y, ya->data, n.ny, 2e-5, 1e-4);
    float *dc = golden_unet_download(be, n.dcond, nc);
    const golden_array *da = golden_find(&gf, "dcond");
    if (da && da->n == nc) test_close("unet golden dL/dcond", dc, da->data, nc, 1e-4, 1e-3);
    float *g = golden_unet_download(be, n.p.grad, n.p.size);
    int grads_ok = 1;
    for (int i = 0; i < n.p.count; ++i) {
        const rise_param_tensor *t = &n.p.tensors[i];
        char key[160];
        snprintf(key, sizeof key, "g.%s", t->name);
        const golden_array *a = golden_find(&gf, key);
        if (!a || a->n != t->numel) {
            TEST_CHECK(0, "golden %s missing", key);
            continue;
        }
        snprintf(key, sizeof key, "unet golden grad %s", t->name);
        const int before = test_failed_count;
        test_close(key, g + t->offset, a->data, t->numel, 1e-4, 1e-3);
        if (test_failed_count != before) grads_ok = 0;
    }
    TEST_CHECK(grads_ok, "every parameter gradient matches PyTorch");

    /* negative control: FiLM's scale and bias swapped in one block must be visible */
    const rise_param_tensor *fw = rise_params_tensor(&n.p, "net.mid.res0.film.w");
    const rise_param_tensor *fb = rise_params_tensor(&n.p, "net.mid.res0.film.b");
    if (fw && fb) {
        const int in = fw->shape[0], out = fw->shape[1], co = out / 2;
        float *hw = malloc(sizeof(float) * fw->numel), *hb = malloc(sizeof(float) * fb->numel);
        rise_params_download(&n.p, RISE_SLOT_VALUE, fw->name, hw, fw->numel);
        rise_params_download(&n.p, RISE_SLOT_VALUE, fb->name, hb, fb->numel);
        for (int r = 0; r < in; ++r)
            for (int c = 0; c < co; ++c) {
                const float tmp = hw[r * out + c];
                hw[r * out + c] = hw[r * out + co + c];
                hw[r * out + co + c] = tmp;
            }
        for (int c = 0; c < co; ++c) {
            const float tmp = hb[c];
            hb[c] = hb[co + c];
            hb[co + c] = tmp;
        }
        rise_params_upload(&n.p, RISE_SLOT_VALUE, fw->name, hw, fw->numel);
        rise_params_upload(&n.p, RISE_SLOT_VALUE, fb->name, hb, fb->numel);
        tunet_forward(&n);
        float *ys = golden_unet_download(be, n.y, n.ny);
        double worst = 0;
        for (size_t i = 0; ya && i < n.ny; ++i) {
            const double d = fabs(ys[i] - ya->data[i]);
            if (d > worst) worst = d;
        }
        TEST_CHECK(worst > 100 * (2e-5 + 1e-4), "swapping FiLM scale and bias moves y by only %g",
                   worst);
        free(hw), free(hb), free(ys);
    }
    free(y), free(dc), free(g);
    tunet_free(&n);
    be->destroy(be);
    golden_free(&gf);
    return test_finish();
}

#endif
