/* test_diffusion.c - the diffusion policy's pieces: schedules against their formulas,
 * the sampler coefficients against the exact posterior (DDPM) and the deterministic
 * DDIM map, the fused noising op (exact mix, moments, every time index drawn,
 * determinism), finite-difference gradients of the epsilon loss (with the spectral
 * code MLP and the learned Fourier embedding in the graph), and an end-to-end check:
 * a policy fitted to one action samples that action. Edge rules of diffusion.h: cols = 0
 * still writes every row's time index (the same as with columns), one step gives index 0
 * everywhere, and the argument checks (n_steps < 1, negative shapes) abort. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/diffusion_policy.h"
#include "kernels/diffusion.h"
#include "test_util.h"
#include "expect_abort.h"

static void test_schedules(void) {
    rise_schedule s;
    TEST_CHECK(rise_schedule_make(&s, RISE_SCHEDULE_VP, 5) == RISE_OK, "vp");
    /* IDQL: alpha_t = exp(-0.1/T - 0.5 * 9.9 * (2t - 1) / T^2), t = 1..T */
    for (int k = 0; k < 5; ++k) {
        const double ref = exp(-0.1 / 5 - 0.5 * 9.9 * (2.0 * (k + 1) - 1.0) / 25.0);
        TEST_CHECK(fabs(s.alpha[k] - ref) < 1e-12, "vp alpha[%d] %g vs %g", k, s.alpha[k], ref);
    }
    TEST_CHECK(fabs(s.alpha[0] - 0.80413) < 1e-5, "vp alpha_1 = exp(-0.218) = 0.80413, got %g",
               s.alpha[0]);
    TEST_CHECK(rise_schedule_make(&s, RISE_SCHEDULE_COSINE, 100) == RISE_OK, "cosine");
    const double pi = 3.14159265358979323846;
    for (int k = 0; k < 100; k += 11) {
        const double f0 = cos(0.008 / 1.008 * pi / 2),
                     ft = cos(((k + 1) / 100.0 + 0.008) / 1.008 * pi / 2);
        const double ref =
            (ft * ft) / (f0 * f0); /* alpha_bar(k+1) / alpha_bar(0), beta cap not hit */
        TEST_CHECK(fabs(s.alpha_bar[k] - ref) < 1e-9 || s.beta[k] >= 0.999,
                   "cosine ab[%d] %g vs %g", k, s.alpha_bar[k], ref);
    }
    TEST_CHECK(s.beta[99] <= 0.999 + 1e-12 && s.alpha_bar[99] < 1e-3, "cosine end: beta %g ab %g",
               s.beta[99], s.alpha_bar[99]);
    for (int k = 1; k < 100; ++k)
        TEST_CHECK(s.alpha_bar[k] < s.alpha_bar[k - 1], "alpha_bar decreasing at %d", k);
    TEST_CHECK(rise_schedule_make(&s, RISE_SCHEDULE_COSINE, 0) != RISE_OK, "T = 0 refused");
}

/* With the true noise, DDPM's mean step equals the exact posterior mean in both forms (IDQL's
 * eps form under the xt rule, diffusers' x0 form otherwise, with variance beta vs
 * beta-tilde) and DDIM maps x_k to x_prev = sqrt(ab_prev) x0 + sqrt(1 - ab_prev) eps (x0 at
 * the last step); each rule sets its clip flags. */
static void test_sampler_coefficients(void) {
    rise_schedule s;
    rise_schedule_make(&s, RISE_SCHEDULE_COSINE, 100);
    rise_reverse_step st[RISE_DIFFUSION_MAX_STEPS];
    const double x0 = 0.37, e = -1.3;
    for (int rule = RISE_CLIP_X0; rule <= RISE_CLIP_BOTH; ++rule) {
        int n = rise_sampler_steps(&s, RISE_SAMPLER_DDPM, 0, (rise_clip_rule)rule, st);
        TEST_CHECK(n == 100 && st[0].k == 99 && st[99].k == 0 && st[99].noise == 0.0,
                   "ddpm visits 99..0, no noise at 0");
        const int eps_form = rule == RISE_CLIP_XT;
        TEST_CHECK(st[5].two_stage == !eps_form && st[5].clip_x0 == (rule != RISE_CLIP_XT) &&
                       st[5].clip_xt == (rule != RISE_CLIP_X0),
                   "ddpm rule %d: two_stage %d clip_x0 %d clip_xt %d", rule, st[5].two_stage,
                   st[5].clip_x0, st[5].clip_xt);
        for (int i = 0; i < n; i += 7) {
            const int k = st[i].k;
            const double ab = s.alpha_bar[k], abp = k ? s.alpha_bar[k - 1] : 1.0;
            const double xk = sqrt(ab) * x0 + sqrt(1 - ab) * e;
            const double got = eps_form ? st[i].c_x * xk + st[i].c_eps * e
                                        : st[i].c_x * (st[i].c_x0 * xk + st[i].c_eps0 * e) +
                                              st[i].c_xt * xk + st[i].c_eps * e;
            const double mean = sqrt(abp) * s.beta[k] / (1 - ab) * x0 +
                                sqrt(s.alpha[k]) * (1 - abp) / (1 - ab) * xk;
            TEST_CHECK(fabs(got - mean) < 1e-9, "ddpm rule %d k=%d: %g vs posterior mean %g", rule,
                       k, got, mean);
            const double var = eps_form ? s.beta[k] : (1 - abp) / (1 - ab) * s.beta[k];
            TEST_CHECK(k == 0 || fabs(st[i].noise - sqrt(var)) < 1e-12,
                       "ddpm rule %d k=%d: noise %g, want sqrt(%g)", rule, k, st[i].noise, var);
        }
        n = rise_sampler_steps(&s, RISE_SAMPLER_DDIM, 10, (rise_clip_rule)rule, st);
        TEST_CHECK(n == 10 && st[0].k == 90 && st[9].k == 0,
                   "ddim visits 90, 80, .., 0 (got %d..%d)", st[0].k, st[n - 1].k);
        TEST_CHECK(st[3].clip_x0 == (rule != RISE_CLIP_XT) &&
                       st[3].clip_xt == (rule != RISE_CLIP_X0),
                   "ddim rule %d: clip flags", rule);
        double x = sqrt(s.alpha_bar[90]) * x0 + sqrt(1 - s.alpha_bar[90]) * e;
        for (int i = 0; i < n; ++i) {
            const double xh = st[i].c_x0 * x + st[i].c_eps0 * e;
            TEST_CHECK(fabs(xh - x0) < 1e-9, "ddim step %d predicts x0 %g", i, xh);
            x = st[i].c_x * xh + st[i].c_xt * x + st[i].c_eps * e;
            const int prev = st[i].k - 10;
            const double abp = prev >= 0 ? s.alpha_bar[prev] : 1.0;
            TEST_CHECK(fabs(x - (sqrt(abp) * x0 + sqrt(1 - abp) * e)) < 1e-9, "ddim step %d", i);
        }
        TEST_CHECK(fabs(x - x0) < 1e-9, "ddim ends at x0: %g", x);
    }
}

static void test_q_sample(rise_backend *be) {
    enum { R = 4000, C = 3, T = 7 };
    float *x0 = malloc(sizeof(float) * R * C), *xt = malloc(sizeof(float) * R * C);
    float *eps = malloc(sizeof(float) * R * C), *t = malloc(sizeof(float) * R);
    float *xt2 = malloc(sizeof(float) * R * C), *eps2 = malloc(sizeof(float) * R * C);
    float *t2 = malloc(sizeof(float) * R);
    float sa[T], sn[T];
    for (int k = 0; k < T; ++k) {
        sa[k] = 1.0f - 0.1f * k;
        sn[k] = 0.05f + 0.1f * k;
    }
    for (int i = 0; i < R * C; ++i) x0[i] = (float)((i % 17) - 8) / 8.0f;
    const rise_rng rng = {42, 9, 1000, NULL};
    diffusion_q_sample_ref(xt, eps, t, x0, sa, sn, R, C, T, rng);
    int seen[T] = {0}, exact = 1;
    double m = 0, m2 = 0;
    for (int b = 0; b < R; ++b) {
        const int k = (int)t[b];
        TEST_CHECK(k >= 0 && k < T && t[b] == (float)k, "t[%d] = %g", b, t[b]);
        if (k < 0 || k >= T) continue;
        seen[k]++;
        for (int j = 0; j < C; ++j) {
            const int i = b * C + j;
            exact &= xt[i] == sa[k] * x0[i] + sn[k] * eps[i];
            m += eps[i];
            m2 += (double)eps[i] * eps[i];
        }
    }
    TEST_CHECK(exact, "xt = sqrt_ab[k] x0 + sqrt_1mab[k] eps exactly");
    for (int k = 0; k < T; ++k)
        TEST_CHECK(seen[k] > R / T / 2, "time index %d drawn %d times of %d", k, seen[k], R);
    m /= R * C;
    m2 = m2 / (R * C) - m * m;
    TEST_CHECK(fabs(m) < 0.05 && fabs(m2 - 1.0) < 0.08, "eps mean %g var %g", m, m2);
    /* the backend op is the same function; a different offset gives other draws */
    float *d_x0 = be->alloc(be, sizeof(float) * R * C),
          *d_xt = be->alloc(be, sizeof(float) * R * C);
    float *d_e = be->alloc(be, sizeof(float) * R * C), *d_t = be->alloc(be, sizeof(float) * R);
    float *d_sa = be->alloc(be, sizeof(float) * T), *d_sn = be->alloc(be, sizeof(float) * T);
    be->upload(be, d_x0, x0, sizeof(float) * R * C);
    be->upload(be, d_sa, sa, sizeof sa);
    be->upload(be, d_sn, sn, sizeof sn);
    be->diffusion_q_sample(be, d_xt, d_e, d_t, d_x0, d_sa, d_sn, R, C, T, rng);
    be->download(be, xt2, d_xt, sizeof(float) * R * C);
    be->download(be, eps2, d_e, sizeof(float) * R * C);
    be->download(be, t2, d_t, sizeof(float) * R);
    TEST_CHECK(!memcmp(xt, xt2, sizeof(float) * R * C) &&
                   !memcmp(eps, eps2, sizeof(float) * R * C) && !memcmp(t, t2, sizeof(float) * R),
               "backend op = reference, bit for bit");
    rise_rng other = rng;
    other.offset += diffusion_q_sample_blocks(R, C);
    diffusion_q_sample_ref(xt2, eps2, t2, x0, sa, sn, R, C, T, other);
    TEST_CHECK(memcmp(eps, eps2, sizeof(float) * R * C) != 0, "the next offset draws new noise");
    float *ptrs[] = {d_x0, d_xt, d_e, d_t, d_sa, d_sn};
    for (int i = 0; i < 6; ++i) be->free(be, ptrs[i]);
    free(x0), free(xt), free(eps), free(t), free(xt2), free(eps2), free(t2);
}

typedef struct {
    rise_backend *be;
    rise_diffusion d;
    rise_params p;
    rise_arena ar;
    float *obs, *act, *loss;
    int B;
    rise_rng rng;
} fixture;

static void fixture_make(fixture *f, rise_backend *be, rise_spectral_mode spectral, float dropout,
                         int lnresnet, int frames) {
    memset(f, 0, sizeof *f);
    f->be = be;
    f->B = 6;
    rise_diffusion_config c;
    memset(&c, 0, sizeof c);
    c.obs_dim = 3;
    c.act_dim = 2;
    c.lnresnet = lnresnet;
    c.width = 8;
    c.depth = lnresnet ? 1 : 2;
    c.dropout = dropout;
    c.act = RISE_ACT_MISH;
    c.time = rise_time_embedding_config_default();
    c.time.n_freq = 3;
    c.schedule = RISE_SCHEDULE_COSINE;
    c.sampler = RISE_SAMPLER_DDIM;
    c.train_steps = 20;
    c.sample_steps = 5;
    c.clip = 1.0f;
    c.spectral = spectral;
    c.code_width = 5;
    c.spectral_iters = 3;
    c.obs_frames = frames;
    c.spectral_per_frame = frames > 1;
    rise_params_init(&f->p);
    TEST_CHECK(rise_diffusion_register(&f->d, &f->p, "pi", &c) == RISE_OK, "register: %s",
               rise_last_error());
    rise_params_alloc(&f->p, be, RISE_PARAMS_EMA);
    rise_params_init_values(&f->p, 3);
    rise_params_copy_to_ema(&f->p);
    TEST_CHECK(rise_diffusion_setup(&f->d, be, 3) == RISE_OK, "setup");
    float obs[18], act[12];
    for (int i = 0; i < 18; ++i) obs[i] = 0.3f * sinf(1.7f * i);
    for (int i = 0; i < 12; ++i) act[i] = 0.8f * cosf(0.9f * i);
    f->obs = be->alloc(be, sizeof obs);
    f->act = be->alloc(be, sizeof act);
    f->loss = be->alloc(be, sizeof(float));
    be->upload(be, f->obs, obs, sizeof obs);
    be->upload(be, f->act, act, sizeof act);
    f->rng = (rise_rng){5, 77, 0, NULL};
    rise_arena m;
    rise_arena_init_measure(&m);
    rise_diffusion_loss(&f->d, be, f->p.value, f->p.grad, &m, f->obs, f->act, NULL, f->B, f->rng,
                        f->loss, NULL);
    rise_arena_init(&f->ar, be, m.peak);
}

static void fixture_free(fixture *f) {
    f->be->free(f->be, f->obs);
    f->be->free(f->be, f->act);
    f->be->free(f->be, f->loss);
    rise_arena_free(&f->ar);
    rise_diffusion_free(&f->d);
    rise_params_free(&f->p);
}

/* loss + lambda * penalty at the current values (the power iteration state restored). */
static double objective(fixture *f, float lambda, const float *u0) {
    rise_backend *be = f->be;
    rise_arena_rewind(&f->ar, 0);
    rise_params_zero_grad(&f->p);
    rise_diffusion_loss(&f->d, be, f->p.value, f->p.grad, &f->ar, f->obs, f->act, NULL, f->B,
                        f->rng, f->loss, NULL);
    float l;
    be->download(be, &l, f->loss, sizeof l);
    double total = l;
    if (f->d.n_spec) {
        be->upload(be, f->d.spec_state, u0, sizeof(float) * f->d.spec_state_len);
        rise_diffusion_spectral(&f->d, be, f->p.value, f->p.grad, lambda);
        float sig[RISE_DIFFUSION_MAX_LAYERS];
        be->download(be, sig, f->d.sigma, sizeof(float) * f->d.n_spec);
        for (int i = 0; i < f->d.n_spec; ++i)
            total += lambda * (f->d.cfg.spectral == RISE_SPECTRAL_PAPER ? sig[i] * sig[i] : sig[i]);
    }
    return total;
}

static void check_grads(rise_backend *be, rise_spectral_mode spectral, int lnresnet, int frames,
                        const char *label) {
    fixture f;
    fixture_make(&f, be, spectral, 0.0f, lnresnet, frames);
    if (frames > 1)
        TEST_CHECK(f.d.code_frames == frames && f.d.code.cfg.in_dim == 3 / frames,
                   "%s: the code MLP maps %d features per frame (got %d x %d)", label, 3 / frames,
                   f.d.code_frames, f.d.code.cfg.in_dim);
    const size_t P = f.p.size;
    float *u0 = malloc(sizeof(float) * (f.d.spec_state_len + 1));
    if (f.d.n_spec) {
        /* converge the power iteration first so sigma is a smooth function of W */
        for (int i = 0; i < 50; ++i) rise_diffusion_spectral(&f.d, be, f.p.value, f.p.grad, 0.0f);
        be->download(be, u0, f.d.spec_state, sizeof(float) * f.d.spec_state_len);
    }
    const float lambda = 0.3f;
    objective(&f, lambda, u0);
    float *g = malloc(sizeof(float) * P), *w = malloc(sizeof(float) * P);
    be->download(be, g, f.p.grad, sizeof(float) * P);
    be->download(be, w, f.p.value, sizeof(float) * P);
    int checked = 0, bad = 0;
    double worst = 0.0;
    for (int t = 0; t < f.p.count; ++t) {
        const rise_param_tensor *pt = &f.p.tensors[t];
        for (size_t e = 0; e < pt->numel; e += 1 + pt->numel / 4) {
            const size_t i = pt->offset + e;
            const float h = 1e-2f, keep = w[i];
            w[i] = keep + h;
            be->upload(be, f.p.value, w, sizeof(float) * P);
            const double lp = objective(&f, lambda, u0);
            w[i] = keep - h;
            be->upload(be, f.p.value, w, sizeof(float) * P);
            const double lm = objective(&f, lambda, u0);
            w[i] = keep;
            const double fd = (lp - lm) / (2.0 * h), err = fabs(fd - g[i]);
            const double tol = 2e-3 + 3e-2 * fabs(fd);
            if (getenv("GRAD_DEBUG"))
                fprintf(stderr, "%s %s[%zu] %g %g\n", label, pt->name, e, g[i], fd);
            if (err > tol) {
                ++bad;
                fprintf(stderr, "  %s %s[%zu]: analytic %g, finite difference %g\n", label,
                        pt->name, e, g[i], fd);
            }
            worst = err > worst ? err : worst;
            ++checked;
        }
    }
    TEST_CHECK(bad == 0 && checked > 20, "%s: %d of %d gradients off (worst abs error %g)", label,
               bad, checked, worst);
    free(g), free(w), free(u0);
    fixture_free(&f);
}

/* Fit one action (0.5, -0.3) from every observation: samples must land on it, with DDIM
 * and DDPM under every clip rule. */
static void test_fit_and_sample(rise_backend *be) {
    fixture f;
    fixture_make(&f, be, RISE_SPECTRAL_NONE, 0.0f, 1, 1);
    float act[12];
    for (int b = 0; b < 6; ++b) act[2 * b] = 0.5f, act[2 * b + 1] = -0.3f;
    be->upload(be, f.act, act, sizeof act);
    const rise_adam_hparams hp = {1e-2f, 0.9f, 0.999f, 1e-8f, 0.0f, 0.0f, NULL};
    float first = 0, last = 0;
    for (int s = 0; s < 600; ++s) {
        f.rng.offset = (uint64_t)s << 20;
        rise_arena_rewind(&f.ar, 0);
        rise_params_zero_grad(&f.p);
        rise_diffusion_loss(&f.d, be, f.p.value, f.p.grad, &f.ar, f.obs, f.act, NULL, 6, f.rng,
                            f.loss, NULL);
        rise_params_adam(&f.p, &hp, s + 1, NULL);
        float l;
        be->download(be, &l, f.loss, sizeof l);
        if (s < 20) first += l / 20;
        if (s >= 580) last += l / 20;
    }
    TEST_CHECK(last < 0.5f * first, "eps loss falls: %g -> %g", first, last);
    const int n = 6;
    const rise_sampler_kind kinds[2] = {RISE_SAMPLER_DDIM, RISE_SAMPLER_DDPM};
    float *noise = be->alloc(be, sizeof(float) * (size_t)(f.d.sched.T + 1) * n * 2);
    float *x = be->alloc(be, sizeof(float) * n * 2);
    be->rand_normal(be, noise, (size_t)(f.d.sched.T + 1) * n * 2, 0.0f, 1.0f,
                    (rise_rng){1, 2, 3, NULL});
    for (int kind = 0; kind < 2; ++kind)
        for (int rule = RISE_CLIP_X0; rule <= RISE_CLIP_BOTH; ++rule) {
            f.d.n_steps = rise_sampler_steps(&f.d.sched, kinds[kind], f.d.cfg.sample_steps,
                                             (rise_clip_rule)rule, f.d.steps);
            rise_arena m;
            rise_arena_init_measure(&m);
            rise_diffusion_sample(&f.d, be, f.p.value, &m, f.obs, n, noise, x);
            rise_arena big;
            rise_arena_init(&big, be, m.peak);
            rise_diffusion_sample(&f.d, be, f.p.value, &big, f.obs, n, noise, x);
            float hx[12];
            be->download(be, hx, x, sizeof hx);
            double err = 0;
            for (int b = 0; b < n; ++b)
                err = fmax(err, fmax(fabs(hx[2 * b] - 0.5), fabs(hx[2 * b + 1] + 0.3)));
            /* a tiny net after 600 steps: the rules land within 0.06 .. 0.15 here; a broken
             * sampler misses by ~1 */
            TEST_CHECK(err < 0.2,
                       "%s, clip rule %d: samples land on the fitted action (max error %g)",
                       kind ? "ddpm" : "ddim", rule, err);
            rise_arena_free(&big);
        }
    be->free(be, noise);
    be->free(be, x);
    fixture_free(&f);
}

static void test_edge_rules(rise_backend *be) {
    enum { R = 50 };
    const float sa[3] = {0.9f, 0.5f, 0.1f}, sn[3] = {0.4f, 0.8f, 0.99f};
    float x0[R * 2] = {0}, xt[R * 2], eps[R * 2], t0[R], t2[R], dummy = 0;
    const rise_rng rng = {8, 3, 5, NULL};
    for (int b = 0; b < R; ++b) t0[b] = -1.0f;
    be->diffusion_q_sample(be, &dummy, &dummy, t0, &dummy, sa, sn, R, 0, 3, rng);
    be->diffusion_q_sample(be, xt, eps, t2, x0, sa, sn, R, 2, 3, rng);
    TEST_CHECK(!memcmp(t0, t2, sizeof t0), "cols = 0 writes the same time indices");
    int zero = 1;
    be->diffusion_q_sample(be, xt, eps, t0, x0, sa, sn, R, 2, 1, rng);
    for (int b = 0; b < R; ++b) zero &= t0[b] == 0.0f;
    TEST_CHECK(zero, "n_steps = 1: every index 0");
    TEST_CHECK(diffusion_xt(0.5f, 2.0f, 0.25f, 4.0f) == 2.0f, "the shared mix rule");
    TEST_EXPECT_ABORT("q_sample n_steps = 0",
                      be->diffusion_q_sample(be, xt, eps, t0, x0, sa, sn, R, 2, 0, rng));
    TEST_EXPECT_ABORT("q_sample negative cols",
                      diffusion_q_sample_ref(xt, eps, t0, x0, sa, sn, R, -2, 3, rng));
}

int main(void) {
    rise_status st;
    rise_backend *be = rise_backend_create("cpu", &st);
    test_schedules();
    test_sampler_coefficients();
    test_q_sample(be);
    test_edge_rules(be);
    check_grads(be, RISE_SPECTRAL_NONE, 1, 1, "lnresnet");
    check_grads(be, RISE_SPECTRAL_NONE, 0, 1, "mlp");
    check_grads(be, RISE_SPECTRAL_CODE, 1, 1, "spectral code");
    check_grads(be, RISE_SPECTRAL_CODE, 1, 3, "spectral code per frame");
    check_grads(be, RISE_SPECTRAL_PAPER, 0, 1, "spectral paper");
    test_fit_and_sample(be);
    rise_backend_destroy(be);
    return test_finish();
}
