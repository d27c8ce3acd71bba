/* philox.h - Philox4x32-10 counter-based RNG shared by the C and CUDA code.
 *
 * Every random number in rise is a pure function of (seed, stream, index):
 *   key     = (seed & 0xffffffff, seed >> 32)
 *   counter = (block & 0xffffffff, block >> 32, stream, 0)
 * One Philox call yields a block of four 32-bit words. A draw of n values
 * starting at `offset` (in blocks) uses blocks offset .. offset+ceil(n/w)-1,
 * where w = 4 words per block for uniform/integer draws and w = 2 values per
 * block for normal draws (Box-Muller pairs). Callers advance their offset
 * with rise_rng_blocks_*(). Because the mapping is fixed, the CPU and CUDA
 * backends produce identical uniforms and integers (bitwise) and normals that
 * agree to a few ulp (logf/cosf differ slightly between libm and CUDA). */
#ifndef RISE_PHILOX_H
#define RISE_PHILOX_H

#include <math.h>
#include <stdint.h>

#include "host_device.h"

typedef struct {
    uint32_t v[4];
} rise_u32x4;

/* Where a stream of draws comes from; `offset` counts Philox blocks. A draw starts
 * at block offset + *offset_add when offset_add is set: a counter in the backend's
 * memory, read by the op when it runs, so a captured CUDA graph draws fresh numbers
 * on every replay (the agent's device clock, algorithms/agent_clock.c).
 *
 * Data parallelism: element i of a draw is element skip + i of the sequence above, and
 * a window says that this process holds rows row0 .. row0 + rows - 1 of a batch of
 * rows_total rows. A draw of n values over the local rows (n a multiple of rows, the
 * same number per row, row-major) is then the slice starting at element
 * row0 * (n / rows) of the draw of rows_total * (n / rows) values the whole batch
 * makes: every rank sees the numbers one process with the whole batch would see for
 * the same rows (rise_rng_slice; ops call it before splitting their work). rows = 0:
 * no window. Positional initialisers {seed, stream, offset, NULL} leave all of it 0. */
typedef struct {
    uint64_t seed;
    uint32_t stream;
    uint64_t offset;
    const uint64_t *offset_add; /* NULL: none */
    uint64_t skip;
    uint32_t row0, rows, rows_total;
} rise_rng;

RISE_HD rise_u32x4 rise_philox4x32_10(rise_u32x4 ctr, uint32_t k0, uint32_t k1) {
    const uint32_t m0 = 0xD2511F53u, m1 = 0xCD9E8D57u;
    const uint32_t w0 = 0x9E3779B9u, w1 = 0xBB67AE85u;
    for (int round = 0; round < 10; ++round) {
        const uint64_t p0 = (uint64_t)m0 * ctr.v[0];
        const uint64_t p1 = (uint64_t)m1 * ctr.v[2];
        const uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        const uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        rise_u32x4 next;
        next.v[0] = hi1 ^ ctr.v[1] ^ k0;
        next.v[1] = lo1;
        next.v[2] = hi0 ^ ctr.v[3] ^ k1;
        next.v[3] = lo0;
        ctr = next;
        k0 += w0;
        k1 += w1;
    }
    return ctr;
}

/* The block of four words at absolute block index `block` of a stream. */
RISE_HD rise_u32x4 rise_philox_block(uint64_t seed, uint32_t stream, uint64_t block) {
    rise_u32x4 ctr;
    ctr.v[0] = (uint32_t)block;
    ctr.v[1] = (uint32_t)(block >> 32);
    ctr.v[2] = stream;
    ctr.v[3] = 0u;
    return rise_philox4x32_10(ctr, (uint32_t)seed, (uint32_t)(seed >> 32));
}

/* Maps a word to the open interval (0, 1); exact in float (23 bits + 1/2). */
RISE_HD float rise_u01(uint32_t x) { return ((float)(x >> 9) + 0.5f) * (1.0f / 8388608.0f); }

/* Maps a word to [0, n) by multiply-shift (bias below n / 2^32). */
RISE_HD uint32_t rise_below(uint32_t x, uint32_t n) { return (uint32_t)(((uint64_t)x * n) >> 32); }

/* i-th 32-bit word of a draw starting at block `offset`. */
RISE_HD uint32_t rise_rng_word(uint64_t seed, uint32_t stream, uint64_t offset, uint64_t i) {
    const rise_u32x4 b = rise_philox_block(seed, stream, offset + (i >> 2));
    return b.v[i & 3u];
}

RISE_HD float rise_rng_uniform(uint64_t seed, uint32_t stream, uint64_t offset, uint64_t i) {
    return rise_u01(rise_rng_word(seed, stream, offset + 0, i));
}

/* i-th standard normal: Box-Muller on words 0,1 of block offset + i/2; even
 * i takes the cosine branch, odd i the sine branch (rise_normal_of_words). */
RISE_HD float rise_normal_of_words(uint32_t w0, uint32_t w1, int odd) {
    const float u1 = rise_u01(w0);
    const float u2 = rise_u01(w1);
    const float r = sqrtf(-2.0f * logf(u1));
    const float theta = 6.283185307179586f * u2;
    return odd ? r * sinf(theta) : r * cosf(theta);
}
RISE_HD float rise_rng_normal(uint64_t seed, uint32_t stream, uint64_t offset, uint64_t i) {
    const rise_u32x4 b = rise_philox_block(seed, stream, offset + (i >> 1));
    return rise_normal_of_words(b.v[0], b.v[1], (int)(i & 1u));
}

/* The first block of a draw: offset plus the counter it points at, if any. */
RISE_HD uint64_t rise_rng_start(rise_rng r) {
    return r.offset + (r.offset_add ? *r.offset_add : 0u);
}

/* The same draw with the counter folded into offset (what an op uses when it runs;
 * on CUDA only inside a kernel, where the counter is addressable). */
RISE_HD rise_rng rise_rng_resolve(rise_rng r) {
    r.offset = rise_rng_start(r);
    r.offset_add = 0;
    return r;
}

/* A draw of n values: the window resolved into skip (idempotent: the window is cleared). */
RISE_HD rise_rng rise_rng_slice(rise_rng r, uint64_t n) {
    if (r.rows) r.skip += (uint64_t)r.row0 * (n / r.rows);
    r.rows = 0;
    return r;
}

/* Values the whole batch's draw has when the local draw has n (n without a window). */
RISE_HD uint64_t rise_rng_span(rise_rng r, uint64_t n) {
    return r.rows ? (uint64_t)r.rows_total * (n / r.rows) : n;
}

/* The same draw position on stream + k (an op's second, independent stream). */
RISE_HD rise_rng rise_rng_substream(rise_rng r, uint32_t k) {
    r.stream += k;
    return r;
}

/* Blocks consumed by n uniform/integer words and by n normals. */
RISE_HD uint64_t rise_rng_blocks_uniform(uint64_t n) { return (n + 3u) >> 2; }
RISE_HD uint64_t rise_rng_blocks_normal(uint64_t n) { return (n + 1u) >> 1; }

#endif
