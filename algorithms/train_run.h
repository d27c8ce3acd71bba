/* train_run.h - a whole training run in a run directory, and loading one back.
 *
 * RUN_DIR/ holds config.json (the resolved configuration, train.task resolved against the
 * data: train_data.h), header.json (commit, device, library versions, and the summary of the
 * data the run loaded with its env_args and relabelled pair count; the summary is also
 * printed unless quiet, notices always), metrics.csv and metrics.jsonl (one row per log
 * interval: losses and diagnostics only, no timings, so a resumed run logs the same
 * bytes as an uninterrupted one), checkpoint.h5 (written atomically every
 * train.ckpt_every steps and at the end) and, after `rise eval`, eval/. Temporary files
 * (FILE.tmp.<pid>) left there by killed processes are removed when a run starts.
 *
 * NaN/Inf in a loss or in the parameters is caught at the log interval: the run
 * stops with RISE_ERR_NUMERIC and the last good checkpoint stays as it was.
 *
 * Data parallelism (opts.launch of world W > 1): every rank builds the training set,
 * trains its B / W rows of each global batch of train.batch = B (B must divide by W) and
 * averages gradients with the others (algorithms/agent_dist.h); rank 0 alone writes the run
 * directory (header.json records train.world) and checkpoints, after checking that the
 * replicas are still identical; metrics are averaged over the ranks. A failure on any rank
 * (bad data, a NaN at the log interval, a write error) is agreed on by all and ends the
 * run on every rank with a message naming the rank; a rank that dies is the launcher's to
 * report (mpirun, srun, rise --gpus end the job). */
#ifndef RISE_TRAIN_RUN_H
#define RISE_TRAIN_RUN_H

#include "../host/comm.h"
#include "agent.h"
#include "train_config.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int quiet; /* no progress line */
    /* Called after every step (tests use it to inject faults); may be NULL. */
    void (*after_step)(rise_agent *a, void *ctx);
    void *ctx;
    /* Data parallelism: this process's place in the job (rise_launch_from_env, or a child of
     * rise_launch_fork); NULL: one process. */
    const rise_launch *launch;
    const char *comm; /* none|mpi|nccl|auto; NULL: auto (comm.h) */
} rise_train_opts;

typedef struct {
    int64_t first_step, last_step; /* steps run by this call: (first_step, last_step] (the
                                      slowest seed's, with train.seeds) */
    double seconds;
    double steps_per_s; /* all seeds together */
    int64_t pairs;      /* relabelled pairs (0 when off) */
    int rank, world;    /* this process's place in the job */
    int shared_error;   /* the error was agreed by all ranks: rank 0 reports it */
    int seeds;          /* agents trained: 1, or the length of train.seeds */
    int64_t steps_run;  /* steps run by this call, all seeds together */
} rise_train_summary;

/* Trains cfg (checked here) into run_dir. resume: continue from run_dir/checkpoint.h5
 * (the caller loads run_dir/config.json into cfg first, see rise_train_load_config).
 *
 * train.seeds = [S0, S1, ...]: one agent per seed, trained side by side in this process
 * (algorithms/seed_pool.h) on one training set (relabelled pairs built once), each into
 * run_dir/s<S> exactly as `rise train --set train.seed=S --out run_dir/s<S>` would train it
 * (the same config.json, metrics and checkpoint, byte for byte on the CPU backends), so
 * each seed's directory is a run of its own for `rise eval` and `--resume`. run_dir gets
 * the pack's config.json (with train.seeds), which `--resume` of run_dir reads; resuming
 * continues each seed from its checkpoint (one without a checkpoint starts from 0). A seed
 * that fails (NaN) stops alone; the others finish, and the first failure is returned.
 * train.seeds is one process: under a launcher of world size > 1 (opts.launch) it is
 * refused with an error; give each seed its own data-parallel run instead. */
rise_status rise_train_run(const rise_train_config *cfg, const char *run_dir, int resume,
                           const rise_train_opts *o, rise_train_summary *out);

/* run_dir/config.json -> cfg. */
rise_status rise_train_load_config(const char *run_dir, rise_train_config *cfg);

/* An agent rebuilt from a run directory (config.json) and a checkpoint (NULL:
 * run_dir/checkpoint.h5), on backend be, for evaluation. The directory of a train.seeds
 * pack is refused with the names of its seeds' directories. */
rise_status rise_train_load_agent(const char *run_dir, const char *checkpoint, rise_backend *be,
                                  rise_train_config *cfg, rise_agent **out);

/* A run opened for acting, as `rise eval` and `rise data embed` open it: the backend named
 * backend (NULL: the run's train.backend) at the run's train.precision where the backend has
 * a choice (an fp32-only backend acts a bf16 run in fp32), and the agent of checkpoint
 * (rise_train_load_agent). On failure *be and *agent are NULL. */
rise_status rise_train_open_run(const char *run_dir, const char *checkpoint, const char *backend,
                                rise_train_config *cfg, rise_backend **be, rise_agent **agent);

#ifdef __cplusplus
}
#endif
#endif
