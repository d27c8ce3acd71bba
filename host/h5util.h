/* h5util.h - the HDF5 calls data/ and checkpoints need, each checked, with errors that name
 * the file, the path inside it, what was expected and what was found.
 *
 * Used by data/ (the readers, writers and `rise data`) and host/checkpoint.c. HDF5's own error
 * stack printing is switched off while these run (rise_h5_quiet_begin/end);
 * its innermost message is appended to ours instead. */
#ifndef RISE_HOST_H5UTIL_H
#define RISE_HOST_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "host/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_H5_MAX_RANK 8
/* Datasets beyond these sizes are refused as corrupt (int64 arithmetic on
 * shapes then never overflows). */
#define RISE_H5_MAX_DIM   ((hsize_t)1 << 40)
#define RISE_H5_MAX_ELEMS 4398046511104.0 /* 2^42 */

/* Silences HDF5's automatic error printing; nests. */
typedef struct {
    H5E_auto2_t func;
    void *data;
} rise_h5_quiet;
void rise_h5_quiet_begin(rise_h5_quiet *q);
void rise_h5_quiet_end(const rise_h5_quiet *q);

/* The innermost HDF5 error description ("" when none) into buf. */
const char *rise_h5_detail(char *buf, size_t n);

/* Opens an existing file read-only; clear errors for missing, unreadable,
 * non-HDF5 and corrupt files. */
rise_status rise_h5_open_read(const char *path, hid_t *file);
/* Opens an in-memory file image read-only (the fuzzer, tests). */
rise_status rise_h5_open_image(const void *buf, size_t len, hid_t *file);

/* 1 when every component of `path` (relative to loc) exists, else 0. */
int rise_h5_exists(hid_t loc, const char *path);
/* H5O type of the object at path, or H5O_TYPE_UNKNOWN when absent. */
H5O_type_t rise_h5_object_type(hid_t loc, const char *path);

typedef struct {
    H5T_class_t cls;
    size_t size; /* bytes per element */
    int is_signed;
    int rank;
    hsize_t dims[RISE_H5_MAX_RANK];
    char type_name[32]; /* "float64", "int64", "string", ... */
} rise_h5_info;

/* Opens dataset `name` under loc and describes it (one lookup); close the
 * returned id with H5Dclose. Errors say missing / not a dataset / corrupt. */
rise_status rise_h5_open_dataset(hid_t loc, const char *name, const char *file, const char *where,
                                 rise_h5_info *info, hid_t *ds);
/* Reads an open dataset described by info (count values, checked). */
rise_status rise_h5_read_open_f32(hid_t ds, const rise_h5_info *info, const char *file,
                                  const char *where, float *out, size_t count);

/* Shape and type of dataset `name` under loc. */
rise_status rise_h5_dataset_info(hid_t loc, const char *name, const char *file, const char *where,
                                 rise_h5_info *info);

/* 1 for integer, float and integer-based enum (h5py bool) element types. */
int rise_h5_is_numeric(const rise_h5_info *info);

/* "(100, 7)" into buf. */
const char *rise_h5_shape_str(const rise_h5_info *info, char *buf, size_t n);

/* Reads a numeric dataset into `out` converted to float/double/uint8; `count`
 * is the element count the caller expects (checked). `where` is the path
 * inside the file for messages. */
rise_status rise_h5_read_f32(hid_t loc, const char *name, const char *file, const char *where,
                             float *out, size_t count);
rise_status rise_h5_read_f64(hid_t loc, const char *name, const char *file, const char *where,
                             double *out, size_t count);

/* Integer attribute (any integer or float type holding an integral value). */
rise_status rise_h5_read_attr_i64(hid_t obj, const char *attr, const char *file, const char *where,
                                  int64_t *out);
/* String attribute (fixed or variable length); *out is malloc'd. */
rise_status rise_h5_read_attr_string(hid_t obj, const char *attr, const char *file,
                                     const char *where, char **out);
/* 1-D dataset of strings (fixed or variable length), e.g. mask/<key>; each
 * string and the array are malloc'd (free with rise_h5_free_strings). */
rise_status rise_h5_read_strings(hid_t loc, const char *name, const char *file, const char *where,
                                 char ***out, int64_t *count);
void rise_h5_free_strings(char **s, int64_t count);

/* Object creation without time stamps. HDF5 stamps datasets (and, in newer
 * file formats, groups) with their creation time unless told otherwise, so
 * two writes of the same content would differ in a few bytes; every file,
 * group and dataset rise writes goes through these (or write_data in
 * h5util.c), so identical content gives byte-identical files. Each returns
 * the new id or a negative value (HDF5's error stack holds the reason). */
hid_t rise_h5_file_create(const char *path);
hid_t rise_h5_group_create(hid_t loc, const char *name);
/* A dataset creation property list with time tracking off (H5Pclose it). */
hid_t rise_h5_dcpl(void);

/* Writers (float32 / int64 / uint8 data, variable-length UTF-8 string
 * attributes as h5py writes Python str, fixed-length byte strings as numpy
 * 'S' arrays). */
rise_status rise_h5_write_f32(hid_t loc, const char *name, int rank, const hsize_t *dims,
                              const float *data, const char *file);
rise_status rise_h5_write_f64(hid_t loc, const char *name, int rank, const hsize_t *dims,
                              const double *data, const char *file);
rise_status rise_h5_write_i64(hid_t loc, const char *name, int rank, const hsize_t *dims,
                              const int64_t *data, const char *file);
rise_status rise_h5_write_attr_i64(hid_t obj, const char *attr, int64_t value, const char *file);
rise_status rise_h5_write_attr_string(hid_t obj, const char *attr, const char *value,
                                      const char *file);
rise_status rise_h5_write_strings(hid_t loc, const char *name, const char *const *s, int64_t count,
                                  const char *file);

#ifdef __cplusplus
}
#endif
#endif
