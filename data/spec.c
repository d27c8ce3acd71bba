/* spec.c - parsing, checking and printing the dataset spec (see spec.h). */
#include "spec.h"

#include "host/text_file.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *rise_role_name(rise_role r) { return r == RISE_ROLE_EXPERT ? "expert" : "non_expert"; }

const char *rise_reward_mode_name(rise_reward_mode m) {
    return m == RISE_REWARD_RISE ? "rise" : "dataset";
}

const char *rise_terminal_mode_name(rise_terminal_mode m) {
    switch (m) {
    case RISE_TERMINAL_DATASET: return "dataset";
    case RISE_TERMINAL_NEVER: return "never";
    case RISE_TERMINAL_TRAJ_END: return "traj_end";
    }
    return "unknown";
}

int rise_role_parse(const char *s, rise_role *r) {
    if (!strcmp(s, "expert")) {
        *r = RISE_ROLE_EXPERT;
        return 1;
    }
    if (!strcmp(s, "non_expert") || !strcmp(s, "non-expert") || !strcmp(s, "play")) {
        *r = RISE_ROLE_NON_EXPERT;
        return 1;
    }
    return 0;
}

void rise_data_spec_default(rise_data_spec *s) {
    memset(s, 0, sizeof *s);
    s->reward = RISE_REWARD_RISE;
    s->terminal = RISE_TERMINAL_DATASET;
    s->obs_norm = RISE_NORM_GAUSSIAN;
    s->act_norm = RISE_NORM_MINMAX;
    s->shard_rank = 0;
    s->shard_world = 1;
}

rise_status rise_data_spec_check(const rise_data_spec *s) {
    if (s->n_sources <= 0)
        return rise_error(RISE_ERR_INVALID,
                          "data spec: no sources (add one, e.g. \"expert:expert.h5\")");
    if (s->shard_world < 1 || s->shard_rank < 0 || s->shard_rank >= s->shard_world)
        return rise_error(RISE_ERR_INVALID,
                          "data spec: shard_rank %d / shard_world %d: expected 0 <= rank < world",
                          s->shard_rank, s->shard_world);
    for (int i = 0; i < s->n_sources; ++i) {
        if (!s->sources[i].path[0])
            return rise_error(RISE_ERR_INVALID, "data spec: source %d has no path", i);
        if (s->sources[i].max_demos < 0)
            return rise_error(RISE_ERR_INVALID,
                              "data spec: source %d max_demos is %lld, expected >= 0", i,
                              (long long)s->sources[i].max_demos);
    }
    return RISE_OK;
}

static rise_status join_path(char *dst, const char *base_dir, const char *path) {
    int n;
    if (base_dir && base_dir[0] && path[0] != '/')
        n = snprintf(dst, RISE_PATH_MAX, "%s/%s", base_dir, path);
    else
        n = snprintf(dst, RISE_PATH_MAX, "%s", path);
    if (n < 0 || n >= RISE_PATH_MAX)
        return rise_error(RISE_ERR_INVALID, "data spec: path '%s' is longer than %d characters",
                          path, RISE_PATH_MAX - 1);
    return RISE_OK;
}

static rise_status push_source(rise_data_spec *s, rise_data_source **out) {
    if (s->n_sources >= RISE_DATA_MAX_SOURCES)
        return rise_error(RISE_ERR_INVALID, "data spec: more than %d sources",
                          RISE_DATA_MAX_SOURCES);
    *out = &s->sources[s->n_sources++];
    memset(*out, 0, sizeof **out);
    return RISE_OK;
}

rise_status rise_data_spec_add_source(rise_data_spec *s, const char *arg) {
    const char *c1 = strchr(arg, ':');
    char role[32];
    if (!c1 || (size_t)(c1 - arg) >= sizeof role)
        return rise_error(RISE_ERR_INVALID,
                          "data source '%s': expected role:path[:filter_key] with role expert or "
                          "non_expert",
                          arg);
    memcpy(role, arg, (size_t)(c1 - arg));
    role[c1 - arg] = '\0';
    rise_role r;
    if (!rise_role_parse(role, &r))
        return rise_error(RISE_ERR_INVALID,
                          "data source '%s': role '%s' unknown (expected expert or non_expert)",
                          arg, role);
    rise_data_source *src = NULL;
    RISE_TRY(push_source(s, &src));
    src->role = r;
    const char *path = c1 + 1;
    const char *c2 = strrchr(path, ':');
    size_t plen = c2 ? (size_t)(c2 - path) : strlen(path);
    if (plen == 0 || plen >= RISE_PATH_MAX) {
        s->n_sources--;
        return rise_error(RISE_ERR_INVALID, "data source '%s': empty or too long path", arg);
    }
    memcpy(src->path, path, plen);
    src->path[plen] = '\0';
    if (c2) {
        if (strlen(c2 + 1) == 0 || strlen(c2 + 1) >= RISE_NAME_MAX) {
            s->n_sources--;
            return rise_error(RISE_ERR_INVALID, "data source '%s': bad filter key", arg);
        }
        snprintf(src->filter_key, sizeof src->filter_key, "%s", c2 + 1);
    }
    return RISE_OK;
}

/* "a,b,c" into keys[0..*n); field names the setting in errors. */
static rise_status set_keys(const char *field, const char *list, char (*keys)[RISE_NAME_MAX],
                            int *n) {
    *n = 0;
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        const size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0 || len >= RISE_NAME_MAX)
            return rise_error(RISE_ERR_INVALID, "data spec: %s '%s': empty or too long key", field,
                              list);
        if (*n >= RISE_DATA_MAX_KEYS)
            return rise_error(RISE_ERR_INVALID, "data spec: more than %d %s", RISE_DATA_MAX_KEYS,
                              field);
        memcpy(keys[*n], p, len);
        keys[*n][len] = '\0';
        ++*n;
        p += len;
        if (*p == ',') ++p;
    }
    return RISE_OK;
}

rise_status rise_data_spec_set(rise_data_spec *s, const char *key, const char *value) {
    if (!strcmp(key, "reward")) {
        if (!strcmp(value, "rise"))
            s->reward = RISE_REWARD_RISE;
        else if (!strcmp(value, "dataset"))
            s->reward = RISE_REWARD_DATASET;
        else
            return rise_error(RISE_ERR_INVALID,
                              "data.reward = '%s': expected rise (expert 1 / non-expert 0) or "
                              "dataset",
                              value);
    } else if (!strcmp(key, "terminal")) {
        if (!strcmp(value, "dataset"))
            s->terminal = RISE_TERMINAL_DATASET;
        else if (!strcmp(value, "never"))
            s->terminal = RISE_TERMINAL_NEVER;
        else if (!strcmp(value, "traj_end"))
            s->terminal = RISE_TERMINAL_TRAJ_END;
        else
            return rise_error(RISE_ERR_INVALID,
                              "data.terminal = '%s': expected dataset, never or traj_end", value);
    } else if (!strcmp(key, "obs_norm") || !strcmp(key, "act_norm")) {
        rise_norm_mode m;
        if (!rise_norm_mode_parse(value, &m))
            return rise_error(RISE_ERR_INVALID, "data.%s = '%s': expected none, minmax or gaussian",
                              key, value);
        if (key[0] == 'o')
            s->obs_norm = m;
        else
            s->act_norm = m;
    } else if (!strcmp(key, "obs_keys")) {
        return set_keys("obs_keys", value, s->obs_keys, &s->n_obs_keys);
    } else if (!strcmp(key, "relabel_keys")) {
        return set_keys("relabel_keys", value, s->relabel_keys, &s->n_relabel_keys);
    } else if (!strcmp(key, "shard_rank") || !strcmp(key, "shard_world")) {
        char *end;
        errno = 0;
        const long v = strtol(value, &end, 10);
        if (errno || *end || end == value || v < 0 || v > 1 << 20)
            return rise_error(RISE_ERR_INVALID, "data.%s = '%s': expected a non-negative integer",
                              key, value);
        if (key[6] == 'r')
            s->shard_rank = (int)v;
        else
            s->shard_world = (int)v;
    } else if (!strcmp(key, "image_memory_mb")) {
        char *end;
        errno = 0;
        const double v = strtod(value, &end);
        if (errno || *end || end == value || !(v >= 0.0) || v > 1e12)
            return rise_error(RISE_ERR_INVALID,
                              "data.image_memory_mb = '%s': expected a size in MiB >= 0 (0: half "
                              "the physical memory)",
                              value);
        s->image_memory_mb = v;
    } else {
        return rise_error(RISE_ERR_INVALID,
                          "data.%s: unknown field (expected reward, terminal, obs_norm, "
                          "act_norm, obs_keys, shard_rank, shard_world or image_memory_mb)",
                          key);
    }
    return RISE_OK;
}

static rise_status json_source(rise_data_spec *s, const cJSON *o, int index, const char *base_dir) {
    if (!cJSON_IsObject(o))
        return rise_error(RISE_ERR_INVALID, "data spec: sources[%d] is not an object", index);
    rise_data_source *src = NULL;
    RISE_TRY(push_source(s, &src));
    int have_path = 0, have_role = 0;
    for (const cJSON *f = o->child; f; f = f->next) {
        if (!strcmp(f->string, "path") && cJSON_IsString(f)) {
            RISE_TRY(join_path(src->path, base_dir, f->valuestring));
            have_path = 1;
        } else if (!strcmp(f->string, "role") && cJSON_IsString(f)) {
            if (!rise_role_parse(f->valuestring, &src->role))
                return rise_error(RISE_ERR_INVALID,
                                  "data spec: sources[%d].role = '%s': expected expert or "
                                  "non_expert",
                                  index, f->valuestring);
            have_role = 1;
        } else if (!strcmp(f->string, "filter_key") && cJSON_IsString(f)) {
            if (strlen(f->valuestring) >= RISE_NAME_MAX)
                return rise_error(RISE_ERR_INVALID, "data spec: sources[%d].filter_key too long",
                                  index);
            snprintf(src->filter_key, sizeof src->filter_key, "%s", f->valuestring);
        } else if (!strcmp(f->string, "format") && cJSON_IsString(f)) {
            if (!rise_format_parse(f->valuestring, &src->format))
                return rise_error(RISE_ERR_INVALID,
                                  "data spec: sources[%d].format = '%s': expected auto, "
                                  "robomimic, d4rl or minari",
                                  index, f->valuestring);
        } else if (!strcmp(f->string, "max_demos") && cJSON_IsNumber(f) && f->valuedouble >= 0) {
            src->max_demos = (int64_t)f->valuedouble;
        } else {
            return rise_error(RISE_ERR_INVALID,
                              "data spec: sources[%d].%s: unknown field or wrong type (expected "
                              "path, role, filter_key, format strings or max_demos >= 0)",
                              index, f->string);
        }
    }
    if (!have_path || !have_role)
        return rise_error(RISE_ERR_INVALID, "data spec: sources[%d] needs \"path\" and \"role\"",
                          index);
    return RISE_OK;
}

rise_status rise_data_spec_from_json(rise_data_spec *s, const char *json, const char *base_dir) {
    rise_data_spec_default(s);
    cJSON *root = cJSON_Parse(json);
    if (!root || !cJSON_IsObject(root)) {
        const char *at = cJSON_GetErrorPtr();
        cJSON_Delete(root);
        return rise_error(RISE_ERR_INVALID, "data spec: not a JSON object (near \"%.40s\")",
                          at ? at : json);
    }
    rise_status st = RISE_OK;
    for (const cJSON *f = root->child; f && st == RISE_OK; f = f->next) {
        if (!strcmp(f->string, "sources") && cJSON_IsArray(f)) {
            int i = 0;
            for (const cJSON *e = f->child; e && st == RISE_OK; e = e->next, ++i)
                st = json_source(s, e, i, base_dir);
        } else if ((!strcmp(f->string, "obs_keys") || !strcmp(f->string, "relabel_keys")) &&
                   cJSON_IsArray(f)) {
            const int obs = f->string[0] == 'o';
            int *n = obs ? &s->n_obs_keys : &s->n_relabel_keys;
            char(*keys)[RISE_NAME_MAX] = obs ? s->obs_keys : s->relabel_keys;
            *n = 0;
            for (const cJSON *e = f->child; e && st == RISE_OK; e = e->next) {
                if (!cJSON_IsString(e) || !e->valuestring[0] ||
                    strlen(e->valuestring) >= RISE_NAME_MAX || *n >= RISE_DATA_MAX_KEYS)
                    st = rise_error(RISE_ERR_INVALID,
                                    "data spec: %s must be up to %d non-empty strings", f->string,
                                    RISE_DATA_MAX_KEYS);
                else
                    snprintf(keys[(*n)++], RISE_NAME_MAX, "%s", e->valuestring);
            }
        } else if (cJSON_IsString(f)) {
            st = rise_data_spec_set(s, f->string, f->valuestring);
        } else if (cJSON_IsNumber(f)) {
            char buf[32];
            if (!strcmp(f->string, "image_memory_mb"))
                snprintf(buf, sizeof buf, "%.17g", f->valuedouble);
            else
                snprintf(buf, sizeof buf, "%d", f->valueint);
            st = rise_data_spec_set(s, f->string, buf);
        } else {
            st =
                rise_error(RISE_ERR_INVALID, "data spec: field '%s' has the wrong type", f->string);
        }
    }
    cJSON_Delete(root);
    if (st == RISE_OK) st = rise_data_spec_check(s);
    return st;
}

rise_status rise_data_spec_load(rise_data_spec *s, const char *path) {
    char *text;
    RISE_TRY(rise_read_text_file(path, "data spec", (size_t)1 << 24, 0, &text, NULL));
    char dir[RISE_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    rise_status st = rise_data_spec_from_json(s, text, dir);
    free(text);
    if (st != RISE_OK) rise_error_context(st, "%s: ", path);
    return st;
}

char *rise_data_spec_to_json(const rise_data_spec *s) {
    cJSON *root = cJSON_CreateObject();
    cJSON *srcs = cJSON_AddArrayToObject(root, "sources");
    for (int i = 0; i < s->n_sources; ++i) {
        const rise_data_source *src = &s->sources[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", src->path);
        cJSON_AddStringToObject(o, "role", rise_role_name(src->role));
        if (src->filter_key[0]) cJSON_AddStringToObject(o, "filter_key", src->filter_key);
        cJSON_AddStringToObject(o, "format", rise_format_name(src->format));
        cJSON_AddNumberToObject(o, "max_demos", (double)src->max_demos);
        cJSON_AddItemToArray(srcs, o);
    }
    cJSON *keys = cJSON_AddArrayToObject(root, "obs_keys");
    for (int i = 0; i < s->n_obs_keys; ++i)
        cJSON_AddItemToArray(keys, cJSON_CreateString(s->obs_keys[i]));
    if (s->n_relabel_keys > 0) { /* (absent when unused: older run directories read the same) */
        cJSON *rk = cJSON_AddArrayToObject(root, "relabel_keys");
        for (int i = 0; i < s->n_relabel_keys; ++i)
            cJSON_AddItemToArray(rk, cJSON_CreateString(s->relabel_keys[i]));
    }
    cJSON_AddStringToObject(root, "reward", rise_reward_mode_name(s->reward));
    cJSON_AddStringToObject(root, "terminal", rise_terminal_mode_name(s->terminal));
    cJSON_AddStringToObject(root, "obs_norm", rise_norm_mode_name(s->obs_norm));
    cJSON_AddStringToObject(root, "act_norm", rise_norm_mode_name(s->act_norm));
    cJSON_AddNumberToObject(root, "shard_rank", s->shard_rank);
    cJSON_AddNumberToObject(root, "shard_world", s->shard_world);
    cJSON_AddNumberToObject(root, "image_memory_mb", s->image_memory_mb);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    return text;
}
