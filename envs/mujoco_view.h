/* mujoco_view.h - camera frames of a MuJoCo task from observation rows: each row sets the
 * positions of a copy of the task's model (the task's own obs -> qpos mapping), the
 * kinematics place the bodies, and the model's named camera is rendered
 * (mujoco_render.h). Each thread keeps its own copy of each task's model, its data and its
 * renderer (made on first use, grown to the largest frame asked for, freed when the thread
 * exits), so threads render at once without sharing a context and without touching the
 * envs' own models. Built with RISE_WITH_MUJOCO_RENDER. */
#ifndef RISE_ENVS_MUJOCO_VIEW_H
#define RISE_ENVS_MUJOCO_VIEW_H

#include <stdint.h>

#include "host/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct mjModel_;

/* What a task renders: its model (loaded afresh for each thread), the camera's name in it
 * and the positions one observation row determines. */
typedef struct {
    const char *task; /* one model per task name and thread */
    const char *camera;
    rise_status (*load)(struct mjModel_ **out);
    void (*qpos_of_obs)(const float *obs, double *qpos);
} rise_mj_view_task;

/* frames [n, h, w, 3] of obs [n, obs_dim] (h, w in [1, RISE_MJ_RENDER_MAX_SIDE]). */
rise_status rise_mj_view_frames(const rise_mj_view_task *t, const float *obs, int64_t n,
                                int obs_dim, int h, int w, uint8_t *frames);

/* Frees the calling thread's models and renderers now (they go at thread exit anyway); the
 * next frame makes them again. */
void rise_mj_view_release(void);

#ifdef __cplusplus
}
#endif
#endif
