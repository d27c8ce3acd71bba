/* push_gen.c - the push task's data generators (kinds defined in gen.h):
 *  expert      the pushing controller to the goal from the expert box
 *  play        from anywhere in the evaluation box: the controller pushing
 *              the block to a sequence of random target poses (never near
 *              the goal), with correlated action noise; each step is first
 *              tried on a copy of the simulation and the episode stops
 *              before a step that would succeed
 *  partial     the expert for a random fraction of the steps it needs
 *              (measured on a copy first), so it stops short of the goal
 *  suboptimal  from outside the expert box: the controller first pushes
 *              the block toward a random detour pose near the start (for at
 *              most DETOUR_STEPS steps), then to the goal, with mild
 *              correlated action noise
 *  noisy       the expert with heavy correlated action noise
 * Everything runs on the observation (floats), exactly as the policy does. */
#include <math.h>
#include <string.h>

#include "env_impl.h"
#include "kernels/philox.h"
#include "push.h"

#ifdef RISE_WITH_MUJOCO

#define NOISE_RHO     0.95
#define NOISE_INNOV   0.31224989991991997 /* sqrt(1 - rho^2) */
#define TARGET_STEPS  100                 /* a target not reached in this many steps is dropped */
#define TARGET_POS    0.03                /* a target counts as reached this close ... */
#define TARGET_DEG    15.0                /* ... and within this angle */
#define TARGET_MARGIN 0.08                /* play targets stay this far from the goal */
#define DETOUR_DIST   0.1                 /* suboptimal: detour pose at most this far ... */
#define DETOUR_YAW    0.4                 /* ... and this much yaw (rad) from the start */
#define DETOUR_STEPS  60                  /* suboptimal: detour abandoned after this many steps */

static double gen_u(uint64_t seed, uint64_t k, uint64_t i) {
    return rise_rng_uniform(seed, RISE_STREAM_ENV_GEN, RISE_ENV_KEY_BLOCKS(k), i);
}

static void add_noise(float *a, double *state, double sigma, uint64_t seed, uint64_t k, int t) {
    if (sigma <= 0.0) return;
    for (int j = 0; j < 2; ++j) {
        const double n = rise_rng_normal(seed, RISE_STREAM_ENV_POLICY, RISE_ENV_KEY_BLOCKS(k),
                                         (uint64_t)t * 2u + (uint64_t)j);
        state[j] = t == 0 ? n : NOISE_RHO * state[j] + NOISE_INNOV * n;
        const double v = a[j] + sigma * state[j];
        a[j] = (float)(v > 1.0 ? 1.0 : v < -1.0 ? -1.0 : v);
    }
}

static void obs_act(const rise_push_settings *s, const rise_push_pose *target, const float *o,
                    float *a) {
    rise_push_expert_action(s, target, o[0], o[1], o[2], o[3], atan2(o[5], o[4]), a);
}

static int reached(const rise_push_pose *target, const float *o) {
    const double dx = o[2] - target->x, dy = o[3] - target->y;
    const double da = fabs(rise_push_wrap_quarter(atan2(o[5], o[4]) - target->yaw));
    return dx * dx + dy * dy < TARGET_POS * TARGET_POS && da * 180.0 / RISE_PUSH_PI < TARGET_DEG;
}

/* A random target pose in the evaluation box, at least TARGET_MARGIN from the goal. */
static rise_push_pose random_target(const rise_env *e, uint64_t seed, uint64_t k, uint64_t *draw) {
    const rise_env_ic_space *s = &e->info.ic;
    rise_push_pose p = {0.2, 0.2, 0.0};
    for (int tries = 0; tries < 64; ++tries) {
        p.x = s->eval_lo[0] + gen_u(seed, k, (*draw)++) * (s->eval_hi[0] - s->eval_lo[0]);
        p.y = s->eval_lo[1] + gen_u(seed, k, (*draw)++) * (s->eval_hi[1] - s->eval_lo[1]);
        p.yaw = s->eval_lo[2] + gen_u(seed, k, (*draw)++) * (s->eval_hi[2] - s->eval_lo[2]);
        if (hypot(p.x, p.y) > TARGET_MARGIN) break;
    }
    return p;
}

static rise_status push_settings_of(const rise_env *e, rise_push_settings *s) {
    const rise_env_task *t = rise_env_find_task("push");
    if (!t) return rise_error(RISE_ERR_INVALID, "push task not registered");
    return rise_env_settings_parse(t, e->settings_json, "push settings", s);
}

/* Steps the expert needs from e's current state, on a copy (max_steps if
 * it never gets there). */
static int expert_steps_to_goal(rise_env *e, const rise_push_settings *s, int max_steps,
                                rise_push_sim *sim, const float *obs) {
    float o[RISE_PUSH_OBS_DIM], a[2];
    const rise_push_pose goal = {0.0, 0.0, 0.0};
    memcpy(o, obs, sizeof o);
    rise_push_sim_copy(sim, e);
    for (int t = 1; t <= max_steps; ++t) {
        obs_act(s, &goal, o, a);
        const int r = rise_push_sim_step(sim, a, o);
        if (r == 1) return t;
        if (r < 0) break;
    }
    return max_steps;
}

rise_status rise_push_gen_episode(rise_env *e, rise_gen_kind kind, const rise_gen_opts *o,
                                  uint64_t seed, uint64_t key, rise_episode_buf *b) {
    rise_push_settings s;
    RISE_TRY(push_settings_of(e, &s));
    const uint64_t k = key * RISE_GEN_KIND_COUNT + (uint64_t)kind;
    const rise_push_pose goal = {0.0, 0.0, 0.0};
    double ic[RISE_ENV_MAX_IC];
    float obs[RISE_PUSH_OBS_DIM], a[2];
    RISE_TRY(rise_gen_start_ic(e, kind, seed, k, ic));
    memcpy(b->ic, ic, sizeof ic);
    RISE_TRY(rise_env_reset(e, seed, ic, obs));

    rise_push_sim *sim = NULL;
    if (kind == RISE_GEN_PLAY || kind == RISE_GEN_PARTIAL) RISE_TRY(rise_push_sim_create(e, &sim));
    int cut = e->info.horizon, since = 0, detour = 0;
    uint64_t draws = 1;
    rise_push_pose target = goal;
    if (kind == RISE_GEN_PARTIAL) {
        const double u = o->partial_min + (o->partial_max - o->partial_min) * gen_u(seed, k, 0);
        cut = (int)(u * expert_steps_to_goal(e, &s, e->info.horizon, sim, obs));
        if (cut < 1) cut = 1;
    } else if (kind == RISE_GEN_PLAY) {
        target = random_target(e, seed, k, &draws);
        detour = 1;
    } else if (kind == RISE_GEN_SUBOPTIMAL) {
        /* a detour pose near the start: up to DETOUR_DIST away, yaw +-DETOUR_YAW */
        const double ang = 2.0 * RISE_PUSH_PI * gen_u(seed, k, draws++);
        const double r = DETOUR_DIST * (0.5 + 0.5 * gen_u(seed, k, draws++));
        target.x = fmax(-0.3, fmin(0.3, ic[0] + r * cos(ang)));
        target.y = fmax(-0.3, fmin(0.3, ic[1] + r * sin(ang)));
        target.yaw = ic[2] + DETOUR_YAW * (2.0 * gen_u(seed, k, draws++) - 1.0);
        detour = 1;
    }

    double noise[2] = {0.0, 0.0};
    rise_env_step_info si = {0};
    rise_status st = RISE_OK;
    while (st == RISE_OK && !e->done && e->t < cut) {
        if (detour && (reached(&target, obs) ||
                       since >= (kind == RISE_GEN_PLAY ? TARGET_STEPS : DETOUR_STEPS))) {
            since = 0;
            if (kind == RISE_GEN_PLAY) {
                target = random_target(e, seed, k, &draws);
            } else {
                target = goal;
                detour = 0;
            }
        }
        obs_act(&s, &target, obs, a);
        ++since;
        if (kind == RISE_GEN_NOISY) add_noise(a, noise, o->noisy_noise, seed, k, e->t);
        if (kind == RISE_GEN_PLAY) add_noise(a, noise, o->play_noise, seed, k, e->t);
        if (kind == RISE_GEN_SUBOPTIMAL) add_noise(a, noise, o->suboptimal_noise, seed, k, e->t);
        if (kind == RISE_GEN_PLAY && rise_push_sim_try(sim, e, a)) break; /* would succeed: stop */
        st = rise_gen_record_step(e, b, obs, a, &si);
        if (st == RISE_OK && si.success && (kind == RISE_GEN_PLAY || kind == RISE_GEN_PARTIAL))
            st = rise_error(RISE_ERR_INVALID, "push %s episode succeeded (generator bug)",
                            rise_gen_kind_name(kind));
    }
    rise_push_sim_destroy(sim);
    return st;
}

#else
typedef int rise_push_gen_unused; /* ISO C: a translation unit is not empty */
#endif /* RISE_WITH_MUJOCO */
