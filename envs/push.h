/* push.h - task "push" (MuJoCo): SE(2) planar pushing of a square block to a
 * goal pose with a velocity-controlled cylindrical pusher.
 *
 * Table frame (metres, radians): the goal is the block centred at the
 * origin with yaw 0. The block is a 0.10 x 0.10 x 0.04 box on three planar
 * joints (slide x, slide y, hinge z); table friction is modelled by joint
 * frictionloss and damping (no contact with the table, no tipping). The
 * pusher is a vertical capsule (radius 0.015, its side a cylinder at block
 * height) on two slide joints driven by velocity servos: action a in
 * [-1,1]^2 commands the pusher velocity a * max_speed. One env step is
 * `substeps` MuJoCo steps of `timestep` (default 10 x 5 ms = 50 ms).
 * Warm-starting is disabled so a step is a pure function of (qpos, qvel,
 * action): set_state reproduces a recorded rollout bit for bit.
 *
 * Success: block centre within success_pos of the goal and yaw within
 * success_yaw degrees of the goal's, modulo 90 degrees (the square block has
 * four-fold symmetry); reward 1 on that step, which ends the episode.
 * Observation keys: pusher_pos (2), block_pose (x, y, cos yaw, sin yaw = 4),
 * goal_rel (goal - block: dx, dy, dyaw wrapped to [-45, 45) degrees = 3).
 * State (10 doubles): qpos then qvel, each (pusher x, y, block x, y, yaw).
 * Initial condition: block_x, block_y, block_yaw (the pusher starts at rest
 * at (0, -0.35)); axes block_x, block_y. Perturbation: displaces the block
 * by (dx, dy), stopping where it would touch the pusher, at rest.
 * A MuJoCo warning (bad qpos / qvel / qacc) or a non-finite state ends the
 * episode as failed with a warning on stderr. Built only with MuJoCo
 * (RISE_WITH_MUJOCO); see docs/tasks.md. */
#ifndef RISE_ENVS_PUSH_H
#define RISE_ENVS_PUSH_H

#include "env.h"
#include "env_impl.h"
#include "gen.h"
#include "policy.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_PUSH_BLOCK_HALF 0.05  /* block half side */
#define RISE_PUSH_PUSHER_R   0.015 /* pusher radius */
#define RISE_PUSH_PUSHER_X0  0.0   /* pusher start */
#define RISE_PUSH_PUSHER_Y0  (-0.35)
#define RISE_PUSH_LIMIT      0.45        /* joint range of every slide, +-metres */
#define RISE_PUSH_CAMERA     "agentview" /* the model's camera (front, above) */
#define RISE_PUSH_STATE_DIM  10
#define RISE_PUSH_OBS_DIM    9
#define RISE_PUSH_PI         3.14159265358979323846

typedef struct {
    double max_speed, timestep, success_pos, success_angle_deg;
    int substeps, horizon;
} rise_push_settings;

/* The pose the block is pushed to (the task's goal, or a generator's target). */
typedef struct {
    double x, y, yaw;
} rise_push_pose;

#ifdef RISE_WITH_MUJOCO
extern const rise_env_task rise_push_task;

/* Opaque MuJoCo-side state of an env (model and data). */
typedef struct rise_push rise_push;
rise_push *rise_push_of(rise_env *e);

/* The MuJoCo model and data behind an env (benchmarks, tests). */
struct mjModel_ *rise_push_mj_model(rise_env *e);
struct mjData_ *rise_push_mj_data(rise_env *e);

/* Generator support: copies of the simulation to look ahead on. */
typedef struct rise_push_sim rise_push_sim;
rise_status rise_push_sim_create(rise_env *e, rise_push_sim **out);
/* Copies e's current simulation state into s. */
void rise_push_sim_copy(rise_push_sim *s, rise_env *e);
/* One env step of s with action a; obs (optional) receives the observation.
 * Returns 1 when the step succeeds, 0 when not, -1 on an instability. */
int rise_push_sim_step(rise_push_sim *s, const float *a, float *obs);
/* Copy, then step: 1 when e's next step with a would succeed. */
int rise_push_sim_try(rise_push_sim *s, rise_env *e, const float *a);
void rise_push_sim_destroy(rise_push_sim *s);
#endif

/* Angle wrapped to [-pi/4, pi/4): the error modulo the block's symmetry. */
double rise_push_wrap_quarter(double a);

/* The scripted pushing controller (stateless, from what the observation
 * holds): go round the block to the side opposite the target, then push
 * along the line to the target, steering the block's yaw by pushing off
 * centre. pusher (px, py), block (bx, by, byaw) -> a in [-1, 1]^2. */
void rise_push_expert_action(const rise_push_settings *s, const rise_push_pose *target, double px,
                             double py, double bx, double by, double byaw, float *a);

#ifdef RISE_WITH_MUJOCO
/* A fresh copy of the push model (pusher, block, the goal marker and the RISE_PUSH_CAMERA
 * camera), for the camera view. */
rise_status rise_push_model_load(struct mjModel_ **out);
/* The simulator positions an observation row determines (push_view.c), qpos [5]: pusher x,
 * y = pusher_pos, block x, y = block_pose's, block yaw = atan2(sin, cos) of block_pose
 * (goal_rel follows from these). What the camera view renders. */
void rise_push_qpos_of_obs(const float *obs, double *qpos);
#endif

/* Policies (push_expert.c) and generators (push_gen.c). */
rise_status rise_push_policy_expert(const rise_env *env, uint64_t seed, rise_policy **out);
rise_status rise_push_gen_episode(rise_env *e, rise_gen_kind kind, const rise_gen_opts *o,
                                  uint64_t seed, uint64_t key, rise_episode_buf *b);

#ifdef __cplusplus
}
#endif
#endif
