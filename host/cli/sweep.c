/* cli/sweep.c - `rise sweep`: run a grid or list of configurations x seeds, resumably, here
 * or as a Slurm array job, and report the results with confidence intervals.
 *
 *   rise sweep paper_repro/maze_coverage/sweep.json --jobs 2       run (or continue) it here
 *   rise sweep SPEC.json --dry-run                                 each run's status and commands
 *   rise sweep SPEC.json --emit slurm                              OUT/sweep.slurm for sbatch
 *   rise sweep report runs/sweeps/maze_coverage                    CSV, Markdown and PNG plots
 *
 * The spec format is in sweep_spec.h and docs/sweep.md; the runner in sweep_run.c. */
#define _GNU_SOURCE /* realpath, sched_getaffinity, CPU_COUNT */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "algorithms/train_config.h"
#include "args.h"
#include "cli.h"
#include "host/paths.h"
#include "sweep.h"

static void sweep_usage(FILE *f) {
    fprintf(
        f,
        "usage: rise sweep SPEC.json [options]           run the sweep here (resumable)\n"
        "       rise sweep SPEC.json --emit slurm [--script FILE]\n"
        "       rise sweep report DIR [report options]\n"
        "Trains and evaluates every configuration x seed of a sweep spec (JSON: configs or\n"
        "runs, a grid of --set keys, seeds, prepare steps, evals, metrics, a table, plots;\n"
        "docs/sweep.md) into OUT/<name>[/<key=value,...>]/s<seed>. Finished runs are skipped\n"
        "and a stopped sweep continues where it stopped.\n\n"
        "  --out DIR          output folder (default: the spec's \"out\", else runs/sweeps/NAME)\n"
        "  --jobs N           runs at once (default 1)\n"
        "  --threads T        OMP_NUM_THREADS per run, also eval --threads (default: cores / "
        "jobs)\n"
        "  --only PATTERN     only the runs whose directory matches (exact or a shell pattern,\n"
        "                     e.g. 'rise/*' or '*/s0')\n"
        "  --dry-run          list every run's status (new, partial, done, stale) and commands\n"
        "  --redo-stale       train runs recorded with another definition again, from scratch\n"
        "  --prepare-only     run the spec's prepare steps (data generation) and stop\n"
        "  --emit slurm       write a Slurm array job (one task per unfinished run, each task\n"
        "                     `rise sweep SPEC --only RUN`) instead of running\n"
        "  --script FILE      where --emit writes (default OUT/sweep.slurm)\n\n"
        "report options:\n"
        "  --out DIR          report folder (default DIR/report)\n"
        "  --spec SPEC.json   the spec to read metrics, table and plots from (default: the\n"
        "                     copy the sweep saved in DIR/sweep.json)\n"
        "  --ci t|bootstrap   interval of the mean over seeds (default t: Student-t, honest with\n"
        "                     3-5 seeds; bootstrap: percentile, resamples drawn from Philox)\n"
        "  --level L          confidence level (default 0.95)\n"
        "  --resamples N      bootstrap resamples (default 10000)\n"
        "  --seed S           bootstrap Philox seed (default 0)\n"
        "Exit status: 0 every selected run finished, 1 some failed or are stale or busy,\n"
        "2 a bad spec or option, 130 interrupted (Ctrl-C; run the same command to go on).\n");
}

static int cpu_count(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int sweep_check_configs(const sweep_spec *s) {
    rise_train_config *cfg = malloc(sizeof *cfg);
    if (!cfg) return 0;
    int ok = 1;
    for (int p = 0; p < s->n_points; ++p) {
        const sweep_point *pt = &s->points[p];
        /* a point's problems are the same at every seed: check the first */
        char seed[256];
        snprintf(seed, sizeof seed, "%s=%lld", s->seed_key, s->seeds[0]);
        rise_status st = rise_train_config_load(cfg, pt->config_path);
        for (int k = 0; st == RISE_OK && k < pt->n_sets; ++k)
            st = rise_train_config_set(cfg, pt->sets[k]);
        if (st == RISE_OK) st = rise_train_config_set(cfg, seed);
        if (st == RISE_OK) st = rise_train_config_check(cfg);
        if (st != RISE_OK) {
            fprintf(stderr, "rise sweep: %s: run %s: %s\n", s->path, pt->dir, rise_last_error());
            ok = 0;
        }
    }
    free(cfg);
    return ok;
}

/* OUT/sweep.json: the spec as the sweep read it, for `rise sweep report OUT`. */
static int save_spec_copy(const sweep_spec *s, const char *out) {
    char path[PATH_MAX + 32], abs_spec[PATH_MAX];
    snprintf(path, sizeof path, "%s/sweep.json", out);
    if (!realpath(s->path, abs_spec)) snprintf(abs_spec, sizeof abs_spec, "%s", s->path);
    cJSON *root = cJSON_CreateObject(), *spec = cJSON_Parse(s->text);
    int ok = root && spec && cJSON_AddStringToObject(root, "spec_file", abs_spec) &&
             cJSON_AddStringToObject(root, "spec_dir", s->dir);
    if (ok) {
        cJSON_AddItemToObject(root, "spec", spec);
        spec = NULL;
    }
    char *text = ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    cJSON_Delete(spec);
    if (!text) {
        fprintf(stderr, "rise sweep: %s: out of memory\n", path);
        return 0;
    }
    const rise_status st = sweep_write_atomic(path, text);
    free(text);
    if (st != RISE_OK) fprintf(stderr, "rise sweep: %s\n", rise_last_error());
    return st == RISE_OK;
}

static int parse_report(int argc, char **argv) {
    sweep_report_options o = {NULL, NULL, 0, 0.95, 10000, 0};
    const char *dir = NULL;
    for (int i = 2; i < argc; ++i) {
        const char *a = argv[i];
        int ok = 1;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            sweep_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--out"))
            ok = rise_arg_string(argc, argv, &i, &o.out);
        else if (!strcmp(a, "--spec"))
            ok = rise_arg_string(argc, argv, &i, &o.spec);
        else if (!strcmp(a, "--ci")) {
            const char *m = NULL;
            ok = rise_arg_string(argc, argv, &i, &m);
            if (ok && strcmp(m, "t") && strcmp(m, "bootstrap")) {
                fprintf(stderr, "rise sweep report: --ci expects t or bootstrap, got '%s'\n", m);
                ok = 0;
            }
            if (ok) o.bootstrap = !strcmp(m, "bootstrap");
        } else if (!strcmp(a, "--level"))
            ok = rise_arg_double(argc, argv, &i, 0.5, 0.9999, &o.level);
        else if (!strcmp(a, "--resamples")) {
            long n;
            ok = rise_arg_long(argc, argv, &i, 100, 10000000, &n);
            o.resamples = (int)n;
        } else if (!strcmp(a, "--seed")) {
            long n;
            ok = rise_arg_long(argc, argv, &i, 0, LONG_MAX, &n);
            o.seed = (unsigned long long)n;
        } else if (a[0] != '-' && !dir)
            dir = a;
        else {
            fprintf(stderr, "rise sweep report: unknown option '%s' (see rise sweep --help)\n", a);
            return 2;
        }
        if (!ok) return 2;
    }
    if (!dir) {
        fprintf(stderr,
                "rise sweep report: give the sweep's output folder (see rise sweep --help)\n");
        return 2;
    }
    return sweep_report(dir, &o);
}

int rise_cmd_sweep(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "report")) return parse_report(argc, argv);
    sweep_options o;
    memset(&o, 0, sizeof o);
    o.jobs = 1;
    const char *spec_path = NULL, *emit = NULL, *script = NULL;
    long jobs = 1, threads = 0;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        int ok = 1;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            sweep_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--out"))
            ok = rise_arg_string(argc, argv, &i, &o.out);
        else if (!strcmp(a, "--jobs"))
            ok = rise_arg_long(argc, argv, &i, 1, 256, &jobs);
        else if (!strcmp(a, "--threads"))
            ok = rise_arg_long(argc, argv, &i, 1, 4096, &threads);
        else if (!strcmp(a, "--only"))
            ok = rise_arg_string(argc, argv, &i, &o.only);
        else if (!strcmp(a, "--dry-run"))
            o.dry_run = 1;
        else if (!strcmp(a, "--redo-stale"))
            o.redo_stale = 1;
        else if (!strcmp(a, "--prepare-only"))
            o.prepare_only = 1;
        else if (!strcmp(a, "--emit")) {
            ok = rise_arg_string(argc, argv, &i, &emit);
            if (ok && strcmp(emit, "slurm")) {
                fprintf(stderr, "rise sweep: --emit expects slurm, got '%s'\n", emit);
                ok = 0;
            }
        } else if (!strcmp(a, "--script"))
            ok = rise_arg_string(argc, argv, &i, &script);
        else if (a[0] != '-' && !spec_path)
            spec_path = a;
        else {
            fprintf(stderr, "rise sweep: unknown option '%s' (see rise sweep --help)\n", a);
            return 2;
        }
        if (!ok) return 2;
    }
    if (!spec_path) {
        fprintf(stderr, "rise sweep: give a sweep spec (JSON), or 'report DIR' (see rise sweep "
                        "--help)\n");
        return 2;
    }
    if (script && !emit) {
        fprintf(stderr, "rise sweep: --script goes with --emit slurm\n");
        return 2;
    }
    o.jobs = (int)jobs;
    o.threads = threads > 0 ? (int)threads : (cpu_count() / o.jobs > 0 ? cpu_count() / o.jobs : 1);
    static char exe[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fprintf(stderr, "rise sweep: cannot find the rise executable (/proc/self/exe): %s\n",
                strerror(errno));
        return 1;
    }
    exe[n] = '\0';
    o.exe = exe;

    sweep_spec s;
    if (sweep_spec_load(&s, spec_path) != RISE_OK) {
        fprintf(stderr, "rise sweep: %s\n", rise_last_error());
        return 2;
    }
    int rc = 2;
    char out_buf[PATH_MAX], out_abs[PATH_MAX];
    if (!o.out) {
        if (s.out)
            snprintf(out_buf, sizeof out_buf, "%s", s.out);
        else
            snprintf(out_buf, sizeof out_buf, "runs/sweeps/%s", s.name);
        o.out = out_buf;
    }
    if (o.only) {
        int selected = 0;
        for (int r = 0; r < s.n_runs; ++r) selected += sweep_selected(&o, &s, r);
        if (!selected) {
            fprintf(stderr,
                    "rise sweep: --only '%s' matches none of the %d runs (such as '%s'; see "
                    "--dry-run)\n",
                    o.only, s.n_runs, s.runs[0].dir);
            goto done;
        }
    }
    if (!sweep_check_configs(&s)) goto done;
    rc = 1;
    if (o.dry_run && o.out[0] != '/') { /* look, create nothing */
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd) ||
            snprintf(out_abs, sizeof out_abs, "%s/%s", cwd, o.out) >= (int)sizeof out_abs) {
            fprintf(stderr, "rise sweep: %s: path too long\n", o.out);
            goto done;
        }
        o.out = out_abs;
    } else if (!o.dry_run) {
        if (rise_mkdir_p(o.out) != RISE_OK) {
            fprintf(stderr, "rise sweep: %s\n", rise_last_error());
            goto done;
        }
        if (!realpath(o.out, out_abs)) {
            fprintf(stderr, "rise sweep: %s: %s\n", o.out, strerror(errno));
            goto done;
        }
        o.out = out_abs;
    }
    if (!o.dry_run && !save_spec_copy(&s, o.out)) goto done;
    if (emit)
        rc = sweep_emit_slurm(&s, &o, spec_path, script);
    else
        rc = sweep_run_local(&s, &o);
done:
    sweep_spec_free(&s);
    return rc;
}
