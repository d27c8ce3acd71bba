/* shard.c - splitting trajectories between data-parallel ranks.
 *
 * Whole trajectories go to one rank so sequence sampling (history, chunks)
 * never crosses ranks. Greedy longest-first balancing keeps the ranks'
 * transition counts within one trajectory length of each other. */
#include <stdlib.h>

#include "trainset.h"

typedef struct {
    int64_t len, index;
} item;

static int by_len_desc(const void *a, const void *b) {
    const item *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

void rise_shard_assign(const int64_t *lengths, int64_t n, int world, int *owner) {
    RISE_ASSERT(world >= 1, "shard world %d", world);
    if (world == 1) {
        for (int64_t i = 0; i < n; ++i) owner[i] = 0;
        return;
    }
    item *items = malloc((size_t)(n ? n : 1) * sizeof *items);
    int64_t *load = calloc((size_t)world, sizeof *load);
    RISE_ASSERT(items && load, "out of memory sharding %lld trajectories", (long long)n);
    for (int64_t i = 0; i < n; ++i) items[i] = (item){lengths[i], i};
    qsort(items, (size_t)n, sizeof *items, by_len_desc);
    for (int64_t i = 0; i < n; ++i) {
        int best = 0;
        for (int r = 1; r < world; ++r)
            if (load[r] < load[best]) best = r;
        owner[items[i].index] = best;
        load[best] += items[i].len;
    }
    free(items);
    free(load);
}
