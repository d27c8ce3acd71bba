/* test_ops_gather.c - the device-resident batch ops of the CPU backend (kernels/gather.h)
 * against the data-layer host functions they reproduce, bit for bit, on generated
 * training sets with awkward shapes: trajectories of length 1, To / Ta longer than any
 * trajectory, B = 1, odd dims, and a large set whose batches split over threads.
 *   sample_indices = rise_sampler_next (uniform, mixed with expert ratios 0 / 0.3 / 1,
 *                    explicit streams), over several successive offsets advanced by the
 *                    caller as documented;
 *   gather_rows = rise_gather_transitions (+ normalisation = rise_norm_apply_*);
 *   gather_obs_history = rise_gather_obs_history / rise_gather_next_obs_history;
 *   gather_action_chunk = rise_gather_action_chunk (valid mask, or none);
 *   action_noise = rise_action_noise_ref (sigma_out, delta_norm or NULL);
 *   gather_frames = rise_gather_frames (data/frames.h), from the resident [n + n_traj]
 *                   frame array, observation and next-state histories;
 *   crop_frames = robomimic's crop: random offsets in [0, H - Hc) (every one drawn, the last
 *                 never), centred ones, every value crop_pixel of its source byte, a split
 *                 over threads the same as one serial call, the output stride honoured.
 * An out-of-range index aborts (checked in a child process), unless the gather writes
 * nothing (cols or dim 0, act_dim 0 without valid flags): then no index is read, as on
 * the device. Run: ctest -R test_ops_gather */
#include <sys/wait.h>
#include <unistd.h>

#include "data/action_noise.h"
#include "data/frames.h"
#include "data/normalize.h"
#include "data/sampler.h"
#include "data/sequence.h"
#include "kernels/gather.h"
#include "test_util.h"
#include "expect_abort.h"

static rise_backend *be;

/* A rise_trainset filled in memory (only the fields the gathers and the sampler read),
 * plus the int32 / float copies a device would hold. */
typedef struct {
    rise_trainset ts;
    rise_camera cam;          /* one camera of random frames */
    uint8_t *frames_dev;      /* its [n + n_traj] resident array */
    float *expert_f;          /* [n] ts->expert as 0/1 floats */
    int32_t *pool_a, *pool_b; /* int32 copies of expert_idx / nonexpert_idx */
} fixture;

static void make_fixture(fixture *fx, const int64_t *lens, int n_traj, int D, int A,
                         unsigned seed) {
    memset(fx, 0, sizeof *fx);
    rise_trainset *ts = &fx->ts;
    int64_t n = 0;
    for (int t = 0; t < n_traj; ++t) n += lens[t];
    ts->n = n, ts->obs_dim = D, ts->act_dim = A, ts->n_traj = n_traj;
    ts->obs = malloc(sizeof(float) * (size_t)(n * D));
    ts->next_obs = malloc(sizeof(float) * (size_t)(n * D));
    ts->actions = malloc(sizeof(float) * (size_t)(n * A));
    ts->rewards = malloc(sizeof(float) * (size_t)n);
    ts->dones = malloc(sizeof(float) * (size_t)n);
    ts->traj = malloc(sizeof(int32_t) * (size_t)n);
    ts->step = malloc(sizeof(int32_t) * (size_t)n);
    ts->expert = malloc((size_t)n);
    ts->traj_start = malloc(sizeof(int64_t) * (size_t)n_traj);
    ts->traj_len = malloc(sizeof(int64_t) * (size_t)n_traj);
    ts->expert_idx = malloc(sizeof(int64_t) * (size_t)n);
    ts->nonexpert_idx = malloc(sizeof(int64_t) * (size_t)n);
    fx->expert_f = malloc(sizeof(float) * (size_t)n);
    fx->pool_a = malloc(sizeof(int32_t) * (size_t)n);
    fx->pool_b = malloc(sizeof(int32_t) * (size_t)n);
    test_fill_random(ts->obs, (size_t)(n * D), seed, -3, 5);
    test_fill_random(ts->next_obs, (size_t)(n * D), seed + 1, -3, 5);
    test_fill_random(ts->actions, (size_t)(n * A), seed + 2, -1.3f, 1.3f); /* some clip */
    test_fill_random(ts->rewards, (size_t)n, seed + 3, 0, 1);
    fx->cam.h = 3 + (int)seed;
    fx->cam.w = 5;
    fx->cam.c = 3;
    fx->cam.frame_bytes = (int64_t)fx->cam.h * fx->cam.w * fx->cam.c; /* odd: byte copies */
    const size_t fb = (size_t)fx->cam.frame_bytes;
    fx->frames_dev = malloc(fb * (size_t)(n + n_traj));
    for (size_t i = 0; i < fb * (size_t)(n + n_traj); ++i)
        fx->frames_dev[i] = (uint8_t)((i * 2654435761u + seed) >> 13);
    fx->cam.frames = malloc(fb * (size_t)n);
    fx->cam.last_next = malloc(fb * (size_t)n_traj);
    memcpy(fx->cam.frames, fx->frames_dev, fb * (size_t)n);
    memcpy(fx->cam.last_next, fx->frames_dev + fb * (size_t)n, fb * (size_t)n_traj);
    ts->n_cams = 1;
    ts->cams = &fx->cam;
    int64_t row = 0;
    for (int t = 0; t < n_traj; ++t) {
        ts->traj_start[t] = row;
        ts->traj_len[t] = lens[t];
        const int expert = (t * 7 + (int)seed) % 3 == 0;
        for (int64_t s = 0; s < lens[t]; ++s, ++row) {
            ts->traj[row] = t;
            ts->step[row] = (int32_t)s;
            ts->dones[row] = s == lens[t] - 1 ? 1.0f : 0.0f;
            ts->expert[row] = (uint8_t)expert;
            fx->expert_f[row] = expert ? 1.0f : 0.0f;
            if (expert)
                fx->pool_a[ts->n_expert] = (int32_t)row, ts->expert_idx[ts->n_expert++] = row;
            else
                fx->pool_b[ts->n_nonexpert] = (int32_t)row,
                ts->nonexpert_idx[ts->n_nonexpert++] = row;
        }
    }
}

static void free_fixture(fixture *fx) {
    rise_trainset *ts = &fx->ts;
    free(ts->obs), free(ts->next_obs), free(ts->actions), free(ts->rewards), free(ts->dones);
    free(ts->traj), free(ts->step), free(ts->expert), free(ts->traj_start), free(ts->traj_len);
    free(ts->expert_idx), free(ts->nonexpert_idx);
    free(fx->expert_f), free(fx->pool_a), free(fx->pool_b);
    free(fx->frames_dev), free(fx->cam.frames), free(fx->cam.last_next);
}

static int same_idx(const int32_t *a, const int64_t *b, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
        if ((int64_t)a[i] != b[i]) return 0;
    return 1;
}

/* ---- sampling ---- */

static void check_sampler(const fixture *fx, rise_sampler *s, const char *what) {
    const int B = (int)s->batch;
    int64_t *want = malloc(sizeof(int64_t) * (size_t)B);
    int32_t *got = malloc(sizeof(int32_t) * (size_t)B);
    rise_rng rng = {s->seed, s->stream, s->offset, NULL};
    int ok = 1, advance = 1;
    for (int draw = 0; draw < 5; ++draw) {
        rise_sampler_next(s, want);
        be->sample_indices(be, got, B, s->n, fx->pool_a, s->n_a, fx->pool_b, s->n_b,
                           (int)s->batch_a, rng);
        rng.offset += sample_indices_blocks(B); /* the caller advances, as documented */
        ok &= same_idx(got, want, B);
        advance &= rng.offset == s->offset;
    }
    TEST_CHECK(ok, "sample_indices = rise_sampler_next over 5 draws: %s batch=%d batch_a=%lld",
               what, B, (long long)s->batch_a);
    TEST_CHECK(advance, "%s: sample_indices_blocks advances as the host counter", what);
    free(want), free(got);
}

static void test_sampling(const fixture *fx) {
    const int batches[] = {1, 7, 257, 5000};
    const double ratios[] = {-1.0, 0.0, 0.3, 1.0};
    for (size_t b = 0; b < sizeof batches / sizeof *batches; ++b)
        for (size_t r = 0; r < sizeof ratios / sizeof *ratios; ++r) {
            rise_sampler s;
            const int rank = (int)(b + r) % 3;
            TEST_CHECK(rise_sampler_init(&s, &fx->ts, 1000 + b, rank, batches[b], ratios[r]) ==
                           RISE_OK,
                       "sampler init");
            rise_sampler_restore(&s, (uint64_t)r * 1000003u); /* not from zero */
            char what[64];
            snprintf(what, sizeof what, "ratio %g rank %d", ratios[r], rank);
            check_sampler(fx, &s, what);
        }
    /* explicit stream, offset past 2^32 blocks (the counter's high word) */
    rise_sampler s;
    rise_sampler_init_uniform(&s, fx->ts.n, 0xfeedfacecafeULL, RISE_STREAM_PAIR_SAMPLER + 3, 33);
    rise_sampler_restore(&s, (1ULL << 32) - 2);
    check_sampler(fx, &s, "uniform stream, offset 2^32-2");
}

/* ---- transitions ---- */

static void test_gather_rows(const fixture *fx, const int32_t *idx32, const int64_t *idx, int B) {
    const rise_trainset *ts = &fx->ts;
    const int D = (int)ts->obs_dim, A = (int)ts->act_dim;
    const size_t nd = (size_t)B * D, na = (size_t)B * A;
    float *w[6], *g[6];
    const size_t sizes[6] = {nd, nd, na, (size_t)B, (size_t)B, (size_t)B};
    for (int i = 0; i < 6; ++i)
        w[i] = malloc(sizeof(float) * sizes[i]), g[i] = malloc(sizeof(float) * sizes[i]);
    rise_gather_transitions(ts, idx, B, w[0], w[1], w[2], w[3], w[4], w[5]);
    be->gather_rows(be, g[0], ts->obs, ts->n, idx32, B, D, NULL, NULL);
    be->gather_rows(be, g[1], ts->next_obs, ts->n, idx32, B, D, NULL, NULL);
    be->gather_rows(be, g[2], ts->actions, ts->n, idx32, B, A, NULL, NULL);
    be->gather_rows(be, g[3], ts->rewards, ts->n, idx32, B, 1, NULL, NULL);
    be->gather_rows(be, g[4], ts->dones, ts->n, idx32, B, 1, NULL, NULL);
    be->gather_rows(be, g[5], fx->expert_f, ts->n, idx32, B, 1, NULL, NULL);
    static const char *names[6] = {"obs", "next_obs", "actions", "rewards", "dones", "expert"};
    for (int i = 0; i < 6; ++i)
        TEST_CHECK(!memcmp(w[i], g[i], sizeof(float) * sizes[i]),
                   "gather_rows %s B=%d = rise_gather_transitions", names[i], B);

    /* normalised at gather time = rise_norm_apply_* then the gather */
    rise_norm_stats norm;
    TEST_CHECK(rise_norm_fit_arrays(&norm, ts->obs, ts->actions, ts->n, D, A, RISE_NORM_GAUSSIAN,
                                    RISE_NORM_MINMAX) == RISE_OK,
               "fit normalisation");
    rise_trainset nts = *ts;
    nts.obs = malloc(sizeof(float) * (size_t)(ts->n * D));
    nts.actions = malloc(sizeof(float) * (size_t)(ts->n * A));
    memcpy(nts.obs, ts->obs, sizeof(float) * (size_t)(ts->n * D));
    memcpy(nts.actions, ts->actions, sizeof(float) * (size_t)(ts->n * A));
    rise_norm_apply_obs(&norm, nts.obs, ts->n);
    rise_norm_apply_actions(&norm, nts.actions, ts->n);
    rise_gather_transitions(&nts, idx, B, w[0], NULL, w[2], NULL, NULL, NULL);
    be->gather_rows(be, g[0], ts->obs, ts->n, idx32, B, D, norm.obs_shift, norm.obs_scale);
    be->gather_rows(be, g[2], ts->actions, ts->n, idx32, B, A, norm.act_shift, norm.act_scale);
    TEST_CHECK(!memcmp(w[0], g[0], sizeof(float) * nd), "gather_rows obs B=%d normalised", B);
    TEST_CHECK(!memcmp(w[2], g[2], sizeof(float) * na), "gather_rows actions B=%d normalised", B);
    /* shift only, scale only */
    be->gather_rows(be, g[0], ts->obs, ts->n, idx32, B, D, norm.obs_shift, NULL);
    be->gather_rows(be, g[1], ts->obs, ts->n, idx32, B, D, NULL, norm.obs_scale);
    int ok = 1;
    for (int b = 0; b < B; ++b)
        for (int c = 0; c < D; ++c) {
            const float x = ts->obs[idx[b] * D + c];
            ok &= g[0][(size_t)b * D + c] == x - norm.obs_shift[c];
            ok &= g[1][(size_t)b * D + c] == x / norm.obs_scale[c];
        }
    TEST_CHECK(ok, "gather_rows B=%d: shift only, scale only", B);
    rise_norm_free(&norm);
    free(nts.obs), free(nts.actions);
    for (int i = 0; i < 6; ++i) free(w[i]), free(g[i]);
}

/* ---- histories and chunks ---- */

static void test_sequences(const fixture *fx, const int32_t *idx32, const int64_t *idx, int B) {
    const rise_trainset *ts = &fx->ts;
    const int D = (int)ts->obs_dim, A = (int)ts->act_dim;
    const int horizons[] = {1, 2, 3, 6, 12};
    for (size_t h = 0; h < sizeof horizons / sizeof *horizons; ++h) {
        const int H = horizons[h];
        const size_t no = (size_t)B * H * D, nc = (size_t)B * H * A, nv = (size_t)B * H;
        float *want = malloc(sizeof(float) * (no > nc ? no : nc)), *wv = malloc(sizeof(float) * nv);
        float *got = malloc(sizeof(float) * (no > nc ? no : nc)), *gv = malloc(sizeof(float) * nv);
        rise_gather_obs_history(ts, idx, B, H, want);
        be->gather_obs_history(be, got, ts->obs, NULL, ts->traj, ts->step, ts->traj_start, ts->n,
                               idx32, B, H, D);
        TEST_CHECK(!memcmp(want, got, sizeof(float) * no),
                   "gather_obs_history B=%d To=%d D=%d = rise_gather_obs_history", B, H, D);
        rise_gather_next_obs_history(ts, idx, B, H, want);
        be->gather_obs_history(be, got, ts->obs, ts->next_obs, ts->traj, ts->step, ts->traj_start,
                               ts->n, idx32, B, H, D);
        TEST_CHECK(!memcmp(want, got, sizeof(float) * no),
                   "gather_obs_history (next) B=%d To=%d = rise_gather_next_obs_history", B, H);
        rise_gather_action_chunk(ts, idx, B, H, want, wv);
        be->gather_action_chunk(be, got, gv, ts->actions, ts->traj, ts->step, ts->traj_start,
                                ts->traj_len, ts->n, idx32, B, H, A);
        TEST_CHECK(!memcmp(want, got, sizeof(float) * nc) && !memcmp(wv, gv, sizeof(float) * nv),
                   "gather_action_chunk B=%d Ta=%d A=%d = rise_gather_action_chunk", B, H, A);
        memset(got, 0, sizeof(float) * nc);
        be->gather_action_chunk(be, got, NULL, ts->actions, ts->traj, ts->step, ts->traj_start,
                                ts->traj_len, ts->n, idx32, B, H, A);
        TEST_CHECK(!memcmp(want, got, sizeof(float) * nc), "gather_action_chunk valid=NULL Ta=%d",
                   H);
        const size_t nf = (size_t)B * H * (size_t)fx->cam.frame_bytes;
        uint8_t *wf = malloc(nf), *gf = malloc(nf);
        for (int next = 0; next < 2; ++next) {
            TEST_CHECK(rise_gather_frames(ts, 0, idx, B, H, next, wf) == RISE_OK, "host frames");
            be->gather_frames(be, gf, fx->frames_dev, ts->traj, ts->step, ts->traj_start,
                              ts->traj_len, ts->n, idx32, B, H, next, fx->cam.frame_bytes);
            TEST_CHECK(!memcmp(wf, gf, nf), "gather_frames B=%d To=%d next=%d = rise_gather_frames",
                       B, H, next);
        }
        free(wf), free(gf);
        free(want), free(wv), free(got), free(gv);
    }
}

/* Batches of one fixture: every transition in order (all edge cases), B = 1, and drawn
 * ones. */
static void test_batches(const fixture *fx, int big) {
    const int64_t n = fx->ts.n;
    const int Bs[3] = {(int)n, 1, big ? 5003 : 13};
    for (int k = 0; k < 3; ++k) {
        const int B = Bs[k];
        int64_t *idx = malloc(sizeof(int64_t) * (size_t)B);
        int32_t *idx32 = malloc(sizeof(int32_t) * (size_t)B);
        for (int b = 0; b < B; ++b) {
            idx[b] = k == 0 ? b : (k == 1 ? n - 1 : (int64_t)((b * 2654435761u) % (uint64_t)n));
            idx32[b] = (int32_t)idx[b];
        }
        test_gather_rows(fx, idx32, idx, B);
        test_sequences(fx, idx32, idx, B);
        free(idx), free(idx32);
    }
}

/* ---- action noise ---- */

static void test_action_noise(void) {
    const int shapes[][3] = {{1, 1, 1}, {7, 3, 3}, {4001, 3, 5}, {64, 8, 16}, {3, 2, 1}};
    const rise_rng rngs[] = {{0, 0, 0, NULL},
                             {0x123456789abcdefULL, RISE_STREAM_ACTION_NOISE, 3, NULL},
                             {42, 1, (1ULL << 32) + 5, NULL}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; ++s)
        for (size_t r = 0; r < sizeof rngs / sizeof *rngs; ++r) {
            const int B = shapes[s][0], M = shapes[s][1], A = shapes[s][2];
            const size_t rows = (size_t)B * M, n = rows * A;
            float *a = malloc(sizeof(float) * (size_t)B * A), sigma[8];
            test_fill_random(a, (size_t)B * A, 7 + (unsigned)s, -1.1f, 1.1f);
            rise_action_noise_levels(M, 0.05f, 0.8f, sigma);
            float *wo = malloc(sizeof(float) * n), *go = malloc(sizeof(float) * n);
            float *ws = malloc(sizeof(float) * rows), *gs = malloc(sizeof(float) * rows);
            float *wd = malloc(sizeof(float) * rows), *gd = malloc(sizeof(float) * rows);
            rise_action_noise_ref(a, B, A, M, sigma, rngs[r], wo, ws, wd);
            be->action_noise(be, go, gs, gd, a, sigma, B, M, A, rngs[r]);
            TEST_CHECK(!memcmp(wo, go, sizeof(float) * n) &&
                           !memcmp(ws, gs, sizeof(float) * rows) &&
                           !memcmp(wd, gd, sizeof(float) * rows),
                       "action_noise = rise_action_noise_ref B=%d M=%d A=%d rng#%zu", B, M, A, r);
            memset(go, 0, sizeof(float) * n);
            be->action_noise(be, go, NULL, NULL, a, sigma, B, M, A, rngs[r]);
            TEST_CHECK(!memcmp(wo, go, sizeof(float) * n), "action_noise without sigma/delta");
            TEST_CHECK(action_noise_blocks(B, M, A) == rise_action_noise_blocks(B, M, A),
                       "action_noise_blocks");
            free(a), free(wo), free(go), free(ws), free(gs), free(wd), free(gd);
        }
}

/* ---- crops ---- */

static void test_crop_frames(void) {
    /* (count, h, w, c, hc, wc): 84 -> 76 as robomimic, a full window, one-pixel sides, a
     * count that splits over threads */
    const int shapes[][6] = {
        {40, 84, 84, 3, 76, 76}, {3, 9, 7, 1, 9, 7}, {5, 6, 11, 4, 1, 1}, {3000, 12, 10, 3, 8, 9}};
    const rise_rng rng = {0xfeedULL, 0x43000000u, 17, NULL};
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; ++k) {
        const int count = shapes[k][0], h = shapes[k][1], w = shapes[k][2], c = shapes[k][3];
        const int hc = shapes[k][4], wc = shapes[k][5];
        const int per = hc * wc * c, ld = per + 5, col0 = 3;
        const size_t fb = (size_t)h * w * c;
        uint8_t *in = malloc(fb * (size_t)count);
        for (size_t i = 0; i < fb * (size_t)count; ++i) in[i] = (uint8_t)(i * 7 + (i >> 8));
        float *got = malloc(sizeof(float) * (size_t)count * ld);
        float *want = malloc(sizeof(float) * (size_t)count * ld);
        for (int random = 0; random < 2; ++random) {
            for (size_t i = 0; i < (size_t)count * ld; ++i) got[i] = want[i] = -7.0f;
            be->crop_frames(be, got, ld, col0, in, count, h, w, c, hc, wc, random, rng);
            crop_frames_ref(want, ld, col0, in, 0, count, h, w, c, hc, wc, random, rng);
            TEST_CHECK(!memcmp(got, want, sizeof(float) * (size_t)count * ld),
                       "crop_frames split over threads = one serial call (%zu, random %d)", k,
                       random);
            /* find each frame's window by its first value, then check every value */
            int bad = 0, seen_y[128] = {0}, seen_x[128] = {0};
            for (int i = 0; i < count; ++i) {
                int oy = (h - hc) / 2, ox = (w - wc) / 2;
                if (random) {
                    const uint32_t wy = rise_rng_word(rng.seed, rng.stream, rng.offset, 2 * i);
                    const uint32_t wx = rise_rng_word(rng.seed, rng.stream, rng.offset, 2 * i + 1);
                    oy = h > hc ? (int)(((uint64_t)wy * (uint64_t)(h - hc)) >> 32) : 0;
                    ox = w > wc ? (int)(((uint64_t)wx * (uint64_t)(w - wc)) >> 32) : 0;
                }
                seen_y[oy] = seen_x[ox] = 1;
                const float *row = got + (size_t)i * ld;
                bad += row[0] != -7.0f || row[col0 + per] != -7.0f;
                for (int y = 0; y < hc; ++y)
                    for (int x = 0; x < wc; ++x)
                        for (int ch = 0; ch < c; ++ch) {
                            const uint8_t v = in[i * fb + ((size_t)(oy + y) * w + ox + x) * c + ch];
                            bad += row[col0 + (y * wc + x) * c + ch] != (float)v / 255.0f;
                        }
            }
            TEST_CHECK(bad == 0, "crop values and stride (%zu, random %d): %d wrong", k, random,
                       bad);
            if (random && count >= 40 && h > hc) {
                int all = 1;
                for (int o = 0; o < h - hc; ++o) all &= seen_y[o];
                TEST_CHECK(all && !seen_y[h - hc] && !seen_x[w - wc],
                           "offsets 0 .. H-Hc-1 drawn, H-Hc never (robomimic's floor(u span))");
            }
        }
        TEST_CHECK(crop_frames_blocks(count) == ((uint64_t)2 * count + 3) / 4, "crop blocks");
        free(in), free(got), free(want);
    }
    TEST_EXPECT_ABORT("a window larger than the frame", crop_frames_check(1, 2, 2, 3, 3, 1, 12, 0));
    TEST_EXPECT_ABORT("an output row shorter than the window",
                      crop_frames_check(1, 2, 2, 3, 2, 2, 11, 0));
}

/* ---- an index outside [0, n) aborts (RISE_ASSERT), in a child process ---- */

static void test_bounds(const fixture *fx) {
    const int32_t bad[2] = {0, (int32_t)fx->ts.n};
    float out[64];
    fflush(NULL);
    const pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr)) _exit(3);
        gather_rows_ref(out, fx->ts.obs, fx->ts.n, bad, 2, (int)fx->ts.obs_dim, NULL, NULL);
        _exit(0);
    }
    int status = 0;
    TEST_CHECK(pid > 0 && waitpid(pid, &status, 0) == pid, "fork for the bounds check");
    TEST_CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 0),
               "an index equal to n aborts the gather");
}

/* A gather that writes nothing reads no index (gather.h); one that writes does. */
static void test_empty_gathers(const fixture *fx) {
    const rise_trainset *ts = &fx->ts;
    const int32_t bad[2] = {-5, (int32_t)ts->n};
    float out[64], valid[8];
    gather_rows_ref(out, ts->obs, ts->n, bad, 2, 0, NULL, NULL);
    gather_obs_history_ref(out, ts->obs, NULL, ts->traj, ts->step, ts->traj_start, ts->n, bad, 2, 3,
                           0);
    gather_action_chunk_ref(out, NULL, ts->actions, ts->traj, ts->step, ts->traj_start,
                            ts->traj_len, ts->n, bad, 2, 4, 0);
    TEST_CHECK(1, "empty gathers with bad indices return");
    TEST_EXPECT_ABORT("valid flags read the index",
                      gather_action_chunk_ref(out, valid, ts->actions, ts->traj, ts->step,
                                              ts->traj_start, ts->traj_len, ts->n, bad, 2, 4, 0));
}

int main(void) {
    rise_status st;
    be = rise_backend_create("ref", &st);
    /* awkward: length-1 trajectories, lengths shorter than the horizons, odd dims */
    const int64_t small_lens[] = {1, 4, 1, 7, 2, 1, 5, 3, 1, 9, 1};
    fixture small;
    make_fixture(&small, small_lens, 11, 7, 3, 1);
    test_sampling(&small);
    test_batches(&small, 0);
    test_bounds(&small);
    test_empty_gathers(&small);
    free_fixture(&small);
    /* large: batches split over the OpenMP threads */
    int64_t lens[700];
    for (int t = 0; t < 700; ++t) lens[t] = 1 + (t * 37) % 41;
    fixture large;
    make_fixture(&large, lens, 700, 61, 5, 2); /* B = 5003 x 61 floats: 2 threads */
    test_sampling(&large);
    test_batches(&large, 1);
    free_fixture(&large);
    test_action_noise();
    test_crop_frames();
    rise_backend_destroy(be);
    return test_finish();
}
