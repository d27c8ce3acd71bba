/* run_log.c - metrics.csv / metrics.jsonl and header.json (see run_log.h). */
#include "host/run_log.h"

#include "host/paths.h"
#include "host/text_file.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <hdf5.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifdef RISE_WITH_CUDA
#include <cuda_runtime_api.h>
#endif

/* OpenBLAS is always linked (a required dependency); its configuration
 * string names the version and the CPU kernel it chose. */
char *openblas_get_config(void);

static char *path_join(const char *dir, const char *name) {
    const size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

rise_status rise_run_mkdir_p(const char *dir) { return rise_mkdir_p(dir); }

/* ------------------------------------------------------------ metric log */

static void free_names(rise_run_log *l) {
    for (int i = 0; i < l->n_cols; ++i) free(l->names[i]);
    free(l->names);
    l->names = NULL;
    l->n_cols = -1;
}

static int valid_column(const char *s) {
    if (!s || !s[0] || !strcmp(s, "step")) return 0;
    for (const char *c = s; *c; ++c)
        if (*c < 0x20 || *c > 0x7e || *c == ',' || *c == '"' || *c == '\\') return 0;
    return 1;
}

/* Whole file into a malloc'd buffer; *n = -1 when the file is absent. */
static rise_status slurp(const char *path, char **out, long *n) {
    size_t len;
    RISE_TRY(rise_read_text_file(path, "metrics log", (size_t)1 << 34, 1, out, &len));
    *n = *out ? (long)len : -1;
    return RISE_OK;
}

/* Cuts an incomplete last line (a crash mid-write) off the file. */
static rise_status drop_partial_line(const char *path) {
    char *buf;
    long n;
    RISE_TRY(slurp(path, &buf, &n));
    rise_status st = RISE_OK;
    if (n > 0 && buf[n - 1] != '\n') {
        long keep = n - 1;
        while (keep > 0 && buf[keep - 1] != '\n') --keep;
        if (truncate(path, (off_t)keep) != 0)
            st = rise_error(RISE_ERR_IO, "%s: cannot drop the incomplete last line: %s", path,
                            strerror(errno));
    }
    free(buf);
    return st;
}

/* Columns from an existing CSV header ("step,a,b"). */
static rise_status read_header(rise_run_log *l) {
    char *buf;
    long n;
    RISE_TRY(slurp(l->csv_path, &buf, &n));
    if (n <= 0) {
        free(buf);
        l->need_header = 1;
        return RISE_OK;
    }
    char *eol = strchr(buf, '\n');
    if (eol) *eol = '\0';
    rise_status st = RISE_OK;
    if (strncmp(buf, "step", 4) != 0 || (buf[4] != ',' && buf[4] != '\0')) {
        st = rise_error(RISE_ERR_FORMAT,
                        "%s: first line \"%.60s\" is not a header starting with \"step\"",
                        l->csv_path, buf);
    } else {
        int count = 0;
        for (char *c = buf + 4; *c; ++c) count += *c == ',';
        l->names = calloc((size_t)(count ? count : 1), sizeof *l->names);
        if (!l->names) st = rise_error(RISE_ERR_NOMEM, "out of memory");
        l->n_cols = 0;
        char *s = buf + 4;
        while (st == RISE_OK && *s == ',') {
            char *start = s + 1, *end = strchr(start, ',');
            if (end) *end = '\0';
            if (!valid_column(start))
                st = rise_error(RISE_ERR_FORMAT, "%s: header column %d '%s' is not a valid name",
                                l->csv_path, l->n_cols + 1, start);
            else if (!(l->names[l->n_cols++] = strdup(start)))
                st = rise_error(RISE_ERR_NOMEM, "out of memory");
            if (!end) break;
            *end = ',';
            s = end;
        }
    }
    free(buf);
    return st;
}

rise_status rise_run_log_open(rise_run_log *l, const char *run_dir, int append) {
    memset(l, 0, sizeof *l);
    l->n_cols = -1;
    RISE_TRY(rise_run_mkdir_p(run_dir));
    l->csv_path = path_join(run_dir, "metrics.csv");
    l->jsonl_path = path_join(run_dir, "metrics.jsonl");
    rise_status st = RISE_OK;
    if (!l->csv_path || !l->jsonl_path) st = rise_error(RISE_ERR_NOMEM, "out of memory");
    if (st == RISE_OK && append) {
        st = drop_partial_line(l->csv_path);
        if (st == RISE_OK) st = drop_partial_line(l->jsonl_path);
        if (st == RISE_OK) st = read_header(l);
    } else {
        l->need_header = 1;
    }
    const char *mode = append ? "a" : "w";
    if (st == RISE_OK && !(l->csv = fopen(l->csv_path, mode)))
        st = rise_error(RISE_ERR_IO, "%s: cannot open for writing: %s", l->csv_path,
                        strerror(errno));
    if (st == RISE_OK && !(l->jsonl = fopen(l->jsonl_path, mode)))
        st = rise_error(RISE_ERR_IO, "%s: cannot open for writing: %s", l->jsonl_path,
                        strerror(errno));
    if (st == RISE_OK) st = rise_tb_open(&l->tb, run_dir, append);
    if (st != RISE_OK) rise_run_log_close(l);
    return st;
}

rise_status rise_run_log_close(rise_run_log *l) {
    rise_status st = RISE_OK;
    if (l->csv && fclose(l->csv) != 0)
        st = rise_error(RISE_ERR_IO, "%s: close failed: %s", l->csv_path, strerror(errno));
    if (l->jsonl && fclose(l->jsonl) != 0 && st == RISE_OK)
        st = rise_error(RISE_ERR_IO, "%s: close failed: %s", l->jsonl_path, strerror(errno));
    const rise_status tb = rise_tb_close(&l->tb);
    if (st == RISE_OK) st = tb;
    l->csv = l->jsonl = NULL;
    free_names(l);
    free(l->csv_path);
    free(l->jsonl_path);
    l->csv_path = l->jsonl_path = NULL;
    return st;
}

static void put_csv_value(FILE *f, double v) {
    if (isnan(v))
        fputs(",nan", f);
    else if (isinf(v))
        fputs(v > 0 ? ",inf" : ",-inf", f);
    else
        fprintf(f, ",%.9g", v);
}

rise_status rise_run_log_row(rise_run_log *l, int64_t step, int n, const char *const *names,
                             const double *values) {
    if (!l->csv || !l->jsonl)
        return rise_error(RISE_ERR_INVALID, "run log: row at step %" PRId64 " on a closed log",
                          step);
    if (n < 0 || (n > 0 && (!names || !values)))
        return rise_error(RISE_ERR_INVALID, "%s: row at step %" PRId64 " with %d columns",
                          l->csv_path, step, n);
    for (int i = 0; i < n; ++i)
        if (!valid_column(names[i]))
            return rise_error(RISE_ERR_INVALID,
                              "%s: column %d name '%s' is not allowed (printable ASCII without , "
                              "\" \\, not \"step\")",
                              l->csv_path, i, names[i] ? names[i] : "(null)");
    if (l->n_cols < 0) { /* the first row fixes the columns */
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < i; ++j)
                if (!strcmp(names[i], names[j]))
                    return rise_error(RISE_ERR_INVALID, "%s: column '%s' given twice", l->csv_path,
                                      names[i]);
        l->names = calloc((size_t)(n ? n : 1), sizeof *l->names);
        if (!l->names) return rise_error(RISE_ERR_NOMEM, "out of memory");
        for (l->n_cols = 0; l->n_cols < n; ++l->n_cols)
            if (!(l->names[l->n_cols] = strdup(names[l->n_cols]))) {
                free_names(l);
                return rise_error(RISE_ERR_NOMEM, "out of memory");
            }
    } else {
        if (n != l->n_cols)
            return rise_error(RISE_ERR_INVALID,
                              "%s: row at step %" PRId64
                              " has %d columns, expected %d as in the first row (%s%s)",
                              l->csv_path, step, n, l->n_cols, l->n_cols ? l->names[0] : "",
                              l->n_cols > 1 ? ", ..." : "");
        for (int i = 0; i < n; ++i)
            if (strcmp(names[i], l->names[i]) != 0)
                return rise_error(RISE_ERR_INVALID,
                                  "%s: row at step %" PRId64
                                  " has column %d '%s', expected '%s' as in the first row",
                                  l->csv_path, step, i, names[i], l->names[i]);
    }
    if (l->need_header) {
        fputs("step", l->csv);
        for (int i = 0; i < l->n_cols; ++i) fprintf(l->csv, ",%s", l->names[i]);
        fputc('\n', l->csv);
        l->need_header = 0;
    }
    fprintf(l->csv, "%" PRId64, step);
    for (int i = 0; i < n; ++i) put_csv_value(l->csv, values[i]);
    fputc('\n', l->csv);
    fprintf(l->jsonl, "{\"step\": %" PRId64, step);
    for (int i = 0; i < n; ++i) {
        if (isfinite(values[i]))
            fprintf(l->jsonl, ", \"%s\": %.9g", names[i], values[i]);
        else
            fprintf(l->jsonl, ", \"%s\": null", names[i]);
    }
    fputs("}\n", l->jsonl);
    if (fflush(l->csv) != 0 || ferror(l->csv))
        return rise_error(RISE_ERR_IO, "%s: write failed: %s", l->csv_path, strerror(errno));
    if (fflush(l->jsonl) != 0 || ferror(l->jsonl))
        return rise_error(RISE_ERR_IO, "%s: write failed: %s", l->jsonl_path, strerror(errno));
    return l->tb.f ? rise_tb_scalars(&l->tb, step, n, names, values) : RISE_OK;
}

/* The step a log line records: CSV "123,..." or JSONL {"step": 123, ...}. */
static int line_step(const char *line, int jsonl, int64_t *step) {
    const char *s = line;
    if (jsonl) {
        s = strstr(line, "\"step\"");
        if (!s) return 0;
        s += 6;
        while (*s == ' ') ++s;
        if (*s++ != ':') return 0;
        while (*s == ' ') ++s;
    }
    char *end;
    errno = 0;
    const long long v = strtoll(s, &end, 10);
    if (end == s || errno != 0) return 0;
    if (jsonl ? (*end != ',' && *end != '}' && *end != ' ') : (*end != ',' && *end != '\n'))
        return 0;
    *step = (int64_t)v;
    return 1;
}

static rise_status truncate_file(const char *path, int jsonl, int64_t step) {
    char *buf;
    long n;
    RISE_TRY(slurp(path, &buf, &n));
    if (n < 0) return RISE_OK; /* nothing logged yet */
    const size_t tn = strlen(path) + 32;
    char *tmp = malloc(tn);
    if (!tmp) {
        free(buf);
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    snprintf(tmp, tn, "%s.tmp.%ld", path, (long)getpid());
    FILE *out = fopen(tmp, "wb");
    rise_status st = RISE_OK;
    if (!out) st = rise_error(RISE_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
    long line_no = 0;
    for (char *line = buf; st == RISE_OK && *line;) {
        char *eol = strchr(line, '\n');
        if (!eol) break; /* an incomplete last line (a crash mid-write) */
        ++line_no;
        const size_t len = (size_t)(eol - line) + 1;
        int64_t s = 0;
        int keep;
        if (!jsonl && line_no == 1 && !strncmp(line, "step", 4))
            keep = 1; /* the header */
        else if (len == 1)
            keep = 0; /* blank */
        else if (line_step(line, jsonl, &s))
            keep = s <= step;
        else {
            st = rise_error(RISE_ERR_FORMAT, "%s: line %ld has no readable step: \"%.60s\"", path,
                            line_no, line);
            break;
        }
        if (keep && fwrite(line, 1, len, out) != len)
            st = rise_error(RISE_ERR_IO, "%s: write failed: %s", tmp, strerror(errno));
        line = eol + 1;
    }
    if (out && fclose(out) != 0 && st == RISE_OK)
        st = rise_error(RISE_ERR_IO, "%s: close failed: %s", tmp, strerror(errno));
    if (st == RISE_OK && rename(tmp, path) != 0)
        st = rise_error(RISE_ERR_IO, "%s: cannot replace with %s: %s", path, tmp, strerror(errno));
    if (st != RISE_OK && out) remove(tmp);
    free(tmp);
    free(buf);
    return st;
}

rise_status rise_run_log_truncate_after(const char *run_dir, int64_t step) {
    char *csv = path_join(run_dir, "metrics.csv");
    char *jsonl = path_join(run_dir, "metrics.jsonl");
    rise_status st = RISE_OK;
    if (!csv || !jsonl) st = rise_error(RISE_ERR_NOMEM, "out of memory");
    if (st == RISE_OK) st = truncate_file(csv, 0, step);
    if (st == RISE_OK) st = truncate_file(jsonl, 1, step);
    if (st == RISE_OK && (st = rise_tb_truncate_after(run_dir, step)) != RISE_OK)
        rise_error_context(st, "(delete the events.out.tfevents file to start the TensorBoard "
                               "log afresh) ");
    free(csv);
    free(jsonl);
    return st;
}

/* ---------------------------------------------------------------- header */

/* First line of a shell command's output (trimmed) into buf; returns the
 * exit status (-1 when it could not run). *any says whether it printed. */
static int run_cmd(const char *cmd, char *buf, size_t n, int *any) {
    buf[0] = '\0';
    *any = 0;
    fflush(NULL);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    char line[512];
    int first = 1;
    while (fgets(line, sizeof line, p)) {
        *any = 1;
        if (first) {
            size_t len = strlen(line);
            while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
            snprintf(buf, n, "%s", line);
            first = 0;
        }
    }
    return pclose(p);
}

/* "git -C '<dir>' " with the directory shell-quoted ("git " without one). */
static void git_prefix(char *buf, size_t n) {
    const char *dir = NULL;
#ifdef RISE_SOURCE_DIR
    dir = RISE_SOURCE_DIR;
#endif
    if (!dir) dir = getenv("RISE_SOURCE_DIR");
    if (!dir || !dir[0]) {
        snprintf(buf, n, "git ");
        return;
    }
    size_t k = (size_t)snprintf(buf, n, "git -C '");
    for (const char *c = dir; *c && k + 8 < n; ++c) {
        if (*c == '\'') {
            memcpy(buf + k, "'\\''", 4);
            k += 4;
        } else {
            buf[k++] = *c;
        }
    }
    snprintf(buf + k, n - k, "' ");
}

static int is_hex_commit(const char *s) {
    const size_t len = strlen(s);
    if (len < 40) return 0;
    for (size_t i = 0; i < len; ++i)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

rise_status rise_run_header_write(const char *run_dir, const char *backend_name,
                                  const char *device_desc) {
    return rise_run_header_write_extra(run_dir, backend_name, device_desc, NULL);
}

rise_status rise_run_header_write_extra(const char *run_dir, const char *backend_name,
                                        const char *device_desc, const char *extra_json) {
    RISE_TRY(rise_run_mkdir_p(run_dir));
    cJSON *extra = NULL;
    if (extra_json) {
        extra = cJSON_Parse(extra_json);
        if (!cJSON_IsObject(extra)) {
            cJSON_Delete(extra);
            return rise_error(RISE_ERR_INVALID,
                              "%s/header.json: the extra fields are not a JSON object: %.80s",
                              run_dir, extra_json);
        }
    }
    cJSON *h = cJSON_CreateObject();
    cJSON *v = cJSON_CreateObject();
    if (!h || !v) {
        cJSON_Delete(h);
        cJSON_Delete(v);
        cJSON_Delete(extra);
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    }

    char prefix[1200], cmd[1400], out[256];
    int any;
    git_prefix(prefix, sizeof prefix);
    snprintf(cmd, sizeof cmd, "%srev-parse HEAD 2>/dev/null", prefix);
    const int known = run_cmd(cmd, out, sizeof out, &any) == 0 && is_hex_commit(out);
    cJSON_AddStringToObject(h, "git_commit", known ? out : "unknown");
    snprintf(cmd, sizeof cmd, "%sstatus --porcelain 2>/dev/null", prefix);
    if (known && run_cmd(cmd, out, sizeof out, &any) == 0)
        cJSON_AddBoolToObject(h, "git_dirty", any);
    else
        cJSON_AddNullToObject(h, "git_dirty");

    char when[32];
    const time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(h, "time_utc", when);
    char host[256] = "unknown";
    if (gethostname(host, sizeof host) != 0) snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    cJSON_AddStringToObject(h, "hostname", host);
    cJSON_AddStringToObject(h, "backend", backend_name ? backend_name : "unknown");
    cJSON_AddStringToObject(h, "device", device_desc ? device_desc : "unknown");
#if defined(__clang__)
    cJSON_AddStringToObject(h, "compiler", "clang " __VERSION__);
#elif defined(__GNUC__)
    cJSON_AddStringToObject(h, "compiler", "gcc " __VERSION__);
#elif defined(__VERSION__)
    cJSON_AddStringToObject(h, "compiler", __VERSION__);
#else
    cJSON_AddStringToObject(h, "compiler", "unknown");
#endif

    unsigned maj = 0, min = 0, rel = 0;
    H5get_libversion(&maj, &min, &rel);
    snprintf(out, sizeof out, "%u.%u.%u", maj, min, rel);
    cJSON_AddStringToObject(v, "hdf5", out);
    cJSON_AddStringToObject(v, "cjson", cJSON_Version());
    const char *blas = openblas_get_config();
    cJSON_AddStringToObject(v, "openblas", blas ? blas : "unknown");
#ifdef RISE_WITH_CUDA
    int cv = 0;
    if (cudaRuntimeGetVersion(&cv) == cudaSuccess) {
        snprintf(out, sizeof out, "%d.%d", cv / 1000, (cv % 1000) / 10);
        cJSON_AddStringToObject(v, "cuda_runtime", out);
    }
    cv = 0;
    if (cudaDriverGetVersion(&cv) == cudaSuccess && cv > 0) {
        snprintf(out, sizeof out, "%d.%d", cv / 1000, (cv % 1000) / 10);
        cJSON_AddStringToObject(v, "cuda_driver", out);
    } else {
        cJSON_AddNullToObject(v, "cuda_driver"); /* no driver: no GPU here */
    }
#endif
    cJSON_AddItemToObject(h, "versions", v);
    while (extra && extra->child) {
        cJSON *item = cJSON_DetachItemViaPointer(extra, extra->child);
        cJSON_DeleteItemFromObjectCaseSensitive(h, item->string);
        cJSON_AddItemToObject(h, item->string, item);
    }
    cJSON_Delete(extra);

    char *text = cJSON_Print(h);
    cJSON_Delete(h);
    if (!text) return rise_error(RISE_ERR_NOMEM, "out of memory");
    char *path = path_join(run_dir, "header.json");
    const size_t tn = path ? strlen(path) + 32 : 0;
    char *tmp = path ? malloc(tn) : NULL;
    rise_status st = RISE_OK;
    if (!tmp) st = rise_error(RISE_ERR_NOMEM, "out of memory");
    FILE *f = NULL;
    if (st == RISE_OK) {
        snprintf(tmp, tn, "%s.tmp.%ld", path, (long)getpid());
        f = fopen(tmp, "wb");
        if (!f) st = rise_error(RISE_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
    }
    if (f) {
        fputs(text, f);
        fputc('\n', f);
        if (fclose(f) != 0) st = rise_error(RISE_ERR_IO, "%s: write failed", tmp);
        if (st == RISE_OK && rename(tmp, path) != 0)
            st = rise_error(RISE_ERR_IO, "%s: cannot move into place: %s", path, strerror(errno));
        if (st != RISE_OK) remove(tmp);
    }
    free(tmp);
    free(path);
    free(text);
    return st;
}
