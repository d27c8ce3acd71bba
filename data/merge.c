/* merge.c - `rise data merge`: several dataset files into one (see fileops.h). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileops.h"
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

static int same_json(const char *a, const char *b) {
    if (!a || !b) return !a && !b;
    cJSON *x = cJSON_Parse(a), *y = cJSON_Parse(b);
    const int same = x && y && cJSON_Compare(x, y, 1);
    cJSON_Delete(x);
    cJSON_Delete(y);
    return same;
}

/* Whether every input has states of one width (peeked from a one-demo load). */
static rise_status common_state_dim(const rise_merge_input *in, int n, const char *const *keys,
                                    int n_keys, int64_t *dim) {
    *dim = -1;
    for (int i = 0; i < n; ++i) {
        rise_demo_list l;
        RISE_TRY(rise_episodes_list(in[i].path, RISE_FORMAT_AUTO, in[i].filter_key, &l));
        uint8_t *sel = calloc((size_t)l.n_demos, 1);
        if (!sel) {
            rise_demo_list_free(&l);
            return rise_error(RISE_ERR_NOMEM, "out of memory");
        }
        if (l.n_demos) sel[0] = 1;
        rise_read_opts o;
        rise_read_opts_default(&o);
        o.filter_key = in[i].filter_key;
        o.select = sel;
        o.n_select = l.n_demos;
        o.obs_keys = keys;
        o.n_obs_keys = n_keys;
        o.load_masks = 0;
        rise_episodes e;
        rise_status st = rise_episodes_load(in[i].path, &o, &e);
        free(sel);
        rise_demo_list_free(&l);
        RISE_TRY(st);
        if (*dim < 0)
            *dim = e.state_dim;
        else if (*dim != e.state_dim)
            *dim = 0;
        rise_episodes_free(&e);
    }
    if (*dim < 0) *dim = 0;
    return RISE_OK;
}

rise_status rise_data_merge(const rise_merge_input *in, int n, const char *out,
                            rise_merge_opts *opts) {
    rise_merge_opts def = {0};
    if (!opts) opts = &def;
    opts->dropped_states = 0;
    if (n < 1) return rise_error(RISE_ERR_INVALID, "merge: no input files");
    /* Layout from the first input (its keys unless given), checked on the others. */
    rise_read_opts o;
    rise_read_opts_default(&o);
    o.obs_keys = opts->obs_keys;
    o.n_obs_keys = opts->n_obs_keys;
    o.filter_key = in[0].filter_key;
    rise_episodes first;
    RISE_TRY(rise_episodes_load(in[0].path, &o, &first));
    const char **keys = malloc((size_t)first.n_keys * sizeof *keys);
    int64_t state_dim = 0;
    rise_status st = keys ? RISE_OK : rise_error(RISE_ERR_NOMEM, "out of memory");
    for (int k = 0; keys && k < first.n_keys; ++k) keys[k] = first.keys[k].name;
    if (st == RISE_OK) st = common_state_dim(in, n, keys, first.n_keys, &state_dim);
    opts->dropped_states = state_dim == 0 && first.state_dim > 0;
    rise_writer *w = NULL;
    if (st == RISE_OK)
        st = rise_writer_open(&w, out, first.keys, first.n_keys, first.act_dim, state_dim,
                              first.env_args);
    mask_set masks = {0};
    int64_t next = 0;
    for (int i = 0; i < n && st == RISE_OK; ++i) {
        rise_episodes e, *cur = &first;
        if (i > 0) {
            o.obs_keys = keys;
            o.n_obs_keys = first.n_keys;
            o.filter_key = in[i].filter_key;
            st = rise_episodes_load(in[i].path, &o, &e);
            if (st != RISE_OK) break;
            cur = &e;
            if (e.act_dim != first.act_dim)
                st = rise_error(RISE_ERR_FORMAT, "merge: %s has action dim %lld, %s has %lld",
                                in[i].path, (long long)e.act_dim, in[0].path,
                                (long long)first.act_dim);
            for (int k = 0; st == RISE_OK && k < e.n_keys; ++k)
                if (e.keys[k].dim != first.keys[k].dim)
                    st = rise_error(RISE_ERR_FORMAT,
                                    "merge: key '%s' has %lld values per step in %s, %lld in %s",
                                    e.keys[k].name, (long long)e.keys[k].dim, in[i].path,
                                    (long long)first.keys[k].dim, in[0].path);
            if (st == RISE_OK && !opts->allow_env_mismatch &&
                !same_json(e.env_args, first.env_args))
                st = rise_error(RISE_ERR_FORMAT,
                                "merge: env_args of %s differ from %s's (different tasks?); "
                                "pass --allow-env-mismatch to keep the first",
                                in[i].path, in[0].path);
        }
        for (int64_t d = 0; d < cur->n_demos && st == RISE_OK; ++d) {
            const rise_demo *dm = &cur->demos[d];
            st = rise_writer_add_demo(w, next + d, dm->length, cur->obs + dm->start * cur->obs_dim,
                                      cur->next_obs + dm->start * cur->obs_dim,
                                      cur->actions + dm->start * cur->act_dim,
                                      cur->rewards + dm->start, cur->dones + dm->start,
                                      state_dim ? cur->states + dm->start * state_dim : NULL, NULL);
            if (st == RISE_OK && in[i].tag) st = mask_add(&masks, in[i].tag, next + d);
        }
        for (int m = 0; m < cur->n_masks && st == RISE_OK; ++m)
            for (int64_t j = 0; j < cur->masks[m].count && st == RISE_OK; ++j)
                st = mask_add(&masks, cur->masks[m].name, next + cur->masks[m].demos[j]);
        next += cur->n_demos;
        if (i > 0) rise_episodes_free(&e);
    }
    for (int m = 0; m < masks.n && st == RISE_OK; ++m)
        st = rise_writer_add_mask(w, masks.m[m].name, masks.m[m].demos, masks.m[m].count);
    if (w) {
        if (st == RISE_OK)
            st = rise_writer_close(w);
        else
            rise_writer_abort(w);
    }
    mask_free(&masks);
    free(keys);
    rise_episodes_free(&first);
    return st;
}
