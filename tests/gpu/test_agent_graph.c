/* test_agent_graph.c - the training step replayed as a CUDA graph against the same step
 * issued op by op, both on the CUDA backend (exit 77 without a GPU).
 *
 * For RISE (mixed batches, relabelled-pair steps, a noise copy, histories; with the
 * LN-ResNet and with the U-Net policy, whose convolutions run on cuDNN), IDQL with the
 * conservative penalty, IQL, CQL and MLP BC: one agent with step_graph 0 (by-value
 * counters, no graph) and one with step_graph 1 (device clock, one graph per phase),
 * 30 steps each. The graph runs the same kernels with the same inputs, so every
 * parameter buffer must agree to a relative RMS difference of 1e-6 (bitwise is expected
 * and reported; cuBLAS may pick another algorithm inside a capture), the device clock
 * must hold the host's counters, both phases of RISE must have been captured, and a
 * negative control (the graph agent with another seed) must differ by more than 0.1.
 * RISE's extraction (K candidates, argmax) is compared the same way: calls of 5 rows
 * (captured, then replayed with new observations and steps) and of 2 rows (recaptured),
 * actions within 1e-5.
 * RISE_TEST_AGENT_BACKEND=cpu runs the harness on the CPU (no graphs: the clocked step
 * runs eagerly; every difference is then 0).
 * Run: ctest -L gpu -R test_agent_graph */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "algorithms/agent.h"
#include "algorithms/agent_internal.h"
#include "agent_fixture.h"
#include "maze_fixture.h"
#include "test_util.h"

static rise_agent *make(rise_backend *be, const rise_trainset *ts, rise_algo algo, int penalty,
                        int graph, uint64_t seed, int unet) {
    rise_agent_config c;
    agent_fixture_config(&c, algo, ts, 64, 32, 2);
    if (unet) { /* the U-Net policy (cuDNN convolutions inside the captured step) */
        c.action_horizon = 4;
        c.action_exec = 2;
        c.diffusion.unet = 1;
        c.diffusion.unet_cfg = rise_unet_config_default();
        c.diffusion.unet_cfg.act_dim = c.act_dim;
        c.diffusion.unet_cfg.horizon = 4;
        c.diffusion.unet_cfg.n_levels = 2;
        c.diffusion.unet_cfg.down_dims[0] = 16;
        c.diffusion.unet_cfg.down_dims[1] = 32;
        c.diffusion.unet_cfg.step_embed = 16;
    }
    c.seed = seed;
    c.cql_enable = penalty;
    c.data_on_backend = 1;
    c.step_graph = graph;
    rise_agent *a = NULL;
    TEST_CHECK(rise_agent_create(&c, be, &ts->norm, &a) == RISE_OK &&
                   rise_agent_attach_data(a, ts) == RISE_OK,
               "%s agent (step_graph %d): %s", rise_algo_name(algo), graph, rise_last_error());
    return a;
}

/* Relative RMS difference over every parameter buffer; *bitwise: all equal. */
static double param_diff(rise_agent *x, rise_agent *y, int *bitwise) {
    rise_params *px[] = {&x->pp, &x->critic.qp, &x->critic.vp, &x->cql.qp, &x->cql.tp};
    rise_params *py[] = {&y->pp, &y->critic.qp, &y->critic.vp, &y->cql.qp, &y->cql.tp};
    double num = 0, den = 0;
    *bitwise = 1;
    for (int i = 0; i < 5; ++i) {
        if (!px[i]->value || !px[i]->size) continue;
        float *a = test_from_backend(x->be, px[i]->value, px[i]->size);
        float *b = test_from_backend(y->be, py[i]->value, py[i]->size);
        for (size_t k = 0; k < px[i]->size; ++k) {
            num += ((double)a[k] - b[k]) * ((double)a[k] - b[k]);
            den += (double)a[k] * a[k];
        }
        *bitwise &= memcmp(a, b, sizeof(float) * px[i]->size) == 0;
        free(a), free(b);
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

static int clock_matches(rise_agent *a) {
    uint64_t k[RISE_CLOCK_N];
    a->be->download(a->be, k, a->clock, sizeof k);
    return k[RISE_CLOCK_STEP] == (uint64_t)a->step &&
           k[RISE_CLOCK_STEP_BLOCKS] == (uint64_t)a->step << 32 &&
           k[RISE_CLOCK_SAMPLER] == a->sampler.offset &&
           k[RISE_CLOCK_PAIRS] == a->pair_sampler.offset;
}

/* Actions of the two agents' policies on the same calls. */
static void compare_policies(rise_agent *eager, rise_agent *graph) {
    rise_policy *pe = NULL, *pg = NULL;
    TEST_CHECK(rise_agent_policy(eager, 3, &pe) == RISE_OK &&
                   rise_agent_policy(graph, 3, &pg) == RISE_OK,
               "policies: %s", rise_last_error());
    if (!pe || !pg) return;
    const int D = eager->cfg.obs_dim, To = eager->cfg.obs_horizon;
    const int W = eager->cfg.action_horizon * eager->cfg.act_dim;
    const int calls[3] = {5, 5, 2};
    double worst = 0;
    for (int c = 0; c < 3; ++c) {
        const int n = calls[c];
        float *obs = malloc(sizeof(float) * n * D), *hist = malloc(sizeof(float) * n * To * D);
        float *ae = malloc(sizeof(float) * n * W), *ag = malloc(sizeof(float) * n * W);
        uint64_t keys[5];
        int t[5];
        test_fill_random(hist, (size_t)n * To * D, 40 + c, -0.5f, 0.5f);
        for (int r = 0; r < n; ++r) {
            keys[r] = (uint64_t)(r + 10 * c);
            t[r] = 3 * c + r;
            memcpy(obs + r * D, hist + ((size_t)r * To + To - 1) * D, sizeof(float) * D);
        }
        const rise_policy_ctx ctx = {keys, t, hist};
        TEST_CHECK(pe->act(pe, n, obs, &ctx, ae) == RISE_OK &&
                       pg->act(pg, n, obs, &ctx, ag) == RISE_OK,
                   "policy call %d: %s", c, rise_last_error());
        for (int i = 0; i < n * W; ++i) worst = fmax(worst, fabs((double)ae[i] - ag[i]));
        free(obs), free(hist), free(ae), free(ag);
    }
    printf("extraction graph vs eager: worst action difference %.3g\n", worst);
    TEST_CHECK(worst <= 1e-5, "extraction: graph and eager actions agree (%.3g <= 1e-5)", worst);
    rise_policy_destroy(pe);
    rise_policy_destroy(pg);
}

static void compare(rise_backend *be, const rise_trainset *ts, rise_algo algo, int penalty,
                    int unet) {
    const char *name = unet ? "rise+unet" : penalty ? "idql+cql" : rise_algo_name(algo);
    rise_agent *eager = make(be, ts, algo, penalty, 0, 0, unet),
               *graph = make(be, ts, algo, penalty, 1, 0, unet);
    rise_agent *other = make(be, ts, algo, penalty, 1, 1, unet);
    if (!eager || !graph || !other) return;
    for (int s = 0; s < 30; ++s)
        TEST_CHECK(rise_agent_step(eager) == RISE_OK && rise_agent_step(graph) == RISE_OK &&
                       rise_agent_step(other) == RISE_OK,
                   "%s step %d: %s", name, s, rise_last_error());
    TEST_CHECK(be->sync(be) == RISE_OK, "%s: %s", name, rise_last_error());
    int bitwise = 0, ctrl_bitwise = 0;
    const double d = param_diff(eager, graph, &bitwise),
                 ctrl = param_diff(eager, other, &ctrl_bitwise);
    printf("%-9s graph vs eager: relative RMS %.3g (%s); other seed %.3g\n", name, d,
           bitwise ? "bitwise equal" : "not bitwise", ctrl);
    TEST_CHECK(d <= 1e-6, "%s: graph and eager steps agree (%.3g <= 1e-6)", name, d);
    TEST_CHECK(ctrl > 0.1, "%s: negative control differs (%.3g > 0.1)", name, ctrl);
    TEST_CHECK(clock_matches(graph), "%s: the device clock holds the host's counters", name);
    if (algo == RISE_ALGO_RISE) compare_policies(eager, graph);
    if (be->graph_begin) {
        TEST_CHECK(graph->graph[0] != NULL, "%s: the plain step was captured", name);
        if (algo == RISE_ALGO_RISE)
            TEST_CHECK(graph->graph[1] != NULL, "%s: the pair step was captured", name);
    }
    rise_agent_free(eager);
    rise_agent_free(graph);
    rise_agent_free(other);
}

int main(void) {
    const char *name = getenv("RISE_TEST_AGENT_BACKEND");
    rise_backend *be = test_backend_or_skip(name ? name : "cuda");
    char dir[] = "/tmp/rise_test_agent_graph_XXXXXX";
    if (!mkdtemp(dir)) return 1;
    rise_trainset ts;
    maze_fixture_trainset(dir, 10, &ts);
    compare(be, &ts, RISE_ALGO_RISE, 0, 0);
    compare(be, &ts, RISE_ALGO_RISE, 0, 1);
    compare(be, &ts, RISE_ALGO_IDQL, 1, 0);
    compare(be, &ts, RISE_ALGO_IQL, 0, 0);
    compare(be, &ts, RISE_ALGO_CQL, 0, 0);
    compare(be, &ts, RISE_ALGO_BC_MLP, 0, 0);
    rise_trainset_free(&ts);
    rise_backend_destroy(be);
    test_remove_dir(dir);
    return test_finish();
}
