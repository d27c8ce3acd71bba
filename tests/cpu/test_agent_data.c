/* test_agent_data.c - the training set resident on the backend (algorithms/agent_data.c)
 * gives exactly the host path's batches: two agents on each CPU backend (ref, then cpu), one
 * gathering on the host and uploading (data_on_backend 0), one drawing and gathering with the
 * backend's data ops (1), stepped in lockstep, hold bitwise equal critic batches, policy batches
 * (relabelled-pair steps, action-noise copies, observation history, action chunks
 * included), sampler counters, parameters and metrics, for RISE with mixed
 * expert / non-expert batches, for IQL (Gaussian actor) and for MLP BC. On a GPU the
 * same code path runs with the CUDA ops (tests/gpu/test_backend_ops_data.c checks those
 * against the CPU's). Neighbour relabelling with its searches run through the backend's
 * knn_topk op (algorithms/backend_knn.c, what a GPU agent does at attach) builds exactly
 * the host's pairs, with trajectory groups (play to play) and a match key.
 * Run: ctest -R test_agent_data */
#include <string.h>
#include <unistd.h>

#include "algorithms/agent.h"
#include "algorithms/agent_internal.h"
#include "algorithms/backend_knn.h"
#include "agent_fixture.h"
#include "maze_fixture.h"
#include "test_util.h"

static char dir[256];

static int same(const float *x, const float *y, size_t n) {
    return n == 0 || memcmp(x, y, n * sizeof(float)) == 0;
}

static void compare_paths(rise_algo algo, rise_backend *be, const rise_trainset *ts) {
    const char *name = rise_algo_name(algo);
    rise_agent_config c;
    agent_fixture_config(&c, algo, ts, 24, 16, 1);
    rise_agent *h = NULL, *d = NULL;
    c.data_on_backend = 0;
    TEST_CHECK(rise_agent_create(&c, be, &ts->norm, &h) == RISE_OK, "%s host agent: %s", name,
               rise_last_error());
    c.data_on_backend = 1;
    TEST_CHECK(rise_agent_create(&c, be, &ts->norm, &d) == RISE_OK, "%s backend agent: %s", name,
               rise_last_error());
    if (!h || !d) return;
    TEST_CHECK(rise_agent_attach_data(h, ts) == RISE_OK && rise_agent_attach_data(d, ts) == RISE_OK,
               "%s attach: %s", name, rise_last_error());
    TEST_CHECK(h->dd.obs == NULL && d->dd.obs != NULL,
               "%s: only the data_on_backend agent holds a resident copy", name);
    const size_t B = (size_t)h->B, D = (size_t)c.obs_dim, A = (size_t)c.act_dim;
    const size_t Bp = (size_t)h->Bp;
    int critic_same = 1, policy_same = 1, from_pairs = 0, moved = 0, flags = 1;
    float *prev = malloc(sizeof(float) * B * D);
    for (int step = 0; step < 6; ++step) {
        TEST_CHECK(rise_agent_step(h) == RISE_OK && rise_agent_step(d) == RISE_OK, "%s step %d",
                   name, step);
        if (h->has_critic || h->has_gauss) {
            critic_same &= same(h->d_obs, d->d_obs, B * D) && same(h->d_next, d->d_next, B * D) &&
                           same(h->d_act, d->d_act, B * A) && same(h->d_r, d->d_r, B) &&
                           same(h->d_d, d->d_d, B);
            flags &= same(h->h_expert, rise_agent_batch_expert(d), B);
            if (step > 0 && !same(prev, h->d_obs, B * D)) moved = 1;
            memcpy(prev, h->d_obs, sizeof(float) * B * D);
        }
        if (!h->has_gauss) {
            policy_same &= same(h->d_pobs, d->d_pobs, Bp * (size_t)h->OD) &&
                           same(h->d_chunk, d->d_chunk, Bp * (size_t)h->AD) &&
                           h->last_policy_from_pairs == d->last_policy_from_pairs;
            from_pairs += h->last_policy_from_pairs;
        }
    }
    free(prev);
    TEST_CHECK(critic_same, "%s: critic batches equal on both paths", name);
    TEST_CHECK(flags, "%s: expert flags of the batch equal", name);
    TEST_CHECK(policy_same, "%s: policy batches equal on both paths", name);
    if (h->has_critic || h->has_gauss) TEST_CHECK(moved, "%s: batches change between steps", name);
    if (algo == RISE_ALGO_RISE) {
        TEST_CHECK(from_pairs == 3 && h->pairs.n > 0, "%s: 3 of 6 policy batches from %lld pairs",
                   name, (long long)h->pairs.n);
        TEST_CHECK(h->pair_sampler.offset == d->pair_sampler.offset, "%s: pair sampler counters",
                   name);
    }
    TEST_CHECK(h->sampler.offset == d->sampler.offset && h->sampler.offset > 0,
               "%s: sampler counters equal", name);
    TEST_CHECK(same(h->pp.value, d->pp.value, h->pp.size), "%s: policy parameters equal", name);
    rise_agent_metrics mh, md;
    TEST_CHECK(rise_agent_metrics_read(h, &mh) == RISE_OK &&
                   rise_agent_metrics_read(d, &md) == RISE_OK,
               "%s metrics: %s", name, rise_last_error());
    int msame = mh.n == md.n;
    for (int i = 0; msame && i < mh.n; ++i)
        msame &= !strcmp(mh.names[i], md.names[i]) &&
                 memcmp(&mh.values[i], &md.values[i], sizeof(double)) == 0;
    TEST_CHECK(msame, "%s: metrics equal", name);
    rise_agent_free(h);
    rise_agent_free(d);
}

static int same_pairs(const rise_pairs *a, const rise_pairs *b) {
    const size_t n = (size_t)a->n;
    return a->n == b->n && !memcmp(a->obs_idx, b->obs_idx, n * sizeof(int64_t)) &&
           !memcmp(a->act_idx, b->act_idx, n * sizeof(int64_t)) &&
           !memcmp(a->dist, b->dist, n * sizeof(float)) && !memcmp(a->rule, b->rule, n) &&
           !memcmp(a->count, b->count, sizeof a->count) &&
           !memcmp(a->queries_matched, b->queries_matched, sizeof a->queries_matched);
}

static void relabel_on_backend(rise_backend *be, const rise_trainset *ts) {
    for (int variant = 0; variant < 3; ++variant) {
        rise_relabel_config c;
        rise_relabel_config_default(&c);
        c.skip_expert = c.skip_nonexpert = 0;
        c.threshold = variant == 0 ? 0.3f : 0.8f;
        c.k = variant == 2 ? 3 : 15;
        if (variant == 2) { /* a match key: the first observation key, loosely */
            snprintf(c.match_key, sizeof c.match_key, "%s", ts->keys[0].name);
            c.match_tol = 0.2f;
        }
        rise_pairs host, dev;
        TEST_CHECK(rise_relabel_build(ts, &c, &host) == RISE_OK, "relabel on the host: %s",
                   rise_last_error());
        TEST_CHECK(rise_relabel_build_with(ts, &c, rise_backend_knn, be, &dev) == RISE_OK,
                   "relabel through the backend: %s", rise_last_error());
        TEST_CHECK(host.n > 0 && host.count[RISE_PAIR_PLAY_TO_PLAY] > 0,
                   "variant %d: pairs of both rules exist (%lld)", variant, (long long)host.n);
        TEST_CHECK(same_pairs(&host, &dev),
                   "variant %d: the backend's search builds the host's %lld pairs", variant,
                   (long long)host.n);
        rise_pairs_free(&host);
        rise_pairs_free(&dev);
    }
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/rise_test_agent_data_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    rise_trainset ts;
    maze_fixture_trainset(dir, 10, &ts);
    rise_status st;
    const char *const backends[] = {"ref", "cpu"}; /* both must hold it bit for bit */
    for (int i = 0; i < 2; ++i) {
        rise_backend *be = rise_backend_create(backends[i], &st);
        TEST_CHECK(be != NULL, "%s backend", backends[i]);
        printf("backend %s\n", backends[i]);
        compare_paths(RISE_ALGO_RISE, be, &ts);
        compare_paths(RISE_ALGO_IQL, be, &ts);
        compare_paths(RISE_ALGO_BC_MLP, be, &ts);
        relabel_on_backend(be, &ts);
        rise_backend_destroy(be);
    }
    rise_trainset_free(&ts);
    test_remove_dir(dir);
    return test_finish();
}
