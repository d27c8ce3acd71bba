/* cli/sweep.h - `rise sweep`: the parts shared by the command (sweep.c), the local runner
 * (sweep_run.c), the run directories' state and markers (sweep_state.c), the Slurm script
 * (sweep_slurm.c) and the report (sweep_report.c).
 *
 * A run directory OUT/<point>/s<seed> holds what `rise train` and `rise eval` write, and:
 *   sweep.log         the captured stdout and stderr of every command run for it
 *   sweep_state.json  the run's definition (config, its content hash, the --set list) and
 *                     the stages finished so far (train; each eval with its arguments),
 *                     rewritten atomically after each stage
 *   sweep_done.json   the completion marker, written atomically (temporary file, fsync,
 *                     rename) after the last stage: finished = this file exists, its
 *                     definition equals the spec's, and it lists every eval of the spec
 *   sweep.lock        flock()ed while a process works on the run, so two sweeps never
 *                     run it at once
 * OUT/sweep.json keeps a copy of the spec for `rise sweep report OUT`. */
#ifndef RISE_CLI_SWEEP_H
#define RISE_CLI_SWEEP_H

#include <stddef.h>

#include "sweep_spec.h"

typedef struct {
    const char *out;  /* output folder */
    int jobs;         /* runs at once */
    int threads;      /* OMP_NUM_THREADS (and eval --threads) per run */
    const char *only; /* run directories matching this (exact or fnmatch pattern), or NULL */
    int redo_stale;   /* train stale runs again from scratch */
    int dry_run;      /* list runs and commands, run nothing */
    int prepare_only; /* run the prepare steps and stop */
    const char *exe;  /* the rise executable, absolute */
} sweep_options;

/* ---- run state (sweep_state.c) ---- */

typedef enum {
    SWEEP_RUN_NEW,     /* nothing there */
    SWEEP_RUN_PARTIAL, /* started with this definition, not finished (resumes) */
    SWEEP_RUN_DONE,    /* finished with this definition */
    SWEEP_RUN_STALE,   /* started or finished with another definition */
} sweep_run_status;

const char *sweep_status_name(sweep_run_status st);

/* The run's training definition as canonical JSON text (malloc'ed): config path as written,
 * FNV-1a hash of the config file's bytes ("missing" when unreadable), the --set list with
 * the seed last. NULL when out of memory. */
char *sweep_train_definition(const sweep_spec *s, int run);
/* Eval i as canonical JSON text {"name", "args"} (malloc'ed). */
char *sweep_eval_definition(const sweep_spec *s, int eval);

/* OUT/<run dir>/<file> into buf. */
void sweep_run_path(const char *out, const sweep_spec *s, int run, const char *file, char *buf,
                    size_t size);

/* The run's status, and in why (may be NULL) a short reason when it is stale. check_hash 0
 * compares the definitions without the config's content hash (the report's view: the spec
 * copy in OUT may not find the configs). */
sweep_run_status sweep_run_check(const char *out, const sweep_spec *s, int run, int check_hash,
                                 char *why, size_t why_size);

/* The stages of a run finished so far, and how long each took. */
typedef struct {
    int train_done;
    double train_s;
    int eval_done[SWEEP_MAX_EVALS];
    double eval_s[SWEEP_MAX_EVALS];
} sweep_stages;

/* The stages recorded in OUT/<run>/sweep_state.json for this definition (an eval counts
 * when its name and arguments are the spec's); all zero when there is none. */
void sweep_state_read(const char *out, const sweep_spec *s, int run, sweep_stages *st);
/* Records the run's definition and its finished stages (atomically). */
rise_status sweep_state_write(const char *out, const sweep_spec *s, int run,
                              const sweep_stages *st);
/* Writes the completion marker (atomically). */
rise_status sweep_done_write(const char *out, const sweep_spec *s, int run, const sweep_stages *st);
/* Removes the markers and the checkpoint of a stale run, so that it trains from scratch. */
rise_status sweep_run_reset(const char *out, const sweep_spec *s, int run);

/* text to path through a temporary file (path.tmp.<pid>), fsync and rename. */
rise_status sweep_write_atomic(const char *path, const char *text);
/* The run directories selected by o->only (1: selected). */
int sweep_selected(const sweep_options *o, const sweep_spec *s, int run);

/* ---- commands ---- */

/* Checks every point's config with its --set list (as `rise train` would), printing each
 * problem; 1 when all are fine. */
int sweep_check_configs(const sweep_spec *s);
/* Runs the sweep here; a process exit code (0 all finished, 1 some failed or stale, 130
 * interrupted). */
int sweep_run_local(const sweep_spec *s, const sweep_options *o);
/* Writes a Slurm array job script for the unfinished runs; an exit code. */
int sweep_emit_slurm(const sweep_spec *s, const sweep_options *o, const char *spec_path,
                     const char *script);

typedef struct {
    const char *out;         /* report folder (default DIR/report) */
    const char *spec;        /* spec file (default: DIR/sweep.json's copy) */
    int bootstrap;           /* 0: t interval, 1: percentile bootstrap */
    double level;            /* 0.95 */
    int resamples;           /* bootstrap resamples */
    unsigned long long seed; /* bootstrap Philox seed */
} sweep_report_options;

int sweep_report(const char *dir, const sweep_report_options *o);

#endif
