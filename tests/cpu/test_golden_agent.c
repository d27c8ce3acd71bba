/* test_golden_agent.c - ONE whole training step of IDQL and of RISE against the PyTorch
 * float64 reference in tests/golden/agent_step.txt (written by make_golden_agent.py, whose
 * docstring lists the step, the sizes and every array), on the reference backend and on the fast
 * cpu backend (same tolerances).
 *
 * A step is what algorithms/agent_step.c runs at step 1: rise_iql_critic_update (V
 * expectile toward the target min-Q, Q toward r + gamma (1 - d) V_new(s'), Adam on both,
 * Polyak target), then for the policy zero grad, rise_diffusion_loss (Philox k and eps),
 * RISE only rise_diffusion_spectral (code form), Adam, EMA polyak. The test builds the
 * critic with rise_iql_critic_create and the policy with rise_diffusion_register +
 * rise_params_alloc(EMA) + rise_diffusion_setup, overwrites every parameter (value, Q
 * target, EMA) and the spectral u with the golden initial values, sizes the arena by a
 * measuring pass, runs the step and compares:
 *   the noising op's draws (k exact, eps and x_k)     atol 1e-6  rtol 1e-6
 *   losses, sigma, power-iteration u and v            atol 2e-6  rtol 2e-5
 *   gradients left in the grad slots                  atol 1e-5 x (tensor's max |g|), rtol 1e-4
 *   parameters after the step (value, target, EMA)    atol 2e-6  rtol 2e-6
 * (|got - ref| <= atol + rtol |ref| per element; the same tolerances as the network golden
 * test, tests/golden/golden_networks.h). One Adam step moves a weight by ~1e-3 (policy) /
 * 3e-4 (critic), the Polyak target by ~3e-6, the EMA by ~5e-6: all well above the parameter
 * tolerance for weights of magnitude < 1.
 *
 * Negative controls (each must be OUTSIDE the tolerance, else the test fails):
 *   - Q trained toward V BEFORE its update (wrong order): the golden "critic.alt.grad.*" and
 *     "critic.alt.loss_q" against the Q gradients and loss of the C step;
 *   - the EMA and the Q target left at their initial values;
 *   - the policy step with the rng offset + 1 (other k and eps);
 *   - the RISE step with lambda 0 (no spectral gradient on pi.code.out.w).
 *
 * This test pins the building blocks under rise's earlier rules, which remain options: Q
 * toward V after its update (IQL's order: the zero-initialised rise_iql_config), one
 * power-iteration step (spectral_iters 1, tol 0) and a fixed EMA rate applied after Adam.
 * RISE's defaults, which follow its official code, are held to PyTorch by
 * test_golden_rise.c through the whole agent.
 * Run: ctest -R test_golden_agent (or ./test_golden_agent from tests/). Exit 0 pass, 1 fail. */
#include <stdarg.h>

#include "algorithms/diffusion_policy.h"
#include "algorithms/iql_critic.h"
#include "golden/golden_params.h"
#include "test_util.h"

typedef struct {
    const char *tag; /* "idql" or "rise" */
    rise_backend *be;
    rise_iql_critic critic;
    rise_diffusion diff;
    rise_params pp;
    rise_adam_hparams policy_opt;
    float ema_rate;
    int batch;
    float *obs, *act, *next, *r, *done, *loss;
    rise_arena arena;
} agent;

/* The step of algorithms/agent_step.c at step 1 (critic update, then policy update). */
static void agent_step(agent *a, rise_arena *ar, rise_rng rng, float lambda) {
    rise_backend *be = a->be;
    const int run = ar->be != NULL;
    rise_arena_rewind(ar, 0);
    rise_iql_critic_update(&a->critic, ar, a->obs, a->act, a->next, a->r, a->done, a->batch, 1,
                           NULL, NULL);
    if (run) rise_params_zero_grad(&a->pp);
    rise_diffusion_loss(&a->diff, be, a->pp.value, a->pp.grad, ar, a->obs, a->act, NULL, a->batch,
                        rng, a->loss, NULL);
    if (run && a->diff.n_spec)
        rise_diffusion_spectral(&a->diff, be, a->pp.value, a->pp.grad, lambda);
    if (run) {
        rise_params_adam(&a->pp, &a->policy_opt, 1, NULL);
        be->polyak(be, a->pp.ema, a->pp.value, a->pp.size, a->ema_rate);
    }
    rise_arena_rewind(ar, 0);
}

static int dim(int i) { return (int)need("dims")->data[i]; }

static rise_rng golden_rng(void) {
    const rise_rng rng = {(uint64_t)scalar("rng.seed"), (uint32_t)scalar("rng.stream"),
                          (uint64_t)scalar("rng.offset"), NULL};
    return rng;
}

static void agent_build(agent *a, rise_backend *be, const char *tag) {
    memset(a, 0, sizeof *a);
    a->tag = tag;
    a->be = be;
    const int D = dim(0), A = dim(1), B = dim(2);
    a->batch = B;
    const rise_adam_hparams copt = {scalar("hp.critic_lr"),
                                    scalar("hp.beta1"),
                                    scalar("hp.beta2"),
                                    scalar("hp.adam_eps"),
                                    0.0f,
                                    0.0f,
                                    NULL};
    const rise_adam_hparams popt = {scalar("hp.policy_lr"),
                                    scalar("hp.beta1"),
                                    scalar("hp.beta2"),
                                    scalar("hp.adam_eps"),
                                    0.0f,
                                    0.0f,
                                    NULL};
    a->policy_opt = popt;
    a->ema_rate = scalar("hp.ema_rate");

    rise_iql_config cc;
    memset(&cc, 0, sizeof cc);
    cc.obs_dim = D;
    cc.act_dim = A;
    cc.width = dim(3);
    cc.depth = dim(4);
    cc.layernorm = 1;
    cc.discount = scalar("hp.gamma");
    cc.tau = scalar("hp.tau");
    cc.expectile = scalar("hp.expectile");
    cc.q_opt = cc.v_opt = copt;
    rise_status st = rise_iql_critic_create(&a->critic, be, &cc, 0);
    RISE_ASSERT(st == RISE_OK, "%s", rise_last_error());

    rise_diffusion_config dc;
    memset(&dc, 0, sizeof dc);
    dc.obs_dim = D;
    dc.act_dim = A;
    dc.lnresnet = 1;
    dc.width = dim(5);
    dc.depth = dim(6);
    dc.dropout = 0.0f;
    dc.act = RISE_ACT_MISH;
    dc.time.kind = RISE_TIME_SINUSOIDAL;
    dc.time.n_freq = dim(7);
    dc.time.max_period = scalar("hp.max_period");
    dc.time.sigma = 1.0f;
    dc.schedule = RISE_SCHEDULE_COSINE;
    dc.sampler = RISE_SAMPLER_DDPM;
    dc.train_steps = dc.sample_steps = dim(8);
    dc.clip = 1.0f;
    dc.spectral = strcmp(tag, "rise") == 0 ? RISE_SPECTRAL_CODE : RISE_SPECTRAL_NONE;
    dc.code_width = dim(9);
    dc.spectral_iters = dim(10);
    rise_params_init(&a->pp);
    st = rise_diffusion_register(&a->diff, &a->pp, "pi", &dc);
    RISE_ASSERT(st == RISE_OK, "%s", rise_last_error());
    st = rise_params_alloc(&a->pp, be, RISE_PARAMS_EMA);
    RISE_ASSERT(st == RISE_OK, "%s", rise_last_error());
    st = rise_diffusion_setup(&a->diff, be, 0);
    RISE_ASSERT(st == RISE_OK, "%s", rise_last_error());

    /* Every golden initial tensor belongs to one of ours and vice versa. */
    char prefix[64];
    int n_golden = 0;
    snprintf(prefix, sizeof prefix, "%s.init.", tag);
    for (int i = 0; i < G->count; ++i)
        n_golden += strncmp(G->arrays[i].name, prefix, strlen(prefix)) == 0;
    TEST_CHECK(n_golden == a->pp.count, "%s: golden has %d policy tensors, ours %d", tag, n_golden,
               a->pp.count);
    n_golden = 0;
    for (int i = 0; i < G->count; ++i)
        n_golden += strncmp(G->arrays[i].name, "critic.init.", 12) == 0;
    TEST_CHECK(n_golden == a->critic.qp.count + a->critic.vp.count,
               "golden has %d critic tensors, ours %d", n_golden,
               a->critic.qp.count + a->critic.vp.count);

    /* Golden initial values into value, Q target and EMA; the spectral u. */
    upload_group(&a->critic.qp, RISE_SLOT_VALUE, "critic.init");
    upload_group(&a->critic.qp, RISE_SLOT_TARGET, "critic.init");
    upload_group(&a->critic.vp, RISE_SLOT_VALUE, "critic.init");
    snprintf(prefix, sizeof prefix, "%s.init", tag);
    upload_group(&a->pp, RISE_SLOT_VALUE, prefix);
    upload_group(&a->pp, RISE_SLOT_EMA, prefix);
    if (a->diff.n_spec) {
        const golden_array *u0 = need("rise.spec.u0");
        TEST_CHECK(a->diff.n_spec == 1 && (size_t)a->diff.spec_layer[0]->in == u0->n,
                   "spectral: %d layers, u of %d (golden %zu)", a->diff.n_spec,
                   a->diff.spec_layer[0]->in, u0->n);
        be->upload(be, a->diff.spec_state + a->diff.spec_u_off[0], u0->data, u0->n * sizeof(float));
    }

    a->obs = test_to_backend(be, need("batch.obs")->data, (size_t)B * D);
    a->act = test_to_backend(be, need("batch.act")->data, (size_t)B * A);
    a->next = test_to_backend(be, need("batch.next_obs")->data, (size_t)B * D);
    a->r = test_to_backend(be, need("batch.r")->data, (size_t)B);
    a->done = test_to_backend(be, need("batch.done")->data, (size_t)B);
    a->loss = test_to_backend(be, need("batch.r")->data, 1);

    rise_arena measure;
    rise_arena_init_measure(&measure);
    agent_step(a, &measure, golden_rng(), scalar("hp.lambda"));
    st = rise_arena_init(&a->arena, be, measure.peak);
    RISE_ASSERT(st == RISE_OK, "%s", rise_last_error());
}

static void agent_free(agent *a) {
    rise_backend *be = a->be;
    float *bufs[] = {a->obs, a->act, a->next, a->r, a->done, a->loss};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i) be->free(be, bufs[i]);
    rise_arena_free(&a->arena);
    rise_diffusion_free(&a->diff);
    rise_params_free(&a->pp);
    rise_iql_critic_free(&a->critic);
}

/* The Philox draws of the noising op match the Python re-implementation. */
static void check_noise(rise_backend *be) {
    agent a;
    agent_build(&a, be, "idql");
    const int B = dim(2), A = dim(1);
    const size_t na = (size_t)B * A;
    float *xt = test_to_backend(be, need("noise.xt")->data, na);
    float *eps = test_to_backend(be, need("noise.eps")->data, na);
    float *t = test_to_backend(be, need("noise.k")->data, (size_t)B);
    be->diffusion_q_sample(be, xt, eps, t, a.act, a.diff.sqrt_ab, a.diff.sqrt_1mab, B, A,
                           a.diff.sched.T, golden_rng());
    float *hx = test_from_backend(be, xt, na), *he = test_from_backend(be, eps, na);
    float *ht = test_from_backend(be, t, (size_t)B);
    const golden_array *k = need("noise.k");
    int same_k = 1;
    for (int b = 0; b < B; ++b) same_k &= ht[b] == k->data[b];
    TEST_CHECK(same_k, "noise.k: the time indices differ from the Python Philox re-implementation");
    stats s = {0, 0};
    test_close("noise.eps", he, need("noise.eps")->data, na, NOISE_ATOL, NOISE_RTOL);
    track(&s, he, need("noise.eps")->data, na, NOISE_ATOL, NOISE_RTOL);
    test_close("noise.xt", hx, need("noise.xt")->data, na, NOISE_ATOL, NOISE_RTOL);
    track(&s, hx, need("noise.xt")->data, na, NOISE_ATOL, NOISE_RTOL);
    printf("noise: k %s, eps/x_k max |err| %.3g (tolerance used %.3f)\n", same_k ? "exact" : "DIFF",
           s.abs_err, s.used);
    free(hx);
    free(he);
    free(ht);
    be->free(be, xt);
    be->free(be, eps);
    be->free(be, t);
    agent_free(&a);
}

static void check_step(rise_backend *be, const char *tag) {
    agent a;
    agent_build(&a, be, tag);
    agent_step(&a, &a.arena, golden_rng(), scalar("hp.lambda"));
    char t1[64], t2[64], t3[64];
    stats sc = {0, 0}, sg = {0, 0}, sp = {0, 0}, so = {0, 0};

    /* critic */
    float m[RISE_IQL_N_METRICS];
    be->download(be, m, a.critic.metrics, sizeof m);
    compare_scalar("critic.loss_v", m[RISE_IQL_LOSS_V], OUT_ATOL, OUT_RTOL, &so);
    compare_scalar("critic.loss_q", m[RISE_IQL_LOSS_Q], OUT_ATOL, OUT_RTOL, &so);
    compare_group(&a.critic.vp, RISE_SLOT_GRAD, "critic.grad", NULL, GRAD_ATOL, GRAD_RTOL, 1, 1,
                  &sg);
    compare_group(&a.critic.qp, RISE_SLOT_GRAD, "critic.grad", NULL, GRAD_ATOL, GRAD_RTOL, 1, 1,
                  &sg);
    compare_group(&a.critic.vp, RISE_SLOT_VALUE, "critic.value", NULL, PAR_ATOL, PAR_RTOL, 0, 1,
                  &sc);
    compare_group(&a.critic.qp, RISE_SLOT_VALUE, "critic.value", NULL, PAR_ATOL, PAR_RTOL, 0, 1,
                  &sc);
    compare_group(&a.critic.qp, RISE_SLOT_TARGET, "critic.target", NULL, PAR_ATOL, PAR_RTOL, 0, 1,
                  &sc);

    /* policy */
    float loss;
    be->download(be, &loss, a.loss, sizeof loss);
    snprintf(t1, sizeof t1, "%s.loss", tag);
    compare_scalar(t1, loss, OUT_ATOL, OUT_RTOL, &so);
    snprintf(t1, sizeof t1, "%s.grad", tag);
    snprintf(t2, sizeof t2, "%s.value", tag);
    snprintf(t3, sizeof t3, "%s.ema", tag);
    compare_group(&a.pp, RISE_SLOT_GRAD, t1, NULL, GRAD_ATOL, GRAD_RTOL, 1, 1, &sg);
    compare_group(&a.pp, RISE_SLOT_VALUE, t2, NULL, PAR_ATOL, PAR_RTOL, 0, 1, &sp);
    compare_group(&a.pp, RISE_SLOT_EMA, t3, NULL, PAR_ATOL, PAR_RTOL, 0, 1, &sp);
    if (a.diff.n_spec) {
        float sigma;
        be->download(be, &sigma, a.diff.sigma, sizeof sigma);
        compare_scalar("rise.sigma", sigma, OUT_ATOL, OUT_RTOL, &so);
        const golden_array *gu = need("rise.spec.u"), *gv = need("rise.spec.v");
        float *u = test_from_backend(be, a.diff.spec_state + a.diff.spec_u_off[0], gu->n);
        float *v = test_from_backend(be, a.diff.spec_state + a.diff.spec_v_off[0], gv->n);
        TEST_CHECK((size_t)a.diff.spec_layer[0]->out == gv->n, "spectral v: %d values, golden %zu",
                   a.diff.spec_layer[0]->out, gv->n);
        test_close("rise.spec.u", u, gu->data, gu->n, OUT_ATOL, OUT_RTOL);
        track(&so, u, gu->data, gu->n, OUT_ATOL, OUT_RTOL);
        test_close("rise.spec.v", v, gv->data, gv->n, OUT_ATOL, OUT_RTOL);
        track(&so, v, gv->data, gv->n, OUT_ATOL, OUT_RTOL);
        free(u);
        free(v);
    }
    printf("%s step, max |err| (tolerance used): losses/sigma/u/v %.3g (%.3f), grads %.3g (%.3f), "
           "critic params %.3g (%.3f), policy params %.3g (%.3f)\n",
           tag, so.abs_err, so.used, sg.abs_err, sg.used, sc.abs_err, sc.used, sp.abs_err, sp.used);

    /* Negative controls on this run's results. */
    const size_t wrong_order = compare_group(&a.critic.qp, RISE_SLOT_GRAD, "critic.alt.grad", NULL,
                                             GRAD_ATOL, GRAD_RTOL, 1, 0, NULL);
    const size_t wrong_loss =
        count_far(&m[RISE_IQL_LOSS_Q], need("critic.alt.loss_q")->data, 1, OUT_ATOL, OUT_RTOL);
    TEST_CHECK(wrong_order > 0 && wrong_loss > 0,
               "Q trained toward V before its update is within the tolerance of the golden step "
               "(%zu gradients far, loss far %zu)",
               wrong_order, wrong_loss);
    snprintf(t1, sizeof t1, "%s.init", tag);
    const size_t ema_moved =
        compare_group(&a.pp, RISE_SLOT_EMA, t1, NULL, PAR_ATOL, PAR_RTOL, 0, 0, NULL);
    const size_t target_moved = compare_group(&a.critic.qp, RISE_SLOT_TARGET, "critic.init", NULL,
                                              PAR_ATOL, PAR_RTOL, 0, 0, NULL);
    TEST_CHECK(ema_moved > 0 && target_moved > 0,
               "a missing EMA (%zu far) or Polyak (%zu far) update would pass", ema_moved,
               target_moved);
    printf("%s negative controls (elements outside tolerance): wrong critic order %zu grads, EMA "
           "not updated %zu, Q target not updated %zu",
           tag, wrong_order, ema_moved, target_moved);
    agent_free(&a);

    /* The same step with other Philox draws (offset + 1). */
    agent b;
    agent_build(&b, be, tag);
    rise_rng other = golden_rng();
    other.offset += 1;
    agent_step(&b, &b.arena, other, scalar("hp.lambda"));
    snprintf(t2, sizeof t2, "%s.value", tag);
    const size_t rng_far =
        compare_group(&b.pp, RISE_SLOT_VALUE, t2, "pi.net.", PAR_ATOL, PAR_RTOL, 0, 0, NULL);
    be->download(be, &loss, b.loss, sizeof loss);
    snprintf(t1, sizeof t1, "%s.loss", tag);
    const size_t loss_far = count_far(&loss, need("%s", t1)->data, 1, OUT_ATOL, OUT_RTOL);
    TEST_CHECK(rng_far > 0 && loss_far > 0,
               "%s: the step with rng offset + 1 matches the golden (%zu params far, loss far %zu)",
               tag, rng_far, loss_far);
    printf(", rng offset + 1 %zu", rng_far);
    agent_free(&b);

    /* RISE without the spectral gradient. */
    if (strcmp(tag, "rise") == 0) {
        agent c;
        agent_build(&c, be, tag);
        agent_step(&c, &c.arena, golden_rng(), 0.0f);
        const size_t spec_far = compare_group(&c.pp, RISE_SLOT_GRAD, "rise.grad", "pi.code.out.w",
                                              GRAD_ATOL, GRAD_RTOL, 1, 0, NULL);
        TEST_CHECK(spec_far > 0, "rise with lambda 0 gives the golden pi.code.out.w gradient");
        printf(", lambda 0 %zu", spec_far);
        agent_free(&c);
    }
    printf("\n");
}

int main(void) {
    char path[1024];
    golden_path(path, sizeof path, "agent_step.txt");
    golden_file g;
    if (golden_load(&g, path) != 0) return 1;
    G = &g;
    const char *const backends[] = {"ref", "cpu"}; /* the specification, then the fast one */
    for (int i = 0; i < 2; ++i) {
        rise_backend *be = test_backend_or_skip(backends[i]);
        printf("backend %s\n", backends[i]);
        check_noise(be);
        check_step(be, "idql");
        check_step(be, "rise");
        rise_backend_destroy(be);
    }
    golden_free(&g);
    return test_finish();
}
