/* h5util.c - checked HDF5 reads and writes shared by data/ and host/checkpoint (see h5util.h). */
#include "h5util.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rise_h5_quiet_begin(rise_h5_quiet *q) {
    H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void rise_h5_quiet_end(const rise_h5_quiet *q) { H5Eset_auto2(H5E_DEFAULT, q->func, q->data); }

typedef struct {
    char *buf;
    size_t n;
    int done;
} detail_walk;

static herr_t detail_cb(unsigned n, const H5E_error2_t *err, void *data) {
    detail_walk *w = data;
    (void)n;
    if (!w->done && err->desc && err->desc[0]) {
        snprintf(w->buf, w->n, "%s", err->desc);
        w->done = 1;
    }
    return 0;
}

const char *rise_h5_detail(char *buf, size_t n) {
    detail_walk w = {buf, n, 0};
    buf[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, detail_cb, &w);
    return buf;
}

rise_status rise_h5_open_read(const char *path, hid_t *file) {
    char detail[256];
    *file = H5I_INVALID_HID;
    FILE *f = fopen(path, "rb");
    if (!f) return rise_error(RISE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char sig[8] = {0};
    const size_t got = fread(sig, 1, sizeof sig, f);
    fseek(f, 0, SEEK_END);
    const long size = ftell(f);
    fclose(f);
    if (size == 0)
        return rise_error(RISE_ERR_FORMAT, "%s: the file is empty (expected HDF5)", path);
    const htri_t is = H5Fis_hdf5(path);
    if (is <= 0)
        return rise_error(RISE_ERR_FORMAT,
                          "%s: not an HDF5 file (no HDF5 signature; the first bytes are "
                          "%02x %02x %02x %02x)",
                          path, got > 0 ? sig[0] : 0, got > 1 ? sig[1] : 0, got > 2 ? sig[2] : 0,
                          got > 3 ? sig[3] : 0);
    /* STRONG close releases every object of a damaged file at H5Fclose. */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    *file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (*file < 0)
        return rise_error(RISE_ERR_FORMAT,
                          "%s: cannot open as HDF5 (%ld bytes; truncated or corrupt?): %s", path,
                          size, rise_h5_detail(detail, sizeof detail));
    return RISE_OK;
}

rise_status rise_h5_open_image(const void *buf, size_t len, hid_t *file) {
    char detail[256];
    *file = H5I_INVALID_HID;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fapl_core(fapl, 1 << 16, 0) < 0 ||
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0 ||
        H5Pset_file_image(fapl, (void *)buf, len) < 0) {
        if (fapl >= 0) H5Pclose(fapl);
        return rise_error(RISE_ERR_LIBRARY, "<memory>: cannot set up an in-memory HDF5 image: %s",
                          rise_h5_detail(detail, sizeof detail));
    }
    *file = H5Fopen("<memory>", H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (*file < 0)
        return rise_error(RISE_ERR_FORMAT, "<memory>: cannot open the %zu-byte image as HDF5: %s",
                          len, rise_h5_detail(detail, sizeof detail));
    return RISE_OK;
}

int rise_h5_exists(hid_t loc, const char *path) {
    char prefix[1024];
    const size_t len = strlen(path);
    if (len == 0 || len >= sizeof prefix) return 0;
    for (size_t i = 0; i <= len; ++i) {
        if (path[i] == '/' || path[i] == '\0') {
            if (i == 0) continue;
            memcpy(prefix, path, i);
            prefix[i] = '\0';
            if (H5Lexists(loc, prefix, H5P_DEFAULT) <= 0) return 0;
            /* Only groups may have children; H5Lexists would fail below a dataset. */
            if (path[i] == '/') {
                H5O_info_t oi;
                if (H5Oget_info_by_name2(loc, prefix, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0 ||
                    oi.type != H5O_TYPE_GROUP)
                    return 0;
            }
        }
    }
    return 1;
}

H5O_type_t rise_h5_object_type(hid_t loc, const char *path) {
    if (!rise_h5_exists(loc, path)) return H5O_TYPE_UNKNOWN;
    H5O_info_t oi;
    if (H5Oget_info_by_name2(loc, path, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
        return H5O_TYPE_UNKNOWN;
    return oi.type;
}

static void type_name(hid_t type, char *buf, size_t n) {
    const H5T_class_t cls = H5Tget_class(type);
    const size_t size = H5Tget_size(type);
    switch (cls) {
    case H5T_INTEGER:
        snprintf(buf, n, "%s%zu", H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int", size * 8);
        break;
    case H5T_FLOAT: snprintf(buf, n, "float%zu", size * 8); break;
    case H5T_STRING: snprintf(buf, n, "string"); break;
    case H5T_COMPOUND: snprintf(buf, n, "compound"); break;
    case H5T_ENUM: snprintf(buf, n, "enum%zu", size * 8); break;
    case H5T_ARRAY: snprintf(buf, n, "array"); break;
    case H5T_VLEN: snprintf(buf, n, "vlen"); break;
    case H5T_OPAQUE: snprintf(buf, n, "opaque"); break;
    case H5T_REFERENCE: snprintf(buf, n, "reference"); break;
    case H5T_BITFIELD: snprintf(buf, n, "bitfield"); break;
    default: snprintf(buf, n, "unknown type"); break;
    }
}

rise_status rise_h5_open_dataset(hid_t loc, const char *name, const char *file, const char *where,
                                 rise_h5_info *info, hid_t *out) {
    char detail[256];
    memset(info, 0, sizeof *info);
    *out = H5I_INVALID_HID;
    /* Open first (one lookup on the fast path); find out why only on failure. */
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0) {
        rise_h5_detail(detail, sizeof detail);
        const H5O_type_t ot = rise_h5_object_type(loc, name);
        if (ot == H5O_TYPE_UNKNOWN)
            return rise_error(RISE_ERR_FORMAT, "%s: missing dataset '%s'", file, where);
        if (ot != H5O_TYPE_DATASET)
            return rise_error(RISE_ERR_FORMAT, "%s: '%s' is a %s, expected a dataset", file, where,
                              ot == H5O_TYPE_GROUP ? "group" : "named type");
        return rise_error(RISE_ERR_FORMAT, "%s: cannot open dataset '%s': %s", file, where, detail);
    }
    rise_status st = RISE_OK;
    hid_t type = H5Dget_type(ds);
    hid_t space = H5Dget_space(ds);
    if (type < 0 || space < 0) {
        st = rise_error(RISE_ERR_FORMAT, "%s: cannot read the type or shape of '%s': %s", file,
                        where, rise_h5_detail(detail, sizeof detail));
        goto done;
    }
    info->cls = H5Tget_class(type);
    info->size = H5Tget_size(type);
    info->is_signed = info->cls == H5T_INTEGER && H5Tget_sign(type) != H5T_SGN_NONE;
    if (info->cls == H5T_ENUM) {
        hid_t super = H5Tget_super(type);
        if (super >= 0) {
            info->is_signed =
                H5Tget_class(super) == H5T_INTEGER && H5Tget_sign(super) != H5T_SGN_NONE;
            H5Tclose(super);
        }
    }
    type_name(type, info->type_name, sizeof info->type_name);
    const int rank = H5Sget_simple_extent_ndims(space);
    if (rank < 0 || rank > RISE_H5_MAX_RANK) {
        st = rise_error(RISE_ERR_FORMAT, "%s: '%s' has rank %d, at most %d supported", file, where,
                        rank, RISE_H5_MAX_RANK);
        goto done;
    }
    info->rank = rank;
    if (rank > 0 && H5Sget_simple_extent_dims(space, info->dims, NULL) < 0) {
        st = rise_error(RISE_ERR_FORMAT, "%s: cannot read the shape of '%s'", file, where);
        goto done;
    }
    /* Bounds that keep every later size computation far from overflow. */
    double elems = 1.0;
    for (int i = 0; i < rank; ++i) elems *= (double)info->dims[i];
    for (int i = 0; i < rank && st == RISE_OK; ++i)
        if (info->dims[i] > RISE_H5_MAX_DIM || elems > RISE_H5_MAX_ELEMS) {
            char buf[160];
            st = rise_error(RISE_ERR_FORMAT,
                            "%s: '%s' has shape %s: implausibly large (more than 2^40 rows or "
                            "2^42 values; corrupt file?)",
                            file, where, rise_h5_shape_str(info, buf, sizeof buf));
        }
done:
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    if (st != RISE_OK)
        H5Dclose(ds);
    else
        *out = ds;
    return st;
}

rise_status rise_h5_dataset_info(hid_t loc, const char *name, const char *file, const char *where,
                                 rise_h5_info *info) {
    hid_t ds;
    RISE_TRY(rise_h5_open_dataset(loc, name, file, where, info, &ds));
    H5Dclose(ds);
    return RISE_OK;
}

int rise_h5_is_numeric(const rise_h5_info *info) {
    return info->cls == H5T_INTEGER || info->cls == H5T_FLOAT ||
           (info->cls == H5T_ENUM && info->size <= 8);
}

const char *rise_h5_shape_str(const rise_h5_info *info, char *buf, size_t n) {
    size_t used = (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < info->rank && used < n; ++i)
        used += (size_t)snprintf(buf + used, n - used, "%s%llu", i ? ", " : "",
                                 (unsigned long long)info->dims[i]);
    if (info->rank == 1 && used < n) used += (size_t)snprintf(buf + used, n - used, ",");
    if (used < n) snprintf(buf + used, n - used, ")");
    return buf;
}

/* Enums (h5py stores numpy bool as an int8 enum) have no HDF5 conversion to
 * numbers: read the raw base integers and convert here. */
static double enum_value(const unsigned char *p, size_t size, int is_signed) {
    switch (size) {
    case 1: return is_signed ? (double)*(const int8_t *)p : (double)*p;
    case 2: {
        int16_t s;
        uint16_t u;
        memcpy(&s, p, 2);
        memcpy(&u, p, 2);
        return is_signed ? (double)s : (double)u;
    }
    case 4: {
        int32_t s;
        uint32_t u;
        memcpy(&s, p, 4);
        memcpy(&u, p, 4);
        return is_signed ? (double)s : (double)u;
    }
    default: {
        int64_t s;
        uint64_t u;
        memcpy(&s, p, 8);
        memcpy(&u, p, 8);
        return is_signed ? (double)s : (double)u;
    }
    }
}

static rise_status read_open(hid_t ds, const rise_h5_info *info, const char *file,
                             const char *where, void *out, size_t count, int as_double) {
    char detail[256], shape[128];
    if (!rise_h5_is_numeric(info))
        return rise_error(RISE_ERR_FORMAT, "%s: '%s' has type %s, expected a numeric dataset", file,
                          where, info->type_name);
    size_t npoints = 1; /* bounded by rise_h5_open_dataset */
    for (int i = 0; i < info->rank; ++i) npoints *= (size_t)info->dims[i];
    if (npoints != count)
        return rise_error(RISE_ERR_FORMAT,
                          "%s: '%s' has shape %s (%zu values), expected %zu values", file, where,
                          rise_h5_shape_str(info, shape, sizeof shape), npoints, count);
    if (count == 0) return RISE_OK;
    herr_t rc;
    if (info->cls == H5T_ENUM) {
        hid_t ft = H5Dget_type(ds);
        hid_t mt = ft >= 0 ? H5Tget_native_type(ft, H5T_DIR_DEFAULT) : -1;
        unsigned char *raw = malloc(count * info->size);
        rc = -1;
        if (mt >= 0 && raw && H5Tget_size(mt) == info->size)
            rc = H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw);
        if (rc >= 0)
            for (size_t i = 0; i < count; ++i) {
                const double v = enum_value(raw + i * info->size, info->size, info->is_signed);
                if (as_double)
                    ((double *)out)[i] = v;
                else
                    ((float *)out)[i] = (float)v;
            }
        free(raw);
        if (mt >= 0) H5Tclose(mt);
        if (ft >= 0) H5Tclose(ft);
    } else if (!as_double && info->cls == H5T_FLOAT && info->size == 8) {
        /* robomimic stores float64: reading doubles and narrowing here is several
         * times faster than HDF5's own float64 -> float32 conversion path. */
        double *tmp = malloc(count * sizeof *tmp);
        rc = tmp ? H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp) : -1;
        if (rc >= 0)
            for (size_t i = 0; i < count; ++i) {
                const double v = tmp[i]; /* beyond float range -> +-Inf (then refused) */
                ((float *)out)[i] = v > FLT_MAX ? INFINITY : v < -FLT_MAX ? -INFINITY : (float)v;
            }
        free(tmp);
    } else {
        rc = H5Dread(ds, as_double ? H5T_NATIVE_DOUBLE : H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL,
                     H5P_DEFAULT, out);
    }
    if (rc < 0)
        return rise_error(RISE_ERR_FORMAT,
                          "%s: reading '%s' (%s, shape %s) failed: %s (the file may be truncated "
                          "or corrupt)",
                          file, where, info->type_name,
                          rise_h5_shape_str(info, shape, sizeof shape),
                          rise_h5_detail(detail, sizeof detail));
    return RISE_OK;
}

rise_status rise_h5_read_open_f32(hid_t ds, const rise_h5_info *info, const char *file,
                                  const char *where, float *out, size_t count) {
    return read_open(ds, info, file, where, out, count, 0);
}

static rise_status read_numeric(hid_t loc, const char *name, const char *file, const char *where,
                                void *out, size_t count, int as_double) {
    rise_h5_info info;
    hid_t ds;
    RISE_TRY(rise_h5_open_dataset(loc, name, file, where, &info, &ds));
    const rise_status st = read_open(ds, &info, file, where, out, count, as_double);
    H5Dclose(ds);
    return st;
}

rise_status rise_h5_read_f32(hid_t loc, const char *name, const char *file, const char *where,
                             float *out, size_t count) {
    return read_numeric(loc, name, file, where, out, count, 0);
}

rise_status rise_h5_read_f64(hid_t loc, const char *name, const char *file, const char *where,
                             double *out, size_t count) {
    return read_numeric(loc, name, file, where, out, count, 1);
}

static rise_status open_attr(hid_t obj, const char *attr, const char *file, const char *where,
                             hid_t *a, hid_t *type, hssize_t *npoints) {
    char detail[256];
    *a = *type = H5I_INVALID_HID;
    const htri_t ex = H5Aexists(obj, attr);
    if (ex <= 0)
        return rise_error(RISE_ERR_FORMAT, "%s: missing attribute '%s' on '%s'", file, attr, where);
    *a = H5Aopen(obj, attr, H5P_DEFAULT);
    if (*a < 0)
        return rise_error(RISE_ERR_FORMAT, "%s: cannot open attribute '%s' on '%s': %s", file, attr,
                          where, rise_h5_detail(detail, sizeof detail));
    *type = H5Aget_type(*a);
    hid_t space = H5Aget_space(*a);
    *npoints = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if (space >= 0) H5Sclose(space);
    if (*type < 0 || *npoints < 0) {
        if (*type >= 0) H5Tclose(*type);
        H5Aclose(*a);
        *a = *type = H5I_INVALID_HID;
        return rise_error(RISE_ERR_FORMAT, "%s: cannot read attribute '%s' on '%s': %s", file, attr,
                          where, rise_h5_detail(detail, sizeof detail));
    }
    return RISE_OK;
}

rise_status rise_h5_read_attr_i64(hid_t obj, const char *attr, const char *file, const char *where,
                                  int64_t *out) {
    char detail[256], tname[32];
    hid_t a, type;
    hssize_t np = 0;
    RISE_TRY(open_attr(obj, attr, file, where, &a, &type, &np));
    rise_status st = RISE_OK;
    const H5T_class_t cls = H5Tget_class(type);
    type_name(type, tname, sizeof tname);
    if (np != 1) {
        st = rise_error(RISE_ERR_FORMAT, "%s: attribute '%s' on '%s' holds %lld values, expected 1",
                        file, attr, where, (long long)np);
    } else if (cls == H5T_INTEGER) {
        long long v = 0;
        if (H5Aread(a, H5T_NATIVE_LLONG, &v) < 0)
            st = rise_error(RISE_ERR_FORMAT, "%s: reading attribute '%s' on '%s' failed: %s", file,
                            attr, where, rise_h5_detail(detail, sizeof detail));
        *out = v;
    } else if (cls == H5T_FLOAT) {
        double v = 0;
        if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0)
            st = rise_error(RISE_ERR_FORMAT, "%s: reading attribute '%s' on '%s' failed: %s", file,
                            attr, where, rise_h5_detail(detail, sizeof detail));
        else if (!(v == floor(v) && fabs(v) < 9e15))
            st =
                rise_error(RISE_ERR_FORMAT, "%s: attribute '%s' on '%s' is %g, expected an integer",
                           file, attr, where, v);
        *out = (int64_t)v;
    } else {
        st = rise_error(RISE_ERR_FORMAT,
                        "%s: attribute '%s' on '%s' has type %s, expected an integer", file, attr,
                        where, tname);
    }
    H5Tclose(type);
    H5Aclose(a);
    return st;
}

rise_status rise_h5_read_attr_string(hid_t obj, const char *attr, const char *file,
                                     const char *where, char **out) {
    char detail[256], tname[32];
    hid_t a, type;
    hssize_t np = 0;
    *out = NULL;
    RISE_TRY(open_attr(obj, attr, file, where, &a, &type, &np));
    rise_status st = RISE_OK;
    type_name(type, tname, sizeof tname);
    if (H5Tget_class(type) != H5T_STRING) {
        st =
            rise_error(RISE_ERR_FORMAT, "%s: attribute '%s' on '%s' has type %s, expected a string",
                       file, attr, where, tname);
    } else if (np != 1) {
        st =
            rise_error(RISE_ERR_FORMAT, "%s: attribute '%s' on '%s' holds %lld strings, expected 1",
                       file, attr, where, (long long)np);
    } else if (H5Tis_variable_str(type) > 0) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(type));
        char *s = NULL;
        if (H5Aread(a, mt, &s) < 0 || !s) {
            st = rise_error(RISE_ERR_FORMAT, "%s: reading attribute '%s' on '%s' failed: %s", file,
                            attr, where, rise_h5_detail(detail, sizeof detail));
        } else {
            *out = strdup(s);
            H5free_memory(s);
        }
        H5Tclose(mt);
    } else {
        const size_t size = H5Tget_size(type);
        char *s = calloc(size + 1, 1);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, size ? size : 1);
        H5Tset_strpad(mt, H5T_STR_NULLPAD);
        if (!s || H5Aread(a, mt, s) < 0) {
            st = rise_error(RISE_ERR_FORMAT, "%s: reading attribute '%s' on '%s' failed: %s", file,
                            attr, where, rise_h5_detail(detail, sizeof detail));
            free(s);
        } else {
            *out = s;
        }
        H5Tclose(mt);
    }
    if (st == RISE_OK && !*out) st = rise_error(RISE_ERR_NOMEM, "out of memory");
    H5Tclose(type);
    H5Aclose(a);
    return st;
}

void rise_h5_free_strings(char **s, int64_t count) {
    if (!s) return;
    for (int64_t i = 0; i < count; ++i) free(s[i]);
    free(s);
}

rise_status rise_h5_read_strings(hid_t loc, const char *name, const char *file, const char *where,
                                 char ***out, int64_t *count) {
    char detail[256], shape[128];
    rise_h5_info info;
    *out = NULL;
    *count = 0;
    RISE_TRY(rise_h5_dataset_info(loc, name, file, where, &info));
    if (info.cls != H5T_STRING)
        return rise_error(RISE_ERR_FORMAT, "%s: '%s' has type %s, expected strings (demo names)",
                          file, where, info.type_name);
    if (info.rank > 1)
        return rise_error(RISE_ERR_FORMAT, "%s: '%s' has shape %s, expected a 1-D list of names",
                          file, where, rise_h5_shape_str(&info, shape, sizeof shape));
    const size_t n = info.rank == 0 ? 1 : (size_t)info.dims[0];
    if (n > ((size_t)1 << 28))
        return rise_error(RISE_ERR_FORMAT, "%s: '%s' lists %zu names, implausibly many", file,
                          where, n);
    char **list = calloc(n ? n : 1, sizeof *list);
    if (!list) return rise_error(RISE_ERR_NOMEM, "out of memory for '%s'", where);
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t ft = ds >= 0 ? H5Dget_type(ds) : -1;
    rise_status st = RISE_OK;
    if (ft < 0) {
        st = rise_error(RISE_ERR_FORMAT, "%s: cannot open '%s': %s", file, where,
                        rise_h5_detail(detail, sizeof detail));
    } else if (n == 0) {
        /* nothing to read */
    } else if (H5Tis_variable_str(ft) > 0) {
        char **raw = calloc(n, sizeof *raw);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(ft));
        if (!raw || H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
            st = rise_error(RISE_ERR_FORMAT, "%s: reading '%s' failed: %s", file, where,
                            rise_h5_detail(detail, sizeof detail));
        } else {
            for (size_t i = 0; i < n; ++i) {
                list[i] = strdup(raw[i] ? raw[i] : "");
                if (raw[i]) H5free_memory(raw[i]);
                if (!list[i]) st = rise_error(RISE_ERR_NOMEM, "out of memory");
            }
        }
        free(raw);
        H5Tclose(mt);
    } else {
        const size_t size = H5Tget_size(ft);
        char *raw = size ? calloc(n, size) : NULL;
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, size ? size : 1);
        H5Tset_strpad(mt, H5T_STR_NULLPAD);
        if (!raw || H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
            st = rise_error(RISE_ERR_FORMAT, "%s: reading '%s' failed: %s", file, where,
                            rise_h5_detail(detail, sizeof detail));
        } else {
            for (size_t i = 0; i < n; ++i) {
                size_t len = 0;
                while (len < size && raw[i * size + len]) ++len;
                while (len > 0 && raw[i * size + len - 1] == ' ') --len; /* space-padded */
                list[i] = malloc(len + 1);
                if (!list[i]) {
                    st = rise_error(RISE_ERR_NOMEM, "out of memory");
                    break;
                }
                memcpy(list[i], raw + i * size, len);
                list[i][len] = '\0';
            }
        }
        free(raw);
        H5Tclose(mt);
    }
    if (ft >= 0) H5Tclose(ft);
    if (ds >= 0) H5Dclose(ds);
    if (st != RISE_OK) {
        rise_h5_free_strings(list, (int64_t)n);
        return st;
    }
    *out = list;
    *count = (int64_t)n;
    return RISE_OK;
}

hid_t rise_h5_file_create(const char *path) {
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE); /* also the root group's properties */
    if (fcpl < 0) return H5I_INVALID_HID;
    H5Pset_obj_track_times(fcpl, 0);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    return f;
}

hid_t rise_h5_group_create(hid_t loc, const char *name) {
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    if (gcpl < 0) return H5I_INVALID_HID;
    H5Pset_obj_track_times(gcpl, 0);
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    return g;
}

hid_t rise_h5_dcpl(void) {
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl >= 0) H5Pset_obj_track_times(dcpl, 0);
    return dcpl;
}

static rise_status write_data(hid_t loc, const char *name, int rank, const hsize_t *dims,
                              hid_t file_type, hid_t mem_type, const void *data, const char *file) {
    char detail[256];
    hid_t space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = rise_h5_dcpl();
    hid_t ds = space >= 0 && dcpl >= 0
                   ? H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)
                   : -1;
    if (dcpl >= 0) H5Pclose(dcpl);
    size_t count = 1;
    for (int i = 0; i < rank; ++i) count *= (size_t)dims[i];
    herr_t rc = ds >= 0 ? 0 : -1;
    if (ds >= 0 && count > 0) rc = H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (ds >= 0) H5Dclose(ds);
    if (space >= 0) H5Sclose(space);
    if (rc < 0)
        return rise_error(RISE_ERR_IO, "%s: writing dataset '%s' failed: %s", file, name,
                          rise_h5_detail(detail, sizeof detail));
    return RISE_OK;
}

rise_status rise_h5_write_f32(hid_t loc, const char *name, int rank, const hsize_t *dims,
                              const float *data, const char *file) {
    return write_data(loc, name, rank, dims, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, data, file);
}

rise_status rise_h5_write_f64(hid_t loc, const char *name, int rank, const hsize_t *dims,
                              const double *data, const char *file) {
    return write_data(loc, name, rank, dims, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, data, file);
}

rise_status rise_h5_write_i64(hid_t loc, const char *name, int rank, const hsize_t *dims,
                              const int64_t *data, const char *file) {
    return write_data(loc, name, rank, dims, H5T_STD_I64LE, H5T_NATIVE_INT64, data, file);
}

rise_status rise_h5_write_attr_i64(hid_t obj, const char *attr, int64_t value, const char *file) {
    char detail[256];
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, attr, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a >= 0 ? H5Awrite(a, H5T_NATIVE_INT64, &value) : -1;
    if (a >= 0) H5Aclose(a);
    H5Sclose(space);
    if (rc < 0)
        return rise_error(RISE_ERR_IO, "%s: writing attribute '%s' failed: %s", file, attr,
                          rise_h5_detail(detail, sizeof detail));
    return RISE_OK;
}

rise_status rise_h5_write_attr_string(hid_t obj, const char *attr, const char *value,
                                      const char *file) {
    char detail[256];
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, attr, type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a >= 0 ? H5Awrite(a, type, &value) : -1;
    if (a >= 0) H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
    if (rc < 0)
        return rise_error(RISE_ERR_IO, "%s: writing attribute '%s' failed: %s", file, attr,
                          rise_h5_detail(detail, sizeof detail));
    return RISE_OK;
}

rise_status rise_h5_write_strings(hid_t loc, const char *name, const char *const *s, int64_t count,
                                  const char *file) {
    size_t width = 1;
    for (int64_t i = 0; i < count; ++i)
        if (strlen(s[i]) > width) width = strlen(s[i]);
    char *buf = calloc((size_t)(count > 0 ? count : 1), width);
    if (!buf) return rise_error(RISE_ERR_NOMEM, "out of memory writing '%s'", name);
    for (int64_t i = 0; i < count; ++i) memcpy(buf + (size_t)i * width, s[i], strlen(s[i]));
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, width);
    H5Tset_strpad(type, H5T_STR_NULLPAD); /* numpy 'S' arrays */
    const hsize_t dims[1] = {(hsize_t)count};
    rise_status st = write_data(loc, name, 1, dims, type, type, buf, file);
    H5Tclose(type);
    free(buf);
    return st;
}
