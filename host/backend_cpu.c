/* backend_cpu.c - the fast CPU backend table ("cpu", the default): the reference table
 * (backend_ref.c) with the ops that dominate a training step replaced by the fast
 * kernels/<op>_cpu.c variants: GEMM threading over one OpenMP pool, float vectorised
 * activations and their fused bias forms, LayerNorm, the bias gradient, Philox fills and
 * dropout, Adam and the large sums. Every replacement is tested against the reference
 * (tests/cpu/test_backend_cpu.c). Ops not worth speeding up keep the reference's entry.
 *
 * The fast kernels are compiled for AVX2 + FMA; on a processor without them the table
 * keeps the reference's entries throughout (same results as "ref", reference speed).
 *
 * Determinism: every fast op gives the same bits on every run and for every thread count
 * (fixed splits, fixed summation orders); see each kernel's header comment. */
#include "backend.h"

#include <stdlib.h>

#include "../kernels/activation.h"
#include "../kernels/gemm.h"
#include "../kernels/layernorm.h"
#include "../kernels/optim.h"
#include "../kernels/random.h"
#include "../kernels/reduce.h"

typedef struct {
    gemm_cpu_state *gemm;
} cpu_impl;

static gemm_cpu_state *gemm_state(rise_backend *be) { return ((cpu_impl *)be->impl)->gemm; }

static void cpu_destroy(rise_backend *be) {
    cpu_impl *impl = (cpu_impl *)be->impl;
    if (impl) gemm_cpu_destroy(impl->gemm);
    free(impl);
    free(be);
}

static void cpu_gemm(rise_backend *be, int trans_a, int trans_b, int m, int n, int k, float alpha,
                     const float *a, int lda, int64_t stride_a, const float *b, int ldb,
                     int64_t stride_b, float beta, float *c, int ldc, int64_t stride_c, int batch) {
    gemm_cpu(gemm_state(be), trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b,
             beta, c, ldc, stride_c, batch);
}

static rise_status cpu_set_precision(rise_backend *be, rise_precision p) {
    return gemm_cpu_set_precision(gemm_state(be),
                                  p == RISE_PRECISION_BF16 ? GEMM_CPU_BF16 : GEMM_CPU_FP32);
}

static void cpu_bias_grad(rise_backend *be, float *dbias, const float *dy, int e, int b, int n) {
    bias_grad_cpu(dbias, dy, e, b, n);
}

static void cpu_act_forward(rise_backend *be, rise_act act, float *y, const float *x, size_t n) {
    act_forward_cpu(act, y, x, n);
}

static void cpu_act_backward(rise_backend *be, rise_act act, float *dx, const float *dy,
                             const float *x, size_t n, int accumulate) {
    act_backward_cpu(act, dx, dy, x, n, accumulate);
}

static void cpu_bias_act_forward(rise_backend *be, rise_act act, float *h, float *a,
                                 const float *bias, int e, int b, int n) {
    bias_act_forward_cpu(act, h, a, bias, e, b, n);
}

static void cpu_act_bias_backward(rise_backend *be, rise_act act, float *dh, float *dbias,
                                  const float *da, const float *h, int e, int b, int n) {
    act_bias_backward_cpu(act, dh, dbias, da, h, e, b, n);
}

static void cpu_layernorm_forward(rise_backend *be, float *y, float *mean, float *rstd,
                                  const float *x, const float *gamma, const float *beta, int rows,
                                  int cols, float eps) {
    layernorm_forward_cpu(y, mean, rstd, x, gamma, beta, rows, cols, eps);
}

static void cpu_layernorm_backward(rise_backend *be, float *dx, float *dgamma, float *dbeta,
                                   const float *dy, const float *x, const float *mean,
                                   const float *rstd, const float *gamma, int rows, int cols,
                                   int accumulate) {
    layernorm_backward_cpu(dx, dgamma, dbeta, dy, x, mean, rstd, gamma, rows, cols, accumulate);
}

static void cpu_dropout_forward(rise_backend *be, float *y, float *mask, const float *x, size_t n,
                                float p, rise_rng rng) {
    dropout_forward_cpu(y, mask, x, n, p, rng);
}

static void cpu_rand_uniform(rise_backend *be, float *y, size_t n, float lo, float hi,
                             rise_rng rng) {
    rand_uniform_cpu(y, n, lo, hi, rng);
}

static void cpu_rand_normal(rise_backend *be, float *y, size_t n, float mean, float std,
                            rise_rng rng) {
    rand_normal_cpu(y, n, mean, std, rng);
}

static void cpu_adam(rise_backend *be, float *param, const float *grad, float *m, float *v,
                     size_t n, const rise_adam_hparams *hp, int step, const float *grad_sumsq) {
    adam_cpu(param, grad, m, v, n, hp, step, grad_sumsq);
}

static void cpu_reduce(rise_backend *be, rise_reduce_op op, float *out, const float *x, size_t n) {
    reduce_cpu(op, out, x, n);
}

/* Whether this processor runs the kernels compiled for AVX2 + FMA. */
static int cpu_has_fast_isa(void) {
#ifdef RISE_NO_FAST_CPU
    return 0;
#else
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
}

rise_backend *rise_backend_cpu_create(rise_status *st) {
    rise_status local;
    if (!st) st = &local;
    rise_backend *be = rise_backend_ref_create(st);
    if (!be) return NULL;
    be->name = "cpu";
    cpu_impl *impl = (cpu_impl *)calloc(1, sizeof *impl);
    be->impl = impl;
    be->destroy = cpu_destroy;
    if (!impl) {
        cpu_destroy(be);
        *st = rise_error(RISE_ERR_NOMEM, "cpu backend: cannot allocate its state");
        return NULL;
    }
    if (!cpu_has_fast_isa()) return be; /* the reference's entries throughout */
    impl->gemm = gemm_cpu_create();
    if (!impl->gemm) {
        cpu_destroy(be);
        *st = rise_error(RISE_ERR_NOMEM, "cpu backend: cannot allocate the GEMM state");
        return NULL;
    }
    be->gemm = cpu_gemm;
    be->set_precision = cpu_set_precision;
    be->bias_grad = cpu_bias_grad;
    be->act_forward = cpu_act_forward;
    be->act_backward = cpu_act_backward;
    be->bias_act_forward = cpu_bias_act_forward;
    be->act_bias_backward = cpu_act_bias_backward;
    be->layernorm_forward = cpu_layernorm_forward;
    be->layernorm_backward = cpu_layernorm_backward;
    be->dropout_forward = cpu_dropout_forward;
    be->rand_uniform = cpu_rand_uniform;
    be->rand_normal = cpu_rand_normal;
    be->adam = cpu_adam;
    be->reduce = cpu_reduce;
    *st = RISE_OK;
    return be;
}
