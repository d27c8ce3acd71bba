/* test_device_status.c - the error bookkeeping of a device backend (host/device_status.h),
 * the rules the CUDA backend's sync and graph capture follow, on any machine:
 * a failure outside a capture is sticky (every report returns it, and no capture starts);
 * a failure during a capture is the capture's alone (end_capture returns it once, the
 * backend stays healthy and captures again); a failure noted before a capture began is
 * never reported by its end_capture; the first failure wins in each slot.
 * Run: ctest -R test_device_status */
#include <string.h>

#include "host/device_status.h"
#include "test_util.h"

int main(void) {
    rise_device_status d;
    rise_device_status_init(&d, "cuda");
    TEST_CHECK(rise_device_status_report(&d) == RISE_OK, "a fresh backend is healthy");

    /* a failed capture: reported once by end_capture, not sticky */
    TEST_CHECK(rise_device_status_begin_capture(&d) == RISE_OK, "capture starts");
    rise_device_status_note(&d, "cudaStreamSynchronize", "operation not permitted when captured");
    rise_device_status_note(&d, "kernel launch", "capture invalidated");
    TEST_CHECK(rise_device_status_end_capture(&d) == RISE_ERR_DEVICE &&
                   strstr(rise_last_error(), "cudaStreamSynchronize") &&
                   !strstr(rise_last_error(), "invalidated"),
               "end_capture returns the capture's first failure: %s", rise_last_error());
    TEST_CHECK(rise_device_status_report(&d) == RISE_OK, "a failed capture is not sticky");
    TEST_CHECK(rise_device_status_begin_capture(&d) == RISE_OK &&
                   rise_device_status_end_capture(&d) == RISE_OK,
               "the next capture starts clean and succeeds");

    /* a failure before the capture: the backend's, never the capture's */
    rise_device_status_note(&d, "kernel launch", "an illegal memory access was encountered");
    TEST_CHECK(rise_device_status_report(&d) == RISE_ERR_DEVICE &&
                   strstr(rise_last_error(), "cuda backend: kernel launch: an illegal"),
               "a failure outside a capture is sticky: %s", rise_last_error());
    TEST_CHECK(rise_device_status_begin_capture(&d) == RISE_ERR_DEVICE &&
                   strstr(rise_last_error(), "no graph captured"),
               "no capture on a failed backend: %s", rise_last_error());
    TEST_CHECK(!d.capturing, "a refused capture does not start");
    rise_device_status_note(&d, "cudaMemcpyAsync", "later failure");
    TEST_CHECK(rise_device_status_report(&d) == RISE_ERR_DEVICE &&
                   strstr(rise_last_error(), "illegal") && !strstr(rise_last_error(), "later"),
               "the first sticky failure wins: %s", rise_last_error());

    /* parked before the capture began: noted first (as graph_begin does), so end_capture
     * of a clean capture reports nothing */
    rise_device_status_init(&d, "cuda");
    rise_device_status_note(&d, "kernel launch", "parked before the capture");
    TEST_CHECK(rise_device_status_begin_capture(&d) != RISE_OK, "the parked failure is sticky");
    rise_device_status_init(&d, "cuda");
    TEST_CHECK(rise_device_status_begin_capture(&d) == RISE_OK, "capture starts");
    TEST_CHECK(rise_device_status_end_capture(&d) == RISE_OK, "a clean capture succeeds");
    TEST_CHECK(rise_device_status_end_capture(&d) == RISE_OK,
               "end_capture without a capture reports nothing");

    /* a failure during a capture does not hide one that follows it outside */
    TEST_CHECK(rise_device_status_begin_capture(&d) == RISE_OK, "capture starts");
    rise_device_status_note(&d, "cudaGraphInstantiate", "not supported");
    (void)rise_device_status_end_capture(&d);
    rise_device_status_note(&d, "cudaGraphLaunch", "launch failure");
    TEST_CHECK(rise_device_status_report(&d) == RISE_ERR_DEVICE &&
                   strstr(rise_last_error(), "cudaGraphLaunch"),
               "after the capture, failures are sticky again: %s", rise_last_error());
    return test_finish();
}
