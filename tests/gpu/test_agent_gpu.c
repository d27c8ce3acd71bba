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
#include "maze_fixture.h"
#include "test_util.h"

typedef struct {
    rise_agent *a;
    float *p0[3]; /* initial policy, Q, V values (host copies) */
} tracked;

static rise_params *buffer(rise_agent *a, int which) {
    if (which == 0) return &a->pp;
    return which == 1 ? &a->critic.qp : &a->critic.vp;
}

static void track(tracked *t, rise_agent *a) {
    t->a = a;
    for (int w = 0; w < 3; ++w) {
        rise_params *p = buffer(a, w);
        t->p0[w] = test_from_backend(a->be, p->value, p->size);
    }
}

/* Worst relative RMS error, over the three buffers, of the change from the initial values. */
static double change_error(const tracked *ref, const tracked *got) {
    double worst = 0.0;
    for (int w = 0; w < 3; ++w) {
        rise_params *pr = buffer(ref->a, w), *pg = buffer(got->a, w);
        float *vr = test_from_backend(ref->a->be, pr->value, pr->size);
        float *vg = test_from_backend(got->a->be, pg->value, pg->size);
        double num = 0.0, den = 0.0;
        for (size_t i = 0; i < pr->size; ++i) {
            const double dr = (double)vr[i] - ref->p0[w][i], dg = (double)vg[i] - got->p0[w][i];
            num += (dg - dr) * (dg - dr);
            den += dr * dr;
        }
        const double e = den > 0 ? sqrt(num / den) : sqrt(num);
        if (e > worst) worst = e;
        free(vr), free(vg);
    }
    return worst;
}

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

static void steps(rise_agent *a, int n) {
    for (int i = 0; i < n; ++i)
        TEST_CHECK(rise_agent_step(a) == RISE_OK, "step on %s", a->be->name);
}

int main(void) {
    const char *second = getenv("RISE_TEST_AGENT_BACKEND");
    rise_status st;
    rise_backend *gpu = rise_backend_create(second ? second : "cuda", &st);
    if (!gpu) {
        char why[512];
        snprintf(why, sizeof why, "test_agent_gpu: %s", rise_last_error());
        return test_skip(why);
    }
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
    steps(a, 1), steps(b, 1), steps(other, 1);
    double ep = change_error(&ta, &tb), em = metric_error(a, b);
    printf("after 1 step: parameter change error %.3g, loss error %.3g\n", ep, em);
    TEST_CHECK(ep <= 1e-2, "1 step: parameters within 1e-2 (%.3g)", ep);
    TEST_CHECK(em <= 1e-3, "1 step: losses within 1e-3 (%.3g)", em);
    steps(a, 99), steps(b, 99), steps(other, 99);
    ep = change_error(&ta, &tb);
    em = metric_error(a, b);
    const double ctrl = change_error(&ta, &to);
    printf("after 100 steps: parameter change error %.3g, loss error %.3g; other seed %.3g\n", ep,
           em, ctrl);
    TEST_CHECK(ep <= 5e-2, "100 steps: parameters within 5e-2 (%.3g)", ep);
    TEST_CHECK(em <= 5e-2, "100 steps: losses within 5e-2 (%.3g)", em);
    TEST_CHECK(ctrl >= 0.5, "negative control: another seed differs by %.3g (>= 0.5)", ctrl);
    for (int w = 0; w < 3; ++w) free(ta.p0[w]), free(tb.p0[w]), free(to.p0[w]);
    rise_agent_free(a);
    rise_agent_free(b);
    rise_agent_free(other);
    rise_trainset_free(&ts);
    rise_backend_destroy(gpu);
    rise_backend_destroy(cpu);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (test_failed_count == 0 && system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return test_finish();
}
