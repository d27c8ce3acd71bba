/* mujoco_render.c - EGL (Mesa surfaceless) contexts and MuJoCo offscreen frames (see
 * mujoco_render.h). */
#include "mujoco_render.h"

#ifdef RISE_WITH_MUJOCO_RENDER

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <mujoco/mujoco.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rise_mj_renderer {
    EGLContext ctx;
    const mjModel *m;
    mjrContext con;
    mjvScene scn;
    mjvOption opt;
    int max_w, max_h;
    uint8_t *flip; /* one bottom-up frame before the row flip */
};

static pthread_once_t display_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t context_lock = PTHREAD_MUTEX_INITIALIZER;
static EGLDisplay display = EGL_NO_DISPLAY;
static EGLConfig config;
static char display_error[400];

static const char *egl_error_name(EGLint e) {
    switch (e) {
    case EGL_SUCCESS: return "EGL_SUCCESS";
    case EGL_NOT_INITIALIZED: return "EGL_NOT_INITIALIZED";
    case EGL_BAD_ACCESS: return "EGL_BAD_ACCESS";
    case EGL_BAD_ALLOC: return "EGL_BAD_ALLOC";
    case EGL_BAD_ATTRIBUTE: return "EGL_BAD_ATTRIBUTE";
    case EGL_BAD_CONFIG: return "EGL_BAD_CONFIG";
    case EGL_BAD_CONTEXT: return "EGL_BAD_CONTEXT";
    case EGL_BAD_CURRENT_SURFACE: return "EGL_BAD_CURRENT_SURFACE";
    case EGL_BAD_DISPLAY: return "EGL_BAD_DISPLAY";
    case EGL_BAD_MATCH: return "EGL_BAD_MATCH";
    case EGL_BAD_PARAMETER: return "EGL_BAD_PARAMETER";
    case EGL_BAD_SURFACE: return "EGL_BAD_SURFACE";
    default: return "an unknown EGL error";
    }
}

/* Opens the surfaceless display once per process; it stays open (terminating it would pull
 * the contexts of other threads out from under them). */
static void open_display(void) {
    const char *ext = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
    if (!ext || !strstr(ext, "EGL_MESA_platform_surfaceless")) {
        snprintf(display_error, sizeof display_error,
                 "EGL has no EGL_MESA_platform_surfaceless (client extensions: %s); install "
                 "Mesa's EGL (libegl-mesa0, libgl1-mesa-dri)",
                 !ext   ? "none: eglQueryString failed"
                 : *ext ? ext
                        : "none");
        return;
    }
    PFNEGLGETPLATFORMDISPLAYEXTPROC get_display =
        (PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
    if (!get_display) {
        snprintf(display_error, sizeof display_error, "EGL has no eglGetPlatformDisplayEXT");
        return;
    }
    EGLDisplay d = get_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
    EGLint major = 0, minor = 0;
    if (d == EGL_NO_DISPLAY || !eglInitialize(d, &major, &minor)) {
        snprintf(display_error, sizeof display_error,
                 "eglGetPlatformDisplayEXT(EGL_PLATFORM_SURFACELESS_MESA) / eglInitialize "
                 "failed: %s",
                 egl_error_name(eglGetError()));
        return;
    }
    /* No surface is ever made: any config that renders desktop OpenGL will do. */
    static const EGLint attrs[] = {EGL_SURFACE_TYPE, 0, EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT,
                                   EGL_NONE};
    EGLint n = 0;
    if (!eglChooseConfig(d, attrs, &config, 1, &n) || n < 1) {
        snprintf(display_error, sizeof display_error,
                 "eglChooseConfig found no desktop OpenGL config on the surfaceless display "
                 "(EGL %d.%d, %s): %s",
                 major, minor, eglQueryString(d, EGL_VENDOR), egl_error_name(eglGetError()));
        return;
    }
    display = d;
}

rise_status rise_mj_render_available(void) {
    pthread_once(&display_once, open_display);
    if (display == EGL_NO_DISPLAY)
        return rise_error(RISE_ERR_LIBRARY, "headless MuJoCo rendering: %s", display_error);
    return RISE_OK;
}

/* Makes r's context current on this thread (a no-op when it already is). */
static rise_status make_current(const rise_mj_renderer *r) {
    if (eglGetCurrentContext() == r->ctx) return RISE_OK;
    if (!eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, r->ctx))
        return rise_error(RISE_ERR_LIBRARY, "eglMakeCurrent (no surface) failed: %s",
                          egl_error_name(eglGetError()));
    return RISE_OK;
}

rise_status rise_mj_renderer_create(const mjModel *m, int max_w, int max_h,
                                    rise_mj_renderer **out) {
    RISE_TRY(rise_mj_render_available());
    if (max_w < 1 || max_h < 1 || max_w > RISE_MJ_RENDER_MAX_SIDE ||
        max_h > RISE_MJ_RENDER_MAX_SIDE)
        return rise_error(RISE_ERR_INVALID,
                          "MuJoCo renderer: frame %dx%d, expected sides in [1, %d]", max_h, max_w,
                          RISE_MJ_RENDER_MAX_SIDE);
    rise_mj_renderer *r = calloc(1, sizeof *r);
    uint8_t *flip = malloc((size_t)max_w * max_h * 3);
    if (!r || !flip) {
        free(r);
        free(flip);
        return rise_error(RISE_ERR_NOMEM, "out of memory for a MuJoCo renderer");
    }
    r->m = m;
    r->max_w = max_w;
    r->max_h = max_h;
    r->flip = flip;
    pthread_mutex_lock(&context_lock);
    rise_status st = RISE_OK;
    if (!eglBindAPI(EGL_OPENGL_API)) /* per thread */
        st = rise_error(RISE_ERR_LIBRARY, "eglBindAPI(EGL_OPENGL_API) failed: %s",
                        egl_error_name(eglGetError()));
    if (st == RISE_OK) {
        r->ctx = eglCreateContext(display, config, EGL_NO_CONTEXT, NULL);
        if (r->ctx == EGL_NO_CONTEXT)
            st = rise_error(RISE_ERR_LIBRARY, "eglCreateContext (desktop OpenGL) failed: %s",
                            egl_error_name(eglGetError()));
    }
    if (st == RISE_OK) st = make_current(r);
    if (st == RISE_OK) {
        /* The offscreen framebuffer's size comes from the model: set it on a copy of the
         * visual options only (the model itself is not written). */
        mjModel mv = *m;
        mv.vis.global.offwidth = max_w;
        mv.vis.global.offheight = max_h;
        mjv_defaultOption(&r->opt);
        mjv_defaultScene(&r->scn);
        mjv_makeScene(m, &r->scn, 200);
        mjr_defaultContext(&r->con);
        mjr_makeContext(&mv, &r->con, mjFONTSCALE_100);
        mjr_setBuffer(mjFB_OFFSCREEN, &r->con);
        if (r->con.currentBuffer != mjFB_OFFSCREEN || r->con.offWidth < max_w ||
            r->con.offHeight < max_h)
            st = rise_error(RISE_ERR_LIBRARY,
                            "MuJoCo made no %dx%d offscreen framebuffer (got %dx%d, buffer %d)",
                            max_w, max_h, r->con.offWidth, r->con.offHeight, r->con.currentBuffer);
    }
    pthread_mutex_unlock(&context_lock);
    if (st != RISE_OK) {
        rise_mj_renderer_destroy(r);
        return st;
    }
    *out = r;
    return RISE_OK;
}

void rise_mj_renderer_size(const rise_mj_renderer *r, int *max_w, int *max_h) {
    *max_w = r->max_w;
    *max_h = r->max_h;
}

rise_status rise_mj_render(rise_mj_renderer *r, mjData *d, int camera, int h, int w, uint8_t *rgb) {
    if (h < 1 || w < 1 || h > r->max_h || w > r->max_w)
        return rise_error(RISE_ERR_INVALID,
                          "MuJoCo renderer: frame %dx%d exceeds the renderer's %dx%d", h, w,
                          r->max_h, r->max_w);
    if (camera < 0 || camera >= r->m->ncam)
        return rise_error(RISE_ERR_INVALID, "MuJoCo renderer: camera %d, the model has %d", camera,
                          r->m->ncam);
    RISE_TRY(make_current(r));
    mjvCamera cam;
    mjv_defaultCamera(&cam);
    cam.type = mjCAMERA_FIXED;
    cam.fixedcamid = camera;
    mjv_updateScene(r->m, d, &r->opt, NULL, &cam, mjCAT_ALL, &r->scn);
    const mjrRect vp = {0, 0, w, h};
    mjr_setBuffer(mjFB_OFFSCREEN, &r->con);
    mjr_render(vp, &r->scn, &r->con);
    mjr_readPixels(r->flip, NULL, vp, &r->con);
    const size_t row = (size_t)w * 3;
    for (int y = 0; y < h; ++y)
        memcpy(rgb + (size_t)y * row, r->flip + (size_t)(h - 1 - y) * row, row);
    const int err = mjr_getError();
    if (err) return rise_error(RISE_ERR_LIBRARY, "OpenGL error 0x%x while rendering", err);
    return RISE_OK;
}

void rise_mj_renderer_destroy(rise_mj_renderer *r) {
    if (!r) return;
    pthread_mutex_lock(&context_lock);
    if (r->ctx != EGL_NO_CONTEXT && r->ctx != NULL) {
        if (make_current(r) == RISE_OK) mjr_freeContext(&r->con);
        eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
        eglDestroyContext(display, r->ctx);
    }
    pthread_mutex_unlock(&context_lock);
    mjv_freeScene(&r->scn);
    free(r->flip);
    free(r);
}

#else

rise_status rise_mj_render_available(void) {
    return rise_error(RISE_ERR_NO_DEVICE,
                      "headless MuJoCo rendering is not built (it needs MuJoCo and EGL: "
                      "libmujoco-dev, libegl-dev)");
}

#endif /* RISE_WITH_MUJOCO_RENDER */
