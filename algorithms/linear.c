/* linear.c - ensemble Linear layer on strided-batched GEMMs through the backend table. */
#include "linear.h"

#include <stdio.h>

rise_status rise_linear_register(rise_linear *l, rise_params *p, const char *name, int in, int out,
                                 int ens, int has_bias) {
    if (in <= 0 || out <= 0 || ens <= 0)
        return rise_error(RISE_ERR_INVALID,
                          "linear layer '%s': in=%d out=%d ensemble=%d, expected all > 0", name, in,
                          out, ens);
    char buf[RISE_PARAM_NAME_MAX + 8];
    l->in = in;
    l->out = out;
    l->ens = ens;
    l->has_bias = has_bias;
    l->w_off = l->b_off = 0;
    const int wshape[3] = {ens, in, out};
    const int bshape[2] = {ens, out};
    snprintf(buf, sizeof buf, "%s.w", name);
    if (ens == 1)
        RISE_TRY(rise_params_add(p, buf, 2, wshape + 1, rise_init_fan_in(in), &l->w_off));
    else
        RISE_TRY(rise_params_add(p, buf, 3, wshape, rise_init_fan_in(in), &l->w_off));
    if (has_bias) {
        snprintf(buf, sizeof buf, "%s.b", name);
        if (ens == 1)
            RISE_TRY(rise_params_add(p, buf, 1, bshape + 1, rise_init_fan_in(in), &l->b_off));
        else
            RISE_TRY(rise_params_add(p, buf, 2, bshape, rise_init_fan_in(in), &l->b_off));
    }
    return RISE_OK;
}

static void linear_gemm(const rise_linear *l, rise_backend *be, const float *w, float *y,
                        const float *x, int batch, int x_shared) {
    const int64_t sx = x_shared ? 0 : (int64_t)batch * l->in;
    be->gemm(be, 0, 0, batch, l->out, l->in, 1.0f, x, l->in, sx, w + l->w_off, l->out,
             (int64_t)l->in * l->out, 0.0f, y, l->out, (int64_t)batch * l->out, l->ens);
}

void rise_linear_forward(const rise_linear *l, rise_backend *be, const float *w, float *y,
                         const float *x, int batch, int x_shared) {
    linear_gemm(l, be, w, y, x, batch, x_shared);
    if (l->has_bias) be->bias_add(be, y, w + l->b_off, l->ens, batch, l->out);
}

void rise_linear_forward_act(const rise_linear *l, rise_backend *be, const float *w, float *y,
                             float *a, rise_act act, const float *x, int batch, int x_shared) {
    linear_gemm(l, be, w, y, x, batch, x_shared);
    be->bias_act_forward(be, act, y, a, l->has_bias ? w + l->b_off : NULL, l->ens, batch, l->out);
}

/* dW += x^T dy and dx (+)= dy W^T: the backward without the bias. */
static void weight_input_backward(const rise_linear *l, rise_backend *be, const float *w, float *g,
                                  float *dx, const float *dy, const float *x, int batch,
                                  int x_shared, int accumulate_dx) {
    const int64_t sx = x_shared ? 0 : (int64_t)batch * l->in;
    const int64_t sw = (int64_t)l->in * l->out, sy = (int64_t)batch * l->out;
    /* dW[e] (in x out) += x[e]^T (in x B) dy[e] (B x out) */
    be->gemm(be, 1, 0, l->in, l->out, batch, 1.0f, x, l->in, sx, dy, l->out, sy, 1.0f, g + l->w_off,
             l->out, sw, l->ens);
    if (!dx) return;
    const float beta0 = accumulate_dx ? 1.0f : 0.0f;
    if (!x_shared || l->ens == 1) {
        /* dx[e] (B x in) = dy[e] (B x out) W[e]^T (out x in) */
        be->gemm(be, 0, 1, batch, l->in, l->out, 1.0f, dy, l->out, sy, w + l->w_off, l->out, sw,
                 beta0, dx, l->in, (int64_t)batch * l->in, l->ens);
        return;
    }
    /* A shared input's gradient sums over members; a batched GEMM with output
     * stride 0 would race on the device, so accumulate member by member. */
    for (int e = 0; e < l->ens; ++e)
        be->gemm(be, 0, 1, batch, l->in, l->out, 1.0f, dy + e * sy, l->out, 0,
                 w + l->w_off + e * sw, l->out, 0, e == 0 ? beta0 : 1.0f, dx, l->in, 0, 1);
}

void rise_linear_backward(const rise_linear *l, rise_backend *be, const float *w, float *g,
                          float *dx, const float *dy, const float *x, int batch, int x_shared,
                          int accumulate_dx) {
    weight_input_backward(l, be, w, g, dx, dy, x, batch, x_shared, accumulate_dx);
    if (l->has_bias) be->bias_grad(be, g + l->b_off, dy, l->ens, batch, l->out);
}

void rise_linear_backward_act(const rise_linear *l, rise_backend *be, const float *w, float *g,
                              float *dx, float *dy, const float *da, const float *y, rise_act act,
                              const float *x, int batch, int x_shared, int accumulate_dx) {
    be->act_bias_backward(be, act, dy, l->has_bias ? g + l->b_off : NULL, da, y, l->ens, batch,
                          l->out);
    weight_input_backward(l, be, w, g, dx, dy, x, batch, x_shared, accumulate_dx);
}
