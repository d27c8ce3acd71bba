/* test_data_images.c - camera frames from robomimic image datasets made here: uint8
 * (H, W, C) keys named in obs_keys load as frames (every pixel checked, the last step's
 * next frame from next_obs, or repeated without it), the layout-only read checks every
 * demo and reads nothing, bad files get clear errors (float frames, (H, W) bytes, a
 * per-step rank 4, a truncated dataset, a file cut short, next frames that are not obs
 * shifted by one), and the training set gathers history frames identically from memory
 * and from the files (data.image_memory_mb below the frames' size), reading exactly the
 * batch's distinct frames. Run: ctest -R test_data_images */
#include <sys/stat.h>

#include "data/frames.h"
#include "data/reader.h"
#include "data/trainset.h"
#include "fixtures/data_fixtures.h"
#include "kernels/gather.h"
#include "test_util.h"

#define CAM_H 6
#define CAM_W 5
#define CAM_C 3
#define FB    (CAM_H * CAM_W * CAM_C)

static int load(const char *path, const char *const *keys, int n_keys, int mode, rise_episodes *e) {
    rise_read_opts o;
    rise_read_opts_default(&o);
    o.obs_keys = keys;
    o.n_obs_keys = n_keys;
    o.image_frames = mode;
    return rise_episodes_load(path, &o, e) == RISE_OK;
}

/* The default fixture (demos 0, 2, 10 of 5, 7, 4 steps) with camera "agentview_image". */
static void write_fixture(const char *path, fx_robomimic *fx, int next, hid_t type, int extra) {
    fx_default(fx);
    fx_write_robomimic(path, fx);
    fx_add_camera(path, fx, "agentview_image", CAM_H, CAM_W, CAM_C, next, type, extra);
}

static int frame_ok(const uint8_t *got, int64_t d, int64_t r) {
    for (int e = 0; e < FB; ++e) {
        const int c = e % CAM_C, x = e / CAM_C % CAM_W, y = e / CAM_C / CAM_W;
        if (got[e] != fx_pixel(d, r, y, x, c)) return 0;
    }
    return 1;
}

static void test_load(void) {
    char path[256];
    fx_path(path, sizeof path, "img_load.h5");
    fx_robomimic fx;
    for (int next = 1; next >= 0; --next) {
        write_fixture(path, &fx, next, H5T_STD_U8LE, 0);
        const char *keys[2] = {"object", "agentview_image"};
        rise_episodes e;
        const int ok = load(path, keys, 2, RISE_IMAGES_LOAD, &e);
        TEST_CHECK(ok, "load frames (next_obs %d): %s", next, rise_last_error());
        if (!ok) continue;
        TEST_CHECK(e.n_keys == 1 && e.obs_dim == 2 && e.n_images == 1 &&
                       !strcmp(e.images[0].name, "agentview_image") && e.images[0].h == CAM_H &&
                       e.images[0].w == CAM_W && e.images[0].c == CAM_C,
                   "the camera is not an obs column: %d keys, obs dim %lld, %d images", e.n_keys,
                   (long long)e.obs_dim, e.n_images);
        int bad = 0;
        for (int64_t i = 0; i < e.n_demos; ++i) {
            const rise_demo *dm = &e.demos[i];
            for (int64_t r = 0; r < dm->length; ++r)
                bad += !frame_ok(e.images[0].frames + (dm->start + r) * FB, dm->id, r);
            /* with next_obs: its last row (time N); without: the last frame repeats */
            bad += !frame_ok(e.images[0].last_next + i * FB, dm->id,
                             next ? dm->length : dm->length - 1);
            bad += !next && e.dones[dm->start + dm->length - 1] != 1;
        }
        TEST_CHECK(bad == 0, "every frame and last next frame (next_obs %d): %d wrong", next, bad);
        rise_episodes_free(&e);
        /* layout only: shapes, no frames */
        TEST_CHECK(load(path, keys, 2, RISE_IMAGES_LAYOUT, &e) && e.n_images == 1 &&
                       !e.images[0].frames && !e.images[0].last_next && e.obs[0] != 0,
                   "layout read: %s", rise_last_error());
        rise_episodes_free(&e);
        /* every key (none named): the camera is chosen too */
        TEST_CHECK(load(path, NULL, 0, RISE_IMAGES_LOAD, &e) && e.n_images == 1 && e.n_keys == 2,
                   "all keys: %s", rise_last_error());
        rise_episodes_free(&e);
    }
    remove(path);
}

static void expect_error(const char *path, int mode, const char *what, const char *a,
                         const char *b) {
    const char *keys[2] = {"object", "agentview_image"};
    rise_episodes e;
    const int ok = load(path, keys, 2, mode, &e);
    const char *msg = rise_last_error();
    TEST_CHECK(!ok && strstr(msg, path) && strstr(msg, a) && (!b || strstr(msg, b)),
               "%s (mode %d) is refused with a clear error: %s", what, mode, ok ? "loaded" : msg);
    if (ok) rise_episodes_free(&e);
    if (getenv("SHOW")) fprintf(stderr, "%s: %s\n", what, msg);
}

static void test_bad_files(void) {
    char path[256];
    fx_path(path, sizeof path, "img_bad.h5");
    fx_robomimic fx;
    for (int mode = RISE_IMAGES_LOAD; mode <= RISE_IMAGES_LAYOUT; ++mode) {
        write_fixture(path, &fx, 1, H5T_IEEE_F32LE, 0);
        expect_error(path, mode, "float frames", "must be uint8", "float32");
        write_fixture(path, &fx, 1, H5T_STD_U8LE, 2);
        expect_error(path, mode, "per-step rank 4", "(6, 5, 3, 2)", "need (H, W, C)");
        fx_default(&fx);
        fx_write_robomimic(path, &fx);
        fx_add_camera(path, &fx, "agentview_image", CAM_H, CAM_W * CAM_C, 1, 0, H5T_STD_U8LE, 0);
        /* (6, 15, 1) is a valid one-channel camera; (6, 15) bytes are not */
        hid_t f = fx_open_rw(path);
        for (int i = 0; i < fx.n_demos; ++i) {
            char where[96];
            snprintf(where, sizeof where, "data/demo_%lld/obs/agentview_image",
                     (long long)fx.ids[i]);
            H5Ldelete(f, where, H5P_DEFAULT);
            const hsize_t dims[3] = {(hsize_t)fx.lengths[i], 6, 15};
            uint8_t buf[16 * 90] = {0};
            hid_t sp = H5Screate_simple(3, dims, NULL);
            hid_t ds =
                H5Dcreate2(f, where, H5T_STD_U8LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
            H5Dclose(ds);
            H5Sclose(sp);
        }
        H5Fclose(f);
        expect_error(path, mode, "(H, W) bytes", "(6, 15) uint8", "need (H, W, C)");
        /* a truncated dataset: demo_2's camera has 6 of its 7 frames */
        write_fixture(path, &fx, 1, H5T_STD_U8LE, 0);
        f = fx_open_rw(path);
        H5Ldelete(f, "data/demo_2/obs/agentview_image", H5P_DEFAULT);
        {
            const hsize_t dims[4] = {6, CAM_H, CAM_W, CAM_C};
            uint8_t buf[6 * FB] = {0};
            hid_t sp = H5Screate_simple(4, dims, NULL);
            hid_t ds = H5Dcreate2(f, "data/demo_2/obs/agentview_image", H5T_STD_U8LE, sp,
                                  H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
            H5Dclose(ds);
            H5Sclose(sp);
        }
        H5Fclose(f);
        expect_error(path, mode, "a truncated image dataset", "data/demo_2/obs/agentview_image",
                     "has 6 frames");
    }
    /* next_obs that is not obs shifted by one */
    write_fixture(path, &fx, 1, H5T_STD_U8LE, 0);
    hid_t f = fx_open_rw(path);
    H5Ldelete(f, "data/demo_0/next_obs/agentview_image", H5P_DEFAULT);
    H5Lcreate_hard(f, "data/demo_0/obs/agentview_image", f, "data/demo_0/next_obs/agentview_image",
                   H5P_DEFAULT, H5P_DEFAULT);
    H5Fclose(f);
    expect_error(path, RISE_IMAGES_LOAD, "next frames not shifted", "differs from obs",
                 "obs[t + 1]");
    /* a file cut short inside the frames */
    write_fixture(path, &fx, 1, H5T_STD_U8LE, 0);
    struct stat sb;
    stat(path, &sb);
    TEST_CHECK(truncate(path, sb.st_size - 40) == 0, "truncate the file");
    expect_error(path, RISE_IMAGES_LOAD, "a file cut short", path, NULL);
    remove(path);
}

static rise_status build(const char *path, double memory_mb, rise_trainset *ts) {
    char json[1024];
    snprintf(json, sizeof json,
             "{\"sources\": [{\"path\": \"%s\", \"role\": \"expert\"}],"
             " \"obs_keys\": [\"object\", \"agentview_image\"], \"image_memory_mb\": %.17g}",
             path, memory_mb);
    rise_data_spec spec;
    RISE_TRY(rise_data_spec_from_json(&spec, json, NULL));
    return rise_trainset_build(&spec, ts);
}

static void test_trainset_gather(void) {
    char path[256];
    fx_path(path, sizeof path, "img_ts.h5");
    fx_robomimic fx;
    write_fixture(path, &fx, 1, H5T_STD_U8LE, 0);
    rise_trainset mem, disk;
    /* the frames: (16 rows + 3 trajectories) x 90 bytes = 1710 bytes */
    rise_status st = build(path, 1.0, &mem);
    TEST_CHECK(st == RISE_OK && mem.n_cams == 1 && !mem.stream && mem.cams[0].frames &&
                   mem.obs_dim == 2,
               "in memory under the limit: %s", rise_last_error());
    if (st != RISE_OK) return;
    st = build(path, 1500.0 / 1048576.0, &disk);
    TEST_CHECK(st == RISE_OK && disk.stream && !disk.cams[0].frames,
               "read from the file above the limit: %s", rise_last_error());
    if (st != RISE_OK) {
        rise_trainset_free(&mem);
        return;
    }
    /* every row, with histories reaching before the start and the next history past the end */
    const int To = 3;
    const int64_t B = mem.n;
    int64_t idx[32];
    for (int64_t b = 0; b < B; ++b) idx[b] = (b * 5) % B;
    uint8_t *a = malloc((size_t)(B * To * FB)), *c = malloc((size_t)(B * To * FB));
    for (int next = 0; next < 2; ++next) {
        const uint64_t before = rise_frame_stream_frames_read(disk.stream);
        TEST_CHECK(rise_gather_frames(&mem, 0, idx, B, To, next, a) == RISE_OK &&
                       rise_gather_frames(&disk, 0, idx, B, To, next, c) == RISE_OK,
                   "gather: %s", rise_last_error());
        TEST_CHECK(!memcmp(a, c, (size_t)(B * To * FB)), "memory and file give the same frames");
        int bad = 0;
        int distinct = 0;
        char seen[64] = {0};
        for (int64_t b = 0; b < B; ++b) {
            const int64_t i = idx[b], tr = mem.traj[i], t = mem.step[i];
            for (int j = 0; j < To; ++j) {
                const int64_t u = gather_history_time(t, To, j, next);
                bad += !frame_ok(a + (b * To + j) * FB, mem.traj_demo_id[tr], u);
                const int64_t key = mem.traj_start[tr] + tr + u; /* distinct per (tr, u) */
                if (!seen[key]) seen[key] = 1, ++distinct;
            }
        }
        TEST_CHECK(bad == 0, "history frames (next %d): %d wrong", next, bad);
        const uint64_t read = rise_frame_stream_frames_read(disk.stream) - before;
        TEST_CHECK(read == (uint64_t)distinct,
                   "the file read exactly the batch's %d distinct frames (read %llu)", distinct,
                   (unsigned long long)read);
    }
    free(a);
    free(c);
    rise_trainset_free(&mem);
    rise_trainset_free(&disk);
    remove(path);
}

int main(void) {
    test_load();
    test_bad_files();
    test_trainset_gather();
    return test_finish();
}
