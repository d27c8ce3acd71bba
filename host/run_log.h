/* run_log.h - a training run's metric log and header.
 *
 * A run directory holds metrics.csv (header "step,<name>,...", one line per
 * logged step) and metrics.jsonl (one object per line: {"step": 100,
 * "loss_q": 0.123, ...}), both flushed after every row, and header.json
 * (git commit, time, host, backend, device, compiler and library versions).
 * Beside them a TensorBoard event file (host/tb_events.h) gets the same rows as
 * scalars, so `tensorboard --logdir RUN_DIR` shows the run.
 *
 *     rise_run_log log;
 *     RISE_TRY(rise_run_header_write(dir, be->name, device_desc));
 *     RISE_TRY(rise_run_log_open(&log, dir, 0));
 *     const char *names[2] = {"loss_q", "loss_v"};
 *     rise_run_log_row(&log, step, 2, names, values);   // every log interval
 *     rise_run_log_close(&log);
 *
 * Resuming from a checkpoint taken at step S:
 *     rise_run_log_truncate_after(dir, S);   // drop rows (and events) logged after S
 *     rise_run_log_open(&log, dir, 1);       // append; columns from the header
 *
 * The first row fixes the columns (or, when appending, the existing CSV
 * header does); later rows must name the same columns in the same order.
 * Names are printable ASCII without , " \ and are not "step". Values print
 * with %.9g; NaN and Inf are nan / inf / -inf in the CSV and null in the
 * JSONL (JSON has no NaN). */
#ifndef RISE_HOST_RUN_LOG_H
#define RISE_HOST_RUN_LOG_H

#include <stdint.h>
#include <stdio.h>

#include "host/error.h"
#include "host/tb_events.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char *csv_path, *jsonl_path;
    FILE *csv, *jsonl;
    int n_cols;   /* -1 until the columns are fixed */
    char **names; /* [n_cols] */
    int need_header;
    rise_tb_writer tb; /* the TensorBoard event file */
} rise_run_log;

/* mkdir -p. */
rise_status rise_run_mkdir_p(const char *dir);

/* Opens run_dir/metrics.{csv,jsonl} and its event file, creating run_dir.
 * append = 0 starts the files afresh; append = 1 keeps their rows (an
 * incomplete last line left by a crash is dropped) and takes the columns
 * from the CSV header. */
rise_status rise_run_log_open(rise_run_log *l, const char *run_dir, int append);
/* One row: values[i] is column names[i]. */
rise_status rise_run_log_row(rise_run_log *l, int64_t step, int n, const char *const *names,
                             const double *values);
rise_status rise_run_log_close(rise_run_log *l);

/* Rewrites run_dir's metrics.csv and metrics.jsonl keeping the CSV header
 * and the rows with step <= `step` (and only complete lines), and its event
 * file keeping the events with step <= `step`; each file is replaced
 * atomically. Missing files are fine (nothing logged yet). */
rise_status rise_run_log_truncate_after(const char *run_dir, int64_t step);

/* Writes run_dir/header.json (creating run_dir): git_commit and git_dirty
 * (from git in RISE_SOURCE_DIR - the compile-time define, else the
 * environment variable, else the current directory; "unknown" / null
 * without git), time_utc (ISO 8601), hostname, backend, device, compiler,
 * and versions {hdf5, cjson, openblas, cuda_runtime, cuda_driver (CUDA
 * builds)}. backend_name / device_desc may be NULL. */
rise_status rise_run_header_write(const char *run_dir, const char *backend_name,
                                  const char *device_desc);
/* The same with the members of extra_json (a JSON object, or NULL) added at the top level
 * after those above (a member of the same name replaces it): what a trainer knows about
 * its run, e.g. the data it loaded. */
rise_status rise_run_header_write_extra(const char *run_dir, const char *backend_name,
                                        const char *device_desc, const char *extra_json);

#ifdef __cplusplus
}
#endif
#endif
