/* test_graph_fallback.c - a failed CUDA graph capture falls back to running the ops
 * without a graph, with a warning, and the numbers do not change. On the CPU, with a
 * backend whose graphs always fail.
 *
 * The fake backend is the CPU backend plus graph functions that model a failing capture
 * exactly as backend.h promises it: graph_begin snapshots every live allocation, the ops
 * issued while "capturing" run on the CPU, and graph_end restores the snapshot (nothing
 * a capture records runs) and returns RISE_ERR_DEVICE; in the second mode graph_begin
 * itself fails. An agent on it (train.step_graph 1) must then train bit for bit like one
 * on the plain CPU backend (the clocked step run eagerly), for RISE (both phases, pairs)
 * and MLP BC; try the capture once, warn once and never launch a graph; and its policy
 * must act exactly like the plain agent's, with one more warning.
 * tests/gpu/test_graph_capture_faults.c checks the CUDA backend's side (a capture that
 * really fails), tests/gpu/test_graph_capture.c errors parked before a capture.
 * Run: ctest -R test_graph_fallback */
#include <string.h>
#include <unistd.h>

#include "algorithms/agent.h"
#include "algorithms/agent_internal.h"
#include "agent_fixture.h"
#include "maze_fixture.h"
#include "test_util.h"

/* ---- the fake backend: the CPU's ops, tracked allocations, failing graphs ---- */

typedef struct {
    void *p;
    size_t bytes;
    void *saved; /* the snapshot taken by graph_begin */
} fake_alloc;

static struct {
    rise_backend *cpu;
    fake_alloc *allocs;
    int n, cap;
    int begin_fails; /* 1: graph_begin fails; 0: graph_end does */
    int capturing;
    int begins, ends, launches;
} fake;

static void *fake_alloc_fn(rise_backend *be, size_t bytes) {
    void *p = fake.cpu->alloc(be, bytes);
    if (!p) return NULL;
    if (fake.n == fake.cap) {
        fake.cap = fake.cap ? 2 * fake.cap : 64;
        fake.allocs = realloc(fake.allocs, sizeof *fake.allocs * (size_t)fake.cap);
    }
    fake.allocs[fake.n++] = (fake_alloc){p, bytes, NULL};
    return p;
}

static void fake_free_fn(rise_backend *be, void *p) {
    for (int i = 0; i < fake.n; ++i)
        if (fake.allocs[i].p == p) {
            fake.allocs[i] = fake.allocs[--fake.n];
            break;
        }
    fake.cpu->free(be, p);
}

static rise_status fake_graph_begin(rise_backend *be) {
    (void)be;
    ++fake.begins;
    if (fake.begin_fails) return rise_error(RISE_ERR_DEVICE, "fake backend: graph_begin fails");
    for (int i = 0; i < fake.n; ++i) {
        fake.allocs[i].saved = malloc(fake.allocs[i].bytes ? fake.allocs[i].bytes : 1);
        memcpy(fake.allocs[i].saved, fake.allocs[i].p, fake.allocs[i].bytes);
    }
    fake.capturing = 1;
    return RISE_OK;
}

static rise_status fake_graph_end(rise_backend *be, void **graph) {
    (void)be;
    ++fake.ends;
    *graph = NULL;
    for (int i = 0; i < fake.n; ++i) { /* nothing the capture recorded ran */
        if (!fake.allocs[i].saved) continue;
        memcpy(fake.allocs[i].p, fake.allocs[i].saved, fake.allocs[i].bytes);
        free(fake.allocs[i].saved);
        fake.allocs[i].saved = NULL;
    }
    fake.capturing = 0;
    return rise_error(RISE_ERR_DEVICE, "fake backend: the capture failed");
}

static void fake_graph_launch(rise_backend *be, void *graph) {
    (void)be, (void)graph;
    ++fake.launches;
}

static void fake_graph_destroy(rise_backend *be, void *graph) { (void)be, (void)graph; }

static void fake_destroy(rise_backend *be) { free(be); }

static rise_backend *fake_create(rise_backend *cpu, int begin_fails) {
    rise_backend *be = malloc(sizeof *be);
    *be = *cpu;
    be->name = "fake-graphs";
    be->destroy = fake_destroy;
    be->alloc = fake_alloc_fn;
    be->free = fake_free_fn;
    be->graph_begin = fake_graph_begin;
    be->graph_end = fake_graph_end;
    be->graph_launch = fake_graph_launch;
    be->graph_destroy = fake_graph_destroy;
    fake.cpu = cpu;
    fake.begin_fails = begin_fails;
    fake.begins = fake.ends = fake.launches = 0;
    return be;
}

/* ---- agents on the plain CPU backend and on the fake one ---- */

static rise_agent *make(rise_backend *be, const rise_trainset *ts, rise_algo algo) {
    rise_agent_config c;
    agent_fixture_config(&c, algo, ts, 24, 16, 1);
    c.data_on_backend = 1;
    c.step_graph = 1;
    rise_agent *a = NULL;
    TEST_CHECK(rise_agent_create(&c, be, &ts->norm, &a) == RISE_OK &&
                   rise_agent_attach_data(a, ts) == RISE_OK,
               "%s agent on %s: %s", rise_algo_name(algo), be->name, rise_last_error());
    return a;
}

static int same_params(rise_agent *x, rise_agent *y) {
    const rise_params *px[] = {&x->pp, &x->critic.qp, &x->critic.vp, &x->cql.qp, &x->cql.tp};
    const rise_params *py[] = {&y->pp, &y->critic.qp, &y->critic.vp, &y->cql.qp, &y->cql.tp};
    int eq = 1, any = 0;
    for (int i = 0; i < 5; ++i) {
        if (!px[i]->value || !px[i]->size) continue;
        any = 1;
        eq &= px[i]->size == py[i]->size &&
              !memcmp(px[i]->value, py[i]->value, sizeof(float) * px[i]->size);
    }
    return eq && any;
}

/* Actions of both agents' policies on the same two calls; 1 when bitwise equal. */
static int same_actions(rise_agent *x, rise_agent *y) {
    rise_policy *px = NULL, *py = NULL;
    if (rise_agent_policy(x, 3, &px) != RISE_OK || rise_agent_policy(y, 3, &py) != RISE_OK)
        return 0;
    const int D = x->cfg.obs_dim, To = x->cfg.obs_horizon;
    const int W = x->cfg.action_horizon * x->cfg.act_dim, n = 3;
    int eq = 1;
    for (int c = 0; c < 2; ++c) {
        float obs[3 * 16], hist[3 * 4 * 16], ax[3 * 256], ay[3 * 256];
        if (D > 16 || To > 4 || W > 256) return 0;
        uint64_t keys[3];
        int t[3];
        test_fill_random(hist, (size_t)n * To * D, 70 + c, -0.5f, 0.5f);
        for (int r = 0; r < n; ++r) {
            keys[r] = (uint64_t)(r + 10 * c);
            t[r] = 2 * c + r;
            memcpy(obs + r * D, hist + ((size_t)r * To + To - 1) * D, sizeof(float) * D);
        }
        const rise_policy_ctx ctx = {keys, t, hist};
        eq &= px->act(px, n, obs, &ctx, ax) == RISE_OK &&
              py->act(py, n, obs, &ctx, ay) == RISE_OK && !memcmp(ax, ay, sizeof(float) * n * W);
    }
    rise_policy_destroy(px);
    rise_policy_destroy(py);
    return eq;
}

static void run(rise_backend *cpu, const rise_trainset *ts, rise_algo algo, int begin_fails) {
    const char *mode = begin_fails ? "graph_begin fails" : "graph_end fails";
    rise_backend *be = fake_create(cpu, begin_fails);
    rise_agent *plain = make(cpu, ts, algo), *faked = make(be, ts, algo);
    if (!plain || !faked) return;
    const long warnings = rise_warning_count();
    int eq = 1, pairs = 0;
    enum { STEPS = 6 };
    for (int s = 0; s < STEPS; ++s) {
        TEST_CHECK(rise_agent_step(plain) == RISE_OK && rise_agent_step(faked) == RISE_OK,
                   "%s, %s: step %d: %s", rise_algo_name(algo), mode, s, rise_last_error());
        eq &= same_params(plain, faked);
        pairs += faked->last_policy_from_pairs;
    }
    TEST_CHECK(eq, "%s, %s: trains bit for bit like the eager CPU step", rise_algo_name(algo),
               mode);
    TEST_CHECK(faked->graph_off && !faked->graph[0] && !faked->graph[1],
               "%s, %s: the agent runs without graphs after the failure", rise_algo_name(algo),
               mode);
    TEST_CHECK(fake.begins == 1 && fake.ends == (begin_fails ? 0 : 1) && fake.launches == 0,
               "%s, %s: one capture tried, no graph launched (begins %d ends %d launches %d)",
               rise_algo_name(algo), mode, fake.begins, fake.ends, fake.launches);
    TEST_CHECK(rise_warning_count() == warnings + 1, "%s, %s: one warning (%ld)",
               rise_algo_name(algo), mode, rise_warning_count() - warnings);
    if (algo == RISE_ALGO_RISE)
        TEST_CHECK(pairs >= 1, "%s: pair steps ran without a graph too", rise_algo_name(algo));
    TEST_CHECK(same_actions(plain, faked), "%s, %s: the policy acts like the eager one",
               rise_algo_name(algo), mode);
    TEST_CHECK(fake.begins == 2 && fake.launches == 0,
               "%s, %s: the policy tried one capture and launched no graph", rise_algo_name(algo),
               mode);
    TEST_CHECK(rise_warning_count() == warnings + 2, "%s, %s: the policy warned once",
               rise_algo_name(algo), mode);
    rise_agent_free(plain);
    rise_agent_free(faked);
    TEST_CHECK(fake.n == 0, "%s, %s: every fake allocation freed (%d left)", rise_algo_name(algo),
               mode, fake.n);
    rise_backend_destroy(be);
}

int main(void) {
    char dir[] = "/tmp/rise_test_graph_fallback_XXXXXX";
    if (!mkdtemp(dir)) return 1;
    rise_trainset ts;
    maze_fixture_trainset(dir, 10, &ts);
    rise_backend *cpu = test_backend_or_skip("cpu");
    for (int begin_fails = 0; begin_fails < 2; ++begin_fails) {
        run(cpu, &ts, RISE_ALGO_RISE, begin_fails);
        run(cpu, &ts, RISE_ALGO_BC_MLP, begin_fails);
    }
    rise_backend_destroy(cpu);
    rise_trainset_free(&ts);
    free(fake.allocs);
    test_remove_dir(dir);
    return test_finish();
}
