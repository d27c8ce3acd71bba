/* checkpoint.h - atomic, byte-reproducible HDF5 checkpoints made of named
 * pieces.
 *
 * Writing: begin a writer on the final path (it writes final_path.tmp.<pid>),
 * put pieces under slash-separated names (groups are created on demand),
 * then commit: the temporary file is flushed, closed, fsync'd and renamed
 * over the final path, and the directory fsync'd. A crash before the rename
 * leaves the old checkpoint untouched (at worst a stale .tmp.<pid> file);
 * abort removes the temporary file.
 *
 *     rise_ckpt_writer w;
 *     RISE_TRY(rise_ckpt_begin(&w, "run/ckpt.h5"));
 *     rise_ckpt_put_floats(&w, "params/policy", host_params, n);
 *     rise_ckpt_put_u64(&w, "rng/sampler_offset", offset);
 *     rise_ckpt_put_string(&w, "config_json", json);
 *     rise_norm_save(&stats, rise_ckpt_group(&w, ""), "norm");
 *     RISE_TRY(rise_ckpt_commit(&w));   // on error the temp file is gone
 *
 * The first failed put is remembered: commit then refuses (returning that
 * error) and removes the temporary file, so a checkpoint with a missing
 * piece never replaces a good one. Call rise_ckpt_abort to give up early;
 * abort after commit (or twice) does nothing.
 *
 * Files hold no time stamps, so the same content writes the same bytes.
 *
 * Layout: floats are 1-D float32 datasets, integers scalar uint64 / int64
 * datasets, strings scalar variable-length UTF-8 datasets (h5py:
 * f["config_json"].asstr()[()]).
 *
 * Reading: rise_ckpt_open, then get pieces by name; every getter checks
 * the type and the length and its error names the file, the dataset, what
 * was expected and what was found. */
#ifndef RISE_HOST_CHECKPOINT_H
#define RISE_HOST_CHECKPOINT_H

#include <hdf5.h>
#include <stdint.h>

#include "host/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char *path;     /* the final path */
    char *tmp_path; /* path.tmp.<pid>, written until commit */
    hid_t file;
    int open;          /* 1 between begin and commit/abort */
    rise_status error; /* the first failed put (RISE_OK when none) */
    char *error_msg;   /* its message, restored by commit */
    hid_t *groups;     /* groups handed out by rise_ckpt_group, closed at the end */
    int n_groups, cap_groups;
} rise_ckpt_writer;

/* Creates final_path.tmp.<pid> (replacing a stale one). */
rise_status rise_ckpt_begin(rise_ckpt_writer *w, const char *final_path);
/* 1-D float32 dataset of n values from host memory. */
rise_status rise_ckpt_put_floats(rise_ckpt_writer *w, const char *name, const float *data,
                                 int64_t n);
rise_status rise_ckpt_put_u64(rise_ckpt_writer *w, const char *name, uint64_t value);
rise_status rise_ckpt_put_i64(rise_ckpt_writer *w, const char *name, int64_t value);
rise_status rise_ckpt_put_string(rise_ckpt_writer *w, const char *name, const char *text);
/* The group `name` (created with its parents if missing; "" is the root),
 * for writers that take an HDF5 location, e.g. rise_norm_save(s, loc,
 * "norm"). The writer owns the id: do not close it. H5I_INVALID_HID on
 * error (the writer remembers it, so commit fails). Datasets a caller
 * creates there itself should use rise_h5_dcpl() (host/h5util.h) to stay
 * byte-reproducible; host/h5util.h's writers already do. */
hid_t rise_ckpt_group(rise_ckpt_writer *w, const char *name);
/* Flush, close, fsync, rename over the final path, fsync the directory.
 * The writer is released whatever the outcome. */
rise_status rise_ckpt_commit(rise_ckpt_writer *w);
/* Closes and removes the temporary file; the final path is untouched. */
void rise_ckpt_abort(rise_ckpt_writer *w);

typedef struct {
    char *path;
    hid_t file;
} rise_ckpt_reader;

rise_status rise_ckpt_open(rise_ckpt_reader *r, const char *path);
/* Exactly n float32 values (a 1-D float32 dataset of length n). */
rise_status rise_ckpt_get_floats(const rise_ckpt_reader *r, const char *name, float *out,
                                 int64_t n);
/* Length of the 1-D float32 dataset `name` (to size a buffer). */
rise_status rise_ckpt_float_count(const rise_ckpt_reader *r, const char *name, int64_t *n);
/* Scalar integer datasets; values that do not fit the requested type are
 * refused (a negative int64 as u64, a u64 above INT64_MAX as i64). */
rise_status rise_ckpt_get_u64(const rise_ckpt_reader *r, const char *name, uint64_t *out);
rise_status rise_ckpt_get_i64(const rise_ckpt_reader *r, const char *name, int64_t *out);
/* Scalar string dataset (variable or fixed length); *out is malloc'd. */
rise_status rise_ckpt_get_string(const rise_ckpt_reader *r, const char *name, char **out);
/* 1 when an object (dataset or group) exists at name, else 0. */
int rise_ckpt_has(const rise_ckpt_reader *r, const char *name);
/* The root group, for readers that take an HDF5 location (rise_norm_load). */
hid_t rise_ckpt_loc(const rise_ckpt_reader *r);
void rise_ckpt_close(rise_ckpt_reader *r);

#ifdef __cplusplus
}
#endif
#endif
