/* rollout.c - the episode engine behind the evaluators (see rollout.h). */
#include "rollout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/philox.h"

void rise_perturb_delta(const rise_perturb_plan *plan, int dim, uint64_t key, int k,
                        double *delta) {
    double norm2 = 0.0;
    for (int i = 0; i < dim; ++i) {
        delta[i] = rise_rng_normal(plan->seed, RISE_STREAM_ENV_PERTURB, RISE_ENV_KEY_BLOCKS(key),
                                   (uint64_t)k * (uint64_t)dim + (uint64_t)i);
        norm2 += delta[i] * delta[i];
    }
    const double scale = norm2 > 0.0 ? plan->distance / sqrt(norm2) : 0.0;
    for (int i = 0; i < dim; ++i) delta[i] *= scale;
    if (norm2 == 0.0 && dim > 0) delta[0] = plan->distance;
}

typedef struct {
    int64_t episode; /* -1: free */
    int t;
    int k; /* perturbations applied */
} slot;

rise_status rise_rollout(rise_env_pool *pool, rise_policy *pol, int64_t n, const double *ics,
                         const uint64_t *keys, const rise_perturb_plan *plan,
                         rise_episode_result *res, rise_rollout_progress_fn progress,
                         void *progress_ctx) {
    const rise_env_info *info = rise_env_pool_info(pool);
    const int P = rise_env_pool_size(pool), D = info->obs_dim, A = info->act_dim;
    const int C = info->ic.dim, PD = info->perturb_dim;
    if (pol->obs_dim != D || pol->act_dim != A)
        return rise_error(RISE_ERR_INVALID,
                          "rollout: policy '%s' takes %d observations and gives %d actions, but "
                          "task %s has %d and %d",
                          pol->name, pol->obs_dim, pol->act_dim, info->task, D, A);
    if (pol->chunk < 1 || pol->n_exec < 1 || pol->n_exec > pol->chunk)
        return rise_error(RISE_ERR_INVALID, "rollout: policy '%s' has chunk %d, n_exec %d",
                          pol->name, pol->chunk, pol->n_exec);
    const int np = plan ? plan->n_perturb : 0;
    if (np < 0 || np > RISE_MAX_PERTURB)
        return rise_error(RISE_ERR_INVALID, "rollout: %d perturbations, at most %d", np,
                          RISE_MAX_PERTURB);
    for (int k = 0; k < np; ++k)
        if (plan->perturb_t[k] < 0 || (k > 0 && plan->perturb_t[k] <= plan->perturb_t[k - 1]))
            return rise_error(RISE_ERR_INVALID,
                              "rollout: perturbation times must be >= 0 and increasing");
    const int H = pol->chunk;
    const int To = pol->obs_horizon > 1 ? pol->obs_horizon : 1;
    if (To > 1) RISE_TRY(rise_env_pool_keep_history(pool, To));
    float *hist = rise_env_pool_history(pool);
    float *hist_c = To > 1 ? calloc((size_t)P * To * D, sizeof *hist_c) : NULL;
    slot *slots = calloc((size_t)P, sizeof *slots);
    float *obs = calloc((size_t)P * D, sizeof *obs);
    float *obs_c = calloc((size_t)P * D, sizeof *obs_c);
    float *act_c = calloc((size_t)P * H * A, sizeof *act_c);
    float *act = calloc((size_t)P * H * A, sizeof *act);
    uint64_t *seeds = calloc((size_t)P, sizeof *seeds), *keys_c = calloc((size_t)P, sizeof *keys_c);
    double *ic_buf = calloc((size_t)P * C, sizeof *ic_buf);
    int *t_c = calloc((size_t)P, sizeof *t_c), *rows = calloc((size_t)P, sizeof *rows);
    int *n_exec = calloc((size_t)P, sizeof *n_exec), *steps = calloc((size_t)P, sizeof *steps);
    uint8_t *mask = calloc((size_t)P, 1), *done = calloc((size_t)P, 1);
    uint8_t *success = calloc((size_t)P, 1), *failed = calloc((size_t)P, 1);
    rise_status st = RISE_OK;
    if ((To > 1 && !hist_c) || !slots || !obs || !obs_c || !act_c || !act || !seeds || !keys_c ||
        !ic_buf || !t_c || !rows || !n_exec || !steps || !mask || !done || !success || !failed)
        st = rise_error(RISE_ERR_NOMEM, "out of memory");
    for (int s = 0; s < P && st == RISE_OK; ++s) slots[s].episode = -1;
    int64_t next = 0, finished = 0;
    const rise_env_pool_result pr = {NULL, steps, success, done, failed};
    while (st == RISE_OK) {
        int any_reset = 0;
        for (int s = 0; s < P; ++s) {
            mask[s] = 0;
            if (slots[s].episode < 0 && next < n) {
                slots[s] = (slot){next, 0, 0};
                seeds[s] = keys[next];
                memcpy(ic_buf + (size_t)s * C, ics + (size_t)next * C, sizeof(double) * C);
                mask[s] = 1;
                any_reset = 1;
                ++next;
            }
        }
        if (any_reset) st = rise_env_pool_reset(pool, mask, seeds, ic_buf, obs);
        int m = 0;
        for (int s = 0; st == RISE_OK && s < P; ++s) {
            slot *sl = &slots[s];
            if (sl->episode < 0) continue;
            const uint64_t key = keys[sl->episode];
            while (sl->k < np && plan->perturb_t[sl->k] == sl->t && st == RISE_OK) {
                double delta[RISE_ENV_MAX_IC];
                rise_perturb_delta(plan, PD, key, sl->k, delta);
                st = rise_env_perturb(rise_env_pool_env(pool, s), delta, obs + (size_t)s * D);
                if (hist) /* the displaced state is the newest frame */
                    memcpy(hist + ((size_t)s * To + To - 1) * D, obs + (size_t)s * D,
                           sizeof(float) * D);
                sl->k++;
            }
            memcpy(obs_c + (size_t)m * D, obs + (size_t)s * D, sizeof(float) * D);
            if (hist)
                memcpy(hist_c + (size_t)m * To * D, hist + (size_t)s * To * D,
                       sizeof(float) * (size_t)To * D);
            keys_c[m] = key;
            t_c[m] = sl->t;
            rows[m++] = s;
        }
        if (st != RISE_OK || m == 0) break;
        const rise_policy_ctx ctx = {keys_c, t_c, hist_c};
        st = pol->act(pol, m, obs_c, &ctx, act_c);
        if (st != RISE_OK) {
            rise_error_context(st, "policy '%s': ", pol->name);
            break;
        }
        memset(n_exec, 0, sizeof(int) * P);
        for (int r = 0; r < m; ++r) {
            const int s = rows[r];
            memcpy(act + (size_t)s * H * A, act_c + (size_t)r * H * A, sizeof(float) * H * A);
            int ne = pol->n_exec;
            /* Stop the chunk where the next perturbation is due. */
            if (slots[s].k < np && plan->perturb_t[slots[s].k] - slots[s].t < ne)
                ne = plan->perturb_t[slots[s].k] - slots[s].t;
            n_exec[s] = ne;
        }
        st = rise_env_pool_step(pool, act, H, n_exec, obs, &pr);
        for (int r = 0; st == RISE_OK && r < m; ++r) {
            const int s = rows[r];
            slot *sl = &slots[s];
            sl->t += steps[s];
            if (!done[s]) continue;
            rise_episode_result *out = &res[sl->episode];
            out->success = success[s];
            out->failed = failed[s];
            out->steps = sl->t;
            out->n_perturbed = sl->k;
            sl->episode = -1;
            ++finished;
            if (progress) progress(progress_ctx, finished, n);
        }
    }
    free(slots);
    free(hist_c);
    if (To > 1) rise_env_pool_keep_history(pool, 1);
    free(obs);
    free(obs_c);
    free(act_c);
    free(act);
    free(seeds);
    free(keys_c);
    free(ic_buf);
    free(t_c);
    free(rows);
    free(n_exec);
    free(steps);
    free(mask);
    free(done);
    free(success);
    free(failed);
    return st;
}
