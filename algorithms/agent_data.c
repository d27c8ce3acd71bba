/* agent_data.c - the training set resident on the backend, and each step's batch
 * assembled there.
 *
 * With data_on_backend (the default on a device backend; agent config), attaching a
 * training set uploads its arrays once, and a step draws its indices and gathers its
 * batches with backend ops (kernels/gather.h: sample_indices, gather_rows,
 * gather_obs_history, gather_action_chunk, action_noise): nothing is gathered on the host
 * and only the sampler counters live there (rise_agent_step advances them; on the device
 * clock the ops read them from backend memory). The ops reproduce rise_sampler_next and
 * the data/sequence.h gathers bit for bit, so both paths train identically
 * (test_agent_data checks it on the CPU backend). Relabelled pairs are drawn by sampling their
 * obs_idx and act_idx arrays as pools with the pair sampler's key (the same draw for both), which
 * is rise_pairs_gather's batch. */
#include "agent_internal.h"

#include <stdlib.h>
#include <string.h>

#include "../data/action_noise.h"

static void *upload_copy(rise_backend *be, const void *src, size_t bytes, rise_status *st) {
    if (*st != RISE_OK) return NULL;
    void *p = be->alloc(be, bytes ? bytes : 4);
    if (!p) {
        *st =
            rise_error(RISE_ERR_NOMEM, "agent: out of backend memory for %zu bytes of data", bytes);
        return NULL;
    }
    if (src && bytes) be->upload(be, p, src, bytes);
    return p;
}

/* An int64 index array as int32 on the backend (indices are < 2^31: the sampler's limit). */
static int32_t *upload_i32(rise_backend *be, const int64_t *src, int64_t n, rise_status *st) {
    if (*st != RISE_OK) return NULL;
    int32_t *h = malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    if (!h) {
        *st = rise_error(RISE_ERR_NOMEM, "agent: out of memory");
        return NULL;
    }
    for (int64_t i = 0; i < n; ++i) h[i] = (int32_t)src[i];
    int32_t *d = upload_copy(be, h, sizeof(int32_t) * (size_t)n, st);
    free(h);
    return d;
}

void rise_agent_data_free(rise_agent *a) {
    rise_backend *be = a->be;
    rise_agent_dev_data *d = &a->dd;
    void *p[] = {d->obs,          d->next_obs,     d->actions,  d->rewards,    d->dones,
                 d->expert,       d->traj,         d->step,     d->traj_start, d->traj_len,
                 d->pool_a,       d->pool_b,       d->pair_obs, d->pair_act,   d->idx,
                 d->pair_obs_idx, d->pair_act_idx, d->repeat,   d->sigma,      d->batch_expert};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; ++i)
        if (p[i]) be->free(be, p[i]);
    memset(d, 0, sizeof *d);
}

rise_status rise_agent_data_upload(rise_agent *a) {
    rise_agent_data_free(a);
    const rise_trainset *ts = a->ts;
    const rise_agent_config *c = &a->cfg;
    rise_backend *be = a->be;
    rise_agent_dev_data *d = &a->dd;
    const size_t n = (size_t)ts->n, D = (size_t)ts->obs_dim, A = (size_t)ts->act_dim;
    const size_t nt = (size_t)ts->n_traj, B = (size_t)a->B, M = (size_t)c->noise_copies;
    rise_status st = RISE_OK;
    d->obs = upload_copy(be, ts->obs, sizeof(float) * n * D, &st);
    d->next_obs = upload_copy(be, ts->next_obs, sizeof(float) * n * D, &st);
    d->actions = upload_copy(be, ts->actions, sizeof(float) * n * A, &st);
    d->rewards = upload_copy(be, ts->rewards, sizeof(float) * n, &st);
    d->dones = upload_copy(be, ts->dones, sizeof(float) * n, &st);
    d->traj = upload_copy(be, ts->traj, sizeof(int32_t) * n, &st);
    d->step = upload_copy(be, ts->step, sizeof(int32_t) * n, &st);
    d->traj_start = upload_copy(be, ts->traj_start, sizeof(int64_t) * nt, &st);
    d->traj_len = upload_copy(be, ts->traj_len, sizeof(int64_t) * nt, &st);
    float *flag = st == RISE_OK ? malloc(sizeof(float) * (n ? n : 1)) : NULL;
    if (st == RISE_OK && !flag) st = rise_error(RISE_ERR_NOMEM, "agent: out of memory");
    for (size_t i = 0; flag && i < n; ++i) flag[i] = ts->expert[i] ? 1.0f : 0.0f;
    d->expert = upload_copy(be, flag, sizeof(float) * n, &st);
    free(flag);
    if (a->sampler.batch_a >= 0) {
        d->pool_a = upload_i32(be, a->sampler.pool_a, a->sampler.n_a, &st);
        d->pool_b = upload_i32(be, a->sampler.pool_b, a->sampler.n_b, &st);
    }
    if (a->has_pairs && a->pairs.n > 0) {
        d->pair_obs = upload_i32(be, a->pairs.obs_idx, a->pairs.n, &st);
        d->pair_act = upload_i32(be, a->pairs.act_idx, a->pairs.n, &st);
    }
    d->idx = upload_copy(be, NULL, sizeof(int32_t) * B, &st);
    d->pair_obs_idx = upload_copy(be, NULL, sizeof(int32_t) * B, &st);
    d->pair_act_idx = upload_copy(be, NULL, sizeof(int32_t) * B, &st);
    d->batch_expert = upload_copy(be, NULL, sizeof(float) * B, &st);
    if (M > 0 && st == RISE_OK) {
        int32_t *rep = malloc(sizeof(int32_t) * B * M);
        if (!rep) st = rise_error(RISE_ERR_NOMEM, "agent: out of memory");
        for (size_t r = 0; rep && r < B * M; ++r) rep[r] = (int32_t)(r / M);
        d->repeat = upload_copy(be, rep, sizeof(int32_t) * B * M, &st);
        free(rep);
        rise_action_noise_levels((int)M, c->noise_lo, c->noise_hi, a->h_sigma);
        d->sigma = upload_copy(be, a->h_sigma, sizeof(float) * M, &st);
    }
    if (st != RISE_OK) rise_agent_data_free(a);
    return st;
}

/* The policy batch: observation history and action chunk of the sampled transitions, or of
 * a batch of relabelled pairs; then M noisy copies of each chunk (rows B + b M + m). */
static void gather_policy(rise_agent *a) {
    const rise_agent_config *c = &a->cfg;
    const rise_trainset *ts = a->ts;
    rise_backend *be = a->be;
    rise_agent_dev_data *d = &a->dd;
    const int B = a->B, D = (int)ts->obs_dim, A = (int)ts->act_dim, M = c->noise_copies;
    const int32_t *hist_idx = d->idx, *chunk_idx = d->idx;
    if (a->last_policy_from_pairs) {
        const rise_rng rng = rise_agent_sampler_rng(a, &a->pair_sampler, RISE_CLOCK_PAIRS);
        const int64_t np = a->pairs.n;
        be->sample_indices(be, d->pair_obs_idx, B, np, d->pair_obs, np, NULL, 0, B, rng);
        be->sample_indices(be, d->pair_act_idx, B, np, d->pair_act, np, NULL, 0, B, rng);
        hist_idx = d->pair_obs_idx;
        chunk_idx = d->pair_act_idx;
    }
    be->gather_obs_history(be, a->d_pobs, d->obs, NULL, d->traj, d->step, d->traj_start, ts->n,
                           hist_idx, B, c->obs_horizon, D);
    be->gather_action_chunk(be, a->d_chunk, NULL, d->actions, d->traj, d->step, d->traj_start,
                            d->traj_len, ts->n, chunk_idx, B, c->action_horizon, A);
    if (M == 0) return;
    const rise_rng rng = rise_agent_step_rng(a, RISE_STREAM_AGENT_NOISE);
    be->action_noise(be, a->d_chunk + (size_t)B * a->AD, NULL, NULL, a->d_chunk, d->sigma, B, M,
                     a->AD, rng);
    be->gather_rows(be, a->d_pobs + (size_t)B * a->OD, a->d_pobs, B, d->repeat, B * M, a->OD, NULL,
                    NULL);
}

void rise_agent_data_gather(rise_agent *a) {
    const rise_trainset *ts = a->ts;
    rise_backend *be = a->be;
    rise_agent_dev_data *d = &a->dd;
    const rise_sampler *s = &a->sampler;
    const int B = a->B, D = (int)ts->obs_dim, A = (int)ts->act_dim;
    const int mixed = s->batch_a >= 0;
    if (a->last_regular_batch)
        be->sample_indices(be, d->idx, B, s->n, mixed ? d->pool_a : NULL, s->n_a,
                           mixed ? d->pool_b : NULL, s->n_b, (int)s->batch_a,
                           rise_agent_sampler_rng(a, s, RISE_CLOCK_SAMPLER));
    if (a->last_critic_update || a->has_gauss) {
        be->gather_rows(be, a->d_obs, d->obs, ts->n, d->idx, B, D, NULL, NULL);
        be->gather_rows(be, a->d_next, d->next_obs, ts->n, d->idx, B, D, NULL, NULL);
        be->gather_rows(be, a->d_act, d->actions, ts->n, d->idx, B, A, NULL, NULL);
        be->gather_rows(be, a->d_r, d->rewards, ts->n, d->idx, B, 1, NULL, NULL);
        be->gather_rows(be, a->d_d, d->dones, ts->n, d->idx, B, 1, NULL, NULL);
        be->gather_rows(be, d->batch_expert, d->expert, ts->n, d->idx, B, 1, NULL, NULL);
    }
    if (!a->has_gauss) gather_policy(a);
}

const float *rise_agent_batch_expert(rise_agent *a) {
    if (a->data_on_backend && a->dd.batch_expert)
        a->be->download(a->be, a->h_expert, a->dd.batch_expert, sizeof(float) * (size_t)a->B);
    return a->h_expert;
}
