/* cli/sweep_slurm.c - `rise sweep SPEC --emit slurm`: a Slurm array job script with one task
 * per unfinished run. Each task runs `rise sweep SPEC --out OUT --only RUN`, the same code as
 * a local sweep, so tasks write the same run directories and markers, skip a run that is
 * finished and resume one that is partial: resubmitting the script after a time limit or a
 * failure continues the sweep, and emitting again lists only what is still unfinished. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/paths.h"
#include "sweep.h"

static void quoted(FILE *f, const char *s) {
    fputc('\'', f);
    for (; *s; ++s)
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    fputc('\'', f);
}

/* "0-3,5,7-9" from ascending indices. */
static void index_ranges(FILE *f, const int *idx, int n) {
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && idx[j + 1] == idx[j] + 1) ++j;
        fprintf(f, "%s%d", i ? "," : "", idx[i]);
        if (j > i) fprintf(f, "-%d", idx[j]);
        i = j + 1;
    }
}

int sweep_emit_slurm(const sweep_spec *s, const sweep_options *o, const char *spec_path,
                     const char *script) {
    char spec_abs[PATH_MAX], path[PATH_MAX + 32], logs[PATH_MAX + 32];
    if (!realpath(spec_path, spec_abs)) {
        fprintf(stderr, "rise sweep: %s: %s\n", spec_path, strerror(errno));
        return 1;
    }
    int *todo = malloc((size_t)s->n_runs * sizeof *todo);
    if (!todo) return 1;
    int n = 0, stale = 0;
    for (int r = 0; r < s->n_runs; ++r) {
        if (!sweep_selected(o, s, r)) continue;
        const sweep_run_status st = sweep_run_check(o->out, s, r, 1, NULL, 0);
        if (st == SWEEP_RUN_DONE) continue;
        stale += st == SWEEP_RUN_STALE;
        todo[n++] = r;
    }
    if (n == 0) {
        printf("rise sweep %s: every selected run is finished in %s; no script written\n", s->name,
               o->out);
        free(todo);
        return 0;
    }
    snprintf(logs, sizeof logs, "%s/slurm", o->out);
    if (rise_mkdir_p(logs) != RISE_OK) { /* sbatch does not create the output folder */
        fprintf(stderr, "rise sweep: %s\n", rise_last_error());
        free(todo);
        return 1;
    }
    if (script)
        snprintf(path, sizeof path, "%s", script);
    else
        snprintf(path, sizeof path, "%s/sweep.slurm", o->out);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "rise sweep: %s: cannot write: %s\n", path, strerror(errno));
        free(todo);
        return 1;
    }
    fprintf(f,
            "#!/bin/bash\n"
            "# Slurm array job for the rise sweep '%s' (%s), written by\n"
            "# `rise sweep SPEC --emit slurm`: one task per run unfinished when it was written\n"
            "# (%d of %d). Each task runs `rise sweep SPEC --only RUN`: it skips a finished run,\n"
            "# resumes a partial one and writes the run directory and markers a local sweep\n"
            "# writes, so resubmitting this script continues the sweep. Generate the data once\n"
            "# first (`rise sweep SPEC --prepare-only`), or every task will check and make it.\n"
            "#   sbatch %s\n",
            s->name, spec_abs, n, s->n_runs, path);
    fprintf(f, "#SBATCH --job-name=rise-%s\n#SBATCH --array=", s->name);
    index_ranges(f, todo, n);
    if (s->slurm_max_parallel > 0) fprintf(f, "%%%d", s->slurm_max_parallel);
    fprintf(f, "\n#SBATCH --output=%s/%%A_%%a.out\n", logs);
    for (int i = 0; i < s->n_sbatch; ++i) fprintf(f, "#SBATCH %s\n", s->sbatch[i]);
    fprintf(f, "set -euo pipefail\n# every run of the sweep; the array indexes into it\nruns=(\n");
    for (int r = 0; r < s->n_runs; ++r) {
        fputs("  ", f);
        quoted(f, s->runs[r].dir);
        fputc('\n', f);
    }
    fprintf(f, ")\nexec ");
    quoted(f, o->exe);
    fputs(" sweep ", f);
    quoted(f, spec_abs);
    fputs(" --out ", f);
    quoted(f, o->out);
    fputs(" --only \"${runs[$SLURM_ARRAY_TASK_ID]}\" --threads \"${SLURM_CPUS_PER_TASK:-1}\"\n", f);
    if (fclose(f) != 0) {
        fprintf(stderr, "rise sweep: %s: write failed\n", path);
        free(todo);
        return 1;
    }
    printf("wrote %s: %d array task(s) for the unfinished runs of %d%s; submit with: sbatch %s\n",
           path, n, s->n_runs,
           stale ? " (stale runs included: they will be reported, not rerun, unless you remove "
                   "them)"
                 : "",
           path);
    free(todo);
    return 0;
}
