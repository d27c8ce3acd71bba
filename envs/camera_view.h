/* camera_view.h - a task's camera view as a function of its observation: the frame camera
 * `RISE_AGENTVIEW_KEY` shows for an observation row. `rise gen --obs image|both` writes its
 * frames with it and the evaluator renders an image policy's frames with it, so both see
 * the same pictures.
 *  - maze: the rasterised top-down view (maze_render.h) at the row's agent_pos; square
 *    frames only (h == w >= 8).
 *  - square, square-hook, push (MuJoCo): the task model's fixed front-above camera
 *    "agentview", rendered headless through EGL (mujoco_view.h, mujoco_render.h) with the
 *    bodies placed where the row says (rise_square_qpos_of_obs, rise_push_qpos_of_obs);
 *    any h, w in [8, RISE_MJ_RENDER_MAX_SIDE]. Only in a build with MuJoCo and EGL
 *    (RISE_WITH_MUJOCO_RENDER); elsewhere, or where no EGL context can be made, they are
 *    refused with the reason.
 * Every frame is uint8 [h, w, 3], row 0 at the top, and the same bytes for the same row. */
#ifndef RISE_ENVS_CAMERA_VIEW_H
#define RISE_ENVS_CAMERA_VIEW_H

#include <stdint.h>

#include "env.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_AGENTVIEW_KEY "agentview_image" /* robomimic's name for the fixed camera */

/* RISE_OK when env's task renders camera `camera` at h x w x c; otherwise the error naming
 * the task, the camera and what it renders (or why it cannot render here). */
rise_status rise_camera_view_check(const rise_env *env, const char *camera, int h, int w, int c);

/* frames [n, h, w, c] uint8 of camera `camera` from obs [n, env->info.obs_dim] (the env's
 * own layout). Errors as rise_camera_view_check's. */
rise_status rise_camera_view(const rise_env *env, const char *camera, const float *obs, int64_t n,
                             int h, int w, int c, uint8_t *frames);

/* Frees what rendering made for the calling thread (the MuJoCo tasks' GL contexts and model
 * copies; they go at thread exit anyway, which the main thread never reaches); the next frame
 * makes them again. Nothing for the maze. */
void rise_camera_view_release(void);

#ifdef __cplusplus
}
#endif
#endif
