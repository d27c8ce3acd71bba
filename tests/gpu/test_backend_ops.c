/* test_backend_ops.c - every backend op on CUDA against the CPU backend (the
 * reference), on awkward shapes, with every numbered variant where an op has
 * several, and twice for ops that accumulate. Exits 77 without a GPU.
 * Tolerances: element-wise ops and Philox uniforms exact or 1 ulp-ish
 * (1e-6); transcendental activations and normals 1e-5; GEMM (FP32, different
 * summation order) 1e-4; reductions in double 1e-6. */
#include "kernels/layernorm.h"
#include "kernels/reduce.h"
#include "test_util.h"

static rise_backend *cpu, *gpu;

/* A host array mirrored on both backends. */
typedef struct {
    size_t n;
    float *h, *c, *g;
} pair;

static pair mk(size_t n, unsigned seed, float lo, float hi) {
    pair p = {n, malloc((n ? n : 1) * 4), NULL, NULL};
    test_fill_random(p.h, n, seed, lo, hi);
    p.c = test_to_backend(cpu, p.h, n);
    p.g = test_to_backend(gpu, p.h, n);
    return p;
}

static void drop(pair *p) {
    free(p->h);
    cpu->free(cpu, p->c);
    gpu->free(gpu, p->g);
}

static int same(const char *name, const pair *p, double atol, double rtol) {
    float *c = test_from_backend(cpu, p->c, p->n), *g = test_from_backend(gpu, p->g, p->n);
    const int ok = test_close(name, g, c, p->n, atol, rtol);
    free(c), free(g);
    return ok;
}

static const size_t lengths[] = {1, 7, 13, 257, 1003, 65537};
#define NL (sizeof lengths / sizeof lengths[0])

static void test_elementwise(void) {
    char name[96];
    for (size_t li = 0; li < NL; ++li) {
        const size_t n = lengths[li];
        pair x = mk(n, 1, -3, 3), y = mk(n, 2, -3, 3), z = mk(n, 3, -1, 1);
        cpu->add(cpu, z.c, x.c, y.c, n), gpu->add(gpu, z.g, x.g, y.g, n);
        snprintf(name, sizeof name, "add n=%zu", n), same(name, &z, 0, 0);
        cpu->mul(cpu, z.c, x.c, y.c, n), gpu->mul(gpu, z.g, x.g, y.g, n);
        snprintf(name, sizeof name, "mul n=%zu", n), same(name, &z, 0, 0);
        cpu->axpy(cpu, z.c, -0.5f, x.c, n), gpu->axpy(gpu, z.g, -0.5f, x.g, n);
        snprintf(name, sizeof name, "axpy n=%zu", n), same(name, &z, 1e-6, 1e-6);
        cpu->scale(cpu, z.c, 3.0f, n), gpu->scale(gpu, z.g, 3.0f, n);
        snprintf(name, sizeof name, "scale n=%zu", n), same(name, &z, 1e-6, 1e-6);
        cpu->clamp(cpu, z.c, x.c, -1, 0.5f, n), gpu->clamp(gpu, z.g, x.g, -1, 0.5f, n);
        snprintf(name, sizeof name, "clamp n=%zu", n), same(name, &z, 0, 0);
        cpu->polyak(cpu, z.c, y.c, n, 0.01f), gpu->polyak(gpu, z.g, y.g, n, 0.01f);
        snprintf(name, sizeof name, "polyak n=%zu", n), same(name, &z, 1e-6, 1e-6);
        for (int a = 0; a < RISE_ACT_COUNT; ++a) {
            cpu->act_forward(cpu, (rise_act)a, z.c, x.c, n), gpu->act_forward(gpu, (rise_act)a, z.g, x.g, n);
            snprintf(name, sizeof name, "act %d forward n=%zu", a, n), same(name, &z, 1e-5, 1e-5);
            for (int rep = 0; rep < 2; ++rep) { /* second call accumulates */
                cpu->act_backward(cpu, (rise_act)a, z.c, y.c, x.c, n, rep);
                gpu->act_backward(gpu, (rise_act)a, z.g, y.g, x.g, n, rep);
            }
            snprintf(name, sizeof name, "act %d backward x2 n=%zu", a, n), same(name, &z, 1e-5, 1e-5);
        }
        drop(&x), drop(&y), drop(&z);
    }
}

static void test_gemm_bias(void) {
    const int shapes[][5] = {/* m n k batch broadcast_a */ {1, 1, 1, 1, 0}, {7, 13, 5, 1, 0},
                             {37, 1, 257, 2, 0}, {256, 256, 33, 2, 1}, {1, 300, 17, 3, 0}};
    char name[96];
    for (int s = 0; s < 5; ++s)
        for (int ta = 0; ta < 2; ++ta)
            for (int tb = 0; tb < 2; ++tb) {
                const int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
                const int batch = shapes[s][3], bc = shapes[s][4];
                pair a = mk((size_t)m * k * (bc ? 1 : batch), 4, -1, 1);
                pair b = mk((size_t)k * n * batch, 5, -1, 1), c = mk((size_t)m * n * batch, 6, -1, 1);
                const int lda = ta ? m : k, ldb = tb ? k : n;
                const int64_t sa = bc ? 0 : (int64_t)m * k;
                cpu->gemm(cpu, ta, tb, m, n, k, 0.7f, a.c, lda, sa, b.c, ldb, (int64_t)k * n, 0.5f,
                          c.c, n, (int64_t)m * n, batch);
                gpu->gemm(gpu, ta, tb, m, n, k, 0.7f, a.g, lda, sa, b.g, ldb, (int64_t)k * n, 0.5f,
                          c.g, n, (int64_t)m * n, batch);
                snprintf(name, sizeof name, "gemm %d%d %dx%dx%d b%d", ta, tb, m, n, k, batch);
                same(name, &c, 1e-4, 1e-4);
                drop(&a), drop(&b), drop(&c);
            }
    const int eb[][3] = {{1, 1, 1}, {2, 7, 13}, {2, 257, 31}, {1, 1000, 3}};
    for (int s = 0; s < 4; ++s) {
        const int e = eb[s][0], b = eb[s][1], n = eb[s][2];
        pair y = mk((size_t)e * b * n, 7, -1, 1), bias = mk((size_t)e * n, 8, -1, 1);
        pair db = mk((size_t)e * n, 9, -1, 1);
        cpu->bias_add(cpu, y.c, bias.c, e, b, n), gpu->bias_add(gpu, y.g, bias.g, e, b, n);
        snprintf(name, sizeof name, "bias_add %dx%dx%d", e, b, n), same(name, &y, 0, 0);
        for (int rep = 0; rep < 2; ++rep)
            cpu->bias_grad(cpu, db.c, y.c, e, b, n), gpu->bias_grad(gpu, db.g, y.g, e, b, n);
        snprintf(name, sizeof name, "bias_grad x2 %dx%dx%d", e, b, n), same(name, &db, 1e-5, 1e-5);
        drop(&y), drop(&bias), drop(&db);
    }
    /* concat / split */
    pair src = mk(13 * 7, 10, -1, 1), dst = mk(13 * 11, 11, -1, 1);
    for (int rep = 0; rep < 2; ++rep) {
        cpu->copy_cols(cpu, dst.c, 11, 3, src.c, 7, 1, 13, 5, rep);
        gpu->copy_cols(gpu, dst.g, 11, 3, src.g, 7, 1, 13, 5, rep);
    }
    same("copy_cols", &dst, 0, 0);
    drop(&src), drop(&dst);
}

static void test_layernorm(void) {
    const int shapes[][2] = {{1, 1}, {1, 7}, {13, 256}, {257, 33}, {5, 1031}, {3, 4099}};
    char name[96];
    for (int s = 0; s < 6; ++s)
        for (int variant = 1; variant <= LAYERNORM_CUDA_VARIANTS; ++variant) {
            const int r = shapes[s][0], c = shapes[s][1];
            if (!layernorm_cuda_supports(variant, r, c)) continue;
            pair x = mk((size_t)r * c, 12, -2, 3), gam = mk(c, 13, 0.5f, 1.5f), bet = mk(c, 14, -1, 1);
            pair y = mk((size_t)r * c, 15, 0, 0), mean = mk(r, 0, 0, 0), rstd = mk(r, 0, 0, 0);
            pair dy = mk((size_t)r * c, 16, -1, 1), dx = mk((size_t)r * c, 17, -1, 1);
            pair dg = mk(c, 18, -1, 1), dbt = mk(c, 19, -1, 1);
            cpu->layernorm_forward(cpu, y.c, mean.c, rstd.c, x.c, gam.c, bet.c, r, c, 1e-5f);
            layernorm_forward_cuda_variant(variant, gpu->stream, y.g, mean.g, rstd.g, x.g, gam.g, bet.g, r, c, 1e-5f);
            snprintf(name, sizeof name, "layernorm v%d fwd %dx%d", variant, r, c);
            same(name, &y, 1e-5, 1e-5);
            same("layernorm mean", &mean, 1e-6, 1e-6);
            same("layernorm rstd", &rstd, 1e-6, 1e-5);
            for (int rep = 0; rep < 2; ++rep) {
                cpu->layernorm_backward(cpu, dx.c, dg.c, dbt.c, dy.c, x.c, mean.c, rstd.c, gam.c, r, c, rep);
                layernorm_backward_cuda_variant(variant, gpu->stream, dx.g, dg.g, dbt.g, dy.g, x.g, mean.g,
                                                rstd.g, gam.g, r, c, rep);
            }
            snprintf(name, sizeof name, "layernorm v%d bwd x2 %dx%d", variant, r, c);
            same(name, &dx, 1e-5, 1e-5);
            same("layernorm dgamma", &dg, 1e-4, 1e-5);
            same("layernorm dbeta", &dbt, 1e-4, 1e-5);
            drop(&x), drop(&gam), drop(&bet), drop(&y), drop(&mean), drop(&rstd);
            drop(&dy), drop(&dx), drop(&dg), drop(&dbt);
        }
}

static void test_random_losses_reduce(void) {
    char name[96];
    for (size_t li = 0; li < NL; ++li) {
        const size_t n = lengths[li];
        const rise_rng rng = {1234567, 5, 77};
        pair u = mk(n, 0, 0, 0), x = mk(n, 20, -1, 1), m = mk(n, 0, 0, 0), t = mk(n, 21, -1, 1);
        cpu->rand_uniform(cpu, u.c, n, -1, 2, rng), gpu->rand_uniform(gpu, u.g, n, -1, 2, rng);
        snprintf(name, sizeof name, "uniform n=%zu (bitwise)", n), same(name, &u, 0, 0);
        cpu->rand_normal(cpu, u.c, n, 0.5f, 2, rng), gpu->rand_normal(gpu, u.g, n, 0.5f, 2, rng);
        snprintf(name, sizeof name, "normal n=%zu", n), same(name, &u, 1e-5, 1e-5);
        cpu->dropout_forward(cpu, u.c, m.c, x.c, n, 0.25f, rng);
        gpu->dropout_forward(gpu, u.g, m.g, x.g, n, 0.25f, rng);
        snprintf(name, sizeof name, "dropout mask n=%zu (bitwise)", n), same(name, &m, 0, 0);
        pair loss = mk(1, 0, 0, 0);
        cpu->mse(cpu, loss.c, u.c, x.c, t.c, m.c, n, 0.5f), gpu->mse(gpu, loss.g, u.g, x.g, t.g, m.g, n, 0.5f);
        snprintf(name, sizeof name, "mse n=%zu", n), same(name, &loss, 1e-6, 1e-6), same("mse grad", &u, 1e-6, 1e-6);
        cpu->expectile(cpu, loss.c, u.c, x.c, t.c, n, 0.9f, 1.0f);
        gpu->expectile(gpu, loss.g, u.g, x.g, t.g, n, 0.9f, 1.0f);
        snprintf(name, sizeof name, "expectile n=%zu", n), same(name, &loss, 1e-6, 1e-6), same("expectile grad", &u, 1e-6, 1e-6);
        cpu->td_target(cpu, u.c, x.c, m.c, t.c, n, 0.99f), gpu->td_target(gpu, u.g, x.g, m.g, t.g, n, 0.99f);
        snprintf(name, sizeof name, "td_target n=%zu", n), same(name, &u, 1e-6, 1e-6);
        for (int op = 0; op < RISE_REDUCE_COUNT; ++op)
            for (int variant = 1; variant <= REDUCE_CUDA_VARIANTS; ++variant) {
                cpu->reduce(cpu, (rise_reduce_op)op, loss.c, x.c, n);
                reduce_cuda_variant(variant, gpu->stream, (rise_reduce_op)op, loss.g, x.g, n);
                snprintf(name, sizeof name, "reduce op %d v%d n=%zu", op, variant, n);
                same(name, &loss, 1e-6, 1e-6);
            }
        drop(&u), drop(&x), drop(&m), drop(&t), drop(&loss);
    }
    pair x = mk(13 * 37, 22, -1, 1), out = mk(13, 0, 0, 0);
    for (int op = 0; op < RISE_REDUCE_COUNT; ++op) {
        cpu->reduce_rows(cpu, (rise_reduce_op)op, out.c, x.c, 13, 37);
        gpu->reduce_rows(gpu, (rise_reduce_op)op, out.g, x.g, 13, 37);
        snprintf(name, sizeof name, "reduce_rows op %d", op), same(name, &out, 1e-6, 1e-6);
    }
    drop(&x), drop(&out);
}

static void test_adam_spectral_embed(void) {
    const size_t n = 100003;
    pair p = mk(n, 23, -1, 1), g = mk(n, 24, -1, 1), m = mk(n, 0, 0, 0), v = mk(n, 0, 0, 0);
    pair sumsq = mk(1, 0, 0, 0);
    rise_adam_hparams hp = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1.0f};
    for (int step = 1; step <= 3; ++step) {
        cpu->reduce(cpu, RISE_REDUCE_SUMSQ, sumsq.c, g.c, n), gpu->reduce(gpu, RISE_REDUCE_SUMSQ, sumsq.g, g.g, n);
        cpu->adam(cpu, p.c, g.c, m.c, v.c, n, &hp, step, sumsq.c);
        gpu->adam(gpu, p.g, g.g, m.g, v.g, n, &hp, step, sumsq.g);
    }
    same("adamw with clipping, 3 steps: params", &p, 1e-6, 1e-5);
    same("adam m", &m, 1e-7, 1e-5);
    same("adam v", &v, 1e-9, 1e-5);
    drop(&p), drop(&g), drop(&m), drop(&v), drop(&sumsq);

    const int sh[][2] = {{1, 1}, {7, 13}, {512, 512}, {1031, 3}};
    char name[96];
    for (int s = 0; s < 4; ++s) {
        const int r = sh[s][0], c = sh[s][1];
        pair w = mk((size_t)r * c, 25, -1, 1), u = mk(r, 26, 0.1f, 1), vv = mk(c, 0, 0, 0);
        pair sig = mk(1, 0, 0, 0), dw = mk((size_t)r * c, 27, -1, 1);
        cpu->spectral_norm_forward(cpu, sig.c, u.c, vv.c, w.c, r, c, 3);
        gpu->spectral_norm_forward(gpu, sig.g, u.g, vv.g, w.g, r, c, 3);
        snprintf(name, sizeof name, "spectral norm sigma %dx%d", r, c), same(name, &sig, 1e-5, 1e-5);
        same("spectral norm u", &u, 1e-5, 1e-4);
        for (int rep = 0; rep < 2; ++rep) {
            cpu->spectral_norm_backward(cpu, dw.c, sig.c, u.c, vv.c, r, c, 0.1f, rep);
            gpu->spectral_norm_backward(gpu, dw.g, sig.g, u.g, vv.g, r, c, 0.1f, rep);
        }
        same("spectral norm backward x2", &dw, 1e-5, 1e-4);
        drop(&w), drop(&u), drop(&vv), drop(&sig), drop(&dw);
    }
    const int eb[][2] = {{1, 1}, {7, 16}, {257, 64}};
    for (int s = 0; s < 3; ++s) {
        const int b = eb[s][0], h = eb[s][1];
        pair t = mk(b, 28, 0, 10), f = mk(h, 29, -2, 2), y = mk((size_t)b * 2 * h, 0, 0, 0);
        pair df = mk(h, 30, -1, 1);
        cpu->freq_embed_forward(cpu, y.c, t.c, f.c, b, h), gpu->freq_embed_forward(gpu, y.g, t.g, f.g, b, h);
        snprintf(name, sizeof name, "freq embed %dx%d", b, h), same(name, &y, 1e-5, 1e-5);
        for (int rep = 0; rep < 2; ++rep)
            cpu->freq_embed_backward(cpu, df.c, y.c, t.c, f.c, b, h), gpu->freq_embed_backward(gpu, df.g, y.g, t.g, f.g, b, h);
        same("freq embed backward x2", &df, 1e-4, 1e-4);
        drop(&t), drop(&f), drop(&y), drop(&df);
    }
}

int main(void) {
    gpu = test_backend_or_skip("cuda");
    cpu = test_backend_or_skip("cpu");
    test_elementwise();
    test_gemm_bias();
    test_layernorm();
    test_random_losses_reduce();
    test_adam_spectral_embed();
    TEST_CHECK(gpu->sync(gpu) == RISE_OK, "no CUDA error: %s", rise_last_error());
    rise_backend_destroy(gpu);
    rise_backend_destroy(cpu);
    return test_finish();
}
