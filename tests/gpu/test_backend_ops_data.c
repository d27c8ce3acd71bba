/* test_backend_ops_data.c - the device-resident data ops (kernels/gather.h,
 * kernels/knn.h) run on the "ref" (reference) and the "cuda" backend with identical inputs:
 *   sample_indices, gather_rows (plain and normalised), gather_obs_history (obs and
 *   next-state), gather_action_chunk (with and without the mask): bitwise equal (integer
 *   maths and copies; the normalisation is one IEEE subtract and divide);
 *   action_noise: the normals differ by rise_rng_normal's few ulp (device logf/sinf/
 *   cosf), so out and delta_norm are compared with test_backend_ops.c's normal bound
 *   scaled by sigma; and bitwise against a host recomputation from the device's own
 *   normals (rand_normal with mean 0, std 1 returns them unchanged), which checks the
 *   kernel's arithmetic (no FMA, double norm) exactly; sigma_out and sigma = 0 bitwise;
 *   knn_topk: every CUDA variant (knn_topk_cuda_variant) and the table entry, idx and
 *   count exact, dist bit for bit, against the CPU backend and rise_knn_brute; plus
 *   non-finite and huge inputs against rise_knn_brute (the kernels' overflow paths).
 * Fixtures are awkward: trajectories of length 1, horizons longer than trajectories,
 * B = 1, odd dims, pools and offsets past 2^32 blocks, ties in the kNN.
 *
 * Run: ctest -L gpu -R test_backend_ops_data (exits 77, skipped, without a GPU or when
 * the CUDA backend was not built). */
#include <float.h>
#include <stdint.h>

#include "test_util.h"

#ifdef RISE_WITH_CUDA
#include "kernels/knn_search.h"
#include "kernels/gather.h"
#include "kernels/knn.h"

static rise_backend *cpu, *gpu;

/* ---- helpers ---- */

static void *up_bytes(const void *host, size_t bytes) {
    void *p = gpu->alloc(gpu, bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "FAIL: gpu alloc: %s\n", rise_last_error());
        exit(1);
    }
    if (bytes) gpu->upload(gpu, p, host, bytes);
    return p;
}

static void check_bits(const char *what, const void *dev, const void *ref, size_t bytes) {
    void *got = malloc(bytes ? bytes : 1);
    if (bytes) gpu->download(gpu, got, dev, bytes);
    size_t first = bytes;
    for (size_t i = 0; i < bytes; ++i)
        if (((const unsigned char *)got)[i] != ((const unsigned char *)ref)[i]) {
            first = i;
            break;
        }
    TEST_CHECK(first == bytes, "%s: not bitwise equal to the CPU's (first byte %zu of %zu)", what,
               first, bytes);
    free(got);
}

static void check_close(const char *what, const float *dev, const float *ref, size_t n, double atol,
                        double rtol) {
    float *got = test_from_backend(gpu, dev, n);
    test_close(what, got, ref, n, atol, rtol);
    free(got);
}

/* The stream for the _cuda_variant launchers: the backend's own, so a variant's kernel is
 * ordered after the backend's uploads and zero-filling allocations and before its
 * downloads (the launchers refuse NULL, the legacy default stream, which is not). */
static void *vstream(void) { return gpu->stream; }

static void sync_ok(const char *after) {
    const rise_status s = gpu->sync(gpu);
    TEST_CHECK(s == RISE_OK, "sync after %s: %s", after, rise_last_error());
}

/* ---- a rise_trainset-like dataset, host arrays and device copies ---- */

typedef struct {
    int64_t n, n_traj, n_a, n_b;
    int D, A;
    float *obs, *next_obs, *actions, *rewards; /* host */
    int32_t *traj, *step, *pool_a, *pool_b;
    int64_t *start, *len;
    float *d_obs, *d_next, *d_act, *d_rew; /* device */
    int32_t *d_traj, *d_step, *d_pool_a, *d_pool_b;
    int64_t *d_start, *d_len;
} dataset;

static void make_dataset(dataset *s, const int64_t *lens, int n_traj, int D, int A, unsigned seed) {
    memset(s, 0, sizeof *s);
    int64_t n = 0;
    for (int t = 0; t < n_traj; ++t) n += lens[t];
    s->n = n, s->n_traj = n_traj, s->D = D, s->A = A;
    s->obs = malloc(sizeof(float) * n * D), s->next_obs = malloc(sizeof(float) * n * D);
    s->actions = malloc(sizeof(float) * n * A), s->rewards = malloc(sizeof(float) * n);
    s->traj = malloc(sizeof(int32_t) * n), s->step = malloc(sizeof(int32_t) * n);
    s->pool_a = malloc(sizeof(int32_t) * n), s->pool_b = malloc(sizeof(int32_t) * n);
    s->start = malloc(sizeof(int64_t) * n_traj), s->len = malloc(sizeof(int64_t) * n_traj);
    test_fill_random(s->obs, (size_t)(n * D), seed, -3, 5);
    test_fill_random(s->next_obs, (size_t)(n * D), seed + 1, -3, 5);
    test_fill_random(s->actions, (size_t)(n * A), seed + 2, -1.3f, 1.3f);
    test_fill_random(s->rewards, (size_t)n, seed + 3, 0, 1);
    int64_t row = 0;
    for (int t = 0; t < n_traj; ++t) {
        s->start[t] = row, s->len[t] = lens[t];
        for (int64_t k = 0; k < lens[t]; ++k, ++row) {
            s->traj[row] = t, s->step[row] = (int32_t)k;
            if (t % 3 == 1)
                s->pool_a[s->n_a++] = (int32_t)row;
            else
                s->pool_b[s->n_b++] = (int32_t)row;
        }
    }
    s->d_obs = up_bytes(s->obs, sizeof(float) * n * D);
    s->d_next = up_bytes(s->next_obs, sizeof(float) * n * D);
    s->d_act = up_bytes(s->actions, sizeof(float) * n * A);
    s->d_rew = up_bytes(s->rewards, sizeof(float) * n);
    s->d_traj = up_bytes(s->traj, sizeof(int32_t) * n);
    s->d_step = up_bytes(s->step, sizeof(int32_t) * n);
    s->d_pool_a = up_bytes(s->pool_a, sizeof(int32_t) * s->n_a);
    s->d_pool_b = up_bytes(s->pool_b, sizeof(int32_t) * s->n_b);
    s->d_start = up_bytes(s->start, sizeof(int64_t) * n_traj);
    s->d_len = up_bytes(s->len, sizeof(int64_t) * n_traj);
}

static void free_dataset(dataset *s) {
    void *dev[] = {s->d_obs,  s->d_next,   s->d_act,    s->d_rew,   s->d_traj,
                   s->d_step, s->d_pool_a, s->d_pool_b, s->d_start, s->d_len};
    for (size_t i = 0; i < sizeof dev / sizeof *dev; ++i) gpu->free(gpu, dev[i]);
    free(s->obs), free(s->next_obs), free(s->actions), free(s->rewards), free(s->traj);
    free(s->step), free(s->pool_a), free(s->pool_b), free(s->start), free(s->len);
}

/* ---- sampling: uniform and mixed, successive offsets (bitwise) ---- */

static void test_sample_indices(const dataset *s) {
    const int batches[] = {1, 7, 257, 5000};
    const int mixes[] = {-1, 0, 1, 2}; /* batch_a: uniform, none, some, all */
    const rise_rng rngs[] = {{0, 0, 0, NULL},
                             {0x123456789abcdefULL, 0x53000007u, 3, NULL},
                             {42, 1, (1ULL << 32) - 3, NULL}};
    char name[128];
    for (size_t b = 0; b < 4; ++b)
        for (size_t mx = 0; mx < 4; ++mx)
            for (size_t r = 0; r < 3; ++r) {
                const int B = batches[b];
                const int batch_a = mixes[mx] < 0    ? -1
                                    : mixes[mx] == 2 ? B
                                                     : (mixes[mx] ? B / 3 : 0);
                int32_t *ref = malloc(sizeof(int32_t) * B);
                int32_t *d_idx = gpu->alloc(gpu, sizeof(int32_t) * B);
                rise_rng rng = rngs[r];
                for (int draw = 0; draw < 3; ++draw) {
                    cpu->sample_indices(cpu, ref, B, s->n, s->pool_a, s->n_a, s->pool_b, s->n_b,
                                        batch_a, rng);
                    gpu->sample_indices(gpu, d_idx, B, s->n, s->d_pool_a, s->n_a, s->d_pool_b,
                                        s->n_b, batch_a, rng);
                    snprintf(name, sizeof name, "sample_indices B=%d batch_a=%d rng#%zu draw %d", B,
                             batch_a, r, draw);
                    check_bits(name, d_idx, ref, sizeof(int32_t) * B);
                    rng.offset += sample_indices_blocks(B);
                }
                gpu->free(gpu, d_idx);
                free(ref);
            }
    sync_ok("sample_indices");
}

/* ---- gathers (bitwise) ---- */

static void test_gathers(const dataset *s, const int32_t *idx, int B) {
    const int D = s->D, A = s->A;
    int32_t *d_idx = up_bytes(idx, sizeof(int32_t) * B);
    float shift[64], scale[64];
    test_fill_random(shift, 64, 5, -1, 1);
    test_fill_random(scale, 64, 6, 0.01f, 3);
    float *d_shift = up_bytes(shift, sizeof shift), *d_scale = up_bytes(scale, sizeof scale);
    char name[128];
    /* gather_rows: obs (4 normalisation forms), actions, rewards */
    const size_t nmax = (size_t)B * 12 * (D > A ? D : A);
    float *ref = malloc(sizeof(float) * nmax), *vref = malloc(sizeof(float) * B * 12);
    float *d_out = gpu->alloc(gpu, sizeof(float) * nmax),
          *d_valid = gpu->alloc(gpu, sizeof(float) * B * 12);
    for (int form = 0; form < 4; ++form) {
        const float *sh = form & 1 ? shift : NULL, *sc = form & 2 ? scale : NULL;
        cpu->gather_rows(cpu, ref, s->obs, s->n, idx, B, D, sh, sc);
        gpu->gather_rows(gpu, d_out, s->d_obs, s->n, d_idx, B, D, form & 1 ? d_shift : NULL,
                         form & 2 ? d_scale : NULL);
        snprintf(name, sizeof name, "gather_rows obs B=%d D=%d shift=%d scale=%d", B, D, form & 1,
                 form >> 1);
        check_bits(name, d_out, ref, sizeof(float) * B * D);
    }
    cpu->gather_rows(cpu, ref, s->actions, s->n, idx, B, A, NULL, NULL);
    gpu->gather_rows(gpu, d_out, s->d_act, s->n, d_idx, B, A, NULL, NULL);
    snprintf(name, sizeof name, "gather_rows actions B=%d A=%d", B, A);
    check_bits(name, d_out, ref, sizeof(float) * B * A);
    cpu->gather_rows(cpu, ref, s->rewards, s->n, idx, B, 1, NULL, NULL);
    gpu->gather_rows(gpu, d_out, s->d_rew, s->n, d_idx, B, 1, NULL, NULL);
    snprintf(name, sizeof name, "gather_rows rewards B=%d", B);
    check_bits(name, d_out, ref, sizeof(float) * B);
    /* histories and chunks */
    const int horizons[] = {1, 2, 5, 12};
    for (int h = 0; h < 4; ++h) {
        const int H = horizons[h];
        for (int next = 0; next < 2; ++next) {
            cpu->gather_obs_history(cpu, ref, s->obs, next ? s->next_obs : NULL, s->traj, s->step,
                                    s->start, s->n, idx, B, H, D);
            gpu->gather_obs_history(gpu, d_out, s->d_obs, next ? s->d_next : NULL, s->d_traj,
                                    s->d_step, s->d_start, s->n, d_idx, B, H, D);
            snprintf(name, sizeof name, "gather_obs_history next=%d B=%d To=%d D=%d", next, B, H,
                     D);
            check_bits(name, d_out, ref, sizeof(float) * B * H * D);
        }
        cpu->gather_action_chunk(cpu, ref, vref, s->actions, s->traj, s->step, s->start, s->len,
                                 s->n, idx, B, H, A);
        gpu->gather_action_chunk(gpu, d_out, d_valid, s->d_act, s->d_traj, s->d_step, s->d_start,
                                 s->d_len, s->n, d_idx, B, H, A);
        snprintf(name, sizeof name, "gather_action_chunk B=%d Ta=%d A=%d", B, H, A);
        check_bits(name, d_out, ref, sizeof(float) * B * H * A);
        snprintf(name, sizeof name, "gather_action_chunk valid B=%d Ta=%d", B, H);
        check_bits(name, d_valid, vref, sizeof(float) * B * H);
        gpu->gather_action_chunk(gpu, d_out, NULL, s->d_act, s->d_traj, s->d_step, s->d_start,
                                 s->d_len, s->n, d_idx, B, H, A);
        snprintf(name, sizeof name, "gather_action_chunk valid=NULL B=%d Ta=%d", B, H);
        check_bits(name, d_out, ref, sizeof(float) * B * H * A);
    }
    /* camera frames: a word-sized frame (48 bytes) and an odd one (45), from [n + n_traj] */
    const int64_t fbs[2] = {48, 45};
    for (int f = 0; f < 2; ++f) {
        const int64_t fb = fbs[f], nf = s->n + s->n_traj;
        uint8_t *frames = malloc((size_t)(nf * fb));
        for (int64_t i = 0; i < nf * fb; ++i) frames[i] = (uint8_t)((i * 2654435761u) >> 11);
        uint8_t *d_frames = up_bytes(frames, (size_t)(nf * fb));
        const size_t bytes = (size_t)B * 3 * (size_t)fb;
        uint8_t *fref = malloc(bytes), *d_fout = gpu->alloc(gpu, bytes);
        for (int next = 0; next < 2; ++next)
            for (int H = 1; H <= 3; H += 2) {
                cpu->gather_frames(cpu, fref, frames, s->traj, s->step, s->start, s->len, s->n, idx,
                                   B, H, next, fb);
                gpu->gather_frames(gpu, d_fout, d_frames, s->d_traj, s->d_step, s->d_start,
                                   s->d_len, s->n, d_idx, B, H, next, fb);
                snprintf(name, sizeof name, "gather_frames B=%d To=%d next=%d F=%lld", B, H, next,
                         (long long)fb);
                check_bits(name, d_fout, fref, (size_t)B * H * (size_t)fb);
            }
        gpu->free(gpu, d_frames), gpu->free(gpu, d_fout);
        free(frames), free(fref);
    }
    gpu->free(gpu, d_idx), gpu->free(gpu, d_shift), gpu->free(gpu, d_scale);
    gpu->free(gpu, d_out), gpu->free(gpu, d_valid);
    free(ref), free(vref);
    sync_ok("gathers");
}

/* ---- crops (bitwise: integer offsets, one correctly rounded division) ---- */

static void test_crop_frames(void) {
    const int shapes[][6] = {
        {64, 84, 84, 3, 76, 76}, {3, 9, 7, 1, 9, 7}, {5, 6, 11, 4, 1, 1}, {3000, 12, 10, 3, 8, 9}};
    const rise_rng rng = {0xfeedULL, 0x43000000u, (1ULL << 32) + 17, NULL};
    char name[128];
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; ++k) {
        const int count = shapes[k][0], h = shapes[k][1], w = shapes[k][2], c = shapes[k][3];
        const int hc = shapes[k][4], wc = shapes[k][5], ld = hc * wc * c + 3, col0 = 2;
        const size_t fb = (size_t)h * w * c, no = (size_t)count * ld;
        uint8_t *in = malloc(fb * count);
        for (size_t i = 0; i < fb * count; ++i) in[i] = (uint8_t)(i * 7 + (i >> 8));
        uint8_t *d_in = up_bytes(in, fb * count);
        float *ref = malloc(sizeof(float) * no), *fill = malloc(sizeof(float) * no);
        for (size_t i = 0; i < no; ++i) fill[i] = -7.0f;
        float *d_out = up_bytes(fill, sizeof(float) * no);
        for (int random = 0; random < 2; ++random) {
            memcpy(ref, fill, sizeof(float) * no);
            cpu->crop_frames(cpu, ref, ld, col0, in, count, h, w, c, hc, wc, random, rng);
            gpu->crop_frames(gpu, d_out, ld, col0, d_in, count, h, w, c, hc, wc, random, rng);
            snprintf(name, sizeof name, "crop_frames %dx%dx%dx%d -> %dx%d random %d", count, h, w,
                     c, hc, wc, random);
            check_bits(name, d_out, ref, sizeof(float) * no);
        }
        gpu->free(gpu, d_in), gpu->free(gpu, d_out);
        free(in), free(ref), free(fill);
    }
    sync_ok("crop_frames");
}

static void test_all_gathers(const dataset *s) {
    const int64_t n = s->n;
    const int Bs[3] = {(int)n, 1, 5003};
    for (int k = 0; k < 3; ++k) {
        int32_t *idx = malloc(sizeof(int32_t) * Bs[k]);
        for (int b = 0; b < Bs[k]; ++b)
            idx[b] = (int32_t)(k == 0   ? b
                               : k == 1 ? n - 1
                                        : (int64_t)((b * 2654435761u) % (uint64_t)n));
        test_gathers(s, idx, Bs[k]);
        free(idx);
    }
}

/* ---- action noise ---- */

static void test_action_noise(void) {
    const int shapes[][3] = {{1, 1, 1}, {7, 3, 3}, {4001, 3, 5}, {64, 8, 16}, {3, 2, 1}};
    const rise_rng rngs[] = {{1, 2, 3, NULL},
                             {0xdeadbeefcafeULL, 0x4E000000u, (1ULL << 32) + 1, NULL}};
    char name[128];
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; ++si)
        for (size_t r = 0; r < 2; ++r) {
            const int B = shapes[si][0], M = shapes[si][1], A = shapes[si][2];
            const size_t rows = (size_t)B * M, n = rows * A;
            float *a = malloc(sizeof(float) * B * A), sigma[8], zeros[8] = {0};
            test_fill_random(a, (size_t)B * A, 11 + (unsigned)si, -1.1f, 1.1f);
            for (int m = 0; m < M; ++m) sigma[m] = 0.05f + 0.75f * (float)m / 7.0f;
            float *o = malloc(sizeof(float) * n), *sg = malloc(sizeof(float) * rows),
                  *dn = malloc(sizeof(float) * rows);
            float *d_a = up_bytes(a, sizeof(float) * B * A), *d_sig = up_bytes(sigma, sizeof sigma);
            float *d_zero = up_bytes(zeros, sizeof zeros);
            float *d_o = gpu->alloc(gpu, sizeof(float) * n),
                  *d_eps = gpu->alloc(gpu, sizeof(float) * n);
            float *d_sg = gpu->alloc(gpu, sizeof(float) * rows),
                  *d_dn = gpu->alloc(gpu, sizeof(float) * rows);
            cpu->action_noise(cpu, o, sg, dn, a, sigma, B, M, A, rngs[r]);
            gpu->action_noise(gpu, d_o, d_sg, d_dn, d_a, d_sig, B, M, A, rngs[r]);
            /* |eps| < 6: 8 ulp of 6 (test_backend_ops' normal bound) times sigma <= 0.8,
             * plus one rounding of out (|out| <= 1); delta_norm: sqrt(A) times that */
            const double atol = 0.8 * 8 * 4.8e-7 + 1.2e-7;
            snprintf(name, sizeof name, "action_noise out B=%d M=%d A=%d rng#%zu", B, M, A, r);
            check_close(name, d_o, o, n, atol, 4 * FLT_EPSILON);
            snprintf(name, sizeof name, "action_noise delta_norm B=%d M=%d A=%d rng#%zu", B, M, A,
                     r);
            check_close(name, d_dn, dn, rows, sqrt((double)A) * atol, 4 * FLT_EPSILON);
            snprintf(name, sizeof name, "action_noise sigma_out B=%d M=%d", B, M);
            check_bits(name, d_sg, sg, sizeof(float) * rows);
            /* exact arithmetic: recompute on the host from the device's own normals */
            gpu->rand_normal(gpu, d_eps, n, 0.0f, 1.0f, rngs[r]);
            float *eps = test_from_backend(gpu, d_eps, n), *go = test_from_backend(gpu, d_o, n);
            float *gd = test_from_backend(gpu, d_dn, rows);
            float *want = malloc(sizeof(float) * n), *wd = malloc(sizeof(float) * rows);
            for (size_t row = 0; row < rows; ++row) {
                const float *ab = a + (row / M) * A;
                double d2 = 0.0;
                for (int j = 0; j < A; ++j) {
                    float v = ab[j] + sigma[row % M] * eps[row * A + j];
                    v = v < -1.0f ? -1.0f : (v > 1.0f ? 1.0f : v);
                    want[row * A + j] = v;
                    const double d = (double)go[row * A + j] - (double)ab[j];
                    d2 += d * d;
                }
                wd[row] = (float)sqrt(d2);
            }
            TEST_CHECK(!memcmp(want, go, sizeof(float) * n),
                       "action_noise out = host formula on the device normals B=%d M=%d A=%d", B, M,
                       A);
            TEST_CHECK(!memcmp(wd, gd, sizeof(float) * rows),
                       "action_noise delta_norm = host double norm of the device out B=%d M=%d", B,
                       M);
            /* sigma = 0: out = clip(a), delta = |clip(a) - a|, bitwise */
            cpu->action_noise(cpu, o, NULL, dn, a, zeros, B, M, A, rngs[r]);
            gpu->action_noise(gpu, d_o, NULL, d_dn, d_a, d_zero, B, M, A, rngs[r]);
            snprintf(name, sizeof name, "action_noise sigma=0 B=%d M=%d A=%d", B, M, A);
            check_bits(name, d_o, o, sizeof(float) * n);
            check_bits(name, d_dn, dn, sizeof(float) * rows);
            gpu->free(gpu, d_a), gpu->free(gpu, d_sig), gpu->free(gpu, d_zero), gpu->free(gpu, d_o);
            gpu->free(gpu, d_eps), gpu->free(gpu, d_sg), gpu->free(gpu, d_dn);
            free(a), free(o), free(sg), free(dn), free(eps), free(go), free(gd), free(want),
                free(wd);
        }
    sync_ok("action_noise");
}

/* ---- kNN: every variant, exact ---- */

typedef struct {
    int nq, nr, f, k;
    float thr;
    int groups, match, quantise;
} knn_case;

/* Compares the device's lists with the host's (idx int32, dist float, count). */
static void knn_compare(const char *what, const int32_t *d_idx, const float *d_dist,
                        const int32_t *d_cnt, const int32_t *idx, const float *dist,
                        const int32_t *cnt, int nq, int k) {
    char name[320];
    snprintf(name, sizeof name, "%s count", what);
    check_bits(name, d_cnt, cnt, sizeof(int32_t) * nq);
    snprintf(name, sizeof name, "%s idx", what);
    check_bits(name, d_idx, idx, sizeof(int32_t) * nq * k);
    snprintf(name, sizeof name, "%s dist", what);
    check_bits(name, d_dist, dist, sizeof(float) * nq * k);
}

/* Runs the table entry and every supported variant on the device; `hq`/`hr` may hold
 * non-finite values, in which case the reference is rise_knn_brute alone. */
static void knn_run(const knn_case *c, const float *hq, const float *hr, int cpu_too) {
    const int nq = c->nq, nr = c->nr, f = c->f, k = c->k;
    const size_t nqk = (size_t)nq * k;
    int32_t *qg = malloc(sizeof(int32_t) * (nq + 1)), *rg = malloc(sizeof(int32_t) * (nr + 1));
    float *qm = malloc(sizeof(float) * 2 * (nq + 1)), *rm = malloc(sizeof(float) * 2 * (nr + 1));
    for (int i = 0; i < nq; ++i) qg[i] = i % 5, qm[2 * i] = (float)(i % 3), qm[2 * i + 1] = 0.5f;
    for (int j = 0; j < nr; ++j)
        rg[j] = j % 7, rm[2 * j] = (float)(j % 4), rm[2 * j + 1] = (float)(j % 2);
    rise_knn_opts o;
    rise_knn_opts_default(&o);
    o.k = k, o.max_dist = c->thr;
    rise_knn_params hp = {.k = k, .max_dist = c->thr}, dp = hp;
    float *d_q = up_bytes(hq, sizeof(float) * nq * f), *d_r = up_bytes(hr, sizeof(float) * nr * f);
    int32_t *d_qg = up_bytes(qg, sizeof(int32_t) * nq), *d_rg = up_bytes(rg, sizeof(int32_t) * nr);
    float *d_qm = up_bytes(qm, sizeof(float) * 2 * nq),
          *d_rm = up_bytes(rm, sizeof(float) * 2 * nr);
    if (c->groups) {
        o.q_group = qg, o.r_group = rg, hp.q_group = qg, hp.r_group = rg;
        dp.q_group = d_qg, dp.r_group = d_rg;
    }
    if (c->match) {
        o.q_match = qm, o.r_match = rm, o.match_dim = 2, o.match_tol = 0.5f;
        hp.q_match = qm, hp.r_match = rm, hp.match_dim = 2, hp.match_tol = 0.5f;
        dp.q_match = d_qm, dp.r_match = d_rm, dp.match_dim = 2, dp.match_tol = 0.5f;
    }
    /* the reference: rise_knn_brute, narrowed to int32 */
    int64_t *bi = malloc(sizeof(int64_t) * (nqk + 1));
    float *bd = malloc(sizeof(float) * (nqk + 1));
    int32_t *bc = malloc(sizeof(int32_t) * (nq + 1)), *bi32 = malloc(sizeof(int32_t) * (nqk + 1));
    rise_knn_brute(hq, nq, hr, nr, f, &o, bi, bd, bc);
    for (size_t e = 0; e < nqk; ++e) bi32[e] = (int32_t)bi[e];
    char what[200];
    if (cpu_too) { /* the CPU backend (kernels/knn_search.c's tiled search) agrees with it */
        int32_t *ci = malloc(sizeof(int32_t) * (nqk + 1)), *cc = malloc(sizeof(int32_t) * (nq + 1));
        float *cd = malloc(sizeof(float) * (nqk + 1));
        void *cs = cpu->alloc(cpu, knn_topk_scratch_bytes(nq, k) + 8);
        cpu->knn_topk(cpu, ci, cd, cc, hq, nq, hr, nr, f, &hp, cs);
        TEST_CHECK(!memcmp(ci, bi32, sizeof(int32_t) * nqk) &&
                       !memcmp(cd, bd, sizeof(float) * nqk) &&
                       !memcmp(cc, bc, sizeof(int32_t) * nq),
                   "cpu knn_topk = rise_knn_brute nq=%d nr=%d f=%d k=%d", nq, nr, f, k);
        cpu->free(cpu, cs);
        free(ci), free(cc), free(cd);
    }
    int32_t *d_idx = gpu->alloc(gpu, sizeof(int32_t) * (nqk + 1));
    int32_t *d_cnt = gpu->alloc(gpu, sizeof(int32_t) * (nq + 1));
    float *d_dist = gpu->alloc(gpu, sizeof(float) * (nqk + 1));
    void *d_scratch = gpu->alloc(gpu, knn_topk_scratch_bytes(nq, k) + 8);
    for (int variant = 0; variant <= 2; ++variant) {
        if (variant && !knn_topk_cuda_supports(variant, f)) continue;
        if (variant) {
            knn_topk_cuda_variant(variant, vstream(), d_idx, d_dist, d_cnt, d_q, nq, d_r, nr, f,
                                  &dp, d_scratch);
        } else {
            gpu->knn_topk(gpu, d_idx, d_dist, d_cnt, d_q, nq, d_r, nr, f, &dp, d_scratch);
        }
        snprintf(what, sizeof what,
                 "knn_topk v%d nq=%d nr=%d f=%d k=%d thr=%g groups %d match %d ties %d%s", variant,
                 nq, nr, f, k, (double)c->thr, c->groups, c->match, c->quantise,
                 cpu_too ? "" : " (non-finite)");
        knn_compare(what, d_idx, d_dist, d_cnt, bi32, bd, bc, nq, k);
    }
    gpu->free(gpu, d_q), gpu->free(gpu, d_r), gpu->free(gpu, d_qg), gpu->free(gpu, d_rg);
    gpu->free(gpu, d_qm), gpu->free(gpu, d_rm), gpu->free(gpu, d_idx), gpu->free(gpu, d_cnt);
    gpu->free(gpu, d_dist), gpu->free(gpu, d_scratch);
    free(qg), free(rg), free(qm), free(rm), free(bi), free(bd), free(bc), free(bi32);
}

static void knn_case_run(const knn_case *c) {
    const size_t nqf = (size_t)c->nq * c->f, nrf = (size_t)c->nr * c->f;
    float *q = malloc(sizeof(float) * (nqf + 1)), *r = malloc(sizeof(float) * (nrf + 1));
    test_fill_random(q, nqf, (unsigned)(c->nq + 7 * c->f), -1, 1);
    test_fill_random(r, nrf, (unsigned)(c->nr + 3 * c->f), -1, 1);
    if (c->quantise) {
        for (size_t i = 0; i < nrf; ++i) r[i] = roundf(r[i] * 2) / 2;
        for (size_t i = 0; i < nqf; ++i) q[i] = roundf(q[i] * 2) / 2;
    }
    if (c->nr > 3 && c->nq > 1) memcpy(r + 3 * (size_t)c->f, q + c->f, sizeof(float) * c->f);
    knn_run(c, q, r, 1);
    free(q), free(r);
}

/* Rows with inf, NaN and huge (1e19: float norms overflow) values, against the brute
 * force only (the CPU backend's tiled search does not promise non-finite inputs). */
static void knn_nonfinite(void) {
    const knn_case cases[] = {{40, 300, 6, 5, 0.0f, 0, 0, 0},
                              {40, 300, 6, 5, 1.5f, 0, 0, 0},
                              {40, 300, 70, 5, 0.0f, 0, 0, 0}};
    for (size_t s = 0; s < sizeof cases / sizeof *cases; ++s) {
        const knn_case *c = &cases[s];
        const size_t nqf = (size_t)c->nq * c->f, nrf = (size_t)c->nr * c->f;
        float *q = malloc(sizeof(float) * nqf), *r = malloc(sizeof(float) * nrf);
        test_fill_random(q, nqf, 71, -1, 1);
        test_fill_random(r, nrf, 72, -1, 1);
        r[5 * c->f] = INFINITY, r[9 * c->f + 1] = NAN, r[11 * c->f] = -INFINITY;
        for (int x = 0; x < c->f; ++x) r[20 * c->f + x] = 1e19f, r[21 * c->f + x] = -1e19f;
        for (int x = 0; x < c->f; ++x) q[2 * c->f + x] = 1e19f, r[22 * c->f + x] = 1e19f;
        r[22 * c->f] = 1.0000001e19f; /* near q2 despite the huge norms */
        q[3 * c->f] = INFINITY, q[4 * c->f] = NAN;
        knn_run(c, q, r, 0);
        free(q), free(r);
    }
}

static void test_knn(void) {
    const knn_case cases[] = {
        {50, 300, 6, 5, 0.9f, 0, 0, 0},      {50, 300, 6, 5, 0.0f, 0, 0, 0},
        {37, 211, 3, 15, 0.6f, 1, 1, 0},     {40, 90, 2, 4, 1.0f, 0, 0, 1},
        {10, 3, 4, 8, 0.0f, 0, 0, 0},        {1, 1, 1, 1, 0.0f, 0, 0, 0},
        {1, 257, 20, 15, 0.0f, 0, 0, 1},     {300, 1000, 20, 15, 1.2f, 1, 0, 0},
        {129, 77, 67, 7, 0.0f, 1, 1, 1},     {64, 500, 20, 1, 0.0f, 0, 0, 1},
        {33, 129, 5, 40, 2.0f, 0, 1, 1},     {5, 0, 3, 2, 0.0f, 0, 0, 0},
        {2000, 5000, 20, 15, 0.0f, 0, 0, 0}, {2000, 5000, 20, 15, 1.0f, 1, 1, 0},
        {257, 1000, 64, 33, 0.0f, 0, 0, 1},  {130, 300, 33, 1024, 0.0f, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i)
        /* RISE_TEST_SHAPES=small (tests/test_util.h): not the 2000 x 5000 searches, which
         * are there for their size alone (every variant runs at the others) */
        if (test_size_kept((double)cases[i].nq * cases[i].nr, 1e6)) knn_case_run(&cases[i]);
    knn_nonfinite();
    sync_ok("knn_topk");
}

int main(void) {
    test_shapes_small(); /* a bad RISE_TEST_SHAPES fails here, with or without a device */
    gpu = test_backend_or_skip("cuda");
    cpu = test_backend_or_skip("ref");
    const int64_t small_lens[] = {1, 4, 1, 7, 2, 1, 5, 3, 1, 9, 1};
    dataset small;
    make_dataset(&small, small_lens, 11, 7, 3, 1);
    test_sample_indices(&small);
    test_all_gathers(&small);
    free_dataset(&small);
    int64_t lens[700];
    for (int t = 0; t < 700; ++t) lens[t] = 1 + (t * 37) % 41;
    dataset large;
    make_dataset(&large, lens, 700, 33, 5, 2);
    test_sample_indices(&large);
    test_all_gathers(&large);
    free_dataset(&large);
    test_action_noise();
    test_crop_frames();
    test_knn();
    rise_backend_destroy(gpu);
    rise_backend_destroy(cpu);
    return test_finish();
}

#else /* the CUDA backend was not built: nothing to compare */

int main(void) {
    test_shapes_small(); /* a bad RISE_TEST_SHAPES fails here, with or without a device */
    rise_backend *be = test_backend_or_skip("cuda"); /* exits 77 */
    rise_backend_destroy(be);
    return 1;
}

#endif
