/* tb_events.h - TensorBoard event files: scalars per logged step, readable by
 * `tensorboard --logdir RUN_DIR` and TensorBoard's EventAccumulator.
 *
 * A run directory gets one file, events.out.tfevents.<unix time>.<host>.rise: TFRecord
 * framing (uint64 little-endian length, masked CRC-32C of the length, the record, masked
 * CRC-32C of the record) around protobuf Event messages encoded by protobuf-c from
 * host/tb_event.proto. The first event carries file_version "brain.Event:2"; then one
 * event per logged step whose Summary holds every scalar of that step (tag = the
 * metrics.csv column name, simple_value = the value as float32).
 *
 *     rise_tb_writer w;
 *     RISE_TRY(rise_tb_open(&w, run_dir, 0));
 *     rise_tb_scalars(&w, step, n, names, values);     // flushed, like metrics.csv
 *     rise_tb_close(&w);
 *
 * rise_run_log (host/run_log.h) writes one beside metrics.csv/jsonl, so every training run
 * has it. Resuming from step S: rise_tb_truncate_after(run_dir, S) drops the events after
 * S (as the metrics files drop their rows), then rise_tb_open(&w, run_dir, 1) appends to
 * the same file. */
#ifndef RISE_HOST_TB_EVENTS_H
#define RISE_HOST_TB_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "host/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    FILE *f;
    char *path;
} rise_tb_writer;

/* append = 0: removes the directory's earlier rise event files and starts a new one with
 * its file_version event; append = 1: appends to the existing one (or starts one). */
rise_status rise_tb_open(rise_tb_writer *w, const char *run_dir, int append);
/* One event at `step` holding n scalars tags[i] = values[i] (NaN and Inf kept). */
rise_status rise_tb_scalars(rise_tb_writer *w, int64_t step, int n, const char *const *tags,
                            const double *values);
rise_status rise_tb_close(rise_tb_writer *w);

/* Rewrites each rise event file of run_dir keeping the file_version event and the events
 * with step <= `step` (atomically); a torn last record (a crash mid-write) is dropped. No
 * file: nothing to do. */
rise_status rise_tb_truncate_after(const char *run_dir, int64_t step);

/* The path of run_dir's rise event file (malloc'd), or NULL when there is none. */
char *rise_tb_find(const char *run_dir);

/* Reads the records of an event file in order, calling fn(ctx, record, len) on each
 * whose both checksums hold; *torn = 1 when the file ends inside a record (the part is
 * ignored). A checksum that does not hold is an error naming the file and offset. */
rise_status rise_tb_read_records(const char *path,
                                 void (*fn)(void *ctx, const uint8_t *record, size_t len),
                                 void *ctx, int *torn);

#ifdef __cplusplus
}
#endif
#endif
