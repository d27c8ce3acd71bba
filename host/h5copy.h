/* h5copy.h - copying HDF5 objects and attributes between files, and overwriting a dataset's
 * values in its own type: what `rise data merge` and `rise data relabel` need to pass
 * everything they do not change through unchanged (every attribute, every dataset with its
 * dtype, chunking and compression; e.g. robosuite's per-demo model_file XML, robomimic's
 * action_dict/ or MimicGen's datagen_info/).
 *
 *     RISE_TRY(rise_h5_copy_attrs(src_group, dst_group, skip, 2, "in.h5", "data"));
 *     RISE_TRY(rise_h5_copy_object(src_demo, "actions", dst_demo, "actions", "in.h5",
 *                                  "data/demo_3/actions"));
 *     RISE_TRY(rise_h5_overwrite(dst_demo, "rewards", values, n, "out.h5",
 *                                "data/demo_0/rewards"));
 * Errors name the file, the path inside it, and what went wrong. */
#ifndef RISE_HOST_H5COPY_H
#define RISE_HOST_H5COPY_H

#include <hdf5.h>
#include <stdint.h>

#include "host/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every attribute of src onto dst (same names, types and shapes), except the n_skip names
 * in skip; an attribute dst already has is replaced. file/where name src in messages. */
rise_status rise_h5_copy_attrs(hid_t src, hid_t dst, const char *const *skip, int n_skip,
                               const char *file, const char *where);

/* A whole object (group with all it holds, or dataset) with its attributes, as H5Ocopy
 * does: types, chunking and filters are kept. */
rise_status rise_h5_copy_object(hid_t src_loc, const char *src_name, hid_t dst_loc,
                                const char *dst_name, const char *file, const char *where);

/* Writes n values into the existing numeric dataset `name` under loc (n must equal its element
 * count), converted to the dataset's own element type: float, integer, or an integer enum
 * such as h5py's bool (values must then be members, e.g. 0 and 1). Values an integer type
 * cannot hold exactly are refused. */
rise_status rise_h5_overwrite(hid_t loc, const char *name, const double *values, int64_t n,
                              const char *file, const char *where);

#ifdef __cplusplus
}
#endif
#endif
