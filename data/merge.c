/* merge.c - `rise data merge`: several dataset files into one (see fileops.h).
 *
 * robomimic-layout inputs are copied object by object (HDF5's H5Ocopy), so every dataset keeps
 * its dtype, chunking and compression and every attribute comes along (robosuite's per-demo
 * model_file, ep_meta, action_dict/, MimicGen's datagen_info/, ...): the merged file is a
 * superset of its inputs. Only what merging must change is rewritten: demo names (demo_0.. in
 * input order), data.attrs total and env_args, and mask/. D4RL and Minari inputs are first
 * converted to the robomimic layout (rise's writer: float32 values). */
#include <cjson/cJSON.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileops.h"
#include "read_internal.h"
#include "host/h5copy.h"
#include "host/h5util.h"
#include "writer.h"

typedef struct {
    char name[RISE_NAME_MAX];
    int64_t count, cap;
    int64_t *demos; /* output demo indices */
} out_mask;

typedef struct {
    int n;
    out_mask *m;
} mask_set;

static rise_status mask_add(mask_set *s, const char *name, int64_t demo) {
    out_mask *m = NULL;
    for (int i = 0; i < s->n && !m; ++i)
        if (!strcmp(s->m[i].name, name)) m = &s->m[i];
    if (!m) {
        out_mask *grown = realloc(s->m, (size_t)(s->n + 1) * sizeof *grown);
        if (!grown) return rise_error(RISE_ERR_NOMEM, "out of memory");
        s->m = grown;
        m = &s->m[s->n++];
        memset(m, 0, sizeof *m);
        snprintf(m->name, sizeof m->name, "%s", name);
    }
    for (int64_t j = 0; j < m->count; ++j)
        if (m->demos[j] == demo) return RISE_OK;
    if (m->count == m->cap) {
        const int64_t cap = m->cap ? 2 * m->cap : 16;
        int64_t *grown = realloc(m->demos, (size_t)cap * sizeof *grown);
        if (!grown) return rise_error(RISE_ERR_NOMEM, "out of memory");
        m->demos = grown;
        m->cap = cap;
    }
    m->demos[m->count++] = demo;
    return RISE_OK;
}

static void mask_free(mask_set *s) {
    for (int i = 0; i < s->n; ++i) free(s->m[i].demos);
    free(s->m);
}

static void note(rise_merge_opts *o, const char *fmt, const char *a, const char *b) {
    const size_t used = strlen(o->notes);
    char line[600];
    snprintf(line, sizeof line, fmt, a, b);
    snprintf(o->notes + used, sizeof o->notes - used, "%snote: %s", used ? "\n" : "", line);
}

/* One input as the merge sees it: a robomimic-layout file (the input itself, or its
 * conversion), its selected demos, and the layout of its first one. */
typedef struct {
    const char *path;    /* what the user named (messages) */
    char *copy_from;     /* robomimic-layout file demos are copied from */
    int converted;       /* copy_from is a temporary conversion */
    rise_demo_list list; /* selected demos, in number order */
    rise_episodes first; /* the first selected demo, loaded (keys, dims, env_args) */
} merge_source;

static void source_free(merge_source *s) {
    if (s->converted && s->copy_from) remove(s->copy_from);
    free(s->copy_from);
    rise_demo_list_free(&s->list);
    rise_episodes_free(&s->first);
}

static rise_status load_first_demo(const char *path, const char *filter_key,
                                   const char *const *keys, int n_keys, int64_t n_listed,
                                   rise_episodes *e) {
    uint8_t *sel = calloc((size_t)(n_listed ? n_listed : 1), 1);
    if (!sel) return rise_error(RISE_ERR_NOMEM, "out of memory");
    sel[0] = 1;
    rise_read_opts o;
    rise_read_opts_default(&o);
    o.format = RISE_FORMAT_ROBOMIMIC;
    o.filter_key = filter_key;
    o.select = sel;
    o.n_select = n_listed;
    o.obs_keys = keys;
    o.n_obs_keys = n_keys;
    o.load_masks = 0;
    o.allow_images = 1;
    o.allow_nonfinite = 1;
    const rise_status st = rise_episodes_load(path, &o, e);
    free(sel);
    return st;
}

/* D4RL / Minari input -> a temporary robomimic-layout file next to the output. */
static rise_status convert(const rise_merge_input *in, int index, const char *out,
                           const rise_merge_opts *opts, merge_source *s) {
    rise_read_opts o;
    rise_read_opts_default(&o);
    o.filter_key = in->filter_key;
    o.obs_keys = opts->obs_keys;
    o.n_obs_keys = opts->n_obs_keys;
    o.allow_images = 1;
    rise_episodes e;
    RISE_TRY(rise_episodes_load(in->path, &o, &e));
    const size_t n = strlen(out) + 64;
    s->copy_from = malloc(n);
    rise_status st = s->copy_from ? RISE_OK : rise_error(RISE_ERR_NOMEM, "out of memory");
    if (st == RISE_OK) {
        snprintf(s->copy_from, n, "%s.tmp%ld.in%d", out, (long)getpid(), index);
        st = rise_episodes_write(&e, s->copy_from);
        s->converted = st == RISE_OK;
    }
    rise_episodes_free(&e);
    return st;
}

static rise_status open_source(const rise_merge_input *in, int index, const char *out,
                               rise_merge_opts *opts, const char *const *keys, int n_keys,
                               merge_source *s) {
    memset(s, 0, sizeof *s);
    s->path = in->path;
    rise_format fmt;
    RISE_TRY(rise_detect_format(in->path, &fmt));
    if (fmt == RISE_FORMAT_ROBOMIMIC) {
        s->copy_from = strdup(in->path);
        if (!s->copy_from) return rise_error(RISE_ERR_NOMEM, "out of memory");
    } else {
        RISE_TRY(convert(in, index, out, opts, s));
        note(opts, "%s (%s) converted to the robomimic layout (values as float32)", in->path,
             rise_format_name(fmt));
    }
    const char *filter = s->converted ? NULL : in->filter_key;
    RISE_TRY(rise_episodes_list(s->copy_from, RISE_FORMAT_ROBOMIMIC, filter, &s->list));
    if (s->list.n_demos == 0)
        return rise_error(RISE_ERR_INVALID, "%s: no demos selected%s%s", in->path,
                          filter ? " by filter key " : "", filter ? filter : "");
    rise_status st =
        load_first_demo(s->copy_from, filter, keys, n_keys, s->list.n_demos, &s->first);
    if (st != RISE_OK && s->converted) {
        /* Name the user's file, not the temporary conversion. */
        char old[1536];
        snprintf(old, sizeof old, "%s", rise_last_error());
        st = rise_error(st, "%s (converted from %s)", old, in->path);
    }
    return st;
}

/* The fields of env_args that say which environment made the data. */
static const char *const env_identity[] = {"env_name", "type", "env_kwargs"};

static int same_field(const cJSON *a, const cJSON *b, const char *name) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, name);
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, name);
    /* No env_kwargs and {} both mean the environment's defaults. */
    const int kw = !strcmp(name, "env_kwargs");
    if (kw && !x && cJSON_IsObject(y) && !y->child) return 1;
    if (kw && !y && cJSON_IsObject(x) && !x->child) return 1;
    if (!x || !y) return !x && !y;
    return cJSON_Compare(x, y, 1);
}

/* Where two env_args differ on the environment, in words: "env_name 'a' vs 'b'", or the first
 * env_kwargs field that differs. */
static void describe_difference(const cJSON *a, const cJSON *b, char *buf, size_t n) {
    for (size_t f = 0; f < 2; ++f) {
        const char *name = env_identity[f];
        if (same_field(a, b, name)) continue;
        char *x = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(a, name));
        char *y = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(b, name));
        snprintf(buf, n, "%s %.100s vs %.100s", name, x ? x : "(none)", y ? y : "(none)");
        free(x);
        free(y);
        return;
    }
    const cJSON *ka = cJSON_GetObjectItemCaseSensitive(a, "env_kwargs");
    const cJSON *kb = cJSON_GetObjectItemCaseSensitive(b, "env_kwargs");
    snprintf(buf, n, "env_kwargs %s vs %s", ka ? "given" : "(none)", kb ? "given" : "(none)");
    for (const cJSON *f = ka ? ka->child : NULL; f; f = f->next) {
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(kb, f->string);
        if (g && cJSON_Compare(f, g, 1)) continue;
        char *x = cJSON_PrintUnformatted(f), *y = g ? cJSON_PrintUnformatted(g) : NULL;
        snprintf(buf, n, "env_kwargs.%s %.100s vs %.100s", f->string, x ? x : "?",
                 y ? y : "(none)");
        free(x);
        free(y);
        return;
    }
    for (const cJSON *g = kb ? kb->child : NULL; g; g = g->next)
        if (!cJSON_GetObjectItemCaseSensitive(ka, g->string)) {
            snprintf(buf, n, "env_kwargs.%s (none) vs present", g->string);
            return;
        }
}

/* The merged env_args: the first input's, checked against the others on the fields that name
 * the environment; other fields (e.g. how a generator made each file) are kept only where
 * every input agrees. NULL env_args everywhere gives "{}". */
static rise_status merge_env_args(const merge_source *s, int n, const rise_merge_opts *opts,
                                  rise_merge_opts *notes, char **out) {
    *out = NULL;
    cJSON **args = calloc((size_t)n, sizeof *args);
    if (!args) return rise_error(RISE_ERR_NOMEM, "out of memory");
    rise_status st = RISE_OK;
    for (int i = 0; i < n; ++i)
        args[i] = s[i].first.env_args ? cJSON_Parse(s[i].first.env_args) : cJSON_CreateObject();
    for (int i = 1; i < n && st == RISE_OK; ++i) {
        int same = 1;
        for (size_t f = 0; f < sizeof env_identity / sizeof env_identity[0]; ++f)
            same &= same_field(args[0], args[i], env_identity[f]);
        if (!same && !opts->allow_env_mismatch) {
            char diff[320];
            describe_difference(args[i], args[0], diff, sizeof diff);
            st = rise_error(RISE_ERR_FORMAT,
                            "%s: env_args describe another environment than %s's: %s (different "
                            "tasks?); pass --allow-env-mismatch to merge anyway and keep the "
                            "first file's",
                            s[i].path, s[0].path, diff);
        }
    }
    if (st == RISE_OK && args[0]) {
        cJSON *merged = cJSON_Duplicate(args[0], 1);
        for (const cJSON *f = args[0]->child; merged && f; f = f->next) {
            int identity = 0;
            for (size_t k = 0; k < sizeof env_identity / sizeof env_identity[0]; ++k)
                identity |= !strcmp(f->string, env_identity[k]);
            int everywhere = 1;
            for (int i = 1; i < n; ++i) everywhere &= same_field(args[0], args[i], f->string);
            if (!identity && !everywhere) {
                cJSON_DeleteItemFromObjectCaseSensitive(merged, f->string);
                note(notes, "env_args field '%s' differs between the inputs%s; left out", f->string,
                     "");
            }
        }
        *out = merged ? cJSON_PrintUnformatted(merged) : NULL;
        cJSON_Delete(merged);
        if (!*out) st = rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < n; ++i) cJSON_Delete(args[i]);
    free(args);
    return st;
}

typedef struct {
    hid_t out_data;
    const char *out_path;
    const rise_episodes *layout; /* chosen keys, action and state dims */
    int keep_states;
} copy_plan;

/* obs/ or next_obs/ of one demo, restricted to the chosen keys (attributes kept). */
static rise_status copy_obs_group(hid_t src_demo, hid_t dst_demo, const char *grp,
                                  const copy_plan *p, const char *file, const char *demo) {
    char where[RISE_NAME_MAX * 2 + 32];
    snprintf(where, sizeof where, "data/%s/%s", demo, grp);
    hid_t sg = H5Gopen2(src_demo, grp, H5P_DEFAULT);
    if (sg < 0) return rise_error(RISE_ERR_FORMAT, "%s: cannot open group '%s'", file, where);
    hid_t dg = rise_h5_group_create(dst_demo, grp);
    rise_status st =
        dg < 0 ? rise_error(RISE_ERR_IO, "%s: cannot create group '%s'", p->out_path, where)
               : rise_h5_copy_attrs(sg, dg, NULL, 0, file, where);
    for (int k = 0; st == RISE_OK && k < p->layout->n_keys; ++k) {
        const char *key = p->layout->keys[k].name;
        char kw[sizeof where + RISE_NAME_MAX + 2];
        snprintf(kw, sizeof kw, "%s/%s", where, key);
        if (H5Lexists(sg, key, H5P_DEFAULT) <= 0) {
            if (!strcmp(grp, "next_obs")) continue; /* readers derive it from obs */
            st = rise_error(RISE_ERR_FORMAT,
                            "%s: missing dataset '%s' (observation key '%s' is in the first "
                            "demo, so every demo must have it)",
                            file, kw, key);
            break;
        }
        st = rise_h5_copy_object(sg, key, dg, key, file, kw);
    }
    if (dg >= 0) H5Gclose(dg);
    H5Gclose(sg);
    return st;
}

/* The shape of data/<demo>/<name> must be (rows, cols). */
static rise_status check_rows(hid_t demo, const char *name, int64_t rows, int64_t cols,
                              const char *file, const char *demo_name) {
    char where[RISE_NAME_MAX + 64], buf[128];
    snprintf(where, sizeof where, "data/%s/%s", demo_name, name);
    rise_h5_info info;
    RISE_TRY(rise_h5_dataset_info(demo, name, file, where, &info));
    if (info.rank != 2 || (int64_t)info.dims[0] != rows || (int64_t)info.dims[1] != cols)
        return rise_error(RISE_ERR_FORMAT, "%s: '%s' has shape %s, expected (%lld, %lld)", file,
                          where, rise_h5_shape_str(&info, buf, sizeof buf), (long long)rows,
                          (long long)cols);
    return RISE_OK;
}

static herr_t member_cb(hid_t g, const char *name, const H5L_info_t *info, void *data);

typedef struct {
    hid_t dst;
    const copy_plan *p;
    const char *file, *demo;
    rise_status st;
} member_walk;

/* data/<src_name> of an input -> data/<dst_name> of the output: attributes, every member
 * (obs/next_obs restricted to the chosen keys, states left out when the inputs disagree). */
static rise_status copy_demo(hid_t src_data, const rise_demo *d, const char *dst_name,
                             const copy_plan *p, const char *file) {
    char where[RISE_NAME_MAX + 16];
    snprintf(where, sizeof where, "data/%s", d->name);
    hid_t src = H5Gopen2(src_data, d->name, H5P_DEFAULT);
    if (src < 0) return rise_error(RISE_ERR_FORMAT, "%s: cannot open '%s'", file, where);
    rise_status st = check_rows(src, "actions", d->length, p->layout->act_dim, file, d->name);
    if (st == RISE_OK && p->keep_states)
        st = check_rows(src, "states", d->length, p->layout->state_dim, file, d->name);
    hid_t dst = st == RISE_OK ? rise_h5_group_create(p->out_data, dst_name) : H5I_INVALID_HID;
    if (st == RISE_OK && dst < 0)
        st = rise_error(RISE_ERR_IO, "%s: cannot create group 'data/%s'", p->out_path, dst_name);
    if (st == RISE_OK) st = rise_h5_copy_attrs(src, dst, NULL, 0, file, where);
    if (st == RISE_OK) {
        member_walk w = {dst, p, file, d->name, RISE_OK};
        hsize_t idx = 0;
        if (H5Literate(src, H5_INDEX_NAME, H5_ITER_INC, &idx, member_cb, &w) < 0 && w.st == RISE_OK)
            w.st = rise_error(RISE_ERR_FORMAT, "%s: cannot list '%s'", file, where);
        st = w.st;
    }
    if (dst >= 0) H5Gclose(dst);
    H5Gclose(src);
    return st;
}

static herr_t member_cb(hid_t g, const char *name, const H5L_info_t *info, void *data) {
    member_walk *w = data;
    (void)info;
    if (!strcmp(name, "obs") || !strcmp(name, "next_obs"))
        w->st = copy_obs_group(g, w->dst, name, w->p, w->file, w->demo);
    else if (!strcmp(name, "states") && !w->p->keep_states)
        w->st = RISE_OK;
    else {
        char where[2 * RISE_NAME_MAX + 16];
        snprintf(where, sizeof where, "data/%s/%s", w->demo, name);
        w->st = rise_h5_copy_object(g, name, w->dst, name, w->file, where);
    }
    return w->st == RISE_OK ? 0 : 1;
}

/* The input's filter keys, restricted to its selected demos, mapped to output indices. */
static rise_status carry_masks(hid_t f, const merge_source *s, int64_t first_out, mask_set *masks) {
    if (rise_h5_object_type(f, "mask") != H5O_TYPE_GROUP) return RISE_OK;
    hid_t g = H5Gopen2(f, "mask", H5P_DEFAULT);
    if (g < 0) return rise_error(RISE_ERR_FORMAT, "%s: cannot open group 'mask'", s->path);
    char **keys = NULL;
    int64_t n_keys = 0;
    rise_status st = rise_read_link_names(g, s->path, "mask", &keys, &n_keys);
    for (int64_t k = 0; st == RISE_OK && k < n_keys; ++k) {
        char **names = NULL, where[RISE_NAME_MAX + 8];
        int64_t count = 0;
        snprintf(where, sizeof where, "mask/%s", keys[k]);
        st = rise_h5_read_strings(g, keys[k], s->path, where, &names, &count);
        for (int64_t i = 0; st == RISE_OK && i < count; ++i)
            for (int64_t d = 0; d < s->list.n_demos; ++d)
                if (!strcmp(names[i], s->list.demos[d].name)) {
                    st = mask_add(masks, keys[k], first_out + d);
                    break;
                }
        rise_h5_free_strings(names, count);
    }
    rise_h5_free_strings(keys, n_keys);
    H5Gclose(g);
    return st;
}

/* Keys of an input's first demo that the merge leaves out (not among the chosen ones). */
static void note_extra_keys(hid_t f, const merge_source *s, const rise_episodes *layout,
                            rise_merge_opts *opts) {
    char where[RISE_NAME_MAX + 16], list[512] = "";
    snprintf(where, sizeof where, "data/%s/obs", s->list.demos[0].name);
    hid_t g = H5Gopen2(f, where, H5P_DEFAULT);
    if (g < 0) return;
    char **names = NULL;
    int64_t n = 0;
    size_t used = 0;
    if (rise_read_link_names(g, s->path, where, &names, &n) == RISE_OK)
        for (int64_t i = 0; i < n; ++i)
            if (rise_episodes_find_key(layout, names[i]) < 0 && used < sizeof list)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "",
                                         names[i]);
    rise_error_clear();
    rise_h5_free_strings(names, n);
    H5Gclose(g);
    if (used)
        note(opts, "%s: observation keys %s are not among the merged keys; left out", s->path,
             list);
}

static rise_status write_masks(hid_t file, const mask_set *masks, const char *out) {
    if (masks->n == 0) return RISE_OK;
    hid_t mg = rise_h5_group_create(file, "mask");
    if (mg < 0) return rise_error(RISE_ERR_IO, "%s: cannot create group 'mask'", out);
    rise_status st = RISE_OK;
    for (int k = 0; st == RISE_OK && k < masks->n; ++k) {
        const out_mask *m = &masks->m[k];
        char **names = calloc((size_t)(m->count ? m->count : 1), sizeof *names);
        if (!names) st = rise_error(RISE_ERR_NOMEM, "out of memory");
        for (int64_t i = 0; names && i < m->count && st == RISE_OK; ++i) {
            names[i] = malloc(32);
            if (names[i])
                snprintf(names[i], 32, "demo_%lld", (long long)m->demos[i]);
            else
                st = rise_error(RISE_ERR_NOMEM, "out of memory");
        }
        if (st == RISE_OK)
            st = rise_h5_write_strings(mg, m->name, (const char *const *)names, m->count, out);
        rise_h5_free_strings(names, m->count);
    }
    H5Gclose(mg);
    return st;
}

/* Copies every demo of every source into tmp_path. */
static rise_status write_merged(const merge_source *s, int n, const rise_merge_input *in,
                                const char *out, const char *tmp_path, const char *env_args,
                                int keep_states, rise_merge_opts *opts) {
    char detail[256];
    hid_t file = rise_h5_file_create(tmp_path);
    if (file < 0)
        return rise_error(RISE_ERR_IO, "%s: cannot create (temporary %s): %s", out, tmp_path,
                          rise_h5_detail(detail, sizeof detail));
    hid_t data = rise_h5_group_create(file, "data");
    rise_status st =
        data < 0 ? rise_error(RISE_ERR_IO, "%s: cannot create group 'data'", out) : RISE_OK;
    mask_set masks = {0};
    int64_t next = 0, total = 0;
    const copy_plan plan = {data, out, &s[0].first, keep_states};
    for (int i = 0; i < n && st == RISE_OK; ++i) {
        hid_t f;
        st = rise_h5_open_read(s[i].copy_from, &f);
        if (st != RISE_OK) break;
        if (i == 0) { /* the first input's own attributes, beyond those merging rewrites */
            static const char *const skip[] = {"total", "env_args"};
            st = rise_h5_copy_attrs(f, file, NULL, 0, s[i].path, "/");
            hid_t d0 = H5Gopen2(f, "data", H5P_DEFAULT);
            if (st == RISE_OK && d0 >= 0)
                st = rise_h5_copy_attrs(d0, data, skip, 2, s[i].path, "data");
            if (d0 >= 0) H5Gclose(d0);
        }
        note_extra_keys(f, &s[i], &s[0].first, opts);
        hid_t src_data = H5Gopen2(f, "data", H5P_DEFAULT);
        if (st == RISE_OK && src_data < 0)
            st = rise_error(RISE_ERR_FORMAT, "%s: cannot open group 'data'", s[i].path);
        for (int64_t d = 0; st == RISE_OK && d < s[i].list.n_demos; ++d) {
            char name[64];
            snprintf(name, sizeof name, "demo_%lld", (long long)(next + d));
            st = copy_demo(src_data, &s[i].list.demos[d], name, &plan, s[i].path);
            if (st == RISE_OK && in[i].tag) st = mask_add(&masks, in[i].tag, next + d);
            total += s[i].list.demos[d].length;
        }
        if (st == RISE_OK) st = carry_masks(f, &s[i], next, &masks);
        next += s[i].list.n_demos;
        if (src_data >= 0) H5Gclose(src_data);
        H5Fclose(f);
    }
    if (st == RISE_OK) st = rise_h5_write_attr_i64(data, "total", total, out);
    if (st == RISE_OK) st = rise_h5_write_attr_string(data, "env_args", env_args, out);
    if (st == RISE_OK) st = write_masks(file, &masks, out);
    mask_free(&masks);
    if (data >= 0) H5Gclose(data);
    if (H5Fclose(file) < 0 && st == RISE_OK)
        st = rise_error(RISE_ERR_IO, "%s: closing failed: %s", out,
                        rise_h5_detail(detail, sizeof detail));
    return st;
}

static rise_status merge_impl(const rise_merge_input *in, int n, const char *out,
                              rise_merge_opts *opts, merge_source *s) {
    /* The first input fixes the keys (unless given), the action dim and states' width. */
    RISE_TRY(open_source(&in[0], 0, out, opts, opts->obs_keys, opts->n_obs_keys, &s[0]));
    const rise_episodes *L = &s[0].first;
    const char **keys = malloc((size_t)L->n_keys * sizeof *keys);
    if (!keys) return rise_error(RISE_ERR_NOMEM, "out of memory");
    for (int k = 0; k < L->n_keys; ++k) keys[k] = L->keys[k].name;
    int keep_states = L->state_dim > 0;
    rise_status st = RISE_OK;
    for (int i = 1; i < n && st == RISE_OK; ++i)
        st = open_source(&in[i], i, out, opts, keys, L->n_keys, &s[i]);
    free(keys);
    RISE_TRY(st);
    for (int i = 1; i < n; ++i) {
        const rise_episodes *e = &s[i].first;
        if (e->act_dim != L->act_dim)
            return rise_error(RISE_ERR_FORMAT,
                              "%s: action dim %lld, but %s has %lld (inputs must share one action "
                              "space)",
                              in[i].path, (long long)e->act_dim, in[0].path, (long long)L->act_dim);
        for (int k = 0; k < e->n_keys; ++k)
            if (e->keys[k].dim != L->keys[k].dim)
                return rise_error(RISE_ERR_FORMAT,
                                  "%s: observation key '%s' has %lld values per step, but %lld in "
                                  "%s",
                                  in[i].path, e->keys[k].name, (long long)e->keys[k].dim,
                                  (long long)L->keys[k].dim, in[0].path);
        if (e->state_dim != L->state_dim) keep_states = 0;
    }
    opts->dropped_states = L->state_dim > 0 && !keep_states;
    if (opts->dropped_states)
        note(opts, "the inputs disagree on simulator states (%s%s); states were left out",
             "some have none or another width", "");
    char *env_args = NULL;
    RISE_TRY(merge_env_args(s, n, opts, opts, &env_args));
    const size_t tn = strlen(out) + 32;
    char *tmp = malloc(tn);
    st = tmp ? RISE_OK : rise_error(RISE_ERR_NOMEM, "out of memory");
    if (st == RISE_OK) {
        snprintf(tmp, tn, "%s.tmp%ld", out, (long)getpid());
        st = write_merged(s, n, in, out, tmp, env_args, keep_states, opts);
        if (st == RISE_OK && rename(tmp, out) != 0)
            st = rise_error(RISE_ERR_IO, "%s: cannot move %s into place", out, tmp);
        if (st != RISE_OK) remove(tmp);
    }
    free(tmp);
    free(env_args);
    return st;
}

rise_status rise_data_merge(const rise_merge_input *in, int n, const char *out,
                            rise_merge_opts *opts) {
    rise_merge_opts def;
    memset(&def, 0, sizeof def);
    if (!opts) opts = &def;
    opts->dropped_states = 0;
    opts->notes[0] = '\0';
    if (n < 1) return rise_error(RISE_ERR_INVALID, "%s: no input files to merge", out);
    merge_source *s = calloc((size_t)n, sizeof *s);
    if (!s) return rise_error(RISE_ERR_NOMEM, "out of memory");
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    const rise_status st = merge_impl(in, n, out, opts, s);
    rise_h5_quiet_end(&q);
    for (int i = 0; i < n; ++i) source_free(&s[i]);
    free(s);
    return st;
}
