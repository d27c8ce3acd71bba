/* cli/sweep_spec.c - reading, checking and expanding a sweep spec (see sweep_spec.h). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "sweep_spec.h"

#include "host/text_file.h"
#include "host/paths.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

/* ---- allocations owned by the spec ---- */

static void *own(sweep_spec *s, void *p) {
    if (!p) return NULL;
    if (s->n_owned == s->cap_owned) {
        const int cap = s->cap_owned ? 2 * s->cap_owned : 64;
        void **grown = realloc(s->owned, (size_t)cap * sizeof *grown);
        if (!grown) {
            free(p);
            return NULL;
        }
        s->owned = grown;
        s->cap_owned = cap;
    }
    s->owned[s->n_owned++] = p;
    return p;
}

static void *alloc(sweep_spec *s, size_t n, size_t size) { return own(s, calloc(n ? n : 1, size)); }

static char *sdup(sweep_spec *s, const char *text) { return own(s, strdup(text)); }

static char *sprint(sweep_spec *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    const int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    out = malloc((size_t)n + 1);
    if (!out) return NULL;
    va_start(ap, fmt);
    vsnprintf(out, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return own(s, out);
}

#define NEED(p)                                                                                    \
    do {                                                                                           \
        if (!(p)) return rise_error(RISE_ERR_NOMEM, "%s: out of memory", s->path);                 \
    } while (0)

void sweep_spec_free(sweep_spec *s) {
    for (int i = 0; i < s->n_owned; ++i) free(s->owned[i]);
    free(s->owned);
    memset(s, 0, sizeof *s);
}

int sweep_spec_metric(const sweep_spec *s, const char *name) {
    for (int i = 0; i < s->n_metrics; ++i)
        if (!strcmp(s->metrics[i].name, name)) return i;
    return -1;
}

/* ---- error messages: which file, which field, what was expected, what was found ---- */

static void describe(const cJSON *v, char *buf, size_t size) {
    if (!v) {
        snprintf(buf, size, "nothing");
    } else if (cJSON_IsString(v)) {
        snprintf(buf, size, "the string \"%.60s\"", v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        snprintf(buf, size, "the number %g", v->valuedouble);
    } else if (cJSON_IsBool(v)) {
        snprintf(buf, size, "%s", cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNull(v)) {
        snprintf(buf, size, "null");
    } else if (cJSON_IsArray(v)) {
        snprintf(buf, size, "a list of %d", cJSON_GetArraySize(v));
    } else if (cJSON_IsObject(v)) {
        snprintf(buf, size, "an object");
    } else {
        snprintf(buf, size, "an unreadable value");
    }
}

static rise_status expected(const sweep_spec *s, const char *field, const char *what,
                            const cJSON *found) {
    char f[128];
    describe(found, f, sizeof f);
    return rise_error(RISE_ERR_INVALID, "%s: %s: expected %s, found %s", s->path, field, what, f);
}

static int edit_distance(const char *a, const char *b) {
    const int n = (int)strlen(a), m = (int)strlen(b);
    if (n > 40 || m > 40) return 99;
    int d[41][41];
    for (int i = 0; i <= n; ++i) d[i][0] = i;
    for (int j = 0; j <= m; ++j) d[0][j] = j;
    for (int i = 1; i <= n; ++i)
        for (int j = 1; j <= m; ++j) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            d[i][j] = best;
        }
    return d[n][m];
}

/* Fails on a field outside `known` (NULL-terminated) or given twice. */
static rise_status check_fields(const sweep_spec *s, const cJSON *obj, const char *where,
                                const char *const *known) {
    for (const cJSON *f = obj->child; f; f = f->next) {
        for (const cJSON *p = obj->child; p != f; p = p->next)
            if (!strcmp(p->string, f->string))
                return rise_error(RISE_ERR_INVALID, "%s: %s%s'%s' is given twice", s->path, where,
                                  where[0] ? ": " : "", f->string);
        int ok = 0;
        const char *close = NULL;
        int best = 3;
        for (int k = 0; known[k] && !ok; ++k) {
            ok = !strcmp(known[k], f->string);
            const int d = edit_distance(known[k], f->string);
            if (d < best) {
                best = d;
                close = known[k];
            }
        }
        if (ok) continue;
        char list[512] = "";
        for (int k = 0; known[k]; ++k)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "",
                     known[k]);
        char hint[96] = "";
        if (close) snprintf(hint, sizeof hint, " (did you mean '%s'?)", close);
        return rise_error(RISE_ERR_INVALID, "%s: %s%sunknown field '%s'%s; expected one of: %s",
                          s->path, where, where[0] ? ": " : "", f->string, hint, list);
    }
    return RISE_OK;
}

static int dir_safe(const char *t) {
    if (!t[0] || t[0] == '.') return 0;
    for (const char *p = t; *p; ++p)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.' || *p == '+'))
            return 0;
    return 1;
}

static rise_status need_dir_safe(const sweep_spec *s, const char *field, const char *text) {
    if (dir_safe(text)) return RISE_OK;
    return rise_error(RISE_ERR_INVALID,
                      "%s: %s: expected a name made of letters, digits and . _ - + (not starting "
                      "with '.'), found \"%s\"",
                      s->path, field, text);
}

static rise_status get_string(const sweep_spec *s, const cJSON *v, const char *field,
                              const char **out) {
    if (!cJSON_IsString(v) || !v->valuestring[0])
        return expected(s, field, "a non-empty string", v);
    *out = v->valuestring;
    return RISE_OK;
}

static char *resolve(sweep_spec *s, const char *path) {
    if (path[0] == '/') return sdup(s, path);
    return sprint(s, "%s/%s", s->dir, path);
}

/* A config key: group.name, letters, digits, '_' and one '.'. */
static rise_status check_key(const sweep_spec *s, const char *field, const char *key) {
    const char *dot = strchr(key, '.');
    int ok = dot && dot != key && dot[1] && !strchr(dot + 1, '.');
    for (const char *p = key; ok && *p; ++p)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             *p == '_' || *p == '.';
    if (ok) return RISE_OK;
    return rise_error(RISE_ERR_INVALID,
                      "%s: %s: expected a config key group.name (as in --set group.name=value; "
                      "rise train --help lists them), found \"%s\"",
                      s->path, field, key);
}

/* A value as --set text, and as a number when it is one. */
static rise_status value_text(sweep_spec *s, const cJSON *v, const char *field, char **text,
                              double *number) {
    *number = NAN;
    if (cJSON_IsString(v)) {
        NEED(*text = sdup(s, v->valuestring));
        char *end;
        const double x = strtod(v->valuestring, &end);
        if (v->valuestring[0] && !*end) *number = x;
    } else if (cJSON_IsNumber(v)) {
        char *t = cJSON_PrintUnformatted(v);
        NEED(t);
        *text = sdup(s, t);
        free(t);
        NEED(*text);
        *number = v->valuedouble;
    } else if (cJSON_IsBool(v)) {
        NEED(*text = sdup(s, cJSON_IsTrue(v) ? "true" : "false"));
    } else if (cJSON_IsArray(v)) {
        char *t = cJSON_PrintUnformatted(v);
        NEED(t);
        *text = sdup(s, t);
        free(t);
        NEED(*text);
    } else {
        return expected(s, field, "a number, string, boolean or list", v);
    }
    return RISE_OK;
}

/* ---- key/value lists (the "set" objects) ---- */

typedef struct {
    int n;
    const char *key[256];
    const char *value[256];
    int from_grid[256];
} kv_list;

static rise_status kv_put(const sweep_spec *s, kv_list *l, const char *key, const char *value,
                          int from_grid) {
    for (int i = 0; i < l->n; ++i)
        if (!strcmp(l->key[i], key)) {
            l->value[i] = value;
            l->from_grid[i] = from_grid;
            return RISE_OK;
        }
    if (l->n == 256) return rise_error(RISE_ERR_INVALID, "%s: more than 256 keys set", s->path);
    l->key[l->n] = key;
    l->value[l->n] = value;
    l->from_grid[l->n++] = from_grid;
    return RISE_OK;
}

/* train.seeds is the list of seeds one process trains (packing): `rise sweep` sets it itself
 * from the spec's "seeds", so a spec that sets it would train other seeds than its runs say. */
static rise_status refuse_pack_key(const sweep_spec *s, const char *field, const char *key) {
    if (strcmp(key, "train.seeds")) return RISE_OK;
    return rise_error(RISE_ERR_INVALID,
                      "%s: %s: sets train.seeds; seeds come from the spec's \"seeds\" (rise "
                      "sweep packs them into train.seeds itself): remove the key and list the "
                      "seeds in \"seeds\"",
                      s->path, field);
}

static rise_status parse_set(sweep_spec *s, const cJSON *obj, const char *field, kv_list *l) {
    if (!obj) return RISE_OK;
    if (!cJSON_IsObject(obj))
        return expected(s, field, "an object {\"group.name\": value, ...}", obj);
    for (const cJSON *v = obj->child; v; v = v->next) {
        char *f = sprint(s, "%s.%s", field, v->string);
        NEED(f);
        RISE_TRY(check_key(s, field, v->string));
        RISE_TRY(refuse_pack_key(s, field, v->string));
        if (!strcmp(v->string, s->seed_key))
            return rise_error(RISE_ERR_INVALID,
                              "%s: %s: sets the seed key %s; seeds come from \"seeds\"", s->path,
                              field, s->seed_key);
        char *text;
        double number;
        RISE_TRY(value_text(s, v, f, &text, &number));
        RISE_TRY(kv_put(s, l, v->string, text, 0));
    }
    return RISE_OK;
}

/* ---- the parts of a spec ---- */

static rise_status parse_seeds(sweep_spec *s, const cJSON *v) {
    if (!v)
        return rise_error(RISE_ERR_INVALID,
                          "%s: seeds: missing; expected a list of seeds "
                          "such as [0, 1, 2] or a count such as 3",
                          s->path);
    if (cJSON_IsNumber(v)) {
        if (v->valuedouble != floor(v->valuedouble) || v->valuedouble < 1 || v->valuedouble > 10000)
            return expected(s, "seeds", "a count 1..10000 or a list of seeds", v);
        s->n_seeds = (int)v->valuedouble;
        NEED(s->seeds = alloc(s, (size_t)s->n_seeds, sizeof *s->seeds));
        for (int i = 0; i < s->n_seeds; ++i) s->seeds[i] = i;
        return RISE_OK;
    }
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
        return expected(s, "seeds", "a non-empty list of seeds or a count", v);
    s->n_seeds = cJSON_GetArraySize(v);
    NEED(s->seeds = alloc(s, (size_t)s->n_seeds, sizeof *s->seeds));
    int i = 0;
    for (const cJSON *e = v->child; e; e = e->next, ++i) {
        char f[32];
        snprintf(f, sizeof f, "seeds[%d]", i);
        if (!cJSON_IsNumber(e) || e->valuedouble != floor(e->valuedouble) || e->valuedouble < 0 ||
            e->valuedouble > 9.0e15)
            return expected(s, f, "a whole number >= 0", e);
        s->seeds[i] = (long long)e->valuedouble;
        for (int k = 0; k < i; ++k)
            if (s->seeds[k] == s->seeds[i])
                return rise_error(RISE_ERR_INVALID, "%s: %s: seed %lld is listed twice", s->path, f,
                                  s->seeds[i]);
    }
    return RISE_OK;
}

static rise_status parse_grid(sweep_spec *s, const cJSON *grid, const cJSON *labels) {
    if (!grid) {
        if (labels)
            return rise_error(RISE_ERR_INVALID, "%s: labels: given without a grid", s->path);
        return RISE_OK;
    }
    if (!cJSON_IsObject(grid))
        return expected(s, "grid", "an object {\"group.name\": [value, ...], ...}", grid);
    s->n_axes = cJSON_GetArraySize(grid);
    NEED(s->axes = alloc(s, (size_t)s->n_axes, sizeof *s->axes));
    int a = 0;
    for (const cJSON *v = grid->child; v; v = v->next, ++a) {
        sweep_axis *x = &s->axes[a];
        char *f = sprint(s, "grid.%s", v->string);
        NEED(f);
        RISE_TRY(check_key(s, "grid", v->string));
        RISE_TRY(refuse_pack_key(s, "grid", v->string));
        if (!strcmp(v->string, s->seed_key))
            return rise_error(RISE_ERR_INVALID,
                              "%s: grid: sweeps the seed key %s; seeds come from \"seeds\"",
                              s->path, s->seed_key);
        if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
            return expected(s, f, "a non-empty list of values", v);
        NEED(x->key = sdup(s, v->string));
        x->label = x->key;
        x->n_values = cJSON_GetArraySize(v);
        NEED(x->values = alloc(s, (size_t)x->n_values, sizeof *x->values));
        NEED(x->numeric = alloc(s, (size_t)x->n_values, sizeof *x->numeric));
        int i = 0;
        for (const cJSON *e = v->child; e; e = e->next, ++i) {
            char *fi = sprint(s, "%s[%d]", f, i);
            NEED(fi);
            RISE_TRY(value_text(s, e, fi, &x->values[i], &x->numeric[i]));
            for (int k = 0; k < i; ++k)
                if (!strcmp(x->values[k], x->values[i]))
                    return rise_error(RISE_ERR_INVALID, "%s: %s: the value %s is listed twice",
                                      s->path, fi, x->values[i]);
        }
    }
    if (!labels) return RISE_OK;
    if (!cJSON_IsObject(labels))
        return expected(s, "labels", "an object {\"group.name\": \"short name\", ...}", labels);
    for (const cJSON *v = labels->child; v; v = v->next) {
        char *f = sprint(s, "labels.%s", v->string);
        NEED(f);
        const char *label = NULL;
        RISE_TRY(get_string(s, v, f, &label));
        RISE_TRY(need_dir_safe(s, f, label));
        int found = 0;
        for (int k = 0; k < s->n_axes; ++k)
            if (!strcmp(s->axes[k].key, v->string)) {
                s->axes[k].label = sdup(s, label);
                NEED(s->axes[k].label);
                found = 1;
            }
        if (!found)
            return rise_error(RISE_ERR_INVALID, "%s: %s: %s is not a grid key", s->path, f,
                              v->string);
    }
    for (int a1 = 0; a1 < s->n_axes; ++a1)
        for (int a2 = 0; a2 < a1; ++a2)
            if (!strcmp(s->axes[a1].label, s->axes[a2].label))
                return rise_error(RISE_ERR_INVALID,
                                  "%s: labels: %s and %s share the label '%s'; each needs its own",
                                  s->path, s->axes[a2].key, s->axes[a1].key, s->axes[a1].label);
    return RISE_OK;
}

/* A value as a piece of a directory name: unsafe characters become '_', a long value is cut
 * and given a hash of the whole so that two long values stay apart. */
static char *dir_value(sweep_spec *s, const char *value) {
    char buf[64];
    size_t n = 0;
    const size_t len = strlen(value);
    for (size_t i = 0; i < len && n < sizeof buf - 1; ++i) {
        const char c = value[i];
        const int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '_' || c == '-' || c == '.' || c == '+';
        buf[n++] = ok ? c : '_';
    }
    buf[n] = '\0';
    if (len > 48) {
        uint64_t h = 1469598103934665603ull;
        for (size_t i = 0; i < len; ++i) h = (h ^ (unsigned char)value[i]) * 1099511628211ull;
        snprintf(buf + 40, sizeof buf - 40, "-%08x", (unsigned)(h ^ (h >> 32)));
    }
    return sdup(s, buf);
}

typedef struct {
    const char *name, *config;
    kv_list set;
} base_point;

static rise_status add_points(sweep_spec *s, const base_point *bases, int n_bases,
                              const kv_list *common) {
    long long combos = 1;
    for (int a = 0; a < s->n_axes; ++a) {
        combos *= s->axes[a].n_values;
        if (combos > 100000)
            return rise_error(RISE_ERR_INVALID, "%s: grid: more than 100000 combinations", s->path);
    }
    if (combos * n_bases * s->n_seeds > 100000)
        return rise_error(RISE_ERR_INVALID, "%s: %lld runs: more than 100000", s->path,
                          combos * n_bases * s->n_seeds);
    s->n_points = (int)(combos * n_bases);
    NEED(s->points = alloc(s, (size_t)s->n_points, sizeof *s->points));
    int *index = alloc(s, (size_t)(s->n_axes ? s->n_axes : 1), sizeof *index);
    NEED(index);
    int p = 0;
    for (int b = 0; b < n_bases; ++b) {
        for (int a = 0; a < s->n_axes; ++a)
            for (int k = 0; k < bases[b].set.n; ++k)
                if (!strcmp(bases[b].set.key[k], s->axes[a].key))
                    return rise_error(RISE_ERR_INVALID,
                                      "%s: runs (\"%s\"): set %s, which the grid also sweeps; "
                                      "set it in one place",
                                      s->path, bases[b].name, s->axes[a].key);
        for (long long c = 0; c < combos; ++c, ++p) {
            /* the last axis varies fastest */
            long long rest = c;
            for (int a = s->n_axes - 1; a >= 0; --a) {
                index[a] = (int)(rest % s->axes[a].n_values);
                rest /= s->axes[a].n_values;
            }
            sweep_point *pt = &s->points[p];
            NEED(pt->name = sdup(s, bases[b].name));
            NEED(pt->config = sdup(s, bases[b].config));
            NEED(pt->config_path = resolve(s, bases[b].config));
            kv_list merged = *common;
            for (int k = 0; k < bases[b].set.n; ++k)
                RISE_TRY(kv_put(s, &merged, bases[b].set.key[k], bases[b].set.value[k], 0));
            NEED(pt->value_index = alloc(s, (size_t)(s->n_axes ? s->n_axes : 1), sizeof(int)));
            char dir[4096];
            snprintf(dir, sizeof dir, "%s", pt->name);
            for (int a = 0; a < s->n_axes; ++a) {
                const sweep_axis *x = &s->axes[a];
                pt->value_index[a] = index[a];
                RISE_TRY(kv_put(s, &merged, x->key, x->values[index[a]], 1));
                const char *v = dir_value(s, x->values[index[a]]);
                NEED(v);
                snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "%s%s=%s", a == 0 ? "/" : ",",
                         x->label, v);
            }
            NEED(pt->dir = sdup(s, dir));
            pt->n_sets = merged.n;
            NEED(pt->sets = alloc(s, (size_t)merged.n, sizeof *pt->sets));
            for (int k = 0; k < merged.n; ++k)
                NEED(pt->sets[k] = sprint(s, "%s=%s", merged.key[k], merged.value[k]));
            for (int q = 0; q < p; ++q)
                if (!strcmp(s->points[q].dir, pt->dir))
                    return rise_error(RISE_ERR_INVALID,
                                      "%s: two runs share the directory %s (names or grid "
                                      "values that differ only in characters a directory name "
                                      "cannot hold); rename one",
                                      s->path, pt->dir);
        }
    }
    s->n_runs = s->n_points * s->n_seeds;
    NEED(s->runs = alloc(s, (size_t)s->n_runs, sizeof *s->runs));
    for (int q = 0, r = 0; q < s->n_points; ++q)
        for (int k = 0; k < s->n_seeds; ++k, ++r) {
            s->runs[r].point = q;
            s->runs[r].seed = s->seeds[k];
            NEED(s->runs[r].dir = sprint(s, "%s/s%lld", s->points[q].dir, s->seeds[k]));
        }
    return RISE_OK;
}

static const char *file_stem(sweep_spec *s, const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *stem = sdup(s, base);
    if (!stem) return NULL;
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem) *dot = '\0';
    return stem;
}

static rise_status parse_points(sweep_spec *s, const cJSON *root, const kv_list *common) {
    const cJSON *config = cJSON_GetObjectItemCaseSensitive(root, "config");
    const cJSON *configs = cJSON_GetObjectItemCaseSensitive(root, "configs");
    const cJSON *runs = cJSON_GetObjectItemCaseSensitive(root, "runs");
    if (!!config + !!configs + !!runs == 0)
        return rise_error(RISE_ERR_INVALID,
                          "%s: no runs: expected \"config\" (one config file), \"configs\" "
                          "({\"name\": \"file\", ...}) or \"runs\" ([{\"name\", \"config\", "
                          "\"set\"}, ...])",
                          s->path);
    if (configs && (config || runs))
        return rise_error(RISE_ERR_INVALID,
                          "%s: configs: given together with \"%s\"; use \"configs\" alone, or "
                          "\"runs\" (with \"config\" as their default config)",
                          s->path, config ? "config" : "runs");
    const char *default_config = NULL;
    if (config) RISE_TRY(get_string(s, config, "config", &default_config));
    base_point *bases;
    int n = 0;
    if (configs) {
        if (!cJSON_IsObject(configs) || cJSON_GetArraySize(configs) == 0)
            return expected(s, "configs", "an object {\"name\": \"config file\", ...}", configs);
        NEED(bases = alloc(s, (size_t)cJSON_GetArraySize(configs), sizeof *bases));
        for (const cJSON *v = configs->child; v; v = v->next, ++n) {
            char *f = sprint(s, "configs.%s", v->string);
            NEED(f);
            RISE_TRY(need_dir_safe(s, "configs", v->string));
            RISE_TRY(get_string(s, v, f, &bases[n].config));
            bases[n].name = v->string;
        }
    } else if (runs) {
        if (!cJSON_IsArray(runs) || cJSON_GetArraySize(runs) == 0)
            return expected(s, "runs", "a non-empty list of {\"name\", \"config\", \"set\"}", runs);
        NEED(bases = alloc(s, (size_t)cJSON_GetArraySize(runs), sizeof *bases));
        static const char *const known[] = {"name", "config", "set", "comment", NULL};
        for (const cJSON *v = runs->child; v; v = v->next, ++n) {
            char *f = sprint(s, "runs[%d]", n);
            NEED(f);
            if (!cJSON_IsObject(v))
                return expected(s, f, "an object {\"name\", \"config\", \"set\"}", v);
            RISE_TRY(check_fields(s, v, f, known));
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "name");
            const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(v, "config");
            char *fn = sprint(s, "%s.name", f), *fc = sprint(s, "%s.config", f);
            char *fs = sprint(s, "%s.set", f);
            NEED(fn && fc && fs);
            RISE_TRY(get_string(s, name, fn, &bases[n].name));
            RISE_TRY(need_dir_safe(s, fn, bases[n].name));
            if (cfg)
                RISE_TRY(get_string(s, cfg, fc, &bases[n].config));
            else if (default_config)
                bases[n].config = default_config;
            else
                return rise_error(RISE_ERR_INVALID,
                                  "%s: %s: no config; give \"config\" here or at the top level",
                                  s->path, f);
            RISE_TRY(parse_set(s, cJSON_GetObjectItemCaseSensitive(v, "set"), fs, &bases[n].set));
            for (int k = 0; k < n; ++k)
                if (!strcmp(bases[k].name, bases[n].name))
                    return rise_error(RISE_ERR_INVALID,
                                      "%s: %s: the name \"%s\" is used by runs[%d] too", s->path,
                                      fn, bases[n].name, k);
        }
    } else {
        NEED(bases = alloc(s, 1, sizeof *bases));
        bases[0].config = default_config;
        NEED(bases[0].name = file_stem(s, default_config));
        if (!dir_safe(bases[0].name))
            return rise_error(RISE_ERR_INVALID,
                              "%s: config: the file name '%s' cannot name a run directory; use "
                              "\"configs\": {\"name\": \"%s\"}",
                              s->path, bases[0].name, default_config);
        n = 1;
    }
    return add_points(s, bases, n, common);
}

static rise_status parse_args(sweep_spec *s, const cJSON *v, const char *field, int *n_out,
                              char ***out) {
    if (!cJSON_IsArray(v)) return expected(s, field, "a list of arguments (strings)", v);
    const int n = cJSON_GetArraySize(v);
    char **args = alloc(s, (size_t)n, sizeof *args);
    NEED(args);
    int i = 0;
    for (const cJSON *e = v->child; e; e = e->next, ++i) {
        char *f = sprint(s, "%s[%d]", field, i);
        NEED(f);
        if (cJSON_IsString(e)) {
            NEED(args[i] = sdup(s, e->valuestring));
        } else if (cJSON_IsNumber(e)) {
            char *t = cJSON_PrintUnformatted(e);
            NEED(t);
            args[i] = sdup(s, t);
            free(t);
            NEED(args[i]);
        } else {
            return expected(s, f, "a string (or a number)", e);
        }
    }
    *n_out = n;
    *out = args;
    return RISE_OK;
}

static rise_status parse_prepare(sweep_spec *s, const cJSON *v) {
    if (!v) return RISE_OK;
    if (!cJSON_IsArray(v))
        return expected(s, "prepare", "a list of {\"creates\": FILE, \"rise\": [ARGS]}", v);
    s->n_prepare = cJSON_GetArraySize(v);
    NEED(s->prepare = alloc(s, (size_t)s->n_prepare, sizeof *s->prepare));
    static const char *const known[] = {"creates", "rise", "comment", NULL};
    int i = 0;
    for (const cJSON *e = v->child; e; e = e->next, ++i) {
        char *f = sprint(s, "prepare[%d]", i);
        char *fc = sprint(s, "prepare[%d].creates", i), *fr = sprint(s, "prepare[%d].rise", i);
        NEED(f && fc && fr);
        if (!cJSON_IsObject(e))
            return expected(s, f, "an object {\"creates\": FILE, \"rise\": [ARGS]}", e);
        RISE_TRY(check_fields(s, e, f, known));
        const char *creates = NULL;
        RISE_TRY(get_string(s, cJSON_GetObjectItemCaseSensitive(e, "creates"), fc, &creates));
        NEED(s->prepare[i].creates = sdup(s, creates));
        NEED(s->prepare[i].creates_path = resolve(s, creates));
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "rise");
        RISE_TRY(parse_args(s, r, fr, &s->prepare[i].n_args, &s->prepare[i].args));
        if (s->prepare[i].n_args == 0)
            return expected(s, fr, "a rise command line such as [\"gen\", \"--task\", ...]", r);
        if (!strcmp(s->prepare[i].args[0], "sweep"))
            return rise_error(RISE_ERR_INVALID, "%s: %s: a sweep cannot prepare another sweep",
                              s->path, fr);
    }
    return RISE_OK;
}

static rise_status parse_evals(sweep_spec *s, const cJSON *v) {
    if (!v) { /* one plain `rise eval RUN` */
        s->n_evals = 1;
        NEED(s->evals = alloc(s, 1, sizeof *s->evals));
        NEED(s->evals[0].name = sdup(s, "eval"));
        return RISE_OK;
    }
    if (!cJSON_IsArray(v))
        return expected(s, "evals", "a list of {\"name\", \"args\"} (an empty list: no eval)", v);
    s->n_evals = cJSON_GetArraySize(v);
    if (s->n_evals > SWEEP_MAX_EVALS) return expected(s, "evals", "at most 16 evals", v);
    NEED(s->evals = alloc(s, (size_t)s->n_evals, sizeof *s->evals));
    static const char *const known[] = {"name", "args", "comment", NULL};
    int i = 0;
    for (const cJSON *e = v->child; e; e = e->next, ++i) {
        sweep_eval *ev = &s->evals[i];
        char *f = sprint(s, "evals[%d]", i), *fn = sprint(s, "evals[%d].name", i);
        char *fa = sprint(s, "evals[%d].args", i);
        NEED(f && fn && fa);
        if (!cJSON_IsObject(e)) return expected(s, f, "an object {\"name\", \"args\"}", e);
        RISE_TRY(check_fields(s, e, f, known));
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
        const char *nm = "eval";
        if (name) RISE_TRY(get_string(s, name, fn, &nm));
        RISE_TRY(need_dir_safe(s, fn, nm));
        NEED(ev->name = sdup(s, nm));
        for (int k = 0; k < i; ++k)
            if (!strcmp(s->evals[k].name, nm))
                return rise_error(RISE_ERR_INVALID,
                                  "%s: %s: \"%s\" is used by evals[%d] too; each eval writes "
                                  "RUN/<name>, so names must differ",
                                  s->path, fn, nm, k);
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(e, "args");
        if (args) RISE_TRY(parse_args(s, args, fa, &ev->n_args, &ev->args));
        for (int k = 0; k < ev->n_args; ++k)
            if (!strcmp(ev->args[k], "--out"))
                return rise_error(RISE_ERR_INVALID,
                                  "%s: %s: --out is not allowed; the eval writes RUN/<name> "
                                  "(set \"name\")",
                                  s->path, fa);
    }
    return RISE_OK;
}

static int metric_name_ok(const char *t) {
    if (!t[0]) return 0;
    for (const char *p = t; *p; ++p)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            return 0;
    return 1;
}

static rise_status parse_metrics(sweep_spec *s, const cJSON *v) {
    if (!v) return RISE_OK;
    if (!cJSON_IsArray(v))
        return expected(s, "metrics", "a list of {\"name\", \"file\", \"key\" or \"column\"}", v);
    s->n_metrics = cJSON_GetArraySize(v);
    NEED(s->metrics = alloc(s, (size_t)s->n_metrics, sizeof *s->metrics));
    static const char *const known[] = {"name", "file", "key", "column", "reduce", "comment", NULL};
    int i = 0;
    for (const cJSON *e = v->child; e; e = e->next, ++i) {
        sweep_metric *m = &s->metrics[i];
        char *f = sprint(s, "metrics[%d]", i), *fn = sprint(s, "metrics[%d].name", i);
        char *ff = sprint(s, "metrics[%d].file", i), *fk = sprint(s, "metrics[%d].key", i);
        char *fc = sprint(s, "metrics[%d].column", i), *fr = sprint(s, "metrics[%d].reduce", i);
        NEED(f && fn && ff && fk && fc && fr);
        if (!cJSON_IsObject(e))
            return expected(s, f, "an object {\"name\", \"file\", \"key\" or \"column\"}", e);
        RISE_TRY(check_fields(s, e, f, known));
        const char *name = NULL, *file = NULL, *key = NULL;
        RISE_TRY(get_string(s, cJSON_GetObjectItemCaseSensitive(e, "name"), fn, &name));
        if (!metric_name_ok(name))
            return rise_error(RISE_ERR_INVALID,
                              "%s: %s: expected letters, digits and . _ -, found \"%s\"", s->path,
                              fn, name);
        for (int q = 0; q < i; ++q)
            if (!strcmp(s->metrics[q].name, name))
                return rise_error(RISE_ERR_INVALID, "%s: %s: \"%s\" is defined twice", s->path, fn,
                                  name);
        RISE_TRY(get_string(s, cJSON_GetObjectItemCaseSensitive(e, "file"), ff, &file));
        if (file[0] == '/' || strstr(file, ".."))
            return rise_error(RISE_ERR_INVALID,
                              "%s: %s: expected a path inside the run directory (such as "
                              "eval/coverage.json), found \"%s\"",
                              s->path, ff, file);
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "key");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "column");
        if (!!k == !!c)
            return rise_error(RISE_ERR_INVALID,
                              "%s: %s: expected either \"key\" (a field of a JSON file, dotted "
                              "for nested objects) or \"column\" (of a CSV file), found %s",
                              s->path, f, k ? "both" : "neither");
        RISE_TRY(get_string(s, k ? k : c, k ? fk : fc, &key));
        m->kind = k ? SWEEP_METRIC_JSON : SWEEP_METRIC_CSV;
        m->reduce = SWEEP_REDUCE_LAST;
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "reduce");
        if (r) {
            static const char *const reduces[] = {"last", "min", "max", "mean"};
            if (k)
                return rise_error(RISE_ERR_INVALID, "%s: %s: only a CSV column has rows to reduce",
                                  s->path, fr);
            m->reduce = -1;
            for (int q = 0; q < 4 && cJSON_IsString(r); ++q)
                if (!strcmp(r->valuestring, reduces[q])) m->reduce = q;
            if (m->reduce < 0) return expected(s, fr, "\"last\", \"min\", \"max\" or \"mean\"", r);
        }
        NEED(m->name = sdup(s, name));
        NEED(m->file = sdup(s, file));
        NEED(m->key = sdup(s, key));
    }
    return RISE_OK;
}

static rise_status metric_ref(sweep_spec *s, const cJSON *v, const char *field, int *out) {
    const char *name = NULL;
    RISE_TRY(get_string(s, v, field, &name));
    *out = sweep_spec_metric(s, name);
    if (*out >= 0) return RISE_OK;
    char list[512] = "";
    for (int i = 0; i < s->n_metrics; ++i)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 s->metrics[i].name);
    return rise_error(RISE_ERR_INVALID, "%s: %s: expected one of the metrics (%s), found \"%s\"",
                      s->path, field, s->n_metrics ? list : "none defined", name);
}

static rise_status parse_table(sweep_spec *s, const cJSON *v) {
    if (!v) return RISE_OK;
    if (!cJSON_IsObject(v)) return expected(s, "table", "an object {\"columns\": [...]}", v);
    static const char *const known[] = {"title", "row", "columns", "comment", NULL};
    RISE_TRY(check_fields(s, v, "table", known));
    s->has_table = 1;
    sweep_table *t = &s->table;
    const cJSON *title = cJSON_GetObjectItemCaseSensitive(v, "title");
    const cJSON *row = cJSON_GetObjectItemCaseSensitive(v, "row");
    const char *text = NULL;
    if (title) {
        RISE_TRY(get_string(s, title, "table.title", &text));
        NEED(t->title = sdup(s, text));
    }
    text = "run";
    if (row) RISE_TRY(get_string(s, row, "table.row", &text));
    NEED(t->row_title = sdup(s, text));
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(v, "columns");
    if (!cJSON_IsArray(cols) || cJSON_GetArraySize(cols) == 0)
        return expected(s, "table.columns", "a non-empty list of {\"title\", \"metric\", \"show\"}",
                        cols);
    t->n_columns = cJSON_GetArraySize(cols);
    NEED(t->columns = alloc(s, (size_t)t->n_columns, sizeof *t->columns));
    static const char *const col_known[] = {"title", "metric", "show", "digits", "comment", NULL};
    static const char *const shows[] = {"n", "mean", "mean_sd", "mean_ci", "values"};
    int i = 0;
    for (const cJSON *e = cols->child; e; e = e->next, ++i) {
        sweep_column *c = &t->columns[i];
        char *f = sprint(s, "table.columns[%d]", i);
        char *ft = sprint(s, "%s.title", f), *fm = sprint(s, "%s.metric", f);
        char *fs = sprint(s, "%s.show", f), *fd = sprint(s, "%s.digits", f);
        NEED(f && ft && fm && fs && fd);
        if (!cJSON_IsObject(e))
            return expected(s, f, "an object {\"title\", \"metric\", \"show\"}", e);
        RISE_TRY(check_fields(s, e, f, col_known));
        RISE_TRY(get_string(s, cJSON_GetObjectItemCaseSensitive(e, "title"), ft, &text));
        NEED(c->title = sdup(s, text));
        const cJSON *show = cJSON_GetObjectItemCaseSensitive(e, "show");
        c->show = show ? -1 : SWEEP_SHOW_MEAN_SD;
        for (int q = 0; q < 5 && show && cJSON_IsString(show); ++q)
            if (!strcmp(show->valuestring, shows[q])) c->show = q;
        if (c->show < 0)
            return expected(s, fs, "\"n\", \"mean\", \"mean_sd\", \"mean_ci\" or \"values\"", show);
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "metric");
        if (cJSON_IsArray(m)) {
            c->n_metrics = cJSON_GetArraySize(m);
            if (c->n_metrics < 1 || c->n_metrics > SWEEP_COLUMN_METRICS)
                return expected(s, fm, "a metric name or a list of 1 to 4", m);
            int q = 0;
            for (const cJSON *x = m->child; x; x = x->next, ++q) {
                char *fq = sprint(s, "%s[%d]", fm, q);
                NEED(fq);
                RISE_TRY(metric_ref(s, x, fq, &c->metric[q]));
            }
        } else if (m) {
            c->n_metrics = 1;
            RISE_TRY(metric_ref(s, m, fm, &c->metric[0]));
        } else if (c->show != SWEEP_SHOW_N) {
            return rise_error(RISE_ERR_INVALID, "%s: %s: missing; expected the metric to show",
                              s->path, fm);
        }
        c->digits = 3;
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "digits");
        if (d) {
            if (!cJSON_IsNumber(d) || d->valuedouble != floor(d->valuedouble) ||
                d->valuedouble < 0 || d->valuedouble > 10)
                return expected(s, fd, "a whole number 0..10", d);
            c->digits = (int)d->valuedouble;
        }
    }
    return RISE_OK;
}

static rise_status parse_plots(sweep_spec *s, const cJSON *v) {
    if (!v) return RISE_OK;
    if (!cJSON_IsArray(v)) return expected(s, "plots", "a list of {\"metric\", \"x\"}", v);
    s->n_plots = cJSON_GetArraySize(v);
    NEED(s->plots = alloc(s, (size_t)s->n_plots, sizeof *s->plots));
    static const char *const known[] = {"metric", "x", "log_x", "y_range", "file", "comment", NULL};
    int i = 0;
    for (const cJSON *e = v->child; e; e = e->next, ++i) {
        sweep_plot *p = &s->plots[i];
        char *f = sprint(s, "plots[%d]", i), *fm = sprint(s, "plots[%d].metric", i);
        char *fx = sprint(s, "plots[%d].x", i), *fl = sprint(s, "plots[%d].log_x", i);
        char *fy = sprint(s, "plots[%d].y_range", i), *ff = sprint(s, "plots[%d].file", i);
        NEED(f && fm && fx && fl && fy && ff);
        if (!cJSON_IsObject(e)) return expected(s, f, "an object {\"metric\", \"x\"}", e);
        RISE_TRY(check_fields(s, e, f, known));
        RISE_TRY(metric_ref(s, cJSON_GetObjectItemCaseSensitive(e, "metric"), fm, &p->metric));
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(e, "x");
        const char *xs = "name";
        if (x) RISE_TRY(get_string(s, x, fx, &xs));
        p->axis = -1;
        for (int a = 0; a < s->n_axes; ++a)
            if (!strcmp(s->axes[a].key, xs) || !strcmp(s->axes[a].label, xs)) p->axis = a;
        if (p->axis < 0 && strcmp(xs, "name")) {
            char list[512] = "\"name\"";
            for (int a = 0; a < s->n_axes; ++a)
                snprintf(list + strlen(list), sizeof list - strlen(list), ", \"%s\"",
                         s->axes[a].key);
            return rise_error(RISE_ERR_INVALID,
                              "%s: %s: expected a grid key or \"name\" (%s), "
                              "found \"%s\"",
                              s->path, fx, list, xs);
        }
        const cJSON *lx = cJSON_GetObjectItemCaseSensitive(e, "log_x");
        if (lx && !cJSON_IsBool(lx)) return expected(s, fl, "true or false", lx);
        p->log_x = lx && cJSON_IsTrue(lx);
        if (p->log_x) {
            if (p->axis < 0)
                return rise_error(RISE_ERR_INVALID, "%s: %s: the names are not numbers", s->path,
                                  fl);
            const sweep_axis *ax = &s->axes[p->axis];
            for (int k = 0; k < ax->n_values; ++k)
                if (!(ax->numeric[k] > 0.0))
                    return rise_error(RISE_ERR_INVALID,
                                      "%s: %s: a log axis needs numbers > 0; %s has the value %s",
                                      s->path, fl, ax->key, ax->values[k]);
        }
        const cJSON *yr = cJSON_GetObjectItemCaseSensitive(e, "y_range");
        if (yr) {
            if (!cJSON_IsArray(yr) || cJSON_GetArraySize(yr) != 2 || !cJSON_IsNumber(yr->child) ||
                !cJSON_IsNumber(yr->child->next) ||
                !(yr->child->valuedouble < yr->child->next->valuedouble))
                return expected(s, fy, "[low, high] with low < high", yr);
            p->y_min = yr->child->valuedouble;
            p->y_max = yr->child->next->valuedouble;
        }
        const cJSON *file = cJSON_GetObjectItemCaseSensitive(e, "file");
        if (file) {
            const char *t = NULL;
            RISE_TRY(get_string(s, file, ff, &t));
            RISE_TRY(need_dir_safe(s, ff, t));
            NEED(p->file = sdup(s, t));
        } else {
            NEED(p->file = sprint(s, "%s_vs_%s.png", s->metrics[p->metric].name,
                                  p->axis < 0 ? "name" : s->axes[p->axis].label));
        }
    }
    return RISE_OK;
}

static rise_status parse_slurm(sweep_spec *s, const cJSON *v) {
    if (!v) return RISE_OK;
    if (!cJSON_IsObject(v))
        return expected(s, "slurm", "an object {\"sbatch\": [OPTIONS], \"max_parallel\": N}", v);
    static const char *const known[] = {"sbatch", "max_parallel", "comment", NULL};
    RISE_TRY(check_fields(s, v, "slurm", known));
    const cJSON *sb = cJSON_GetObjectItemCaseSensitive(v, "sbatch");
    if (sb) {
        RISE_TRY(parse_args(s, sb, "slurm.sbatch", &s->n_sbatch, &s->sbatch));
        for (int i = 0; i < s->n_sbatch; ++i)
            if (s->sbatch[i][0] != '-' || strchr(s->sbatch[i], '\n'))
                return rise_error(RISE_ERR_INVALID,
                                  "%s: slurm.sbatch[%d]: expected an sbatch option such as "
                                  "\"--time=02:00:00\", found \"%s\"",
                                  s->path, i, s->sbatch[i]);
    }
    const cJSON *mp = cJSON_GetObjectItemCaseSensitive(v, "max_parallel");
    if (mp) {
        if (!cJSON_IsNumber(mp) || mp->valuedouble != floor(mp->valuedouble) ||
            mp->valuedouble < 0 || mp->valuedouble > 1e6)
            return expected(s, "slurm.max_parallel", "a whole number >= 0 (0: no limit)", mp);
        s->slurm_max_parallel = (int)mp->valuedouble;
    }
    return RISE_OK;
}

/* A point named in a claim: its directory name (name[/label=value,...]), or a name that only
 * one point has. */
static rise_status point_ref(sweep_spec *s, const cJSON *v, const char *field, int *out) {
    const char *name = NULL;
    RISE_TRY(get_string(s, v, field, &name));
    int found = -1, named = -1, n_named = 0;
    for (int p = 0; p < s->n_points && found < 0; ++p)
        if (!strcmp(s->points[p].dir, name)) found = p;
    for (int p = 0; p < s->n_points && found < 0; ++p)
        if (!strcmp(s->points[p].name, name) && n_named++ == 0) named = p;
    if (found < 0 && n_named == 1) found = named;
    if (found >= 0) {
        *out = found;
        return RISE_OK;
    }
    char list[512] = "";
    for (int p = 0; p < s->n_points; ++p)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", p ? ", " : "",
                 s->points[p].dir);
    return rise_error(RISE_ERR_INVALID, "%s: %s: expected %s (%s), found \"%s\"%s", s->path, field,
                      n_named ? "a point's directory name" : "one of the points", list, name,
                      n_named ? ", which names several points" : "");
}

static rise_status parse_claim(sweep_spec *s, const cJSON *v) {
    if (!v) return RISE_OK;
    if (!cJSON_IsObject(v))
        return expected(s, "claim", "an object {\"statement\", \"metric\", \"comparisons\"}", v);
    static const char *const known[] = {"statement", "metric", "comparisons", "comment", NULL};
    RISE_TRY(check_fields(s, v, "claim", known));
    sweep_claim *c = &s->claim;
    const char *text = NULL;
    RISE_TRY(
        get_string(s, cJSON_GetObjectItemCaseSensitive(v, "statement"), "claim.statement", &text));
    NEED(c->statement = sdup(s, text));
    RISE_TRY(
        metric_ref(s, cJSON_GetObjectItemCaseSensitive(v, "metric"), "claim.metric", &c->metric));
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(v, "comparisons");
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0)
        return expected(s, "claim.comparisons",
                        "a non-empty list of {\"greater\" or \"less\": POINT, \"than\": POINT "
                        "or a number}",
                        list);
    c->n_comparisons = cJSON_GetArraySize(list);
    NEED(c->comparisons = alloc(s, (size_t)c->n_comparisons, sizeof *c->comparisons));
    static const char *const cmp_known[] = {"greater", "less",    "than", "margin",
                                            "metric",  "comment", NULL};
    int i = 0;
    for (const cJSON *e = list->child; e; e = e->next, ++i) {
        sweep_comparison *k = &c->comparisons[i];
        char *f = sprint(s, "claim.comparisons[%d]", i);
        NEED(f);
        if (!cJSON_IsObject(e))
            return expected(s, f, "an object {\"greater\" or \"less\": POINT, \"than\": ...}", e);
        RISE_TRY(check_fields(s, e, f, cmp_known));
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(e, "greater");
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(e, "less");
        if (!g == !l)
            return rise_error(RISE_ERR_INVALID,
                              "%s: %s: expected exactly one of \"greater\" and \"less\" (the "
                              "point the claim is about), found %s",
                              s->path, f, g ? "both" : "neither");
        k->direction = g ? SWEEP_CLAIM_GREATER : SWEEP_CLAIM_LESS;
        char *fa = sprint(s, "%s.%s", f, g ? "greater" : "less");
        char *fb = sprint(s, "%s.than", f), *fm = sprint(s, "%s.margin", f);
        char *fk = sprint(s, "%s.metric", f);
        NEED(fa && fb && fm && fk);
        RISE_TRY(point_ref(s, g ? g : l, fa, &k->a));
        const cJSON *than = cJSON_GetObjectItemCaseSensitive(e, "than");
        k->b = -1;
        if (cJSON_IsNumber(than))
            k->value = than->valuedouble;
        else if (cJSON_IsString(than))
            RISE_TRY(point_ref(s, than, fb, &k->b));
        else
            return expected(s, fb, "a point's name or a number", than);
        if (k->b == k->a)
            return rise_error(RISE_ERR_INVALID, "%s: %s: compares %s with itself", s->path, f,
                              s->points[k->a].dir);
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "margin");
        if (m && (!cJSON_IsNumber(m) || !isfinite(m->valuedouble)))
            return expected(s, fm, "a number", m);
        k->margin = m ? m->valuedouble : 0.0;
        k->metric = c->metric;
        const cJSON *km = cJSON_GetObjectItemCaseSensitive(e, "metric");
        if (km) RISE_TRY(metric_ref(s, km, fk, &k->metric));
    }
    s->has_claim = 1;
    return RISE_OK;
}

static rise_status parse_root(sweep_spec *s, const cJSON *root) {
    if (!cJSON_IsObject(root)) return expected(s, "the top level", "a JSON object", root);
    static const char *const known[] = {"name",    "out",   "config",  "configs", "runs",
                                        "set",     "grid",  "labels",  "seeds",   "seed_key",
                                        "prepare", "evals", "metrics", "table",   "plots",
                                        "slurm",   "claim", "comment", NULL};
    RISE_TRY(check_fields(s, root, "", known));
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "name");
    const char *text = NULL;
    if (v) {
        RISE_TRY(get_string(s, v, "name", &text));
        NEED(s->name = sdup(s, text));
    } else {
        NEED(s->name = (char *)file_stem(s, s->path));
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "out"))) {
        RISE_TRY(get_string(s, v, "out", &text));
        NEED(s->out = resolve(s, text));
    }
    text = "train.seed";
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "seed_key"))) {
        RISE_TRY(get_string(s, v, "seed_key", &text));
        RISE_TRY(check_key(s, "seed_key", text));
    }
    NEED(s->seed_key = sdup(s, text));
    RISE_TRY(parse_seeds(s, cJSON_GetObjectItemCaseSensitive(root, "seeds")));
    kv_list *common = alloc(s, 1, sizeof *common);
    NEED(common);
    RISE_TRY(parse_set(s, cJSON_GetObjectItemCaseSensitive(root, "set"), "set", common));
    RISE_TRY(parse_grid(s, cJSON_GetObjectItemCaseSensitive(root, "grid"),
                        cJSON_GetObjectItemCaseSensitive(root, "labels")));
    RISE_TRY(parse_points(s, root, common));
    RISE_TRY(parse_prepare(s, cJSON_GetObjectItemCaseSensitive(root, "prepare")));
    RISE_TRY(parse_evals(s, cJSON_GetObjectItemCaseSensitive(root, "evals")));
    RISE_TRY(parse_metrics(s, cJSON_GetObjectItemCaseSensitive(root, "metrics")));
    RISE_TRY(parse_table(s, cJSON_GetObjectItemCaseSensitive(root, "table")));
    RISE_TRY(parse_plots(s, cJSON_GetObjectItemCaseSensitive(root, "plots")));
    RISE_TRY(parse_slurm(s, cJSON_GetObjectItemCaseSensitive(root, "slurm")));
    RISE_TRY(parse_claim(s, cJSON_GetObjectItemCaseSensitive(root, "claim")));
    return RISE_OK;
}

rise_status sweep_spec_parse(sweep_spec *s, const char *text, const char *origin, const char *dir) {
    memset(s, 0, sizeof *s);
    if (!(s->path = sdup(s, origin ? origin : "spec")) || !(s->dir = sdup(s, dir ? dir : ".")) ||
        !(s->text = sdup(s, text))) {
        sweep_spec_free(s);
        return rise_error(RISE_ERR_NOMEM, "spec: out of memory");
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 0);
    if (!root) {
        const size_t len = strlen(text);
        if (!end || end < text || end > text + len) end = text + len;
        int line = 1, col = 1;
        for (const char *p = text; p < end; ++p) {
            if (*p == '\n') {
                ++line;
                col = 1;
            } else {
                ++col;
            }
        }
        const rise_status st = rise_error(RISE_ERR_FORMAT, "%s:%d:%d: malformed JSON near '%.30s'",
                                          s->path, line, col, end);
        sweep_spec_free(s);
        return st;
    }
    const rise_status st = parse_root(s, root);
    cJSON_Delete(root);
    if (st != RISE_OK) sweep_spec_free(s);
    return st;
}

rise_status sweep_spec_load(sweep_spec *s, const char *path) {
    memset(s, 0, sizeof *s);
    /* The spec's folder, absolute, so that runs launched from anywhere find its paths. */
    char abs[PATH_MAX], *text;
    RISE_TRY(rise_path_folder_absolute(path, abs, sizeof abs));
    RISE_TRY(rise_read_text_file(path, "sweep spec", (size_t)1 << 24, 0, &text, NULL));
    const rise_status st = sweep_spec_parse(s, text, path, abs);
    free(text);
    return st;
}
