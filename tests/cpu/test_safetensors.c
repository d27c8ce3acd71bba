/* test_safetensors.c - the safetensors writer (host/safetensors.h) at the byte level.
 *
 * Run: ctest -R test_safetensors. A file of three tensors (2-D, 1-D, a scalar) and two
 * metadata entries: the 8-byte little-endian header length is a multiple of 8, the header
 * is JSON with dtype F32, the shapes, contiguous data_offsets from 0 to the end of the file
 * and the metadata strings; the data are the floats given. Duplicate names, the reserved
 * name, a shape that does not hold numel, and an unwritable path are errors naming the
 * problem. The safetensors package is the judge in test_export_safetensors.py. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/safetensors.h"
#include "test_util.h"

#define PATH "/tmp/rise_test_safetensors.safetensors"

static void test_layout(void) {
    const float w[6] = {1, 2, 3, 4, 5, 6}, b[3] = {-1, -2, -3}, s = 42.0f;
    const rise_st_tensor t[3] = {
        {"net.w", 2, {2, 3}, w, 6}, {"net.b", 1, {3}, b, 3}, {"scale", 0, {0}, &s, 1}};
    const char *keys[2] = {"format", "config"}, *values[2] = {"x-1", "{\"a\": 1}"};
    TEST_CHECK(rise_safetensors_write(PATH, 3, t, 2, keys, values) == RISE_OK, "write: %s",
               rise_last_error());
    FILE *f = fopen(PATH, "rb");
    TEST_CHECK(f != NULL, "open");
    if (!f) return;
    fseek(f, 0, SEEK_END);
    const long size = ftell(f);
    rewind(f);
    unsigned char *buf = malloc((size_t)size);
    TEST_CHECK(fread(buf, 1, (size_t)size, f) == (size_t)size, "read");
    fclose(f);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = n << 8 | buf[i];
    TEST_CHECK(n % 8 == 0 && 8 + n + 40 == (uint64_t)size, "header %llu, file %ld",
               (unsigned long long)n, size);
    char *json = malloc(n + 1);
    memcpy(json, buf + 8, n);
    json[n] = 0;
    cJSON *h = cJSON_Parse(json);
    TEST_CHECK(h != NULL, "header is JSON: %s", json);
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(h, "__metadata__");
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(meta, "format");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(meta, "config");
    TEST_CHECK(cJSON_IsString(fmt) && !strcmp(fmt->valuestring, "x-1") && cJSON_IsString(cfg) &&
                   !strcmp(cfg->valuestring, "{\"a\": 1}"),
               "metadata");
    const char *names[3] = {"net.w", "net.b", "scale"};
    const int ndims[3] = {2, 1, 0}, begins[3] = {0, 24, 36}, ends[3] = {24, 36, 40};
    for (int i = 0; i < 3; ++i) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(h, names[i]);
        const cJSON *dt = cJSON_GetObjectItemCaseSensitive(o, "dtype");
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(o, "shape");
        const cJSON *off = cJSON_GetObjectItemCaseSensitive(o, "data_offsets");
        TEST_CHECK(cJSON_IsString(dt) && !strcmp(dt->valuestring, "F32"), "%s dtype", names[i]);
        TEST_CHECK(cJSON_GetArraySize(sh) == ndims[i], "%s rank", names[i]);
        TEST_CHECK(cJSON_GetArraySize(off) == 2 &&
                       cJSON_GetArrayItem(off, 0)->valuedouble == begins[i] &&
                       cJSON_GetArrayItem(off, 1)->valuedouble == ends[i],
                   "%s offsets", names[i]);
    }
    TEST_CHECK(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
                                      cJSON_GetObjectItemCaseSensitive(h, "net.w"), "shape"),
                                  1)
                       ->valuedouble == 3,
               "net.w shape [2, 3]");
    float data[10];
    memcpy(data, buf + 8 + n, sizeof data);
    TEST_CHECK(!memcmp(data, w, sizeof w) && !memcmp(data + 6, b, sizeof b) && data[9] == s,
               "data");
    cJSON_Delete(h);
    free(json);
    free(buf);
    remove(PATH);
}

static void test_errors(void) {
    const float x[4] = {0};
    rise_st_tensor t[2] = {{"a", 1, {4}, x, 4}, {"a", 1, {4}, x, 4}};
    TEST_CHECK(rise_safetensors_write(PATH, 2, t, 0, NULL, NULL) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "'a' given twice"),
               "duplicate: %s", rise_last_error());
    t[1].name = "__metadata__";
    TEST_CHECK(rise_safetensors_write(PATH, 2, t, 0, NULL, NULL) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "__metadata__"),
               "reserved: %s", rise_last_error());
    t[1].name = "b";
    t[1].shape[0] = 3;
    TEST_CHECK(rise_safetensors_write(PATH, 2, t, 0, NULL, NULL) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "'b' has 4 values but its shape holds 3"),
               "shape: %s", rise_last_error());
    t[1].shape[0] = 4;
    TEST_CHECK(rise_safetensors_write("/nonexistent_dir/x.safetensors", 2, t, 0, NULL, NULL) ==
                       RISE_ERR_IO &&
                   strstr(rise_last_error(), "/nonexistent_dir/x.safetensors"),
               "unwritable: %s", rise_last_error());
    FILE *f = fopen(PATH, "rb");
    TEST_CHECK(f == NULL, "no file after failures");
    if (f) fclose(f);
}

int main(void) {
    test_layout();
    test_errors();
    return test_finish();
}
