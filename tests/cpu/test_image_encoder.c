/* test_image_encoder.c - the small conv image encoder (algorithms/image_encoder.h) and the
 * maze's rendered view (envs/maze_render.h).
 *
 * The rendered view: a pixel of each colour where the header says (agent disc, goal disc,
 * wall, floor) and the image moves with the agent. The encoder: its configuration errors
 * name the field; finite-difference gradients (double loss, central differences) of
 * L = sum R out for every parameter and for the input, on a two-block encoder; and a short
 * CPU training run on rendered maze images (regressing the agent's position from the
 * picture, Adam, a fixed set of 64 views) whose loss falls to under a fifth of its start.
 * Run: ctest -R test_image_encoder. */
#include <math.h>
#include <string.h>

#include "algorithms/image_encoder.h"
#include "envs/maze_render.h"
#include "test_util.h"

static rise_backend *be;

static const rise_image_encoder_config small_cfg = {.height = 12,
                                                    .width = 11,
                                                    .channels = 3,
                                                    .n_blocks = 2,
                                                    .block_channels = {4, 6},
                                                    .block_stride = {2, 1},
                                                    .kernel = 3,
                                                    .groups = 2,
                                                    .keypoints = 3,
                                                    .feat_dim = 5};

typedef struct {
    rise_image_encoder enc;
    rise_params p;
    rise_arena ar;
} encoder_fixture;

static void fixture_make(encoder_fixture *f, const rise_image_encoder_config *cfg, int batch,
                         const float *x) {
    rise_params_init(&f->p);
    TEST_CHECK(rise_image_encoder_register(&f->enc, &f->p, "enc", cfg) == RISE_OK, "register: %s",
               rise_last_error());
    TEST_CHECK(rise_params_alloc(&f->p, be, 0) == RISE_OK, "alloc");
    rise_params_init_values(&f->p, 7);
    rise_arena m;
    rise_arena_init_measure(&m);
    rise_image_encoder_tape t;
    rise_image_encoder_forward(&f->enc, be, f->p.value, &m, &t, x, batch);
    rise_image_encoder_backward(&f->enc, be, f->p.value, f->p.grad, &m, &t, NULL, NULL);
    TEST_CHECK(rise_arena_init(&f->ar, be, m.peak + RISE_ARENA_ALIGN_FLOATS) == RISE_OK, "arena");
}

static void fixture_free(encoder_fixture *f) {
    rise_arena_free(&f->ar);
    rise_params_free(&f->p);
}

static void test_render(void) {
    rise_env *env;
    TEST_CHECK(rise_env_create("maze", NULL, &env) == RISE_OK, "maze env");
    rise_maze *m = rise_maze_of(env);
    const int S = 50; /* 0.04 per pixel */
    uint8_t *img = malloc((size_t)S * S * 3), *img2 = malloc((size_t)S * S * 3);
    m->px = -0.8, m->py = -0.8;
    rise_maze_render(m, img, S);
    /* pixel (r, q) shows x = -1 + (q + .5) .04, y = 1 - (r + .5) .04 */
#define PIX(im, x, y)                                                                              \
    ((im) + (((size_t)((1.0 - (y)) / 0.04) * S + (size_t)(((x) + 1.0) / 0.04)) * 3))
    const uint8_t *a = PIX(img, -0.8, -0.8), *g = PIX(img, 0.8, 0.8), *fl = PIX(img, 0.0, -0.8);
    TEST_CHECK(a[0] == 210 && a[1] == 40, "agent pixel red, got %d %d %d", a[0], a[1], a[2]);
    TEST_CHECK(g[1] == 170 && g[0] == 40, "goal pixel green, got %d %d %d", g[0], g[1], g[2]);
    TEST_CHECK(fl[0] == 224 && fl[1] == 224, "floor pixel grey, got %d %d %d", fl[0], fl[1], fl[2]);
    const uint8_t *edge = PIX(img, -0.99, 0.0); /* the outer wall on the left */
    TEST_CHECK(edge[0] == 64, "outer wall pixel dark, got %d", edge[0]);
    m->px = -0.8, m->py = 0.0;
    rise_maze_render(m, img2, S);
    TEST_CHECK(PIX(img2, -0.8, -0.8)[0] == 224 && PIX(img2, -0.8, 0.0)[0] == 210,
               "the agent's disc moves with the state");
#undef PIX
    free(img), free(img2);
    rise_env_destroy(env);
}

static void test_config_errors(void) {
    rise_image_encoder enc;
    rise_params p;
    rise_image_encoder_config c = small_cfg;
    c.block_channels[1] = 5; /* not a multiple of groups 2 */
    rise_params_init(&p);
    TEST_CHECK(rise_image_encoder_register(&enc, &p, "enc", &c) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "block 1") && strstr(rise_last_error(), "groups"),
               "channels not divisible by groups: %s", rise_last_error());
    rise_params_free(&p);
    c = small_cfg;
    c.kernel = 4;
    rise_params_init(&p);
    TEST_CHECK(rise_image_encoder_register(&enc, &p, "enc", &c) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "kernel 4"),
               "even kernel: %s", rise_last_error());
    rise_params_free(&p);
}

static double loss_of(encoder_fixture *f, const float *x, const float *r, int batch) {
    rise_image_encoder_tape t;
    const size_t mark = rise_arena_mark(&f->ar);
    rise_image_encoder_forward(&f->enc, be, f->p.value, &f->ar, &t, x, batch);
    double l = 0;
    for (int i = 0; i < batch * f->enc.cfg.feat_dim; ++i) l += (double)r[i] * t.out[i];
    rise_arena_rewind(&f->ar, mark);
    return l;
}

/* A central difference across a ReLU kink is off for the few units whose pre-activation
 * crosses zero within +-eps, so a handful of elements may miss the element rule: allow 1% of
 * them, and hold the whole vector to a 1% normalised error (a wrong backward gives ~1). */
static void fd_agree(const char *name, const float *got, const float *fd, size_t n) {
    size_t bad = 0;
    double d2 = 0, r2 = 0;
    for (size_t i = 0; i < n; ++i) {
        const double d = fabs((double)got[i] - fd[i]);
        if (!(d <= 3e-3 + 3e-2 * fabs(fd[i]))) ++bad;
        d2 += d * d, r2 += (double)fd[i] * fd[i];
    }
    const double nerr = sqrt(d2) / (sqrt(r2) + 1e-30);
    TEST_CHECK(bad * 100 <= n && nerr < 1e-2 && r2 > 0,
               "%s: %zu/%zu elements off, normalised error %.3g", name, bad, n, nerr);
}

static void test_gradients(void) {
    const rise_image_encoder_config *c = &small_cfg;
    const int B = 2;
    const size_t nx = (size_t)B * c->height * c->width * c->channels, ny = (size_t)B * c->feat_dim;
    float *x = malloc(4 * nx), *r = malloc(4 * ny), *dx = malloc(4 * nx), *fx = malloc(4 * nx);
    test_fill_random(x, nx, 3, 0, 1);
    test_fill_random(r, ny, 4, -1, 1);
    encoder_fixture f;
    fixture_make(&f, c, B, x);
    rise_image_encoder_tape t;
    rise_image_encoder_forward(&f.enc, be, f.p.value, &f.ar, &t, x, B);
    rise_image_encoder_backward(&f.enc, be, f.p.value, f.p.grad, &f.ar, &t, r, dx);
    rise_arena_rewind(&f.ar, 0);
    const size_t P = f.p.size;
    float *fg = calloc(P, 4);
    const float eps = 1e-3f;
    for (size_t i = 0; i < P; ++i) {
        const float keep = f.p.value[i];
        f.p.value[i] = keep + eps;
        const double lp = loss_of(&f, x, r, B);
        f.p.value[i] = keep - eps;
        const double lm = loss_of(&f, x, r, B);
        f.p.value[i] = keep;
        fg[i] = (float)((lp - lm) / (2 * eps));
    }
    fd_agree("image encoder fd: every parameter", f.p.grad, fg, P);
    for (size_t i = 0; i < nx; ++i) {
        const float keep = x[i];
        x[i] = keep + eps;
        const double lp = loss_of(&f, x, r, B);
        x[i] = keep - eps;
        const double lm = loss_of(&f, x, r, B);
        x[i] = keep;
        fx[i] = (float)((lp - lm) / (2 * eps));
    }
    fd_agree("image encoder fd: the input", dx, fx, nx);
    fixture_free(&f);
    free(x), free(r), free(dx), free(fx), free(fg);
}

/* Regress the agent's (x, y) from 24x24 renders: the encoder must find the red disc. */
static void test_train_on_maze_images(void) {
    const int S = 24, N = 64, B = 16, steps = 60;
    rise_env *env;
    TEST_CHECK(rise_env_create("maze", NULL, &env) == RISE_OK, "maze env");
    rise_maze *m = rise_maze_of(env);
    const size_t frame = (size_t)S * S * 3;
    float *images = malloc(4 * frame * N), *pos = malloc(4 * 2 * N);
    uint8_t *img = malloc(frame);
    unsigned seed = 11;
    for (int i = 0; i < N; ++i) {
        double x, y;
        do {
            seed = seed * 1103515245u + 12345u;
            x = -0.9 + 1.8 * ((seed >> 8) & 0xffff) / 65535.0;
            seed = seed * 1103515245u + 12345u;
            y = -0.9 + 1.8 * ((seed >> 8) & 0xffff) / 65535.0;
        } while (!rise_maze_point_free(m, x, y));
        m->px = x, m->py = y;
        rise_maze_render(m, img, S);
        for (size_t k = 0; k < frame; ++k) images[i * frame + k] = img[k] / 255.0f;
        pos[2 * i] = (float)x, pos[2 * i + 1] = (float)y;
    }
    const rise_image_encoder_config cfg = {.height = S,
                                           .width = S,
                                           .channels = 3,
                                           .n_blocks = 2,
                                           .block_channels = {8, 8},
                                           .block_stride = {1, 1},
                                           .kernel = 3,
                                           .groups = 4,
                                           .keypoints = 8,
                                           .feat_dim = 2};
    encoder_fixture f;
    fixture_make(&f, &cfg, B, images);
    rise_adam_hparams hp = {3e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 0.0f, NULL};
    float dout[2 * 16];
    double first = 0, last = 0;
    for (int s = 0; s < steps; ++s) {
        const int b0 = (s * B) % N;
        const float *xb = images + (size_t)b0 * frame, *yb = pos + 2 * b0;
        rise_image_encoder_tape t;
        rise_params_zero_grad(&f.p);
        rise_image_encoder_forward(&f.enc, be, f.p.value, &f.ar, &t, xb, B);
        double l = 0;
        for (int i = 0; i < 2 * B; ++i) {
            const float d = t.out[i] - yb[i];
            l += (double)d * d / B;
            dout[i] = 2.0f * d / B;
        }
        rise_image_encoder_backward(&f.enc, be, f.p.value, f.p.grad, &f.ar, &t, dout, NULL);
        rise_arena_rewind(&f.ar, 0);
        rise_params_adam(&f.p, &hp, s + 1, NULL);
        if (s < N / B) first += l / (N / B); /* one pass over the set at the start and end */
        if (s >= steps - N / B) last += l / (N / B);
    }
    printf("maze images: position loss %.4f -> %.4f over %d steps\n", first, last, steps);
    TEST_CHECK(isfinite(last) && last < 0.2 * first, "loss %.4f -> %.4f: did not fall 5x", first,
               last);
    fixture_free(&f);
    free(images), free(pos), free(img);
    rise_env_destroy(env);
}

int main(void) {
    rise_status st;
    be = rise_backend_create("cpu", &st);
    if (!be) return 1;
    test_render();
    test_config_errors();
    test_gradients();
    test_train_on_maze_images();
    be->destroy(be);
    return test_finish();
}
