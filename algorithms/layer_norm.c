/* layer_norm.c - per-member LayerNorm over the backend's layernorm op. */
#include "layer_norm.h"

#include <stdio.h>

rise_status rise_layer_norm_register(rise_layer_norm *ln, rise_params *p, const char *name,
                                     int cols, int ens, float eps) {
    if (cols <= 0 || ens <= 0 || !(eps > 0.0f))
        return rise_error(RISE_ERR_INVALID,
                          "layer norm '%s': cols=%d ensemble=%d eps=%g, expected cols, ensemble "
                          "and eps > 0",
                          name, cols, ens, (double)eps);
    char buf[RISE_PARAM_NAME_MAX + 8];
    const int shape[2] = {ens, cols};
    const int nd = ens == 1 ? 1 : 2;
    const int *sh = ens == 1 ? shape + 1 : shape;
    ln->cols = cols;
    ln->ens = ens;
    ln->eps = eps;
    snprintf(buf, sizeof buf, "%s.g", name);
    RISE_TRY(rise_params_add(p, buf, nd, sh, rise_init_const(1.0f), &ln->g_off));
    snprintf(buf, sizeof buf, "%s.b", name);
    RISE_TRY(rise_params_add(p, buf, nd, sh, rise_init_const(0.0f), &ln->b_off));
    return RISE_OK;
}

void rise_layer_norm_forward(const rise_layer_norm *ln, rise_backend *be, const float *w, float *y,
                             float *mean, float *rstd, const float *x, int batch) {
    const size_t h = (size_t)ln->cols, rows = (size_t)batch;
    for (int e = 0; e < ln->ens; ++e)
        be->layernorm_forward(be, y + e * rows * h, mean + e * rows, rstd + e * rows,
                              x + e * rows * h, w + ln->g_off + e * h, w + ln->b_off + e * h, batch,
                              ln->cols, ln->eps);
}

void rise_layer_norm_backward(const rise_layer_norm *ln, rise_backend *be, const float *w, float *g,
                              float *dx, const float *dy, const float *x, const float *mean,
                              const float *rstd, int batch, int accumulate) {
    const size_t h = (size_t)ln->cols, rows = (size_t)batch;
    for (int e = 0; e < ln->ens; ++e)
        be->layernorm_backward(be, dx + e * rows * h, g + ln->g_off + e * h, g + ln->b_off + e * h,
                               dy + e * rows * h, x + e * rows * h, mean + e * rows,
                               rstd + e * rows, w + ln->g_off + e * h, batch, ln->cols, accumulate);
}
