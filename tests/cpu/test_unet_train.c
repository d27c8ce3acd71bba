/* test_unet_train.c - the U-Net policy (policy.net = unet) trained end to end on small
 * generated maze data through rise_train_run:
 *  - diffusion BC on expert data with 2 observation frames and chunks of 8 actions
 *    (4 executed): the denoising loss falls by half in 150 steps;
 *  - RISE (critic, relabelled pairs, action-noise copies, the code-form spectral penalty
 *    whose gradient reaches the code MLP through the U-Net's condition) runs and its
 *    checkpoint reloads into a policy that runs through the coverage evaluator (histories
 *    of 2 frames, chunks of 8, 4 executed);
 *  - that run stopped at step 10 and resumed to 20 equals the uninterrupted one byte for
 *    byte (metrics.csv and checkpoint);
 *  - configuration errors name the key: an action horizon the levels cannot halve, the
 *    U-Net on a Gaussian-actor algorithm, a malformed down-dims list.
 * Run: ctest -R test_unet_train. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "algorithms/agent.h"
#include "algorithms/train_run.h"
#include "envs/coverage.h"
#include "maze_fixture.h"
#include "test_util.h"
#include "train_fixture.h"

static char dir[256];

static void set(rise_train_config *c, const char *kv) { train_fixture_set(c, kv); }

static void unet_config(rise_train_config *c, const char *algo) {
    static const char *const kv[] = {"train.batch=32",
                                     "train.log_every=10",
                                     "train.ckpt_every=0",
                                     "policy.net=unet",
                                     "policy.unet_down_dims=16,32",
                                     "policy.unet_step_embed=16",
                                     "policy.obs_horizon=2",
                                     "policy.action_horizon=8",
                                     "policy.action_exec=4",
                                     "diffusion.train_steps=10",
                                     "diffusion.sample_steps=5",
                                     "critic.width=16",
                                     "extract.candidates=4",
                                     "spectral.width=16"};
    train_fixture_with(c, algo, kv, sizeof kv / sizeof kv[0]);
    train_fixture_sources(c, dir);
}

/* Column `name` of metrics.csv in the first (last = 0) or last data row. */
static double csv_value(const char *path, const char *name, int last) {
    FILE *f = fopen(path, "r");
    if (!f) return NAN;
    char head[4096], line[4096], pick[4096] = "";
    if (!fgets(head, sizeof head, f)) {
        fclose(f);
        return NAN;
    }
    while (fgets(line, sizeof line, f)) {
        if (!pick[0] || last) memcpy(pick, line, sizeof line);
        if (!last) break;
    }
    fclose(f);
    int col = -1, i = 0;
    for (char *tok = strtok(head, ",\n"); tok; tok = strtok(NULL, ",\n"), ++i)
        if (!strcmp(tok, name)) col = i;
    if (col < 0) return NAN;
    i = 0;
    for (char *tok = strtok(pick, ",\n"); tok; tok = strtok(NULL, ",\n"), ++i)
        if (i == col) return atof(tok);
    return NAN;
}

static void test_bc_learns(void) {
    const rise_train_opts quiet = {1, NULL, NULL};
    rise_train_config c;
    rise_train_summary s;
    char run[512], csv[600];
    snprintf(run, sizeof run, "%s/bc_unet", dir);
    unet_config(&c, "bc_diffusion");
    set(&c, "train.steps=150");
    set(&c, "train.expert_only=true");
    set(&c, "policy.lr=0.001");
    TEST_CHECK(rise_train_run(&c, run, 0, &quiet, &s) == RISE_OK, "bc unet: %s", rise_last_error());
    snprintf(csv, sizeof csv, "%s/metrics.csv", run);
    const double l0 = csv_value(csv, "loss_pi", 0), l1 = csv_value(csv, "loss_pi", 1);
    printf("U-Net diffusion BC loss: %.4f at step 10 -> %.4f at step 150\n", l0, l1);
    TEST_CHECK(l1 < 0.5 * l0, "U-Net diffusion BC loss falls by half: %g -> %g", l0, l1);
}

static void test_rise_runs_and_acts(void) {
    const rise_train_opts quiet = {1, NULL, NULL};
    rise_train_config c;
    rise_train_summary s;
    char run[512], ck[600];
    snprintf(run, sizeof run, "%s/rise_unet", dir);
    unet_config(&c, "rise");
    const char *kv[] = {"train.steps=20",        "spectral.mode=code",
                        "relabel.enable=true",   "relabel.threshold=0.5",
                        "relabel.skip_expert=0", "relabel.skip_nonexpert=0",
                        "noise.copies=1",        "train.expert_ratio=0.25"};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; ++i) set(&c, kv[i]);
    TEST_CHECK(rise_train_run(&c, run, 0, &quiet, &s) == RISE_OK, "rise unet: %s",
               rise_last_error());
    (void)ck;
    rise_status st;
    rise_backend *be = rise_backend_create("cpu", &st);
    rise_agent *a = NULL;
    rise_train_config lc;
    TEST_CHECK(rise_train_load_agent(run, NULL, be, &lc, &a) == RISE_OK, "load: %s",
               rise_last_error());
    rise_policy *pol = NULL;
    if (a) rise_agent_policy(a, 0, &pol);
    rise_env *env = NULL;
    rise_env_create("maze", NULL, &env);
    TEST_CHECK(pol && env && rise_agent_policy_bind_env(pol, &env->info) == RISE_OK, "bind: %s",
               rise_last_error());
    rise_env_destroy(env);
    TEST_CHECK(pol && pol->obs_horizon == 2 && pol->chunk == 8 && pol->n_exec == 4,
               "policy asks for 2 frames, chunks of 8, executes 4");
    rise_coverage_opts o;
    rise_coverage_opts_default(&o);
    o.grid = 2;
    o.trials = 1;
    o.progress = 0;
    rise_coverage_result r;
    memset(&r, 0, sizeof r);
    if (pol) {
        st = rise_coverage_run("maze", NULL, pol, &o, &r);
        TEST_CHECK(st == RISE_OK && r.episodes == 4, "U-Net policy through the evaluator: %s",
                   st == RISE_OK ? "ok" : rise_last_error());
    }
    if (r.rate) rise_coverage_result_free(&r);
    rise_policy_destroy(pol);
    rise_agent_free(a);
    rise_backend_destroy(be);
}

/* RISE with the U-Net stopped at step 10 and resumed to 20 logs the same metrics and ends
 * with the same checkpoint bytes as the uninterrupted run above (rise_unet). */
static void test_resume(void) {
    const rise_train_opts quiet = {1, NULL, NULL};
    rise_train_config c, r;
    rise_train_summary s;
    char a[512], b[512], pa[600], pb[600];
    snprintf(a, sizeof a, "%s/rise_unet", dir);
    snprintf(b, sizeof b, "%s/rise_unet_resumed", dir);
    TEST_CHECK(rise_train_load_config(a, &c) == RISE_OK, "config of %s: %s", a, rise_last_error());
    set(&c, "train.steps=10");
    TEST_CHECK(rise_train_run(&c, b, 0, &quiet, &s) == RISE_OK, "first half: %s",
               rise_last_error());
    TEST_CHECK(rise_train_load_config(b, &r) == RISE_OK, "resume config");
    set(&r, "train.steps=20");
    TEST_CHECK(rise_train_run(&r, b, 1, &quiet, &s) == RISE_OK, "resume: %s", rise_last_error());
    snprintf(pa, sizeof pa, "%s/metrics.csv", a);
    snprintf(pb, sizeof pb, "%s/metrics.csv", b);
    TEST_CHECK(test_same_file(pa, pb), "U-Net RISE: resumed metrics.csv is byte-identical");
    snprintf(pa, sizeof pa, "%s/checkpoint.h5", a);
    snprintf(pb, sizeof pb, "%s/checkpoint.h5", b);
    TEST_CHECK(test_same_file(pa, pb), "U-Net RISE: final checkpoints are byte-identical");
}

static void test_errors(void) {
    rise_train_config c;
    const rise_train_opts quiet = {1, NULL, NULL};
    rise_train_summary s;
    char run[512];
    snprintf(run, sizeof run, "%s/bad", dir);
    unet_config(&c, "bc_diffusion");
    set(&c, "policy.action_horizon=6");
    set(&c, "policy.unet_down_dims=16,32,64");
    TEST_CHECK(rise_train_run(&c, run, 0, &quiet, &s) != RISE_OK &&
                   strstr(rise_last_error(), "divisible"),
               "horizon 6 with 3 levels refused: %s", rise_last_error());
    unet_config(&c, "iql");
    set(&c, "policy.action_horizon=1");
    set(&c, "policy.obs_horizon=1");
    set(&c, "policy.action_exec=1");
    set(&c, "policy.unet_down_dims=16");
    TEST_CHECK(rise_train_run(&c, run, 0, &quiet, &s) != RISE_OK &&
                   strstr(rise_last_error(), "policy.net = unet"),
               "unet on iql refused: %s", rise_last_error());
    unet_config(&c, "bc_diffusion");
    set(&c, "policy.unet_down_dims=16,x");
    TEST_CHECK(rise_train_run(&c, run, 0, &quiet, &s) != RISE_OK &&
                   strstr(rise_last_error(), "policy.unet_down_dims"),
               "malformed dims refused: %s", rise_last_error());
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/rise_test_unet_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    char path[512];
    snprintf(path, sizeof path, "%s/expert.h5", dir);
    maze_fixture_gen("expert", 12, 1, path);
    snprintf(path, sizeof path, "%s/play.h5", dir);
    maze_fixture_gen("play", 12, 2, path);
    test_bc_learns();
    test_rise_runs_and_acts();
    test_resume();
    test_errors();
    test_remove_dir(dir);
    return test_finish();
}
