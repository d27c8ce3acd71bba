/* env.h - the task interface every simulated task implements (maze now,
 * the MuJoCo tasks later).
 *
 * A task is created from its name and a settings JSON object ("{}" = the
 * defaults). It describes itself in a rise_env_info: named observation keys
 * (as they appear under obs/ in a robomimic HDF5 file), action dimension
 * (actions live in [-1,1]), simulator state size, horizon, perturbation
 * dimension and the initial-condition space (a box of initial conditions,
 * its expert sub-box and its two main axes, which the coverage evaluator
 * grids).
 *
 *   rise_env *e;
 *   RISE_TRY(rise_env_create("maze", "{\"horizon\": 400}", &e));
 *   RISE_TRY(rise_env_reset(e, seed, ic, obs));        ic NULL: sample the expert box
 *   RISE_TRY(rise_env_step(e, action, obs, &step));    step.success, step.done
 *   char *args = rise_env_args(e);                     JSON for data.attrs["env_args"]
 *
 * The wrappers here check what a task must not see: unknown tasks or
 * settings, initial conditions outside the space, NaN or out-of-range
 * actions, stepping a finished episode. A non-finite state after a step (a
 * simulator instability) ends the episode as a failure with a warning. */
#ifndef RISE_ENVS_ENV_H
#define RISE_ENVS_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "host/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_ENV_NAME_MAX 32
#define RISE_ENV_MAX_KEYS 8
#define RISE_ENV_MAX_IC   8

/* One observation key: obs[offset .. offset + dim - 1] of the flat vector. */
typedef struct {
    char name[RISE_ENV_NAME_MAX];
    int dim;
    int offset;
} rise_env_key;

/* The initial-condition space. Every reset's initial condition must lie in
 * the evaluation box [eval_lo, eval_hi]; the expert's demonstrations start
 * in the sub-box [expert_lo, expert_hi]. axis[0], axis[1] index the two
 * main axes (x and y of the coverage map). */
typedef struct {
    int dim;
    char names[RISE_ENV_MAX_IC][RISE_ENV_NAME_MAX];
    double eval_lo[RISE_ENV_MAX_IC], eval_hi[RISE_ENV_MAX_IC];
    double expert_lo[RISE_ENV_MAX_IC], expert_hi[RISE_ENV_MAX_IC];
    int axis[2];
} rise_env_ic_space;

typedef struct {
    char task[RISE_ENV_NAME_MAX];
    int n_keys;
    rise_env_key keys[RISE_ENV_MAX_KEYS];
    int obs_dim;     /* sum of key dims */
    int act_dim;     /* actions in [-1,1]^act_dim */
    int state_dim;   /* simulator state (data/demo_n/states), doubles */
    int perturb_dim; /* length of a perturbation displacement (<= RISE_ENV_MAX_IC) */
    int horizon;     /* steps before an episode is cut off */
    rise_env_ic_space ic;
} rise_env_info;

typedef struct {
    float reward;
    uint8_t success; /* the task is solved at this step */
    uint8_t done;    /* success, horizon reached or failure */
    uint8_t failed;  /* simulator instability: ended as a failure */
} rise_env_step_info;

/* Shapes a task can draw on a coverage map, in the main axes' coordinates. */
typedef enum { RISE_ENV_SHAPE_WALL = 0, RISE_ENV_SHAPE_GOAL = 1 } rise_env_shape_kind;
typedef struct {
    rise_env_shape_kind kind;
    double x0, y0, x1, y1; /* bounding box; a goal is drawn as the inscribed ellipse */
} rise_env_shape;

typedef struct rise_env rise_env;

/* What a task implements. The wrappers below validate before calling. */
typedef struct {
    /* ic is never NULL here and already lies in the evaluation box. */
    rise_status (*reset)(rise_env *e, uint64_t seed, const double *ic, float *obs);
    /* action already checked finite and in [-1,1]; fills reward and success. */
    rise_status (*step)(rise_env *e, const float *action, float *obs, rise_env_step_info *out);
    /* Displaces the agent or the object by delta[perturb_dim], never through walls. */
    rise_status (*perturb)(rise_env *e, const double *delta, float *obs);
    /* 1 when a reset may start at ic (inside the box already); else 0 with a reason. */
    int (*ic_valid)(const rise_env *e, const double *ic, char *why, size_t why_size);
    void (*get_state)(const rise_env *e, double *state);
    rise_status (*set_state)(rise_env *e, const double *state, float *obs);
    /* Optional (NULL): up to max shapes to draw on a coverage map; returns the count. */
    int (*shapes)(const rise_env *e, rise_env_shape *out, int max);
    void (*destroy)(rise_env *e);
} rise_env_ops;

struct rise_env {
    const rise_env_ops *ops;
    rise_env_info info;
    char *settings_json; /* resolved settings, every field (owned) */
    int t;               /* steps since the last reset */
    int started;         /* reset has been called */
    int done;            /* the episode has ended; step refuses to continue */
    int success;         /* the episode has succeeded */
    void *impl;          /* the task's own state */
};

/* ---- creation ---- */

/* settings_json NULL or "" means "{}". Unknown task or setting, wrong type
 * or out-of-range value: RISE_ERR_INVALID naming it and the valid choices. */
rise_status rise_env_create(const char *task, const char *settings_json, rise_env **out);
/* Rebuilds the env a dataset was made with, from its env_args JSON. */
rise_status rise_env_create_from_args(const char *env_args, rise_env **out);
void rise_env_destroy(rise_env *e);

/* Built-in task names, NULL-terminated. */
const char *const *rise_env_task_names(void);
/* Prints a task's settings (name, type, default, range, meaning). */
rise_status rise_env_describe_settings(const char *task, void *file /* FILE* */);

/* ---- episodes ---- */

rise_status rise_env_reset(rise_env *e, uint64_t seed, const double *ic, float *obs);
rise_status rise_env_step(rise_env *e, const float *action, float *obs, rise_env_step_info *out);
rise_status rise_env_perturb(rise_env *e, const double *delta, float *obs);
void rise_env_get_state(const rise_env *e, double *state);
rise_status rise_env_set_state(rise_env *e, const double *state, float *obs);

/* 1 when ic lies in the evaluation box and the task accepts it. */
int rise_env_ic_ok(const rise_env *e, const double *ic, char *why, size_t why_size);
/* A valid initial condition uniform in box [lo, hi] (the whole evaluation
 * box when lo/hi NULL), by rejection; draws from Philox (seed, stream,
 * key). RISE_ERR_INVALID when no valid point turns up in max_tries. */
rise_status rise_env_sample_ic(const rise_env *e, const double *lo, const double *hi, uint64_t seed,
                               uint32_t stream, uint64_t key, int max_tries, double *ic);
/* Same, in the expert sub-box. */
rise_status rise_env_sample_expert_ic(const rise_env *e, uint64_t seed, uint64_t key, double *ic);
/* 1 when ic lies in the expert sub-box. */
int rise_env_ic_in_expert(const rise_env *e, const double *ic);

/* Index of an observation key by name, or -1. */
int rise_env_find_key(const rise_env_info *info, const char *name);

/* ---- env_args ----
 * {"env_name": task, "type": "rise", "env_version": 1, "env_kwargs": {settings}}
 * (robomimic's env_meta layout; "type" is a string so robomimic's own
 * loaders do not mistake it for one of theirs). Returns malloc'd text, or
 * NULL when out of memory. */
char *rise_env_args(const rise_env *e);
/* RISE_OK when env_args describes this env (same task, same settings);
 * otherwise RISE_ERR_FORMAT naming the first field that differs, its value
 * in env_args and the env's value. */
rise_status rise_env_check_args(const rise_env *e, const char *env_args);

/* ---- Philox streams used by envs/ (one place, so draws never collide) ---- */
enum {
    RISE_STREAM_ENV_IC = 0x456e0001u,      /* initial conditions */
    RISE_STREAM_ENV_PERTURB = 0x456e0002u, /* perturbation directions */
    RISE_STREAM_ENV_POLICY = 0x456e0003u,  /* random / noisy policies */
    RISE_STREAM_ENV_GEN = 0x456e0004u,     /* data generators' choices */
    RISE_STREAM_ENV_EVAL = 0x456e0005u,    /* evaluator jitter */
};
/* Episode `key` owns Philox blocks [key << 24, (key + 1) << 24) of a stream. */
#define RISE_ENV_KEY_BLOCKS(key) ((uint64_t)(key) << 24)

#ifdef __cplusplus
}
#endif
#endif
