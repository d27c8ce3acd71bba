/* mujoco_view.c - per-thread copies of the MuJoCo tasks' models rendered from observation
 * rows (see mujoco_view.h). */
#include "mujoco_view.h"

#ifdef RISE_WITH_MUJOCO_RENDER

#include <mujoco/mujoco.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mujoco_render.h"

#define MAX_VIEWS 4 /* task models one thread keeps */

typedef struct {
    const char *task;
    mjModel *m;
    mjData *d;
    int camera;
    rise_mj_renderer *r;
} view;

typedef struct {
    view v[MAX_VIEWS];
    int n;
} thread_views;

static pthread_key_t views_key;
static pthread_once_t views_once = PTHREAD_ONCE_INIT;

static void free_views(void *p) {
    thread_views *tv = p;
    if (!tv) return;
    for (int i = 0; i < tv->n; ++i) {
        rise_mj_renderer_destroy(tv->v[i].r);
        if (tv->v[i].d) mj_deleteData(tv->v[i].d);
        if (tv->v[i].m) mj_deleteModel(tv->v[i].m);
    }
    free(tv);
}

static void make_key(void) { pthread_key_create(&views_key, free_views); }

void rise_mj_view_release(void) {
    pthread_once(&views_once, make_key);
    free_views(pthread_getspecific(views_key));
    pthread_setspecific(views_key, NULL);
}

/* The calling thread's view of task t, its renderer able to draw h x w. */
static rise_status get_view(const rise_mj_view_task *t, int h, int w, view **out) {
    pthread_once(&views_once, make_key);
    thread_views *tv = pthread_getspecific(views_key);
    if (!tv) {
        tv = calloc(1, sizeof *tv);
        if (!tv) return rise_error(RISE_ERR_NOMEM, "out of memory for a thread's views");
        pthread_setspecific(views_key, tv);
    }
    view *v = NULL;
    for (int i = 0; i < tv->n && !v; ++i)
        if (!strcmp(tv->v[i].task, t->task)) v = &tv->v[i];
    if (!v) {
        RISE_ASSERT(tv->n < MAX_VIEWS, "more than %d rendered task models", MAX_VIEWS);
        view nv = {t->task, NULL, NULL, -1, NULL};
        RISE_TRY(t->load(&nv.m));
        nv.camera = mj_name2id(nv.m, mjOBJ_CAMERA, t->camera);
        nv.d = nv.camera >= 0 ? mj_makeData(nv.m) : NULL;
        if (!nv.d) {
            const int cam = nv.camera;
            mj_deleteModel(nv.m);
            return cam < 0 ? rise_error(RISE_ERR_LIBRARY, "%s: the model has no camera '%s'",
                                        t->task, t->camera)
                           : rise_error(RISE_ERR_NOMEM, "%s: MuJoCo could not allocate its data",
                                        t->task);
        }
        tv->v[tv->n] = nv;
        v = &tv->v[tv->n++];
    }
    int mw = 0, mh = 0;
    if (v->r) rise_mj_renderer_size(v->r, &mw, &mh);
    if (w > mw || h > mh) { /* grow: a renderer for the largest frame asked for so far */
        rise_mj_renderer *r = NULL;
        RISE_TRY(rise_mj_renderer_create(v->m, w > mw ? w : mw, h > mh ? h : mh, &r));
        rise_mj_renderer_destroy(v->r);
        v->r = r;
    }
    *out = v;
    return RISE_OK;
}

rise_status rise_mj_view_frames(const rise_mj_view_task *t, const float *obs, int64_t n,
                                int obs_dim, int h, int w, uint8_t *frames) {
    view *v = NULL;
    RISE_TRY(get_view(t, h, w, &v));
    const size_t fb = (size_t)h * w * 3;
    for (int64_t r = 0; r < n; ++r) {
        t->qpos_of_obs(obs + r * obs_dim, v->d->qpos);
        mj_kinematics(v->m, v->d);
        mj_camlight(v->m, v->d);
        RISE_TRY(rise_mj_render(v->r, v->d, v->camera, h, w, frames + (size_t)r * fb));
    }
    return RISE_OK;
}

#else
typedef int rise_mujoco_view_unused; /* ISO C: a translation unit is not empty */
#endif /* RISE_WITH_MUJOCO_RENDER */
