/* test_graph_capture.c - the CUDA backend's graph capture when something goes wrong
 * (exit 77 without a GPU):
 *   - a capture that fails on purpose (a sync inside it invalidates it) makes graph_end
 *     return RISE_ERR_DEVICE with no graph; nothing it recorded ran (the buffer keeps its
 *     value); the backend stays usable: sync is OK, ops run and give the right values,
 *     and the next capture succeeds and replays;
 *   - a failure parked by a kernel launcher before graph_begin is the backend's, not the
 *     capture's: graph_begin refuses to capture on it and sync reports it, on a second
 *     backend, while the first stays healthy.
 * The rules themselves are host C, tested on any machine by tests/cpu/test_device_status.c;
 * the agent's fallback to eager steps by tests/cpu/test_graph_fallback.c.
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
    float *d = test_to_backend(be, (const float[]){1.0f}, 1);
    void *graph = NULL;

    /* a capture that fails on purpose */
    TEST_CHECK(be->graph_begin(be) == RISE_OK, "graph_begin: %s", rise_last_error());
    be->fill(be, d, 7.0f, 1);
    (void)be->sync(be); /* not allowed while capturing: invalidates the capture */
    be->fill(be, d, 8.0f, 1);
    const rise_status st = be->graph_end(be, &graph);
    TEST_CHECK(st == RISE_ERR_DEVICE && graph == NULL, "the failed capture is reported: %s",
               rise_last_error());
    TEST_CHECK(be->sync(be) == RISE_OK, "the backend stays usable after it: %s", rise_last_error());
    TEST_CHECK(read1(be, d) == 1.0f, "nothing the failed capture recorded ran (%g)", read1(be, d));
    be->fill(be, d, 3.0f, 1);
    TEST_CHECK(read1(be, d) == 3.0f && be->sync(be) == RISE_OK, "ops run after it");

    /* the next capture succeeds and replays */
    TEST_CHECK(be->graph_begin(be) == RISE_OK, "graph_begin again: %s", rise_last_error());
    be->scale(be, d, 2.0f, 1);
    TEST_CHECK(be->graph_end(be, &graph) == RISE_OK && graph, "a good capture: %s",
               rise_last_error());
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
    if (graph) be->graph_destroy(be, graph);
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
