/* test_data_sampler.c - the Philox sampler: the documented formula exactly,
 * determinism for a seed, resume from the one-counter state, expert/non-
 * expert mixing counts, coverage of every index, and sharding by (rank,
 * world): each rank's trajectories are disjoint from the others', together
 * complete, balanced, and its sampler draws only its own transitions.
 * Run: ctest -R test_data_sampler */
#include "data/sampler.h"
#include "data/trainset.h"
#include "fixtures/data_fixtures.h"
#include "test_util.h"

static char expert_path[256], play_path[256];
static const int64_t expert_lens[4] = {9, 3, 14, 6}, play_lens[7] = {5, 2, 7, 11, 1, 8, 4};

static rise_status build(rise_trainset *ts, int rank, int world) {
    rise_data_spec spec;
    rise_data_spec_default(&spec);
    char arg[300];
    snprintf(arg, sizeof arg, "expert:%s", expert_path);
    RISE_TRY(rise_data_spec_add_source(&spec, arg));
    snprintf(arg, sizeof arg, "non_expert:%s", play_path);
    RISE_TRY(rise_data_spec_add_source(&spec, arg));
    spec.shard_rank = rank;
    spec.shard_world = world;
    return rise_trainset_build(&spec, ts);
}

static void test_formula_and_determinism(const rise_trainset *ts) {
    rise_sampler a, b, c;
    TEST_CHECK(rise_sampler_init(&a, ts, 1234, 0, 37, -1) == RISE_OK, "init");
    rise_sampler_init(&b, ts, 1234, 0, 37, -1);
    rise_sampler_init(&c, ts, 1235, 0, 37, -1);
    int64_t ia[37], ib[37], ic[37];
    int same_ab = 1, same_ac = 1, formula = 1;
    for (int step = 0; step < 20; ++step) {
        const uint64_t off = a.offset;
        rise_sampler_next(&a, ia);
        rise_sampler_next(&b, ib);
        rise_sampler_next(&c, ic);
        same_ab &= !memcmp(ia, ib, sizeof ia);
        same_ac &= !memcmp(ia, ic, sizeof ia);
        for (int i = 0; i < 37; ++i)
            formula &=
                ia[i] == rise_below(rise_rng_word(1234, RISE_STREAM_SAMPLER, off, (uint64_t)i),
                                    (uint32_t)ts->n);
        formula &= a.offset == off + 10; /* ceil(37 / 4) blocks */
    }
    TEST_CHECK(same_ab, "same seed -> same batches");
    TEST_CHECK(!same_ac, "another seed -> other batches");
    TEST_CHECK(formula, "indices follow the documented Philox formula");

    /* Resume: the state after 5 batches reproduces batches 6.. exactly. */
    rise_sampler r;
    rise_sampler_init(&r, ts, 99, 0, 16, 0.25);
    int64_t idx[16], later[3][16];
    for (int i = 0; i < 5; ++i) rise_sampler_next(&r, idx);
    const uint64_t state = rise_sampler_state(&r);
    for (int i = 0; i < 3; ++i) rise_sampler_next(&r, later[i]);
    rise_sampler fresh;
    rise_sampler_init(&fresh, ts, 99, 0, 16, 0.25);
    rise_sampler_restore(&fresh, state);
    int resumed = 1;
    for (int i = 0; i < 3; ++i) {
        rise_sampler_next(&fresh, idx);
        resumed &= !memcmp(idx, later[i], sizeof idx);
    }
    TEST_CHECK(resumed && state == 5 * 4, "resume from the counter");
}

static void test_mixing(const rise_trainset *ts) {
    const double ratios[4] = {0.0, 0.25, 0.5, 1.0};
    for (int k = 0; k < 4; ++k) {
        rise_sampler s;
        TEST_CHECK(rise_sampler_init(&s, ts, 7, 0, 64, ratios[k]) == RISE_OK, "init mix");
        int64_t idx[64];
        int wrong = 0;
        for (int step = 0; step < 50; ++step) {
            rise_sampler_next(&s, idx);
            int experts = 0;
            for (int i = 0; i < 64; ++i) {
                experts += ts->expert[idx[i]];
                wrong += idx[i] < 0 || idx[i] >= ts->n || ts->expert[idx[i]] != (i < s.batch_a);
            }
            wrong += experts != (int)(64 * ratios[k]);
        }
        TEST_CHECK(wrong == 0, "ratio %.2f: expert slots exact (%d wrong)", ratios[k], wrong);
    }
    rise_sampler s;
    TEST_CHECK(rise_sampler_init(&s, ts, 7, 0, 64, 1.5) == RISE_ERR_INVALID, "ratio > 1 refused");
    TEST_CHECK(rise_sampler_init(&s, ts, 7, 0, 0, -1) == RISE_ERR_INVALID, "batch 0 refused");
}

static void test_coverage(void) {
    /* Uniform over 0..36: every index appears, counts near 1/37 (property with a
     * fixed seed; bound ~6 sigma). */
    rise_sampler s;
    rise_sampler_init_uniform(&s, 37, 5, RISE_STREAM_PAIR_SAMPLER, 100);
    int64_t idx[100], count[37] = {0};
    for (int step = 0; step < 370; ++step) {
        rise_sampler_next(&s, idx);
        for (int i = 0; i < 100; ++i) count[idx[i]]++;
    }
    int ok = 1;
    for (int i = 0; i < 37; ++i) ok &= count[i] > 1000 - 190 && count[i] < 1000 + 190;
    TEST_CHECK(ok, "uniform coverage");
}

static void test_sharding(const rise_trainset *whole) {
    const int worlds[3] = {2, 3, 5};
    for (int wi = 0; wi < 3; ++wi) {
        const int world = worlds[wi];
        int *seen = calloc((size_t)whole->n_traj, sizeof *seen);
        int64_t total = 0, lo = INT64_MAX, hi = 0, longest = 0;
        int ok = 1;
        for (int rank = 0; rank < world; ++rank) {
            rise_trainset ts;
            rise_status st = build(&ts, rank, world);
            TEST_CHECK(st == RISE_OK, "world %d rank %d: %s", world, rank, rise_last_error());
            if (st != RISE_OK) continue;
            ok &= ts.n_traj_global == whole->n_traj;
            for (int64_t t = 0; t < ts.n_traj; ++t) {
                const int64_t g = ts.traj_global[t];
                seen[g]++;
                /* The rank holds exactly the data of that trajectory. */
                ok &= ts.traj_len[t] == whole->traj_len[g];
                ok &= !memcmp(ts.obs + ts.traj_start[t] * ts.obs_dim,
                              whole->obs + whole->traj_start[g] * whole->obs_dim,
                              (size_t)(ts.traj_len[t] * ts.obs_dim) * sizeof(float));
                ok &= ts.traj_expert[t] == whole->traj_expert[g];
                if (ts.traj_len[t] > longest) longest = ts.traj_len[t];
            }
            total += ts.n;
            lo = ts.n < lo ? ts.n : lo;
            hi = ts.n > hi ? ts.n : hi;
            /* Its sampler stays inside its own share, on its own stream. */
            rise_sampler s;
            rise_sampler_init(&s, &ts, 11, rank, 32, -1);
            int64_t idx[32];
            rise_sampler_next(&s, idx);
            for (int i = 0; i < 32; ++i) ok &= idx[i] >= 0 && idx[i] < ts.n;
            ok &= s.stream == RISE_STREAM_SAMPLER + (uint32_t)rank;
            rise_trainset_free(&ts);
        }
        int disjoint_complete = 1;
        for (int64_t t = 0; t < whole->n_traj; ++t) disjoint_complete &= seen[t] == 1;
        TEST_CHECK(ok, "world %d: shard contents", world);
        TEST_CHECK(disjoint_complete, "world %d: every trajectory on exactly one rank", world);
        TEST_CHECK(total == whole->n, "world %d: transitions %lld of %lld", world, (long long)total,
                   (long long)whole->n);
        TEST_CHECK(hi - lo <= longest, "world %d: balance %lld..%lld", world, (long long)lo,
                   (long long)hi);
        free(seen);
    }
    rise_trainset ts;
    TEST_CHECK(build(&ts, 11, 12) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "no trajectories"),
               "more ranks than trajectories: %s", rise_last_error());

    /* The assignment itself on random lengths: a deterministic partition. */
    int64_t lens[200];
    int own1[200], own2[200];
    for (int i = 0; i < 200; ++i) lens[i] = 1 + (i * 7919) % 97;
    rise_shard_assign(lens, 200, 7, own1);
    rise_shard_assign(lens, 200, 7, own2);
    int64_t load[7] = {0};
    for (int i = 0; i < 200; ++i) load[own1[i]] += lens[i];
    int64_t mn = load[0], mx = load[0];
    for (int r = 1; r < 7; ++r) mn = load[r] < mn ? load[r] : mn, mx = load[r] > mx ? load[r] : mx;
    TEST_CHECK(!memcmp(own1, own2, sizeof own1) && mx - mn <= 97,
               "shard_assign: deterministic, balanced");
}

int main(void) {
    fx_path(expert_path, sizeof expert_path, "s_expert.h5");
    fx_path(play_path, sizeof play_path, "s_play.h5");
    TEST_CHECK(fx_write_simple(expert_path, 1, 4, expert_lens), "expert fixture");
    TEST_CHECK(fx_write_simple(play_path, 2, 7, play_lens), "play fixture");
    rise_trainset whole;
    rise_status st = build(&whole, 0, 1);
    TEST_CHECK(st == RISE_OK, "build: %s", rise_last_error());
    if (st == RISE_OK) {
        test_formula_and_determinism(&whole);
        test_mixing(&whole);
        test_coverage();
        test_sharding(&whole);
        rise_trainset_free(&whole);
    }
    remove(expert_path);
    remove(play_path);
    return test_finish();
}
