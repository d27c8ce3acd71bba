/* error.c - thread-local error message buffer, warnings and fatal-error reporting. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char rise_error_message[2048];

rise_status rise_error(rise_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rise_error_message, sizeof rise_error_message, fmt, ap);
    va_end(ap);
    return status;
}

rise_status rise_error_context(rise_status status, const char *fmt, ...) {
    char prefix[1024];
    char old[sizeof rise_error_message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, rise_error_message, sizeof old);
    /* prefix first, then as much of the old message as still fits */
    const size_t cap = sizeof rise_error_message - 1;
    size_t np = strlen(prefix);
    if (np > cap) np = cap;
    size_t no = strlen(old);
    if (no > cap - np) no = cap - np;
    memcpy(rise_error_message, prefix, np);
    memcpy(rise_error_message + np, old, no);
    rise_error_message[np + no] = '\0';
    return status;
}

const char *rise_last_error(void) { return rise_error_message; }

void rise_error_clear(void) { rise_error_message[0] = '\0'; }

const char *rise_status_name(rise_status status) {
    switch (status) {
    case RISE_OK: return "ok";
    case RISE_ERR_INVALID: return "invalid argument";
    case RISE_ERR_IO: return "I/O error";
    case RISE_ERR_FORMAT: return "format error";
    case RISE_ERR_NOMEM: return "out of memory";
    case RISE_ERR_DEVICE: return "device error";
    case RISE_ERR_NO_DEVICE: return "no device";
    case RISE_ERR_NUMERIC: return "numeric error";
    case RISE_ERR_LIBRARY: return "library error";
    }
    return "unknown status";
}

static _Atomic long rise_warnings = 0;

void rise_warning(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "rise: warning: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    ++rise_warnings;
}

long rise_warning_count(void) { return rise_warnings; }

void rise_fatal(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "rise: fatal: %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}
