/* bench_util.h - the header-only harness every benchmarks/bench_*.c uses.
 *
 * A benchmark binary does, for every op and shape it covers:
 *   1. validate: run the op once on the chosen backend and compare its outputs
 *      with the CPU reference (kernels/<family>_ref.c) run on the same inputs
 *      (bench_check). A wrong result is printed and the binary exits 1;
 *   2. time (bench_time): warm up, then time each repetition with be->sync()
 *      on both sides (wall clock, CLOCK_MONOTONIC) and report median / min /
 *      p90 microseconds plus GB/s (bytes moved per call, as each benchmark
 *      states for its op) and GFLOP/s, as a fixed-column table on stdout and
 *      as JSON records (--json FILE).
 *
 * Device backends: one synchronised call would include the launch and the
 * host synchronisation (several microseconds), so small ops would look slower
 * than they are. There a repetition is a batch of back-to-back calls on the
 * stream, as many as take about BENCH_BATCH_S (calibrated per case, at most
 * BENCH_MAX_BATCH), followed by one sync, and its time per call is recorded:
 * the per-call cost in a training step, where launches queue behind each
 * other. --batched forces this on the CPU backend too (for testing it);
 * --unbatched turns it off.
 *
 * Usage of a binary:  bench_<family> [--backend cpu|ref|cuda] [--reps N] [--warmup N]
 *                                    [--json FILE] [--quick] [--help]
 * Exit status: 0 all results validated, 1 a wrong result or a runtime error,
 * 2 bad arguments, 77 CUDA requested but no device (or not built).
 *
 * Without --reps a case runs until it has BENCH_MAX_REPS repetitions or has
 * spent BENCH_BUDGET_S seconds with at least BENCH_MIN_REPS, so the whole set
 * finishes in minutes; --reps N runs exactly N. */
#ifndef RISE_BENCH_UTIL_H
#define RISE_BENCH_UTIL_H

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "host/backend.h"
#include "host/runtime.h"

#define BENCH_MAX_REPS       100
#define BENCH_MIN_REPS       5
#define BENCH_BUDGET_S       0.25
#define BENCH_DEFAULT_WARMUP 3
#define BENCH_QUICK_REPS     3
#define BENCH_QUICK_WARMUP   1
#define BENCH_BATCH_S        0.002 /* device batches: about this long per sync */
#define BENCH_MAX_BATCH      256

typedef struct {
    const char *prog;
    const char *backend_name;
    int reps; /* 0: adaptive (see the header comment) */
    int warmup;
    int quick;
    const char *json_path;
    rise_backend *be;
    FILE *json;
    int n_records; /* JSON records written */
    int n_cases;   /* cases timed */
    int n_wrong;
    int n_errors;
    int header_printed;
    int batched; /* -1: on for device backends; 0 / 1: forced */
} bench_ctx;

/* A float array with a host copy (inputs for the reference) and a backend copy. */
typedef struct {
    float *host;
    float *dev;
    size_t n;
} bench_buf;

typedef void (*bench_fn)(rise_backend *be, void *arg);

static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline void bench_usage(FILE *out, const char *prog, const char *about) {
    fprintf(out,
            "usage: %s [--backend cpu|ref|cuda] [--reps N] [--warmup N] [--json FILE] [--quick]\n"
            "%s\n"
            "  --backend NAME  backend to time (default cpu); cuda without a device exits 77\n"
            "  --reps N        timed repetitions per case (default: up to %d, stopping after\n"
            "                  %.2f s once %d are done)\n"
            "  --warmup N      untimed calls before timing (default %d)\n"
            "  --batched, --unbatched  time batches of back-to-back calls per sync (the\n"
            "                  default on device backends) or one call per sync\n"
            "  --json FILE     also write the results as a JSON array of records\n"
            "  --quick         tiny shapes and %d reps: a smoke run, not a measurement\n"
            "Every case is validated against the CPU reference before it is timed; a wrong\n"
            "result makes the exit status 1.\n",
            prog, about, BENCH_MAX_REPS, BENCH_BUDGET_S, BENCH_MIN_REPS, BENCH_DEFAULT_WARMUP,
            BENCH_QUICK_REPS);
}

static inline int bench_parse_count(const char *prog, const char *opt, const char *s, int min) {
    char *end = NULL;
    errno = 0;
    const long v = s ? strtol(s, &end, 10) : 0;
    if (!s || errno || end == s || *end != '\0' || v < min || v > 1000000) {
        fprintf(stderr, "%s: %s expects an integer >= %d (at most 1000000), got '%s'\n", prog, opt,
                min, s ? s : "(nothing)");
        exit(2);
    }
    return (int)v;
}

/* Parses the arguments, creates the backend and opens the JSON file. Exits
 * 0 on --help, 2 on bad arguments, 77 when CUDA is asked for but unavailable. */
static inline void bench_init(bench_ctx *c, int argc, char **argv, const char *about) {
    rise_runtime_policy(argv); /* the rise command's OpenMP policy (host/runtime.h) */
    memset(c, 0, sizeof *c);
    const char *slash = strrchr(argv[0], '/');
    c->prog = slash ? slash + 1 : argv[0];
    c->backend_name = "cpu";
    c->warmup = -1;
    c->batched = -1;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            bench_usage(stdout, c->prog, about);
            exit(0);
        } else if (strcmp(a, "--backend") == 0) {
            if (!val ||
                (strcmp(val, "cpu") != 0 && strcmp(val, "ref") != 0 && strcmp(val, "cuda") != 0)) {
                fprintf(stderr, "%s: --backend expects 'cpu', 'ref' or 'cuda', got '%s'\n", c->prog,
                        val ? val : "(nothing)");
                exit(2);
            }
            c->backend_name = val;
            ++i;
        } else if (strcmp(a, "--reps") == 0) {
            c->reps = bench_parse_count(c->prog, a, val, 1);
            ++i;
        } else if (strcmp(a, "--warmup") == 0) {
            c->warmup = bench_parse_count(c->prog, a, val, 0);
            ++i;
        } else if (strcmp(a, "--json") == 0) {
            if (!val || !*val) {
                fprintf(stderr, "%s: --json expects a file name\n", c->prog);
                exit(2);
            }
            c->json_path = val;
            ++i;
        } else if (strcmp(a, "--quick") == 0) {
            c->quick = 1;
        } else if (strcmp(a, "--batched") == 0 || strcmp(a, "--unbatched") == 0) {
            c->batched = strcmp(a, "--batched") == 0;
        } else {
            fprintf(stderr, "%s: unknown argument '%s'\n", c->prog, a);
            bench_usage(stderr, c->prog, about);
            exit(2);
        }
    }
    if (c->quick && c->reps == 0) c->reps = BENCH_QUICK_REPS;
    if (c->warmup < 0) c->warmup = c->quick ? BENCH_QUICK_WARMUP : BENCH_DEFAULT_WARMUP;

    rise_status st;
    c->be = rise_backend_create(c->backend_name, &st);
    if (!c->be) {
        if (st == RISE_ERR_NO_DEVICE) {
            printf("%s: backend '%s' unavailable (device unavailable): %s\n", c->prog,
                   c->backend_name, rise_last_error());
            exit(77);
        }
        fprintf(stderr, "%s: cannot create backend '%s': %s\n", c->prog, c->backend_name,
                rise_last_error());
        exit(1);
    }
    if (c->json_path) {
        c->json = fopen(c->json_path, "w");
        if (!c->json) {
            fprintf(stderr, "%s: --json: cannot open '%s' for writing: %s\n", c->prog, c->json_path,
                    strerror(errno));
            exit(2);
        }
        fputs("[\n", c->json);
    }
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    printf("# %s: backend %s, %s reps, warmup %d, %d OpenMP threads%s\n", c->prog, c->be->name,
           c->reps ? "fixed" : "adaptive", c->warmup, threads,
           c->quick ? ", QUICK (tiny shapes)" : "");
    if (c->reps) printf("# reps per case: %d\n", c->reps);
    if (c->batched > 0 || (c->batched < 0 && c->be->is_device))
        printf("# a rep is a batch of back-to-back calls and one sync (~%g ms); times are per "
               "call (JSON calls_per_rep)\n",
               BENCH_BATCH_S * 1e3);
}

/* ---- buffers ---- */

static inline float *bench_backend_alloc(bench_ctx *c, size_t n) {
    float *p = (float *)c->be->alloc(c->be, (n ? n : 1) * sizeof(float));
    if (!p) {
        fprintf(stderr, "%s: backend allocation of %zu floats failed: %s\n", c->prog, n,
                rise_last_error());
        exit(1);
    }
    return p;
}

static inline float *bench_host_alloc(bench_ctx *c, size_t n) {
    float *p = (float *)malloc((n ? n : 1) * sizeof(float));
    if (!p) {
        fprintf(stderr, "%s: host allocation of %zu floats failed\n", c->prog, n);
        exit(1);
    }
    return p;
}

/* Deterministic data in [lo, hi) (xorshift; independent of the Philox ops timed). */
static inline void bench_fill_random(float *x, size_t n, unsigned seed, float lo, float hi) {
    unsigned s = seed * 2654435761u + 12345u;
    for (size_t i = 0; i < n; ++i) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        x[i] = lo + (hi - lo) * (float)((s >> 8) * (1.0 / 16777216.0));
    }
}

/* Copies host -> backend again (resets an op's in-place state before validation). */
static inline void bench_buf_reset(bench_ctx *c, bench_buf *b) {
    if (b->n) c->be->upload(c->be, b->dev, b->host, b->n * sizeof(float));
}

static inline bench_buf bench_buf_random(bench_ctx *c, size_t n, unsigned seed, float lo,
                                         float hi) {
    bench_buf b = {bench_host_alloc(c, n), bench_backend_alloc(c, n), n};
    bench_fill_random(b.host, n, seed, lo, hi);
    bench_buf_reset(c, &b);
    return b;
}

static inline bench_buf bench_buf_const(bench_ctx *c, size_t n, float value) {
    bench_buf b = {bench_host_alloc(c, n), bench_backend_alloc(c, n), n};
    for (size_t i = 0; i < n; ++i) b.host[i] = value;
    bench_buf_reset(c, &b);
    return b;
}

/* A malloc'd copy of the backend contents (the op's result). */
static inline float *bench_buf_fetch(bench_ctx *c, const bench_buf *b) {
    float *h = bench_host_alloc(c, b->n);
    if (b->n) c->be->download(c->be, h, b->dev, b->n * sizeof(float));
    return h;
}

/* A malloc'd copy of the host contents (where the reference writes). */
static inline float *bench_buf_host_copy(bench_ctx *c, const bench_buf *b) {
    float *h = bench_host_alloc(c, b->n);
    if (b->n) memcpy(h, b->host, b->n * sizeof(float));
    return h;
}

static inline void bench_buf_free(bench_ctx *c, bench_buf *b) {
    free(b->host);
    if (b->dev) c->be->free(c->be, b->dev);
    b->host = b->dev = NULL;
    b->n = 0;
}

/* Waits for the backend; a runtime error counts as a failure and is printed. */
static inline int bench_sync(bench_ctx *c, const char *op, const char *shape) {
    const rise_status st = c->be->sync(c->be);
    if (st != RISE_OK) {
        fprintf(stderr, "%s: %s [%s]: backend error %s: %s\n", c->prog, op, shape,
                rise_status_name(st), rise_last_error());
        ++c->n_errors;
        return 0;
    }
    return 1;
}

/* ---- validation ---- */

/* |got - ref| <= atol + rtol |ref| per element, plus a normalised error
 * |got - ref|_2 / |ref|_2 <= 10 rtol + atol. Prints the worst element and
 * counts a wrong result on failure. Returns 1 when close. */
static inline int bench_check(bench_ctx *c, const char *op, const char *shape, const char *what,
                              const float *got, const float *ref, size_t n, double atol,
                              double rtol) {
    size_t bad = 0, worst = 0;
    double worst_excess = -1.0, diff2 = 0.0, ref2 = 0.0;
    for (size_t i = 0; i < n; ++i) {
        const double g = got[i], r = ref[i], d = fabs(g - r);
        const double allowed = atol + rtol * fabs(r);
        if (!(d <= allowed)) { /* NaN lands here too */
            if (bad == 0 || d - allowed > worst_excess || isnan(d)) {
                worst_excess = d - allowed;
                worst = i;
            }
            ++bad;
        }
        diff2 += (g - r) * (g - r);
        ref2 += r * r;
    }
    const double nerr = sqrt(diff2) / (sqrt(ref2) + 1e-30);
    const int ok =
        bad == 0 && (ref2 == 0.0 ? diff2 <= atol * atol * (double)n : nerr <= 10.0 * rtol + atol);
    if (!ok) {
        ++c->n_wrong;
        fprintf(stderr,
                "%s: WRONG RESULT %s [%s] %s: %zu/%zu elements outside atol=%g rtol=%g, "
                "normalised error %.3g",
                c->prog, op, shape, what, bad, n, atol, rtol, nerr);
        if (bad)
            fprintf(stderr, "; worst [%zu] got %.9g expected %.9g", worst, (double)got[worst],
                    (double)ref[worst]);
        fputc('\n', stderr);
    }
    return ok;
}

/* ---- timing and reporting ---- */

static inline int bench_cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static inline void bench_json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; ++s) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        if ((unsigned char)*s < 0x20) {
            fprintf(f, "\\u%04x", (unsigned)(unsigned char)*s);
            continue;
        }
        fputc(*s, f);
    }
    fputc('"', f);
}

static inline void bench_json_number(FILE *f, double v) {
    if (isfinite(v))
        fprintf(f, "%.10g", v);
    else
        fputs("null", f);
}

static inline void bench_print_header(bench_ctx *c) {
    if (c->header_printed) return;
    c->header_printed = 1;
    printf("%-20s %-36s %9s %10s %10s %10s %10s %8s %8s %5s\n", "op", "shape", "MB/call",
           "MFLOP/call", "median_us", "min_us", "p90_us", "GB/s", "GFLOP/s", "valid");
}

/* Warms up, times and reports one case. `bytes` and `flops` are per call (0
 * when not meaningful, which prints "-" and writes null). `validated` is the
 * result of the case's bench_check calls; an unvalidated case is still timed
 * and reported (marked NO) but makes the binary fail. */
static inline void bench_time(bench_ctx *c, const char *op, const char *shape, double bytes,
                              double flops, int validated, bench_fn fn, void *arg) {
    rise_backend *be = c->be;
    for (int w = 0; w < c->warmup; ++w) fn(be, arg);
    if (!bench_sync(c, op, shape)) return;

    const int cap = c->reps ? c->reps : BENCH_MAX_REPS;
    double *t = (double *)malloc((size_t)cap * sizeof *t);
    if (!t) {
        fprintf(stderr, "%s: out of host memory\n", c->prog);
        exit(1);
    }
    /* calls per timed repetition: 1, or a batch calibrated to ~BENCH_BATCH_S */
    int inner = 1;
    if (c->batched > 0 || (c->batched < 0 && be->is_device)) {
        for (;;) {
            const double t0 = bench_now();
            for (int i = 0; i < inner; ++i) fn(be, arg);
            if (!bench_sync(c, op, shape)) {
                free(t);
                return;
            }
            if (bench_now() - t0 >= BENCH_BATCH_S || inner >= BENCH_MAX_BATCH) break;
            inner *= 2;
        }
    }
    int n = 0;
    const double start = bench_now();
    while (n < cap) {
        const double t0 = bench_now();
        for (int i = 0; i < inner; ++i) fn(be, arg);
        if (!bench_sync(c, op, shape)) {
            free(t);
            return;
        }
        t[n++] = (bench_now() - t0) / inner;
        if (!c->reps && n >= BENCH_MIN_REPS && bench_now() - start >= BENCH_BUDGET_S) break;
    }
    qsort(t, (size_t)n, sizeof *t, bench_cmp_double);
    const double median = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
    int i90 = (int)ceil(0.9 * n) - 1;
    if (i90 < 0) i90 = 0;
    const double tmin = t[0], p90 = t[i90];
    free(t);
    const double gbps = bytes > 0 ? bytes / median * 1e-9 : NAN;
    const double gflops = flops > 0 ? flops / median * 1e-9 : NAN;

    ++c->n_cases;
    bench_print_header(c);
    char gb[16] = "-", gf[16] = "-", mb[16] = "-", mf[16] = "-";
    if (bytes > 0) {
        snprintf(gb, sizeof gb, "%.2f", gbps);
        snprintf(mb, sizeof mb, "%.3f", bytes * 1e-6);
    }
    if (flops > 0) {
        snprintf(gf, sizeof gf, "%.2f", gflops);
        snprintf(mf, sizeof mf, "%.2f", flops * 1e-6);
    }
    printf("%-20s %-36s %9s %10s %10.1f %10.1f %10.1f %8s %8s %5s\n", op, shape, mb, mf,
           median * 1e6, tmin * 1e6, p90 * 1e6, gb, gf, validated ? "yes" : "NO");
    fflush(stdout);

    if (c->json) {
        FILE *f = c->json;
        fputs(c->n_records ? ",\n  {" : "  {", f);
        fputs("\"op\": ", f);
        bench_json_string(f, op);
        fputs(", \"backend\": ", f);
        bench_json_string(f, be->name);
        fputs(", \"shape\": ", f);
        bench_json_string(f, shape);
        fputs(", \"bytes\": ", f);
        bench_json_number(f, bytes > 0 ? bytes : NAN);
        fputs(", \"flops\": ", f);
        bench_json_number(f, flops > 0 ? flops : NAN);
        fputs(", \"median_us\": ", f);
        bench_json_number(f, median * 1e6);
        fputs(", \"min_us\": ", f);
        bench_json_number(f, tmin * 1e6);
        fputs(", \"p90_us\": ", f);
        bench_json_number(f, p90 * 1e6);
        fputs(", \"gbps\": ", f);
        bench_json_number(f, gbps);
        fputs(", \"gflops\": ", f);
        bench_json_number(f, gflops);
        fprintf(f, ", \"validated\": %s, \"reps\": %d, \"calls_per_rep\": %d}",
                validated ? "true" : "false", n, inner);
        ++c->n_records;
    }
}

/* Closes the JSON file, destroys the backend and returns the exit status. */
static inline int bench_finish(bench_ctx *c) {
    int status = c->n_wrong || c->n_errors ? 1 : 0;
    if (c->json) {
        fputs(c->n_records ? "\n]\n" : "]\n", c->json);
        if (fclose(c->json) != 0) {
            fprintf(stderr, "%s: writing '%s' failed: %s\n", c->prog, c->json_path,
                    strerror(errno));
            status = 1;
        }
        c->json = NULL;
    }
    rise_backend_destroy(c->be);
    c->be = NULL;
    if (status)
        fprintf(stderr, "%s: FAILED: %d wrong result(s), %d runtime error(s)\n", c->prog,
                c->n_wrong, c->n_errors);
    else
        printf("# %s: all %d cases validated\n", c->prog, c->n_cases);
    return status;
}

#endif
