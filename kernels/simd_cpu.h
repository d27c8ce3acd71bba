/* simd_cpu.h - the 8-lane float vocabulary of the fast CPU kernels (kernels/<op>_cpu.c):
 * AVX2 + FMA intrinsics, SLEEF's vector exp/log/tanh/sincos (1-ulp "u10" forms), and loads
 * and stores of a partial vector for the tail of a row. Only files compiled with -mavx2
 * -mfma include it (CMakeLists.txt sets that for the kernels/<op>_cpu.c files); the "cpu" backend
 * calls them only after checking that the processor has AVX2 and FMA (host/backend_cpu.c). */
#ifndef RISE_KERNELS_SIMD_CPU_H
#define RISE_KERNELS_SIMD_CPU_H

#include <immintrin.h>
#include <sleef.h>
#include <stddef.h>
#include <string.h>

typedef __m256 vf8;
typedef __m256d vd4;

#define VF_LANES 8

static inline vf8 vf_set1(float x) { return _mm256_set1_ps(x); }
static inline vf8 vf_load(const float *p) { return _mm256_loadu_ps(p); }
static inline void vf_store(float *p, vf8 v) { _mm256_storeu_ps(p, v); }

/* The first `n` (< 8) lanes from p; the rest 0 (never read past p + n). */
static inline vf8 vf_load_part(const float *p, size_t n) {
    float t[VF_LANES] = {0};
    memcpy(t, p, n * sizeof(float));
    return _mm256_loadu_ps(t);
}
static inline void vf_store_part(float *p, vf8 v, size_t n) {
    float t[VF_LANES];
    _mm256_storeu_ps(t, v);
    memcpy(p, t, n * sizeof(float));
}

static inline vf8 vf_add(vf8 a, vf8 b) { return _mm256_add_ps(a, b); }
static inline vf8 vf_sub(vf8 a, vf8 b) { return _mm256_sub_ps(a, b); }
static inline vf8 vf_mul(vf8 a, vf8 b) { return _mm256_mul_ps(a, b); }
static inline vf8 vf_div(vf8 a, vf8 b) { return _mm256_div_ps(a, b); }
static inline vf8 vf_fma(vf8 a, vf8 b, vf8 c) { return _mm256_fmadd_ps(a, b, c); }
static inline vf8 vf_abs(vf8 a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
static inline vf8 vf_neg(vf8 a) { return _mm256_xor_ps(_mm256_set1_ps(-0.0f), a); }
/* Lanes where a > b / a >= b (false for NaN, as the scalar comparisons). */
static inline vf8 vf_gt(vf8 a, vf8 b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
static inline vf8 vf_ge(vf8 a, vf8 b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
/* mask ? a : b, lane by lane. */
static inline vf8 vf_select(vf8 mask, vf8 a, vf8 b) { return _mm256_blendv_ps(b, a, mask); }

static inline vf8 vf_exp(vf8 x) { return Sleef_expf8_u10avx2(x); }
static inline vf8 vf_log(vf8 x) { return Sleef_logf8_u10avx2(x); }
static inline vf8 vf_tanh(vf8 x) { return Sleef_tanhf8_u10avx2(x); }

/* sigmoid(z) and 1 - sigmoid(z), both from e = exp(-|z|) <= 1: neither overflows nor
 * cancels for large |z|; NaN gives NaN. */
static inline void vf_sigmoid2(vf8 z, vf8 *s, vf8 *one_minus_s) {
    const vf8 e = vf_exp(vf_neg(vf_abs(z)));
    const vf8 big = vf_div(vf_set1(1.0f), vf_add(vf_set1(1.0f), e)); /* 1 / (1 + e) */
    const vf8 small = vf_mul(e, big);                                /* e / (1 + e) */
    const vf8 pos = vf_ge(z, _mm256_setzero_ps());
    *s = vf_select(pos, big, small);
    *one_minus_s = vf_select(pos, small, big);
}

/* Double lanes: the low or high four floats of v widened. */
static inline vd4 vd_lo(vf8 v) { return _mm256_cvtps_pd(_mm256_castps256_ps128(v)); }
static inline vd4 vd_hi(vf8 v) { return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)); }

#endif
