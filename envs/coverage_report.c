/* coverage_report.c - coverage and robustness results as CSV, JSON and an
 * ASCII map. Nothing time-dependent is written to files, so a report is
 * byte-identical for a seed. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "coverage.h"

static rise_status open_out(const char *path, FILE **f) {
    *f = fopen(path, "w");
    if (!*f)
        return rise_error(RISE_ERR_IO, "%s: cannot open for writing: %s", path, strerror(errno));
    return RISE_OK;
}

static rise_status close_out(FILE *f, const char *path) {
    const int bad = ferror(f);
    if (fclose(f) != 0 || bad) return rise_error(RISE_ERR_IO, "%s: write failed", path);
    return RISE_OK;
}

rise_status rise_coverage_write_csv(const rise_coverage_result *r, const char *path) {
    FILE *f;
    RISE_TRY(open_out(path, &f));
    const int G = r->grid;
    const double w0 = (r->hi[0] - r->lo[0]) / G, w1 = (r->hi[1] - r->lo[1]) / G;
    fprintf(f, "col,row,%s_lo,%s_hi,%s_lo,%s_hi,in_expert_region,trials,successes,success_rate\n",
            r->axis_name[0], r->axis_name[0], r->axis_name[1], r->axis_name[1]);
    for (int j = 0; j < G; ++j)
        for (int i = 0; i < G; ++i) {
            const int c = j * G + i;
            fprintf(f, "%d,%d,%.6g,%.6g,%.6g,%.6g,%d,%d,%d,", i, j, r->lo[0] + i * w0,
                    r->lo[0] + (i + 1) * w0, r->lo[1] + j * w1, r->lo[1] + (j + 1) * w1,
                    r->in_expert[c], r->n_trials[c], r->n_success[c]);
            if (r->n_trials[c])
                fprintf(f, "%.6f\n", r->rate[c]);
            else
                fprintf(f, "\n"); /* blocked: no valid start */
        }
    return close_out(f, path);
}

rise_status rise_robust_write_csv(const rise_robust_result *r, const char *path) {
    FILE *f;
    RISE_TRY(open_out(path, &f));
    fprintf(f, "episode");
    for (int d = 0; d < r->ic_dim; ++d) fprintf(f, ",ic%d", d);
    fprintf(f,
            ",clean_success,clean_steps,perturbed_success,perturbed_steps,perturbations_applied\n");
    for (int i = 0; i < r->episodes; ++i) {
        fprintf(f, "%d", i);
        for (int d = 0; d < r->ic_dim; ++d) fprintf(f, ",%.6f", r->ics[(size_t)i * r->ic_dim + d]);
        fprintf(f, ",%d,%d,%d,%d,%d\n", r->clean[i].success, r->clean[i].steps,
                r->perturbed[i].success, r->perturbed[i].steps, r->perturbed[i].n_perturbed);
    }
    return close_out(f, path);
}

static cJSON *robust_json(const rise_robust_result *r) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "starts", r->from_eval_box ? "evaluation region" : "expert region");
    cJSON_AddNumberToObject(o, "episodes", r->episodes);
    cJSON_AddNumberToObject(o, "perturbations_per_episode", r->plan.n_perturb);
    cJSON *times = cJSON_AddArrayToObject(o, "perturbation_steps");
    for (int k = 0; k < r->plan.n_perturb; ++k)
        cJSON_AddItemToArray(times, cJSON_CreateNumber(r->plan.perturb_t[k]));
    cJSON_AddNumberToObject(o, "perturbation_distance", r->plan.distance);
    cJSON_AddNumberToObject(o, "clean_success", r->clean_success);
    cJSON_AddNumberToObject(o, "clean_success_rate", r->clean_rate);
    cJSON_AddNumberToObject(o, "perturbed_success", r->perturbed_success);
    cJSON_AddNumberToObject(o, "perturbed_success_rate", r->perturbed_rate);
    cJSON_AddNumberToObject(o, "perturbed_episodes_reaching_all_perturbations", r->reached);
    cJSON_AddNumberToObject(o, "recovery_success_rate", r->recovery_rate);
    cJSON_AddNumberToObject(o, "clean_successes_reaching_all_perturbations", r->clean_reached);
    cJSON_AddNumberToObject(o, "recovery_given_clean_success_rate", r->recovery_given_clean_rate);
    return o;
}

rise_status rise_coverage_write_json(const rise_coverage_result *r, const rise_robust_result *rob,
                                     const char *env_args, const char *evaluated,
                                     const char *path) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return rise_error(RISE_ERR_NOMEM, "out of memory");
    cJSON_AddStringToObject(o, "task", r->task);
    cJSON_AddStringToObject(o, "policy", r->policy);
    if (evaluated) {
        cJSON *e = cJSON_Parse(evaluated);
        if (e) cJSON_AddItemToObject(o, "evaluated", e);
    }
    if (env_args) {
        cJSON *a = cJSON_Parse(env_args);
        if (a) cJSON_AddItemToObject(o, "env_args", a);
    }
    cJSON_AddNumberToObject(o, "seed", (double)r->seed);
    cJSON_AddNumberToObject(o, "grid", r->grid);
    cJSON_AddNumberToObject(o, "trials_per_cell", r->trials);
    cJSON *axes = cJSON_AddArrayToObject(o, "axes");
    for (int a = 0; a < 2; ++a) {
        cJSON *ax = cJSON_CreateObject();
        cJSON_AddStringToObject(ax, "name", r->axis_name[a]);
        cJSON_AddNumberToObject(ax, "lo", r->lo[a]);
        cJSON_AddNumberToObject(ax, "hi", r->hi[a]);
        cJSON_AddNumberToObject(ax, "expert_lo", r->expert_lo[a]);
        cJSON_AddNumberToObject(ax, "expert_hi", r->expert_hi[a]);
        cJSON_AddItemToArray(axes, ax);
    }
    cJSON_AddNumberToObject(o, "episodes", (double)r->episodes);
    cJSON_AddNumberToObject(o, "successes", (double)r->successes);
    cJSON_AddNumberToObject(o, "success_rate", r->success_rate);
    cJSON_AddNumberToObject(o, "coverage", r->coverage);
    cJSON_AddNumberToObject(o, "coverage_outside_expert_region", r->coverage_outside);
    cJSON_AddNumberToObject(o, "cells_valid", r->cells_valid);
    cJSON_AddNumberToObject(o, "cells_outside_expert_region", r->cells_outside);
    cJSON_AddNumberToObject(o, "env_steps", (double)r->steps);
    /* rows from the bottom (lowest second axis) up; null = no valid start */
    cJSON *rows = cJSON_AddArrayToObject(o, "success_rate_by_cell");
    for (int j = 0; j < r->grid; ++j) {
        cJSON *row = cJSON_CreateArray();
        for (int i = 0; i < r->grid; ++i) {
            const int c = j * r->grid + i;
            cJSON_AddItemToArray(row, r->n_trials[c] ? cJSON_CreateNumber(r->rate[c])
                                                     : cJSON_CreateNull());
        }
        cJSON_AddItemToArray(rows, row);
    }
    if (rob) cJSON_AddItemToObject(o, "robustness", robust_json(rob));
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    if (!text) return rise_error(RISE_ERR_NOMEM, "out of memory");
    FILE *f;
    rise_status st = open_out(path, &f);
    if (st == RISE_OK) {
        fputs(text, f);
        fputc('\n', f);
        st = close_out(f, path);
    }
    free(text);
    return st;
}

static char cell_char(const rise_coverage_result *r, int c) {
    if (r->n_trials[c] == 0) return 'x';
    const double p = r->rate[c];
    if (p >= 1.0) return '@';
    if (p <= 0.0) return '.';
    int d = (int)floor(p * 10.0);
    return (char)('0' + (d < 1 ? 1 : d > 9 ? 9 : d));
}

void rise_coverage_print_ascii(const rise_coverage_result *r, FILE *out) {
    const int G = r->grid;
    fprintf(out, "success by start cell: task %s, policy %s, %dx%d cells, %d trials each\n",
            r->task, r->policy, G, G, r->trials);
    fprintf(out, "  %s up (%g .. %g), %s right (%g .. %g)\n", r->axis_name[1], r->lo[1], r->hi[1],
            r->axis_name[0], r->lo[0], r->hi[0]);
    fprintf(out, "         +");
    for (int i = 0; i < G; ++i) fputs("---", out);
    fputs("+\n", out);
    for (int j = G - 1; j >= 0; --j) {
        const double yc = r->lo[1] + (j + 0.5) * (r->hi[1] - r->lo[1]) / G;
        fprintf(out, " %7.3f |", yc);
        for (int i = 0; i < G; ++i) {
            const int c = j * G + i;
            const char ch = cell_char(r, c);
            if (r->in_expert[c])
                fprintf(out, "[%c]", ch);
            else
                fprintf(out, " %c ", ch);
        }
        fputs("|\n", out);
    }
    fprintf(out, "         +");
    for (int i = 0; i < G; ++i) fputs("---", out);
    fputs("+\n", out);
    fprintf(out, "  @ every trial succeeded, 1-9 success in tenths, . none, x no valid start, "
                 "[ ] overlaps the expert region\n");
    fprintf(out,
            "  success %.3f (%lld/%lld)  coverage %.3f (%d cells)  coverage outside the expert "
            "region %.3f (%d cells)\n",
            r->success_rate, (long long)r->successes, (long long)r->episodes, r->coverage,
            r->cells_valid, r->coverage_outside, r->cells_outside);
}
