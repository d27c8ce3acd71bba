/* test_agent_backends.c - training on the fast "cpu" backend stays close to the reference
 * ("ref") and repeats itself exactly. RISE (mixed batches, relabelled pairs, action-noise
 * copies, history and chunks) and IQL train 100 steps from the same seed on both
 * backends, and RISE twice on "cpu":
 *   - cpu twice: every parameter bit for bit equal (determinism run to run);
 *   - cpu vs ref: per network, ||w_cpu - w_ref|| / ||w_ref - w_0|| <= 2e-5: the two
 *     trajectories differ by at most 2e-5 of the distance the weights travelled. The ops
 *     differ by a few float ulps per step (tests/cpu/test_backend_cpu.c), and training
 *     feeds the differences back; measured here after 100 steps (batch 32, width 32,
 *     printed): 3e-7 .. 4e-7 for every network, so the bound leaves 50x. A mish
 *     derivative off by 0.1% gives 2.7e-4 for the policy (13x over the bound);
 *   - the losses of the last step agree to 10% (relative).
 * Run: ctest -R test_agent_backends. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "agent_fixture.h"
#include "algorithms/agent_internal.h"
#include "maze_fixture.h"
#include "test_util.h"

enum { STEPS = 100 };

static char dir[256];

typedef struct {
    const rise_params *p[4];
    const char *name[4];
    int count;
} nets;

static nets nets_of(rise_agent *a) {
    nets s = {{0}, {0}, 0};
    const rise_params *all[] = {&a->pp, &a->critic.qp, &a->critic.vp};
    const char *names[] = {"policy", "q", "v"};
    for (int i = 0; i < 3; ++i)
        if (all[i]->value && all[i]->size) s.p[s.count] = all[i], s.name[s.count++] = names[i];
    return s;
}

static float *snapshot(const rise_params *p) {
    float *w = malloc(p->size * sizeof(float));
    memcpy(w, p->value, p->size * sizeof(float)); /* CPU backends: host memory */
    return w;
}

static rise_agent *make(rise_algo algo, rise_backend *be, const rise_trainset *ts) {
    rise_agent_config c;
    agent_fixture_config(&c, algo, ts, 32, 32, 1);
    rise_agent *a = NULL;
    TEST_CHECK(rise_agent_create(&c, be, &ts->norm, &a) == RISE_OK, "%s on %s: %s",
               rise_algo_name(algo), be->name, rise_last_error());
    if (a) TEST_CHECK(rise_agent_attach_data(a, ts) == RISE_OK, "attach: %s", rise_last_error());
    return a;
}

static double loss_of(rise_agent *a, const char *key) {
    rise_agent_metrics m;
    if (rise_agent_metrics_read(a, &m) != RISE_OK) return NAN;
    for (int i = 0; i < m.n; ++i)
        if (!strcmp(m.names[i], key)) return m.values[i];
    return NAN;
}

static void compare(rise_algo algo, rise_backend *cpu, rise_backend *ref, const rise_trainset *ts) {
    const char *name = rise_algo_name(algo);
    rise_agent *a = make(algo, cpu, ts), *b = make(algo, ref, ts);
    rise_agent *again = algo == RISE_ALGO_RISE ? make(algo, cpu, ts) : NULL;
    if (!a || !b || (algo == RISE_ALGO_RISE && !again)) return;
    const nets na = nets_of(a), nb = nets_of(b);
    float *w0[4];
    for (int i = 0; i < na.count; ++i) w0[i] = snapshot(na.p[i]);
    int ok = 1;
    for (int s = 0; s < STEPS && ok; ++s) {
        ok = rise_agent_step(a) == RISE_OK && rise_agent_step(b) == RISE_OK;
        if (again) ok = ok && rise_agent_step(again) == RISE_OK;
    }
    TEST_CHECK(ok, "%s: %d steps on both backends: %s", name, STEPS, rise_last_error());
    for (int i = 0; i < na.count; ++i) {
        const size_t n = na.p[i]->size;
        double diff = 0, travel = 0;
        for (size_t j = 0; j < n; ++j) {
            const double d = (double)na.p[i]->value[j] - nb.p[i]->value[j];
            const double t = (double)nb.p[i]->value[j] - w0[i][j];
            diff += d * d, travel += t * t;
        }
        const double rel = sqrt(diff) / (sqrt(travel) + 1e-30);
        printf("%s %s: |w_cpu - w_ref| / |w_ref - w_0| = %.3g after %d steps\n", name, na.name[i],
               rel, STEPS);
        TEST_CHECK(travel > 0 && rel <= 2e-5, "%s %s: cpu within 2e-5 of ref's travel (%.3g)", name,
                   na.name[i], rel);
        if (again)
            TEST_CHECK(!memcmp(na.p[i]->value, nets_of(again).p[i]->value, n * sizeof(float)),
                       "%s %s: two cpu runs bit for bit equal", name, na.name[i]);
        free(w0[i]);
    }
    const char *keys[] = {"loss_q", "loss_v", "loss_pi"};
    for (int k = 0; k < 3; ++k) {
        const double x = loss_of(a, keys[k]), y = loss_of(b, keys[k]);
        if (isnan(y)) continue; /* not a metric of this algorithm */
        TEST_CHECK(fabs(x - y) <= 0.1 * fabs(y) + 1e-6, "%s %s: cpu %.6g vs ref %.6g", name,
                   keys[k], x, y);
    }
    rise_agent_free(a);
    rise_agent_free(b);
    if (again) rise_agent_free(again);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/rise_test_agent_backends_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    rise_trainset ts;
    maze_fixture_trainset(dir, 10, &ts);
    rise_backend *cpu = test_backend_or_skip("cpu"), *ref = test_backend_or_skip("ref");
    compare(RISE_ALGO_RISE, cpu, ref, &ts);
    compare(RISE_ALGO_IQL, cpu, ref, &ts);
    rise_backend_destroy(cpu);
    rise_backend_destroy(ref);
    rise_trainset_free(&ts);
    test_remove_dir(dir);
    return test_finish();
}
