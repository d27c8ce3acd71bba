/* test_train_images_gpu.c - RISE on camera frames, CUDA backend against the reference, same
 * seed (exit 77 without a GPU).
 *
 * Run: ctest -L gpu -R test_train_images_gpu. Both agents train on the same rendered maze
 * data (expert and play, agent_pos + a 24x24 agentview_image, two-frame history, action
 * chunks, relabelled pairs, action-noise copies): the policy's encoder and the critic's
 * three (Q1, Q2, V) run the conv2d / GroupNorm / spatial-softmax / crop ops of each backend,
 * with batches gathered on the host and uploaded. Compared after 1 and 30 steps as
 * test_agent_gpu compares low-dim agents: the relative RMS error of each buffer's change
 * (policy, Q, V), tolerance 1e-2 after 1 step and 5e-2 after 30, and a negative control
 * (another seed) that must differ by at least 0.5. Then the two trained policies act on
 * frames rendered from the same observations: actions within 5e-2. All of it twice: with
 * the conv trunk and with a small ResNet trunk (stem, max pool, identity and downsampling
 * BasicBlocks).
 * RISE_TEST_AGENT_BACKEND=cpu runs it CPU against the reference (the harness without a GPU). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_fixture.h"
#include "algorithms/agent.h"
#include "algorithms/agent_internal.h"
#include "agent_tracking.h"
#include "maze_fixture.h"
#include "test_util.h"

static rise_agent *make(rise_backend *be, const rise_trainset *ts, uint64_t seed,
                        rise_image_trunk trunk) {
    rise_agent_config c;
    agent_fixture_config(&c, RISE_ALGO_RISE, ts, 32, 32, 2);
    c.seed = seed;
    rise_obs_encoder_config *v = &c.vision;
    v->n_cams = 1;
    v->cam[0] = (rise_camera_shape){ts->cams[0].h, ts->cams[0].w, ts->cams[0].c};
    v->crop_h = v->crop_w = ts->cams[0].h - 2;
    v->enc = (rise_image_encoder_config){.n_blocks = 2,
                                         .block_channels = {8, 8},
                                         .block_stride = {2, 1},
                                         .kernel = 3,
                                         .groups = 4,
                                         .keypoints = 4,
                                         .feat_dim = 8};
    if (trunk == RISE_TRUNK_RESNET) /* 22x22 -> stem 11x11 -> pool 6x6 -> 6x6 -> 3x3 */
        v->enc = (rise_image_encoder_config){.trunk = RISE_TRUNK_RESNET,
                                             .n_blocks = 2,
                                             .block_channels = {8, 8},
                                             .stage_blocks = 1,
                                             .group_channels = 4,
                                             .keypoints = 4,
                                             .feat_dim = 8};
    rise_agent *a = NULL;
    TEST_CHECK(rise_agent_create(&c, be, &ts->norm, &a) == RISE_OK &&
                   rise_agent_attach_data(a, ts) == RISE_OK,
               "agent on %s: %s", be->name, rise_last_error());
    return a;
}

/* Actions of a's policy on frames the maze renders from fixed observations. */
static void act(rise_agent *a, rise_env *maze, float *out) {
    rise_policy *pol = NULL;
    TEST_CHECK(rise_agent_policy(a, 3, &pol) == RISE_OK &&
                   rise_agent_policy_bind_env(pol, &maze->info) == RISE_OK &&
                   rise_agent_policy_bind_view(pol, maze) == RISE_OK,
               "policy on %s: %s", a->be->name, rise_last_error());
    if (!pol) return;
    const int E = maze->info.obs_dim, To = pol->obs_horizon, n = 4;
    float *hist = calloc((size_t)n * To * E, sizeof(float)), *obs = calloc((size_t)n * E, 4);
    for (int r = 0; r < n; ++r)
        for (int f = 0; f < To; ++f) {
            float *o = hist + ((size_t)r * To + f) * E;
            o[0] = -0.7f + 0.4f * r, o[1] = 0.5f - 0.3f * r + 0.02f * f;
            if (f == To - 1) memcpy(obs + (size_t)r * E, o, sizeof(float) * E);
        }
    const uint64_t keys[4] = {1, 2, 3, 4};
    const int t[4] = {0, 2, 4, 6};
    const rise_policy_ctx ctx = {keys, t, hist};
    TEST_CHECK(pol->act(pol, n, obs, &ctx, out) == RISE_OK, "act on %s: %s", a->be->name,
               rise_last_error());
    free(hist), free(obs);
    rise_policy_destroy(pol);
}

/* Trains a (ref) and b (gpu) with the same seed, other (ref) with another, and compares. */
static void compare(rise_backend *gpu, rise_backend *ref, const rise_trainset *ts,
                    rise_image_trunk trunk) {
    const char *name = trunk == RISE_TRUNK_RESNET ? "resnet" : "conv";
    rise_agent *a = make(ref, ts, 0, trunk), *b = make(gpu, ts, 0, trunk);
    rise_agent *other = make(ref, ts, 1, trunk);
    if (!a || !b || !other) return;
    tracked ta, tb, to;
    track(&ta, a), track(&tb, b), track(&to, other);
    tracked_steps(a, 1), tracked_steps(b, 1), tracked_steps(other, 1);
    double ep = change_error(&ta, &tb);
    printf("%s: after 1 step: parameter change error %.3g\n", name, ep);
    TEST_CHECK(ep <= 1e-2, "%s: 1 step: parameters within 1e-2 (%.3g)", name, ep);
    tracked_steps(a, 29), tracked_steps(b, 29), tracked_steps(other, 29);
    ep = change_error(&ta, &tb);
    const double ctrl = change_error(&ta, &to);
    printf("%s: after 30 steps: parameter change error %.3g; other seed %.3g\n", name, ep, ctrl);
    TEST_CHECK(ep <= 5e-2, "%s: 30 steps: parameters within 5e-2 (%.3g)", name, ep);
    TEST_CHECK(ctrl >= 0.5, "%s: negative control: another seed differs by %.3g (>= 0.5)", name,
               ctrl);
    rise_env *maze = NULL;
    TEST_CHECK(rise_env_create("maze", NULL, &maze) == RISE_OK, "maze");
    float xa[4 * 3 * 2], xb[4 * 3 * 2];
    act(a, maze, xa);
    act(b, maze, xb);
    double worst = 0.0;
    for (int i = 0; i < 4 * a->cfg.action_horizon * 2; ++i)
        worst = fmax(worst, fabs((double)xa[i] - xb[i]));
    printf("%s: actions on rendered frames: largest difference %.3g\n", name, worst);
    TEST_CHECK(worst <= 5e-2, "%s: actions on rendered frames within 5e-2 (%.3g)", name, worst);
    rise_env_destroy(maze);
    tracked_free(&ta), tracked_free(&tb), tracked_free(&to);
    rise_agent_free(a), rise_agent_free(b), rise_agent_free(other);
}

int main(void) {
    const char *second = getenv("RISE_TEST_AGENT_BACKEND");
    rise_backend *gpu = test_backend_or_skip(second ? second : "cuda");
    rise_status st;
    rise_backend *ref = rise_backend_create("ref", &st);
    char dir[] = "/tmp/rise_test_train_images_gpu_XXXXXX";
    if (!ref || !mkdtemp(dir)) return 1;
    char path[600], json[2048];
    snprintf(path, sizeof path, "%s/expert.h5", dir);
    maze_fixture_gen_obs("expert", 8, 1, RISE_GEN_OBS_BOTH, 24, path);
    snprintf(path, sizeof path, "%s/play.h5", dir);
    maze_fixture_gen_obs("play", 8, 2, RISE_GEN_OBS_BOTH, 24, path);
    snprintf(json, sizeof json,
             "{\"sources\": [{\"path\": \"%s/expert.h5\", \"role\": \"expert\"},"
             " {\"path\": \"%s/play.h5\", \"role\": \"non_expert\"}],"
             " \"obs_keys\": [\"agent_pos\", \"agentview_image\"]}",
             dir, dir);
    rise_data_spec spec;
    rise_trainset ts;
    TEST_CHECK(rise_data_spec_from_json(&spec, json, NULL) == RISE_OK &&
                   rise_trainset_build(&spec, &ts) == RISE_OK &&
                   rise_trainset_normalize(&ts, NULL) == RISE_OK && ts.n_cams == 1,
               "image training set: %s", rise_last_error());
    compare(gpu, ref, &ts, RISE_TRUNK_CONV);
    compare(gpu, ref, &ts, RISE_TRUNK_RESNET);
    rise_trainset_free(&ts);
    rise_backend_destroy(gpu);
    rise_backend_destroy(ref);
    test_remove_dir(dir);
    return test_finish();
}
