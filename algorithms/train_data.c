/* train_data.c - a training run's task, data summary and data notices (see train_data.h). */
#include "train_data.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../envs/env.h"

static int is_rise_task(const char *name) {
    for (const char *const *t = rise_env_task_names(); *t; ++t)
        if (!strcmp(*t, name)) return 1;
    return 0;
}

static void task_list(char *buf, size_t n) {
    size_t used = 0;
    buf[0] = '\0';
    for (const char *const *t = rise_env_task_names(); *t && used < n; ++t)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? ", " : "", *t);
}

typedef enum { ENV_NONE_NAMED, ENV_RISE, ENV_RISE_UNKNOWN, ENV_FOREIGN } env_kind;

/* What the env_args describe; *name points into *root (free with cJSON_Delete). */
static env_kind classify(const char *env_args, cJSON **root, const char **name) {
    *root = env_args ? cJSON_Parse(env_args) : NULL;
    *name = NULL;
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(*root, "env_name");
    if (!cJSON_IsObject(*root) || !cJSON_IsString(n)) return ENV_NONE_NAMED;
    *name = n->valuestring;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(*root, "type");
    const int rise_type = cJSON_IsString(type) && !strcmp(type->valuestring, "rise");
    if (type && !rise_type) return ENV_FOREIGN;
    if (is_rise_task(*name)) return ENV_RISE;
    return rise_type ? ENV_RISE_UNKNOWN : ENV_FOREIGN;
}

void rise_train_describe_env(const char *env_args, char *buf, size_t n) {
    cJSON *root;
    const char *name;
    const env_kind k = classify(env_args, &root, &name);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    if (k == ENV_NONE_NAMED) {
        snprintf(buf, n, "none named (%s)",
                 !env_args              ? "no env_args"
                 : cJSON_IsObject(root) ? "env_args without env_name"
                                        : "env_args are not a JSON object");
    } else if (k == ENV_RISE) {
        snprintf(buf, n, "%s (a rise task)", name);
    } else if (k == ENV_RISE_UNKNOWN) {
        snprintf(buf, n, "%s (type \"rise\", but rise has no such task)", name);
    } else if (cJSON_IsNumber(type)) {
        /* robomimic's EnvType: 1 robosuite, 2 gym, 3 iGibson MOMART. */
        const int t = type->valueint;
        snprintf(buf, n, "%s (robomimic env type %d: %s)", name, t,
                 t == 1   ? "robosuite"
                 : t == 2 ? "gym"
                 : t == 3 ? "iGibson MOMART"
                          : "unknown");
    } else if (cJSON_IsString(type)) {
        snprintf(buf, n, "%s (%s)", name, type->valuestring);
    } else {
        char *t = type ? cJSON_PrintUnformatted(type) : NULL;
        snprintf(buf, n, "%s (%s%s)", name, t ? "type " : "not a rise task", t ? t : "");
        free(t);
    }
    cJSON_Delete(root);
}

rise_status rise_train_resolve_task(const char *setting, const rise_trainset *ts,
                                    rise_train_task *out) {
    memset(out, 0, sizeof *out);
    const char *src = ts->spec.n_sources ? ts->spec.sources[0].path : "data";
    char tasks[256];
    task_list(tasks, sizeof tasks);
    rise_train_describe_env(ts->env_args, out->env, sizeof out->env);
    cJSON *root;
    const char *name;
    const env_kind k = classify(ts->env_args, &root, &name);
    rise_status st = RISE_OK;
    out->foreign = k != ENV_RISE;
    if (k == ENV_RISE_UNKNOWN) {
        st = rise_error(
            RISE_ERR_FORMAT,
            "%s: data.attrs['env_args'] names task '%s' with type \"rise\", but rise has "
            "no such task (tasks: %s)",
            src, name, tasks);
    } else if (k == ENV_RISE) { /* a rise task's settings must parse */
        rise_env *env = NULL;
        st = rise_env_create_from_args(ts->env_args, &env);
        if (st != RISE_OK) rise_error_context(st, "%s: ", src);
        rise_env_destroy(env);
    }
    if (st == RISE_OK && !strcmp(setting, "none")) {
        snprintf(out->task, sizeof out->task, "none");
    } else if (st == RISE_OK && !strcmp(setting, "auto")) {
        if (k == ENV_RISE) {
            snprintf(out->task, sizeof out->task, "%s", name);
        } else {
            snprintf(out->task, sizeof out->task, "none");
            snprintf(out->notice, sizeof out->notice,
                     "notice: the data's environment is %s, not one of rise's tasks (%s), so "
                     "this run trains without a task (train.task = none). The data's env_args "
                     "are kept in header.json; `rise eval` cannot simulate this environment: "
                     "load the run with the rise Python package (python/README.md) and roll it "
                     "out in its own simulator",
                     out->env, tasks);
        }
    } else if (st == RISE_OK && !is_rise_task(setting)) {
        st = rise_error(RISE_ERR_INVALID, "train.task = '%s': expected auto, none or a task (%s)",
                        setting, tasks);
    } else if (st == RISE_OK && k == ENV_RISE && strcmp(name, setting)) {
        st = rise_error(RISE_ERR_INVALID,
                        "train.task is '%s' but the data's env_args describe task '%s' (source "
                        "%s); set train.task=%s, or auto",
                        setting, name, src, name);
    } else if (st == RISE_OK && k != ENV_RISE) {
        st = rise_error(RISE_ERR_INVALID,
                        "train.task is '%s' but the data's environment is %s (source %s), not a "
                        "rise task: set train.task=none (or auto, the default) to train on it "
                        "without a task",
                        setting, out->env, src);
    } else if (st == RISE_OK) {
        snprintf(out->task, sizeof out->task, "%s", setting);
    }
    cJSON_Delete(root);
    return st;
}

/* ---- the report ---- */

static void add_quantiles(cJSON *o, const char *name, const double q[5]) {
    static const char *const at[5] = {"min", "p10", "median", "p90", "max"};
    cJSON *j = cJSON_AddObjectToObject(o, name);
    for (int i = 0; j && i < 5; ++i) {
        if (isfinite(q[i]))
            cJSON_AddNumberToObject(j, at[i], q[i]);
        else
            cJSON_AddNullToObject(j, at[i]);
    }
}

static void print_zero_pairs(FILE *f, const rise_train_config *cfg, const rise_pairs *p,
                             const rise_relabel_diag *d) {
    fprintf(f,
            "warning: neighbour relabelling found 0 pairs (relabel.threshold = %g on normalised%s "
            "observations%s%s%s), so the policy trains on the data alone.\n",
            (double)cfg->relabel_threshold, cfg->relabel_l2_normalize ? ", L2-normalised" : "",
            cfg->relabel_match_key[0] ? ", match key '" : "", cfg->relabel_match_key,
            cfg->relabel_match_key[0] ? "'" : "");
    if (p->queries == 0 || (d && d->references == 0)) {
        fprintf(f,
                "  %s: relabel.skip_nonexpert = %d and relabel.skip_expert = %d leave %lld "
                "non-expert and %lld expert states to pair; lower them for short "
                "trajectories.\n",
                p->queries == 0 ? "no states to search" : "no expert states to pair with",
                cfg->relabel_skip_nonexpert, cfg->relabel_skip_expert, (long long)p->queries,
                d ? (long long)d->references : -1LL);
        return;
    }
    if (!d) return;
    fprintf(f,
            "  nearest expert state of %lld non-expert states (of %lld searched): distance min "
            "%.3g, 10%% %.3g, median %.3g, 90%% %.3g, max %.3g\n",
            (long long)d->sampled, (long long)d->queries, d->dist[0], d->dist[1], d->dist[2],
            d->dist[3], d->dist[4]);
    if (d->has_match)
        fprintf(f,
                "  agreeing on '%s' within %g: %lld of those states have such an expert state%s "
                "(median distance %.3g)\n",
                cfg->relabel_match_key, (double)cfg->relabel_match_tol, (long long)d->match_found,
                d->match_found ? "" : " - check relabel.match_key and relabel.match_tol",
                d->match_dist[2]);
    if (isfinite(d->dist[1]))
        fprintf(f,
                "  a threshold of %.3g would pair about 10%% of them, %.3g half of them "
                "(--set relabel.threshold=...); or turn relabelling off (relabel.enable=false)\n",
                d->has_match && d->match_found ? d->match_dist[1] : d->dist[1],
                d->has_match && d->match_found ? d->match_dist[2] : d->dist[2]);
}

rise_status rise_train_data_report(const rise_train_config *cfg, const rise_train_task *task,
                                   const rise_trainset *ts, const rise_pairs *pairs,
                                   const rise_relabel_diag *diag, FILE *notices, FILE *summary,
                                   char **json) {
    *json = NULL;
    const rise_data_spec *spec = &ts->spec;
    cJSON *root = cJSON_CreateObject();
    cJSON *data = cJSON_AddObjectToObject(root, "data");
    if (!root || !data) {
        cJSON_Delete(root);
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    cJSON_AddStringToObject(root, "task", task->task);
    cJSON_AddStringToObject(data, "environment", task->env);
    cJSON *args = ts->env_args ? cJSON_Parse(ts->env_args) : NULL;
    if (args)
        cJSON_AddItemToObject(data, "env_args", args);
    else if (ts->env_args)
        cJSON_AddStringToObject(data, "env_args", ts->env_args);
    else
        cJSON_AddNullToObject(data, "env_args");

    /* Sources: what each contributed. */
    cJSON *srcs = cJSON_AddArrayToObject(data, "sources");
    if (summary)
        fprintf(summary,
                "loaded %d source%s: %lld transitions in %lld trajectories, %lld expert "
                "(%.1f%%)\n",
                spec->n_sources, spec->n_sources == 1 ? "" : "s", (long long)ts->n,
                (long long)ts->n_traj, (long long)ts->n_expert,
                ts->n ? 100.0 * (double)ts->n_expert / (double)ts->n : 0.0);
    for (int s = 0; s < spec->n_sources; ++s) {
        int64_t demos = 0, steps = 0;
        for (int64_t t = 0; t < ts->n_traj; ++t)
            if (ts->traj_source[t] == s) ++demos, steps += ts->traj_len[t];
        const rise_data_source *src = &spec->sources[s];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", src->path);
        cJSON_AddStringToObject(o, "role", rise_role_name(src->role));
        if (src->filter_key[0])
            cJSON_AddStringToObject(o, "filter_key", src->filter_key);
        else
            cJSON_AddNullToObject(o, "filter_key");
        cJSON_AddNumberToObject(o, "demos", (double)demos);
        cJSON_AddNumberToObject(o, "transitions", (double)steps);
        cJSON_AddItemToArray(srcs, o);
        if (summary)
            fprintf(summary, "  %-10s %s%s%s%s: %lld demo%s, %lld transitions\n",
                    rise_role_name(src->role), src->path, src->filter_key[0] ? " [mask/" : "",
                    src->filter_key, src->filter_key[0] ? "]" : "", (long long)demos,
                    demos == 1 ? "" : "s", (long long)steps);
    }
    cJSON_AddNumberToObject(data, "transitions", (double)ts->n);
    cJSON_AddNumberToObject(data, "trajectories", (double)ts->n_traj);
    cJSON_AddNumberToObject(data, "expert_transitions", (double)ts->n_expert);
    cJSON_AddNumberToObject(data, "expert_share", ts->n ? (double)ts->n_expert / (double)ts->n : 0);

    /* Observation keys and where their choice came from. */
    char keys[1024] = "", keys_set[1024] = "";
    size_t used = 0, used_set = 0;
    cJSON *jk = cJSON_AddArrayToObject(data, "obs_keys");
    for (int k = 0; k < ts->n_keys; ++k) {
        const rise_obs_key *key = &ts->keys[k];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", key->name);
        cJSON *shape = cJSON_AddArrayToObject(o, "shape");
        for (int d = 0; d < key->ndim; ++d)
            cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)key->shape[d]));
        cJSON_AddNumberToObject(o, "dim", (double)key->dim);
        cJSON_AddItemToArray(jk, o);
        if (used < sizeof keys)
            used += (size_t)snprintf(keys + used, sizeof keys - used, "%s%s (%lld)", k ? ", " : "",
                                     key->name, (long long)key->dim);
        if (used_set < sizeof keys_set)
            used_set += (size_t)snprintf(keys_set + used_set, sizeof keys_set - used_set, "%s%s",
                                         k ? "," : "", key->name);
    }
    const int keys_given = spec->n_obs_keys > 0;
    cJSON_AddStringToObject(data, "obs_keys_from",
                            keys_given ? "data.obs_keys" : "every key of the first source");
    cJSON_AddNumberToObject(data, "obs_dim", (double)ts->obs_dim);
    cJSON_AddNumberToObject(data, "action_dim", (double)ts->act_dim);
    cJSON_AddStringToObject(data, "reward", rise_reward_mode_name(spec->reward));
    cJSON_AddStringToObject(data, "terminal", rise_terminal_mode_name(spec->terminal));
    char cams[512] = "";
    cJSON *jc = cJSON_AddArrayToObject(data, "cameras");
    for (int k = 0, cused = 0; k < ts->n_cams; ++k) {
        const rise_camera *cam = &ts->cams[k];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", cam->name);
        cJSON *shape = cJSON_AddArrayToObject(o, "shape");
        const int hwc[3] = {cam->h, cam->w, cam->c};
        for (int d = 0; d < 3; ++d) cJSON_AddItemToArray(shape, cJSON_CreateNumber(hwc[d]));
        cJSON_AddItemToArray(jc, o);
        if (cused < (int)sizeof cams)
            cused += snprintf(cams + cused, sizeof cams - (size_t)cused, "%s%s (%dx%dx%d uint8)",
                              k ? ", " : "", cam->name, cam->h, cam->w, cam->c);
    }
    cJSON_AddBoolToObject(data, "frames_streamed", ts->stream != NULL);
    cJSON *norm = cJSON_AddObjectToObject(data, "normalization");
    cJSON_AddStringToObject(norm, "obs", rise_norm_mode_name(ts->norm.obs_mode));
    cJSON_AddStringToObject(norm, "actions", rise_norm_mode_name(ts->norm.act_mode));
    if (summary) {
        fprintf(summary, "  obs: dim %lld from %d key%s%s: %s\n", (long long)ts->obs_dim,
                ts->n_keys, ts->n_keys == 1 ? "" : "s", keys_given ? " (data.obs_keys)" : "", keys);
        if (ts->n_cams)
            fprintf(summary, "  cameras: %s, %s, through the policy's image encoders\n", cams,
                    ts->stream ? "read from the files batch by batch" : "held in memory");
        fprintf(summary, "  actions: dim %lld; rewards %s%s; dones %s\n", (long long)ts->act_dim,
                rise_reward_mode_name(spec->reward),
                spec->reward == RISE_REWARD_RISE ? " (expert 1, non-expert 0)" : " (the file's)",
                rise_terminal_mode_name(spec->terminal));
        fprintf(summary, "  normalisation: obs %s, actions %s\n",
                rise_norm_mode_name(ts->norm.obs_mode), rise_norm_mode_name(ts->norm.act_mode));
        fprintf(summary, "  environment: %s; train.task = %s\n", task->env, task->task);
    }

    /* Relabelling. */
    cJSON *rel = cJSON_AddObjectToObject(root, "relabel");
    cJSON_AddBoolToObject(rel, "enabled", pairs != NULL);
    if (pairs) {
        char feat[RISE_DATA_MAX_KEYS * (RISE_NAME_MAX + 2) + 64] = "the observation keys";
        if (ts->relabel_dim) {
            int fu = snprintf(feat, sizeof feat, "data.relabel_keys");
            for (int k = 0; k < spec->n_relabel_keys; ++k)
                fu += snprintf(feat + fu, sizeof feat - (size_t)fu, "%s%s", k ? "," : " ",
                               spec->relabel_keys[k]);
            snprintf(feat + fu, sizeof feat - (size_t)fu, " (%lld values)",
                     (long long)ts->relabel_dim);
        }
        cJSON_AddStringToObject(rel, "features", feat);
        cJSON_AddNumberToObject(rel, "pairs", (double)pairs->n);
        cJSON_AddNumberToObject(rel, "play_to_expert",
                                (double)pairs->count[RISE_PAIR_PLAY_TO_EXPERT]);
        cJSON_AddNumberToObject(rel, "play_to_play", (double)pairs->count[RISE_PAIR_PLAY_TO_PLAY]);
        cJSON_AddNumberToObject(rel, "states_searched", (double)pairs->queries);
        cJSON_AddNumberToObject(rel, "states_paired_with_expert",
                                (double)pairs->queries_matched[RISE_PAIR_PLAY_TO_EXPERT]);
        if (diag) {
            cJSON_AddNumberToObject(rel, "states_measured", (double)diag->sampled);
            add_quantiles(rel, "nearest_expert_distance", diag->dist);
            if (diag->has_match) {
                cJSON_AddNumberToObject(rel, "states_with_matching_expert",
                                        (double)diag->match_found);
                add_quantiles(rel, "nearest_matching_expert_distance", diag->match_dist);
            }
        }
        if (summary)
            fprintf(summary,
                    "  relabelled pairs: %lld (play->expert %lld from %lld states, play->play "
                    "%lld from %lld states; %lld states searched; features: %s)\n",
                    (long long)pairs->n, (long long)pairs->count[RISE_PAIR_PLAY_TO_EXPERT],
                    (long long)pairs->queries_matched[RISE_PAIR_PLAY_TO_EXPERT],
                    (long long)pairs->count[RISE_PAIR_PLAY_TO_PLAY],
                    (long long)pairs->queries_matched[RISE_PAIR_PLAY_TO_PLAY],
                    (long long)pairs->queries, feat);
    }
    /* Notices after the summary, so they are the last thing a user reads before training. */
    if (notices && !keys_given && task->foreign && ts->n_keys > 1)
        fprintf(notices,
                "notice: data.obs_keys is not set, so every observation key of %s is used, in "
                "name order: %s. To choose, --set data.obs_keys=%s (leaving out the ones you do "
                "not want)\n",
                spec->sources[0].path, keys, keys_set);
    if (notices && task->notice[0]) fprintf(notices, "%s\n", task->notice);
    if (notices && pairs && pairs->n == 0) print_zero_pairs(notices, cfg, pairs, diag);
    *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return *json ? RISE_OK : rise_error(RISE_ERR_NOMEM, "out of memory");
}
