/* agent_query.c - the critic of a trained agent asked directly: Q(s, a) = min(Q1, Q2) and
 * V(s) for raw states and actions, normalised here with the run's statistics exactly as
 * extraction feeds the critic (agent_policy.c: the current frame, the first action). For
 * tools and the Python package, not the step loop: each call sizes its own scratch. */
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"

typedef struct {
    rise_agent *a;
    int n, want_v;
    float *d_obs, *d_act, *d_out;
} query;

static void query_ops(const query *qr, rise_arena *ar) {
    rise_agent *a = qr->a;
    if (qr->want_v)
        rise_iql_critic_value(&a->critic, ar, qr->d_obs, qr->n, qr->d_out, NULL);
    else if (a->has_critic)
        rise_iql_critic_qmin(&a->critic, ar, a->critic.qp.value, qr->d_obs, qr->d_act, qr->n,
                             qr->d_out, NULL);
    else
        rise_cql_qmin(&a->cql, ar, a->cql.qp.value, qr->d_obs, qr->d_act, qr->n, qr->d_out);
}

static rise_status run_query(rise_agent *a, int n, const float *obs, const float *act, float *out,
                             int want_v) {
    const rise_agent_config *c = &a->cfg;
    const int D = c->obs_dim, A = c->act_dim;
    const int has_q = a->has_critic || (a->has_cql && a->cql.own_q);
    if (want_v && !a->has_critic)
        return rise_error(RISE_ERR_INVALID, "a %s agent has no value function V(s)%s",
                          rise_algo_name(c->algo),
                          has_q ? " (it has Q(s, a))" : " (it has no critic)");
    if (!want_v && !has_q)
        return rise_error(RISE_ERR_INVALID, "a %s agent has no critic Q(s, a)",
                          rise_algo_name(c->algo));
    if (n <= 0) return rise_error(RISE_ERR_INVALID, "critic query on %d rows, expected >= 1", n);
    if (a->has_vision)
        return rise_error(RISE_ERR_INVALID,
                          "this %s critic reads camera frames; a query passes low-dim states only",
                          rise_algo_name(c->algo));
    rise_backend *be = a->be;
    float *h_obs = malloc(sizeof(float) * (size_t)n * D);
    float *h_act = act ? malloc(sizeof(float) * (size_t)n * A) : NULL;
    query qr = {a,
                n,
                want_v,
                be->alloc(be, sizeof(float) * (size_t)n * D),
                act ? be->alloc(be, sizeof(float) * (size_t)n * A) : NULL,
                be->alloc(be, sizeof(float) * (size_t)n)};
    rise_arena ar;
    memset(&ar, 0, sizeof ar);
    rise_status st = RISE_OK;
    if (!h_obs || (act && !h_act) || !qr.d_obs || (act && !qr.d_act) || !qr.d_out)
        st = rise_error(RISE_ERR_NOMEM, "critic query: out of memory for %d rows", n);
    if (st == RISE_OK) {
        memcpy(h_obs, obs, sizeof(float) * (size_t)n * D);
        rise_norm_apply_obs(&a->norm, h_obs, n);
        be->upload(be, qr.d_obs, h_obs, sizeof(float) * (size_t)n * D);
        if (act) {
            memcpy(h_act, act, sizeof(float) * (size_t)n * A);
            rise_norm_apply_actions(&a->norm, h_act, n);
            be->upload(be, qr.d_act, h_act, sizeof(float) * (size_t)n * A);
        }
        rise_arena m;
        rise_arena_init_measure(&m);
        query_ops(&qr, &m);
        st = rise_arena_init(&ar, be, m.peak + RISE_ARENA_ALIGN_FLOATS);
    }
    if (st == RISE_OK) {
        query_ops(&qr, &ar);
        st = be->sync(be);
    }
    if (st == RISE_OK) be->download(be, out, qr.d_out, sizeof(float) * (size_t)n);
    rise_arena_free(&ar);
    void *dev[] = {qr.d_obs, qr.d_act, qr.d_out};
    for (int i = 0; i < 3; ++i)
        if (dev[i]) be->free(be, dev[i]);
    free(h_obs);
    free(h_act);
    return st;
}

rise_status rise_agent_q(rise_agent *a, int n, const float *obs, const float *act, float *q) {
    return run_query(a, n, obs, act, q, 0);
}

rise_status rise_agent_v(rise_agent *a, int n, const float *obs, float *v) {
    return run_query(a, n, obs, NULL, v, 1);
}
