/* sequence.h - gathers batches for sampled transition indices.
 *
 * For index i at time t of a trajectory starting at row s with length L:
 *  - observation history, To frames: frame j is the obs at time
 *    max(0, t - (To-1) + j) (the first frame repeats before the start).
 *  - next-state history, To frames: the history of s_{t+1}: frame j is the
 *    state at time u = t + 1 - (To-1) + j, i.e. obs[max(0, u)] for u <= t and
 *    next_obs[t] for u = t + 1.
 *  - action chunk, Ta actions: action at time min(t + j, L - 1) (the last
 *    action repeats past the end); valid[b, j] = 1 when t + j < L, else 0.
 * Shapes: obs history [B, To, D], action chunk [B, Ta, A], valid [B, Ta].
 * With To = Ta = 1 these are plain transition batches. */
#ifndef RISE_DATA_SEQUENCE_H
#define RISE_DATA_SEQUENCE_H

#include <stdint.h>

#include "trainset.h"

#ifdef __cplusplus
extern "C" {
#endif

void rise_gather_obs_history(const rise_trainset *ts, const int64_t *idx, int64_t B, int To,
                             float *out);
void rise_gather_next_obs_history(const rise_trainset *ts, const int64_t *idx, int64_t B, int To,
                                  float *out);
void rise_gather_action_chunk(const rise_trainset *ts, const int64_t *idx, int64_t B, int Ta,
                              float *out, float *valid);

/* One-step batch: any output may be NULL. obs/next_obs [B, D], actions
 * [B, A], rewards/dones/expert [B]. */
void rise_gather_transitions(const rise_trainset *ts, const int64_t *idx, int64_t B, float *obs,
                             float *next_obs, float *actions, float *rewards, float *dones,
                             float *expert);

#ifdef __cplusplus
}
#endif
#endif
