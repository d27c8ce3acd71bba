/* paths.c - mkdir -p, absolute paths and stale temporaries (see paths.h). */
#define _POSIX_C_SOURCE 200809L
#include "host/paths.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

rise_status rise_mkdir_p(const char *dir) {
    if (!dir || !dir[0]) return rise_error(RISE_ERR_INVALID, "cannot create a folder: empty path");
    char *p = strdup(dir);
    if (!p) return rise_error(RISE_ERR_NOMEM, "out of memory");
    rise_status st = RISE_OK;
    for (char *s = p + 1;; ++s) {
        const char c = *s;
        if (c != '/' && c != '\0') continue;
        *s = '\0';
        struct stat sb;
        if (mkdir(p, 0775) != 0 && errno != EEXIST) {
            st =
                rise_error(RISE_ERR_IO, "%s: cannot create folder %s: %s", dir, p, strerror(errno));
            break;
        }
        if (stat(p, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            st = rise_error(RISE_ERR_IO,
                            "%s: %s exists and is not a folder (remove it or choose another path)",
                            dir, p);
            break;
        }
        *s = c;
        if (c == '\0') break;
    }
    free(p);
    return st;
}

rise_status rise_mkdir_parent(const char *file_path) {
    if (!file_path || !file_path[0])
        return rise_error(RISE_ERR_INVALID, "cannot write a file: empty path");
    const char *slash = strrchr(file_path, '/');
    if (!slash || slash == file_path) return RISE_OK; /* "f.h5" or "/f.h5" */
    char *dir = strndup(file_path, (size_t)(slash - file_path));
    if (!dir) return rise_error(RISE_ERR_NOMEM, "out of memory");
    const rise_status st = rise_mkdir_p(dir);
    free(dir);
    return st;
}

rise_status rise_path_absolute(const char *path, char *out, size_t size) {
    if (!path || !path[0]) return rise_error(RISE_ERR_INVALID, "empty path");
    int n;
    if (path[0] == '/') {
        n = snprintf(out, size, "%s", path);
    } else {
        char cwd[RISE_PATHS_MAX];
        if (!getcwd(cwd, sizeof cwd))
            return rise_error(RISE_ERR_IO, "%s: cannot make absolute: working folder unknown: %s",
                              path, strerror(errno));
        while (path[0] == '.' && path[1] == '/') {
            path += 2;
            while (path[0] == '/') ++path;
        }
        if (!strcmp(path, ".")) path = "";
        const size_t lc = strlen(cwd);
        n = snprintf(out, size, "%s%s%s", cwd, path[0] && cwd[lc - 1] != '/' ? "/" : "", path);
    }
    if (n < 0 || (size_t)n >= size)
        return rise_error(RISE_ERR_INVALID, "%s: the absolute path is longer than %zu characters",
                          path, size - 1);
    return RISE_OK;
}

rise_status rise_path_folder_absolute(const char *file_path, char *out, size_t size) {
    char dir[RISE_PATHS_MAX];
    if (snprintf(dir, sizeof dir, "%s", file_path) >= (int)sizeof dir)
        return rise_error(RISE_ERR_INVALID, "%s: path longer than %d characters", file_path,
                          RISE_PATHS_MAX - 1);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    return rise_path_absolute(dir, out, size);
}

/* The pid of "<base>.tmp.<digits>", or 0 when name is not such a file. */
static long temp_pid(const char *name, const char *base) {
    const size_t lb = strlen(base);
    if (strncmp(name, base, lb) != 0 || strncmp(name + lb, ".tmp.", 5) != 0) return 0;
    const char *digits = name + lb + 5;
    if (!digits[0] || strlen(digits) > 9) return 0;
    for (const char *c = digits; *c; ++c)
        if (*c < '0' || *c > '9') return 0;
    return strtol(digits, NULL, 10);
}

int rise_remove_stale_temps(const char *dir, const char *base) {
    DIR *d = opendir(dir && dir[0] ? dir : ".");
    if (!d) return 0;
    int removed = 0;
    for (struct dirent *e; (e = readdir(d));) {
        const long pid = temp_pid(e->d_name, base);
        if (pid <= 0) continue;
        /* kill(pid, 0) fails with ESRCH only when no such process exists; EPERM means it
         * lives under another user. */
        if ((pid_t)pid == getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char path[RISE_PATHS_MAX];
        const int n = snprintf(path, sizeof path, "%s/%s", dir && dir[0] ? dir : ".", e->d_name);
        if (n > 0 && (size_t)n < sizeof path && remove(path) == 0) ++removed;
    }
    closedir(d);
    return removed;
}
