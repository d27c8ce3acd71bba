/* bench_unet.c - the conditional 1-D U-Net: its convolutions one by one, and the whole
 * network's forward + backward (one training step's network work, without Adam).
 *
 * Convolutions (validated against conv1d_ref.c's direct loops): the U-Net's K = 5 block
 * convolution, the stride-2 down-sampling and the transposed up-sampling (backward-data),
 * at batch 64. Bytes: x, w, y once; FLOPs 2 B To Co K Ci per pass. On CUDA each row is
 * repeated per variant (v1 direct, v2 im2col + cuBLAS, v3 cuDNN) for choosing the default.
 * Whole network: batch 256, chunks of T = 16 actions of A = 7, condition D = 46 (2 frames
 * of square's 23), at the CPU-scale down dims [64, 128, 256] (step embedding 128) and the
 * paper's [256, 512, 1024] (256). Validated: y is finite, and on a device backend equal to
 * the CPU backend's y for the same weights (rtol 1e-3). Reported "steps/s" = 1e6 / median
 * microseconds of forward + backward; FLOPs count the convolutions and Linears (forward
 * once, backward twice).
 *
 * Run: build/benchmarks/bench_unet [--backend cpu|cuda] [--quick] [--json FILE] */
#include "algorithms/params.h"
#include "algorithms/unet.h"
#include "bench_util.h"
#include "kernels/conv1d.h"

/* ---- single convolutions ---- */

typedef struct {
    rise_conv1d_shape s;
    int transposed; /* time the backward-data (the up-sampling's forward) */
    int variant;    /* 0: the backend's op; 1..3: that CUDA variant (conv1d.cu) */
    void *cublas, *cudnn;
    bench_buf x, w, b, y, dx, dw;
    float *ws;
} conv_case;

static void run_conv(rise_backend *be, void *arg) {
    conv_case *k = arg;
#ifdef RISE_WITH_CUDA
    if (k->variant) {
        if (k->transposed)
            conv1d_backward_data_cuda_variant(k->variant, be->stream, k->cublas, k->cudnn, &k->s,
                                              k->dx.dev, k->y.dev, k->w.dev, 0, k->ws);
        else
            conv1d_forward_cuda_variant(k->variant, be->stream, k->cublas, k->cudnn, &k->s,
                                        k->y.dev, k->x.dev, k->w.dev, k->b.dev, k->ws);
        return;
    }
#endif
    if (k->transposed)
        be->conv1d_backward_data(be, &k->s, k->dx.dev, k->y.dev, k->w.dev, 0, k->ws);
    else
        be->conv1d_forward(be, &k->s, k->y.dev, k->x.dev, k->w.dev, k->b.dev, k->ws);
}

static void run_conv_bwd_weight(rise_backend *be, void *arg) {
    conv_case *k = arg;
#ifdef RISE_WITH_CUDA
    if (k->variant) {
        conv1d_backward_weight_cuda_variant(k->variant, be->stream, k->cublas, k->cudnn, &k->s,
                                            k->dw.dev, NULL, k->y.dev, k->x.dev, k->ws);
        return;
    }
#endif
    be->conv1d_backward_weight(be, &k->s, k->dw.dev, NULL, k->y.dev, k->x.dev, k->ws);
}

static void conv_bench_variant(bench_ctx *c, const char *label, int b, int ti, int ci, int co,
                               int kk, int st, int pad, int transposed, int variant) {
    conv_case k;
    memset(&k, 0, sizeof k);
    rise_conv1d_shape s = {b, ti, ci, conv1d_out_len(ti, kk, st, pad), co, kk, st, pad};
    k.s = s;
    k.transposed = transposed;
    k.variant = variant;
    rise_backend_cuda_libs(c->be, &k.cublas, &k.cudnn);
#ifdef RISE_WITH_CUDA
    if (variant && !conv1d_cuda_supports(variant, &s, k.cudnn)) return;
#endif
    const size_t nx = (size_t)b * ti * ci, ny = (size_t)b * s.t_out * co, nw = (size_t)co * kk * ci;
    k.x = bench_buf_random(c, nx, 1, -1, 1);
    k.w = bench_buf_random(c, nw, 2, -0.1f, 0.1f);
    k.b = bench_buf_random(c, co, 3, -0.1f, 0.1f);
    k.y = bench_buf_random(c, ny, 4, -1, 1);
    k.dx = bench_buf_const(c, nx, 0.0f);
    k.dw = bench_buf_const(c, nw, 0.0f);
    size_t wsb = c->be->conv1d_workspace_bytes(c->be, &s);
#ifdef RISE_WITH_CUDA
    if (variant) wsb = conv1d_cuda_workspace_bytes(variant, k.cudnn, &s);
#endif
    k.ws = wsb ? bench_backend_alloc(c, (wsb + 3) / 4) : NULL;
    char shape[96];
    if (variant)
        snprintf(shape, sizeof shape, "%s B=%d T=%d %d->%d K=%d s=%d v%d", label, b, ti, ci, co, kk,
                 st, variant);
    else
        snprintf(shape, sizeof shape, "%s B=%d T=%d %d->%d K=%d s=%d", label, b, ti, ci, co, kk,
                 st);
    const double flops = 2.0 * b * s.t_out * (double)co * kk * ci;
    const double bytes = 4.0 * (nx + ny + nw);
    const char *op = transposed ? "conv1d_bwd_data" : "conv1d_fwd";
    int ok;
    if (transposed) {
        float *ref = bench_host_alloc(c, nx);
        conv1d_backward_data_ref(&s, ref, k.y.host, k.w.host, 0);
        run_conv(c->be, &k);
        ok = bench_sync(c, op, shape);
        float *got = bench_buf_fetch(c, &k.dx);
        ok = ok && bench_check(c, op, shape, "dx", got, ref, nx, 1e-4, 1e-4);
        free(got), free(ref);
    } else {
        float *ref = bench_host_alloc(c, ny);
        conv1d_forward_ref(&s, ref, k.x.host, k.w.host, k.b.host);
        run_conv(c->be, &k);
        ok = bench_sync(c, op, shape);
        float *got = bench_buf_fetch(c, &k.y);
        ok = ok && bench_check(c, op, shape, "y", got, ref, ny, 1e-4, 1e-4);
        free(got), free(ref);
    }
    bench_time(c, op, shape, bytes, flops, ok, run_conv, &k);
    if (!transposed) {
        float *dw = bench_host_alloc(c, nw);
        memset(dw, 0, sizeof(float) * nw);
        conv1d_backward_weight_ref(&s, dw, NULL, k.y.host, k.x.host);
        bench_buf_reset(c, &k.y); /* the forward overwrote it: dy is the random y again */
        bench_buf_reset(c, &k.dw);
        run_conv_bwd_weight(c->be, &k);
        ok = bench_sync(c, "conv1d_bwd_weight", shape);
        float *got = bench_buf_fetch(c, &k.dw);
        ok = ok && bench_check(c, "conv1d_bwd_weight", shape, "dw", got, dw, nw, 1e-3, 1e-4);
        free(got), free(dw);
        bench_time(c, "conv1d_bwd_weight", shape, bytes, flops, ok, run_conv_bwd_weight, &k);
    }
    if (k.ws) c->be->free(c->be, k.ws);
    bench_buf *all[] = {&k.x, &k.w, &k.b, &k.y, &k.dx, &k.dw};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i) bench_buf_free(c, all[i]);
}

/* The backend's op, and on CUDA each variant the shape supports (the dispatcher's choice
 * is the unnumbered row). */
static void conv_bench(bench_ctx *c, const char *label, int b, int ti, int ci, int co, int kk,
                       int st, int pad, int transposed) {
    conv_bench_variant(c, label, b, ti, ci, co, kk, st, pad, transposed, 0);
#ifdef RISE_WITH_CUDA
    if (c->be->is_device)
        for (int v = 1; v <= CONV1D_CUDA_VARIANTS; ++v)
            conv_bench_variant(c, label, b, ti, ci, co, kk, st, pad, transposed, v);
#endif
}

/* ---- the whole network ---- */

typedef struct {
    rise_unet u;
    rise_params p;
    rise_arena ar;
    rise_unet_tape t;
    float *x, *k, *cond, *dy;
    int batch;
} net_case;

static void run_net(rise_backend *be, void *arg) {
    net_case *n = arg;
    rise_arena_rewind(&n->ar, 0);
    rise_unet_forward(&n->u, be, n->p.value, &n->ar, &n->t, n->x, n->k, n->cond, n->batch);
    rise_unet_backward(&n->u, be, n->p.value, n->p.grad, &n->ar, &n->t, n->dy, NULL);
}

static double conv_flops(const rise_unet_conv *cv, int batch, int t_out) {
    return 2.0 * batch * t_out * (double)cv->co * cv->k * cv->ci;
}

static double net_flops(const rise_unet *u, int batch) {
    double f = 0;
    const rise_unet_config *c = &u->cfg;
    for (int i = 0; i < u->n_blocks; ++i) {
        const rise_unet_block *b = &u->blocks[i];
        const int T = c->horizon >> b->level;
        f += conv_flops(&b->conv1, batch, T) + conv_flops(&b->conv2, batch, T);
        if (b->has_skip) f += conv_flops(&b->skip, batch, T);
        f += 2.0 * batch * (double)b->film.in * b->film.out;
    }
    for (int l = 0; l < c->n_levels - 1; ++l) {
        f += conv_flops(&u->down[l], batch, c->horizon >> (l + 1));
        f += conv_flops(&u->up[l], batch, c->horizon >> (c->n_levels - 1 - l));
    }
    f += conv_flops(&u->final_conv, batch, c->horizon) +
         conv_flops(&u->final_out, batch, c->horizon);
    f += 16.0 * batch * (double)c->step_embed * c->step_embed; /* Linears E -> 4E -> E */
    return 3.0 * f; /* forward + backward (data and weight) */
}

static int net_setup(bench_ctx *c, rise_backend *be, net_case *n, const rise_unet_config *cfg,
                     int batch) {
    memset(n, 0, sizeof *n);
    n->batch = batch;
    rise_params_init(&n->p);
    if (rise_unet_register(&n->u, &n->p, "policy.net", cfg) != RISE_OK ||
        rise_params_alloc(&n->p, be, 0) != RISE_OK || rise_unet_setup(&n->u, be) != RISE_OK) {
        fprintf(stderr, "%s: unet: %s\n", c->prog, rise_last_error());
        return 0;
    }
    rise_params_init_values(&n->p, 7);
    const size_t nx = (size_t)batch * cfg->horizon * cfg->act_dim;
    float *h = malloc(sizeof(float) * (nx + (size_t)batch * cfg->cond_dim + batch));
    bench_fill_random(h, nx, 1, -1, 1);
    n->x = be->alloc(be, sizeof(float) * nx);
    be->upload(be, n->x, h, sizeof(float) * nx);
    n->dy = be->alloc(be, sizeof(float) * nx);
    bench_fill_random(h, nx, 2, -1, 1);
    be->upload(be, n->dy, h, sizeof(float) * nx);
    n->cond = be->alloc(be, sizeof(float) * batch * cfg->cond_dim);
    bench_fill_random(h, (size_t)batch * cfg->cond_dim, 3, -1, 1);
    be->upload(be, n->cond, h, sizeof(float) * batch * cfg->cond_dim);
    for (int i = 0; i < batch; ++i) h[i] = (float)(i % 100);
    n->k = be->alloc(be, sizeof(float) * batch);
    be->upload(be, n->k, h, sizeof(float) * batch);
    free(h);
    rise_arena m;
    rise_arena_init_measure(&m);
    rise_unet_forward(&n->u, be, n->p.value, &m, &n->t, n->x, n->k, n->cond, batch);
    rise_unet_backward(&n->u, be, n->p.value, n->p.grad, &m, &n->t, n->dy, NULL);
    return rise_arena_init(&n->ar, be, m.peak + RISE_ARENA_ALIGN_FLOATS) == RISE_OK;
}

static void net_free(rise_backend *be, net_case *n) {
    float *b[] = {n->x, n->k, n->cond, n->dy};
    for (int i = 0; i < 4; ++i)
        if (b[i]) be->free(be, b[i]);
    rise_arena_free(&n->ar);
    rise_unet_free(&n->u);
    rise_params_free(&n->p);
}

static void net_bench(bench_ctx *c, const char *label, int d0, int d1, int d2, int E, int batch) {
    rise_unet_config cfg = rise_unet_config_default();
    cfg.act_dim = 7;
    cfg.horizon = 16;
    cfg.cond_dim = 46;
    cfg.down_dims[0] = d0;
    cfg.down_dims[1] = d1;
    cfg.down_dims[2] = d2;
    cfg.step_embed = E;
    net_case n;
    if (!net_setup(c, c->be, &n, &cfg, batch)) {
        ++c->n_errors;
        return;
    }
    char shape[96];
    snprintf(shape, sizeof shape, "%s [%d,%d,%d] B=%d T=16 P=%zu", label, d0, d1, d2, batch,
             rise_params_numel(&n.p));
    const size_t ny = (size_t)batch * 16 * 7;
    run_net(c->be, &n);
    int ok = bench_sync(c, "unet_fwd_bwd", shape);
    float *y = bench_host_alloc(c, ny);
    c->be->download(c->be, y, n.t.y, sizeof(float) * ny);
    int finite = 1;
    for (size_t i = 0; i < ny; ++i) finite &= isfinite(y[i]) != 0;
    ok = ok && finite;
    if (ok && c->be->is_device) {
        rise_status st;
        rise_backend *cpu = rise_backend_create("cpu", &st);
        net_case r;
        if (cpu && net_setup(c, cpu, &r, &cfg, batch)) {
            run_net(cpu, &r);
            ok = bench_check(c, "unet_fwd_bwd", shape, "y vs cpu", y, r.t.y, ny, 1e-4, 1e-3);
            net_free(cpu, &r);
        }
        if (cpu) cpu->destroy(cpu);
    }
    free(y);
    bench_time(c, "unet_fwd_bwd", shape, 4.0 * 3.0 * rise_params_numel(&n.p),
               net_flops(&n.u, batch), ok, run_net, &n);
    net_free(c->be, &n);
}

int main(int argc, char **argv) {
    bench_ctx c;
    bench_init(&c, argc, argv,
               "Conditional 1-D U-Net: single convolutions (K 5 block, stride-2 down, transposed\n"
               "up) at batch 64, and the whole network's forward + backward at batch 256,\n"
               "CPU-scale dims [64,128,256] and the paper's [256,512,1024]. steps/s = 1e6 /\n"
               "median us of unet_fwd_bwd. Bytes of the network row: 3 x parameters x 4.");
    if (c.quick) {
        conv_bench(&c, "block", 2, 8, 8, 8, 5, 1, 2, 0);
        conv_bench(&c, "up", 2, 8, 8, 8, 4, 2, 1, 1);
        net_bench(&c, "cpu-scale", 8, 16, 32, 16, 4);
        return bench_finish(&c);
    }
    conv_bench(&c, "block", 64, 16, 128, 128, 5, 1, 2, 0);
    conv_bench(&c, "block", 64, 4, 256, 256, 5, 1, 2, 0);
    conv_bench(&c, "down", 64, 16, 128, 128, 3, 2, 1, 0);
    conv_bench(&c, "up", 64, 16, 128, 128, 4, 2, 1, 1);
    net_bench(&c, "cpu-scale", 64, 128, 256, 128, 256);
    net_bench(&c, "paper", 256, 512, 1024, 256, 256);
    return bench_finish(&c);
}
