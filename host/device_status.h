/* device_status.h - the error bookkeeping of a device backend, kept apart from CUDA so
 * its rules are plain C and tested on any machine (tests/cpu/test_device_status.c).
 *
 * Two slots, first failure wins in each:
 *   - the backend's sticky status: a failure of work that ran (or was issued to run);
 *     sync() reports it, now and every time after (a device fault leaves the CUDA
 *     context unusable);
 *   - the current capture's failure: anything noted between begin_capture and
 *     end_capture. Nothing a capture records runs, so its failure is not sticky:
 *     end_capture returns it once and the backend stays usable.
 * The CUDA backend (host/backend_cuda.c) notes every failed runtime call and every
 * failure a kernel launcher parked (kernels/cuda_errors.h) here; before a capture it
 * waits for the work already issued and notes that work's failures first, so they stay
 * the backend's and never become the capture's. */
#ifndef RISE_DEVICE_STATUS_H
#define RISE_DEVICE_STATUS_H

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_DEVICE_MESSAGE_MAX 512

typedef struct {
    char name[32];      /* the backend's, for messages */
    rise_status status; /* sticky: RISE_OK or RISE_ERR_DEVICE */
    char message[RISE_DEVICE_MESSAGE_MAX];
    int capturing;      /* between begin_capture and end_capture */
    int capture_failed; /* a failure was noted during this capture */
    char capture_message[RISE_DEVICE_MESSAGE_MAX];
} rise_device_status;

void rise_device_status_init(rise_device_status *d, const char *backend_name);
/* A failure: `what` failed with `detail`. Goes to the capture's slot while capturing,
 * else to the sticky one. */
void rise_device_status_note(rise_device_status *d, const char *what, const char *detail);
/* Starts a capture. Refuses (returns the sticky status through rise_error, and no capture
 * starts) when the backend has already failed. */
rise_status rise_device_status_begin_capture(rise_device_status *d);
/* Ends the capture: RISE_OK, or RISE_ERR_DEVICE with its first failure (through
 * rise_error); the capture slot is cleared either way and the sticky status untouched. */
rise_status rise_device_status_end_capture(rise_device_status *d);
/* The sticky status, as sync() returns it (with its message through rise_error). */
rise_status rise_device_status_report(const rise_device_status *d);

#ifdef __cplusplus
}
#endif
#endif
