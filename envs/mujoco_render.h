/* mujoco_render.h - headless MuJoCo rendering: an OpenGL context through EGL on Mesa's
 * surfaceless platform (no window, no pbuffer: the context is made current with
 * EGL_NO_SURFACE and MuJoCo draws into its own offscreen framebuffer), and one frame of a
 * model's camera as uint8 RGB rows top to bottom. With Mesa's llvmpipe it needs no GPU.
 *
 * Threads: a renderer holds its own EGL context and belongs to the thread that created it
 * (the context is current there); use one renderer per thread, never one from two threads.
 * Creating and destroying renderers is serialised by a lock (MuJoCo loads its GL entry
 * points into process-wide pointers when it makes a context); rendering takes no lock.
 * Built with RISE_WITH_MUJOCO_RENDER (MuJoCo and EGL found). */
#ifndef RISE_ENVS_MUJOCO_RENDER_H
#define RISE_ENVS_MUJOCO_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "host/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_MJ_RENDER_MAX_SIDE 1024 /* largest frame side a renderer draws */

/* RISE_OK when this process can make an EGL context for rendering (the check runs once);
 * otherwise the error, naming the EGL call and its error code. */
rise_status rise_mj_render_available(void);

#ifdef RISE_WITH_MUJOCO_RENDER
struct mjModel_;
struct mjData_;
typedef struct rise_mj_renderer rise_mj_renderer;

/* A renderer for model m (kept by pointer: m must outlive it) drawing frames up to
 * max_w x max_h; its context is left current on the calling thread. */
rise_status rise_mj_renderer_create(const struct mjModel_ *m, int max_w, int max_h,
                                    rise_mj_renderer **out);
/* Camera `camera` (the model's camera id) of data d (positions already computed:
 * mj_kinematics and mj_camlight) as rgb [h, w, 3], row 0 at the top; h, w within the
 * renderer's maximum. */
rise_status rise_mj_render(rise_mj_renderer *r, struct mjData_ *d, int camera, int h, int w,
                           uint8_t *rgb);
/* The frame size a renderer was made for. */
void rise_mj_renderer_size(const rise_mj_renderer *r, int *max_w, int *max_h);
/* Call on the thread that created it. */
void rise_mj_renderer_destroy(rise_mj_renderer *r);
#endif

#ifdef __cplusplus
}
#endif
#endif
