/* spectral_norm_ref.c - CPU reference for the spectral norm of W [rows, cols]
 * by power iteration, and its gradient.
 *
 * Per iteration: v = W^T u / |W^T u|, u = W v / |W v|; then sigma = u^T W v.
 * With tol > 0 the loop stops after the first iteration whose u moved by at most
 * tol (rise_spectral_converged, spectral_norm.h). u persists across calls (the
 * caller initialises it to a random unit vector), so a warm start converges in a
 * few iterations. Fallbacks when a norm is 0 (W = 0, or u orthogonal to W's column
 * space, or v in W's null space): the vector whose norm vanished becomes the
 * constant unit vector (1/sqrt(cols) or 1/sqrt(rows) everywhere), so u and v
 * stay finite unit vectors and sigma comes out 0 for W = 0. Products and norms
 * accumulate in double.
 * Backward: dW += lambda (squared ? 2 sigma : 1) u v^T (accumulates). */
#include "spectral_norm.h"

#include <math.h>

/* Normalises x in place; returns 0 (x untouched) when its norm is 0. */
static int normalise(float *x, int n) {
    double s = 0.0;
    for (int i = 0; i < n; ++i) s += (double)x[i] * x[i];
    if (!(s > 0.0) || !isfinite(s)) return 0;
    const double inv = 1.0 / sqrt(s);
    for (int i = 0; i < n; ++i) x[i] = (float)(x[i] * inv);
    return 1;
}

static void fill_constant_unit(float *x, int n) {
    const float c = (float)(1.0 / sqrt((double)n));
    for (int i = 0; i < n; ++i) x[i] = c;
}

void spectral_norm_forward_ref(float *sigma, float *u, float *v, const float *w, int rows, int cols,
                               int iters, float tol) {
    RISE_ASSERT(rows > 0 && cols > 0, "spectral_norm: bad shape rows=%d cols=%d", rows, cols);
    RISE_ASSERT(iters >= 1, "spectral_norm: iters=%d must be >= 1", iters);
    RISE_ASSERT(tol >= 0.0f, "spectral_norm: tol=%g must be >= 0", (double)tol);
    for (int it = 0; it < iters; ++it) {
        for (int j = 0; j < cols; ++j) {
            double acc = 0.0;
            for (int i = 0; i < rows; ++i) acc += (double)w[(int64_t)i * cols + j] * u[i];
            v[j] = (float)acc;
        }
        if (!normalise(v, cols)) fill_constant_unit(v, cols);
        double dot = 0.0, s_new = 0.0, s_old = 0.0;
        for (int i = 0; i < rows; ++i) {
            double acc = 0.0;
            for (int j = 0; j < cols; ++j) acc += (double)w[(int64_t)i * cols + j] * v[j];
            dot += acc * u[i];
            s_old += (double)u[i] * u[i];
            s_new += acc * acc;
            u[i] = (float)acc;
        }
        if (!normalise(u, rows)) fill_constant_unit(u, rows);
        if (tol > 0.0f && rise_spectral_converged(dot, s_new, s_old, (double)tol)) break;
    }
    double s = 0.0;
    for (int i = 0; i < rows; ++i) {
        double acc = 0.0;
        for (int j = 0; j < cols; ++j) acc += (double)w[(int64_t)i * cols + j] * v[j];
        s += (double)u[i] * acc;
    }
    *sigma = (float)s;
}

void spectral_norm_backward_ref(float *dw, const float *sigma, const float *u, const float *v,
                                int rows, int cols, float lambda, int squared) {
    RISE_ASSERT(rows > 0 && cols > 0, "spectral_norm: bad shape rows=%d cols=%d", rows, cols);
    const double coef = (double)lambda * (squared ? 2.0 * (double)*sigma : 1.0);
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) dw[(int64_t)i * cols + j] += (float)(coef * u[i] * v[j]);
}
