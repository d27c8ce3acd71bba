/* launch.c - where this process sits in a data-parallel job (comm.h): rank, world and
 * local rank from the launcher's environment (mpirun, srun, MPICH's PMI, rise --gpus),
 * each rank's GPU, and rise --gpus itself: one process per GPU on one node, forked and
 * supervised here, with rank 0's NCCL id passed to the others through pipes. */
#include "comm.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef RISE_WITH_CUDA
#include <cuda_runtime_api.h>
#endif

void rise_launch_single(rise_launch *l) {
    memset(l, 0, sizeof *l);
    l->world = 1;
    l->device = -1;
    l->id_read_fd = -1;
    snprintf(l->source, sizeof l->source, "single");
}

/* *out = the variable's value; 0: unset; -1: set but not an integer in [lo, hi]. */
static int env_int(const char *name, long lo, long hi, int *out) {
    const char *s = getenv(name);
    if (!s || !*s) return 0;
    char *end = NULL;
    errno = 0;
    const long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 1;
}

typedef struct {
    const char *rank, *world, *local, *local_alt, *source;
} env_scheme;

static const env_scheme schemes[] = {
    {"RISE_RANK", "RISE_WORLD", "RISE_LOCAL_RANK", NULL, "rise --gpus"},
    {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK", NULL, "mpirun"},
    {"PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "SLURM_LOCALID", "pmi"},
    {"SLURM_PROCID", "SLURM_STEP_NUM_TASKS", "SLURM_LOCALID", NULL, "srun"},
};

rise_status rise_launch_from_env(rise_launch *l) {
    rise_launch_single(l);
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; ++i) {
        const env_scheme *s = &schemes[i];
        int world = 0, rank = 0, local = 0;
        const int hw = env_int(s->world, 1, 1 << 20, &world);
        const int hr = env_int(s->rank, 0, (1 << 20) - 1, &rank);
        if (hw == 0 && hr == 0) continue;
        if (hw < 0 || hr < 0 || hw == 0 || hr == 0 || rank >= world)
            return rise_error(RISE_ERR_INVALID,
                              "launcher environment (%s): %s='%s' and %s='%s'; expected a rank in "
                              "[0, world) and a world size >= 1",
                              s->source, s->rank, getenv(s->rank) ? getenv(s->rank) : "(unset)",
                              s->world, getenv(s->world) ? getenv(s->world) : "(unset)");
        int hl = env_int(s->local, 0, (1 << 20) - 1, &local);
        if (hl == 0 && s->local_alt) hl = env_int(s->local_alt, 0, (1 << 20) - 1, &local);
        if (hl < 0)
            return rise_error(RISE_ERR_INVALID, "launcher environment (%s): %s='%s' is not a rank",
                              s->source, s->local, getenv(s->local));
        l->rank = rank;
        l->world = world;
        l->local_rank = hl > 0 ? local : rank; /* MPI replaces it with the node-local rank */
        snprintf(l->source, sizeof l->source, "%s", s->source);
        int dev = -1;
        if (env_int("RISE_DEVICE", 0, 1 << 16, &dev) < 0)
            return rise_error(RISE_ERR_INVALID, "RISE_DEVICE='%s' is not a GPU index",
                              getenv("RISE_DEVICE"));
        l->device = dev;
        return RISE_OK;
    }
    return RISE_OK;
}

int rise_launch_gpu_count(void) {
#ifdef RISE_WITH_CUDA
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
        (void)cudaGetLastError();
        return 0;
    }
    return count;
#else
    return 0;
#endif
}

rise_status rise_launch_select_device(const rise_launch *l) {
#ifdef RISE_WITH_CUDA
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
        (void)cudaGetLastError();
        return RISE_OK; /* no GPU: the cuda backend reports it when asked for */
    }
    const int dev = l->device >= 0 ? l->device : l->local_rank % count;
    if (dev >= count)
        return rise_error(
            RISE_ERR_NO_DEVICE,
            "rank %d: GPU %d requested, but %d GPU%s visible (CUDA_VISIBLE_DEVICES=%s)", l->rank,
            dev, count, count == 1 ? " is" : "s are",
            getenv("CUDA_VISIBLE_DEVICES") ? getenv("CUDA_VISIBLE_DEVICES") : "(unset)");
    const cudaError_t e = cudaSetDevice(dev);
    if (e != cudaSuccess)
        return rise_error(RISE_ERR_DEVICE, "rank %d: cudaSetDevice(%d): %s", l->rank, dev,
                          cudaGetErrorString(e));
#else
    (void)l;
#endif
    return RISE_OK;
}

/* ---- rise --gpus ---- */

static rise_status write_all(int fd, const void *buf, size_t bytes) {
    const char *p = buf;
    while (bytes > 0) {
        const ssize_t w = write(fd, p, bytes);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0)
            return rise_error(RISE_ERR_IO, "launch: writing the NCCL id to a rank's pipe: %s",
                              strerror(errno));
        p += w;
        bytes -= (size_t)w;
    }
    return RISE_OK;
}

rise_status rise_launch_send_id(const rise_launch *l, const void *id, size_t bytes) {
    for (int i = 0; i < l->n_id_write; ++i) {
        RISE_TRY(write_all(l->id_write_fd[i], id, bytes));
        close(l->id_write_fd[i]);
    }
    return RISE_OK;
}

rise_status rise_launch_recv_id(const rise_launch *l, void *id, size_t bytes) {
    if (l->id_read_fd < 0)
        return rise_error(RISE_ERR_INVALID, "launch: rank %d has no pipe to receive rank 0's id",
                          l->rank);
    char *p = id;
    while (bytes > 0) {
        const ssize_t r = read(l->id_read_fd, p, bytes);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0)
            return rise_error(RISE_ERR_IO,
                              "launch: rank %d did not receive rank 0's NCCL id (%s): did rank 0 "
                              "fail first?",
                              l->rank, r == 0 ? "pipe closed" : strerror(errno));
        p += r;
        bytes -= (size_t)r;
    }
    close(l->id_read_fd);
    return RISE_OK;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void describe_exit(int status, char *buf, size_t size) {
    if (WIFSIGNALED(status))
        snprintf(buf, size, "was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status))
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(buf, size, "ended (wait status %d)", status);
}

/* Waits for every child; after the first failure terminates the rest. */
static int supervise(pid_t *pid, const int *gpus, int n, double grace_s) {
    int alive = n, failed = 0, killed = 0;
    double term_at = 0.0;
    while (alive > 0) {
        int status = 0;
        const pid_t p = waitpid(-1, &status, failed ? WNOHANG : 0);
        if (p < 0 && errno == EINTR) continue;
        if (p < 0) break;
        if (p == 0) { /* failed: others are being terminated */
            if (!killed && now_s() - term_at > grace_s) {
                for (int r = 0; r < n; ++r)
                    if (pid[r] > 0) kill(pid[r], SIGKILL);
                killed = 1;
            }
            const struct timespec pause = {0, 20000000};
            nanosleep(&pause, NULL);
            continue;
        }
        int r = 0;
        while (r < n && pid[r] != p) ++r;
        if (r == n) continue;
        pid[r] = -1;
        --alive;
        const int bad = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        if (bad && !failed) {
            char why[128];
            describe_exit(status, why, sizeof why);
            fprintf(stderr, "rise --gpus: rank %d of %d (GPU %d) %s; stopping the other ranks\n", r,
                    n, gpus[r], why);
            fflush(stderr);
            failed = 1;
            term_at = now_s();
            for (int k = 0; k < n; ++k)
                if (pid[k] > 0) kill(pid[k], SIGTERM);
        }
    }
    return failed;
}

rise_status rise_launch_fork(const int *gpus, int n, double grace_s, rise_launch *self,
                             int *is_child, int *exit_code) {
    *is_child = 0;
    *exit_code = 1;
    if (n < 1 || n > RISE_LAUNCH_MAX_LOCAL)
        return rise_error(RISE_ERR_INVALID, "--gpus: %d GPUs, expected 1 .. %d", n,
                          RISE_LAUNCH_MAX_LOCAL);
    int fds[RISE_LAUNCH_MAX_LOCAL][2];
    for (int i = 0; i + 1 < n; ++i)
        if (pipe(fds[i]) != 0) {
            for (int k = 0; k < i; ++k) close(fds[k][0]), close(fds[k][1]);
            return rise_error(RISE_ERR_IO, "--gpus: pipe: %s", strerror(errno));
        }
    pid_t pid[RISE_LAUNCH_MAX_LOCAL];
    const pid_t parent = getpid();
    fflush(NULL);
    for (int r = 0; r < n; ++r) {
        pid[r] = fork();
        if (pid[r] < 0) {
            fprintf(stderr, "rise --gpus: fork for rank %d: %s\n", r, strerror(errno));
            for (int k = 0; k < r; ++k) kill(pid[k], SIGKILL);
            for (int k = 0; k < r; ++k) waitpid(pid[k], NULL, 0);
            for (int k = 0; k + 1 < n; ++k) close(fds[k][0]), close(fds[k][1]);
            return rise_error(RISE_ERR_IO, "--gpus: fork: %s", strerror(errno));
        }
        if (pid[r] == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the supervisor */
            if (getppid() != parent) _exit(1);
            rise_launch_single(self);
            self->rank = r;
            self->world = n;
            self->local_rank = r;
            self->device = gpus[r];
            snprintf(self->source, sizeof self->source, "rise --gpus");
            for (int k = 0; k + 1 < n; ++k) {
                if (r == 0) {
                    close(fds[k][0]);
                    self->id_write_fd[self->n_id_write++] = fds[k][1];
                } else {
                    close(fds[k][1]);
                    if (k == r - 1)
                        self->id_read_fd = fds[k][0];
                    else
                        close(fds[k][0]);
                }
            }
            char v[32];
            snprintf(v, sizeof v, "%d", r);
            setenv("RISE_RANK", v, 1);
            setenv("RISE_LOCAL_RANK", v, 1);
            snprintf(v, sizeof v, "%d", n);
            setenv("RISE_WORLD", v, 1);
            snprintf(v, sizeof v, "%d", gpus[r]);
            setenv("RISE_DEVICE", v, 1);
            *is_child = 1;
            *exit_code = 0;
            return RISE_OK;
        }
    }
    for (int k = 0; k + 1 < n; ++k) close(fds[k][0]), close(fds[k][1]);
    *exit_code = supervise(pid, gpus, n, grace_s) ? 1 : 0;
    return RISE_OK;
}
