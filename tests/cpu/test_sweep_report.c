/* test_sweep_report.c - `rise sweep report` on a sweep folder written by hand: finished runs
 * (completion markers from sweep_state.c), an unfinished one, one finished under another
 * definition, metrics from JSON and CSV files. The numbers in summary.csv and summary.md are
 * checked against means, standard deviations and t intervals worked out here with t values
 * from a printed table; the bootstrap option and the PNG plot are checked too. */
#include <cjson/cJSON.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/cli/sweep.h"
#include "host/paths.h"
#include "host/stats.h"
#include "test_util.h"

#define T_975_DF1 12.706204736174707
#define T_975_DF2 4.302652729749464

static char root[256], out[300];

static const char *spec_text =
    "{\"name\": \"rep\", \"configs\": {\"a\": \"cfg_a.json\", \"b\": \"cfg_b.json\"},\n"
    " \"grid\": {\"critic.lr\": [0.1, 0.2]}, \"labels\": {\"critic.lr\": \"lr\"},\n"
    " \"seeds\": [0, 1, 2],\n"
    " \"metrics\": [{\"name\": \"coverage\", \"file\": \"eval/coverage.json\", \"key\": "
    "\"coverage\"},\n"
    "   {\"name\": \"nested\", \"file\": \"eval/coverage.json\", \"key\": \"robustness.rate\"},\n"
    "   {\"name\": \"loss\", \"file\": \"metrics.csv\", \"column\": \"loss_q\"}],\n"
    " \"table\": {\"title\": \"T\", \"row\": \"method\", \"columns\": [\n"
    "   {\"title\": \"seeds\", \"metric\": \"coverage\", \"show\": \"n\"},\n"
    "   {\"title\": \"coverage\", \"metric\": \"coverage\"},\n"
    "   {\"title\": \"ci\", \"metric\": \"coverage\", \"show\": \"mean_ci\", \"digits\": 2},\n"
    "   {\"title\": \"per seed\", \"metric\": \"coverage\", \"show\": \"values\", \"digits\": 1},\n"
    "   {\"title\": \"loss\", \"metric\": \"loss\", \"show\": \"mean\", \"digits\": 2}]},\n"
    " \"plots\": [{\"metric\": \"coverage\", \"x\": \"lr\"}]}\n";

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    TEST_CHECK(f != NULL, "cannot write %s", path);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* One run directory: coverage.json (and a CSV with an earlier and a last row when loss >= 0);
 * a completion marker from `marker_spec` unless it is NULL. */
static void make_run(const sweep_spec *s, const sweep_spec *marker_spec, int run, double coverage,
                     double loss) {
    char path[1024], text[256];
    sweep_run_path(out, s, run, "eval", path, sizeof path);
    TEST_CHECK(rise_mkdir_p(path) == RISE_OK, "mkdir %s", path);
    sweep_run_path(out, s, run, "eval/coverage.json", path, sizeof path);
    snprintf(text, sizeof text, "{\"coverage\": %.17g, \"robustness\": {\"rate\": %.17g}}",
             coverage, 1.0 - coverage);
    write_file(path, text);
    sweep_run_path(out, s, run, "metrics.csv", path, sizeof path);
    if (loss >= 0)
        snprintf(text, sizeof text, "step,loss_pi,loss_q\n500,1,9\n1000,2,%.17g\n", loss);
    else
        snprintf(text, sizeof text, "step,loss_pi\n500,1\n");
    write_file(path, text);
    if (!marker_spec) return;
    sweep_stages st;
    memset(&st, 0, sizeof st);
    st.train_done = 1;
    st.eval_done[0] = 1;
    TEST_CHECK(sweep_done_write(out, marker_spec, run, &st) == RISE_OK, "marker: %s",
               rise_last_error());
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 16];
    const size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* summary.csv's row for (point, metric): n, mean, sd, low, high. */
static int summary_row(const char *csv, const char *point, const char *metric, double v[5]) {
    char want[128];
    snprintf(want, sizeof want, "\n%s,", point);
    for (const char *p = strstr(csv, want); p; p = strstr(p + 1, want)) {
        char line[512];
        const char *eol = strchr(p + 1, '\n');
        snprintf(line, sizeof line, "%.*s", eol ? (int)(eol - p - 1) : 400, p + 1);
        /* point,name,critic.lr,metric,n,mean,sd,ci_low,ci_high,... */
        char *f[16];
        int n = 0;
        for (char *q = line; n < 16;) {
            f[n++] = q;
            char *c = strchr(q, ',');
            if (!c) break;
            *c = '\0';
            q = c + 1;
        }
        if (n < 9 || strcmp(f[3], metric)) continue;
        for (int k = 0; k < 5; ++k) v[k] = f[4 + k][0] ? atof(f[4 + k]) : NAN;
        return 1;
    }
    return 0;
}

static void close_to(const char *what, double got, double want) {
    TEST_CHECK(fabs(got - want) <= 1e-9 * (1 + fabs(want)), "%s: got %.12g, want %.12g", what, got,
               want);
}

static int decodes(const char *path, int *w, int *h) {
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path)) return 0;
    img.format = PNG_FORMAT_RGB;
    void *px = malloc(PNG_IMAGE_SIZE(img));
    const int ok = px && png_image_finish_read(&img, NULL, px, 0, NULL);
    *w = (int)img.width;
    *h = (int)img.height;
    free(px);
    if (!ok) png_image_free(&img);
    return ok;
}

int main(void) {
    snprintf(root, sizeof root, "/tmp/rise_test_sweep_report_%ld", (long)getpid());
    snprintf(out, sizeof out, "%s/out", root);
    char path[1024];
    TEST_CHECK(rise_mkdir_p(out) == RISE_OK, "mkdir");
    snprintf(path, sizeof path, "%s/cfg_a.json", root);
    write_file(path, "{}");
    snprintf(path, sizeof path, "%s/cfg_b.json", root);
    write_file(path, "{\"train\": {}}");
    sweep_spec s, other;
    snprintf(path, sizeof path, "%s/spec.json", root);
    if (sweep_spec_parse(&s, spec_text, path, root) != RISE_OK) {
        fprintf(stderr, "FAIL spec: %s\n", rise_last_error());
        return 1;
    }
    /* the same spec with another base --set: its markers describe other runs */
    char *changed = malloc(strlen(spec_text) + 64);
    snprintf(changed, strlen(spec_text) + 64, "{\"set\": {\"train.steps\": 5}, %s", spec_text + 1);
    if (sweep_spec_parse(&other, changed, path, root) != RISE_OK) {
        fprintf(stderr, "FAIL changed spec: %s\n", rise_last_error());
        return 1;
    }
    free(changed);
    /* OUT/sweep.json as `rise sweep` writes it */
    cJSON *copy = cJSON_CreateObject();
    cJSON_AddStringToObject(copy, "spec_file", path);
    cJSON_AddStringToObject(copy, "spec_dir", root);
    cJSON_AddItemToObject(copy, "spec", cJSON_Parse(spec_text));
    char *copy_text = cJSON_Print(copy);
    snprintf(path, sizeof path, "%s/sweep.json", out);
    write_file(path, copy_text);
    free(copy_text);
    cJSON_Delete(copy);

    /* runs: point-major, seeds 0, 1, 2; points a/lr=0.1, a/lr=0.2, b/lr=0.1, b/lr=0.2 */
    make_run(&s, &s, 0, 0.5, 1.0);
    make_run(&s, &s, 1, 0.7, 1.5);
    make_run(&s, &s, 2, 0.6, 2.0);
    make_run(&s, &other, 3, 0.9, 1.0); /* finished with another definition: not counted */
    make_run(&s, &s, 4, 0.8, 1.0);
    make_run(&s, &s, 5, 0.6, 1.0);
    make_run(&s, &s, 6, 0.1, -1); /* b: no loss column */
    make_run(&s, &s, 7, 0.2, -1);
    make_run(&s, &s, 8, 0.3, -1);
    make_run(&s, &s, 9, 0.4, -1);
    make_run(&s, &s, 10, 0.4, -1);
    make_run(&s, NULL, 11, 0.99, -1); /* no marker: unfinished */

    sweep_report_options o = {NULL, NULL, 0, 0.95, 10000, 0};
    TEST_CHECK(sweep_report(out, &o) == 0, "report ran");
    snprintf(path, sizeof path, "%s/report/summary.csv", out);
    const char *csv = slurp(path);
    TEST_CHECK(csv != NULL, "summary.csv written");
    double v[5];
    if (csv && summary_row(csv, "a/lr=0.1", "coverage", v)) {
        /* 0.5, 0.7, 0.6: mean 0.6, sd 0.1, t(0.975, 2) 0.1 / sqrt(3) either side */
        TEST_CHECK(v[0] == 3, "a/lr=0.1: n %g", v[0]);
        close_to("a/lr=0.1 mean", v[1], 0.6);
        close_to("a/lr=0.1 sd", v[2], 0.1);
        close_to("a/lr=0.1 low", v[3], 0.6 - T_975_DF2 * 0.1 / sqrt(3.0));
        close_to("a/lr=0.1 high", v[4], 0.6 + T_975_DF2 * 0.1 / sqrt(3.0));
    } else {
        TEST_CHECK(0, "no summary row for a/lr=0.1 coverage");
    }
    if (csv && summary_row(csv, "a/lr=0.2", "coverage", v)) {
        /* the stale seed 0 left out: 0.8, 0.6, sd sqrt(0.02), t(0.975, 1) sd / sqrt(2) */
        TEST_CHECK(v[0] == 2, "a/lr=0.2: n %g (the run of another definition must not count)",
                   v[0]);
        close_to("a/lr=0.2 mean", v[1], 0.7);
        close_to("a/lr=0.2 sd", v[2], sqrt(0.02));
        close_to("a/lr=0.2 low", v[3], 0.7 - T_975_DF1 * sqrt(0.02) / sqrt(2.0));
    } else {
        TEST_CHECK(0, "no summary row for a/lr=0.2 coverage");
    }
    if (csv && summary_row(csv, "b/lr=0.2", "coverage", v))
        TEST_CHECK(v[0] == 2 && fabs(v[1] - 0.4) < 1e-12,
                   "b/lr=0.2: the unfinished run is left out (n %g, mean %g)", v[0], v[1]);
    if (csv && summary_row(csv, "a/lr=0.1", "nested", v)) close_to("dotted JSON key", v[1], 0.4);
    if (csv && summary_row(csv, "a/lr=0.1", "loss", v)) close_to("CSV column, last row", v[1], 1.5);
    if (csv && summary_row(csv, "b/lr=0.1", "loss", v))
        TEST_CHECK(v[0] == 0 && isnan(v[1]), "a missing column: n 0, no mean");

    snprintf(path, sizeof path, "%s/report/summary.md", out);
    const char *md = slurp(path);
    TEST_CHECK(md && strstr(md, "| method | lr | seeds | coverage | ci | per seed | loss |"),
               "table header");
    TEST_CHECK(md && strstr(md, "| a | 0.1 | 3 | 0.600 ± 0.100 | 0.60 [0.35, 0.85] | 0.5, 0.7, "
                                "0.6 | 1.50 |"),
               "table row a/lr=0.1:\n%s", md ? md : "");
    TEST_CHECK(md && strstr(md, "| b | 0.1 | 3 | 0.200 ± 0.100 | 0.20 [-0.05, 0.45] | 0.1, 0.2, "
                                "0.3 | - |"),
               "table row b/lr=0.1 (loss missing shows -)");
    TEST_CHECK(md && strstr(md, "- a/lr=0.2/s0 (stale") &&
                   strstr(md, "- b/lr=0.2/s1 (new)") == NULL &&
                   strstr(md, "- b/lr=0.2/s2 (partial") == NULL && strstr(md, "- b/lr=0.2/s2 ("),
               "the not-finished list");
    snprintf(path, sizeof path, "%s/report/runs.csv", out);
    const char *runs = slurp(path);
    TEST_CHECK(runs && strstr(runs, "\na/lr=0.1/s1,a,0.1,1,1,0.7,0.3") &&
                   strstr(runs, "\nb/lr=0.2/s2,b,0.2,2,0,,,\n"),
               "runs.csv rows:\n%s", runs ? runs : "");
    int w = 0, h = 0;
    snprintf(path, sizeof path, "%s/report/coverage_vs_lr.png", out);
    TEST_CHECK(decodes(path, &w, &h) && w == 900 && h == 540, "plot decodes: %dx%d", w, h);

    /* the bootstrap option: the module's interval of the same values, inside their range */
    o.bootstrap = 1;
    o.resamples = 2000;
    o.seed = 5;
    TEST_CHECK(sweep_report(out, &o) == 0, "bootstrap report ran");
    snprintf(path, sizeof path, "%s/report/summary.csv", out);
    csv = slurp(path);
    const double a01[3] = {0.5, 0.7, 0.6};
    double lo, hi;
    rise_stats_bootstrap_interval(a01, 3, 0.95, 2000, 5, &lo, &hi);
    if (csv && summary_row(csv, "a/lr=0.1", "coverage", v)) {
        close_to("bootstrap low", v[3], lo);
        close_to("bootstrap high", v[4], hi);
        TEST_CHECK(v[3] >= 0.5 && v[4] <= 0.7 && v[3] < v[4], "bootstrap [%g, %g] within the data",
                   v[3], v[4]);
    }
    TEST_CHECK(csv && strstr(csv, ",bootstrap,0.95,"), "summary.csv names the interval");

    sweep_spec_free(&s);
    sweep_spec_free(&other);
    test_remove_dir(root);
    return test_finish();
}
