/* test_cuda_backend_faults.c - the CUDA backend under deliberate failures: an impossible
 * allocation fails cleanly and leaves the backend usable, and a device fault (a kernel
 * writing to a bad address) makes sync return RISE_ERR_DEVICE, then and afterwards
 * (CUDA's sticky error). These faults are the point of the test, so it carries the ctest
 * label `faults` (tests/CMakeLists.txt) and scripts/gpu_session.sh never runs it under
 * compute-sanitizer, which would report them as errors.
 *
 * Run: ctest -L gpu -R test_cuda_backend_faults (exits 77, skipped, without a GPU or
 * when the CUDA backend was not built). */
#include <stdint.h>

#include "test_util.h"

/* fill then scale through the table, then sync and read back: the backend works */
static void check_usable(rise_backend *be, const char *when) {
    enum { N = 1003 };
    float *d = be->alloc(be, N * sizeof(float));
    TEST_CHECK(d != NULL, "alloc %s: %s", when, rise_last_error());
    if (!d) return;
    be->fill(be, d, 2.5f, N);
    be->scale(be, d, 2.0f, N);
    TEST_CHECK(be->sync(be) == RISE_OK, "sync %s: %s", when, rise_last_error());
    float *h = test_from_backend(be, d, N);
    int bad = 0;
    for (int i = 0; i < N; ++i) bad += h[i] != 5.0f;
    TEST_CHECK(bad == 0, "fill 2.5 then scale 2 %s: %d elements are not 5", when, bad);
    free(h);
    be->free(be, d);
}

/* an impossible allocation fails cleanly and leaves the backend usable */
static void test_failed_alloc(rise_backend *be) {
    rise_error_clear();
    void *p = be->alloc(be, (size_t)1 << 50);
    TEST_CHECK(p == NULL, "a 1 PiB allocation succeeded");
    TEST_CHECK(strstr(rise_last_error(), "cudaMalloc") != NULL, "no cudaMalloc message: '%s'",
               rise_last_error());
    check_usable(be, "after a failed allocation");
}

/* last: a fault makes sync return RISE_ERR_DEVICE, and it stays (sticky) */
static void test_sticky_fault(rise_backend *be) {
    float *bogus = (float *)(uintptr_t)0x1000;
    be->fill(be, bogus, 1.0f, 1 << 20);
    const rise_status s1 = be->sync(be);
    TEST_CHECK(s1 == RISE_ERR_DEVICE, "sync after a fault returned %s", rise_status_name(s1));
    TEST_CHECK(strstr(rise_last_error(), "cuda backend") != NULL, "fault message: '%s'",
               rise_last_error());
    const rise_status s2 = be->sync(be);
    TEST_CHECK(s2 == RISE_ERR_DEVICE, "second sync after a fault returned %s",
               rise_status_name(s2));
}

int main(void) {
    rise_backend *be = test_backend_or_skip("cuda");
    check_usable(be, "at start");
    test_failed_alloc(be);
    test_sticky_fault(be);
    rise_backend_destroy(be);
    return test_finish();
}
