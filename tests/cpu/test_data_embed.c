/* test_data_embed.c - `rise data embed` (host/cli/data_embed.c, data/embed.c,
 * algorithms/agent_embed.c) on the maze's rendered camera view:
 *  - a tiny diffusion BC policy on images is trained a few steps; the features the command
 *    writes into a copy of its data equal the policy encoder's camera columns computed here
 *    with obs_encoder's own forward (centred crops, EMA weights: they differ from the raw
 *    weights' features, so the choice is checked), for obs/ and next_obs/, to 1e-6; every
 *    demo's embedding has its frames' row count and the encoder's width; the attributes name
 *    the run and the checkpoint step;
 *  - run again without --force (another model), the file keeps every byte and the command
 *    says so; with --force the features are the other model's; a leftover .partial dataset
 *    (an interrupted run) is replaced;
 *  - RISE trains on a camera-only dataset with data.relabel_keys on the embedding and
 *    builds relabelled pairs;
 *  - errors name the file, demo, key, expected and found, and leave the file as it was: a
 *    run without cameras, a camera the run lacks, frames of another shape (also in a later
 *    demo: nothing is written), frames stored as float32, a file without the camera.
 * Run: ctest -R test_data_embed. */
#include <fcntl.h>
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "algorithms/agent_internal.h"
#include "algorithms/train_run.h"
#include "fixtures/data_fixtures.h"
#include "host/cli/cli.h"
#include "host/h5util.h"
#include "maze_fixture.h"
#include "test_util.h"
#include "train_fixture.h"

#define SIZE  24 /* camera frames SIZE x SIZE x 3 */
#define FEAT  8  /* encoder.feat_dim */
#define STEPS 6  /* training steps of the image policies */

static rise_backend *be;
static char dir[256];

static void path_of(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }

static void copy_file(const char *from_name, const char *to_name) {
    char a[600], b[600];
    path_of(a, sizeof a, from_name);
    path_of(b, sizeof b, to_name);
    size_t n = 0;
    char *bytes = test_read_file(a, &n);
    FILE *f = fopen(b, "wb");
    TEST_CHECK(bytes && f && fwrite(bytes, 1, n, f) == n, "copy %s to %s", a, b);
    if (f) fclose(f);
    free(bytes);
}

static int same_files(const char *x, const char *y) {
    char a[600], b[600];
    path_of(a, sizeof a, x);
    path_of(b, sizeof b, y);
    return test_same_file(a, b);
}

/* `rise data embed RUN FILE [extra...]` (names relative to dir); its stdout and stderr
 * into *out (malloc'd); returns the exit code. */
static int embed_cli(const char *run, const char *file, const char *extra1, const char *extra2,
                     char **out) {
    char run_p[600], file_p[600], log[600];
    path_of(run_p, sizeof run_p, run);
    path_of(file_p, sizeof file_p, file);
    path_of(log, sizeof log, "cli.log");
    char *argv[8] = {"data", "embed", run_p, file_p, NULL, NULL, NULL, NULL};
    int argc = 4;
    if (extra1) argv[argc++] = (char *)extra1;
    if (extra2) argv[argc++] = (char *)extra2;
    fflush(stdout), fflush(stderr);
    const int o1 = dup(1), o2 = dup(2), fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1), dup2(fd, 2);
    const int rc = rise_cmd_data(argc, argv);
    fflush(stdout), fflush(stderr);
    dup2(o1, 1), dup2(o2, 2);
    close(fd), close(o1), close(o2);
    *out = test_read_file(log, NULL);
    if (!*out) *out = calloc(1, 1);
    return rc;
}

static void train(const char *algo, const char *name, const char *obs_keys, const char *expert,
                  const char *extra) {
    rise_train_config c;
    train_fixture_images(&c, algo);
    train_fixture_set(&c, "train.log_every=3");
    char buf[700], out[600];
    snprintf(buf, sizeof buf, "train.steps=%d", STEPS);
    train_fixture_set(&c, buf);
    snprintf(buf, sizeof buf, "data.obs_keys=%s", obs_keys);
    train_fixture_set(&c, buf);
    snprintf(buf, sizeof buf, "data.source=expert:%s/%s", dir, expert);
    train_fixture_set(&c, buf);
    if (extra) train_fixture_set(&c, extra);
    path_of(out, sizeof out, name);
    const rise_train_opts quiet = {1, NULL, NULL};
    rise_train_summary s;
    TEST_CHECK(rise_train_run(&c, out, 0, &quiet, &s) == RISE_OK, "train %s: %s", name,
               rise_last_error());
}

/* frames [n, SIZE, SIZE, 3] of data/<demo>/<grp>/agentview_image (first n rows) and the row
 * count of that dataset and of its embedding (-1: absent); emb [n, FEAT] when not NULL. */
static void read_demo(const char *file, const char *demo, const char *grp, int n, uint8_t *frames,
                      float *emb, int64_t *rows, int64_t *emb_rows, int64_t *emb_cols) {
    char p[600], key[300];
    path_of(p, sizeof p, file);
    *rows = *emb_rows = *emb_cols = -1;
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return;
    snprintf(key, sizeof key, "data/%s/%s/agentview_image", demo, grp);
    hsize_t dims[4];
    hid_t ds = H5Dopen2(f, key, H5P_DEFAULT);
    if (ds >= 0) {
        hid_t sp = H5Dget_space(ds);
        H5Sget_simple_extent_dims(sp, dims, NULL);
        *rows = (int64_t)dims[0];
        if (frames) {
            const hsize_t start[4] = {0, 0, 0, 0}, cnt[4] = {(hsize_t)n, SIZE, SIZE, 3};
            hid_t ms = H5Screate_simple(4, cnt, NULL);
            H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, cnt, NULL);
            H5Dread(ds, H5T_NATIVE_UINT8, ms, sp, H5P_DEFAULT, frames);
            H5Sclose(ms);
        }
        H5Sclose(sp);
        H5Dclose(ds);
    }
    strcat(key, "_embedding");
    if (H5Lexists(f, key, H5P_DEFAULT) > 0 && (ds = H5Dopen2(f, key, H5P_DEFAULT)) >= 0) {
        hid_t sp = H5Dget_space(ds);
        if (H5Sget_simple_extent_ndims(sp) == 2) {
            H5Sget_simple_extent_dims(sp, dims, NULL);
            *emb_rows = (int64_t)dims[0], *emb_cols = (int64_t)dims[1];
            if (emb && dims[1] == FEAT) {
                const hsize_t start[2] = {0, 0}, cnt[2] = {(hsize_t)n, FEAT};
                hid_t ms = H5Screate_simple(2, cnt, NULL);
                H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, cnt, NULL);
                H5Dread(ds, H5T_NATIVE_FLOAT, ms, sp, H5P_DEFAULT, emb);
                H5Sclose(ms);
            }
        }
        H5Sclose(sp);
        H5Dclose(ds);
    }
    H5Fclose(f);
}

/* The policy encoder's camera columns of n frames (n even: rows of To = 2 frames), computed
 * with obs_encoder's forward (centred crops) on weights w. */
static void direct_features(rise_agent *a, const float *w, const uint8_t *frames, int n,
                            float *out) {
    const int To = a->vis.cfg.frames, F = a->vis.frame_dim, D = a->vis.cfg.lowdim;
    const rise_rng none = {0, 0, 0, NULL};
    const uint8_t *fr[1] = {frames};
    rise_arena ar;
    rise_arena_init_measure(&ar);
    rise_obs_encoder_tape t;
    rise_obs_encoder_forward(&a->vis, be, w, &ar, &t, NULL, fr, n / To, 0, none);
    TEST_CHECK(rise_arena_init(&ar, be, ar.peak + RISE_ARENA_ALIGN_FLOATS) == RISE_OK, "arena");
    rise_obs_encoder_forward(&a->vis, be, w, &ar, &t, NULL, fr, n / To, 0, none);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < FEAT; ++j) out[i * FEAT + j] = t.out[(size_t)i * F + D + j];
    rise_arena_free(&ar);
}

static rise_agent *load(const char *run) {
    char p[600];
    path_of(p, sizeof p, run);
    rise_train_config c;
    rise_agent *a = NULL;
    TEST_CHECK(rise_train_load_agent(p, NULL, be, &c, &a) == RISE_OK, "load %s: %s", run,
               rise_last_error());
    return a;
}

/* The written features of demo_0 (obs and next_obs, 10 frames each) equal run's encoder
 * (EMA weights) and not its raw weights'. */
static void check_features(const char *file, const char *run) {
    enum { N = 10 };
    rise_agent *a = load(run);
    if (!a) return;
    TEST_CHECK(a->has_vision && a->vis.cfg.frames == 2 && a->vis.enc[0].cfg.feat_dim == FEAT,
               "%s: an image policy with a 2-frame history and %d features", run, FEAT);
    static const char *const grps[2] = {"obs", "next_obs"};
    for (int g = 0; g < 2; ++g) {
        uint8_t frames[N * SIZE * SIZE * 3];
        float got[N * FEAT], ema[N * FEAT], raw[N * FEAT];
        int64_t rows, er, ec;
        memset(got, 0, sizeof got);
        read_demo(file, "demo_0", grps[g], N, frames, got, &rows, &er, &ec);
        if (rows < N) {
            TEST_CHECK(0, "%s demo_0/%s: %lld frames, expected >= %d", file, grps[g],
                       (long long)rows, N);
            continue;
        }
        direct_features(a, a->pp.ema, frames, N, ema);
        direct_features(a, a->pp.value, frames, N, raw);
        if (g == 0) { /* the library's embedder gives the same features */
            float once[N * FEAT];
            int cam = -1, feat = 0;
            char name[RISE_OBS_CAMERA_NAME_MAX] = "";
            rise_camera_shape cs = {0, 0, 0};
            rise_frame_embedder *e = NULL;
            TEST_CHECK(rise_agent_camera_find(a, NULL, &cam, name, &cs, &feat) == RISE_OK &&
                           cam == 0 && !strcmp(name, "agentview_image") && feat == FEAT &&
                           cs.h == SIZE && cs.w == SIZE && cs.c == 3 &&
                           rise_frame_embedder_create(a, cam, N, &e) == RISE_OK &&
                           rise_frame_embedder_run(e, N, frames, once) == RISE_OK,
                       "camera_find / embedder: %s", rise_last_error());
            rise_frame_embedder_free(e);
            test_close("rise_frame_embedder_run = the encoder", once, ema, N * FEAT, 1e-6, 0.0);
        }
        char what[200];
        snprintf(what, sizeof what, "%s demo_0/%s: written features = %s's encoder", file, grps[g],
                 run);
        test_close(what, got, ema, N * FEAT, 1e-6, 0.0);
        double gap = 0;
        for (int i = 0; i < N * FEAT; ++i) gap = fmax(gap, fabs(ema[i] - raw[i]));
        TEST_CHECK(gap > 1e-4, "the EMA weights' features differ from the raw weights' (%.3g)",
                   gap);
    }
    rise_agent_free(a);
}

/* Every demo's obs / next_obs embedding has its frames' rows and FEAT columns. */
static void check_rows(const char *file) {
    char p[600];
    path_of(p, sizeof p, file);
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    hsize_t n_demos = 0;
    hid_t data = f >= 0 ? H5Gopen2(f, "data", H5P_DEFAULT) : -1;
    if (data >= 0) H5Gget_num_objs(data, &n_demos);
    if (data >= 0) H5Gclose(data);
    if (f >= 0) H5Fclose(f);
    int bad = 0, groups = 0;
    for (hsize_t d = 0; d < n_demos; ++d) {
        char demo[32];
        snprintf(demo, sizeof demo, "demo_%llu", (unsigned long long)d);
        for (int g = 0; g < 2; ++g) {
            int64_t rows, er, ec;
            read_demo(file, demo, g ? "next_obs" : "obs", 0, NULL, NULL, &rows, &er, &ec);
            bad += rows < 1 || er != rows || ec != FEAT;
            ++groups;
        }
    }
    TEST_CHECK(n_demos > 1 && bad == 0, "%s: %d of %d groups with a wrong embedding shape", file,
               bad, groups);
}

/* Attribute attr of data/demo_0/obs/agentview_image_embedding. */
static char *attr_string(const char *file, const char *attr) {
    char p[600];
    path_of(p, sizeof p, file);
    char *v = NULL;
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = f >= 0 ? H5Dopen2(f, "data/demo_0/obs/agentview_image_embedding", H5P_DEFAULT) : -1;
    if (ds >= 0) rise_h5_read_attr_string(ds, attr, p, "embedding", &v);
    if (ds >= 0) H5Dclose(ds);
    if (f >= 0) H5Fclose(f);
    return v;
}

static int64_t attr_step(const char *file) {
    char p[600];
    path_of(p, sizeof p, file);
    int64_t v = -1;
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = f >= 0 ? H5Dopen2(f, "data/demo_0/obs/agentview_image_embedding", H5P_DEFAULT) : -1;
    if (ds >= 0) rise_h5_read_attr_i64(ds, "checkpoint_step", p, "embedding", &v);
    if (ds >= 0) H5Dclose(ds);
    if (f >= 0) H5Fclose(f);
    return v;
}

static int has_link(const char *file, const char *link) {
    char p[600];
    path_of(p, sizeof p, file);
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    const int has = f >= 0 && rise_h5_exists(f, link);
    if (f >= 0) H5Fclose(f);
    return has;
}

static void test_embed(void) {
    char *out = NULL;
    copy_file("img.h5", "e.h5");
    int rc = embed_cli("bc", "e.h5", "--batch", "7", &out);
    TEST_CHECK(rc == 0 && strstr(out, "wrote agentview_image_embedding (8 features"),
               "embed e.h5 with bc: rc %d: %s", rc, out);
    free(out);
    check_features("e.h5", "bc");
    check_rows("e.h5");
    char *run = attr_string("e.h5", "run_dir"), *w = attr_string("e.h5", "weights");
    char *ck = attr_string("e.h5", "checkpoint");
    TEST_CHECK(run && run[0] == '/' && strstr(run, "/bc") && w && !strcmp(w, "ema") && ck &&
                   strstr(ck, "/bc/checkpoint.h5") && attr_step("e.h5") == STEPS,
               "provenance: run_dir %s, weights %s, checkpoint %s, step %lld", run ? run : "-",
               w ? w : "-", ck ? ck : "-", (long long)attr_step("e.h5"));
    free(run), free(w), free(ck);

    /* again without --force (another model): kept, every byte as it was */
    copy_file("e.h5", "e_before.h5");
    rc = embed_cli("bc1", "e.h5", NULL, NULL, &out);
    TEST_CHECK(rc == 0 && strstr(out, "kept the existing agentview_image_embedding") &&
                   strstr(out, "file unchanged") && !strstr(out, "wrote"),
               "a second run without --force says it kept the file: rc %d: %s", rc, out);
    free(out);
    TEST_CHECK(same_files("e.h5", "e_before.h5"), "without --force the file is unchanged");
    check_features("e.h5", "bc");

    /* --force: the other model's features */
    rc = embed_cli("bc1", "e.h5", "--force", NULL, &out);
    TEST_CHECK(rc == 0 && strstr(out, "wrote"), "--force rewrites: rc %d: %s", rc, out);
    free(out);
    TEST_CHECK(!same_files("e.h5", "e_before.h5"), "--force changed the file");
    check_features("e.h5", "bc1");
    check_rows("e.h5");
    run = attr_string("e.h5", "run_dir");
    TEST_CHECK(run && strstr(run, "/bc1"), "provenance after --force: %s", run ? run : "-");
    free(run);

    /* an interrupted run's leftover: demo_0's .partial is replaced, the rest embedded */
    copy_file("img.h5", "i.h5");
    char p[600];
    path_of(p, sizeof p, "i.h5");
    hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
    const hsize_t d1[2] = {3, FEAT};
    const float junk[3 * FEAT] = {1};
    hid_t g = f >= 0 ? H5Gopen2(f, "data/demo_0/obs", H5P_DEFAULT) : -1;
    if (g >= 0) rise_h5_write_f32(g, "agentview_image_embedding.partial", 2, d1, junk, p);
    if (g >= 0) H5Gclose(g);
    if (f >= 0) H5Fclose(f);
    rc = embed_cli("bc", "i.h5", "--camera", "agentview_image", &out);
    TEST_CHECK(rc == 0 && !has_link("i.h5", "data/demo_0/obs/agentview_image_embedding.partial"),
               "a leftover .partial is replaced: rc %d: %s", rc, out);
    free(out);
    check_features("i.h5", "bc");
}

/* RISE on camera-only data relabels on the embedding (expert and play embedded by bc). */
static void test_rise_on_embedding(void) {
    char *out = NULL;
    copy_file("img.h5", "re.h5");
    copy_file("play.h5", "rp.h5");
    int rc0 = embed_cli("bc", "re.h5", NULL, NULL, &out);
    free(out);
    int rc1 = embed_cli("bc", "rp.h5", NULL, NULL, &out);
    TEST_CHECK(rc0 == 0 && rc1 == 0, "embed expert and play: %s", out);
    free(out);
    static const char *const kv[] = {"train.steps=10", "train.log_every=5",
                                     "data.obs_keys=agentview_image",
                                     "data.relabel_keys=agentview_image_embedding"};
    rise_train_config c;
    train_fixture_images(&c, "rise");
    train_fixture_rise_small(&c);
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; ++i) train_fixture_set(&c, kv[i]);
    char buf[700], run[600];
    snprintf(buf, sizeof buf, "data.source=expert:%s/re.h5", dir);
    train_fixture_set(&c, buf);
    snprintf(buf, sizeof buf, "data.source=non_expert:%s/rp.h5", dir);
    train_fixture_set(&c, buf);
    path_of(run, sizeof run, "rise");
    const rise_train_opts quiet = {1, NULL, NULL};
    rise_train_summary s;
    const rise_status st = rise_train_run(&c, run, 0, &quiet, &s);
    TEST_CHECK(st == RISE_OK && s.pairs > 0 && s.last_step == 10,
               "RISE relabelling on the policy encoder's features: %lld pairs, step %lld: %s",
               (long long)s.pairs, (long long)s.last_step, st == RISE_OK ? "" : rise_last_error());
}

/* `rise data embed` fails with words, and the file is byte for byte what it was. */
static void expect_error(const char *run, const char *file, const char *extra1, const char *extra2,
                         const char *const *words, int n_words) {
    copy_file(file, "err_before.h5");
    char *out = NULL;
    const int rc = embed_cli(run, file, extra1, extra2, &out);
    int found = 1;
    for (int i = 0; i < n_words; ++i) found &= strstr(out, words[i]) != NULL;
    TEST_CHECK(rc == 1 && found, "%s on %s refused naming '%s'...: rc %d: %s", run, file, words[0],
               rc, out);
    TEST_CHECK(same_files(file, "err_before.h5"), "%s unchanged after the error", file);
    free(out);
}

static void test_errors(void) {
    char p[600];
    /* a run whose policy reads no camera */
    path_of(p, sizeof p, "lowdim.h5");
    maze_fixture_gen("expert", 3, 1, p);
    train("bc_mlp", "mlp", "agent_pos", "lowdim.h5", "train.steps=2");
    const char *w1[] = {"/mlp", "reads no camera frames"};
    expect_error("mlp", "img.h5", NULL, NULL, w1, 2);
    /* a camera the run lacks */
    const char *w2[] = {"camera 'wristview'", "agentview_image:24x24x3"};
    expect_error("bc", "img.h5", "--camera", "wristview", w2, 2);
    /* frames of another shape */
    path_of(p, sizeof p, "img16.h5");
    maze_fixture_gen_obs("expert", 2, 1, RISE_GEN_OBS_BOTH, 16, p);
    const char *w3[] = {"img16.h5", "data/demo_0/obs/agentview_image", "16, 16, 3)", "24x24x3"};
    expect_error("bc", "img16.h5", NULL, NULL, w3, 4);
    /* ... in a later demo only: nothing is written, demo_0 included */
    copy_file("img.h5", "late.h5");
    path_of(p, sizeof p, "late.h5");
    hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t g = f >= 0 ? H5Gopen2(f, "data/demo_3/obs", H5P_DEFAULT) : -1;
    if (g >= 0) {
        H5Ldelete(g, "agentview_image", H5P_DEFAULT);
        const hsize_t dims[4] = {2, 24, 20, 3};
        hid_t sp = H5Screate_simple(4, dims, NULL);
        hid_t ds = H5Dcreate2(g, "agentview_image", H5T_STD_U8LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                              H5P_DEFAULT);
        H5Dclose(ds), H5Sclose(sp), H5Gclose(g);
    }
    if (f >= 0) H5Fclose(f);
    const char *w4[] = {"late.h5", "data/demo_3/obs/agentview_image", "(2, 24, 20, 3)"};
    expect_error("bc", "late.h5", NULL, NULL, w4, 3);
    TEST_CHECK(!has_link("late.h5", "data/demo_0/obs/agentview_image_embedding"),
               "a bad later demo: nothing written");
    /* frames stored as float32 */
    path_of(p, sizeof p, "float.h5");
    fx_robomimic fx;
    fx_default(&fx);
    fx_write_robomimic(p, &fx);
    fx_add_camera(p, &fx, "agentview_image", SIZE, SIZE, 3, 0, H5T_IEEE_F32LE, 0);
    const char *w5[] = {"float.h5", "data/demo_0/obs/agentview_image", "float32", "expected uint8"};
    expect_error("bc", "float.h5", NULL, NULL, w5, 4);
    /* a file without the camera */
    const char *w6[] = {"lowdim.h5", "data/demo_0/obs has no 'agentview_image'", "agent_pos"};
    expect_error("bc", "lowdim.h5", NULL, NULL, w6, 3);
    /* usage */
    char *argv_bad[] = {"data", "embed", "--batch", "0"};
    const int rc = rise_cmd_data(4, argv_bad);
    TEST_CHECK(rc == 2, "--batch 0 is a usage error (rc %d)", rc);
}

int main(void) {
    rise_status st;
    be = rise_backend_create("cpu", &st);
    TEST_CHECK(be != NULL, "cpu backend");
    snprintf(dir, sizeof dir, "/tmp/rise_test_data_embed_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    char p[600];
    path_of(p, sizeof p, "img.h5");
    maze_fixture_gen_obs("expert", 6, 1, RISE_GEN_OBS_BOTH, SIZE, p);
    path_of(p, sizeof p, "play.h5");
    maze_fixture_gen_obs("play", 6, 2, RISE_GEN_OBS_BOTH, SIZE, p);
    /* two image policies: bc (seed 0) and bc1 (seed 1) */
    train("bc_diffusion", "bc", "agent_pos,agentview_image", "img.h5", NULL);
    train("bc_diffusion", "bc1", "agent_pos,agentview_image", "img.h5", "train.seed=1");
    test_embed();
    test_rise_on_embedding();
    test_errors();
    rise_backend_destroy(be);
    test_remove_dir(dir);
    return test_finish();
}
