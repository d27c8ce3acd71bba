/* spectral_norm_ref.c - reference power iteration for sigma_max(W), W [rows, cols].
 * u [rows] persists between calls, so one iteration per training step
 * tracks sigma as W changes slowly (as torch.nn.utils.spectral_norm does). */
#include "spectral_norm.h"

#include <math.h>

/* Normalises x in place; a zero vector becomes e_0 so iteration can go on. */
static void normalise(float *x, int n) {
    double s = 0.0;
    for (int i = 0; i < n; ++i) s += (double)x[i] * x[i];
    const double norm = sqrt(s);
    if (norm < 1e-30) {
        for (int i = 0; i < n; ++i) x[i] = i == 0 ? 1.0f : 0.0f;
        return;
    }
    for (int i = 0; i < n; ++i) x[i] = (float)(x[i] / norm);
}

void spectral_norm_forward_ref(float *sigma, float *u, float *v, const float *w, int rows, int cols,
                               int iters) {
    if (iters < 1) iters = 1;
    for (int it = 0; it < iters; ++it) {
        for (int c = 0; c < cols; ++c) { /* v = W^T u */
            double acc = 0.0;
            for (int r = 0; r < rows; ++r) acc += (double)w[(int64_t)r * cols + c] * u[r];
            v[c] = (float)acc;
        }
        normalise(v, cols);
        for (int r = 0; r < rows; ++r) { /* u = W v */
            double acc = 0.0;
            for (int c = 0; c < cols; ++c) acc += (double)w[(int64_t)r * cols + c] * v[c];
            u[r] = (float)acc;
        }
        normalise(u, rows);
    }
    double s = 0.0; /* sigma = u^T W v */
    for (int r = 0; r < rows; ++r) {
        double acc = 0.0;
        for (int c = 0; c < cols; ++c) acc += (double)w[(int64_t)r * cols + c] * v[c];
        s += u[r] * acc;
    }
    *sigma = (float)s;
}

void spectral_norm_backward_ref(float *dw, const float *sigma, const float *u, const float *v,
                                int rows, int cols, float lambda, int squared) {
    const float k = lambda * (squared ? 2.0f * *sigma : 1.0f);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) dw[(int64_t)r * cols + c] += k * u[r] * v[c];
}
