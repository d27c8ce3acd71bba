/* spectral_norm_ref.c - CPU reference for the spectral norm by power iteration and its
 * gradient (the op and its rules: kernels/spectral_norm.h). Serial, sums in double. */
#include "spectral_norm.h"

#include <math.h>

/* normalise() of spectral_norm.h, in place. */
static void normalise(float *x, int n) {
    double s = 0.0;
    for (int i = 0; i < n; ++i) s += (double)x[i] * x[i];
    const double inv = sn_inv_norm(s);
    const float fallback = sn_fallback(n);
    for (int i = 0; i < n; ++i) x[i] = sn_normalised(x[i], inv, fallback);
}

void spectral_norm_forward_ref(float *sigma, float *u, float *v, const float *w, int rows, int cols,
                               int iters, float tol) {
    spectral_norm_check_shape("spectral_norm_forward", rows, cols);
    spectral_norm_check_iters(iters);
    spectral_norm_check_tol(tol);
    for (int it = 0; it < iters; ++it) {
        for (int j = 0; j < cols; ++j) {
            double acc = 0.0;
            for (int i = 0; i < rows; ++i) acc += (double)w[(int64_t)i * cols + j] * u[i];
            v[j] = (float)acc;
        }
        normalise(v, cols);
        double dot = 0.0, s_new = 0.0, s_old = 0.0;
        for (int i = 0; i < rows; ++i) {
            double acc = 0.0;
            for (int j = 0; j < cols; ++j) acc += (double)w[(int64_t)i * cols + j] * v[j];
            dot += acc * u[i];
            s_old += (double)u[i] * u[i];
            s_new += acc * acc;
            u[i] = (float)acc;
        }
        normalise(u, rows);
        if (tol > 0.0f && sn_converged(dot, s_new, s_old, (double)tol)) break;
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
    spectral_norm_check_shape("spectral_norm_backward", rows, cols);
    const double coef = sn_grad_coef(lambda, squared, *sigma);
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) {
            float *d = &dw[(int64_t)i * cols + j];
            *d = sn_grad_element(*d, coef, u[i], v[j]);
        }
}
