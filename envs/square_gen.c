/* square_gen.c - the data generators of square and square-hook (kinds in
 * gen.h); both tasks share them, only the goal differs:
 *  expert      the pick-and-place controller to the goal from the expert box
 *  play        from anywhere in the evaluation box: a sequence of random
 *              intents, each dropped after INTENT_STEPS steps: carry the
 *              nut to a random spot on the table (at a random height, the
 *              spots reaching past the evaluation box to beside the peg
 *              and the hook) and put it down, or move the gripper to a
 *              random point with a random open / close command (which may
 *              grab the nut and drag it along); correlated action noise.
 *              Each step is first tried on a copy of the simulation, and
 *              the episode stops before a step that would meet either goal
 *              (peg or hook), so one play set serves both tasks
 *  partial     the expert for a random fraction of the steps it needs
 *              (measured on a copy first), so it stops short of the goal
 *  suboptimal  from outside the expert box: the controller first puts the
 *              nut down at a random detour spot near its start (for at
 *              most DETOUR_STEPS steps), then takes it to the goal, with
 *              mild correlated action noise
 *  noisy       the expert with heavy correlated action noise (on all four
 *              action components, so it also drops the nut)
 * Everything runs on the observation (floats), exactly as the policy does. */
#include <math.h>
#include <string.h>

#include "env_impl.h"
#include "kernels/philox.h"
#include "square.h"

#ifdef RISE_WITH_MUJOCO

#define NOISE_RHO    0.95
#define NOISE_INNOV  0.31224989991991997 /* sqrt(1 - rho^2) */
#define INTENT_STEPS 80    /* play: an intent not done in this many steps is dropped */
#define PLACE_TOL    0.012 /* a put-down counts as done this close (x, y) */
#define POINT_TOL    0.01  /* a gripper waypoint counts as reached this close */
#define CARRY_MIN    0.04  /* play: nut bottom height while carrying, from ... */
#define CARRY_MAX    0.2   /* ... to this */
#define PLAY_X_MAX   0.3   /* play put-downs reach this far in x (beside the peg) */
#define DETOUR_DIST  0.1   /* suboptimal: detour spot this far from the start, at most */
#define DETOUR_STEPS 60    /* suboptimal: detour abandoned after this many steps */

static double gen_u(uint64_t seed, uint64_t k, uint64_t i) {
    return rise_rng_uniform(seed, RISE_STREAM_ENV_GEN, RISE_ENV_KEY_BLOCKS(k), i);
}

static void add_noise(float *a, double *state, double sigma, uint64_t seed, uint64_t k, int t) {
    if (sigma <= 0.0) return;
    for (int j = 0; j < RISE_SQUARE_ACT_DIM; ++j) {
        const double n = rise_rng_normal(seed, RISE_STREAM_ENV_POLICY, RISE_ENV_KEY_BLOCKS(k),
                                         (uint64_t)t * RISE_SQUARE_ACT_DIM + (uint64_t)j);
        state[j] = t == 0 ? n : NOISE_RHO * state[j] + NOISE_INNOV * n;
        const double v = a[j] + sigma * state[j];
        a[j] = (float)(v > 1.0 ? 1.0 : v < -1.0 ? -1.0 : v);
    }
}

/* What the controller is doing: putting the nut down at `place`, or moving
 * the gripper to (gx, gy, gz) with gripper command grip. */
typedef struct {
    int waypoint;
    rise_square_place place;
    double gx, gy, gz;
    float grip;
} intent;

static void intent_act(const rise_square_settings *s, const intent *in, const float *obs,
                       float *a) {
    if (in->waypoint)
        rise_square_move_action(s, obs + RISE_SQUARE_OBS_EEF, in->gx, in->gy, in->gz, in->grip, a);
    else
        rise_square_expert_action(s, &in->place, obs, a);
}

static int intent_done(const intent *in, const float *obs) {
    if (in->waypoint) {
        const float *e = obs + RISE_SQUARE_OBS_EEF;
        return fabs(e[0] - in->gx) < POINT_TOL && fabs(e[1] - in->gy) < POINT_TOL &&
               fabs(e[2] - in->gz) < POINT_TOL;
    }
    return rise_square_placed(&in->place, obs, PLACE_TOL) && obs[RISE_SQUARE_OBS_WIDTH] > 0.03f;
}

/* A spot on the table where the nut could lie: inside [lo, hi] (x, y),
 * clear of the peg, the hook and the gripper's start (the task's own
 * initial-condition check, the evaluation box aside). */
static int spot(const rise_env *e, const double *lo, const double *hi, uint64_t seed, uint64_t k,
                uint64_t *draw, rise_square_place *p) {
    for (int tries = 0; tries < 64; ++tries) {
        const double ic[2] = {lo[0] + gen_u(seed, k, (*draw)++) * (hi[0] - lo[0]),
                              lo[1] + gen_u(seed, k, (*draw)++) * (hi[1] - lo[1])};
        if (!e->ops->ic_valid(e, ic, NULL, 0)) continue;
        p->x = ic[0];
        p->y = ic[1];
        p->z = RISE_SQUARE_NUT_HALF_H;
        p->carry = CARRY_MIN + gen_u(seed, k, (*draw)++) * (CARRY_MAX - CARRY_MIN);
        return 1;
    }
    return 0;
}

/* Play's next intent: 70% put the nut down somewhere, 30% a gripper waypoint. */
static intent random_intent(const rise_env *e, uint64_t seed, uint64_t k, uint64_t *draw) {
    intent in;
    memset(&in, 0, sizeof in);
    const rise_env_ic_space *s = &e->info.ic;
    const double lo[2] = {s->eval_lo[0], s->eval_lo[1]}, hi[2] = {PLAY_X_MAX, s->eval_hi[1]};
    if (gen_u(seed, k, (*draw)++) < 0.7 && spot(e, lo, hi, seed, k, draw, &in.place)) return in;
    in.waypoint = 1;
    in.gx = -0.25 + 0.55 * gen_u(seed, k, (*draw)++);
    in.gy = -0.25 + 0.5 * gen_u(seed, k, (*draw)++);
    in.gz = 0.005 + 0.2 * gen_u(seed, k, (*draw)++);
    in.grip = gen_u(seed, k, (*draw)++) < 0.5 ? -1.0f : 1.0f;
    return in;
}

/* Steps the expert needs from e's current state, on a copy (max_steps if
 * it never gets there). */
static int expert_steps_to_goal(rise_env *e, const rise_square_settings *s,
                                const rise_square_place *goal, int max_steps, rise_square_sim *sim,
                                const float *obs) {
    float o[RISE_SQUARE_OBS_DIM], a[RISE_SQUARE_ACT_DIM];
    memcpy(o, obs, sizeof o);
    rise_square_sim_copy(sim, e);
    for (int t = 1; t <= max_steps; ++t) {
        rise_square_expert_action(s, goal, o, a);
        const int r = rise_square_sim_step(sim, a, o);
        if (r == 1) return t;
        if (r < 0) break;
    }
    return max_steps;
}

rise_status rise_square_gen_episode(rise_env *e, rise_gen_kind kind, const rise_gen_opts *o,
                                    uint64_t seed, uint64_t key, rise_episode_buf *b) {
    rise_square_settings s;
    RISE_TRY(rise_square_settings_of(e, &s));
    const uint64_t k = key * RISE_GEN_KIND_COUNT + (uint64_t)kind;
    const rise_square_place goal = rise_square_goal_place(rise_square_goal_of(e));
    double ic[RISE_ENV_MAX_IC] = {0.0};
    float obs[RISE_SQUARE_OBS_DIM], a[RISE_SQUARE_ACT_DIM];
    RISE_TRY(rise_gen_start_ic(e, kind, seed, k, ic));
    memcpy(b->ic, ic, sizeof ic);
    RISE_TRY(rise_env_reset(e, seed, ic, obs));

    rise_square_sim *sim = NULL;
    if (kind == RISE_GEN_PLAY || kind == RISE_GEN_PARTIAL)
        RISE_TRY(rise_square_sim_create(e, &sim));
    int cut = e->info.horizon, since = 0, detour = 0;
    uint64_t draws = 1;
    intent in;
    memset(&in, 0, sizeof in);
    in.place = goal;
    if (kind == RISE_GEN_PARTIAL) {
        const double u = o->partial_min + (o->partial_max - o->partial_min) * gen_u(seed, k, 0);
        cut = (int)(u * expert_steps_to_goal(e, &s, &goal, e->info.horizon, sim, obs));
        if (cut < 1) cut = 1;
    } else if (kind == RISE_GEN_PLAY) {
        in = random_intent(e, seed, k, &draws);
        detour = 1;
    } else if (kind == RISE_GEN_SUBOPTIMAL) {
        /* a detour spot near the start: up to DETOUR_DIST away in x and y */
        const rise_env_ic_space *sp = &e->info.ic;
        double lo[2], hi[2];
        for (int d = 0; d < 2; ++d) {
            lo[d] = fmax(sp->eval_lo[d], ic[d] - DETOUR_DIST);
            hi[d] = fmin(sp->eval_hi[d], ic[d] + DETOUR_DIST);
        }
        detour = spot(e, lo, hi, seed, k, &draws, &in.place);
        if (!detour) in.place = goal;
    }

    double noise[RISE_SQUARE_ACT_DIM] = {0.0};
    rise_env_step_info si = {0};
    rise_status st = RISE_OK;
    while (st == RISE_OK && !e->done && e->t < cut) {
        if (detour && (intent_done(&in, obs) ||
                       since >= (kind == RISE_GEN_PLAY ? INTENT_STEPS : DETOUR_STEPS))) {
            since = 0;
            if (kind == RISE_GEN_PLAY) {
                in = random_intent(e, seed, k, &draws);
            } else {
                memset(&in, 0, sizeof in);
                in.place = goal;
                detour = 0;
            }
        }
        intent_act(&s, &in, obs, a);
        ++since;
        if (kind == RISE_GEN_NOISY) add_noise(a, noise, o->noisy_noise, seed, k, e->t);
        if (kind == RISE_GEN_PLAY) add_noise(a, noise, o->play_noise, seed, k, e->t);
        if (kind == RISE_GEN_SUBOPTIMAL) add_noise(a, noise, o->suboptimal_noise, seed, k, e->t);
        if (kind == RISE_GEN_PLAY && rise_square_sim_try(sim, e, a)) break; /* would succeed */
        st = rise_gen_record_step(e, b, obs, a, &si);
        if (st == RISE_OK && si.success && (kind == RISE_GEN_PLAY || kind == RISE_GEN_PARTIAL))
            st = rise_error(RISE_ERR_INVALID, "%s %s episode succeeded (generator bug)",
                            e->info.task, rise_gen_kind_name(kind));
    }
    rise_square_sim_destroy(sim);
    return st;
}

#else
typedef int rise_square_gen_unused; /* ISO C: a translation unit is not empty */
#endif /* RISE_WITH_MUJOCO */
