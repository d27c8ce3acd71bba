/* test_graph_capture_faults.c - a CUDA graph capture that fails on purpose (exit 77 without a
 * GPU): a sync inside the capture invalidates it, so graph_end returns RISE_ERR_DEVICE with
 * no graph; nothing it recorded ran (the buffer keeps its value); the backend stays usable
 * (sync is OK, ops run and give the right values) and the next capture succeeds and
 * replays. The CUDA API error the bad sync provokes is the point of the test, so it is
 * named *_faults and carries the ctest label `faults` (tests/CMakeLists.txt):
 * scripts/gpu_session.sh never runs it under compute-sanitizer, which would report that
 * error. The sanitizer-clean side of capture (a good capture replaying, a failure parked
 * before a capture) is tests/gpu/test_graph_capture.c; the rules themselves are host C,
 * tested on any machine by tests/cpu/test_device_status.c, the agent's fallback to eager
 * steps by tests/cpu/test_graph_fallback.c.
 * Run: ctest -L gpu -R test_graph_capture_faults */
#include <string.h>

#include "test_util.h"

#ifdef RISE_WITH_CUDA

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
