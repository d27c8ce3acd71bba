/* comm_internal.h - the communicator's implementation table, shared by comm.c (none, the
 * dispatch, agreement), comm_mpi.c and comm_nccl.c. Not part of the public API. */
#ifndef RISE_COMM_INTERNAL_H
#define RISE_COMM_INTERNAL_H

#include "comm.h"

typedef struct {
    /* buf [n] backend memory = the sum over ranks (rise_comm_allreduce scales a mean) */
    void (*allreduce_sum)(rise_comm *c, float *buf, size_t n);
    void (*broadcast)(rise_comm *c, void *buf, size_t bytes, int root);
    rise_status (*host_allreduce)(rise_comm *c, double *x, int n, rise_comm_op op);
    rise_status (*host_broadcast)(rise_comm *c, void *buf, size_t bytes, int root);
    rise_status (*barrier)(rise_comm *c);
    void (*abort)(rise_comm *c, int code); /* ends every rank; the message is printed */
    void (*free)(rise_comm *c);
} rise_comm_ops;

struct rise_comm {
    rise_comm_kind kind;
    int rank, world, local_rank;
    rise_backend *be;
    const rise_comm_ops *ops;
    void *impl;
};

/* comm_mpi.c (RISE_WITH_MPI): MPI initialised once per process (finalised at exit). */
rise_status rise_comm_mpi_create(const rise_launch *l, rise_backend *be, rise_comm *c);
/* MPI_Init when needed, then rank and size of MPI_COMM_WORLD (for NCCL's bootstrap). */
rise_status rise_comm_mpi_world(int *rank, int *size);
rise_status rise_comm_mpi_bcast_bytes(void *buf, size_t bytes, int root);
int rise_comm_mpi_initialized(void);
void rise_comm_mpi_abort_world(int code);

/* comm_nccl.c (RISE_WITH_NCCL). */
rise_status rise_comm_nccl_create(const rise_launch *l, rise_backend *be, rise_comm *c);

/* Prints the abort line (comm.c). */
void rise_comm_print_abort(const rise_comm *c, const char *msg);

#endif
