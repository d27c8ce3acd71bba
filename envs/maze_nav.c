/* maze_nav.c - pure pursuit, steering and cell-graph planning for the
 * maze's scripted agents (see maze_nav.h). */
#include "maze_nav.h"

#include <math.h>
#include <string.h>

#define NAV_LOOKAHEAD 0.2
#define NAV_MARGIN    0.05 /* clearance an edge's centre line must keep from walls */

void rise_maze_graph_build(const rise_maze *m, rise_maze_graph *g) {
    memset(g->adj, -1, sizeof g->adj);
    static const int di[4] = {1, -1, 0, 0}, dj[4] = {0, 0, 1, -1};
    for (int j = 0; j < RISE_MAZE_N; ++j)
        for (int i = 0; i < RISE_MAZE_N; ++i) {
            const int c = rise_maze_cell_index(i, j);
            int k = 0;
            for (int d = 0; d < 4; ++d) {
                const int ni = i + di[d], nj = j + dj[d];
                if (ni < 0 || nj < 0 || ni >= RISE_MAZE_N || nj >= RISE_MAZE_N) continue;
                if (rise_maze_segment_free(m, rise_maze_cell_center(i), rise_maze_cell_center(j),
                                           rise_maze_cell_center(ni), rise_maze_cell_center(nj),
                                           NAV_MARGIN))
                    g->adj[c][k++] = rise_maze_cell_index(ni, nj);
            }
        }
    /* BFS from every target; next[a][b] = first hop from a toward b. */
    for (int b = 0; b < RISE_MAZE_CELLS; ++b) {
        int queue[RISE_MAZE_CELLS], head = 0, tail = 0;
        for (int a = 0; a < RISE_MAZE_CELLS; ++a) g->dist[a][b] = g->next[a][b] = -1;
        g->dist[b][b] = 0;
        g->next[b][b] = b;
        queue[tail++] = b;
        while (head < tail) {
            const int c = queue[head++];
            for (int k = 0; k < 4 && g->adj[c][k] >= 0; ++k) {
                const int nb = g->adj[c][k];
                if (g->dist[nb][b] >= 0) continue;
                g->dist[nb][b] = g->dist[c][b] + 1;
                g->next[nb][b] = c;
                queue[tail++] = nb;
            }
        }
    }
}

void rise_maze_pursuit(const double (*pts)[2], int n, double x, double y, double lookahead,
                       double *tx, double *ty, double *remaining) {
    if (n == 1) {
        *tx = pts[0][0];
        *ty = pts[0][1];
        if (remaining) *remaining = 0.0;
        return;
    }
    double best = INFINITY, s_best = 0.0, s = 0.0, total = 0.0;
    for (int k = 0; k + 1 < n; ++k) {
        const double ax = pts[k][0], ay = pts[k][1];
        const double ex = pts[k + 1][0] - ax, ey = pts[k + 1][1] - ay;
        const double len2 = ex * ex + ey * ey, len = sqrt(len2);
        double u = len2 > 0.0 ? ((x - ax) * ex + (y - ay) * ey) / len2 : 0.0;
        u = u < 0.0 ? 0.0 : u > 1.0 ? 1.0 : u;
        const double qx = ax + u * ex - x, qy = ay + u * ey - y, d2 = qx * qx + qy * qy;
        if (d2 < best) {
            best = d2;
            s_best = s + u * len;
        }
        s += len;
    }
    total = s;
    double want = s_best + lookahead;
    if (want > total) want = total;
    s = 0.0;
    *tx = pts[n - 1][0];
    *ty = pts[n - 1][1];
    for (int k = 0; k + 1 < n; ++k) {
        const double ex = pts[k + 1][0] - pts[k][0], ey = pts[k + 1][1] - pts[k][1];
        const double len = sqrt(ex * ex + ey * ey);
        if (want <= s + len && len > 0.0) {
            const double u = (want - s) / len;
            *tx = pts[k][0] + u * ex;
            *ty = pts[k][1] + u * ey;
            break;
        }
        s += len;
    }
    if (remaining) *remaining = total - s_best;
}

void rise_maze_steer(const rise_maze_settings *s, double x, double y, double vx, double vy,
                     double tx, double ty, double speed, float *a) {
    const double ex = tx - x, ey = ty - y, d = sqrt(ex * ex + ey * ey);
    /* Slow down inside the last stretch so the agent settles on a point. */
    const double v = d < 1e-9 ? 0.0 : speed * fmin(1.0, d / 0.1);
    const double dvx = d < 1e-9 ? 0.0 : v * ex / d, dvy = d < 1e-9 ? 0.0 : v * ey / d;
    double ax, ay;
    if (s->action_mode == RISE_MAZE_VELOCITY) {
        ax = dvx / s->max_speed;
        ay = dvy / s->max_speed;
    } else {
        /* Velocity tracking with drag compensation; the gain corrects most
         * of the error within a couple of steps. */
        const double k = 0.5 / s->dt;
        ax = (s->drag * dvx + k * (dvx - vx)) / s->max_accel;
        ay = (s->drag * dvy + k * (dvy - vy)) / s->max_accel;
    }
    const double big = fmax(fabs(ax), fabs(ay));
    if (big > 1.0) { /* scale, not clip, so the direction survives */
        ax /= big;
        ay /= big;
    }
    a[0] = (float)ax;
    a[1] = (float)ay;
    if (a[0] > 1.0f) a[0] = 1.0f;
    if (a[0] < -1.0f) a[0] = -1.0f;
    if (a[1] > 1.0f) a[1] = 1.0f;
    if (a[1] < -1.0f) a[1] = -1.0f;
}

void rise_maze_expert_action(const rise_maze_settings *s, double x, double y, double vx, double vy,
                             float *a) {
    double tx, ty;
    rise_maze_pursuit(rise_maze_route, RISE_MAZE_ROUTE_POINTS, x, y, NAV_LOOKAHEAD, &tx, &ty, NULL);
    rise_maze_steer(s, x, y, vx, vy, tx, ty, RISE_MAZE_EXPERT_SPEED * s->max_speed, a);
}

void rise_maze_nav_action(const rise_maze_settings *s, const rise_maze_graph *g, double x, double y,
                          double vx, double vy, int target, float *a) {
    int i, j;
    rise_maze_cell_of(x, y, &i, &j);
    int c = rise_maze_cell_index(i, j);
    double pts[RISE_MAZE_CELLS + 1][2];
    int n = 0;
    if (g->dist[c][target] < 0) c = target; /* unreachable: just aim at it */
    for (int k = 0; k <= RISE_MAZE_CELLS; ++k) {
        pts[n][0] = rise_maze_cell_center(c % RISE_MAZE_N);
        pts[n][1] = rise_maze_cell_center(c / RISE_MAZE_N);
        ++n;
        if (c == target) break;
        c = g->next[c][target];
    }
    double tx, ty;
    rise_maze_pursuit((const double(*)[2])pts, n, x, y, NAV_LOOKAHEAD, &tx, &ty, NULL);
    rise_maze_steer(s, x, y, vx, vy, tx, ty, RISE_MAZE_EXPERT_SPEED * s->max_speed, a);
}
