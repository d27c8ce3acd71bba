/* backend.c - picks a backend by name. */
#include "backend.h"

#include <string.h>

rise_backend *rise_backend_create(const char *name, rise_status *st) {
    rise_status local;
    if (!st) st = &local;
    if (!name || strcmp(name, "cpu") == 0) return rise_backend_cpu_create(st);
    if (strcmp(name, "ref") == 0) return rise_backend_ref_create(st);
    if (strcmp(name, "cuda") == 0) return rise_backend_cuda_create(st);
    *st =
        rise_error(RISE_ERR_INVALID, "unknown backend '%s': expected 'cpu', 'ref' or 'cuda'", name);
    return NULL;
}

rise_status rise_backend_set_precision_name(rise_backend *be, const char *precision) {
    rise_precision p;
    if (!precision || strcmp(precision, "fp32") == 0)
        p = RISE_PRECISION_FP32;
    else if (strcmp(precision, "bf16") == 0)
        p = RISE_PRECISION_BF16;
    else
        return rise_error(RISE_ERR_INVALID, "precision '%s': expected 'fp32' or 'bf16'", precision);
    if (p == RISE_PRECISION_FP32 && !be->set_precision) return RISE_OK;
    if (!be->set_precision)
        return rise_error(RISE_ERR_INVALID,
                          "precision %s: the %s backend computes in fp32 only (bf16 runs on the "
                          "cpu backend)",
                          precision, be->name);
    return be->set_precision(be, p);
}

void rise_backend_destroy(rise_backend *be) {
    if (be) be->destroy(be);
}
