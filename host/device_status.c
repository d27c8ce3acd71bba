/* device_status.c - the sticky and per-capture failure slots of a device backend (see
 * device_status.h). */
#include "device_status.h"

#include <stdio.h>
#include <string.h>

void rise_device_status_init(rise_device_status *d, const char *backend_name) {
    memset(d, 0, sizeof *d);
    d->status = RISE_OK;
    snprintf(d->name, sizeof d->name, "%s", backend_name);
}

void rise_device_status_note(rise_device_status *d, const char *what, const char *detail) {
    if (d->capturing) {
        if (d->capture_failed) return;
        d->capture_failed = 1;
        snprintf(d->capture_message, sizeof d->capture_message, "%s: %s", what, detail);
        return;
    }
    if (d->status != RISE_OK) return;
    d->status = RISE_ERR_DEVICE;
    snprintf(d->message, sizeof d->message, "%s backend: %s: %s", d->name, what, detail);
}

rise_status rise_device_status_begin_capture(rise_device_status *d) {
    if (d->status != RISE_OK)
        return rise_error(d->status, "%s (no graph captured on a failed backend)", d->message);
    d->capturing = 1;
    d->capture_failed = 0;
    d->capture_message[0] = '\0';
    return RISE_OK;
}

rise_status rise_device_status_end_capture(rise_device_status *d) {
    const int failed = d->capturing && d->capture_failed;
    d->capturing = 0;
    d->capture_failed = 0;
    if (!failed) return RISE_OK;
    return rise_error(RISE_ERR_DEVICE,
                      "%s backend: capturing a graph failed (nothing it recorded ran): %s", d->name,
                      d->capture_message);
}

rise_status rise_device_status_report(const rise_device_status *d) {
    if (d->status == RISE_OK) return RISE_OK;
    return rise_error(d->status, "%s", d->message);
}
