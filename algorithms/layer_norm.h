/* layer_norm.h - LayerNorm layer with per-member affine parameters for ensembles.
 *
 * Normalises the last dimension of x [E, B, H]; gamma "<name>.g" and beta
 * "<name>.b" are [E, H] (or [H] when E == 1), initialised to 1 and 0 as in
 * PyTorch. The backend op takes one gamma for all rows, so an ensemble makes
 * one call per member. mean/rstd [E, B] are saved by forward for backward. */
#ifndef RISE_LAYER_NORM_H
#define RISE_LAYER_NORM_H

#include "params.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_LAYER_NORM_EPS 1e-5f /* PyTorch's default */

typedef struct {
    int cols, ens;
    float eps;
    size_t g_off, b_off;
} rise_layer_norm;

rise_status rise_layer_norm_register(rise_layer_norm *ln, rise_params *p, const char *name,
                                     int cols, int ens, float eps);
/* y, x [E,B,H]; mean, rstd [E,B]. w: the parameter slot read. */
void rise_layer_norm_forward(const rise_layer_norm *ln, rise_backend *be, const float *w, float *y,
                             float *mean, float *rstd, const float *x, int batch);
/* dx (+)= ..., dgamma/dbeta += ... into the grad slot g. */
void rise_layer_norm_backward(const rise_layer_norm *ln, rise_backend *be, const float *w, float *g,
                              float *dx, const float *dy, const float *x, const float *mean,
                              const float *rstd, int batch, int accumulate);

#ifdef __cplusplus
}
#endif
#endif
