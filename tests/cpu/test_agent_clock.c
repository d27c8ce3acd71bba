/* test_agent_clock.c - the training step on the device clock (algorithms/agent_clock.c)
 * trains exactly as the by-value step. Three agents on each CPU backend (ref, then cpu),
 * all assembling batches on the backend: one with the step's counters passed by value (step_graph
 * 0), one on the device clock (step_graph 1; the CPU has no graphs, so it runs the op sequence a
 * graph would hold), and a third on the clock loaded from the second's checkpoint halfway (its
 * clock must be re-uploaded from the restored counters). Stepped in lockstep they hold bitwise
 * equal parameters of every network, metrics and sampler counters, and the clock equals the host's
 * counters after every step; for RISE (mixed batches, relabelled-pair steps, noise copies,
 * histories), IDQL with the conservative penalty, IQL, CQL and MLP BC (dropout).
 * tests/gpu/test_agent_graph.c runs the same comparison on CUDA with real graphs. Run: ctest -R
 * test_agent_clock */
#include <string.h>
#include <unistd.h>

#include "algorithms/agent.h"
#include "algorithms/agent_internal.h"
#include "agent_fixture.h"
#include "maze_fixture.h"
#include "test_util.h"

static char dir[256];

static int same(const float *x, const float *y, size_t n) {
    return n == 0 || memcmp(x, y, n * sizeof(float)) == 0;
}

/* Every parameter buffer of the agent, flattened into a comparable list. */
typedef struct {
    const float *p[6];
    size_t n[6];
    int count;
} param_set;

static param_set params_of(rise_agent *a) {
    param_set s = {{0}, {0}, 0};
    const rise_params *all[] = {&a->pp, &a->critic.qp, &a->critic.vp, &a->cql.qp, &a->cql.tp};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i)
        if (all[i]->value && all[i]->size) {
            s.p[s.count] = all[i]->value;
            s.n[s.count++] = all[i]->size;
        }
    return s;
}

static int same_params(rise_agent *x, rise_agent *y) {
    const param_set a = params_of(x), b = params_of(y);
    int eq = a.count == b.count && a.count > 0;
    for (int i = 0; eq && i < a.count; ++i) eq = a.n[i] == b.n[i] && same(a.p[i], b.p[i], a.n[i]);
    return eq;
}

static int same_metrics(rise_agent *x, rise_agent *y) {
    rise_agent_metrics mx, my;
    if (rise_agent_metrics_read(x, &mx) != RISE_OK || rise_agent_metrics_read(y, &my) != RISE_OK)
        return 0;
    int eq = mx.n == my.n && mx.n > 0;
    for (int i = 0; eq && i < mx.n; ++i)
        eq = !strcmp(mx.names[i], my.names[i]) &&
             memcmp(&mx.values[i], &my.values[i], sizeof(double)) == 0;
    return eq;
}

/* The device clock holds the host's counters (on the CPU it is host-addressable). */
static int clock_matches(const rise_agent *a) {
    const uint64_t *k = a->clock;
    return k && k[RISE_CLOCK_STEP] == (uint64_t)a->step &&
           k[RISE_CLOCK_STEP_BLOCKS] == (uint64_t)a->step << 32 &&
           k[RISE_CLOCK_SAMPLER] == a->sampler.offset &&
           k[RISE_CLOCK_PAIRS] == a->pair_sampler.offset &&
           k[RISE_CLOCK_CRITIC_STEP] == (uint64_t)rise_agent_critic_steps_before(a, a->step);
}

static rise_agent *make(const rise_agent_config *c, rise_backend *be, const rise_trainset *ts) {
    rise_agent *a = NULL;
    TEST_CHECK(rise_agent_create(c, be, &ts->norm, &a) == RISE_OK, "%s agent (step_graph %d): %s",
               rise_algo_name(c->algo), c->step_graph, rise_last_error());
    if (a) TEST_CHECK(rise_agent_attach_data(a, ts) == RISE_OK, "attach: %s", rise_last_error());
    return a;
}

static void compare(rise_algo algo, int cql_penalty, rise_backend *be, const rise_trainset *ts) {
    const char *name = cql_penalty ? "idql+cql" : rise_algo_name(algo);
    rise_agent_config c;
    agent_fixture_config(&c, algo, ts, 24, 16, 1);
    c.data_on_backend = 1;
    c.cql_enable = cql_penalty;
    c.step_graph = 0;
    rise_agent *plain = make(&c, be, ts);
    c.step_graph = 1;
    rise_agent *clocked = make(&c, be, ts), *loaded = make(&c, be, ts);
    if (!plain || !clocked || !loaded) return;
    TEST_CHECK(plain->clock == NULL && clocked->clock != NULL, "%s: only step_graph 1 has a clock",
               name);
    enum { HALF = 4, STEPS = 9 };
    int eq = 1, clock_ok = 1, pairs = 0;
    char path[400];
    snprintf(path, sizeof path, "%s/%s.ckpt", dir, name);
    for (int step = 0; step < STEPS; ++step) {
        if (step == HALF) {
            TEST_CHECK(rise_agent_save(clocked, path, NULL) == RISE_OK &&
                           rise_agent_load(loaded, path) == RISE_OK,
                       "%s: checkpoint round trip: %s", name, rise_last_error());
            TEST_CHECK(!loaded->clock_fresh, "%s: loading marks the clock stale", name);
        }
        TEST_CHECK(rise_agent_step(plain) == RISE_OK && rise_agent_step(clocked) == RISE_OK,
                   "%s step %d: %s", name, step, rise_last_error());
        if (step >= HALF) {
            TEST_CHECK(rise_agent_step(loaded) == RISE_OK, "%s loaded step %d", name, step);
            eq &= same_params(clocked, loaded) && clock_matches(loaded);
        }
        eq &= same_params(plain, clocked);
        clock_ok &= clock_matches(clocked);
        pairs += clocked->last_policy_from_pairs;
    }
    TEST_CHECK(eq, "%s: parameters equal on the clock, by value and after a reload (%d steps)",
               name, STEPS);
    TEST_CHECK(clock_ok, "%s: the clock follows the host's counters", name);
    TEST_CHECK(same_metrics(plain, clocked) && same_metrics(plain, loaded), "%s: metrics equal",
               name);
    TEST_CHECK(plain->sampler.offset == clocked->sampler.offset &&
                   plain->pair_sampler.offset == clocked->pair_sampler.offset &&
                   plain->sampler.offset > 0,
               "%s: sampler counters equal", name);
    if (algo == RISE_ALGO_RISE) TEST_CHECK(pairs == 4, "%s: 4 of 9 steps on pairs", name);
    rise_agent_free(plain);
    rise_agent_free(clocked);
    rise_agent_free(loaded);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/rise_test_agent_clock_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    rise_trainset ts;
    maze_fixture_trainset(dir, 10, &ts);
    rise_status st;
    rise_backend *be = NULL;
    const char *const backends[] = {"ref", "cpu"}; /* both must hold it bit for bit */
    for (int i = 0; i < 2; ++i) {
        be = rise_backend_create(backends[i], &st);
        TEST_CHECK(be != NULL, "%s backend", backends[i]);
        printf("backend %s\n", backends[i]);
        compare(RISE_ALGO_RISE, 0, be, &ts);
        compare(RISE_ALGO_IDQL, 1, be, &ts);
        compare(RISE_ALGO_IQL, 0, be, &ts);
        compare(RISE_ALGO_CQL, 0, be, &ts);
        compare(RISE_ALGO_BC_MLP, 0, be, &ts);
        if (i == 0) rise_backend_destroy(be);
    }
    rise_agent_config c;
    agent_fixture_config(&c, RISE_ALGO_IDQL, &ts, 24, 16, 1);
    c.step_graph = 1;
    c.data_on_backend = 0;
    TEST_CHECK(rise_agent_config_check(&c) != RISE_OK &&
                   strstr(rise_last_error(), "train.data_on_backend = 0"),
               "step_graph 1 without data_on_backend is refused: %s", rise_last_error());
    rise_backend_destroy(be);
    rise_trainset_free(&ts);
    test_remove_dir(dir);
    return test_finish();
}
