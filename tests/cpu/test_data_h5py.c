/* test_data_h5py.c - robomimic compatibility checked with h5py in both
 * directions: a file rise writes is read by tests/fixtures/check_robomimic.py
 * following robomimic's own conventions (demo sort, attrs, masks as bytes),
 * and files h5py writes the way robomimic does (float64, int64 or bool dones,
 * gzip, str env_args, 'S' masks) load in rise with the expected values.
 * Skipped (exit 77) when Debian's /usr/bin/python3 has no h5py.
 * Run: ctest -R test_data_h5py */
#include <sys/wait.h>

#include "data/reader.h"
#include "data/writer.h"
#include "fixtures/data_fixtures.h"
#include "test_util.h"

static const int64_t demo_ids[3] = {0, 2, 10}, demo_lens[3] = {5, 3, 4};
static const char *key_names[2] = {"robot0_eef_pos", "object"};
static const int key_dims[2] = {3, 2};

static double obs_value(int k, int64_t d, int64_t r, int c) {
    return (double)d * 100.0 + (double)r + 0.25 * c + 0.0625 * k;
}
static double act_value(int64_t d, int64_t r, int c) {
    return ((double)((d * 7 + r * 3 + c) % 17) - 8.0) / 8.0;
}

static int run(const char *cmd) {
    const int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void write_with_rise(const char *path) {
    rise_obs_key keys[2] = {rise_obs_key_1d(key_names[0], 3), rise_obs_key_1d(key_names[1], 2)};
    rise_writer *w;
    rise_status st = rise_writer_open(
        &w, path, keys, 2, 2, 0,
        "{\"env_name\": \"Maze\", \"type\": 1, \"env_kwargs\": {\"horizon\": 50}}");
    TEST_CHECK(st == RISE_OK, "open: %s", rise_last_error());
    if (st != RISE_OK) return;
    /* Add out of numeric order: the file must still sort as robomimic does. */
    const int order[3] = {2, 0, 1};
    int64_t index[3];
    for (int oi = 0; oi < 3; ++oi) {
        const int i = order[oi];
        const int64_t d = demo_ids[i], n = demo_lens[i];
        float obs[8 * 5], next[8 * 5], act[8 * 2], rew[8] = {0};
        uint8_t done[8] = {0};
        for (int64_t r = 0; r < n; ++r) {
            for (int k = 0, off = 0; k < 2; off += key_dims[k], ++k)
                for (int c = 0; c < key_dims[k]; ++c) {
                    obs[r * 5 + off + c] = (float)obs_value(k, d, r, c);
                    next[r * 5 + off + c] = (float)obs_value(k, d, r + 1, c);
                }
            for (int c = 0; c < 2; ++c) act[r * 2 + c] = (float)act_value(d, r, c);
        }
        done[n - 1] = 1;
        st = rise_writer_add_demo(w, d, n, obs, next, act, rew, done, NULL, &index[i]);
        TEST_CHECK(st == RISE_OK, "add: %s", rise_last_error());
    }
    const int64_t train[2] = {index[0], index[2]};
    TEST_CHECK(rise_writer_add_mask(w, "train", train, 2) == RISE_OK, "mask");
    st = rise_writer_close(w);
    TEST_CHECK(st == RISE_OK, "close: %s", rise_last_error());
}

static void check_h5py_file(const char *path, const char *what) {
    rise_read_opts o;
    rise_read_opts_default(&o);
    rise_episodes e;
    rise_status st = rise_episodes_load(path, &o, &e);
    TEST_CHECK(st == RISE_OK, "%s: load: %s", what, rise_last_error());
    if (st != RISE_OK) return;
    TEST_CHECK(e.n_demos == 3 && e.n == 12 && e.state_dim == 3 && e.obs_dim == 5, "%s: sizes",
               what);
    /* Default key order is by name: object (fixture key 1), robot0_eef_pos (0). */
    TEST_CHECK(!strcmp(e.keys[0].name, "object") && !strcmp(e.keys[1].name, "robot0_eef_pos"),
               "%s: key order", what);
    int bad = 0;
    for (int i = 0; i < 3; ++i) {
        const rise_demo *dm = &e.demos[i];
        bad += dm->id != demo_ids[i] || dm->length != demo_lens[i];
        for (int64_t r = 0; r < dm->length; ++r) {
            const int64_t row = dm->start + r;
            for (int c = 0; c < 2; ++c)
                bad += e.actions[row * 2 + c] != (float)act_value(dm->id, r, c);
            for (int c = 0; c < 2; ++c) {
                bad += e.obs[row * 5 + c] != (float)obs_value(1, dm->id, r, c);
                bad += e.next_obs[row * 5 + c] != (float)obs_value(1, dm->id, r + 1, c);
            }
            for (int c = 0; c < 3; ++c) {
                bad += e.obs[row * 5 + 2 + c] != (float)obs_value(0, dm->id, r, c);
                bad += e.states[row * 3 + c] != (double)(r * 3 + c) / 3.0;
            }
            bad += e.dones[row] != (r == dm->length - 1);
        }
    }
    TEST_CHECK(bad == 0, "%s: %d values differ", what, bad);
    const int m = rise_episodes_find_mask(&e, "train");
    TEST_CHECK(m >= 0 && e.masks[m].count == 2 && e.masks[m].demos[0] == 0 &&
                   e.masks[m].demos[1] == 2,
               "%s: mask train", what);
    TEST_CHECK(e.env_args && strstr(e.env_args, "\"horizon\": 50"), "%s: env_args", what);
    rise_episodes_free(&e);
}

int main(void) {
    if (run("/usr/bin/python3 -c 'import h5py, numpy' >/dev/null 2>&1") != 0) {
        printf("SKIP: /usr/bin/python3 lacks h5py/numpy (apt-get install python3-h5py)\n");
        return 77;
    }
    const char *src = getenv("RISE_SOURCE_DIR");
    char script[1024], cmd[2048], path[256];
    snprintf(script, sizeof script, "%s/tests/fixtures/check_robomimic.py", src ? src : "..");
    fx_path(path, sizeof path, "h5py.h5");

    write_with_rise(path);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s check %s", script, path);
    TEST_CHECK(run(cmd) == 0, "h5py rejects the file rise wrote (%s)", cmd);

    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s write %s", script, path);
    TEST_CHECK(run(cmd) == 0, "h5py write failed");
    check_h5py_file(path, "int64 dones");
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s write %s bool", script, path);
    TEST_CHECK(run(cmd) == 0, "h5py write (bool) failed");
    check_h5py_file(path, "bool dones");
    remove(path);
    return test_finish();
}
