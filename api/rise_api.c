/* rise_api.c - the stable C API (rise_api.h) over algorithms/ (a run's agent, its policy
 * and critic) and data/ (dataset files). Thin: every rule lives in the layers below, so
 * a policy acts here exactly as it does in `rise eval`. */
#include "api/rise_api.h"

#include <stdlib.h>
#include <string.h>

#include "algorithms/train_run.h"
#include "data/reader.h"
#include "host/error.h"

#define CHECK_HANDLE(h, what)                                                                      \
    do {                                                                                           \
        if (!(h)) return rise_error(RISE_ERR_INVALID, "%s: NULL handle", what);                    \
    } while (0)

int rise_api_abi_version(void) { return RISE_API_ABI_VERSION; }

const char *rise_api_last_error(void) { return rise_last_error(); }

/* ------------------------------------------------------------------ policy */

struct rise_api_policy {
    rise_backend *be;
    rise_agent *agent;
    rise_policy *pol;
    rise_train_config cfg;
    char *config_json, *run_dir, *backend;
    uint64_t seed;
    int candidates, rule; /* extraction asked for (0 / -1: the run's) */
    int32_t *zeros_t;     /* scratch for calls without t / keys */
    uint64_t *row_keys;
    int scratch_rows;
};

/* (Re)creates the envs/ policy with the extraction asked for: rise_agent_policy fixes
 * its extraction before its first call, so a change makes a new one. */
static rise_status make_policy(rise_api_policy *p) {
    rise_policy_destroy(p->pol);
    p->pol = NULL;
    RISE_TRY(rise_agent_policy(p->agent, p->seed, &p->pol));
    if (p->candidates > 0 || p->rule >= 0)
        RISE_TRY(rise_agent_policy_set_extraction(p->pol, p->candidates, p->rule));
    return RISE_OK;
}

int rise_api_policy_load(const char *run_dir, const char *checkpoint, const char *backend,
                         uint64_t seed, rise_api_policy **out) {
    rise_error_clear();
    if (!out) return rise_error(RISE_ERR_INVALID, "rise_api_policy_load: out is NULL");
    *out = NULL;
    if (!run_dir || !run_dir[0])
        return rise_error(RISE_ERR_INVALID, "rise_api_policy_load: no run directory given");
    rise_api_policy *p = calloc(1, sizeof *p);
    if (!p) return rise_error(RISE_ERR_NOMEM, "out of memory");
    p->seed = seed;
    p->rule = -1;
    p->run_dir = strdup(run_dir);
    p->backend = strdup(backend && backend[0] ? backend : "cpu");
    rise_status st = p->run_dir && p->backend ? RISE_OK : rise_error(RISE_ERR_NOMEM, "no memory");
    /* as `rise eval` opens it: the run's train.precision on the backend, then the agent */
    if (st == RISE_OK)
        st = rise_train_open_run(run_dir, checkpoint, p->backend, &p->cfg, &p->be, &p->agent);
    if (st == RISE_OK && !(p->config_json = rise_train_config_to_json(&p->cfg)))
        st = rise_error(RISE_ERR_NOMEM, "out of memory");
    if (st == RISE_OK) st = make_policy(p);
    if (st != RISE_OK) {
        rise_api_policy_free(p);
        return st;
    }
    *out = p;
    return RISE_OK;
}

void rise_api_policy_free(rise_api_policy *p) {
    if (!p) return;
    rise_policy_destroy(p->pol);
    rise_agent_free(p->agent);
    if (p->be) rise_backend_destroy(p->be);
    free(p->config_json);
    free(p->run_dir);
    free(p->backend);
    free(p->zeros_t);
    free(p->row_keys);
    free(p);
}

int64_t rise_api_policy_int(rise_api_policy *p, const char *name) {
    if (!p || !name) {
        rise_error(RISE_ERR_INVALID, "rise_api_policy_int: NULL argument");
        return -1;
    }
    const rise_agent_config *c = rise_agent_cfg(p->agent);
    const int has_v = rise_agent_critic(p->agent) != NULL;
    const int has_q = has_v || c->algo == RISE_ALGO_CQL;
    if (!strcmp(name, "obs_dim")) return c->obs_dim;
    if (!strcmp(name, "act_dim")) return c->act_dim;
    if (!strcmp(name, "chunk")) return p->pol->chunk;
    if (!strcmp(name, "n_exec")) return p->pol->n_exec;
    if (!strcmp(name, "obs_horizon")) return p->pol->obs_horizon;
    if (!strcmp(name, "candidates")) {
        int k;
        rise_extract_rule rule;
        rise_agent_policy_extraction(p->pol, &k, &rule);
        return k;
    }
    if (!strcmp(name, "step")) return rise_agent_step_count(p->agent);
    if (!strcmp(name, "has_q")) return has_q;
    if (!strcmp(name, "has_v")) return has_v;
    if (!strcmp(name, "seed")) return (int64_t)p->seed;
    if (!strcmp(name, "n_cams")) return c->vision.n_cams;
    rise_error(RISE_ERR_INVALID,
               "rise_api_policy_int: unknown name '%s' (obs_dim, act_dim, chunk, n_exec, "
               "obs_horizon, candidates, step, has_q, has_v, seed, n_cams)",
               name);
    return -1;
}

const char *rise_api_policy_str(rise_api_policy *p, const char *name) {
    if (!p || !name) {
        rise_error(RISE_ERR_INVALID, "rise_api_policy_str: NULL argument");
        return NULL;
    }
    const rise_agent_config *c = rise_agent_cfg(p->agent);
    if (!strcmp(name, "algo")) return rise_algo_name(c->algo);
    if (!strcmp(name, "extract_rule")) {
        int k;
        rise_extract_rule rule;
        rise_agent_policy_extraction(p->pol, &k, &rule);
        return rise_extract_rule_name(rule);
    }
    if (!strcmp(name, "obs_keys")) return rise_agent_obs_keys(p->agent);
    if (!strcmp(name, "env_args")) return rise_agent_env_args(p->agent);
    if (!strcmp(name, "cameras")) return rise_agent_cameras(p->agent);
    if (!strcmp(name, "config")) return p->config_json;
    if (!strcmp(name, "run_dir")) return p->run_dir;
    if (!strcmp(name, "backend")) return p->backend;
    rise_error(RISE_ERR_INVALID,
               "rise_api_policy_str: unknown name '%s' (algo, extract_rule, obs_keys, env_args, "
               "config, run_dir, backend)",
               name);
    return NULL;
}

int rise_api_policy_set_extraction(rise_api_policy *p, int candidates, const char *rule) {
    rise_error_clear();
    CHECK_HANDLE(p, "rise_api_policy_set_extraction");
    int r = -1;
    if (rule && rule[0]) {
        rise_extract_rule parsed;
        RISE_TRY(rise_extract_rule_parse(rule, &parsed));
        r = (int)parsed;
    }
    if (candidates < 0)
        return rise_error(RISE_ERR_INVALID, "candidates = %d, expected >= 1 (0 keeps the run's)",
                          candidates);
    const int old_k = p->candidates, old_rule = p->rule;
    if (candidates > 0) p->candidates = candidates;
    if (r >= 0) p->rule = r;
    const rise_status st = make_policy(p);
    if (st != RISE_OK) {
        char msg[2048];
        snprintf(msg, sizeof msg, "%s", rise_last_error());
        p->candidates = old_k;
        p->rule = old_rule;
        if (make_policy(p) != RISE_OK) return rise_error(st, "%s", rise_last_error());
        return rise_error(st, "%s", msg);
    }
    return RISE_OK;
}

static rise_status ensure_scratch(rise_api_policy *p, int n) {
    if (n <= p->scratch_rows) return RISE_OK;
    int32_t *t = calloc((size_t)n, sizeof *t);
    uint64_t *k = malloc(sizeof *k * (size_t)n);
    if (!t || !k) {
        free(t);
        free(k);
        return rise_error(RISE_ERR_NOMEM, "out of memory for %d rows", n);
    }
    for (int i = 0; i < n; ++i) k[i] = (uint64_t)i;
    free(p->zeros_t);
    free(p->row_keys);
    p->zeros_t = t;
    p->row_keys = k;
    p->scratch_rows = n;
    return RISE_OK;
}

/* act or act_frames (frames NULL: the policy's own, none for a model without cameras). */
static int policy_act(rise_api_policy *p, int n, const float *obs, const uint8_t *const *frames,
                      const uint64_t *keys, const int32_t *t, const float *hist, float *actions) {
    if (n <= 0 || !obs || !actions)
        return rise_error(RISE_ERR_INVALID, "act: %d rows, obs %p, actions %p", n,
                          (const void *)obs, (void *)actions);
    if (p->pol->obs_horizon > 1 && !hist)
        return rise_error(RISE_ERR_INVALID,
                          "act: this policy sees %d frames (policy.obs_horizon); pass hist "
                          "[n, %d, %d], the last observations, oldest first",
                          p->pol->obs_horizon, p->pol->obs_horizon, p->pol->obs_dim);
    RISE_TRY(ensure_scratch(p, n));
    rise_policy_ctx ctx = {keys ? keys : p->row_keys, t ? (const int *)t : p->zeros_t,
                           p->pol->obs_horizon > 1 ? hist : NULL};
    if (frames) return rise_agent_policy_act_frames(p->pol, n, obs, frames, &ctx, actions);
    return p->pol->act(p->pol, n, obs, &ctx, actions);
}

int rise_api_policy_act(rise_api_policy *p, int n, const float *obs, const uint64_t *keys,
                        const int32_t *t, const float *hist, float *actions) {
    rise_error_clear();
    CHECK_HANDLE(p, "rise_api_policy_act");
    return policy_act(p, n, obs, NULL, keys, t, hist, actions);
}

int rise_api_policy_act_frames(rise_api_policy *p, int n, const float *obs,
                               const uint8_t *const *frames, const uint64_t *keys, const int32_t *t,
                               const float *hist, float *actions) {
    rise_error_clear();
    CHECK_HANDLE(p, "rise_api_policy_act_frames");
    if (!frames) return rise_error(RISE_ERR_INVALID, "act_frames: frames is NULL");
    return policy_act(p, n, obs, frames, keys, t, hist, actions);
}

int rise_api_policy_q(rise_api_policy *p, int n, const float *obs, const float *act, float *q) {
    rise_error_clear();
    CHECK_HANDLE(p, "rise_api_policy_q");
    if (!obs || !act || !q) return rise_error(RISE_ERR_INVALID, "q: NULL array");
    return rise_agent_q(p->agent, n, obs, act, q);
}

int rise_api_policy_v(rise_api_policy *p, int n, const float *obs, float *v) {
    rise_error_clear();
    CHECK_HANDLE(p, "rise_api_policy_v");
    if (!obs || !v) return rise_error(RISE_ERR_INVALID, "v: NULL array");
    return rise_agent_v(p->agent, n, obs, v);
}

int rise_api_policy_export(rise_api_policy *p, const char *path) {
    rise_error_clear();
    CHECK_HANDLE(p, "rise_api_policy_export");
    if (!path || !path[0]) return rise_error(RISE_ERR_INVALID, "export: no path given");
    return rise_agent_export_safetensors(p->agent, path, p->config_json);
}

/* ------------------------------------------------------------------ dataset */

struct rise_api_dataset {
    rise_episodes e;
    int64_t *demo_start, *demo_length;
    char format[16];
};

int rise_api_dataset_load(const char *path, const char *format, const char *obs_keys,
                          const char *filter_key, rise_api_dataset **out) {
    rise_error_clear();
    if (!out) return rise_error(RISE_ERR_INVALID, "rise_api_dataset_load: out is NULL");
    *out = NULL;
    if (!path || !path[0]) return rise_error(RISE_ERR_INVALID, "dataset: no path given");
    rise_read_opts o;
    rise_read_opts_default(&o);
    if (format && format[0] && !rise_format_parse(format, &o.format))
        return rise_error(RISE_ERR_INVALID,
                          "dataset format '%s': expected auto, robomimic, d4rl or minari", format);
    if (o.format == RISE_FORMAT_AUTO) RISE_TRY(rise_detect_format(path, &o.format));
    char *keys_copy = obs_keys && obs_keys[0] ? strdup(obs_keys) : NULL;
    const char *names[64];
    int n_names = 0;
    for (char *k = keys_copy, *save = NULL; k; k = NULL) {
        for (char *tok = strtok_r(k, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            while (*tok == ' ') ++tok;
            if (!*tok) continue;
            if (n_names == 64) {
                free(keys_copy);
                return rise_error(RISE_ERR_INVALID, "dataset: more than 64 observation keys");
            }
            names[n_names++] = tok;
        }
    }
    o.obs_keys = n_names ? names : NULL;
    o.n_obs_keys = n_names;
    o.filter_key = filter_key && filter_key[0] ? filter_key : NULL;
    rise_api_dataset *d = calloc(1, sizeof *d);
    if (!d) {
        free(keys_copy);
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    snprintf(d->format, sizeof d->format, "%s", rise_format_name(o.format));
    rise_status st = rise_episodes_load(path, &o, &d->e);
    free(keys_copy);
    if (st == RISE_OK) {
        const size_t m = (size_t)(d->e.n_demos ? d->e.n_demos : 1);
        d->demo_start = malloc(sizeof(int64_t) * m);
        d->demo_length = malloc(sizeof(int64_t) * m);
        if (!d->demo_start || !d->demo_length) st = rise_error(RISE_ERR_NOMEM, "out of memory");
        for (int64_t i = 0; st == RISE_OK && i < d->e.n_demos; ++i) {
            d->demo_start[i] = d->e.demos[i].start;
            d->demo_length[i] = d->e.demos[i].length;
        }
    }
    if (st != RISE_OK) {
        rise_api_dataset_free(d);
        return st;
    }
    *out = d;
    return RISE_OK;
}

void rise_api_dataset_free(rise_api_dataset *d) {
    if (!d) return;
    rise_episodes_free(&d->e);
    free(d->demo_start);
    free(d->demo_length);
    free(d);
}

int64_t rise_api_dataset_int(rise_api_dataset *d, const char *name) {
    if (!d || !name) {
        rise_error(RISE_ERR_INVALID, "rise_api_dataset_int: NULL argument");
        return -1;
    }
    if (!strcmp(name, "n")) return d->e.n;
    if (!strcmp(name, "n_demos")) return d->e.n_demos;
    if (!strcmp(name, "obs_dim")) return d->e.obs_dim;
    if (!strcmp(name, "act_dim")) return d->e.act_dim;
    if (!strcmp(name, "state_dim")) return d->e.state_dim;
    if (!strcmp(name, "n_keys")) return d->e.n_keys;
    rise_error(RISE_ERR_INVALID,
               "rise_api_dataset_int: unknown name '%s' (n, n_demos, obs_dim, act_dim, "
               "state_dim, n_keys)",
               name);
    return -1;
}

const char *rise_api_dataset_str(rise_api_dataset *d, const char *name) {
    if (!d || !name) return NULL;
    if (!strcmp(name, "path")) return d->e.path;
    if (!strcmp(name, "format")) return d->format;
    if (!strcmp(name, "env_args")) return d->e.env_args;
    rise_error(RISE_ERR_INVALID, "rise_api_dataset_str: unknown name '%s' (path, format, env_args)",
               name);
    return NULL;
}

const void *rise_api_dataset_array(rise_api_dataset *d, const char *name) {
    if (!d || !name) return NULL;
    if (!strcmp(name, "obs")) return d->e.obs;
    if (!strcmp(name, "next_obs")) return d->e.next_obs;
    if (!strcmp(name, "actions")) return d->e.actions;
    if (!strcmp(name, "rewards")) return d->e.rewards;
    if (!strcmp(name, "dones")) return d->e.dones;
    if (!strcmp(name, "states")) return d->e.states;
    if (!strcmp(name, "demo_start")) return d->demo_start;
    if (!strcmp(name, "demo_length")) return d->demo_length;
    rise_error(RISE_ERR_INVALID,
               "rise_api_dataset_array: unknown name '%s' (obs, next_obs, actions, rewards, "
               "dones, states, demo_start, demo_length)",
               name);
    return NULL;
}

const char *rise_api_dataset_key(rise_api_dataset *d, int i, int64_t *offset, int64_t *dim) {
    if (!d || i < 0 || i >= d->e.n_keys) {
        rise_error(RISE_ERR_INVALID, "observation key %d: out of range", i);
        return NULL;
    }
    if (offset) *offset = d->e.keys[i].offset;
    if (dim) *dim = d->e.keys[i].dim;
    return d->e.keys[i].name;
}

const char *rise_api_dataset_demo_name(rise_api_dataset *d, int64_t i) {
    if (!d || i < 0 || i >= d->e.n_demos) {
        rise_error(RISE_ERR_INVALID, "demo %lld: out of range", (long long)i);
        return NULL;
    }
    return d->e.demos[i].name;
}
