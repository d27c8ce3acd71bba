/* seed_pool.h - worker threads that step the independent agents of train.seeds.
 *
 *   rise_seed_pool *p;
 *   RISE_TRY(rise_seed_pool_create(workers, omp_threads, &p));
 *   rise_seed_job jobs[S] = {{agent_s, target_s, ...}, ...};
 *   rise_seed_pool_run(p, jobs, S);          every job's agent stepped to its target (or failed)
 *   rise_seed_pool_free(p);
 *
 * Each worker takes the least-advanced agent no other worker holds, steps it a few steps
 * and puts it back, so S agents on W < S threads advance together (S = 3 on 2 threads keeps
 * both busy). An agent is stepped by one thread at a time, and every op of its step gives
 * the same bits on any thread and for any OpenMP thread count (host/backend_cpu.c), so which
 * worker ran which step changes nothing: each agent trains exactly as it would alone. Each
 * agent needs a backend of its own (the CPU GEMM's primitive cache is not shared across
 * threads). Workers run their ops with omp_threads OpenMP threads each. With 0 workers the
 * caller steps the agents itself, in the same order rule (a GPU backend: its launches are
 * asynchronous, and agents on separate streams overlap on the device). */
#ifndef RISE_SEED_POOL_H
#define RISE_SEED_POOL_H

#include <stdint.h>

#include "agent.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    rise_agent *agent;
    int64_t target; /* step the agent is to reach */
    /* called after every step (tests inject faults with it); may be NULL */
    void (*after_step)(rise_agent *a, void *ctx);
    void *ctx;
    /* results: RISE_OK, or the first failure (the agent stays at the step that failed) */
    rise_status st;
    char error[1024];
    int busy; /* internal */
} rise_seed_job;

typedef struct rise_seed_pool rise_seed_pool;

/* The threads-per-seed policy: *workers threads stepping n agents, each running its ops on
 * *omp_per OpenMP threads, out of omp_threads in all. seed_threads > 0 asks for that many
 * workers (train.seed_threads); 0 takes min(n, omp_threads): one agent per core, each op
 * single-threaded, which beat one agent at a time on every OpenMP thread at the maze and
 * paper sizes (docs/performance.md, "Seeds in one process"). One agent, or a device
 * backend (asynchronous launches), is stepped by the caller: *workers = 0. */
void rise_seed_pool_plan(int n, int on_device, int seed_threads, int omp_threads, int *workers,
                         int *omp_per);

/* workers >= 0 threads (0: the caller steps), each running its ops on omp_threads >= 1
 * OpenMP threads. */
rise_status rise_seed_pool_create(int workers, int omp_threads, rise_seed_pool **out);
void rise_seed_pool_free(rise_seed_pool *p);

/* Steps every job whose st is RISE_OK to its target; returns when all are there or failed.
 * Jobs already failed (st != RISE_OK) are left alone. */
void rise_seed_pool_run(rise_seed_pool *p, rise_seed_job *jobs, int n);

#ifdef __cplusplus
}
#endif
#endif
