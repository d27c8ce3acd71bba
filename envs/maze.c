/* maze.c - task "maze": layout, dynamics with swept collision, and the
 * rise_env vtable (see maze.h for the model). */
#include "maze.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env_impl.h"

/* Walls on cell boundaries: {x, y0, y1} vertical, {y, x0, x1} horizontal. */
static const double maze_vertical[][3] = {
    {-0.6, -1.0, -0.6}, /* bottom-left cell closed to the right */
    {-0.6, -0.2, 0.6},  /* left column closed from the interior, rows 2-3 */
    {0.2, -0.2, 0.6},   /* splits the interior, rows 2-3 */
    {0.6, -0.2, 0.6},   /* right pocket, rows 2-3 */
};
static const double maze_horizontal[][3] = {
    {0.6, -0.6, -0.2}, /* top corridor closed above cell (1,3) */
    {0.6, 0.2, 1.0},   /* ... and above cells (3,3), (4,3) */
    {-0.6, -0.6, 0.6}, /* bottom corridor closed above, cols 1-3 */
    {0.2, -0.6, -0.2}, /* cell (1,2) closed above */
};
#define N_VERTICAL   (int)(sizeof maze_vertical / sizeof maze_vertical[0])
#define N_HORIZONTAL (int)(sizeof maze_horizontal / sizeof maze_horizontal[0])

const double rise_maze_route[RISE_MAZE_ROUTE_POINTS][2] = {
    {-0.8, -0.95}, {-0.8, 0.8}, {RISE_MAZE_GOAL_X, RISE_MAZE_GOAL_Y}};

int rise_maze_walls(rise_maze_box *out, int max) {
    const double h = 0.5 * RISE_MAZE_WALL;
    int n = 0;
    /* Each wall is extended by h at its ends so that walls meeting at a
     * corner overlap and leave no gap. */
    for (int i = 0; i < N_VERTICAL; ++i) {
        if (n == max) return n;
        const double *w = maze_vertical[i];
        out[n++] = (rise_maze_box){w[0] - h, fmax(-1.0, w[1] - h), w[0] + h, fmin(1.0, w[2] + h)};
    }
    for (int i = 0; i < N_HORIZONTAL; ++i) {
        if (n == max) return n;
        const double *w = maze_horizontal[i];
        out[n++] = (rise_maze_box){fmax(-1.0, w[1] - h), w[0] - h, fmin(1.0, w[2] + h), w[0] + h};
    }
    return n;
}

static void maze_build(rise_maze *m) {
    const double r = m->s.agent_radius;
    rise_maze_box raw[RISE_MAZE_MAX_BOXES];
    const int n = rise_maze_walls(raw, RISE_MAZE_MAX_BOXES - 4);
    for (int i = 0; i < n; ++i)
        m->boxes[i] = (rise_maze_box){raw[i].x0 - r, raw[i].y0 - r, raw[i].x1 + r, raw[i].y1 + r};
    /* The arena's outer walls, thick so nothing can leave. */
    const double a = 1.0 - r, f = 2.0;
    m->boxes[n + 0] = (rise_maze_box){-f, -f, -a, f};
    m->boxes[n + 1] = (rise_maze_box){a, -f, f, f};
    m->boxes[n + 2] = (rise_maze_box){-f, -f, f, -a};
    m->boxes[n + 3] = (rise_maze_box){-f, a, f, f};
    m->n_boxes = n + 4;
    m->gx = RISE_MAZE_GOAL_X;
    m->gy = RISE_MAZE_GOAL_Y;
}

/* ---- geometry ---- */

/* Earliest t in [0, 1) at which p + t d enters the open box grown by g.
 * Divisions (not reciprocals) keep t exactly 1 when the segment ends on a
 * face, so a motion that stops at a wall is not seen as entering it. */
static int seg_box(const rise_maze_box *b, double g, double px, double py, double dx, double dy,
                   double *t_hit, int *axis, double *face) {
    const double lo[2] = {b->x0 - g, b->y0 - g}, hi[2] = {b->x1 + g, b->y1 + g};
    const double p[2] = {px, py}, d[2] = {dx, dy};
    double tin = -INFINITY, tout = INFINITY, f = 0.0;
    int ax = -1;
    for (int k = 0; k < 2; ++k) {
        if (d[k] == 0.0) {
            if (!(p[k] > lo[k] && p[k] < hi[k])) return 0;
            continue;
        }
        double te, tx, fk;
        if (d[k] > 0.0) {
            te = (lo[k] - p[k]) / d[k];
            tx = (hi[k] - p[k]) / d[k];
            fk = lo[k];
        } else {
            te = (hi[k] - p[k]) / d[k];
            tx = (lo[k] - p[k]) / d[k];
            fk = hi[k];
        }
        if (te > tin) {
            tin = te;
            ax = k;
            f = fk;
        }
        if (tx < tout) tout = tx;
    }
    if (ax < 0 || !(tin < tout) || tin >= 1.0 || tout <= 0.0) return 0;
    *t_hit = tin < 0.0 ? 0.0 : tin;
    *axis = ax;
    *face = f;
    return 1;
}

/* Cheap rejection: does the segment's bounding box touch the box at all? */
static int seg_near(const rise_maze_box *b, double g, double x0, double y0, double x1, double y1) {
    return fmax(x0, x1) > b->x0 - g && fmin(x0, x1) < b->x1 + g && fmax(y0, y1) > b->y0 - g &&
           fmin(y0, y1) < b->y1 + g;
}

static int chord_free(const rise_maze *m, double g, double x0, double y0, double x1, double y1) {
    double t, f;
    int ax;
    for (int i = 0; i < m->n_boxes; ++i)
        if (seg_near(&m->boxes[i], g, x0, y0, x1, y1) &&
            seg_box(&m->boxes[i], g, x0, y0, x1 - x0, y1 - y0, &t, &ax, &f))
            return 0;
    return 1;
}

int rise_maze_point_free(const rise_maze *m, double x, double y) {
    for (int i = 0; i < m->n_boxes; ++i) {
        const rise_maze_box *b = &m->boxes[i];
        if (x > b->x0 && x < b->x1 && y > b->y0 && y < b->y1) return 0;
    }
    return 1;
}

int rise_maze_segment_free(const rise_maze *m, double x0, double y0, double x1, double y1,
                           double margin) {
    for (int i = 0; i < m->n_boxes; ++i) {
        const rise_maze_box *b = &m->boxes[i];
        if (x0 > b->x0 - margin && x0 < b->x1 + margin && y0 > b->y0 - margin &&
            y0 < b->y1 + margin)
            return 0;
    }
    return chord_free(m, margin, x0, y0, x1, y1);
}

void rise_maze_move(const rise_maze *m, double *px, double *py, double dx, double dy, int *hit_x,
                    int *hit_y) {
    const double x0 = *px, y0 = *py;
    double x = x0, y = y0, fx = x0, fy = y0;
    int hx = 0, hy = 0, contacts = 0;
    for (int it = 0; it < 4 && (dx != 0.0 || dy != 0.0); ++it) {
        double tmin = 2.0, face = 0.0, t, f;
        int axis = -1, ax;
        for (int i = 0; i < m->n_boxes; ++i)
            if (seg_near(&m->boxes[i], 0.0, x, y, x + dx, y + dy) &&
                seg_box(&m->boxes[i], 0.0, x, y, dx, dy, &t, &ax, &f) && t < tmin) {
                tmin = t;
                axis = ax;
                face = f;
            }
        if (axis < 0) {
            x += dx;
            y += dy;
            break;
        }
        /* Stop on the face (snapped exactly, so the point is on the boundary,
         * never inside) and slide with the tangential rest of the motion. */
        if (axis == 0) {
            y += tmin * dy;
            x = face;
            dy *= 1.0 - tmin;
            dx = 0.0;
            hx = 1;
        } else {
            x += tmin * dx;
            y = face;
            dx *= 1.0 - tmin;
            dy = 0.0;
            hy = 1;
        }
        if (contacts++ == 0) {
            fx = x;
            fy = y;
        }
    }
    /* Rounding or a slide into a corner could in principle end somewhere the
     * straight line from the start cannot reach; then fall back to the first
     * contact point, or stay put. This keeps the no-tunnelling property exact. */
    if (contacts && !(rise_maze_point_free(m, x, y) && chord_free(m, 0.0, x0, y0, x, y))) {
        if (rise_maze_point_free(m, fx, fy) && chord_free(m, 0.0, x0, y0, fx, fy)) {
            x = fx;
            y = fy;
        } else {
            x = x0;
            y = y0;
        }
        hx = hy = 1;
    }
    *px = x;
    *py = y;
    if (hit_x) *hit_x = hx;
    if (hit_y) *hit_y = hy;
}

int rise_maze_in_goal(const rise_maze *m, double x, double y) {
    const double ex = x - m->gx, ey = y - m->gy;
    return ex * ex + ey * ey < m->s.goal_radius * m->s.goal_radius;
}

int rise_maze_advance(rise_maze *m, float ax, float ay) {
    const rise_maze_settings *s = &m->s;
    double vx, vy;
    if (s->action_mode == RISE_MAZE_VELOCITY) {
        vx = ax * s->max_speed;
        vy = ay * s->max_speed;
    } else {
        vx = m->vx + (ax * s->max_accel - s->drag * m->vx) * s->dt;
        vy = m->vy + (ay * s->max_accel - s->drag * m->vy) * s->dt;
    }
    const double sp2 = vx * vx + vy * vy;
    if (sp2 > s->max_speed * s->max_speed) {
        const double k = s->max_speed / sqrt(sp2);
        vx *= k;
        vy *= k;
    }
    int hx, hy;
    rise_maze_move(m, &m->px, &m->py, vx * s->dt, vy * s->dt, &hx, &hy);
    m->vx = hx ? 0.0 : vx;
    m->vy = hy ? 0.0 : vy;
    return rise_maze_in_goal(m, m->px, m->py);
}

void rise_maze_observe(const rise_maze *m, float *obs) {
    obs[0] = (float)m->px;
    obs[1] = (float)m->py;
    obs[2] = (float)m->vx;
    obs[3] = (float)m->vy;
    if (m->s.goal_rel) {
        obs[4] = (float)(m->gx - m->px);
        obs[5] = (float)(m->gy - m->py);
    }
}

void rise_maze_cell_of(double x, double y, int *i, int *j) {
    int ci = (int)floor((x + 1.0) / RISE_MAZE_CELL), cj = (int)floor((y + 1.0) / RISE_MAZE_CELL);
    *i = ci < 0 ? 0 : ci >= RISE_MAZE_N ? RISE_MAZE_N - 1 : ci;
    *j = cj < 0 ? 0 : cj >= RISE_MAZE_N ? RISE_MAZE_N - 1 : cj;
}

double rise_maze_cell_center(int i) { return -1.0 + RISE_MAZE_CELL * (i + 0.5); }

/* ---- the env vtable ---- */

rise_maze *rise_maze_of(rise_env *e) {
    RISE_ASSERT(strcmp(e->info.task, "maze") == 0, "env is task '%s', not maze", e->info.task);
    return e->impl;
}

const rise_maze *rise_maze_of_const(const rise_env *e) {
    RISE_ASSERT(strcmp(e->info.task, "maze") == 0, "env is task '%s', not maze", e->info.task);
    return e->impl;
}

static int maze_ic_valid(const rise_env *e, const double *ic, char *why, size_t n) {
    const rise_maze *m = e->impl;
    /* Closed test (a start touching a wall face is refused too). */
    for (int i = 0; i < m->n_boxes; ++i) {
        const rise_maze_box *b = &m->boxes[i];
        if (ic[0] >= b->x0 && ic[0] <= b->x1 && ic[1] >= b->y0 && ic[1] <= b->y1) {
            if (why)
                snprintf(why, n,
                         "start (%g, %g) is inside a wall (or closer than agent_radius "
                         "%g to one)",
                         ic[0], ic[1], m->s.agent_radius);
            return 0;
        }
    }
    if (rise_maze_in_goal(m, ic[0], ic[1])) {
        if (why) snprintf(why, n, "start (%g, %g) is inside the goal disc", ic[0], ic[1]);
        return 0;
    }
    return 1;
}

static rise_status maze_reset(rise_env *e, uint64_t seed, const double *ic, float *obs) {
    rise_maze *m = e->impl;
    (void)seed; /* the maze has no randomness of its own */
    m->px = ic[0];
    m->py = ic[1];
    m->vx = m->vy = 0.0;
    rise_maze_observe(m, obs);
    return RISE_OK;
}

static rise_status maze_step(rise_env *e, const float *a, float *obs, rise_env_step_info *out) {
    rise_maze *m = e->impl;
    out->success = (uint8_t)rise_maze_advance(m, a[0], a[1]);
    out->reward = out->success ? 1.0f : 0.0f;
    rise_maze_observe(m, obs);
    return RISE_OK;
}

/* A perturbation relocates the agent (a shove that ends at rest): it moves
 * along delta until a wall stops it, and its velocity is cleared. */
static rise_status maze_perturb(rise_env *e, const double *delta, float *obs) {
    rise_maze *m = e->impl;
    rise_maze_move(m, &m->px, &m->py, delta[0], delta[1], NULL, NULL);
    m->vx = m->vy = 0.0;
    rise_maze_observe(m, obs);
    return RISE_OK;
}

static void maze_get_state(const rise_env *e, double *st) {
    const rise_maze *m = e->impl;
    st[0] = m->px;
    st[1] = m->py;
    st[2] = m->vx;
    st[3] = m->vy;
}

static rise_status maze_set_state(rise_env *e, const double *st, float *obs) {
    rise_maze *m = e->impl;
    if (!rise_maze_point_free(m, st[0], st[1]))
        return rise_error(RISE_ERR_INVALID, "maze set_state: position (%g, %g) is inside a wall",
                          st[0], st[1]);
    m->px = st[0];
    m->py = st[1];
    m->vx = st[2];
    m->vy = st[3];
    rise_maze_observe(m, obs);
    return RISE_OK;
}

static int maze_shapes(const rise_env *e, rise_env_shape *out, int max) {
    const rise_maze *m = e->impl;
    rise_maze_box w[RISE_MAZE_MAX_BOXES];
    const int n = rise_maze_walls(w, RISE_MAZE_MAX_BOXES);
    int k = 0;
    for (int i = 0; i < n && k < max; ++i)
        out[k++] = (rise_env_shape){RISE_ENV_SHAPE_WALL, w[i].x0, w[i].y0, w[i].x1, w[i].y1};
    if (k < max) {
        const double r = m->s.goal_radius;
        out[k++] =
            (rise_env_shape){RISE_ENV_SHAPE_GOAL, m->gx - r, m->gy - r, m->gx + r, m->gy + r};
    }
    return k;
}

static void maze_destroy(rise_env *e) {
    free(e->impl);
    free(e);
}

static const rise_env_ops maze_ops = {
    .reset = maze_reset,
    .step = maze_step,
    .perturb = maze_perturb,
    .ic_valid = maze_ic_valid,
    .get_state = maze_get_state,
    .set_state = maze_set_state,
    .shapes = maze_shapes,
    .destroy = maze_destroy,
};

static rise_status maze_create(const void *settings, rise_env **out) {
    rise_env *e = calloc(1, sizeof *e);
    rise_maze *m = calloc(1, sizeof *m);
    if (!e || !m) {
        free(e);
        free(m);
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    m->s = *(const rise_maze_settings *)settings;
    maze_build(m);
    e->ops = &maze_ops;
    e->impl = m;
    rise_env_info *info = &e->info;
    rise_env_info_add_key(info, "agent_pos", 2);
    rise_env_info_add_key(info, "agent_vel", 2);
    if (m->s.goal_rel) rise_env_info_add_key(info, "goal_rel", 2);
    info->act_dim = 2;
    info->state_dim = 4;
    info->perturb_dim = 2;
    info->horizon = m->s.horizon;
    rise_env_ic_space *ic = &info->ic;
    ic->dim = 2;
    snprintf(ic->names[0], sizeof ic->names[0], "start_x");
    snprintf(ic->names[1], sizeof ic->names[1], "start_y");
    ic->eval_lo[0] = ic->eval_lo[1] = -1.0;
    ic->eval_hi[0] = ic->eval_hi[1] = 1.0;
    ic->expert_lo[0] = -0.85;
    ic->expert_hi[0] = -0.75;
    ic->expert_lo[1] = -0.9;
    ic->expert_hi[1] = -0.6;
    ic->axis[0] = 0;
    ic->axis[1] = 1;
    *out = e;
    return RISE_OK;
}

static const char *const maze_action_modes[] = {"acceleration", "velocity", NULL};
static const char *const maze_layouts[] = {"corridor5", NULL};

#define MAZE_FIELD(f) offsetof(rise_maze_settings, f)
static const rise_env_setting maze_settings[] = {
    {"layout", RISE_SETTING_CHOICE, MAZE_FIELD(layout), 0, 0, 0, maze_layouts,
     "wall layout (5x5 cells, expert corridor along the left and top)"},
    {"action_mode", RISE_SETTING_CHOICE, MAZE_FIELD(action_mode), 0, 0, 0, maze_action_modes,
     "what the action commands"},
    {"dt", RISE_SETTING_NUMBER, MAZE_FIELD(dt), 0.05, 1e-4, 0.5, NULL, "seconds per step"},
    {"max_speed", RISE_SETTING_NUMBER, MAZE_FIELD(max_speed), 1.0, 1e-3, 100.0, NULL,
     "speed cap (arena units per second)"},
    {"max_accel", RISE_SETTING_NUMBER, MAZE_FIELD(max_accel), 4.0, 1e-3, 1000.0, NULL,
     "acceleration at action 1 (acceleration mode)"},
    {"drag", RISE_SETTING_NUMBER, MAZE_FIELD(drag), 0.5, 0.0, 100.0, NULL,
     "linear drag per second (acceleration mode)"},
    {"agent_radius", RISE_SETTING_NUMBER, MAZE_FIELD(agent_radius), 0.02, 0.0, 0.15, NULL,
     "radius of the agent disc"},
    {"goal_radius", RISE_SETTING_NUMBER, MAZE_FIELD(goal_radius), 0.1, 0.01, 0.18, NULL,
     "radius of the goal disc around (0.8, 0.8)"},
    {"horizon", RISE_SETTING_INT, MAZE_FIELD(horizon), 300, 1, 1e6, NULL,
     "steps before an episode is cut off"},
    {"goal_rel", RISE_SETTING_BOOL, MAZE_FIELD(goal_rel), 1, 0, 1, NULL,
     "include the goal_rel observation key"},
};

const rise_env_task rise_maze_task = {
    .name = "maze",
    .settings = maze_settings,
    .n_settings = (int)(sizeof maze_settings / sizeof maze_settings[0]),
    .settings_size = sizeof(rise_maze_settings),
    .create = maze_create,
};
