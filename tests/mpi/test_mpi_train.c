/* test_mpi_train.c - data-parallel training on the CPU backend, as 2 ranks under mpirun
 * (tests/mpi/run_mpi.sh 2 test_mpi_train). Each check trains a small RISE (dropout,
 * spectral penalty, phases of 5 steps alternating regular and relabelled-pair batches, mixed
 * expert / non-expert batches) on generated maze
 * data through rise_train_run, as every rank, and compares with what one process trains:
 *
 *   - 2 ranks at global batch 32 train the parameters one process trains at batch 32, within
 *     TOL (normalised error of each network's whole flat buffer, and relative error of the
 *     logged losses and gradient norms at every log step); the same on the device clock with
 *     backend-resident batches, for CQL (whose temperatures have their own all-reduce) and
 *     for RISE with the U-Net policy (conv1d, GroupNorm, FiLM through the same hook), and
 *     for RISE on camera frames (the policy's and the critic's image encoders, random crops);
 *     a control - one process at batch 16, what a rank trains when the all-reduce is dropped -
 *     is more than 100 TOL away (a wrong averaging factor shows as a factor in the logged
 *     gradient norms: Adam itself is nearly blind to it);
 *   - two 2-rank runs are bitwise equal (checkpoints and metrics files);
 *   - both ranks hold bitwise-identical parameters, moments and counters after the run;
 *   - a 2-rank run resumed from its checkpoint continues bit for bit; resumed by one process
 *     (another world size) it continues within TOL;
 *   - failures on one rank end the run on every rank with a message naming the rank: a NaN
 *     on rank 1 (the last good checkpoint stays loadable), a corrupt data file on rank 1 only,
 *     a different training set on rank 1; a global batch that does not divide is refused.
 *
 * RISE_TEST_BACKEND=cuda runs the same checks on the CUDA backend with NCCL, one GPU per
 * rank (ctest mpi_nccl_train; skipped with fewer than 2 GPUs).
 *
 * Modes for tests/mpi/kill_rank.sh: --kill DIR (rank 1 kills itself with SIGKILL after the
 * step-10 checkpoint) and --check DIR (one process: that checkpoint loads, at step 10). */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "algorithms/agent_dist.h"
#include "algorithms/train_run.h"
#include "host/checkpoint.h"
#include "host/comm.h"
#include "maze_fixture.h"
#include "test_util.h"

#define TOL 1e-4

static char dir[256];
static const char *backend = "cpu"; /* RISE_TEST_BACKEND=cuda: NCCL on 2 GPUs */
static rise_launch launch;
static rise_comm *tc; /* the test's own coordination */
static int rank;

static void set(rise_train_config *c, const char *kv) {
    TEST_CHECK(rise_train_config_set(c, kv) == RISE_OK, "set %s: %s", kv, rise_last_error());
}

static void config(rise_train_config *c, const char *algo, const char *expert, const char *play) {
    char buf[700];
    rise_train_config_default(c);
    snprintf(buf, sizeof buf, "train.algo=%s", algo);
    set(c, buf);
    const char *kv[] = {"train.steps=30",           "train.batch=32",
                        "train.log_every=5",        "train.ckpt_every=10",
                        "train.expert_ratio=0.25",  "policy.width=16",
                        "policy.depth=1",           "policy.dropout=0.1",
                        "policy.lr=1e-3",           "critic.lr=1e-3",
                        "diffusion.train_steps=10", "diffusion.sample_steps=5",
                        "critic.width=16",          "extract.candidates=4",
                        "spectral.width=16",        "relabel.threshold=0.5",
                        "relabel.skip_expert=0",    "relabel.skip_nonexpert=0",
                        "relabel.block=5",          "noise.copies=0"};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; ++i) set(c, kv[i]);
    if (!strcmp(algo, "rise")) {
        set(c, "spectral.mode=code");
        set(c, "relabel.enable=true");
    }
    if (!strcmp(algo, "cql")) {
        set(c, "cql.samples=3");
        set(c, "cql.lagrange=true");
        set(c, "cql.alpha=0.5");
        set(c, "cql.target_gap=2");
    }
    snprintf(buf, sizeof buf, "train.backend=%s", backend);
    set(c, buf);
    snprintf(buf, sizeof buf, "data.source=expert:%s/%s", dir, expert ? expert : "expert.h5");
    set(c, buf);
    snprintf(buf, sizeof buf, "data.source=non_expert:%s/%s", dir, play ? play : "play.h5");
    set(c, buf);
}

static void run_path(char *buf, size_t n, const char *name) {
    snprintf(buf, n, "%s/%s", dir, name);
}

/* Every rank trains (launch from mpirun). */
static rise_status dist_run(const rise_train_config *c, const char *name, int resume,
                            void (*hook)(rise_agent *, void *), void *ctx) {
    char run[512];
    run_path(run, sizeof run, name);
    const rise_train_opts o = {1, hook, ctx, &launch, NULL};
    rise_train_summary s;
    return rise_train_run(c, run, resume, &o, &s);
}

/* Rank 0 alone trains as one process. */
static rise_status single_run(const rise_train_config *c, const char *name, int resume) {
    char run[512];
    run_path(run, sizeof run, name);
    const rise_train_opts o = {1, NULL, NULL, NULL, NULL};
    rise_train_summary s;
    return rise_train_run(c, run, resume, &o, &s);
}

/* ---- comparisons (rank 0 reads the files) ---- */

static float *read_params(const char *run, const char *ds, int64_t *n) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s/checkpoint.h5", dir, run);
    rise_ckpt_reader r;
    *n = 0;
    if (rise_ckpt_open(&r, path) != RISE_OK) return NULL;
    float *x = NULL;
    if (rise_ckpt_has(&r, ds) && rise_ckpt_float_count(&r, ds, n) == RISE_OK) {
        x = malloc(sizeof(float) * (size_t)(*n ? *n : 1));
        if (rise_ckpt_get_floats(&r, ds, x, *n) != RISE_OK) *n = 0;
    }
    rise_ckpt_close(&r);
    return x;
}

/* The largest normalised error |a - b| / |b| over the networks' flat buffers. */
static double params_error(const char *run_a, const char *run_b) {
    const char *ds[] = {"params/policy", "params/q", "params/v", "params/temps"};
    double worst = 0.0;
    for (size_t k = 0; k < sizeof ds / sizeof ds[0]; ++k) {
        int64_t na = 0, nb = 0;
        float *a = read_params(run_a, ds[k], &na), *b = read_params(run_b, ds[k], &nb);
        if (na != nb) worst = INFINITY;
        double d2 = 0, b2 = 0;
        for (int64_t i = 0; i < na && na == nb; ++i) {
            const double d = (double)a[i] - (double)b[i];
            d2 += d * d;
            b2 += (double)b[i] * b[i];
        }
        if (na == nb && na > 0) {
            const double e = sqrt(d2) / (sqrt(b2) + 1e-30);
            if (!(e <= worst)) worst = e;
        }
        free(a);
        free(b);
    }
    return worst;
}

/* The largest relative error of the exact-by-design metrics over every logged row. */
static double metrics_error(const char *run_a, const char *run_b) {
    static const char *const cols[] = {"loss_pi",     "grad_norm_pi", "loss_q",
                                       "loss_v",      "q_mean",       "v_mean",
                                       "grad_norm_q", "grad_norm_v",  "sigma_max"};
    char pa[600], pb[600];
    snprintf(pa, sizeof pa, "%s/%s/metrics.csv", dir, run_a);
    snprintf(pb, sizeof pb, "%s/%s/metrics.csv", dir, run_b);
    FILE *fa = fopen(pa, "r"), *fb = fopen(pb, "r");
    double worst = (fa && fb) ? 0.0 : INFINITY;
    char la[4096], lb[4096];
    int use[64], ncol = 0, rows = 0;
    if (fa && fb && fgets(la, sizeof la, fa) && fgets(lb, sizeof lb, fb)) {
        if (strcmp(la, lb)) worst = INFINITY;
        char *save = NULL;
        for (char *t = strtok_r(la, ",\n", &save); t && ncol < 64;
             t = strtok_r(NULL, ",\n", &save)) {
            use[ncol] = 0;
            for (size_t k = 0; k < sizeof cols / sizeof cols[0]; ++k)
                use[ncol] |= !strcmp(t, cols[k]);
            ++ncol;
        }
        while (fgets(la, sizeof la, fa)) {
            if (!fgets(lb, sizeof lb, fb)) {
                worst = INFINITY;
                break;
            }
            ++rows;
            char *sa = NULL, *sb = NULL;
            char *ta = strtok_r(la, ",\n", &sa), *tb = strtok_r(lb, ",\n", &sb);
            for (int j = 0; ta && tb && j < ncol; ++j) {
                if (use[j]) {
                    const double x = atof(ta), y = atof(tb);
                    const double e = fabs(x - y) / (fabs(y) + 1e-6);
                    if (!(e <= worst)) worst = e;
                }
                ta = strtok_r(NULL, ",\n", &sa);
                tb = strtok_r(NULL, ",\n", &sb);
            }
        }
    }
    if (rows == 0) worst = INFINITY;
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return worst;
}

static int same_file(const char *run_a, const char *run_b, const char *file) {
    char pa[600], pb[600];
    snprintf(pa, sizeof pa, "%s/%s/%s", dir, run_a, file);
    snprintf(pb, sizeof pb, "%s/%s/%s", dir, run_b, file);
    FILE *fa = fopen(pa, "rb"), *fb = fopen(pb, "rb");
    int same = fa && fb;
    while (same) {
        const int x = fgetc(fa), y = fgetc(fb);
        if (x != y) same = 0;
        if (x == EOF || y == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

/* ---- checks ---- */

typedef struct {
    int64_t at;
    uint64_t hash;
} hash_ctx;

static void hash_at(rise_agent *a, void *ctx) {
    hash_ctx *h = ctx;
    if (rise_agent_step_count(a) == h->at)
        TEST_CHECK(rise_agent_state_hash(a, &h->hash) == RISE_OK, "hash: %s", rise_last_error());
}

/* extra: NULL-terminated settings on top of config() */
/* expert / play: data files in dir (NULL: expert.h5, play.h5). */
static void test_equivalence_on(const char *algo, const char *label, const char *const *extra,
                                const char *expert, const char *play) {
    rise_train_config c;
    config(&c, algo, expert, play);
    for (; extra && *extra; ++extra) set(&c, *extra);
    char dname[64], sname[64];
    snprintf(dname, sizeof dname, "%s_2ranks", label);
    snprintf(sname, sizeof sname, "%s_1proc", label);
    hash_ctx h = {30, 0};
    TEST_CHECK(dist_run(&c, dname, 0, hash_at, &h) == RISE_OK, "%s 2 ranks: %s", label,
               rise_last_error());
    /* every rank's state after 30 steps is the same bits */
    double lo[2] = {(double)(h.hash >> 32), (double)(h.hash & 0xffffffffu)}, hi[2];
    memcpy(hi, lo, sizeof hi);
    rise_comm_host_allreduce(tc, lo, 2, RISE_COMM_MIN);
    rise_comm_host_allreduce(tc, hi, 2, RISE_COMM_MAX);
    TEST_CHECK(h.hash && lo[0] == hi[0] && lo[1] == hi[1],
               "%s: both ranks hold bitwise-identical parameters, moments and counters", label);
    if (rank == 0) {
        TEST_CHECK(single_run(&c, sname, 0) == RISE_OK, "%s one process: %s", label,
                   rise_last_error());
        const double pe = params_error(dname, sname), me = metrics_error(dname, sname);
        TEST_CHECK(pe <= TOL && me <= TOL,
                   "%s: 2 ranks x batch 16 = one process x batch 32 (parameters %.2e, metrics "
                   "%.2e, tolerance %.0e)",
                   label, pe, me, TOL);
        printf("%s: 2 ranks vs one process: parameters %.2e, losses and gradient norms %.2e\n",
               label, pe, me);
    }
}

static void test_equivalence(const char *algo, const char *label, const char *const *extra) {
    test_equivalence_on(algo, label, extra, NULL, NULL);
}

static void test_control(void) {
    if (rank != 0) return;
    rise_train_config c;
    config(&c, "rise", NULL, NULL);
    set(&c, "train.batch=16");
    TEST_CHECK(single_run(&c, "rise_1proc_b16", 0) == RISE_OK, "control: %s", rise_last_error());
    const double pe = params_error("rise_1proc_b16", "rise_1proc");
    const double me = metrics_error("rise_1proc_b16", "rise_1proc");
    TEST_CHECK(pe > 100 * TOL && me > 100 * TOL,
               "control: one rank's half batch alone (a dropped all-reduce) is far outside the "
               "tolerance (parameters %.2e, metrics %.2e; tolerance %.0e)",
               pe, me, TOL);
    printf("control (batch 16 alone, as with no all-reduce): parameters %.2e, metrics %.2e\n", pe,
           me);
}

static void test_repeat(void) {
    rise_train_config c;
    config(&c, "rise", NULL, NULL);
    TEST_CHECK(dist_run(&c, "rise_2ranks_again", 0, NULL, NULL) == RISE_OK, "again: %s",
               rise_last_error());
    if (rank == 0)
        TEST_CHECK(same_file("rise_2ranks", "rise_2ranks_again", "checkpoint.h5") &&
                       same_file("rise_2ranks", "rise_2ranks_again", "metrics.csv") &&
                       same_file("rise_2ranks", "rise_2ranks_again", "metrics.jsonl"),
                   "two 2-rank runs are bitwise equal (checkpoint and metrics)");
}

static void test_resume(void) {
    rise_train_config c;
    config(&c, "rise", NULL, NULL);
    set(&c, "train.steps=20");
    TEST_CHECK(dist_run(&c, "rise_2ranks_part", 0, NULL, NULL) == RISE_OK, "part: %s",
               rise_last_error());
    if (rank == 0) {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "cp -r %s/rise_2ranks_part %s/rise_resume_1proc", dir, dir);
        TEST_CHECK(system(cmd) == 0, "copy the run");
    }
    rise_comm_barrier(tc);
    set(&c, "train.steps=30");
    TEST_CHECK(dist_run(&c, "rise_2ranks_part", 1, NULL, NULL) == RISE_OK, "resume: %s",
               rise_last_error());
    if (rank != 0) return;
    TEST_CHECK(same_file("rise_2ranks", "rise_2ranks_part", "checkpoint.h5") &&
                   same_file("rise_2ranks", "rise_2ranks_part", "metrics.csv"),
               "a 2-rank run resumed at step 20 continues bit for bit");
    TEST_CHECK(single_run(&c, "rise_resume_1proc", 1) == RISE_OK, "resume on one process: %s",
               rise_last_error());
    const double pe = params_error("rise_resume_1proc", "rise_2ranks");
    const double me = metrics_error("rise_resume_1proc", "rise_2ranks");
    TEST_CHECK(pe <= TOL && me <= TOL,
               "a 2-rank checkpoint resumed by one process continues the run (parameters %.2e, "
               "metrics %.2e)",
               pe, me);
}

static void poison_rank1(rise_agent *a, void *ctx) {
    if (rank != 1 || rise_agent_step_count(a) != 25) return;
    rise_params *p = rise_agent_policy_params(a);
    const float nan = NAN;
    p->be->upload(p->be, p->value + p->tensors[0].offset, &nan, sizeof nan);
}

static int64_t ckpt_step(const char *name) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s/checkpoint.h5", dir, name);
    rise_status st;
    rise_backend *be = rise_backend_create("cpu", &st);
    rise_train_config c;
    rise_agent *a = NULL;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int64_t step = -1;
    if (rise_train_load_agent(path, NULL, be, &c, &a) == RISE_OK) step = rise_agent_step_count(a);
    rise_agent_free(a);
    rise_backend_destroy(be);
    return step;
}

static void test_nan_on_one_rank(void) {
    rise_train_config c;
    config(&c, "rise", NULL, NULL);
    const rise_status st = dist_run(&c, "rise_nan", 0, poison_rank1, NULL);
    const char *msg = rise_last_error();
    TEST_CHECK(st == RISE_ERR_NUMERIC && strstr(msg, "rank 1 of 2") && strstr(msg, "step 25") &&
                   strstr(msg, "step 20"),
               "a NaN on rank 1 stops both ranks, naming the rank, the step and the checkpoint "
               "kept: %s",
               msg);
    if (rank == 0)
        TEST_CHECK(ckpt_step("rise_nan") == 20, "the last good checkpoint (step 20) loads");
}

static void test_bad_file_on_one_rank(void) {
    rise_train_config c;
    config(&c, "rise", rank == 1 ? "bad/expert.h5" : NULL, NULL);
    const rise_status st = dist_run(&c, "rise_badfile", 0, NULL, NULL);
    const char *msg = rise_last_error();
    TEST_CHECK(st != RISE_OK && strstr(msg, "rank 1 of 2") && strstr(msg, "bad/expert.h5"),
               "a corrupt file on rank 1 only stops both ranks, naming the rank and the file: %s",
               msg);
    config(&c, "rise", NULL, rank == 1 ? "other/play.h5" : NULL);
    const rise_status st2 = dist_run(&c, "rise_otherdata", 0, NULL, NULL);
    TEST_CHECK(st2 == RISE_ERR_INVALID && strstr(rise_last_error(), "rank 1 of 2") &&
                   strstr(rise_last_error(), "training set"),
               "different data on rank 1 is refused: %s", rise_last_error());
}

static void test_batch_not_divisible(void) {
    rise_train_config c;
    config(&c, "rise", NULL, NULL);
    set(&c, "train.batch=33");
    const rise_status st = dist_run(&c, "rise_b33", 0, NULL, NULL);
    TEST_CHECK(st == RISE_ERR_INVALID && strstr(rise_last_error(), "train.batch = 33") &&
                   strstr(rise_last_error(), "2 ranks"),
               "a global batch that does not divide among the ranks is refused: %s",
               rise_last_error());
}

/* ---- setup and the kill -9 modes ---- */

static void make_data(void) {
    char path[600];
    if (rank == 0) {
        snprintf(path, sizeof path, "%s/expert.h5", dir);
        maze_fixture_gen("expert", 12, 1, path);
        snprintf(path, sizeof path, "%s/play.h5", dir);
        maze_fixture_gen("play", 12, 2, path);
        snprintf(path, sizeof path, "%s/img_expert.h5", dir);
        maze_fixture_gen_obs("expert", 6, 1, RISE_GEN_OBS_BOTH, 12, path);
        snprintf(path, sizeof path, "%s/img_play.h5", dir);
        maze_fixture_gen_obs("play", 6, 2, RISE_GEN_OBS_BOTH, 12, path);
        snprintf(path, sizeof path, "%s/other", dir);
        mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/other/play.h5", dir);
        maze_fixture_gen("play", 12, 3, path);
        snprintf(path, sizeof path, "%s/bad", dir);
        mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/bad/expert.h5", dir);
        FILE *f = fopen(path, "wb");
        if (f) {
            fputs("\x89HDF\r\n\x1a\n truncated", f); /* an HDF5 signature, then nothing */
            fclose(f);
        }
    }
    rise_comm_barrier(tc);
}

static void kill_after_ckpt(rise_agent *a, void *ctx) {
    if (rank == 1 && rise_agent_step_count(a) == 15) raise(SIGKILL);
}

static int open_job(void) {
    if (!rise_comm_kind_built(RISE_COMM_MPI)) {
        printf("built without MPI: skipped\n");
        return 77;
    }
    if (rise_launch_from_env(&launch) != RISE_OK || launch.world != 2) {
        printf("not started as 2 MPI ranks (tests/mpi/run_mpi.sh 2 ...): skipped\n");
        return 77;
    }
    const char *want = getenv("RISE_TEST_BACKEND");
    if (want && !strcmp(want, "cuda")) {
        if (!rise_comm_kind_built(RISE_COMM_NCCL) || rise_launch_gpu_count() < 2) {
            printf("RISE_TEST_BACKEND=cuda needs NCCL and 2 GPUs (%d visible): skipped\n",
                   rise_launch_gpu_count());
            return 77;
        }
        backend = "cuda";
    }
    rise_status st;
    rise_backend *be = rise_backend_create("cpu", &st); /* the test's own messages */
    if (rise_comm_create(&launch, RISE_COMM_MPI, be, &tc) != RISE_OK) {
        fprintf(stderr, "communicator: %s\n", rise_last_error());
        return 1;
    }
    rank = rise_comm_rank(tc);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--check")) { /* one process */
        snprintf(dir, sizeof dir, "%s", argv[2]);
        const int64_t step = ckpt_step("run_kill");
        printf("checkpoint of the killed run: step %lld\n", (long long)step);
        return step == 10 ? 0 : 1;
    }
    const int skip = open_job();
    if (skip) return skip;
    if (argc == 3 && !strcmp(argv[1], "--kill")) {
        snprintf(dir, sizeof dir, "%s", argv[2]);
        make_data();
        rise_train_config c;
        config(&c, "rise", NULL, NULL);
        set(&c, "train.steps=1000000"); /* only the kill ends it */
        dist_run(&c, "run_kill", 0, kill_after_ckpt, NULL);
        fprintf(stderr, "rank %d: the run ended without the job being killed\n", rank);
        return 1;
    }
    if (rank == 0) {
        snprintf(dir, sizeof dir, "/tmp/rise_test_mpi_train_XXXXXX");
        if (!mkdtemp(dir)) return 1;
    }
    rise_comm_host_broadcast(tc, dir, sizeof dir, 0);
    make_data();
    static const char *const clock[] = {"train.step_graph=1", NULL};
    /* The U-Net's GroupNorm normalises within a sample: rank windows of the draws suffice.
     * Two groups, so that a group spans several channels: with one channel per group the
     * bias of the convolution before it has an analytically zero gradient, Adam turns the
     * rounding noise left in its place into steps of +-lr, and any change of summation
     * order (cpu against ref backend in one process, too) drifts apart by 1e-1 in 30 steps. */
    static const char *const unet[] = {
        "policy.net=unet",          "policy.unet_down_dims=8,16", "policy.unet_groups=2",
        "policy.unet_step_embed=8", "policy.unet_kernel=3",       "policy.obs_horizon=2",
        "policy.action_horizon=4",  "policy.action_exec=2",       NULL};
    test_equivalence("rise", "rise", NULL);
    test_control();
    test_equivalence("rise", "rise_clock", clock);
    test_equivalence("cql", "cql", NULL);
    test_equivalence("rise", "rise_unet", unet);
    /* camera frames: the policy's encoder and the critic's three, random crops per row. The
     * keypoint convolutions' biases have an analytically zero gradient (the spatial softmax
     * is blind to a shift of a whole map), so Adam turns their rounding noise into steps of
     * +-lr: the parameters agree to ~1e-5 here where the losses agree to ~1e-7. */
    static const char *const images[] = {
        "data.obs_keys=agent_pos,agent_vel,goal_rel,agentview_image",
        "encoder.channels=4",
        "encoder.strides=2",
        "encoder.groups=2",
        "encoder.keypoints=4",
        "encoder.feat_dim=8",
        NULL};
    test_equivalence_on("rise", "rise_images", images, "img_expert.h5", "img_play.h5");
    test_repeat();
    test_resume();
    test_nan_on_one_rank();
    test_bad_file_on_one_rank();
    test_batch_not_divisible();
    rise_comm_barrier(tc);
    if (rank == 0) test_remove_dir(dir);
    rise_comm_free(tc);
    return test_finish();
}
