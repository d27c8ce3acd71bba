/* label_file.c - `rise data relabel`: set rewards / dones / a filter key in a
 * file (see fileops.h).
 *
 * A robomimic-layout input is copied whole (HDF5's H5Ocopy: every dataset with its dtype,
 * every attribute) and only the rewards and dones of the chosen demos are rewritten, in their
 * own dtypes, plus the filter key asked for. D4RL and Minari inputs are converted to the
 * robomimic layout (rise's writer), their env_args carried over. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileops.h"
#include "host/h5copy.h"
#include "read_internal.h"
#include "trainset.h"
#include "writer.h"

/* The labels of one demo of n steps, by the options (file values where unchanged). */
static void relabel_demo(const rise_relabel_opts *o, int64_t n, float *rew, uint8_t *done) {
    for (int64_t t = 0; t < n; ++t) {
        if (o->set_reward) rew[t] = !o->reward_last_only || t == n - 1 ? o->reward : 0.0f;
        if (o->set_dones && o->dones == RISE_TERMINAL_NEVER) done[t] = 0;
        if (o->set_dones && o->dones == RISE_TERMINAL_TRAJ_END) done[t] = t == n - 1;
    }
}

/* D4RL / Minari: load, relabel in memory, write the robomimic layout. */
static rise_status relabel_converted(const char *in, const char *out, const rise_relabel_opts *o) {
    rise_read_opts ro;
    rise_read_opts_default(&ro);
    ro.allow_images = 1;
    rise_episodes e;
    RISE_TRY(rise_episodes_load(in, &ro, &e));
    rise_status st = RISE_OK;
    if (o->filter_key)
        st = rise_error(RISE_ERR_INVALID,
                        "%s: filter key '%s' given, but D4RL and Minari files have no masks", in,
                        o->filter_key);
    int64_t *all = malloc((size_t)e.n_demos * sizeof *all);
    if (st == RISE_OK && !all) st = rise_error(RISE_ERR_NOMEM, "out of memory");
    for (int64_t d = 0; st == RISE_OK && d < e.n_demos; ++d) {
        all[d] = d;
        relabel_demo(o, e.demos[d].length, e.rewards + e.demos[d].start,
                     e.dones + e.demos[d].start);
    }
    if (st == RISE_OK && o->add_mask) st = rise_episodes_add_mask(&e, o->add_mask, all, e.n_demos);
    if (st == RISE_OK && o->env_args) {
        free(e.env_args);
        e.env_args = strdup(o->env_args);
        if (!e.env_args) st = rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    if (st == RISE_OK) st = rise_episodes_write(&e, out);
    free(all);
    rise_episodes_free(&e);
    return st;
}

/* Copies every member of src's root except `skip` (NULL: none) into dst. */
static rise_status copy_members(hid_t src, hid_t dst, const char *skip, const char *file,
                                const char *prefix) {
    char **names = NULL;
    int64_t n = 0;
    RISE_TRY(rise_read_link_names(src, file, prefix[0] ? prefix : "/", &names, &n));
    rise_status st = RISE_OK;
    for (int64_t i = 0; st == RISE_OK && i < n; ++i) {
        if (skip && !strcmp(names[i], skip)) continue;
        char where[2 * RISE_NAME_MAX];
        snprintf(where, sizeof where, "%s%s", prefix, names[i]);
        st = rise_h5_copy_object(src, names[i], dst, names[i], file, where);
    }
    rise_h5_free_strings(names, n);
    return st;
}

/* New rewards and dones of one demo, written over the copy in their own dtypes. */
static rise_status rewrite_demo(hid_t data, const rise_demo *d, const rise_relabel_opts *o,
                                const char *in, const char *out) {
    char where[RISE_NAME_MAX + 32];
    hid_t g = H5Gopen2(data, d->name, H5P_DEFAULT);
    if (g < 0) return rise_error(RISE_ERR_FORMAT, "%s: cannot open 'data/%s'", out, d->name);
    const int64_t n = d->length;
    float *rew = malloc((size_t)n * sizeof *rew), *tmp = malloc((size_t)n * sizeof *tmp);
    uint8_t *done = malloc((size_t)n);
    double *v = malloc((size_t)n * sizeof *v);
    rise_status st =
        rew && tmp && done && v ? RISE_OK : rise_error(RISE_ERR_NOMEM, "out of memory");
    /* The file's values first: what the options do not change stays as it was. */
    snprintf(where, sizeof where, "data/%s/rewards", d->name);
    if (st == RISE_OK) st = rise_read_vector(g, "rewards", in, where, n, rew);
    snprintf(where, sizeof where, "data/%s/dones", d->name);
    if (st == RISE_OK) st = rise_read_vector(g, "dones", in, where, n, tmp);
    if (st == RISE_OK) st = rise_read_flags(tmp, done, n, in, where);
    if (st == RISE_OK) relabel_demo(o, n, rew, done);
    if (st == RISE_OK && o->set_reward) {
        for (int64_t t = 0; t < n; ++t) v[t] = rew[t];
        snprintf(where, sizeof where, "data/%s/rewards", d->name);
        st = rise_h5_overwrite(g, "rewards", v, n, out, where);
    }
    if (st == RISE_OK && o->set_dones && o->dones != RISE_TERMINAL_DATASET) {
        for (int64_t t = 0; t < n; ++t) v[t] = done[t];
        snprintf(where, sizeof where, "data/%s/dones", d->name);
        st = rise_h5_overwrite(g, "dones", v, n, out, where);
    }
    free(rew);
    free(tmp);
    free(done);
    free(v);
    H5Gclose(g);
    return st;
}

/* mask/: the input's filter keys, with add_mask (when set) listing the chosen demos, replacing
 * a filter key of that name. */
static rise_status write_masks(hid_t src, hid_t dst, const rise_demo_list *chosen,
                               const rise_relabel_opts *o, const char *in, const char *out) {
    const int had = rise_h5_object_type(src, "mask") == H5O_TYPE_GROUP;
    if (!had && !o->add_mask) return RISE_OK;
    hid_t dg = rise_h5_group_create(dst, "mask");
    if (dg < 0) return rise_error(RISE_ERR_IO, "%s: cannot create group 'mask'", out);
    rise_status st = RISE_OK;
    if (had) {
        hid_t sg = H5Gopen2(src, "mask", H5P_DEFAULT);
        st = sg < 0 ? rise_error(RISE_ERR_FORMAT, "%s: cannot open group 'mask'", in)
                    : rise_h5_copy_attrs(sg, dg, NULL, 0, in, "mask");
        if (st == RISE_OK) st = copy_members(sg, dg, o->add_mask, in, "mask/");
        if (sg >= 0) H5Gclose(sg);
    }
    if (st == RISE_OK && o->add_mask) {
        const char **names =
            malloc((size_t)(chosen->n_demos ? chosen->n_demos : 1) * sizeof *names);
        if (!names) st = rise_error(RISE_ERR_NOMEM, "out of memory");
        for (int64_t i = 0; names && i < chosen->n_demos; ++i) names[i] = chosen->demos[i].name;
        if (names) st = rise_h5_write_strings(dg, o->add_mask, names, chosen->n_demos, out);
        free(names);
    }
    H5Gclose(dg);
    return st;
}

static rise_status relabel_copy(const char *in, const char *out, const rise_relabel_opts *o,
                                const char *tmp) {
    char detail[256];
    rise_demo_list chosen = {0};
    RISE_TRY(rise_episodes_list(in, RISE_FORMAT_ROBOMIMIC, o->filter_key, &chosen));
    hid_t src = H5I_INVALID_HID, dst = H5I_INVALID_HID, data = H5I_INVALID_HID;
    rise_status st = rise_h5_open_read(in, &src);
    if (st == RISE_OK) {
        dst = rise_h5_file_create(tmp);
        if (dst < 0)
            st = rise_error(RISE_ERR_IO, "%s: cannot create (temporary %s): %s", out, tmp,
                            rise_h5_detail(detail, sizeof detail));
    }
    if (st == RISE_OK) st = rise_h5_copy_attrs(src, dst, NULL, 0, in, "/");
    if (st == RISE_OK) st = copy_members(src, dst, "mask", in, "");
    if (st == RISE_OK) st = write_masks(src, dst, &chosen, o, in, out);
    if (st == RISE_OK) {
        data = H5Gopen2(dst, "data", H5P_DEFAULT);
        if (data < 0) st = rise_error(RISE_ERR_FORMAT, "%s: cannot open group 'data'", out);
    }
    for (int64_t i = 0; st == RISE_OK && i < chosen.n_demos; ++i)
        if (o->set_reward || o->set_dones) st = rewrite_demo(data, &chosen.demos[i], o, in, out);
    if (st == RISE_OK && o->env_args) {
        if (H5Aexists(data, "env_args") > 0) H5Adelete(data, "env_args");
        st = rise_h5_write_attr_string(data, "env_args", o->env_args, out);
    }
    if (data >= 0) H5Gclose(data);
    if (dst >= 0 && H5Fclose(dst) < 0 && st == RISE_OK)
        st = rise_error(RISE_ERR_IO, "%s: closing failed: %s", out,
                        rise_h5_detail(detail, sizeof detail));
    if (src >= 0) H5Fclose(src);
    rise_demo_list_free(&chosen);
    return st;
}

rise_status rise_data_relabel(const char *in, const char *out, const rise_relabel_opts *opts) {
    if (opts->env_args) {
        cJSON *j = cJSON_Parse(opts->env_args);
        const int ok = cJSON_IsObject(j);
        cJSON_Delete(j);
        if (!ok)
            return rise_error(RISE_ERR_INVALID,
                              "--env-args '%.80s': expected a JSON object, e.g. '{\"env_name\": "
                              "\"hopper-medium-v2\", \"type\": \"d4rl\"}'",
                              opts->env_args);
    }
    rise_format fmt;
    RISE_TRY(rise_detect_format(in, &fmt));
    if (fmt != RISE_FORMAT_ROBOMIMIC) return relabel_converted(in, out, opts);
    const size_t tn = strlen(out) + 32;
    char *tmp = malloc(tn);
    if (!tmp) return rise_error(RISE_ERR_NOMEM, "out of memory");
    snprintf(tmp, tn, "%s.tmp%ld", out, (long)getpid());
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    rise_status st = relabel_copy(in, out, opts, tmp);
    rise_h5_quiet_end(&q);
    if (st == RISE_OK && rename(tmp, out) != 0)
        st = rise_error(RISE_ERR_IO, "%s: cannot move %s into place", out, tmp);
    if (st != RISE_OK) remove(tmp);
    free(tmp);
    return st;
}
