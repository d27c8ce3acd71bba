/* cli/sweep_report.c - `rise sweep report DIR`: every finished run's metrics, aggregated per
 * point over seeds (n, mean, sample sd, a confidence interval of the mean, per-seed values)
 * into DIR/report/{runs.csv, summary.csv, summary.md} and the spec's PNG plots.
 *
 * A run counts when its completion marker matches the spec's definition (without the config
 * hash: the configs may have moved since) and lists every eval; a metric missing from a
 * finished run (a file or column the algorithm does not write) is left out of that point's
 * numbers and shown as "-" where no run has it. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "host/line_plot.h"
#include "host/stats.h"
#include "host/paths.h"
#include "sweep.h"
#include "host/text_file.h"
#include "sweep_claim.h"

/* ---- reading a run's metrics ---- */

static char *slurp(const char *path) {
    char *text = NULL;
    if (rise_read_text_file(path, "metrics", (size_t)1 << 28, 1, &text, NULL) != RISE_OK)
        rise_error_clear();
    return text;
}

static double json_metric(const char *path, const char *key) {
    char *text = slurp(path);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    free(text);
    const cJSON *v = root;
    char part[256];
    for (const char *p = key; v && *p;) {
        const char *dot = strchr(p, '.');
        const size_t len = dot ? (size_t)(dot - p) : strlen(p);
        snprintf(part, sizeof part, "%.*s", (int)len, p);
        v = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, part) : NULL;
        p += len + (dot ? 1 : 0);
    }
    const double x = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    cJSON_Delete(root);
    return x;
}

static double csv_metric(const char *path, const char *column, int reduce) {
    char *text = slurp(path);
    if (!text) return NAN;
    int col = -1, n = 0;
    double acc = NAN, sum = 0.0;
    char *save = NULL;
    int header = 1;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r') line[--len] = '\0';
        int c = 0;
        for (char *field = line;; ++c) {
            char *comma = strchr(field, ',');
            if (comma) *comma = '\0';
            if (header && !strcmp(field, column)) col = c;
            if (!header && c == col && field[0]) {
                char *end;
                const double x = strtod(field, &end);
                if (!*end && isfinite(x)) {
                    sum += x;
                    ++n;
                    if (reduce == SWEEP_REDUCE_LAST || n == 1)
                        acc = x;
                    else if (reduce == SWEEP_REDUCE_MIN)
                        acc = fmin(acc, x);
                    else if (reduce == SWEEP_REDUCE_MAX)
                        acc = fmax(acc, x);
                }
            }
            if (!comma) break;
            field = comma + 1;
        }
        if (header && col < 0) break;
        header = 0;
    }
    free(text);
    if (n == 0) return NAN;
    return reduce == SWEEP_REDUCE_MEAN ? sum / n : acc;
}

/* ---- aggregation ---- */

typedef struct {
    int n;
    double mean, sd, lo, hi;
} cell;

typedef struct {
    const sweep_spec *s;
    const sweep_report_options *o;
    const char *dir;
    int *finished; /* per run */
    double *value; /* [run][metric], NaN when missing */
    cell *cells;   /* [point][metric] */
    int n_finished;
    sweep_comparison_result *claim; /* per comparison of the spec's claim */
    int verdict;
} report;

static double *values_of(const report *R, int p, int m, long long *seeds, int *n) {
    const sweep_spec *s = R->s;
    double *v = malloc((size_t)s->n_seeds * sizeof *v);
    *n = 0;
    if (!v) return NULL;
    for (int k = 0; k < s->n_seeds; ++k) {
        const int r = p * s->n_seeds + k;
        const double x = R->value[(size_t)r * s->n_metrics + m];
        if (!R->finished[r] || !isfinite(x)) continue;
        if (seeds) seeds[*n] = s->runs[r].seed;
        v[(*n)++] = x;
    }
    return v;
}

static int aggregate(report *R) {
    const sweep_spec *s = R->s;
    for (int p = 0; p < s->n_points; ++p)
        for (int m = 0; m < s->n_metrics; ++m) {
            cell *c = &R->cells[(size_t)p * s->n_metrics + m];
            double *v = values_of(R, p, m, NULL, &c->n);
            if (!v) return 0;
            c->mean = c->n ? rise_stats_mean(v, c->n) : NAN;
            c->sd = rise_stats_sd(v, c->n);
            if (R->o->bootstrap)
                rise_stats_bootstrap_interval(v, c->n, R->o->level, R->o->resamples, R->o->seed,
                                              &c->lo, &c->hi);
            else
                rise_stats_t_interval(v, c->n, R->o->level, &c->lo, &c->hi);
            if (c->n < 2) c->lo = c->hi = NAN; /* one seed says nothing about the spread */
            free(v);
        }
    return 1;
}

/* The spec's claim: each comparison's difference of means and interval, and the verdict. */
static int judge_claim(report *R) {
    const sweep_spec *s = R->s;
    const sweep_claim *c = &s->claim;
    for (int i = 0; i < c->n_comparisons; ++i) {
        const sweep_comparison *k = &c->comparisons[i];
        int na = 0, nb = 0;
        double *a = values_of(R, k->a, k->metric, NULL, &na);
        double *b = k->b >= 0 ? values_of(R, k->b, k->metric, NULL, &nb) : NULL;
        const int ok = a && (k->b < 0 || b);
        if (ok) sweep_claim_compare(k, a, na, b, nb, R->o, &R->claim[i]);
        free(a);
        free(b);
        if (!ok) return 0;
    }
    R->verdict = sweep_claim_verdict(R->claim, c->n_comparisons);
    return 1;
}

static void write_claim_markdown(const report *R, FILE *f) {
    const sweep_spec *s = R->s;
    const sweep_claim *c = &s->claim;
    fprintf(f, "## Claim: %s\n\n", c->statement);
    fprintf(f,
            "| comparison | metric | means | difference | %g%% interval (%s) | seeds | verdict "
            "|\n| --- | --- | --- | --- | --- | --- | --- |\n",
            100 * R->o->level, R->o->bootstrap ? "bootstrap" : "Welch t");
    for (int i = 0; i < c->n_comparisons; ++i) {
        const sweep_comparison *k = &c->comparisons[i];
        const sweep_comparison_result *r = &R->claim[i];
        char text[600], seeds[64];
        sweep_comparison_text(s, k, text, sizeof text);
        if (k->b >= 0)
            snprintf(seeds, sizeof seeds, "%d / %d", r->n_a, r->n_b);
        else
            snprintf(seeds, sizeof seeds, "%d", r->n_a);
        fprintf(f, "| %s | %s | %.3f vs %.3f | %+.3f | ", text, s->metrics[k->metric].name,
                r->mean_a, r->mean_b, r->diff);
        if (isfinite(r->lo))
            fprintf(f, "[%+.3f, %+.3f] |", r->lo, r->hi);
        else
            fprintf(f, "- |");
        fprintf(f, " %s | %s |\n", seeds, sweep_verdict_name(r->verdict));
    }
    fprintf(f,
            "\n**Verdict: %s.** The difference is taken in the claimed direction (positive "
            "favours the claim); a comparison is supported when its whole interval lies above "
            "the margin (0 unless written), not supported when the whole interval lies below "
            "it, inconclusive otherwise; the claim is supported when every comparison is, not "
            "supported when any is.\n\n",
            sweep_verdict_name(R->verdict));
}

static int write_claim_json(const report *R, const char *path) {
    const sweep_spec *s = R->s;
    const sweep_claim *c = &s->claim;
    cJSON *o = cJSON_CreateObject(), *list = o ? cJSON_AddArrayToObject(o, "comparisons") : NULL;
    if (!list) {
        cJSON_Delete(o);
        return 0;
    }
    cJSON_AddStringToObject(o, "statement", c->statement);
    cJSON_AddStringToObject(o, "verdict", sweep_verdict_name(R->verdict));
    cJSON_AddStringToObject(o, "interval", R->o->bootstrap ? "bootstrap" : "welch_t");
    cJSON_AddNumberToObject(o, "level", R->o->level);
    for (int i = 0; i < c->n_comparisons; ++i) {
        const sweep_comparison *k = &c->comparisons[i];
        const sweep_comparison_result *r = &R->claim[i];
        char text[600];
        sweep_comparison_text(s, k, text, sizeof text);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToArray(list, e);
        cJSON_AddStringToObject(e, "comparison", text);
        cJSON_AddStringToObject(e, "metric", s->metrics[k->metric].name);
        cJSON_AddNumberToObject(e, "margin", k->margin);
        cJSON_AddNumberToObject(e, "n", r->n_a);
        if (k->b >= 0) cJSON_AddNumberToObject(e, "n_other", r->n_b);
        /* cJSON writes NaN as null */
        cJSON_AddNumberToObject(e, "mean", r->mean_a);
        cJSON_AddNumberToObject(e, "mean_other", r->mean_b);
        cJSON_AddNumberToObject(e, "difference", r->diff);
        cJSON_AddNumberToObject(e, "ci_low", r->lo);
        cJSON_AddNumberToObject(e, "ci_high", r->hi);
        cJSON_AddStringToObject(e, "verdict", sweep_verdict_name(r->verdict));
    }
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    FILE *f = text ? fopen(path, "w") : NULL;
    int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f) ok = (fclose(f) == 0) && ok;
    free(text);
    return ok;
}

/* ---- output ---- */

static void csv_field(FILE *f, const char *t) {
    if (!strpbrk(t, ",\"\n")) {
        fputs(t, f);
        return;
    }
    fputc('"', f);
    for (; *t; ++t) {
        if (*t == '"') fputc('"', f);
        fputc(*t, f);
    }
    fputc('"', f);
}

static void csv_number(FILE *f, double x) {
    if (isfinite(x)) fprintf(f, "%.10g", x);
}

static const char *interval_name(const sweep_report_options *o) {
    return o->bootstrap ? "bootstrap" : "t";
}

static int write_runs_csv(const report *R, const char *path) {
    const sweep_spec *s = R->s;
    FILE *f = fopen(path, "w");
    if (!f) return 0;
    fputs("run,name", f);
    for (int a = 0; a < s->n_axes; ++a) {
        fputc(',', f);
        csv_field(f, s->axes[a].key);
    }
    fputs(",seed,finished", f);
    for (int m = 0; m < s->n_metrics; ++m) fprintf(f, ",%s", s->metrics[m].name);
    fputc('\n', f);
    for (int r = 0; r < s->n_runs; ++r) {
        const sweep_point *p = &s->points[s->runs[r].point];
        csv_field(f, s->runs[r].dir);
        fputc(',', f);
        csv_field(f, p->name);
        for (int a = 0; a < s->n_axes; ++a) {
            fputc(',', f);
            csv_field(f, s->axes[a].values[p->value_index[a]]);
        }
        fprintf(f, ",%lld,%d", s->runs[r].seed, R->finished[r]);
        for (int m = 0; m < s->n_metrics; ++m) {
            fputc(',', f);
            csv_number(f, R->value[(size_t)r * s->n_metrics + m]);
        }
        fputc('\n', f);
    }
    return fclose(f) == 0;
}

static int write_summary_csv(const report *R, const char *path) {
    const sweep_spec *s = R->s;
    FILE *f = fopen(path, "w");
    if (!f) return 0;
    fputs("point,name", f);
    for (int a = 0; a < s->n_axes; ++a) {
        fputc(',', f);
        csv_field(f, s->axes[a].key);
    }
    fprintf(f, ",metric,n,mean,sd,ci_low,ci_high,interval,level,seeds,values\n");
    long long *seeds = malloc((size_t)s->n_seeds * sizeof *seeds);
    if (!seeds) {
        fclose(f);
        return 0;
    }
    for (int p = 0; p < s->n_points; ++p)
        for (int m = 0; m < s->n_metrics; ++m) {
            const sweep_point *pt = &s->points[p];
            const cell *c = &R->cells[(size_t)p * s->n_metrics + m];
            csv_field(f, pt->dir);
            fputc(',', f);
            csv_field(f, pt->name);
            for (int a = 0; a < s->n_axes; ++a) {
                fputc(',', f);
                csv_field(f, s->axes[a].values[pt->value_index[a]]);
            }
            fprintf(f, ",%s,%d,", s->metrics[m].name, c->n);
            csv_number(f, c->mean);
            fputc(',', f);
            if (c->n) csv_number(f, c->sd);
            fputc(',', f);
            csv_number(f, c->lo);
            fputc(',', f);
            csv_number(f, c->hi);
            fprintf(f, ",%s,%g,", interval_name(R->o), R->o->level);
            int n;
            double *v = values_of(R, p, m, seeds, &n);
            for (int k = 0; k < n; ++k) fprintf(f, "%s%lld", k ? ";" : "", seeds[k]);
            fputc(',', f);
            for (int k = 0; v && k < n; ++k) {
                if (k) fputc(';', f);
                csv_number(f, v[k]);
            }
            free(v);
            fputc('\n', f);
        }
    free(seeds);
    return fclose(f) == 0;
}

/* One table cell's text for column c of point p. */
static void format_column(const report *R, int p, const sweep_column *c, char *buf, size_t size) {
    const sweep_spec *s = R->s;
    buf[0] = '\0';
    if (c->n_metrics == 0) { /* "n" without a metric: finished runs */
        int n = 0;
        for (int k = 0; k < s->n_seeds; ++k) n += R->finished[p * s->n_seeds + k];
        snprintf(buf, size, "%d", n);
        return;
    }
    int any = 0;
    for (int q = 0; q < c->n_metrics; ++q)
        any |= R->cells[(size_t)p * s->n_metrics + c->metric[q]].n > 0;
    if (!any && c->show != SWEEP_SHOW_N) {
        snprintf(buf, size, "-");
        return;
    }
    const int d = c->digits;
    for (int q = 0; q < c->n_metrics; ++q) {
        const int m = c->metric[q];
        const cell *x = &R->cells[(size_t)p * s->n_metrics + m];
        char part[512];
        if (c->show == SWEEP_SHOW_N)
            snprintf(part, sizeof part, "%d", x->n);
        else if (x->n == 0)
            snprintf(part, sizeof part, "-");
        else if (c->show == SWEEP_SHOW_MEAN || x->n == 1)
            snprintf(part, sizeof part, "%.*f", d, x->mean);
        else if (c->show == SWEEP_SHOW_MEAN_SD)
            snprintf(part, sizeof part, "%.*f ± %.*f", d, x->mean, d, x->sd);
        else if (c->show == SWEEP_SHOW_MEAN_CI)
            snprintf(part, sizeof part, "%.*f [%.*f, %.*f]", d, x->mean, d, x->lo, d, x->hi);
        else { /* values */
            int n;
            double *v = values_of(R, p, m, NULL, &n);
            size_t len = 0;
            part[0] = '\0';
            for (int k = 0; v && k < n && len + 32 < sizeof part; ++k)
                len += (size_t)snprintf(part + len, sizeof part - len, "%s%.*f", k ? ", " : "", d,
                                        v[k]);
            free(v);
        }
        snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", q ? " / " : "", part);
    }
}

static void md_grid_header(FILE *f, const sweep_spec *s, const char *first) {
    fprintf(f, "| %s |", first);
    for (int a = 0; a < s->n_axes; ++a) fprintf(f, " %s |", s->axes[a].label);
}

static void md_grid_row(FILE *f, const sweep_spec *s, int p) {
    const sweep_point *pt = &s->points[p];
    fprintf(f, "| %s |", pt->name);
    for (int a = 0; a < s->n_axes; ++a) fprintf(f, " %s |", s->axes[a].values[pt->value_index[a]]);
}

static void write_markdown(const report *R, FILE *f, const char **plot_files) {
    const sweep_spec *s = R->s;
    const sweep_report_options *o = R->o;
    fprintf(f, "# Sweep %s\n\n", s->name);
    fprintf(f, "%d of %d runs finished (%d configurations x %d seeds). ", R->n_finished, s->n_runs,
            s->n_points, s->n_seeds);
    if (o->bootstrap)
        fprintf(f,
                "Intervals: %g%% percentile bootstrap of the mean over seeds (%d resamples drawn "
                "from Philox, seed %llu).\n\n",
                100 * o->level, o->resamples, o->seed);
    else
        fprintf(f,
                "Intervals: %g%% Student-t intervals of the mean over seeds, mean ± "
                "t(%g, n-1) sd / sqrt(n); sd is the sample standard deviation.\n\n",
                100 * o->level, 0.5 * (1 + o->level));
    if (s->has_table) {
        const sweep_table *t = &s->table;
        if (t->title) fprintf(f, "## %s\n\n", t->title);
        md_grid_header(f, s, t->row_title);
        for (int c = 0; c < t->n_columns; ++c) fprintf(f, " %s |", t->columns[c].title);
        fprintf(f, "\n|");
        for (int c = 0; c < 1 + s->n_axes + t->n_columns; ++c) fprintf(f, " --- |");
        fputc('\n', f);
        for (int p = 0; p < s->n_points; ++p) {
            md_grid_row(f, s, p);
            for (int c = 0; c < t->n_columns; ++c) {
                char buf[1024];
                format_column(R, p, &t->columns[c], buf, sizeof buf);
                fprintf(f, " %s |", buf);
            }
            fputc('\n', f);
        }
        fputc('\n', f);
    }
    if (s->has_claim) write_claim_markdown(R, f);
    long long *seeds = malloc((size_t)s->n_seeds * sizeof *seeds);
    for (int m = 0; m < s->n_metrics && seeds; ++m) {
        fprintf(f, "## %s\n\n%s `%s` of `%s`\n\n", s->metrics[m].name,
                s->metrics[m].kind == SWEEP_METRIC_JSON ? "key" : "column", s->metrics[m].key,
                s->metrics[m].file);
        md_grid_header(f, s, "run");
        fprintf(f, " n | mean | sd | %g%% interval (%s) | per seed |\n|", 100 * o->level,
                interval_name(o));
        for (int c = 0; c < 6 + s->n_axes; ++c) fprintf(f, " --- |");
        fputc('\n', f);
        for (int p = 0; p < s->n_points; ++p) {
            const cell *c = &R->cells[(size_t)p * s->n_metrics + m];
            md_grid_row(f, s, p);
            if (c->n == 0) {
                fprintf(f, " 0 | - | - | - | - |\n");
                continue;
            }
            fprintf(f, " %d | %.4g |", c->n, c->mean);
            if (c->n > 1)
                fprintf(f, " %.4g | [%.4g, %.4g] |", c->sd, c->lo, c->hi);
            else
                fprintf(f, " - | - |");
            int n;
            double *v = values_of(R, p, m, seeds, &n);
            for (int k = 0; v && k < n; ++k)
                fprintf(f, "%s s%lld: %.4g", k ? "," : "", seeds[k], v[k]);
            free(v);
            fprintf(f, " |\n");
        }
        fputc('\n', f);
    }
    free(seeds);
    if (s->n_plots) {
        fprintf(f, "## Plots\n\n");
        for (int i = 0; i < s->n_plots; ++i)
            if (plot_files[i]) fprintf(f, "![%s](%s)\n\n", plot_files[i], plot_files[i]);
    }
    if (R->n_finished < s->n_runs) {
        fprintf(f, "## Not finished\n\n");
        for (int r = 0; r < s->n_runs; ++r) {
            if (R->finished[r]) continue;
            char why[320];
            const sweep_run_status st = sweep_run_check(R->dir, s, r, 0, why, sizeof why);
            fprintf(f, "- %s (%s%s%s)\n", s->runs[r].dir, sweep_status_name(st), why[0] ? ": " : "",
                    why);
        }
        fputc('\n', f);
    }
}

/* ---- plots ---- */

static int write_plot(const report *R, const sweep_plot *pl, const char *path) {
    const sweep_spec *s = R->s;
    const int P = s->n_points;
    /* x positions: categories (names, or non-numeric axis values) or numbers */
    const sweep_axis *ax = pl->axis >= 0 ? &s->axes[pl->axis] : NULL;
    int numeric = ax != NULL;
    for (int k = 0; ax && k < ax->n_values; ++k) numeric &= isfinite(ax->numeric[k]);
    const char **cats = calloc((size_t)P + 1, sizeof *cats);
    int *series_of = calloc((size_t)P, sizeof *series_of);
    int *x_of = calloc((size_t)P, sizeof *x_of);
    char **keys = calloc((size_t)P, sizeof *keys);
    int n_cats = 0, n_series = 0, ok = cats && series_of && x_of && keys;
    for (int p = 0; ok && p < P; ++p) {
        const sweep_point *pt = &s->points[p];
        if (!ax) {
            int c = 0;
            while (c < n_cats && strcmp(cats[c], pt->name)) ++c;
            if (c == n_cats) cats[n_cats++] = pt->name;
            x_of[p] = c;
        } else {
            x_of[p] = pt->value_index[pl->axis];
        }
        /* the series: everything else that varies */
        char key[2048] = "";
        int distinct_names = 0;
        for (int q = 0; q < P && distinct_names < 2; ++q)
            distinct_names += q == 0 || strcmp(s->points[q].name, s->points[0].name) != 0;
        if (ax && distinct_names > 1) snprintf(key, sizeof key, "%s", pt->name);
        for (int a = 0; a < s->n_axes; ++a)
            if (a != pl->axis)
                snprintf(key + strlen(key), sizeof key - strlen(key), "%s%s=%s", key[0] ? ", " : "",
                         s->axes[a].label, s->axes[a].values[pt->value_index[a]]);
        int k = 0;
        while (k < n_series && strcmp(keys[k], key)) ++k;
        if (k == n_series) ok = (keys[n_series++] = strdup(key)) != NULL;
        series_of[p] = k;
    }
    if (ax && !numeric) {
        n_cats = ax->n_values;
        for (int k = 0; k < n_cats; ++k) cats[k] = ax->values[k];
    }
    const int n_x = ax ? ax->n_values : n_cats;
    double *buf = ok ? malloc((size_t)n_series * n_x * 4 * sizeof *buf) : NULL;
    rise_plot_series *series = ok ? calloc((size_t)n_series, sizeof *series) : NULL;
    ok = ok && buf && series;
    for (int k = 0; ok && k < n_series; ++k) {
        double *x = buf + (size_t)k * n_x * 4, *y = x + n_x, *lo = y + n_x, *hi = lo + n_x;
        for (int i = 0; i < n_x; ++i) {
            x[i] = numeric ? ax->numeric[i] : i;
            y[i] = lo[i] = hi[i] = NAN;
        }
        series[k] = (rise_plot_series){keys[k], n_x, x, y, lo, hi};
    }
    for (int p = 0; ok && p < P; ++p) {
        const cell *c = &R->cells[(size_t)p * s->n_metrics + pl->metric];
        if (c->n == 0) continue;
        rise_plot_series *se = &series[series_of[p]];
        ((double *)se->y)[x_of[p]] = c->mean;
        ((double *)se->lo)[x_of[p]] = c->lo;
        ((double *)se->hi)[x_of[p]] = c->hi;
    }
    char title[512], ylabel[128];
    snprintf(title, sizeof title, "%s: %s, mean and %g%% %s interval over seeds", s->name,
             s->metrics[pl->metric].name, 100 * R->o->level, R->o->bootstrap ? "bootstrap" : "t");
    snprintf(ylabel, sizeof ylabel, "%s", s->metrics[pl->metric].name);
    rise_status st = RISE_ERR_NOMEM;
    if (ok) {
        rise_plot p;
        memset(&p, 0, sizeof p);
        p.title = title;
        p.x_label = ax ? ax->key : s->has_table ? s->table.row_title : "run";
        p.y_label = ylabel;
        p.log_x = pl->log_x && numeric;
        p.n_categories = numeric ? 0 : n_cats;
        p.categories = cats;
        p.y_min = pl->y_min;
        p.y_max = pl->y_max;
        p.n_series = n_series;
        p.series = series;
        rise_plot_defaults(&p);
        st = rise_plot_write_png(&p, path);
        if (st != RISE_OK) fprintf(stderr, "rise sweep report: %s: %s\n", path, rise_last_error());
    }
    for (int k = 0; keys && k < n_series; ++k) free(keys[k]);
    free(keys);
    free(series);
    free(buf);
    free(cats);
    free(series_of);
    free(x_of);
    return st == RISE_OK;
}

/* ---- the command ---- */

static rise_status load_spec_copy(const char *dir, sweep_spec *s) {
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/sweep.json", dir);
    char *text = slurp(path);
    if (!text)
        return rise_error(RISE_ERR_IO,
                          "%s: cannot read it (%s); is %s the output folder of a sweep? (or give "
                          "--spec SPEC.json)",
                          path, strerror(errno), dir);
    cJSON *root = cJSON_Parse(text);
    free(text);
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(root, "spec");
    const cJSON *sdir = cJSON_GetObjectItemCaseSensitive(root, "spec_dir");
    char *spec_text = cJSON_IsObject(spec) ? cJSON_Print(spec) : NULL;
    rise_status st;
    if (!spec_text || !cJSON_IsString(sdir))
        st = rise_error(RISE_ERR_FORMAT,
                        "%s: expected {\"spec_file\", \"spec_dir\", \"spec\": {...}} as `rise "
                        "sweep` writes it",
                        path);
    else
        st = sweep_spec_parse(s, spec_text, path, sdir->valuestring);
    free(spec_text);
    cJSON_Delete(root);
    return st;
}

int sweep_report(const char *dir, const sweep_report_options *o) {
    sweep_spec s;
    rise_status st = o->spec ? sweep_spec_load(&s, o->spec) : load_spec_copy(dir, &s);
    if (st != RISE_OK) {
        fprintf(stderr, "rise sweep report: %s\n", rise_last_error());
        return 2;
    }
    if (s.n_metrics == 0) {
        fprintf(stderr, "rise sweep report: %s: defines no \"metrics\" to report\n", s.path);
        sweep_spec_free(&s);
        return 2;
    }
    char out[PATH_MAX + 32];
    if (o->out)
        snprintf(out, sizeof out, "%s", o->out);
    else
        snprintf(out, sizeof out, "%s/report", dir);
    report R = {&s, o, dir, NULL, NULL, NULL, 0, NULL, SWEEP_VERDICT_INCONCLUSIVE};
    R.finished = calloc((size_t)s.n_runs, sizeof *R.finished);
    R.value = malloc((size_t)s.n_runs * s.n_metrics * sizeof *R.value);
    R.cells = calloc((size_t)s.n_points * s.n_metrics, sizeof *R.cells);
    const char **plot_files = calloc((size_t)s.n_plots + 1, sizeof *plot_files);
    R.claim = calloc((size_t)s.claim.n_comparisons + 1, sizeof *R.claim);
    int rc = 1;
    if (!R.finished || !R.value || !R.cells || !plot_files || !R.claim) {
        fprintf(stderr, "rise sweep report: out of memory\n");
        goto done;
    }
    for (int r = 0; r < s.n_runs; ++r) {
        R.finished[r] = sweep_run_check(dir, &s, r, 0, NULL, 0) == SWEEP_RUN_DONE;
        R.n_finished += R.finished[r];
        for (int m = 0; m < s.n_metrics; ++m) {
            double x = NAN;
            if (R.finished[r]) {
                char path[PATH_MAX + 512];
                sweep_run_path(dir, &s, r, s.metrics[m].file, path, sizeof path);
                x = s.metrics[m].kind == SWEEP_METRIC_JSON
                        ? json_metric(path, s.metrics[m].key)
                        : csv_metric(path, s.metrics[m].key, s.metrics[m].reduce);
            }
            R.value[(size_t)r * s.n_metrics + m] = x;
        }
    }
    /* say which finished runs lack a metric: a typo in a key shows up here */
    for (int m = 0; m < s.n_metrics; ++m) {
        int missing = 0, first = -1;
        for (int r = 0; r < s.n_runs; ++r)
            if (R.finished[r] && !isfinite(R.value[(size_t)r * s.n_metrics + m])) {
                if (first < 0) first = r;
                ++missing;
            }
        if (missing)
            fprintf(stderr,
                    "rise sweep report: metric %s (%s \"%s\" of %s) is missing in %d of %d "
                    "finished runs, e.g. %s\n",
                    s.metrics[m].name, s.metrics[m].kind == SWEEP_METRIC_JSON ? "key" : "column",
                    s.metrics[m].key, s.metrics[m].file, missing, R.n_finished, s.runs[first].dir);
    }
    if (!aggregate(&R) || (s.has_claim && !judge_claim(&R)) || rise_mkdir_p(out) != RISE_OK) {
        fprintf(stderr, "rise sweep report: %s\n", rise_last_error());
        goto done;
    }
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/runs.csv", out);
    int ok = write_runs_csv(&R, path);
    snprintf(path, sizeof path, "%s/summary.csv", out);
    ok = ok && write_summary_csv(&R, path);
    if (ok && s.has_claim) {
        snprintf(path, sizeof path, "%s/claim.json", out);
        ok = write_claim_json(&R, path);
    }
    if (!ok) {
        fprintf(stderr, "rise sweep report: cannot write %s: %s\n", path, strerror(errno));
        goto done;
    }
    for (int i = 0; i < s.n_plots; ++i) {
        snprintf(path, sizeof path, "%s/%s", out, s.plots[i].file);
        if (!write_plot(&R, &s.plots[i], path)) goto done;
        plot_files[i] = s.plots[i].file;
    }
    snprintf(path, sizeof path, "%s/summary.md", out);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "rise sweep report: cannot write %s: %s\n", path, strerror(errno));
        goto done;
    }
    write_markdown(&R, f, plot_files);
    if (fclose(f) != 0) {
        fprintf(stderr, "rise sweep report: %s: write failed\n", path);
        goto done;
    }
    write_markdown(&R, stdout, plot_files);
    printf("wrote %s/{summary.md, summary.csv, runs.csv}", out);
    for (int i = 0; i < s.n_plots; ++i) printf("%s%s", i ? ", " : " and ", s.plots[i].file);
    printf("%s\n", s.has_claim ? " and claim.json" : "");
    if (s.has_claim) /* last, so that a script can take the verdict from the last line */
        printf("verdict: %s: %s\n", sweep_verdict_name(R.verdict), s.claim.statement);
    rc = 0;
done:
    free(plot_files);
    free(R.claim);
    free(R.finished);
    free(R.value);
    free(R.cells);
    sweep_spec_free(&s);
    return rc;
}
