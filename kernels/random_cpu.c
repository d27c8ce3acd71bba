/* random_cpu.c - the fast CPU Philox fills and dropout ("cpu" backend). The reference
 * computes a whole Philox block (four words, ten rounds) for every output; here each block
 * is computed once and eight blocks run side by side (struct-of-arrays lanes the compiler
 * vectorises), giving four uniforms or two normals per block. The numbers are philox.h's:
 * uniforms and dropout masks equal the reference bit for bit, and normals too (the same
 * rise_normal_of_words per value, libm's logf/sinf/cosf). Chunks over threads start
 * anywhere; each element depends only on its index, skip + i under a data-parallel window
 * (philox.h: the window is resolved first). */
#include "random.h"
#include "cpu_chunks.h"

#define PHILOX_LANES 8

/* Blocks block0 .. block0 + 7 of (seed, stream): words w[j][l] of block block0 + l. The
 * rounds of philox.h's rise_philox4x32_10, lane by lane. */
static void philox_blocks8(uint64_t seed, uint32_t stream, uint64_t block0,
                           uint32_t w[4][PHILOX_LANES]) {
    const uint32_t m0 = 0xD2511F53u, m1 = 0xCD9E8D57u;
    const uint32_t w0 = 0x9E3779B9u, w1 = 0xBB67AE85u;
    uint32_t c0[PHILOX_LANES], c1[PHILOX_LANES], c2[PHILOX_LANES], c3[PHILOX_LANES];
    for (int l = 0; l < PHILOX_LANES; ++l) {
        const uint64_t b = block0 + (uint64_t)l;
        c0[l] = (uint32_t)b, c1[l] = (uint32_t)(b >> 32), c2[l] = stream, c3[l] = 0u;
    }
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int round = 0; round < 10; ++round) {
        for (int l = 0; l < PHILOX_LANES; ++l) {
            const uint64_t p0 = (uint64_t)m0 * c0[l];
            const uint64_t p1 = (uint64_t)m1 * c2[l];
            const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1[l] ^ k0;
            const uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3[l] ^ k1;
            c1[l] = (uint32_t)p1;
            c3[l] = (uint32_t)p0;
            c0[l] = n0;
            c2[l] = n2;
        }
        k0 += w0;
        k1 += w1;
    }
    for (int l = 0; l < PHILOX_LANES; ++l)
        w[0][l] = c0[l], w[1][l] = c1[l], w[2][l] = c2[l], w[3][l] = c3[l];
}

/* One fill's arrays and two float parameters; the span functions below write elements
 * [lo, hi) of a draw, element i being element g = rng.skip + i of the stream (of uniforms
 * and dropout: word g % 4 of block g / 4; of normals: block g / 2). */
typedef struct {
    float *y, *mask;
    const float *x;
    float a, b; /* uniform: lo, hi - lo; normal: mean, std; dropout: p, keep scale */
} fill_args;

static void uniform_span(const fill_args *f, rise_rng rng, size_t lo, size_t hi) {
    uint32_t w[4][PHILOX_LANES];
    const uint64_t s = rng.skip, glo = s + lo, ghi = s + hi;
    for (uint64_t blk = glo / 4; blk * 4 < ghi; blk += PHILOX_LANES) {
        philox_blocks8(rng.seed, rng.stream, rng.offset + blk, w);
        for (int l = 0; l < PHILOX_LANES; ++l)
            for (int j = 0; j < 4; ++j) {
                const uint64_t g = (blk + (uint64_t)l) * 4 + (uint64_t)j;
                if (g >= glo && g < ghi) f->y[g - s] = f->a + f->b * rise_u01(w[j][l]);
            }
    }
}

static void dropout_span(const fill_args *f, rise_rng rng, size_t lo, size_t hi) {
    uint32_t w[4][PHILOX_LANES];
    const uint64_t s = rng.skip, glo = s + lo, ghi = s + hi;
    for (uint64_t blk = glo / 4; blk * 4 < ghi; blk += PHILOX_LANES) {
        philox_blocks8(rng.seed, rng.stream, rng.offset + blk, w);
        for (int l = 0; l < PHILOX_LANES; ++l)
            for (int j = 0; j < 4; ++j) {
                const uint64_t g = (blk + (uint64_t)l) * 4 + (uint64_t)j;
                if (g < glo || g >= ghi) continue;
                const size_t i = (size_t)(g - s);
                const float m = rise_u01(w[j][l]) >= f->a ? f->b : 0.0f;
                f->mask[i] = m;
                f->y[i] = f->x[i] * m;
            }
    }
}

static void normal_span(const fill_args *f, rise_rng rng, size_t lo, size_t hi) {
    uint32_t w[4][PHILOX_LANES];
    const uint64_t s = rng.skip, glo = s + lo, ghi = s + hi;
    for (uint64_t blk = glo / 2; blk * 2 < ghi; blk += PHILOX_LANES) {
        philox_blocks8(rng.seed, rng.stream, rng.offset + blk, w);
        for (int l = 0; l < PHILOX_LANES; ++l)
            for (int j = 0; j < 2; ++j) {
                const uint64_t g = (blk + (uint64_t)l) * 2 + (uint64_t)j;
                if (g >= glo && g < ghi)
                    f->y[g - s] = f->a + f->b * rise_normal_of_words(w[0][l], w[1][l], j);
            }
    }
}

void rand_uniform_cpu(float *y, size_t n, float lo_v, float hi_v, rise_rng rng) {
    rng = rise_rng_slice(rise_rng_resolve(rng), n);
    const fill_args f = {y, NULL, NULL, lo_v, hi_v - lo_v};
    CPU_FOR_CHUNKS(n, 4 * PHILOX_LANES, 1, uniform_span(&f, rng, lo, hi));
}

void rand_normal_cpu(float *y, size_t n, float mean, float std, rise_rng rng) {
    rng = rise_rng_slice(rise_rng_resolve(rng), n);
    const fill_args f = {y, NULL, NULL, mean, std};
    CPU_FOR_CHUNKS(n, 2 * PHILOX_LANES, 4, normal_span(&f, rng, lo, hi));
}

void dropout_forward_cpu(float *y, float *mask, const float *x, size_t n, float p, rise_rng rng) {
    rng = rise_rng_slice(rise_rng_resolve(rng), n);
    dropout_check(p);
    const fill_args f = {y, mask, x, p, p < 1.0f ? 1.0f / (1.0f - p) : 0.0f};
    CPU_FOR_CHUNKS(n, 4 * PHILOX_LANES, 1, dropout_span(&f, rng, lo, hi));
}
