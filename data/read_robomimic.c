/* read_robomimic.c - reads the robomimic HDF5 layout (see reader.h). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read_internal.h"

typedef struct {
    int64_t n; /* demos in the file, sorted by number */
    rise_demo *demos;
    int n_masks;
    rise_mask *masks; /* indices into demos[] */
} rm_file;

static void rm_free(rm_file *r) {
    free(r->demos);
    for (int i = 0; i < r->n_masks; ++i) free(r->masks[i].demos);
    free(r->masks);
    memset(r, 0, sizeof *r);
}

/* Re-issues the current error with a hint appended. */
static rise_status with_hint(rise_status st, const char *fmt, long long v) {
    char old[1536], hint[256];
    snprintf(old, sizeof old, "%s", rise_last_error());
    snprintf(hint, sizeof hint, fmt, v);
    return rise_error(st, "%s%s", old, hint);
}

/* A demo without num_samples: a raw robosuite demo.hdf5 (collect_human_demonstrations: states
 * and actions only, no obs) or a file robomimic's conversion has not been run on. */
static rise_status missing_num_samples(hid_t demo, const char *file, const char *where) {
    const int has_obs = rise_h5_object_type(demo, "obs") == H5O_TYPE_GROUP;
    const int raw = !has_obs && rise_h5_object_type(demo, "states") == H5O_TYPE_DATASET;
    if (raw)
        return rise_error(
            RISE_ERR_FORMAT,
            "%s: '%s' has no attribute 'num_samples' and no 'obs' group, only states and "
            "actions: this looks like a raw robosuite demo.hdf5. Convert it with robomimic "
            "first: python robomimic/scripts/conversion/convert_robosuite.py --dataset %s, then "
            "python robomimic/scripts/dataset_states_to_obs.py --dataset %s --output_name "
            "low_dim.hdf5 --done_mode 2, and give rise low_dim.hdf5 (same folder)",
            file, where, file, file);
    return rise_error(RISE_ERR_FORMAT,
                      "%s: missing attribute 'num_samples' on '%s' (robomimic layout: each demo "
                      "records its length; robomimic's conversion/convert_robosuite.py adds it: "
                      "python robomimic/scripts/conversion/convert_robosuite.py --dataset %s)",
                      file, where, file);
}

static rise_status rm_scan(hid_t f, const char *file, rm_file *r) {
    memset(r, 0, sizeof *r);
    const H5O_type_t t = rise_h5_object_type(f, "data");
    if (t != H5O_TYPE_GROUP)
        return rise_error(RISE_ERR_FORMAT,
                          "%s: %s 'data' (robomimic layout: data/demo_<n>/actions, obs/<key>, "
                          "...)",
                          file, t == H5O_TYPE_UNKNOWN ? "missing group" : "expected a group at");
    char **names = NULL;
    int64_t count = 0;
    hid_t data = H5Gopen2(f, "data", H5P_DEFAULT);
    if (data < 0) return rise_error(RISE_ERR_FORMAT, "%s: cannot open group 'data'", file);
    rise_status st = rise_read_link_names(data, file, "data", &names, &count);
    if (st != RISE_OK) goto done;
    r->demos = calloc((size_t)(count ? count : 1), sizeof *r->demos);
    if (!r->demos) {
        st = rise_error(RISE_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < count; ++i) {
        char where[512];
        rise_demo *d = &r->demos[i];
        snprintf(where, sizeof where, "data/%s", names[i]);
        if (!rise_parse_demo_name(names[i], "demo_", &d->id) || strlen(names[i]) >= RISE_NAME_MAX) {
            st = rise_error(RISE_ERR_FORMAT,
                            "%s: unexpected member '%s' in group 'data' (expected demo_<n> "
                            "groups, n a non-negative integer)",
                            file, where);
            goto done;
        }
        if (rise_h5_object_type(data, names[i]) != H5O_TYPE_GROUP) {
            st = rise_error(RISE_ERR_FORMAT, "%s: '%s' is not a group (expected a demo group)",
                            file, where);
            goto done;
        }
        snprintf(d->name, sizeof d->name, "%s", names[i]);
        hid_t g = H5Gopen2(data, names[i], H5P_DEFAULT);
        if (g < 0) {
            st = rise_error(RISE_ERR_FORMAT, "%s: cannot open group '%s'", file, where);
            goto done;
        }
        if (H5Aexists(g, "num_samples") <= 0)
            st = missing_num_samples(g, file, where);
        else
            st = rise_h5_read_attr_i64(g, "num_samples", file, where, &d->length);
        H5Gclose(g);
        if (st != RISE_OK) goto done;
        if (d->length > (int64_t)RISE_H5_MAX_DIM) {
            st = rise_error(RISE_ERR_FORMAT, "%s: '%s' has num_samples = %lld: implausibly large",
                            file, where, (long long)d->length);
            goto done;
        }
        if (d->length <= 0) {
            st = rise_error(RISE_ERR_FORMAT,
                            "%s: '%s' has num_samples = %lld, expected at least 1 (empty demos "
                            "are not allowed; drop them from the file)",
                            file, where, (long long)d->length);
            goto done;
        }
        r->n++;
    }
    if (r->n == 0) {
        st = rise_error(RISE_ERR_FORMAT, "%s: group 'data' holds no demo_<n> groups", file);
        goto done;
    }
    st = rise_read_sort_demos(r->demos, r->n, file, "data");
    if (st != RISE_OK) goto done;
    int64_t total = 0;
    for (int64_t i = 0; i < r->n; ++i) {
        r->demos[i].start = total;
        total += r->demos[i].length;
    }
    if (H5Aexists(data, "total") > 0) {
        int64_t attr_total;
        st = rise_h5_read_attr_i64(data, "total", file, "data", &attr_total);
        if (st == RISE_OK && attr_total != total)
            st = rise_error(RISE_ERR_FORMAT,
                            "%s: data.attrs['total'] is %lld but the demos' num_samples sum to "
                            "%lld",
                            file, (long long)attr_total, (long long)total);
    }
done:
    rise_h5_free_strings(names, count);
    H5Gclose(data);
    if (st != RISE_OK) rm_free(r);
    return st;
}

static int64_t find_demo(const rm_file *r, const char *name) {
    for (int64_t i = 0; i < r->n; ++i)
        if (strcmp(r->demos[i].name, name) == 0) return i;
    return -1;
}

static int idx_cmp(const void *a, const void *b) {
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static rise_status rm_masks(hid_t f, const char *file, rm_file *r) {
    const H5O_type_t t = rise_h5_object_type(f, "mask");
    if (t == H5O_TYPE_UNKNOWN) return RISE_OK;
    if (t != H5O_TYPE_GROUP)
        return rise_error(RISE_ERR_FORMAT, "%s: 'mask' is not a group (expected mask/<filter_key>)",
                          file);
    hid_t g = H5Gopen2(f, "mask", H5P_DEFAULT);
    if (g < 0) return rise_error(RISE_ERR_FORMAT, "%s: cannot open group 'mask'", file);
    char **keys = NULL;
    int64_t n_keys = 0;
    rise_status st = rise_read_link_names(g, file, "mask", &keys, &n_keys);
    if (st == RISE_OK) {
        r->masks = calloc((size_t)(n_keys ? n_keys : 1), sizeof *r->masks);
        if (!r->masks) st = rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    for (int64_t k = 0; st == RISE_OK && k < n_keys; ++k) {
        char where[512];
        snprintf(where, sizeof where, "mask/%s", keys[k]);
        if (strlen(keys[k]) >= RISE_NAME_MAX) {
            st = rise_error(RISE_ERR_FORMAT, "%s: filter key name '%s' is too long", file, where);
            break;
        }
        char **names = NULL;
        int64_t count = 0;
        st = rise_h5_read_strings(g, keys[k], file, where, &names, &count);
        if (st != RISE_OK) break;
        rise_mask *m = &r->masks[r->n_masks++];
        snprintf(m->name, sizeof m->name, "%s", keys[k]);
        m->demos = malloc((size_t)(count ? count : 1) * sizeof *m->demos);
        if (!m->demos) st = rise_error(RISE_ERR_NOMEM, "out of memory");
        for (int64_t i = 0; st == RISE_OK && i < count; ++i) {
            const int64_t d = find_demo(r, names[i]);
            if (d < 0) {
                st = rise_error(RISE_ERR_FORMAT,
                                "%s: '%s' lists demo '%s', which is not in group 'data'", file,
                                where, names[i]);
                break;
            }
            for (int64_t j = 0; j < m->count; ++j)
                if (m->demos[j] == d) {
                    st = rise_error(RISE_ERR_FORMAT, "%s: '%s' lists demo '%s' twice", file, where,
                                    names[i]);
                    break;
                }
            if (st == RISE_OK) m->demos[m->count++] = d;
        }
        rise_h5_free_strings(names, count);
    }
    rise_h5_free_strings(keys, n_keys);
    H5Gclose(g);
    return st;
}

/* The demos the filter key selects, in number order (indices into r->demos). */
static rise_status rm_filter(const rm_file *r, const char *file, const char *filter_key,
                             int64_t **sel, int64_t *n_sel) {
    *sel = malloc((size_t)r->n * sizeof **sel);
    if (!*sel) return rise_error(RISE_ERR_NOMEM, "out of memory");
    if (!filter_key) {
        for (int64_t i = 0; i < r->n; ++i) (*sel)[i] = i;
        *n_sel = r->n;
        return RISE_OK;
    }
    for (int k = 0; k < r->n_masks; ++k)
        if (strcmp(r->masks[k].name, filter_key) == 0) {
            memcpy(*sel, r->masks[k].demos, (size_t)r->masks[k].count * sizeof **sel);
            *n_sel = r->masks[k].count;
            qsort(*sel, (size_t)*n_sel, sizeof **sel, idx_cmp);
            return RISE_OK;
        }
    char list[1024] = "";
    size_t u = 0;
    for (int k = 0; k < r->n_masks && u < sizeof list; ++k)
        u += (size_t)snprintf(list + u, sizeof list - u, "%s%s", k ? ", " : "", r->masks[k].name);
    free(*sel);
    *sel = NULL;
    return rise_error(RISE_ERR_INVALID, "%s: filter key 'mask/%s' not found (available: %s)", file,
                      filter_key, r->n_masks ? list : "none, the file has no mask group");
}

rise_status rise_robomimic_list_fid(hid_t f, const char *file, const char *filter_key,
                                    rise_demo_list *out) {
    rm_file r;
    RISE_TRY(rm_scan(f, file, &r));
    int64_t *sel = NULL, n_sel = 0;
    rise_status st = rm_masks(f, file, &r);
    if (st == RISE_OK) st = rm_filter(&r, file, filter_key, &sel, &n_sel);
    if (st == RISE_OK) {
        out->demos = calloc((size_t)(n_sel ? n_sel : 1), sizeof *out->demos);
        if (!out->demos) st = rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    for (int64_t i = 0; st == RISE_OK && i < n_sel; ++i) {
        out->demos[i] = r.demos[sel[i]];
        out->demos[i].start = out->n;
        out->n += out->demos[i].length;
        out->n_demos++;
    }
    free(sel);
    rm_free(&r);
    return st;
}

typedef struct {
    hid_t demo;
    const char *file;
    const char *demo_name;
    int64_t rows;
} shape_ctx;

static rise_status obs_shape(void *ctx, const char *key, int *ndim, int64_t *shape, int *is_u8) {
    const shape_ctx *c = ctx;
    char name[512], where[640];
    snprintf(name, sizeof name, "obs/%s", key);
    snprintf(where, sizeof where, "data/%s/%s", c->demo_name, name);
    return rise_read_key_shape(c->demo, name, c->file, where, c->rows, ndim, shape, is_u8);
}

/* Widths (obs keys, action and state dims) from the first loaded demo. */
static rise_status rm_layout(hid_t data, const char *file, const rise_demo *first,
                             const rise_read_opts *o, rise_episodes *e) {
    char where[512], buf[128];
    hid_t g = H5Gopen2(data, first->name, H5P_DEFAULT);
    if (g < 0) return rise_error(RISE_ERR_FORMAT, "%s: cannot open 'data/%s'", file, first->name);
    rise_status st = RISE_OK;
    char **keys = NULL;
    int64_t n_keys = 0;
    snprintf(where, sizeof where, "data/%s/obs", first->name);
    const H5O_type_t ot = rise_h5_object_type(g, "obs");
    if (ot != H5O_TYPE_GROUP) {
        st = rise_error(RISE_ERR_FORMAT, "%s: %s '%s' (expected obs/<key> datasets)", file,
                        ot == H5O_TYPE_UNKNOWN ? "missing group" : "expected a group at", where);
        goto done;
    }
    hid_t obs = H5Gopen2(g, "obs", H5P_DEFAULT);
    st = obs < 0 ? rise_error(RISE_ERR_FORMAT, "%s: cannot open '%s'", file, where)
                 : rise_read_link_names(obs, file, where, &keys, &n_keys);
    if (obs >= 0) H5Gclose(obs);
    if (st != RISE_OK) goto done;
    shape_ctx ctx = {g, file, first->name, first->length};
    st = rise_read_choose_keys(e, o, keys, n_keys, file, where, obs_shape, &ctx);
    if (st != RISE_OK) goto done;
    rise_h5_info info;
    snprintf(where, sizeof where, "data/%s/actions", first->name);
    st = rise_h5_dataset_info(g, "actions", file, where, &info);
    if (st != RISE_OK) goto done;
    if (!rise_h5_is_numeric(&info)) {
        st = rise_error(RISE_ERR_FORMAT, "%s: '%s' has type %s, expected a numeric dataset", file,
                        where, info.type_name);
        goto done;
    }
    if (info.rank != 2 || info.dims[1] == 0) {
        st = rise_error(RISE_ERR_FORMAT, "%s: '%s' has shape %s, expected (N, A) with A >= 1", file,
                        where, rise_h5_shape_str(&info, buf, sizeof buf));
        goto done;
    }
    e->act_dim = (int64_t)info.dims[1];
    e->state_dim = 0;
    if (o->load_states && rise_h5_object_type(g, "states") == H5O_TYPE_DATASET) {
        snprintf(where, sizeof where, "data/%s/states", first->name);
        st = rise_h5_dataset_info(g, "states", file, where, &info);
        if (st != RISE_OK) goto done;
        if (info.rank != 2 || info.dims[1] == 0 || !rise_h5_is_numeric(&info)) {
            st = rise_error(RISE_ERR_FORMAT,
                            "%s: '%s' has shape %s and type %s, expected (N, S) numbers", file,
                            where, rise_h5_shape_str(&info, buf, sizeof buf), info.type_name);
            goto done;
        }
        e->state_dim = (int64_t)info.dims[1];
    }
done:
    rise_h5_free_strings(keys, n_keys);
    H5Gclose(g);
    return st;
}

/* Opens demo group g's <grp>/<key> as camera k's frames: (N, H, W, C) uint8. */
static rise_status open_camera(hid_t g, const char *grp, const rise_image_key *k, const char *file,
                               const char *demo, int64_t N, hid_t *ds) {
    char name[RISE_NAME_MAX + 16], where[RISE_NAME_MAX + 160], buf[128];
    snprintf(name, sizeof name, "%s/%s", grp, k->name);
    snprintf(where, sizeof where, "data/%s/%s", demo, name);
    rise_h5_info info;
    RISE_TRY(rise_h5_open_dataset(g, name, file, where, &info, ds));
    const int u8 = info.cls == H5T_INTEGER && info.size == 1 && !info.is_signed;
    int64_t shape[RISE_H5_MAX_RANK];
    for (int i = 1; i < info.rank; ++i) shape[i - 1] = (int64_t)info.dims[i];
    rise_status st =
        info.rank >= 1
            ? rise_read_camera_shape(k->name, info.rank - 1, shape, u8, info.type_name, file, where)
            : rise_error(RISE_ERR_FORMAT, "%s: '%s' is a scalar", file, where);
    if (st == RISE_OK && (shape[0] != k->h || shape[1] != k->w || shape[2] != k->c))
        st = rise_error(RISE_ERR_FORMAT,
                        "%s: '%s' has shape %s, expected frames of (%d, %d, %d) as in the first "
                        "demo",
                        file, where, rise_h5_shape_str(&info, buf, sizeof buf), k->h, k->w, k->c);
    if (st == RISE_OK && (int64_t)info.dims[0] != N)
        st =
            rise_error(RISE_ERR_FORMAT,
                       "%s: '%s' has %llu frames (shape %s), expected %lld: one per step "
                       "(data/%s has num_samples = %lld; a truncated or partly written "
                       "dataset?)",
                       file, where, (unsigned long long)info.dims[0],
                       rise_h5_shape_str(&info, buf, sizeof buf), (long long)N, demo, (long long)N);
    if (st != RISE_OK) H5Dclose(*ds);
    return st;
}

rise_status rise_read_frames(hid_t ds, int64_t row0, int64_t rows, int64_t frame_bytes,
                             uint8_t *out, const char *file, const char *where) {
    char detail[256];
    /* blocks of about 4 MiB: a frame-row hyperslab read straight into place */
    const int64_t block = frame_bytes >= ((int64_t)4 << 20) ? 1 : ((int64_t)4 << 20) / frame_bytes;
    hid_t fs = H5Dget_space(ds);
    if (fs < 0) return rise_error(RISE_ERR_FORMAT, "%s: cannot read '%s'", file, where);
    int rank = H5Sget_simple_extent_ndims(fs);
    hsize_t start[4] = {0, 0, 0, 0}, count[4];
    rise_status st = RISE_OK;
    if (rank != 4 || H5Sget_simple_extent_dims(fs, count, NULL) < 0)
        st = rise_error(RISE_ERR_FORMAT, "%s: '%s' is not a frame array", file, where);
    for (int64_t r = 0; st == RISE_OK && r < rows; r += block) {
        const int64_t m = rows - r < block ? rows - r : block;
        start[0] = (hsize_t)(row0 + r);
        count[0] = (hsize_t)m;
        /* the memory space has the selection's shape: HDF5 then copies whole chunks
         * (a flat one makes it map every byte, ~20 MB/s) */
        const hsize_t mdims[4] = {(hsize_t)m, count[1], count[2], count[3]};
        hid_t ms = H5Screate_simple(4, mdims, NULL);
        herr_t rc = ms < 0 ? -1 : H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
        if (rc >= 0) rc = H5Dread(ds, H5T_NATIVE_UINT8, ms, fs, H5P_DEFAULT, out + r * frame_bytes);
        if (ms >= 0) H5Sclose(ms);
        if (rc < 0)
            st = rise_error(RISE_ERR_IO, "%s: reading frames %lld..%lld of '%s' failed: %s", file,
                            (long long)(row0 + r), (long long)(row0 + r + m - 1), where,
                            rise_h5_detail(detail, sizeof detail));
    }
    H5Sclose(fs);
    return st;
}

/* Camera k of demo d: checks obs/<key> (and next_obs/<key> when present) on every demo;
 * with frames allocated, reads obs/<key> into its rows and the last step's next frame.
 * The next frame of any other step is the following obs frame (robomimic writes next_obs
 * as obs shifted by one): checked on the first demo, where a mismatch is an error. Without
 * next_obs/<key> the last frame repeats and *derive is set (the done is forced, as for
 * derived low-dimensional keys). */
static rise_status read_camera(hid_t g, const char *file, rise_episodes *e, int k, int64_t d,
                               int *derive) {
    const rise_demo *dm = &e->demos[d];
    rise_image_key *key = &e->images[k];
    const int64_t N = dm->length, fb = rise_image_frame_bytes(key);
    const int load = key->frames != NULL;
    char where[RISE_NAME_MAX + 160];
    hid_t ds;
    snprintf(where, sizeof where, "data/%s/obs/%s", dm->name, key->name);
    RISE_TRY(open_camera(g, "obs", key, file, dm->name, N, &ds));
    rise_status st =
        load ? rise_read_frames(ds, 0, N, fb, key->frames + dm->start * fb, file, where) : RISE_OK;
    H5Dclose(ds);
    if (st != RISE_OK) return st;
    char next_name[RISE_NAME_MAX + 16];
    snprintf(next_name, sizeof next_name, "next_obs/%s", key->name);
    const int has_next =
        rise_h5_object_type(g, "next_obs") == H5O_TYPE_GROUP && rise_h5_exists(g, next_name);
    if (!has_next) {
        if (load)
            memcpy(key->last_next + d * fb, key->frames + (dm->start + N - 1) * fb, (size_t)fb);
        *derive = 1;
        return RISE_OK;
    }
    snprintf(where, sizeof where, "data/%s/next_obs/%s", dm->name, key->name);
    RISE_TRY(open_camera(g, "next_obs", key, file, dm->name, N, &ds));
    if (load) st = rise_read_frames(ds, N - 1, 1, fb, key->last_next + d * fb, file, where);
    if (st == RISE_OK && load && d == 0 && N >= 2) {
        uint8_t *first = malloc((size_t)fb);
        if (!first) st = rise_error(RISE_ERR_NOMEM, "out of memory");
        if (st == RISE_OK) st = rise_read_frames(ds, 0, 1, fb, first, file, where);
        if (st == RISE_OK && memcmp(first, key->frames + (dm->start + 1) * fb, (size_t)fb))
            st = rise_error(RISE_ERR_FORMAT,
                            "%s: '%s' row 0 differs from obs/%s row 1; rise takes the next "
                            "frame of step t < N-1 from obs[t + 1] (robomimic writes next_obs "
                            "as obs shifted by one) and reads next_obs frames only at each "
                            "demo's last step, so this file's next frames would be lost",
                            file, where, key->name);
        free(first);
    }
    H5Dclose(ds);
    return st;
}

static rise_status read_demo(hid_t data, const char *file, rise_episodes *e, int64_t d, float **tmp,
                             size_t *tmp_cap, int check_finite) {
    const rise_demo *dm = &e->demos[d];
    const int64_t N = dm->length, s0 = dm->start;
    char where[1024], name[512], buf[128];
    size_t need = (size_t)N;
    for (int k = 0; k < e->n_keys; ++k)
        if ((size_t)(N * e->keys[k].dim) > need) need = (size_t)(N * e->keys[k].dim);
    if (need > *tmp_cap) {
        float *grown = realloc(*tmp, need * sizeof **tmp);
        if (!grown) return rise_error(RISE_ERR_NOMEM, "out of memory reading '%s'", dm->name);
        *tmp = grown;
        *tmp_cap = need;
    }
    hid_t g = H5Gopen2(data, dm->name, H5P_DEFAULT);
    if (g < 0) return rise_error(RISE_ERR_FORMAT, "%s: cannot open 'data/%s'", file, dm->name);
    rise_status st = RISE_OK;
    char hint_fmt[256];
    snprintf(hint_fmt, sizeof hint_fmt, " (data/%s has num_samples = %%lld)", dm->name);

    rise_h5_info info;
    hid_t ds;
    snprintf(where, sizeof where, "data/%s/actions", dm->name);
    st = rise_h5_open_dataset(g, "actions", file, where, &info, &ds);
    if (st == RISE_OK) {
        if (info.rank != 2 || (int64_t)info.dims[0] != N || (int64_t)info.dims[1] != e->act_dim)
            st = rise_error(RISE_ERR_FORMAT, "%s: '%s' has shape %s, expected (%lld, %lld)%s", file,
                            where, rise_h5_shape_str(&info, buf, sizeof buf), (long long)N,
                            (long long)e->act_dim,
                            (int64_t)info.dims[0] != N ? " (rows must equal num_samples)" : "");
        else
            st = rise_h5_read_open_f32(ds, &info, file, where, e->actions + s0 * e->act_dim,
                                       (size_t)(N * e->act_dim));
        H5Dclose(ds);
    }
    if (st == RISE_OK && check_finite)
        st = rise_read_check_finite(e->actions + s0 * e->act_dim, N, e->act_dim, 0, file, where);
    if (st != RISE_OK) goto done;

    snprintf(where, sizeof where, "data/%s/rewards", dm->name);
    st = rise_read_vector(g, "rewards", file, where, N, e->rewards + s0);
    if (st == RISE_OK && check_finite)
        st = rise_read_check_finite(e->rewards + s0, N, 1, 0, file, where);
    if (st != RISE_OK) goto hinted;

    snprintf(where, sizeof where, "data/%s/dones", dm->name);
    st = rise_read_vector(g, "dones", file, where, N, *tmp);
    if (st == RISE_OK) st = rise_read_flags(*tmp, e->dones + s0, N, file, where);
    if (st != RISE_OK) goto hinted;

    int derive = 0, missing_key = 0;
    for (int pass = 0; pass < 2; ++pass) {
        float *dst = pass == 0 ? e->obs : e->next_obs;
        const char *grp = pass == 0 ? "obs" : "next_obs";
        /* One group open per demo; keys are looked up inside it. */
        hid_t og = H5I_INVALID_HID;
        if (H5Lexists(g, grp, H5P_DEFAULT) > 0) og = H5Gopen2(g, grp, H5P_DEFAULT);
        if (og < 0 && pass == 0) {
            snprintf(where, sizeof where, "data/%s/obs", dm->name);
            st = rise_error(RISE_ERR_FORMAT, "%s: missing group '%s' (expected obs/<key> datasets)",
                            file, where);
            goto done;
        }
        for (int k = 0; k < e->n_keys && st == RISE_OK; ++k) {
            const rise_obs_key *key = &e->keys[k];
            snprintf(name, sizeof name, "%s/%s", grp, key->name);
            snprintf(where, sizeof where, "data/%s/%s", dm->name, name);
            const int present = og >= 0 && H5Lexists(og, key->name, H5P_DEFAULT) > 0;
            if (!present && pass == 1) {
                /* Derived: next_obs[t] = obs[t+1], last row repeated. */
                for (int64_t r = 0; r < N; ++r)
                    memcpy(e->next_obs + (s0 + r) * e->obs_dim + key->offset,
                           e->obs + (s0 + (r + 1 < N ? r + 1 : r)) * e->obs_dim + key->offset,
                           (size_t)key->dim * sizeof(float));
                derive = 1;
                continue;
            }
            if (!present) {
                char **avail = NULL;
                int64_t n_avail = 0;
                char list[1024] = "";
                if (rise_read_link_names(og, file, where, &avail, &n_avail) == RISE_OK) {
                    size_t u = 0;
                    for (int64_t j = 0; j < n_avail && u < sizeof list; ++j)
                        u += (size_t)snprintf(list + u, sizeof list - u, "%s%s", j ? ", " : "",
                                              avail[j]);
                }
                rise_h5_free_strings(avail, n_avail);
                st = rise_error(RISE_ERR_FORMAT,
                                "%s: missing dataset '%s' (observation key '%s' is in the first "
                                "demo but not here; this demo has: %s)",
                                file, where, key->name, list[0] ? list : "no obs keys");
                missing_key = 1;
                break;
            }
            st = rise_read_key_rows(og, key->name, file, where, N, key, *tmp);
            if (st == RISE_OK && check_finite)
                st = rise_read_check_finite(*tmp, N, key->dim, 0, file, where);
            if (st == RISE_OK)
                rise_scatter_cols(dst + s0 * e->obs_dim, e->obs_dim, key->offset, *tmp, N,
                                  key->dim);
        }
        if (og >= 0) H5Gclose(og);
        if (st != RISE_OK) {
            if (missing_key) goto done;
            goto hinted;
        }
    }
    for (int k = 0; k < e->n_images && st == RISE_OK; ++k)
        st = read_camera(g, file, e, k, d, &derive);
    if (st != RISE_OK) goto done;
    if (derive) e->dones[s0 + N - 1] = 1;

    if (e->state_dim > 0) {
        snprintf(where, sizeof where, "data/%s/states", dm->name);
        st = rise_h5_dataset_info(g, "states", file, where, &info);
        if (st == RISE_OK &&
            (info.rank != 2 || (int64_t)info.dims[0] != N || (int64_t)info.dims[1] != e->state_dim))
            st = rise_error(RISE_ERR_FORMAT, "%s: '%s' has shape %s, expected (%lld, %lld)", file,
                            where, rise_h5_shape_str(&info, buf, sizeof buf), (long long)N,
                            (long long)e->state_dim);
        if (st == RISE_OK)
            st = rise_h5_read_f64(g, "states", file, where, e->states + s0 * e->state_dim,
                                  (size_t)(N * e->state_dim));
        if (st != RISE_OK) goto hinted;
    }
    goto done;
hinted:
    st = with_hint(st, hint_fmt, (long long)N);
done:
    H5Gclose(g);
    return st;
}

static rise_status rm_env_args(hid_t f, const char *file, rise_episodes *e) {
    hid_t data = H5Gopen2(f, "data", H5P_DEFAULT);
    if (data < 0) return rise_error(RISE_ERR_FORMAT, "%s: cannot open group 'data'", file);
    rise_status st = RISE_OK;
    if (H5Aexists(data, "env_args") > 0) {
        st = rise_h5_read_attr_string(data, "env_args", file, "data", &e->env_args);
        if (st == RISE_OK) {
            cJSON *j = cJSON_Parse(e->env_args);
            if (!j)
                st = rise_error(RISE_ERR_FORMAT,
                                "%s: data.attrs['env_args'] is not valid JSON (expected a JSON "
                                "object; found \"%.60s%s\")",
                                file, e->env_args, strlen(e->env_args) > 60 ? "..." : "");
            else if (!cJSON_IsObject(j))
                st = rise_error(RISE_ERR_FORMAT,
                                "%s: data.attrs['env_args'] is JSON but not an object", file);
            cJSON_Delete(j);
        }
    }
    H5Gclose(data);
    return st;
}

rise_status rise_robomimic_read_fid(hid_t f, const char *file, const rise_read_opts *o,
                                    rise_episodes *e) {
    rm_file r;
    RISE_TRY(rm_scan(f, file, &r));
    int64_t *sel = NULL, n_sel = 0;
    float *tmp = NULL;
    size_t tmp_cap = 0;
    int64_t *remap = NULL;
    hid_t data = H5I_INVALID_HID;
    rise_status st = rm_masks(f, file, &r);
    if (st == RISE_OK) st = rm_filter(&r, file, o->filter_key, &sel, &n_sel);
    if (st == RISE_OK) st = rise_read_check_select(o, n_sel, file);
    if (st != RISE_OK) goto done;
    if (o->select) {
        int64_t kept = 0;
        for (int64_t i = 0; i < n_sel; ++i)
            if (o->select[i]) sel[kept++] = sel[i];
        n_sel = kept;
    }
    if (n_sel == 0) {
        st = rise_error(RISE_ERR_INVALID, "%s: no demos selected%s%s%s", file,
                        o->filter_key ? " (filter key 'mask/" : "",
                        o->filter_key ? o->filter_key : "", o->filter_key ? "' is empty)" : "");
        goto done;
    }
    st = rm_env_args(f, file, e);
    if (st != RISE_OK) goto done;
    data = H5Gopen2(f, "data", H5P_DEFAULT);
    st = rm_layout(data, file, &r.demos[sel[0]], o, e);
    if (st != RISE_OK) goto done;
    int64_t total = 0;
    for (int64_t i = 0; i < n_sel; ++i) total += r.demos[sel[i]].length;
    const int frames = o->image_frames == RISE_IMAGES_LOAD;
    st = rise_read_check_budget(e, total, o->max_bytes, frames, file);
    if (st == RISE_OK) st = rise_episodes_alloc(e, n_sel, total);
    if (st == RISE_OK && frames) st = rise_episodes_alloc_frames(e);
    if (st != RISE_OK) goto done;
    total = 0;
    for (int64_t i = 0; i < n_sel; ++i) {
        e->demos[i] = r.demos[sel[i]];
        e->demos[i].start = total;
        total += e->demos[i].length;
    }
    for (int64_t i = 0; i < n_sel && st == RISE_OK; ++i)
        st = read_demo(data, file, e, i, &tmp, &tmp_cap, !o->allow_nonfinite);
    if (st != RISE_OK || !o->load_masks) goto done;
    /* Masks refer to loaded demos only; entries for demos not loaded drop out. */
    remap = malloc((size_t)r.n * sizeof *remap);
    if (!remap) {
        st = rise_error(RISE_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < r.n; ++i) remap[i] = -1;
    for (int64_t i = 0; i < n_sel; ++i) remap[sel[i]] = i;
    for (int k = 0; k < r.n_masks && st == RISE_OK; ++k) {
        int64_t kept = 0;
        for (int64_t j = 0; j < r.masks[k].count; ++j)
            if (remap[r.masks[k].demos[j]] >= 0)
                r.masks[k].demos[kept++] = remap[r.masks[k].demos[j]];
        st = rise_episodes_add_mask(e, r.masks[k].name, r.masks[k].demos, kept);
    }
done:
    if (data >= 0) H5Gclose(data);
    free(remap);
    free(tmp);
    free(sel);
    rm_free(&r);
    return st;
}
