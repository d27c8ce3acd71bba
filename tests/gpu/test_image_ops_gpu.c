/* test_image_ops_gpu.c - the image encoder's ops on the CUDA backend against the CPU reference:
 * conv2d forward / backward-data (overwrite and accumulate) / backward-weight + bias on the
 * encoders' shapes (an 8x8 stride-4 stem, 3x3 padded blocks, a strided non-square kernel,
 * pointwise, a ResNet's 7x7 stem and strided 1x1 shortcut), through the table and through each
 * variant (im2col + cuBLAS, cuDNN when loaded), max pooling forward / backward (bitwise: both sides
 * run the same per-element rules) and spatial softmax forward / backward. Run: ctest -L gpu -R
 * test_image_ops_gpu (exits 77, skipped, without a GPU or when the CUDA backend was not built). */
#include <string.h>

#include "test_util.h"

#ifdef RISE_WITH_CUDA
#include "kernels/conv2d.h"
#include "kernels/max_pool2d.h"
#include "kernels/spatial_softmax.h"

static rise_backend *gpu;
static void *cublas, *cudnn;

static void check(const char *what, const float *dev, const float *ref, size_t n, double tol) {
    float *got = test_from_backend(gpu, dev, n);
    test_close(what, got, ref, n, tol, tol);
    free(got);
}

/* One variant (0: the table, i.e. the dispatcher's choice) against the reference. */
static void test_conv_variant(int variant, int b, int h, int w, int ci, int co, int kh, int kw,
                              int st, int p) {
    const rise_conv2d_shape s = conv2d_make_shape(b, h, w, ci, co, kh, kw, st, p);
    if (variant && !conv2d_cuda_supports(variant, &s, cudnn)) {
        printf("conv2d variant %d: unsupported for b%d %dx%dx%d k%dx%d (skipped)\n", variant, b, h,
               w, ci, kh, kw);
        return;
    }
    const size_t nx = (size_t)b * h * w * ci, ny = (size_t)b * s.h_out * s.w_out * co;
    const size_t nw = (size_t)co * kh * kw * ci;
    float *x = malloc(4 * nx), *wt = malloc(4 * nw), *bias = malloc(4 * co), *dy = malloc(4 * ny);
    float *y = malloc(4 * ny), *dx = malloc(4 * nx), *dw = calloc(nw, 4), *db = calloc(co, 4);
    test_fill_random(x, nx, 51, -2, 2);
    test_fill_random(wt, nw, 52, -1, 1);
    test_fill_random(bias, co, 53, -1, 1);
    test_fill_random(dy, ny, 54, -1, 1);
    float *d_x = test_to_backend(gpu, x, nx), *d_w = test_to_backend(gpu, wt, nw);
    float *d_b = test_to_backend(gpu, bias, co), *d_dy = test_to_backend(gpu, dy, ny);
    float *d_y = test_to_backend(gpu, y, ny), *d_dx = test_to_backend(gpu, x, nx);
    float *d_dw = test_to_backend(gpu, dw, nw), *d_db = test_to_backend(gpu, db, co);
    const size_t wsb = variant ? conv2d_cuda_workspace_bytes(variant, cudnn, &s)
                               : gpu->conv2d_workspace_bytes(gpu, &s);
    void *ws = wsb ? gpu->alloc(gpu, wsb) : NULL;
    char name[144], tag[112];
    snprintf(tag, sizeof tag, "cuda conv2d v%d b%d %dx%dx%d co%d k%dx%d s%d p%d", variant, b, h, w,
             ci, co, kh, kw, st, p);
    if (variant)
        conv2d_forward_cuda(variant, gpu->stream, cublas, cudnn, &s, d_y, d_x, d_w, d_b, ws);
    else
        gpu->conv2d_forward(gpu, &s, d_y, d_x, d_w, d_b, ws);
    conv2d_forward_ref(&s, y, x, wt, bias);
    snprintf(name, sizeof name, "%s forward", tag);
    check(name, d_y, y, ny, 2e-5);
    for (int rep = 0; rep < 2; ++rep) { /* overwrite, then accumulate; dw, db accumulate */
        if (variant) {
            conv2d_backward_data_cuda(variant, gpu->stream, cublas, cudnn, &s, d_dx, d_dy, d_w, rep,
                                      ws);
            conv2d_backward_weight_cuda(variant, gpu->stream, cublas, cudnn, &s, d_dw, d_db, d_dy,
                                        d_x, ws);
        } else {
            gpu->conv2d_backward_data(gpu, &s, d_dx, d_dy, d_w, rep, ws);
            gpu->conv2d_backward_weight(gpu, &s, d_dw, d_db, d_dy, d_x, ws);
        }
        conv2d_backward_data_ref(&s, dx, dy, wt, rep);
        conv2d_backward_weight_ref(&s, dw, db, dy, x);
    }
    snprintf(name, sizeof name, "%s backward-data", tag);
    check(name, d_dx, dx, nx, 2e-5);
    snprintf(name, sizeof name, "%s backward-weight", tag);
    check(name, d_dw, dw, nw, 1e-4);
    snprintf(name, sizeof name, "%s dbias", tag);
    check(name, d_db, db, co, 1e-4);
    gpu->free(gpu, d_x), gpu->free(gpu, d_w), gpu->free(gpu, d_b), gpu->free(gpu, d_dy);
    gpu->free(gpu, d_y), gpu->free(gpu, d_dx), gpu->free(gpu, d_dw), gpu->free(gpu, d_db);
    if (ws) gpu->free(gpu, ws);
    free(x), free(wt), free(bias), free(dy), free(y), free(dx), free(dw), free(db);
}

/* The table, then each variant on its own. */
static void test_conv(int b, int h, int w, int ci, int co, int kh, int kw, int st, int p) {
    for (int v = 0; v <= 3; v += v ? 1 : 2) test_conv_variant(v, b, h, w, ci, co, kh, kw, st, p);
}

static void test_spatial_softmax(int b, int h, int w, int c, float temperature) {
    const size_t nx = (size_t)b * h * w * c, ny = (size_t)b * 2 * c;
    float *x = malloc(4 * nx), *attn = malloc(4 * nx), *dx = malloc(4 * nx);
    float *y = malloc(4 * ny), *dy = malloc(4 * ny);
    test_fill_random(x, nx, 61, -3, 3);
    test_fill_random(dy, ny, 62, -1, 1);
    spatial_softmax_forward_ref(y, attn, x, b, h, w, c, temperature);
    for (size_t i = 0; i < nx; ++i) dx[i] = 0.5f;
    spatial_softmax_backward_ref(dx, dy, y, attn, b, h, w, c, temperature, 1);
    float *d_x = test_to_backend(gpu, x, nx), *d_a = test_to_backend(gpu, x, nx);
    float *d_y = test_to_backend(gpu, y, ny), *d_dy = test_to_backend(gpu, dy, ny);
    for (size_t i = 0; i < nx; ++i) attn[i] = 0.5f; /* reused as dx's starting value */
    float *d_dx = test_to_backend(gpu, attn, nx);
    spatial_softmax_forward_ref(y, attn, x, b, h, w, c, temperature);
    gpu->spatial_softmax_forward(gpu, d_y, d_a, d_x, b, h, w, c, temperature);
    check("cuda spatial softmax keypoints", d_y, y, ny, 1e-5);
    check("cuda spatial softmax attention", d_a, attn, nx, 1e-6);
    gpu->spatial_softmax_backward(gpu, d_dx, d_dy, d_y, d_a, b, h, w, c, temperature, 1);
    check("cuda spatial softmax backward (accumulate)", d_dx, dx, nx, 1e-5);
    gpu->free(gpu, d_x), gpu->free(gpu, d_a), gpu->free(gpu, d_y), gpu->free(gpu, d_dy);
    gpu->free(gpu, d_dx);
    free(x), free(attn), free(dx), free(y), free(dy);
}

static void test_max_pool(int b, int h, int w, int c, int k, int st, int p) {
    const rise_conv2d_shape s = max_pool2d_make_shape(b, h, w, c, k, st, p);
    const size_t nx = (size_t)b * h * w * c, ny = (size_t)b * s.h_out * s.w_out * c;
    float *x = malloc(4 * nx), *dy = malloc(4 * ny), *y = malloc(4 * ny), *dx = malloc(4 * nx);
    test_fill_random(x, nx, 71, -2, 2);
    for (size_t i = 0; i < nx; i += 5) x[i] = 1.0f; /* ties */
    test_fill_random(dy, ny, 72, -1, 1);
    float *d_x = test_to_backend(gpu, x, nx), *d_dy = test_to_backend(gpu, dy, ny);
    float *d_y = test_to_backend(gpu, dy, ny), *d_dx = test_to_backend(gpu, x, nx);
    int32_t *idx = malloc(4 * ny + 4), *d_idx = gpu->alloc(gpu, 4 * ny + 4);
    char name[96];
    gpu->max_pool2d_forward(gpu, &s, d_y, d_idx, d_x);
    max_pool2d_forward_ref(&s, y, idx, x, 0, b);
    snprintf(name, sizeof name, "cuda max pool forward b%d %dx%dx%d k%d s%d p%d", b, h, w, c, k, st,
             p);
    check(name, d_y, y, ny, 0);
    float *got_idx = test_from_backend(gpu, (const float *)d_idx, ny); /* int32 bits */
    TEST_CHECK(ny == 0 || !memcmp(got_idx, idx, 4 * ny), "%s: the same saved positions", name);
    free(got_idx);
    for (int rep = 0; rep < 2; ++rep) { /* overwrite, then accumulate onto it */
        gpu->max_pool2d_backward(gpu, &s, d_dx, d_dy, d_idx, rep);
        max_pool2d_backward_ref(&s, dx, dy, idx, rep, 0, b);
    }
    snprintf(name, sizeof name, "cuda max pool backward b%d %dx%dx%d k%d s%d p%d", b, h, w, c, k,
             st, p);
    check(name, d_dx, dx, nx, 0);
    gpu->free(gpu, d_x), gpu->free(gpu, d_dy), gpu->free(gpu, d_y), gpu->free(gpu, d_dx);
    gpu->free(gpu, d_idx);
    free(x), free(dy), free(y), free(dx), free(idx);
}

int main(void) {
    gpu = test_backend_or_skip("cuda");
    rise_backend_cuda_libs(gpu, &cublas, &cudnn);
    printf("cuDNN %s\n",
           cudnn ? "loaded: conv2d variant 3 tested" : "not available: variant 3 skipped");
    const rise_conv2d_shape stem = conv2d_make_shape(64, 76, 76, 3, 64, 7, 7, 2, 3);
    printf("the dispatcher picks conv2d variant %d for ResNet-18's stem\n",
           conv2d_cuda_pick(&stem, cudnn));
    test_conv(4, 84, 84, 3, 16, 8, 8, 4, 0);
    test_conv(4, 20, 20, 16, 32, 3, 3, 1, 1);
    test_conv(3, 11, 10, 3, 4, 3, 5, 2, 2);
    test_conv(5, 9, 9, 32, 8, 1, 1, 1, 0);
    test_conv(0, 9, 9, 3, 8, 3, 3, 1, 1);
    test_conv(3, 38, 37, 3, 16, 7, 7, 2, 3);  /* a ResNet stem, odd sizes */
    test_conv(4, 10, 10, 16, 32, 1, 1, 2, 0); /* a strided 1x1 shortcut */
    test_conv(2, 10, 10, 16, 16, 3, 3, 1, 1); /* a BasicBlock's 3x3 */
    test_spatial_softmax(8, 20, 20, 32, 1.0f);
    test_spatial_softmax(3, 7, 9, 5, 0.5f);
    test_spatial_softmax(2, 1, 1, 3, 1.0f);
    test_max_pool(4, 38, 38, 64, 3, 2, 1); /* the ResNet-18 stem's pool on a 76x76 crop */
    test_max_pool(3, 9, 7, 5, 2, 2, 0);
    test_max_pool(0, 9, 7, 5, 3, 2, 1);
    rise_backend_destroy(gpu);
    return test_finish();
}

#else /* the CUDA backend was not built: nothing to compare */

int main(void) {
    rise_backend *be = test_backend_or_skip("cuda"); /* exits 77 */
    rise_backend_destroy(be);
    return 1;
}

#endif
