/* comm_mpi.c - the MPI communicator (comm.h): the CPU backend's transport, and NCCL's
 * bootstrap. MPI is initialised once per process, on first use, and finalised at exit, so
 * a process may create and free communicators several times (each dups MPI_COMM_WORLD).
 * Errors are returned, not fatal (MPI_ERRORS_RETURN), so a failed call can name itself
 * before the job is aborted. Buffers of a device backend are staged through the host. */
#include "comm_internal.h"

#ifdef RISE_WITH_MPI

#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    MPI_Comm comm;
    void *stage; /* host copy of a device buffer */
    size_t stage_bytes;
} mpi_impl;

#define MPI_IMPL(c) ((mpi_impl *)(c)->impl)

/* Large buffers go in pieces of at most CHUNK elements (MPI counts are int). */
#define CHUNK ((size_t)1 << 28)

static void finalize_at_exit(void) {
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (init && !fin) MPI_Finalize();
}

int rise_comm_mpi_initialized(void) {
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    return init && !fin;
}

void rise_comm_mpi_abort_world(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

static rise_status mpi_fail(int rc, const char *what) {
    char s[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(rc, s, &len);
    return rise_error(RISE_ERR_LIBRARY, "MPI: %s failed: %s", what, s);
}

static rise_status ensure_init(void) {
    int init = 0, fin = 0;
    MPI_Finalized(&fin);
    if (fin) return rise_error(RISE_ERR_LIBRARY, "MPI: already finalised in this process");
    MPI_Initialized(&init);
    if (init) return RISE_OK;
    int provided = 0;
    const int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) return mpi_fail(rc, "MPI_Init_thread");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    atexit(finalize_at_exit);
    return RISE_OK;
}

rise_status rise_comm_mpi_world(int *rank, int *size) {
    RISE_TRY(ensure_init());
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    return RISE_OK;
}

rise_status rise_comm_mpi_bcast_bytes(void *buf, size_t bytes, int root) {
    RISE_TRY(ensure_init());
    const int rc = MPI_Bcast(buf, (int)bytes, MPI_BYTE, root, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? RISE_OK : mpi_fail(rc, "MPI_Bcast");
}

static void *stage(rise_comm *c, size_t bytes) {
    mpi_impl *m = MPI_IMPL(c);
    if (m->stage_bytes < bytes) {
        free(m->stage);
        m->stage = malloc(bytes);
        m->stage_bytes = m->stage ? bytes : 0;
        if (!m->stage) rise_comm_abort(c, "MPI: out of host memory staging %zu bytes", bytes);
    }
    return m->stage;
}

static void mpi_allreduce_sum(rise_comm *c, float *buf, size_t n) {
    rise_backend *be = c->be;
    float *h = buf;
    if (be && be->is_device) {
        h = stage(c, sizeof(float) * n);
        be->download(be, h, buf, sizeof(float) * n);
    }
    for (size_t i = 0; i < n; i += CHUNK) {
        const int cnt = (int)(n - i < CHUNK ? n - i : CHUNK);
        const int rc =
            MPI_Allreduce(MPI_IN_PLACE, h + i, cnt, MPI_FLOAT, MPI_SUM, MPI_IMPL(c)->comm);
        if (rc != MPI_SUCCESS) {
            mpi_fail(rc, "MPI_Allreduce of a gradient buffer");
            rise_comm_abort(c, "%s", rise_last_error());
        }
    }
    if (be && be->is_device) be->upload(be, buf, h, sizeof(float) * n);
}

static rise_status bcast_host(rise_comm *c, void *buf, size_t bytes, int root) {
    char *p = buf;
    for (size_t i = 0; i < bytes; i += CHUNK) {
        const int cnt = (int)(bytes - i < CHUNK ? bytes - i : CHUNK);
        const int rc = MPI_Bcast(p + i, cnt, MPI_BYTE, root, MPI_IMPL(c)->comm);
        if (rc != MPI_SUCCESS) return mpi_fail(rc, "MPI_Bcast");
    }
    return RISE_OK;
}

static void mpi_broadcast(rise_comm *c, void *buf, size_t bytes, int root) {
    rise_backend *be = c->be;
    void *h = buf;
    if (be && be->is_device) {
        h = stage(c, bytes);
        be->download(be, h, buf, bytes);
    }
    if (bcast_host(c, h, bytes, root) != RISE_OK)
        rise_comm_abort(c, "%s (a parameter buffer)", rise_last_error());
    if (be && be->is_device) be->upload(be, buf, h, bytes);
}

static rise_status mpi_host_allreduce(rise_comm *c, double *x, int n, rise_comm_op op) {
    const MPI_Op o = op == RISE_COMM_MIN ? MPI_MIN : op == RISE_COMM_MAX ? MPI_MAX : MPI_SUM;
    const int rc = MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_DOUBLE, o, MPI_IMPL(c)->comm);
    return rc == MPI_SUCCESS ? RISE_OK : mpi_fail(rc, "MPI_Allreduce");
}

static rise_status mpi_host_broadcast(rise_comm *c, void *buf, size_t bytes, int root) {
    return bcast_host(c, buf, bytes, root);
}

static rise_status mpi_barrier(rise_comm *c) {
    const int rc = MPI_Barrier(MPI_IMPL(c)->comm);
    return rc == MPI_SUCCESS ? RISE_OK : mpi_fail(rc, "MPI_Barrier");
}

static void mpi_abort(rise_comm *c, int code) {
    fflush(NULL);
    MPI_Abort(MPI_COMM_WORLD, code);
}

static void mpi_free(rise_comm *c) {
    mpi_impl *m = MPI_IMPL(c);
    if (!m) return;
    if (m->comm != MPI_COMM_NULL && rise_comm_mpi_initialized()) MPI_Comm_free(&m->comm);
    free(m->stage);
    free(m);
    c->impl = NULL;
}

static const rise_comm_ops mpi_ops = {
    mpi_allreduce_sum, mpi_broadcast, mpi_host_allreduce, mpi_host_broadcast, mpi_barrier,
    mpi_abort,         mpi_free};

rise_status rise_comm_mpi_create(const rise_launch *l, rise_backend *be, rise_comm *c) {
    int rank = 0, size = 1;
    RISE_TRY(rise_comm_mpi_world(&rank, &size));
    if (size != l->world || rank != l->rank)
        return rise_error(RISE_ERR_INVALID,
                          "MPI says this is rank %d of %d, but %s said rank %d of %d (launch with "
                          "mpirun or srun, and do not mix launchers)",
                          rank, size, l->source, l->rank, l->world);
    mpi_impl *m = calloc(1, sizeof *m);
    if (!m) return rise_error(RISE_ERR_NOMEM, "MPI communicator: out of memory");
    m->comm = MPI_COMM_NULL;
    int rc = MPI_Comm_dup(MPI_COMM_WORLD, &m->comm);
    if (rc == MPI_SUCCESS) rc = MPI_Comm_set_errhandler(m->comm, MPI_ERRORS_RETURN);
    /* the node-local rank from MPI itself (launchers disagree on how to say it) */
    MPI_Comm node = MPI_COMM_NULL;
    if (rc == MPI_SUCCESS)
        rc = MPI_Comm_split_type(m->comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
    if (rc == MPI_SUCCESS) {
        MPI_Comm_rank(node, &c->local_rank);
        MPI_Comm_free(&node);
    }
    if (rc != MPI_SUCCESS) {
        const rise_status st = mpi_fail(rc, "creating the communicator");
        if (m->comm != MPI_COMM_NULL) MPI_Comm_free(&m->comm);
        free(m);
        return st;
    }
    c->impl = m;
    c->ops = &mpi_ops;
    return RISE_OK;
}

#endif /* RISE_WITH_MPI */
