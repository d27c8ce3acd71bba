/* cli/demo.c - `rise demo`: the main job end to end on the maze.
 *
 *   rise demo                                   runs/demo, 4000 steps, BC / IDQL / RISE
 *   rise demo --steps 1500 --methods bc_expert,rise --out runs/quick
 *
 * Generates maze data once (100 expert demonstrations from the narrow start box, 200 play
 * episodes over the whole maze) into OUT/data, then for each method trains
 * CONFIGS/maze_<method>.json into OUT/<method>_s<seed> (`rise train`), evaluates it on the
 * coverage grid (`rise eval`, maps in OUT/<method>_s<seed>/eval/coverage.png) and prints a
 * comparison table, also written to OUT/summary.md. Each stage is the same code the
 * separate commands run, so a demo run directory can be resumed, re-evaluated or inspected
 * with them. */
#define _XOPEN_SOURCE 700 /* realpath, strtok_r */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "args.h"
#include "host/paths.h"
#include "host/progress.h"

#define DEMO_MAX_METHODS 16

typedef struct {
    const char *out, *configs, *backend;
    long steps, seed, trials;
    char methods[512];
} demo_options;

typedef struct {
    char name[64];
    double coverage, coverage_outside, success, train_s, eval_s;
    int ok;
} demo_row;

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static const char *default_configs(void) {
    static char dir[PATH_MAX];
    const char *src = getenv("RISE_SOURCE_DIR");
#ifdef RISE_SOURCE_DIR
    if (!src) src = RISE_SOURCE_DIR;
#endif
    snprintf(dir, sizeof dir, "%s/paper_repro/configs", src ? src : ".");
    return dir;
}

static void demo_usage(FILE *f, const demo_options *d) {
    fprintf(
        f,
        "usage: rise demo [options]\n"
        "The main job on the maze: generate expert + play data, train each method, evaluate\n"
        "its coverage over a 10x10 grid of start cells and print a comparison table.\n\n"
        "  --out DIR         output folder: data/, <method>_s<seed>/, summary.md [%s]\n"
        "  --methods LIST    comma-separated, each a config CONFIGS/maze_<method>.json\n"
        "                    (bc_expert bc_all iql cql idql rise rise_no_relabel ...) [%s]\n"
        "  --steps N         training steps per method [%ld]\n"
        "  --seed S          training seed [%ld]\n"
        "  --trials N        coverage episodes per grid cell [%ld]\n"
        "  --backend B       cpu | cuda [%s]\n"
        "  --configs DIR     where the maze_<method>.json configs are [%s]\n"
        "  --help            show this help\n"
        "About 6.5 minutes on a 2-core CPU with the defaults (rise_no_relabel is RISE with\n"
        "the spectral penalty only); `rise selftest` is the quick check of the network stack.\n",
        d->out, d->methods, d->steps, d->seed, d->trials, d->backend, d->configs);
}

static int make_dir(const char *dir) {
    if (rise_mkdir_p(dir) == RISE_OK) return 1;
    fprintf(stderr, "rise demo: %s\n", rise_last_error());
    return 0;
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Runs one of the rise commands in this process with a NULL-terminated argument list. */
static int run_command(int (*cmd)(int, char **), char **args) {
    int n = 0;
    while (args[n]) ++n;
    return cmd(n, args);
}

static int generate(const char *path, const char *kind, const char *episodes, const char *seed) {
    if (file_exists(path)) {
        printf("using %s\n", path);
        return 1;
    }
    char *args[] = {"gen",        "--task",     "maze",           "--kind",
                    (char *)kind, "--episodes", (char *)episodes, "--seed",
                    (char *)seed, "--out",      (char *)path,     NULL};
    return run_command(rise_cmd_gen, args) == 0;
}

/* coverage.json's numbers into row; 0 when it cannot be read. */
static int read_coverage(const char *path, demo_row *row) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char buf[1 << 16];
    const size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cJSON *j = cJSON_Parse(buf);
    if (!j) return 0;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "coverage");
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "coverage_outside_expert_region");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "success_rate");
    const int ok = cJSON_IsNumber(c) && cJSON_IsNumber(o) && cJSON_IsNumber(s);
    if (ok) {
        row->coverage = c->valuedouble;
        row->coverage_outside = o->valuedouble;
        row->success = s->valuedouble;
    }
    cJSON_Delete(j);
    return ok;
}

static void print_table(FILE *f, const demo_options *o, const demo_row *rows, int n) {
    fprintf(f, "maze, seed %ld, %ld training steps, 10x10 grid x %ld trials\n\n", o->seed, o->steps,
            o->trials);
    fprintf(
        f, "| method | coverage | coverage outside expert region | success | train s | eval s |\n");
    fprintf(f, "| --- | --- | --- | --- | --- | --- |\n");
    for (int i = 0; i < n; ++i) {
        if (rows[i].ok)
            fprintf(f, "| %s | %.2f | %.2f | %.3f | %.0f | %.0f |\n", rows[i].name,
                    rows[i].coverage, rows[i].coverage_outside, rows[i].success, rows[i].train_s,
                    rows[i].eval_s);
        else
            fprintf(f, "| %s | failed | | | | |\n", rows[i].name);
    }
    fprintf(f,
            "\ncoverage = fraction of grid cells whose start succeeds in at least half the "
            "trials; maps: %s/<method>_s%ld/eval/coverage.png\n",
            o->out, o->seed);
}

static int parse_options(int argc, char **argv, demo_options *o, int *help) {
    const demo_options defaults = *o;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        int ok = 1;
        const char *methods = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            demo_usage(stdout, &defaults);
            *help = 1;
            return 1;
        } else if (!strcmp(a, "--out"))
            ok = rise_arg_string(argc, argv, &i, &o->out);
        else if (!strcmp(a, "--configs"))
            ok = rise_arg_string(argc, argv, &i, &o->configs);
        else if (!strcmp(a, "--backend"))
            ok = rise_arg_string(argc, argv, &i, &o->backend);
        else if (!strcmp(a, "--methods")) {
            ok = rise_arg_string(argc, argv, &i, &methods);
            if (ok && (strlen(methods) == 0 || strlen(methods) >= sizeof o->methods)) {
                fprintf(stderr, "rise demo: --methods: expected a comma-separated list, got '%s'\n",
                        methods);
                ok = 0;
            }
            if (ok) snprintf(o->methods, sizeof o->methods, "%s", methods);
        } else if (!strcmp(a, "--steps"))
            ok = rise_arg_long(argc, argv, &i, 1, 100000000, &o->steps);
        else if (!strcmp(a, "--seed"))
            ok = rise_arg_long(argc, argv, &i, 0, LONG_MAX, &o->seed);
        else if (!strcmp(a, "--trials"))
            ok = rise_arg_long(argc, argv, &i, 1, 1000, &o->trials);
        else {
            fprintf(stderr, "rise demo: unknown option '%s' (see rise demo --help)\n", a);
            return 0;
        }
        if (!ok) return 0;
    }
    return 1;
}

/* Splits o->methods and checks that each has a config. */
static int split_methods(const demo_options *o, char *buf, const char **names, int *n) {
    snprintf(buf, 512, "%s", o->methods);
    *n = 0;
    for (char *save = NULL, *m = strtok_r(buf, ", ", &save); m; m = strtok_r(NULL, ", ", &save)) {
        if (*n == DEMO_MAX_METHODS) {
            fprintf(stderr, "rise demo: more than %d methods\n", DEMO_MAX_METHODS);
            return 0;
        }
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/maze_%s.json", o->configs, m);
        if (!file_exists(path)) {
            fprintf(stderr, "rise demo: method '%s': no config %s (see --configs)\n", m, path);
            return 0;
        }
        names[(*n)++] = m;
    }
    if (*n == 0) fprintf(stderr, "rise demo: --methods names no method\n");
    return *n > 0;
}

static int run_method(const demo_options *o, const char *m, const char *sources, demo_row *row) {
    /* sources: "expert:PATH,non_expert:PATH", under 2 PATH_MAX + 128 characters */
    char config[PATH_MAX], run[PATH_MAX], s_seed[64], s_steps[64], s_backend[64], s_trials[32],
        s_sources[2 * PATH_MAX + 160];
    snprintf(row->name, sizeof row->name, "%s", m);
    snprintf(config, sizeof config, "%s/maze_%s.json", o->configs, m);
    snprintf(run, sizeof run, "%s/%s_s%ld", o->out, m, o->seed);
    snprintf(s_seed, sizeof s_seed, "train.seed=%ld", o->seed);
    snprintf(s_steps, sizeof s_steps, "train.steps=%ld", o->steps);
    snprintf(s_backend, sizeof s_backend, "train.backend=%s", o->backend);
    snprintf(s_sources, sizeof s_sources, "data.sources=%s", sources);
    snprintf(s_trials, sizeof s_trials, "%ld", o->trials);
    printf("\n== %s -> %s\n", m, run);
    fflush(stdout);
    char *train[] = {"train", "--config", config,  "--set",   s_seed,  "--set", s_steps,
                     "--set", s_backend,  "--set", s_sources, "--out", run,     NULL};
    double t0 = now_s();
    if (run_command(rise_cmd_train, train) != 0) return 0;
    row->train_s = now_s() - t0;
    char *eval[] = {"eval", run, "--trials", s_trials, "--seed", "0", NULL};
    t0 = now_s();
    if (run_command(rise_cmd_eval, eval) != 0) return 0;
    row->eval_s = now_s() - t0;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/eval/coverage.json", run);
    if (!read_coverage(path, row)) {
        fprintf(stderr, "rise demo: cannot read %s\n", path);
        return 0;
    }
    return 1;
}

int rise_cmd_demo(int argc, char **argv) {
    demo_options o = {
        "runs/demo", default_configs(), "cpu", 4000, 0, 3, "bc_expert,idql,rise,rise_no_relabel"};
    int help = 0;
    if (!parse_options(argc, argv, &o, &help)) return 2;
    if (help) return 0;
    char buf[512];
    const char *names[DEMO_MAX_METHODS];
    int n_methods;
    if (!split_methods(&o, buf, names, &n_methods)) return 2;

    char data_dir[PATH_MAX], expert[PATH_MAX + 32], play[PATH_MAX + 32], abs_data[PATH_MAX];
    snprintf(data_dir, sizeof data_dir, "%s/data", o.out);
    if (!make_dir(o.out) || !make_dir(data_dir)) return 1;
    if (!realpath(data_dir, abs_data)) {
        fprintf(stderr, "rise demo: %s: %s\n", data_dir, strerror(errno));
        return 1;
    }
    snprintf(expert, sizeof expert, "%s/maze_expert.h5", abs_data);
    snprintf(play, sizeof play, "%s/maze_play.h5", abs_data);
    printf("rise demo: %d method(s), %ld steps each, into %s\n", n_methods, o.steps, o.out);
    if (!generate(expert, "expert", "100", "1") || !generate(play, "play", "200", "2")) return 1;
    char sources[2 * PATH_MAX + 128];
    snprintf(sources, sizeof sources, "expert:%s,non_expert:%s", expert, play);

    demo_row rows[DEMO_MAX_METHODS];
    memset(rows, 0, sizeof rows);
    int failed = 0;
    /* One progress line over the methods; each method's training and evaluation lines are
     * its parts (host/progress.h): prefixed "demo i/n" on a terminal, silent in a log. */
    rise_progress prog;
    rise_progress_init(&prog, stderr, "demo", n_methods);
    rise_progress_set_unit(&prog, "methods");
    for (int i = 0; i < n_methods; ++i) {
        rise_progress_set_outer(&prog);
        rows[i].ok = run_method(&o, names[i], sources, &rows[i]);
        rise_progress_set_outer(NULL);
        failed |= !rows[i].ok;
        rise_progress_update(&prog, i + 1);
    }
    rise_progress_finish(&prog);
    printf("\n");
    print_table(stdout, &o, rows, n_methods);
    char summary[PATH_MAX + 32];
    snprintf(summary, sizeof summary, "%s/summary.md", o.out);
    FILE *f = fopen(summary, "w");
    if (f) {
        print_table(f, &o, rows, n_methods);
        fclose(f);
        printf("wrote %s\n", summary);
    } else {
        fprintf(stderr, "rise demo: cannot write %s: %s\n", summary, strerror(errno));
        failed = 1;
    }
    return failed ? 1 : 0;
}
