/* host_device.h - the qualifier and the few generic per-element rules that the C
 * references (kernels/<op>_ref.c) and the CUDA kernels (kernels/<op>.cu) share.
 *
 * A rule both sides need is written once, as a RISE_HD function: `static inline` in C,
 * `static __host__ __device__ __forceinline__` under nvcc, so the reference and the
 * kernel call the same code and cannot drift. Op-specific rules live in the op's own
 * header (kernels/<op>.h) next to its description; this file holds what several ops use:
 *   rise_clampf     clamp that passes NaN through (divergence stays visible)
 *   rise_max_nan    max / min that return NaN when either side is NaN, so a reduction
 *   rise_min_nan    reports NaN whatever the order its elements are combined in
 *   rise_add_rn     a + b, a * b and a + b c rounded as written (float; _dadd/_dmul
 *   rise_mul_rn     in double): on the device the _rn intrinsics stop nvcc contracting
 *   rise_fma_free   them into an FMA, so results stay bitwise equal to the host's (C11
 *                   without GNU extensions does not contract either)
 * Host-only argument checks (they abort through RISE_ASSERT) are plain `static inline`
 * functions named <op>_check in the op's header; the reference and the CUDA launcher
 * both call them. */
#ifndef RISE_HOST_DEVICE_H
#define RISE_HOST_DEVICE_H

#include <math.h>

#if defined(__CUDACC__)
#define RISE_HD static __host__ __device__ __forceinline__
#else
#define RISE_HD static inline
#endif

/* v clamped to [lo, hi]; NaN stays NaN (both comparisons are false). */
RISE_HD float rise_clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* max(a, b), NaN if either is NaN (a canonical quiet NaN, so the result does not
 * depend on which operand carried it). */
RISE_HD double rise_max_nan(double a, double b) {
    if (b > a) return b;
    if (a >= b) return a;
    return nan(""); /* neither comparison holds: a or b is NaN */
}

RISE_HD double rise_min_nan(double a, double b) {
    if (b < a) return b;
    if (a <= b) return a;
    return nan("");
}

#if defined(__CUDA_ARCH__)
RISE_HD float rise_add_rn(float a, float b) { return __fadd_rn(a, b); }
RISE_HD float rise_mul_rn(float a, float b) { return __fmul_rn(a, b); }
RISE_HD double rise_dadd_rn(double a, double b) { return __dadd_rn(a, b); }
RISE_HD double rise_dmul_rn(double a, double b) { return __dmul_rn(a, b); }
#else
RISE_HD float rise_add_rn(float a, float b) { return a + b; }
RISE_HD float rise_mul_rn(float a, float b) { return a * b; }
RISE_HD double rise_dadd_rn(double a, double b) { return a + b; }
RISE_HD double rise_dmul_rn(double a, double b) { return a * b; }
#endif

/* a + b c with the product rounded first (never an FMA). */
RISE_HD float rise_fma_free(float a, float b, float c) { return rise_add_rn(a, rise_mul_rn(b, c)); }

#endif
