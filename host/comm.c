/* comm.c - the communicator: run-time choice of implementation, the `none` one (a single
 * process), rank agreement on failures and the abort path (see comm.h). The MPI and NCCL
 * implementations are in comm_mpi.c and comm_nccl.c; the launcher's environment and
 * rise --gpus are in launch.c. */
#include "comm_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {"none", "mpi", "nccl", "auto"};

const char *rise_comm_kind_name(rise_comm_kind k) {
    return (unsigned)k <= RISE_COMM_AUTO ? kind_names[k] : "?";
}

int rise_comm_kind_parse(const char *s, rise_comm_kind *k) {
    for (int i = 0; i <= RISE_COMM_AUTO; ++i)
        if (!strcmp(s, kind_names[i])) {
            *k = (rise_comm_kind)i;
            return 1;
        }
    return 0;
}

int rise_comm_kind_built(rise_comm_kind k) {
    switch (k) {
    case RISE_COMM_NONE:
    case RISE_COMM_AUTO: return 1;
#ifdef RISE_WITH_MPI
    case RISE_COMM_MPI: return 1;
#endif
#ifdef RISE_WITH_NCCL
    case RISE_COMM_NCCL: return 1;
#endif
    default: return 0;
    }
}

/* ---- none: one process ---- */

static void none_allreduce_sum(rise_comm *c, float *buf, size_t n) {}
static void none_broadcast(rise_comm *c, void *buf, size_t bytes, int root) {}
static rise_status none_host_allreduce(rise_comm *c, double *x, int n, rise_comm_op op) {
    return RISE_OK;
}
static rise_status none_host_broadcast(rise_comm *c, void *buf, size_t bytes, int root) {
    return RISE_OK;
}
static rise_status none_barrier(rise_comm *c) { return RISE_OK; }
static void none_abort(rise_comm *c, int code) {
    fflush(NULL);
    exit(code);
}
static void none_free(rise_comm *c) {}

static const rise_comm_ops none_ops = {
    none_allreduce_sum, none_broadcast, none_host_allreduce, none_host_broadcast, none_barrier,
    none_abort,         none_free};

/* ---- creation ---- */

rise_status rise_comm_create(const rise_launch *l, rise_comm_kind kind, rise_backend *be,
                             rise_comm **out) {
    *out = NULL;
    if (l->world < 1 || l->rank < 0 || l->rank >= l->world)
        return rise_error(RISE_ERR_INVALID, "communicator: rank %d of %d (from %s) is not a rank",
                          l->rank, l->world, l->source);
    if (kind == RISE_COMM_AUTO)
        kind =
            l->world == 1 ? RISE_COMM_NONE : (be && be->is_device ? RISE_COMM_NCCL : RISE_COMM_MPI);
    if (kind == RISE_COMM_NONE && l->world > 1)
        return rise_error(RISE_ERR_INVALID,
                          "communicator 'none' is for one process, but %s started %d ranks",
                          l->source, l->world);
    if (!rise_comm_kind_built(kind))
        return rise_error(RISE_ERR_INVALID,
                          "communicator '%s' was not built into this binary (%s started rank %d "
                          "of %d); install %s and rebuild (scripts/setup.sh, then cmake)",
                          rise_comm_kind_name(kind), l->source, l->rank, l->world,
                          kind == RISE_COMM_MPI ? "OpenMPI (libopenmpi-dev)"
                                                : "NCCL and the CUDA toolkit");
    if (kind == RISE_COMM_NCCL && !(be && be->is_device))
        return rise_error(RISE_ERR_INVALID,
                          "communicator 'nccl' needs the cuda backend (this run uses '%s'); the "
                          "cpu backend's transport is mpi",
                          be ? be->name : "none");
    rise_comm *c = calloc(1, sizeof *c);
    if (!c) return rise_error(RISE_ERR_NOMEM, "communicator: out of memory");
    c->kind = kind;
    c->rank = l->rank;
    c->world = l->world;
    c->local_rank = l->local_rank;
    c->be = be;
    c->ops = &none_ops;
    rise_status st = RISE_OK;
#ifdef RISE_WITH_MPI
    if (kind == RISE_COMM_MPI) st = rise_comm_mpi_create(l, be, c);
#endif
#ifdef RISE_WITH_NCCL
    if (kind == RISE_COMM_NCCL) st = rise_comm_nccl_create(l, be, c);
#endif
    if (st != RISE_OK) {
        free(c);
        return st;
    }
    *out = c;
    return RISE_OK;
}

void rise_comm_free(rise_comm *c) {
    if (!c) return;
    c->ops->free(c);
    free(c);
}

int rise_comm_rank(const rise_comm *c) { return c ? c->rank : 0; }
int rise_comm_world(const rise_comm *c) { return c ? c->world : 1; }
int rise_comm_local_rank(const rise_comm *c) { return c ? c->local_rank : 0; }
rise_comm_kind rise_comm_kind_of(const rise_comm *c) { return c ? c->kind : RISE_COMM_NONE; }

/* ---- operations ---- */

/* 'none' does nothing; mpi and nccl make their calls even at world size 1, so one GPU runs
 * the path many do. */
static int trivial(const rise_comm *c) { return !c || c->kind == RISE_COMM_NONE; }

void rise_comm_allreduce(rise_comm *c, float *buf, size_t n, rise_comm_op op) {
    RISE_ASSERT(op == RISE_COMM_SUM || op == RISE_COMM_MEAN,
                "rise_comm_allreduce: op %d (device buffers: sum or mean)", (int)op);
    if (trivial(c) || n == 0) return;
    c->ops->allreduce_sum(c, buf, n);
    if (op == RISE_COMM_MEAN && c->world > 1) c->be->scale(c->be, buf, 1.0f / (float)c->world, n);
}

void rise_comm_broadcast(rise_comm *c, void *buf, size_t bytes) {
    if (trivial(c) || bytes == 0) return;
    c->ops->broadcast(c, buf, bytes, 0);
}

rise_status rise_comm_host_allreduce(rise_comm *c, double *x, int n, rise_comm_op op) {
    if (trivial(c) || n <= 0) return RISE_OK;
    RISE_TRY(c->ops->host_allreduce(c, x, n, op == RISE_COMM_MEAN ? RISE_COMM_SUM : op));
    if (op == RISE_COMM_MEAN)
        for (int i = 0; i < n; ++i) x[i] /= (double)c->world;
    return RISE_OK;
}

rise_status rise_comm_host_broadcast(rise_comm *c, void *buf, size_t bytes, int root) {
    if (trivial(c) || bytes == 0) return RISE_OK;
    if (root < 0 || root >= c->world)
        return rise_error(RISE_ERR_INVALID, "broadcast from rank %d of %d", root, c->world);
    return c->ops->host_broadcast(c, buf, bytes, root);
}

rise_status rise_comm_barrier(rise_comm *c) {
    if (trivial(c)) return RISE_OK;
    return c->ops->barrier(c);
}

typedef struct {
    int status;
    char message[1000];
} agreed_failure;

rise_status rise_comm_agree(rise_comm *c, rise_status st) {
    if (trivial(c) || c->world == 1) return st;
    /* [lowest failing rank (world: none), failing ranks] */
    double lowest = st != RISE_OK ? c->rank : c->world, failed = st != RISE_OK;
    rise_status cs = c->ops->host_allreduce(c, &lowest, 1, RISE_COMM_MIN);
    if (cs == RISE_OK) cs = c->ops->host_allreduce(c, &failed, 1, RISE_COMM_SUM);
    if (cs != RISE_OK) rise_comm_abort(c, "agreeing on the ranks' status: %s", rise_last_error());
    if ((int)lowest >= c->world) return RISE_OK;
    const int who = (int)lowest, more = (int)failed - 1;
    agreed_failure f;
    memset(&f, 0, sizeof f);
    if (c->rank == who) {
        f.status = (int)st;
        snprintf(f.message, sizeof f.message, "%s", rise_last_error());
    }
    cs = c->ops->host_broadcast(c, &f, sizeof f, who);
    if (cs != RISE_OK) rise_comm_abort(c, "sharing rank %d's error: %s", who, rise_last_error());
    f.message[sizeof f.message - 1] = '\0';
    char extra[64] = "";
    if (more > 0) snprintf(extra, sizeof extra, " (and %d more rank%s)", more, more > 1 ? "s" : "");
    return rise_error(f.status != RISE_OK ? (rise_status)f.status : RISE_ERR_INVALID,
                      "rank %d of %d%s: %s", who, c->world, extra, f.message);
}

void rise_comm_print_abort(const rise_comm *c, const char *msg) {
    if (c)
        fprintf(stderr, "rise: rank %d of %d: %s; aborting the job\n", c->rank, c->world, msg);
    else
        fprintf(stderr, "rise: %s; aborting the job\n", msg);
    fflush(stderr);
}

void rise_comm_abort(rise_comm *c, const char *fmt, ...) {
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rise_comm_print_abort(c, msg);
    if (c) c->ops->abort(c, 1);
#ifdef RISE_WITH_MPI
    if (rise_comm_mpi_initialized()) rise_comm_mpi_abort_world(1);
#endif
    fflush(NULL);
    exit(1);
}
