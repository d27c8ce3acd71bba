/* test_mpi_comm.c - the MPI communicator (host/comm.h) on the CPU backend, as 2 or more
 * ranks under mpirun (tests/mpi/run_mpi.sh): all-reduce sum and mean of a flat buffer,
 * broadcast from rank 0, host all-reduce (sum, mean, min, max) and broadcast from any
 * rank, barrier, and agreement on failures (one failing rank, several, none). Every rank
 * checks its own results; mpirun's exit code is the verdict. Exit 77 without MPI. */
#include <stdlib.h>
#include <string.h>

#include "host/comm.h"
#include "test_util.h"

int main(void) {
    if (!rise_comm_kind_built(RISE_COMM_MPI)) {
        printf("built without MPI: skipped\n");
        return 77;
    }
    rise_launch l;
    TEST_CHECK(rise_launch_from_env(&l) == RISE_OK, "launch: %s", rise_last_error());
    if (l.world < 2) {
        printf("not started by mpirun with 2 or more ranks: skipped\n");
        return 77;
    }
    rise_status st;
    rise_backend *be = rise_backend_create("cpu", &st);
    rise_comm *c = NULL;
    TEST_CHECK(rise_comm_create(&l, RISE_COMM_AUTO, be, &c) == RISE_OK &&
                   rise_comm_kind_of(c) == RISE_COMM_MPI,
               "auto on the cpu backend under mpirun is mpi: %s", rise_last_error());
    if (!c) return test_finish();
    const int r = rise_comm_rank(c), W = rise_comm_world(c);
    TEST_CHECK(r == l.rank && W == l.world && rise_comm_local_rank(c) == r,
               "MPI agrees with the launcher: rank %d of %d", r, W);

    /* all-reduce: x_i = (r + 1) i + 0.25 on rank r (exact in float) */
    enum { N = 1000 };
    float *x = be->alloc(be, sizeof(float) * N);
    for (int i = 0; i < N; ++i) x[i] = (float)((r + 1) * i) + 0.25f;
    rise_comm_allreduce(c, x, N, RISE_COMM_SUM);
    const double tri = W * (W + 1) / 2.0;
    int ok = 1;
    for (int i = 0; i < N; ++i) ok &= x[i] == (float)(tri * i + 0.25 * W);
    TEST_CHECK(ok, "all-reduce sum over %d ranks", W);
    for (int i = 0; i < N; ++i) x[i] = (float)((r + 1) * i) + 0.25f;
    rise_comm_allreduce(c, x, N, RISE_COMM_MEAN);
    ok = 1;
    for (int i = 0; i < N; ++i) ok &= x[i] == (float)(tri * i + 0.25 * W) * (1.0f / (float)W);
    TEST_CHECK(ok, "all-reduce mean = sum scaled by 1 / world");

    for (int i = 0; i < N; ++i) x[i] = r == 0 ? (float)i * 0.5f : -1.0f;
    rise_comm_broadcast(c, x, sizeof(float) * N);
    ok = 1;
    for (int i = 0; i < N; ++i) ok &= x[i] == (float)i * 0.5f;
    TEST_CHECK(ok, "broadcast from rank 0");
    be->free(be, x);

    double h[4] = {r, r, r, r};
    TEST_CHECK(rise_comm_host_allreduce(c, h, 1, RISE_COMM_SUM) == RISE_OK &&
                   rise_comm_host_allreduce(c, h + 1, 1, RISE_COMM_MEAN) == RISE_OK &&
                   rise_comm_host_allreduce(c, h + 2, 1, RISE_COMM_MIN) == RISE_OK &&
                   rise_comm_host_allreduce(c, h + 3, 1, RISE_COMM_MAX) == RISE_OK,
               "host all-reduce");
    TEST_CHECK(h[0] == tri - W && h[1] == (tri - W) / W && h[2] == 0 && h[3] == W - 1,
               "host sum %g mean %g min %g max %g", h[0], h[1], h[2], h[3]);
    char msg[32];
    snprintf(msg, sizeof msg, "from rank %d", r);
    TEST_CHECK(rise_comm_host_broadcast(c, msg, sizeof msg, W - 1) == RISE_OK, "host broadcast");
    char want[32];
    snprintf(want, sizeof want, "from rank %d", W - 1);
    TEST_CHECK(!strcmp(msg, want), "host broadcast from the last rank: '%s'", msg);
    TEST_CHECK(rise_comm_barrier(c) == RISE_OK, "barrier");

    /* agreement */
    TEST_CHECK(rise_comm_agree(c, RISE_OK) == RISE_OK, "all ranks fine: OK");
    rise_status mine = RISE_OK;
    if (r == 1) mine = rise_error(RISE_ERR_IO, "data.h5: truncated file");
    st = rise_comm_agree(c, mine);
    TEST_CHECK(st == RISE_ERR_IO && strstr(rise_last_error(), "rank 1 of ") &&
                   strstr(rise_last_error(), "data.h5: truncated file") &&
                   !strstr(rise_last_error(), "more rank"),
               "one rank fails: every rank gets its status and message: %s", rise_last_error());
    char more[32];
    snprintf(more, sizeof more, "and %d more rank", W - 1);
    mine = rise_error(r == 0 ? RISE_ERR_NUMERIC : RISE_ERR_IO, "rank %d's trouble", r);
    st = rise_comm_agree(c, mine);
    TEST_CHECK(st == RISE_ERR_NUMERIC && strstr(rise_last_error(), "rank 0 of ") &&
                   strstr(rise_last_error(), "rank 0's trouble") && strstr(rise_last_error(), more),
               "all fail: the lowest rank's status and message, and how many more: %s",
               rise_last_error());

    /* a launcher that disagrees with MPI is refused */
    rise_launch wrong = l;
    wrong.world = W + 1;
    rise_comm *c2 = NULL;
    TEST_CHECK(rise_comm_create(&wrong, RISE_COMM_MPI, be, &c2) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "MPI says"),
               "a world MPI does not confirm is refused: %s", rise_last_error());
    rise_comm_free(c);
    rise_backend_destroy(be);
    return test_finish();
}
