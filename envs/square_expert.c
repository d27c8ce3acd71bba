/* square_expert.c - the square tasks' scripted pick-and-place controller
 * and the "expert" policy built on it (for square and square-hook; it
 * reads eef_pos, gripper and nut_pos, exactly what a trained policy sees).
 *
 * The controller is stateless: every decision comes from the observation.
 * "Holding" means the fingers are closed to the handle's width around the
 * handle (what the attach rule of square.h requires). Holding: lift the
 * nut straight up to the carry height, move it over the place, lower it
 * (correcting x, y on the way down) and open once it is down. Not holding:
 * rise above the nut if low and more than 1.5 cm from the handle, move
 * above the handle, descend open around it and close (the closing fingers
 * centre the handle, so 1.5 cm off is still a grasp). Once the nut lies at
 * the place it opens and backs off upwards. Velocities are proportional to
 * the error (gain 10 / s), capped at max_speed per axis. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "square.h"

#define K_POS      10.0  /* position gain (1/s) */
#define ALIGN_XY   0.008 /* holding: start lowering this close to the place (x, y) */
#define LOWER_XY   0.012 /* ... and keep lowering while within this */
#define RELEASE_Z  0.003 /* open once the nut centre is this close above the place */
#define GRASP_XY   0.006 /* not holding: start descending this close above the handle */
#define NEAR_XY    0.015 /* ... keep descending and close while within this */
#define GRASP_Z    0.002 /* fingertips this far above the nut's bottom when closing */
#define CLEAR_Z    0.02  /* fingertips this far above the nut's top when moving over it */
#define HOLD_MAX_W 0.026 /* holding: opening between the grasp's limits (square_sim.c) */
#define HOLD_MIN_W 0.012
#define PLACED_Z   0.005 /* the nut counts as placed this close to the place's height */

int rise_square_placed(const rise_square_place *p, const float *obs, double tol) {
    const float *n = obs + RISE_SQUARE_OBS_NUT;
    const double dx = n[0] - p->x, dy = n[1] - p->y;
    return dx * dx + dy * dy < tol * tol && fabs(n[2] - p->z) < PLACED_Z;
}

void rise_square_move_action(const rise_square_settings *s, const float *eef, double tx, double ty,
                             double tz, float g, float *a) {
    double v[3] = {K_POS * (tx - eef[0]), K_POS * (ty - eef[1]), K_POS * (tz - eef[2])};
    double m = 0.0;
    for (int i = 0; i < 3; ++i) {
        v[i] /= s->max_speed;
        m = fmax(m, fabs(v[i]));
    }
    for (int i = 0; i < 3; ++i) a[i] = (float)(m > 1.0 ? v[i] / m : v[i]);
    a[3] = g;
}

void rise_square_expert_action(const rise_square_settings *s, const rise_square_place *p,
                               const float *obs, float *a) {
    const float *eef = obs + RISE_SQUARE_OBS_EEF, *nut = obs + RISE_SQUARE_OBS_NUT;
    const double w = obs[RISE_SQUARE_OBS_WIDTH], h = RISE_SQUARE_NUT_HALF_H;
    const double hx = nut[0] - RISE_SQUARE_HANDLE_OFF, hy = nut[1];
    const double rz = nut[2] - eef[2]; /* handle centre above the fingertips */
    const int holding = w >= HOLD_MIN_W && w <= HOLD_MAX_W && fabs(hx - eef[0]) < 0.02 &&
                        fabs(hy - eef[1]) < 0.012 && rz > -0.002 && rz < 0.03;
    if (holding) {
        /* The gripper moves the nut: aim the gripper at eef + (target - nut). */
        const double ex = p->x - nut[0], ey = p->y - nut[1], dist = hypot(ex, ey);
        const double bottom = nut[2] - h;
        const double gx = eef[0] + ex, gy = eef[1] + ey;
        if (dist < ALIGN_XY || (dist < LOWER_XY && bottom < p->carry - 0.01)) {
            if (nut[2] <= p->z + RELEASE_Z) {
                rise_square_move_action(s, eef, eef[0], eef[1], eef[2], -1.0f, a); /* down: open */
                return;
            }
            rise_square_move_action(s, eef, gx, gy, eef[2] + (p->z - 0.005 - nut[2]), 1.0f, a);
            return;
        }
        const double carry_dz = p->carry + h + 0.005 - nut[2];
        if (bottom < p->carry - 0.01) { /* lift first */
            rise_square_move_action(s, eef, eef[0], eef[1], eef[2] + carry_dz, 1.0f, a);
            return;
        }
        rise_square_move_action(s, eef, gx, gy, eef[2] + carry_dz, 1.0f, a);
        return;
    }
    if (rise_square_placed(p, obs, LOWER_XY)) { /* done: open and back off */
        rise_square_move_action(s, eef, eef[0], eef[1], p->z + h + 0.08, -1.0f, a);
        return;
    }
    const double gz = nut[2] - h + GRASP_Z, safe = nut[2] + h + CLEAR_Z;
    const double exy = hypot(hx - eef[0], hy - eef[1]);
    if (exy > NEAR_XY) {
        if (eef[2] < safe - 0.01)
            rise_square_move_action(s, eef, eef[0], eef[1], safe, -1.0f, a); /* rise clear first */
        else
            rise_square_move_action(s, eef, hx, hy, safe, -1.0f, a);
        return;
    }
    if (w < HOLD_MIN_W) { /* closed on nothing: open again */
        rise_square_move_action(s, eef, hx, hy, eef[2], -1.0f, a);
        return;
    }
    if (eef[2] > gz + 0.004) { /* descend open around the handle once above it */
        const double tz = exy < GRASP_XY || eef[2] < safe - 0.005 ? gz : safe;
        rise_square_move_action(s, eef, hx, hy, tz, -1.0f, a);
        return;
    }
    rise_square_move_action(s, eef, hx, hy, gz, 1.0f, a); /* close */
}

/* ---- the "expert" policy ---- */

#ifdef RISE_WITH_MUJOCO
typedef struct {
    rise_square_settings s;
    rise_square_place place;
} square_policy;

static rise_status square_policy_act(rise_policy *p, int n, const float *obs,
                                     const rise_policy_ctx *ctx, float *actions) {
    (void)ctx;
    const square_policy *sp = p->impl;
    for (int i = 0; i < n; ++i)
        rise_square_expert_action(&sp->s, &sp->place, obs + (size_t)i * p->obs_dim,
                                  actions + (size_t)i * RISE_SQUARE_ACT_DIM);
    return RISE_OK;
}

static void square_policy_destroy(rise_policy *p) {
    free(p->impl);
    free(p);
}

rise_status rise_square_policy_expert(const rise_env *env, uint64_t seed, rise_policy **out) {
    *out = NULL;
    static const char *const keys[3] = {"eef_pos", "gripper", "nut_pos"};
    static const int offsets[3] = {RISE_SQUARE_OBS_EEF, RISE_SQUARE_OBS_WIDTH, RISE_SQUARE_OBS_NUT};
    for (int k = 0; k < 3; ++k) {
        const int i = rise_env_find_key(&env->info, keys[k]);
        if (i < 0 || env->info.keys[i].offset != offsets[k])
            return rise_error(RISE_ERR_INVALID,
                              "square expert: observation key %s missing or moved (task %s)",
                              keys[k], env->info.task);
    }
    rise_policy *p = calloc(1, sizeof *p);
    square_policy *sp = calloc(1, sizeof *sp);
    if (!p || !sp) {
        free(p);
        free(sp);
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    rise_status st = rise_square_settings_of(env, &sp->s);
    if (st != RISE_OK) {
        free(p);
        free(sp);
        return st;
    }
    sp->place = rise_square_goal_place(rise_square_goal_of(env));
    snprintf(p->name, sizeof p->name, "expert");
    p->obs_dim = env->info.obs_dim;
    p->act_dim = env->info.act_dim;
    p->chunk = p->n_exec = 1;
    p->seed = seed;
    p->act = square_policy_act;
    p->destroy = square_policy_destroy;
    p->impl = sp;
    *out = p;
    return RISE_OK;
}
#endif
