/* coverage.h - coverage and robustness evaluation of a policy on a task.
 *
 * Coverage: a G x G grid over the evaluation box's two main
 * initial-condition axes; each cell runs `trials` episodes from starts
 * jittered uniformly inside the cell (other initial-condition dimensions
 * uniform over their evaluation range). A jittered start the task refuses
 * (inside a wall, inside the goal) is redrawn; a cell where no valid start
 * turns up is "blocked" and left out of every fraction. Results: success
 * per cell, overall success, coverage = fraction of valid cells with
 * success >= 0.5, and the same restricted to cells that do not overlap the
 * expert box. Episode (cell c = row * G + col, trial k) has key
 * c * trials + k, so results are a pure function of the seed.
 *
 * Robustness: episodes from the expert box (or the evaluation box) run
 * twice, clean and with perturbations (count, times, distance); the
 * recovery rate is the success rate among perturbed episodes that lived to
 * receive every perturbation, and the recovery rate given clean success the
 * same among the starts whose clean episode succeeded (paired by start, so
 * it measures getting back, not being able to succeed from there at all).
 *
 * Reports: CSV per cell, JSON summary (no timings, so it is byte-identical
 * for a seed), PNG heatmap with the task's walls, goal and the expert box
 * outlined, and an ASCII map. */
#ifndef RISE_ENVS_COVERAGE_H
#define RISE_ENVS_COVERAGE_H

#include <stdint.h>
#include <stdio.h>

#include "policy.h"
#include "rollout.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int grid;      /* cells per axis */
    int trials;    /* episodes per cell */
    uint64_t seed; /* jitter and policy randomness */
    int pool_size; /* envs stepped together (0: 64 per thread) */
    int threads;   /* 0: OpenMP's default */
    int progress;  /* print a progress line on stderr */
    int max_tries; /* jitter redraws per trial before it is dropped */
} rise_coverage_opts;

void rise_coverage_opts_default(rise_coverage_opts *o);

typedef struct {
    char task[RISE_ENV_NAME_MAX], policy[RISE_ENV_NAME_MAX];
    int grid, trials;
    uint64_t seed;
    char axis_name[2][RISE_ENV_NAME_MAX];
    double lo[2], hi[2];               /* evaluation box on the two axes */
    double expert_lo[2], expert_hi[2]; /* expert box on the two axes */
    /* [grid * grid], cell (col i, row j) at j * grid + i, row 0 at lo[1] */
    int *n_trials;                  /* valid trials run */
    int *n_success;                 /* of which succeeded */
    double *rate;                   /* n_success / n_trials, NaN when blocked */
    uint8_t *in_expert;             /* the cell overlaps the expert box */
    int cells_valid, cells_outside; /* valid cells; valid cells outside the expert box */
    int64_t episodes, successes;
    double success_rate;     /* successes / episodes */
    double coverage;         /* valid cells with rate >= 0.5 / cells_valid */
    double coverage_outside; /* the same among cells outside the expert box */
    int64_t steps;           /* env steps taken */
    double seconds;          /* wall time (not written to the JSON) */
} rise_coverage_result;

rise_status rise_coverage_run(const char *task, const char *settings_json, rise_policy *policy,
                              const rise_coverage_opts *o, rise_coverage_result *r);
void rise_coverage_result_free(rise_coverage_result *r);

typedef struct {
    int episodes;
    int from_eval_box; /* 0: starts in the expert box; 1: the whole evaluation box */
    rise_perturb_plan plan;
    int pool_size, threads, progress;
} rise_robust_opts;

void rise_robust_opts_default(rise_robust_opts *o);

typedef struct {
    int episodes;
    int clean_success;         /* successes without perturbation */
    int perturbed_success;     /* successes with perturbation */
    int reached;               /* perturbed episodes that received every perturbation */
    int reached_success;       /* of which succeeded */
    int clean_reached;         /* of those reached, the starts whose clean episode succeeded */
    int clean_reached_success; /* of which the perturbed episode succeeded too */
    double clean_rate, perturbed_rate, recovery_rate;
    double recovery_given_clean_rate; /* clean_reached_success / clean_reached (0 when none) */
    rise_perturb_plan plan;
    int from_eval_box;
    int64_t steps;
    double seconds;
    rise_episode_result *clean, *perturbed; /* [episodes] */
    double *ics;                            /* [episodes, ic_dim] */
    int ic_dim;
} rise_robust_result;

rise_status rise_robust_run(const char *task, const char *settings_json, rise_policy *policy,
                            uint64_t seed, const rise_robust_opts *o, rise_robust_result *r);
void rise_robust_result_free(rise_robust_result *r);

/* ---- reports (coverage_report.c, coverage_png.c) ---- */
rise_status rise_coverage_write_csv(const rise_coverage_result *r, const char *path);
/* env_args (JSON text), evaluated (JSON text: what was evaluated, as "evaluated": a trained
 * run's checkpoint, step, extraction...) and rob may be NULL. */
rise_status rise_coverage_write_json(const rise_coverage_result *r, const rise_robust_result *rob,
                                     const char *env_args, const char *evaluated, const char *path);
rise_status rise_robust_write_csv(const rise_robust_result *r, const char *path);
void rise_coverage_print_ascii(const rise_coverage_result *r, FILE *out);
/* env (may be NULL) supplies the walls and goal drawn over the map. */
rise_status rise_coverage_write_png(const rise_coverage_result *r, const rise_env *env,
                                    const char *path);

#ifdef __cplusplus
}
#endif
#endif
