/* cli/cov.h - the coverage / robustness options and evaluation shared by
 * `rise coverage` (scripted policies) and `rise eval` (trained runs). */
#ifndef RISE_CLI_COV_H
#define RISE_CLI_COV_H

#include <stdio.h>

#include "envs/coverage.h"

typedef struct {
    const char *task, *policy, *out, *settings, *dataset, *robust_from;
    const char *evaluated; /* JSON text for coverage.json's "evaluated" (rise eval), or NULL */
    long grid, trials, seed, threads, pool;
    double perturb_dist;
    long perturb_time, perturb_count, perturb_every, robust_episodes;
    int quiet, task_given, settings_given;
} cov_options;

void rise_cov_defaults(cov_options *o);
/* Parses argv[*i] if it is an evaluation option: 1 parsed, 0 bad value (reported),
 * -1 not an evaluation option. */
int rise_cov_parse_option(int argc, char **argv, int *i, cov_options *o);
void rise_cov_usage_options(FILE *f, const cov_options *defaults);
/* Runs coverage (and robustness when perturb_dist > 0), prints the map and summary,
 * writes reports under o->out. Returns a process exit code; errors are printed with
 * the command name cmd. */
int rise_cov_evaluate(const cov_options *o, rise_env *env, rise_policy *pol, const char *cmd);

#endif
