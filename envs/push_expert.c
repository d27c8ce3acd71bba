/* push_expert.c - the push task's scripted pushing controller and the
 * "expert" policy built on it (reads pusher_pos and block_pose from the
 * observation, so it acts on exactly what a trained policy sees).
 *
 * The controller is stateless. With d the unit vector from the block to
 * the target and n = d turned 90 degrees left, it chooses a contact line
 * offset s = clamp(-k e_yaw / max(dist, 0.03)) (pushing off centre turns
 * the block: a push along d at lateral offset s applies torque -s f). Then:
 *  - push: when the pusher is behind the block's back face on that line,
 *    it moves along d (speed falling with the distance left) with a
 *    lateral correction back onto the line;
 *  - go round: otherwise it walks a circle of clearance around the block
 *    to the approach point behind it, or goes straight there when the way
 *    is clear.
 * It stops once the block is well inside the success tolerances. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "env_impl.h"
#include "push.h"

#define EXPERT_K_ROT   0.06  /* contact offset per rad of yaw error (m) */
#define EXPERT_CONE    0.26  /* final leg once the target is this close to a face normal (rad) */
#define EXPERT_TILT    0.22  /* final leg: push at most this far off the face normal (rad) */
#define EXPERT_LOOK    0.05  /* final leg: aim at the line this far ahead (m) */
#define EXPERT_S_MAX   0.03  /* largest contact offset (m) */
#define EXPERT_CLEAR   0.012 /* clearance circle beyond the block's corners (m) */
#define EXPERT_LAT_TOL 0.012 /* lateral error still counted as on the line (m) */
#define EXPERT_K_LAT   2.0   /* lateral correction gain (1/s) */
#define EXPERT_R_END   0.05  /* closer than this with the yaw off: turn in place */
#define EXPERT_K_TURN  0.1   /* turning contact offset per rad of yaw error (m) */
#define EXPERT_V_TURN  0.06  /* turning push speed (m/s) */

/* Distance from (ox, oy) along unit (ux, uy) to the block's boundary, in
 * the block frame (the ray starts inside the block). */
static double exit_dist(double ox, double oy, double ux, double uy) {
    const double h = RISE_PUSH_BLOCK_HALF;
    double t = INFINITY;
    if (fabs(ux) > 1e-12) t = fmin(t, ((ux > 0 ? h : -h) - ox) / ux);
    if (fabs(uy) > 1e-12) t = fmin(t, ((uy > 0 ? h : -h) - oy) / uy);
    return t > 0.0 ? t : 0.0;
}

static void set_action(const rise_push_settings *s, double vx, double vy, float *a) {
    double ax = vx / s->max_speed, ay = vy / s->max_speed;
    const double m = fmax(fabs(ax), fabs(ay));
    if (m > 1.0) {
        ax /= m;
        ay /= m;
    }
    a[0] = (float)ax;
    a[1] = (float)ay;
}

/* Pushes along unit d with the contact line at lateral offset off (n = d
 * turned left), going round the block first when the pusher is not behind
 * it; speed is the pushing speed. */
static void drive(const rise_push_settings *s, double dx, double dy, double off, double speed,
                  double px, double py, double bx, double by, double byaw, float *a) {
    const double r = RISE_PUSH_PUSHER_R, vmax = s->max_speed;
    const double nx = -dy, ny = dx;
    const double rx = px - bx, ry = py - by, rho = hypot(rx, ry);
    /* Back face on the contact line: ray from centre + off n along -d, block frame. */
    const double c = cos(byaw), sn = sin(byaw);
    const double ox = c * (off * nx) + sn * (off * ny), oy = -sn * (off * nx) + c * (off * ny);
    const double ux = c * -dx + sn * -dy, uy = -sn * -dx + c * -dy;
    const double h = exit_dist(ox, oy, ux, uy);
    const double along = rx * dx + ry * dy, lat = rx * nx + ry * ny, elat = off - lat;

    /* Push: behind the back face, on (or near) the contact line. */
    if (along < -(h + r) + 0.006 && fabs(elat) < 3.0 * EXPERT_LAT_TOL) {
        const double on = fmax(0.0, 1.0 - fabs(elat) / (2.0 * EXPERT_LAT_TOL));
        const double va = on * speed - (1.0 - on) * 0.3 * vmax, vl = EXPERT_K_LAT * elat;
        set_action(s, va * dx + vl * nx, va * dy + vl * ny, a);
        return;
    }
    /* Go round to the approach point on the clearance circle. */
    const double rc = RISE_PUSH_BLOCK_HALF * sqrt(2.0) + r + EXPERT_CLEAR;
    const double axp = bx + off * nx - rc * dx, ayp = by + off * ny - rc * dy;
    if (rho < rc - 0.004) { /* too close (beside or in front): back away */
        const double k = rho > 1e-9 ? 1.0 / rho : 0.0;
        set_action(s, vmax * rx * k, vmax * ry * k, a);
        return;
    }
    /* Closest approach of the segment pusher -> approach point to the centre. */
    const double sx = axp - px, sy = ayp - py, sl2 = sx * sx + sy * sy;
    double t = sl2 > 1e-12 ? -(rx * sx + ry * sy) / sl2 : 0.0;
    t = fmax(0.0, fmin(1.0, t));
    const double cx = rx + t * sx, cy = ry + t * sy;
    if (hypot(cx, cy) >= rc - 0.006) {
        const double l = sqrt(sl2);
        const double v = fmin(vmax, 5.0 * l);
        if (l > 1e-9)
            set_action(s, v * sx / l, v * sy / l, a);
        else
            a[0] = a[1] = 0.0f;
        return;
    }
    const double phi = atan2(ry, rx), phia = atan2(ayp - by, axp - bx);
    const double dphi = remainder(phia - phi, 2.0 * RISE_PUSH_PI);
    const double sg = dphi >= 0.0 ? 1.0 : -1.0;
    const double tx = -sg * ry / rho, ty = sg * rx / rho;
    const double kr = 20.0 * (rc + 0.01 - rho);
    const double vx = tx + kr * rx / rho, vy = ty + kr * ry / rho, vn = hypot(vx, vy);
    set_action(s, vmax * vx / vn, vmax * vy / vn, a);
}

void rise_push_expert_action(const rise_push_settings *s, const rise_push_pose *target, double px,
                             double py, double bx, double by, double byaw, float *a) {
    const double ex = target->x - bx, ey = target->y - by, dist = hypot(ex, ey);
    const double eyaw = rise_push_wrap_quarter(target->yaw - byaw);
    const double eyaw_deg = fabs(eyaw) * 180.0 / RISE_PUSH_PI;
    if (dist < 0.4 * s->success_pos && eyaw_deg < 0.4 * s->success_angle_deg) {
        a[0] = a[1] = 0.0f;
        return;
    }
    if (dist < EXPERT_R_END && eyaw_deg > 0.6 * s->success_angle_deg) {
        /* Turn in place: push the face the pusher is facing, far off centre. */
        const double c = cos(byaw), sn = sin(byaw), rx = bx - px, ry = by - py;
        const double fx = c * rx + sn * ry, fy = -sn * rx + c * ry; /* block frame */
        double ux, uy;
        if (fabs(fx) >= fabs(fy)) {
            ux = fx >= 0 ? c : -c;
            uy = fx >= 0 ? sn : -sn;
        } else {
            ux = fy >= 0 ? -sn : sn;
            uy = fy >= 0 ? c : -c;
        }
        const double off = (eyaw > 0 ? -1.0 : 1.0) * fmin(EXPERT_S_MAX, EXPERT_K_TURN * fabs(eyaw));
        drive(s, ux, uy, off, EXPERT_V_TURN, px, py, bx, by, byaw, a);
        return;
    }
    /* Block axes (face normals) in the world. */
    const double c = cos(byaw), sn = sin(byaw);
    const double c1 = ex * c + ey * sn, c2 = -ex * sn + ey * c;
    const double small = fmin(fabs(c1), fabs(c2)), big = fmax(fabs(c1), fabs(c2));
    double dx = 1.0, dy = 0.0, speed = fmin(s->max_speed, 0.04 + 2.0 * dist);
    if (dist > 1e-6) {
        dx = ex / dist;
        dy = ey / dist;
    }
    if (dist > EXPERT_R_END && atan2(small, big) > EXPERT_CONE) {
        /* A leg along the face normal of the smaller component, until the
         * target lies within EXPERT_CONE of a face normal. */
        speed = s->max_speed;
        if (fabs(c1) <= fabs(c2)) {
            dx = c1 >= 0 ? c : -c;
            dy = c1 >= 0 ? sn : -sn;
        } else {
            dx = c2 >= 0 ? -sn : sn;
            dy = c2 >= 0 ? c : -c;
        }
    } else if (dist > 1e-6) {
        /* The final leg: follow the line through the target along the face
         * normal closest to the way there, tilted toward the line by at most
         * EXPERT_TILT (inside the contact's friction cone). */
        double ux, uy;
        if (fabs(c1) >= fabs(c2)) {
            ux = c1 >= 0 ? c : -c;
            uy = c1 >= 0 ? sn : -sn;
        } else {
            ux = c2 >= 0 ? -sn : sn;
            uy = c2 >= 0 ? c : -c;
        }
        const double epar = ex * ux + ey * uy, eperp = -ex * uy + ey * ux;
        double beta = atan2(eperp, fmax(epar, EXPERT_LOOK));
        beta = fmax(-EXPERT_TILT, fmin(EXPERT_TILT, beta));
        dx = ux * cos(beta) - uy * sin(beta);
        dy = ux * sin(beta) + uy * cos(beta);
    }
    double off = -EXPERT_K_ROT * eyaw;
    off = fmax(-EXPERT_S_MAX, fmin(EXPERT_S_MAX, off));
    drive(s, dx, dy, off, speed, px, py, bx, by, byaw, a);
}

/* ---- the "expert" policy ---- */

typedef struct {
    rise_push_settings s;
    int pos, pose; /* offsets of pusher_pos and block_pose */
} push_policy;

static rise_status push_policy_act(rise_policy *p, int n, const float *obs,
                                   const rise_policy_ctx *ctx, float *actions) {
    (void)ctx;
    const push_policy *pp = p->impl;
    const rise_push_pose goal = {0.0, 0.0, 0.0};
    for (int i = 0; i < n; ++i) {
        const float *o = obs + (size_t)i * p->obs_dim;
        const float *b = o + pp->pose;
        rise_push_expert_action(&pp->s, &goal, o[pp->pos], o[pp->pos + 1], b[0], b[1],
                                atan2(b[3], b[2]), actions + (size_t)i * 2);
    }
    return RISE_OK;
}

static void push_policy_destroy(rise_policy *p) {
    free(p->impl);
    free(p);
}

rise_status rise_push_policy_expert(const rise_env *env, uint64_t seed, rise_policy **out) {
    *out = NULL;
    const int kp = rise_env_find_key(&env->info, "pusher_pos");
    const int kb = rise_env_find_key(&env->info, "block_pose");
    if (kp < 0 || kb < 0)
        return rise_error(RISE_ERR_INVALID,
                          "push policy: observation keys pusher_pos and block_pose are required");
    rise_policy *p = calloc(1, sizeof *p);
    push_policy *pp = calloc(1, sizeof *pp);
    if (!p || !pp) {
        free(p);
        free(pp);
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    /* settings come back through the env's canonical JSON */
    const rise_env_task *t = rise_env_find_task("push");
    rise_status st = t ? rise_env_settings_parse(t, env->settings_json, "push settings", &pp->s)
                       : rise_error(RISE_ERR_INVALID, "push task not registered");
    if (st != RISE_OK) {
        free(p);
        free(pp);
        return st;
    }
    pp->pos = env->info.keys[kp].offset;
    pp->pose = env->info.keys[kb].offset;
    snprintf(p->name, sizeof p->name, "expert");
    p->obs_dim = env->info.obs_dim;
    p->act_dim = env->info.act_dim;
    p->chunk = p->n_exec = 1;
    p->seed = seed;
    p->act = push_policy_act;
    p->destroy = push_policy_destroy;
    p->impl = pp;
    *out = p;
    return RISE_OK;
}
