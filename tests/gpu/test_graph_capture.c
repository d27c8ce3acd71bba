/* test_graph_capture.c - the CUDA backend's graph capture where no CUDA call fails, so
 * compute-sanitizer runs it (scripts/gpu_session.sh; exit 77 without a GPU):
 *   - a capture replays: recorded ops do not run while capturing, each launch runs them;
 *   - a failure parked by a kernel launcher before graph_begin is the backend's, not the
 *     capture's: graph_begin refuses to capture on it and sync reports it, on a second
 *     backend, while the first stays healthy and still captures.
 * A capture that really fails (a CUDA API error on purpose) is
 * tests/gpu/test_graph_capture_faults.c (label `faults`: never under the sanitizer). The
 * rules themselves are host C, tested on any machine by tests/cpu/test_device_status.c.
 * Run: ctest -L gpu -R test_graph_capture */
#include <string.h>

#include "test_util.h"

#ifdef RISE_WITH_CUDA
#include "kernels/cuda_errors.h"

static float read1(rise_backend *be, const float *d) {
    float v = NAN;
    be->download(be, &v, d, sizeof v);
    return v;
}

int main(void) {
    rise_backend *be = test_backend_or_skip("cuda");
    float *d = test_to_backend(be, (const float[]){3.0f}, 1);
    void *graph = NULL;

    /* a good capture: nothing runs while capturing, each replay runs it */
    TEST_CHECK(be->graph_begin(be) == RISE_OK, "graph_begin: %s", rise_last_error());
    be->scale(be, d, 2.0f, 1);
    TEST_CHECK(be->graph_end(be, &graph) == RISE_OK && graph, "a good capture: %s",
               rise_last_error());
    TEST_CHECK(read1(be, d) == 3.0f, "the capture itself ran nothing (%g)", read1(be, d));
    if (graph) {
        be->graph_launch(be, graph);
        be->graph_launch(be, graph);
        TEST_CHECK(read1(be, d) == 12.0f, "the graph replays twice: 3 * 2 * 2 = %g", read1(be, d));
        be->graph_destroy(be, graph);
    }
    TEST_CHECK(be->sync(be) == RISE_OK, "healthy: %s", rise_last_error());

    /* a failure parked before the capture is the second backend's own */
    rise_backend *other = test_backend_or_skip("cuda");
    rise_cuda_park_error(__FILE__, __LINE__, "a launch before the capture", "parked on purpose");
    TEST_CHECK(other->graph_begin(other) != RISE_OK &&
                   strstr(rise_last_error(), "parked on purpose"),
               "graph_begin refuses on a failed backend: %s", rise_last_error());
    TEST_CHECK(other->sync(other) == RISE_ERR_DEVICE &&
                   strstr(rise_last_error(), "parked on purpose"),
               "sync reports the parked failure: %s", rise_last_error());
    TEST_CHECK(be->sync(be) == RISE_OK, "the first backend is unaffected: %s", rise_last_error());
    TEST_CHECK(be->graph_begin(be) == RISE_OK, "it still captures: %s", rise_last_error());
    be->fill(be, d, 5.0f, 1);
    TEST_CHECK(be->graph_end(be, &graph) == RISE_OK && graph,
               "graph_end does not report the other backend's parked failure: %s",
               rise_last_error());
    if (graph) {
        be->graph_launch(be, graph);
        TEST_CHECK(read1(be, d) == 5.0f, "and its graph runs (%g)", read1(be, d));
        be->graph_destroy(be, graph);
    }
    rise_backend_destroy(other);
    be->free(be, d);
    rise_backend_destroy(be);
    return test_finish();
}

#else /* the CUDA backend was not built */

int main(void) {
    rise_backend *be = test_backend_or_skip("cuda"); /* exits 77 */
    rise_backend_destroy(be);
    return 1;
}

#endif
