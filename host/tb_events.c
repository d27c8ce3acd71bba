/* tb_events.c - TensorBoard event files: protobuf-c Events in TFRecord framing (see
 * tb_events.h). */
#include "host/tb_events.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "host/crc32c.h"
#include "tb_event.pb-c.h"

#define TB_SUFFIX "tfevents."
#define TB_MARK   ".rise" /* the files rise wrote: only those are removed or truncated */

static double wall_now(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + 1e-6 * (double)tv.tv_usec;
}

static int is_rise_event_file(const char *name) {
    const size_t n = strlen(name), m = strlen(TB_MARK);
    return !strncmp(name, "events.out." TB_SUFFIX, strlen("events.out." TB_SUFFIX)) && n > m &&
           !strcmp(name + n - m, TB_MARK);
}

static char *join(const char *dir, const char *name) {
    const size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Calls fn on every rise event file of dir (sorted order is not needed: there is one). */
static rise_status each_event_file(const char *dir, rise_status (*fn)(const char *path, void *ctx),
                                   void *ctx) {
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT
                   ? RISE_OK
                   : rise_error(RISE_ERR_IO, "%s: cannot list: %s", dir, strerror(errno));
    rise_status st = RISE_OK;
    for (struct dirent *e; st == RISE_OK && (e = readdir(d));) {
        if (!is_rise_event_file(e->d_name)) continue;
        char *path = join(dir, e->d_name);
        st = path ? fn(path, ctx) : rise_error(RISE_ERR_NOMEM, "out of memory");
        free(path);
    }
    closedir(d);
    return st;
}

static rise_status remember_path(const char *path, void *ctx) {
    char **found = ctx;
    if (!*found) *found = strdup(path);
    return RISE_OK;
}

char *rise_tb_find(const char *run_dir) {
    char *found = NULL;
    if (each_event_file(run_dir, remember_path, &found) != RISE_OK) rise_error_clear();
    return found;
}

static rise_status remove_path(const char *path, void *ctx) {
    (void)ctx;
    if (remove(path) != 0)
        return rise_error(RISE_ERR_IO, "%s: cannot remove: %s", path, strerror(errno));
    return RISE_OK;
}

/* One TFRecord: length, its masked CRC, the record, its masked CRC. */
static int put_record(FILE *f, const uint8_t *data, size_t len) {
    uint8_t head[8];
    const uint64_t n = len;
    for (int i = 0; i < 8; ++i) head[i] = (uint8_t)(n >> (8 * i));
    uint32_t crc[2] = {rise_crc32c_masked(head, 8), rise_crc32c_masked(data, len)};
    uint8_t c[2][4];
    for (int k = 0; k < 2; ++k)
        for (int i = 0; i < 4; ++i) c[k][i] = (uint8_t)(crc[k] >> (8 * i));
    return fwrite(head, 1, 8, f) == 8 && fwrite(c[0], 1, 4, f) == 4 &&
           (len == 0 || fwrite(data, 1, len, f) == len) && fwrite(c[1], 1, 4, f) == 4;
}

static rise_status put_event(rise_tb_writer *w, const RiseTb__Event *ev) {
    const size_t len = rise_tb__event__get_packed_size(ev);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) return rise_error(RISE_ERR_NOMEM, "%s: out of memory for an event", w->path);
    rise_tb__event__pack(ev, buf);
    const int ok = put_record(w->f, buf, len) && fflush(w->f) == 0;
    free(buf);
    if (!ok) return rise_error(RISE_ERR_IO, "%s: write failed: %s", w->path, strerror(errno));
    return RISE_OK;
}

rise_status rise_tb_open(rise_tb_writer *w, const char *run_dir, int append) {
    memset(w, 0, sizeof *w);
    if (append) w->path = rise_tb_find(run_dir);
    if (!append) RISE_TRY(each_event_file(run_dir, remove_path, NULL));
    const int fresh = w->path == NULL;
    if (fresh) {
        char host[256] = "localhost", name[400];
        if (gethostname(host, sizeof host - 1) != 0) snprintf(host, sizeof host, "localhost");
        host[sizeof host - 1] = 0;
        for (char *c = host; *c; ++c)
            if (*c == '/') *c = '_';
        snprintf(name, sizeof name, "events.out." TB_SUFFIX "%lld.%s" TB_MARK,
                 (long long)wall_now(), host);
        w->path = join(run_dir, name);
        if (!w->path) return rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    w->f = fopen(w->path, fresh ? "wb" : "ab");
    if (!w->f) {
        const rise_status st =
            rise_error(RISE_ERR_IO, "%s: cannot open for writing: %s", w->path, strerror(errno));
        free(w->path);
        w->path = NULL;
        return st;
    }
    if (!fresh) return RISE_OK;
    RiseTb__Event ev = RISE_TB__EVENT__INIT;
    ev.wall_time = wall_now();
    ev.what_case = RISE_TB__EVENT__WHAT_FILE_VERSION;
    ev.file_version = "brain.Event:2";
    const rise_status st = put_event(w, &ev);
    if (st != RISE_OK) rise_tb_close(w);
    return st;
}

rise_status rise_tb_scalars(rise_tb_writer *w, int64_t step, int n, const char *const *tags,
                            const double *values) {
    if (!w->f) return rise_error(RISE_ERR_INVALID, "TensorBoard writer is not open");
    RiseTb__SummaryValue *v = calloc((size_t)(n > 0 ? n : 1), sizeof *v);
    RiseTb__SummaryValue **pv = calloc((size_t)(n > 0 ? n : 1), sizeof *pv);
    if (!v || !pv) {
        free(v);
        free(pv);
        return rise_error(RISE_ERR_NOMEM, "%s: out of memory for %d scalars", w->path, n);
    }
    for (int i = 0; i < n; ++i) {
        rise_tb__summary_value__init(&v[i]);
        v[i].tag = (char *)tags[i];
        v[i].value_case = RISE_TB__SUMMARY_VALUE__VALUE_SIMPLE_VALUE;
        v[i].simple_value = (float)values[i];
        pv[i] = &v[i];
    }
    RiseTb__Summary sum = RISE_TB__SUMMARY__INIT;
    sum.n_value = (size_t)n;
    sum.value = pv;
    RiseTb__Event ev = RISE_TB__EVENT__INIT;
    ev.wall_time = wall_now();
    ev.step = step;
    ev.what_case = RISE_TB__EVENT__WHAT_SUMMARY;
    ev.summary = &sum;
    const rise_status st = put_event(w, &ev);
    free(v);
    free(pv);
    return st;
}

rise_status rise_tb_close(rise_tb_writer *w) {
    rise_status st = RISE_OK;
    if (w->f && fclose(w->f) != 0)
        st = rise_error(RISE_ERR_IO, "%s: close failed: %s", w->path, strerror(errno));
    w->f = NULL;
    free(w->path);
    w->path = NULL;
    return st;
}

static uint64_t get_le(const uint8_t *p, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = v << 8 | p[i];
    return v;
}

rise_status rise_tb_read_records(const char *path,
                                 void (*fn)(void *ctx, const uint8_t *record, size_t len),
                                 void *ctx, int *torn) {
    *torn = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return rise_error(RISE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    rise_status st = RISE_OK;
    uint8_t *buf = NULL;
    size_t cap = 0;
    long offset = 0;
    for (;;) {
        uint8_t head[12], tail[4];
        const size_t got = fread(head, 1, sizeof head, f);
        if (got == 0) break;
        if (got < sizeof head) {
            *torn = 1;
            break;
        }
        if ((uint32_t)get_le(head + 8, 4) != rise_crc32c_masked(head, 8)) {
            st = rise_error(RISE_ERR_FORMAT,
                            "%s: the length of the record at byte %ld fails its CRC-32C check",
                            path, offset);
            break;
        }
        const uint64_t len = get_le(head, 8);
        if (len > (1u << 30)) {
            st = rise_error(RISE_ERR_FORMAT, "%s: record at byte %ld claims %llu bytes", path,
                            offset, (unsigned long long)len);
            break;
        }
        if (len > cap) {
            uint8_t *nb = realloc(buf, (size_t)len);
            if (!nb) {
                st = rise_error(RISE_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            buf = nb;
            cap = (size_t)len;
        }
        if (fread(buf, 1, (size_t)len, f) != len || fread(tail, 1, 4, f) != 4) {
            *torn = 1;
            break;
        }
        if ((uint32_t)get_le(tail, 4) != rise_crc32c_masked(buf, (size_t)len)) {
            st = rise_error(RISE_ERR_FORMAT,
                            "%s: the record at byte %ld fails its CRC-32C check (%llu bytes)", path,
                            offset, (unsigned long long)len);
            break;
        }
        fn(ctx, buf, (size_t)len);
        offset += (long)(sizeof head + len + 4);
    }
    free(buf);
    fclose(f);
    return st;
}

typedef struct {
    FILE *out;
    int64_t step;
    int failed;
} truncate_ctx;

static void keep_early(void *ctx, const uint8_t *rec, size_t len) {
    truncate_ctx *t = ctx;
    RiseTb__Event *ev = rise_tb__event__unpack(NULL, len, rec);
    /* an event this file cannot decode is not rise's: keep it */
    const int keep = !ev || ev->what_case != RISE_TB__EVENT__WHAT_SUMMARY || ev->step <= t->step;
    if (ev) rise_tb__event__free_unpacked(ev, NULL);
    if (keep && !put_record(t->out, rec, len)) t->failed = 1;
}

static rise_status truncate_one(const char *path, void *ctx) {
    const int64_t step = *(const int64_t *)ctx;
    char *tmp = malloc(strlen(path) + 8);
    if (!tmp) return rise_error(RISE_ERR_NOMEM, "out of memory");
    sprintf(tmp, "%s.tmp", path);
    truncate_ctx t = {fopen(tmp, "wb"), step, 0};
    rise_status st = RISE_OK;
    if (!t.out) st = rise_error(RISE_ERR_IO, "%s: cannot write: %s", tmp, strerror(errno));
    int torn = 0;
    if (st == RISE_OK) st = rise_tb_read_records(path, keep_early, &t, &torn);
    if (t.out && fclose(t.out) != 0) t.failed = 1;
    if (st == RISE_OK && t.failed) st = rise_error(RISE_ERR_IO, "%s: write failed", tmp);
    if (st == RISE_OK && rename(tmp, path) != 0)
        st = rise_error(RISE_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    if (st != RISE_OK) remove(tmp);
    free(tmp);
    return st;
}

rise_status rise_tb_truncate_after(const char *run_dir, int64_t step) {
    return each_event_file(run_dir, truncate_one, &step);
}
