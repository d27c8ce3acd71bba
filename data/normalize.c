/* normalize.c - fitting, applying, saving and loading normalisation statistics. */
#include "normalize.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/h5util.h"

const char *rise_norm_mode_name(rise_norm_mode m) {
    switch (m) {
    case RISE_NORM_NONE: return "none";
    case RISE_NORM_MINMAX: return "minmax";
    case RISE_NORM_GAUSSIAN: return "gaussian";
    }
    return "unknown";
}

int rise_norm_mode_parse(const char *s, rise_norm_mode *m) {
    for (int i = 0; i <= RISE_NORM_GAUSSIAN; ++i)
        if (strcmp(s, rise_norm_mode_name((rise_norm_mode)i)) == 0) {
            *m = (rise_norm_mode)i;
            return 1;
        }
    return 0;
}

rise_status rise_norm_acc_init(rise_norm_acc *a, int64_t dim) {
    memset(a, 0, sizeof *a);
    a->dim = dim;
    const size_t n = (size_t)(dim ? dim : 1);
    a->sum = calloc(n, sizeof(double));
    a->sumsq = calloc(n, sizeof(double));
    a->min = malloc(n * sizeof(double));
    a->max = malloc(n * sizeof(double));
    if (!a->sum || !a->sumsq || !a->min || !a->max) {
        rise_norm_acc_free(a);
        return rise_error(RISE_ERR_NOMEM, "out of memory for normalisation statistics");
    }
    for (int64_t j = 0; j < dim; ++j) {
        a->min[j] = INFINITY;
        a->max[j] = -INFINITY;
    }
    return RISE_OK;
}

void rise_norm_acc_add(rise_norm_acc *a, const float *x, int64_t rows) {
    for (int64_t i = 0; i < rows; ++i) {
        const float *r = x + i * a->dim;
        for (int64_t j = 0; j < a->dim; ++j) {
            const double v = r[j];
            a->sum[j] += v;
            a->sumsq[j] += v * v;
            if (v < a->min[j]) a->min[j] = v;
            if (v > a->max[j]) a->max[j] = v;
        }
    }
    a->count += rows;
}

void rise_norm_acc_merge(rise_norm_acc *into, const rise_norm_acc *from) {
    RISE_ASSERT(into->dim == from->dim, "merging accumulators of dims %lld and %lld",
                (long long)into->dim, (long long)from->dim);
    for (int64_t j = 0; j < into->dim; ++j) {
        into->sum[j] += from->sum[j];
        into->sumsq[j] += from->sumsq[j];
        if (from->min[j] < into->min[j]) into->min[j] = from->min[j];
        if (from->max[j] > into->max[j]) into->max[j] = from->max[j];
    }
    into->count += from->count;
}

void rise_norm_acc_free(rise_norm_acc *a) {
    free(a->sum);
    free(a->sumsq);
    free(a->min);
    free(a->max);
    memset(a, 0, sizeof *a);
}

/* The i-th array of the obs (obs = 1) or action (obs = 0) side, in the
 * order of field_names: shift, scale, mean, std, min, max. */
static float **field(rise_norm_stats *s, int obs, int i) {
    float **o[6] = {&s->obs_shift, &s->obs_scale, &s->obs_mean,
                    &s->obs_std,   &s->obs_min,   &s->obs_max};
    float **a[6] = {&s->act_shift, &s->act_scale, &s->act_mean,
                    &s->act_std,   &s->act_min,   &s->act_max};
    return obs ? o[i] : a[i];
}

static const char *const field_names[2][6] = {
    {"act_shift", "act_scale", "act_mean", "act_std", "act_min", "act_max"},
    {"obs_shift", "obs_scale", "obs_mean", "obs_std", "obs_min", "obs_max"}};

void rise_norm_free(rise_norm_stats *s) {
    for (int o = 0; o < 2; ++o)
        for (int i = 0; i < 6; ++i) free(*field(s, o, i));
    memset(s, 0, sizeof *s);
}

rise_status rise_norm_init(rise_norm_stats *s, int64_t obs_dim, int64_t act_dim) {
    memset(s, 0, sizeof *s);
    s->obs_dim = obs_dim;
    s->act_dim = act_dim;
    for (int o = 0; o < 2; ++o) {
        const int64_t dim = o ? obs_dim : act_dim;
        for (int i = 0; i < 6; ++i) {
            *field(s, o, i) = calloc((size_t)(dim ? dim : 1), sizeof(float));
            if (!*field(s, o, i)) {
                rise_norm_free(s);
                return rise_error(RISE_ERR_NOMEM, "out of memory for normalisation statistics");
            }
        }
        float *scale = *field(s, o, 1), *std = *field(s, o, 3);
        for (int64_t j = 0; j < dim; ++j) scale[j] = std[j] = 1.0f;
    }
    return RISE_OK;
}

rise_status rise_norm_copy(rise_norm_stats *dst, const rise_norm_stats *src) {
    RISE_TRY(rise_norm_init(dst, src->obs_dim, src->act_dim));
    dst->obs_mode = src->obs_mode;
    dst->act_mode = src->act_mode;
    dst->count = src->count;
    for (int o = 0; o < 2; ++o) {
        const int64_t dim = o ? src->obs_dim : src->act_dim;
        for (int i = 0; i < 6; ++i)
            memcpy(*field(dst, o, i), *field((rise_norm_stats *)src, o, i),
                   (size_t)dim * sizeof(float));
    }
    return RISE_OK;
}

static void fit_one(const rise_norm_acc *a, rise_norm_mode mode, float *shift, float *scale,
                    float *mean, float *std, float *mn, float *mx) {
    for (int64_t j = 0; j < a->dim; ++j) {
        const double n = a->count > 0 ? (double)a->count : 1.0;
        const double m = a->sum[j] / n;
        double var = a->sumsq[j] / n - m * m;
        if (var < 0) var = 0; /* rounding */
        const double sd = sqrt(var);
        mean[j] = (float)m;
        std[j] = (float)sd;
        mn[j] = a->count ? (float)a->min[j] : 0.0f;
        mx[j] = a->count ? (float)a->max[j] : 0.0f;
        switch (mode) {
        case RISE_NORM_MINMAX: {
            const double range = a->max[j] - a->min[j];
            shift[j] = a->count ? (float)(0.5 * (a->max[j] + a->min[j])) : 0.0f;
            scale[j] = a->count && range >= RISE_NORM_RANGE_EPS ? (float)(0.5 * range) : 1.0f;
            break;
        }
        case RISE_NORM_GAUSSIAN:
            shift[j] = (float)m;
            scale[j] = sd >= RISE_NORM_RANGE_EPS ? (float)sd : 1.0f;
            break;
        default:
            shift[j] = 0.0f;
            scale[j] = 1.0f;
            break;
        }
    }
}

rise_status rise_norm_fit(rise_norm_stats *s, const rise_norm_acc *obs, const rise_norm_acc *act,
                          rise_norm_mode obs_mode, rise_norm_mode act_mode) {
    RISE_TRY(rise_norm_init(s, obs->dim, act->dim));
    s->obs_mode = obs_mode;
    s->act_mode = act_mode;
    s->count = obs->count;
    fit_one(obs, obs_mode, s->obs_shift, s->obs_scale, s->obs_mean, s->obs_std, s->obs_min,
            s->obs_max);
    fit_one(act, act_mode, s->act_shift, s->act_scale, s->act_mean, s->act_std, s->act_min,
            s->act_max);
    return RISE_OK;
}

rise_status rise_norm_fit_arrays(rise_norm_stats *s, const float *obs, const float *actions,
                                 int64_t n, int64_t obs_dim, int64_t act_dim,
                                 rise_norm_mode obs_mode, rise_norm_mode act_mode) {
    rise_norm_acc ao, aa;
    RISE_TRY(rise_norm_acc_init(&ao, obs_dim));
    rise_status st = rise_norm_acc_init(&aa, act_dim);
    if (st != RISE_OK) {
        rise_norm_acc_free(&ao);
        return st;
    }
    rise_norm_acc_add(&ao, obs, n);
    rise_norm_acc_add(&aa, actions, n);
    st = rise_norm_fit(s, &ao, &aa, obs_mode, act_mode);
    rise_norm_acc_free(&ao);
    rise_norm_acc_free(&aa);
    return st;
}

static void apply(float *x, int64_t n, int64_t dim, const float *shift, const float *scale,
                  int inverse) {
    for (int64_t i = 0; i < n; ++i) {
        float *r = x + i * dim;
        if (inverse)
            for (int64_t j = 0; j < dim; ++j) r[j] = r[j] * scale[j] + shift[j];
        else
            for (int64_t j = 0; j < dim; ++j) r[j] = (r[j] - shift[j]) / scale[j];
    }
}

void rise_norm_apply_obs(const rise_norm_stats *s, float *obs, int64_t n) {
    apply(obs, n, s->obs_dim, s->obs_shift, s->obs_scale, 0);
}
void rise_norm_unapply_obs(const rise_norm_stats *s, float *obs, int64_t n) {
    apply(obs, n, s->obs_dim, s->obs_shift, s->obs_scale, 1);
}
void rise_norm_apply_actions(const rise_norm_stats *s, float *act, int64_t n) {
    apply(act, n, s->act_dim, s->act_shift, s->act_scale, 0);
}
void rise_norm_unapply_actions(const rise_norm_stats *s, float *act, int64_t n) {
    apply(act, n, s->act_dim, s->act_shift, s->act_scale, 1);
}

rise_status rise_norm_save(const rise_norm_stats *s, hid_t loc, const char *name) {
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    rise_status st = RISE_OK;
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) {
        st = rise_error(RISE_ERR_IO, "cannot create group '%s' for normalisation statistics", name);
        goto out;
    }
    st = rise_h5_write_attr_string(g, "obs_mode", rise_norm_mode_name(s->obs_mode), name);
    if (st == RISE_OK)
        st = rise_h5_write_attr_string(g, "act_mode", rise_norm_mode_name(s->act_mode), name);
    if (st == RISE_OK) st = rise_h5_write_attr_i64(g, "count", s->count, name);
    for (int o = 0; o < 2 && st == RISE_OK; ++o) {
        const hsize_t dim = (hsize_t)(o ? s->obs_dim : s->act_dim);
        for (int i = 0; i < 6 && st == RISE_OK; ++i)
            st = rise_h5_write_f32(g, field_names[o][i], 1, &dim,
                                   *field((rise_norm_stats *)s, o, i), name);
    }
    H5Gclose(g);
out:
    rise_h5_quiet_end(&q);
    return st;
}

static rise_status load_impl(rise_norm_stats *s, hid_t loc, const char *name, const char *file) {
    char where[512];
    memset(s, 0, sizeof *s);
    if (rise_h5_object_type(loc, name) != H5O_TYPE_GROUP)
        return rise_error(RISE_ERR_FORMAT, "%s: missing group '%s' (normalisation statistics)",
                          file, name);
    hid_t g = H5Gopen2(loc, name, H5P_DEFAULT);
    if (g < 0) return rise_error(RISE_ERR_FORMAT, "%s: cannot open '%s'", file, name);
    rise_h5_info oi, ai;
    char *om = NULL, *am = NULL;
    int64_t count = 0;
    snprintf(where, sizeof where, "%s/obs_shift", name);
    rise_status st = rise_h5_dataset_info(g, "obs_shift", file, where, &oi);
    snprintf(where, sizeof where, "%s/act_shift", name);
    if (st == RISE_OK) st = rise_h5_dataset_info(g, "act_shift", file, where, &ai);
    if (st == RISE_OK && (oi.rank != 1 || ai.rank != 1))
        st = rise_error(RISE_ERR_FORMAT, "%s: '%s/obs_shift' and 'act_shift' must be 1-D", file,
                        name);
    if (st == RISE_OK) st = rise_h5_read_attr_string(g, "obs_mode", file, name, &om);
    if (st == RISE_OK) st = rise_h5_read_attr_string(g, "act_mode", file, name, &am);
    if (st == RISE_OK) st = rise_h5_read_attr_i64(g, "count", file, name, &count);
    if (st == RISE_OK) st = rise_norm_init(s, (int64_t)oi.dims[0], (int64_t)ai.dims[0]);
    if (st == RISE_OK &&
        (!rise_norm_mode_parse(om, &s->obs_mode) || !rise_norm_mode_parse(am, &s->act_mode)))
        st = rise_error(RISE_ERR_FORMAT,
                        "%s: '%s' modes are '%s'/'%s', expected none, minmax or gaussian", file,
                        name, om, am);
    s->count = count;
    for (int o = 0; o < 2 && st == RISE_OK; ++o) {
        const size_t dim = (size_t)(o ? s->obs_dim : s->act_dim);
        float *p[6];
        for (int i = 0; i < 6; ++i) p[i] = *field(s, o, i);
        for (int i = 0; i < 6 && st == RISE_OK; ++i) {
            snprintf(where, sizeof where, "%s/%s", name, field_names[o][i]);
            st = rise_h5_read_f32(g, field_names[o][i], file, where, p[i], dim);
        }
        for (size_t j = 0; j < dim && st == RISE_OK; ++j)
            if (!(p[1][j] > 0.0f) || !isfinite(p[1][j]) || !isfinite(p[0][j]))
                st = rise_error(RISE_ERR_FORMAT,
                                "%s: '%s/%s' element %zu is %g, expected a finite positive scale",
                                file, name, field_names[o][1], j, (double)p[1][j]);
    }
    free(om);
    free(am);
    H5Gclose(g);
    if (st != RISE_OK) rise_norm_free(s);
    return st;
}

rise_status rise_norm_load(rise_norm_stats *s, hid_t loc, const char *name, const char *file) {
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    rise_status st = load_impl(s, loc, name, file);
    rise_h5_quiet_end(&q);
    return st;
}

rise_status rise_norm_save_file(const rise_norm_stats *s, const char *path) {
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    rise_h5_quiet_end(&q);
    if (f < 0) return rise_error(RISE_ERR_IO, "%s: cannot create", path);
    rise_status st = rise_norm_save(s, f, "normalization");
    if (H5Fclose(f) < 0 && st == RISE_OK) st = rise_error(RISE_ERR_IO, "%s: close failed", path);
    return st;
}

rise_status rise_norm_load_file(rise_norm_stats *s, const char *path) {
    rise_h5_quiet q;
    hid_t f;
    rise_h5_quiet_begin(&q);
    rise_status st = rise_h5_open_read(path, &f);
    if (st == RISE_OK) {
        st = load_impl(s, f, "normalization", path);
        H5Fclose(f);
    }
    rise_h5_quiet_end(&q);
    return st;
}
