/* writer.c - the robomimic-layout HDF5 writer (see writer.h). */
#include "writer.h"

#include <cjson/cJSON.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/h5util.h"

struct rise_writer {
    char *path, *tmp_path;
    hid_t file, data;
    rise_obs_key *keys;
    int n_keys;
    int64_t obs_dim, act_dim, state_dim;
    char *env_args;
    int64_t n_demos, cap_demos, total, next_id;
    int64_t *ids;
    rise_episodes masks; /* only its mask table is used */
    float *scratch;
    size_t scratch_cap;
};

rise_obs_key rise_obs_key_1d(const char *name, int64_t dim) {
    rise_obs_key k;
    memset(&k, 0, sizeof k);
    snprintf(k.name, sizeof k.name, "%s", name);
    k.ndim = 1;
    k.shape[0] = dim;
    k.dim = dim;
    return k;
}

static void writer_free(rise_writer *w) {
    if (w->data >= 0) H5Gclose(w->data);
    if (w->file >= 0) H5Fclose(w->file);
    free(w->path);
    free(w->tmp_path);
    free(w->keys);
    free(w->env_args);
    free(w->ids);
    free(w->scratch);
    w->masks.n_demos = 0;
    rise_episodes_free(&w->masks);
    free(w);
}

static rise_status rise_writer_open_impl(rise_writer **out, const char *path,
                                         const rise_obs_key *keys, int n_keys, int64_t act_dim,
                                         int64_t state_dim, const char *env_args) {
    char detail[256];
    *out = NULL;
    if (n_keys < 0 || act_dim <= 0 || state_dim < 0)
        return rise_error(RISE_ERR_INVALID,
                          "%s: writer needs n_keys >= 0 (0: camera frames only, added with "
                          "rise_writer_add_frames) and an action dim >= 1 (got %d keys, action "
                          "dim %lld)",
                          path, n_keys, (long long)act_dim);
    const char *args = env_args ? env_args : "{}";
    cJSON *j = cJSON_Parse(args);
    const int ok_json = j && cJSON_IsObject(j);
    cJSON_Delete(j);
    if (!ok_json)
        return rise_error(RISE_ERR_INVALID, "%s: env_args must be a JSON object, got \"%.60s\"",
                          path, args);
    rise_writer *w = calloc(1, sizeof *w);
    if (!w) return rise_error(RISE_ERR_NOMEM, "out of memory");
    w->file = w->data = H5I_INVALID_HID;
    w->path = strdup(path);
    w->env_args = strdup(args);
    w->keys = calloc((size_t)n_keys, sizeof *w->keys);
    w->tmp_path = malloc(strlen(path) + 32);
    if (!w->path || !w->env_args || !w->keys || !w->tmp_path) {
        writer_free(w);
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    snprintf(w->tmp_path, strlen(path) + 32, "%s.tmp%ld", path, (long)getpid());
    for (int i = 0; i < n_keys; ++i) {
        for (int j2 = 0; j2 < i; ++j2)
            if (!strcmp(keys[i].name, keys[j2].name)) {
                writer_free(w);
                return rise_error(RISE_ERR_INVALID, "%s: observation key '%s' given twice", path,
                                  keys[i].name);
            }
        int64_t dim = 1;
        for (int d = 0; d < keys[i].ndim; ++d) dim *= keys[i].shape[d];
        if (!keys[i].name[0] || strchr(keys[i].name, '/') || keys[i].ndim < 0 ||
            keys[i].ndim > RISE_KEY_MAX_RANK || dim <= 0) {
            writer_free(w);
            return rise_error(RISE_ERR_INVALID,
                              "%s: observation key %d ('%s') needs a name without '/' and a "
                              "positive per-step shape",
                              path, i, keys[i].name);
        }
        w->keys[i] = keys[i];
        w->keys[i].dim = dim;
        w->keys[i].offset = w->obs_dim;
        w->obs_dim += dim;
    }
    w->n_keys = n_keys;
    w->act_dim = act_dim;
    w->state_dim = state_dim;
    w->file = rise_h5_file_create(w->tmp_path);
    if (w->file >= 0) w->data = rise_h5_group_create(w->file, "data");
    if (w->file < 0 || w->data < 0) {
        rise_status st = rise_error(RISE_ERR_IO, "%s: cannot create (temporary %s): %s", path,
                                    w->tmp_path, rise_h5_detail(detail, sizeof detail));
        writer_free(w);
        return st;
    }
    *out = w;
    return RISE_OK;
}

static rise_status check_rows(const float *x, int64_t rows, int64_t cols, const char *path,
                              const char *what, int64_t id) {
    for (int64_t i = 0; i < rows * cols; ++i)
        if (!isfinite(x[i]))
            return rise_error(RISE_ERR_NUMERIC,
                              "%s: demo_%lld %s row %lld column %lld is %s; refusing to write "
                              "non-finite values",
                              path, (long long)id, what, (long long)(i / cols),
                              (long long)(i % cols), isnan(x[i]) ? "NaN" : "Inf");
    return RISE_OK;
}

static rise_status write_keys(rise_writer *w, hid_t g, const char *group, int64_t n,
                              const float *rows) {
    char name[RISE_NAME_MAX + 16];
    hid_t sub = rise_h5_group_create(g, group);
    if (sub < 0) return rise_error(RISE_ERR_IO, "%s: cannot create group '%s'", w->path, group);
    rise_status st = RISE_OK;
    for (int k = 0; k < w->n_keys && st == RISE_OK; ++k) {
        const rise_obs_key *key = &w->keys[k];
        const float *src = rows;
        if (key->dim != w->obs_dim) { /* gather this key's columns */
            const size_t need = (size_t)(n * key->dim);
            if (need > w->scratch_cap) {
                float *grown = realloc(w->scratch, need * sizeof *grown);
                if (!grown) {
                    st = rise_error(RISE_ERR_NOMEM, "out of memory");
                    break;
                }
                w->scratch = grown;
                w->scratch_cap = need;
            }
            for (int64_t r = 0; r < n; ++r)
                memcpy(w->scratch + r * key->dim, rows + r * w->obs_dim + key->offset,
                       (size_t)key->dim * sizeof(float));
            src = w->scratch;
        }
        hsize_t dims[1 + RISE_KEY_MAX_RANK];
        dims[0] = (hsize_t)n;
        for (int d = 0; d < key->ndim; ++d) dims[1 + d] = (hsize_t)key->shape[d];
        snprintf(name, sizeof name, "%s", key->name);
        st = rise_h5_write_f32(sub, name, 1 + key->ndim, dims, src, w->path);
    }
    H5Gclose(sub);
    return st;
}

static rise_status rise_writer_add_demo_impl(rise_writer *w, int64_t id, int64_t n,
                                             const float *obs, const float *next_obs,
                                             const float *actions, const float *rewards,
                                             const uint8_t *dones, const double *states,
                                             int64_t *out_index) {
    if (id < 0) id = w->next_id;
    if (n <= 0)
        return rise_error(RISE_ERR_INVALID, "%s: demo_%lld has %lld steps, expected at least 1",
                          w->path, (long long)id, (long long)n);
    if (!obs || !actions || !rewards || !dones || (w->state_dim > 0 && !states))
        return rise_error(RISE_ERR_INVALID,
                          "%s: demo_%lld: obs, actions, rewards, dones%s are required", w->path,
                          (long long)id, w->state_dim > 0 ? " and states" : "");
    for (int64_t i = 0; i < w->n_demos; ++i)
        if (w->ids[i] == id)
            return rise_error(RISE_ERR_INVALID, "%s: demo_%lld written twice (duplicate name)",
                              w->path, (long long)id);
    RISE_TRY(check_rows(obs, n, w->obs_dim, w->path, "obs", id));
    if (next_obs) RISE_TRY(check_rows(next_obs, n, w->obs_dim, w->path, "next_obs", id));
    RISE_TRY(check_rows(actions, n, w->act_dim, w->path, "actions", id));
    RISE_TRY(check_rows(rewards, n, 1, w->path, "rewards", id));
    for (int64_t i = 0; i < n; ++i)
        if (dones[i] > 1)
            return rise_error(RISE_ERR_INVALID,
                              "%s: demo_%lld dones row %lld is %d, expected 0 or 1", w->path,
                              (long long)id, (long long)i, dones[i]);
    if (w->n_demos == w->cap_demos) {
        const int64_t cap = w->cap_demos ? 2 * w->cap_demos : 64;
        int64_t *grown = realloc(w->ids, (size_t)cap * sizeof *grown);
        if (!grown) return rise_error(RISE_ERR_NOMEM, "out of memory");
        w->ids = grown;
        w->cap_demos = cap;
    }
    char name[64];
    snprintf(name, sizeof name, "demo_%lld", (long long)id);
    hid_t g = rise_h5_group_create(w->data, name);
    if (g < 0) return rise_error(RISE_ERR_IO, "%s: cannot create group 'data/%s'", w->path, name);
    rise_status st = rise_h5_write_attr_i64(g, "num_samples", n, w->path);
    hsize_t dims[2] = {(hsize_t)n, (hsize_t)w->act_dim};
    if (st == RISE_OK) st = rise_h5_write_f32(g, "actions", 2, dims, actions, w->path);
    if (st == RISE_OK) st = rise_h5_write_f32(g, "rewards", 1, dims, rewards, w->path);
    if (st == RISE_OK) {
        int64_t *d64 = malloc((size_t)n * sizeof *d64);
        if (!d64) st = rise_error(RISE_ERR_NOMEM, "out of memory");
        for (int64_t i = 0; d64 && i < n; ++i) d64[i] = dones[i];
        if (d64) st = rise_h5_write_i64(g, "dones", 1, dims, d64, w->path);
        free(d64);
    }
    if (st == RISE_OK && w->state_dim > 0) {
        const hsize_t sd[2] = {(hsize_t)n, (hsize_t)w->state_dim};
        st = rise_h5_write_f64(g, "states", 2, sd, states, w->path);
    }
    if (st == RISE_OK) st = write_keys(w, g, "obs", n, obs);
    if (st == RISE_OK && next_obs) st = write_keys(w, g, "next_obs", n, next_obs);
    H5Gclose(g);
    if (st != RISE_OK) return rise_error_context(st, "writing data/%s: ", name);
    if (out_index) *out_index = w->n_demos;
    w->ids[w->n_demos++] = id;
    w->total += n;
    if (id + 1 > w->next_id) w->next_id = id + 1;
    return RISE_OK;
}

static rise_status rise_writer_add_frames_impl(rise_writer *w, int64_t id, const char *group,
                                               const char *name, int64_t n, int h, int wd, int c,
                                               const uint8_t *frames) {
    if (n <= 0 || h <= 0 || wd <= 0 || c <= 0 || !frames)
        return rise_error(RISE_ERR_INVALID,
                          "%s: demo_%lld %s/%s: %lld frames of %dx%dx%d, expected positive sizes",
                          w->path, (long long)id, group, name, (long long)n, h, wd, c);
    char where[RISE_NAME_MAX + 64];
    snprintf(where, sizeof where, "demo_%lld/%s", (long long)id, group);
    if (H5Lexists(w->data, where, H5P_DEFAULT) <= 0)
        return rise_error(RISE_ERR_INVALID, "%s: data/%s does not exist (add the demo first)",
                          w->path, where);
    hid_t g = H5Gopen2(w->data, where, H5P_DEFAULT);
    if (g < 0) return rise_error(RISE_ERR_IO, "%s: cannot open data/%s", w->path, where);
    const hsize_t dims[4] = {(hsize_t)n, (hsize_t)h, (hsize_t)wd, (hsize_t)c};
    const hsize_t chunk[4] = {1, (hsize_t)h, (hsize_t)wd, (hsize_t)c}; /* one frame a chunk */
    hid_t sp = H5Screate_simple(4, dims, NULL), pl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(pl, 4, chunk);
    hid_t ds = H5Dcreate2(g, name, H5T_STD_U8LE, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    const herr_t wr =
        ds >= 0 ? H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, frames) : -1;
    if (ds >= 0) H5Dclose(ds);
    H5Pclose(pl);
    H5Sclose(sp);
    H5Gclose(g);
    if (wr < 0)
        return rise_error(RISE_ERR_IO, "%s: cannot write data/%s/%s (%lld frames)", w->path, where,
                          name, (long long)n);
    return RISE_OK;
}

static rise_status rise_writer_add_mask_impl(rise_writer *w, const char *name, const int64_t *demos,
                                             int64_t count) {
    w->masks.n_demos = w->n_demos; /* bounds the indices */
    for (int64_t i = 0; i < count; ++i)
        for (int64_t j = 0; j < i; ++j)
            if (demos[i] == demos[j])
                return rise_error(RISE_ERR_INVALID,
                                  "%s: filter key '%s' lists demo index %lld twice", w->path, name,
                                  (long long)demos[i]);
    rise_status st = rise_episodes_add_mask(&w->masks, name, demos, count);
    if (st != RISE_OK) return rise_error_context(st, "%s: ", w->path);
    return RISE_OK;
}

static rise_status rise_writer_close_impl(rise_writer *w) {
    char detail[256];
    rise_status st = RISE_OK;
    if (w->n_demos == 0)
        st = rise_error(RISE_ERR_INVALID,
                        "%s: no demos were added; refusing to write an empty "
                        "dataset",
                        w->path);
    if (st == RISE_OK) st = rise_h5_write_attr_i64(w->data, "total", w->total, w->path);
    if (st == RISE_OK) st = rise_h5_write_attr_string(w->data, "env_args", w->env_args, w->path);
    if (st == RISE_OK && w->masks.n_masks > 0) {
        hid_t mg = rise_h5_group_create(w->file, "mask");
        if (mg < 0) st = rise_error(RISE_ERR_IO, "%s: cannot create group 'mask'", w->path);
        for (int k = 0; st == RISE_OK && k < w->masks.n_masks; ++k) {
            const rise_mask *m = &w->masks.masks[k];
            char **names = calloc((size_t)(m->count ? m->count : 1), sizeof *names);
            if (!names) st = rise_error(RISE_ERR_NOMEM, "out of memory");
            for (int64_t i = 0; names && i < m->count; ++i) {
                names[i] = malloc(32);
                if (names[i])
                    snprintf(names[i], 32, "demo_%lld", (long long)w->ids[m->demos[i]]);
                else
                    st = rise_error(RISE_ERR_NOMEM, "out of memory");
            }
            if (st == RISE_OK)
                st = rise_h5_write_strings(mg, m->name, (const char *const *)names, m->count,
                                           w->path);
            rise_h5_free_strings(names, m->count);
        }
        if (mg >= 0) H5Gclose(mg);
    }
    H5Gclose(w->data);
    w->data = H5I_INVALID_HID;
    if (H5Fclose(w->file) < 0 && st == RISE_OK)
        st = rise_error(RISE_ERR_IO, "%s: closing failed: %s", w->path,
                        rise_h5_detail(detail, sizeof detail));
    w->file = H5I_INVALID_HID;
    if (st == RISE_OK && rename(w->tmp_path, w->path) != 0)
        st = rise_error(RISE_ERR_IO, "%s: cannot move %s into place", w->path, w->tmp_path);
    if (st != RISE_OK) remove(w->tmp_path);
    writer_free(w);
    return st;
}

static void rise_writer_abort_impl(rise_writer *w) {
    if (!w) return;
    if (w->data >= 0) H5Gclose(w->data);
    if (w->file >= 0) H5Fclose(w->file);
    w->data = w->file = H5I_INVALID_HID;
    remove(w->tmp_path);
    writer_free(w);
}

/* Public entry points: HDF5's own error printing is off while they run. */
rise_status rise_writer_open(rise_writer **out, const char *path, const rise_obs_key *keys,
                             int n_keys, int64_t act_dim, int64_t state_dim, const char *env_args) {
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    rise_status st = rise_writer_open_impl(out, path, keys, n_keys, act_dim, state_dim, env_args);
    rise_h5_quiet_end(&q);
    return st;
}

rise_status rise_writer_add_demo(rise_writer *w, int64_t id, int64_t n, const float *obs,
                                 const float *next_obs, const float *actions, const float *rewards,
                                 const uint8_t *dones, const double *states, int64_t *out_index) {
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    rise_status st = rise_writer_add_demo_impl(w, id, n, obs, next_obs, actions, rewards, dones,
                                               states, out_index);
    rise_h5_quiet_end(&q);
    return st;
}

rise_status rise_writer_add_frames(rise_writer *w, int64_t id, const char *group, const char *name,
                                   int64_t n, int h, int wd, int c, const uint8_t *frames) {
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    rise_status st = rise_writer_add_frames_impl(w, id, group, name, n, h, wd, c, frames);
    rise_h5_quiet_end(&q);
    return st;
}

rise_status rise_writer_add_mask(rise_writer *w, const char *name, const int64_t *demos,
                                 int64_t count) {
    return rise_writer_add_mask_impl(w, name, demos, count);
}

rise_status rise_writer_close(rise_writer *w) {
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    rise_status st = rise_writer_close_impl(w);
    rise_h5_quiet_end(&q);
    return st;
}

void rise_writer_abort(rise_writer *w) {
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    rise_writer_abort_impl(w);
    rise_h5_quiet_end(&q);
}

rise_status rise_episodes_write(const rise_episodes *e, const char *path) {
    rise_writer *w;
    RISE_TRY(rise_writer_open(&w, path, e->keys, e->n_keys, e->act_dim, e->state_dim, e->env_args));
    rise_status st = RISE_OK;
    for (int64_t d = 0; d < e->n_demos && st == RISE_OK; ++d) {
        const rise_demo *dm = &e->demos[d];
        int64_t id = dm->id;
        /* Names from other layouts (episode_<n>) keep their number. */
        for (int64_t j = 0; j < d; ++j)
            if (e->demos[j].id == id) id = -1;
        st = rise_writer_add_demo(
            w, id, dm->length, e->obs + dm->start * e->obs_dim,
            e->next_obs + dm->start * e->obs_dim, e->actions + dm->start * e->act_dim,
            e->rewards + dm->start, e->dones + dm->start,
            e->state_dim > 0 ? e->states + dm->start * e->state_dim : NULL, NULL);
    }
    for (int k = 0; k < e->n_masks && st == RISE_OK; ++k)
        st = rise_writer_add_mask(w, e->masks[k].name, e->masks[k].demos, e->masks[k].count);
    if (st != RISE_OK) {
        rise_writer_abort(w);
        return st;
    }
    return rise_writer_close(w);
}
