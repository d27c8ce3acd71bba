/* optim_cpu.c - the fast CPU Adam ("cpu" backend): adam_ref's float arithmetic per element
 * (kernels/optim.h's adam_element), compiled with AVX2 and without errno, so the square
 * root and division vectorise; chunks over threads. Each element's update is the
 * reference's bit for bit, whatever the chunking. */
#include "optim.h"
#include "cpu_chunks.h"

static void adam_span(float *restrict param, const float *restrict grad, float *restrict m,
                      float *restrict v, size_t n, adam_scalars s) {
    for (size_t i = 0; i < n; ++i) adam_element(&param[i], grad[i], &m[i], &v[i], s);
}

void adam_cpu(float *param, const float *grad, float *m, float *v, size_t n,
              const rise_adam_hparams *hp, int step, const float *grad_sumsq) {
    adam_check(hp, step);
    const adam_scalars s = adam_scalars_of(hp, step, grad_sumsq);
    CPU_FOR_CHUNKS(n, 16, 2, adam_span(param + lo, grad + lo, m + lo, v + lo, hi - lo, s));
}
