/* test_rng_window.c - data-parallel windows on Philox draws (kernels/philox.h) and sampler
 * slices (data/sampler.h): what W ranks draw for their rows, put side by side, is bit for
 * bit what one process draws for the whole batch.
 *
 * For every op that draws per row (uniform and normal fills, dropout, the tanh-Gaussian
 * sample, action noise, the diffusion noising step, index sampling) and for dropout
 * masks through the layers of an MLP and an LN-ResNet (whose offsets advance by the whole
 * batch's span), at world sizes whose slices start mid Philox block (rows per rank 3, 5),
 * on both CPU backends (ref: the references in OpenMP chunks; cpu: the fast Philox fills)
 * and the plain references; and for the host sampler's
 * slices, uniform and mixed expert / non-expert, including the counter they leave. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/params.h"
#include "data/action_noise.h"
#include "data/sampler.h"
#include "kernels/diffusion.h"
#include "kernels/gather.h"
#include "kernels/gaussian.h"
#include "kernels/random.h"
#include "net_harness.h"
#include "test_util.h"

static rise_rng window(rise_rng r, int rank, int rows, int total) {
    r.row0 = (uint32_t)(rank * rows);
    r.rows = (uint32_t)rows;
    r.rows_total = (uint32_t)total;
    return r;
}

static int same_bits(const void *a, const void *b, size_t bytes) { return !memcmp(a, b, bytes); }

/* One op's draw over R rows of c values per row, as a function of (rng, rows). */
typedef void (*draw_fn)(rise_backend *be, rise_rng rng, int rows, int c, float *out);

static void draw_uniform(rise_backend *be, rise_rng rng, int rows, int c, float *out) {
    be->rand_uniform(be, out, (size_t)rows * c, -2.0f, 3.0f, rng);
}
static void draw_normal(rise_backend *be, rise_rng rng, int rows, int c, float *out) {
    be->rand_normal(be, out, (size_t)rows * c, 0.5f, 2.0f, rng);
}
static void draw_dropout(rise_backend *be, rise_rng rng, int rows, int c, float *out) {
    const size_t n = (size_t)rows * c;
    float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; ++i) x[i] = 1.0f + (float)i;
    be->dropout_forward(be, y, out, x, n, 0.3f, rng);
    free(x);
    free(y);
}
/* out: [eps | act | logp] */
static void draw_tanh_gauss(rise_backend *be, rise_rng rng, int rows, int c, float *out) {
    const size_t n = (size_t)rows * c;
    float *mean = malloc(sizeof(float) * n), *ls = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; ++i) mean[i] = 0.1f * (float)(i % (size_t)c), ls[i] = -0.5f;
    be->tanh_gauss_sample(be, out + n, out + 2 * n, out, mean, ls, rows, c, rng);
    free(mean);
    free(ls);
}
/* c = M A: out [rows M, A] noisy copies */
static void draw_action_noise(rise_backend *be, rise_rng rng, int rows, int c, float *out) {
    const int M = 3, A = c / M;
    float *a = malloc(sizeof(float) * (size_t)rows * A);
    const float sigma[3] = {0.05f, 0.1f, 0.2f};
    for (int i = 0; i < rows * A; ++i) a[i] = 0.0f;
    be->action_noise(be, out, NULL, NULL, a, sigma, rows, M, A, rng);
    free(a);
}
/* out: [eps (rows c) | t (rows)] */
static void draw_q_sample(rise_backend *be, rise_rng rng, int rows, int c, float *out) {
    const size_t n = (size_t)rows * c;
    float *x0 = calloc(n, sizeof(float)), *xt = malloc(sizeof(float) * n);
    const float sab[4] = {1.0f, 0.9f, 0.5f, 0.1f}, s1m[4] = {0.0f, 0.4f, 0.8f, 0.99f};
    be->diffusion_q_sample(be, xt, out, out + n, x0, sab, s1m, rows, c, 4, rng);
    free(x0);
    free(xt);
}
static void draw_indices(rise_backend *be, rise_rng rng, int rows, int c, float *out) {
    int32_t *idx = malloc(sizeof(int32_t) * (size_t)rows);
    be->sample_indices(be, idx, rows, 1000003, NULL, 0, NULL, 0, -1, rng);
    for (int i = 0; i < rows; ++i) out[i] = (float)idx[i];
    free(idx);
}

typedef struct {
    const char *name;
    draw_fn fn;
    int c;     /* values per row */
    int parts; /* out holds `parts` arrays of rows * c (and `tail` of rows) */
    int tail;  /* 1: one more array of rows values */
} op_case;

/* Whole-batch draw vs the W ranks' windowed draws, part by part. */
static void check_op(rise_backend *be, const op_case *k, int W, int b) {
    const int R = W * b;
    const size_t per_full = (size_t)R * k->c, per_slice = (size_t)b * k->c;
    const size_t nfull = per_full * k->parts + (k->tail ? (size_t)R : 0);
    const size_t nslice = per_slice * k->parts + (k->tail ? (size_t)b : 0);
    float *full = calloc(nfull, sizeof(float)), *slice = calloc(nslice, sizeof(float));
    const rise_rng rng = {0x1234abcdull, 0x77u, 5, NULL};
    k->fn(be, rng, R, k->c, full);
    int ok = 1;
    for (int r = 0; r < W; ++r) {
        k->fn(be, window(rng, r, b, R), b, k->c, slice);
        for (int p = 0; p < k->parts; ++p)
            ok &= same_bits(slice + p * per_slice, full + p * per_full + (size_t)r * per_slice,
                            sizeof(float) * per_slice);
        if (k->tail)
            ok &= same_bits(slice + k->parts * per_slice,
                            full + k->parts * per_full + (size_t)r * b, sizeof(float) * b);
    }
    TEST_CHECK(ok, "%s on %s: %d ranks x %d rows draw what one process draws for %d rows", k->name,
               be->name, W, b, R);
    free(full);
    free(slice);
}

static void test_ops(const char *backend) {
    rise_status st;
    rise_backend *be = rise_backend_create(backend, &st);
    printf("%s backend\n", backend);
    const op_case cases[] = {
        {"rand_uniform", draw_uniform, 5, 1, 0},
        {"rand_normal", draw_normal, 3, 1, 0},
        {"dropout mask", draw_dropout, 7, 1, 0},
        {"tanh_gauss_sample", draw_tanh_gauss, 3, 2, 1},
        {"action_noise", draw_action_noise, 3 * 5, 1, 0},
        {"diffusion_q_sample", draw_q_sample, 3, 1, 1},
        {"sample_indices", draw_indices, 1, 1, 0},
    };
    const int worlds[][2] = {{2, 4}, {3, 5}, {4, 3}, {2, 301}}; /* {W, rows per rank} */
    for (size_t w = 0; w < sizeof worlds / sizeof worlds[0]; ++w)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i)
            check_op(be, &cases[i], worlds[w][0], worlds[w][1]);

    /* the references, called directly with a window, agree with the chunked backend */
    const int W = 3, b = 5, R = 15, n = 7;
    float full[15 * 7], part[5 * 7], mask[5 * 7], x[5 * 7];
    const rise_rng rng = {99, 3, 11, NULL};
    rand_normal_ref(full, (size_t)R * n, 0.0f, 1.0f, rng);
    for (int i = 0; i < b * n; ++i) x[i] = 1.0f;
    int ok = 1;
    for (int r = 0; r < W; ++r) {
        rand_normal_ref(part, (size_t)b * n, 0.0f, 1.0f, window(rng, r, b, R));
        ok &= same_bits(part, full + r * b * n, sizeof part);
    }
    TEST_CHECK(ok, "rand_normal_ref with a window");
    float umask[15 * 7], ux[15 * 7];
    for (int i = 0; i < R * n; ++i) ux[i] = 1.0f;
    dropout_forward_ref(full, umask, ux, (size_t)R * n, 0.5f, rng);
    ok = 1;
    for (int r = 0; r < W; ++r) {
        dropout_forward_ref(part, mask, x, (size_t)b * n, 0.5f, window(rng, r, b, R));
        ok &= same_bits(mask, umask + r * b * n, sizeof mask);
    }
    TEST_CHECK(ok, "dropout_forward_ref with a window");
    /* a window resolved twice is resolved once */
    const rise_rng once = rise_rng_slice(window(rng, 2, b, R), (uint64_t)b * n);
    TEST_CHECK(rise_rng_slice(once, 3).skip == once.skip && once.skip == 2ull * b * n &&
                   rise_rng_span(window(rng, 2, b, R), (uint64_t)b * n) == (uint64_t)R * n,
               "rise_rng_slice is idempotent; span = the whole batch's draw");
    rise_backend_destroy(be);
}

/* Dropout masks of every layer of an MLP and an LN-ResNet: the offset between layers
 * advances by the whole batch's draw, so rank slices keep matching after layer 1. */
static void check_net_masks(rise_backend *be, tnet_kind kind, int W, int b) {
    const int R = W * b;
    tnet_spec s;
    memset(&s, 0, sizeof s);
    s.label = kind == TNET_MLP ? "mlp" : "lnresnet";
    s.kind = kind;
    s.mlp_cfg = rise_mlp_config_default();
    s.mlp_cfg.in_dim = 4;
    s.mlp_cfg.out_dim = 2;
    s.mlp_cfg.n_hidden = 3;
    for (int l = 0; l < 3; ++l) s.mlp_cfg.hidden[l] = 6;
    s.mlp_cfg.dropout = 0.25f;
    s.res_cfg = rise_lnresnet_config_default();
    s.res_cfg.in_dim = 4;
    s.res_cfg.out_dim = 2;
    s.res_cfg.hidden = 6;
    s.res_cfg.expand = 2;
    s.res_cfg.n_blocks = 3;
    s.res_cfg.dropout = 0.25f;
    s.train = 1;
    s.seed = 5;
    s.rng = (rise_rng){42, 0x41000001u, 7ull << 32, NULL};
    const int layers = 3, H = 6;
    tnet full;
    s.batch = R;
    tnet_build(&full, be, &s);
    tnet_run(&full, &full.arena, 0);
    int ok = 1;
    for (int r = 0; r < W; ++r) {
        tnet part;
        tnet_spec ps = s;
        ps.batch = b;
        ps.rng = window(s.rng, r, b, R);
        tnet_build(&part, be, &ps);
        tnet_run(&part, &part.arena, 0);
        for (int l = 0; l < layers; ++l) {
            const float *fm = kind == TNET_MLP ? full.tape.m.mask[l] : full.tape.r.mask[l];
            const float *pm = kind == TNET_MLP ? part.tape.m.mask[l] : part.tape.r.mask[l];
            ok &= same_bits(pm, fm + (size_t)r * b * H, sizeof(float) * (size_t)b * H);
        }
        tnet_free(&part);
    }
    TEST_CHECK(ok, "%s: dropout masks of all %d layers, %d ranks x %d rows = one process", s.label,
               layers, W, b);
    tnet_free(&full);
}

static void test_net_masks(const char *backend) {
    rise_status st;
    rise_backend *be = rise_backend_create(backend, &st);
    check_net_masks(be, TNET_MLP, 2, 5);
    check_net_masks(be, TNET_MLP, 3, 3);
    check_net_masks(be, TNET_RESNET, 2, 5);
    check_net_masks(be, TNET_RESNET, 4, 3);
    rise_backend_destroy(be);
}

/* Host sampler slices: uniform and mixed batches, and the counter after them. */
static void test_sampler_slices(void) {
    enum { N = 50, NA = 13 };
    int64_t exp_idx[NA], non_idx[N - NA];
    for (int i = 0; i < NA; ++i) exp_idx[i] = 3 * i;
    int nb = 0;
    for (int i = 0; i < N && nb < N - NA; ++i)
        if (i % 3 || i / 3 >= NA) non_idx[nb++] = i;
    rise_trainset ts;
    memset(&ts, 0, sizeof ts);
    ts.n = N;
    ts.expert_idx = exp_idx;
    ts.n_expert = NA;
    ts.nonexpert_idx = non_idx;
    ts.n_nonexpert = nb;
    const double ratios[] = {-1.0, 0.3, 0.75};
    const int worlds[][2] = {{2, 6}, {3, 5}, {4, 7}};
    for (size_t q = 0; q < 3; ++q)
        for (size_t w = 0; w < 3; ++w) {
            const int W = worlds[w][0], b = worlds[w][1], B = W * b;
            rise_sampler one;
            TEST_CHECK(rise_sampler_init(&one, &ts, 7, 0, B, ratios[q]) == RISE_OK, "init");
            int64_t full[3][64], part[64];
            for (int k = 0; k < 3; ++k) rise_sampler_next(&one, full[k]);
            int ok = 1, counters = 1;
            for (int r = 0; r < W; ++r) {
                rise_sampler s;
                rise_sampler_init(&s, &ts, 7, 0, b, ratios[q]);
                TEST_CHECK(rise_sampler_slice(&s, (int64_t)r * b, B, ratios[q]) == RISE_OK,
                           "slice: %s", rise_last_error());
                for (int k = 0; k < 3; ++k) {
                    rise_sampler_next(&s, part);
                    ok &= !memcmp(part, full[k] + r * b, sizeof(int64_t) * b);
                }
                counters &= rise_sampler_state(&s) == rise_sampler_state(&one);
            }
            TEST_CHECK(ok && counters,
                       "sampler ratio %g: %d slices of %d = one batch of %d for 3 batches "
                       "(indices %s, counters %s)",
                       ratios[q], W, b, B, ok ? "equal" : "differ", counters ? "equal" : "differ");
        }
    rise_sampler s;
    rise_sampler_init_uniform(&s, 10, 1, 2, 4);
    TEST_CHECK(rise_sampler_slice(&s, 6, 8, -1.0) == RISE_ERR_INVALID,
               "a slice past the end of the batch is refused");
}

int main(void) {
    (void)tnet_grads; /* the harness's other helpers */
    (void)tnet_standard_specs;
    test_ops("ref");
    test_ops("cpu");
    test_net_masks("ref");
    test_net_masks("cpu");
    test_sampler_slices();
    return test_finish();
}
