/* sampler.c - Philox batch sampling (see sampler.h for the exact formula). */
#include "sampler.h"

#include <math.h>
#include <string.h>

static rise_status check_pool(int64_t n, const char *what) {
    if (n <= 0) return rise_error(RISE_ERR_INVALID, "sampler: the %s pool is empty", what);
    if (n > (int64_t)UINT32_MAX)
        return rise_error(RISE_ERR_INVALID, "sampler: the %s pool has %lld entries, at most 2^32-1",
                          what, (long long)n);
    return RISE_OK;
}

rise_status rise_sampler_init_uniform(rise_sampler *s, int64_t n, uint64_t seed, uint32_t stream,
                                      int64_t batch) {
    memset(s, 0, sizeof *s);
    if (batch <= 0)
        return rise_error(RISE_ERR_INVALID, "sampler: batch %lld, expected >= 1", (long long)batch);
    RISE_TRY(check_pool(n, "sampling"));
    s->seed = seed;
    s->stream = stream;
    s->batch = batch;
    s->n = n;
    s->batch_a = -1;
    s->total = batch;
    return RISE_OK;
}

rise_status rise_sampler_slice(rise_sampler *s, int64_t first, int64_t total, double expert_ratio) {
    if (first < 0 || total > (int64_t)UINT32_MAX || first + s->batch > total)
        return rise_error(RISE_ERR_INVALID,
                          "sampler: slots %lld .. %lld of a batch of %lld (expected within it, "
                          "below 2^32)",
                          (long long)first, (long long)(first + s->batch - 1), (long long)total);
    s->first = first;
    s->total = total;
    if (s->batch_a < 0) return RISE_OK;
    const int64_t global_a = (int64_t)llround(expert_ratio * (double)total);
    const int64_t a = global_a - first;
    s->batch_a = a < 0 ? 0 : (a > s->batch ? s->batch : a);
    if (s->batch_a > 0) RISE_TRY(check_pool(s->n_a, "expert"));
    if (s->batch_a < s->batch) RISE_TRY(check_pool(s->n_b, "non-expert"));
    return RISE_OK;
}

rise_status rise_sampler_init(rise_sampler *s, const rise_trainset *ts, uint64_t seed, int rank,
                              int64_t batch, double expert_ratio) {
    if (rank < 0 || rank > 0xffff)
        return rise_error(RISE_ERR_INVALID, "sampler: rank %d out of range [0, 65535]", rank);
    RISE_TRY(
        rise_sampler_init_uniform(s, ts->n, seed, RISE_STREAM_SAMPLER + (uint32_t)rank, batch));
    if (expert_ratio < 0) return RISE_OK;
    if (!(expert_ratio <= 1.0))
        return rise_error(RISE_ERR_INVALID,
                          "sampler: expert ratio %g, expected in [0, 1] (or < 0 "
                          "for uniform)",
                          expert_ratio);
    s->batch_a = (int64_t)llround(expert_ratio * (double)batch);
    s->pool_a = ts->expert_idx;
    s->n_a = ts->n_expert;
    s->pool_b = ts->nonexpert_idx;
    s->n_b = ts->n_nonexpert;
    if (s->batch_a > 0) RISE_TRY(check_pool(s->n_a, "expert"));
    if (s->batch_a < batch) RISE_TRY(check_pool(s->n_b, "non-expert"));
    return RISE_OK;
}

void rise_sampler_next(rise_sampler *s, int64_t *idx) {
    for (int64_t i = 0; i < s->batch; ++i) {
        const uint32_t w = rise_rng_word(s->seed, s->stream, s->offset, (uint64_t)(s->first + i));
        if (s->batch_a < 0)
            idx[i] = rise_below(w, (uint32_t)s->n);
        else if (i < s->batch_a)
            idx[i] = s->pool_a[rise_below(w, (uint32_t)s->n_a)];
        else
            idx[i] = s->pool_b[rise_below(w, (uint32_t)s->n_b)];
    }
    rise_sampler_skip(s);
}
