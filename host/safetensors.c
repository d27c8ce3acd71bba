/* safetensors.c - the safetensors writer: a cJSON header and the raw float32 bytes (see
 * safetensors.h). */
#include "host/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static rise_status check_tensors(const char *path, int n, const rise_st_tensor *t) {
    for (int i = 0; i < n; ++i) {
        if (!t[i].name || !t[i].name[0] || !strcmp(t[i].name, "__metadata__"))
            return rise_error(RISE_ERR_INVALID, "%s: tensor %d has the name '%s'", path, i,
                              t[i].name ? t[i].name : "(null)");
        if (t[i].ndim < 0 || t[i].ndim > RISE_ST_MAX_DIMS)
            return rise_error(RISE_ERR_INVALID, "%s: tensor '%s' has %d dimensions, at most %d",
                              path, t[i].name, t[i].ndim, RISE_ST_MAX_DIMS);
        size_t numel = 1;
        for (int d = 0; d < t[i].ndim; ++d) {
            if (t[i].shape[d] < 0)
                return rise_error(RISE_ERR_INVALID, "%s: tensor '%s' dimension %d is %lld", path,
                                  t[i].name, d, (long long)t[i].shape[d]);
            numel *= (size_t)t[i].shape[d];
        }
        if (numel != t[i].numel)
            return rise_error(RISE_ERR_INVALID,
                              "%s: tensor '%s' has %zu values but its shape holds %zu", path,
                              t[i].name, t[i].numel, numel);
        if (numel && !t[i].data)
            return rise_error(RISE_ERR_INVALID, "%s: tensor '%s' has no data", path, t[i].name);
        for (int j = 0; j < i; ++j)
            if (!strcmp(t[i].name, t[j].name))
                return rise_error(RISE_ERR_INVALID, "%s: tensor name '%s' given twice", path,
                                  t[i].name);
    }
    return RISE_OK;
}

/* The JSON header (malloc'd, unpadded). */
static char *header_json(int n, const rise_st_tensor *t, int n_meta, const char *const *keys,
                         const char *const *values) {
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    int ok = 1;
    if (n_meta > 0) {
        cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
        ok = meta != NULL;
        for (int i = 0; ok && i < n_meta; ++i)
            ok = cJSON_AddStringToObject(meta, keys[i], values[i] ? values[i] : "") != NULL;
    }
    size_t offset = 0;
    for (int i = 0; ok && i < n; ++i) {
        cJSON *o = cJSON_AddObjectToObject(root, t[i].name);
        cJSON *shape = o ? cJSON_AddArrayToObject(o, "shape") : NULL;
        cJSON *offs = o ? cJSON_AddArrayToObject(o, "data_offsets") : NULL;
        ok = o && shape && offs && cJSON_AddStringToObject(o, "dtype", "F32");
        for (int d = 0; ok && d < t[i].ndim; ++d)
            ok = cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t[i].shape[d]));
        const size_t end = offset + sizeof(float) * t[i].numel;
        ok = ok && cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)offset)) &&
             cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)end));
        offset = end;
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}

rise_status rise_safetensors_write(const char *path, int n, const rise_st_tensor *tensors,
                                   int n_meta, const char *const *meta_keys,
                                   const char *const *meta_values) {
    const uint32_t probe = 1;
    if (*(const unsigned char *)&probe != 1)
        return rise_error(RISE_ERR_INVALID, "%s: safetensors are little-endian; this host is not",
                          path);
    RISE_TRY(check_tensors(path, n, tensors));
    for (int i = 0; i < n_meta; ++i)
        if (!meta_keys[i] || !meta_keys[i][0])
            return rise_error(RISE_ERR_INVALID, "%s: metadata entry %d has no key", path, i);
    char *json = header_json(n, tensors, n_meta, meta_keys, meta_values);
    if (!json) return rise_error(RISE_ERR_NOMEM, "%s: out of memory for the header", path);
    const size_t len = strlen(json), padded = (len + 7) / 8 * 8;
    char *tmp = malloc(strlen(path) + 8);
    if (!tmp) {
        free(json);
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    sprintf(tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    rise_status st = RISE_OK;
    if (!f) st = rise_error(RISE_ERR_IO, "%s: cannot write: %s", tmp, strerror(errno));
    if (st == RISE_OK) {
        unsigned char head[8];
        for (int i = 0; i < 8; ++i) head[i] = (unsigned char)((uint64_t)padded >> (8 * i));
        int ok = fwrite(head, 1, 8, f) == 8 && fwrite(json, 1, len, f) == len;
        for (size_t i = len; ok && i < padded; ++i) ok = fputc(' ', f) != EOF;
        for (int i = 0; ok && i < n; ++i)
            ok = tensors[i].numel == 0 ||
                 fwrite(tensors[i].data, sizeof(float), tensors[i].numel, f) == tensors[i].numel;
        if (fclose(f) != 0) ok = 0;
        if (!ok) st = rise_error(RISE_ERR_IO, "%s: write failed: %s", tmp, strerror(errno));
    }
    if (st == RISE_OK && rename(tmp, path) != 0)
        st = rise_error(RISE_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    if (st != RISE_OK && f) remove(tmp);
    free(tmp);
    free(json);
    return st;
}
