/* text_file.h - a whole small file (configs, specs, metrics, JSON metadata) read into one
 * NUL-terminated buffer, with the errors every reader of such files gives. */
#ifndef RISE_TEXT_FILE_H
#define RISE_TEXT_FILE_H

#include <stddef.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* *text = the file's bytes + '\0' (free() it), *len (may be NULL) = their count. Errors
 * name the file and `what` it is ("config", "sweep spec"): cannot open (with errno's
 * reason), larger than max_bytes, read error. With missing_ok a file that does not exist
 * is RISE_OK with *text = NULL. */
rise_status rise_read_text_file(const char *path, const char *what, size_t max_bytes,
                                int missing_ok, char **text, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
