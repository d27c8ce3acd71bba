/* comm_nccl.c - the NCCL communicator (comm.h) for the CUDA backend.
 *
 * All-reduce and broadcast are enqueued on the backend's stream (be->stream), after the
 * ops that produced the buffer and before the ops that use it, with no host
 * synchronisation, so a training step that calls them can be captured in a CUDA graph
 * (NCCL >= 2.9). Host operations (metrics, counters, messages) go through a small device
 * scratch buffer and synchronise; they run at log intervals only. The communicator is
 * ncclCommInitRank from rank 0's ncclUniqueId, which reaches the other ranks over MPI
 * (mpirun, srun) or the pipes of rise --gpus; at world size 1 rank 0 makes it itself.
 * A failed NCCL call leaves the ranks out of step: it aborts the job (ncclCommAbort). */
#include "comm_internal.h"

#ifdef RISE_WITH_NCCL

#include <cuda_runtime_api.h>
#include <nccl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    ncclComm_t comm;
    void *scratch; /* device, scratch_bytes: host operations */
    size_t scratch_bytes;
} nccl_impl;

#define NCCL_IMPL(c)   ((nccl_impl *)(c)->impl)
#define NCCL_STREAM(c) ((cudaStream_t)(c)->be->stream)

static rise_status nccl_fail(ncclResult_t r, const char *what) {
    return rise_error(RISE_ERR_DEVICE, "NCCL: %s failed: %s", what, ncclGetErrorString(r));
}

static void check_or_abort(rise_comm *c, ncclResult_t r, const char *what) {
    if (r == ncclSuccess) return;
    nccl_fail(r, what);
    rise_comm_abort(c, "%s", rise_last_error());
}

static void nccl_allreduce_sum(rise_comm *c, float *buf, size_t n) {
    check_or_abort(
        c, ncclAllReduce(buf, buf, n, ncclFloat, ncclSum, NCCL_IMPL(c)->comm, NCCL_STREAM(c)),
        "ncclAllReduce of a gradient buffer");
}

static void nccl_broadcast(rise_comm *c, void *buf, size_t bytes, int root) {
    check_or_abort(
        c, ncclBroadcast(buf, buf, bytes, ncclUint8, root, NCCL_IMPL(c)->comm, NCCL_STREAM(c)),
        "ncclBroadcast of a parameter buffer");
}

static void *scratch(rise_comm *c, size_t bytes) {
    nccl_impl *m = NCCL_IMPL(c);
    if (m->scratch_bytes < bytes) {
        if (m->scratch) c->be->free(c->be, m->scratch);
        m->scratch = c->be->alloc(c->be, bytes);
        m->scratch_bytes = m->scratch ? bytes : 0;
    }
    return m->scratch;
}

static rise_status nccl_host_allreduce(rise_comm *c, double *x, int n, rise_comm_op op) {
    const size_t bytes = sizeof(double) * (size_t)n;
    double *d = scratch(c, bytes);
    if (!d) return rise_error(RISE_ERR_NOMEM, "NCCL: no device memory for %zu bytes", bytes);
    const ncclRedOp_t o = op == RISE_COMM_MIN ? ncclMin : op == RISE_COMM_MAX ? ncclMax : ncclSum;
    c->be->upload(c->be, d, x, bytes);
    const ncclResult_t r =
        ncclAllReduce(d, d, (size_t)n, ncclFloat64, o, NCCL_IMPL(c)->comm, NCCL_STREAM(c));
    if (r != ncclSuccess) return nccl_fail(r, "ncclAllReduce (host values)");
    c->be->download(c->be, x, d, bytes);
    return c->be->sync(c->be);
}

static rise_status nccl_host_broadcast(rise_comm *c, void *buf, size_t bytes, int root) {
    void *d = scratch(c, bytes);
    if (!d) return rise_error(RISE_ERR_NOMEM, "NCCL: no device memory for %zu bytes", bytes);
    c->be->upload(c->be, d, buf, bytes);
    const ncclResult_t r =
        ncclBroadcast(d, d, bytes, ncclUint8, root, NCCL_IMPL(c)->comm, NCCL_STREAM(c));
    if (r != ncclSuccess) return nccl_fail(r, "ncclBroadcast (host values)");
    c->be->download(c->be, buf, d, bytes);
    return c->be->sync(c->be);
}

static rise_status nccl_barrier(rise_comm *c) {
    double one = 1.0;
    return nccl_host_allreduce(c, &one, 1, RISE_COMM_SUM);
}

static void nccl_abort(rise_comm *c, int code) {
    nccl_impl *m = NCCL_IMPL(c);
    if (m && m->comm) ncclCommAbort(m->comm);
    if (m) m->comm = NULL;
#ifdef RISE_WITH_MPI
    if (rise_comm_mpi_initialized()) rise_comm_mpi_abort_world(code);
#endif
    fflush(NULL);
    exit(code);
}

static void nccl_free(rise_comm *c) {
    nccl_impl *m = NCCL_IMPL(c);
    if (!m) return;
    if (m->scratch) c->be->free(c->be, m->scratch);
    if (m->comm) ncclCommDestroy(m->comm);
    free(m);
    c->impl = NULL;
}

static const rise_comm_ops nccl_ops = {
    nccl_allreduce_sum, nccl_broadcast, nccl_host_allreduce, nccl_host_broadcast, nccl_barrier,
    nccl_abort,         nccl_free};

/* Rank 0's unique id, delivered to every rank. */
static rise_status share_id(const rise_launch *l, ncclUniqueId *id) {
    if (l->rank == 0) {
        const ncclResult_t r = ncclGetUniqueId(id);
        if (r != ncclSuccess) return nccl_fail(r, "ncclGetUniqueId");
    }
    if (l->world == 1) return RISE_OK;
    if (l->id_read_fd >= 0 || l->n_id_write > 0)
        return l->rank == 0 ? rise_launch_send_id(l, id, sizeof *id)
                            : rise_launch_recv_id(l, id, sizeof *id);
#ifdef RISE_WITH_MPI
    int rank = 0, size = 1;
    RISE_TRY(rise_comm_mpi_world(&rank, &size));
    if (rank != l->rank || size != l->world)
        return rise_error(RISE_ERR_INVALID,
                          "MPI says this is rank %d of %d, but %s said rank %d of %d", rank, size,
                          l->source, l->rank, l->world);
    return rise_comm_mpi_bcast_bytes(id, sizeof *id, 0);
#else
    return rise_error(RISE_ERR_INVALID,
                      "NCCL needs rank 0's id at every rank: %s started %d ranks, but this binary "
                      "has no MPI to send it (install libopenmpi-dev and rebuild, or use "
                      "rise train --gpus on one node)",
                      l->source, l->world);
#endif
}

rise_status rise_comm_nccl_create(const rise_launch *l, rise_backend *be, rise_comm *c) {
    ncclUniqueId id;
    memset(&id, 0, sizeof id);
    RISE_TRY(share_id(l, &id));
    nccl_impl *m = calloc(1, sizeof *m);
    if (!m) return rise_error(RISE_ERR_NOMEM, "NCCL communicator: out of memory");
    const ncclResult_t r = ncclCommInitRank(&m->comm, l->world, id, l->rank);
    if (r != ncclSuccess) {
        free(m);
        return rise_error_context(nccl_fail(r, "ncclCommInitRank"), "rank %d of %d: ", l->rank,
                                  l->world);
    }
    c->impl = m;
    c->ops = &nccl_ops;
    return RISE_OK;
}

#endif /* RISE_WITH_NCCL */
