/* checkpoint.c - atomic HDF5 checkpoints (see checkpoint.h). */
#include "host/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/h5util.h"

#define CKPT_NAME_MAX 1024

/* ---------------------------------------------------------------- writer */

static void writer_release(rise_ckpt_writer *w) {
    for (int i = 0; i < w->n_groups; ++i) H5Gclose(w->groups[i]);
    if (w->open && w->file >= 0) H5Fclose(w->file);
    free(w->groups);
    free(w->path);
    free(w->tmp_path);
    free(w->error_msg);
    memset(w, 0, sizeof *w);
    w->file = H5I_INVALID_HID;
}

/* Remembers the first failure so commit refuses; returns st. */
static rise_status fail(rise_ckpt_writer *w, rise_status st) {
    if (w->error == RISE_OK) {
        w->error = st;
        free(w->error_msg);
        w->error_msg = strdup(rise_last_error());
    }
    return st;
}

static int valid_name(const char *name) {
    const size_t len = strlen(name);
    if (len == 0 || len >= CKPT_NAME_MAX || name[0] == '/' || name[len - 1] == '/') return 0;
    return strstr(name, "//") == NULL;
}

/* Opens (creating as needed) the group made of the first len characters of
 * path, every component with time stamps off. *out is the file id itself
 * when len is 0; otherwise close it with H5Gclose. */
static rise_status ensure_group(rise_ckpt_writer *w, const char *path, size_t len, hid_t *out) {
    char prefix[CKPT_NAME_MAX], detail[256];
    *out = w->file;
    if (len == 0) return RISE_OK;
    for (size_t i = 1; i <= len; ++i) {
        if (i < len && path[i] != '/') continue;
        memcpy(prefix, path, i);
        prefix[i] = '\0';
        const H5O_type_t t = rise_h5_object_type(w->file, prefix);
        if (t == H5O_TYPE_UNKNOWN) {
            hid_t g = rise_h5_group_create(w->file, prefix);
            if (g < 0)
                return rise_error(RISE_ERR_IO, "%s: cannot create group '%s': %s", w->tmp_path,
                                  prefix, rise_h5_detail(detail, sizeof detail));
            if (i < len)
                H5Gclose(g);
            else
                *out = g;
        } else if (t != H5O_TYPE_GROUP) {
            return rise_error(RISE_ERR_INVALID,
                              "%s: '%s' is already a dataset, so it cannot hold '%.*s'", w->path,
                              prefix, (int)len, path);
        } else if (i == len) {
            *out = H5Gopen2(w->file, prefix, H5P_DEFAULT);
            if (*out < 0)
                return rise_error(RISE_ERR_IO, "%s: cannot open group '%s': %s", w->tmp_path,
                                  prefix, rise_h5_detail(detail, sizeof detail));
        }
    }
    return RISE_OK;
}

static rise_status check_writer(rise_ckpt_writer *w, const char *name) {
    if (!w->open)
        return rise_error(RISE_ERR_INVALID,
                          "checkpoint: writing '%s' to a writer that is not open (begin first)",
                          name ? name : "(null)");
    if (!name || !valid_name(name))
        return fail(w, rise_error(RISE_ERR_INVALID,
                                  "%s: bad checkpoint name '%s' (expected a/b/c: non-empty "
                                  "components, no leading or trailing '/')",
                                  w->path, name ? name : "(null)"));
    return RISE_OK;
}

/* Creates dataset `name` (parents on demand) and writes it. */
static rise_status put_data(rise_ckpt_writer *w, const char *name, hid_t file_type, hid_t mem_type,
                            hid_t space, const void *data, int write) {
    char detail[256];
    const char *slash = strrchr(name, '/');
    const char *leaf = slash ? slash + 1 : name;
    hid_t parent;
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    rise_status st = ensure_group(w, name, slash ? (size_t)(slash - name) : 0, &parent);
    if (st == RISE_OK) {
        if (H5Lexists(parent, leaf, H5P_DEFAULT) > 0) {
            st = rise_error(RISE_ERR_INVALID, "%s: '%s' written twice", w->path, name);
        } else {
            hid_t dcpl = rise_h5_dcpl();
            hid_t ds = dcpl >= 0 ? H5Dcreate2(parent, leaf, file_type, space, H5P_DEFAULT, dcpl,
                                              H5P_DEFAULT)
                                 : H5I_INVALID_HID;
            herr_t rc = ds >= 0 ? 0 : -1;
            if (ds >= 0 && write) rc = H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
            if (rc < 0)
                st = rise_error(RISE_ERR_IO, "%s: writing '%s' to %s failed: %s", w->path, name,
                                w->tmp_path, rise_h5_detail(detail, sizeof detail));
            if (ds >= 0) H5Dclose(ds);
            if (dcpl >= 0) H5Pclose(dcpl);
        }
        if (parent != w->file) H5Gclose(parent);
    }
    rise_h5_quiet_end(&q);
    return st == RISE_OK ? RISE_OK : fail(w, st);
}

rise_status rise_ckpt_begin(rise_ckpt_writer *w, const char *final_path) {
    char detail[256];
    memset(w, 0, sizeof *w);
    w->file = H5I_INVALID_HID;
    if (!final_path || !final_path[0])
        return rise_error(RISE_ERR_INVALID, "checkpoint: empty path");
    const size_t n = strlen(final_path) + 32;
    w->path = strdup(final_path);
    w->tmp_path = malloc(n);
    if (!w->path || !w->tmp_path) {
        writer_release(w);
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    snprintf(w->tmp_path, n, "%s.tmp.%ld", final_path, (long)getpid());
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    w->file = rise_h5_file_create(w->tmp_path);
    rise_h5_quiet_end(&q);
    if (w->file < 0) {
        rise_status st = rise_error(RISE_ERR_IO, "%s: cannot create the temporary file %s: %s",
                                    final_path, w->tmp_path, rise_h5_detail(detail, sizeof detail));
        writer_release(w);
        return st;
    }
    w->open = 1;
    return RISE_OK;
}

rise_status rise_ckpt_put_floats(rise_ckpt_writer *w, const char *name, const float *data,
                                 int64_t n) {
    RISE_TRY(check_writer(w, name));
    if (n < 0 || (n > 0 && !data))
        return fail(w, rise_error(RISE_ERR_INVALID, "%s: '%s': %" PRId64 " floats from %s", w->path,
                                  name, n, data ? "memory" : "NULL"));
    const hsize_t dims[1] = {(hsize_t)n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    rise_status st = put_data(w, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, space, data, n > 0);
    H5Sclose(space);
    return st;
}

static rise_status put_scalar(rise_ckpt_writer *w, const char *name, hid_t file_type,
                              hid_t mem_type, const void *value) {
    RISE_TRY(check_writer(w, name));
    hid_t space = H5Screate(H5S_SCALAR);
    rise_status st = put_data(w, name, file_type, mem_type, space, value, 1);
    H5Sclose(space);
    return st;
}

rise_status rise_ckpt_put_u64(rise_ckpt_writer *w, const char *name, uint64_t value) {
    return put_scalar(w, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value);
}

rise_status rise_ckpt_put_i64(rise_ckpt_writer *w, const char *name, int64_t value) {
    return put_scalar(w, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

rise_status rise_ckpt_put_string(rise_ckpt_writer *w, const char *name, const char *text) {
    RISE_TRY(check_writer(w, name));
    if (!text) return fail(w, rise_error(RISE_ERR_INVALID, "%s: '%s': NULL string", w->path, name));
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    hid_t space = H5Screate(H5S_SCALAR);
    rise_status st = put_data(w, name, type, type, space, &text, 1);
    H5Sclose(space);
    H5Tclose(type);
    return st;
}

hid_t rise_ckpt_group(rise_ckpt_writer *w, const char *name) {
    if (!w->open) {
        rise_error(RISE_ERR_INVALID, "checkpoint: group '%s' of a writer that is not open",
                   name ? name : "(null)");
        return H5I_INVALID_HID;
    }
    if (name && !name[0]) return w->file;
    if (check_writer(w, name) != RISE_OK) return H5I_INVALID_HID;
    if (w->n_groups == w->cap_groups) {
        const int cap = w->cap_groups ? 2 * w->cap_groups : 8;
        hid_t *grown = realloc(w->groups, (size_t)cap * sizeof *grown);
        if (!grown) {
            fail(w, rise_error(RISE_ERR_NOMEM, "out of memory"));
            return H5I_INVALID_HID;
        }
        w->groups = grown;
        w->cap_groups = cap;
    }
    hid_t g;
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    rise_status st = ensure_group(w, name, strlen(name), &g);
    rise_h5_quiet_end(&q);
    if (st != RISE_OK) {
        fail(w, st);
        return H5I_INVALID_HID;
    }
    w->groups[w->n_groups++] = g;
    return g;
}

/* fsync of a file (or, with O_DIRECTORY, a directory) by path. */
static int fsync_path(const char *path, int dir) {
    const int fd = open(path, O_RDONLY | (dir ? O_DIRECTORY : 0));
    if (fd < 0) return -1;
    int rc = fsync(fd);
    /* Some file systems cannot sync directories; that is not a failure. */
    if (rc != 0 && dir && (errno == EINVAL || errno == EBADF)) rc = 0;
    const int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

rise_status rise_ckpt_commit(rise_ckpt_writer *w) {
    char detail[256];
    if (!w->open) return rise_error(RISE_ERR_INVALID, "checkpoint: commit without begin");
    rise_status st = RISE_OK;
    if (w->error != RISE_OK)
        st = rise_error(w->error, "%s not written (an earlier piece failed): %s", w->path,
                        w->error_msg ? w->error_msg : rise_status_name(w->error));
    for (int i = 0; i < w->n_groups; ++i) H5Gclose(w->groups[i]);
    w->n_groups = 0;
    /* An object the caller left open would keep the file open past
     * H5Fclose, so its last writes could miss the fsync and the rename. */
    const ssize_t left_open = H5Fget_obj_count(
        w->file, H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE | H5F_OBJ_ATTR | H5F_OBJ_LOCAL);
    if (st == RISE_OK && left_open > 0)
        st = rise_error(RISE_ERR_INVALID,
                        "%s not written: %lld HDF5 object(s) opened in it are still open "
                        "(close them before commit)",
                        w->path, (long long)left_open);
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    if (st == RISE_OK && H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0)
        st = rise_error(RISE_ERR_IO, "%s: flushing %s failed: %s", w->path, w->tmp_path,
                        rise_h5_detail(detail, sizeof detail));
    if (H5Fclose(w->file) < 0 && st == RISE_OK)
        st = rise_error(RISE_ERR_IO, "%s: closing %s failed: %s", w->path, w->tmp_path,
                        rise_h5_detail(detail, sizeof detail));
    rise_h5_quiet_end(&q);
    w->file = H5I_INVALID_HID;
    w->open = 0;
    if (st == RISE_OK && fsync_path(w->tmp_path, 0) != 0)
        st = rise_error(RISE_ERR_IO, "%s: fsync of %s failed: %s", w->path, w->tmp_path,
                        strerror(errno));
    if (st == RISE_OK && rename(w->tmp_path, w->path) != 0)
        st = rise_error(RISE_ERR_IO, "%s: cannot rename %s into place: %s", w->path, w->tmp_path,
                        strerror(errno));
    if (st == RISE_OK) {
        /* Make the rename itself durable: sync the containing directory. */
        char *dir = strdup(w->path);
        if (!dir) {
            st = rise_error(RISE_ERR_NOMEM, "out of memory");
        } else {
            char *slash = strrchr(dir, '/');
            const char *d = dir;
            if (!slash)
                d = ".";
            else if (slash == dir)
                slash[1] = '\0'; /* "/file" -> "/" */
            else
                *slash = '\0';
            if (fsync_path(d, 1) != 0)
                st = rise_error(RISE_ERR_IO, "%s: written, but fsync of directory %s failed: %s",
                                w->path, d, strerror(errno));
            free(dir);
        }
    } else {
        remove(w->tmp_path);
    }
    writer_release(w);
    return st;
}

void rise_ckpt_abort(rise_ckpt_writer *w) {
    if (!w || !w->open) return;
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    for (int i = 0; i < w->n_groups; ++i) H5Gclose(w->groups[i]);
    w->n_groups = 0;
    H5Fclose(w->file);
    rise_h5_quiet_end(&q);
    w->open = 0;
    remove(w->tmp_path);
    writer_release(w);
}

/* ---------------------------------------------------------------- reader */

rise_status rise_ckpt_open(rise_ckpt_reader *r, const char *path) {
    r->file = H5I_INVALID_HID;
    r->path = strdup(path ? path : "");
    if (!r->path) return rise_error(RISE_ERR_NOMEM, "out of memory");
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    rise_status st = rise_h5_open_read(r->path, &r->file);
    rise_h5_quiet_end(&q);
    if (st != RISE_OK) {
        free(r->path);
        r->path = NULL;
        r->file = H5I_INVALID_HID;
        return rise_error_context(st, "checkpoint: ");
    }
    return RISE_OK;
}

void rise_ckpt_close(rise_ckpt_reader *r) {
    if (!r) return;
    if (r->file >= 0 && r->path) H5Fclose(r->file);
    free(r->path);
    r->path = NULL;
    r->file = H5I_INVALID_HID;
}

hid_t rise_ckpt_loc(const rise_ckpt_reader *r) { return r->file; }

int rise_ckpt_has(const rise_ckpt_reader *r, const char *name) {
    if (!r->path || !name || !valid_name(name)) return 0;
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    const int has = rise_h5_exists(r->file, name);
    rise_h5_quiet_end(&q);
    return has;
}

/* Opens dataset `name`; errors say what was expected (`expect`). Quiet
 * mode must be on. */
static rise_status open_ds(const rise_ckpt_reader *r, const char *name, const char *expect,
                           rise_h5_info *info, hid_t *ds) {
    *ds = H5I_INVALID_HID;
    if (!r->path)
        return rise_error(RISE_ERR_INVALID, "checkpoint: reading '%s' of a closed reader",
                          name ? name : "(null)");
    if (!name || !valid_name(name))
        return rise_error(RISE_ERR_INVALID, "%s: bad checkpoint name '%s'", r->path,
                          name ? name : "(null)");
    const H5O_type_t t = rise_h5_object_type(r->file, name);
    if (t == H5O_TYPE_UNKNOWN)
        return rise_error(RISE_ERR_FORMAT, "%s: missing dataset '%s' (expected %s)", r->path, name,
                          expect);
    if (t != H5O_TYPE_DATASET)
        return rise_error(RISE_ERR_FORMAT, "%s: '%s' is a %s, expected a dataset of %s", r->path,
                          name, t == H5O_TYPE_GROUP ? "group" : "named type", expect);
    return rise_h5_open_dataset(r->file, name, r->path, name, info, ds);
}

static rise_status read_failed(const rise_ckpt_reader *r, const char *name) {
    char detail[256];
    return rise_error(RISE_ERR_FORMAT, "%s: reading '%s' failed (truncated or corrupt?): %s",
                      r->path, name, rise_h5_detail(detail, sizeof detail));
}

/* Opens a 1-D float32 dataset; n >= 0 demands that length. */
static rise_status open_floats(const rise_ckpt_reader *r, const char *name, int64_t n,
                               rise_h5_info *info, hid_t *ds) {
    char expect[64], shape[128];
    if (n >= 0)
        snprintf(expect, sizeof expect, "float32 [%" PRId64 "]", n);
    else
        snprintf(expect, sizeof expect, "float32 [n]");
    RISE_TRY(open_ds(r, name, expect, info, ds));
    rise_status st = RISE_OK;
    if (info->cls != H5T_FLOAT || info->size != 4)
        st = rise_error(RISE_ERR_FORMAT, "%s: '%s' is %s %s, expected %s", r->path, name,
                        info->type_name, rise_h5_shape_str(info, shape, sizeof shape), expect);
    else if (info->rank != 1)
        st = rise_error(RISE_ERR_FORMAT, "%s: '%s' has shape %s, expected %s (1-D)", r->path, name,
                        rise_h5_shape_str(info, shape, sizeof shape), expect);
    else if (n >= 0 && info->dims[0] != (hsize_t)n)
        st = rise_error(RISE_ERR_FORMAT, "%s: '%s' holds %llu floats, expected %" PRId64, r->path,
                        name, (unsigned long long)info->dims[0], n);
    if (st != RISE_OK) {
        H5Dclose(*ds);
        *ds = H5I_INVALID_HID;
    }
    return st;
}

rise_status rise_ckpt_get_floats(const rise_ckpt_reader *r, const char *name, float *out,
                                 int64_t n) {
    RISE_ASSERT(n >= 0 && (n == 0 || out), "rise_ckpt_get_floats: %lld values into %p",
                (long long)n, (void *)out);
    rise_h5_info info;
    hid_t ds;
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    rise_status st = open_floats(r, name, n, &info, &ds);
    if (st == RISE_OK) {
        if (n > 0 && H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
            st = read_failed(r, name);
        H5Dclose(ds);
    }
    rise_h5_quiet_end(&q);
    return st;
}

rise_status rise_ckpt_float_count(const rise_ckpt_reader *r, const char *name, int64_t *n) {
    rise_h5_info info;
    hid_t ds;
    *n = 0;
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    rise_status st = open_floats(r, name, -1, &info, &ds);
    if (st == RISE_OK) {
        *n = (int64_t)info.dims[0];
        H5Dclose(ds);
    }
    rise_h5_quiet_end(&q);
    return st;
}

/* A scalar (or one-element) dataset of class cls; errors name `expect`. */
static rise_status open_scalar(const rise_ckpt_reader *r, const char *name, H5T_class_t cls,
                               const char *expect, rise_h5_info *info, hid_t *ds) {
    char shape[128];
    RISE_TRY(open_ds(r, name, expect, info, ds));
    int64_t count = 1;
    for (int i = 0; i < info->rank; ++i) count *= (int64_t)info->dims[i];
    rise_status st = RISE_OK;
    if (info->cls != cls || (cls == H5T_INTEGER && info->size > 8))
        st = rise_error(RISE_ERR_FORMAT, "%s: '%s' is %s, expected %s", r->path, name,
                        info->type_name, expect);
    else if (count != 1)
        st = rise_error(RISE_ERR_FORMAT, "%s: '%s' has shape %s, expected a single %s", r->path,
                        name, rise_h5_shape_str(info, shape, sizeof shape), expect);
    if (st != RISE_OK) {
        H5Dclose(*ds);
        *ds = H5I_INVALID_HID;
    }
    return st;
}

/* Reads an integer scalar as signed (*s, *is_signed = 1) or unsigned (*u). */
static rise_status read_int(const rise_ckpt_reader *r, const char *name, const char *expect,
                            int64_t *s, uint64_t *u, int *is_signed) {
    rise_h5_info info;
    hid_t ds;
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    rise_status st = open_scalar(r, name, H5T_INTEGER, expect, &info, &ds);
    if (st == RISE_OK) {
        *is_signed = info.is_signed;
        const herr_t rc = info.is_signed
                              ? H5Dread(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, s)
                              : H5Dread(ds, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, u);
        if (rc < 0) st = read_failed(r, name);
        H5Dclose(ds);
    }
    rise_h5_quiet_end(&q);
    return st;
}

rise_status rise_ckpt_get_u64(const rise_ckpt_reader *r, const char *name, uint64_t *out) {
    int64_t s = 0;
    uint64_t u = 0;
    int is_signed = 0;
    *out = 0;
    RISE_TRY(read_int(r, name, "uint64 scalar", &s, &u, &is_signed));
    if (is_signed) {
        if (s < 0)
            return rise_error(RISE_ERR_FORMAT, "%s: '%s' is %" PRId64 ", expected a uint64 >= 0",
                              r->path, name, s);
        u = (uint64_t)s;
    }
    *out = u;
    return RISE_OK;
}

rise_status rise_ckpt_get_i64(const rise_ckpt_reader *r, const char *name, int64_t *out) {
    int64_t s = 0;
    uint64_t u = 0;
    int is_signed = 1;
    *out = 0;
    RISE_TRY(read_int(r, name, "int64 scalar", &s, &u, &is_signed));
    if (!is_signed) {
        if (u > (uint64_t)INT64_MAX)
            return rise_error(RISE_ERR_FORMAT,
                              "%s: '%s' is %" PRIu64 ", too large for the expected int64", r->path,
                              name, u);
        s = (int64_t)u;
    }
    *out = s;
    return RISE_OK;
}

rise_status rise_ckpt_get_string(const rise_ckpt_reader *r, const char *name, char **out) {
    rise_h5_info info;
    hid_t ds;
    *out = NULL;
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    rise_status st = open_scalar(r, name, H5T_STRING, "string", &info, &ds);
    if (st == RISE_OK) {
        hid_t ft = H5Dget_type(ds);
        hid_t mt = H5Tcopy(H5T_C_S1);
        if (ft >= 0 && H5Tis_variable_str(ft) > 0) {
            char *s = NULL;
            H5Tset_size(mt, H5T_VARIABLE);
            H5Tset_cset(mt, H5Tget_cset(ft));
            if (H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, &s) < 0) {
                st = read_failed(r, name);
            } else {
                *out = strdup(s ? s : "");
                if (s) H5free_memory(s);
            }
        } else if (ft >= 0) {
            const size_t size = H5Tget_size(ft);
            char *s = calloc(size + 1, 1);
            H5Tset_size(mt, size ? size : 1);
            H5Tset_strpad(mt, H5T_STR_NULLPAD);
            if (s && H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, s) < 0) {
                st = read_failed(r, name);
                free(s);
            } else {
                *out = s;
            }
        } else {
            st = read_failed(r, name);
        }
        if (st == RISE_OK && !*out) st = rise_error(RISE_ERR_NOMEM, "out of memory");
        H5Tclose(mt);
        if (ft >= 0) H5Tclose(ft);
        H5Dclose(ds);
    }
    rise_h5_quiet_end(&q);
    return st;
}
