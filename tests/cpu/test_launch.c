/* test_launch.c - where a process sits in a data-parallel job (host/comm.h), without MPI:
 * rank / world / local rank from each launcher's environment and clear errors for bad
 * values; the one-process communicator ('none' and NULL) as the identity; and the
 * supervisor of rise --gpus (rise_launch_fork): rank 0's id reaches every rank through the
 * pipes, all ranks succeeding gives exit code 0, and a rank killed with SIGKILL ends the
 * job - the others are terminated - with a message naming the rank and the signal. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/comm.h"
#include "test_util.h"

static const char *const launcher_vars[] = {"RISE_RANK",
                                            "RISE_WORLD",
                                            "RISE_LOCAL_RANK",
                                            "RISE_DEVICE",
                                            "OMPI_COMM_WORLD_RANK",
                                            "OMPI_COMM_WORLD_SIZE",
                                            "OMPI_COMM_WORLD_LOCAL_RANK",
                                            "PMI_RANK",
                                            "PMI_SIZE",
                                            "MPI_LOCALRANKID",
                                            "SLURM_PROCID",
                                            "SLURM_STEP_NUM_TASKS",
                                            "SLURM_LOCALID"};

static void clear_env(void) {
    for (size_t i = 0; i < sizeof launcher_vars / sizeof launcher_vars[0]; ++i)
        unsetenv(launcher_vars[i]);
}

static void test_env(void) {
    rise_launch l;
    clear_env();
    TEST_CHECK(rise_launch_from_env(&l) == RISE_OK && l.rank == 0 && l.world == 1 &&
                   !strcmp(l.source, "single"),
               "no launcher: rank 0 of 1");
    setenv("OMPI_COMM_WORLD_RANK", "3", 1);
    setenv("OMPI_COMM_WORLD_SIZE", "4", 1);
    setenv("OMPI_COMM_WORLD_LOCAL_RANK", "1", 1);
    TEST_CHECK(rise_launch_from_env(&l) == RISE_OK && l.rank == 3 && l.world == 4 &&
                   l.local_rank == 1 && l.device == -1 && !strcmp(l.source, "mpirun"),
               "mpirun: rank 3 of 4, local 1 (got %d of %d, local %d, %s)", l.rank, l.world,
               l.local_rank, l.source);
    clear_env();
    setenv("SLURM_PROCID", "5", 1);
    setenv("SLURM_STEP_NUM_TASKS", "8", 1);
    setenv("SLURM_LOCALID", "1", 1);
    TEST_CHECK(rise_launch_from_env(&l) == RISE_OK && l.rank == 5 && l.world == 8 &&
                   l.local_rank == 1 && !strcmp(l.source, "srun"),
               "srun: rank 5 of 8, local 1");
    setenv("PMI_RANK", "2", 1); /* MPICH / srun --mpi=pmi2 before plain Slurm variables */
    setenv("PMI_SIZE", "8", 1);
    TEST_CHECK(rise_launch_from_env(&l) == RISE_OK && l.rank == 2 && l.local_rank == 1 &&
                   !strcmp(l.source, "pmi"),
               "PMI first, local rank from SLURM_LOCALID");
    clear_env();
    setenv("RISE_RANK", "1", 1);
    setenv("RISE_WORLD", "2", 1);
    setenv("RISE_DEVICE", "6", 1);
    TEST_CHECK(rise_launch_from_env(&l) == RISE_OK && l.rank == 1 && l.world == 2 &&
                   l.local_rank == 1 && l.device == 6,
               "rise --gpus children: rank 1 of 2 on GPU 6");
    clear_env();
    setenv("OMPI_COMM_WORLD_RANK", "4", 1);
    setenv("OMPI_COMM_WORLD_SIZE", "4", 1);
    TEST_CHECK(rise_launch_from_env(&l) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "OMPI_COMM_WORLD_RANK='4'"),
               "a rank outside the world is an error naming the variable: %s", rise_last_error());
    setenv("OMPI_COMM_WORLD_RANK", "x1", 1);
    TEST_CHECK(rise_launch_from_env(&l) == RISE_ERR_INVALID, "a non-number rank is an error");
    clear_env();
    setenv("SLURM_PROCID", "0", 1); /* a batch script's own environment: no step size */
    TEST_CHECK(rise_launch_from_env(&l) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "SLURM_STEP_NUM_TASKS"),
               "a rank without a world size is an error: %s", rise_last_error());
    clear_env();
}

static void test_none_comm(void) {
    rise_status st;
    rise_backend *be = rise_backend_create("cpu", &st);
    rise_launch l;
    rise_launch_single(&l);
    rise_comm *c = NULL;
    TEST_CHECK(rise_comm_create(&l, RISE_COMM_AUTO, be, &c) == RISE_OK && c &&
                   rise_comm_kind_of(c) == RISE_COMM_NONE && rise_comm_world(c) == 1,
               "auto at world 1 is 'none'");
    float g[5] = {1, 2, 3, 4, 5};
    rise_comm_allreduce(c, g, 5, RISE_COMM_MEAN);
    rise_comm_allreduce(NULL, g, 5, RISE_COMM_SUM);
    rise_comm_broadcast(c, g, sizeof g);
    double h[2] = {1.5, -2.0};
    TEST_CHECK(rise_comm_host_allreduce(c, h, 2, RISE_COMM_MEAN) == RISE_OK && h[0] == 1.5 &&
                   g[0] == 1 && g[4] == 5,
               "one process: all-reduce and broadcast are the identity");
    rise_error(RISE_ERR_IO, "disk full");
    TEST_CHECK(rise_comm_agree(c, RISE_ERR_IO) == RISE_ERR_IO &&
                   rise_comm_agree(NULL, RISE_OK) == RISE_OK &&
                   !strcmp(rise_last_error(), "disk full"),
               "one process: agreement returns the status and keeps the message");
    rise_comm_free(c);
    l.world = 2;
    TEST_CHECK(rise_comm_create(&l, RISE_COMM_NONE, be, &c) == RISE_ERR_INVALID,
               "'none' refuses a world of 2");
    l.world = 1;
    TEST_CHECK(
        rise_comm_create(&l, RISE_COMM_NCCL, be, &c) == RISE_ERR_INVALID &&
            (strstr(rise_last_error(), "cuda backend") || strstr(rise_last_error(), "not built")),
        "nccl on the cpu backend is refused: %s", rise_last_error());
    rise_comm_kind k;
    TEST_CHECK(rise_comm_kind_parse("nccl", &k) && k == RISE_COMM_NCCL &&
                   !rise_comm_kind_parse("gloo", &k),
               "kind names");
    rise_backend_destroy(be);
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Runs rise_launch_fork with n ranks; each child runs body and _exits with its result. */
static int fork_job(int n, int (*body)(const rise_launch *), double *seconds) {
    const int gpus[4] = {7, 5, 3, 1};
    rise_launch self;
    int is_child = 0, code = -1;
    fflush(NULL);
    const double t0 = now_s();
    const rise_status st = rise_launch_fork(gpus, n, 2.0, &self, &is_child, &code);
    if (is_child) _exit(body(&self));
    *seconds = now_s() - t0;
    TEST_CHECK(st == RISE_OK, "fork: %s", rise_last_error());
    return code;
}

/* Rank 0 sends an id; each rank checks what it got, its place and its environment. */
static int id_body(const rise_launch *l) {
    const char id[16] = "rank0-nccl-id!!";
    char got[16];
    if (l->rank == 0) return rise_launch_send_id(l, id, sizeof id) == RISE_OK ? 0 : 3;
    if (rise_launch_recv_id(l, got, sizeof got) != RISE_OK || memcmp(got, id, sizeof id)) return 4;
    rise_launch e;
    if (rise_launch_from_env(&e) != RISE_OK || e.rank != l->rank || e.world != 3 ||
        e.device != l->device)
        return 5;
    const int gpus[3] = {7, 5, 3};
    return l->device == gpus[l->rank] && l->world == 3 ? 0 : 6;
}

static int kill_body(const rise_launch *l) {
    if (l->rank == 1) {
        struct timespec t = {0, 200000000};
        nanosleep(&t, NULL);
        raise(SIGKILL); /* as kill -9 would */
    }
    sleep(60); /* the survivors would hang here: the supervisor must end them */
    return 0;
}

static void test_fork(void) {
    double secs = 0;
    TEST_CHECK(fork_job(3, id_body, &secs) == 0,
               "rise --gpus: 3 ranks, rank 0's id reaches ranks 1 and 2, places and environment");
    /* the supervisor's report goes to stderr: catch it in a file */
    char path[] = "/tmp/rise_test_launch_XXXXXX";
    const int fd = mkstemp(path), saved = dup(2);
    fflush(stderr);
    dup2(fd, 2);
    const double t0 = now_s();
    const int code = fork_job(3, kill_body, &secs);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char report[512] = "";
    const ssize_t got = pread(fd, report, sizeof report - 1, 0);
    report[got > 0 ? got : 0] = '\0';
    close(fd);
    unlink(path);
    TEST_CHECK(code == 1 && now_s() - t0 < 30.0,
               "a rank killed by SIGKILL ends the whole job (exit code %d after %.1f s, expected 1 "
               "within 30 s)",
               code, now_s() - t0);
    TEST_CHECK(strstr(report, "rank 1 of 3 (GPU 5) was killed by signal 9"),
               "the report names the rank, its GPU and the signal: %s", report);
    printf("rank killed with SIGKILL: the supervisor ended the job in %.2f s: %s", secs, report);
}

int main(void) {
    test_env();
    test_none_comm();
    test_fork();
    return test_finish();
}
