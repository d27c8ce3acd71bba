/* cuda_errors.h - hand-over of asynchronous CUDA/cuBLAS failures from the kernel
 * launchers to the CUDA backend.
 *
 * A launcher cannot see the backend, so it splits failures in two: a bad
 * launch configuration or argument is a programmer error and aborts through
 * rise_fatal; anything that happens at run time (a fault in an earlier kernel,
 * a cuBLAS execution failure) is parked here, and the backend's sync() takes it
 * and turns it into its sticky RISE_ERR_DEVICE status. Plain C, no CUDA types
 * (codes are cudaError_t / cublasStatus_t values as int). Defined in
 * kernels/cuda_errors.cu, so only present when the CUDA backend is built. */
#ifndef RISE_KERNELS_CUDA_ERRORS_H
#define RISE_KERNELS_CUDA_ERRORS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Keeps the first runtime failure seen by any launcher (later ones are dropped). */
void rise_cuda_park_error(const char *file, int line, const char *what, const char *detail);
/* Moves the parked message (if any) into buf and clears it; returns 1 if there was one. */
int rise_cuda_take_error(char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
