/* test_cuda_backend_basics.c - CUDA backend memory: zeroed allocation, upload
 * / download / device copy round trips, sync status. Exits 77 without a GPU. */
#include "test_util.h"

int main(void) {
    rise_backend *be = test_backend_or_skip("cuda");
    TEST_CHECK(be->is_device && be->stream != NULL, "device backend with a stream");
    enum { N = 1000003 };
    float *h = malloc(N * 4), *back = malloc(N * 4);
    test_fill_random(h, N, 1, -5, 5);
    float *a = be->alloc(be, N * 4), *b = be->alloc(be, N * 4);
    be->download(be, back, a, N * 4);
    int zero = 1;
    for (int i = 0; i < N; ++i) zero &= back[i] == 0.0f;
    TEST_CHECK(zero, "alloc returns zeroed memory");
    be->upload(be, a, h, N * 4);
    be->copy(be, b, a, N * 4);
    be->download(be, back, b, N * 4);
    TEST_CHECK(memcmp(h, back, N * 4) == 0, "upload -> copy -> download round trip");
    TEST_CHECK(be->sync(be) == RISE_OK, "sync ok: %s", rise_last_error());
    be->free(be, a);
    be->free(be, b);
    free(h), free(back);
    rise_backend_destroy(be);
    return test_finish();
}
