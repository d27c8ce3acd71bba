/* cli/sweep_state.c - a sweep run directory's definition, stage record and completion
 * marker (see sweep.h): how a resumed sweep tells finished runs from partial and stale ones. */
#define _XOPEN_SOURCE 700
#include "sweep.h"
#include "host/text_file.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

const char *sweep_status_name(sweep_run_status st) {
    switch (st) {
    case SWEEP_RUN_NEW: return "new";
    case SWEEP_RUN_PARTIAL: return "partial";
    case SWEEP_RUN_DONE: return "done";
    case SWEEP_RUN_STALE: return "stale";
    }
    return "?";
}

void sweep_run_path(const char *out, const sweep_spec *s, int run, const char *file, char *buf,
                    size_t size) {
    snprintf(buf, size, "%s/%s%s%s", out, s->runs[run].dir, file && file[0] ? "/" : "",
             file ? file : "");
}

int sweep_selected(const sweep_options *o, const sweep_spec *s, int run) {
    if (!o->only) return 1;
    const char *d = s->runs[run].dir;
    return !strcmp(o->only, d) || fnmatch(o->only, d, 0) == 0;
}

/* The file's text, or NULL when it is absent or unreadable (the run then counts as not
 * done). */
static char *read_text(const char *path) {
    char *text = NULL;
    if (rise_read_text_file(path, "file", (size_t)1 << 26, 1, &text, NULL) != RISE_OK)
        rise_error_clear();
    return text;
}

static cJSON *read_json(const char *path) {
    char *text = read_text(path);
    if (!text) return NULL;
    cJSON *j = cJSON_Parse(text);
    free(text);
    return j;
}

/* FNV-1a over the file's bytes: enough to notice an edited config. */
static int hash_file(const char *path, char *hex, size_t size) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    uint64_t h = 1469598103934665603ull;
    int c;
    while ((c = fgetc(f)) != EOF) h = (h ^ (unsigned char)c) * 1099511628211ull;
    fclose(f);
    snprintf(hex, size, "%016llx", (unsigned long long)h);
    return 1;
}

static cJSON *train_definition_json(const sweep_spec *s, int run) {
    const sweep_run *r = &s->runs[run];
    const sweep_point *p = &s->points[r->point];
    cJSON *d = cJSON_CreateObject();
    cJSON *sets = cJSON_CreateArray();
    char hex[32], seed[160];
    if (!hash_file(p->config_path, hex, sizeof hex)) snprintf(hex, sizeof hex, "missing");
    snprintf(seed, sizeof seed, "%s=%lld", s->seed_key, r->seed);
    int ok = d && sets && cJSON_AddStringToObject(d, "config", p->config) &&
             cJSON_AddStringToObject(d, "config_fnv1a64", hex);
    for (int k = 0; ok && k < p->n_sets; ++k)
        ok = cJSON_AddItemToArray(sets, cJSON_CreateString(p->sets[k]));
    ok = ok && cJSON_AddItemToArray(sets, cJSON_CreateString(seed));
    if (ok) {
        cJSON_AddItemToObject(d, "set", sets);
        return d;
    }
    cJSON_Delete(sets);
    cJSON_Delete(d);
    return NULL;
}

char *sweep_train_definition(const sweep_spec *s, int run) {
    cJSON *d = train_definition_json(s, run);
    char *text = d ? cJSON_PrintUnformatted(d) : NULL;
    cJSON_Delete(d);
    return text;
}

static cJSON *eval_definition_json(const sweep_spec *s, int eval) {
    const sweep_eval *e = &s->evals[eval];
    cJSON *d = cJSON_CreateObject(), *args = cJSON_CreateArray();
    int ok = d && args && cJSON_AddStringToObject(d, "name", e->name);
    for (int k = 0; ok && k < e->n_args; ++k)
        ok = cJSON_AddItemToArray(args, cJSON_CreateString(e->args[k]));
    if (ok) {
        cJSON_AddItemToObject(d, "args", args);
        return d;
    }
    cJSON_Delete(args);
    cJSON_Delete(d);
    return NULL;
}

char *sweep_eval_definition(const sweep_spec *s, int eval) {
    cJSON *d = eval_definition_json(s, eval);
    char *text = d ? cJSON_PrintUnformatted(d) : NULL;
    cJSON_Delete(d);
    return text;
}

/* Equal definitions? Without the content hash when check_hash is 0; a short reason in why. */
static int same_train(const cJSON *recorded, const cJSON *now, int check_hash, char *why,
                      size_t size) {
    if (!cJSON_IsObject(recorded)) {
        if (why) snprintf(why, size, "its record has no definition");
        return 0;
    }
    static const char *const fields[] = {"config", "config_fnv1a64", "set"};
    static const char *const reasons[] = {"another config file", "the config file changed since",
                                          "other --set values or seed"};
    for (int k = 0; k < 3; ++k) {
        if (k == 1 && !check_hash) continue;
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(recorded, fields[k]);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(now, fields[k]);
        char *ta = a ? cJSON_PrintUnformatted(a) : NULL, *tb = b ? cJSON_PrintUnformatted(b) : NULL;
        const int same = ta && tb && !strcmp(ta, tb);
        if (!same && why)
            snprintf(why, size, "it was trained with %s: %.200s", reasons[k], ta ? ta : "?");
        free(ta);
        free(tb);
        if (!same) return 0;
    }
    return 1;
}

/* Is eval i of the spec among the recorded list (same name and arguments)? */
static int eval_listed(const cJSON *list, const sweep_spec *s, int i, double *seconds) {
    char *want = sweep_eval_definition(s, i);
    int found = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, list) {
        const cJSON *def = cJSON_GetObjectItemCaseSensitive(e, "eval");
        char *t = def ? cJSON_PrintUnformatted(def) : NULL;
        if (t && want && !strcmp(t, want)) {
            found = 1;
            const cJSON *sec = cJSON_GetObjectItemCaseSensitive(e, "seconds");
            if (seconds && cJSON_IsNumber(sec)) *seconds = sec->valuedouble;
        }
        free(t);
    }
    free(want);
    return found;
}

sweep_run_status sweep_run_check(const char *out, const sweep_spec *s, int run, int check_hash,
                                 char *why, size_t why_size) {
    if (why && why_size) why[0] = '\0';
    char path[8192];
    cJSON *now = train_definition_json(s, run);
    if (!now) return SWEEP_RUN_STALE;
    sweep_run_status st = SWEEP_RUN_NEW;
    sweep_run_path(out, s, run, "sweep_done.json", path, sizeof path);
    cJSON *done = read_json(path);
    sweep_run_path(out, s, run, "sweep_state.json", path, sizeof path);
    cJSON *state = done ? NULL : read_json(path);
    if (done || state) {
        cJSON *rec = done ? done : state;
        if (!same_train(cJSON_GetObjectItemCaseSensitive(rec, "train"), now, check_hash, why,
                        why_size)) {
            st = SWEEP_RUN_STALE;
        } else if (done) {
            st = SWEEP_RUN_DONE;
            const cJSON *evals = cJSON_GetObjectItemCaseSensitive(done, "evals");
            for (int i = 0; i < s->n_evals && st == SWEEP_RUN_DONE; ++i)
                if (!eval_listed(evals, s, i, NULL)) st = SWEEP_RUN_PARTIAL;
        } else {
            st = SWEEP_RUN_PARTIAL;
        }
    } else {
        /* training output of unknown origin: never resume or overwrite it silently */
        struct stat sb;
        sweep_run_path(out, s, run, "checkpoint.h5", path, sizeof path);
        const int ckpt = stat(path, &sb) == 0;
        sweep_run_path(out, s, run, "config.json", path, sizeof path);
        if (ckpt || stat(path, &sb) == 0) {
            st = SWEEP_RUN_STALE;
            if (why) snprintf(why, why_size, "it holds training output but no sweep record");
        }
    }
    cJSON_Delete(done);
    cJSON_Delete(state);
    cJSON_Delete(now);
    return st;
}

void sweep_state_read(const char *out, const sweep_spec *s, int run, sweep_stages *st) {
    memset(st, 0, sizeof *st);
    char path[8192];
    sweep_run_path(out, s, run, "sweep_state.json", path, sizeof path);
    cJSON *state = read_json(path), *now = train_definition_json(s, run);
    if (state && now &&
        same_train(cJSON_GetObjectItemCaseSensitive(state, "train"), now, 1, NULL, 0)) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(state, "train_seconds");
        st->train_done = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "train_done"));
        st->train_s = cJSON_IsNumber(t) ? t->valuedouble : 0.0;
        const cJSON *evals = cJSON_GetObjectItemCaseSensitive(state, "evals_done");
        for (int i = 0; i < s->n_evals; ++i)
            st->eval_done[i] = eval_listed(evals, s, i, &st->eval_s[i]);
    }
    cJSON_Delete(state);
    cJSON_Delete(now);
}

static void utc_now(char *buf, size_t size) {
    const time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* {"train": ..., <train_done>, "train_seconds", <evals list>, [finished]} */
static rise_status write_record(const char *out, const sweep_spec *s, int run,
                                const sweep_stages *st, int final) {
    cJSON *root = cJSON_CreateObject(), *evals = cJSON_CreateArray();
    cJSON *train = train_definition_json(s, run);
    int ok = root && evals && train;
    if (ok) {
        cJSON_AddItemToObject(root, "train", train);
        train = NULL;
        if (!final) ok = cJSON_AddBoolToObject(root, "train_done", st->train_done) != NULL;
        ok = ok && cJSON_AddNumberToObject(root, "train_seconds", st->train_s);
    }
    for (int i = 0; ok && i < s->n_evals; ++i) {
        if (!st->eval_done[i]) continue;
        cJSON *e = cJSON_CreateObject(), *def = eval_definition_json(s, i);
        ok = e && def;
        if (ok) {
            cJSON_AddItemToObject(e, "eval", def);
            ok = cJSON_AddNumberToObject(e, "seconds", st->eval_s[i]) != NULL;
            cJSON_AddItemToArray(evals, e);
        } else {
            cJSON_Delete(e);
            cJSON_Delete(def);
        }
    }
    if (ok) {
        cJSON_AddItemToObject(root, final ? "evals" : "evals_done", evals);
        evals = NULL;
    }
    if (ok && final) {
        char when[64];
        utc_now(when, sizeof when);
        ok = cJSON_AddStringToObject(root, "finished", when) != NULL;
    }
    char *text = ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    cJSON_Delete(evals);
    cJSON_Delete(train);
    if (!text)
        return rise_error(RISE_ERR_NOMEM, "%s: sweep record: out of memory", s->runs[run].dir);
    char path[8192];
    sweep_run_path(out, s, run, final ? "sweep_done.json" : "sweep_state.json", path, sizeof path);
    const rise_status rs = sweep_write_atomic(path, text);
    free(text);
    return rs;
}

rise_status sweep_state_write(const char *out, const sweep_spec *s, int run,
                              const sweep_stages *st) {
    return write_record(out, s, run, st, 0);
}

rise_status sweep_done_write(const char *out, const sweep_spec *s, int run,
                             const sweep_stages *st) {
    return write_record(out, s, run, st, 1);
}

rise_status sweep_run_reset(const char *out, const sweep_spec *s, int run) {
    static const char *const files[] = {"sweep_done.json", "sweep_state.json", "checkpoint.h5"};
    for (int k = 0; k < 3; ++k) {
        char path[8192];
        sweep_run_path(out, s, run, files[k], path, sizeof path);
        if (remove(path) != 0 && errno != ENOENT)
            return rise_error(RISE_ERR_IO, "%s: cannot remove: %s", path, strerror(errno));
    }
    return RISE_OK;
}

rise_status sweep_write_atomic(const char *path, const char *text) {
    char tmp[8300];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    const int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return rise_error(RISE_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
    const size_t len = strlen(text);
    size_t done = 0;
    while (done < len) {
        const ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            const int e = errno;
            close(fd);
            remove(tmp);
            return rise_error(RISE_ERR_IO, "%s: write failed: %s", tmp, strerror(e));
        }
        done += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        remove(tmp);
        return rise_error(RISE_ERR_IO, "%s: fsync/close failed: %s", tmp, strerror(errno));
    }
    if (rename(tmp, path) != 0) {
        const int e = errno;
        remove(tmp);
        return rise_error(RISE_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(e));
    }
    /* the rename itself is durable once the folder is synced */
    char dir[8192];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        const int dfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    return RISE_OK;
}
