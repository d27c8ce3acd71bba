/* sampler.h - batch indices drawn with Philox; its state is one counter.
 *
 * Slot i of a batch drawn at counter `offset` is
 *   w = rise_rng_word(seed, stream, offset, i)
 *   uniform:  idx = rise_below(w, n)
 *   mixed:    slots i < batch_a come from pool_a[rise_below(w, n_a)] (expert
 *             transitions), the rest from pool_b[rise_below(w, n_b)]
 * and the counter then advances by rise_rng_blocks_uniform(batch). The same
 * formula on the GPU reproduces the batches bit for bit. Checkpoint `offset`
 * (rise_sampler_state) and restore it to resume the exact sequence.
 *
 * Data-parallel runs, two ways:
 *  - slices (rise_sampler_slice): every rank holds the whole training set and draws
 *    slots first .. first + batch - 1 of the global batch of `total` slots with the
 *    same stream and counter, so the ranks' batches together are the batch one
 *    process would draw (slot i uses word first + i; in a mixed batch global slots
 *    below round(total * ratio) are expert slots); the counter advances by the global
 *    batch's blocks;
 *  - shards: each rank holds only its shard of the trajectories
 *    (spec.shard_rank/shard_world) and samples from it with its own stream
 *    (RISE_STREAM_SAMPLER + rank), so ranks never draw the same numbers. */
#ifndef RISE_DATA_SAMPLER_H
#define RISE_DATA_SAMPLER_H

#include <stdint.h>

#include "kernels/philox.h"
#include "trainset.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Philox streams of data/ (the low 16 bits carry the rank); far from the
 * small stream numbers used for parameter initialisation. */
#define RISE_STREAM_SAMPLER      0x53000000u
#define RISE_STREAM_PAIR_SAMPLER 0x53400000u
#define RISE_STREAM_ACTION_NOISE 0x4E000000u

typedef struct {
    uint64_t seed;
    uint32_t stream;
    uint64_t offset; /* the state: Philox blocks consumed so far */
    int64_t batch;
    int64_t n; /* uniform: indices 0 .. n-1 */
    const int64_t *pool_a, *pool_b;
    int64_t n_a, n_b;
    int64_t batch_a;      /* mixed: slots from pool_a (of this slice); -1 = uniform */
    int64_t first, total; /* slice: global slot of slot 0, global batch (0, batch: whole) */
} rise_sampler;

/* Over a training set's transitions. expert_ratio < 0: uniform over all;
 * in [0, 1]: round(batch * ratio) slots from expert transitions, the rest
 * from non-expert ones. The sampler points into ts (keep ts alive). */
rise_status rise_sampler_init(rise_sampler *s, const rise_trainset *ts, uint64_t seed, int rank,
                              int64_t batch, double expert_ratio);
/* Uniform over 0 .. n-1 with an explicit stream (e.g. relabelled pairs). */
rise_status rise_sampler_init_uniform(rise_sampler *s, int64_t n, uint64_t seed, uint32_t stream,
                                      int64_t batch);

/* Makes s (initialised for `batch` slots) draw slots first .. first + batch - 1 of a
 * global batch of `total` slots; expert_ratio as given to rise_sampler_init. */
rise_status rise_sampler_slice(rise_sampler *s, int64_t first, int64_t total, double expert_ratio);

/* Fills idx [batch] and advances the counter. */
void rise_sampler_next(rise_sampler *s, int64_t *idx);

/* The Philox key of the next batch, and stepping past it: a backend op that draws the
 * batch itself (kernels/gather.h sample_indices) uses these in place of rise_sampler_next. */
static inline int64_t rise_sampler_total(const rise_sampler *s) {
    return s->total > 0 ? s->total : s->batch;
}
static inline rise_rng rise_sampler_rng(const rise_sampler *s) {
    rise_rng r = {s->seed, s->stream, s->offset, NULL};
    if (rise_sampler_total(s) != s->batch) { /* the slice as a window: slot i is word first + i */
        r.row0 = (uint32_t)s->first;
        r.rows = (uint32_t)s->batch;
        r.rows_total = (uint32_t)s->total;
    }
    return r;
}
/* Philox blocks one batch moves the counter by (the global batch's, for a slice). */
static inline uint64_t rise_sampler_blocks(const rise_sampler *s) {
    return rise_rng_blocks_uniform((uint64_t)rise_sampler_total(s));
}
static inline void rise_sampler_skip(rise_sampler *s) { s->offset += rise_sampler_blocks(s); }

static inline uint64_t rise_sampler_state(const rise_sampler *s) { return s->offset; }
static inline void rise_sampler_restore(rise_sampler *s, uint64_t state) { s->offset = state; }

#ifdef __cplusplus
}
#endif
#endif
