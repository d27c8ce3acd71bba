/* test_golden_rise.c - rise's RISE agent with its default (official-code) settings against
 * RISE's training written from the official definitions in PyTorch
 * (tests/golden/rise_step.txt, from make_golden_rise.py, whose docstring lists what each
 * part follows): on a tiny dataset built from the golden arrays, the real agent
 * (rise_agent_create, rise_agent_attach_data, rise_agent_step on the cpu backend) with the
 * golden initial weights runs
 *   - neighbour relabelling: the pairs equal the golden ones exactly (retrieve k + 1, then
 *     threshold, exact gripper on play->expert, other demos on play->play; raw L2 features);
 *   - step 1, regular: the batch indices, then the critic (Q toward V before its update,
 *     V's expectile, Polyak) and the policy (eps MSE through the per-frame spectral MLP,
 *     lambda sigma_max exact, EMA warm-up before Adam): losses, sigma_max, gradients, every
 *     parameter, the Q target and the EMA;
 *   - step 2, relabelled pairs: the pair batch, the policy update (EMA update 2), and the
 *     critic bitwise where step 1 left it;
 *   - sampling with the EMA weights: DDIM and DDPM with diffusers' x0 clipping.
 * Tolerances are golden_params.h's. Negative controls, each outside the tolerance or the
 * test fails: Q toward V after its update; the critic updated in pair steps; a fixed EMA
 * decay; the EMA after the Adam step; one power-iteration step for sigma_max; filter-first
 * relabelling; relabelling on normalised features; x_t clamped while sampling.
 * Run: ctest -R test_golden_rise (or ./test_golden_rise from tests/). Exit 0 pass, 1 fail. */
#include <stdarg.h>

#include "algorithms/agent.h"
#include "algorithms/agent_internal.h"
#include "golden/golden_params.h"
#include "test_util.h"

static int dim(int i) { return (int)need("dims")->data[i]; }

/* ---- the dataset, from the golden arrays ---- */

typedef struct {
    rise_trainset ts;
    rise_obs_key keys[2];
} golden_data;

static void *dup_floats(const char *name, size_t n) {
    const golden_array *a = need("%s", name);
    TEST_CHECK(a->n == n, "%s: %zu values, want %zu", name, a->n, n);
    float *p = malloc(n * sizeof(float));
    memcpy(p, a->data, n * sizeof(float));
    return p;
}

static void data_build(golden_data *g) {
    rise_trainset *ts = &g->ts;
    memset(g, 0, sizeof *g);
    const int D = dim(0), A = dim(1);
    const golden_array *traj = need("data.traj");
    const int64_t n = (int64_t)traj->n;
    ts->n = n, ts->obs_dim = D, ts->act_dim = A;
    ts->obs = dup_floats("data.obs", (size_t)(n * D));
    ts->next_obs = dup_floats("data.next_obs", (size_t)(n * D));
    ts->actions = dup_floats("data.actions", (size_t)(n * A));
    ts->rewards = dup_floats("data.rewards", (size_t)n);
    ts->dones = dup_floats("data.dones", (size_t)n);
    ts->traj = malloc(sizeof(int32_t) * (size_t)n);
    ts->step = malloc(sizeof(int32_t) * (size_t)n);
    ts->expert = malloc((size_t)n);
    const golden_array *st = need("data.step"), *ex = need("data.expert");
    for (int64_t i = 0; i < n; ++i) {
        ts->traj[i] = (int32_t)traj->data[i];
        ts->step[i] = (int32_t)st->data[i];
        ts->expert[i] = ex->data[i] != 0.0f;
    }
    ts->n_traj = ts->traj[n - 1] + 1;
    ts->traj_start = calloc((size_t)ts->n_traj, sizeof(int64_t));
    ts->traj_len = calloc((size_t)ts->n_traj, sizeof(int64_t));
    ts->traj_expert = calloc((size_t)ts->n_traj, 1);
    for (int64_t i = n - 1; i >= 0; --i) {
        ts->traj_start[ts->traj[i]] = i;
        ts->traj_len[ts->traj[i]]++;
        ts->traj_expert[ts->traj[i]] = ts->expert[i];
    }
    ts->expert_idx = malloc(sizeof(int64_t) * (size_t)n);
    ts->nonexpert_idx = malloc(sizeof(int64_t) * (size_t)n);
    for (int64_t i = 0; i < n; ++i) {
        if (ts->expert[i])
            ts->expert_idx[ts->n_expert++] = i;
        else
            ts->nonexpert_idx[ts->n_nonexpert++] = i;
    }
    g->keys[0] = (rise_obs_key){.name = "pos", .ndim = 1, .shape = {2}, .dim = 2, .offset = 0};
    g->keys[1] = (rise_obs_key){.name = "grip", .ndim = 1, .shape = {1}, .dim = 1, .offset = 2};
    ts->n_keys = 2, ts->keys = g->keys;
    /* normalisation with the golden shift / scale (powers of two: exact in float) */
    RISE_ASSERT(rise_norm_init(&ts->norm, D, A) == RISE_OK, "norm");
    memcpy(ts->norm.obs_shift, need("data.obs_shift")->data, sizeof(float) * (size_t)D);
    memcpy(ts->norm.obs_scale, need("data.obs_scale")->data, sizeof(float) * (size_t)D);
    for (int64_t i = 0; i < n * D; ++i) {
        const int64_t c = i % D;
        ts->obs[i] = (ts->obs[i] - ts->norm.obs_shift[c]) / ts->norm.obs_scale[c];
        ts->next_obs[i] = (ts->next_obs[i] - ts->norm.obs_shift[c]) / ts->norm.obs_scale[c];
    }
    ts->normalized = 1;
}

static void data_free(golden_data *g) {
    rise_trainset *ts = &g->ts;
    void *p[] = {ts->obs,         ts->next_obs,   ts->actions,      ts->rewards,    ts->dones,
                 ts->traj,        ts->step,       ts->expert,       ts->traj_start, ts->traj_len,
                 ts->traj_expert, ts->expert_idx, ts->nonexpert_idx};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; ++i) free(p[i]);
    rise_norm_free(&ts->norm);
}

/* ---- the agent: rise's defaults at the golden sizes ---- */

typedef enum {
    AS_GOLDEN = 0,
    NEG_V_AFTER,         /* Q toward V after its update (IQL's order) */
    NEG_CRITIC_ON_PAIRS, /* the critic also updated in pair steps */
    NEG_FIXED_EMA,       /* a fixed EMA decay 0.995 */
    NEG_EMA_AFTER,       /* the EMA of the weights after the Adam step */
    NEG_ONE_ITERATION,   /* sigma_max by one power-iteration step */
    NEG_FILTER_FIRST,    /* relabelling: filters, then the k nearest */
    NEG_NORMALIZED,      /* relabelling on normalised features */
    N_VARIANTS
} variant;

static const char *const variant_names[N_VARIANTS] = {
    "golden",       "Q toward V after its update", "critic updated in pair steps",
    "fixed EMA",    "EMA after the Adam step",     "one power-iteration step",
    "filter first", "normalised relabel features"};

static rise_agent *agent_build(rise_backend *be, const rise_trainset *ts, variant v) {
    rise_agent_config c;
    rise_agent_config_default(&c, RISE_ALGO_RISE);
    c.seed = (uint64_t)need("rng.seed")->data[0];
    c.obs_dim = dim(0), c.act_dim = dim(1);
    c.obs_horizon = dim(2), c.action_horizon = dim(3);
    c.batch = dim(4);
    c.data_on_backend = 0;
    c.step_graph = 0;
    rise_diffusion_config *d = &c.diffusion;
    d->lnresnet = 1;
    d->width = dim(5);
    d->depth = dim(6);
    d->dropout = 0.0f;
    d->act = RISE_ACT_MISH;
    d->time = rise_time_embedding_config_default();
    d->time.kind = RISE_TIME_SINUSOIDAL;
    d->time.n_freq = dim(7);
    d->time.max_period = scalar("hp.max_period");
    d->schedule = RISE_SCHEDULE_COSINE;
    d->sampler = RISE_SAMPLER_DDIM;
    d->train_steps = dim(8);
    d->sample_steps = dim(10);
    d->code_width = dim(9);
    c.spectral_lambda = scalar("hp.lambda");
    c.policy_lr = scalar("hp.policy_lr");
    c.ema = scalar("hp.ema_max");
    c.ema_power = scalar("hp.ema_power");
    rise_iql_config *q = &c.critic;
    q->depth = 3;
    for (int l = 0; l < 3; ++l) q->hidden[l] = dim(14 + l);
    q->layernorm = 0;
    q->discount = scalar("hp.gamma");
    q->tau = scalar("hp.tau");
    q->expectile = scalar("hp.expectile");
    q->q_opt.lr = q->v_opt.lr = scalar("hp.critic_lr");
    c.relabel = 1;
    rise_relabel_config *r = &c.relabel_cfg;
    r->k = dim(11);
    r->threshold = scalar("hp.threshold");
    r->skip_expert = dim(12);
    r->skip_nonexpert = dim(13);
    snprintf(r->match_key, sizeof r->match_key, "grip");
    c.relabel_block = 1; /* phases of one step: step 1 regular, step 2 on pairs */
    switch (v) {
    case NEG_V_AFTER: q->q_target_v_before = 0; break;
    case NEG_CRITIC_ON_PAIRS: c.relabel_critic_on_pairs = 1; break;
    case NEG_FIXED_EMA: c.ema = 0.995f, c.ema_power = 0.0f; break;
    case NEG_EMA_AFTER: c.ema_before = 0; break;
    case NEG_ONE_ITERATION: d->spectral_iters = 1, d->spectral_tol = 0.0f; break;
    case NEG_FILTER_FIRST: r->retrieve_first = 0; break;
    case NEG_NORMALIZED: r->raw_features = 0; break;
    default: break;
    }
    rise_agent *a = NULL;
    const rise_status st = rise_agent_create(&c, be, &ts->norm, &a);
    RISE_ASSERT(st == RISE_OK, "agent: %s", rise_last_error());
    /* every golden initial tensor is one of ours and vice versa */
    int n_golden = 0;
    const golden_file *g = G;
    for (int i = 0; i < g->count; ++i) n_golden += !strncmp(g->arrays[i].name, "init.", 5);
    TEST_CHECK(n_golden == a->pp.count + a->critic.qp.count + a->critic.vp.count,
               "golden has %d initial tensors, the agent %d", n_golden,
               a->pp.count + a->critic.qp.count + a->critic.vp.count);
    upload_group(&a->pp, RISE_SLOT_VALUE, "init");
    upload_group(&a->pp, RISE_SLOT_EMA, "init");
    upload_group(&a->critic.qp, RISE_SLOT_VALUE, "init");
    upload_group(&a->critic.qp, RISE_SLOT_TARGET, "init");
    upload_group(&a->critic.vp, RISE_SLOT_VALUE, "init");
    RISE_ASSERT(rise_agent_attach_data(a, ts) == RISE_OK, "attach: %s", rise_last_error());
    return a;
}

static int same_pairs(const rise_pairs *p) {
    const golden_array *o = need("pairs.obs_idx"), *ac = need("pairs.act_idx");
    const golden_array *ru = need("pairs.rule");
    int eq = (size_t)p->n == o->n;
    for (int64_t i = 0; eq && i < p->n; ++i)
        eq = p->obs_idx[i] == (int64_t)o->data[i] && p->act_idx[i] == (int64_t)ac->data[i] &&
             p->rule[i] == (uint8_t)ru->data[i];
    return eq;
}

static float read1(rise_backend *be, const float *dev) {
    float v;
    be->download(be, &v, dev, sizeof v);
    return v;
}

/* The policy, its EMA and gradients after step `tag` (s1, s2); 0: count only. */
static size_t policy_far(rise_agent *a, const char *tag, int check, stats *s) {
    char t[32];
    size_t far = compare_group(&a->pp, RISE_SLOT_VALUE, tag, NULL, PAR_ATOL, PAR_RTOL, 0, check, s);
    snprintf(t, sizeof t, "%s.ema", tag);
    far += compare_group(&a->pp, RISE_SLOT_EMA, t, NULL, PAR_ATOL, PAR_RTOL, 0, check, s);
    snprintf(t, sizeof t, "%s.grad", tag);
    far += compare_group(&a->pp, RISE_SLOT_GRAD, t, NULL, GRAD_ATOL, GRAD_RTOL, 1, check, s);
    return far;
}

/* The critic after step 1 (values, Q target; with grads, the gradients of its update). */
static size_t critic_far(rise_agent *a, int grads, int check, stats *s) {
    size_t far =
        compare_group(&a->critic.qp, RISE_SLOT_VALUE, "s1", NULL, PAR_ATOL, PAR_RTOL, 0, check, s);
    if (grads) {
        far += compare_group(&a->critic.qp, RISE_SLOT_GRAD, "s1.grad", NULL, GRAD_ATOL, GRAD_RTOL,
                             1, check, s);
        far += compare_group(&a->critic.vp, RISE_SLOT_GRAD, "s1.grad", NULL, GRAD_ATOL, GRAD_RTOL,
                             1, check, s);
    }
    far += compare_group(&a->critic.qp, RISE_SLOT_TARGET, "s1.target", NULL, PAR_ATOL, PAR_RTOL, 0,
                         check, s);
    far +=
        compare_group(&a->critic.vp, RISE_SLOT_VALUE, "s1", NULL, PAR_ATOL, PAR_RTOL, 0, check, s);
    return far;
}

static void check_golden(rise_backend *be, const rise_trainset *ts) {
    rise_agent *a = agent_build(be, ts, AS_GOLDEN);
    TEST_CHECK(same_pairs(&a->pairs), "relabelled pairs: %lld, golden %zu (or other pairs)",
               (long long)a->pairs.n, need("pairs.obs_idx")->n);
    stats sp = {0, 0}, sc = {0, 0}, so = {0, 0};
    /* step 1: regular */
    TEST_CHECK(rise_agent_step(a) == RISE_OK, "step 1: %s", rise_last_error());
    const golden_array *bi = need("batch0.idx");
    int idx_eq = !a->last_policy_from_pairs && a->last_critic_update;
    for (int b = 0; b < a->B; ++b) idx_eq &= a->idx[b] == (int64_t)bi->data[b];
    TEST_CHECK(idx_eq, "step 1: a regular step on the golden batch indices");
    float m[RISE_IQL_N_METRICS];
    be->download(be, m, a->critic.metrics, sizeof m);
    compare_scalar("s1.loss_q", m[RISE_IQL_LOSS_Q], OUT_ATOL, OUT_RTOL, &so);
    compare_scalar("s1.loss_v", m[RISE_IQL_LOSS_V], OUT_ATOL, OUT_RTOL, &so);
    compare_scalar("s1.loss_pi", read1(be, a->pm), OUT_ATOL, OUT_RTOL, &so);
    compare_scalar("s1.sigma", read1(be, a->diff.sigma), OUT_ATOL, OUT_RTOL, &so);
    critic_far(a, 1, 1, &sc);
    policy_far(a, "s1", 1, &sp);
    /* step 2: relabelled pairs, the critic resting */
    TEST_CHECK(rise_agent_step(a) == RISE_OK, "step 2: %s", rise_last_error());
    const golden_array *pi = need("batch1.pidx");
    idx_eq = a->last_policy_from_pairs && !a->last_critic_update;
    for (int b = 0; b < a->B; ++b) idx_eq &= a->pidx[b] == (int64_t)pi->data[b];
    TEST_CHECK(idx_eq, "step 2: a pair step on the golden pair indices");
    compare_scalar("s2.loss_pi", read1(be, a->pm), OUT_ATOL, OUT_RTOL, &so);
    compare_scalar("s2.sigma", read1(be, a->diff.sigma), OUT_ATOL, OUT_RTOL, &so);
    policy_far(a, "s2", 1, &sp);
    critic_far(a, 1, 1, &sc); /* untouched: still step 1's values, target and gradients */
    printf("golden: %lld pairs; max |err| (tolerance used): losses/sigma %.3g (%.3f), policy "
           "(values, EMA, grads) %.3g (%.3f), critic %.3g (%.3f)\n",
           (long long)a->pairs.n, so.abs_err, so.used, sp.abs_err, sp.used, sc.abs_err, sc.used);

    /* sampling with the EMA weights, DDIM then DDPM (diffusers: x0 clipped only) */
    const golden_array *so_ = need("sample.obs"), *sn = need("sample.noise");
    const int N = 3, AD = a->AD;
    float *obs = test_to_backend(be, so_->data, so_->n),
          *noise = test_to_backend(be, sn->data, sn->n);
    float *x = be->alloc(be, sizeof(float) * (size_t)N * AD);
    rise_diffusion *d = &a->diff;
    for (int ddpm = 0; ddpm < 2; ++ddpm) {
        for (int rule = RISE_CLIP_X0; rule <= RISE_CLIP_BOTH; ++rule) {
            d->n_steps = rise_sampler_steps(&d->sched, ddpm ? RISE_SAMPLER_DDPM : RISE_SAMPLER_DDIM,
                                            d->cfg.sample_steps, (rise_clip_rule)rule, d->steps);
            RISE_ASSERT(rise_diffusion_noise_len(d, N) <= sn->n, "noise");
            rise_arena ar;
            rise_arena_init_measure(&ar);
            rise_diffusion_sample(d, be, a->pp.ema, &ar, obs, N, noise, x);
            rise_arena big;
            rise_arena_init(&big, be, ar.peak);
            rise_diffusion_sample(d, be, a->pp.ema, &big, obs, N, noise, x);
            rise_arena_free(&big);
            float *hx = test_from_backend(be, x, (size_t)N * AD);
            const char *name = ddpm ? "sample.ddpm" : "sample.ddim";
            const golden_array *want = need("%s", name);
            if (rule == RISE_CLIP_X0) {
                stats ss = {0, 0};
                test_close(name, hx, want->data, want->n, OUT_ATOL, OUT_RTOL);
                track(&ss, hx, want->data, want->n, OUT_ATOL, OUT_RTOL);
                printf("%s (x0 clipped): max |err| %.3g (tolerance used %.3f)\n", name, ss.abs_err,
                       ss.used);
            } else {
                /* xt (IDQL's rule, no x0 clip) must differ; both (x0 and x_t) differs only
                 * where some x_t leaves [-1, 1], which these samples may never do */
                const size_t far = count_far(hx, want->data, want->n, OUT_ATOL, OUT_RTOL);
                if (rule == RISE_CLIP_XT)
                    TEST_CHECK(far > 0, "%s with IDQL's x_t rule matches diffusers' x0 rule", name);
                printf("%s %s, clip rule %s: %zu of %zu far\n",
                       rule == RISE_CLIP_XT ? "negative control" : "for information", name,
                       rule == RISE_CLIP_XT ? "xt" : "both", far, want->n);
            }
            free(hx);
        }
    }
    be->free(be, obs), be->free(be, noise), be->free(be, x);
    rise_agent_free(a);
}

/* Each departure from the official code lands outside the tolerance somewhere. */
static void check_negative(rise_backend *be, const rise_trainset *ts, variant v) {
    rise_agent *a = agent_build(be, ts, v);
    size_t far = 0;
    const char *where = "";
    if (v == NEG_FILTER_FIRST || v == NEG_NORMALIZED) {
        far = !same_pairs(&a->pairs);
        where = "pairs";
    } else {
        TEST_CHECK(rise_agent_step(a) == RISE_OK, "%s step 1", variant_names[v]);
        if (v == NEG_V_AFTER) far = critic_far(a, 1, 0, NULL), where = "critic after step 1";
        if (v == NEG_EMA_AFTER) far = policy_far(a, "s1", 0, NULL), where = "policy after step 1";
        if (v == NEG_ONE_ITERATION) {
            far = policy_far(a, "s1", 0, NULL) + count_far((float[]){read1(be, a->diff.sigma)},
                                                           need("s1.sigma")->data, 1, OUT_ATOL,
                                                           OUT_RTOL);
            where = "policy and sigma after step 1";
        }
        if (v == NEG_CRITIC_ON_PAIRS || v == NEG_FIXED_EMA) {
            TEST_CHECK(rise_agent_step(a) == RISE_OK, "%s step 2", variant_names[v]);
            if (v == NEG_CRITIC_ON_PAIRS)
                far = critic_far(a, 0, 0, NULL), where = "critic after step 2";
            if (v == NEG_FIXED_EMA)
                far = policy_far(a, "s2", 0, NULL), where = "policy after step 2";
        }
    }
    TEST_CHECK(far > 0, "negative control '%s' is within the tolerance of the golden %s",
               variant_names[v], where);
    printf("negative control %s: %zu far (%s)\n", variant_names[v], far, where);
    rise_agent_free(a);
}

int main(void) {
    rise_backend *be = test_backend_or_skip("cpu");
    char path[1024];
    golden_path(path, sizeof path, "rise_step.txt");
    golden_file g;
    if (golden_load(&g, path) != 0) return 1;
    G = &g;
    golden_data data;
    data_build(&data);
    check_golden(be, &data.ts);
    for (int v = AS_GOLDEN + 1; v < N_VARIANTS; ++v) check_negative(be, &data.ts, (variant)v);
    data_free(&data);
    golden_free(&g);
    rise_backend_destroy(be);
    return test_finish();
}
