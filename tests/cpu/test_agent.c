/* test_agent.c - whole training runs on small generated maze data:
 *  - resume: a RISE run (dropout, relabelled pairs, action noise, spectral penalty,
 *    learned Fourier time embedding) stopped at step 20 and resumed to 40 logs the
 *    same metrics.csv and ends with the same checkpoint bytes as an uninterrupted run;
 *  - NaN: a non-finite parameter injected at step 25 stops the run with a clear error,
 *    and the checkpoint of step 20 stays the last one;
 *  - extraction: argmax and expectile choices on hand-made scores;
 *  - the evaluation policy: actions in [-1, 1], a row's action does not depend on the
 *    other rows in the batch; BC-MLP's loss falls. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "algorithms/agent.h"
#include "algorithms/train_run.h"
#include "envs/gen.h"
#include "host/checkpoint.h"
#include "test_util.h"

static char dir[256];

static void gen(const char *kind_name, int n, uint64_t seed, const char *path) {
    rise_gen_kind kind;
    rise_gen_kind_parse(kind_name, &kind);
    rise_gen_opts o;
    rise_gen_opts_default(&o);
    rise_episode_buf *bufs = calloc((size_t)n, sizeof *bufs);
    rise_gen_stats stats;
    rise_env *env;
    TEST_CHECK(rise_env_create("maze", NULL, &env) == RISE_OK, "env");
    rise_status st = rise_gen_run("maze", NULL, kind, &o, seed, n, 1, bufs, &stats, NULL, NULL);
    if (st == RISE_OK) st = rise_gen_write(path, env, kind, &o, seed, bufs, n);
    TEST_CHECK(st == RISE_OK, "gen %s: %s", kind_name, rise_last_error());
    for (int i = 0; i < n; ++i) rise_episode_buf_free(&bufs[i]);
    free(bufs);
    rise_env_destroy(env);
}

static void set(rise_train_config *c, const char *kv) {
    TEST_CHECK(rise_train_config_set(c, kv) == RISE_OK, "--set %s: %s", kv, rise_last_error());
}

static void small_config(rise_train_config *c, const char *algo) {
    char buf[512];
    rise_train_config_default(c);
    snprintf(buf, sizeof buf, "train.algo=%s", algo);
    set(c, buf);
    const char *kv[] = {"train.steps=40",         "train.batch=32",
                        "train.log_every=10",     "train.ckpt_every=10",
                        "policy.width=16",        "policy.depth=1",
                        "policy.dropout=0.1",     "diffusion.train_steps=10",
                        "diffusion.sample_steps=5", "critic.width=16",
                        "extract.candidates=4",   "spectral.width=16",
                        "relabel.threshold=0.5",  "relabel.skip_expert=0",
                        "relabel.skip_nonexpert=0", "noise.copies=1"};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; ++i) set(c, kv[i]);
    if (!strcmp(algo, "rise")) {
        set(c, "spectral.mode=code");
        set(c, "relabel.enable=true");
    }
    snprintf(buf, sizeof buf, "data.source=expert:%s/expert.h5", dir);
    set(c, buf);
    snprintf(buf, sizeof buf, "data.source=non_expert:%s/play.h5", dir);
    set(c, buf);
}

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc(*n + 1);
    if (fread(b, 1, *n, f) != *n) *n = 0;
    b[*n] = 0;
    fclose(f);
    return b;
}

static int same_file(const char *a, const char *b) {
    size_t na = 0, nb = 0;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    const int same = x && y && na == nb && na > 0 && !memcmp(x, y, na);
    free(x);
    free(y);
    return same;
}

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
    TEST_CHECK(r.train_steps == 20 && r.relabel_enable == 1, "config.json holds the run's settings");
    set(&r, "train.steps=40");
    TEST_CHECK(rise_train_run(&r, b, 1, &quiet, &s) == RISE_OK, "resume b: %s", rise_last_error());
    TEST_CHECK(s.first_step == 20 && s.last_step == 40, "resumed 20 -> 40 (%lld -> %lld)",
               (long long)s.first_step, (long long)s.last_step);
    snprintf(pa, sizeof pa, "%s/metrics.csv", a);
    snprintf(pb, sizeof pb, "%s/metrics.csv", b);
    TEST_CHECK(same_file(pa, pb), "resumed metrics.csv is byte-identical to the uninterrupted one");
    snprintf(pa, sizeof pa, "%s/checkpoint.h5", a);
    snprintf(pb, sizeof pb, "%s/checkpoint.h5", b);
    TEST_CHECK(same_file(pa, pb), "final checkpoints are byte-identical");
    /* a different seed must change the metrics (the comparison can fail) */
    char d2[512], pd[600];
    snprintf(d2, sizeof d2, "%s/run_c", dir);
    small_config(&c, "rise");
    set(&c, "train.seed=1");
    TEST_CHECK(rise_train_run(&c, d2, 0, &quiet, &s) == RISE_OK, "run c");
    snprintf(pa, sizeof pa, "%s/metrics.csv", a);
    snprintf(pd, sizeof pd, "%s/metrics.csv", d2);
    TEST_CHECK(!same_file(pa, pd), "another seed logs other metrics");
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
    const float obs[3 * 6] = {-0.8f, -0.7f, 0, 0, 1.6f, 1.5f, 0.1f, 0.2f, 0.3f, -0.1f,
                              0.7f,  0.6f,  0.5f, 0.5f, 0, 0, 0.3f, 0.3f};
    const uint64_t keys[3] = {11, 12, 13};
    const int t[3] = {0, 4, 9};
    float act3[6], act1[2];
    const rise_policy_ctx ctx3 = {keys, t}, ctx1 = {keys + 1, t + 1};
    TEST_CHECK(pol->act(pol, 3, obs, &ctx3, act3) == RISE_OK, "act: %s", rise_last_error());
    TEST_CHECK(pol->act(pol, 1, obs + 6, &ctx1, act1) == RISE_OK, "act 1 row");
    /* Same noise and candidates whatever the batch; only GEMM blocking (batch-size
     * dependent in OpenBLAS) may move the last bits. */
    TEST_CHECK(fabsf(act1[0] - act3[2]) < 1e-5f && fabsf(act1[1] - act3[3]) < 1e-5f,
               "row 1's action does not depend on its batch (%.9g %.9g vs %.9g %.9g)", act1[0], act1[1],
               act3[2], act3[3]);
    int in_range = 1;
    for (int i = 0; i < 6; ++i) in_range &= act3[i] >= -1.0f && act3[i] <= 1.0f;
    TEST_CHECK(in_range, "actions in [-1, 1]");
    rise_agent_metrics m;
    TEST_CHECK(rise_agent_metrics_read(a, &m) == RISE_OK, "metrics");
    int found = 0;
    for (int i = 0; i < m.n; ++i)
        if (!strcmp(m.names[i], "cand_spread")) found = m.values[i] > 0.0;
    TEST_CHECK(found, "candidate spread is reported and positive");
    rise_policy_destroy(pol);
    rise_agent_free(a);
    rise_trainset_free(&ts);
    rise_backend_destroy(be);
}

static double first_loss(const char *csv_path, int last) {
    size_t n;
    char *t = slurp(csv_path, &n);
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
    gen("expert", 12, 1, path);
    snprintf(path, sizeof path, "%s/play.h5", dir);
    gen("play", 12, 2, path);
    test_pick();
    test_resume();
    test_nan_stop();
    test_policy_rows();
    test_bc_learns();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (test_failed_count == 0 && system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return test_finish();
}
