/* push.c - task "push": the MuJoCo model (XML embedded, loaded from an
 * in-memory VFS so no file is written), stepping, success, perturbation and
 * the rise_env vtable (see push.h for the model). Everything MuJoCo is
 * compiled only with RISE_WITH_MUJOCO. */
#include "push.h"

#include <math.h>

double rise_push_wrap_quarter(double a) {
    const double q = 0.5 * RISE_PUSH_PI;
    double w = fmod(a + 0.5 * q, q);
    if (w < 0.0) w += q;
    return w - 0.5 * q;
}

#ifdef RISE_WITH_MUJOCO

#include <mujoco/mujoco.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env_impl.h"

/* Pusher first, so qpos = (pusher x, y, block x, y, yaw). The table is drawn
 * only (contype 0): the block's table friction lives in its joints. The light,
 * the camera, the colours and the goal marker (the goal pose's square, flat on
 * the table, touching nothing) are for the camera view only (mujoco_view.h). */
static const char push_xml[] =
    "<mujoco model=\"rise_push\">\n"
    "  <compiler angle=\"radian\"/>\n"
    "  <option timestep=\"0.005\" integrator=\"implicit\">\n"
    "    <flag warmstart=\"disable\"/>\n"
    "  </option>\n"
    "  <worldbody>\n"
    "    <light name=\"top\" pos=\"0 0 1.5\" dir=\"0 0 -1\" directional=\"true\" "
    "castshadow=\"false\" diffuse=\"0.5 0.5 0.5\"/>\n"
    "    <camera name=\"" RISE_PUSH_CAMERA "\" pos=\"-0.45 0 0.9\" "
    "xyaxes=\"0 -1 0 0.8864 0 0.4629\" fovy=\"45\"/>\n"
    "    <geom name=\"table\" type=\"plane\" size=\"0.5 0.5 0.01\" contype=\"0\" "
    "conaffinity=\"0\" rgba=\"0.78 0.72 0.62 1\"/>\n"
    "    <geom name=\"goal\" type=\"box\" pos=\"0 0 0.001\" size=\"0.05 0.05 0.001\" "
    "contype=\"0\" conaffinity=\"0\" rgba=\"0.25 0.7 0.3 1\"/>\n"
    "    <body name=\"pusher\" pos=\"0 0 0.02\">\n"
    "      <joint name=\"pusher_x\" type=\"slide\" axis=\"1 0 0\" limited=\"true\" "
    "range=\"-0.45 0.45\"/>\n"
    "      <joint name=\"pusher_y\" type=\"slide\" axis=\"0 1 0\" limited=\"true\" "
    "range=\"-0.45 0.45\"/>\n"
    "      <geom name=\"pusher\" type=\"capsule\" fromto=\"0 0 -0.015 0 0 0.015\" "
    "size=\"0.015\" mass=\"1\" friction=\"0.5 0.005 0.0001\" rgba=\"0.2 0.3 0.8 1\"/>\n"
    "    </body>\n"
    "    <body name=\"block\" pos=\"0 0 0.02\">\n"
    "      <joint name=\"block_x\" type=\"slide\" axis=\"1 0 0\" limited=\"true\" "
    "range=\"-0.45 0.45\" damping=\"20\" frictionloss=\"0.02\"/>\n"
    "      <joint name=\"block_y\" type=\"slide\" axis=\"0 1 0\" limited=\"true\" "
    "range=\"-0.45 0.45\" damping=\"20\" frictionloss=\"0.02\"/>\n"
    "      <joint name=\"block_yaw\" type=\"hinge\" axis=\"0 0 1\" damping=\"0.035\" "
    "frictionloss=\"0.0004\"/>\n"
    "      <geom name=\"block\" type=\"box\" size=\"0.05 0.05 0.02\" mass=\"0.5\" "
    "friction=\"0.5 0.005 0.0001\" rgba=\"0.8 0.2 0.2 1\"/>\n"
    "    </body>\n"
    "  </worldbody>\n"
    "  <actuator>\n"
    "    <velocity name=\"vx\" joint=\"pusher_x\" kv=\"200\"/>\n"
    "    <velocity name=\"vy\" joint=\"pusher_y\" kv=\"200\"/>\n"
    "  </actuator>\n"
    "</mujoco>\n";

struct rise_push {
    rise_push_settings s;
    mjModel *m;
    mjData *d;
    int warned; /* an instability was reported this episode */
};

struct rise_push_sim {
    const mjModel *m;
    mjData *d;
    rise_push_settings s;
};

/* MuJoCo's default warning handler also writes MUJOCO_LOG.TXT; rise reports
 * on stderr only. */
static void push_mj_warning(const char *msg) { fprintf(stderr, "warning: mujoco: %s\n", msg); }

rise_push *rise_push_of(rise_env *e) {
    RISE_ASSERT(strcmp(e->info.task, "push") == 0, "env is task '%s', not push", e->info.task);
    return e->impl;
}

mjModel *rise_push_mj_model(rise_env *e) { return rise_push_of(e)->m; }
mjData *rise_push_mj_data(rise_env *e) { return rise_push_of(e)->d; }

rise_status rise_push_model_load(mjModel **out) {
    char err[512] = "";
    mjVFS *vfs = malloc(sizeof *vfs);
    if (!vfs) return rise_error(RISE_ERR_NOMEM, "out of memory for a MuJoCo VFS");
    mj_defaultVFS(vfs);
    const int len = (int)strlen(push_xml);
    mjModel *m = NULL;
    if (mj_makeEmptyFileVFS(vfs, "rise_push.xml", len) == 0) {
        const int i = mj_findFileVFS(vfs, "rise_push.xml");
        memcpy(vfs->filedata[i], push_xml, (size_t)len);
        m = mj_loadXML("rise_push.xml", vfs, err, sizeof err);
    } else {
        snprintf(err, sizeof err, "cannot create the in-memory file");
    }
    mj_deleteVFS(vfs);
    free(vfs);
    if (!m) return rise_error(RISE_ERR_LIBRARY, "push: MuJoCo could not load the model: %s", err);
    *out = m;
    return RISE_OK;
}

static void observe(const mjData *d, float *obs) {
    const double *q = d->qpos;
    obs[0] = (float)q[0];
    obs[1] = (float)q[1];
    obs[2] = (float)q[2];
    obs[3] = (float)q[3];
    obs[4] = (float)cos(q[4]);
    obs[5] = (float)sin(q[4]);
    obs[6] = (float)-q[2];
    obs[7] = (float)-q[3];
    obs[8] = (float)rise_push_wrap_quarter(-q[4]);
}

static int pose_success(const rise_push_settings *s, double x, double y, double yaw) {
    const double ang = fabs(rise_push_wrap_quarter(yaw)) * 180.0 / RISE_PUSH_PI;
    return x * x + y * y < s->success_pos * s->success_pos && ang < s->success_angle_deg;
}

/* 1 when a warning that means a broken state was raised. */
static int unstable(const mjData *d) {
    return d->warning[mjWARN_BADQPOS].number > 0 || d->warning[mjWARN_BADQVEL].number > 0 ||
           d->warning[mjWARN_BADQACC].number > 0 || d->warning[mjWARN_BADCTRL].number > 0;
}

static int finite_state(const mjModel *m, const mjData *d) {
    for (int i = 0; i < m->nq; ++i)
        if (!isfinite(d->qpos[i])) return 0;
    for (int i = 0; i < m->nv; ++i)
        if (!isfinite(d->qvel[i])) return 0;
    return 1;
}

/* Advances d by one env step; returns 0 on an instability. */
static int advance(const rise_push_settings *s, const mjModel *m, mjData *d, const float *a) {
    d->ctrl[0] = a[0] * s->max_speed;
    d->ctrl[1] = a[1] * s->max_speed;
    for (int k = 0; k < s->substeps; ++k) {
        mj_step(m, d);
        if (unstable(d)) return 0;
    }
    return finite_state(m, d);
}

/* Distance from point (px, py) to the block's footprint (0 inside). */
static double block_dist(const double *q, double px, double py) {
    const double c = cos(q[4]), sn = sin(q[4]);
    const double dx = px - q[2], dy = py - q[3];
    const double lx = fabs(c * dx + sn * dy), ly = fabs(-sn * dx + c * dy);
    const double ex = fmax(lx - RISE_PUSH_BLOCK_HALF, 0.0),
                 ey = fmax(ly - RISE_PUSH_BLOCK_HALF, 0.0);
    return sqrt(ex * ex + ey * ey);
}

static void set_pose(const mjModel *m, mjData *d, double px, double py, double bx, double by,
                     double yaw) {
    mj_resetData(m, d);
    d->qpos[0] = px;
    d->qpos[1] = py;
    d->qpos[2] = bx;
    d->qpos[3] = by;
    d->qpos[4] = yaw;
    mj_forward(m, d);
}

/* ---- the env vtable ---- */

static int push_ic_valid(const rise_env *e, const double *ic, char *why, size_t n) {
    const rise_push *p = e->impl;
    const double q[5] = {RISE_PUSH_PUSHER_X0, RISE_PUSH_PUSHER_Y0, ic[0], ic[1], ic[2]};
    if (block_dist(q, q[0], q[1]) < RISE_PUSH_PUSHER_R + 0.005) {
        if (why) snprintf(why, n, "block at (%g, %g) overlaps the pusher's start", ic[0], ic[1]);
        return 0;
    }
    if (pose_success(&p->s, ic[0], ic[1], ic[2])) {
        if (why)
            snprintf(why, n, "block pose (%g, %g, %g) already satisfies the goal", ic[0], ic[1],
                     ic[2]);
        return 0;
    }
    return 1;
}

static rise_status push_reset(rise_env *e, uint64_t seed, const double *ic, float *obs) {
    rise_push *p = e->impl;
    (void)seed; /* deterministic: the initial condition is the whole start */
    set_pose(p->m, p->d, RISE_PUSH_PUSHER_X0, RISE_PUSH_PUSHER_Y0, ic[0], ic[1], ic[2]);
    p->warned = 0;
    observe(p->d, obs);
    return RISE_OK;
}

static rise_status push_step(rise_env *e, const float *a, float *obs, rise_env_step_info *out) {
    rise_push *p = e->impl;
    const int ok = advance(&p->s, p->m, p->d, a);
    observe(p->d, obs);
    if (!ok) {
        if (!p->warned)
            fprintf(stderr,
                    "warning: push: simulator instability at step %d (MuJoCo warning or "
                    "non-finite state); the episode ends as a failure\n",
                    e->t + 1);
        p->warned = 1;
        out->failed = 1;
        out->success = 0;
        out->reward = 0.0f;
        return RISE_OK;
    }
    const double *q = p->d->qpos;
    out->success = (uint8_t)pose_success(&p->s, q[2], q[3], q[4]);
    out->reward = out->success ? 1.0f : 0.0f;
    return RISE_OK;
}

/* 1 when the block at (bx, by, yaw) is clear of the pusher and on the table. */
static int block_clear(double px, double py, double bx, double by, double yaw) {
    const double q[5] = {px, py, bx, by, yaw}, lim = RISE_PUSH_LIMIT - 0.05;
    return block_dist(q, px, py) >= RISE_PUSH_PUSHER_R + 0.002 && fabs(bx) <= lim &&
           fabs(by) <= lim;
}

static rise_status push_perturb(rise_env *e, const double *delta, float *obs) {
    rise_push *p = e->impl;
    const double *q0 = p->d->qpos;
    const double px = q0[0], py = q0[1], bx = q0[2], by = q0[3], yaw = q0[4];
    /* March along delta in 1 mm steps to the first pose that would touch
     * the pusher or leave the table, then refine by bisection: the block
     * never jumps over the pusher. */
    double lo = 0.0, hi = -1.0;
    const double len = hypot(delta[0], delta[1]);
    const int n = 1 + (int)(len / 0.001);
    for (int i = 1; i <= n && hi < 0.0; ++i) {
        const double f = (double)i / n;
        if (block_clear(px, py, bx + f * delta[0], by + f * delta[1], yaw))
            lo = f;
        else
            hi = f;
    }
    for (int it = 0; hi >= 0.0 && it < 30; ++it) {
        const double f = 0.5 * (lo + hi);
        if (block_clear(px, py, bx + f * delta[0], by + f * delta[1], yaw))
            lo = f;
        else
            hi = f;
    }
    /* The pusher keeps its place and velocity; the block ends at rest. */
    double qvel[2] = {p->d->qvel[0], p->d->qvel[1]};
    set_pose(p->m, p->d, px, py, bx + lo * delta[0], by + lo * delta[1], yaw);
    p->d->qvel[0] = qvel[0];
    p->d->qvel[1] = qvel[1];
    mj_forward(p->m, p->d);
    observe(p->d, obs);
    return RISE_OK;
}

static void push_get_state(const rise_env *e, double *st) {
    const rise_push *p = e->impl;
    memcpy(st, p->d->qpos, sizeof(double) * 5);
    memcpy(st + 5, p->d->qvel, sizeof(double) * 5);
}

static rise_status push_set_state(rise_env *e, const double *st, float *obs) {
    rise_push *p = e->impl;
    for (int i = 0; i < 4; ++i)
        if (fabs(st[i]) > RISE_PUSH_LIMIT + 0.05)
            return rise_error(RISE_ERR_INVALID,
                              "push set_state: state[%d] = %g is off the table (|x| <= %g)", i,
                              st[i], RISE_PUSH_LIMIT);
    mj_resetData(p->m, p->d);
    memcpy(p->d->qpos, st, sizeof(double) * 5);
    memcpy(p->d->qvel, st + 5, sizeof(double) * 5);
    mj_forward(p->m, p->d);
    p->warned = 0;
    observe(p->d, obs);
    return RISE_OK;
}

static int push_shapes(const rise_env *e, rise_env_shape *out, int max) {
    const rise_push *p = e->impl;
    if (max < 1) return 0;
    const double r = p->s.success_pos;
    out[0] = (rise_env_shape){RISE_ENV_SHAPE_GOAL, -r, -r, r, r};
    return 1;
}

static void push_destroy(rise_env *e) {
    rise_push *p = e->impl;
    if (p) {
        if (p->d) mj_deleteData(p->d);
        if (p->m) mj_deleteModel(p->m);
        free(p);
    }
    free(e);
}

static const rise_env_ops push_ops = {
    .reset = push_reset,
    .step = push_step,
    .perturb = push_perturb,
    .ic_valid = push_ic_valid,
    .get_state = push_get_state,
    .set_state = push_set_state,
    .shapes = push_shapes,
    .destroy = push_destroy,
};

static rise_status push_create(const void *settings, rise_env **out) {
    mju_user_warning = push_mj_warning; /* same value from every env: no effective race */
    rise_env *e = calloc(1, sizeof *e);
    rise_push *p = calloc(1, sizeof *p);
    if (!e || !p) {
        free(e);
        free(p);
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    p->s = *(const rise_push_settings *)settings;
    e->ops = &push_ops;
    e->impl = p;
    rise_status st = rise_push_model_load(&p->m);
    if (st == RISE_OK) {
        p->m->opt.timestep = p->s.timestep;
        p->d = mj_makeData(p->m);
        if (!p->d) st = rise_error(RISE_ERR_NOMEM, "push: MuJoCo could not allocate its data");
    }
    if (st != RISE_OK) {
        push_destroy(e);
        return st;
    }
    RISE_ASSERT(p->m->nq == 5 && p->m->nv == 5 && p->m->nu == 2, "push model has unexpected size");
    set_pose(p->m, p->d, RISE_PUSH_PUSHER_X0, RISE_PUSH_PUSHER_Y0, 0.2, 0.2, 0.0);
    rise_env_info *info = &e->info;
    rise_env_info_add_key(info, "pusher_pos", 2);
    rise_env_info_add_key(info, "block_pose", 4);
    rise_env_info_add_key(info, "goal_rel", 3);
    info->act_dim = 2;
    info->state_dim = RISE_PUSH_STATE_DIM;
    info->perturb_dim = 2;
    info->horizon = p->s.horizon;
    rise_env_ic_space *ic = &info->ic;
    ic->dim = 3;
    snprintf(ic->names[0], sizeof ic->names[0], "block_x");
    snprintf(ic->names[1], sizeof ic->names[1], "block_y");
    snprintf(ic->names[2], sizeof ic->names[2], "block_yaw");
    ic->eval_lo[0] = ic->eval_lo[1] = -0.25;
    ic->eval_hi[0] = ic->eval_hi[1] = 0.25;
    ic->eval_lo[2] = -0.25 * RISE_PUSH_PI;
    ic->eval_hi[2] = 0.25 * RISE_PUSH_PI;
    ic->expert_lo[0] = -0.22;
    ic->expert_hi[0] = -0.18;
    ic->expert_lo[1] = 0.14;
    ic->expert_hi[1] = 0.18;
    ic->expert_lo[2] = -0.15;
    ic->expert_hi[2] = 0.15;
    ic->axis[0] = 0;
    ic->axis[1] = 1;
    *out = e;
    return RISE_OK;
}

/* ---- look-ahead copies for the generators ---- */

rise_status rise_push_sim_create(rise_env *e, rise_push_sim **out) {
    rise_push *p = rise_push_of(e);
    rise_push_sim *s = calloc(1, sizeof *s);
    if (!s) return rise_error(RISE_ERR_NOMEM, "out of memory");
    s->m = p->m;
    s->s = p->s;
    s->d = mj_makeData(p->m);
    if (!s->d) {
        free(s);
        return rise_error(RISE_ERR_NOMEM, "push: MuJoCo could not allocate its data");
    }
    *out = s;
    return RISE_OK;
}

void rise_push_sim_copy(rise_push_sim *s, rise_env *e) {
    mj_copyData(s->d, s->m, rise_push_of(e)->d);
}

int rise_push_sim_step(rise_push_sim *s, const float *a, float *obs) {
    const int ok = advance(&s->s, s->m, s->d, a);
    if (obs) observe(s->d, obs);
    if (!ok) return -1;
    return pose_success(&s->s, s->d->qpos[2], s->d->qpos[3], s->d->qpos[4]);
}

int rise_push_sim_try(rise_push_sim *s, rise_env *e, const float *a) {
    rise_push_sim_copy(s, e);
    return rise_push_sim_step(s, a, NULL) == 1;
}

void rise_push_sim_destroy(rise_push_sim *s) {
    if (!s) return;
    mj_deleteData(s->d);
    free(s);
}

#define PUSH_FIELD(f) offsetof(rise_push_settings, f)
static const rise_env_setting push_settings[] = {
    {"max_speed", RISE_SETTING_NUMBER, PUSH_FIELD(max_speed), 0.25, 0.01, 2.0, NULL,
     "pusher speed at action 1 (m/s)"},
    {"timestep", RISE_SETTING_NUMBER, PUSH_FIELD(timestep), 0.005, 1e-4, 0.01, NULL,
     "MuJoCo timestep (s)"},
    {"substeps", RISE_SETTING_INT, PUSH_FIELD(substeps), 10, 1, 100, NULL,
     "MuJoCo steps per env step"},
    {"success_pos", RISE_SETTING_NUMBER, PUSH_FIELD(success_pos), 0.02, 0.005, 0.1, NULL,
     "success: block centre this close to the goal (m)"},
    {"success_yaw", RISE_SETTING_NUMBER, PUSH_FIELD(success_angle_deg), 10.0, 1.0, 45.0, NULL,
     "success: yaw error below this (degrees, modulo 90)"},
    {"horizon", RISE_SETTING_INT, PUSH_FIELD(horizon), 400, 1, 1e6, NULL,
     "steps before an episode is cut off"},
};

const rise_env_task rise_push_task = {
    .name = "push",
    .settings = push_settings,
    .n_settings = (int)(sizeof push_settings / sizeof push_settings[0]),
    .settings_size = sizeof(rise_push_settings),
    .create = push_create,
};

#endif /* RISE_WITH_MUJOCO */
