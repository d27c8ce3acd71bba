/* safetensors.h - writes tensors in the safetensors format (Hugging Face), which
 * PyTorch, JAX, NumPy and most model tools load without running any code.
 *
 * Layout: an 8-byte little-endian header length N, N bytes of JSON
 *   {"__metadata__": {"key": "text", ...},
 *    "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
 * padded with spaces to a multiple of 8, then the tensors' bytes back to back in the
 * order given (offsets relative to the end of the header, contiguous, no gaps).
 *
 *     rise_st_tensor t = {"policy.net.in.w", 2, {256, 17}, w, 256 * 17};
 *     const char *keys[] = {"format"}, *values[] = {"rise-safetensors-1"};
 *     RISE_TRY(rise_safetensors_write("model.safetensors", 1, &t, 1, keys, values));
 *
 * Only float32 (dtype "F32", host byte order must be little-endian) is written; that is
 * every tensor rise has. The file is written to PATH.tmp and renamed over PATH. */
#ifndef RISE_HOST_SAFETENSORS_H
#define RISE_HOST_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "host/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_ST_MAX_DIMS 8

typedef struct {
    const char *name;
    int ndim; /* 0 (a scalar) .. RISE_ST_MAX_DIMS */
    int64_t shape[RISE_ST_MAX_DIMS];
    const float *data;
    size_t numel; /* must equal the product of shape */
} rise_st_tensor;

/* Fails on a duplicate or empty name, the reserved "__metadata__", a shape whose product
 * is not numel, or an I/O error (naming the path). */
rise_status rise_safetensors_write(const char *path, int n, const rise_st_tensor *tensors,
                                   int n_meta, const char *const *meta_keys,
                                   const char *const *meta_values);

#ifdef __cplusplus
}
#endif
#endif
