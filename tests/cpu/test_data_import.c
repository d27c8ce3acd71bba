/* test_data_import.c - D4RL flat files and Minari episode files load into the
 * same in-memory form: episode splitting at terminals/timeouts, next_obs
 * given or derived, T+1 Minari observations, dict observations, episode
 * order by number, selection, format detection, and their bad inputs.
 * Run: ctest -R test_data_import */
#include "data/reader.h"
#include "fixtures/data_fixtures.h"
#include "test_util.h"

static char path[256];

static void write_d4rl(int with_next, int bad) {
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    double obs[10 * 3], next[10 * 3], act[10 * 2], rew[10], term[10] = {0}, tout[10] = {0};
    for (int i = 0; i < 10; ++i) {
        for (int c = 0; c < 3; ++c) obs[i * 3 + c] = i + 0.5 * c, next[i * 3 + c] = 100 + i + c;
        for (int c = 0; c < 2; ++c) act[i * 2 + c] = 0.1 * i - c;
        rew[i] = i;
    }
    term[2] = 1;
    tout[6] = 1;
    if (bad == 2) term[4] = 2;
    hsize_t d2[2] = {10, 3}, a2[2] = {bad == 1 ? 9 : 10, 2}, d1[1] = {10};
    fx_write_f64(f, "observations", bad == 3 ? 1 : 2, d2, obs);
    fx_write_f64(f, "actions", 2, a2, act);
    fx_write_f64(f, "rewards", 1, d1, rew);
    fx_write_f64(f, "terminals", 1, d1, term);
    fx_write_f64(f, "timeouts", 1, d1, tout);
    if (with_next) fx_write_f64(f, "next_observations", 2, d2, next);
    H5Fclose(f);
}

static void test_d4rl(void) {
    for (int with_next = 0; with_next < 2; ++with_next) {
        write_d4rl(with_next, 0);
        rise_format fmt;
        TEST_CHECK(rise_detect_format(path, &fmt) == RISE_OK && fmt == RISE_FORMAT_D4RL,
                   "detect d4rl");
        rise_episodes e;
        rise_status st = rise_episodes_load(path, NULL, &e);
        TEST_CHECK(st == RISE_OK, "d4rl load: %s", rise_last_error());
        if (st != RISE_OK) continue;
        TEST_CHECK(e.n == 10 && e.n_demos == 3 && e.obs_dim == 3 && e.act_dim == 2, "d4rl sizes");
        TEST_CHECK(e.demos[0].length == 3 && e.demos[1].start == 3 && e.demos[1].length == 4 &&
                       e.demos[2].start == 7 && e.demos[2].length == 3,
                   "episodes split at terminal (row 2) and timeout (row 6)");
        TEST_CHECK(!strcmp(e.keys[0].name, "observations"), "key name");
        int bad = 0;
        for (int i = 0; i < 10; ++i) {
            for (int c = 0; c < 3; ++c) {
                bad += e.obs[i * 3 + c] != (float)(i + 0.5 * c);
                const int end = i == 2 || i == 6 || i == 9;
                const float want =
                    with_next ? (float)(100 + i + c) : (float)((end ? i : i + 1) + 0.5 * c);
                bad += e.next_obs[i * 3 + c] != want;
            }
            bad += e.rewards[i] != (float)i;
            bad += e.actions[i * 2 + 1] != (float)(0.1 * i - 1);
        }
        TEST_CHECK(bad == 0, "d4rl values (next given: %d): %d differ", with_next, bad);
        /* terminals are dones; timeouts are not, unless next_obs had to be derived. */
        TEST_CHECK(e.dones[2] == 1 && e.dones[6] == !with_next && e.dones[9] == !with_next &&
                       e.dones[5] == 0,
                   "d4rl dones");
        rise_episodes_free(&e);
    }
    /* Only the middle episode. */
    rise_read_opts o;
    rise_read_opts_default(&o);
    const uint8_t sel[3] = {0, 1, 0};
    o.select = sel;
    o.n_select = 3;
    rise_episodes e;
    rise_status st = rise_episodes_load(path, &o, &e);
    TEST_CHECK(st == RISE_OK && e.n == 4 && e.obs[0] == 3.0f && e.next_obs[0] == 103.0f,
               "d4rl select: %s", rise_last_error());
    if (st == RISE_OK) rise_episodes_free(&e);
    const char *keys[1] = {"qpos"};
    o.select = NULL;
    o.obs_keys = keys;
    o.n_obs_keys = 1;
    st = rise_episodes_load(path, &o, &e);
    TEST_CHECK(st == RISE_ERR_INVALID && strstr(rise_last_error(), "'qpos' does not exist"),
               "d4rl unknown key: %s", rise_last_error());
    o.n_obs_keys = 0;
    o.filter_key = "train";
    st = rise_episodes_load(path, &o, &e);
    TEST_CHECK(st == RISE_ERR_INVALID && strstr(rise_last_error(), "no masks"), "d4rl filter key");

    const char *want[4] = {NULL, "'actions' has 9 rows but 'observations' has 10",
                           "'terminals' row 4 is 2, expected 0 or 1",
                           "'observations' has shape (10,)"};
    for (int b = 1; b <= 3; ++b) {
        write_d4rl(1, b);
        st = rise_episodes_load(path, NULL, &e);
        TEST_CHECK(st == RISE_ERR_FORMAT && strstr(rise_last_error(), want[b]) &&
                       strstr(rise_last_error(), path),
                   "d4rl bad %d: %s", b, rise_last_error());
    }
}

static double mobs(int64_t ep, int64_t r, int c) { return ep * 10.0 + r + 0.125 * c; }

/* Episodes 10, 0, 3 (T = 2, 3, 1). dict: observations is a group of two keys.
 * bad 1: T rows instead of T+1; bad 2: an empty episode. */
static void write_minari(int dict, int bad) {
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const int64_t ids[3] = {10, 0, 3}, lens[3] = {2, 3, 1};
    for (int i = 0; i < 3; ++i) {
        char name[64];
        snprintf(name, sizeof name, "episode_%lld", (long long)ids[i]);
        hid_t g = H5Gcreate2(f, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        const int64_t T = bad == 2 && i == 2 ? 0 : lens[i];
        double o[8 * 3], a[8 * 2], r[8], z[8] = {0}, term[8] = {0};
        for (int64_t t = 0; t <= T; ++t)
            for (int c = 0; c < 3; ++c) o[t * 3 + c] = mobs(ids[i], t, c);
        for (int64_t t = 0; t < T; ++t) a[t * 2] = a[t * 2 + 1] = -(double)t, r[t] = 1;
        if (T > 0) term[T - 1] = 1;
        hsize_t od[2] = {(hsize_t)(T + 1 - (bad == 1)), 3}, ad[2] = {(hsize_t)T, 2},
                vd[1] = {(hsize_t)T};
        if (dict) {
            hid_t og = H5Gcreate2(g, "observations", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            fx_write_f64(og, "observation", 2, od, o);
            hsize_t gd[2] = {od[0], 1};
            double goal[8];
            for (int64_t t = 0; t <= T; ++t) goal[t] = mobs(ids[i], t, 0);
            fx_write_f64(og, "achieved_goal", 2, gd, goal);
            H5Gclose(og);
        } else {
            fx_write_f64(g, "observations", 2, od, o);
        }
        fx_write_f64(g, "actions", 2, ad, a);
        fx_write_f64(g, "rewards", 1, vd, r);
        fx_write_f64(g, "terminations", 1, vd, term);
        fx_write_f64(g, "truncations", 1, vd, z);
        H5Gclose(g);
    }
    H5Fclose(f);
}

static void test_minari(void) {
    for (int dict = 0; dict < 2; ++dict) {
        write_minari(dict, 0);
        rise_format fmt;
        TEST_CHECK(rise_detect_format(path, &fmt) == RISE_OK && fmt == RISE_FORMAT_MINARI,
                   "detect minari");
        rise_episodes e;
        rise_status st = rise_episodes_load(path, NULL, &e);
        TEST_CHECK(st == RISE_OK, "minari load: %s", rise_last_error());
        if (st != RISE_OK) continue;
        TEST_CHECK(e.n == 6 && e.n_demos == 3 && e.demos[0].id == 0 && e.demos[1].id == 3 &&
                       e.demos[2].id == 10,
                   "minari order by number");
        const int D = dict ? 4 : 3, off = dict ? 1 : 0; /* dict keys: achieved_goal, observation */
        TEST_CHECK(e.obs_dim == D, "minari obs dim %lld", (long long)e.obs_dim);
        int bad = 0;
        for (int d = 0; d < 3; ++d)
            for (int64_t t = 0; t < e.demos[d].length; ++t) {
                const int64_t row = e.demos[d].start + t, id = e.demos[d].id;
                for (int c = 0; c < 3; ++c) {
                    bad += e.obs[row * D + off + c] != (float)mobs(id, t, c);
                    bad += e.next_obs[row * D + off + c] != (float)mobs(id, t + 1, c);
                }
                if (dict) bad += e.obs[row * D] != (float)mobs(id, t, 0);
                bad += e.dones[row] != (t == e.demos[d].length - 1);
                bad += e.actions[row * 2] != -(float)t;
            }
        TEST_CHECK(bad == 0, "minari values (dict %d): %d differ", dict, bad);
        rise_episodes_free(&e);
    }
    write_minari(0, 1);
    rise_episodes e;
    rise_status st = rise_episodes_load(path, NULL, &e);
    TEST_CHECK(st == RISE_ERR_FORMAT && strstr(rise_last_error(), "episode_0/observations") &&
                   strstr(rise_last_error(), "T+1"),
               "minari T rows: %s", rise_last_error());
    write_minari(0, 2);
    st = rise_episodes_load(path, NULL, &e);
    TEST_CHECK(st == RISE_ERR_FORMAT && strstr(rise_last_error(), "episode_3/actions") &&
                   strstr(rise_last_error(), "empty"),
               "minari empty: %s", rise_last_error());
}

static void test_unknown_layout(void) {
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t g = H5Gcreate2(f, "stuff", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(g);
    H5Fclose(f);
    rise_episodes e;
    rise_status st = rise_episodes_load(path, NULL, &e);
    TEST_CHECK(st == RISE_ERR_FORMAT && strstr(rise_last_error(), "missing group 'data'"),
               "unknown layout: %s", rise_last_error());
}

int main(void) {
    fx_path(path, sizeof path, "import.h5");
    test_d4rl();
    test_minari();
    test_unknown_layout();
    remove(path);
    return test_finish();
}
