/* env.c - the task registry, settings tables, the checked wrappers around a
 * task's vtable, initial-condition sampling and env_args. */
#include "env.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env_impl.h"
#include "kernels/philox.h"
#include "push.h"
#include "square.h"

/* ---- registry ---- */

#define RISE_ENV_MAX_TASKS 16
static const rise_env_task *task_table[RISE_ENV_MAX_TASKS] = {
    &rise_maze_task,
#ifdef RISE_WITH_MUJOCO
    &rise_push_task,
    &rise_square_task,
    &rise_square_hook_task,
#endif
};
static int task_count = 1
#ifdef RISE_WITH_MUJOCO
                        + 3 /* push, square, square-hook */
#endif
    ;
static const char *task_names[RISE_ENV_MAX_TASKS + 1];

rise_status rise_env_register_task(const rise_env_task *task) {
    if (rise_env_find_task(task->name))
        return rise_error(RISE_ERR_INVALID, "env task '%s' is already registered", task->name);
    if (task_count == RISE_ENV_MAX_TASKS)
        return rise_error(RISE_ERR_INVALID, "too many env tasks (at most %d)", RISE_ENV_MAX_TASKS);
    task_table[task_count++] = task;
    return RISE_OK;
}

const rise_env_task *rise_env_find_task(const char *name) {
    for (int i = 0; i < task_count; ++i)
        if (name && strcmp(task_table[i]->name, name) == 0) return task_table[i];
    return NULL;
}

const char *const *rise_env_task_names(void) {
    for (int i = 0; i < task_count; ++i) task_names[i] = task_table[i]->name;
    task_names[task_count] = NULL;
    return task_names;
}

static void list_tasks(char *buf, size_t n) {
    buf[0] = '\0';
    for (int i = 0; i < task_count; ++i) {
        const size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", i ? ", " : "", task_table[i]->name);
    }
}

static rise_status unknown_task(const char *name) {
    char known[256];
    list_tasks(known, sizeof known);
    return rise_error(RISE_ERR_INVALID, "unknown task '%s' (known tasks: %s)",
                      name ? name : "(null)", known);
}

/* ---- settings ---- */

static double *num_field(void *s, const rise_env_setting *d) {
    return (double *)((char *)s + d->offset);
}
static int *int_field(void *s, const rise_env_setting *d) { return (int *)((char *)s + d->offset); }

static void settings_defaults(const rise_env_task *t, void *out) {
    memset(out, 0, t->settings_size);
    for (int i = 0; i < t->n_settings; ++i) {
        const rise_env_setting *d = &t->settings[i];
        if (d->type == RISE_SETTING_NUMBER)
            *num_field(out, d) = d->def;
        else
            *int_field(out, d) = (int)d->def;
    }
}

static const rise_env_setting *find_setting(const rise_env_task *t, const char *name) {
    for (int i = 0; i < t->n_settings; ++i)
        if (strcmp(t->settings[i].name, name) == 0) return &t->settings[i];
    return NULL;
}

static void list_choices(const char *const *c, char *buf, size_t n) {
    buf[0] = '\0';
    for (int i = 0; c[i]; ++i) {
        const size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s\"%s\"", i ? ", " : "", c[i]);
    }
}

static rise_status parse_one(const rise_env_task *t, const rise_env_setting *d, const cJSON *v,
                             const char *what, void *out) {
    if (d->type == RISE_SETTING_BOOL) {
        if (!cJSON_IsBool(v))
            return rise_error(RISE_ERR_INVALID, "%s: setting '%s' must be true or false", what,
                              d->name);
        *int_field(out, d) = cJSON_IsTrue(v) ? 1 : 0;
        return RISE_OK;
    }
    if (d->type == RISE_SETTING_CHOICE) {
        char choices[256];
        list_choices(d->choices, choices, sizeof choices);
        if (!cJSON_IsString(v))
            return rise_error(RISE_ERR_INVALID, "%s: setting '%s' must be one of %s", what, d->name,
                              choices);
        for (int c = 0; d->choices[c]; ++c)
            if (strcmp(d->choices[c], v->valuestring) == 0) {
                *int_field(out, d) = c;
                return RISE_OK;
            }
        return rise_error(RISE_ERR_INVALID, "%s: setting '%s' is \"%s\", expected one of %s", what,
                          d->name, v->valuestring, choices);
    }
    if (!cJSON_IsNumber(v))
        return rise_error(RISE_ERR_INVALID, "%s: setting '%s' must be a number in [%g, %g]", what,
                          d->name, d->lo, d->hi);
    const double x = v->valuedouble;
    if (!isfinite(x) || x < d->lo || x > d->hi)
        return rise_error(RISE_ERR_INVALID, "%s: setting '%s' is %g, expected a value in [%g, %g]",
                          what, d->name, x, d->lo, d->hi);
    if (d->type == RISE_SETTING_INT) {
        if (x != floor(x))
            return rise_error(RISE_ERR_INVALID, "%s: setting '%s' is %g, expected an integer", what,
                              d->name, x);
        *int_field(out, d) = (int)x;
    } else {
        *num_field(out, d) = x;
    }
    (void)t;
    return RISE_OK;
}

rise_status rise_env_settings_parse(const rise_env_task *t, const char *json, const char *what,
                                    void *out) {
    settings_defaults(t, out);
    if (!json || !*json) return RISE_OK;
    cJSON *root = cJSON_Parse(json);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        return rise_error(RISE_ERR_INVALID, "%s: not valid JSON (near '%.24s'): %s", what,
                          at ? at : "?", json);
    }
    rise_status st = RISE_OK;
    if (!cJSON_IsObject(root))
        st = rise_error(RISE_ERR_INVALID,
                        "%s: expected a JSON object like {\"name\": value}, got %s", what, json);
    for (const cJSON *v = root->child; st == RISE_OK && v; v = v->next) {
        const rise_env_setting *d = find_setting(t, v->string);
        if (!d) {
            char valid[512] = "";
            for (int i = 0; i < t->n_settings; ++i) {
                const size_t len = strlen(valid);
                snprintf(valid + len, sizeof valid - len, "%s%s", i ? ", " : "",
                         t->settings[i].name);
            }
            st = rise_error(RISE_ERR_INVALID, "%s: unknown setting '%s' for task %s (valid: %s)",
                            what, v->string, t->name, valid);
            break;
        }
        st = parse_one(t, d, v, what, out);
    }
    cJSON_Delete(root);
    return st;
}

static cJSON *settings_object(const rise_env_task *t, const void *s) {
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; o && i < t->n_settings; ++i) {
        const rise_env_setting *d = &t->settings[i];
        void *sv = (void *)s;
        switch (d->type) {
        case RISE_SETTING_NUMBER: cJSON_AddNumberToObject(o, d->name, *num_field(sv, d)); break;
        case RISE_SETTING_INT: cJSON_AddNumberToObject(o, d->name, *int_field(sv, d)); break;
        case RISE_SETTING_BOOL: cJSON_AddBoolToObject(o, d->name, *int_field(sv, d)); break;
        case RISE_SETTING_CHOICE:
            cJSON_AddStringToObject(o, d->name, d->choices[*int_field(sv, d)]);
            break;
        }
    }
    return o;
}

char *rise_env_settings_json(const rise_env_task *t, const void *settings) {
    cJSON *o = settings_object(t, settings);
    char *text = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return text;
}

rise_status rise_env_describe_settings(const char *task, void *file) {
    FILE *f = file;
    const rise_env_task *t = rise_env_find_task(task);
    if (!t) return unknown_task(task);
    fprintf(f, "settings of task %s (JSON object, e.g. --settings '{\"%s\": ...}'):\n", t->name,
            t->n_settings ? t->settings[0].name : "");
    for (int i = 0; i < t->n_settings; ++i) {
        const rise_env_setting *d = &t->settings[i];
        char range[256];
        if (d->type == RISE_SETTING_CHOICE)
            list_choices(d->choices, range, sizeof range);
        else if (d->type == RISE_SETTING_BOOL)
            snprintf(range, sizeof range, "true, false");
        else
            snprintf(range, sizeof range, "[%g, %g]", d->lo, d->hi);
        char def[64];
        if (d->type == RISE_SETTING_CHOICE)
            snprintf(def, sizeof def, "\"%s\"", d->choices[(int)d->def]);
        else if (d->type == RISE_SETTING_BOOL)
            snprintf(def, sizeof def, "%s", d->def ? "true" : "false");
        else
            snprintf(def, sizeof def, "%g", d->def);
        fprintf(f, "  %-13s %-15s %-27s %s\n", d->name, def, range, d->help);
    }
    return RISE_OK;
}

void rise_env_info_add_key(rise_env_info *info, const char *name, int dim) {
    RISE_ASSERT(info->n_keys < RISE_ENV_MAX_KEYS, "too many observation keys");
    rise_env_key *k = &info->keys[info->n_keys++];
    snprintf(k->name, sizeof k->name, "%s", name);
    k->dim = dim;
    k->offset = info->obs_dim;
    info->obs_dim += dim;
}

/* ---- creation ---- */

rise_status rise_env_create(const char *task, const char *settings_json, rise_env **out) {
    *out = NULL;
    const rise_env_task *t = rise_env_find_task(task);
    if (!t) return unknown_task(task);
    void *s = calloc(1, t->settings_size ? t->settings_size : 1);
    if (!s) return rise_error(RISE_ERR_NOMEM, "out of memory");
    char what[64];
    snprintf(what, sizeof what, "%s settings", t->name);
    rise_status st = rise_env_settings_parse(t, settings_json, what, s);
    rise_env *e = NULL;
    if (st == RISE_OK) st = t->create(s, &e);
    if (st == RISE_OK) {
        e->settings_json = rise_env_settings_json(t, s);
        snprintf(e->info.task, sizeof e->info.task, "%s", t->name);
        if (!e->settings_json) st = rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    free(s);
    if (st != RISE_OK) {
        rise_env_destroy(e);
        return st;
    }
    *out = e;
    return RISE_OK;
}

void rise_env_destroy(rise_env *e) {
    if (!e) return;
    free(e->settings_json);
    e->settings_json = NULL;
    if (e->ops && e->ops->destroy)
        e->ops->destroy(e);
    else
        free(e);
}

/* The task name and kwargs object of an env_args text (root kept for kwargs' lifetime). */
static rise_status args_parse(const char *env_args, cJSON **root, const char **task,
                              const cJSON **kwargs) {
    *root = NULL;
    if (!env_args || !*env_args)
        return rise_error(RISE_ERR_FORMAT, "env_args is empty: the dataset does not say which "
                                           "task made it");
    cJSON *r = cJSON_Parse(env_args);
    if (!r) return rise_error(RISE_ERR_FORMAT, "env_args is not valid JSON: %.200s", env_args);
    if (!cJSON_IsObject(r)) {
        cJSON_Delete(r);
        return rise_error(RISE_ERR_FORMAT, "env_args: expected a JSON object, got %.200s",
                          env_args);
    }
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(r, "env_name");
    if (!cJSON_IsString(name)) {
        cJSON_Delete(r);
        return rise_error(RISE_ERR_FORMAT,
                          "env_args: field 'env_name' (the task) is missing or "
                          "not a string in %.200s",
                          env_args);
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(r, "type");
    if (type && !(cJSON_IsString(type) && strcmp(type->valuestring, "rise") == 0)) {
        char *t = cJSON_PrintUnformatted(type);
        rise_status st = rise_error(RISE_ERR_FORMAT,
                                    "env_args: field 'type' is %s, expected \"rise\" "
                                    "(the dataset was made by another simulator)",
                                    t ? t : "?");
        free(t);
        cJSON_Delete(r);
        return st;
    }
    const cJSON *kw = cJSON_GetObjectItemCaseSensitive(r, "env_kwargs");
    if (kw && !cJSON_IsObject(kw)) {
        cJSON_Delete(r);
        return rise_error(RISE_ERR_FORMAT, "env_args: field 'env_kwargs' must be an object");
    }
    *root = r;
    *task = name->valuestring;
    *kwargs = kw;
    return RISE_OK;
}

rise_status rise_env_create_from_args(const char *env_args, rise_env **out) {
    *out = NULL;
    cJSON *root;
    const char *task;
    const cJSON *kw;
    RISE_TRY(args_parse(env_args, &root, &task, &kw));
    char *kw_text = kw ? cJSON_PrintUnformatted(kw) : NULL;
    rise_status st = rise_env_create(task, kw_text, out);
    if (st != RISE_OK) rise_error_context(st, "env_args.env_kwargs: ");
    free(kw_text);
    cJSON_Delete(root);
    return st;
}

char *rise_env_args(const rise_env *e) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "env_name", e->info.task);
    cJSON_AddStringToObject(o, "type", "rise");
    cJSON_AddNumberToObject(o, "env_version", 1);
    cJSON *kw = cJSON_Parse(e->settings_json ? e->settings_json : "{}");
    if (kw) cJSON_AddItemToObject(o, "env_kwargs", kw);
    char *text = kw ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return text;
}

static void setting_str(const rise_env_setting *d, void *s, char *buf, size_t n) {
    switch (d->type) {
    case RISE_SETTING_NUMBER: snprintf(buf, n, "%.17g", *num_field(s, d)); break;
    case RISE_SETTING_INT: snprintf(buf, n, "%d", *int_field(s, d)); break;
    case RISE_SETTING_BOOL: snprintf(buf, n, "%s", *int_field(s, d) ? "true" : "false"); break;
    case RISE_SETTING_CHOICE: snprintf(buf, n, "\"%s\"", d->choices[*int_field(s, d)]); break;
    }
}

rise_status rise_env_check_args(const rise_env *e, const char *env_args) {
    cJSON *root;
    const char *task;
    const cJSON *kw;
    RISE_TRY(args_parse(env_args, &root, &task, &kw));
    rise_status st = RISE_OK;
    const rise_env_task *t = rise_env_find_task(e->info.task);
    if (strcmp(task, e->info.task) != 0) {
        st = rise_error(RISE_ERR_FORMAT, "env_args names task '%s', but the env is task '%s'", task,
                        e->info.task);
    } else if (!t) {
        st = unknown_task(task);
    }
    void *a = NULL, *b = NULL;
    if (st == RISE_OK) {
        a = calloc(1, t->settings_size + 1);
        b = calloc(1, t->settings_size + 1);
        if (!a || !b) st = rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    char *kw_text = (st == RISE_OK && kw) ? cJSON_PrintUnformatted(kw) : NULL;
    /* Missing kwargs take their defaults: a file from before a setting existed still matches. */
    if (st == RISE_OK) st = rise_env_settings_parse(t, kw_text, "env_args.env_kwargs", a);
    if (st == RISE_OK) st = rise_env_settings_parse(t, e->settings_json, "env settings", b);
    for (int i = 0; st == RISE_OK && i < t->n_settings; ++i) {
        const rise_env_setting *d = &t->settings[i];
        int same;
        if (d->type == RISE_SETTING_NUMBER) {
            const double x = *num_field(a, d), y = *num_field(b, d);
            same = fabs(x - y) <= 1e-12 * fmax(1.0, fmax(fabs(x), fabs(y)));
        } else {
            same = *int_field(a, d) == *int_field(b, d);
        }
        if (!same) {
            char va[64], vb[64];
            setting_str(d, a, va, sizeof va);
            setting_str(d, b, vb, sizeof vb);
            st = rise_error(RISE_ERR_FORMAT,
                            "env_args.env_kwargs.%s is %s, but this %s env has %s (rebuild the env "
                            "from the dataset's env_args, or regenerate the data)",
                            d->name, va, e->info.task, vb);
        }
    }
    free(kw_text);
    free(a);
    free(b);
    cJSON_Delete(root);
    return st;
}

/* ---- initial conditions ---- */

int rise_env_ic_ok(const rise_env *e, const double *ic, char *why, size_t why_size) {
    const rise_env_ic_space *s = &e->info.ic;
    for (int d = 0; d < s->dim; ++d)
        if (!(ic[d] >= s->eval_lo[d] && ic[d] <= s->eval_hi[d])) {
            if (why)
                snprintf(why, why_size, "%s = %g is outside the evaluation range [%g, %g]",
                         s->names[d], ic[d], s->eval_lo[d], s->eval_hi[d]);
            return 0;
        }
    if (e->ops->ic_valid) return e->ops->ic_valid(e, ic, why, why_size);
    return 1;
}

rise_status rise_env_sample_ic(const rise_env *e, const double *lo, const double *hi, uint64_t seed,
                               uint32_t stream, uint64_t key, int max_tries, double *ic) {
    const rise_env_ic_space *s = &e->info.ic;
    if (!lo) lo = s->eval_lo;
    if (!hi) hi = s->eval_hi;
    for (int k = 0; k < max_tries; ++k) {
        for (int d = 0; d < s->dim; ++d) {
            const double u =
                rise_rng_uniform(seed, stream, RISE_ENV_KEY_BLOCKS(key), (uint64_t)k * s->dim + d);
            ic[d] = lo[d] + u * (hi[d] - lo[d]);
        }
        if (rise_env_ic_ok(e, ic, NULL, 0)) return RISE_OK;
    }
    return rise_error(RISE_ERR_INVALID,
                      "%s: no valid initial condition found in %d tries inside the requested box",
                      e->info.task, max_tries);
}

rise_status rise_env_sample_expert_ic(const rise_env *e, uint64_t seed, uint64_t key, double *ic) {
    return rise_env_sample_ic(e, e->info.ic.expert_lo, e->info.ic.expert_hi, seed,
                              RISE_STREAM_ENV_IC, key, 1000, ic);
}

int rise_env_ic_in_expert(const rise_env *e, const double *ic) {
    const rise_env_ic_space *s = &e->info.ic;
    for (int d = 0; d < s->dim; ++d)
        if (!(ic[d] >= s->expert_lo[d] && ic[d] <= s->expert_hi[d])) return 0;
    return 1;
}

int rise_env_find_key(const rise_env_info *info, const char *name) {
    for (int i = 0; i < info->n_keys; ++i)
        if (strcmp(info->keys[i].name, name) == 0) return i;
    return -1;
}

/* ---- episodes ---- */

rise_status rise_env_reset(rise_env *e, uint64_t seed, const double *ic, float *obs) {
    double sampled[RISE_ENV_MAX_IC];
    if (!ic) {
        RISE_TRY(rise_env_sample_expert_ic(e, seed, 0, sampled));
        ic = sampled;
    }
    char why[256];
    for (int d = 0; d < e->info.ic.dim; ++d)
        if (!isfinite(ic[d]))
            return rise_error(RISE_ERR_INVALID, "%s reset: initial condition %s is %g (not finite)",
                              e->info.task, e->info.ic.names[d], ic[d]);
    if (!rise_env_ic_ok(e, ic, why, sizeof why))
        return rise_error(RISE_ERR_INVALID, "%s reset: invalid initial condition: %s", e->info.task,
                          why);
    RISE_TRY(e->ops->reset(e, seed, ic, obs));
    e->t = 0;
    e->started = 1;
    e->done = 0;
    e->success = 0;
    return RISE_OK;
}

static int all_finite(const float *x, int n) {
    for (int i = 0; i < n; ++i)
        if (!isfinite(x[i])) return 0;
    return 1;
}

rise_status rise_env_step(rise_env *e, const float *action, float *obs, rise_env_step_info *out) {
    if (!e->started)
        return rise_error(RISE_ERR_INVALID, "%s step: call rise_env_reset before stepping",
                          e->info.task);
    if (e->done)
        return rise_error(RISE_ERR_INVALID,
                          "%s step: the episode already ended at step %d (%s); reset first",
                          e->info.task, e->t, e->success ? "success" : "horizon or failure");
    for (int i = 0; i < e->info.act_dim; ++i) {
        if (!isfinite(action[i]))
            return rise_error(RISE_ERR_INVALID,
                              "%s step %d: action[%d] is %g; actions must be finite numbers in "
                              "[-1, 1]",
                              e->info.task, e->t, i, (double)action[i]);
        if (action[i] < -1.0f || action[i] > 1.0f)
            return rise_error(RISE_ERR_INVALID,
                              "%s step %d: action[%d] = %.9g is outside [-1, 1] (clip or squash "
                              "the policy's output)",
                              e->info.task, e->t, i, (double)action[i]);
    }
    rise_env_step_info info = {0};
    RISE_TRY(e->ops->step(e, action, obs, &info));
    e->t++;
    if (!all_finite(obs, e->info.obs_dim) || !isfinite(info.reward)) {
        fprintf(stderr,
                "warning: %s: non-finite state at step %d (simulator instability); the "
                "episode ends as a failure\n",
                e->info.task, e->t);
        info.failed = 1;
        info.success = 0;
        info.reward = 0.0f;
    }
    if (info.success) e->success = 1;
    info.done = (uint8_t)(info.success || info.failed || e->t >= e->info.horizon);
    e->done = info.done;
    if (out) *out = info;
    return RISE_OK;
}

rise_status rise_env_perturb(rise_env *e, const double *delta, float *obs) {
    if (!e->started || e->done)
        return rise_error(RISE_ERR_INVALID, "%s perturb: no episode is running (reset first)",
                          e->info.task);
    for (int i = 0; i < e->info.perturb_dim; ++i)
        if (!isfinite(delta[i]))
            return rise_error(RISE_ERR_INVALID, "%s perturb: displacement[%d] is %g (not finite)",
                              e->info.task, i, delta[i]);
    return e->ops->perturb(e, delta, obs);
}

void rise_env_get_state(const rise_env *e, double *state) { e->ops->get_state(e, state); }

rise_status rise_env_set_state(rise_env *e, const double *state, float *obs) {
    for (int i = 0; i < e->info.state_dim; ++i)
        if (!isfinite(state[i]))
            return rise_error(RISE_ERR_INVALID, "%s set_state: state[%d] is %g (not finite)",
                              e->info.task, i, state[i]);
    RISE_TRY(e->ops->set_state(e, state, obs));
    e->started = 1;
    return RISE_OK;
}
