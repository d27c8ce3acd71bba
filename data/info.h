/* info.h - the summary `rise data info FILE` prints.
 *
 * Format, env_args, demos and lengths, filter keys, and per dataset (every
 * obs/ and next_obs/ key, actions, rewards, dones, states) its per-step
 * shape, value range, mean and NaN / Inf counts. Files with NaN or Inf load
 * for this (counted, not refused); structurally bad files give the reader's
 * error. */
#ifndef RISE_DATA_INFO_H
#define RISE_DATA_INFO_H

#include <stdint.h>
#include <stdio.h>

#include "episodes.h"
#include "reader.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    double min, max, mean; /* over finite values */
    int64_t finite, nan, inf;
} rise_value_stats;

/* Statistics of `count` values at stride `stride` (cols of a row-major matrix). */
void rise_value_stats_compute(rise_value_stats *s, const float *x, int64_t rows, int64_t cols,
                              int64_t stride);

typedef struct {
    int per_dim;            /* one line per column too */
    int env_args_whole;     /* print env_args whole (pretty JSON), not summarised */
    const char *filter_key; /* summarise only these demos */
    rise_format format;
} rise_info_opts;

rise_status rise_data_info(const char *path, const rise_info_opts *opts, FILE *out);

/* Total NaN and Inf values in a loaded file (obs, next_obs, actions, rewards). */
int64_t rise_episodes_count_nonfinite(const rise_episodes *e);

#ifdef __cplusplus
}
#endif
#endif
