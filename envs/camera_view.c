/* camera_view.c - camera frames from observation rows (see camera_view.h). */
#include "camera_view.h"

#include <string.h>

#include "maze.h"
#include "maze_render.h"

rise_status rise_camera_view(const rise_env *env, const char *camera, const float *obs, int64_t n,
                             int h, int w, int c, uint8_t *frames) {
    const rise_env_info *info = &env->info;
    if (strcmp(info->task, "maze"))
        return rise_error(RISE_ERR_INVALID,
                          "camera '%s': task '%s' has no camera view built (only the maze renders "
                          "images; MuJoCo rendering of the other tasks is not built)",
                          camera, info->task);
    if (strcmp(camera, RISE_MAZE_IMAGE_KEY) || h != w || h < 8 || c != 3)
        return rise_error(RISE_ERR_INVALID,
                          "camera '%s' (%dx%dx%d): the maze renders '%s', square RGB frames of "
                          "side >= 8",
                          camera, h, w, c, RISE_MAZE_IMAGE_KEY);
    const int k = rise_env_find_key(info, "agent_pos");
    RISE_ASSERT(k >= 0, "the maze observes agent_pos");
    const int pos = info->keys[k].offset;
    rise_maze m = *rise_maze_of_const(env);
    const size_t fb = (size_t)h * w * 3;
    for (int64_t r = 0; r < n; ++r) {
        m.px = obs[r * info->obs_dim + pos];
        m.py = obs[r * info->obs_dim + pos + 1];
        rise_maze_render(&m, frames + (size_t)r * fb, h);
    }
    return RISE_OK;
}
