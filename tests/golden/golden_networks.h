/* golden_networks.h - the network golden test, shared by the CPU and CUDA test binaries.
 *
 * Loads tests/golden/networks.txt (PyTorch float64 reference, see make_golden.py), puts its
 * initial weights into our flat parameter buffer (PyTorch's Linear weight is [out, in], ours
 * [in, out]: transposed on the way in and out), then on the chosen backend:
 *   forward + MSE loss + backward   vs  N.out, N.loss, N.grad.*
 *   1 and 3 Adam steps (be->adam)   vs  N.adam1.*, N.adam3.*
 *   3 AdamW steps with clipping     vs  N.adamw3.*
 * and negative controls showing the tolerances are tight enough to catch a wrong LayerNorm
 * eps, the erf instead of the tanh GELU, mish swapped for another activation, and Adam
 * without bias correction.
 *
 * Tolerances (|got - ref| <= atol + rtol |ref| per element, float32 code vs float64 ref):
 *   outputs, loss   atol 2e-6 rtol 2e-5   (erf vs tanh GELU moves the output by 1.2e-4)
 *   gradients       atol 1e-5 rtol 1e-4   (relative to each tensor's largest gradient)
 *   parameters      atol 2e-6 rtol 2e-6   (one Adam step moves a weight by ~lr = 1e-2) */
#ifndef RISE_GOLDEN_NETWORKS_H
#define RISE_GOLDEN_NETWORKS_H

#include "algorithms/lnresnet.h"
#include "algorithms/mlp.h"
#include "algorithms/params.h"
#include "golden/golden_file.h"
#include "test_util.h"

#define GOLDEN_OUT_ATOL  2e-6
#define GOLDEN_OUT_RTOL  2e-5
#define GOLDEN_GRAD_ATOL 1e-5
#define GOLDEN_GRAD_RTOL 1e-4
#define GOLDEN_PAR_ATOL  2e-6
#define GOLDEN_PAR_RTOL  2e-6

typedef struct {
    const char *prefix;
    int is_resnet;
    rise_mlp mlp;
    rise_lnresnet res;
    rise_params p;
    int in, out, batch;
    rise_arena arena;
    float *x, *target, *dy, *loss, *gsq;
    const float *y; /* last forward's output (in the arena) */
} golden_net;

static const golden_file *golden_g;

/* max over elements of |got - ref| / (atol + rtol |ref|): how much of the tolerance is used
 * (printed so a shrinking margin is visible in the test log). */
static double golden_used;
static double golden_ratio(const float *got, const float *ref, size_t n, double atol, double rtol) {
    double worst = 0.0;
    for (size_t i = 0; i < n; ++i) {
        const double r = fabs((double)got[i] - ref[i]) / (atol + rtol * fabs(ref[i]));
        worst = r > worst ? r : worst;
    }
    return worst;
}

static const golden_array *golden_need(const char *fmt, const char *a, const char *b) {
    char name[160];
    snprintf(name, sizeof name, fmt, a, b);
    const golden_array *arr = golden_find(golden_g, name);
    if (!arr) {
        fprintf(stderr, "FAIL: golden file has no array '%s' (regenerate with make_golden.py)\n",
                name);
        exit(1);
    }
    return arr;
}

static float golden_scalar(const char *name) { return golden_need("%s%s", name, "")->data[0]; }

/* Our layout -> PyTorch layout (transposes 2-D ".w" tensors). */
static void golden_to_torch(const rise_param_tensor *t, const float *ours, float *torch_layout) {
    const size_t len = strlen(t->name);
    if (t->ndim == 2 && len > 2 && strcmp(t->name + len - 2, ".w") == 0) {
        const int in = t->shape[0], out = t->shape[1];
        for (int i = 0; i < in; ++i)
            for (int o = 0; o < out; ++o)
                torch_layout[(size_t)o * in + i] = ours[(size_t)i * out + o];
    } else {
        memcpy(torch_layout, ours, t->numel * sizeof(float));
    }
}

static void golden_from_torch(const rise_param_tensor *t, const float *torch_layout, float *ours) {
    const size_t len = strlen(t->name);
    if (t->ndim == 2 && len > 2 && strcmp(t->name + len - 2, ".w") == 0) {
        const int in = t->shape[0], out = t->shape[1];
        for (int i = 0; i < in; ++i)
            for (int o = 0; o < out; ++o)
                ours[(size_t)i * out + o] = torch_layout[(size_t)o * in + i];
    } else {
        memcpy(ours, torch_layout, t->numel * sizeof(float));
    }
}

/* Uploads "<prefix>.<tag><name>" for every tensor into the value slot. */
static void golden_load_params(golden_net *n, rise_backend *be, const char *tag) {
    for (int i = 0; i < n->p.count; ++i) {
        const rise_param_tensor *t = &n->p.tensors[i];
        char name[160];
        snprintf(name, sizeof name, "%s%s", tag, t->name);
        const golden_array *a = golden_need("%s%s", name, "");
        TEST_CHECK(a->n == t->numel, "%s: golden has %zu values, network %zu", name, a->n,
                   t->numel);
        float *buf = malloc(t->numel * sizeof(float));
        golden_from_torch(t, a->data, buf);
        be->upload(be, n->p.value + t->offset, buf, t->numel * sizeof(float));
        free(buf);
    }
}

/* Compares slot `slot` of every tensor with "<prefix>.<tag><name>" (tag after the prefix). */
static int golden_compare_params(golden_net *n, rise_backend *be, float *slot, const char *tag,
                                 double atol, double rtol, int per_tensor_scale) {
    int ok = 1;
    for (int i = 0; i < n->p.count; ++i) {
        const rise_param_tensor *t = &n->p.tensors[i];
        /* tensor names are "<prefix>.<rest>"; golden names "<prefix>.<tag><rest>" */
        const char *rest = t->name + strlen(n->prefix) + 1;
        char name[160], label[200];
        snprintf(name, sizeof name, "%s.%s%s", n->prefix, tag, rest);
        const golden_array *a = golden_need("%s%s", name, "");
        float *ours = malloc(t->numel * sizeof(float)), *tl = malloc(t->numel * sizeof(float));
        be->download(be, ours, slot + t->offset, t->numel * sizeof(float));
        golden_to_torch(t, ours, tl);
        double scale = 1.0;
        if (per_tensor_scale) {
            scale = 0.0;
            for (size_t k = 0; k < t->numel; ++k)
                scale = fabs(a->data[k]) > scale ? fabs(a->data[k]) : scale;
        }
        snprintf(label, sizeof label, "[%s] %s", be->name, name);
        ok &= test_close(label, tl, a->data, t->numel, atol * scale, rtol);
        const double used = golden_ratio(tl, a->data, t->numel, atol * scale, rtol);
        golden_used = used > golden_used ? used : golden_used;
        free(ours);
        free(tl);
    }
    return ok;
}

static void golden_forward(golden_net *n, rise_backend *be, rise_arena *ar, void *tape) {
    const rise_rng rng = {0, 0, 0, NULL};
    if (n->is_resnet) {
        rise_lnresnet_tape *t = tape;
        rise_lnresnet_forward(&n->res, be, n->p.value, ar, t, n->x, n->batch, 1, 1, rng);
        n->y = t->y;
    } else {
        rise_mlp_tape *t = tape;
        rise_mlp_forward(&n->mlp, be, n->p.value, ar, t, n->x, n->batch, 1, 1, rng);
        n->y = t->y;
    }
}

/* zero grads, forward, MSE, backward; leaves the tape in the arena until the next call. */
static void golden_step_grads(golden_net *n, rise_backend *be, rise_arena *ar) {
    union {
        rise_mlp_tape m;
        rise_lnresnet_tape r;
    } tape;
    rise_arena_rewind(ar, 0);
    if (ar->be) rise_params_zero_grad(&n->p);
    golden_forward(n, be, ar, &tape);
    const size_t ny = (size_t)n->batch * n->out;
    if (ar->be) be->mse(be, n->loss, n->dy, n->y, n->target, NULL, ny, 1.0f);
    if (n->is_resnet)
        rise_lnresnet_backward(&n->res, be, n->p.value, n->p.grad, ar, &tape.r, n->dy, NULL, 0);
    else
        rise_mlp_backward(&n->mlp, be, n->p.value, n->p.grad, ar, &tape.m, n->dy, NULL, 0);
}

static void golden_build(golden_net *n, rise_backend *be, const char *prefix) {
    memset(n, 0, sizeof *n);
    n->prefix = prefix;
    char key[64];
    snprintf(key, sizeof key, "%s.x", prefix);
    const golden_array *x = golden_need("%s%s", key, "");
    snprintf(key, sizeof key, "%s.target", prefix);
    const golden_array *tg = golden_need("%s%s", key, "");
    n->batch = x->shape[0];
    n->in = x->shape[1];
    n->out = tg->shape[1];
    rise_params_init(&n->p);
    rise_status st;
    if (strcmp(prefix, "res") == 0) {
        n->is_resnet = 1;
        rise_lnresnet_config c = rise_lnresnet_config_default();
        c.in_dim = n->in;
        c.out_dim = n->out;
        c.hidden = 8;
        c.n_blocks = 2;
        c.ln_eps = golden_scalar("ln.eps");
        st = rise_lnresnet_register(&n->res, &n->p, prefix, &c);
    } else {
        rise_mlp_config c = rise_mlp_config_default();
        c.in_dim = n->in;
        c.out_dim = n->out;
        if (strcmp(prefix, "mlp") == 0) {
            c.n_hidden = 2;
            c.hidden[0] = c.hidden[1] = 16;
            c.layernorm = 1;
            c.ln_eps = golden_scalar("ln.eps");
            c.act = RISE_ACT_MISH;
        } else {
            c.n_hidden = 1;
            c.hidden[0] = 16;
            c.act = RISE_ACT_GELU;
        }
        st = rise_mlp_register(&n->mlp, &n->p, prefix, &c);
    }
    RISE_ASSERT(st == RISE_OK, "%s", rise_last_error());
    st = rise_params_alloc(&n->p, be, 0);
    RISE_ASSERT(st == RISE_OK, "%s", rise_last_error());
    /* Every golden gradient must belong to one of our tensors and vice versa. */
    int golden_params = 0;
    char gp[64];
    snprintf(gp, sizeof gp, "%s.grad.", prefix);
    for (int i = 0; i < golden_g->count; ++i)
        golden_params += strncmp(golden_g->arrays[i].name, gp, strlen(gp)) == 0;
    TEST_CHECK(golden_params == n->p.count, "%s: golden has %d parameter tensors, network %d",
               prefix, golden_params, n->p.count);
    golden_load_params(n, be, "");
    n->x = test_to_backend(be, x->data, x->n);
    n->target = test_to_backend(be, tg->data, tg->n);
    n->dy = test_to_backend(be, tg->data, tg->n);
    n->loss = test_to_backend(be, tg->data, 1);
    n->gsq = test_to_backend(be, tg->data, 1);
    rise_arena measure;
    rise_arena_init_measure(&measure);
    golden_step_grads(n, be, &measure);
    st = rise_arena_init(&n->arena, be, measure.peak);
    RISE_ASSERT(st == RISE_OK, "%s", rise_last_error());
}

static void golden_destroy(golden_net *n, rise_backend *be) {
    rise_arena_free(&n->arena);
    be->free(be, n->x);
    be->free(be, n->target);
    be->free(be, n->dy);
    be->free(be, n->loss);
    be->free(be, n->gsq);
    rise_params_free(&n->p);
}

/* Elements of got outside atol + rtol |ref| (0 when everything is close). */
static size_t golden_count_far(const float *got, const float *ref, size_t n, double atol,
                               double rtol) {
    size_t far = 0;
    for (size_t i = 0; i < n; ++i)
        far += !(fabs((double)got[i] - ref[i]) <= atol + rtol * fabs(ref[i]));
    return far;
}

static void golden_check_net(rise_backend *be, const char *prefix) {
    golden_net n;
    golden_build(&n, be, prefix);
    char key[64], label[96];
    const size_t ny = (size_t)n.batch * n.out;

    /* forward, loss, gradients */
    golden_step_grads(&n, be, &n.arena);
    float *y = test_from_backend(be, n.y, ny), loss;
    be->download(be, &loss, n.loss, sizeof loss);
    snprintf(key, sizeof key, "%s.out", prefix);
    snprintf(label, sizeof label, "[%s] %s", be->name, key);
    test_close(label, y, golden_need("%s%s", key, "")->data, ny, GOLDEN_OUT_ATOL, GOLDEN_OUT_RTOL);
    printf(
        "[%s] %-5s tolerance used: out %.3f", be->name, prefix,
        golden_ratio(y, golden_need("%s%s", key, "")->data, ny, GOLDEN_OUT_ATOL, GOLDEN_OUT_RTOL));
    snprintf(key, sizeof key, "%s.loss", prefix);
    snprintf(label, sizeof label, "[%s] %s", be->name, key);
    test_close(label, &loss, golden_need("%s%s", key, "")->data, 1, GOLDEN_OUT_ATOL,
               GOLDEN_OUT_RTOL);
    golden_used = 0.0;
    golden_compare_params(&n, be, n.p.grad, "grad.", GOLDEN_GRAD_ATOL, GOLDEN_GRAD_RTOL, 1);
    printf("  grads %.3f", golden_used);
    golden_used = 0.0;

    /* Adam: 3 steps on the same batch, checked after the first and the third. */
    rise_adam_hparams hp = {golden_scalar("adam.lr"),
                            golden_scalar("adam.beta1"),
                            golden_scalar("adam.beta2"),
                            golden_scalar("adam.eps"),
                            0.0f,
                            0.0f,
                            NULL};
    for (int step = 1; step <= 3; ++step) {
        if (step > 1) golden_step_grads(&n, be, &n.arena);
        rise_params_adam(&n.p, &hp, step, NULL);
        if (step == 1)
            golden_compare_params(&n, be, n.p.value, "adam1.", GOLDEN_PAR_ATOL, GOLDEN_PAR_RTOL, 0);
    }
    golden_compare_params(&n, be, n.p.value, "adam3.", GOLDEN_PAR_ATOL, GOLDEN_PAR_RTOL, 0);
    printf("  adam %.3f", golden_used);
    golden_used = 0.0;

    /* AdamW with global-norm clipping from the initial weights and fresh moments. */
    golden_load_params(&n, be, "");
    be->fill(be, n.p.m, 0.0f, n.p.size);
    be->fill(be, n.p.v, 0.0f, n.p.size);
    snprintf(key, sizeof key, "%s.clip", prefix);
    hp.weight_decay = golden_scalar("adamw.wd");
    hp.max_grad_norm = golden_need("%s%s", key, "")->data[0];
    for (int step = 1; step <= 3; ++step) {
        golden_step_grads(&n, be, &n.arena);
        be->reduce(be, RISE_REDUCE_SUMSQ, n.gsq, n.p.grad, n.p.size);
        rise_params_adam(&n.p, &hp, step, n.gsq);
    }
    golden_compare_params(&n, be, n.p.value, "adamw3.", GOLDEN_PAR_ATOL, GOLDEN_PAR_RTOL, 0);
    printf("  adamw %.3f\n", golden_used);
    free(y);
    golden_destroy(&n, be);
}

/* Negative controls: the same comparisons must FAIL for plausible mistakes. */
static void golden_negative_controls(rise_backend *be) {
    golden_net n;
    char label[96];
    /* LayerNorm eps 1e-6 instead of PyTorch's 1e-5. */
    golden_build(&n, be, "mlp");
    const size_t ny = (size_t)n.batch * n.out;
    const float *ref = golden_need("%s%s", "mlp.out", "")->data;
    for (int l = 0; l < n.mlp.cfg.n_hidden; ++l) n.mlp.ln[l].eps = 1e-6f;
    golden_step_grads(&n, be, &n.arena);
    float *y = test_from_backend(be, n.y, ny);
    size_t far = golden_count_far(y, ref, ny, GOLDEN_OUT_ATOL, GOLDEN_OUT_RTOL);
    TEST_CHECK(far > 0, "[%s] mlp with LayerNorm eps 1e-6 still matches the golden output",
               be->name);
    free(y);
    /* mish replaced by SiLU (x * sigmoid(x)), a close relative. */
    for (int l = 0; l < n.mlp.cfg.n_hidden; ++l) n.mlp.ln[l].eps = golden_scalar("ln.eps");
    n.mlp.cfg.act = RISE_ACT_SILU;
    golden_step_grads(&n, be, &n.arena);
    y = test_from_backend(be, n.y, ny);
    far = golden_count_far(y, ref, ny, GOLDEN_OUT_ATOL, GOLDEN_OUT_RTOL);
    TEST_CHECK(far > 0, "[%s] mlp with SiLU instead of mish still matches the golden output",
               be->name);
    free(y);
    golden_destroy(&n, be);

    /* exact-erf GELU vs the tanh form the golden (and our backend) use */
    const golden_array *out = golden_need("%s%s", "gelu.out", "");
    const golden_array *erf = golden_need("%s%s", "gelu.out_erf", "");
    far = golden_count_far(erf->data, out->data, out->n, GOLDEN_OUT_ATOL, GOLDEN_OUT_RTOL);
    TEST_CHECK(far > 0, "erf-GELU output is within the golden tolerance of the tanh-GELU output");

    /* Adam without bias correction: p - lr * m / (sqrt(v) + eps), m = (1-b1) g, v = (1-b2) g^2 */
    const float lr = golden_scalar("adam.lr"), b1 = golden_scalar("adam.beta1"),
                b2 = golden_scalar("adam.beta2"), eps = golden_scalar("adam.eps");
    const golden_array *p0 = golden_need("%s%s", "mlp.fc1.w", "");
    const golden_array *g0 = golden_need("%s%s", "mlp.grad.fc1.w", "");
    const golden_array *p1 = golden_need("%s%s", "mlp.adam1.fc1.w", "");
    float *nobc = malloc(p0->n * sizeof(float));
    for (size_t i = 0; i < p0->n; ++i) {
        const float m = (1 - b1) * g0->data[i], v = (1 - b2) * g0->data[i] * g0->data[i];
        nobc[i] = p0->data[i] - lr * m / (sqrtf(v) + eps);
    }
    far = golden_count_far(nobc, p1->data, p0->n, GOLDEN_PAR_ATOL, GOLDEN_PAR_RTOL);
    snprintf(label, sizeof label, "Adam without bias correction");
    TEST_CHECK(far == p0->n, "%s: only %zu of %zu weights differ from the golden step", label, far,
               p0->n);
    free(nobc);
}

/* Every check on one backend; returns 0 when the golden file cannot be read. */
static int golden_networks_run(const char *backend_name) {
    rise_backend *be = test_backend_or_skip(backend_name);
    char path[1024];
    golden_path(path, sizeof path, "networks.txt");
    golden_file g;
    if (golden_load(&g, path) != 0) return 0;
    golden_g = &g;
    printf("backend %s\n", backend_name);
    golden_check_net(be, "mlp");
    golden_check_net(be, "res");
    golden_check_net(be, "gelu");
    golden_negative_controls(be);
    golden_free(&g);
    rise_backend_destroy(be);
    return 1;
}

static inline int golden_networks_main(const char *backend_name) {
    if (!golden_networks_run(backend_name)) return 1;
    return test_finish();
}

#endif
