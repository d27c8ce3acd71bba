/* test_gen_images.c - `rise gen --obs image|both` on the maze: the written file holds
 * obs/ and next_obs/agentview_image as uint8 (S, S, 3) frames that the image reader loads, each
 * frame equal to the renderer's view of that row's agent_pos (and each last next frame to the
 * demo's final position); --obs image leaves the low-dim keys out (asking for one is a clear
 * error); push writes frames where the build renders MuJoCo (and is refused with the
 * reason where it does not); bad options are refused with the reason.
 * Run: ctest -R test_gen_images. */
#include <string.h>

#include "data/reader.h"
#include "envs/camera_view.h"
#include "envs/gen.h"
#include "envs/maze_render.h"
#include "fixtures/data_fixtures.h"
#include "test_util.h"

#define S 16

static rise_status gen_file(const char *task, int obs, int n, const char *path) {
    rise_gen_opts o;
    rise_gen_opts_default(&o);
    o.obs = obs;
    o.image_size = S;
    rise_episode_buf bufs[4];
    rise_gen_stats stats;
    rise_env *env;
    RISE_TRY(rise_env_create(task, NULL, &env));
    rise_status st =
        rise_gen_run(task, NULL, RISE_GEN_EXPERT, &o, 3, n, 1, bufs, &stats, NULL, NULL);
    if (st == RISE_OK) st = rise_gen_write(path, env, RISE_GEN_EXPERT, &o, 3, bufs, n);
    for (int i = 0; i < n; ++i) rise_episode_buf_free(&bufs[i]);
    rise_env_destroy(env);
    return st;
}

static int load(const char *path, const char *const *keys, int n_keys, rise_episodes *e) {
    rise_read_opts o;
    rise_read_opts_default(&o);
    o.obs_keys = keys;
    o.n_obs_keys = n_keys;
    o.image_frames = RISE_IMAGES_LOAD;
    return rise_episodes_load(path, &o, e) == RISE_OK;
}

static void test_both(void) {
    char path[256];
    fx_path(path, sizeof path, "gen_both.h5");
    TEST_CHECK(gen_file("maze", RISE_GEN_OBS_BOTH, 3, path) == RISE_OK, "gen both: %s",
               rise_last_error());
    const char *keys[2] = {"agent_pos", RISE_AGENTVIEW_KEY};
    rise_episodes e;
    if (!load(path, keys, 2, &e)) {
        TEST_CHECK(0, "load: %s", rise_last_error());
        return;
    }
    TEST_CHECK(e.n_images == 1 && e.images[0].h == S && e.images[0].w == S && e.images[0].c == 3 &&
                   e.obs_dim == 2,
               "one %dx%dx3 camera and agent_pos: %d images, obs dim %lld", S, S, e.n_images,
               (long long)e.obs_dim);
    rise_env *env;
    rise_env_create("maze", NULL, &env);
    rise_maze m = *rise_maze_of(env);
    uint8_t want[S * S * 3];
    int bad = 0, distinct = 0;
    for (int64_t d = 0; d < e.n_demos; ++d) {
        const rise_demo *dm = &e.demos[d];
        for (int64_t r = 0; r < dm->length; ++r) {
            const int64_t row = dm->start + r;
            m.px = e.obs[row * 2], m.py = e.obs[row * 2 + 1];
            rise_maze_render(&m, want, S);
            const uint8_t *got = e.images[0].frames + row * S * S * 3;
            bad += memcmp(got, want, sizeof want) != 0;
            distinct += r > 0 && memcmp(got, got - S * S * 3, sizeof want) != 0;
        }
        const int64_t last = dm->start + dm->length - 1;
        m.px = e.next_obs[last * 2], m.py = e.next_obs[last * 2 + 1];
        rise_maze_render(&m, want, S);
        bad += memcmp(e.images[0].last_next + d * S * S * 3, want, sizeof want) != 0;
    }
    TEST_CHECK(bad == 0, "frames equal the render of their agent_pos: %d wrong", bad);
    TEST_CHECK(distinct > 10, "the view changes as the agent moves (%d changes)", distinct);
    rise_episodes_free(&e);
    rise_env_destroy(env);
    remove(path);
}

static void test_image_only_and_errors(void) {
    char path[256];
    fx_path(path, sizeof path, "gen_image.h5");
    TEST_CHECK(gen_file("maze", RISE_GEN_OBS_IMAGE, 2, path) == RISE_OK, "gen image: %s",
               rise_last_error());
    const char *cam[1] = {RISE_AGENTVIEW_KEY}, *pos[1] = {"agent_pos"};
    rise_episodes e;
    TEST_CHECK(load(path, cam, 1, &e) && e.n_images == 1 && e.obs_dim == 0,
               "camera-only file loads with the camera alone: %s", rise_last_error());
    if (e.n_images == 1) rise_episodes_free(&e);
    TEST_CHECK(!load(path, pos, 1, &e) && strstr(rise_last_error(), "agent_pos"),
               "asking a camera-only file for agent_pos: %s", rise_last_error());
    remove(path);
    fx_path(path, sizeof path, "gen_push.h5");
#ifdef RISE_WITH_MUJOCO_RENDER
    /* the MuJoCo tasks render here (tests/cpu/test_camera_mujoco.c checks their frames) */
    TEST_CHECK(gen_file("push", RISE_GEN_OBS_BOTH, 1, path) == RISE_OK, "gen push both: %s",
               rise_last_error());
    remove(path);
#else
    TEST_CHECK(gen_file("push", RISE_GEN_OBS_BOTH, 1, path) != RISE_OK &&
                   strstr(rise_last_error(), "no camera view"),
               "push has no camera view in this build: %s", rise_last_error());
#endif
    int obs = -1;
    TEST_CHECK(rise_gen_obs_parse("both", &obs) && obs == RISE_GEN_OBS_BOTH &&
                   !rise_gen_obs_parse("rgb", &obs),
               "--obs names");
}

int main(void) {
    test_both();
    test_image_only_and_errors();
    return test_finish();
}
