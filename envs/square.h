/* square.h - tasks "square" and "square-hook" (MuJoCo): pick up a square nut
 * by its handle with a floating parallel-jaw gripper and put it on a goal.
 * One scene serves both tasks (so one set of play data serves both); only
 * the goal differs: "square" seats the nut on a square peg, "square-hook"
 * hangs it on a hook.
 *
 * Table frame (metres; the table top is z = 0). The nut is a square ring
 * (outer half side 0.04, walls 0.012 thick, 0.02 high: four boxes) with a
 * handle box sticking out towards -x (centre 0.065 from the ring centre,
 * 0.05 long, 0.02 wide). It slides on three joints (x, y, z) and never
 * rotates, so it stays axis-aligned; table friction is viscous joint
 * damping on x and y, and the table under it is the lower limit of its z
 * joint (no table contact). Peg: a 0.03 x 0.03 x 0.10 box at (0.23, 0.10)
 * (robomimic Square's peg position). Hook: a post at (0.32, -0.12), a
 * horizontal arm (top at z = 0.12) running back to (0.218, -0.12) and an
 * upturned tip (0.024 square, up to z = 0.16) at (0.23, -0.12); the nut
 * hangs on it when the ring is around the tip, resting on the arm (the nut
 * cannot rotate, so no bar can thread its ring).
 *
 * Gripper: a body on three slide joints (no rotation) driven by velocity
 * servos (gravity compensated), with two capsule fingers closing along y
 * under position servos. Action a in [-1,1]^4: (a0, a1, a2) * max_speed is
 * the gripper velocity; a3 > 0 closes the fingers, a3 <= 0 opens them. Yaw is
 * left out: nothing in the scene rotates. One env step is `substeps`
 * MuJoCo steps of `timestep` (default 5 x 10 ms = 50 ms).
 *
 * Grasp model (attach on close): the fingers are real contact geoms, but a
 * grasp is a constraint, not friction. When the gripper is commanded
 * closed, the fingers have closed onto the handle (opening between 0.012
 * and 0.024) and the handle's centre lies between them (within 0.028 in x,
 * 0.01 in y, and inside the fingers' height), three joint-equality
 * constraints attach the nut to the gripper at its current offset. Opening
 * the gripper (a3 <= 0) releases it at once. The attach flag and offset
 * are part of the state.
 *
 * Success. square: the nut centre within success_pos of the peg axis in
 * x, y and its centre below z = 0.025 (the ring down around the peg,
 * released or not). square-hook: the nut released, its centre within
 * success_pos of the hook tip's axis and its bottom within [0.115, 0.13]
 * (resting on the arm, the tip inside the ring). Reward 1 on that step,
 * which ends the episode.
 *
 * Observation keys: eef_pos (3, the fingertips' centre), gripper (1, the
 * opening width), nut_pos (3, the ring centre), nut_to_goal (3, goal -
 * nut), handle_to_eef (3, handle centre - eef). State (20 doubles): qpos
 * and qvel (gripper x, y, z, left and right finger, nut x, y, z), then the
 * attach flag and the attach offset (nut - gripper, 3). Initial condition:
 * nut_x, nut_y (the nut on the table, the gripper open at rest at (0, 0,
 * 0.15)); evaluation box x in [-0.16, 0.16], y in [-0.2, 0.225] (the
 * issue's y range [-0.2, 0.2] widened to hold the expert box); expert box
 * x in [-0.115, -0.11], y in [0.11, 0.225] (robomimic Square's region).
 * Perturbation (dx, dy): the nut moves in the table plane (a held nut takes
 * the gripper along), stopping where it would touch the peg, the hook or
 * the fingers, and ends at rest. Warm-starting is disabled, so set_state
 * replays a rollout bit for bit. A MuJoCo warning or a non-finite state
 * ends the episode as failed with a warning on stderr. Built only with
 * MuJoCo (RISE_WITH_MUJOCO); see docs/tasks.md. */
#ifndef RISE_ENVS_SQUARE_H
#define RISE_ENVS_SQUARE_H

#include "env.h"
#include "env_impl.h"
#include "gen.h"
#include "policy.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Geometry (table frame, metres). */
#define RISE_SQUARE_RING_HALF    0.04  /* ring outer half side */
#define RISE_SQUARE_RING_WALL    0.012 /* ring wall thickness */
#define RISE_SQUARE_NUT_HALF_H   0.01  /* half height of the nut */
#define RISE_SQUARE_HANDLE_OFF   0.065 /* handle centre: ring centre - this in x */
#define RISE_SQUARE_HANDLE_HX    0.025 /* handle half length (x) */
#define RISE_SQUARE_HANDLE_HY    0.01  /* handle half width (y) */
#define RISE_SQUARE_PEG_X        0.23
#define RISE_SQUARE_PEG_Y        0.10
#define RISE_SQUARE_PEG_HALF     0.015
#define RISE_SQUARE_PEG_TOP      0.10
#define RISE_SQUARE_SEAT_Z       0.025 /* square success: nut centre below this */
#define RISE_SQUARE_HOOK_X       0.23  /* the hook tip's axis */
#define RISE_SQUARE_HOOK_Y       (-0.12)
#define RISE_SQUARE_HOOK_HALF    0.012 /* half side of tip, arm and post */
#define RISE_SQUARE_HOOK_ARM_TOP 0.12
#define RISE_SQUARE_HOOK_TIP_TOP 0.16
#define RISE_SQUARE_HOOK_POST_X  0.32
#define RISE_SQUARE_FINGER_OPEN  0.04 /* each finger's travel: opening 0.08 */
#define RISE_SQUARE_FINGER_H     0.05 /* finger height above the fingertips */
#define RISE_SQUARE_GRIP_X0      0.0  /* gripper start */
#define RISE_SQUARE_GRIP_Y0      0.0
#define RISE_SQUARE_GRIP_Z0      0.15
#define RISE_SQUARE_LIMIT        0.4         /* gripper and nut stay within +-this in x, y */
#define RISE_SQUARE_CAMERA       "agentview" /* the model's camera (front, above) */
#define RISE_SQUARE_STATE_DIM    20
#define RISE_SQUARE_OBS_DIM      13
#define RISE_SQUARE_ACT_DIM      4

/* Observation layout (offsets into the flat vector). */
enum {
    RISE_SQUARE_OBS_EEF = 0,
    RISE_SQUARE_OBS_WIDTH = 3,
    RISE_SQUARE_OBS_NUT = 4,
    RISE_SQUARE_OBS_TO_GOAL = 7,
    RISE_SQUARE_OBS_TO_HANDLE = 10,
};

typedef struct {
    double max_speed, timestep, success_pos;
    int substeps, horizon;
} rise_square_settings;

/* Which goal a task has: the peg (square) or the hook (square-hook). */
typedef enum { RISE_SQUARE_GOAL_PEG = 0, RISE_SQUARE_GOAL_HOOK = 1 } rise_square_goal;

/* Where the controller puts the nut: its centre at (x, y, z), released
 * there; it carries the nut with its bottom at `carry` on the way. */
typedef struct {
    double x, y, z, carry;
} rise_square_place;

/* The goal's place: the nut seated on the peg, or hanging on the hook. */
rise_square_place rise_square_goal_place(rise_square_goal g);

#ifdef RISE_WITH_MUJOCO
extern const rise_env_task rise_square_task;
extern const rise_env_task rise_square_hook_task;

/* The goal of a square or square-hook env (asserts on any other task). */
rise_square_goal rise_square_goal_of(const rise_env *e);
/* Its settings (parsed back from the env's canonical JSON). */
rise_status rise_square_settings_of(const rise_env *e, rise_square_settings *s);

/* The MuJoCo model and data behind an env (benchmarks, tests). */
struct mjModel_ *rise_square_mj_model(rise_env *e);
struct mjData_ *rise_square_mj_data(rise_env *e);

/* Generator support: copies of the simulation to look ahead on. */
typedef struct rise_square_sim rise_square_sim;
rise_status rise_square_sim_create(rise_env *e, rise_square_sim **out);
/* Copies e's current simulation state into s. */
void rise_square_sim_copy(rise_square_sim *s, rise_env *e);
/* One env step of s with action a; obs (optional) receives the
 * observation. Returns 1 when the step meets either goal (peg or hook,
 * whatever e's task), 0 when not, -1 on an instability. */
int rise_square_sim_step(rise_square_sim *s, const float *a, float *obs);
/* Copy, then step: 1 when e's next step with a would meet either goal. */
int rise_square_sim_try(rise_square_sim *s, rise_env *e, const float *a);
void rise_square_sim_destroy(rise_square_sim *s);
#endif

/* The scripted pick-and-place controller (stateless, from the observation
 * vector in the layout above): go above the handle, descend, close, lift
 * the nut to the carry height, move it over the place, lower it and open.
 * Once the nut lies at the place and is released it backs off upwards. */
void rise_square_expert_action(const rise_square_settings *s, const rise_square_place *p,
                               const float *obs, float *a);
/* Moves the fingertips (eef) toward (tx, ty, tz): velocity 10/s times the
 * error, capped per axis at max_speed; gripper command g. */
void rise_square_move_action(const rise_square_settings *s, const float *eef, double tx, double ty,
                             double tz, float g, float *a);
/* 1 when the nut lies at place p (within tol in x, y and 0.005 in z). */
int rise_square_placed(const rise_square_place *p, const float *obs, double tol);

#ifdef RISE_WITH_MUJOCO
/* The simulator positions an observation row determines (square_view.c), qpos [8]:
 * gripper x, y, z = eef_pos (the gripper body's frame is the fingertips' centre, so the
 * fingertip offset is zero), each finger half the opening `gripper`, nut x, y, z =
 * nut_pos. The rest of the row (nut_to_goal, handle_to_eef) follows from these. What the
 * camera view renders. */
void rise_square_qpos_of_obs(const float *obs, double *qpos);
/* A fresh copy of the square model (peg, hook, nut, gripper and the RISE_SQUARE_CAMERA
 * camera; the same model serves square and square-hook), for the camera view. */
rise_status rise_square_model_load(struct mjModel_ **out);
#endif

/* Policies (square_expert.c) and generators (square_gen.c). */
rise_status rise_square_policy_expert(const rise_env *env, uint64_t seed, rise_policy **out);
rise_status rise_square_gen_episode(rise_env *e, rise_gen_kind kind, const rise_gen_opts *o,
                                    uint64_t seed, uint64_t key, rise_episode_buf *b);

#ifdef __cplusplus
}
#endif
#endif
