/* agent_ckpt.c - agent checkpoints: everything a bitwise resume needs, in one HDF5 file
 * written atomically (host/checkpoint.h).
 *
 * Layout: format ("rise-agent-1"), algo, step, config_json, env_args, obs_keys, cameras,
 * params/{policy,q,v} (each network's whole flat buffer: value, grad, Adam moments,
 * target / EMA slots; algo cql's own twin Q is params/q), params/temps (CQL's entropy
 * temperature and Lagrange multiplier with their Adam moments), spectral/state (power-iteration
 * vectors), rng/sampler and rng/pair_sampler (Philox counters), dist/world (the ranks of the
 * data-parallel run that wrote it, agent_dist.h), norm/ (normalisation statistics).
 * Every other random number is keyed by the step, so nothing else needs saving. */
#include <stdlib.h>
#include <string.h>

#include "../host/checkpoint.h"
#include "agent_internal.h"

#define AGENT_CKPT_FORMAT "rise-agent-1"

static size_t buffer_floats(const rise_params *p) {
    return (size_t)rise_params_slot_count(p) * p->size;
}

static rise_status put_buffer(rise_ckpt_writer *w, rise_backend *be, const char *name,
                              const float *dev, size_t n) {
    float *h = malloc(sizeof(float) * (n ? n : 1));
    if (!h) return rise_error(RISE_ERR_NOMEM, "checkpoint: out of memory for %s", name);
    be->download(be, h, dev, sizeof(float) * n);
    const rise_status st = rise_ckpt_put_floats(w, name, h, (int64_t)n);
    free(h);
    return st;
}

static rise_status get_buffer(const rise_ckpt_reader *r, rise_backend *be, const char *name,
                              float *dev, size_t n) {
    float *h = malloc(sizeof(float) * (n ? n : 1));
    if (!h) return rise_error(RISE_ERR_NOMEM, "checkpoint: out of memory for %s", name);
    const rise_status st = rise_ckpt_get_floats(r, name, h, (int64_t)n);
    if (st == RISE_OK) be->upload(be, dev, h, sizeof(float) * n);
    free(h);
    return st;
}

rise_status rise_agent_save(rise_agent *a, const char *path, const char *config_json) {
    rise_backend *be = a->be;
    RISE_TRY(be->sync(be));
    rise_ckpt_writer w;
    RISE_TRY(rise_ckpt_begin(&w, path));
    rise_ckpt_put_string(&w, "format", AGENT_CKPT_FORMAT);
    rise_ckpt_put_string(&w, "algo", rise_algo_name(a->cfg.algo));
    rise_ckpt_put_i64(&w, "step", a->step);
    if (config_json) rise_ckpt_put_string(&w, "config_json", config_json);
    if (a->env_args) rise_ckpt_put_string(&w, "env_args", a->env_args);
    if (a->obs_keys) rise_ckpt_put_string(&w, "obs_keys", a->obs_keys);
    if (a->cameras) rise_ckpt_put_string(&w, "cameras", a->cameras);
    put_buffer(&w, be, "params/policy", a->pp.buffer, buffer_floats(&a->pp));
    if (a->has_critic) {
        put_buffer(&w, be, "params/q", a->critic.qp.buffer, buffer_floats(&a->critic.qp));
        put_buffer(&w, be, "params/v", a->critic.vp.buffer, buffer_floats(&a->critic.vp));
    }
    if (a->has_cql) {
        if (a->cql.own_q)
            put_buffer(&w, be, "params/q", a->cql.qp.buffer, buffer_floats(&a->cql.qp));
        put_buffer(&w, be, "params/temps", a->cql.tp.buffer, buffer_floats(&a->cql.tp));
    }
    if (a->has_diffusion && a->diff.n_spec)
        put_buffer(&w, be, "spectral/state", a->diff.spec_state, a->diff.spec_state_len);
    rise_ckpt_put_u64(&w, "rng/sampler", rise_sampler_state(&a->sampler));
    rise_ckpt_put_u64(&w, "rng/pair_sampler", rise_sampler_state(&a->pair_sampler));
    rise_ckpt_put_i64(&w, "dist/world", a->dp_world > 1 ? a->dp_world : 1); /* agent_dist.h */
    const hid_t root = rise_ckpt_group(&w, "");
    if (root >= 0) {
        const rise_status st = rise_norm_save(&a->norm, root, "norm");
        if (st != RISE_OK) {
            rise_ckpt_abort(&w);
            return rise_error_context(st, "%s: ", path);
        }
    }
    return rise_ckpt_commit(&w);
}

rise_status rise_agent_load(rise_agent *a, const char *path) {
    rise_ckpt_reader r;
    RISE_TRY(rise_ckpt_open(&r, path));
    char *format = NULL, *algo = NULL;
    rise_status st = rise_ckpt_get_string(&r, "format", &format);
    if (st == RISE_OK && strcmp(format, AGENT_CKPT_FORMAT))
        st = rise_error(RISE_ERR_FORMAT, "%s: format is '%s', expected '%s'", path, format,
                        AGENT_CKPT_FORMAT);
    if (st == RISE_OK) st = rise_ckpt_get_string(&r, "algo", &algo);
    if (st == RISE_OK && strcmp(algo, rise_algo_name(a->cfg.algo)))
        st = rise_error(RISE_ERR_FORMAT, "%s: checkpoint of algorithm '%s', this run is '%s'", path,
                        algo, rise_algo_name(a->cfg.algo));
    int64_t step = 0;
    if (st == RISE_OK) st = rise_ckpt_get_i64(&r, "step", &step);
    rise_backend *be = a->be;
    if (st == RISE_OK)
        st = get_buffer(&r, be, "params/policy", a->pp.buffer, buffer_floats(&a->pp));
    if (st == RISE_OK && a->has_critic) {
        st = get_buffer(&r, be, "params/q", a->critic.qp.buffer, buffer_floats(&a->critic.qp));
        if (st == RISE_OK)
            st = get_buffer(&r, be, "params/v", a->critic.vp.buffer, buffer_floats(&a->critic.vp));
    }
    if (st == RISE_OK && a->has_cql && a->cql.own_q)
        st = get_buffer(&r, be, "params/q", a->cql.qp.buffer, buffer_floats(&a->cql.qp));
    if (st == RISE_OK && a->has_cql)
        st = get_buffer(&r, be, "params/temps", a->cql.tp.buffer, buffer_floats(&a->cql.tp));
    if (st == RISE_OK && a->has_diffusion && a->diff.n_spec)
        st = get_buffer(&r, be, "spectral/state", a->diff.spec_state, a->diff.spec_state_len);
    uint64_t s_off = 0, p_off = 0;
    if (st == RISE_OK) st = rise_ckpt_get_u64(&r, "rng/sampler", &s_off);
    if (st == RISE_OK) st = rise_ckpt_get_u64(&r, "rng/pair_sampler", &p_off);
    rise_norm_stats norm;
    memset(&norm, 0, sizeof norm);
    if (st == RISE_OK) st = rise_norm_load(&norm, rise_ckpt_loc(&r), "norm", path);
    if (st == RISE_OK && (norm.obs_dim != a->cfg.obs_dim || norm.act_dim != a->cfg.act_dim))
        st = rise_error(
            RISE_ERR_FORMAT,
            "%s: normalisation has obs_dim %lld, act_dim %lld; the model expects %d, %d", path,
            (long long)norm.obs_dim, (long long)norm.act_dim, a->cfg.obs_dim, a->cfg.act_dim);
    if (st == RISE_OK) {
        rise_norm_free(&a->norm);
        a->norm = norm;
        memset(&norm, 0, sizeof norm);
        a->step = step;
        rise_sampler_restore(&a->sampler, s_off);
        rise_sampler_restore(&a->pair_sampler, p_off);
        if (a->clock) rise_agent_clock_reset(a);
        char *s = NULL;
        if (rise_ckpt_has(&r, "env_args") && rise_ckpt_get_string(&r, "env_args", &s) == RISE_OK) {
            free(a->env_args);
            a->env_args = s;
        }
        s = NULL;
        if (rise_ckpt_has(&r, "obs_keys") && rise_ckpt_get_string(&r, "obs_keys", &s) == RISE_OK) {
            free(a->obs_keys);
            a->obs_keys = s;
        }
        s = NULL;
        if (rise_ckpt_has(&r, "cameras") && rise_ckpt_get_string(&r, "cameras", &s) == RISE_OK) {
            free(a->cameras);
            a->cameras = s;
        }
    }
    rise_norm_free(&norm);
    free(format);
    free(algo);
    rise_ckpt_close(&r);
    if (st == RISE_OK) st = be->sync(be);
    return st;
}
