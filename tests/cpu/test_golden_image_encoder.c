/* test_golden_image_encoder.c - the image encoder (algorithms/image_encoder.h) against
 * PyTorch: robomimic's VisualCore with a two-block conv trunk (image_encoder.txt) and with a
 * two-stage ResNet trunk built by torchvision's own ResNet code with GroupNorm
 * (resnet_encoder.txt), both written by tests/golden/make_golden_image_encoder.py with
 * robomimic's SpatialSoftmax. Every parameter is uploaded by name from the file; the
 * keypoints, the features, every parameter's gradient and dL/dx must agree (the reference in
 * float64: atol 2e-5 / rtol 1e-4 forward, 1e-4 / 1e-3 gradients). A negative control: the
 * keypoints with x and y swapped (the other convention for the pair order) are far outside
 * the tolerance, so the file tells the conventions apart. CPU and reference backends. And
 * rise's ResNet-18 (channels 64..512, 2 blocks, 16 channels per group, a 76x76 crop)
 * registers exactly the tensors of torchvision's resnet18 without fc, shape for shape.
 * Run: ctest -R test_golden_image_encoder. */
#include <math.h>
#include <string.h>

#include "algorithms/image_encoder.h"
#include "golden/golden_file.h"
#include "test_util.h"

static const rise_image_encoder_config conv_cfg = {.height = 11,
                                                   .width = 10,
                                                   .channels = 3,
                                                   .n_blocks = 2,
                                                   .block_channels = {4, 6},
                                                   .block_stride = {2, 1},
                                                   .kernel = 3,
                                                   .groups = 2,
                                                   .keypoints = 3,
                                                   .feat_dim = 5};

static const rise_image_encoder_config resnet_cfg = {.height = 21,
                                                     .width = 19,
                                                     .channels = 3,
                                                     .trunk = RISE_TRUNK_RESNET,
                                                     .n_blocks = 2,
                                                     .block_channels = {4, 8},
                                                     .stage_blocks = 2,
                                                     .group_channels = 2,
                                                     .keypoints = 3,
                                                     .feat_dim = 5};

static const golden_array *need(const golden_file *g, const char *name, size_t n) {
    const golden_array *a = golden_find(g, name);
    TEST_CHECK(a && a->n == n, "golden %s: missing or %zu values (want %zu)", name, a ? a->n : 0,
               n);
    return a && a->n == n ? a : NULL;
}

static void run(const golden_file *g, const char *backend, const rise_image_encoder_config *c) {
    rise_backend *be = test_backend_or_skip(backend);
    const int B = 2, F = c->feat_dim, K = c->keypoints;
    const size_t nx = (size_t)B * c->height * c->width * c->channels;
    rise_image_encoder e;
    rise_params p;
    rise_params_init(&p);
    TEST_CHECK(rise_image_encoder_register(&e, &p, "enc", c) == RISE_OK &&
                   rise_params_alloc(&p, be, 0) == RISE_OK,
               "encoder: %s", rise_last_error());
    for (int i = 0; i < p.count; ++i) {
        char key[160];
        snprintf(key, sizeof key, "p.%s", p.tensors[i].name);
        const golden_array *a = need(g, key, p.tensors[i].numel);
        if (a) rise_params_upload(&p, RISE_SLOT_VALUE, p.tensors[i].name, a->data, a->n);
    }
    const golden_array *x = need(g, "x", nx), *r = need(g, "r", (size_t)B * F);
    if (!x || !r) return;
    float *dx_dev = be->alloc(be, sizeof(float) * nx), *x_dev = test_to_backend(be, x->data, nx);
    float *r_dev = test_to_backend(be, r->data, (size_t)B * F);
    rise_arena ar;
    rise_arena_init_measure(&ar);
    rise_image_encoder_tape t;
    rise_image_encoder_forward(&e, be, p.value, &ar, &t, x_dev, B);
    rise_image_encoder_backward(&e, be, p.value, p.grad, &ar, &t, r_dev, dx_dev);
    TEST_CHECK(rise_arena_init(&ar, be, ar.peak + RISE_ARENA_ALIGN_FLOATS) == RISE_OK, "arena");
    rise_params_zero_grad(&p);
    rise_image_encoder_forward(&e, be, p.value, &ar, &t, x_dev, B);
    rise_image_encoder_backward(&e, be, p.value, p.grad, &ar, &t, r_dev, dx_dev);
    char what[200], trunk[64];
    snprintf(trunk, sizeof trunk, "%s %s", backend,
             c->trunk == RISE_TRUNK_RESNET ? "resnet" : "conv");
    backend = trunk;
    float *kp = test_from_backend(be, t.kp, (size_t)B * 2 * K);
    float *y = test_from_backend(be, t.out, (size_t)B * F);
    float *dx = test_from_backend(be, dx_dev, nx);
    const golden_array *gk = need(g, "kp", (size_t)B * 2 * K), *gy = need(g, "y", (size_t)B * F);
    const golden_array *gdx = need(g, "dx", nx);
    snprintf(what, sizeof what, "%s: keypoints", backend);
    if (gk) test_close(what, kp, gk->data, (size_t)B * 2 * K, 2e-5, 1e-4);
    snprintf(what, sizeof what, "%s: features", backend);
    if (gy) test_close(what, y, gy->data, (size_t)B * F, 2e-5, 1e-4);
    snprintf(what, sizeof what, "%s: dL/dx", backend);
    if (gdx) test_close(what, dx, gdx->data, nx, 1e-4, 1e-3);
    float *grad = test_from_backend(be, p.grad, p.size);
    for (int i = 0; i < p.count; ++i) {
        const rise_param_tensor *pt = &p.tensors[i];
        char key[160];
        snprintf(key, sizeof key, "g.%s", pt->name);
        const golden_array *a = need(g, key, pt->numel);
        snprintf(what, sizeof what, "%s: grad %s", backend, pt->name);
        if (!a) continue;
        double ref2 = 0;
        for (size_t j = 0; j < a->n; ++j) ref2 += (double)a->data[j] * a->data[j];
        if (ref2 > 1e-20) {
            test_close(what, grad + pt->offset, a->data, pt->numel, 1e-4, 1e-3);
            continue;
        }
        /* the keypoint conv's bias: a shift of a whole map leaves its softmax unchanged, so
         * its gradient is 0 (rounding only), and a relative error means nothing */
        double worst = 0;
        for (size_t j = 0; j < pt->numel; ++j) worst = fmax(worst, fabs(grad[pt->offset + j]));
        TEST_CHECK(worst <= 1e-5, "%s: zero in PyTorch, largest %.3g", what, worst);
    }
    if (gk) { /* the pair order matters: (y, x) pairs are far from the reference */
        double worst = 0;
        for (int i = 0; i < B * K; ++i)
            worst = fmax(worst, fabs((double)kp[2 * i + 1] - gk->data[2 * i]));
        TEST_CHECK(worst > 1e-2, "%s: swapped keypoint pairs differ by %.3g", backend, worst);
    }
    free(kp), free(y), free(dx), free(grad);
    be->free(be, dx_dev), be->free(be, x_dev), be->free(be, r_dev);
    rise_arena_free(&ar);
    rise_params_free(&p);
    rise_backend_destroy(be);
}

/* rise's ResNet-18 against torchvision's resnet18 tensor list (s.<name>: the shape). */
static void check_resnet18_shapes(const golden_file *g) {
    rise_image_encoder_config c = {.height = 76,
                                   .width = 76,
                                   .channels = 3,
                                   .trunk = RISE_TRUNK_RESNET,
                                   .n_blocks = 4,
                                   .block_channels = {64, 128, 256, 512},
                                   .stage_blocks = 2,
                                   .group_channels = 16,
                                   .keypoints = 32,
                                   .feat_dim = 64};
    rise_image_encoder e;
    rise_params p;
    rise_params_init(&p);
    TEST_CHECK(rise_image_encoder_register(&e, &p, "enc", &c) == RISE_OK, "ResNet-18: %s",
               rise_last_error());
    int trunk = 0, found = 0;
    for (int i = 0; i < p.count; ++i) {
        const rise_param_tensor *t = &p.tensors[i];
        if (!strncmp(t->name, "enc.kp.", 7) || !strncmp(t->name, "enc.proj.", 9)) continue;
        ++trunk;
        char key[160];
        snprintf(key, sizeof key, "s.%s", t->name);
        const golden_array *a = golden_find(g, key);
        int same = a && a->n == (size_t)t->ndim;
        for (int d = 0; same && d < t->ndim; ++d) same = a->data[d] == (float)t->shape[d];
        TEST_CHECK(same, "ResNet-18 tensor %s: not in torchvision's resnet18 with this shape",
                   t->name);
        found += same;
    }
    int want = 0;
    for (int i = 0; i < g->count; ++i) want += !strncmp(g->arrays[i].name, "s.", 2);
    TEST_CHECK(trunk == want && found == want && want == 60,
               "ResNet-18: %d trunk tensors (%d match), torchvision has %d", trunk, found, want);
    const rise_conv2d_shape *last = &e.units[e.res[e.n_res_blocks - 1].u2].conv;
    TEST_CHECK(last->h_out == 3 && last->w_out == 3 && last->c_out == 512,
               "ResNet-18 on a 76x76 crop: a %dx%dx%d map, want 3x3x512 (robomimic's)", last->h_out,
               last->w_out, last->c_out);
    rise_params_free(&p);
}

int main(void) {
    char path[512];
    golden_file g;
    golden_path(path, sizeof path, "image_encoder.txt");
    if (golden_load(&g, path)) return 1;
    run(&g, "ref", &conv_cfg);
    run(&g, "cpu", &conv_cfg);
    golden_free(&g);
    golden_path(path, sizeof path, "resnet_encoder.txt");
    if (golden_load(&g, path)) return 1;
    run(&g, "ref", &resnet_cfg);
    run(&g, "cpu", &resnet_cfg);
    check_resnet18_shapes(&g);
    golden_free(&g);
    return test_finish();
}
