/* agent_dist.h - an agent as one rank of a data-parallel run.
 *
 *   cfg.batch = B / world;                          each rank's share of the global batch
 *   RISE_TRY(rise_agent_create(&cfg, be, &norm, &a));
 *   RISE_TRY(rise_agent_set_comm(a, comm));        before attaching data
 *   RISE_TRY(rise_agent_attach_data(a, &ts));
 *   RISE_TRY(rise_agent_broadcast(a));              rank 0's state everywhere (start, resume)
 *   for (...) RISE_TRY(rise_agent_step(a));         gradients averaged over the ranks
 *
 * Rank r holds rows r B/world .. (r+1) B/world - 1 of the global batch. Its gradients are
 * averaged with the other ranks' before every optimiser step (the hook in
 * rise_params_adam_step: one all-reduce per network, on the backend's stream), so every
 * rank applies the same update to the same parameters. Every random number of a step is
 * drawn through a window (kernels/philox.h) that makes rank r's draws the ones one process
 * with the whole batch draws for those rows, and every rank holds the whole training set
 * and draws its slots of the global batch from the one sampler stream (a slice,
 * data/sampler.h). With noise.copies = 0 the ranks together therefore train on exactly
 * the batches, noise and dropout masks of one process at batch B, and the run differs from
 * it only by the order of float sums; a checkpoint resumes at any world size that divides
 * B. With noise.copies = M > 0 a rank's policy batch is its B/world rows and their copies,
 * and the window treats the global policy batch as the ranks' blocks one after another,
 * not as one process's [B rows, B M copies]: the same distribution, another draw.
 * (Sharded data - each rank loading only its trajectories, data/shard.c - would also need
 * the normalisation statistics and the neighbour relabelling computed across ranks; it is
 * not used here.) */
#ifndef RISE_AGENT_DIST_H
#define RISE_AGENT_DIST_H

#include "../host/comm.h"
#include "agent.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Makes a (created with cfg.batch = the per-rank batch, no data attached yet) rank
 * rise_comm_rank(comm) of rise_comm_world(comm); comm NULL or of world 1: one process. */
rise_status rise_agent_set_comm(rise_agent *a, rise_comm *comm);

/* Rank 0's parameters, optimiser moments, targets, EMA, spectral vectors, step and sampler
 * counters to every rank (collective). Call after attaching data and after loading a
 * checkpoint on rank 0. */
rise_status rise_agent_broadcast(rise_agent *a);

/* m->values = their mean over the ranks (collective; read the metrics first). */
rise_status rise_agent_metrics_reduce(rise_agent *a, rise_agent_metrics *m);

/* FNV-1a of every parameter buffer (all slots), the spectral vectors, the step and the
 * sampler counters (synchronises the backend). */
rise_status rise_agent_state_hash(rise_agent *a, uint64_t *hash);

/* Collective: RISE_OK when every rank's state hash equals rank 0's, else an error naming
 * the first rank whose replica diverged. */
rise_status rise_agent_check_replicas(rise_agent *a);

/* The world size a checkpoint was written with (1 for one process and older versions). */
rise_status rise_agent_ckpt_world(const char *path, int *world);

#ifdef __cplusplus
}
#endif
#endif
