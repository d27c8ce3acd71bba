/* test_philox.c - Philox4x32-10 known answers and the draw mapping. */
#include "kernels/philox.h"
#include "test_util.h"

static int eq4(rise_u32x4 r, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
    return r.v[0] == a && r.v[1] == b && r.v[2] == c && r.v[3] == d;
}

int main(void) {
    /* Random123's known-answer vectors for philox4x32_10 */
    rise_u32x4 zero = {{0, 0, 0, 0}};
    TEST_CHECK(
        eq4(rise_philox4x32_10(zero, 0, 0), 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u),
        "kat: zero counter/key");
    rise_u32x4 ones = {{~0u, ~0u, ~0u, ~0u}};
    TEST_CHECK(
        eq4(rise_philox4x32_10(ones, ~0u, ~0u), 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu),
        "kat: all-ones counter/key");
    rise_u32x4 pi = {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}};
    TEST_CHECK(eq4(rise_philox4x32_10(pi, 0xa4093822u, 0x299f31d0u), 0xd16cfe09u, 0x94fdccebu,
                   0x5001e420u, 0x24126ea1u),
               "kat: pi digits");

    /* (seed, stream, block) -> counter/key layout documented in philox.h */
    const uint64_t seed = 0x0123456789abcdefULL;
    rise_u32x4 ctr = {{0x89abcdefu, 0x01234567u, 7u, 0u}}; /* block 0x0123456789abcdef */
    rise_u32x4 direct = rise_philox4x32_10(ctr, (uint32_t)seed, (uint32_t)(seed >> 32));
    rise_u32x4 via = rise_philox_block(seed, 7, 0x0123456789abcdefULL);
    TEST_CHECK(eq4(via, direct.v[0], direct.v[1], direct.v[2], direct.v[3]), "block layout");

    /* word i of a draw is lane i%4 of block offset + i/4 */
    for (uint64_t i = 0; i < 12; ++i) {
        rise_u32x4 b = rise_philox_block(5, 3, 100 + i / 4);
        TEST_CHECK(rise_rng_word(5, 3, 100, i) == b.v[i % 4], "word %llu", (unsigned long long)i);
    }
    TEST_CHECK(rise_rng_word(5, 3, 0, 0) != rise_rng_word(5, 4, 0, 0), "streams differ");
    TEST_CHECK(rise_rng_word(5, 3, 0, 0) != rise_rng_word(6, 3, 0, 0), "seeds differ");
    TEST_CHECK(rise_rng_blocks_uniform(9) == 3 && rise_rng_blocks_normal(9) == 5, "block counts");

    /* u01 stays strictly inside (0, 1), even at the extremes */
    TEST_CHECK(rise_u01(0) > 0.0f && rise_u01(~0u) < 1.0f, "u01 open interval");
    TEST_CHECK(rise_below(~0u, 10) == 9 && rise_below(0, 10) == 0, "below range");

    /* moments of uniforms and normals over 200k draws */
    const int n = 200000;
    double su = 0, su2 = 0, sn = 0, sn2 = 0, sn4 = 0;
    int hist[10] = {0};
    for (int i = 0; i < n; ++i) {
        const double u = rise_rng_uniform(42, 1, 0, (uint64_t)i);
        const double z = rise_rng_normal(42, 2, 0, (uint64_t)i);
        su += u;
        su2 += u * u;
        sn += z;
        sn2 += z * z;
        sn4 += z * z * z * z;
        hist[rise_below(rise_rng_word(42, 3, 0, (uint64_t)i), 10)]++;
    }
    const double mu = su / n, vu = su2 / n - mu * mu, mz = sn / n, vz = sn2 / n - mz * mz;
    TEST_CHECK(fabs(mu - 0.5) < 0.005 && fabs(vu - 1.0 / 12) < 0.002, "uniform mean %g var %g", mu,
               vu);
    TEST_CHECK(fabs(mz) < 0.01 && fabs(vz - 1.0) < 0.02, "normal mean %g var %g", mz, vz);
    TEST_CHECK(fabs(sn4 / n - 3.0) < 0.1, "normal kurtosis %g", sn4 / n);
    for (int b = 0; b < 10; ++b)
        TEST_CHECK(abs(hist[b] - n / 10) < 800, "integer bucket %d: %d", b, hist[b]);
    /* even/odd normals share a block: a Box-Muller pair, uncorrelated */
    double c = 0;
    for (int i = 0; i < n; i += 2)
        c += rise_rng_normal(9, 0, 0, i) * rise_rng_normal(9, 0, 0, i + 1);
    TEST_CHECK(fabs(c / (n / 2)) < 0.01, "pair correlation %g", c / (n / 2));
    return test_finish();
}
