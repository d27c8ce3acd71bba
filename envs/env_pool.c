/* env_pool.c - OpenMP env pool (see env_pool.h). Errors raised inside a
 * worker are recorded per row (the message is thread-local) and the first
 * failing row's message is re-raised on the calling thread. */
#include "env_pool.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_MSG          512
#define POOL_MIN_PARALLEL 64 /* env steps in a call below which it runs on one thread */

struct rise_env_pool {
    int n, threads;
    rise_env **envs;
    rise_status *status; /* [n] */
    char (*msg)[POOL_MSG];
    int frames;  /* observation history length (0: none kept) */
    float *hist; /* [n, frames, D], oldest frame first */
};

/* Row i's history after an observation: the oldest frame drops out. */
static void hist_push(rise_env_pool *p, int i, const float *o, int D) {
    if (!p->hist) return;
    float *h = p->hist + (size_t)i * p->frames * D;
    memmove(h, h + D, sizeof(float) * (size_t)(p->frames - 1) * D);
    memcpy(h + (size_t)(p->frames - 1) * D, o, sizeof(float) * D);
}

/* Row i's history right after a reset: every frame is the first observation. */
static void hist_fill(rise_env_pool *p, int i, const float *o, int D) {
    if (!p->hist) return;
    for (int f = 0; f < p->frames; ++f)
        memcpy(p->hist + ((size_t)i * p->frames + f) * D, o, sizeof(float) * D);
}

rise_status rise_env_pool_keep_history(rise_env_pool *p, int frames) {
    if (frames < 1) return rise_error(RISE_ERR_INVALID, "env pool: history of %d frames", frames);
    free(p->hist);
    p->hist = NULL;
    p->frames = 0;
    if (frames == 1) return RISE_OK;
    const int D = rise_env_pool_info(p)->obs_dim;
    p->hist = calloc((size_t)p->n * frames * D, sizeof(float));
    if (!p->hist) return rise_error(RISE_ERR_NOMEM, "env pool: history of %d frames", frames);
    p->frames = frames;
    return RISE_OK;
}

float *rise_env_pool_history(rise_env_pool *p) { return p->hist; }

rise_status rise_env_pool_create(rise_env_pool **out, const char *task, const char *settings_json,
                                 int n, int n_threads) {
    *out = NULL;
    if (n <= 0) return rise_error(RISE_ERR_INVALID, "env pool: size %d, expected at least 1", n);
    rise_env_pool *p = calloc(1, sizeof *p);
    if (!p) return rise_error(RISE_ERR_NOMEM, "out of memory");
    p->n = n;
    p->threads = n_threads > 0 ? n_threads : omp_get_max_threads();
    p->envs = calloc((size_t)n, sizeof *p->envs);
    p->status = calloc((size_t)n, sizeof *p->status);
    p->msg = calloc((size_t)n, sizeof *p->msg);
    if (!p->envs || !p->status || !p->msg) {
        rise_env_pool_destroy(p);
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < n; ++i) {
        rise_status st = rise_env_create(task, settings_json, &p->envs[i]);
        if (st != RISE_OK) {
            rise_env_pool_destroy(p);
            return st;
        }
    }
    *out = p;
    return RISE_OK;
}

void rise_env_pool_destroy(rise_env_pool *p) {
    if (!p) return;
    for (int i = 0; p->envs && i < p->n; ++i) rise_env_destroy(p->envs[i]);
    free(p->envs);
    free(p->status);
    free(p->msg);
    free(p->hist);
    free(p);
}

int rise_env_pool_size(const rise_env_pool *p) { return p->n; }
int rise_env_pool_threads(const rise_env_pool *p) { return p->threads; }
rise_env *rise_env_pool_env(rise_env_pool *p, int i) { return p->envs[i]; }
const rise_env_info *rise_env_pool_info(const rise_env_pool *p) { return &p->envs[0]->info; }

static void record(rise_env_pool *p, int i, rise_status st) {
    p->status[i] = st;
    if (st != RISE_OK) snprintf(p->msg[i], POOL_MSG, "%s", rise_last_error());
}

static rise_status first_error(const rise_env_pool *p, const char *what) {
    for (int i = 0; i < p->n; ++i)
        if (p->status[i] != RISE_OK)
            return rise_error(p->status[i], "env pool %s, row %d: %s", what, i, p->msg[i]);
    return RISE_OK;
}

rise_status rise_env_pool_reset(rise_env_pool *p, const uint8_t *mask, const uint64_t *seeds,
                                const double *ics, float *obs) {
    const rise_env_info *info = rise_env_pool_info(p);
    const int D = info->obs_dim, C = info->ic.dim;
#pragma omp parallel for schedule(dynamic, 8) num_threads(p->threads)
    for (int i = 0; i < p->n; ++i) {
        p->status[i] = RISE_OK;
        if (mask && !mask[i]) continue;
        const rise_status st =
            rise_env_reset(p->envs[i], seeds ? seeds[i] : 0, ics ? ics + (size_t)i * C : NULL,
                           obs + (size_t)i * D);
        if (st == RISE_OK) hist_fill(p, i, obs + (size_t)i * D, D);
        record(p, i, st);
    }
    return first_error(p, "reset");
}

rise_status rise_env_pool_step(rise_env_pool *p, const float *actions, int chunk, const int *n_exec,
                               float *obs, const rise_env_pool_result *res) {
    const rise_env_info *info = rise_env_pool_info(p);
    const int D = info->obs_dim, A = info->act_dim;
    if (chunk < 1) return rise_error(RISE_ERR_INVALID, "env pool step: chunk %d < 1", chunk);
    long work = 0;
    for (int i = 0; i < p->n; ++i) work += n_exec ? (n_exec[i] > 0 ? n_exec[i] : 0) : 1;
        /* A few dozen cheap steps cost less than waking the team (much less
         * when the machine is oversubscribed and a barrier waits a time slice). */
#pragma omp parallel for schedule(dynamic, 8) num_threads(p->threads) if (work >= POOL_MIN_PARALLEL)
    for (int i = 0; i < p->n; ++i) {
        p->status[i] = RISE_OK;
        const int want = n_exec ? n_exec[i] : 1;
        if (want <= 0) continue;
        rise_env *e = p->envs[i];
        float reward = 0.0f;
        int steps = 0;
        rise_env_step_info si = {0};
        rise_status st = RISE_OK;
        if (want > chunk)
            st = rise_error(RISE_ERR_INVALID, "n_exec %d exceeds the chunk length %d", want, chunk);
        for (int k = 0; st == RISE_OK && k < want && !e->done; ++k) {
            st = rise_env_step(e, actions + ((size_t)i * chunk + k) * A, obs + (size_t)i * D, &si);
            if (st == RISE_OK) hist_push(p, i, obs + (size_t)i * D, D);
            reward += si.reward;
            ++steps;
        }
        record(p, i, st);
        if (res && res->reward) res->reward[i] = reward;
        if (res && res->steps) res->steps[i] = steps;
        if (res && res->success) res->success[i] = (uint8_t)e->success;
        if (res && res->done) res->done[i] = (uint8_t)e->done;
        if (res && res->failed) res->failed[i] = si.failed;
    }
    return first_error(p, "step");
}
