/* camera_view.c - camera frames from observation rows, dispatched by task (see
 * camera_view.h). */
#include "camera_view.h"

#include <string.h>

#include "maze.h"
#include "maze_render.h"
#include "mujoco_render.h"
#include "mujoco_view.h"
#include "push.h"
#include "square.h"

static int is_mujoco_task(const char *task) {
    return !strcmp(task, "square") || !strcmp(task, "square-hook") || !strcmp(task, "push");
}

rise_status rise_camera_view_check(const rise_env *env, const char *camera, int h, int w, int c) {
    const char *task = env->info.task;
    if (!strcmp(task, "maze")) {
        if (strcmp(camera, RISE_AGENTVIEW_KEY) || h != w || h < 8 || c != 3)
            return rise_error(RISE_ERR_INVALID,
                              "camera '%s' (%dx%dx%d): the maze renders '%s', square RGB frames "
                              "of side >= 8",
                              camera, h, w, c, RISE_AGENTVIEW_KEY);
        return RISE_OK;
    }
    if (!is_mujoco_task(task))
        return rise_error(RISE_ERR_INVALID, "camera '%s': task '%s' has no camera view", camera,
                          task);
#ifndef RISE_WITH_MUJOCO_RENDER
    return rise_error(RISE_ERR_INVALID,
                      "camera '%s': task '%s' has no camera view in this build (MuJoCo "
                      "rendering needs MuJoCo and EGL: libmujoco-dev, libegl-dev; the maze "
                      "renders without them)",
                      camera, task);
#else
    if (strcmp(camera, RISE_AGENTVIEW_KEY) || h < 8 || w < 8 || h > RISE_MJ_RENDER_MAX_SIDE ||
        w > RISE_MJ_RENDER_MAX_SIDE || c != 3)
        return rise_error(RISE_ERR_INVALID,
                          "camera '%s' (%dx%dx%d): task '%s' renders '%s', RGB frames with "
                          "sides in [8, %d]",
                          camera, h, w, c, task, RISE_AGENTVIEW_KEY, RISE_MJ_RENDER_MAX_SIDE);
    if (rise_mj_render_available() != RISE_OK)
        return rise_error_context(RISE_ERR_LIBRARY, "camera '%s' of task '%s': ", camera, task);
    return RISE_OK;
#endif
}

static void maze_frames(const rise_env *env, const float *obs, int64_t n, int size,
                        uint8_t *frames) {
    const rise_env_info *info = &env->info;
    const int k = rise_env_find_key(info, "agent_pos");
    RISE_ASSERT(k >= 0, "the maze observes agent_pos");
    const int pos = info->keys[k].offset;
    rise_maze m = *rise_maze_of_const(env);
    const size_t fb = (size_t)size * size * 3;
    for (int64_t r = 0; r < n; ++r) {
        m.px = obs[r * info->obs_dim + pos];
        m.py = obs[r * info->obs_dim + pos + 1];
        rise_maze_render(&m, frames + (size_t)r * fb, size);
    }
}

rise_status rise_camera_view(const rise_env *env, const char *camera, const float *obs, int64_t n,
                             int h, int w, int c, uint8_t *frames) {
    RISE_TRY(rise_camera_view_check(env, camera, h, w, c));
    if (!strcmp(env->info.task, "maze")) {
        maze_frames(env, obs, n, h, frames);
        return RISE_OK;
    }
#ifdef RISE_WITH_MUJOCO_RENDER
    static const rise_mj_view_task square = {"square", RISE_SQUARE_CAMERA, rise_square_model_load,
                                             rise_square_qpos_of_obs};
    static const rise_mj_view_task push = {"push", RISE_PUSH_CAMERA, rise_push_model_load,
                                           rise_push_qpos_of_obs};
    const rise_mj_view_task *t = strcmp(env->info.task, "push") ? &square : &push;
    return rise_mj_view_frames(t, obs, n, env->info.obs_dim, h, w, frames);
#else
    RISE_ASSERT(0, "rise_camera_view_check passed task '%s' without MuJoCo rendering",
                env->info.task);
    return RISE_ERR_INVALID;
#endif
}

void rise_camera_view_release(void) {
#ifdef RISE_WITH_MUJOCO_RENDER
    rise_mj_view_release();
#endif
}
