/* agent_export.c - a trained agent as a safetensors file (host/safetensors.h) for other
 * tools: every named parameter view of every network with its shape, the EMA and target
 * copies where the run keeps them, and the normalisation statistics.
 *
 * Names: the view's name in its network's table (algorithms/params.h), which starts with
 * the network ("policy.net.in.w", "q.fc0.w"; "<net>." is put in front where it does not:
 * "temps.log_alpha", net being the checkpoint's dataset under params/: policy, q, v,
 * temps) for the values, with "ema." or "target." in front for the copies
 * ("ema.policy.net.in.w", "target.q.fc0.w"); "norm.<array>" for the
 * statistics (obs_shift, obs_scale, act_shift, act_scale, then the raw mean, std, min,
 * max). Metadata: format "rise-safetensors-1", algorithm, step, config (JSON), env_args,
 * obs_keys, norm modes, and layout: JSON {tensor: [checkpoint dataset, slot, offset,
 * slot length]} saying where each tensor sits in the checkpoint's flat buffers. Grads
 * and Adam moments are training state and stay in the checkpoint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../host/safetensors.h"
#include "agent_internal.h"

#define EXPORT_FORMAT "rise-safetensors-1"

typedef struct {
    rise_st_tensor *t;
    char **names;
    float **host; /* downloaded buffers, one per network */
    int n, cap, n_host;
    cJSON *layout;
} export_list;

static rise_status add(export_list *l, const char *name, int ndim, const int64_t *shape,
                       const float *data, size_t numel) {
    if (l->n == l->cap) {
        const int cap = l->cap ? 2 * l->cap : 64;
        rise_st_tensor *t = realloc(l->t, sizeof *t * (size_t)cap);
        if (t) l->t = t;
        char **nm = realloc(l->names, sizeof *nm * (size_t)cap);
        if (nm) l->names = nm;
        if (!t || !nm) return rise_error(RISE_ERR_NOMEM, "export: out of memory");
        l->cap = cap;
    }
    if (!(l->names[l->n] = strdup(name))) return rise_error(RISE_ERR_NOMEM, "export: no memory");
    rise_st_tensor *t = &l->t[l->n++];
    memset(t, 0, sizeof *t);
    t->name = l->names[l->n - 1];
    t->ndim = ndim;
    for (int d = 0; d < ndim; ++d) t->shape[d] = shape[d];
    t->data = data;
    t->numel = numel;
    return RISE_OK;
}

/* Every view of one network's buffer: values, and the target / EMA slots it has. */
static rise_status add_network(export_list *l, rise_backend *be, const rise_params *p,
                               const char *net) {
    const size_t total = (size_t)rise_params_slot_count(p) * p->size;
    float *h = malloc(sizeof(float) * (total ? total : 1));
    if (!h) return rise_error(RISE_ERR_NOMEM, "export: out of memory for %s", net);
    float **hosts = realloc(l->host, sizeof *hosts * (size_t)(l->n_host + 1));
    if (!hosts) {
        free(h);
        return rise_error(RISE_ERR_NOMEM, "export: out of memory");
    }
    l->host = hosts;
    l->host[l->n_host++] = h;
    be->download(be, h, p->buffer, sizeof(float) * total);
    const struct {
        rise_param_slot slot;
        const char *prefix;
    } slots[] = {{RISE_SLOT_VALUE, ""}, {RISE_SLOT_EMA, "ema."}, {RISE_SLOT_TARGET, "target."}};
    for (size_t s = 0; s < sizeof slots / sizeof slots[0]; ++s) {
        const float *base = rise_params_slot(p, slots[s].slot);
        if (!base) continue;
        const long slot_index = (long)((base - p->buffer) / (ptrdiff_t)p->size);
        for (int i = 0; i < p->count; ++i) {
            const rise_param_tensor *t = &p->tensors[i];
            char name[RISE_PARAM_NAME_MAX + 32];
            const size_t nl = strlen(net);
            const int prefixed = !strncmp(t->name, net, nl) && t->name[nl] == '.';
            snprintf(name, sizeof name, "%s%s%s%s", slots[s].prefix, prefixed ? "" : net,
                     prefixed ? "" : ".", t->name);
            int64_t shape[RISE_PARAM_MAX_DIMS];
            for (int d = 0; d < t->ndim; ++d) shape[d] = t->shape[d];
            RISE_TRY(add(l, name, t->ndim, shape, h + slot_index * (long)p->size + (long)t->offset,
                         t->numel));
            char dataset[64];
            snprintf(dataset, sizeof dataset, "params/%s", net);
            cJSON *where = cJSON_CreateArray();
            if (!where) return rise_error(RISE_ERR_NOMEM, "export: out of memory");
            cJSON_AddItemToArray(where, cJSON_CreateString(dataset));
            cJSON_AddItemToArray(where, cJSON_CreateNumber((double)slot_index));
            cJSON_AddItemToArray(where, cJSON_CreateNumber((double)t->offset));
            cJSON_AddItemToArray(where, cJSON_CreateNumber((double)p->size));
            cJSON_AddItemToObject(l->layout, name, where);
        }
    }
    return RISE_OK;
}

static rise_status add_norm(export_list *l, const rise_norm_stats *s) {
    const struct {
        const char *name;
        const float *data;
        int64_t dim;
    } arrays[] = {
        {"obs_shift", s->obs_shift, s->obs_dim}, {"obs_scale", s->obs_scale, s->obs_dim},
        {"act_shift", s->act_shift, s->act_dim}, {"act_scale", s->act_scale, s->act_dim},
        {"obs_mean", s->obs_mean, s->obs_dim},   {"obs_std", s->obs_std, s->obs_dim},
        {"obs_min", s->obs_min, s->obs_dim},     {"obs_max", s->obs_max, s->obs_dim},
        {"act_mean", s->act_mean, s->act_dim},   {"act_std", s->act_std, s->act_dim},
        {"act_min", s->act_min, s->act_dim},     {"act_max", s->act_max, s->act_dim},
    };
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; ++i) {
        if (!arrays[i].data) continue;
        char name[64];
        snprintf(name, sizeof name, "norm.%s", arrays[i].name);
        RISE_TRY(add(l, name, 1, &arrays[i].dim, arrays[i].data, (size_t)arrays[i].dim));
    }
    return RISE_OK;
}

rise_status rise_agent_export_safetensors(rise_agent *a, const char *path,
                                          const char *config_json) {
    export_list l;
    memset(&l, 0, sizeof l);
    l.layout = cJSON_CreateObject();
    rise_backend *be = a->be;
    rise_status st = l.layout ? be->sync(be) : rise_error(RISE_ERR_NOMEM, "export: no memory");
    if (st == RISE_OK) st = add_network(&l, be, &a->pp, "policy");
    if (st == RISE_OK && a->has_critic) st = add_network(&l, be, &a->critic.qp, "q");
    if (st == RISE_OK && a->has_critic) st = add_network(&l, be, &a->critic.vp, "v");
    if (st == RISE_OK && a->has_cql && a->cql.own_q) st = add_network(&l, be, &a->cql.qp, "q");
    if (st == RISE_OK && a->has_cql) st = add_network(&l, be, &a->cql.tp, "temps");
    if (st == RISE_OK) st = add_norm(&l, &a->norm);
    char *layout = st == RISE_OK ? cJSON_PrintUnformatted(l.layout) : NULL;
    if (st == RISE_OK && !layout) st = rise_error(RISE_ERR_NOMEM, "export: out of memory");
    if (st == RISE_OK) {
        char step[32];
        snprintf(step, sizeof step, "%lld", (long long)a->step);
        const char *keys[] = {"format",   "algorithm", "step",     "config", "env_args",
                              "obs_keys", "obs_norm",  "act_norm", "layout"};
        const char *values[] = {EXPORT_FORMAT,
                                rise_algo_name(a->cfg.algo),
                                step,
                                config_json ? config_json : "",
                                a->env_args ? a->env_args : "",
                                a->obs_keys ? a->obs_keys : "",
                                rise_norm_mode_name(a->norm.obs_mode),
                                rise_norm_mode_name(a->norm.act_mode),
                                layout};
        st = rise_safetensors_write(path, l.n, l.t, (int)(sizeof keys / sizeof keys[0]), keys,
                                    values);
    }
    free(layout);
    cJSON_Delete(l.layout);
    for (int i = 0; i < l.n; ++i) free(l.names[i]);
    for (int i = 0; i < l.n_host; ++i) free(l.host[i]);
    free(l.names);
    free(l.t);
    free(l.host);
    return st;
}
