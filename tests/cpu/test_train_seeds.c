/* test_train_seeds.c - train.seeds: several agents trained side by side in one process.
 *
 *  - equality: for RISE (relabelled pairs in alternating phases, the spectral penalty, the
 *    EMA with warm-up, action-noise copies), IDQL, IQL, CQL, diffusion BC and MLP BC, a
 *    pack of seeds [0, 2, 5] on the fast `cpu` backend (three agents on two worker threads,
 *    so agents move between threads) writes, in OUT/s<seed>, the config.json, metrics.csv,
 *    metrics.jsonl and checkpoint.h5 of `train.seed=<seed>` trained alone, byte for byte
 *    (and RISE on the `ref` backend too); the seeds differ from each other, and the seeds
 *    are not their positions in the list (a pack keyed by position would fail);
 *  - resume: a pack stopped at step 20 and resumed to 40, one seed's checkpoint deleted
 *    before (it starts again from 0), ends with the same bytes; a seed's directory
 *    resumes alone as a plain run; a seed_threads setting changes nothing;
 *  - failure: NaN injected into one seed stops that seed alone, the error names it, the
 *    others finish with their single runs' bytes;
 *  - refusals: train.seed with train.seeds, a seed listed twice, a negative seed, a bad
 *    list on the command line, evaluating the pack's own folder, a data-parallel launch
 *    (world size 2). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "algorithms/agent.h"
#include "algorithms/train_run.h"
#include "maze_fixture.h"
#include "test_util.h"
#include "train_fixture.h"

static char dir[256];
static const int seeds[3] = {0, 2, 5};

static void set(rise_train_config *c, const char *kv) { train_fixture_set(c, kv); }

/* The shared small config with a checkpoint every 20 steps and pair epochs of 5 steps. */
static void small_config(rise_train_config *c, const char *algo) {
    train_fixture_small(c, algo, dir);
    set(c, "train.ckpt_every=20");
    set(c, "relabel.block=5");
    if (!strcmp(algo, "bc_mlp")) set(c, "noise.copies=0");
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

/* Every file a run's result is judged by, byte for byte. */
static int same_run(const char *a, const char *b, const char *what) {
    static const char *const files[] = {"config.json", "metrics.csv", "metrics.jsonl",
                                        "checkpoint.h5"};
    int same = 1;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; ++i) {
        char pa[700], pb[700];
        snprintf(pa, sizeof pa, "%s/%s", a, files[i]);
        snprintf(pb, sizeof pb, "%s/%s", b, files[i]);
        const int s = same_file(pa, pb);
        if (!s) fprintf(stderr, "  %s: %s differs from %s\n", what, pa, pb);
        same &= s;
    }
    return same;
}

static void set_seeds(rise_train_config *c) {
    char buf[64];
    snprintf(buf, sizeof buf, "train.seeds=[%d, %d, %d]", seeds[0], seeds[1], seeds[2]);
    set(c, buf);
}

/* OUT/<tag>_single<seed>: each seed trained alone (the reference). */
static void train_singles(const char *algo, const char *tag, const char *backend) {
    const rise_train_opts quiet = {1, NULL, NULL};
    for (int i = 0; i < 3; ++i) {
        rise_train_config c;
        rise_train_summary s;
        char run[512], kv[64];
        small_config(&c, algo);
        if (backend) {
            snprintf(kv, sizeof kv, "train.backend=%s", backend);
            set(&c, kv);
        }
        snprintf(kv, sizeof kv, "train.seed=%d", seeds[i]);
        set(&c, kv);
        snprintf(run, sizeof run, "%s/%s_single%d", dir, tag, seeds[i]);
        TEST_CHECK(rise_train_run(&c, run, 0, &quiet, &s) == RISE_OK, "%s single seed %d: %s", tag,
                   seeds[i], rise_last_error());
    }
}

/* The pack in OUT/<tag>_pack equals the singles, seed by seed. */
static void check_pack(const char *tag, const char *pack) {
    for (int i = 0; i < 3; ++i) {
        char a[512], b[512];
        snprintf(a, sizeof a, "%s/s%d", pack, seeds[i]);
        snprintf(b, sizeof b, "%s/%s_single%d", dir, tag, seeds[i]);
        TEST_CHECK(same_run(a, b, tag), "%s: seed %d of the pack is its single run, byte for byte",
                   tag, seeds[i]);
    }
    char m0[600], m1[600];
    snprintf(m0, sizeof m0, "%s/s%d/metrics.csv", pack, seeds[0]);
    snprintf(m1, sizeof m1, "%s/s%d/metrics.csv", pack, seeds[1]);
    TEST_CHECK(!same_file(m0, m1), "%s: the pack's seeds train differently", tag);
}

static void test_equal(const char *algo, const char *tag, const char *backend) {
    const rise_train_opts quiet = {1, NULL, NULL};
    train_singles(algo, tag, backend);
    rise_train_config c;
    rise_train_summary s;
    char pack[512], kv[64];
    small_config(&c, algo);
    if (backend) {
        snprintf(kv, sizeof kv, "train.backend=%s", backend);
        set(&c, kv);
    }
    set_seeds(&c);
    set(&c, "train.seed_threads=2"); /* 3 agents, 2 threads */
    snprintf(pack, sizeof pack, "%s/%s_pack", dir, tag);
    TEST_CHECK(rise_train_run(&c, pack, 0, &quiet, &s) == RISE_OK, "%s pack: %s", tag,
               rise_last_error());
    TEST_CHECK(s.seeds == 3 && s.last_step == 40 && s.steps_run == 120,
               "%s pack: 3 seeds x 40 steps (%d, %lld, %lld)", tag, s.seeds, (long long)s.last_step,
               (long long)s.steps_run);
    check_pack(tag, pack);
}

static void test_resume(void) {
    const rise_train_opts quiet = {1, NULL, NULL};
    rise_train_config c, r;
    rise_train_summary s;
    char pack[512], path[700];
    snprintf(pack, sizeof pack, "%s/rise_resumed", dir);
    small_config(&c, "rise");
    set_seeds(&c);
    set(&c, "train.steps=20");
    TEST_CHECK(rise_train_run(&c, pack, 0, &quiet, &s) == RISE_OK, "pack to 20: %s",
               rise_last_error());
    TEST_CHECK(rise_train_load_config(pack, &r) == RISE_OK && r.train_seeds.n == 3 &&
                   r.train_seeds.v[2] == seeds[2] && r.train_steps == 20,
               "the pack's config.json lists its seeds: %s", rise_last_error());
    snprintf(path, sizeof path, "%s/s%d/checkpoint.h5", pack, seeds[1]);
    TEST_CHECK(remove(path) == 0, "remove %s", path);
    set(&r, "train.steps=40");
    set(&r, "train.seed_threads=1"); /* the caller steps all three: the same bits */
    TEST_CHECK(rise_train_run(&r, pack, 1, &quiet, &s) == RISE_OK, "pack resumed: %s",
               rise_last_error());
    TEST_CHECK(s.first_step == 0 && s.last_step == 40 && s.steps_run == 20 + 40 + 20,
               "resumed from 20, 0 (no checkpoint) and 20 (%lld..%lld, %lld steps)",
               (long long)s.first_step, (long long)s.last_step, (long long)s.steps_run);
    check_pack("rise", pack);
    /* a seed's directory is a run of its own: resume it alone */
    char seed_dir[600], single[600];
    snprintf(seed_dir, sizeof seed_dir, "%s/s%d", pack, seeds[2]);
    TEST_CHECK(rise_train_load_config(seed_dir, &r) == RISE_OK && r.train_seeds.n == 0 &&
                   r.train_seed == seeds[2],
               "a seed's config.json is a single run's");
    set(&r, "train.steps=50");
    TEST_CHECK(rise_train_run(&r, seed_dir, 1, &quiet, &s) == RISE_OK && s.first_step == 40 &&
                   s.last_step == 50,
               "a seed's directory resumes alone: %s", rise_last_error());
    small_config(&c, "rise");
    set(&c, "train.seed=5");
    set(&c, "train.steps=50");
    snprintf(single, sizeof single, "%s/rise_single5_to50", dir);
    TEST_CHECK(rise_train_run(&c, single, 0, &quiet, &s) == RISE_OK, "single to 50");
    char a[700], b[700];
    snprintf(a, sizeof a, "%s/metrics.csv", seed_dir);
    snprintf(b, sizeof b, "%s/metrics.csv", single);
    TEST_CHECK(same_file(a, b), "seed 5 resumed alone to 50 logs its single run's metrics");
    snprintf(a, sizeof a, "%s/checkpoint.h5", seed_dir);
    snprintf(b, sizeof b, "%s/checkpoint.h5", single);
    TEST_CHECK(same_file(a, b), "seed 5 resumed alone ends with its single run's checkpoint");
}

static void poison_seed2(rise_agent *a, void *ctx) {
    (void)ctx;
    if (rise_agent_cfg(a)->seed != 2 || rise_agent_step_count(a) != 25) return;
    rise_params *p = rise_agent_policy_params(a);
    const float nan = NAN;
    p->be->upload(p->be, p->value + p->tensors[0].offset, &nan, sizeof nan);
}

static void test_one_seed_fails(void) {
    const rise_train_opts o = {1, poison_seed2, NULL};
    rise_train_config c;
    rise_train_summary s;
    char pack[512];
    snprintf(pack, sizeof pack, "%s/idql_nan", dir);
    small_config(&c, "idql");
    set_seeds(&c);
    const rise_status st = rise_train_run(&c, pack, 0, &o, &s);
    const char *msg = rise_last_error();
    TEST_CHECK(st == RISE_ERR_NUMERIC, "a NaN in seed 2 fails the pack (status %d)", (int)st);
    TEST_CHECK(strstr(msg, "seed 2") && strstr(msg, "step 30") && strstr(msg, "step 20"),
               "the error names the seed, the step and its kept checkpoint: %s", msg);
    TEST_CHECK(s.steps_run == 40 + 30 + 40, "the other seeds finished (%lld steps in all)",
               (long long)s.steps_run);
    for (int i = 0; i < 3; i += 2) {
        char a[600], b[600];
        snprintf(a, sizeof a, "%s/s%d", pack, seeds[i]);
        snprintf(b, sizeof b, "%s/idql_single%d", dir, seeds[i]);
        TEST_CHECK(same_run(a, b, "idql_nan"), "seed %d trained on, as alone", seeds[i]);
    }
}

static void expect_check_error(const char *a, const char *b, const char *needle) {
    rise_train_config c;
    rise_train_config_default(&c);
    rise_status st = rise_train_config_set(&c, a);
    if (st == RISE_OK && b) st = rise_train_config_set(&c, b);
    if (st == RISE_OK) st = rise_train_config_check(&c);
    TEST_CHECK(st != RISE_OK && strstr(rise_last_error(), needle),
               "--set %s %s is refused naming '%s': %s", a, b ? b : "", needle,
               st == RISE_OK ? "(accepted)" : rise_last_error());
}

static void test_refusals(void) {
    expect_check_error("train.seeds=[0,1]", "train.seed=3", "add 3 to it");
    expect_check_error("train.seeds=[0,1,0]", NULL, "seed 0 is listed twice");
    expect_check_error("train.seeds=[1,-2]", NULL, "seed -2");
    expect_check_error("train.seeds=[0,x]", NULL, "expected a list of integers");
    expect_check_error("train.seeds=[0,1", NULL, "expected a list of integers");
    rise_train_config c;
    rise_train_config_default(&c);
    set(&c, "train.seeds=3, 4 ,5");
    TEST_CHECK(c.train_seeds.n == 3 && c.train_seeds.v[1] == 4, "a list without brackets");
    set(&c, "train.seeds=[]");
    TEST_CHECK(c.train_seeds.n == 0, "[] empties the list");
    /* evaluating the pack's own folder names its seeds' directories */
    rise_status st = RISE_OK;
    rise_backend *be = rise_backend_create("cpu", &st);
    rise_agent *a = NULL;
    char pack[512];
    snprintf(pack, sizeof pack, "%s/rise_resumed", dir);
    st = rise_train_load_agent(pack, NULL, be, &c, &a);
    TEST_CHECK(st == RISE_ERR_INVALID && strstr(rise_last_error(), "/s0") && !a,
               "the pack's folder is not a run: %s", rise_last_error());
    rise_backend_destroy(be);
    /* train.seeds is one process: a data-parallel launch (rank 1 of 2) is refused before any
     * data is read or any directory written */
    rise_launch two;
    rise_launch_single(&two);
    two.rank = 1;
    two.world = 2;
    snprintf(two.source, sizeof two.source, "mpirun");
    const rise_train_opts o = {1, NULL, NULL, &two, NULL};
    rise_train_summary s;
    small_config(&c, "idql");
    set_seeds(&c);
    snprintf(pack, sizeof pack, "%s/seeds_dp", dir);
    st = rise_train_run(&c, pack, 0, &o, &s);
    TEST_CHECK(st == RISE_ERR_INVALID && strstr(rise_last_error(), "one process") &&
                   strstr(rise_last_error(), "mpirun started 2 ranks"),
               "train.seeds under a launcher of 2 ranks is refused: %s",
               st == RISE_OK ? "(accepted)" : rise_last_error());
    TEST_CHECK(s.shared_error && s.rank == 1 && s.world == 2,
               "every rank refuses alike, rank 0 reports it (shared %d, rank %d of %d)",
               s.shared_error, s.rank, s.world);
    TEST_CHECK(access(pack, F_OK) != 0, "the refused pack wrote no directory");
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/rise_test_seeds_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    char path[512];
    snprintf(path, sizeof path, "%s/expert.h5", dir);
    maze_fixture_gen("expert", 12, 1, path);
    snprintf(path, sizeof path, "%s/play.h5", dir);
    maze_fixture_gen("play", 12, 2, path);
    test_equal("rise", "rise", NULL);
    test_equal("idql", "idql", NULL);
    test_equal("iql", "iql", NULL);
    test_equal("cql", "cql", NULL);
    test_equal("bc_diffusion", "bc_diffusion", NULL);
    test_equal("bc_mlp", "bc_mlp", NULL);
    test_equal("rise", "rise_ref", "ref");
    test_resume();
    test_one_seed_fails();
    test_refusals();
    if (!getenv("KEEP")) test_remove_dir(dir);
    return test_finish();
}
