/* train_config.c - defaults, checks, JSON and command-line parsing, JSON printing and the
 * help table of a training run's configuration (see train_config.h). Every field is handled
 * through one descriptor table generated from train_config_fields.def, so adding a row
 * there is all a new field needs (plus its range check below, if it has one). */
#include "train_config.h"

#include "../host/paths.h"
#include "../host/text_file.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the descriptor table ---- */

typedef enum { FT_INT, FT_BOOL, FT_FLOAT, FT_STRING, FT_INTS } field_type;

typedef struct {
    field_type type;
    const char *group, *name, *key, *help;
    size_t offset;
} field_desc;

static const field_desc fields[] = {
#define X(TYPE, group, name, def, help)                                                            \
    {FT_##TYPE, #group, #name, #group "." #name, help, offsetof(rise_train_config, group##_##name)},
#include "train_config_fields.def"
#undef X
};

enum { N_FIELDS = (int)(sizeof fields / sizeof fields[0]) };

static const char *type_name(field_type t) {
    switch (t) {
    case FT_INT: return "int";
    case FT_BOOL: return "bool";
    case FT_FLOAT: return "float";
    case FT_STRING: return "string";
    case FT_INTS: return "ints";
    }
    return "?";
}

static int *int_at(rise_train_config *c, const field_desc *f) {
    return (int *)((char *)c + f->offset);
}
static float *float_at(rise_train_config *c, const field_desc *f) {
    return (float *)((char *)c + f->offset);
}
static char *str_at(rise_train_config *c, const field_desc *f) { return (char *)c + f->offset; }
static int int_of(const rise_train_config *c, const field_desc *f) {
    return *(const int *)((const char *)c + f->offset);
}
static float float_of(const rise_train_config *c, const field_desc *f) {
    return *(const float *)((const char *)c + f->offset);
}
static const char *str_of(const rise_train_config *c, const field_desc *f) {
    return (const char *)c + f->offset;
}
static rise_cfg_ints *ints_at(rise_train_config *c, const field_desc *f) {
    return (rise_cfg_ints *)((char *)c + f->offset);
}
static const rise_cfg_ints *ints_of(const rise_train_config *c, const field_desc *f) {
    return (const rise_cfg_ints *)((const char *)c + f->offset);
}

static const field_desc *find_field(const char *group, const char *name) {
    for (int i = 0; i < N_FIELDS; ++i)
        if (!strcmp(fields[i].group, group) && !strcmp(fields[i].name, name)) return &fields[i];
    return NULL;
}

static const field_desc *find_key(const char *key) {
    for (int i = 0; i < N_FIELDS; ++i)
        if (!strcmp(fields[i].key, key)) return &fields[i];
    return NULL;
}

static int is_group(const char *group) {
    for (int i = 0; i < N_FIELDS; ++i)
        if (!strcmp(fields[i].group, group)) return 1;
    return 0;
}

/* ---- suggestions ---- */

static int edit_distance(const char *a, const char *b) {
    const size_t la = strlen(a), lb = strlen(b);
    if (la > 255 || lb > 255) return 1 << 20;
    int row[256];
    for (size_t j = 0; j <= lb; ++j) row[j] = (int)j;
    for (size_t i = 1; i <= la; ++i) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; ++j) {
            const int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static int is_close(const char *word, int distance) {
    const int len = (int)strlen(word);
    return distance <= (len / 4 > 2 ? len / 4 : 2);
}

/* Nearest valid key to a "group.name" that is not one: a field of the group whose help is
 * exactly that name, else the nearest key by edit distance when close, else a field of
 * another group with the same name. NULL when nothing fits. */
static const char *suggest_key(const char *group, const char *name) {
    char key[256];
    snprintf(key, sizeof key, "%s.%s", group, name);
    for (int i = 0; i < N_FIELDS; ++i) /* a synonym: critic.gamma's help is "gamma" */
        if (!strcmp(fields[i].group, group) && !strcmp(fields[i].help, name)) return fields[i].key;
    const char *best = NULL;
    int best_d = INT_MAX;
    for (int i = 0; i < N_FIELDS; ++i) {
        const int d = edit_distance(key, fields[i].key);
        if (d < best_d) {
            best_d = d;
            best = fields[i].key;
        }
    }
    if (best && is_close(key, best_d)) return best;
    for (int i = 0; i < N_FIELDS; ++i)
        if (!strcmp(fields[i].name, name)) return fields[i].key;
    return NULL;
}

static const char *suggest_group(const char *group) {
    const char *best = NULL;
    int best_d = INT_MAX;
    for (int i = 0; i < N_FIELDS; ++i) {
        const int d = edit_distance(group, fields[i].group);
        if (d < best_d) {
            best_d = d;
            best = fields[i].group;
        }
    }
    const int dd = edit_distance(group, "data");
    if (dd < best_d) {
        best_d = dd;
        best = "data";
    }
    return best && is_close(group, best_d) ? best : NULL;
}

/* Appends "a, b, c" (names of the group's keys, or every group) to buf. */
static void list_names(char *buf, size_t size, const char *group) {
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < N_FIELDS; ++i) {
        const char *item;
        if (group) {
            if (strcmp(fields[i].group, group)) continue;
            item = fields[i].name;
        } else {
            if (i > 0 && !strcmp(fields[i - 1].group, fields[i].group)) continue;
            item = fields[i].group;
        }
        const int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", item);
        if (n < 0 || (size_t)n >= size - used) break;
        used += (size_t)n;
    }
}

static rise_status unknown_key_error(const char *origin, const char *group, const char *name) {
    const char *s = suggest_key(group, name);
    if (s)
        return rise_error(RISE_ERR_INVALID, "%s: unknown key '%s.%s' (did you mean '%s'?)", origin,
                          group, name, s);
    char list[1024];
    list_names(list, sizeof list, group);
    return rise_error(RISE_ERR_INVALID, "%s: unknown key '%s.%s' (keys of group %s: %s)", origin,
                      group, name, group, list);
}

static rise_status unknown_group_error(const char *origin, const char *group) {
    const char *s = suggest_group(group);
    if (s)
        return rise_error(RISE_ERR_INVALID, "%s: unknown group '%s' (did you mean '%s'?)", origin,
                          group, s);
    char list[1024];
    list_names(list, sizeof list, NULL);
    return rise_error(RISE_ERR_INVALID,
                      "%s: unknown group '%s' (expected one of %s, data or comment)", origin, group,
                      list);
}

/* ---- choices ("one of a|b|c" in the help text) ---- */

static int choice_char(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-' || ch == '|';
}

/* The "a|b|c" span of a help text and its length; NULL when the field has no fixed choices. */
static const char *help_choices(const char *help, size_t *len) {
    const char *p = strstr(help, "one of ");
    if (!p) return NULL;
    p += strlen("one of ");
    size_t n = 0;
    while (choice_char(p[n])) ++n;
    if (n == 0 || !memchr(p, '|', n)) return NULL;
    *len = n;
    return p;
}

static int is_choice(const char *value, const char *choices, size_t len) {
    const size_t vlen = strlen(value);
    const char *p = choices, *end = choices + len;
    while (p < end) {
        const char *bar = memchr(p, '|', (size_t)(end - p));
        const size_t n = bar ? (size_t)(bar - p) : (size_t)(end - p);
        if (n == vlen && !memcmp(p, value, n)) return 1;
        p += n + 1;
    }
    return 0;
}

static rise_status check_choice(const field_desc *f, const char *value) {
    size_t len;
    const char *choices = help_choices(f->help, &len);
    if (!choices || is_choice(value, choices, len)) return RISE_OK;
    char list[512], near[RISE_CFG_STR_MAX] = "";
    size_t used = 0;
    int best_d = INT_MAX;
    const char *p = choices, *end = choices + len;
    while (p < end) {
        const char *bar = memchr(p, '|', (size_t)(end - p));
        const size_t n = bar ? (size_t)(bar - p) : (size_t)(end - p);
        char word[RISE_CFG_STR_MAX];
        snprintf(word, sizeof word, "%.*s", (int)n, p);
        const int w = snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", word);
        if (w > 0 && (size_t)w < sizeof list - used) used += (size_t)w;
        const int d = edit_distance(value, word);
        if (d < best_d) {
            best_d = d;
            snprintf(near, sizeof near, "%s", word);
        }
        p += n + 1;
    }
    if (near[0] && is_close(value, best_d))
        return rise_error(RISE_ERR_INVALID, "%s = '%s': expected one of %s (did you mean '%s'?)",
                          f->key, value, list, near);
    return rise_error(RISE_ERR_INVALID, "%s = '%s': expected one of %s", f->key, value, list);
}

/* ---- defaults and checks ---- */

#define RISE_CFG_DEFAULT_INT(member, def)    c->member = (def);
#define RISE_CFG_DEFAULT_BOOL(member, def)   c->member = (def) ? 1 : 0;
#define RISE_CFG_DEFAULT_FLOAT(member, def)  c->member = (float)(def);
#define RISE_CFG_DEFAULT_STRING(member, def) snprintf(c->member, sizeof c->member, "%s", def);
#define RISE_CFG_DEFAULT_INTS(member, def)   c->member.n = 0; /* lists default to [] */

void rise_train_config_default(rise_train_config *c) {
    memset(c, 0, sizeof *c);
#define X(TYPE, group, name, def, help) RISE_CFG_DEFAULT_##TYPE(group##_##name, def)
#include "train_config_fields.def"
#undef X
    rise_data_spec_default(&c->data);
    c->has_data = 0;
}

static rise_status int_between(const char *key, int v, int lo, int hi, const char *why) {
    if (v >= lo && v <= hi) return RISE_OK;
    if (hi == INT_MAX)
        return rise_error(RISE_ERR_INVALID, "%s = %d: expected an integer >= %d%s", key, v, lo,
                          why ? why : "");
    return rise_error(RISE_ERR_INVALID, "%s = %d: expected an integer in [%d, %d]%s", key, v, lo,
                      hi, why ? why : "");
}

/* lo/hi may be -INFINITY/INFINITY; *_open excludes the bound. */
static rise_status float_between(const char *key, float v, double lo, int lo_open, double hi,
                                 int hi_open) {
    const double x = v;
    const int ok_lo = isinf(lo) || (lo_open ? x > lo : x >= lo);
    const int ok_hi = isinf(hi) || (hi_open ? x < hi : x <= hi);
    if (isfinite(x) && ok_lo && ok_hi) return RISE_OK;
    char want[96];
    if (isinf(lo) && isinf(hi))
        snprintf(want, sizeof want, "a finite number");
    else if (isinf(hi))
        snprintf(want, sizeof want, "a number %s %g", lo_open ? ">" : ">=", lo);
    else if (isinf(lo))
        snprintf(want, sizeof want, "a number %s %g", hi_open ? "<" : "<=", hi);
    else
        snprintf(want, sizeof want, "a number in %c%g, %g%c", lo_open ? '(' : '[', lo, hi,
                 hi_open ? ')' : ']');
    return rise_error(RISE_ERR_INVALID, "%s = %.9g: expected %s", key, x, want);
}

#define CHECK_INT(group, name, lo, hi)                                                             \
    RISE_TRY(int_between(#group "." #name, c->group##_##name, lo, hi, NULL))
#define CHECK_FLOAT(group, name, lo, lo_open, hi, hi_open)                                         \
    RISE_TRY(float_between(#group "." #name, c->group##_##name, lo, lo_open, hi, hi_open))
#define OPEN   1
#define CLOSED 0

/* train.seeds: distinct seeds >= 0, given instead of train.seed. */
static rise_status check_seeds(const rise_train_config *c) {
    const rise_cfg_ints *l = &c->train_seeds;
    if (l->n < 0 || l->n > RISE_CFG_INTS_MAX)
        return rise_error(RISE_ERR_INVALID, "train.seeds: %d entries, expected at most %d", l->n,
                          RISE_CFG_INTS_MAX);
    for (int i = 0; i < l->n; ++i) {
        if (l->v[i] < 0)
            return rise_error(RISE_ERR_INVALID, "train.seeds: seed %d: expected an integer >= 0",
                              l->v[i]);
        for (int j = 0; j < i; ++j)
            if (l->v[j] == l->v[i])
                return rise_error(RISE_ERR_INVALID,
                                  "train.seeds: seed %d is listed twice (each seed is one agent "
                                  "and one run directory)",
                                  l->v[i]);
    }
    if (l->n > 0 && c->train_seed != 0)
        return rise_error(RISE_ERR_INVALID,
                          "train.seed = %d and train.seeds = [...] are both given: train.seeds "
                          "lists every seed to train (add %d to it, and leave train.seed at 0)",
                          c->train_seed, c->train_seed);
    return RISE_OK;
}

rise_status rise_train_config_check(const rise_train_config *c) {
    /* Generic: finite floats, choices, non-empty strings where there are choices. */
    for (int i = 0; i < N_FIELDS; ++i) {
        const field_desc *f = &fields[i];
        if (f->type == FT_FLOAT && !isfinite(float_of(c, f)))
            return rise_error(RISE_ERR_INVALID, "%s = %g: expected a finite number", f->key,
                              (double)float_of(c, f));
        if (f->type == FT_BOOL && int_of(c, f) != 0 && int_of(c, f) != 1)
            return rise_error(RISE_ERR_INVALID, "%s = %d: expected true (1) or false (0)", f->key,
                              int_of(c, f));
        if (f->type == FT_STRING) {
            if (!memchr(str_of(c, f), '\0', RISE_CFG_STR_MAX))
                return rise_error(RISE_ERR_INVALID, "%s: not a terminated string", f->key);
            RISE_TRY(check_choice(f, str_of(c, f)));
        }
    }
    const double inf = INFINITY;
    /* train */
    if (!c->train_task[0])
        return rise_error(RISE_ERR_INVALID, "train.task = '': expected a task name (e.g. maze)");
    CHECK_INT(train, seed, 0, INT_MAX);
    RISE_TRY(check_seeds(c));
    CHECK_INT(train, seed_threads, 0, 4096);
    CHECK_INT(train, steps, 1, INT_MAX);
    CHECK_INT(train, batch, 1, INT_MAX);
    CHECK_FLOAT(train, expert_ratio, -inf, CLOSED, 1.0, CLOSED);
    CHECK_INT(train, log_every, 1, INT_MAX);
    CHECK_INT(train, ckpt_every, 0, INT_MAX);
    CHECK_INT(train, eval_every, 0, INT_MAX);
    CHECK_FLOAT(train, max_grad_norm, 0.0, CLOSED, inf, CLOSED);
    CHECK_FLOAT(train, weight_decay, 0.0, CLOSED, inf, CLOSED);
    /* policy */
    CHECK_INT(policy, width, 1, INT_MAX);
    CHECK_INT(policy, depth, 1, 8);
    CHECK_FLOAT(policy, dropout, 0.0, CLOSED, 1.0, OPEN);
    CHECK_FLOAT(policy, lr, 0.0, OPEN, 1.0, OPEN);
    CHECK_FLOAT(policy, ema, 0.0, CLOSED, 1.0, OPEN);
    CHECK_FLOAT(policy, ema_power, 0.0, CLOSED, inf, CLOSED);
    CHECK_INT(policy, obs_horizon, 1, INT_MAX);
    CHECK_INT(policy, action_horizon, 1, INT_MAX);
    RISE_TRY(int_between("policy.action_exec", c->policy_action_exec, 1, c->policy_action_horizon,
                         " (policy.action_horizon)"));
    CHECK_INT(policy, time_freqs, 1, INT_MAX);
    /* diffusion */
    CHECK_INT(diffusion, train_steps, 1, INT_MAX);
    RISE_TRY(int_between("diffusion.sample_steps", c->diffusion_sample_steps, 1,
                         c->diffusion_train_steps, " (diffusion.train_steps)"));
    CHECK_FLOAT(diffusion, clip, 0.0, OPEN, inf, CLOSED);
    /* critic */
    CHECK_INT(critic, width, 1, INT_MAX);
    CHECK_INT(critic, depth, 1, 8);
    CHECK_FLOAT(critic, lr, 0.0, OPEN, 1.0, OPEN);
    CHECK_FLOAT(critic, discount, 0.0, CLOSED, 1.0, CLOSED);
    CHECK_FLOAT(critic, tau, 0.0, OPEN, 1.0, CLOSED);
    CHECK_FLOAT(critic, expectile, 0.0, OPEN, 1.0, OPEN);
    /* extract */
    CHECK_INT(extract, candidates, 1, INT_MAX);
    CHECK_FLOAT(extract, temperature, 0.0, OPEN, inf, CLOSED);
    /* actor */
    CHECK_FLOAT(actor, awr_beta, 0.0, CLOSED, inf, CLOSED);
    CHECK_FLOAT(actor, awr_max_weight, 0.0, OPEN, inf, CLOSED);
    if (!(c->actor_log_std_min < c->actor_log_std_max))
        return rise_error(RISE_ERR_INVALID,
                          "actor.log_std_min = %.9g, actor.log_std_max = %.9g: expected min < max",
                          (double)c->actor_log_std_min, (double)c->actor_log_std_max);
    /* spectral, relabel, noise */
    CHECK_FLOAT(spectral, lambda, 0.0, CLOSED, inf, CLOSED);
    CHECK_INT(spectral, width, 1, INT_MAX);
    CHECK_INT(spectral, iters, 1, INT_MAX);
    CHECK_FLOAT(spectral, tol, 0.0, CLOSED, inf, CLOSED);
    CHECK_INT(relabel, k, 1, INT_MAX);
    CHECK_FLOAT(relabel, threshold, 0.0, CLOSED, inf, CLOSED);
    CHECK_INT(relabel, skip_expert, 0, INT_MAX);
    CHECK_INT(relabel, skip_nonexpert, 0, INT_MAX);
    CHECK_FLOAT(relabel, match_tol, 0.0, CLOSED, inf, CLOSED);
    CHECK_INT(relabel, every, 1, INT_MAX);
    CHECK_INT(relabel, block, 1, INT_MAX);
    CHECK_INT(noise, copies, 0, INT_MAX);
    CHECK_FLOAT(noise, sigma_lo, 0.0, CLOSED, inf, CLOSED);
    CHECK_FLOAT(noise, sigma_hi, 0.0, CLOSED, inf, CLOSED);
    if (c->noise_sigma_lo > c->noise_sigma_hi)
        return rise_error(RISE_ERR_INVALID,
                          "noise.sigma_lo = %.9g, noise.sigma_hi = %.9g: expected lo <= hi",
                          (double)c->noise_sigma_lo, (double)c->noise_sigma_hi);
    /* cql */
    CHECK_FLOAT(cql, alpha, 0.0, CLOSED, inf, CLOSED);
    CHECK_INT(cql, samples, 1, INT_MAX);
    CHECK_FLOAT(cql, actor_lr, 0.0, OPEN, 1.0, OPEN);
    /* eval */
    CHECK_INT(eval, grid, 1, INT_MAX);
    CHECK_INT(eval, trials, 1, INT_MAX);
    CHECK_INT(eval, seed, 0, INT_MAX);
    if (c->has_data) {
        const rise_status st = rise_data_spec_check(&c->data);
        if (st != RISE_OK) return st; /* "data spec: ..." */
    }
    return RISE_OK;
}

/* ---- values as text ---- */

/* The fewest significant digits (6..9) that read back to the same float. */
static void format_float(char *buf, size_t size, float v) {
    if (!isfinite(v)) {
        snprintf(buf, size, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
        return;
    }
    for (int p = 6; p <= 9; ++p) {
        snprintf(buf, size, "%.*g", p, (double)v);
        if ((float)strtod(buf, NULL) == v) return;
    }
}

static void format_value(const rise_train_config *c, const field_desc *f, char *buf, size_t size) {
    switch (f->type) {
    case FT_INT: snprintf(buf, size, "%d", int_of(c, f)); break;
    case FT_BOOL: snprintf(buf, size, "%s", int_of(c, f) ? "true" : "false"); break;
    case FT_FLOAT: format_float(buf, size, float_of(c, f)); break;
    case FT_STRING: snprintf(buf, size, "%s", str_of(c, f)); break;
    case FT_INTS: {
        const rise_cfg_ints *l = ints_of(c, f);
        size_t used = 0;
        int w = snprintf(buf, size, "[");
        for (int i = 0; i < l->n && w >= 0 && (size_t)w < size - used; ++i) {
            used += (size_t)w;
            w = snprintf(buf + used, size - used, "%s%d", i ? "," : "", l->v[i]);
        }
        if (w >= 0 && (size_t)w < size - used) {
            used += (size_t)w;
            snprintf(buf + used, size - used, "]");
        }
        break;
    }
    }
}

/* "[1,2,3]", "1,2,3", "[]" or "" into a list of integers. */
static rise_status ints_from_text(rise_cfg_ints *out, const field_desc *f, const char *value,
                                  const char *origin) {
    rise_cfg_ints l;
    memset(&l, 0, sizeof l);
    const char *p = value;
    while (*p == ' ') ++p;
    const int bracket = *p == '[';
    if (bracket) ++p;
    for (;;) {
        while (*p == ' ') ++p;
        if (!*p || *p == ']') break;
        char *end;
        errno = 0;
        const long v = strtol(p, &end, 10);
        if (end == p || errno || v < INT_MIN || v > INT_MAX)
            return rise_error(RISE_ERR_INVALID,
                              "%s: %s: expected a list of integers like [0,1,2], found '%s'",
                              origin, f->key, value);
        if (l.n == RISE_CFG_INTS_MAX)
            return rise_error(RISE_ERR_INVALID, "%s: %s: more than %d entries", origin, f->key,
                              RISE_CFG_INTS_MAX);
        l.v[l.n++] = (int)v;
        p = end;
        while (*p == ' ') ++p;
        if (*p == ',')
            ++p;
        else if (*p && *p != ']')
            return rise_error(RISE_ERR_INVALID,
                              "%s: %s: expected a list of integers like [0,1,2], found '%s'",
                              origin, f->key, value);
    }
    if (bracket != (*p == ']') || (*p == ']' && p[1 + strspn(p + 1, " ")] != '\0'))
        return rise_error(RISE_ERR_INVALID,
                          "%s: %s: expected a list of integers like [0,1,2], found '%s'", origin,
                          f->key, value);
    *out = l;
    return RISE_OK;
}

/* Parses command-line text into the field of c. `origin` prefixes messages. */
static rise_status set_from_text(rise_train_config *c, const field_desc *f, const char *value,
                                 const char *origin) {
    switch (f->type) {
    case FT_INT: {
        char *end;
        errno = 0;
        const long v = strtol(value, &end, 10);
        if (end == value || *end || errno || v < INT_MIN || v > INT_MAX)
            return rise_error(RISE_ERR_INVALID, "%s: %s: expected an integer, found '%s'", origin,
                              f->key, value);
        *int_at(c, f) = (int)v;
        break;
    }
    case FT_BOOL:
        if (!strcmp(value, "true") || !strcmp(value, "1"))
            *int_at(c, f) = 1;
        else if (!strcmp(value, "false") || !strcmp(value, "0"))
            *int_at(c, f) = 0;
        else
            return rise_error(RISE_ERR_INVALID,
                              "%s: %s: expected a bool (true, false, 1 or 0), found '%s'", origin,
                              f->key, value);
        break;
    case FT_FLOAT: {
        char *end;
        errno = 0;
        const double v = strtod(value, &end);
        if (end == value || *end || !isfinite(v) || fabs(v) > FLT_MAX)
            return rise_error(RISE_ERR_INVALID, "%s: %s: expected a finite number, found '%s'",
                              origin, f->key, value);
        *float_at(c, f) = (float)v;
        break;
    }
    case FT_STRING:
        if (strlen(value) >= RISE_CFG_STR_MAX)
            return rise_error(RISE_ERR_INVALID,
                              "%s: %s: expected a string of at most %d characters, found %zu",
                              origin, f->key, RISE_CFG_STR_MAX - 1, strlen(value));
        snprintf(str_at(c, f), RISE_CFG_STR_MAX, "%s", value);
        break;
    case FT_INTS: return ints_from_text(ints_at(c, f), f, value, origin);
    }
    return RISE_OK;
}

/* ---- JSON ---- */

static void describe_json(const cJSON *v, char *buf, size_t size) {
    if (cJSON_IsString(v))
        snprintf(buf, size, "the string \"%.60s%s\"", v->valuestring,
                 strlen(v->valuestring) > 60 ? "..." : "");
    else if (cJSON_IsNumber(v))
        snprintf(buf, size, "the number %.17g", v->valuedouble);
    else if (cJSON_IsTrue(v))
        snprintf(buf, size, "true");
    else if (cJSON_IsFalse(v))
        snprintf(buf, size, "false");
    else if (cJSON_IsNull(v))
        snprintf(buf, size, "null");
    else if (cJSON_IsArray(v))
        snprintf(buf, size, "an array");
    else if (cJSON_IsObject(v))
        snprintf(buf, size, "an object");
    else
        snprintf(buf, size, "an unknown JSON value");
}

static rise_status wrong_type(const char *origin, const char *key, const char *expected,
                              const cJSON *v) {
    char found[128];
    describe_json(v, found, sizeof found);
    return rise_error(RISE_ERR_INVALID, "%s: %s: expected %s, found %s", origin, key, expected,
                      found);
}

static rise_status set_from_json(rise_train_config *c, const field_desc *f, const cJSON *v,
                                 const char *origin) {
    switch (f->type) {
    case FT_INT: {
        const double d = cJSON_IsNumber(v) ? v->valuedouble : 0.5;
        if (!cJSON_IsNumber(v) || d != floor(d) || d < INT_MIN || d > INT_MAX)
            return wrong_type(origin, f->key, "an integer", v);
        *int_at(c, f) = (int)d;
        break;
    }
    case FT_BOOL:
        if (cJSON_IsBool(v))
            *int_at(c, f) = cJSON_IsTrue(v) ? 1 : 0;
        else if (cJSON_IsNumber(v) && (v->valuedouble == 0.0 || v->valuedouble == 1.0))
            *int_at(c, f) = v->valuedouble == 1.0;
        else
            return wrong_type(origin, f->key, "true or false", v);
        break;
    case FT_FLOAT:
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || fabs(v->valuedouble) > FLT_MAX)
            return wrong_type(origin, f->key, "a number", v);
        *float_at(c, f) = (float)v->valuedouble;
        break;
    case FT_STRING:
        if (!cJSON_IsString(v)) return wrong_type(origin, f->key, "a string", v);
        if (strlen(v->valuestring) >= RISE_CFG_STR_MAX)
            return rise_error(RISE_ERR_INVALID,
                              "%s: %s: expected a string of at most %d characters, found %zu",
                              origin, f->key, RISE_CFG_STR_MAX - 1, strlen(v->valuestring));
        snprintf(str_at(c, f), RISE_CFG_STR_MAX, "%s", v->valuestring);
        break;
    case FT_INTS: {
        if (!cJSON_IsArray(v)) return wrong_type(origin, f->key, "a list of integers", v);
        rise_cfg_ints l;
        memset(&l, 0, sizeof l);
        for (const cJSON *e = v->child; e; e = e->next) {
            const double d = cJSON_IsNumber(e) ? e->valuedouble : 0.5;
            if (!cJSON_IsNumber(e) || d != floor(d) || d < INT_MIN || d > INT_MAX)
                return wrong_type(origin, f->key, "a list of integers", e);
            if (l.n == RISE_CFG_INTS_MAX)
                return rise_error(RISE_ERR_INVALID, "%s: %s: more than %d entries", origin, f->key,
                                  RISE_CFG_INTS_MAX);
            l.v[l.n++] = (int)d;
        }
        *ints_at(c, f) = l;
        break;
    }
    }
    return RISE_OK;
}

static rise_status parse_group(rise_train_config *c, const cJSON *g, const char *origin,
                               unsigned char *seen) {
    if (!cJSON_IsObject(g)) return wrong_type(origin, g->string, "an object of keys", g);
    for (const cJSON *v = g->child; v; v = v->next) {
        if (!strcmp(v->string, "comment")) {
            if (!cJSON_IsString(v)) {
                char key[256];
                snprintf(key, sizeof key, "%s.comment", g->string);
                return wrong_type(origin, key, "a string", v);
            }
            continue;
        }
        const field_desc *f = find_field(g->string, v->string);
        if (!f) return unknown_key_error(origin, g->string, v->string);
        const int i = (int)(f - fields);
        if (seen[i]) return rise_error(RISE_ERR_INVALID, "%s: %s is given twice", origin, f->key);
        seen[i] = 1;
        RISE_TRY(set_from_json(c, f, v, origin));
    }
    return RISE_OK;
}

static rise_status parse_root(rise_train_config *c, const cJSON *root, const char *origin,
                              const char *base_dir) {
    if (!cJSON_IsObject(root)) {
        char found[128];
        describe_json(root, found, sizeof found);
        return rise_error(RISE_ERR_INVALID, "%s: expected a JSON object at the top level, found %s",
                          origin, found);
    }
    unsigned char seen[N_FIELDS];
    memset(seen, 0, sizeof seen);
    for (const cJSON *g = root->child; g; g = g->next) {
        /* A repeated group would silently merge (or override): refuse it. */
        for (const cJSON *p = root->child; p != g; p = p->next)
            if (!strcmp(p->string, g->string))
                return rise_error(RISE_ERR_INVALID, "%s: group '%s' is given twice", origin,
                                  g->string);
        if (!strcmp(g->string, "comment")) {
            if (!cJSON_IsString(g)) return wrong_type(origin, "comment", "a string", g);
        } else if (!strcmp(g->string, "data")) {
            if (!cJSON_IsObject(g))
                return wrong_type(origin, "data", "an object (dataset spec)", g);
            char *text = cJSON_PrintUnformatted(g);
            if (!text) return rise_error(RISE_ERR_NOMEM, "%s: data: out of memory", origin);
            const rise_status st = rise_data_spec_from_json(&c->data, text, base_dir);
            free(text);
            if (st != RISE_OK) return rise_error_context(st, "%s: ", origin);
            c->has_data = 1;
        } else if (is_group(g->string)) {
            RISE_TRY(parse_group(c, g, origin, seen));
        } else {
            return unknown_group_error(origin, g->string);
        }
    }
    return RISE_OK;
}

static void line_column(const char *text, const char *at, int *line, int *col) {
    *line = 1;
    *col = 1;
    for (const char *p = text; *p && p < at; ++p) {
        if (*p == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

rise_status rise_train_config_from_json_text(rise_train_config *c, const char *json,
                                             const char *origin, const char *base_dir) {
    if (!origin) origin = "config";
    if (!json) return rise_error(RISE_ERR_INVALID, "%s: no JSON text", origin);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(json, &end, 0);
    if (!root) {
        const size_t len = strlen(json);
        if (!end || end < json || end > json + len) end = json + len;
        int line, col;
        line_column(json, end, &line, &col);
        char near[48];
        size_t n = 0;
        while (end[n] && end[n] != '\n' && n < 40) ++n;
        snprintf(near, sizeof near, "%.*s", (int)n, end);
        if (len == 0 || strspn(json, " \t\r\n") == len)
            return rise_error(RISE_ERR_FORMAT, "%s: empty, expected a JSON object", origin);
        return rise_error(RISE_ERR_FORMAT, "%s:%d:%d: malformed JSON%s%s%s", origin, line, col,
                          n ? " near '" : " at the end of the text", near, n ? "'" : "");
    }
    rise_train_config *t = malloc(sizeof *t);
    if (!t) {
        cJSON_Delete(root);
        return rise_error(RISE_ERR_NOMEM, "%s: out of memory", origin);
    }
    rise_train_config_default(t);
    const rise_status st = parse_root(t, root, origin, base_dir);
    cJSON_Delete(root);
    if (st == RISE_OK) {
        snprintf(t->source_path, sizeof t->source_path, "%s", origin);
        *c = *t;
    }
    free(t);
    return st;
}

rise_status rise_train_config_load(rise_train_config *c, const char *path) {
    /* Data paths are resolved against the file's folder, made absolute (against the working
     * folder) so that the resolved config (a run's config.json) still points at them from
     * anywhere. */
    char dir[RISE_PATH_MAX], *text;
    RISE_TRY(rise_path_folder_absolute(path, dir, sizeof dir));
    RISE_TRY(rise_read_text_file(path, "config", (size_t)1 << 24, 0, &text, NULL));
    const rise_status st = rise_train_config_from_json_text(c, text, path, dir);
    free(text);
    return st;
}

/* "role:path[,role:path...]": the sources become exactly these. */
static rise_status replace_sources(rise_data_spec *d, const char *list) {
    d->n_sources = 0;
    char item[RISE_PATH_MAX + 64];
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        const size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0 || len >= sizeof item)
            return rise_error(RISE_ERR_INVALID, "data.sources: empty or over-long entry in '%s'",
                              list);
        memcpy(item, p, len);
        item[len] = '\0';
        RISE_TRY(rise_data_spec_add_source(d, item));
        p += len + (comma ? 1 : 0);
    }
    if (d->n_sources == 0)
        return rise_error(RISE_ERR_INVALID, "data.sources: expected role:path[,role:path...]");
    return RISE_OK;
}

rise_status rise_train_config_set(rise_train_config *c, const char *assignment) {
    const char *eq = strchr(assignment, '=');
    const char *dot = strchr(assignment, '.');
    if (!eq || !dot || dot > eq || dot == assignment || dot + 1 == eq) {
        const field_desc *f = NULL;
        if (eq && !dot) { /* "steps=5": a bare name that lives in one group */
            for (int i = 0; i < N_FIELDS && !f; ++i)
                if (strlen(fields[i].name) == (size_t)(eq - assignment) &&
                    !strncmp(fields[i].name, assignment, (size_t)(eq - assignment)))
                    f = &fields[i];
        }
        if (f)
            return rise_error(RISE_ERR_INVALID,
                              "--set %s: expected group.name=value (did you mean '%s'?)",
                              assignment, f->key);
        return rise_error(RISE_ERR_INVALID, "--set %s: expected group.name=value", assignment);
    }
    char group[64], name[64], origin[320];
    if ((size_t)(dot - assignment) >= sizeof group || (size_t)(eq - dot - 1) >= sizeof name)
        return rise_error(RISE_ERR_INVALID, "--set %.64s...: key too long", assignment);
    snprintf(group, sizeof group, "%.*s", (int)(dot - assignment), assignment);
    snprintf(name, sizeof name, "%.*s", (int)(eq - dot - 1), dot + 1);
    snprintf(origin, sizeof origin, "--set %.300s", assignment);
    const char *value = eq + 1;

    if (!strcmp(group, "data")) {
        rise_data_spec *d = malloc(sizeof *d);
        if (!d) return rise_error(RISE_ERR_NOMEM, "%s: out of memory", origin);
        if (c->has_data)
            *d = c->data;
        else
            rise_data_spec_default(d);
        rise_status st;
        const int kept = !strcmp(name, "sources") ? 0 : d->n_sources;
        if (!strcmp(name, "source"))
            st = rise_data_spec_add_source(d, value);
        else if (!strcmp(name, "sources"))
            st = replace_sources(d, value);
        else
            st = rise_data_spec_set(d, name, value);
        /* A path typed on the command line means the working folder's file: stored absolute,
         * the run's config.json (read back on --resume, from any folder) still finds it. */
        for (int i = kept; st == RISE_OK && i < d->n_sources; ++i)
            if (d->sources[i].path[0] != '/') {
                char abs[RISE_PATHS_MAX];
                st = rise_path_absolute(d->sources[i].path, abs, sizeof abs);
                if (st == RISE_OK && strlen(abs) >= sizeof d->sources[i].path)
                    st = rise_error(RISE_ERR_INVALID, "%s: longer than %d characters", abs,
                                    (int)sizeof d->sources[i].path - 1);
                if (st == RISE_OK)
                    snprintf(d->sources[i].path, sizeof d->sources[i].path, "%s", abs);
            }
        if (st == RISE_OK) {
            c->data = *d;
            c->has_data = 1;
        } else {
            rise_error_context(st, "%s: ", origin);
        }
        free(d);
        return st;
    }
    if (!is_group(group)) return unknown_group_error(origin, group);
    const field_desc *f = find_field(group, name);
    if (!f) return unknown_key_error(origin, group, name);
    return set_from_text(c, f, value, origin);
}

char *rise_train_config_to_json(const rise_train_config *c) {
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    int ok = 1;
    for (int i = 0; i < N_FIELDS && ok; ++i) {
        const field_desc *f = &fields[i];
        cJSON *g = cJSON_GetObjectItemCaseSensitive(root, f->group);
        if (!g) g = cJSON_AddObjectToObject(root, f->group);
        if (!g) {
            ok = 0;
            break;
        }
        char buf[64];
        switch (f->type) {
        case FT_INT: ok = cJSON_AddNumberToObject(g, f->name, int_of(c, f)) != NULL; break;
        case FT_BOOL: ok = cJSON_AddBoolToObject(g, f->name, int_of(c, f)) != NULL; break;
        case FT_FLOAT:
            format_float(buf, sizeof buf, float_of(c, f));
            /* Raw keeps our digits; a non-finite value has no JSON form. */
            ok = (isfinite(float_of(c, f)) ? cJSON_AddRawToObject(g, f->name, buf)
                                           : cJSON_AddNullToObject(g, f->name)) != NULL;
            break;
        case FT_STRING: ok = cJSON_AddStringToObject(g, f->name, str_of(c, f)) != NULL; break;
        case FT_INTS: {
            const rise_cfg_ints *l = ints_of(c, f);
            cJSON *a = cJSON_AddArrayToObject(g, f->name);
            ok = a != NULL;
            for (int k = 0; ok && k < l->n; ++k) {
                cJSON *e = cJSON_CreateNumber(l->v[k]);
                ok = e != NULL && cJSON_AddItemToArray(a, e);
            }
            break;
        }
        }
    }
    if (ok && c->has_data) {
        char *text = rise_data_spec_to_json(&c->data);
        cJSON *d = text ? cJSON_Parse(text) : NULL;
        free(text);
        ok = d != NULL;
        if (d) cJSON_AddItemToObject(root, "data", d);
    }
    char *out = ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    return out;
}

void rise_train_config_print_help(FILE *out) {
    rise_train_config *d = malloc(sizeof *d);
    if (!d) return;
    rise_train_config_default(d);
    int wkey = 3, wdef = 7;
    char buf[RISE_CFG_STR_MAX + 2];
    for (int i = 0; i < N_FIELDS; ++i) {
        const int k = (int)strlen(fields[i].key);
        if (k > wkey) wkey = k;
        format_value(d, &fields[i], buf, sizeof buf);
        const int n = (int)strlen(buf) + (fields[i].type == FT_STRING ? 2 : 0);
        if (n > wdef) wdef = n;
    }
    fprintf(out, "Config keys: {\"group\": {\"name\": value}} in a JSON config file, or --set "
                 "group.name=value.\n\n");
    fprintf(out, "  %-*s  %-6s  %-*s  %s\n", wkey, "key", "type", wdef, "default", "description");
    for (int i = 0; i < N_FIELDS; ++i) {
        const field_desc *f = &fields[i];
        if (i > 0 && strcmp(fields[i - 1].group, f->group)) fputc('\n', out);
        char def[RISE_CFG_STR_MAX + 2];
        format_value(d, f, buf, sizeof buf);
        if (f->type == FT_STRING)
            snprintf(def, sizeof def, "\"%s\"", buf);
        else
            snprintf(def, sizeof def, "%s", buf);
        fprintf(out, "  %-*s  %-6s  %-*s  %s\n", wkey, f->key, type_name(f->type), wdef, def,
                f->help);
    }
    fprintf(out, "\n  data.*: the dataset spec (JSON object \"data\", see data/spec.h):\n"
                 "    --set data.sources=role:path[,role:path...]  replace the sources\n"
                 "    --set data.source=role:path[:filter_key]   add a source (expert or "
                 "non_expert)\n"
                 "    --set data.reward=rise|dataset, data.terminal=dataset|never|traj_end,\n"
                 "          data.obs_norm=, data.act_norm=none|minmax|gaussian,\n"
                 "          data.obs_keys=a,b,c (image keys: uint8 H x W x C camera frames),\n"
                 "          data.shard_rank=, data.shard_world=,\n"
                 "          data.image_memory_mb=M (frames in memory up to M MiB, else read per\n"
                 "          batch from the files; 0: half the physical memory)\n");
    free(d);
}

const char *rise_train_config_key_help(const char *key) {
    const field_desc *f = key ? find_key(key) : NULL;
    return f ? f->help : NULL;
}

const char *rise_train_config_key_type(const char *key) {
    const field_desc *f = key ? find_key(key) : NULL;
    return f ? type_name(f->type) : NULL;
}

rise_status rise_train_config_get(const rise_train_config *c, const char *key, char *buf,
                                  size_t size) {
    const field_desc *f = find_key(key);
    if (!f) {
        const char *dot = strchr(key, '.');
        char group[64];
        snprintf(group, sizeof group, "%.*s", dot ? (int)(dot - key) : (int)strlen(key), key);
        return unknown_key_error("config", group, dot ? dot + 1 : "");
    }
    char tmp[RISE_CFG_STR_MAX + 12 * RISE_CFG_INTS_MAX + 32];
    format_value(c, f, tmp, sizeof tmp);
    if (strlen(tmp) >= size)
        return rise_error(RISE_ERR_INVALID, "%s: value needs %zu bytes, buffer has %zu", key,
                          strlen(tmp) + 1, size);
    memcpy(buf, tmp, strlen(tmp) + 1);
    return RISE_OK;
}
