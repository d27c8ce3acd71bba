/* info.c - dataset summaries for `rise data info` (see info.h). */
#include "info.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void rise_value_stats_compute(rise_value_stats *s, const float *x, int64_t rows, int64_t cols,
                              int64_t stride) {
    memset(s, 0, sizeof *s);
    s->min = INFINITY;
    s->max = -INFINITY;
    double sum = 0;
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
            const float v = x[r * stride + c];
            if (isnan(v)) {
                s->nan++;
            } else if (isinf(v)) {
                s->inf++;
            } else {
                s->finite++;
                sum += v;
                if (v < s->min) s->min = v;
                if (v > s->max) s->max = v;
            }
        }
    s->mean = s->finite ? sum / (double)s->finite : NAN;
    if (!s->finite) s->min = s->max = NAN;
}

int64_t rise_episodes_count_nonfinite(const rise_episodes *e) {
    rise_value_stats s;
    int64_t bad = 0;
    rise_value_stats_compute(&s, e->obs, e->n, e->obs_dim, e->obs_dim);
    bad += s.nan + s.inf;
    rise_value_stats_compute(&s, e->next_obs, e->n, e->obs_dim, e->obs_dim);
    bad += s.nan + s.inf;
    rise_value_stats_compute(&s, e->actions, e->n, e->act_dim, e->act_dim);
    bad += s.nan + s.inf;
    rise_value_stats_compute(&s, e->rewards, e->n, 1, 1);
    bad += s.nan + s.inf;
    return bad;
}

static void shape_text(char *buf, size_t n, int ndim, const int64_t *shape) {
    size_t u = (size_t)snprintf(buf, n, "(N");
    for (int d = 0; d < ndim && u < n; ++d)
        u += (size_t)snprintf(buf + u, n - u, ", %lld", (long long)shape[d]);
    if (u < n) snprintf(buf + u, n - u, ndim ? ")" : ",)");
}

static void row(FILE *out, const char *name, const char *shape, const rise_value_stats *s) {
    fprintf(out, "  %-34s %-12s %12.5g %12.5g %12.5g %6lld %6lld\n", name, shape, s->min, s->max,
            s->mean, (long long)s->nan, (long long)s->inf);
}

static void matrix_rows(FILE *out, const char *name, const char *shape, const float *x, int64_t n,
                        int64_t cols, int64_t stride, int per_dim) {
    rise_value_stats s;
    rise_value_stats_compute(&s, x, n, cols, stride);
    row(out, name, shape, &s);
    if (!per_dim || cols <= 1) return;
    for (int64_t c = 0; c < cols; ++c) {
        char label[RISE_NAME_MAX + 32];
        snprintf(label, sizeof label, "    [%lld]", (long long)c);
        rise_value_stats_compute(&s, x + c, n, 1, stride);
        row(out, label, "", &s);
    }
}

/* env_args on whole lines: the fields naming the environment first, then env_kwargs (and any
 * other field) in compact JSON, or only its field names when long, so nothing is cut in the
 * middle of a value; `whole` prints the JSON as it is, pretty. */
static void print_env_args(FILE *out, const char *text, int whole) {
    cJSON *j = cJSON_Parse(text);
    if (!j || whole) {
        char *pretty = j ? cJSON_Print(j) : NULL;
        fprintf(out, "env_args:    %s\n", pretty ? pretty : text);
        free(pretty);
        cJSON_Delete(j);
        return;
    }
    fprintf(out, "env_args:    ");
    int first = 1;
    static const char *const head[] = {"env_name", "type", "env_version"};
    for (size_t i = 0; i < sizeof head / sizeof head[0]; ++i) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, head[i]);
        char *t = v ? cJSON_PrintUnformatted(v) : NULL;
        if (t) fprintf(out, "%s%s %s", first ? "" : ", ", head[i], t);
        first &= !t;
        free(t);
    }
    if (!j->child) fprintf(out, "{} (names no environment)");
    fprintf(out, "\n");
    for (const cJSON *f = j->child; f; f = f->next) {
        int is_head = 0;
        for (size_t i = 0; i < sizeof head / sizeof head[0]; ++i)
            is_head |= !strcmp(f->string, head[i]);
        if (is_head) continue;
        char *t = cJSON_PrintUnformatted(f);
        if (t && strlen(t) <= 200) {
            fprintf(out, "             %s: %s\n", f->string, t);
        } else if (cJSON_IsObject(f)) {
            int n = 0;
            for (const cJSON *c = f->child; c; c = c->next) ++n;
            fprintf(out, "             %s: %d fields:", f->string, n);
            size_t width = 0;
            for (const cJSON *c = f->child; c; c = c->next) {
                if (width > 60) {
                    fprintf(out, " ...");
                    break;
                }
                width += (size_t)fprintf(out, "%s %s", c == f->child ? "" : ",", c->string);
            }
            fprintf(out, " (--env-args prints them whole)\n");
        } else {
            fprintf(out, "             %s: %zu characters of JSON (--env-args prints it whole)\n",
                    f->string, t ? strlen(t) : 0);
        }
        free(t);
    }
    cJSON_Delete(j);
}

rise_status rise_data_info(const char *path, const rise_info_opts *opts, FILE *out) {
    rise_info_opts def = {0};
    if (!opts) opts = &def;
    rise_read_opts o;
    rise_read_opts_default(&o);
    o.allow_nonfinite = 1;
    o.allow_images = 1;
    o.filter_key = opts->filter_key;
    o.format = opts->format;
    rise_format fmt = opts->format;
    if (fmt == RISE_FORMAT_AUTO) RISE_TRY(rise_detect_format(path, &fmt));
    rise_episodes e;
    RISE_TRY(rise_episodes_load(path, &o, &e));
    int64_t lmin = INT64_MAX, lmax = 0;
    for (int64_t d = 0; d < e.n_demos; ++d) {
        if (e.demos[d].length < lmin) lmin = e.demos[d].length;
        if (e.demos[d].length > lmax) lmax = e.demos[d].length;
    }
    fprintf(out, "file:        %s\n", path);
    fprintf(out, "format:      %s\n", rise_format_name(fmt));
    if (e.env_args) print_env_args(out, e.env_args, opts->env_args_whole);
    fprintf(out, "demos:       %lld (%s .. %s)%s%s\n", (long long)e.n_demos, e.demos[0].name,
            e.demos[e.n_demos - 1].name, opts->filter_key ? " selected by filter key " : "",
            opts->filter_key ? opts->filter_key : "");
    fprintf(out, "transitions: %lld (demo length min %lld, mean %.1f, max %lld)\n", (long long)e.n,
            (long long)lmin, (double)e.n / (double)e.n_demos, (long long)lmax);
    /* image-shaped keys are read flat here; training reads them as cameras, not obs values */
    int64_t img_dim = 0;
    int n_img = 0;
    for (int k = 0; k < e.n_keys; ++k)
        if (e.keys[k].image) img_dim += e.keys[k].dim, ++n_img;
    fprintf(out, "obs dim:     %lld (%d key%s", (long long)(e.obs_dim - img_dim), e.n_keys - n_img,
            e.n_keys - n_img == 1 ? "" : "s");
    if (n_img) fprintf(out, "; and %d image key%s, below", n_img, n_img == 1 ? "" : "s");
    fprintf(out, "), action dim %lld, state dim %lld\n", (long long)e.act_dim,
            (long long)e.state_dim);
    if (e.n_masks) {
        fprintf(out, "filter keys:");
        for (int m = 0; m < e.n_masks; ++m)
            fprintf(out, "%s %s (%lld demo%s)", m ? "," : "", e.masks[m].name,
                    (long long)e.masks[m].count, e.masks[m].count == 1 ? "" : "s");
        fprintf(out, "\n");
    } else {
        fprintf(out, "filter keys: none\n");
    }
    fprintf(out, "\n  %-34s %-12s %12s %12s %12s %6s %6s\n", "dataset", "shape", "min", "max",
            "mean", "NaN", "Inf");
    char name[RISE_NAME_MAX + 16], shape[64];
    for (int pass = 0; pass < 2; ++pass)
        for (int k = 0; k < e.n_keys; ++k) {
            const rise_obs_key *key = &e.keys[k];
            snprintf(name, sizeof name, "%s/%s", pass ? "next_obs" : "obs", key->name);
            shape_text(shape, sizeof shape, key->ndim, key->shape);
            matrix_rows(out, name, shape, (pass ? e.next_obs : e.obs) + key->offset, e.n, key->dim,
                        e.obs_dim, opts->per_dim);
        }
    snprintf(shape, sizeof shape, "(N, %lld)", (long long)e.act_dim);
    matrix_rows(out, "actions", shape, e.actions, e.n, e.act_dim, e.act_dim, opts->per_dim);
    matrix_rows(out, "rewards", "(N,)", e.rewards, e.n, 1, 1, 0);
    int64_t dones = 0;
    for (int64_t i = 0; i < e.n; ++i) dones += e.dones[i];
    fprintf(out, "  %-34s %-12s %lld of %lld set\n", "dones", "(N,)", (long long)dones,
            (long long)e.n);
    if (e.state_dim > 0) {
        double smin = INFINITY, smax = -INFINITY, ssum = 0;
        int64_t snan = 0, sinf = 0, finite = 0;
        for (int64_t i = 0; i < e.n * e.state_dim; ++i) {
            const double v = e.states[i];
            if (isnan(v))
                ++snan;
            else if (isinf(v))
                ++sinf;
            else
                smin = v < smin ? v : smin, smax = v > smax ? v : smax, ssum += v, ++finite;
        }
        snprintf(shape, sizeof shape, "(N, %lld)", (long long)e.state_dim);
        fprintf(out, "  %-34s %-12s %12.5g %12.5g %12.5g %6lld %6lld\n", "states", shape, smin,
                smax, finite ? ssum / (double)finite : NAN, (long long)snan, (long long)sinf);
    }
    char images[512] = "";
    size_t used = 0;
    for (int k = 0; k < e.n_keys && used < sizeof images; ++k)
        if (e.keys[k].image)
            used += (size_t)snprintf(images + used, sizeof images - used, "%s%s", used ? ", " : "",
                                     e.keys[k].name);
    if (used)
        fprintf(out,
                "\nimage-shaped keys (training reads uint8 (H, W, C) keys as camera frames; "
                "others it refuses): %s\n",
                images);
    const int64_t bad = rise_episodes_count_nonfinite(&e);
    if (bad)
        fprintf(out, "\nwarning: %lld NaN/Inf values: training would refuse this file\n",
                (long long)bad);
    rise_episodes_free(&e);
    return RISE_OK;
}
