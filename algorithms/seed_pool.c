/* seed_pool.c - worker threads stepping the agents of train.seeds (see seed_pool.h). */
#include "seed_pool.h"

#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Steps an agent runs before its worker looks again for the least-advanced one: long
 * enough that taking one costs nothing against its steps (milliseconds each), short
 * enough that S agents on fewer threads stay within a few steps of each other. */
#define SEED_POOL_QUANTUM 4

struct rise_seed_pool {
    int workers, omp_threads;
    pthread_t *threads;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    /* the current round: jobs, and how many workers have finished it */
    rise_seed_job *jobs;
    int n_jobs;
    unsigned round;
    int finished;
    int quit;
};

/* The least-advanced job no one holds that still has steps to go (mu held); -1 if none. */
static int pick(rise_seed_job *jobs, int n) {
    int best = -1;
    int64_t best_step = 0;
    for (int i = 0; i < n; ++i) {
        const rise_seed_job *j = &jobs[i];
        if (j->busy || j->st != RISE_OK) continue;
        const int64_t k = rise_agent_step_count(j->agent);
        if (k >= j->target) continue;
        if (best < 0 || k < best_step) best = i, best_step = k;
    }
    return best;
}

/* Takes jobs until none is left; mu is not held on entry or exit. */
static void work(rise_seed_pool *p, rise_seed_job *jobs, int n) {
    pthread_mutex_lock(&p->mu);
    for (;;) {
        const int i = pick(jobs, n);
        if (i < 0) break;
        rise_seed_job *j = &jobs[i];
        j->busy = 1;
        pthread_mutex_unlock(&p->mu);
        rise_status st = RISE_OK;
        for (int s = 0; s < SEED_POOL_QUANTUM && st == RISE_OK; ++s) {
            if (rise_agent_step_count(j->agent) >= j->target) break;
            st = rise_agent_step(j->agent);
            if (st == RISE_OK && j->after_step) j->after_step(j->agent, j->ctx);
        }
        pthread_mutex_lock(&p->mu);
        if (st != RISE_OK) { /* the message is this thread's: keep it with the job */
            j->st = st;
            snprintf(j->error, sizeof j->error, "%s", rise_last_error());
        }
        j->busy = 0;
    }
    pthread_mutex_unlock(&p->mu);
}

static void *worker_main(void *arg) {
    rise_seed_pool *p = arg;
    omp_set_num_threads(p->omp_threads); /* this thread's own OpenMP setting */
    unsigned seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->round == seen) pthread_cond_wait(&p->work, &p->mu);
        if (p->quit) break;
        seen = p->round;
        rise_seed_job *jobs = p->jobs;
        const int n = p->n_jobs;
        pthread_mutex_unlock(&p->mu);
        work(p, jobs, n);
        pthread_mutex_lock(&p->mu);
        if (++p->finished == p->workers) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

void rise_seed_pool_plan(int n, int on_device, int seed_threads, int omp_threads, int *workers,
                         int *omp_per) {
    int w = 0;
    if (omp_threads < 1) omp_threads = 1;
    if (n > 1 && !on_device) {
        w = seed_threads > 0 ? seed_threads : omp_threads;
        if (w > n) w = n;
        if (w == 1) w = 0; /* one thread: the caller, with every OpenMP thread */
    }
    const int per = w ? omp_threads / w : omp_threads;
    *workers = w;
    *omp_per = per > 0 ? per : 1;
}

rise_status rise_seed_pool_create(int workers, int omp_threads, rise_seed_pool **out) {
    *out = NULL;
    RISE_ASSERT(workers >= 0 && omp_threads >= 1, "seed pool: %d workers, %d OpenMP threads",
                workers, omp_threads);
    rise_seed_pool *p = calloc(1, sizeof *p);
    if (!p) return rise_error(RISE_ERR_NOMEM, "seed pool: out of memory");
    p->workers = workers;
    p->omp_threads = omp_threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    p->threads = calloc((size_t)(workers ? workers : 1), sizeof *p->threads);
    if (!p->threads) {
        rise_seed_pool_free(p);
        return rise_error(RISE_ERR_NOMEM, "seed pool: out of memory");
    }
    for (; p->started < workers; ++p->started)
        if (pthread_create(&p->threads[p->started], NULL, worker_main, p) != 0) {
            rise_seed_pool_free(p);
            return rise_error(RISE_ERR_NOMEM, "seed pool: cannot start worker thread %d of %d",
                              p->started + 1, workers);
        }
    *out = p;
    return RISE_OK;
}

void rise_seed_pool_free(rise_seed_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->started; ++i) pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p);
}

void rise_seed_pool_run(rise_seed_pool *p, rise_seed_job *jobs, int n) {
    for (int i = 0; i < n; ++i) jobs[i].busy = 0;
    if (p->workers == 0) {
        work(p, jobs, n);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->jobs = jobs;
    p->n_jobs = n;
    p->finished = 0;
    p->round++;
    pthread_cond_broadcast(&p->work);
    while (p->finished < p->workers) pthread_cond_wait(&p->done, &p->mu);
    p->jobs = NULL;
    pthread_mutex_unlock(&p->mu);
}
