/* error.h - one error-reporting path for the whole library.
 *
 * Library functions return a rise_status and leave a human-readable message
 * (which file, which field, what was expected, what was found) that callers
 * read with rise_last_error(). Programmer errors (bad shapes, broken
 * preconditions) abort through RISE_ASSERT, which is always on. */
#ifndef RISE_ERROR_H
#define RISE_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    RISE_OK = 0,
    RISE_ERR_INVALID,   /* bad argument or configuration value */
    RISE_ERR_IO,        /* file missing, unreadable, unwritable */
    RISE_ERR_FORMAT,    /* file readable but its content is wrong */
    RISE_ERR_NOMEM,     /* host or device allocation failed */
    RISE_ERR_DEVICE,    /* CUDA / cuBLAS / NCCL runtime failure */
    RISE_ERR_NO_DEVICE, /* backend unavailable (not built, or no GPU) */
    RISE_ERR_NUMERIC,   /* NaN / Inf detected */
    RISE_ERR_LIBRARY,   /* HDF5, MPI, MuJoCo or another library failed */
} rise_status;

/* Records a formatted message (thread-local) and returns `status`, so
 * `return rise_error(RISE_ERR_FORMAT, "%s: ...", path);` reads naturally. */
rise_status rise_error(rise_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Prepends context to the current message ("loading run.h5: " + old). */
rise_status rise_error_context(rise_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

const char *rise_last_error(void);
const char *rise_status_name(rise_status status);
void rise_error_clear(void);

/* Prints "rise: warning: message" on stderr: something went wrong that the library worked
 * around (e.g. a failed CUDA graph capture, run without a graph instead). Counted, so
 * tests can see that a warning was given. */
void rise_warning(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
long rise_warning_count(void);

/* Prints "file:line: message" and aborts. Used for programmer errors. */
void rise_fatal(const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4), noreturn))
#endif
    ;

#define RISE_ASSERT(cond, ...)                                                                     \
    do {                                                                                           \
        if (!(cond)) rise_fatal(__FILE__, __LINE__, __VA_ARGS__);                                  \
    } while (0)

/* Propagates a non-OK status to the caller. */
#define RISE_TRY(expr)                                                                             \
    do {                                                                                           \
        rise_status rise_try_s_ = (expr);                                                          \
        if (rise_try_s_ != RISE_OK) return rise_try_s_;                                            \
    } while (0)

#ifdef __cplusplus
}
#endif
#endif
