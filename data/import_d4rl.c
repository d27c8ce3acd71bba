/* import_d4rl.c - reads D4RL-style flat HDF5 files (see reader.h).
 *
 * Episodes end where terminals or timeouts is set (and at the last row).
 * Without next_observations, next_obs is the following row inside the episode
 * and the last row of each episode is repeated with done forced to 1, as for
 * robomimic; terminals become dones, timeouts only end episodes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read_internal.h"

/* Row count of a top-level dataset, checked to be numeric with rank >= 1. */
static rise_status rows_of(hid_t f, const char *name, const char *file, int64_t *rows,
                           rise_h5_info *info) {
    RISE_TRY(rise_h5_dataset_info(f, name, file, name, info));
    if (!rise_h5_is_numeric(info))
        return rise_error(RISE_ERR_FORMAT, "%s: '%s' has type %s, expected numbers", file, name,
                          info->type_name);
    if (info->rank < 1)
        return rise_error(RISE_ERR_FORMAT, "%s: '%s' is a scalar, expected one row per step", file,
                          name);
    *rows = (int64_t)info->dims[0];
    return RISE_OK;
}

/* Reads rows [r0, r0 + n) of a dataset with `cols` values per row. */
static rise_status read_rows(hid_t f, const char *name, const char *file, int64_t r0, int64_t n,
                             int64_t cols, float *out) {
    char detail[256];
    rise_h5_info info;
    RISE_TRY(rise_h5_dataset_info(f, name, file, name, &info));
    hsize_t start[RISE_H5_MAX_RANK] = {0}, count[RISE_H5_MAX_RANK];
    for (int d = 0; d < info.rank; ++d) count[d] = info.dims[d];
    start[0] = (hsize_t)r0;
    count[0] = (hsize_t)n;
    if (n == 0) return RISE_OK;
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t fs = ds >= 0 ? H5Dget_space(ds) : -1;
    const hsize_t mdim = (hsize_t)(n * cols);
    hid_t ms = H5Screate_simple(1, &mdim, NULL);
    herr_t rc = -1;
    if (fs >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0)
        rc = H5Dread(ds, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, out);
    H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    if (ds >= 0) H5Dclose(ds);
    if (rc < 0)
        return rise_error(RISE_ERR_FORMAT,
                          "%s: reading rows %lld..%lld of '%s' failed: %s (truncated or corrupt?)",
                          file, (long long)r0, (long long)(r0 + n - 1), name,
                          rise_h5_detail(detail, sizeof detail));
    return RISE_OK;
}

typedef struct {
    int64_t N, obs_dim, act_dim;
    int obs_ndim, obs_u8;
    int64_t obs_shape[RISE_KEY_MAX_RANK];
    int has_next, has_timeouts;
} d4rl_layout;

static rise_status d4rl_layout_of(hid_t f, const char *file, d4rl_layout *L) {
    rise_h5_info info;
    char buf[128];
    memset(L, 0, sizeof *L);
    RISE_TRY(rows_of(f, "observations", file, &L->N, &info));
    if (info.rank < 2 || info.rank > 1 + RISE_KEY_MAX_RANK)
        return rise_error(RISE_ERR_FORMAT, "%s: 'observations' has shape %s, expected (N, D)", file,
                          rise_h5_shape_str(&info, buf, sizeof buf));
    L->obs_ndim = info.rank - 1;
    L->obs_u8 = info.cls == H5T_INTEGER && info.size == 1 && !info.is_signed;
    L->obs_dim = 1;
    for (int d = 1; d < info.rank; ++d) {
        L->obs_shape[d - 1] = (int64_t)info.dims[d];
        L->obs_dim *= (int64_t)info.dims[d];
    }
    if (L->N == 0) return rise_error(RISE_ERR_FORMAT, "%s: 'observations' has 0 rows", file);
    if (L->obs_dim == 0)
        return rise_error(RISE_ERR_FORMAT, "%s: 'observations' has shape %s: zero-sized", file,
                          rise_h5_shape_str(&info, buf, sizeof buf));
    int64_t rows = 0;
    RISE_TRY(rows_of(f, "actions", file, &rows, &info));
    if (info.rank != 2 || info.dims[1] == 0)
        return rise_error(RISE_ERR_FORMAT, "%s: 'actions' has shape %s, expected (N, A)", file,
                          rise_h5_shape_str(&info, buf, sizeof buf));
    L->act_dim = (int64_t)info.dims[1];
    L->has_next = rise_h5_object_type(f, "next_observations") != H5O_TYPE_UNKNOWN;
    L->has_timeouts = rise_h5_object_type(f, "timeouts") != H5O_TYPE_UNKNOWN;
    const char *names[] = {"actions", "rewards", "terminals", "timeouts", "next_observations"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i) {
        if (i == 3 && !L->has_timeouts) continue;
        if (i == 4 && !L->has_next) continue;
        RISE_TRY(rows_of(f, names[i], file, &rows, &info));
        if (rows != L->N)
            return rise_error(RISE_ERR_FORMAT,
                              "%s: '%s' has %lld rows but 'observations' has %lld (expected the "
                              "same length)",
                              file, names[i], (long long)rows, (long long)L->N);
        if ((i == 1 || i == 2 || i == 3) &&
            !(info.rank == 1 || (info.rank == 2 && info.dims[1] == 1)))
            return rise_error(RISE_ERR_FORMAT, "%s: '%s' has shape %s, expected (%lld,)", file,
                              names[i], rise_h5_shape_str(&info, buf, sizeof buf), (long long)L->N);
        if (i == 4) {
            int64_t per = 1;
            for (int d = 1; d < info.rank; ++d) per *= (int64_t)info.dims[d];
            if (info.rank != L->obs_ndim + 1 || per != L->obs_dim)
                return rise_error(RISE_ERR_FORMAT,
                                  "%s: 'next_observations' has shape %s, expected the shape of "
                                  "'observations'",
                                  file, rise_h5_shape_str(&info, buf, sizeof buf));
        }
    }
    return RISE_OK;
}

/* Episode boundaries from terminals | timeouts. */
static rise_status d4rl_episodes(hid_t f, const char *file, const d4rl_layout *L,
                                 rise_demo_list *out) {
    float *term = malloc((size_t)L->N * sizeof *term);
    float *tout = malloc((size_t)L->N * sizeof *tout);
    uint8_t *flag = malloc((size_t)L->N);
    uint8_t *flag2 = malloc((size_t)L->N);
    rise_status st = RISE_OK;
    if (!term || !tout || !flag || !flag2) {
        st = rise_error(RISE_ERR_NOMEM, "out of memory");
        goto done;
    }
    st = rise_read_vector(f, "terminals", file, "terminals", L->N, term);
    if (st == RISE_OK) st = rise_read_flags(term, flag, L->N, file, "terminals");
    if (st == RISE_OK && L->has_timeouts) {
        st = rise_read_vector(f, "timeouts", file, "timeouts", L->N, tout);
        if (st == RISE_OK) st = rise_read_flags(tout, flag2, L->N, file, "timeouts");
        for (int64_t i = 0; st == RISE_OK && i < L->N; ++i) flag[i] |= flag2[i];
    }
    if (st != RISE_OK) goto done;
    int64_t n_ep = 0;
    for (int64_t i = 0; i < L->N; ++i)
        if (flag[i] || i == L->N - 1) ++n_ep;
    out->demos = calloc((size_t)n_ep, sizeof *out->demos);
    if (!out->demos) {
        st = rise_error(RISE_ERR_NOMEM, "out of memory");
        goto done;
    }
    int64_t start = 0;
    for (int64_t i = 0; i < L->N; ++i)
        if (flag[i] || i == L->N - 1) {
            rise_demo *d = &out->demos[out->n_demos];
            d->id = out->n_demos;
            snprintf(d->name, sizeof d->name, "episode_%lld", (long long)d->id);
            d->start = start;
            d->length = i + 1 - start;
            start = i + 1;
            out->n_demos++;
        }
    out->n = L->N;
done:
    free(term);
    free(tout);
    free(flag);
    free(flag2);
    return st;
}

rise_status rise_d4rl_list_fid(hid_t f, const char *file, rise_demo_list *out) {
    d4rl_layout L;
    RISE_TRY(d4rl_layout_of(f, file, &L));
    return d4rl_episodes(f, file, &L, out);
}

rise_status rise_d4rl_read_fid(hid_t f, const char *file, const rise_read_opts *o,
                               rise_episodes *e) {
    d4rl_layout L;
    rise_demo_list list = {0};
    RISE_TRY(d4rl_layout_of(f, file, &L));
    RISE_TRY(d4rl_episodes(f, file, &L, &list));
    float *tmp = NULL;
    rise_status st = rise_read_check_select(o, list.n_demos, file);
    if (st != RISE_OK) goto done;
    {
        const char *key = "observations";
        for (int i = 0; i < o->n_obs_keys; ++i)
            if (strcmp(o->obs_keys[i], key) != 0) {
                st = rise_error(RISE_ERR_INVALID,
                                "%s: observation key '%s' does not exist (D4RL files have one "
                                "key: 'observations')",
                                file, o->obs_keys[i]);
                goto done;
            }
        if (!o->allow_images && rise_read_is_image(L.obs_ndim, L.obs_u8)) {
            char buf[128];
            rise_h5_info info;
            st = rise_h5_dataset_info(f, "observations", file, "observations", &info);
            if (st == RISE_OK)
                st = rise_error(RISE_ERR_INVALID,
                                "%s: 'observations' has shape %s (%s): image observations are "
                                "read from robomimic files only (D4RL files hold one flat "
                                "observation array)",
                                file, rise_h5_shape_str(&info, buf, sizeof buf), info.type_name);
            goto done;
        }
        const int64_t *shapes[1] = {L.obs_shape};
        st = rise_episodes_set_keys(e, 1, &key, &L.obs_ndim, shapes);
        if (st != RISE_OK) goto done;
        e->keys[0].image = rise_read_is_image(L.obs_ndim, L.obs_u8);
    }
    e->act_dim = L.act_dim;
    int64_t n_sel = 0, total = 0;
    for (int64_t i = 0; i < list.n_demos; ++i)
        if (!o->select || o->select[i]) {
            list.demos[n_sel] = list.demos[i];
            total += list.demos[i].length;
            n_sel++;
        }
    if (n_sel == 0) {
        st = rise_error(RISE_ERR_INVALID, "%s: no episodes selected", file);
        goto done;
    }
    st = rise_read_check_budget(e, total, o->max_bytes, 0, file);
    if (st == RISE_OK) st = rise_episodes_alloc(e, n_sel, total);
    tmp = malloc((size_t)(total ? total : 1) * sizeof *tmp);
    if (st == RISE_OK && !tmp) st = rise_error(RISE_ERR_NOMEM, "out of memory");
    if (st != RISE_OK) goto done;
    int64_t row = 0;
    /* One read per run of consecutive selected episodes. */
    for (int64_t i = 0; i < n_sel && st == RISE_OK;) {
        int64_t j = i + 1;
        while (j < n_sel &&
               list.demos[j].start == list.demos[j - 1].start + list.demos[j - 1].length)
            ++j;
        const int64_t r0 = list.demos[i].start;
        const int64_t n = list.demos[j - 1].start + list.demos[j - 1].length - r0;
        for (int64_t k = i; k < j; ++k) {
            e->demos[k] = list.demos[k];
            e->demos[k].start = row + (list.demos[k].start - r0);
        }
        st = read_rows(f, "observations", file, r0, n, L.obs_dim, e->obs + row * L.obs_dim);
        if (st == RISE_OK && L.has_next)
            st = read_rows(f, "next_observations", file, r0, n, L.obs_dim,
                           e->next_obs + row * L.obs_dim);
        if (st == RISE_OK)
            st = read_rows(f, "actions", file, r0, n, L.act_dim, e->actions + row * L.act_dim);
        if (st == RISE_OK) st = read_rows(f, "rewards", file, r0, n, 1, e->rewards + row);
        if (st == RISE_OK) st = read_rows(f, "terminals", file, r0, n, 1, tmp);
        if (st == RISE_OK) st = rise_read_flags(tmp, e->dones + row, n, file, "terminals");
        if (st == RISE_OK && !o->allow_nonfinite) {
            st = rise_read_check_finite(e->obs + row * L.obs_dim, n, L.obs_dim, r0, file,
                                        "observations");
            if (st == RISE_OK && L.has_next)
                st = rise_read_check_finite(e->next_obs + row * L.obs_dim, n, L.obs_dim, r0, file,
                                            "next_observations");
            if (st == RISE_OK)
                st = rise_read_check_finite(e->actions + row * L.act_dim, n, L.act_dim, r0, file,
                                            "actions");
            if (st == RISE_OK)
                st = rise_read_check_finite(e->rewards + row, n, 1, r0, file, "rewards");
        }
        row += n;
        i = j;
    }
    if (st == RISE_OK && !L.has_next)
        for (int64_t d = 0; d < e->n_demos; ++d) rise_episodes_derive_next_obs(e, d);
done:
    free(tmp);
    rise_demo_list_free(&list);
    return st;
}
