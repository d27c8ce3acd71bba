/* bench_step_gemm.c - the GEMMs of one training step, library by library: the measurement
 * behind the fast CPU backend's GEMM rule (kernels/gemm_cpu.c) and the step's GEMM-bound
 * limit.
 *
 *   build/benchmarks/bench_step_gemm [--algo rise|idql] [--batch B] [--width W]
 *                                    [--extract N] [--clock wall|cpu] [--quick] [--json FILE]
 *
 * Records every GEMM call one training step issues (bench_train's agent: RISE or IDQL at
 * batch B, width W; with --extract N, one extraction call for N states with K = 128
 * instead), then times each distinct call signature with each way the "cpu" backend can
 * run it:
 *   blas       OpenBLAS, threaded as gemm_cpu does it (members, halves, its own threads)
 *   blas1      OpenBLAS on one thread
 *   dnnl       oneDNN's fp32 matmul (its own OpenMP threads)
 *   dnnl_bf16  oneDNN with bf16 inputs, fp32 accumulation (where the processor has it)
 *   auto       the backend's rule
 * Each result is validated against gemm_ref first (fp32: |err| <= 1e-5 (1 + sqrt k) + 1e-5
 * |ref|; bf16: inputs rounded to 8 significant bits, 2^-7 sqrt(k) max|a| max|b|). Per
 * signature the best of 40 repetitions of a >= 1 ms loop is kept (the machine may be
 * shared, the windows are short so that some of them run uncontended); the table gives microseconds
 * per call, GFLOP/s, and the step's total per library (calls x time), so the best column total is
 * the step's GEMM time: its reciprocal is the GEMM-bound limit of steps/s. --clock cpu times
 * process CPU time instead of wall time (all threads' work: on a busy machine the fairer comparison
 * of libraries at one thread). Exit 1 on a wrong result. */
#include <math.h>
#include <string.h>
#include <time.h>

#include <omp.h>

#include "bench_agent_data.h"
#include "host/runtime.h"
#include "kernels/gemm.h"

typedef struct {
    int ta, tb, m, n, k, lda, ldb, ldc, batch;
    int64_t sa, sb, sc;
    float alpha, beta;
    int calls;
} gemm_sig;

#define MAX_SIGS 256
static gemm_sig sigs[MAX_SIGS];
static int n_sigs, recording;
static void (*real_gemm)(rise_backend *, int, int, int, int, int, float, const float *, int,
                         int64_t, const float *, int, int64_t, float, float *, int, int64_t, int);

static void recording_gemm(rise_backend *be, int ta, int tb, int m, int n, int k, float alpha,
                           const float *a, int lda, int64_t sa, const float *b, int ldb, int64_t sb,
                           float beta, float *c, int ldc, int64_t sc, int batch) {
    if (recording) {
        const gemm_sig g = {ta, tb, m, n, k, lda, ldb, ldc, batch, sa, sb, sc, alpha, beta, 1};
        int i = 0;
        for (; i < n_sigs; ++i) {
            gemm_sig *s = &sigs[i];
            if (s->ta == ta && s->tb == tb && s->m == m && s->n == n && s->k == k &&
                s->lda == lda && s->ldb == ldb && s->ldc == ldc && s->batch == batch &&
                s->sa == sa && s->sb == sb && s->sc == sc && s->alpha == alpha && s->beta == beta) {
                s->calls++;
                break;
            }
        }
        if (i == n_sigs && n_sigs < MAX_SIGS) sigs[n_sigs++] = g;
    }
    real_gemm(be, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch);
}

static double now(clockid_t id) {
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Elements an operand spans: `batch` members `stride` apart of rows x ld. */
static size_t span(int rows, int ld, int64_t stride, int batch) {
    return (size_t)(stride * (batch - 1)) + (size_t)rows * ld;
}

enum { LIB_BLAS, LIB_BLAS1, LIB_DNNL, LIB_BF16, LIB_AUTO, N_LIBS };
static const char *const lib_names[N_LIBS] = {"blas", "blas1", "dnnl", "dnnl_bf16", "auto"};

int main(int argc, char **argv) {
    rise_runtime_policy(argv); /* the rise command's OpenMP policy (host/runtime.h) */
    int batch = 256, width = 256, quick = 0, extract = 0;
    const char *algo_name = "rise", *json = NULL;
    clockid_t clk = CLOCK_MONOTONIC;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--width") && i + 1 < argc)
            width = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--algo") && i + 1 < argc)
            algo_name = argv[++i];
        else if (!strcmp(argv[i], "--extract") && i + 1 < argc)
            extract = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json") && i + 1 < argc)
            json = argv[++i];
        else if (!strcmp(argv[i], "--clock") && i + 1 < argc)
            clk = !strcmp(argv[++i], "cpu") ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC;
        else if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else {
            printf("usage: bench_step_gemm [--algo rise|idql] [--batch B] [--width W] "
                   "[--extract N] [--clock wall|cpu] [--quick] [--json FILE]\n");
            return strcmp(argv[i], "--help") ? 2 : 0;
        }
    }
    rise_status st;
    rise_backend *be = rise_backend_create("cpu", &st);
    gemm_cpu_state *gs = gemm_cpu_create();
    if (!be || !gs) {
        fprintf(stderr, "bench_step_gemm: %s\n", rise_last_error());
        return 1;
    }
    char dir[] = "/tmp/rise_bench_step_gemm_XXXXXX";
    rise_trainset ts;
    if (!bench_agent_trainset(dir, &ts)) {
        fprintf(stderr, "bench_step_gemm: data: %s\n", rise_last_error());
        return 1;
    }
    rise_agent_config c;
    bench_agent_config(&c, &ts, strcmp(algo_name, "idql") ? RISE_ALGO_RISE : RISE_ALGO_IDQL, batch,
                       width, 0, 0);
    real_gemm = be->gemm;
    be->gemm = recording_gemm;
    rise_agent *a = NULL;
    st = rise_agent_create(&c, be, &ts.norm, &a);
    if (st == RISE_OK) st = rise_agent_attach_data(a, &ts);
    for (int i = 0; st == RISE_OK && i < 2; ++i) st = rise_agent_step(a); /* one plain, one pairs */
    if (st == RISE_OK && !extract) {
        recording = 1;
        st = rise_agent_step(a);
        recording = 0;
    }
    if (st == RISE_OK && extract) {
        rise_policy *pol;
        rise_agent_policy(a, 0, &pol);
        float *obs = calloc((size_t)extract * c.obs_dim, sizeof(float));
        float *act = calloc((size_t)extract * c.act_dim, sizeof(float));
        uint64_t *keys = calloc((size_t)extract, sizeof *keys);
        int *t = calloc((size_t)extract, sizeof *t);
        const rise_policy_ctx ctx = {keys, t, NULL};
        pol->act(pol, extract, obs, &ctx, act);
        recording = 1;
        pol->act(pol, extract, obs, &ctx, act);
        recording = 0;
        rise_policy_destroy(pol);
        free(obs), free(act), free(keys), free(t);
    }
    if (st != RISE_OK) {
        fprintf(stderr, "bench_step_gemm: %s\n", rise_last_error());
        return 1;
    }
    rise_agent_free(a);
    const int has_bf16 = gemm_cpu_set_precision(gs, GEMM_CPU_BF16) == RISE_OK;
    gemm_cpu_set_precision(gs, GEMM_CPU_FP32);
    printf("bench_step_gemm: %s %s, batch %d, width %d, %d threads, %s time; %d GEMM "
           "signatures\n",
           extract ? "extraction for" : algo_name, extract ? "states" : "step", batch, width,
           omp_get_max_threads(), clk == CLOCK_MONOTONIC ? "wall" : "CPU", n_sigs);
    if (extract) printf("(%d states x K = %d)\n", extract, c.candidates);
    printf("%-3s %-44s %5s %9s |", "#", "ta tb  m x n x k  batch (beta)", "calls", "MFLOP");
    for (int l = 0; l < N_LIBS; ++l) printf(" %10s", lib_names[l]);
    printf("   us per call (best of 40)\n");
    double total[N_LIBS] = {0}, flops_total = 0, best_total = 0, best_fp32_total = 0;
    int bad = 0;
    FILE *jf = json ? fopen(json, "w") : NULL;
    if (jf) fprintf(jf, "[");
    for (int i = 0; i < n_sigs; ++i) {
        const gemm_sig *g = &sigs[i];
        const size_t na = span(g->ta ? g->k : g->m, g->lda, g->sa, g->batch);
        const size_t nb = span(g->tb ? g->n : g->k, g->ldb, g->sb, g->batch);
        const size_t nc = span(g->m, g->ldc, g->sc, g->batch);
        float *A = malloc(na * 4), *B = malloc(nb * 4), *C = malloc(nc * 4), *C0 = malloc(nc * 4),
              *R = malloc(nc * 4);
        unsigned seed = 1u + (unsigned)i;
        for (size_t j = 0; j < na; ++j)
            A[j] = (float)((seed = seed * 1103515245u + 12345u) >> 9) / 8388608.0f - 1.0f;
        for (size_t j = 0; j < nb; ++j)
            B[j] = (float)((seed = seed * 1103515245u + 12345u) >> 9) / 8388608.0f - 1.0f;
        for (size_t j = 0; j < nc; ++j)
            C0[j] = (float)((seed = seed * 1103515245u + 12345u) >> 9) / 8388608.0f - 1.0f;
        memcpy(R, C0, nc * 4);
        gemm_ref(g->ta, g->tb, g->m, g->n, g->k, g->alpha, A, g->lda, g->sa, B, g->ldb, g->sb,
                 g->beta, R, g->ldc, g->sc, g->batch);
        const double flops = 2.0 * g->m * g->n * (double)g->k * g->batch;
        flops_total += flops * g->calls;
        double us[N_LIBS];
        for (int l = 0; l < N_LIBS; ++l) {
            us[l] = NAN;
            if (l == LIB_BF16 && !has_bf16) continue;
            gemm_cpu_force(gs, l == LIB_BLAS    ? GEMM_CPU_BLAS
                               : l == LIB_BLAS1 ? GEMM_CPU_BLAS_SERIAL
                               : l == LIB_AUTO  ? GEMM_CPU_AUTO
                                                : GEMM_CPU_DNNL);
            gemm_cpu_set_precision(gs, l == LIB_BF16 ? GEMM_CPU_BF16 : GEMM_CPU_FP32);
            memcpy(C, C0, nc * 4);
            gemm_cpu(gs, g->ta, g->tb, g->m, g->n, g->k, g->alpha, A, g->lda, g->sa, B, g->ldb,
                     g->sb, g->beta, C, g->ldc, g->sc, g->batch);
            const double tol_abs = l == LIB_BF16 ? ldexp(1.0, -7) * sqrt((double)g->k) + 1e-5
                                                 : 1e-5 * (1.0 + sqrt((double)g->k));
            size_t wrong = 0;
            for (size_t j = 0; j < nc; ++j)
                if (!(fabsf(C[j] - R[j]) <= tol_abs + 1e-5 * fabsf(R[j]))) wrong++;
            if (wrong) {
                fprintf(stderr, "bench_step_gemm: %s wrong on signature %d: %zu elements\n",
                        lib_names[l], i, wrong);
                bad = 1;
            }
            double best = 1e30;
            for (int rep = 0; rep < (quick ? 2 : 40); ++rep) {
                int it = 0;
                const double t0 = now(clk);
                double t1;
                do {
                    gemm_cpu(gs, g->ta, g->tb, g->m, g->n, g->k, g->alpha, A, g->lda, g->sa, B,
                             g->ldb, g->sb, g->beta, C, g->ldc, g->sc, g->batch);
                    ++it;
                    t1 = now(clk);
                } while (t1 - t0 < 0.001);
                const double per = (t1 - t0) / it;
                if (per < best) best = per;
            }
            us[l] = 1e6 * best;
            total[l] += us[l] * g->calls;
        }
        double best = us[LIB_BLAS], best32 = us[LIB_BLAS];
        for (int l = 0; l < N_LIBS; ++l)
            if (us[l] < best) best = us[l];
        for (int l = 0; l < LIB_BF16; ++l)
            if (us[l] < best32) best32 = us[l];
        best_total += best * g->calls;
        best_fp32_total += best32 * g->calls;
        char shape[64];
        snprintf(shape, sizeof shape, "%d %d %5d x %4d x %4d  %d%s", g->ta, g->tb, g->m, g->n, g->k,
                 g->batch, g->beta != 0.0f ? " (+=)" : "");
        printf("%-3d %-44s %5d %9.2f |", i, shape, g->calls, flops / 1e6);
        for (int l = 0; l < N_LIBS; ++l) printf(" %10.1f", us[l]);
        printf("\n");
        if (jf) {
            fprintf(jf,
                    "%s{\"ta\": %d, \"tb\": %d, \"m\": %d, \"n\": %d, \"k\": %d, \"batch\": %d, "
                    "\"beta\": %g, \"calls\": %d, \"mflop\": %.4f",
                    i ? ", " : "", g->ta, g->tb, g->m, g->n, g->k, g->batch, (double)g->beta,
                    g->calls, flops / 1e6);
            for (int l = 0; l < N_LIBS; ++l)
                fprintf(jf, ", \"us_%s\": %.3f", lib_names[l], isnan(us[l]) ? -1.0 : us[l]);
            fprintf(jf, "}");
        }
        free(A), free(B), free(C), free(C0), free(R);
    }
    if (jf) fprintf(jf, "]\n"), fclose(jf);
    printf("%-3s %-44s %5s %9.1f |", "", "total per step (ms)", "", flops_total / 1e6);
    for (int l = 0; l < N_LIBS; ++l) printf(" %10.3f", total[l] / 1e3);
    printf("\nGEMM work per %s: %.1f MFLOP; best library per signature: %.3f ms (fp32 only: %.3f "
           "ms) -> GEMM-bound limit %.1f steps/s (fp32 %.1f)\n",
           extract ? "call" : "step", flops_total / 1e6, best_total / 1e3, best_fp32_total / 1e3,
           1e6 / best_total, 1e6 / best_fp32_total);
    gemm_cpu_destroy(gs);
    rise_trainset_free(&ts);
    be->gemm = real_gemm;
    rise_backend_destroy(be);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "bench_step_gemm: could not remove %s\n", dir);
    return bad;
}
