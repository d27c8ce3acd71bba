/* test_nccl.c - the NCCL communicator on one GPU, at world size 1, through the same path a
 * multi-GPU run takes (exit 77 without a GPU or without NCCL in the build).
 *
 *   - the communicator: all-reduce (sum, mean), broadcast and host operations on a 1-rank
 *     NCCL communicator leave values as they are; agreement at world 1;
 *   - training: RISE on maze data with the step on the device clock and captured as a CUDA
 *     graph, its gradient all-reduces (ncclAllReduce on the backend's stream) inside the
 *     graph, trains what the same run with no communicator trains (the checkpoints'
 *     parameter buffers within 1e-6 relative RMS; bitwise expected and reported), and
 *     header.json records world 1, nccl.
 * Multi-GPU NCCL runs: tests/mpi/test_mpi_train with RISE_TEST_BACKEND=cuda (ctest
 * mpi_nccl_train, 2 GPUs or more). Run: ctest -L gpu -R test_nccl */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "algorithms/train_run.h"
#include "host/checkpoint.h"
#include "host/comm.h"
#include "maze_fixture.h"
#include "test_util.h"

static char dir[256];

static void test_comm(rise_backend *be) {
    rise_launch l;
    rise_launch_single(&l);
    rise_comm *c = NULL;
    TEST_CHECK(rise_comm_create(&l, RISE_COMM_NCCL, be, &c) == RISE_OK &&
                   rise_comm_kind_of(c) == RISE_COMM_NCCL,
               "NCCL communicator of one rank: %s", rise_last_error());
    if (!c) return;
    enum { N = 4099 };
    float h[N], back[N];
    for (int i = 0; i < N; ++i) h[i] = 0.001f * (float)i - 1.5f;
    float *d = be->alloc(be, sizeof h);
    be->upload(be, d, h, sizeof h);
    rise_comm_allreduce(c, d, N, RISE_COMM_SUM);
    rise_comm_allreduce(c, d, N, RISE_COMM_MEAN);
    rise_comm_broadcast(c, d, sizeof h);
    be->download(be, back, d, sizeof h);
    TEST_CHECK(be->sync(be) == RISE_OK && !memcmp(back, h, sizeof h),
               "one rank: sum, mean and broadcast leave the buffer bit for bit");
    double x[2] = {3.25, -1.0};
    TEST_CHECK(rise_comm_host_allreduce(c, x, 2, RISE_COMM_MAX) == RISE_OK && x[0] == 3.25 &&
                   x[1] == -1.0 && rise_comm_barrier(c) == RISE_OK,
               "host all-reduce and barrier: %s", rise_last_error());
    be->free(be, d);
    rise_comm_free(c);
}

static void config(rise_train_config *c) {
    rise_train_config_default(c);
    const char *kv[] = {
        "train.algo=rise",          "train.backend=cuda",      "train.steps=30",
        "train.batch=64",           "train.log_every=10",      "train.ckpt_every=30",
        "train.step_graph=1",       "train.expert_ratio=0.25", "policy.width=32",
        "policy.depth=2",           "policy.dropout=0.1",      "diffusion.train_steps=10",
        "diffusion.sample_steps=5", "critic.width=32",         "extract.candidates=4",
        "spectral.mode=code",       "spectral.width=16",       "relabel.enable=true",
        "relabel.threshold=0.5",    "relabel.skip_expert=0",   "relabel.skip_nonexpert=0"};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; ++i)
        TEST_CHECK(rise_train_config_set(c, kv[i]) == RISE_OK, "%s", kv[i]);
    char buf[600];
    snprintf(buf, sizeof buf, "data.source=expert:%s/expert.h5", dir);
    rise_train_config_set(c, buf);
    snprintf(buf, sizeof buf, "data.source=non_expert:%s/play.h5", dir);
    rise_train_config_set(c, buf);
}

/* Relative RMS difference of a parameter dataset in two checkpoints (inf when missing);
 * *bitwise: identical bits. */
static double dataset_diff(const char *a, const char *b, const char *name, int *bitwise) {
    rise_ckpt_reader ra, rb;
    int64_t na = -1, nb = -2;
    double diff = INFINITY;
    *bitwise = 0;
    if (rise_ckpt_open(&ra, a) != RISE_OK) return diff;
    if (rise_ckpt_open(&rb, b) == RISE_OK) {
        if (rise_ckpt_float_count(&ra, name, &na) == RISE_OK &&
            rise_ckpt_float_count(&rb, name, &nb) == RISE_OK && na == nb && na > 0) {
            float *x = malloc(sizeof(float) * (size_t)na), *y = malloc(sizeof(float) * (size_t)na);
            if (rise_ckpt_get_floats(&ra, name, x, na) == RISE_OK &&
                rise_ckpt_get_floats(&rb, name, y, nb) == RISE_OK) {
                double d2 = 0, y2 = 0;
                for (int64_t i = 0; i < na; ++i) {
                    d2 += ((double)x[i] - y[i]) * ((double)x[i] - y[i]);
                    y2 += (double)y[i] * y[i];
                }
                diff = sqrt(d2 / (y2 + 1e-30));
                *bitwise = !memcmp(x, y, sizeof(float) * (size_t)na);
            }
            free(x);
            free(y);
        }
        rise_ckpt_close(&rb);
    }
    rise_ckpt_close(&ra);
    return diff;
}

static void test_train(void) {
    rise_train_config c;
    config(&c);
    char run_nccl[400], run_none[400], a[500], b[500];
    snprintf(run_nccl, sizeof run_nccl, "%s/nccl", dir);
    snprintf(run_none, sizeof run_none, "%s/none", dir);
    rise_launch l;
    rise_launch_single(&l);
    rise_train_summary s;
    const rise_train_opts with = {1, NULL, NULL, &l, "nccl"}, without = {1, NULL, NULL, NULL, NULL};
    TEST_CHECK(rise_train_run(&c, run_nccl, 0, &with, &s) == RISE_OK, "RISE with NCCL: %s",
               rise_last_error());
    TEST_CHECK(rise_train_run(&c, run_none, 0, &without, &s) == RISE_OK, "RISE alone: %s",
               rise_last_error());
    snprintf(a, sizeof a, "%s/checkpoint.h5", run_nccl);
    snprintf(b, sizeof b, "%s/checkpoint.h5", run_none);
    const char *names[] = {"params/policy", "params/q", "params/v"};
    for (int k = 0; k < 3; ++k) {
        int bitwise = 0;
        const double d = dataset_diff(a, b, names[k], &bitwise);
        /* bitwise is expected (a 1-rank all-reduce copies); cuBLAS may choose another
         * algorithm in another capture, hence the 1e-6 */
        TEST_CHECK(d <= 1e-6,
                   "%s after 30 graph-captured steps with NCCL all-reduces (world 1) = without a "
                   "communicator (relative RMS %.2e)",
                   names[k], d);
        printf("%s: NCCL at world 1 vs no communicator: relative RMS %.2e (%s)\n", names[k], d,
               bitwise ? "bitwise equal" : "not bitwise");
    }
    snprintf(a, sizeof a, "%s/header.json", run_nccl);
    FILE *f = fopen(a, "r");
    char text[8192] = "";
    if (f) {
        const size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = '\0';
        fclose(f);
    }
    TEST_CHECK(strstr(text, "\"world\":\t1") && strstr(text, "\"comm\":\t\"nccl\""),
               "header.json records world 1 and nccl");
}

int main(void) {
    if (!rise_comm_kind_built(RISE_COMM_NCCL)) {
        printf("built without NCCL: skipped\n");
        return 77;
    }
    rise_backend *be = test_backend_or_skip("cuda");
    snprintf(dir, sizeof dir, "/tmp/rise_test_nccl_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    char path[600];
    snprintf(path, sizeof path, "%s/expert.h5", dir);
    maze_fixture_gen("expert", 12, 1, path);
    snprintf(path, sizeof path, "%s/play.h5", dir);
    maze_fixture_gen("play", 12, 2, path);
    test_comm(be);
    rise_backend_destroy(be);
    test_train();
    test_remove_dir(dir);
    return test_finish();
}
