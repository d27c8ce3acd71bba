/* test_util.h - the tiny harness every test binary uses.
 *
 *   TEST_CHECK(cond, fmt, ...)    record a failure and go on
 *   test_close(name, got, ref, n, atol, rtol)
 *                                  |got-ref| <= atol + rtol*|ref| per element,
 *                                  plus the normalised error |got-ref|/|ref|
 *   test_backend_or_skip("cuda")  the backend, or exit 77 (ctest: skipped)
 *   test_read_file(path, &n)       a file's bytes + '\0' (malloc'd), NULL when unreadable
 *   test_same_file(a, b)           both readable, non-empty and byte-identical
 *   return test_skip(why);         77 (skipped), or 1 (failed) under RISE_REQUIRE_GPU=1
 *   return test_finish();          prints "N passed, N failed"; exit code
 *   test_size_kept(work, limit)    0 when RISE_TEST_SHAPES=small drops a case this big
 *   test_remove_dir(dir)           a scratch directory removed, or kept after a failure
 * Header-only so each test stays a single file. */
#ifndef RISE_TEST_UTIL_H
#define RISE_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/backend.h"

static int test_passed_count = 0;
static int test_failed_count = 0;

#define TEST_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (cond) {                                                                                \
            ++test_passed_count;                                                                   \
        } else {                                                                                   \
            ++test_failed_count;                                                                   \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

/* Element rule plus a normalised-error bound (10 * rtol + atol scale). Prints
 * the worst element on failure. Returns 1 when close. */
static inline int test_close(const char *name, const float *got, const float *ref, size_t n,
                             double atol, double rtol) {
    size_t worst = 0, bad = 0;
    double worst_excess = -1.0, diff2 = 0.0, ref2 = 0.0;
    for (size_t i = 0; i < n; ++i) {
        const double g = got[i], r = ref[i], d = fabs(g - r);
        const double allowed = atol + rtol * fabs(r);
        if (!(d <= allowed)) { /* catches NaN too */
            ++bad;
            if (d - allowed > worst_excess || isnan(d)) {
                worst_excess = d - allowed;
                worst = i;
            }
        }
        diff2 += (g - r) * (g - r);
        ref2 += r * r;
    }
    const double nerr = sqrt(diff2) / (sqrt(ref2) + 1e-30);
    const int ok =
        bad == 0 && (ref2 == 0.0 ? diff2 <= atol * atol * (double)n : nerr <= 10 * rtol + atol);
    if (ok) {
        ++test_passed_count;
    } else {
        ++test_failed_count;
        fprintf(stderr, "FAIL %s: %zu/%zu elements outside atol=%g rtol=%g, normalised error %.3g",
                name, bad, n, atol, rtol, nerr);
        if (bad)
            fprintf(stderr, "; worst [%zu] got %.9g ref %.9g", worst, (double)got[worst],
                    (double)ref[worst]);
        fputc('\n', stderr);
    }
    return ok;
}

/* The exit code of a test that cannot run here: 77, which ctest counts as skipped, or 1
 * (failed) when RISE_REQUIRE_GPU is set to anything but 0: on a GPU machine a test that
 * finds no device (no driver access, too old a driver, a build without CUDA) must not
 * pass as "skipped", or a run in which nothing ran reports success. Every GPU test's
 * skip goes through here. */
static inline int test_skip(const char *why) {
    const char *require = getenv("RISE_REQUIRE_GPU");
    if (require && *require && strcmp(require, "0") != 0) {
        fprintf(stderr, "FAIL: %s, and RISE_REQUIRE_GPU=%s asks for a GPU\n", why, require);
        return 1;
    }
    printf("SKIP: %s\n", why);
    return 77;
}

static inline rise_backend *test_backend_or_skip(const char *name) {
    rise_status st;
    rise_backend *be = rise_backend_create(name, &st);
    if (!be) {
        if (st == RISE_ERR_NO_DEVICE) {
            char why[512];
            snprintf(why, sizeof why, "backend '%s' unavailable: %s", name, rise_last_error());
            exit(test_skip(why));
        }
        fprintf(stderr, "FAIL: cannot create backend '%s': %s\n", name, rise_last_error());
        exit(1);
    }
    return be;
}

/* Host helpers: put an array on a backend / fetch it back (caller frees). */
static inline float *test_to_backend(rise_backend *be, const float *host, size_t n) {
    float *p = (float *)be->alloc(be, (n ? n : 1) * sizeof(float));
    if (!p) {
        fprintf(stderr, "FAIL: backend alloc: %s\n", rise_last_error());
        exit(1);
    }
    if (n) be->upload(be, p, host, n * sizeof(float));
    return p;
}

static inline float *test_from_backend(rise_backend *be, const float *dev, size_t n) {
    float *h = (float *)malloc((n ? n : 1) * sizeof(float));
    if (n) be->download(be, h, dev, n * sizeof(float));
    return h;
}

/* Deterministic host data in [lo, hi) (xorshift; tests need no Philox). */
static inline void test_fill_random(float *x, size_t n, unsigned seed, float lo, float hi) {
    unsigned s = seed * 2654435761u + 12345u;
    for (size_t i = 0; i < n; ++i) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        x[i] = lo + (hi - lo) * (float)((s >> 8) * (1.0 / 16777216.0));
    }
}

/* The whole file, NUL-terminated (free() it); *n (may be NULL) = its size. NULL when it
 * cannot be read. */
static inline char *test_read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    char *b = size >= 0 && fseek(f, 0, SEEK_SET) == 0 ? malloc((size_t)size + 1) : NULL;
    const size_t got = b ? fread(b, 1, (size_t)size, f) : 0;
    fclose(f);
    if (b) b[got] = '\0';
    if (n) *n = got;
    return b;
}

static inline int test_same_file(const char *a, const char *b) {
    size_t na = 0, nb = 0;
    char *x = test_read_file(a, &na), *y = test_read_file(b, &nb);
    const int same = x && y && na == nb && na > 0 && !memcmp(x, y, na);
    free(x);
    free(y);
    return same;
}

/* RISE_TEST_SHAPES: "full" (the default, also when unset) or "small". Under "small" the GPU
 * op tests (tests/gpu/test_backend_ops*.c) leave out the cases that are there for their
 * size alone (buffers of 100003 and 2^20 + 3 elements, kNN searches over 10^7 pairs) and
 * keep every awkward small shape and every kernel variant, so that compute-sanitizer's
 * memcheck and racecheck, tens of times slower than a plain run, finish within
 * scripts/gpu_session.sh's time box. Any other value is an error (exit 2), so a typo
 * cannot silently run the full set under a sanitizer or the small one in CI. */
static int test_small_shapes = -1, test_size_dropped = 0;

static inline int test_shapes_small(void) {
    if (test_small_shapes < 0) {
        const char *v = getenv("RISE_TEST_SHAPES");
        if (!v || !*v || !strcmp(v, "full")) {
            test_small_shapes = 0;
        } else if (!strcmp(v, "small")) {
            test_small_shapes = 1;
            printf("RISE_TEST_SHAPES=small: cases that are only large are left out\n");
        } else {
            fprintf(stderr, "FAIL: RISE_TEST_SHAPES='%s': expected 'small' or 'full' (or unset)\n",
                    v);
            exit(2);
        }
    }
    return test_small_shapes;
}

/* Whether a case of `work` units (elements, pairs) runs: always with the full set, and with
 * the small one when work <= limit. Counts what it drops (test_finish reports it). */
static inline int test_size_kept(double work, double limit) {
    if (!test_shapes_small() || work <= limit) return 1;
    ++test_size_dropped;
    return 0;
}

/* Removes a test's scratch directory (rm -rf), unless a check failed: then it is kept for
 * inspection and its path printed. */
static inline void test_remove_dir(const char *dir) {
    if (test_failed_count) {
        fprintf(stderr, "kept %s (a check failed)\n", dir);
        return;
    }
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

static inline int test_finish(void) {
    if (test_size_dropped)
        printf("%d cases left out by RISE_TEST_SHAPES=small\n", test_size_dropped);
    printf("%d passed, %d failed\n", test_passed_count, test_failed_count);
    return test_failed_count ? 1 : 0;
}

#endif
