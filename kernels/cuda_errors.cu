/* cuda_errors.cu - storage for the first runtime failure parked by a kernel
 * launcher (see cuda_errors.h). A mutex keeps it safe when several threads
 * drive several backends; launch paths only take it on failure. */
#include <mutex>
#include <stdio.h>
#include <string.h>

#include "cuda_errors.h"

static std::mutex parked_mutex;
static int parked_set = 0;
static char parked_message[512];

extern "C" void rise_cuda_park_error(const char *file, int line, const char *what,
                                     const char *detail) {
    std::lock_guard<std::mutex> lock(parked_mutex);
    if (parked_set) return;
    snprintf(parked_message, sizeof parked_message, "%s:%d: %s: %s", file, line, what, detail);
    parked_set = 1;
}

extern "C" int rise_cuda_take_error(char *buf, size_t size) {
    std::lock_guard<std::mutex> lock(parked_mutex);
    if (!parked_set) return 0;
    if (buf && size) {
        strncpy(buf, parked_message, size - 1);
        buf[size - 1] = '\0';
    }
    parked_set = 0;
    return 1;
}
