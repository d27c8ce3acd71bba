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

void rise_backend_destroy(rise_backend *be) {
    if (be) be->destroy(be);
}
