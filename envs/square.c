/* square.c - tasks "square" and "square-hook": the shared settings table,
 * the two task records, the rise_env vtable (reset, step, perturbation,
 * initial-condition check, state) and the look-ahead copies the generators
 * use. The simulation itself is in square_sim.c; see square.h. */
#include "square.h"

#include <math.h>

rise_square_place rise_square_goal_place(rise_square_goal g) {
    rise_square_place p;
    if (g == RISE_SQUARE_GOAL_PEG) {
        p.x = RISE_SQUARE_PEG_X;
        p.y = RISE_SQUARE_PEG_Y;
        p.z = RISE_SQUARE_NUT_HALF_H; /* down on the table, around the peg */
        p.carry = RISE_SQUARE_PEG_TOP + 0.03;
    } else {
        p.x = RISE_SQUARE_HOOK_X;
        p.y = RISE_SQUARE_HOOK_Y;
        p.z = RISE_SQUARE_HOOK_ARM_TOP + RISE_SQUARE_NUT_HALF_H; /* resting on the arm */
        p.carry = RISE_SQUARE_HOOK_TIP_TOP + 0.03;
    }
    return p;
}

#ifdef RISE_WITH_MUJOCO

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "square_sim.h"

#define PERTURB_GAP 0.002 /* a perturbed nut stops this short of an obstacle */

typedef struct {
    rise_square_sim sim;
    int warned; /* an instability was reported this episode */
} square_env;

static int is_square(const rise_env *e) {
    return strcmp(e->info.task, "square") == 0 || strcmp(e->info.task, "square-hook") == 0;
}

static square_env *square_of(const rise_env *e) {
    RISE_ASSERT(is_square(e), "env is task '%s', not square or square-hook", e->info.task);
    return e->impl;
}

rise_square_goal rise_square_goal_of(const rise_env *e) { return square_of(e)->sim.goal; }

rise_status rise_square_settings_of(const rise_env *e, rise_square_settings *s) {
    const rise_env_task *t = is_square(e) ? rise_env_find_task(e->info.task) : NULL;
    if (!t) return rise_error(RISE_ERR_INVALID, "env task '%s' is not square", e->info.task);
    return rise_env_settings_parse(t, e->settings_json, "square settings", s);
}

mjModel *rise_square_mj_model(rise_env *e) { return square_of(e)->sim.m; }
mjData *rise_square_mj_data(rise_env *e) { return square_of(e)->sim.d; }

/* ---- the env vtable ---- */

static int square_ic_valid(const rise_env *e, const double *ic, char *why, size_t n) {
    const square_env *p = e->impl;
    double q[SQ_NQ] = {RISE_SQUARE_GRIP_X0,
                       RISE_SQUARE_GRIP_Y0,
                       RISE_SQUARE_GRIP_Z0,
                       RISE_SQUARE_FINGER_OPEN,
                       RISE_SQUARE_FINGER_OPEN,
                       ic[0],
                       ic[1],
                       RISE_SQUARE_NUT_HALF_H};
    if (rise_square_sim_overlaps(&p->sim, q, 0.005)) {
        if (why)
            snprintf(why, n, "a nut at (%g, %g) overlaps the peg, the hook or the gripper", ic[0],
                     ic[1]);
        return 0;
    }
    if (rise_square_success_at(q, 0, p->sim.s.success_pos, p->sim.goal)) {
        if (why) snprintf(why, n, "a nut at (%g, %g) already satisfies the goal", ic[0], ic[1]);
        return 0;
    }
    return 1;
}

static rise_status square_reset(rise_env *e, uint64_t seed, const double *ic, float *obs) {
    square_env *p = e->impl;
    (void)seed; /* deterministic: the initial condition is the whole start */
    rise_square_sim_place(&p->sim, ic[0], ic[1]);
    p->warned = 0;
    rise_square_sim_observe(&p->sim, obs);
    return RISE_OK;
}

static rise_status square_step(rise_env *e, const float *a, float *obs, rise_env_step_info *out) {
    square_env *p = e->impl;
    const int ok = rise_square_sim_advance(&p->sim, a);
    rise_square_sim_observe(&p->sim, obs);
    if (!ok) {
        if (!p->warned)
            fprintf(stderr,
                    "warning: %s: simulator instability at step %d (MuJoCo warning or "
                    "non-finite state); the episode ends as a failure\n",
                    e->info.task, e->t + 1);
        p->warned = 1;
        out->failed = 1;
        out->success = 0;
        out->reward = 0.0f;
        return RISE_OK;
    }
    out->success = (uint8_t)rise_square_sim_success(&p->sim, p->sim.goal);
    out->reward = out->success ? 1.0f : 0.0f;
    return RISE_OK;
}

/* 1 when the nut moved by d (the gripper too when held) stays clear and on the table. */
static int move_ok(const square_env *p, const double *q, const double *d, int held) {
    const double lim = RISE_SQUARE_LIMIT - RISE_SQUARE_HANDLE_OFF - RISE_SQUARE_HANDLE_HX;
    if (fabs(q[SQ_NX] + d[0]) > lim || fabs(q[SQ_NY] + d[1]) > lim) return 0;
    if (held && (fabs(q[SQ_GX] + d[0]) > RISE_SQUARE_LIMIT - 0.01 ||
                 fabs(q[SQ_GY] + d[1]) > RISE_SQUARE_LIMIT - 0.01))
        return 0;
    return !rise_square_sim_blocked(&p->sim, q, d, held, PERTURB_GAP);
}

/* move_ok for the fraction f of the displacement delta (dx, dy). */
static int fraction_ok(const square_env *p, const double *q, const double *delta, int held,
                       double f) {
    const double d[3] = {f * delta[0], f * delta[1], 0.0};
    return move_ok(p, q, d, held);
}

static rise_status square_perturb(rise_env *e, const double *delta, float *obs) {
    square_env *p = e->impl;
    double q[SQ_NQ];
    memcpy(q, p->sim.d->qpos, sizeof q);
    const int held = p->sim.attached;
    /* March along delta in 1 mm steps to the first position that would
     * touch an obstacle or leave the table, then refine by bisection: the
     * nut never jumps over the peg, the hook or a finger. */
    double lo = 0.0, hi = -1.0;
    const double len = hypot(delta[0], delta[1]);
    const int n = 1 + (int)(len / 0.001);
    for (int i = 1; i <= n && hi < 0.0; ++i) {
        const double f = (double)i / n;
        if (fraction_ok(p, q, delta, held, f))
            lo = f;
        else
            hi = f;
    }
    for (int it = 0; hi >= 0.0 && it < 30; ++it) {
        const double f = 0.5 * (lo + hi);
        if (fraction_ok(p, q, delta, held, f))
            lo = f;
        else
            hi = f;
    }
    /* The nut ends at rest (a held nut with the gripper, which stops too). */
    mjData *md = p->sim.d;
    md->qpos[SQ_NX] += lo * delta[0];
    md->qpos[SQ_NY] += lo * delta[1];
    md->qvel[SQ_NX] = md->qvel[SQ_NY] = md->qvel[SQ_NZ] = 0.0;
    if (held) {
        md->qpos[SQ_GX] += lo * delta[0];
        md->qpos[SQ_GY] += lo * delta[1];
        for (int i = SQ_GX; i <= SQ_FR; ++i) md->qvel[i] = 0.0;
    }
    mj_forward(p->sim.m, md);
    rise_square_sim_observe(&p->sim, obs);
    return RISE_OK;
}

static void square_get_state(const rise_env *e, double *st) {
    const square_env *p = e->impl;
    rise_square_sim_get_state(&p->sim, st);
}

static rise_status square_set_state(rise_env *e, const double *st, float *obs) {
    square_env *p = e->impl;
    static const char *const names[SQ_NQ] = {"gripper x",   "gripper y",    "gripper z",
                                             "left finger", "right finger", "nut x",
                                             "nut y",       "nut z"};
    const double L = RISE_SQUARE_LIMIT + 0.05;
    const double lo[SQ_NQ] = {-L, -L, -0.05, -0.01, -0.01, -L, -L, 0.0};
    const double hi[SQ_NQ] = {
        L, L, 0.35, RISE_SQUARE_FINGER_OPEN + 0.01, RISE_SQUARE_FINGER_OPEN + 0.01, L, L, 0.45};
    for (int i = 0; i < SQ_NQ; ++i)
        if (st[i] < lo[i] || st[i] > hi[i])
            return rise_error(RISE_ERR_INVALID,
                              "%s set_state: state[%d] (%s) = %g is off the table (expected "
                              "[%g, %g])",
                              e->info.task, i, names[i], st[i], lo[i], hi[i]);
    const double att = st[2 * SQ_NQ];
    if (att != 0.0 && att != 1.0)
        return rise_error(RISE_ERR_INVALID,
                          "%s set_state: state[%d] (the attach flag) = %g, expected 0 or 1",
                          e->info.task, 2 * SQ_NQ, att);
    for (int i = 1; i <= 3; ++i)
        if (fabs(st[2 * SQ_NQ + i]) > 0.2)
            return rise_error(RISE_ERR_INVALID,
                              "%s set_state: state[%d] (an attach offset) = %g, expected |x| <= "
                              "0.2",
                              e->info.task, 2 * SQ_NQ + i, st[2 * SQ_NQ + i]);
    rise_square_sim_set_state(&p->sim, st);
    p->warned = 0;
    rise_square_sim_observe(&p->sim, obs);
    return RISE_OK;
}

static void square_destroy(rise_env *e) {
    square_env *p = e->impl;
    if (p) {
        rise_square_sim_free(&p->sim, 1);
        free(p);
    }
    free(e);
}

static const rise_env_ops square_ops = {
    .reset = square_reset,
    .step = square_step,
    .perturb = square_perturb,
    .ic_valid = square_ic_valid,
    .get_state = square_get_state,
    .set_state = square_set_state,
    .shapes = NULL, /* the peg and the hook lie outside the nut's evaluation box */
    .destroy = square_destroy,
};

static rise_status square_create(const void *settings, rise_square_goal goal, rise_env **out) {
    rise_env *e = calloc(1, sizeof *e);
    square_env *p = calloc(1, sizeof *p);
    if (!e || !p) {
        free(e);
        free(p);
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    p->sim.s = *(const rise_square_settings *)settings;
    p->sim.goal = goal;
    e->ops = &square_ops;
    e->impl = p;
    rise_status st = rise_square_sim_load(&p->sim);
    if (st != RISE_OK) {
        square_destroy(e);
        return st;
    }
    rise_square_sim_place(&p->sim, -0.11, 0.15);
    rise_env_info *info = &e->info;
    rise_env_info_add_key(info, "eef_pos", 3);
    rise_env_info_add_key(info, "gripper", 1);
    rise_env_info_add_key(info, "nut_pos", 3);
    rise_env_info_add_key(info, "nut_to_goal", 3);
    rise_env_info_add_key(info, "handle_to_eef", 3);
    RISE_ASSERT(info->obs_dim == RISE_SQUARE_OBS_DIM, "square observation layout");
    info->act_dim = RISE_SQUARE_ACT_DIM;
    info->state_dim = RISE_SQUARE_STATE_DIM;
    info->perturb_dim = 2;
    info->horizon = p->sim.s.horizon;
    rise_env_ic_space *ic = &info->ic;
    ic->dim = 2;
    snprintf(ic->names[0], sizeof ic->names[0], "nut_x");
    snprintf(ic->names[1], sizeof ic->names[1], "nut_y");
    ic->eval_lo[0] = -0.16;
    ic->eval_hi[0] = 0.16;
    ic->eval_lo[1] = -0.2;
    ic->eval_hi[1] = 0.225; /* the 0.2, widened to hold the expert box */
    ic->expert_lo[0] = -0.115;
    ic->expert_hi[0] = -0.11;
    ic->expert_lo[1] = 0.11;
    ic->expert_hi[1] = 0.225;
    ic->axis[0] = 0;
    ic->axis[1] = 1;
    *out = e;
    return RISE_OK;
}

static rise_status square_create_peg(const void *settings, rise_env **out) {
    return square_create(settings, RISE_SQUARE_GOAL_PEG, out);
}

static rise_status square_create_hook(const void *settings, rise_env **out) {
    return square_create(settings, RISE_SQUARE_GOAL_HOOK, out);
}

/* ---- look-ahead copies for the generators ---- */

rise_status rise_square_sim_create(rise_env *e, rise_square_sim **out) {
    square_env *p = square_of(e);
    rise_square_sim *s = calloc(1, sizeof *s);
    if (!s) return rise_error(RISE_ERR_NOMEM, "out of memory");
    rise_status st = rise_square_sim_borrow(&p->sim, s);
    if (st != RISE_OK) {
        free(s);
        return st;
    }
    *out = s;
    return RISE_OK;
}

void rise_square_sim_copy(rise_square_sim *s, rise_env *e) {
    const square_env *p = square_of(e);
    mj_copyData(s->d, s->m, p->sim.d);
    s->attached = p->sim.attached;
    memcpy(s->offset, p->sim.offset, sizeof s->offset);
}

int rise_square_sim_step(rise_square_sim *s, const float *a, float *obs) {
    const int ok = rise_square_sim_advance(s, a);
    if (obs) rise_square_sim_observe(s, obs);
    if (!ok) return -1;
    return rise_square_sim_success(s, RISE_SQUARE_GOAL_PEG) ||
           rise_square_sim_success(s, RISE_SQUARE_GOAL_HOOK);
}

int rise_square_sim_try(rise_square_sim *s, rise_env *e, const float *a) {
    rise_square_sim_copy(s, e);
    return rise_square_sim_step(s, a, NULL) == 1;
}

void rise_square_sim_destroy(rise_square_sim *s) {
    if (!s) return;
    rise_square_sim_free(s, 0);
    free(s);
}

/* ---- settings (one table for both tasks) and the task records ---- */

#define SQUARE_FIELD(f) offsetof(rise_square_settings, f)
static const rise_env_setting square_settings[] = {
    {"max_speed", RISE_SETTING_NUMBER, SQUARE_FIELD(max_speed), 0.25, 0.01, 2.0, NULL,
     "gripper speed at action 1 (m/s)"},
    {"timestep", RISE_SETTING_NUMBER, SQUARE_FIELD(timestep), 0.01, 1e-4, 0.02, NULL,
     "MuJoCo timestep (s)"},
    {"substeps", RISE_SETTING_INT, SQUARE_FIELD(substeps), 5, 1, 100, NULL,
     "MuJoCo steps per env step"},
    {"success_pos", RISE_SETTING_NUMBER, SQUARE_FIELD(success_pos), 0.02, 0.005, 0.1, NULL,
     "success: nut centre this close to the peg / hook axis (m)"},
    {"horizon", RISE_SETTING_INT, SQUARE_FIELD(horizon), 200, 1, 1e6, NULL,
     "steps before an episode is cut off"},
};

const rise_env_task rise_square_task = {
    .name = "square",
    .settings = square_settings,
    .n_settings = (int)(sizeof square_settings / sizeof square_settings[0]),
    .settings_size = sizeof(rise_square_settings),
    .create = square_create_peg,
};

const rise_env_task rise_square_hook_task = {
    .name = "square-hook",
    .settings = square_settings,
    .n_settings = (int)(sizeof square_settings / sizeof square_settings[0]),
    .settings_size = sizeof(rise_square_settings),
    .create = square_create_hook,
};

#endif /* RISE_WITH_MUJOCO */
