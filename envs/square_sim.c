/* square_sim.c - the simulation behind tasks square and square-hook: the
 * MuJoCo model (its XML written from square.h's geometry and loaded from
 * an in-memory VFS, so no file is written), the attach-on-close grasp, one
 * env step, success, the observation and the state, and the box geometry
 * that perturbations and initial conditions are checked against. */
#include "square_sim.h"

#include <math.h>

#ifdef RISE_WITH_MUJOCO

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Grasp tolerances (see square.h): the fingers have closed onto the handle
 * and its centre lies between them. */
#define GRASP_MIN_WIDTH 0.012
#define GRASP_MAX_WIDTH 0.024
#define GRASP_TOL_X     0.028
#define GRASP_TOL_Y     0.01
#define FINGER_R        0.006 /* finger capsule radius */

/* Colours (drawn only: the camera view, mujoco_view.h). */
#define TABLE_RGBA   "0.78 0.72 0.62 1"
#define PEG_RGBA     "0.25 0.25 0.3 1"
#define HOOK_RGBA    "0.2 0.35 0.65 1"
#define NUT_RGBA     "0.9 0.6 0.15 1"
#define GRIPPER_RGBA "0.15 0.15 0.15 1"
#define FINGER_RGBA  "0.4 0.4 0.4 1"

/* Joint order = qpos order (square_sim.h). Contact bits: fingers 1, nut 2,
 * fixed obstacles collide with both; the table and the palm touch nothing
 * (the table is the lower limit of the z joints). Finger damping 20 caps
 * the closing speed at about 0.25 m/s: faster fingers sank into the handle
 * before the contact stopped them. The light, the camera and the colours are drawn only
 * (the camera view, mujoco_view.h): they change nothing the simulation computes. */
static int write_xml(char *buf, size_t n) {
    const double R = RISE_SQUARE_RING_HALF, w = RISE_SQUARE_RING_WALL, h = RISE_SQUARE_NUT_HALF_H;
    const double c = R - 0.5 * w, hk = RISE_SQUARE_HOOK_HALF, ph = 0.5 * RISE_SQUARE_PEG_TOP;
    const double arm_z = RISE_SQUARE_HOOK_ARM_TOP - hk, arm_x0 = RISE_SQUARE_HOOK_X - hk;
    const double arm_hx = 0.5 * (RISE_SQUARE_HOOK_POST_X + hk - arm_x0);
    const double tip_hz = 0.5 * (RISE_SQUARE_HOOK_TIP_TOP - RISE_SQUARE_HOOK_ARM_TOP);
    const double post_hz = 0.5 * (RISE_SQUARE_HOOK_ARM_TOP - 2.0 * hk);
    const double L = RISE_SQUARE_LIMIT;
    return snprintf(
        buf, n,
        "<mujoco model=\"rise_square\">\n"
        "  <compiler angle=\"radian\"/>\n"
        "  <option timestep=\"0.01\" integrator=\"implicit\">\n"
        "    <flag warmstart=\"disable\"/>\n"
        "  </option>\n"
        "  <default>\n"
        "    <joint solreflimit=\"0.01 1\"/>\n"
        "    <geom type=\"box\" friction=\"0.3 0.005 0.0001\" contype=\"0\" conaffinity=\"3\"/>\n"
        "  </default>\n"
        "  <worldbody>\n"
        "    <light name=\"top\" pos=\"0 0 1.5\" dir=\"0 0 -1\" directional=\"true\" "
        "castshadow=\"false\" diffuse=\"0.5 0.5 0.5\"/>\n"
        "    <camera name=\"" RISE_SQUARE_CAMERA "\" pos=\"-0.5 0 0.6\" "
        "xyaxes=\"0 -1 0 0.7259 0 0.6883\" fovy=\"45\"/>\n"
        "    <geom name=\"table\" type=\"plane\" size=\"0.5 0.5 0.01\" conaffinity=\"0\" "
        "rgba=\"" TABLE_RGBA "\"/>\n"
        "    <geom name=\"peg\" pos=\"%g %g %g\" size=\"%g %g %g\" rgba=\"" PEG_RGBA "\"/>\n"
        "    <geom name=\"hook_tip\" pos=\"%g %g %g\" size=\"%g %g %g\" rgba=\"" HOOK_RGBA "\"/>\n"
        "    <geom name=\"hook_arm\" pos=\"%g %g %g\" size=\"%g %g %g\" rgba=\"" HOOK_RGBA "\"/>\n"
        "    <geom name=\"hook_post\" pos=\"%g %g %g\" size=\"%g %g %g\" rgba=\"" HOOK_RGBA "\"/>\n"
        "    <body name=\"gripper\">\n"
        "      <joint name=\"grip_x\" type=\"slide\" axis=\"1 0 0\" limited=\"true\" "
        "range=\"%g %g\"/>\n"
        "      <joint name=\"grip_y\" type=\"slide\" axis=\"0 1 0\" limited=\"true\" "
        "range=\"%g %g\"/>\n"
        "      <joint name=\"grip_z\" type=\"slide\" axis=\"0 0 1\" limited=\"true\" "
        "range=\"0 0.3\"/>\n"
        "      <geom name=\"palm\" pos=\"0 0 %g\" size=\"0.012 0.055 0.01\" mass=\"1\" "
        "conaffinity=\"0\" rgba=\"" GRIPPER_RGBA "\"/>\n"
        "      <body name=\"finger_l\">\n"
        "        <joint name=\"finger_l\" type=\"slide\" axis=\"0 1 0\" limited=\"true\" "
        "range=\"0 %g\" damping=\"20\"/>\n"
        "        <geom name=\"finger_l\" type=\"capsule\" fromto=\"0 %g %g 0 %g %g\" "
        "size=\"%g\" mass=\"0.05\" contype=\"1\" conaffinity=\"0\" rgba=\"" FINGER_RGBA "\"/>\n"
        "      </body>\n"
        "      <body name=\"finger_r\">\n"
        "        <joint name=\"finger_r\" type=\"slide\" axis=\"0 -1 0\" limited=\"true\" "
        "range=\"0 %g\" damping=\"20\"/>\n"
        "        <geom name=\"finger_r\" type=\"capsule\" fromto=\"0 %g %g 0 %g %g\" "
        "size=\"%g\" mass=\"0.05\" contype=\"1\" conaffinity=\"0\" rgba=\"" FINGER_RGBA "\"/>\n"
        "      </body>\n"
        "    </body>\n"
        "    <body name=\"nut\">\n"
        "      <joint name=\"nut_x\" type=\"slide\" axis=\"1 0 0\" limited=\"true\" "
        "range=\"%g %g\" damping=\"2\"/>\n"
        "      <joint name=\"nut_y\" type=\"slide\" axis=\"0 1 0\" limited=\"true\" "
        "range=\"%g %g\" damping=\"2\"/>\n"
        "      <joint name=\"nut_z\" type=\"slide\" axis=\"0 0 1\" limited=\"true\" "
        "range=\"%g 0.4\"/>\n"
        "      <geom name=\"wall_px\" pos=\"%g 0 0\" size=\"%g %g %g\" mass=\"0.02\" "
        "contype=\"2\" conaffinity=\"1\" rgba=\"" NUT_RGBA "\"/>\n"
        "      <geom name=\"wall_nx\" pos=\"%g 0 0\" size=\"%g %g %g\" mass=\"0.02\" "
        "contype=\"2\" conaffinity=\"1\" rgba=\"" NUT_RGBA "\"/>\n"
        "      <geom name=\"wall_py\" pos=\"0 %g 0\" size=\"%g %g %g\" mass=\"0.02\" "
        "contype=\"2\" conaffinity=\"1\" rgba=\"" NUT_RGBA "\"/>\n"
        "      <geom name=\"wall_ny\" pos=\"0 %g 0\" size=\"%g %g %g\" mass=\"0.02\" "
        "contype=\"2\" conaffinity=\"1\" rgba=\"" NUT_RGBA "\"/>\n"
        "      <geom name=\"handle\" pos=\"%g 0 0\" size=\"%g %g %g\" mass=\"0.02\" "
        "contype=\"2\" conaffinity=\"1\" rgba=\"" NUT_RGBA "\"/>\n"
        "    </body>\n"
        "  </worldbody>\n"
        "  <equality>\n"
        "    <joint name=\"hold_x\" joint1=\"nut_x\" joint2=\"grip_x\" polycoef=\"0 1 0 0 0\" "
        "active=\"false\" solref=\"0.01 1\"/>\n"
        "    <joint name=\"hold_y\" joint1=\"nut_y\" joint2=\"grip_y\" polycoef=\"0 1 0 0 0\" "
        "active=\"false\" solref=\"0.01 1\"/>\n"
        "    <joint name=\"hold_z\" joint1=\"nut_z\" joint2=\"grip_z\" polycoef=\"0 1 0 0 0\" "
        "active=\"false\" solref=\"0.01 1\"/>\n"
        "  </equality>\n"
        "  <actuator>\n"
        "    <velocity name=\"vx\" joint=\"grip_x\" kv=\"200\"/>\n"
        "    <velocity name=\"vy\" joint=\"grip_y\" kv=\"200\"/>\n"
        "    <velocity name=\"vz\" joint=\"grip_z\" kv=\"200\"/>\n"
        "    <position name=\"close_l\" joint=\"finger_l\" kp=\"100\" forcelimited=\"true\" "
        "forcerange=\"-5 5\"/>\n"
        "    <position name=\"close_r\" joint=\"finger_r\" kp=\"100\" forcelimited=\"true\" "
        "forcerange=\"-5 5\"/>\n"
        "  </actuator>\n"
        "</mujoco>\n",
        /* peg */
        RISE_SQUARE_PEG_X, RISE_SQUARE_PEG_Y, ph, RISE_SQUARE_PEG_HALF, RISE_SQUARE_PEG_HALF, ph,
        /* hook tip, arm, post */
        RISE_SQUARE_HOOK_X, RISE_SQUARE_HOOK_Y, RISE_SQUARE_HOOK_ARM_TOP + tip_hz, hk, hk, tip_hz,
        arm_x0 + arm_hx, RISE_SQUARE_HOOK_Y, arm_z, arm_hx, hk, hk, RISE_SQUARE_HOOK_POST_X,
        RISE_SQUARE_HOOK_Y, post_hz, hk, hk, post_hz,
        /* gripper */
        -L, L, -L, L, RISE_SQUARE_FINGER_H + 0.01, RISE_SQUARE_FINGER_OPEN, FINGER_R, FINGER_R,
        FINGER_R, RISE_SQUARE_FINGER_H, FINGER_R, RISE_SQUARE_FINGER_OPEN, -FINGER_R, FINGER_R,
        -FINGER_R, RISE_SQUARE_FINGER_H, FINGER_R,
        /* nut */
        -L, L, -L, L, h, c, 0.5 * w, R, h, -c, 0.5 * w, R, h, c, R - w, 0.5 * w, h, -c, R - w,
        0.5 * w, h, -RISE_SQUARE_HANDLE_OFF, RISE_SQUARE_HANDLE_HX, RISE_SQUARE_HANDLE_HY, h);
}

/* MuJoCo's default warning handler also writes MUJOCO_LOG.TXT; rise
 * reports on stderr only. */
static void square_mj_warning(const char *msg) { fprintf(stderr, "warning: mujoco: %s\n", msg); }

static int body_id(const mjModel *m, const char *name) { return mj_name2id(m, mjOBJ_BODY, name); }

rise_status rise_square_sim_load(rise_square_sim *s) {
    mju_user_warning = square_mj_warning; /* same value from every env: no effective race */
    char xml[8192], err[512] = "";
    const int len = write_xml(xml, sizeof xml);
    RISE_ASSERT(len > 0 && len < (int)sizeof xml, "square model XML does not fit");
    mjVFS *vfs = malloc(sizeof *vfs);
    if (!vfs) return rise_error(RISE_ERR_NOMEM, "out of memory for a MuJoCo VFS");
    mj_defaultVFS(vfs);
    mjModel *m = NULL;
    if (mj_makeEmptyFileVFS(vfs, "rise_square.xml", len) == 0) {
        const int i = mj_findFileVFS(vfs, "rise_square.xml");
        memcpy(vfs->filedata[i], xml, (size_t)len);
        m = mj_loadXML("rise_square.xml", vfs, err, sizeof err);
    } else {
        snprintf(err, sizeof err, "cannot create the in-memory file");
    }
    mj_deleteVFS(vfs);
    free(vfs);
    if (!m) return rise_error(RISE_ERR_LIBRARY, "square: MuJoCo could not load the model: %s", err);
    RISE_ASSERT(m->nq == SQ_NQ && m->nv == SQ_NQ && m->nu == 5 && m->neq == 3,
                "square model has unexpected size");
    m->opt.timestep = s->s.timestep;
    s->m = m;
    s->d = mj_makeData(m);
    if (!s->d) return rise_error(RISE_ERR_NOMEM, "square: MuJoCo could not allocate its data");
    s->grip_body = body_id(m, "gripper");
    s->nut_body = body_id(m, "nut");
    s->finger_body[0] = body_id(m, "finger_l");
    s->finger_body[1] = body_id(m, "finger_r");
    s->grip_weight = -m->body_subtreemass[s->grip_body] * m->opt.gravity[2];
    return RISE_OK;
}

rise_status rise_square_sim_borrow(const rise_square_sim *src, rise_square_sim *s) {
    *s = *src;
    s->d = mj_makeData(src->m);
    if (!s->d) return rise_error(RISE_ERR_NOMEM, "square: MuJoCo could not allocate its data");
    mj_copyData(s->d, src->m, src->d);
    return RISE_OK;
}

void rise_square_sim_free(rise_square_sim *s, int owns_model) {
    if (s->d) mj_deleteData(s->d);
    if (owns_model && s->m) mj_deleteModel(s->m);
    s->d = NULL;
    s->m = NULL;
}

void rise_square_sim_place(rise_square_sim *s, double nx, double ny) {
    mj_resetData(s->m, s->d);
    double *q = s->d->qpos;
    q[SQ_GX] = RISE_SQUARE_GRIP_X0;
    q[SQ_GY] = RISE_SQUARE_GRIP_Y0;
    q[SQ_GZ] = RISE_SQUARE_GRIP_Z0;
    q[SQ_FL] = q[SQ_FR] = RISE_SQUARE_FINGER_OPEN;
    q[SQ_NX] = nx;
    q[SQ_NY] = ny;
    q[SQ_NZ] = RISE_SQUARE_NUT_HALF_H;
    s->attached = 0;
    s->offset[0] = s->offset[1] = s->offset[2] = 0.0;
    mj_forward(s->m, s->d);
}

/* The handle's centre relative to the fingertips' centre. */
static void handle_rel(const double *q, double *r) {
    r[0] = q[SQ_NX] - RISE_SQUARE_HANDLE_OFF - q[SQ_GX];
    r[1] = q[SQ_NY] - q[SQ_GY];
    r[2] = q[SQ_NZ] - q[SQ_GZ];
}

/* The fingers have closed onto the handle: attach (square.h). */
static int grasp_ok(const double *q) {
    const double width = q[SQ_FL] + q[SQ_FR];
    double r[3];
    handle_rel(q, r);
    return width >= GRASP_MIN_WIDTH && width <= GRASP_MAX_WIDTH && fabs(r[0]) <= GRASP_TOL_X &&
           fabs(r[1]) <= GRASP_TOL_Y && r[2] >= 0.0 && r[2] <= RISE_SQUARE_FINGER_H;
}

/* 1 when a warning that means a broken state was raised. */
static int unstable(const mjData *d) {
    return d->warning[mjWARN_BADQPOS].number > 0 || d->warning[mjWARN_BADQVEL].number > 0 ||
           d->warning[mjWARN_BADQACC].number > 0 || d->warning[mjWARN_BADCTRL].number > 0;
}

static int finite_state(const mjData *d) {
    for (int i = 0; i < SQ_NQ; ++i)
        if (!isfinite(d->qpos[i]) || !isfinite(d->qvel[i])) return 0;
    return 1;
}

/* The attach constraint lives in the model (eq_active, eq_data in MuJoCo
 * 2.2): set from this simulation's own flag before every substep, so the
 * env and its look-ahead copies can share one model. */
static void apply_hold(rise_square_sim *s) {
    for (int i = 0; i < 3; ++i) {
        s->m->eq_active[i] = (mjtByte)s->attached;
        s->m->eq_data[i * mjNEQDATA] = s->offset[i];
    }
}

int rise_square_sim_advance(rise_square_sim *s, const float *a) {
    mjData *d = s->d;
    const int close = a[3] > 0.0f;
    if (!close) s->attached = 0;
    for (int i = 0; i < 3; ++i) d->ctrl[i] = a[i] * s->s.max_speed;
    d->ctrl[3] = d->ctrl[4] = close ? 0.0 : RISE_SQUARE_FINGER_OPEN;
    for (int k = 0; k < s->s.substeps; ++k) {
        apply_hold(s);
        d->qfrc_applied[SQ_GZ] = s->grip_weight;
        mj_step(s->m, d);
        if (unstable(d)) return 0;
        if (close && !s->attached && grasp_ok(d->qpos)) {
            s->attached = 1;
            s->offset[0] = d->qpos[SQ_NX] - d->qpos[SQ_GX];
            s->offset[1] = d->qpos[SQ_NY] - d->qpos[SQ_GY];
            s->offset[2] = d->qpos[SQ_NZ] - d->qpos[SQ_GZ];
        }
    }
    return finite_state(d);
}

int rise_square_success_at(const double *q, int attached, double tol, rise_square_goal g) {
    if (g == RISE_SQUARE_GOAL_PEG) {
        const double dx = q[SQ_NX] - RISE_SQUARE_PEG_X, dy = q[SQ_NY] - RISE_SQUARE_PEG_Y;
        return dx * dx + dy * dy < tol * tol && q[SQ_NZ] < RISE_SQUARE_SEAT_Z;
    }
    const double dx = q[SQ_NX] - RISE_SQUARE_HOOK_X, dy = q[SQ_NY] - RISE_SQUARE_HOOK_Y;
    const double bottom = q[SQ_NZ] - RISE_SQUARE_NUT_HALF_H;
    return !attached && dx * dx + dy * dy < tol * tol &&
           bottom >= RISE_SQUARE_HOOK_ARM_TOP - 0.005 && bottom <= RISE_SQUARE_HOOK_ARM_TOP + 0.01;
}

int rise_square_sim_success(const rise_square_sim *s, rise_square_goal g) {
    return rise_square_success_at(s->d->qpos, s->attached, s->s.success_pos, g);
}

void rise_square_sim_observe(const rise_square_sim *s, float *obs) {
    const double *q = s->d->qpos;
    const rise_square_place p = rise_square_goal_place(s->goal);
    double r[3];
    handle_rel(q, r);
    for (int i = 0; i < 3; ++i) {
        obs[RISE_SQUARE_OBS_EEF + i] = (float)q[SQ_GX + i];
        obs[RISE_SQUARE_OBS_NUT + i] = (float)q[SQ_NX + i];
        obs[RISE_SQUARE_OBS_TO_HANDLE + i] = (float)r[i];
    }
    obs[RISE_SQUARE_OBS_WIDTH] = (float)(q[SQ_FL] + q[SQ_FR]);
    obs[RISE_SQUARE_OBS_TO_GOAL + 0] = (float)(p.x - q[SQ_NX]);
    obs[RISE_SQUARE_OBS_TO_GOAL + 1] = (float)(p.y - q[SQ_NY]);
    obs[RISE_SQUARE_OBS_TO_GOAL + 2] = (float)(p.z - q[SQ_NZ]);
}

void rise_square_sim_get_state(const rise_square_sim *s, double *st) {
    memcpy(st, s->d->qpos, sizeof(double) * SQ_NQ);
    memcpy(st + SQ_NQ, s->d->qvel, sizeof(double) * SQ_NQ);
    st[2 * SQ_NQ] = s->attached;
    memcpy(st + 2 * SQ_NQ + 1, s->offset, sizeof s->offset);
}

void rise_square_sim_set_state(rise_square_sim *s, const double *st) {
    mj_resetData(s->m, s->d);
    memcpy(s->d->qpos, st, sizeof(double) * SQ_NQ);
    memcpy(s->d->qvel, st + SQ_NQ, sizeof(double) * SQ_NQ);
    s->attached = st[2 * SQ_NQ] != 0.0;
    memcpy(s->offset, st + 2 * SQ_NQ + 1, sizeof s->offset);
    apply_hold(s);
    mj_forward(s->m, s->d);
}

/* ---- box geometry ---- */

typedef struct {
    double c[3], h[3];
} box;

/* Geom g's box (a capsule's bounding box) in the world for positions q (no body rotates; every body
 * frame sits at its joints' values). */
static box geom_box(const rise_square_sim *s, const double *q, int g) {
    const mjModel *m = s->m;
    const int b = m->geom_bodyid[g];
    double o[3] = {0.0, 0.0, 0.0};
    if (b == s->nut_body) {
        o[0] = q[SQ_NX];
        o[1] = q[SQ_NY];
        o[2] = q[SQ_NZ];
    } else if (b == s->grip_body || b == s->finger_body[0] || b == s->finger_body[1]) {
        o[0] = q[SQ_GX];
        o[1] = q[SQ_GY];
        if (b == s->finger_body[0]) o[1] += q[SQ_FL];
        if (b == s->finger_body[1]) o[1] -= q[SQ_FR];
        o[2] = q[SQ_GZ];
    }
    box x;
    const mjtNum *sz = m->geom_size + 3 * g;
    for (int k = 0; k < 3; ++k) {
        x.c[k] = o[k] + m->geom_pos[3 * g + k];
        x.h[k] = sz[k];
    }
    if (m->geom_type[g] == mjGEOM_CAPSULE) { /* the fingers: vertical capsules */
        x.h[0] = x.h[1] = sz[0];
        x.h[2] = sz[1] + sz[0];
    }
    return x;
}

/* Penetration depth of two boxes: > 0 overlap, < 0 the gap along the
 * axis that separates them most. */
static double penetration(const box *a, const box *b, const double *shift) {
    double p = INFINITY;
    for (int k = 0; k < 3; ++k) p = fmin(p, a->h[k] + b->h[k] - fabs(a->c[k] + shift[k] - b->c[k]));
    return p;
}

enum { ROLE_NONE, ROLE_NUT, ROLE_FINGER, ROLE_FIXED };

static int role(const rise_square_sim *s, int g) {
    const mjModel *m = s->m;
    const int b = m->geom_bodyid[g];
    if (b == s->nut_body) return ROLE_NUT;
    if (b == s->finger_body[0] || b == s->finger_body[1]) return ROLE_FINGER;
    if (b == 0 && m->geom_type[g] == mjGEOM_BOX) return ROLE_FIXED;
    return ROLE_NONE;
}

int rise_square_sim_overlaps(const rise_square_sim *s, const double *qpos, double gap) {
    static const double zero[3] = {0.0, 0.0, 0.0};
    for (int i = 0; i < s->m->ngeom; ++i) {
        if (role(s, i) != ROLE_NUT) continue;
        const box a = geom_box(s, qpos, i);
        for (int j = 0; j < s->m->ngeom; ++j) {
            const int r = role(s, j);
            if (r != ROLE_FIXED && r != ROLE_FINGER) continue;
            const box b = geom_box(s, qpos, j);
            if (penetration(&a, &b, zero) > -gap) return 1;
        }
    }
    return 0;
}

int rise_square_sim_blocked(const rise_square_sim *s, const double *qpos, const double *d, int held,
                            double gap) {
    static const double zero[3] = {0.0, 0.0, 0.0};
    for (int i = 0; i < s->m->ngeom; ++i) {
        const int ri = role(s, i);
        if (ri != ROLE_NUT && !(held && ri == ROLE_FINGER)) continue;
        const box a = geom_box(s, qpos, i);
        for (int j = 0; j < s->m->ngeom; ++j) {
            const int rj = role(s, j);
            if (rj != ROLE_FIXED && !(rj == ROLE_FINGER && !held && ri == ROLE_NUT)) continue;
            const box b = geom_box(s, qpos, j);
            if (penetration(&a, &b, d) > fmax(penetration(&a, &b, zero), -gap)) return 1;
        }
    }
    return 0;
}

#else
typedef int rise_square_sim_unused; /* ISO C: a translation unit is not empty */
#endif /* RISE_WITH_MUJOCO */
