/* maze_gen.c - the maze's data generators (kinds defined in gen.h):
 *  expert      route pursuit from the expert box
 *  play        the navigator wandering between random cells (never the
 *              goal cell) from anywhere, with action noise; each step is
 *              first tried on a copy of the maze and the episode stops
 *              before a step that would enter the goal
 *  partial     the expert for a random fraction of the steps it needs
 *              (measured on a copy first), so it stops short of the goal
 *  suboptimal  from outside the expert box: via a random detour cell (at
 *              most DETOUR_EXTRA cells longer than the shortest way), then
 *              to the goal, with mild action noise
 *  noisy       the expert with heavy action noise */
#include <math.h>
#include <string.h>

#include "gen.h"
#include "kernels/philox.h"
#include "maze_nav.h"

#define REACHED      0.15 /* a target cell counts as reached this close to its centre */
#define DETOUR_EXTRA 6
#define NOISE_RHO    0.95
#define NOISE_INNOV  0.31224989991991997 /* sqrt(1 - rho^2) */

static double gen_u(uint64_t seed, uint64_t k, uint64_t i) {
    return rise_rng_uniform(seed, RISE_STREAM_ENV_GEN, RISE_ENV_KEY_BLOCKS(k), i);
}

/* Temporally correlated (AR(1)) action noise with stationary std sigma:
 * white noise would average out over a few steps of the point mass, while
 * noise that persists for about a second makes real mistakes. */
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

static int current_cell(const rise_maze *m) {
    int i, j;
    rise_maze_cell_of(m->px, m->py, &i, &j);
    return rise_maze_cell_index(i, j);
}

static int near_center(const rise_maze *m, int cell) {
    const double dx = m->px - rise_maze_cell_center(cell % RISE_MAZE_N);
    const double dy = m->py - rise_maze_cell_center(cell / RISE_MAZE_N);
    return current_cell(m) == cell && dx * dx + dy * dy < REACHED * REACHED;
}

/* A uniform choice among n candidates from draw i. */
static int pick(const int *cand, int n, uint64_t seed, uint64_t k, uint64_t i) {
    int c = (int)(gen_u(seed, k, i) * n);
    return cand[c < n ? c : n - 1];
}

static int play_target(int from, int goal, uint64_t seed, uint64_t k, uint64_t i) {
    int cand[RISE_MAZE_CELLS], n = 0;
    for (int c = 0; c < RISE_MAZE_CELLS; ++c)
        if (c != goal && c != from) cand[n++] = c;
    return pick(cand, n, seed, k, i);
}

static int detour_target(const rise_maze_graph *g, int from, int goal, uint64_t seed, uint64_t k) {
    int cand[RISE_MAZE_CELLS], n = 0;
    for (int c = 0; c < RISE_MAZE_CELLS; ++c)
        if (c != goal && c != from && g->dist[from][c] >= 0 &&
            g->dist[from][c] + g->dist[c][goal] <= g->dist[from][goal] + DETOUR_EXTRA)
            cand[n++] = c;
    return n ? pick(cand, n, seed, k, 0) : goal;
}

/* Steps the expert needs from the current state (the horizon if it never gets there). */
static int expert_steps_to_goal(const rise_maze *m, int horizon) {
    rise_maze tmp = *m;
    for (int t = 1; t <= horizon; ++t) {
        float a[2];
        rise_maze_expert_action(&tmp.s, tmp.px, tmp.py, tmp.vx, tmp.vy, a);
        if (rise_maze_advance(&tmp, a[0], a[1])) return t;
    }
    return horizon;
}

rise_status rise_maze_gen_episode(rise_env *e, rise_gen_kind kind, const rise_gen_opts *o,
                                  uint64_t seed, uint64_t key, rise_episode_buf *b) {
    rise_maze *m = rise_maze_of(e);
    /* Different kinds draw from disjoint keys. */
    const uint64_t k = key * RISE_GEN_KIND_COUNT + (uint64_t)kind;
    const int goal = rise_maze_cell_index(RISE_MAZE_N - 1, RISE_MAZE_N - 1);
    double ic[RISE_ENV_MAX_IC];
    float obs[16], a[2];
    RISE_TRY(rise_gen_start_ic(e, kind, seed, k, ic));
    memcpy(b->ic, ic, sizeof ic);
    RISE_TRY(rise_env_reset(e, seed, ic, obs));

    rise_maze_graph g;
    if (kind == RISE_GEN_PLAY || kind == RISE_GEN_SUBOPTIMAL) rise_maze_graph_build(m, &g);
    int cut = e->info.horizon, target = goal, detour = 0;
    uint64_t draws = 1;
    if (kind == RISE_GEN_PARTIAL) {
        const double u = o->partial_min + (o->partial_max - o->partial_min) * gen_u(seed, k, 0);
        cut = (int)(u * expert_steps_to_goal(m, e->info.horizon));
        if (cut < 1) cut = 1;
    } else if (kind == RISE_GEN_PLAY) {
        target = play_target(current_cell(m), goal, seed, k, draws++);
    } else if (kind == RISE_GEN_SUBOPTIMAL) {
        target = detour_target(&g, current_cell(m), goal, seed, k);
        detour = target != goal;
    }

    double noise[2] = {0.0, 0.0};
    rise_env_step_info si = {0};
    while (!e->done && e->t < cut) {
        switch (kind) {
        case RISE_GEN_EXPERT:
        case RISE_GEN_PARTIAL: rise_maze_expert_action(&m->s, m->px, m->py, m->vx, m->vy, a); break;
        case RISE_GEN_NOISY:
            rise_maze_expert_action(&m->s, m->px, m->py, m->vx, m->vy, a);
            add_noise(a, noise, o->noisy_noise, seed, k, e->t);
            break;
        case RISE_GEN_PLAY:
            while (near_center(m, target)) target = play_target(target, goal, seed, k, draws++);
            rise_maze_nav_action(&m->s, &g, m->px, m->py, m->vx, m->vy, target, a);
            add_noise(a, noise, o->play_noise, seed, k, e->t);
            {
                rise_maze tmp = *m;
                if (rise_maze_advance(&tmp, a[0], a[1])) return RISE_OK; /* would succeed: stop */
            }
            break;
        case RISE_GEN_SUBOPTIMAL:
            if (detour && near_center(m, target)) {
                target = goal;
                detour = 0;
            }
            rise_maze_nav_action(&m->s, &g, m->px, m->py, m->vx, m->vy, target, a);
            add_noise(a, noise, o->suboptimal_noise, seed, k, e->t);
            break;
        default: return rise_error(RISE_ERR_INVALID, "maze: unknown generator kind %d", (int)kind);
        }
        RISE_TRY(rise_gen_record_step(e, b, obs, a, &si));
        if (si.success && (kind == RISE_GEN_PLAY || kind == RISE_GEN_PARTIAL))
            return rise_error(RISE_ERR_INVALID, "maze %s episode succeeded (generator bug)",
                              rise_gen_kind_name(kind));
    }
    return RISE_OK;
}
