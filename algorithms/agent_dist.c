/* agent_dist.c - an agent as one rank of a data-parallel run (see agent_dist.h): its
 * window on the step's random draws, its slice of the samplers, state broadcast from
 * rank 0, metrics averaged over the ranks, replica checks. The gradient all-reduce itself
 * is the hook in rise_params_adam_step (critic_ops.c), on every network's flat buffer. */
#include "agent_dist.h"

#include <stdlib.h>
#include <string.h>

#include "../host/checkpoint.h"
#include "agent_internal.h"

/* Every flat parameter buffer of the agent, in checkpoint order. */
static int param_buffers(rise_agent *a, rise_params **out) {
    int n = 0;
    out[n++] = &a->pp;
    if (a->has_critic) {
        out[n++] = &a->critic.qp;
        out[n++] = &a->critic.vp;
    }
    if (a->has_cql) {
        if (a->cql.own_q) out[n++] = &a->cql.qp;
        out[n++] = &a->cql.tp;
    }
    return n;
}

static size_t buffer_bytes(const rise_params *p) {
    return sizeof(float) * (size_t)rise_params_slot_count(p) * p->size;
}

rise_status rise_agent_set_comm(rise_agent *a, rise_comm *comm) {
    if (a->ts)
        return rise_error(RISE_ERR_INVALID,
                          "agent: set the communicator before attaching the training data");
    a->comm = comm;
    a->dp_rank = rise_comm_rank(comm);
    a->dp_world = rise_comm_world(comm);
    a->dp_batch = a->B * a->dp_world;
    rise_params *bufs[5];
    const int n = param_buffers(a, bufs);
    for (int i = 0; i < n; ++i) bufs[i]->comm = comm;
    return RISE_OK;
}

rise_rng rise_agent_window(const rise_agent *a, rise_rng r) {
    if (a->dp_world > 1) {
        r.row0 = (uint32_t)(a->dp_rank * a->B);
        r.rows = (uint32_t)a->B;
        r.rows_total = (uint32_t)a->dp_batch;
    }
    return r;
}

rise_status rise_agent_dist_attach(rise_agent *a) {
    if (a->dp_world <= 1) return RISE_OK;
    const int64_t first = (int64_t)a->dp_rank * a->B;
    RISE_TRY(rise_sampler_slice(&a->sampler, first, a->dp_batch, a->cfg.expert_ratio));
    if (a->has_pairs && a->pairs.n > 0)
        RISE_TRY(rise_sampler_slice(&a->pair_sampler, first, a->dp_batch, -1.0));
    return RISE_OK;
}

typedef struct {
    int64_t step;
    uint64_t sampler, pair_sampler;
} shared_counters;

rise_status rise_agent_broadcast(rise_agent *a) {
    if (!a->comm) return RISE_OK;
    rise_params *bufs[5];
    const int n = param_buffers(a, bufs);
    for (int i = 0; i < n; ++i)
        rise_comm_broadcast(a->comm, bufs[i]->buffer, buffer_bytes(bufs[i]));
    if (a->has_diffusion && a->diff.n_spec)
        rise_comm_broadcast(a->comm, a->diff.spec_state, sizeof(float) * a->diff.spec_state_len);
    shared_counters s = {a->step, rise_sampler_state(&a->sampler),
                         rise_sampler_state(&a->pair_sampler)};
    RISE_TRY(rise_comm_host_broadcast(a->comm, &s, sizeof s, 0));
    a->step = s.step;
    rise_sampler_restore(&a->sampler, s.sampler);
    rise_sampler_restore(&a->pair_sampler, s.pair_sampler);
    if (a->clock) rise_agent_clock_reset(a); /* the host counters moved */
    return a->be->sync(a->be);
}

rise_status rise_agent_metrics_reduce(rise_agent *a, rise_agent_metrics *m) {
    return rise_comm_host_allreduce(a->comm, m->values, m->n, RISE_COMM_MEAN);
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t bytes) {
    const unsigned char *p = data;
    for (size_t i = 0; i < bytes; ++i) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static rise_status hash_device(rise_backend *be, uint64_t *h, const void *dev, size_t bytes) {
    void *host = malloc(bytes ? bytes : 1);
    if (!host) return rise_error(RISE_ERR_NOMEM, "agent: out of memory hashing %zu bytes", bytes);
    be->download(be, host, dev, bytes);
    *h = fnv1a(*h, host, bytes);
    free(host);
    return RISE_OK;
}

rise_status rise_agent_state_hash(rise_agent *a, uint64_t *hash) {
    uint64_t h = 0xcbf29ce484222325ull;
    RISE_TRY(a->be->sync(a->be));
    rise_params *bufs[5];
    const int n = param_buffers(a, bufs);
    for (int i = 0; i < n; ++i)
        RISE_TRY(hash_device(a->be, &h, bufs[i]->buffer, buffer_bytes(bufs[i])));
    if (a->has_diffusion && a->diff.n_spec)
        RISE_TRY(
            hash_device(a->be, &h, a->diff.spec_state, sizeof(float) * a->diff.spec_state_len));
    const shared_counters s = {a->step, rise_sampler_state(&a->sampler),
                               rise_sampler_state(&a->pair_sampler)};
    *hash = fnv1a(h, &s, sizeof s);
    return RISE_OK;
}

rise_status rise_agent_check_replicas(rise_agent *a) {
    if (!a->comm) return RISE_OK;
    uint64_t mine = 0, root = 0;
    rise_status st = rise_agent_state_hash(a, &mine);
    root = mine;
    if (st == RISE_OK) st = rise_comm_host_broadcast(a->comm, &root, sizeof root, 0);
    if (st == RISE_OK && mine != root)
        st = rise_error(RISE_ERR_NUMERIC,
                        "its parameters and optimiser state (hash %016llx) differ from rank 0's "
                        "(%016llx) at step %lld: the replicas diverged",
                        (unsigned long long)mine, (unsigned long long)root, (long long)a->step);
    return rise_comm_agree(a->comm, st);
}

rise_status rise_agent_ckpt_world(const char *path, int *world) {
    *world = 1;
    rise_ckpt_reader r;
    RISE_TRY(rise_ckpt_open(&r, path));
    rise_status st = RISE_OK;
    int64_t w = 1;
    if (rise_ckpt_has(&r, "dist/world")) st = rise_ckpt_get_i64(&r, "dist/world", &w);
    if (st == RISE_OK && w < 1)
        st = rise_error(RISE_ERR_FORMAT, "%s: dist/world is %lld, expected >= 1", path,
                        (long long)w);
    *world = (int)w;
    rise_ckpt_close(&r);
    return st;
}
