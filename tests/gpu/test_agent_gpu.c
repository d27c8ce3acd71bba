/* test_agent_gpu.c - RISE training on the CUDA backend against the reference backend, same seed
 * (exit 77 without a GPU).
 *
 * Run: ctest -L gpu -R test_agent_gpu. Both agents train on the same generated maze data with
 * the same config (tests/agent_fixture.h: spectral code MLP, relabelled pairs every 2nd step,
 * two action-noise copies per row, an observation history of 2,
 * dropout); the CPU agent gathers on the host, the CUDA agent on the device
 * (data_on_backend), and every Philox stream is the same, so the only differences are float
 * rounding (cuBLAS and reduction orders, FMA contraction, a few ulp in normal draws).
 * Compared after 1 and after 100 steps, for the policy, Q and V parameters: the change from
 * the initial values, as a relative RMS error ||d_gpu - d_cpu|| / ||d_cpu||, and every
 * logged metric. Adam divides by sqrt(v), so a gradient near zero can flip an entry's first
 * update; the RMS over a whole buffer is what stays small. Tolerances: 1 step 1e-2 (params)
 * and 1e-3 relative on losses; 100 steps 5e-2 and 5e-2. A negative control trains the CPU
 * agent with another seed and must land at least 10x beyond the 100-step tolerance, so the
 * comparison can fail. The relabelled pairs, built at attach with the search on the GPU
 * (algorithms/backend_knn.c), must equal the CPU agent's bit for bit.
 * RISE_TEST_AGENT_BACKEND=cpu runs the whole test CPU against CPU (to
 * check the harness without a GPU; every error is then 0). */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "algorithms/agent.h"
#include "algorithms/agent_internal.h"
#include "agent_fixture.h"
#include "agent_tracking.h"
#include "maze_fixture.h"
#include "test_util.h"

static double metric_error(rise_agent *ref, rise_agent *got) {
    rise_agent_metrics mr, mg;
    TEST_CHECK(rise_agent_metrics_read(ref, &mr) == RISE_OK &&
                   rise_agent_metrics_read(got, &mg) == RISE_OK,
               "metrics: %s", rise_last_error());
    double worst = 0.0;
    for (int i = 0; i < mr.n && i < mg.n; ++i) {
        if (strncmp(mr.names[i], "loss", 4) != 0) continue; /* losses: the training signal */
        const double e = fabs(mg.values[i] - mr.values[i]) / fmax(fabs(mr.values[i]), 1e-3);
        if (e > worst) worst = e;
    }
    return worst;
}

static rise_agent *make(rise_backend *be, const rise_trainset *ts, uint64_t seed) {
    rise_agent_config c;
    agent_fixture_config(&c, RISE_ALGO_RISE, ts, 64, 32, 2);
    c.seed = seed;
    rise_agent *a = NULL;
    TEST_CHECK(rise_agent_create(&c, be, &ts->norm, &a) == RISE_OK &&
                   rise_agent_attach_data(a, ts) == RISE_OK,
               "agent on %s: %s", be->name, rise_last_error());
    return a;
}

int main(void) {
    const char *second = getenv("RISE_TEST_AGENT_BACKEND");
    rise_backend *gpu = test_backend_or_skip(second ? second : "cuda");
    rise_status st;
    rise_backend *cpu = rise_backend_create("ref", &st);
    char dir[] = "/tmp/rise_test_agent_gpu_XXXXXX";
    if (!cpu || !mkdtemp(dir)) return 1;
    rise_trainset ts;
    maze_fixture_trainset(dir, 10, &ts);

    rise_agent *a = make(cpu, &ts, 0), *b = make(gpu, &ts, 0), *other = make(cpu, &ts, 1);
    if (!a || !b || !other) return test_finish();
    const rise_pairs *pa = &a->pairs, *pb = &b->pairs;
    TEST_CHECK(pa->n > 0 && pa->n == pb->n &&
                   !memcmp(pa->obs_idx, pb->obs_idx, sizeof(int64_t) * (size_t)pa->n) &&
                   !memcmp(pa->act_idx, pb->act_idx, sizeof(int64_t) * (size_t)pa->n) &&
                   !memcmp(pa->dist, pb->dist, sizeof(float) * (size_t)pa->n),
               "relabelled pairs equal on both backends (%lld, %lld)", (long long)pa->n,
               (long long)pb->n);
    tracked ta, tb, to;
    track(&ta, a);
    track(&tb, b);
    track(&to, other);
    tracked_steps(a, 1), tracked_steps(b, 1), tracked_steps(other, 1);
    double ep = change_error(&ta, &tb), em = metric_error(a, b);
    printf("after 1 step: parameter change error %.3g, loss error %.3g\n", ep, em);
    TEST_CHECK(ep <= 1e-2, "1 step: parameters within 1e-2 (%.3g)", ep);
    TEST_CHECK(em <= 1e-3, "1 step: losses within 1e-3 (%.3g)", em);
    tracked_steps(a, 99), tracked_steps(b, 99), tracked_steps(other, 99);
    ep = change_error(&ta, &tb);
    em = metric_error(a, b);
    const double ctrl = change_error(&ta, &to);
    printf("after 100 steps: parameter change error %.3g, loss error %.3g; other seed %.3g\n", ep,
           em, ctrl);
    TEST_CHECK(ep <= 5e-2, "100 steps: parameters within 5e-2 (%.3g)", ep);
    TEST_CHECK(em <= 5e-2, "100 steps: losses within 5e-2 (%.3g)", em);
    TEST_CHECK(ctrl >= 0.5, "negative control: another seed differs by %.3g (>= 0.5)", ctrl);
    tracked_free(&ta), tracked_free(&tb), tracked_free(&to);
    rise_agent_free(a);
    rise_agent_free(b);
    rise_agent_free(other);
    rise_trainset_free(&ts);
    rise_backend_destroy(gpu);
    rise_backend_destroy(cpu);
    test_remove_dir(dir);
    return test_finish();
}
