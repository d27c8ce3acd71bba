/* sequence.c - history / chunk / transition gathers (see sequence.h). */
#include "sequence.h"

#include <string.h>

void rise_gather_obs_history(const rise_trainset *ts, const int64_t *idx, int64_t B, int To,
                             float *out) {
    const int64_t D = ts->obs_dim;
    for (int64_t b = 0; b < B; ++b) {
        const int64_t i = idx[b], t = ts->step[i], s = ts->traj_start[ts->traj[i]];
        for (int j = 0; j < To; ++j) {
            int64_t u = t - (To - 1) + j;
            if (u < 0) u = 0;
            memcpy(out + (b * To + j) * D, ts->obs + (s + u) * D, (size_t)D * sizeof(float));
        }
    }
}

void rise_gather_next_obs_history(const rise_trainset *ts, const int64_t *idx, int64_t B, int To,
                                  float *out) {
    const int64_t D = ts->obs_dim;
    for (int64_t b = 0; b < B; ++b) {
        const int64_t i = idx[b], t = ts->step[i], s = ts->traj_start[ts->traj[i]];
        for (int j = 0; j < To; ++j) {
            int64_t u = t + 1 - (To - 1) + j;
            const float *src;
            if (u == t + 1)
                src = ts->next_obs + i * D;
            else
                src = ts->obs + (s + (u < 0 ? 0 : u)) * D;
            memcpy(out + (b * To + j) * D, src, (size_t)D * sizeof(float));
        }
    }
}

void rise_gather_action_chunk(const rise_trainset *ts, const int64_t *idx, int64_t B, int Ta,
                              float *out, float *valid) {
    const int64_t A = ts->act_dim;
    for (int64_t b = 0; b < B; ++b) {
        const int64_t i = idx[b], t = ts->step[i], tr = ts->traj[i];
        const int64_t s = ts->traj_start[tr], L = ts->traj_len[tr];
        for (int j = 0; j < Ta; ++j) {
            const int64_t u = t + j < L ? t + j : L - 1;
            memcpy(out + (b * Ta + j) * A, ts->actions + (s + u) * A, (size_t)A * sizeof(float));
            if (valid) valid[b * Ta + j] = t + j < L ? 1.0f : 0.0f;
        }
    }
}

void rise_gather_transitions(const rise_trainset *ts, const int64_t *idx, int64_t B, float *obs,
                             float *next_obs, float *actions, float *rewards, float *dones,
                             float *expert) {
    const int64_t D = ts->obs_dim, A = ts->act_dim;
    for (int64_t b = 0; b < B; ++b) {
        const int64_t i = idx[b];
        if (obs) memcpy(obs + b * D, ts->obs + i * D, (size_t)D * sizeof(float));
        if (next_obs) memcpy(next_obs + b * D, ts->next_obs + i * D, (size_t)D * sizeof(float));
        if (actions) memcpy(actions + b * A, ts->actions + i * A, (size_t)A * sizeof(float));
        if (rewards) rewards[b] = ts->rewards[i];
        if (dones) dones[b] = ts->dones[i];
        if (expert) expert[b] = ts->expert[i] ? 1.0f : 0.0f;
    }
}
