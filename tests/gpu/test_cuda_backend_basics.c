/* test_cuda_backend_basics.c - the CUDA backend's plumbing: creation, zeroed
 * allocation, upload/download/copy round trips, sync status. Nothing here faults on
 * purpose, so compute-sanitizer runs it (scripts/gpu_session.sh); the deliberate
 * failures (an impossible allocation, a write to a bad address) are in
 * test_cuda_backend_faults.c.
 *
 * Run: ctest -L gpu -R test_cuda_backend_basics (exits 77, skipped, without a
 * GPU or when the CUDA backend was not built). */
#include "test_util.h"

static void test_identity(rise_backend *be) {
    TEST_CHECK(strcmp(be->name, "cuda") == 0, "name is '%s'", be->name);
    TEST_CHECK(be->is_device == 1, "is_device = %d", be->is_device);
    TEST_CHECK(rise_backend_cuda_built() == 1, "rise_backend_cuda_built() = 0");
}

/* alloc must hand out zeroed memory of every size, odd ones included */
static void test_alloc_zeroed(rise_backend *be) {
    const size_t sizes[] = {1, 3, 4, 1000, 4097, ((size_t)1 << 20) + 3};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; ++s) {
        const size_t bytes = sizes[s];
        unsigned char *dev = be->alloc(be, bytes);
        TEST_CHECK(dev != NULL, "alloc(%zu): %s", bytes, rise_last_error());
        if (!dev) continue;
        unsigned char *host = malloc(bytes);
        memset(host, 0xAB, bytes);
        be->download(be, host, dev, bytes);
        size_t nonzero = 0;
        for (size_t i = 0; i < bytes; ++i) nonzero += host[i] != 0;
        TEST_CHECK(nonzero == 0, "alloc(%zu): %zu non-zero bytes", bytes, nonzero);
        free(host);
        be->free(be, dev);
    }
    TEST_CHECK(be->sync(be) == RISE_OK, "sync after allocations: %s", rise_last_error());
}

/* upload -> copy -> download gives back the bytes, at offsets too */
static void test_round_trip(rise_backend *be) {
    const size_t sizes[] = {1, 7, 256, 100003, ((size_t)1 << 22) + 5};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; ++s) {
        const size_t bytes = sizes[s];
        unsigned char *src = malloc(bytes), *back = malloc(bytes);
        for (size_t i = 0; i < bytes; ++i) src[i] = (unsigned char)(i * 131u + 7u + s);
        memset(back, 0, bytes);
        unsigned char *d1 = be->alloc(be, bytes), *d2 = be->alloc(be, bytes);
        be->upload(be, d1, src, bytes);
        be->copy(be, d2, d1, bytes);
        be->download(be, back, d2, bytes);
        TEST_CHECK(memcmp(src, back, bytes) == 0, "round trip of %zu bytes differs", bytes);
        if (bytes > 8) { /* partial transfers at an odd offset */
            const size_t off = 3, len = bytes - 8;
            unsigned char *patch = malloc(len);
            for (size_t i = 0; i < len; ++i) patch[i] = (unsigned char)(255 - i);
            be->upload(be, d1 + off, patch, len);
            be->download(be, back, d1, bytes);
            TEST_CHECK(memcmp(back, src, off) == 0 && memcmp(back + off, patch, len) == 0 &&
                           memcmp(back + off + len, src + off + len, bytes - off - len) == 0,
                       "partial upload at offset %zu of %zu bytes", off, bytes);
            free(patch);
        }
        be->free(be, d1);
        be->free(be, d2);
        free(src);
        free(back);
    }
    TEST_CHECK(be->sync(be) == RISE_OK, "sync after round trips: %s", rise_last_error());
}

/* a kernel through the table, then sync: ops are asynchronous, sync is OK */
static void test_op_and_sync(rise_backend *be) {
    enum { N = 1003 };
    float *d = be->alloc(be, N * sizeof(float));
    be->fill(be, d, 2.5f, N);
    be->scale(be, d, 2.0f, N);
    TEST_CHECK(be->sync(be) == RISE_OK, "sync after fill/scale: %s", rise_last_error());
    float *h = test_from_backend(be, d, N);
    int bad = 0;
    for (int i = 0; i < N; ++i) bad += h[i] != 5.0f;
    TEST_CHECK(bad == 0, "fill 2.5 then scale 2: %d elements are not 5", bad);
    free(h);
    be->free(be, d);
}

int main(void) {
    rise_backend *be = test_backend_or_skip("cuda");
    test_identity(be);
    test_alloc_zeroed(be);
    test_round_trip(be);
    test_op_and_sync(be);
    rise_backend_destroy(be);
    return test_finish();
}
