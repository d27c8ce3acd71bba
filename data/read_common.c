/* read_common.c - format detection, dispatch and checks shared by the readers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read_internal.h"

const char *rise_format_name(rise_format f) {
    switch (f) {
    case RISE_FORMAT_AUTO: return "auto";
    case RISE_FORMAT_ROBOMIMIC: return "robomimic";
    case RISE_FORMAT_D4RL: return "d4rl";
    case RISE_FORMAT_MINARI: return "minari";
    }
    return "unknown";
}

int rise_format_parse(const char *s, rise_format *f) {
    static const rise_format all[] = {RISE_FORMAT_AUTO, RISE_FORMAT_ROBOMIMIC, RISE_FORMAT_D4RL,
                                      RISE_FORMAT_MINARI};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i)
        if (strcmp(s, rise_format_name(all[i])) == 0) {
            *f = all[i];
            return 1;
        }
    return 0;
}

void rise_read_opts_default(rise_read_opts *o) {
    memset(o, 0, sizeof *o);
    o->format = RISE_FORMAT_AUTO;
    o->load_states = 1;
    o->load_masks = 1;
}

void rise_demo_list_free(rise_demo_list *l) {
    if (!l) return;
    free(l->demos);
    memset(l, 0, sizeof *l);
}

typedef struct {
    char **names;
    int64_t count, cap;
    int oom;
} name_list;

static herr_t link_cb(hid_t g, const char *name, const H5L_info_t *info, void *data) {
    name_list *l = data;
    (void)g;
    (void)info;
    if (l->count == l->cap) {
        const int64_t cap = l->cap ? 2 * l->cap : 16;
        char **grown = realloc(l->names, (size_t)cap * sizeof *grown);
        if (!grown) {
            l->oom = 1;
            return 1;
        }
        l->names = grown;
        l->cap = cap;
    }
    l->names[l->count] = strdup(name);
    if (!l->names[l->count]) {
        l->oom = 1;
        return 1;
    }
    l->count++;
    return 0;
}

rise_status rise_read_link_names(hid_t group, const char *file, const char *where, char ***names,
                                 int64_t *count) {
    char detail[256];
    name_list l = {0};
    hsize_t idx = 0;
    const herr_t rc = H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &idx, link_cb, &l);
    if (l.oom || rc < 0) {
        rise_h5_free_strings(l.names, l.count);
        if (l.oom) return rise_error(RISE_ERR_NOMEM, "%s: out of memory listing '%s'", file, where);
        return rise_error(RISE_ERR_FORMAT, "%s: cannot list the members of '%s': %s", file, where,
                          rise_h5_detail(detail, sizeof detail));
    }
    *names = l.names;
    *count = l.count;
    return RISE_OK;
}

static int demo_cmp(const void *a, const void *b) {
    const rise_demo *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

rise_status rise_read_sort_demos(rise_demo *demos, int64_t n, const char *file, const char *where) {
    qsort(demos, (size_t)n, sizeof *demos, demo_cmp);
    for (int64_t i = 1; i < n; ++i)
        if (demos[i].id == demos[i - 1].id)
            return rise_error(RISE_ERR_FORMAT,
                              "%s: duplicate demo names in '%s': '%s' and '%s' both have number "
                              "%lld (expected each number once)",
                              file, where, demos[i - 1].name, demos[i].name,
                              (long long)demos[i].id);
    return RISE_OK;
}

rise_status rise_read_check_finite(const float *x, int64_t rows, int64_t cols, int64_t row0,
                                   const char *file, const char *where) {
    for (int64_t i = 0; i < rows * cols; ++i)
        if (!isfinite(x[i]))
            return rise_error(RISE_ERR_NUMERIC,
                              "%s: '%s' row %lld column %lld is %s (expected finite values; "
                              "clean the data or inspect it with `rise data info`)",
                              file, where, (long long)(row0 + i / cols), (long long)(i % cols),
                              isnan(x[i]) ? "NaN" : "Inf");
    return RISE_OK;
}

rise_status rise_read_flags(const float *src, uint8_t *dst, int64_t n, const char *file,
                            const char *where) {
    for (int64_t i = 0; i < n; ++i) {
        if (src[i] == 0.0f)
            dst[i] = 0;
        else if (src[i] == 1.0f)
            dst[i] = 1;
        else
            return rise_error(RISE_ERR_FORMAT, "%s: '%s' row %lld is %g, expected 0 or 1", file,
                              where, (long long)i, (double)src[i]);
    }
    return RISE_OK;
}

/* Checks a (rows, ...) numeric dataset's info and returns its per-step shape. */
static rise_status key_info_shape(const rise_h5_info *info, const char *file, const char *where,
                                  int64_t rows, int *ndim, int64_t *shape) {
    char buf[128];
    if (!rise_h5_is_numeric(info))
        return rise_error(RISE_ERR_FORMAT, "%s: '%s' has type %s, expected numbers", file, where,
                          info->type_name);
    if (info->rank < 1 || info->rank > 1 + RISE_KEY_MAX_RANK)
        return rise_error(
            RISE_ERR_FORMAT, "%s: '%s' has shape %s, expected rank 1 to %d with one row per step",
            file, where, rise_h5_shape_str(info, buf, sizeof buf), 1 + RISE_KEY_MAX_RANK);
    if (rows >= 0 && (int64_t)info->dims[0] != rows)
        return rise_error(RISE_ERR_FORMAT, "%s: '%s' has %llu rows (shape %s), expected %lld", file,
                          where, (unsigned long long)info->dims[0],
                          rise_h5_shape_str(info, buf, sizeof buf), (long long)rows);
    *ndim = info->rank - 1;
    for (int d = 1; d < info->rank; ++d) {
        if (info->dims[d] == 0)
            return rise_error(RISE_ERR_FORMAT, "%s: '%s' has shape %s: a zero-sized dimension",
                              file, where, rise_h5_shape_str(info, buf, sizeof buf));
        shape[d - 1] = (int64_t)info->dims[d];
    }
    return RISE_OK;
}

rise_status rise_read_key_shape(hid_t loc, const char *name, const char *file, const char *where,
                                int64_t rows, int *ndim, int64_t *shape, int *is_u8) {
    rise_h5_info info;
    RISE_TRY(rise_h5_dataset_info(loc, name, file, where, &info));
    if (is_u8) *is_u8 = info.cls == H5T_INTEGER && info.size == 1 && !info.is_signed;
    return key_info_shape(&info, file, where, rows, ndim, shape);
}

int rise_read_is_image(int ndim, int is_u8) { return ndim >= 3 || (is_u8 && ndim >= 2); }

static void shape_text(char *buf, size_t n, int ndim, const int64_t *shape) {
    size_t u = (size_t)snprintf(buf, n, "(");
    for (int d = 0; d < ndim && u < n; ++d)
        u += (size_t)snprintf(buf + u, n - u, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (u < n) snprintf(buf + u, n - u, ")");
}

/* Refuses image-shaped keys among the chosen ones, naming them and the low-dimensional keys
 * of the file to choose from instead. */
static rise_status refuse_images(const rise_read_opts *o, char **available, int64_t n_available,
                                 const char **names, const int *ndims, const int64_t **shapes,
                                 const int *u8, int n, const char *file, const char *where,
                                 rise_key_shape_fn shape_of, void *ctx) {
    char images[1024] = "", lowdim[1024] = "";
    size_t ui = 0, ul = 0;
    int n_images = 0;
    for (int i = 0; i < n; ++i) {
        if (!rise_read_is_image(ndims[i], u8[i])) continue;
        char shape[96];
        shape_text(shape, sizeof shape, ndims[i], shapes[i]);
        if (ui < sizeof images)
            ui += (size_t)snprintf(images + ui, sizeof images - ui, "%s'%s' %s%s",
                                   n_images ? ", " : "", names[i], shape, u8[i] ? " uint8" : "");
        ++n_images;
    }
    if (!n_images) return RISE_OK;
    for (int64_t j = 0; j < n_available && ul < sizeof lowdim; ++j) {
        int ndim = 0, is_u8 = 0;
        int64_t shape[RISE_KEY_MAX_RANK];
        if (shape_of(ctx, available[j], &ndim, shape, &is_u8) != RISE_OK) continue;
        if (!rise_read_is_image(ndim, is_u8))
            ul += (size_t)snprintf(lowdim + ul, sizeof lowdim - ul, "%s%s", ul ? "," : "",
                                   available[j]);
    }
    rise_error_clear();
    return rise_error(
        RISE_ERR_INVALID,
        "%s: observation key%s %s in '%s' %s image-shaped; this reader loads low-dimensional "
        "observations only (training reads image keys as camera frames). %s data.obs_keys%s%s%s",
        file, n_images > 1 ? "s" : "", images, where, n_images > 1 ? "are" : "is",
        o->n_obs_keys > 0 ? "Leave them out of" : "Choose the keys with",
        lowdim[0] ? ", e.g. --set data.obs_keys=" : " (this file has no low-dimensional keys)",
        lowdim, lowdim[0] ? " (every low-dimensional key of the file)" : "");
}

rise_status rise_read_camera_shape(const char *key, int ndim, const int64_t *shape, int is_u8,
                                   const char *type_name, const char *file, const char *where) {
    char text[96];
    shape_text(text, sizeof text, ndim, shape);
    if (ndim != 3)
        return rise_error(RISE_ERR_FORMAT,
                          "%s: image key '%s' in '%s' has per-step shape %s%s; camera frames "
                          "need (H, W, C) (robomimic's layout: uint8, height x width x channels)",
                          file, key, where, text, is_u8 ? " uint8" : "");
    if (!is_u8)
        return rise_error(RISE_ERR_FORMAT,
                          "%s: image key '%s' in '%s' holds %s frames of type %s; camera frames "
                          "must be uint8 (0..255, as robomimic stores them; depth maps and float "
                          "images are not supported)",
                          file, key, where, text, type_name ? type_name : "other than uint8");
    if (shape[2] < 1 || shape[2] > 4 || shape[0] > 4096 || shape[1] > 4096)
        return rise_error(RISE_ERR_FORMAT,
                          "%s: image key '%s' in '%s' has per-step shape %s; expected (H, W, C) "
                          "with 1 to 4 channels and sides up to 4096",
                          file, key, where, text);
    return RISE_OK;
}

/* Moves the image keys among names[0..*n) out to e->images (checked: (H, W, C), 1..4
 * channels; the element type is checked where the data is read) and compacts the others. */
static rise_status split_cameras(rise_episodes *e, const char **names, int *ndims,
                                 const int64_t **shapes, int *u8, int *n, const char *file,
                                 const char *where) {
    int n_cam = 0;
    for (int i = 0; i < *n; ++i) n_cam += rise_read_is_image(ndims[i], u8[i]);
    if (n_cam == 0) return RISE_OK;
    e->images = calloc((size_t)n_cam, sizeof *e->images);
    if (!e->images) return rise_error(RISE_ERR_NOMEM, "out of memory");
    int kept = 0;
    for (int i = 0; i < *n; ++i) {
        if (!rise_read_is_image(ndims[i], u8[i])) {
            names[kept] = names[i];
            ndims[kept] = ndims[i];
            shapes[kept] = shapes[i];
            u8[kept] = u8[i];
            ++kept;
            continue;
        }
        /* the type is reported where the data is read (its name is known there) */
        RISE_TRY(rise_read_camera_shape(names[i], ndims[i], shapes[i], 1, NULL, file, where));
        rise_image_key *k = &e->images[e->n_images++];
        if (strlen(names[i]) >= sizeof k->name)
            return rise_error(RISE_ERR_INVALID, "image key '%s' is longer than %d characters",
                              names[i], RISE_NAME_MAX - 1);
        snprintf(k->name, sizeof k->name, "%s", names[i]);
        k->h = (int)shapes[i][0];
        k->w = (int)shapes[i][1];
        k->c = (int)shapes[i][2];
    }
    *n = kept;
    return RISE_OK;
}

rise_status rise_read_key_rows(hid_t loc, const char *name, const char *file, const char *where,
                               int64_t rows, const rise_obs_key *k, float *tmp) {
    int ndim;
    int64_t shape[RISE_KEY_MAX_RANK];
    rise_h5_info info;
    hid_t ds;
    RISE_TRY(rise_h5_open_dataset(loc, name, file, where, &info, &ds));
    rise_status st = key_info_shape(&info, file, where, rows, &ndim, shape);
    int same = ndim == k->ndim;
    for (int d = 0; st == RISE_OK && same && d < ndim; ++d) same = shape[d] == k->shape[d];
    if (st == RISE_OK && !same) {
        char got[96] = "", want[96] = "";
        size_t u = 0, v = 0;
        for (int d = 0; d < ndim; ++d)
            u += (size_t)snprintf(got + u, sizeof got - u, ", %lld", (long long)shape[d]);
        for (int d = 0; d < k->ndim; ++d)
            v += (size_t)snprintf(want + v, sizeof want - v, ", %lld", (long long)k->shape[d]);
        st = rise_error(RISE_ERR_FORMAT,
                        "%s: '%s' has per-step shape (N%s), expected (N%s) as in the first demo",
                        file, where, got, want);
    }
    if (st == RISE_OK)
        st = rise_h5_read_open_f32(ds, &info, file, where, tmp, (size_t)(rows * k->dim));
    H5Dclose(ds);
    return st;
}

rise_status rise_read_vector(hid_t loc, const char *name, const char *file, const char *where,
                             int64_t rows, float *tmp) {
    char buf[128];
    rise_h5_info info;
    hid_t ds;
    RISE_TRY(rise_h5_open_dataset(loc, name, file, where, &info, &ds));
    const int ok_shape =
        (info.rank == 1 || (info.rank == 2 && info.dims[1] == 1)) && (int64_t)info.dims[0] == rows;
    rise_status st = RISE_OK;
    if (!ok_shape)
        st = rise_error(RISE_ERR_FORMAT, "%s: '%s' has shape %s, expected (%lld,)", file, where,
                        rise_h5_shape_str(&info, buf, sizeof buf), (long long)rows);
    else
        st = rise_h5_read_open_f32(ds, &info, file, where, tmp, (size_t)rows);
    H5Dclose(ds);
    return st;
}

void rise_scatter_cols(float *dst, int64_t D, int64_t offset, const float *src, int64_t rows,
                       int64_t dim) {
    if (dim == D) {
        memcpy(dst, src, (size_t)(rows * dim) * sizeof(float));
        return;
    }
    for (int64_t r = 0; r < rows; ++r)
        memcpy(dst + r * D + offset, src + r * dim, (size_t)dim * sizeof(float));
}

rise_status rise_read_check_budget(const rise_episodes *e, int64_t n, size_t max_bytes,
                                   int with_frames, const char *file) {
    const double per_row = (2.0 * (double)e->obs_dim + (double)e->act_dim + 1.0) * sizeof(float) +
                           1.0 + (double)e->state_dim * sizeof(double);
    double need = per_row * (double)n;
    for (int i = 0; with_frames && i < e->n_images; ++i)
        need += (double)rise_image_frame_bytes(&e->images[i]) * (double)n;
    if (need > 1e18 || (max_bytes && need > (double)max_bytes))
        return rise_error(RISE_ERR_NOMEM,
                          "%s: loading %lld transitions needs %.3g bytes, above the limit of %.3g",
                          file, (long long)n, need, max_bytes ? (double)max_bytes : 1e18);
    return RISE_OK;
}

rise_status rise_read_choose_keys(rise_episodes *e, const rise_read_opts *o, char **available,
                                  int64_t n_available, const char *file, const char *where,
                                  rise_key_shape_fn shape_of, void *ctx) {
    int n = o->n_obs_keys > 0 ? o->n_obs_keys : (int)n_available;
    if (n == 0) return rise_error(RISE_ERR_FORMAT, "%s: '%s' has no observation keys", file, where);
    const char **names = calloc((size_t)n, sizeof *names);
    int *ndims = calloc((size_t)n, sizeof *ndims);
    int64_t *shape_mem = calloc((size_t)n * RISE_KEY_MAX_RANK, sizeof *shape_mem);
    const int64_t **shapes = calloc((size_t)n, sizeof *shapes);
    int *u8 = calloc((size_t)n, sizeof *u8);
    rise_status st = RISE_OK;
    if (!names || !ndims || !shape_mem || !shapes || !u8) {
        st = rise_error(RISE_ERR_NOMEM, "out of memory choosing observation keys");
        goto done;
    }
    for (int i = 0; i < n; ++i) {
        const char *want = o->n_obs_keys > 0 ? o->obs_keys[i] : available[i];
        int found = 0;
        for (int64_t j = 0; j < n_available && !found; ++j) found = !strcmp(available[j], want);
        if (!found) {
            char list[1024] = "";
            size_t u = 0;
            for (int64_t j = 0; j < n_available && u < sizeof list; ++j)
                u += (size_t)snprintf(list + u, sizeof list - u, "%s%s", j ? ", " : "",
                                      available[j]);
            st = rise_error(RISE_ERR_INVALID,
                            "%s: observation key '%s' does not exist in '%s' (available: %s)", file,
                            want, where, list);
            goto done;
        }
        names[i] = want;
        shapes[i] = shape_mem + (size_t)i * RISE_KEY_MAX_RANK;
        st = shape_of(ctx, want, &ndims[i], shape_mem + (size_t)i * RISE_KEY_MAX_RANK, &u8[i]);
        if (st != RISE_OK) goto done;
    }
    if (o->image_frames) {
        st = split_cameras(e, names, ndims, shapes, u8, &n, file, where);
        if (st != RISE_OK) goto done;
    } else if (!o->allow_images) {
        st = refuse_images(o, available, n_available, names, ndims, shapes, u8, n, file, where,
                           shape_of, ctx);
        if (st != RISE_OK) goto done;
    }
    st = rise_episodes_set_keys(e, n, names, ndims, shapes);
    for (int i = 0; st == RISE_OK && i < n; ++i)
        e->keys[i].image = rise_read_is_image(ndims[i], u8[i]);
    if (st != RISE_OK) rise_error_context(st, "%s: ", file);
done:
    free(names);
    free(ndims);
    free(shape_mem);
    free(shapes);
    free(u8);
    return st;
}

rise_status rise_read_check_select(const rise_read_opts *o, int64_t n_listed, const char *file) {
    if (o->select && o->n_select != n_listed)
        return rise_error(RISE_ERR_INVALID,
                          "%s: the demo selection has %lld flags but the file lists %lld demos",
                          file, (long long)o->n_select, (long long)n_listed);
    return RISE_OK;
}

rise_format rise_detect_format_fid(hid_t f) {
    if (rise_h5_object_type(f, "data") == H5O_TYPE_GROUP) return RISE_FORMAT_ROBOMIMIC;
    if (rise_h5_object_type(f, "observations") == H5O_TYPE_DATASET) return RISE_FORMAT_D4RL;
    char **names = NULL;
    int64_t n = 0;
    rise_format found = RISE_FORMAT_AUTO;
    if (rise_read_link_names(f, "", "/", &names, &n) == RISE_OK) {
        for (int64_t i = 0; i < n && found == RISE_FORMAT_AUTO; ++i) {
            int64_t id;
            if (rise_parse_demo_name(names[i], "episode_", &id)) found = RISE_FORMAT_MINARI;
        }
        rise_h5_free_strings(names, n);
    }
    rise_error_clear();
    return found;
}

static rise_status resolve_format(hid_t f, const char *file, rise_format want, rise_format *out) {
    if (want != RISE_FORMAT_AUTO) {
        *out = want;
        return RISE_OK;
    }
    *out = rise_detect_format_fid(f);
    if (*out == RISE_FORMAT_AUTO)
        return rise_error(RISE_ERR_FORMAT,
                          "%s: missing group 'data' (robomimic layout), and no 'observations' "
                          "dataset (D4RL) or 'episode_<n>' groups (Minari) either: not a "
                          "dataset file rise can read",
                          file);
    return RISE_OK;
}

static rise_status load_fid(hid_t f, const char *file, const rise_read_opts *opts,
                            rise_episodes *out) {
    rise_read_opts def;
    if (!opts) {
        rise_read_opts_default(&def);
        opts = &def;
    }
    rise_format fmt;
    RISE_TRY(resolve_format(f, file, opts->format, &fmt));
    if (fmt != RISE_FORMAT_ROBOMIMIC && opts->filter_key)
        return rise_error(RISE_ERR_INVALID, "%s: filter key '%s' given but %s files have no masks",
                          file, opts->filter_key, rise_format_name(fmt));
    memset(out, 0, sizeof *out);
    out->path = strdup(file);
    if (!out->path) return rise_error(RISE_ERR_NOMEM, "out of memory");
    rise_status st;
    switch (fmt) {
    case RISE_FORMAT_ROBOMIMIC: st = rise_robomimic_read_fid(f, file, opts, out); break;
    case RISE_FORMAT_D4RL: st = rise_d4rl_read_fid(f, file, opts, out); break;
    case RISE_FORMAT_MINARI: st = rise_minari_read_fid(f, file, opts, out); break;
    default: st = rise_error(RISE_ERR_INVALID, "%s: no format chosen", file); break;
    }
    if (st != RISE_OK) rise_episodes_free(out);
    return st;
}

rise_status rise_episodes_load(const char *path, const rise_read_opts *opts, rise_episodes *out) {
    rise_h5_quiet q;
    hid_t f;
    memset(out, 0, sizeof *out);
    rise_h5_quiet_begin(&q);
    rise_status st = rise_h5_open_read(path, &f);
    if (st == RISE_OK) {
        st = load_fid(f, path, opts, out);
        H5Fclose(f);
    }
    rise_h5_quiet_end(&q);
    return st;
}

rise_status rise_episodes_load_image(const void *buf, size_t len, const char *label,
                                     const rise_read_opts *opts, rise_episodes *out) {
    rise_h5_quiet q;
    hid_t f;
    memset(out, 0, sizeof *out);
    rise_h5_quiet_begin(&q);
    rise_status st = rise_h5_open_image(buf, len, &f);
    if (st == RISE_OK) {
        st = load_fid(f, label ? label : "<memory>", opts, out);
        H5Fclose(f);
    }
    rise_h5_quiet_end(&q);
    return st;
}

rise_status rise_episodes_list(const char *path, rise_format format, const char *filter_key,
                               rise_demo_list *out) {
    rise_h5_quiet q;
    hid_t f;
    memset(out, 0, sizeof *out);
    rise_h5_quiet_begin(&q);
    rise_status st = rise_h5_open_read(path, &f);
    if (st == RISE_OK) {
        rise_format fmt;
        st = resolve_format(f, path, format, &fmt);
        if (st == RISE_OK && fmt != RISE_FORMAT_ROBOMIMIC && filter_key)
            st =
                rise_error(RISE_ERR_INVALID, "%s: filter key '%s' given but %s files have no masks",
                           path, filter_key, rise_format_name(fmt));
        if (st == RISE_OK) {
            out->format = fmt;
            if (fmt == RISE_FORMAT_ROBOMIMIC)
                st = rise_robomimic_list_fid(f, path, filter_key, out);
            else if (fmt == RISE_FORMAT_D4RL)
                st = rise_d4rl_list_fid(f, path, out);
            else
                st = rise_minari_list_fid(f, path, out);
        }
        if (st != RISE_OK) rise_demo_list_free(out);
        H5Fclose(f);
    }
    rise_h5_quiet_end(&q);
    return st;
}

rise_status rise_detect_format(const char *path, rise_format *out) {
    rise_h5_quiet q;
    hid_t f;
    rise_h5_quiet_begin(&q);
    rise_status st = rise_h5_open_read(path, &f);
    if (st == RISE_OK) {
        st = resolve_format(f, path, RISE_FORMAT_AUTO, out);
        H5Fclose(f);
    }
    rise_h5_quiet_end(&q);
    return st;
}
