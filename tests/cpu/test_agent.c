/* test_agent.c - whole training runs on small generated maze data:
 *  - resume: a RISE run (dropout, relabelled pairs, action noise, spectral penalty,
 *    learned Fourier time embedding) stopped at step 20 and resumed to 40 logs the
 *    same metrics.csv and ends with the same checkpoint bytes as an uninterrupted run;
 *    the same for IQL, CQL (Lagrangian penalty weight) and IDQL with cql.enable;
 *  - CQL's penalty by hand: a Q network of constant output c gives
 *    gap = A log 2 + log N over N uniform candidates, and the Lagrange multiplier's
 *    first Adam step moves log w' by -lr when gap < target_gap;
 *  - CQL's whole critic loss (TD + penalty over uniform, pi(s), pi(s') candidates,
 *    rng fixed) against central finite differences in a few Q parameters;
 *  - IQL's critic update taps min Q' and V(s) from before its steps (the AWR advantage);
 *  - IQL's AWR actor loss falls over 200 steps;
 *  - NaN: a non-finite parameter injected at step 25 stops the run with a clear error,
 *    and the checkpoint of step 20 stays the last one;
 *  - extraction: argmax and expectile choices on hand-made scores;
 *  - the evaluation policy: actions in [-1, 1], a row's action does not depend on the
 *    other rows in the batch; BC-MLP's loss falls. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "algorithms/agent.h"
#include "algorithms/cql_critic.h"
#include "algorithms/train_run.h"
#include "envs/coverage.h"
#include "envs/gen.h"
#include "host/checkpoint.h"
#include "maze_fixture.h"
#include "test_util.h"
#include "train_fixture.h"

static char dir[256];

static double first_loss(const char *csv_path, int last);

static void small_config(rise_train_config *c, const char *algo) {
    train_fixture_small(c, algo, dir);
}

static void set(rise_train_config *c, const char *kv) { train_fixture_set(c, kv); }

static void test_resume(void) {
    const rise_train_opts quiet = {1, NULL, NULL};
    rise_train_config c;
    rise_train_summary s;
    char a[512], b[512], pa[600], pb[600];
    snprintf(a, sizeof a, "%s/run_a", dir);
    snprintf(b, sizeof b, "%s/run_b", dir);
    small_config(&c, "rise");
    TEST_CHECK(rise_train_run(&c, a, 0, &quiet, &s) == RISE_OK, "run a: %s", rise_last_error());
    TEST_CHECK(s.last_step == 40 && s.pairs > 0, "run a: 40 steps (%lld), pairs %lld",
               (long long)s.last_step, (long long)s.pairs);
    set(&c, "train.steps=20");
    TEST_CHECK(rise_train_run(&c, b, 0, &quiet, &s) == RISE_OK, "run b: %s", rise_last_error());
    rise_train_config r;
    TEST_CHECK(rise_train_load_config(b, &r) == RISE_OK, "resume config: %s", rise_last_error());
    TEST_CHECK(r.train_steps == 20 && r.relabel_enable == 1,
               "config.json holds the run's settings");
    set(&r, "train.steps=40");
    TEST_CHECK(rise_train_run(&r, b, 1, &quiet, &s) == RISE_OK, "resume b: %s", rise_last_error());
    TEST_CHECK(s.first_step == 20 && s.last_step == 40, "resumed 20 -> 40 (%lld -> %lld)",
               (long long)s.first_step, (long long)s.last_step);
    snprintf(pa, sizeof pa, "%s/metrics.csv", a);
    snprintf(pb, sizeof pb, "%s/metrics.csv", b);
    TEST_CHECK(test_same_file(pa, pb),
               "resumed metrics.csv is byte-identical to the uninterrupted one");
    snprintf(pa, sizeof pa, "%s/checkpoint.h5", a);
    snprintf(pb, sizeof pb, "%s/checkpoint.h5", b);
    TEST_CHECK(test_same_file(pa, pb), "final checkpoints are byte-identical");
    /* a different seed must change the metrics (the comparison can fail) */
    char d2[512], pd[600];
    snprintf(d2, sizeof d2, "%s/run_c", dir);
    small_config(&c, "rise");
    set(&c, "train.seed=1");
    TEST_CHECK(rise_train_run(&c, d2, 0, &quiet, &s) == RISE_OK, "run c");
    snprintf(pa, sizeof pa, "%s/metrics.csv", a);
    snprintf(pd, sizeof pd, "%s/metrics.csv", d2);
    TEST_CHECK(!test_same_file(pa, pd), "another seed logs other metrics");
}

/* Resume bitwise for another algorithm; extra: --set pairs (NULL-terminated). */
static void test_resume_algo(const char *algo, const char *tag, const char *const *extra) {
    const rise_train_opts quiet = {1, NULL, NULL};
    rise_train_config c, r;
    rise_train_summary s;
    char a[512], b[512], pa[600], pb[600];
    snprintf(a, sizeof a, "%s/run_%s_a", dir, tag);
    snprintf(b, sizeof b, "%s/run_%s_b", dir, tag);
    small_config(&c, algo);
    for (int i = 0; extra && extra[i]; ++i) set(&c, extra[i]);
    TEST_CHECK(rise_train_run(&c, a, 0, &quiet, &s) == RISE_OK, "%s run a: %s", tag,
               rise_last_error());
    set(&c, "train.steps=20");
    TEST_CHECK(rise_train_run(&c, b, 0, &quiet, &s) == RISE_OK, "%s run b: %s", tag,
               rise_last_error());
    TEST_CHECK(rise_train_load_config(b, &r) == RISE_OK, "%s resume config", tag);
    set(&r, "train.steps=40");
    TEST_CHECK(rise_train_run(&r, b, 1, &quiet, &s) == RISE_OK, "%s resume b: %s", tag,
               rise_last_error());
    TEST_CHECK(s.first_step == 20 && s.last_step == 40, "%s resumed 20 -> 40 (%lld -> %lld)", tag,
               (long long)s.first_step, (long long)s.last_step);
    snprintf(pa, sizeof pa, "%s/metrics.csv", a);
    snprintf(pb, sizeof pb, "%s/metrics.csv", b);
    TEST_CHECK(test_same_file(pa, pb), "%s: resumed metrics.csv is byte-identical", tag);
    snprintf(pa, sizeof pa, "%s/checkpoint.h5", a);
    snprintf(pb, sizeof pb, "%s/checkpoint.h5", b);
    TEST_CHECK(test_same_file(pa, pb), "%s: final checkpoints are byte-identical", tag);
}

/* ---- CQL's critic in isolation (algorithms/cql_critic.h) on tiny hand-made data ---- */

enum { TD = 3, TA = 2, TB = 5 };

typedef struct {
    rise_backend *be;
    float *obs, *act, *next, *r, *d;
} tiny_batch;

static void tiny_batch_make(tiny_batch *t, rise_backend *be) {
    float obs[TB * TD], next[TB * TD], act[TB * TA], r[TB], d[TB];
    for (int i = 0; i < TB * TD; ++i) {
        obs[i] = sinf(0.7f * i + 0.3f);
        next[i] = cosf(0.4f * i - 0.2f);
    }
    for (int i = 0; i < TB * TA; ++i) act[i] = 0.9f * sinf(1.3f * i + 1.0f);
    for (int i = 0; i < TB; ++i) {
        r[i] = (float)(i % 2);
        d[i] = i == TB - 1;
    }
    t->be = be;
    float **dst[5] = {&t->obs, &t->next, &t->act, &t->r, &t->d};
    const float *src[5] = {obs, next, act, r, d};
    const size_t n[5] = {TB * TD, TB * TD, TB * TA, TB, TB};
    for (int i = 0; i < 5; ++i) {
        *dst[i] = be->alloc(be, sizeof(float) * n[i]);
        be->upload(be, *dst[i], src[i], sizeof(float) * n[i]);
    }
}

static void tiny_batch_free(tiny_batch *t) {
    float *p[5] = {t->obs, t->next, t->act, t->r, t->d};
    for (int i = 0; i < 5; ++i) t->be->free(t->be, p[i]);
}

/* Adam of the tiny critics below. */
static const rise_adam_hparams tiny_adam = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 0.0f, NULL};

static rise_cql_config tiny_cql_config(int lagrange, float alpha, float gap, int samples) {
    rise_cql_config k;
    memset(&k, 0, sizeof k);
    k.obs_dim = TD;
    k.act_dim = TA;
    k.width = 8;
    k.depth = 2;
    k.layernorm = 1;
    k.discount = 0.9f;
    k.tau = 0.05f;
    k.q_opt = tiny_adam;
    k.alpha = alpha;
    k.lagrange = lagrange;
    k.target_gap = gap;
    k.samples = samples;
    k.actor_lr = 1e-3f;
    k.entropy_target = -1.0f;
    return k;
}

/* The tiny IQL critic the CQL tests put the penalty on. */
static rise_iql_config tiny_iql_config(void) {
    rise_iql_config qc;
    memset(&qc, 0, sizeof qc);
    qc.obs_dim = TD;
    qc.act_dim = TA;
    qc.width = 8;
    qc.depth = 2;
    qc.layernorm = 1;
    qc.discount = 0.9f;
    qc.tau = 0.05f;
    qc.expectile = 0.7f;
    qc.q_opt = qc.v_opt = tiny_adam;
    return qc;
}

static void test_cql_penalty_hand(void) {
    rise_status st;
    rise_backend *be = rise_backend_create("cpu", &st);
    tiny_batch tb;
    tiny_batch_make(&tb, be);
    const int N = 5;
    const double gap = TA * log(2.0) + log((double)N);
    for (int lagrange = 0; lagrange <= 1; ++lagrange) {
        const rise_iql_config qc = tiny_iql_config();
        rise_iql_critic c;
        TEST_CHECK(rise_iql_critic_create(&c, be, &qc, 3) == RISE_OK, "critic");
        /* Q = 0.25 everywhere: zero output weights, bias 0.25 (both members) */
        const rise_param_tensor *w = rise_params_tensor(&c.qp, "q.out.w");
        float zeros[64] = {0}, bias[2] = {0.25f, 0.25f};
        TEST_CHECK(w && w->numel <= 64, "q.out.w found");
        rise_params_upload(&c.qp, RISE_SLOT_VALUE, "q.out.w", zeros, w->numel);
        rise_params_upload(&c.qp, RISE_SLOT_VALUE, "q.out.b", bias, 2);
        const float alpha = lagrange ? 2.0f : 0.5f, target = lagrange ? (float)gap + 1.0f : 0.0f;
        const rise_cql_config kc = tiny_cql_config(lagrange, alpha, target, N);
        rise_cql k;
        TEST_CHECK(rise_cql_create(&k, be, &kc, 0, 3) == RISE_OK, "cql: %s", rise_last_error());
        const rise_rng rng = {7, RISE_STREAM_CQL, 0, NULL};
        rise_arena m, ar;
        rise_arena_init_measure(&m);
        rise_cql_iql_update(&k, &c, &m, tb.obs, tb.act, tb.next, tb.r, tb.d, TB, 1, rng, NULL);
        rise_arena_init(&ar, be, m.peak + 64);
        rise_cql_iql_update(&k, &c, &ar, tb.obs, tb.act, tb.next, tb.r, tb.d, TB, 1, rng, NULL);
        float km[RISE_CQL_N_METRICS], lp;
        be->download(be, km, k.metrics, sizeof km);
        be->download(be, &lp, k.tp.value + k.off_prime, sizeof lp);
        const double pen = 2.0 * alpha * (gap - target);
        TEST_CHECK(fabs(km[RISE_CQL_GAP] - gap) < 1e-5,
                   "lagrange %d: gap %.7g, by hand A log 2 + log N = %.7g", lagrange,
                   km[RISE_CQL_GAP], gap);
        TEST_CHECK(fabs(km[RISE_CQL_PENALTY] - pen) < 1e-4 &&
                       fabs(km[RISE_CQL_WEIGHT] - alpha) < 1e-6,
                   "lagrange %d: penalty %.7g (by hand %.7g), weight %g", lagrange,
                   km[RISE_CQL_PENALTY], pen, km[RISE_CQL_WEIGHT]);
        if (lagrange)
            TEST_CHECK(fabs(lp - (log(2.0) - 1e-3)) < 1e-6,
                       "log w' takes one Adam step down (gap < target): %.9g, expected %.9g", lp,
                       log(2.0) - 1e-3);
        rise_arena_free(&ar);
        rise_cql_free(&k);
        rise_iql_critic_free(&c);
    }
    tiny_batch_free(&tb);
    rise_backend_destroy(be);
}

/* The critic update's taps (what IQL's actor reuses instead of running the networks again)
 * are min(Q1', Q2')(s, a) and V(s) from before the update: equal bitwise to the same
 * forwards run beforehand, and V(s) really is the pre-step value (it moved). */
static void test_iql_taps(void) {
    rise_status st;
    rise_backend *be = rise_backend_create("cpu", &st);
    tiny_batch tb;
    tiny_batch_make(&tb, be);
    const rise_iql_config qc = tiny_iql_config();
    rise_iql_critic c;
    TEST_CHECK(rise_iql_critic_create(&c, be, &qc, 3) == RISE_OK, "critic");
    rise_arena m, ar;
    rise_arena_init_measure(&m);
    float *dev = be->alloc(be, sizeof(float) * 4 * TB);
    rise_iql_taps taps = {dev + 2 * TB, dev + 3 * TB};
    rise_iql_critic_update(&c, &m, tb.obs, tb.act, tb.next, tb.r, tb.d, TB, 1, &taps, NULL);
    rise_arena_init(&ar, be, m.peak + 64);
    rise_iql_critic_qmin(&c, &ar, c.qp.target, tb.obs, tb.act, TB, dev, NULL);
    rise_iql_critic_value(&c, &ar, tb.obs, TB, dev + TB, NULL);
    rise_iql_critic_update(&c, &ar, tb.obs, tb.act, tb.next, tb.r, tb.d, TB, 1, &taps, NULL);
    float h[4 * TB], v_after[TB];
    be->download(be, h, dev, sizeof h);
    rise_iql_critic_value(&c, &ar, tb.obs, TB, dev, NULL);
    be->download(be, v_after, dev, sizeof v_after);
    int moved = 0;
    for (int i = 0; i < TB; ++i) moved |= v_after[i] != h[TB + i];
    TEST_CHECK(!memcmp(h, h + 2 * TB, sizeof(float) * TB), "tapped min Q' = min Q' beforehand");
    TEST_CHECK(!memcmp(h + TB, h + 3 * TB, sizeof(float) * TB), "tapped V(s) = V(s) beforehand");
    TEST_CHECK(moved, "V's step changed V(s), so the tap is the pre-step value");
    be->free(be, dev);
    rise_arena_free(&ar);
    rise_iql_critic_free(&c);
    tiny_batch_free(&tb);
    rise_backend_destroy(be);
}

/* L_Q = TD + penalty of one rise_cql_critic_update from the saved state (restored). */
static double cql_loss_at(rise_cql *k, const rise_gauss_actor *pi, const float *pw, rise_arena *ar,
                          const tiny_batch *tb, const float *qsave, const float *tsave, size_t qn,
                          size_t tn, float *grad_out) {
    rise_backend *be = k->be;
    be->upload(be, k->qp.buffer, qsave, sizeof(float) * qn);
    be->upload(be, k->tp.buffer, tsave, sizeof(float) * tn);
    const rise_rng rng = {11, RISE_STREAM_CQL, 0, NULL};
    rise_arena_rewind(ar, 0);
    rise_cql_critic_update(k, pi, pw, ar, tb->obs, tb->act, tb->next, tb->r, tb->d, TB, 1, rng);
    be->sync(be);
    float km[RISE_CQL_N_METRICS];
    be->download(be, km, k->metrics, sizeof km);
    if (grad_out) be->download(be, grad_out, k->qp.grad, sizeof(float) * k->qp.size);
    return (double)km[RISE_CQL_LOSS_TD] + (double)km[RISE_CQL_PENALTY];
}

/* CQL's reward transform (cql.reward_scale, cql.reward_bias): an update on rewards r with
 * scale 4 and bias -2 equals, bitwise, the identity's update on 4 r - 2, for algo cql's
 * critic and for IQL's critic with the penalty; without the transform they differ. */
static void test_cql_reward_transform(void) {
    rise_status st;
    rise_backend *be = rise_backend_create("cpu", &st);
    tiny_batch tb;
    tiny_batch_make(&tb, be);
    float h_r[TB], h_rt[TB];
    be->download(be, h_r, tb.r, sizeof h_r);
    for (int i = 0; i < TB; ++i) h_rt[i] = 4.0f * h_r[i] - 2.0f;
    float *rt = be->alloc(be, sizeof h_rt);
    be->upload(be, rt, h_rt, sizeof h_rt);
    rise_params ap;
    rise_params_init(&ap);
    rise_gauss_actor pi;
    const rise_gauss_config gc = {RISE_GAUSS_TANH, TD, TA, 8, 1, RISE_ACT_TANH, -5.0f, 2.0f};
    TEST_CHECK(rise_gauss_actor_register(&pi, &ap, "policy", &gc) == RISE_OK, "actor");
    rise_params_alloc(&ap, be, 0);
    rise_params_init_values(&ap, 5);
    const rise_rng rng = {11, RISE_STREAM_CQL, 0, NULL};
    /* run 0: scale 4, bias -2 on r; run 1: identity on 4 r - 2; run 2: identity on r */
    float q[3][2][512];
    size_t n[2] = {0, 0};
    for (int run = 0; run < 3; ++run) {
        rise_cql_config kc = tiny_cql_config(0, 0.5f, 0.0f, 2);
        if (run == 0) {
            kc.reward_scale = 4.0f;
            kc.reward_bias = -2.0f;
        }
        const float *r = run == 1 ? rt : tb.r;
        rise_cql k;
        TEST_CHECK(rise_cql_create(&k, be, &kc, 1, 9) == RISE_OK, "cql: %s", rise_last_error());
        rise_arena m, ar;
        rise_arena_init_measure(&m);
        rise_cql_critic_update(&k, &pi, ap.value, &m, tb.obs, tb.act, tb.next, r, tb.d, TB, 1, rng);
        rise_arena_init(&ar, be, m.peak + 64);
        rise_cql_critic_update(&k, &pi, ap.value, &ar, tb.obs, tb.act, tb.next, r, tb.d, TB, 1,
                               rng);
        n[0] = k.qp.size < 512 ? k.qp.size : 512;
        be->download(be, q[run][0], k.qp.value, sizeof(float) * n[0]);
        rise_arena_free(&ar);
        rise_cql_free(&k);
        /* IQL's critic with the penalty, same transform */
        const rise_iql_config qc = tiny_iql_config();
        rise_iql_critic c;
        TEST_CHECK(rise_iql_critic_create(&c, be, &qc, 3) == RISE_OK, "critic");
        TEST_CHECK(rise_cql_create(&k, be, &kc, 0, 3) == RISE_OK, "cql: %s", rise_last_error());
        rise_arena_init_measure(&m);
        rise_cql_iql_update(&k, &c, &m, tb.obs, tb.act, tb.next, r, tb.d, TB, 1, rng, NULL);
        rise_arena_init(&ar, be, m.peak + 64);
        rise_cql_iql_update(&k, &c, &ar, tb.obs, tb.act, tb.next, r, tb.d, TB, 1, rng, NULL);
        n[1] = c.qp.size < 512 ? c.qp.size : 512;
        be->download(be, q[run][1], c.qp.value, sizeof(float) * n[1]);
        rise_arena_free(&ar);
        rise_cql_free(&k);
        rise_iql_critic_free(&c);
    }
    for (int i = 0; i < 2; ++i) {
        const char *name = i ? "IQL critic + penalty" : "algo cql critic";
        TEST_CHECK(n[i] > 0 && !memcmp(q[0][i], q[1][i], sizeof(float) * n[i]),
                   "%s: scale 4, bias -2 on r equals the identity on 4 r - 2 (bitwise)", name);
        TEST_CHECK(memcmp(q[0][i], q[2][i], sizeof(float) * n[i]) != 0,
                   "%s: the transformed update differs from the one on r", name);
    }
    be->free(be, rt);
    rise_params_free(&ap);
    tiny_batch_free(&tb);
    rise_backend_destroy(be);
}

static void test_cql_fd(void) {
    rise_status st;
    rise_backend *be = rise_backend_create("cpu", &st);
    tiny_batch tb;
    tiny_batch_make(&tb, be);
    rise_params ap;
    rise_params_init(&ap);
    rise_gauss_actor pi;
    const rise_gauss_config gc = {RISE_GAUSS_TANH, TD, TA, 8, 1, RISE_ACT_TANH, -5.0f, 2.0f};
    TEST_CHECK(rise_gauss_actor_register(&pi, &ap, "policy", &gc) == RISE_OK, "actor");
    rise_params_alloc(&ap, be, 0);
    rise_params_init_values(&ap, 5);
    const rise_cql_config kc = tiny_cql_config(1, 0.7f, 1.0f, 2);
    rise_cql k;
    TEST_CHECK(rise_cql_create(&k, be, &kc, 1, 9) == RISE_OK, "cql: %s", rise_last_error());
    rise_arena m, ar;
    const rise_rng rng = {11, RISE_STREAM_CQL, 0, NULL};
    rise_arena_init_measure(&m);
    rise_cql_critic_update(&k, &pi, ap.value, &m, tb.obs, tb.act, tb.next, tb.r, tb.d, TB, 1, rng);
    rise_arena_init(&ar, be, m.peak + 64);
    const size_t qn = (size_t)rise_params_slot_count(&k.qp) * k.qp.size;
    const size_t tn = (size_t)rise_params_slot_count(&k.tp) * k.tp.size;
    float *qsave = malloc(sizeof(float) * qn), *tsave = malloc(sizeof(float) * tn);
    float *g = malloc(sizeof(float) * k.qp.size), *pert = malloc(sizeof(float) * qn);
    be->download(be, qsave, k.qp.buffer, sizeof(float) * qn);
    be->download(be, tsave, k.tp.buffer, sizeof(float) * tn);
    cql_loss_at(&k, &pi, ap.value, &ar, &tb, qsave, tsave, qn, tn, g);
    const char *names[] = {"q.fc0.w", "q.fc1.w", "q.ln1.g", "q.out.w", "q.out.b"};
    int checked = 0, bad = 0;
    double worst = 0.0;
    for (size_t t = 0; t < sizeof names / sizeof names[0]; ++t) {
        const rise_param_tensor *pt = rise_params_tensor(&k.qp, names[t]);
        if (!pt) continue;
        for (size_t j = 0; j < pt->numel; j += pt->numel / 3 + 1) {
            const size_t i = pt->offset + j;
            const double h = 3e-3;
            memcpy(pert, qsave, sizeof(float) * qn);
            pert[i] = qsave[i] + (float)h;
            const double lp = cql_loss_at(&k, &pi, ap.value, &ar, &tb, pert, tsave, qn, tn, NULL);
            pert[i] = qsave[i] - (float)h;
            const double lm = cql_loss_at(&k, &pi, ap.value, &ar, &tb, pert, tsave, qn, tn, NULL);
            const double fd =
                (lp - lm) / ((double)(qsave[i] + (float)h) - (double)(qsave[i] - (float)h));
            const double err = fabs(fd - g[i]) / (2e-3 + 0.02 * fabs(fd));
            if (err > worst) worst = err;
            if (err > 1.0) {
                ++bad;
                fprintf(stderr, "  %s[%zu]: analytic %.6g, finite difference %.6g\n", names[t], j,
                        (double)g[i], fd);
            }
            ++checked;
        }
    }
    printf("CQL critic FD check: %d parameters, worst error %.3g of the tolerance\n", checked,
           worst);
    TEST_CHECK(checked >= 10 && bad == 0,
               "CQL critic loss gradient matches finite differences (%d parameters, worst %.3g of "
               "the tolerance)",
               checked, worst);
    free(qsave);
    free(tsave);
    free(g);
    free(pert);
    rise_arena_free(&ar);
    rise_cql_free(&k);
    rise_params_free(&ap);
    tiny_batch_free(&tb);
    rise_backend_destroy(be);
}

static void test_iql_actor_learns(void) {
    const rise_train_opts quiet = {1, NULL, NULL};
    rise_train_config c;
    rise_train_summary s;
    char run[512], csv[600];
    snprintf(run, sizeof run, "%s/run_iql_learn", dir);
    small_config(&c, "iql");
    set(&c, "train.steps=200");
    set(&c, "train.log_every=20");
    set(&c, "policy.lr=0.003");
    set(&c, "policy.dropout=0");
    TEST_CHECK(rise_train_run(&c, run, 0, &quiet, &s) == RISE_OK, "iql: %s", rise_last_error());
    snprintf(csv, sizeof csv, "%s/metrics.csv", run);
    const double l0 = first_loss(csv, 0), l1 = first_loss(csv, 1);
    TEST_CHECK(l1 < l0 - 0.5, "IQL's AWR actor loss falls by > 0.5: %g -> %g", l0, l1);
    printf("IQL AWR actor loss %g -> %g over 200 steps\n", l0, l1);
}

static void poison(rise_agent *a, void *ctx) {
    (void)ctx;
    if (rise_agent_step_count(a) != 25) return;
    rise_params *p = rise_agent_policy_params(a);
    const float nan = NAN;
    p->be->upload(p->be, p->value + p->tensors[0].offset, &nan, sizeof nan);
}

static void test_nan_stop(void) {
    const rise_train_opts o = {1, poison, NULL};
    rise_train_config c;
    rise_train_summary s;
    char run[512], ck[600];
    snprintf(run, sizeof run, "%s/run_nan", dir);
    small_config(&c, "idql");
    const rise_status st = rise_train_run(&c, run, 0, &o, &s);
    const char *msg = rise_last_error();
    TEST_CHECK(st == RISE_ERR_NUMERIC, "NaN parameters stop the run (status %d)", (int)st);
    TEST_CHECK((strstr(msg, "policy") || strstr(msg, "loss_pi")) && strstr(msg, "step 30") &&
                   strstr(msg, "step 20"),
               "message names the network, the step and the kept checkpoint: %s", msg);
    snprintf(ck, sizeof ck, "%s/checkpoint.h5", run);
    rise_ckpt_reader r;
    int64_t step = -1;
    if (rise_ckpt_open(&r, ck) == RISE_OK) {
        rise_ckpt_get_i64(&r, "step", &step);
        rise_ckpt_close(&r);
    }
    TEST_CHECK(step == 20, "the last good checkpoint (step 20) is kept, found step %lld",
               (long long)step);
}

static void test_pick(void) {
    const float q[5] = {0.1f, 0.7f, -0.2f, 0.7f, 0.3f};
    TEST_CHECK(rise_extract_pick(RISE_EXTRACT_ARGMAX, q, NULL, 5, 0.9f, 0.0) == 1,
               "argmax, first of ties");
    const float q2[3] = {-5.0f, -1.0f, -3.0f};
    TEST_CHECK(rise_extract_pick(RISE_EXTRACT_ARGMAX, q2, NULL, 3, 0.9f, 0.0) == 1,
               "argmax of negatives");
    /* weights tau = 0.9 where q >= v: [0.1, 0.9, 0.1] of total 1.1 */
    const float v[3] = {0.0f, 0.0f, 0.0f}, qe[3] = {-1.0f, 1.0f, -1.0f};
    TEST_CHECK(rise_extract_pick(RISE_EXTRACT_EXPECTILE, qe, v, 3, 0.9f, 0.05) == 0, "u in first");
    TEST_CHECK(rise_extract_pick(RISE_EXTRACT_EXPECTILE, qe, v, 3, 0.9f, 0.5) == 1, "u in second");
    TEST_CHECK(rise_extract_pick(RISE_EXTRACT_EXPECTILE, qe, v, 3, 0.9f, 0.95) == 2, "u in last");
}

static void test_policy_rows(void) {
    rise_train_config c;
    small_config(&c, "idql");
    rise_status st;
    rise_backend *be = rise_backend_create("cpu", &st);
    rise_trainset ts;
    TEST_CHECK(rise_trainset_build(&c.data, &ts) == RISE_OK, "trainset: %s", rise_last_error());
    rise_trainset_normalize(&ts, NULL);
    rise_agent_config ac;
    rise_agent_config_default(&ac, RISE_ALGO_IDQL);
    ac.obs_dim = (int)ts.obs_dim;
    ac.act_dim = (int)ts.act_dim;
    ac.batch = 32;
    ac.diffusion.width = 16;
    ac.diffusion.depth = 1;
    ac.critic.width = 16;
    ac.candidates = 8;
    rise_agent *a;
    TEST_CHECK(rise_agent_create(&ac, be, &ts.norm, &a) == RISE_OK, "agent: %s", rise_last_error());
    rise_agent_attach_data(a, &ts);
    for (int i = 0; i < 5; ++i) rise_agent_step(a);
    rise_policy *pol;
    rise_agent_policy(a, 7, &pol);
    const float obs[3 * 6] = {-0.8f, -0.7f, 0,    0,    1.6f, 1.5f, 0.1f, 0.2f, 0.3f,
                              -0.1f, 0.7f,  0.6f, 0.5f, 0.5f, 0,    0,    0.3f, 0.3f};
    const uint64_t keys[3] = {11, 12, 13};
    const int t[3] = {0, 4, 9};
    float act3[6], act1[2];
    const rise_policy_ctx ctx3 = {keys, t, NULL}, ctx1 = {keys + 1, t + 1, NULL};
    TEST_CHECK(pol->act(pol, 3, obs, &ctx3, act3) == RISE_OK, "act: %s", rise_last_error());
    TEST_CHECK(pol->act(pol, 1, obs + 6, &ctx1, act1) == RISE_OK, "act 1 row");
    /* Same noise and candidates whatever the batch; only GEMM blocking (batch-size
     * dependent in OpenBLAS) may move the last bits. */
    TEST_CHECK(fabsf(act1[0] - act3[2]) < 1e-5f && fabsf(act1[1] - act3[3]) < 1e-5f,
               "row 1's action does not depend on its batch (%.9g %.9g vs %.9g %.9g)", act1[0],
               act1[1], act3[2], act3[3]);
    int in_range = 1;
    for (int i = 0; i < 6; ++i) in_range &= act3[i] >= -1.0f && act3[i] <= 1.0f;
    TEST_CHECK(in_range, "actions in [-1, 1]");
    rise_agent_metrics m;
    TEST_CHECK(rise_agent_metrics_read(a, &m) == RISE_OK, "metrics");
    int found = 0;
    for (int i = 0; i < m.n; ++i)
        if (!strcmp(m.names[i], "cand_spread")) found = m.values[i] > 0.0;
    TEST_CHECK(found, "candidate spread is reported and positive");
    /* Evaluating with another K: only before the first call; K = 1 is the policy alone. */
    TEST_CHECK(rise_agent_policy_set_extraction(pol, 1, -1) != RISE_OK &&
                   strstr(rise_last_error(), "first call"),
               "candidates cannot change after the first call");
    rise_policy *pol1;
    rise_agent_policy(a, 7, &pol1);
    TEST_CHECK(rise_agent_policy_set_extraction(pol1, -1, -1) != RISE_OK,
               "negative candidates refused");
    TEST_CHECK(rise_agent_policy_set_extraction(pol1, 1, -1) == RISE_OK, "K = 1: %s",
               rise_last_error());
    float k1[6];
    TEST_CHECK(pol1->act(pol1, 3, obs, &ctx3, k1) == RISE_OK, "act with K = 1");
    int differs = 0;
    for (int i = 0; i < 6; ++i) differs |= k1[i] != act3[i];
    TEST_CHECK(differs, "K = 1 (no critic choice) acts differently from K = 8");
    rise_policy_destroy(pol1);
    /* The expectile rule resamples instead of taking the argmax. */
    rise_agent_policy(a, 7, &pol1);
    TEST_CHECK(rise_agent_policy_set_extraction(pol1, 0, 7) != RISE_OK, "unknown rule refused");
    TEST_CHECK(rise_agent_policy_set_extraction(pol1, 0, RISE_EXTRACT_EXPECTILE) == RISE_OK,
               "expectile rule: %s", rise_last_error());
    TEST_CHECK(pol1->act(pol1, 3, obs, &ctx3, k1) == RISE_OK, "act with the expectile rule");
    differs = 0;
    for (int i = 0; i < 6; ++i) differs |= k1[i] != act3[i];
    TEST_CHECK(differs, "the expectile rule chooses differently from the argmax");
    rise_policy_destroy(pol1);
    rise_policy_destroy(pol);
    rise_agent_free(a);
    rise_trainset_free(&ts);
    rise_backend_destroy(be);
}

static double first_loss(const char *csv_path, int last) {
    size_t n;
    char *t = test_read_file(csv_path, &n);
    if (!t) return NAN;
    char *line = strchr(t, '\n'), *pick = line ? line + 1 : NULL;
    if (last)
        for (char *p = pick; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
            if (*p) pick = p;
    double v = NAN;
    if (pick) {
        const char *comma = strchr(pick, ',');
        if (comma) v = atof(comma + 1);
    }
    free(t);
    return v;
}

/* Trains algo with the small config plus `extra` assignments (NULL-terminated) into
 * dir/name, then loads it back on a fresh cpu backend (*be) for evaluation. */
static rise_agent *train_and_load(const char *algo, const char *name, const char *const *extra,
                                  rise_backend **be) {
    const rise_train_opts quiet = {1, NULL, NULL};
    rise_train_config c, lc;
    rise_train_summary s;
    char run[512];
    snprintf(run, sizeof run, "%s/%s", dir, name);
    small_config(&c, algo);
    for (int i = 0; extra[i]; ++i) set(&c, extra[i]);
    TEST_CHECK(rise_train_run(&c, run, 0, &quiet, &s) == RISE_OK, "train %s: %s", name,
               rise_last_error());
    rise_status st;
    *be = rise_backend_create("cpu", &st);
    rise_agent *a = NULL;
    TEST_CHECK(rise_train_load_agent(run, NULL, *be, &lc, &a) == RISE_OK, "load %s: %s", name,
               rise_last_error());
    return a;
}

/* A RISE policy with 2 observation frames and chunks of 3 (2 executed) runs through the
 * coverage evaluator, which hands it the history. */
static void test_history_policy(void) {
    const char *const extra[] = {"train.steps=10", "policy.obs_horizon=2",
                                 "policy.action_horizon=3", "policy.action_exec=2", NULL};
    rise_backend *be;
    rise_agent *a = train_and_load("rise", "run_hist", extra, &be);
    rise_status st;
    rise_policy *pol = NULL;
    if (a) rise_agent_policy(a, 0, &pol);
    rise_env *env = NULL;
    rise_env_create("maze", NULL, &env);
    TEST_CHECK(pol && env && rise_agent_policy_bind_env(pol, &env->info) == RISE_OK, "bind: %s",
               rise_last_error());
    rise_env_destroy(env);
    TEST_CHECK(pol && pol->obs_horizon == 2 && pol->chunk == 3 && pol->n_exec == 2,
               "policy asks for 2 frames, chunks of 3, executes 2");
    rise_coverage_opts o;
    rise_coverage_opts_default(&o);
    o.grid = 2;
    o.trials = 1;
    o.progress = 0;
    rise_coverage_result r;
    memset(&r, 0, sizeof r);
    if (pol) {
        st = rise_coverage_run("maze", NULL, pol, &o, &r);
        TEST_CHECK(st == RISE_OK && r.episodes == 4, "coverage with histories: %s (%lld episodes)",
                   st == RISE_OK ? "ok" : rise_last_error(), (long long)r.episodes);
        const float o1[6] = {0};
        const uint64_t key = 0;
        const int t0 = 0;
        const rise_policy_ctx no_hist = {&key, &t0, NULL};
        float act[6];
        TEST_CHECK(pol->act(pol, 1, o1, &no_hist, act) == RISE_ERR_INVALID,
                   "a call without the history is refused");
    }
    if (r.rate) rise_coverage_result_free(&r);
    rise_policy_destroy(pol);
    rise_agent_free(a);
    rise_backend_destroy(be);
}

/* A model trained on the keys in another order (goal_rel, agent_pos, agent_vel) and bound
 * to the maze env acts on the env's observations exactly as the unbound model acts on
 * the same observations permuted into its order; a key the env lacks is refused. */
static void test_policy_bind(void) {
    const char *const extra[] = {"train.steps=5", "data.obs_keys=goal_rel,agent_pos,agent_vel",
                                 NULL};
    rise_backend *be;
    rise_agent *a = train_and_load("idql", "run_keys", extra, &be);
    if (!a) return;
    TEST_CHECK(!strcmp(rise_agent_obs_keys(a), "goal_rel:2,agent_pos:2,agent_vel:2"),
               "model keys: %s", rise_agent_obs_keys(a));
    rise_env *env = NULL;
    rise_env_create("maze", NULL, &env);
    rise_policy *bound, *raw;
    rise_agent_policy(a, 3, &bound);
    rise_agent_policy(a, 3, &raw);
    TEST_CHECK(rise_agent_policy_bind_env(bound, &env->info) == RISE_OK, "bind: %s",
               rise_last_error());
    /* env order: agent_pos, agent_vel, goal_rel */
    const float env_obs[6] = {-0.8f, -0.7f, 0.1f, 0.2f, 1.6f, 1.5f};
    const float model_obs[6] = {1.6f, 1.5f, -0.8f, -0.7f, 0.1f, 0.2f};
    const uint64_t key = 4;
    const int t = 2;
    const rise_policy_ctx ctx = {&key, &t, NULL};
    float a1[2], a2[2];
    bound->act(bound, 1, env_obs, &ctx, a1);
    raw->act(raw, 1, model_obs, &ctx, a2);
    TEST_CHECK(a1[0] == a2[0] && a1[1] == a2[1], "bound policy = permuted input (%g %g vs %g %g)",
               a1[0], a1[1], a2[0], a2[1]);
    rise_env *small = NULL;
    rise_env_create("maze", "{\"goal_rel\": false}", &small);
    TEST_CHECK(small && rise_agent_policy_bind_env(raw, &small->info) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "goal_rel"),
               "an env without goal_rel is refused: %s", rise_last_error());
    rise_env_destroy(small);
    rise_policy_destroy(bound);
    rise_policy_destroy(raw);
    rise_env_destroy(env);
    rise_agent_free(a);
    rise_backend_destroy(be);
}

static void test_bc_learns(void) {
    const rise_train_opts quiet = {1, NULL, NULL};
    rise_train_config c;
    rise_train_summary s;
    char run[512], csv[600];
    snprintf(run, sizeof run, "%s/run_bc", dir);
    small_config(&c, "bc_mlp");
    set(&c, "train.steps=300");
    set(&c, "train.log_every=20");
    set(&c, "train.expert_only=true");
    set(&c, "policy.lr=0.003");
    set(&c, "policy.dropout=0");
    TEST_CHECK(rise_train_run(&c, run, 0, &quiet, &s) == RISE_OK, "bc: %s", rise_last_error());
    snprintf(csv, sizeof csv, "%s/metrics.csv", run);
    const double l0 = first_loss(csv, 0), l1 = first_loss(csv, 1);
    TEST_CHECK(l1 < 0.5 * l0, "BC-MLP loss falls: %g -> %g", l0, l1);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/rise_test_agent_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    char path[512];
    snprintf(path, sizeof path, "%s/expert.h5", dir);
    maze_fixture_gen("expert", 12, 1, path);
    snprintf(path, sizeof path, "%s/play.h5", dir);
    maze_fixture_gen("play", 12, 2, path);
    test_pick();
    test_resume();
    test_nan_stop();
    test_policy_rows();
    test_history_policy();
    test_policy_bind();
    test_bc_learns();
    const char *const iql_x[] = {NULL};
    const char *const cql_x[] = {"cql.lagrange=true", "cql.alpha=0.5", "cql.target_gap=2", NULL};
    const char *const idql_x[] = {"cql.enable=true", "cql.lagrange=true", NULL};
    const char *const ref_x[] = {"train.backend=ref", NULL}; /* the reference resumes too */
    test_resume_algo("rise", "rise_ref", ref_x);
    test_resume_algo("iql", "iql", iql_x);
    test_resume_algo("cql", "cql", cql_x);
    test_resume_algo("idql", "idql_cql", idql_x);
    test_cql_penalty_hand();
    test_iql_taps();
    test_cql_fd();
    test_cql_reward_transform();
    test_iql_actor_learns();
    test_remove_dir(dir);
    return test_finish();
}
