/* read_internal.h - pieces shared by the format readers (internal to data/). */
#ifndef RISE_DATA_READ_INTERNAL_H
#define RISE_DATA_READ_INTERNAL_H

#include <hdf5.h>

#include "host/h5util.h"
#include "reader.h"

rise_status rise_robomimic_list_fid(hid_t f, const char *file, const char *filter_key,
                                    rise_demo_list *out);
rise_status rise_robomimic_read_fid(hid_t f, const char *file, const rise_read_opts *o,
                                    rise_episodes *out);
rise_status rise_d4rl_list_fid(hid_t f, const char *file, rise_demo_list *out);
rise_status rise_d4rl_read_fid(hid_t f, const char *file, const rise_read_opts *o,
                               rise_episodes *out);
rise_status rise_minari_list_fid(hid_t f, const char *file, rise_demo_list *out);
rise_status rise_minari_read_fid(hid_t f, const char *file, const rise_read_opts *o,
                                 rise_episodes *out);
rise_format rise_detect_format_fid(hid_t f);

/* Link names of a group in name order (malloc'd; free with rise_h5_free_strings). */
rise_status rise_read_link_names(hid_t group, const char *file, const char *where, char ***names,
                                 int64_t *count);

/* Sorts demos by id and fails on two names with the same id (demo_1, demo_01). */
rise_status rise_read_sort_demos(rise_demo *demos, int64_t n, const char *file, const char *where);

/* Error on the first NaN/Inf, naming row (counted from row0) and column. */
rise_status rise_read_check_finite(const float *x, int64_t rows, int64_t cols, int64_t row0,
                                   const char *file, const char *where);

/* 0/1 floats (any numeric type, bools included) to uint8; other values fail. */
rise_status rise_read_flags(const float *src, uint8_t *dst, int64_t n, const char *file,
                            const char *where);

/* Per-step shape of a (rows, ...) dataset, checked against rows; *is_u8 (optional) says
 * whether its elements are unsigned bytes (how images are stored). */
rise_status rise_read_key_shape(hid_t loc, const char *name, const char *file, const char *where,
                                int64_t rows, int *ndim, int64_t *shape, int *is_u8);

/* Whether a key of this per-step shape is an image: rank >= 3 (H, W, C), or unsigned bytes
 * of rank >= 2. */
int rise_read_is_image(int ndim, int is_u8);

/* Reads a (rows, <k's per-step shape>) dataset into tmp [rows * k->dim]. */
rise_status rise_read_key_rows(hid_t loc, const char *name, const char *file, const char *where,
                               int64_t rows, const rise_obs_key *k, float *tmp);

/* Reads frames row0 .. row0 + rows - 1 of an open (N, H, W, C) uint8 dataset into out
 * (frame_bytes = H W C each), in row blocks of about 4 MiB. */
rise_status rise_read_frames(hid_t ds, int64_t row0, int64_t rows, int64_t frame_bytes,
                             uint8_t *out, const char *file, const char *where);

/* Reads a (rows,) or (rows, 1) numeric dataset into tmp. */
rise_status rise_read_vector(hid_t loc, const char *name, const char *file, const char *where,
                             int64_t rows, float *tmp);

/* Copies a [rows, dim] block into columns offset.. of a [rows, D] matrix. */
void rise_scatter_cols(float *dst, int64_t D, int64_t offset, const float *src, int64_t rows,
                       int64_t dim);

/* Fails when loading n transitions of e's widths (and, with_frames, its image keys'
 * frames) would exceed max_bytes. */
rise_status rise_read_check_budget(const rise_episodes *e, int64_t n, size_t max_bytes,
                                   int with_frames, const char *file);

/* An image key's per-step shape and type as a camera: (H, W, C), uint8, 1..4 channels;
 * type_name (NULL: unknown) names a wrong type in the message. */
rise_status rise_read_camera_shape(const char *key, int ndim, const int64_t *shape, int is_u8,
                                   const char *type_name, const char *file, const char *where);

/* Chooses keys: the requested ones (each must be in `available`) or all of
 * `available` in name order; fills e's key table using shapes read by
 * shape_of(ctx, name). */
typedef rise_status (*rise_key_shape_fn)(void *ctx, const char *key, int *ndim, int64_t *shape,
                                         int *is_u8);
rise_status rise_read_choose_keys(rise_episodes *e, const rise_read_opts *o, char **available,
                                  int64_t n_available, const char *file, const char *where,
                                  rise_key_shape_fn shape_of, void *ctx);

/* Demo subset from opts->select (n_select must match the listing). */
rise_status rise_read_check_select(const rise_read_opts *o, int64_t n_listed, const char *file);

#endif
