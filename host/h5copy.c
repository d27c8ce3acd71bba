/* h5copy.c - object and attribute copies, in-place overwrites (see h5copy.h). */
#include "host/h5copy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/h5util.h"

typedef struct {
    hid_t dst;
    const char *const *skip;
    int n_skip;
    const char *file, *where;
    rise_status st;
} attr_walk;

static rise_status copy_one_attr(hid_t src, const char *name, attr_walk *w) {
    char detail[256];
    hid_t a = H5Aopen(src, name, H5P_DEFAULT);
    hid_t type = a >= 0 ? H5Aget_type(a) : H5I_INVALID_HID;
    hid_t space = a >= 0 ? H5Aget_space(a) : H5I_INVALID_HID;
    rise_status st = RISE_OK;
    void *buf = NULL;
    int vlen = 0;
    if (a < 0 || type < 0 || space < 0) {
        st = rise_error(RISE_ERR_FORMAT, "%s: cannot open attribute '%s' of '%s': %s", w->file,
                        name, w->where, rise_h5_detail(detail, sizeof detail));
        goto done;
    }
    const hssize_t n = H5Sget_simple_extent_npoints(space);
    const size_t size = H5Tget_size(type);
    vlen = H5Tdetect_class(type, H5T_VLEN) > 0 ||
           (H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) > 0);
    buf = calloc((size_t)(n > 0 ? n : 1), size ? size : 1);
    if (!buf) {
        st = rise_error(RISE_ERR_NOMEM, "%s: out of memory copying attribute '%s' of '%s'", w->file,
                        name, w->where);
        goto done;
    }
    /* Read in the file's own type: the bytes (or, for variable-length data, the pointers
     * HDF5 allocates) are written back unchanged. */
    if (H5Aread(a, type, buf) < 0) {
        st = rise_error(RISE_ERR_FORMAT, "%s: cannot read attribute '%s' of '%s': %s", w->file,
                        name, w->where, rise_h5_detail(detail, sizeof detail));
        vlen = 0;
        goto done;
    }
    if (H5Aexists(w->dst, name) > 0) H5Adelete(w->dst, name);
    hid_t b = H5Acreate2(w->dst, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (b < 0 || H5Awrite(b, type, buf) < 0)
        st = rise_error(RISE_ERR_IO, "%s: cannot copy attribute '%s' of '%s': %s", w->file, name,
                        w->where, rise_h5_detail(detail, sizeof detail));
    if (b >= 0) H5Aclose(b);
done:
    if (vlen) H5Dvlen_reclaim(type, space, H5P_DEFAULT, buf);
    free(buf);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    if (a >= 0) H5Aclose(a);
    return st;
}

static herr_t attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data) {
    attr_walk *w = data;
    (void)info;
    for (int i = 0; i < w->n_skip; ++i)
        if (!strcmp(name, w->skip[i])) return 0;
    w->st = copy_one_attr(loc, name, w);
    return w->st == RISE_OK ? 0 : 1;
}

rise_status rise_h5_copy_attrs(hid_t src, hid_t dst, const char *const *skip, int n_skip,
                               const char *file, const char *where) {
    char detail[256];
    attr_walk w = {dst, skip, n_skip, file, where, RISE_OK};
    hsize_t idx = 0;
    const herr_t rc = H5Aiterate2(src, H5_INDEX_NAME, H5_ITER_INC, &idx, attr_cb, &w);
    if (w.st != RISE_OK) return w.st;
    if (rc < 0)
        return rise_error(RISE_ERR_FORMAT, "%s: cannot list the attributes of '%s': %s", file,
                          where, rise_h5_detail(detail, sizeof detail));
    return RISE_OK;
}

rise_status rise_h5_copy_object(hid_t src_loc, const char *src_name, hid_t dst_loc,
                                const char *dst_name, const char *file, const char *where) {
    char detail[256];
    if (H5Ocopy(src_loc, src_name, dst_loc, dst_name, H5P_DEFAULT, H5P_DEFAULT) < 0)
        return rise_error(RISE_ERR_IO, "%s: cannot copy '%s': %s", file, where,
                          rise_h5_detail(detail, sizeof detail));
    return RISE_OK;
}

/* The enum member holding integer v, as the enum's native bytes; 0 when v is no member. */
static int enum_bytes(hid_t mem_enum, long long v, unsigned char *out, size_t size) {
    const int members = H5Tget_nmembers(mem_enum);
    for (int m = 0; m < members; ++m) {
        unsigned char val[16] = {0};
        if (size > sizeof val || H5Tget_member_value(mem_enum, (unsigned)m, val) < 0) return 0;
        long long x = 0;
        const int is_signed = H5Tget_sign(mem_enum) == H5T_SGN_2;
        switch (size) {
        case 1: x = is_signed ? (long long)*(int8_t *)val : (long long)*(uint8_t *)val; break;
        case 2: x = is_signed ? (long long)*(int16_t *)val : (long long)*(uint16_t *)val; break;
        case 4: x = is_signed ? (long long)*(int32_t *)val : (long long)*(uint32_t *)val; break;
        case 8: x = is_signed ? (long long)*(int64_t *)val : (long long)*(uint64_t *)val; break;
        default: return 0;
        }
        if (x == v) {
            memcpy(out, val, size);
            return 1;
        }
    }
    return 0;
}

rise_status rise_h5_overwrite(hid_t loc, const char *name, const double *values, int64_t n,
                              const char *file, const char *where) {
    char detail[256];
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0)
        return rise_error(RISE_ERR_FORMAT, "%s: cannot open dataset '%s': %s", file, where,
                          rise_h5_detail(detail, sizeof detail));
    hid_t ftype = H5Dget_type(ds), space = H5Dget_space(ds);
    const H5T_class_t cls = H5Tget_class(ftype);
    const hssize_t count = H5Sget_simple_extent_npoints(space);
    rise_status st = RISE_OK;
    hid_t mtype = H5I_INVALID_HID;
    unsigned char *buf = NULL;
    if (count != n) {
        st = rise_error(RISE_ERR_FORMAT, "%s: '%s' holds %lld values, expected %lld", file, where,
                        (long long)count, (long long)n);
    } else if (cls == H5T_FLOAT) {
        st = H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) < 0
                 ? rise_error(RISE_ERR_IO, "%s: cannot write '%s': %s", file, where,
                              rise_h5_detail(detail, sizeof detail))
                 : RISE_OK;
    } else if (cls == H5T_INTEGER || cls == H5T_ENUM) {
        for (int64_t i = 0; i < n && st == RISE_OK; ++i)
            if (values[i] != floor(values[i]) || fabs(values[i]) > 9e15)
                st = rise_error(RISE_ERR_INVALID,
                                "%s: '%s' has an integer type, so %g (row %lld) cannot be stored "
                                "in it",
                                file, where, values[i], (long long)i);
        if (st == RISE_OK && cls == H5T_INTEGER) {
            int64_t *v = malloc((size_t)(n ? n : 1) * sizeof *v);
            if (!v) st = rise_error(RISE_ERR_NOMEM, "out of memory");
            for (int64_t i = 0; v && i < n; ++i) v[i] = (int64_t)values[i];
            if (v && H5Dwrite(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
                st = rise_error(RISE_ERR_IO, "%s: cannot write '%s': %s", file, where,
                                rise_h5_detail(detail, sizeof detail));
            free(v);
        } else if (st == RISE_OK) {
            mtype = H5Tget_native_type(ftype, H5T_DIR_ASCEND);
            const size_t size = mtype >= 0 ? H5Tget_size(mtype) : 0;
            buf = size ? malloc((size_t)(n ? n : 1) * size) : NULL;
            if (!buf) st = rise_error(RISE_ERR_NOMEM, "out of memory");
            for (int64_t i = 0; st == RISE_OK && i < n; ++i)
                if (!enum_bytes(mtype, (long long)values[i], buf + (size_t)i * size, size))
                    st = rise_error(RISE_ERR_INVALID,
                                    "%s: '%s' is an enum with no member of value %g (row %lld)",
                                    file, where, values[i], (long long)i);
            if (st == RISE_OK && H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
                st = rise_error(RISE_ERR_IO, "%s: cannot write '%s': %s", file, where,
                                rise_h5_detail(detail, sizeof detail));
        }
    } else {
        st = rise_error(RISE_ERR_FORMAT, "%s: '%s' is not a numeric dataset", file, where);
    }
    free(buf);
    if (mtype >= 0) H5Tclose(mtype);
    H5Tclose(ftype);
    H5Sclose(space);
    H5Dclose(ds);
    return st;
}
