/* backend_cuda.c - the CUDA backend table: cuBLAS GEMMs plus the handwritten
 * kernels of kernels/<op>.cu, on one stream. Without RISE_WITH_CUDA (no nvcc at
 * configure time) it only reports that the backend was not built. */
#include "backend.h"

#ifdef RISE_WITH_CUDA
#error "the CUDA backend table is not written yet"
#else

int rise_backend_cuda_built(void) { return 0; }

rise_backend *rise_backend_cuda_create(rise_status *st) {
    *st = rise_error(RISE_ERR_NO_DEVICE,
                     "the CUDA backend was not built (no nvcc at configure time; "
                     "install the CUDA toolkit and reconfigure with -DRISE_CUDA=ON)");
    return NULL;
}

#endif
