/* text_file.c - whole-file reads for small text files (see text_file.h). */
#include "text_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

rise_status rise_read_text_file(const char *path, const char *what, size_t max_bytes,
                                int missing_ok, char **text, size_t *len) {
    *text = NULL;
    if (len) *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (missing_ok && errno == ENOENT) return RISE_OK;
        return rise_error(RISE_ERR_IO, "%s: cannot open the %s: %s", path, what, strerror(errno));
    }
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return rise_error(RISE_ERR_IO, "%s: the %s is not a seekable file", path, what);
    }
    if ((unsigned long)size > max_bytes) {
        fclose(f);
        return rise_error(RISE_ERR_IO, "%s: the %s has %ld bytes, more than the %zu allowed", path,
                          what, size, max_bytes);
    }
    char *buf = malloc((size_t)size + 1);
    if (!buf) {
        fclose(f);
        return rise_error(RISE_ERR_NOMEM, "%s: out of memory for the %s (%ld bytes)", path, what,
                          size);
    }
    const size_t got = fread(buf, 1, (size_t)size, f);
    const int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        return rise_error(RISE_ERR_IO, "%s: read error in the %s", path, what);
    }
    buf[got] = '\0';
    *text = buf;
    if (len) *len = got;
    return RISE_OK;
}
