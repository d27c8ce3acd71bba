/* arena.c - bump allocator over one backend allocation. */
#include "arena.h"

#include <string.h>

static size_t round_up(size_t n) {
    return (n + RISE_ARENA_ALIGN_FLOATS - 1) / RISE_ARENA_ALIGN_FLOATS * RISE_ARENA_ALIGN_FLOATS;
}

rise_status rise_arena_init(rise_arena *a, rise_backend *be, size_t floats) {
    memset(a, 0, sizeof *a);
    a->be = be;
    a->capacity = round_up(floats ? floats : 1);
    a->base = be->alloc(be, a->capacity * sizeof(float));
    if (!a->base)
        return rise_error_context(RISE_ERR_NOMEM, "scratch arena of %zu floats on %s: ",
                                  a->capacity, be->name);
    return RISE_OK;
}

void rise_arena_init_measure(rise_arena *a) { memset(a, 0, sizeof *a); }

float *rise_arena_alloc(rise_arena *a, size_t floats) {
    const size_t need = round_up(floats);
    if (!a->be) {
        a->used += need;
        if (a->used > a->peak) a->peak = a->used;
        return NULL;
    }
    RISE_ASSERT(a->used + need <= a->capacity,
                "scratch arena exhausted: %zu of %zu floats used, %zu more requested "
                "(size the arena with a measuring pass)",
                a->used, a->capacity, need);
    float *p = a->base + a->used;
    a->used += need;
    if (a->used > a->peak) a->peak = a->used;
    return p;
}

size_t rise_arena_mark(const rise_arena *a) { return a->used; }

void rise_arena_rewind(rise_arena *a, size_t mark) {
    RISE_ASSERT(mark <= a->used, "arena rewind to %zu beyond current use %zu", mark, a->used);
    a->used = mark;
}

void rise_arena_free(rise_arena *a) {
    if (a->be && a->base) a->be->free(a->be, a->base);
    memset(a, 0, sizeof *a);
}
