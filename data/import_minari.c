/* import_minari.c - reads Minari episode files (see reader.h).
 *
 * episode_<id>/observations holds T+1 rows (the final observation included):
 * obs = rows 0..T-1, next_obs = rows 1..T. A dict observation space is a
 * group of datasets, one per key. dones = terminations; truncations only end
 * the episode. Episodes are ordered by id. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read_internal.h"
#include "host/text_file.h"

static rise_status scan(hid_t f, const char *file, rise_demo_list *out) {
    char **names = NULL;
    int64_t count = 0;
    RISE_TRY(rise_read_link_names(f, file, "/", &names, &count));
    rise_status st = RISE_OK;
    out->demos = calloc((size_t)(count ? count : 1), sizeof *out->demos);
    if (!out->demos) st = rise_error(RISE_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; st == RISE_OK && i < count; ++i) {
        int64_t id;
        if (!rise_parse_demo_name(names[i], "episode_", &id)) continue; /* metadata etc. */
        if (strlen(names[i]) >= RISE_NAME_MAX ||
            rise_h5_object_type(f, names[i]) != H5O_TYPE_GROUP) {
            st = rise_error(RISE_ERR_FORMAT, "%s: '%s' is not a group (expected an episode group)",
                            file, names[i]);
            break;
        }
        char where[512], buf[128];
        rise_h5_info info;
        snprintf(where, sizeof where, "%s/actions", names[i]);
        st = rise_h5_dataset_info(f, where, file, where, &info);
        if (st != RISE_OK) break;
        if (info.rank != 2 || info.dims[1] == 0) {
            st = rise_error(RISE_ERR_FORMAT, "%s: '%s' has shape %s, expected (T, A)", file, where,
                            rise_h5_shape_str(&info, buf, sizeof buf));
            break;
        }
        if (info.dims[0] == 0) {
            st = rise_error(RISE_ERR_FORMAT, "%s: '%s' has 0 rows: empty episodes are not allowed",
                            file, where);
            break;
        }
        rise_demo *d = &out->demos[out->n_demos++];
        snprintf(d->name, sizeof d->name, "%s", names[i]);
        d->id = id;
        d->length = (int64_t)info.dims[0];
    }
    rise_h5_free_strings(names, count);
    if (st == RISE_OK && out->n_demos == 0)
        st = rise_error(RISE_ERR_FORMAT, "%s: no episode_<id> groups found", file);
    if (st == RISE_OK) st = rise_read_sort_demos(out->demos, out->n_demos, file, "/");
    for (int64_t i = 0; st == RISE_OK && i < out->n_demos; ++i) {
        out->demos[i].start = out->n;
        out->n += out->demos[i].length;
    }
    if (st != RISE_OK) rise_demo_list_free(out);
    return st;
}

rise_status rise_minari_list_fid(hid_t f, const char *file, rise_demo_list *out) {
    return scan(f, file, out);
}

typedef struct {
    hid_t f;
    const char *file;
    const char *episode;
    int64_t rows;
    int grouped;
} shape_ctx;

static void obs_path(const shape_ctx *c, const char *key, char *buf, size_t n) {
    if (c->grouped)
        snprintf(buf, n, "%s/observations/%s", c->episode, key);
    else
        snprintf(buf, n, "%s/observations", c->episode);
}

static rise_status obs_shape(void *ctx, const char *key, int *ndim, int64_t *shape, int *is_u8) {
    const shape_ctx *c = ctx;
    char path[640];
    obs_path(c, key, path, sizeof path);
    const H5O_type_t t = rise_h5_object_type(c->f, path);
    if (t == H5O_TYPE_GROUP)
        return rise_error(RISE_ERR_FORMAT,
                          "%s: '%s' is a group: nested observation dictionaries are not "
                          "supported (expected datasets)",
                          c->file, path);
    rise_status st = rise_read_key_shape(c->f, path, c->file, path, c->rows, ndim, shape, is_u8);
    if (st != RISE_OK) {
        char old[1536];
        snprintf(old, sizeof old, "%s", rise_last_error());
        st = rise_error(st, "%s (Minari stores T+1 = %lld observation rows for %lld actions)", old,
                        (long long)c->rows, (long long)(c->rows - 1));
    }
    return st;
}

/* The env_spec JSON text of the dataset (a gymnasium EnvSpec serialised by Minari): the
 * root attribute of files written before Minari 0.5, else the "env_spec" string of
 * metadata.json beside the file. NULL (not an error) when neither exists. */
static rise_status env_spec_text(hid_t f, const char *file, char **spec, char *origin,
                                 size_t origin_size) {
    *spec = NULL;
    if (H5Aexists(f, "env_spec") > 0) {
        snprintf(origin, origin_size, "%s: root attribute 'env_spec'", file);
        return rise_h5_read_attr_string(f, "env_spec", file, "/", spec);
    }
    char meta[1200];
    const char *slash = strrchr(file, '/');
    snprintf(meta, sizeof meta, "%.*smetadata.json", slash ? (int)(slash - file + 1) : 0, file);
    char *text;
    RISE_TRY(rise_read_text_file(meta, "Minari metadata", (size_t)1 << 26, 1, &text, NULL));
    if (!text) return RISE_OK;
    cJSON *root = cJSON_Parse(text);
    free(text);
    const cJSON *es = cJSON_GetObjectItemCaseSensitive(root, "env_spec");
    rise_status st = RISE_OK;
    if (!root)
        st = rise_error(RISE_ERR_FORMAT, "%s: not valid JSON (Minari's dataset metadata)", meta);
    else if (cJSON_IsString(es) && !(*spec = strdup(es->valuestring)))
        st = rise_error(RISE_ERR_NOMEM, "out of memory");
    snprintf(origin, origin_size, "%s: field 'env_spec'", meta);
    cJSON_Delete(root);
    return st;
}

/* robomimic-style env_args from the env_spec: {"env_name": id, "type": "gymnasium",
 * "env_kwargs": kwargs, "env_spec": the whole spec}, so training records which environment
 * made the data and a user can rebuild it with gymnasium.make(env_name, **env_kwargs). */
static rise_status minari_env_args(hid_t f, const char *file, char **out) {
    *out = NULL;
    char *text = NULL, origin[1400];
    RISE_TRY(env_spec_text(f, file, &text, origin, sizeof origin));
    if (!text) return RISE_OK;
    cJSON *spec = cJSON_Parse(text);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(spec, "id");
    const cJSON *kw = cJSON_GetObjectItemCaseSensitive(spec, "kwargs");
    rise_status st = RISE_OK;
    if (!cJSON_IsObject(spec) || !cJSON_IsString(id))
        st = rise_error(RISE_ERR_FORMAT,
                        "%s is not a gymnasium EnvSpec in JSON (expected an object with a string "
                        "\"id\"; found \"%.80s\")",
                        origin, text);
    cJSON *args = st == RISE_OK ? cJSON_CreateObject() : NULL;
    if (args) {
        cJSON_AddStringToObject(args, "env_name", id->valuestring);
        cJSON_AddStringToObject(args, "type", "gymnasium");
        cJSON_AddItemToObject(args, "env_kwargs",
                              cJSON_IsObject(kw) ? cJSON_Duplicate(kw, 1) : cJSON_CreateObject());
        cJSON_AddItemToObject(args, "env_spec", cJSON_Duplicate(spec, 1));
        *out = cJSON_PrintUnformatted(args);
        if (!*out) st = rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    cJSON_Delete(args);
    cJSON_Delete(spec);
    free(text);
    return st;
}

rise_status rise_minari_read_fid(hid_t f, const char *file, const rise_read_opts *o,
                                 rise_episodes *e) {
    rise_demo_list list = {0};
    RISE_TRY(scan(f, file, &list));
    char **keys = NULL;
    int64_t n_keys = 0;
    float *tmp = NULL;
    rise_status st = rise_read_check_select(o, list.n_demos, file);
    if (st != RISE_OK) goto done;
    int64_t n_sel = 0, total = 0;
    for (int64_t i = 0; i < list.n_demos; ++i)
        if (!o->select || o->select[i]) {
            list.demos[n_sel++] = list.demos[i];
            total += list.demos[i].length;
        }
    if (n_sel == 0) {
        st = rise_error(RISE_ERR_INVALID, "%s: no episodes selected", file);
        goto done;
    }
    st = minari_env_args(f, file, &e->env_args);
    if (st != RISE_OK) goto done;
    /* Layout from the first episode. */
    char where[640], buf[128];
    const char *ep0 = list.demos[0].name;
    snprintf(where, sizeof where, "%s/observations", ep0);
    const H5O_type_t ot = rise_h5_object_type(f, where);
    shape_ctx ctx = {f, file, ep0, list.demos[0].length + 1, ot == H5O_TYPE_GROUP};
    if (ot == H5O_TYPE_UNKNOWN) {
        st = rise_error(RISE_ERR_FORMAT, "%s: missing dataset '%s'", file, where);
        goto done;
    }
    if (ctx.grouped) {
        hid_t g = H5Gopen2(f, where, H5P_DEFAULT);
        st = g < 0 ? rise_error(RISE_ERR_FORMAT, "%s: cannot open '%s'", file, where)
                   : rise_read_link_names(g, file, where, &keys, &n_keys);
        if (g >= 0) H5Gclose(g);
    } else {
        keys = malloc(sizeof *keys);
        if (keys) keys[0] = strdup("observations");
        n_keys = 1;
        if (!keys || !keys[0]) st = rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    if (st == RISE_OK) st = rise_read_choose_keys(e, o, keys, n_keys, file, where, obs_shape, &ctx);
    if (st == RISE_OK && e->n_images > 0)
        st = rise_error(RISE_ERR_INVALID,
                        "%s: observation key '%s' in '%s' is a camera image; rise reads image "
                        "observations from robomimic files only (convert the episodes to the "
                        "robomimic layout, or leave the key out of data.obs_keys)",
                        file, e->images[0].name, where);
    if (st != RISE_OK) goto done;
    {
        rise_h5_info info;
        snprintf(where, sizeof where, "%s/actions", ep0);
        st = rise_h5_dataset_info(f, where, file, where, &info);
        if (st != RISE_OK) goto done;
        e->act_dim = (int64_t)info.dims[1];
    }
    st = rise_read_check_budget(e, total, o->max_bytes, 0, file);
    if (st == RISE_OK) st = rise_episodes_alloc(e, n_sel, total);
    if (st != RISE_OK) goto done;
    int64_t row = 0;
    for (int64_t i = 0; i < n_sel && st == RISE_OK; ++i) {
        rise_demo *d = &e->demos[i];
        *d = list.demos[i];
        d->start = row;
        const int64_t T = d->length;
        size_t need = (size_t)(T + 1);
        for (int k = 0; k < e->n_keys; ++k)
            if ((size_t)((T + 1) * e->keys[k].dim) > need)
                need = (size_t)((T + 1) * e->keys[k].dim);
        free(tmp);
        tmp = malloc(need * sizeof *tmp);
        if (!tmp) {
            st = rise_error(RISE_ERR_NOMEM, "out of memory");
            break;
        }
        shape_ctx c = {f, file, d->name, T + 1, ctx.grouped};
        for (int k = 0; k < e->n_keys && st == RISE_OK; ++k) {
            char path[640];
            obs_path(&c, e->keys[k].name, path, sizeof path);
            if (rise_h5_object_type(f, path) == H5O_TYPE_UNKNOWN) {
                st = rise_error(RISE_ERR_FORMAT, "%s: missing dataset '%s'", file, path);
                break;
            }
            st = rise_read_key_rows(f, path, file, path, T + 1, &e->keys[k], tmp);
            if (st != RISE_OK) {
                rise_status s2 = st;
                char old[1536];
                snprintf(old, sizeof old, "%s", rise_last_error());
                st = rise_error(s2,
                                "%s (Minari stores T+1 = %lld observation rows for %lld actions)",
                                old, (long long)(T + 1), (long long)T);
                break;
            }
            if (!o->allow_nonfinite)
                st = rise_read_check_finite(tmp, T + 1, e->keys[k].dim, 0, file, path);
            rise_scatter_cols(e->obs + row * e->obs_dim, e->obs_dim, e->keys[k].offset, tmp, T,
                              e->keys[k].dim);
            rise_scatter_cols(e->next_obs + row * e->obs_dim, e->obs_dim, e->keys[k].offset,
                              tmp + e->keys[k].dim, T, e->keys[k].dim);
        }
        if (st != RISE_OK) break;
        rise_h5_info info;
        snprintf(where, sizeof where, "%s/actions", d->name);
        st = rise_h5_dataset_info(f, where, file, where, &info);
        if (st == RISE_OK && (info.rank != 2 || (int64_t)info.dims[1] != e->act_dim))
            st = rise_error(RISE_ERR_FORMAT, "%s: '%s' has shape %s, expected (%lld, %lld)", file,
                            where, rise_h5_shape_str(&info, buf, sizeof buf), (long long)T,
                            (long long)e->act_dim);
        if (st == RISE_OK)
            st = rise_h5_read_f32(f, where, file, where, e->actions + row * e->act_dim,
                                  (size_t)(T * e->act_dim));
        if (st == RISE_OK && !o->allow_nonfinite)
            st = rise_read_check_finite(e->actions + row * e->act_dim, T, e->act_dim, 0, file,
                                        where);
        snprintf(where, sizeof where, "%s/rewards", d->name);
        if (st == RISE_OK) st = rise_read_vector(f, where, file, where, T, e->rewards + row);
        if (st == RISE_OK && !o->allow_nonfinite)
            st = rise_read_check_finite(e->rewards + row, T, 1, 0, file, where);
        snprintf(where, sizeof where, "%s/terminations", d->name);
        if (st == RISE_OK) st = rise_read_vector(f, where, file, where, T, tmp);
        if (st == RISE_OK) st = rise_read_flags(tmp, e->dones + row, T, file, where);
        snprintf(where, sizeof where, "%s/truncations", d->name);
        if (st == RISE_OK) st = rise_read_vector(f, where, file, where, T, tmp);
        if (st == RISE_OK) {
            uint8_t *trunc = malloc((size_t)T);
            st = trunc ? rise_read_flags(tmp, trunc, T, file, where)
                       : rise_error(RISE_ERR_NOMEM, "out of memory");
            free(trunc);
        }
        row += T;
    }
done:
    free(tmp);
    rise_h5_free_strings(keys, n_keys);
    rise_demo_list_free(&list);
    return st;
}
