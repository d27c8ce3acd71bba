/* normalize.h - observation and action normalisation statistics.
 *
 * Every normalised value is x_n = (x - shift) / scale, per dimension:
 *  - minmax (actions): shift = (max + min) / 2, scale = (max - min) / 2, so the
 *    data range maps to [-1, 1]; a dimension whose range is under 1e-4 is
 *    left unscaled (scale 1, shift = its midpoint, so it maps to 0).
 *  - gaussian: shift = mean, scale = std (population); std under 1e-4 -> 1.
 *  - none: shift 0, scale 1.
 * The statistics belong to the model: save them with it (rise_norm_save),
 * load them at evaluation (rise_norm_load) and apply them to observations
 * and to the policy's actions (rise_norm_unapply_actions).
 *
 * Sums accumulate in double in a rise_norm_acc; accumulators merge exactly
 * (sum/min/max), so a data-parallel run can all-reduce the accumulators of
 * its ranks' shards and every rank finishes with the same statistics. */
#ifndef RISE_DATA_NORMALIZE_H
#define RISE_DATA_NORMALIZE_H

#include <hdf5.h>
#include <stdint.h>

#include "host/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_NORM_RANGE_EPS 1e-4

typedef enum { RISE_NORM_NONE = 0, RISE_NORM_MINMAX, RISE_NORM_GAUSSIAN } rise_norm_mode;

const char *rise_norm_mode_name(rise_norm_mode m);
int rise_norm_mode_parse(const char *s, rise_norm_mode *m);

typedef struct {
    int64_t obs_dim, act_dim;
    rise_norm_mode obs_mode, act_mode;
    float *obs_shift, *obs_scale; /* [obs_dim] */
    float *act_shift, *act_scale; /* [act_dim] */
    /* Raw statistics of the data the transform was fitted on. */
    float *obs_mean, *obs_std, *obs_min, *obs_max;
    float *act_mean, *act_std, *act_min, *act_max;
    int64_t count; /* transitions fitted on */
} rise_norm_stats;

/* Running sums for one matrix [*, dim]; merge by adding arrays, min/max. */
typedef struct {
    int64_t dim, count;
    double *sum, *sumsq, *min, *max;
} rise_norm_acc;

rise_status rise_norm_acc_init(rise_norm_acc *a, int64_t dim);
void rise_norm_acc_add(rise_norm_acc *a, const float *x, int64_t rows);
void rise_norm_acc_merge(rise_norm_acc *into, const rise_norm_acc *from);
void rise_norm_acc_free(rise_norm_acc *a);

/* Identity statistics (mode none) of the given widths. */
rise_status rise_norm_init(rise_norm_stats *s, int64_t obs_dim, int64_t act_dim);
/* Fits both transforms from accumulators. */
rise_status rise_norm_fit(rise_norm_stats *s, const rise_norm_acc *obs, const rise_norm_acc *act,
                          rise_norm_mode obs_mode, rise_norm_mode act_mode);
/* Fits from arrays obs [n, obs_dim] and actions [n, act_dim]. */
rise_status rise_norm_fit_arrays(rise_norm_stats *s, const float *obs, const float *actions,
                                 int64_t n, int64_t obs_dim, int64_t act_dim,
                                 rise_norm_mode obs_mode, rise_norm_mode act_mode);
void rise_norm_free(rise_norm_stats *s);
rise_status rise_norm_copy(rise_norm_stats *dst, const rise_norm_stats *src);

/* In place, rows [n, dim]. */
void rise_norm_apply_obs(const rise_norm_stats *s, float *obs, int64_t n);
void rise_norm_unapply_obs(const rise_norm_stats *s, float *obs, int64_t n);
void rise_norm_apply_actions(const rise_norm_stats *s, float *act, int64_t n);
void rise_norm_unapply_actions(const rise_norm_stats *s, float *act, int64_t n);

/* Writes/reads a group `name` under loc (a checkpoint or a standalone file):
 * attrs obs_mode, act_mode, count; datasets obs_shift, obs_scale, ... */
rise_status rise_norm_save(const rise_norm_stats *s, hid_t loc, const char *name);
rise_status rise_norm_load(rise_norm_stats *s, hid_t loc, const char *name, const char *file);
rise_status rise_norm_save_file(const rise_norm_stats *s, const char *path);
rise_status rise_norm_load_file(rise_norm_stats *s, const char *path);

#ifdef __cplusplus
}
#endif
#endif
