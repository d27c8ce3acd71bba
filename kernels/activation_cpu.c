/* activation_cpu.c - the fast CPU activations ("cpu" backend): float, eight lanes at a
 * time (kernels/simd_cpu.h), one formula per activation instead of the reference's
 * per-element switch in double, threads over chunks (kernels/cpu_chunks.h).
 *
 *   identity, relu   the reference's float results bit for bit (relu(NaN) = 0 as there)
 *   mish             e = exp(x), n = e (e + 2): y = x n / (n + 2), y = x for x > 20;
 *                    f' = n / (n + 2) + x 4 (n + 1) / (n + 2)^2 e / (1 + e)
 *   gelu (tanh form) 0.5 x (1 + tanh u) = x sigmoid(2u), u = c (x + a x^3), which avoids
 *                    the cancellation of 1 + tanh u for x << 0;
 *                    f' = s + 2 x s (1 - s) c (1 + 3 a x^2), s = sigmoid(2u)
 *   tanh             SLEEF's tanhf; f' = 1 - tanh^2 = 4 e / (1 + e)^2, e = exp(-2|x|)
 *                    (no cancellation where tanh is close to +-1)
 *   silu             y = x s, f' = s (1 + x (1 - s)), s = sigmoid(x)
 * These are activation_ref.c's formulas in float with 1-ulp vector exp/tanh; each is
 * checked against the double reference with a bound derived from its operation count
 * (tests/cpu/test_backend_cpu.c). Every lane is computed independently of where a chunk
 * or a vector starts, so results do not depend on the thread count.
 *
 * The fused backward computes the bias gradient over column tiles, each column summed
 * over rows in row order in double: the reference's bias_grad_ref order, bit for bit for
 * the same dh. */
#include "activation.h"
#include "cpu_chunks.h"
#include "simd_cpu.h"

#include <math.h>

static const float gelu_c = 0.7978845608028654f; /* sqrt(2 / pi) */
static const float gelu_a = 0.044715f;

static inline vf8 mish_n(vf8 x, vf8 *e) {
    *e = vf_exp(x);
    return vf_mul(*e, vf_add(*e, vf_set1(2.0f)));
}

static inline vf8 act_value_v(rise_act act, vf8 x) {
    switch (act) {
    case RISE_ACT_MISH: {
        vf8 e;
        const vf8 n = mish_n(x, &e);
        const vf8 y = vf_mul(x, vf_div(n, vf_add(n, vf_set1(2.0f))));
        return vf_select(vf_gt(x, vf_set1(20.0f)), x, y);
    }
    case RISE_ACT_GELU: {
        const vf8 u = vf_mul(vf_set1(gelu_c), vf_fma(vf_mul(vf_set1(gelu_a), x), vf_mul(x, x), x));
        vf8 s, oms;
        vf_sigmoid2(vf_add(u, u), &s, &oms);
        return vf_mul(x, s);
    }
    case RISE_ACT_TANH: return vf_tanh(x);
    case RISE_ACT_SILU: {
        vf8 s, oms;
        vf_sigmoid2(x, &s, &oms);
        return vf_mul(x, s);
    }
    default: return x; /* identity and relu take the scalar loops below */
    }
}

static inline vf8 act_derivative_v(rise_act act, vf8 x) {
    switch (act) {
    case RISE_ACT_MISH: {
        vf8 e;
        const vf8 n = mish_n(x, &e);
        const vf8 d = vf_add(n, vf_set1(2.0f));
        const vf8 t = vf_div(n, d);
        const vf8 sig = vf_div(e, vf_add(vf_set1(1.0f), e));
        const vf8 dt =
            vf_mul(vf_div(vf_mul(vf_set1(4.0f), vf_add(n, vf_set1(1.0f))), vf_mul(d, d)), sig);
        /* x > 20: the reference's t = 1, dt = 0, so t + x dt (NaN at x = +inf, as there) */
        const vf8 big = vf_gt(x, vf_set1(20.0f));
        return vf_fma(x, vf_select(big, _mm256_setzero_ps(), dt), vf_select(big, vf_set1(1.0f), t));
    }
    case RISE_ACT_GELU: {
        const vf8 x2 = vf_mul(x, x);
        const vf8 u = vf_mul(vf_set1(gelu_c), vf_fma(vf_mul(vf_set1(gelu_a), x), x2, x));
        vf8 s, oms;
        vf_sigmoid2(vf_add(u, u), &s, &oms);
        const vf8 inner =
            vf_mul(vf_set1(gelu_c), vf_fma(vf_set1(3.0f * gelu_a), x2, vf_set1(1.0f)));
        return vf_fma(vf_mul(vf_add(x, x), vf_mul(s, oms)), inner, s);
    }
    case RISE_ACT_TANH: {
        const vf8 ax = vf_abs(x);
        const vf8 e = vf_exp(vf_neg(vf_add(ax, ax)));
        const vf8 p = vf_add(vf_set1(1.0f), e);
        return vf_div(vf_mul(vf_set1(4.0f), e), vf_mul(p, p));
    }
    case RISE_ACT_SILU: {
        vf8 s, oms;
        vf_sigmoid2(x, &s, &oms);
        return vf_mul(s, vf_fma(x, oms, vf_set1(1.0f)));
    }
    default: return vf_set1(1.0f);
    }
}

/* y = f(x) over [0, n). */
static void forward_span(rise_act act, float *y, const float *x, size_t n) {
    if (act == RISE_ACT_IDENTITY) {
        if (y != x) memmove(y, x, n * sizeof(float));
        return;
    }
    if (act == RISE_ACT_RELU) {
        for (size_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        return;
    }
    size_t i = 0;
    for (; i + VF_LANES <= n; i += VF_LANES) vf_store(y + i, act_value_v(act, vf_load(x + i)));
    if (i < n) vf_store_part(y + i, act_value_v(act, vf_load_part(x + i, n - i)), n - i);
}

/* dx (+)= dy f'(x) over [0, n). */
static void backward_span(rise_act act, float *dx, const float *dy, const float *x, size_t n,
                          int accumulate) {
    if (act == RISE_ACT_IDENTITY || act == RISE_ACT_RELU) {
        /* dy * 1 and dy * 0 as the reference rounds them (exact; NaN in dy stays NaN) */
        for (size_t i = 0; i < n; ++i) {
            const float g = act == RISE_ACT_IDENTITY || x[i] > 0.0f ? dy[i] : dy[i] * 0.0f;
            dx[i] = accumulate ? dx[i] + g : g;
        }
        return;
    }
    size_t i = 0;
    for (; i < n; i += VF_LANES) {
        const size_t w = n - i < VF_LANES ? n - i : VF_LANES;
        const vf8 xv = w == VF_LANES ? vf_load(x + i) : vf_load_part(x + i, w);
        const vf8 dyv = w == VF_LANES ? vf_load(dy + i) : vf_load_part(dy + i, w);
        vf8 g = vf_mul(dyv, act_derivative_v(act, xv));
        if (accumulate) g = vf_add(w == VF_LANES ? vf_load(dx + i) : vf_load_part(dx + i, w), g);
        if (w == VF_LANES)
            vf_store(dx + i, g);
        else
            vf_store_part(dx + i, g, w);
    }
}

void act_forward_cpu(rise_act act, float *y, const float *x, size_t n) {
    act_check("act_forward", act);
    const size_t work = act == RISE_ACT_IDENTITY || act == RISE_ACT_RELU ? 1 : 4;
    CPU_FOR_CHUNKS(n, VF_LANES, work, forward_span(act, y + lo, x + lo, hi - lo));
}

void act_backward_cpu(rise_act act, float *dx, const float *dy, const float *x, size_t n,
                      int accumulate) {
    act_check("act_backward", act);
    const size_t work = act == RISE_ACT_IDENTITY || act == RISE_ACT_RELU ? 1 : 4;
    CPU_FOR_CHUNKS(n, VF_LANES, work,
                   backward_span(act, dx + lo, dy + lo, x + lo, hi - lo, accumulate));
}

/* Rows [lo, hi) of one member: h += bias, a = f(h). */
static void bias_act_rows(rise_act act, float *h, float *a, const float *bias, size_t lo, size_t hi,
                          int n) {
    for (size_t r = lo; r < hi; ++r) {
        float *hr = h + r * (size_t)n;
        if (bias)
            for (int j = 0; j < n; ++j) hr[j] += bias[j];
        forward_span(act, a + r * (size_t)n, hr, (size_t)n);
    }
}

void bias_act_forward_cpu(rise_act act, float *h, float *a, const float *bias, int e, int b,
                          int n) {
    act_check("bias_act_forward", act);
    act_check_shape("bias_act_forward", e, b, n);
    const size_t work = (act == RISE_ACT_IDENTITY || act == RISE_ACT_RELU ? 1 : 4) * (size_t)n;
    for (int ei = 0; ei < e; ++ei) {
        const size_t m = (size_t)ei * b * n;
        const float *bb = bias ? bias + (size_t)ei * n : NULL;
        CPU_FOR_CHUNKS((size_t)b, 1, work, bias_act_rows(act, h + m, a + m, bb, lo, hi, n));
    }
}

/* Columns [c0, c1) of one member over all b rows: dh = da f'(h), and the columns' sums of
 * dh in double, in row order, added to dbias. */
#define BIAS_TILE 256
static void act_bias_cols(rise_act act, float *dh, float *dbias, const float *da, const float *h,
                          int b, int n, size_t c0, size_t c1) {
    double acc[BIAS_TILE];
    for (size_t t0 = c0; t0 < c1; t0 += BIAS_TILE) {
        const size_t w = c1 - t0 < BIAS_TILE ? c1 - t0 : BIAS_TILE;
        for (size_t j = 0; j < w; ++j) acc[j] = 0.0;
        for (int r = 0; r < b; ++r) {
            const size_t o = (size_t)r * n + t0;
            backward_span(act, dh + o, da + o, h + o, w, 0);
            const float *d = dh + o;
            for (size_t j = 0; j < w; ++j) acc[j] += d[j];
        }
        for (size_t j = 0; j < w; ++j) dbias[t0 + j] += (float)acc[j];
    }
}

void act_bias_backward_cpu(rise_act act, float *dh, float *dbias, const float *da, const float *h,
                           int e, int b, int n) {
    act_check_shape("act_bias_backward", e, b, n);
    if (!dbias) {
        act_backward_cpu(act, dh, da, h, (size_t)e * b * n, 0);
        return;
    }
    const size_t work = (act == RISE_ACT_IDENTITY || act == RISE_ACT_RELU ? 2 : 5) * (size_t)b;
    for (int ei = 0; ei < e; ++ei) {
        const size_t m = (size_t)ei * b * n;
        CPU_FOR_CHUNKS(
            (size_t)n, VF_LANES, work,
            act_bias_cols(act, dh + m, dbias + (size_t)ei * n, da + m, h + m, b, n, lo, hi));
    }
}
