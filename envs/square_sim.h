/* square_sim.h - private to envs/square*.c: the simulation behind the
 * square and square-hook envs (MuJoCo model and data, the attach-on-close
 * grasp, one env step, success, observation, state) and the box geometry
 * the perturbation and the initial-condition check use. See square.h. */
#ifndef RISE_ENVS_SQUARE_SIM_H
#define RISE_ENVS_SQUARE_SIM_H

#ifdef RISE_WITH_MUJOCO

#include <mujoco/mujoco.h>

#include "square.h"

/* qpos / qvel indices (every joint is a slide: one of each). */
enum {
    SQ_GX = 0, /* gripper x, y, z */
    SQ_GY,
    SQ_GZ,
    SQ_FL, /* left finger (+y), right finger (-y): each the half opening */
    SQ_FR,
    SQ_NX, /* nut x, y, z (ring centre) */
    SQ_NY,
    SQ_NZ,
    SQ_NQ
};

struct rise_square_sim {
    rise_square_settings s;
    rise_square_goal goal;
    mjModel *m; /* owned by the env; look-ahead copies borrow it */
    mjData *d;
    int attached;     /* the nut is held by the gripper */
    double offset[3]; /* nut - gripper while held */
    int grip_body, nut_body, finger_body[2];
    double grip_weight; /* gripper subtree weight (N), compensated */
};

/* Loads the model (XML built from square.h's geometry, via an in-memory
 * VFS) and fills s->m, s->d and the ids. */
rise_status rise_square_sim_load(rise_square_sim *s);
/* A second simulation on the same model (look-ahead); no model owned. */
rise_status rise_square_sim_borrow(const rise_square_sim *src, rise_square_sim *s);
void rise_square_sim_free(rise_square_sim *s, int owns_model);

/* Places the gripper open at rest at its start and the nut at rest on the
 * table at (nx, ny). */
void rise_square_sim_place(rise_square_sim *s, double nx, double ny);
/* One env step with action a; 0 on an instability (MuJoCo warning or a
 * non-finite state). */
int rise_square_sim_advance(rise_square_sim *s, const float *a);
/* 1 when the current state meets goal g; the same from positions q and
 * the attach flag. */
int rise_square_sim_success(const rise_square_sim *s, rise_square_goal g);
int rise_square_success_at(const double *q, int attached, double tol, rise_square_goal g);
void rise_square_sim_observe(const rise_square_sim *s, float *obs);
void rise_square_sim_get_state(const rise_square_sim *s, double *st);
/* st already checked finite and on the table. */
void rise_square_sim_set_state(rise_square_sim *s, const double *st);

/* Box geometry (everything is an axis-aligned box). With the state's qpos:
 * 1 when the nut (on the table at qpos's nut position) comes closer than
 * gap to the peg, the hook or the fingers. */
int rise_square_sim_overlaps(const rise_square_sim *s, const double *qpos, double gap);
/* 1 when moving the nut by d (and the fingers with it when held) would
 * bring one of its boxes (or a finger) closer than gap to an obstacle it
 * is not already closer to: what a perturbation must not do. The
 * obstacles are the peg and the hook, plus the fingers when not held. */
int rise_square_sim_blocked(const rise_square_sim *s, const double *qpos, const double *d, int held,
                            double gap);

#endif /* RISE_WITH_MUJOCO */
#endif
