/* activation_ref.c - reference activations and derivatives.
 * GELU is the tanh approximation (PyTorch approximate="tanh"); mish uses a
 * softplus that neither overflows for large x nor loses precision for small. */
#include "activation.h"

#include <math.h>
#include <string.h>

static const char *const act_names[RISE_ACT_COUNT] = {"identity", "relu", "mish",
                                                      "gelu",     "tanh", "silu"};

const char *act_name(rise_act act) {
    return (unsigned)act < RISE_ACT_COUNT ? act_names[act] : "unknown";
}

int act_parse(const char *name) {
    for (int i = 0; i < RISE_ACT_COUNT; ++i)
        if (name && strcmp(name, act_names[i]) == 0) return i;
    return -1;
}

static double softplus(double x) { return x > 20.0 ? x : log1p(exp(x)); }
static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

#define GELU_K 0.7978845608028654 /* sqrt(2/pi) */
#define GELU_C 0.044715

float act_value_ref(rise_act act, float xf) {
    const double x = xf;
    switch (act) {
    case RISE_ACT_IDENTITY: return xf;
    case RISE_ACT_RELU: return xf > 0.0f ? xf : 0.0f;
    case RISE_ACT_MISH: return (float)(x * tanh(softplus(x)));
    case RISE_ACT_GELU: return (float)(0.5 * x * (1.0 + tanh(GELU_K * (x + GELU_C * x * x * x))));
    case RISE_ACT_TANH: return (float)tanh(x);
    case RISE_ACT_SILU: return (float)(x * sigmoid(x));
    default: break;
    }
    RISE_ASSERT(0, "unknown activation %d", (int)act);
    return 0.0f;
}

float act_derivative_ref(rise_act act, float xf) {
    const double x = xf;
    switch (act) {
    case RISE_ACT_IDENTITY: return 1.0f;
    case RISE_ACT_RELU: return xf > 0.0f ? 1.0f : 0.0f;
    case RISE_ACT_MISH: {
        const double t = tanh(softplus(x));
        return (float)(t + x * (1.0 - t * t) * sigmoid(x));
    }
    case RISE_ACT_GELU: {
        const double inner = GELU_K * (x + GELU_C * x * x * x);
        const double t = tanh(inner);
        const double dinner = GELU_K * (1.0 + 3.0 * GELU_C * x * x);
        return (float)(0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * dinner);
    }
    case RISE_ACT_TANH: {
        const double t = tanh(x);
        return (float)(1.0 - t * t);
    }
    case RISE_ACT_SILU: {
        const double s = sigmoid(x);
        return (float)(s * (1.0 + x * (1.0 - s)));
    }
    default: break;
    }
    RISE_ASSERT(0, "unknown activation %d", (int)act);
    return 0.0f;
}

void act_forward_ref(rise_act act, float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; ++i) y[i] = act_value_ref(act, x[i]);
}

void act_backward_ref(rise_act act, float *dx, const float *dy, const float *x, size_t n,
                      int accumulate) {
    for (size_t i = 0; i < n; ++i) {
        const float g = dy[i] * act_derivative_ref(act, x[i]);
        dx[i] = accumulate ? dx[i] + g : g;
    }
}
