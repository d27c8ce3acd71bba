/* camera_view.h - a task's camera view as a function of its observation, for the tasks
 * whose picture is one: the maze's top-down view (maze_render.h) drawn at the agent_pos of
 * an observation row. `rise gen --obs image|both` writes its frames with it and the
 * evaluator renders an image policy's frames with it, so both see the same pictures. The
 * MuJoCo tasks would need their simulator's renderer; none is built, and they are refused. */
#ifndef RISE_ENVS_CAMERA_VIEW_H
#define RISE_ENVS_CAMERA_VIEW_H

#include <stdint.h>

#include "env.h"

#ifdef __cplusplus
extern "C" {
#endif

/* frames [n, h, w, c] uint8 of camera `camera` from obs [n, env->info.obs_dim] (the env's
 * own layout). Errors name the task, the camera and what it renders. */
rise_status rise_camera_view(const rise_env *env, const char *camera, const float *obs, int64_t n,
                             int h, int w, int c, uint8_t *frames);

#ifdef __cplusplus
}
#endif
#endif
