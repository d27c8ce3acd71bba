/* progress.h - a progress line for long loops: training, evaluation, generation, sweeps.
 *
 *   label  1200/2000  60%  153.2 steps/s  ETA 5s  loss 0.0123  lr 0.0003
 *
 * On a terminal the line is redrawn in place with \r (at most ten times a
 * second); otherwise (a log file, a pipe, ctest) one full line is printed each
 * time another `every_pct` percent (10) of the work is done, so logs stay short.
 * Named scalars are set with rise_progress_value before an update; the unit
 * ("steps", "episodes", "runs") names the rate.
 *
 * The environment variable RISE_PROGRESS overrides the detection for every
 * progress line of the process: "tty" (redraw in place), "lines" (one line per
 * 10%, e.g. under `tee`), "off" (nothing); "auto" or unset detects.
 *
 * Nesting: a job made of long parts (a sweep of training runs, evaluations
 * during training) makes its own progress the outer one while a part runs:
 *
 *   rise_progress sweep;
 *   rise_progress_init(&sweep, stderr, "sweep", n_runs);
 *   rise_progress_set_unit(&sweep, "runs");
 *   for (i = 0; i < n_runs; ++i) {
 *       rise_progress_set_outer(&sweep);
 *       train_one(i);                       // its own rise_progress_init/update/finish
 *       rise_progress_set_outer(NULL);
 *       rise_progress_update(&sweep, i + 1);
 *   }
 *   rise_progress_finish(&sweep);
 *
 * A progress initialised on the same stream while an outer one is set is a
 * part: on a terminal its line starts with the outer's count ("sweep 3/12 |
 * train rise 1200/2000 ..."); elsewhere it prints nothing, so a log gets the
 * outer's lines only (one per 10% of the parts), not ten per part. The outer
 * is process-wide: set it from the thread that runs the parts. */
#ifndef RISE_PROGRESS_H
#define RISE_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_PROGRESS_MAX_VALUES 8
#define RISE_PROGRESS_NAME_MAX   24

typedef struct rise_progress rise_progress;
struct rise_progress {
    FILE *out;
    int tty; /* 1: redraw in place */
    int off; /* 1: print nothing (RISE_PROGRESS=off, or a part of an outer progress
                on a stream that is not a terminal) */
    const rise_progress *outer; /* the enclosing progress when this one is a part */
    char unit[16];              /* "steps": the rate is "<unit>/s" */
    int every_pct;              /* non-TTY: print a line each time this many percent are done */
    long total, step;
    double t_start, t_last_draw;
    int last_bucket; /* non-TTY: last every_pct bucket printed */
    int line_open;   /* TTY: a \r line is on screen without its newline */
    char label[32];
    int n_values;
    char names[RISE_PROGRESS_MAX_VALUES][RISE_PROGRESS_NAME_MAX];
    double values[RISE_PROGRESS_MAX_VALUES];
};

/* Detects a terminal with isatty(fileno(out)) unless RISE_PROGRESS says otherwise;
 * non-TTY prints every 10%. Becomes a part of the outer progress when one is set on
 * the same stream. */
void rise_progress_init(rise_progress *p, FILE *out, const char *label, long total);
/* Overrides the detected mode (tests, or a forced plain log). */
void rise_progress_set_mode(rise_progress *p, int tty, int every_pct);
/* The unit of the rate: "steps" (default), "episodes", "runs"... (truncated to 15). */
void rise_progress_set_unit(rise_progress *p, const char *unit);
/* Makes `outer` the enclosing progress of every progress initialised after this
 * (on outer's stream) until rise_progress_set_outer(NULL). */
void rise_progress_set_outer(const rise_progress *outer);
/* The mode RISE_PROGRESS asks for: -1 auto (unset, empty or "auto"), 0 lines, 1 tty,
 * 2 off. An unknown value is reported once on stderr and treated as auto. */
int rise_progress_env_mode(void);
/* Sets (or adds) a named scalar shown on the line. Names beyond
 * RISE_PROGRESS_MAX_VALUES are ignored. */
void rise_progress_value(rise_progress *p, const char *name, double value);
/* Records `step` (steps completed) and draws when due. */
void rise_progress_update(rise_progress *p, long step);
/* Draws the final state and ends the line. */
void rise_progress_finish(rise_progress *p);

/* The line for the current state at time `now` (rise_progress_now clock). */
size_t rise_progress_format(const rise_progress *p, double now, char *buf, size_t size);
/* "12s", "3m05s", "2h01m": the format used for the ETA. */
void rise_progress_format_duration(double seconds, char *buf, size_t size);
double rise_progress_now(void); /* monotonic seconds */

#ifdef __cplusplus
}
#endif
#endif
