/* test_unet_gpu.c - the U-Net's ops and network on CUDA against the CPU reference:
 *  - conv1d forward, backward-data and backward-weight + bias, every supported variant
 *    (1 direct, 2 im2col + cuBLAS, 3 cuDNN when it loaded) on awkward shapes (odd lengths,
 *    channel counts that are multiples of nothing, a kernel wider than the sequence,
 *    stride 2, the transposed up-sampling's k 4), accumulating passes run twice;
 *  - GroupNorm variants 1 and 2 (forward, dx overwrite/accumulate, dgamma/dbeta twice);
 *  - FiLM forward and backward;
 *  - the whole U-Net (tests/unet_harness.h's configurations): y, every parameter gradient
 *    and dL/dcond equal to the CPU backend's.
 * Exits 77 without a device. Run: ctest -R test_unet_gpu. */
#include "test_util.h"

#ifdef RISE_WITH_CUDA
#include "kernels/conv1d.h"
#include "kernels/film.h"
#include "kernels/group_norm.h"
#include "unet_harness.h"

static rise_backend *gpu;
static void *cublas, *cudnn;

static float *dev_from(const float *h, size_t n) {
    float *d = gpu->alloc(gpu, sizeof(float) * (n ? n : 1));
    if (n) gpu->upload(gpu, d, h, sizeof(float) * n);
    return d;
}

static float *host_from(const float *d, size_t n) {
    float *h = malloc(sizeof(float) * (n ? n : 1));
    if (n) gpu->download(gpu, h, d, sizeof(float) * n);
    return h;
}

static void conv_case(int b, int ti, int ci, int co, int k, int st, int p) {
    const rise_conv1d_shape s = {b, ti, ci, conv1d_out_len(ti, k, st, p), co, k, st, p};
    const size_t nx = (size_t)b * ti * ci, ny = (size_t)b * s.t_out * co, nw = (size_t)co * k * ci;
    float *x = malloc(4 * nx), *w = malloc(4 * nw), *bias = malloc(4 * co), *dy = malloc(4 * ny);
    test_fill_random(x, nx, 61, -1, 1);
    test_fill_random(w, nw, 62, -1, 1);
    test_fill_random(bias, co, 63, -1, 1);
    test_fill_random(dy, ny, 64, -1, 1);
    float *yr = malloc(4 * ny), *dxr = malloc(4 * nx), *dwr = calloc(nw, 4), *dbr = calloc(co, 4);
    conv1d_forward_ref(&s, yr, x, w, bias);
    conv1d_backward_data_ref(&s, dxr, dy, w, 0);
    conv1d_backward_data_ref(&s, dxr, dy, w, 1);
    conv1d_backward_weight_ref(&s, dwr, dbr, dy, x);
    conv1d_backward_weight_ref(&s, dwr, dbr, dy, x);
    float *dx_ = dev_from(x, nx), *dw_ = dev_from(w, nw), *db_ = dev_from(bias, co);
    float *ddy = dev_from(dy, ny);
    for (int v = 1; v <= CONV1D_CUDA_VARIANTS; ++v) {
        if (!conv1d_cuda_supports(v, &s, cudnn)) continue;
        const size_t wsb = conv1d_cuda_workspace_bytes(v, cudnn, &s);
        void *ws = wsb ? gpu->alloc(gpu, wsb) : NULL;
        float *y = gpu->alloc(gpu, 4 * ny), *gx = gpu->alloc(gpu, 4 * nx);
        float *gw = gpu->alloc(gpu, 4 * nw), *gb = gpu->alloc(gpu, 4 * co);
        conv1d_forward_cuda_variant(v, gpu->stream, cublas, cudnn, &s, y, dx_, dw_, db_, ws);
        for (int rep = 0; rep < 2; ++rep) {
            conv1d_backward_data_cuda_variant(v, gpu->stream, cublas, cudnn, &s, gx, ddy, dw_, rep,
                                              ws);
            conv1d_backward_weight_cuda_variant(v, gpu->stream, cublas, cudnn, &s, gw, gb, ddy, dx_,
                                                ws);
        }
        TEST_CHECK(gpu->sync(gpu) == RISE_OK, "conv1d variant %d: %s", v, rise_last_error());
        float *hy = host_from(y, ny), *hx = host_from(gx, nx), *hw = host_from(gw, nw),
              *hb = host_from(gb, co);
        char name[128];
        snprintf(name, sizeof name, "conv1d v%d fwd b%d t%d %d->%d k%d s%d p%d", v, b, ti, ci, co,
                 k, st, p);
        test_close(name, hy, yr, ny, 2e-5, 2e-5);
        snprintf(name, sizeof name, "conv1d v%d bwd-data x2 k%d s%d", v, k, st);
        test_close(name, hx, dxr, nx, 2e-5, 2e-5);
        snprintf(name, sizeof name, "conv1d v%d bwd-weight x2 k%d s%d", v, k, st);
        test_close(name, hw, dwr, nw, 1e-4, 2e-5);
        snprintf(name, sizeof name, "conv1d v%d bias grad x2 k%d s%d", v, k, st);
        test_close(name, hb, dbr, co, 1e-4, 2e-5);
        free(hy), free(hx), free(hw), free(hb);
        gpu->free(gpu, y), gpu->free(gpu, gx), gpu->free(gpu, gw), gpu->free(gpu, gb);
        if (ws) gpu->free(gpu, ws);
    }
    gpu->free(gpu, dx_), gpu->free(gpu, dw_), gpu->free(gpu, db_), gpu->free(gpu, ddy);
    free(x), free(w), free(bias), free(dy), free(yr), free(dxr), free(dwr), free(dbr);
}

static void gn_case(int b, int t, int c, int groups) {
    const size_t n = (size_t)b * t * c, ng = (size_t)b * groups;
    float *x = malloc(4 * n), *g = malloc(4 * c), *be_ = malloc(4 * c), *dy = malloc(4 * n);
    test_fill_random(x, n, 71, 0.5f, 2.5f);
    test_fill_random(g, c, 72, 0.5f, 1.5f);
    test_fill_random(be_, c, 73, -0.5f, 0.5f);
    test_fill_random(dy, n, 74, -1, 1);
    float *yr = malloc(4 * n), *mr = malloc(4 * ng), *rr = malloc(4 * ng), *dxr = malloc(4 * n);
    float *dgr = calloc(c, 4), *dbr = calloc(c, 4);
    group_norm_forward_ref(yr, mr, rr, x, g, be_, b, t, c, groups, 1e-5f);
    group_norm_backward_ref(dxr, dgr, dbr, dy, x, mr, rr, g, b, t, c, groups, 0);
    group_norm_backward_ref(dxr, dgr, dbr, dy, x, mr, rr, g, b, t, c, groups, 1);
    float *dxd = dev_from(x, n), *dg = dev_from(g, c), *dbe = dev_from(be_, c),
          *ddy = dev_from(dy, n);
    for (int v = 1; v <= GROUP_NORM_CUDA_VARIANTS; ++v) {
        if (!group_norm_cuda_supports(v, b, t, c, groups)) continue;
        float *y = gpu->alloc(gpu, 4 * n), *m = gpu->alloc(gpu, 4 * ng),
              *r = gpu->alloc(gpu, 4 * ng);
        float *gx = gpu->alloc(gpu, 4 * n), *gg = gpu->alloc(gpu, 4 * c),
              *gb = gpu->alloc(gpu, 4 * c);
        group_norm_forward_cuda_variant(v, gpu->stream, y, m, r, dxd, dg, dbe, b, t, c, groups,
                                        1e-5f);
        for (int rep = 0; rep < 2; ++rep)
            group_norm_backward_cuda_variant(v, gpu->stream, gx, gg, gb, ddy, dxd, m, r, dg, b, t,
                                             c, groups, rep);
        TEST_CHECK(gpu->sync(gpu) == RISE_OK, "group_norm variant %d: %s", v, rise_last_error());
        float *hy = host_from(y, n), *hx = host_from(gx, n), *hg = host_from(gg, c),
              *hb = host_from(gb, c);
        char name[128];
        snprintf(name, sizeof name, "group_norm v%d fwd b%d t%d c%d g%d", v, b, t, c, groups);
        test_close(name, hy, yr, n, 2e-5, 2e-5);
        snprintf(name, sizeof name, "group_norm v%d dx x2 b%d t%d c%d g%d", v, b, t, c, groups);
        test_close(name, hx, dxr, n, 2e-5, 2e-4);
        snprintf(name, sizeof name, "group_norm v%d dgamma x2", v);
        test_close(name, hg, dgr, c, 1e-4, 1e-4);
        snprintf(name, sizeof name, "group_norm v%d dbeta x2", v);
        test_close(name, hb, dbr, c, 1e-4, 1e-4);
        free(hy), free(hx), free(hg), free(hb);
        float *bufs[] = {y, m, r, gx, gg, gb};
        for (int i = 0; i < 6; ++i) gpu->free(gpu, bufs[i]);
    }
    float *bufs[] = {dxd, dg, dbe, ddy};
    for (int i = 0; i < 4; ++i) gpu->free(gpu, bufs[i]);
    free(x), free(g), free(be_), free(dy), free(yr), free(mr), free(rr), free(dxr), free(dgr),
        free(dbr);
}

static void film_case(int b, int t, int c) {
    const size_t n = (size_t)b * t * c, ne = (size_t)b * 2 * c;
    float *x = malloc(4 * n), *e = malloc(4 * ne), *dy = malloc(4 * n);
    test_fill_random(x, n, 81, -1, 1);
    test_fill_random(e, ne, 82, -1, 1);
    test_fill_random(dy, n, 83, -1, 1);
    float *yr = malloc(4 * n), *dxr = malloc(4 * n), *der = malloc(4 * ne);
    film_forward_ref(yr, x, e, b, t, c);
    film_backward_ref(dxr, der, dy, x, e, b, t, c);
    float *dxd = dev_from(x, n), *ded = dev_from(e, ne), *ddy = dev_from(dy, n);
    float *y = gpu->alloc(gpu, 4 * n), *gx = gpu->alloc(gpu, 4 * n), *ge = gpu->alloc(gpu, 4 * ne);
    gpu->film_forward(gpu, y, dxd, ded, b, t, c);
    gpu->film_backward(gpu, gx, ge, ddy, dxd, ded, b, t, c);
    TEST_CHECK(gpu->sync(gpu) == RISE_OK, "film: %s", rise_last_error());
    float *hy = host_from(y, n), *hx = host_from(gx, n), *he = host_from(ge, ne);
    test_close("film fwd", hy, yr, n, 1e-6, 1e-6);
    test_close("film dx", hx, dxr, n, 1e-6, 1e-6);
    test_close("film demb", he, der, ne, 1e-5, 1e-5);
    free(hy), free(hx), free(he);
    float *bufs[] = {dxd, ded, ddy, y, gx, ge};
    for (int i = 0; i < 6; ++i) gpu->free(gpu, bufs[i]);
    free(x), free(e), free(dy), free(yr), free(dxr), free(der);
}

static void net_case(const tunet_spec *s, const char *label) {
    rise_status st;
    rise_backend *cpu = rise_backend_create("cpu", &st);
    tunet a, b;
    if (!tunet_build(&a, cpu, s) || !tunet_build(&b, gpu, s)) {
        TEST_CHECK(0, "%s: build", label);
        return;
    }
    rise_params_zero_grad(&a.p);
    rise_params_zero_grad(&b.p);
    tunet_forward(&a);
    tunet_backward(&a);
    tunet_forward(&b);
    tunet_backward(&b);
    TEST_CHECK(gpu->sync(gpu) == RISE_OK, "%s: %s", label, rise_last_error());
    float *y = host_from(b.y, b.ny), *g = host_from(b.p.grad, b.p.size);
    const size_t nc = (size_t)s->batch * s->cfg.cond_dim;
    float *dc = host_from(b.dcond, nc);
    char name[128];
    snprintf(name, sizeof name, "%s: y", label);
    test_close(name, y, a.y, a.ny, 2e-5, 1e-4);
    snprintf(name, sizeof name, "%s: parameter gradients", label);
    test_close(name, g, a.p.grad, a.p.size, 1e-4, 1e-3);
    snprintf(name, sizeof name, "%s: dL/dcond", label);
    test_close(name, dc, a.dcond, nc, 1e-4, 1e-3);
    free(y), free(g), free(dc);
    tunet_free(&a);
    tunet_free(&b);
    cpu->destroy(cpu);
}

int main(void) {
    gpu = test_backend_or_skip("cuda");
    rise_backend_cuda_libs(gpu, &cublas, &cudnn);
    printf("cuDNN %s\n", cudnn ? "loaded: variant 3 tested" : "not available: variant 3 skipped");
    conv_case(3, 16, 13, 17, 5, 1, 2);
    conv_case(5, 17, 9, 6, 3, 2, 1);
    conv_case(2, 16, 7, 5, 4, 2, 1);
    conv_case(4, 11, 19, 3, 1, 1, 0);
    conv_case(1, 3, 2, 2, 5, 1, 2);
    conv_case(33, 4, 64, 96, 5, 1, 2);
    gn_case(3, 16, 24, 8);
    gn_case(5, 7, 40, 4);
    gn_case(2, 16, 1024, 8); /* groups of 2048 values: above the warp variant's rule */
    film_case(3, 7, 5);
    film_case(17, 16, 64);
    tunet_spec s = tunet_small();
    net_case(&s, "unet 2 levels");
    s.cfg.n_levels = 3;
    s.cfg.down_dims[2] = 24;
    s.cfg.horizon = 16;
    s.batch = 5;
    net_case(&s, "unet 3 levels");
    gpu->destroy(gpu);
    return test_finish();
}

#else /* the CUDA backend was not built: nothing to compare */

int main(void) {
    rise_backend *be = test_backend_or_skip("cuda"); /* exits 77 */
    rise_backend_destroy(be);
    return 1;
}

#endif
