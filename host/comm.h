/* comm.h - the communicator of a data-parallel run, and where a process sits in the job.
 *
 *   rise_launch l;
 *   RISE_TRY(rise_launch_from_env(&l));         mpirun, srun or rise --gpus told us rank/world
 *   RISE_TRY(rise_launch_select_device(&l));     each rank's GPU by local rank (CUDA builds)
 *   rise_backend *be = rise_backend_create(...);
 *   rise_comm *c;
 *   RISE_TRY(rise_comm_create(&l, RISE_COMM_AUTO, be, &c));
 *   rise_comm_allreduce(c, grad, n, RISE_COMM_MEAN);   one flat buffer, backend memory
 *   st = rise_comm_agree(c, st);                        every rank learns whether any failed
 *
 * Implementations, chosen at run time (each compiled when its library was found):
 *   none  one process; every operation is the identity. A NULL rise_comm * is the same.
 *   mpi   OpenMPI (or any MPI): the CPU backend's transport; a device backend's buffers
 *         are staged through the host (synchronous, so not for a captured CUDA graph).
 *   nccl  NCCL on the CUDA backend's stream: all-reduce and broadcast are enqueued like
 *         any op, so a training step that calls them can be captured in a CUDA graph.
 *         Bootstrap: rank 0's ncclUniqueId reaches the others over MPI (mpirun, srun) or
 *         over the pipes of rise --gpus; at world size 1 it needs neither.
 *
 * Device-buffer operations (rise_comm_allreduce, rise_comm_broadcast) are ordered with
 * the backend's ops and report nothing: a failed collective leaves the ranks out of
 * step, so it ends the whole job (rise_comm_abort) with a message naming the rank and
 * the call. Host operations return a status. Every rank must make the same calls in the
 * same order (collectives). */
#ifndef RISE_COMM_H
#define RISE_COMM_H

#include <stddef.h>

#include "backend.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_LAUNCH_MAX_LOCAL 64 /* ranks rise --gpus starts on one node */

/* Where this process sits in the job. */
typedef struct {
    int rank, world, local_rank;
    int device;      /* GPU index on this node; -1: local_rank modulo the visible GPUs */
    char source[40]; /* which launcher said so: single, mpirun, pmi, srun, rise --gpus */
    /* rise --gpus: rank 0 writes its NCCL id to id_write_fd[0 .. n_id_write-1]; the others
     * read it from id_read_fd. -1 / 0 when not launched that way. */
    int id_read_fd;
    int id_write_fd[RISE_LAUNCH_MAX_LOCAL];
    int n_id_write;
} rise_launch;

/* Rank 0 of 1 on device -1. */
void rise_launch_single(rise_launch *l);

/* From the launcher's environment, first match wins:
 *   RISE_RANK, RISE_WORLD, RISE_LOCAL_RANK [, RISE_DEVICE]       (rise --gpus children)
 *   OMPI_COMM_WORLD_RANK, _SIZE, _LOCAL_RANK                      (OpenMPI's mpirun)
 *   PMI_RANK, PMI_SIZE, MPI_LOCALRANKID or SLURM_LOCALID          (MPICH, srun --mpi=pmi2)
 *   SLURM_PROCID, SLURM_STEP_NUM_TASKS, SLURM_LOCALID             (srun)
 * and rank 0 of 1 when none is set. A variable that is set but not a number in range is an
 * error naming it. MPI's own rank and size, once it is initialised, must agree. */
rise_status rise_launch_from_env(rise_launch *l);

/* CUDA builds: cudaSetDevice(l->device, or local_rank modulo the visible GPUs), before the
 * CUDA backend is created. Elsewhere (and with no GPU) it does nothing. */
rise_status rise_launch_select_device(const rise_launch *l);

/* GPUs visible to this process (0 without CUDA or a GPU). */
int rise_launch_gpu_count(void);

/* rise --gpus on one node without MPI: forks one process per entry of gpus[0..n-1].
 * In each child it returns RISE_OK with *is_child = 1 and *self filled (rank = index,
 * device = gpus[index], the NCCL id pipes set up); the child dies with the parent. In the
 * parent it supervises the children and returns when all have ended (*is_child = 0): when
 * one ends with a failure (non-zero status or a signal) it prints which rank and why,
 * terminates the others (SIGTERM, then SIGKILL after grace_s seconds) and sets
 * *exit_code = 1; all successful: 0. */
rise_status rise_launch_fork(const int *gpus, int n, double grace_s, rise_launch *self,
                             int *is_child, int *exit_code);

/* The NCCL id (or any small blob) from rank 0 to the other ranks over the pipes of
 * rise_launch_fork. Rank 0 sends, the others receive. */
rise_status rise_launch_send_id(const rise_launch *l, const void *id, size_t bytes);
rise_status rise_launch_recv_id(const rise_launch *l, void *id, size_t bytes);

typedef enum {
    RISE_COMM_NONE = 0,
    RISE_COMM_MPI,
    RISE_COMM_NCCL,
    RISE_COMM_AUTO /* create only: none at world 1, else nccl on a device backend, else mpi */
} rise_comm_kind;

typedef enum { RISE_COMM_SUM = 0, RISE_COMM_MEAN, RISE_COMM_MIN, RISE_COMM_MAX } rise_comm_op;

const char *rise_comm_kind_name(rise_comm_kind k);
int rise_comm_kind_parse(const char *s, rise_comm_kind *k); /* none|mpi|nccl|auto; 1 on success */
int rise_comm_kind_built(rise_comm_kind k);                 /* compiled into this binary */

typedef struct rise_comm rise_comm;

/* A communicator over the job l describes, for buffers of backend be. kind AUTO picks as
 * above; asking for a kind that was not built, mpi at world > 1 without an MPI launcher,
 * nccl without a CUDA backend, or a world that MPI does not confirm is an error saying so. */
rise_status rise_comm_create(const rise_launch *l, rise_comm_kind kind, rise_backend *be,
                             rise_comm **out);
void rise_comm_free(rise_comm *c);

int rise_comm_rank(const rise_comm *c);       /* 0 for NULL */
int rise_comm_world(const rise_comm *c);      /* 1 for NULL */
int rise_comm_local_rank(const rise_comm *c); /* 0 for NULL */
rise_comm_kind rise_comm_kind_of(const rise_comm *c);

/* buf [n] (backend memory) = the sum, or the mean (sum, then scaled by 1 / world on the
 * backend), over ranks; every rank gets the same bits. */
void rise_comm_allreduce(rise_comm *c, float *buf, size_t n, rise_comm_op op);
/* buf [bytes] (backend memory) = rank 0's. */
void rise_comm_broadcast(rise_comm *c, void *buf, size_t bytes);

/* Host memory (small: metrics, counters, messages), synchronous. */
rise_status rise_comm_host_allreduce(rise_comm *c, double *x, int n, rise_comm_op op);
rise_status rise_comm_host_broadcast(rise_comm *c, void *buf, size_t bytes, int root);
rise_status rise_comm_barrier(rise_comm *c);

/* Every rank passes its own status; all get RISE_OK when all were OK, else the status of
 * the lowest failing rank with the message "rank R of W[ and K more]: <its message>"
 * (rise_last_error on every rank), so a failure on one rank stops all of them together. */
rise_status rise_comm_agree(rise_comm *c, rise_status st);

/* Prints "rise: rank R of W: <message>; aborting the job" to stderr and ends every rank
 * (MPI_Abort, ncclCommAbort and exit, or exit). c may be NULL (no communicator yet: MPI_Abort
 * when MPI is initialised, else exit; the message should name the rank). */
void rise_comm_abort(rise_comm *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3), noreturn))
#endif
    ;

#ifdef __cplusplus
}
#endif
#endif
