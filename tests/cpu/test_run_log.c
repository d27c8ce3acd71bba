/* test_run_log.c - host/run_log.h: rows round-trip through metrics.csv
 * (parsed back, values equal to %.9g) and metrics.jsonl (parsed with cJSON;
 * NaN/Inf become null there and nan/inf in the CSV); rows with other
 * columns are refused; truncate_after keeps exactly the rows up to a step
 * (and drops a half-written last line), and an appending log continues
 * without a second header; header.json parses and has every field. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/run_log.h"
#include "test_util.h"

#define DIR "test_run_log_dir/nested/run"

/* Splits text into lines (in place); returns the count. */
static int split_lines(char *text, char **lines, int max) {
    int n = 0;
    for (char *s = text; s && *s && n < max;) {
        char *eol = strchr(s, '\n');
        if (eol) *eol = '\0';
        lines[n++] = s;
        s = eol ? eol + 1 : NULL;
    }
    return n;
}

static const char *names[3] = {"loss_q", "loss_v", "grad_norm"};

static double value(int64_t step, int col) {
    return (col + 1) * 0.1234567891234 + (double)step * 1e-3 - (col == 1 ? 1e6 : 0.0);
}

static void log_rows(rise_run_log *l, int64_t from, int64_t to, int64_t every) {
    for (int64_t s = from; s <= to; s += every) {
        double v[3];
        for (int c = 0; c < 3; ++c) v[c] = value(s, c);
        TEST_CHECK(rise_run_log_row(l, s, 3, names, v) == RISE_OK, "row %lld: %s", (long long)s,
                   rise_last_error());
    }
}

/* The CSV's data rows: every step in order and values equal to %.9g. */
static int check_csv(int64_t from, int64_t to, int64_t every, int *rows) {
    char *text = test_read_file(DIR "/metrics.csv", NULL);
    char *lines[256];
    const int n = text ? split_lines(text, lines, 256) : 0;
    int ok = n >= 1 && !strcmp(lines[0], "step,loss_q,loss_v,grad_norm");
    *rows = n - 1;
    int64_t expect = from;
    for (int i = 1; ok && i < n; ++i, expect += every) {
        char *s = lines[i], *end;
        ok &= strtoll(s, &end, 10) == expect && *end == ',';
        for (int c = 0; ok && c < 3; ++c) {
            s = end + 1;
            const double got = strtod(s, &end);
            char want[64];
            snprintf(want, sizeof want, "%.9g", value(expect, c));
            ok &= got == strtod(want, NULL) && fabs(got - value(expect, c)) <= 1e-8 * 1e6;
            ok &= *end == (c == 2 ? '\0' : ',');
        }
    }
    ok &= expect == to + every;
    free(text);
    return ok;
}

static int check_jsonl(int64_t from, int64_t to, int64_t every, int *rows) {
    char *text = test_read_file(DIR "/metrics.jsonl", NULL);
    char *lines[256];
    const int n = text ? split_lines(text, lines, 256) : 0;
    int ok = 1;
    *rows = n;
    int64_t expect = from;
    for (int i = 0; ok && i < n; ++i, expect += every) {
        cJSON *j = cJSON_Parse(lines[i]);
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "step");
        ok &= cJSON_IsNumber(st) && st->valuedouble == (double)expect && cJSON_GetArraySize(j) == 4;
        for (int c = 0; ok && c < 3; ++c) {
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, names[c]);
            ok &= cJSON_IsNumber(x) && fabs(x->valuedouble - value(expect, c)) <= 1e-2;
        }
        cJSON_Delete(j);
    }
    ok &= expect == to + every;
    free(text);
    return ok;
}

static void test_rows_and_resume(void) {
    rise_run_log l;
    TEST_CHECK(rise_run_log_open(&l, DIR, 0) == RISE_OK, "open (mkdir -p): %s", rise_last_error());
    log_rows(&l, 100, 1000, 100);
    /* other columns are refused, naming the file and the column */
    const char *fewer[2] = {"loss_q", "loss_v"}, *other[3] = {"loss_q", "loss_pi", "grad_norm"};
    const double v[3] = {1, 2, 3};
    TEST_CHECK(rise_run_log_row(&l, 1100, 2, fewer, v) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "metrics.csv") &&
                   strstr(rise_last_error(), "2 columns"),
               "fewer columns refused: %s", rise_last_error());
    TEST_CHECK(rise_run_log_row(&l, 1100, 3, other, v) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "loss_pi") && strstr(rise_last_error(), "loss_v"),
               "renamed column refused: %s", rise_last_error());
    const char *bad[1] = {"a,b"};
    TEST_CHECK(rise_run_log_row(&l, 1100, 1, bad, v) == RISE_ERR_INVALID, "comma in a name");
    TEST_CHECK(rise_run_log_close(&l) == RISE_OK, "close");
    int rows = 0;
    TEST_CHECK(check_csv(100, 1000, 100, &rows) && rows == 10, "CSV rows read back (%d rows)",
               rows);
    TEST_CHECK(check_jsonl(100, 1000, 100, &rows) && rows == 10, "JSONL rows read back (%d)", rows);

    /* resume from a checkpoint at step 600: rows 700..1000 go, a
     * half-written line (a crash) goes too */
    FILE *f = fopen(DIR "/metrics.csv", "ab");
    fputs("1100,0.5,0.2", f);
    fclose(f);
    f = fopen(DIR "/metrics.jsonl", "ab");
    fputs("{\"step\": 1100, \"loss_q\": 0.", f);
    fclose(f);
    TEST_CHECK(rise_run_log_truncate_after(DIR, 600) == RISE_OK, "truncate: %s", rise_last_error());
    TEST_CHECK(check_csv(100, 600, 100, &rows) && rows == 6, "CSV keeps steps <= 600 (%d)", rows);
    TEST_CHECK(check_jsonl(100, 600, 100, &rows) && rows == 6, "JSONL keeps steps <= 600 (%d)",
               rows);
    TEST_CHECK(rise_run_log_truncate_after(DIR, 600) == RISE_OK &&
                   check_csv(100, 600, 100, &rows) && rows == 6,
               "truncating again changes nothing");

    /* append continues with the same columns and no second header */
    TEST_CHECK(rise_run_log_open(&l, DIR, 1) == RISE_OK, "reopen: %s", rise_last_error());
    TEST_CHECK(rise_run_log_row(&l, 700, 2, fewer, v) == RISE_ERR_INVALID,
               "appending checks the existing header's columns");
    log_rows(&l, 700, 1200, 100);
    rise_run_log_close(&l);
    TEST_CHECK(check_csv(100, 1200, 100, &rows) && rows == 12, "resumed CSV: no duplicates (%d)",
               rows);
    TEST_CHECK(check_jsonl(100, 1200, 100, &rows) && rows == 12, "resumed JSONL (%d)", rows);

    /* a crash mid-line, then append directly: the partial line is dropped */
    f = fopen(DIR "/metrics.csv", "ab");
    fputs("1300,0.5", f);
    fclose(f);
    TEST_CHECK(rise_run_log_open(&l, DIR, 1) == RISE_OK, "reopen after a partial line");
    log_rows(&l, 1300, 1300, 100);
    rise_run_log_close(&l);
    TEST_CHECK(check_csv(100, 1300, 100, &rows) && rows == 13, "partial line dropped (%d)", rows);

    TEST_CHECK(rise_run_log_truncate_after(DIR, 0) == RISE_OK && check_csv(100, 0, 100, &rows) &&
                   rows == 0 && check_jsonl(100, 0, 100, &rows) && rows == 0,
               "truncate to before the first row keeps only the header");
}

static void test_nan(void) {
    rise_run_log l;
    TEST_CHECK(rise_run_log_open(&l, DIR, 0) == RISE_OK, "open fresh");
    const char *n2[4] = {"a", "b", "c", "d"};
    const double v[4] = {NAN, INFINITY, -INFINITY, 0.1};
    TEST_CHECK(rise_run_log_row(&l, 5, 4, n2, v) == RISE_OK, "row with NaN/Inf");
    rise_run_log_close(&l);
    char *csv = test_read_file(DIR "/metrics.csv", NULL),
         *jl = test_read_file(DIR "/metrics.jsonl", NULL);
    TEST_CHECK(csv && !strcmp(csv, "step,a,b,c,d\n5,nan,inf,-inf,0.1\n"),
               "CSV nan/inf and %%.9g: %s", csv);
    TEST_CHECK(
        jl && !strcmp(jl, "{\"step\": 5, \"a\": null, \"b\": null, \"c\": null, \"d\": 0.1}\n"),
        "JSONL null: %s", jl);
    cJSON *j = cJSON_Parse(jl);
    TEST_CHECK(j && cJSON_IsNull(cJSON_GetObjectItem(j, "a")) &&
                   cJSON_IsNull(cJSON_GetObjectItem(j, "c")) &&
                   cJSON_GetObjectItem(j, "d")->valuedouble == 0.1,
               "JSONL parses as JSON");
    cJSON_Delete(j);
    free(csv);
    free(jl);
}

static void test_header(void) {
    TEST_CHECK(rise_run_header_write(DIR, "cpu", "test CPU, 2 threads") == RISE_OK, "header: %s",
               rise_last_error());
    char *text = test_read_file(DIR "/header.json", NULL);
    cJSON *h = text ? cJSON_Parse(text) : NULL;
    TEST_CHECK(h != NULL, "header.json parses");
    const cJSON *commit = cJSON_GetObjectItem(h, "git_commit");
    const cJSON *dirty = cJSON_GetObjectItem(h, "git_dirty");
    const cJSON *when = cJSON_GetObjectItem(h, "time_utc");
    const cJSON *vers = cJSON_GetObjectItem(h, "versions");
    TEST_CHECK(cJSON_IsString(commit) &&
                   (strlen(commit->valuestring) == 40 || !strcmp(commit->valuestring, "unknown")),
               "git_commit");
    TEST_CHECK(dirty && (cJSON_IsBool(dirty) || cJSON_IsNull(dirty)), "git_dirty");
    /* the tests run inside the repository when git is installed */
    if (system("git rev-parse HEAD >/dev/null 2>&1") == 0)
        TEST_CHECK(strlen(commit->valuestring) == 40 && cJSON_IsBool(dirty),
                   "commit known inside a git tree: %s", commit->valuestring);
    TEST_CHECK(cJSON_IsString(when) && strlen(when->valuestring) == 20 &&
                   when->valuestring[4] == '-' && when->valuestring[10] == 'T' &&
                   when->valuestring[19] == 'Z',
               "ISO 8601 UTC time: %s", when ? when->valuestring : "-");
    TEST_CHECK(cJSON_IsString(cJSON_GetObjectItem(h, "hostname")) &&
                   cJSON_GetObjectItem(h, "hostname")->valuestring[0],
               "hostname");
    TEST_CHECK(
        !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(h, "backend")), "cpu") &&
            !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(h, "device")), "test CPU, 2 threads"),
        "backend and device");
    TEST_CHECK(cJSON_IsString(cJSON_GetObjectItem(h, "compiler")), "compiler");
    const char *hdf5 = cJSON_GetStringValue(cJSON_GetObjectItem(vers, "hdf5"));
    const char *cj = cJSON_GetStringValue(cJSON_GetObjectItem(vers, "cjson"));
    const char *blas = cJSON_GetStringValue(cJSON_GetObjectItem(vers, "openblas"));
    TEST_CHECK(hdf5 && hdf5[0] == '1' && hdf5[1] == '.', "hdf5 version %s", hdf5 ? hdf5 : "-");
    TEST_CHECK(cj && !strcmp(cj, cJSON_Version()), "cjson version");
    TEST_CHECK(blas && strstr(blas, "OpenBLAS"), "openblas config %s", blas ? blas : "-");
#ifdef RISE_WITH_CUDA
    TEST_CHECK(cJSON_IsString(cJSON_GetObjectItem(vers, "cuda_runtime")), "cuda runtime version");
#endif
    printf("header.json:\n%s\n", text ? text : "(missing)");
    cJSON_Delete(h);
    free(text);

    rise_run_log l;
    TEST_CHECK(rise_run_log_open(&l, DIR "/header.json/sub", 0) == RISE_ERR_IO,
               "a file in the way of the run directory: %s", rise_last_error());
}

int main(void) {
    test_rows_and_resume();
    test_nan();
    test_header();
    if (system("rm -rf test_run_log_dir") != 0) fprintf(stderr, "cleanup failed\n");
    return test_finish();
}
