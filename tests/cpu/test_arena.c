/* test_arena.c - scratch arena: alignment, rewind, measuring pass. */
#include <stdint.h>

#include "host/arena.h"
#include "test_util.h"

int main(void) {
    rise_backend *be = test_backend_or_skip("cpu");
    rise_arena m;
    rise_arena_init_measure(&m);
    TEST_CHECK(rise_arena_alloc(&m, 10) == NULL, "measuring arena hands out nothing");
    size_t mark = rise_arena_mark(&m);
    rise_arena_alloc(&m, 100);
    rise_arena_rewind(&m, mark);
    rise_arena_alloc(&m, 5);
    TEST_CHECK(m.peak == 64 + 128, "measured peak %zu (10 -> 64, 100 -> 128 floats)", m.peak);

    rise_arena a;
    TEST_CHECK(rise_arena_init(&a, be, m.peak) == RISE_OK, "init");
    float *p = rise_arena_alloc(&a, 10);
    float *q = rise_arena_alloc(&a, 100);
    TEST_CHECK(((uintptr_t)p % 256) == 0 && ((uintptr_t)q % 256) == 0, "256-byte alignment");
    TEST_CHECK(q - p == 64, "second block follows the first rounded up");
    rise_arena_rewind(&a, 64);
    TEST_CHECK(rise_arena_alloc(&a, 3) == q, "rewind reuses memory");
    rise_arena_free(&a);
    rise_backend_destroy(be);
    return test_finish();
}
