/* test_agent_phases.c - RISE's alternation of regular and relabelled-pair steps, as
 * RISE's code runs it, on the maze fixture (CPU backend):
 *   - the schedule: with relabel.block L and relabel.every E, step s trains the policy on
 *     pairs exactly when (s / L) % E == E - 1 (RISE's code: epochs of 100 steps, the even
 *     ones on pairs), read from the agent after each step;
 *   - in a pair step the critic rests (its Q, target and V buffers are bitwise unchanged,
 *     the regular sampler does not move) while the policy and its EMA change; with
 *     relabel.critic_on_pairs the critic updates in every step;
 *   - the critic's Adam counts its own updates: rise_agent_critic_steps_before (the count
 *     its Adam step and the device clock use) equals a direct count of the steps in which
 *     the critic moved;
 *   - the EMA: diffusers' warm-up makes update 1 a copy, of the weights before the Adam
 *     step (RISE's code) or after it (ema_timing after); a fixed decay copies neither;
 *   - with no pairs at all (relabel off) every step is regular.
 * Run: ctest -R test_agent_phases */
#include <string.h>
#include <unistd.h>

#include "algorithms/agent.h"
#include "algorithms/agent_internal.h"
#include "agent_fixture.h"
#include "maze_fixture.h"
#include "test_util.h"

static char dir[256];

static float *copy_of(rise_backend *be, const float *src, size_t n) {
    float *h = malloc(n * sizeof(float));
    be->download(be, h, src, n * sizeof(float));
    return h;
}

static int same_as(rise_backend *be, const float *dev, const float *host, size_t n) {
    float *now = copy_of(be, dev, n);
    const int eq = memcmp(now, host, n * sizeof(float)) == 0;
    free(now);
    return eq;
}

static rise_agent *make(const rise_agent_config *c, rise_backend *be, const rise_trainset *ts) {
    rise_agent *a = NULL;
    TEST_CHECK(rise_agent_create(c, be, &ts->norm, &a) == RISE_OK, "agent: %s", rise_last_error());
    if (a) TEST_CHECK(rise_agent_attach_data(a, ts) == RISE_OK, "attach: %s", rise_last_error());
    return a;
}

/* Steps an agent with block L, every E; checks the schedule, the resting critic and the
 * critic's update count after every step. */
static void run_schedule(rise_backend *be, const rise_trainset *ts, int L, int E,
                         int critic_on_pairs) {
    rise_agent_config c;
    agent_fixture_config(&c, RISE_ALGO_RISE, ts, 16, 16, 1);
    c.relabel_block = L;
    c.relabel_every = E;
    c.relabel_critic_on_pairs = critic_on_pairs;
    rise_agent *a = make(&c, be, ts);
    if (!a) return;
    TEST_CHECK(a->pairs.n > 0, "the fixture yields pairs (%lld)", (long long)a->pairs.n);
    rise_iql_critic *q = &a->critic;
    const size_t nq = q->qp.size, nv = q->vp.size, np = a->pp.size;
    const int steps = 2 * L * E + L / 2 + 1;
    int sched_ok = 1, rest_ok = 1, move_ok = 1, count_ok = 1, sampler_ok = 1;
    int64_t critic_updates = 0, pair_steps = 0;
    for (int s = 0; s < steps; ++s) {
        float *qv = copy_of(be, q->qp.value, nq), *qt = copy_of(be, q->qp.target, nq);
        float *vv = copy_of(be, q->vp.value, nv), *pv = copy_of(be, a->pp.value, np);
        float *pe = copy_of(be, a->pp.ema, np);
        const uint64_t offset = a->sampler.offset;
        count_ok &= rise_agent_critic_steps_before(a, s) == critic_updates;
        TEST_CHECK(rise_agent_step(a) == RISE_OK, "step %d: %s", s, rise_last_error());
        const int want_pairs = (s / L) % E == E - 1;
        sched_ok &= a->last_policy_from_pairs == want_pairs;
        const int critic_moved = !same_as(be, q->qp.value, qv, nq) &&
                                 !same_as(be, q->qp.target, qt, nq) &&
                                 !same_as(be, q->vp.value, vv, nv);
        const int critic_still = same_as(be, q->qp.value, qv, nq) &&
                                 same_as(be, q->qp.target, qt, nq) &&
                                 same_as(be, q->vp.value, vv, nv);
        const int expect_critic = !want_pairs || critic_on_pairs;
        rest_ok &= expect_critic ? critic_moved : critic_still;
        move_ok &= !same_as(be, a->pp.value, pv, np) && (s == 0 || !same_as(be, a->pp.ema, pe, np));
        sampler_ok &= (a->sampler.offset != offset) == expect_critic;
        critic_updates += expect_critic;
        pair_steps += want_pairs;
        free(qv), free(qt), free(vv), free(pv), free(pe);
    }
    const char *mode = critic_on_pairs ? "critic on pairs" : "critic rests";
    TEST_CHECK(sched_ok && pair_steps > 0,
               "block %d, every %d (%s): pair steps where (s / L) %% E == E - 1 (%lld of %d)", L, E,
               mode, (long long)pair_steps, steps);
    TEST_CHECK(rest_ok, "block %d, every %d (%s): the critic moves exactly in its update steps", L,
               E, mode);
    TEST_CHECK(move_ok, "block %d, every %d: the policy and its EMA move every step", L, E);
    TEST_CHECK(sampler_ok,
               "block %d, every %d (%s): the regular sampler moves only with the critic", L, E,
               mode);
    TEST_CHECK(count_ok && rise_agent_critic_steps_before(a, steps) == critic_updates,
               "block %d, every %d (%s): the critic's own update count (%lld)", L, E, mode,
               (long long)critic_updates);
    rise_agent_free(a);
}

/* The EMA follows diffusers' warm-up from the weights before each Adam step: after step 1
 * (update 1, decay 0) the EMA equals the initial weights; ema_timing after equals the
 * updated weights; the fixed decay (power 0, after the update) equals neither. */
static void test_ema_timing(rise_backend *be, const rise_trainset *ts) {
    rise_agent_config c;
    agent_fixture_config(&c, RISE_ALGO_IDQL, ts, 16, 16, 1);
    for (int mode = 0; mode < 3; ++mode) {
        c.ema_before = mode == 0;
        c.ema_power = mode == 2 ? 0.0f : 0.75f;
        rise_agent *a = make(&c, be, ts);
        if (!a) return;
        const size_t np = a->pp.size;
        float *init = copy_of(be, a->pp.value, np);
        TEST_CHECK(rise_agent_step(a) == RISE_OK, "step: %s", rise_last_error());
        float *after = copy_of(be, a->pp.value, np);
        const int eq_init = same_as(be, a->pp.ema, init, np);
        const int eq_after = same_as(be, a->pp.ema, after, np);
        if (mode == 0)
            TEST_CHECK(eq_init && !eq_after, "ema before the update: a copy of the step's inputs");
        else if (mode == 1)
            TEST_CHECK(eq_after && !eq_init, "ema after the update: a copy of its result");
        else
            TEST_CHECK(!eq_init && !eq_after, "fixed decay: neither");
        free(init), free(after);
        rise_agent_free(a);
    }
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/rise_test_agent_phases_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    rise_trainset ts;
    maze_fixture_trainset(dir, 10, &ts);
    rise_status st;
    rise_backend *be = rise_backend_create("cpu", &st);
    TEST_CHECK(be != NULL, "cpu backend");
    run_schedule(be, &ts, 1, 2, 0);
    run_schedule(be, &ts, 3, 2, 0);
    run_schedule(be, &ts, 2, 3, 0);
    run_schedule(be, &ts, 3, 2, 1);
    test_ema_timing(be, &ts);
    /* no pairs: every step regular, the critic counts every step */
    rise_agent_config c;
    agent_fixture_config(&c, RISE_ALGO_RISE, &ts, 16, 16, 1);
    c.relabel = 0;
    rise_agent *a = make(&c, be, &ts);
    int regular = 1;
    for (int s = 0; a && s < 4; ++s) {
        TEST_CHECK(rise_agent_step(a) == RISE_OK, "step %d", s);
        regular &= !a->last_policy_from_pairs && a->last_critic_update;
    }
    TEST_CHECK(a && regular && rise_agent_critic_steps_before(a, 4) == 4,
               "without pairs every step is regular");
    rise_agent_free(a);
    rise_backend_destroy(be);
    rise_trainset_free(&ts);
    test_remove_dir(dir);
    return test_finish();
}
