/* cli/sweep_spec.h - a sweep specification (JSON) and its expansion into runs.
 *
 *   {"name": "lr_sweep",
 *    "configs": {"idql": "../configs/maze_idql.json", "rise": "../configs/maze_rise.json"},
 *    "set": {"train.steps": 4000},                  every run
 *    "grid": {"critic.lr": [1e-4, 3e-4]},           crossed with every config
 *    "labels": {"critic.lr": "lr"},                 short names in directory names
 *    "seeds": [0, 1, 2],
 *    "prepare": [{"creates": "../../runs/data/maze_expert.h5",
 *                 "rise": ["gen", "--task", "maze", ..., "--out",
 * "../../runs/data/maze_expert.h5"]}], "evals": [{"name": "eval", "args": ["--trials", "3",
 * "--seed", "0"]}], "metrics": [{"name": "coverage", "file": "eval/coverage.json", "key":
 * "coverage"},
 *                {"name": "loss_q", "file": "metrics.csv", "column": "loss_q"}],
 *    "table": {...}, "plots": [...], "slurm": {...}}
 *
 * Instead of "configs", "config" names one config, or "runs" lists points explicitly
 * ([{"name": "cql_shifted", "config": "...", "set": {"cql.reward_scale": 4}}]); the grid is
 * crossed with each. Every run is one point x one seed, in the directory
 * OUT/<name>[/<label=value,...>]/s<seed>. Paths in the spec (config, prepare's creates
 * and arguments, the default out) are relative to the spec file's folder, as a config's
 * data paths are relative to the config; `rise train` and `rise eval` run there. docs/sweep.md
 * documents every field. */
#ifndef RISE_CLI_SWEEP_SPEC_H
#define RISE_CLI_SWEEP_SPEC_H

#include "host/error.h"

typedef struct {
    char *key;   /* config key, "critic.lr" */
    char *label; /* in directory names: the spec's label or the key */
    int n_values;
    char **values;   /* each value as --set text */
    double *numeric; /* the value as a number, NaN when it is not one */
} sweep_axis;

typedef struct {
    char *name;        /* the run's or config's name */
    char *config;      /* the config path as the spec writes it */
    char *config_path; /* resolved against the spec's folder */
    int n_sets;
    char **sets;      /* "key=value": the spec's set, the run's set, the grid's values */
    int *value_index; /* per axis, the index of this point's value */
    char *dir;        /* name[/label=value,...] */
} sweep_point;

typedef struct {
    int point;
    long long seed;
    char *dir; /* point dir + "/s<seed>" */
} sweep_run;

#define SWEEP_MAX_EVALS 16

typedef struct {
    char *name; /* output folder inside the run: "eval" or the given name */
    int n_args;
    char **args; /* `rise eval RUN` options */
} sweep_eval;

typedef struct {
    char *creates;      /* as written */
    char *creates_path; /* resolved */
    int n_args;
    char **args; /* a rise command line without the program: {"gen", "--task", ...} */
} sweep_prepare;

enum { SWEEP_METRIC_JSON, SWEEP_METRIC_CSV };
enum { SWEEP_REDUCE_LAST, SWEEP_REDUCE_MIN, SWEEP_REDUCE_MAX, SWEEP_REDUCE_MEAN };

typedef struct {
    char *name;
    int kind;   /* SWEEP_METRIC_JSON: key (dotted path); SWEEP_METRIC_CSV: column */
    char *file; /* inside the run directory */
    char *key;
    int reduce; /* CSV rows: last, min, max or mean */
} sweep_metric;

enum { SWEEP_SHOW_N, SWEEP_SHOW_MEAN, SWEEP_SHOW_MEAN_SD, SWEEP_SHOW_MEAN_CI, SWEEP_SHOW_VALUES };
#define SWEEP_COLUMN_METRICS 4

typedef struct {
    char *title;
    int show;
    int n_metrics; /* several: their values joined by " / " */
    int metric[SWEEP_COLUMN_METRICS];
    int digits;
} sweep_column;

typedef struct {
    char *title;     /* may be NULL */
    char *row_title; /* heading of the first column */
    int n_columns;
    sweep_column *columns;
} sweep_table;

typedef struct {
    int metric;
    int axis; /* index into axes, or -1: the point names */
    int log_x;
    double y_min, y_max; /* y_min < y_max: fixed */
    char *file;          /* PNG name inside the report folder */
} sweep_plot;

/* A claim the report judges from intervals (cli/sweep_claim.h): each comparison says that a
 * point's mean is greater (or less) than another point's mean, or than a number, by more than
 * a margin. */
enum { SWEEP_CLAIM_GREATER, SWEEP_CLAIM_LESS };

typedef struct {
    int direction; /* SWEEP_CLAIM_GREATER: a > b; SWEEP_CLAIM_LESS: a < b */
    int a;         /* point index */
    int b;         /* point index, or -1: compared with `value` */
    double value;
    double margin; /* the difference in the claimed direction must exceed it (default 0) */
    int metric;
} sweep_comparison;

typedef struct {
    char *statement;
    int metric; /* the comparisons' default */
    int n_comparisons;
    sweep_comparison *comparisons;
} sweep_claim;

typedef struct {
    char *path, *dir; /* the spec file and its folder (absolute) */
    char *text;       /* the file's text */
    char *name;
    char *out; /* default output folder (resolved), or NULL */
    char *seed_key;
    int n_seeds;
    long long *seeds;
    int n_axes;
    sweep_axis *axes;
    int n_points;
    sweep_point *points;
    int n_runs;
    sweep_run *runs; /* point-major, seeds inner */
    int n_evals;
    sweep_eval *evals;
    int n_prepare;
    sweep_prepare *prepare;
    int n_metrics;
    sweep_metric *metrics;
    int has_table;
    sweep_table table;
    int n_plots;
    sweep_plot *plots;
    int has_claim;
    sweep_claim claim;
    int n_sbatch;
    char **sbatch;
    int slurm_max_parallel; /* 0: no limit */

    /* every allocation, freed together */
    void **owned;
    int n_owned, cap_owned;
} sweep_spec;

/* Reads and expands a spec file; errors name the file, the field, what was expected and
 * what was found. */
rise_status sweep_spec_load(sweep_spec *s, const char *path);
/* The same from text; origin names it in errors, dir is the folder paths resolve against. */
rise_status sweep_spec_parse(sweep_spec *s, const char *text, const char *origin, const char *dir);
void sweep_spec_free(sweep_spec *s);

/* The index of the metric called name, or -1. */
int sweep_spec_metric(const sweep_spec *s, const char *name);

#endif
