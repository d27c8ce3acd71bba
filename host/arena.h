/* arena.h - scratch memory sized once at start-up, bump-allocated per step.
 *
 * A step takes what it needs with rise_arena_alloc and gives it back with
 * rise_arena_rewind(mark); nothing is allocated inside the step loop. Sizing:
 * run the setup once on a measuring arena (rise_arena_init_measure), which
 * hands out no memory but records the peak, then create the real one. */
#ifndef RISE_ARENA_H
#define RISE_ARENA_H

#include <stddef.h>

#include "backend.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_ARENA_ALIGN_FLOATS 64 /* 256 bytes: coalesced, vector-load friendly */

typedef struct {
    rise_backend *be; /* NULL for a measuring arena */
    float *base;
    size_t capacity; /* floats */
    size_t used;
    size_t peak;
} rise_arena;

rise_status rise_arena_init(rise_arena *a, rise_backend *be, size_t floats);
void rise_arena_init_measure(rise_arena *a);
/* Aborts when the arena is too small: the sizing pass is a programmer's job.
 * A measuring arena returns NULL. */
float *rise_arena_alloc(rise_arena *a, size_t floats);
size_t rise_arena_mark(const rise_arena *a);
void rise_arena_rewind(rise_arena *a, size_t mark);
void rise_arena_free(rise_arena *a);

#ifdef __cplusplus
}
#endif
#endif
