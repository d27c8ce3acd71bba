/* progress.h - a terminal progress line for training loops.
 *
 *   label  1200/2000  60%  153.2 steps/s  ETA 5s  loss 0.0123  lr 0.0003
 *
 * On a terminal the line is redrawn in place with \r (at most ten times a
 * second); otherwise (a log file, a pipe, ctest) one full line is printed each
 * time another `every_pct` percent of the steps is done, so logs stay short.
 * Named scalars are set with rise_progress_value before an update. */
#ifndef RISE_PROGRESS_H
#define RISE_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_PROGRESS_MAX_VALUES 8
#define RISE_PROGRESS_NAME_MAX   24

typedef struct {
    FILE *out;
    int tty;       /* 1: redraw in place */
    int every_pct; /* non-TTY: print a line each time this many percent are done */
    long total, step;
    double t_start, t_last_draw;
    int last_bucket; /* non-TTY: last every_pct bucket printed */
    int line_open;   /* TTY: a \r line is on screen without its newline */
    char label[32];
    int n_values;
    char names[RISE_PROGRESS_MAX_VALUES][RISE_PROGRESS_NAME_MAX];
    double values[RISE_PROGRESS_MAX_VALUES];
} rise_progress;

/* Detects a terminal with isatty(fileno(out)); non-TTY prints every 10%. */
void rise_progress_init(rise_progress *p, FILE *out, const char *label, long total);
/* Overrides the detected mode (tests, or a forced plain log). */
void rise_progress_set_mode(rise_progress *p, int tty, int every_pct);
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
