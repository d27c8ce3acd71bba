/* test_data_fileops.c - `rise data info`, `merge` and `relabel`: the library
 * functions on every fixture kind (robomimic, D4RL, Minari, a file with NaN,
 * a file with masks and states), merge renumbering / tags / carried masks /
 * exact values / refusals, relabel rewards, dones and masks; then the `rise`
 * binary itself (found next to the test's build folder; that part is
 * skipped if absent). Run: ctest -R test_data_fileops */
#include <sys/wait.h>

#include "data/fileops.h"
#include "data/info.h"
#include "data/reader.h"
#include "fixtures/data_fixtures.h"
#include "test_util.h"

static char rm_path[256], d4_path[256], mi_path[256], nan_path[256], ex_path[256], pl_path[256],
    out_path[256];

static char *info_text(const char *path, int per_dim, rise_status *st) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rise_info_opts o = {.per_dim = per_dim};
    *st = rise_data_info(path, &o, f);
    fclose(f);
    return buf;
}

static void test_info(void) {
    struct {
        const char *path, *want[4];
    } cases[] = {
        {rm_path,
         {"format:      robomimic", "demos:       3 (demo_0 .. demo_10)",
          "filter keys: train (2 demos)", "obs/robot0_eef_pos                 (N, 3)"}},
        {d4_path, {"format:      d4rl", "demos:       3", "transitions: 10", "obs/observations"}},
        {mi_path, {"format:      minari", "transitions: 7", "next_obs/observations", "dones"}},
        {nan_path, {"obs/pos", "warning: 1 NaN/Inf", "transitions: 14", NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        rise_status st;
        char *text = info_text(cases[i].path, i == 0, &st);
        TEST_CHECK(st == RISE_OK, "info %s: %s", cases[i].path, rise_last_error());
        for (int k = 0; k < 4 && cases[i].want[k]; ++k)
            TEST_CHECK(text && strstr(text, cases[i].want[k]), "info %zu lacks \"%s\":\n%s", i,
                       cases[i].want[k], text ? text : "");
        free(text);
    }
    rise_status st;
    char *text = info_text(rm_path, 1, &st);
    /* actions column 0 over the fixture: min -1, max 1 (hand-checked formula). */
    TEST_CHECK(text && strstr(text, "    [1]"), "per-dim lines");
    free(text);
    /* The NaN row: obs/pos has exactly one NaN. */
    text = info_text(nan_path, 0, &st);
    const char *line = text ? strstr(text, "obs/pos") : NULL;
    long nan = -1;
    if (line) {
        double a, b, c;
        char shape[32], s2[32];
        sscanf(line, "obs/pos %31s %31s %lf %lf %lf %ld", shape, s2, &a, &b, &c, &nan);
    }
    TEST_CHECK(nan == 1, "NaN count of obs/pos is %ld", nan);
    free(text);
    text = info_text("/nonexistent.h5", 0, &st);
    TEST_CHECK(st == RISE_ERR_IO, "info on a missing file fails cleanly");
    free(text);

    rise_value_stats vs;
    const float x[6] = {1, NAN, 3, INFINITY, -2, 0};
    rise_value_stats_compute(&vs, x, 3, 2, 2);
    TEST_CHECK(vs.nan == 1 && vs.inf == 1 && vs.finite == 4 && vs.min == -2 && vs.max == 3 &&
                   vs.mean == 0.5,
               "value stats");
}

static void test_merge(void) {
    rise_merge_input in[2] = {{ex_path, NULL, "expert"}, {pl_path, NULL, "play"}};
    rise_merge_opts o = {0};
    rise_status st = rise_data_merge(in, 2, out_path, &o);
    TEST_CHECK(st == RISE_OK, "merge: %s", rise_last_error());
    rise_episodes m, a, b;
    rise_read_opts ro;
    rise_read_opts_default(&ro);
    st = rise_episodes_load(out_path, &ro, &m);
    TEST_CHECK(st == RISE_OK, "load merged: %s", rise_last_error());
    rise_episodes_load(ex_path, &ro, &a);
    rise_episodes_load(pl_path, &ro, &b);
    if (st == RISE_OK) {
        TEST_CHECK(m.n_demos == 5 && m.n == a.n + b.n && m.demos[4].id == 4,
                   "renumbered demo_0..4");
        TEST_CHECK(!memcmp(m.obs, a.obs, (size_t)(a.n * a.obs_dim) * 4) &&
                       !memcmp(m.obs + a.n * a.obs_dim, b.obs, (size_t)(b.n * b.obs_dim) * 4) &&
                       !memcmp(m.actions + a.n * 2, b.actions, (size_t)(b.n * 2) * 4) &&
                       !memcmp(m.next_obs, a.next_obs, (size_t)(a.n * a.obs_dim) * 4),
                   "values copied exactly");
        const int e = rise_episodes_find_mask(&m, "expert"),
                  p = rise_episodes_find_mask(&m, "play");
        TEST_CHECK(e >= 0 && p >= 0 && m.masks[e].count == 2 && m.masks[p].count == 3 &&
                       m.masks[p].demos[0] == 2,
                   "tags become filter keys");
        rise_episodes_free(&m);
    }
    rise_episodes_free(&a);
    rise_episodes_free(&b);

    /* Masks carry over and same-named masks unite; states kept (both inputs have them). */
    rise_merge_input in2[2] = {{rm_path, NULL, NULL}, {rm_path, NULL, "second"}};
    st = rise_data_merge(in2, 2, out_path, &o);
    TEST_CHECK(st == RISE_OK, "merge with itself: %s", rise_last_error());
    st = rise_episodes_load(out_path, &ro, &m);
    if (st == RISE_OK) {
        const int t = rise_episodes_find_mask(&m, "train");
        TEST_CHECK(m.n_demos == 6 && m.state_dim == 4 && !o.dropped_states,
                   "six demos with states");
        TEST_CHECK(t >= 0 && m.masks[t].count == 4 && m.masks[t].demos[2] == 3,
                   "train united: 0,2,3,5");
        rise_episodes_free(&m);
    }
    /* Different keys and env_args are refused; --keys and the override help. */
    rise_merge_input in3[2] = {{rm_path, NULL, NULL}, {pl_path, NULL, NULL}};
    st = rise_data_merge(in3, 2, out_path, &o);
    TEST_CHECK(st == RISE_ERR_INVALID && strstr(rise_last_error(), pl_path) &&
                   strstr(rise_last_error(), "does not exist"),
               "different keys: %s", rise_last_error());
    rise_merge_input in4[2] = {{ex_path, NULL, NULL}, {rm_path, NULL, NULL}};
    st = rise_data_merge(in4, 2, out_path, &o);
    TEST_CHECK(st != RISE_OK && strstr(rise_last_error(), rm_path),
               "expert + robomimic fixture refused");
    /* Same keys, other env_args: refused unless allowed. */
    char other[300];
    fx_path(other, sizeof other, "ops_other.h5");
    rise_obs_key k2[2] = {rise_obs_key_1d("pos", 3), rise_obs_key_1d("grip", 1)};
    rise_writer *w;
    rise_writer_open(&w, other, k2, 2, 2, 0, "{\"env_name\": \"other\"}");
    float ob[4] = {0}, ac[2] = {0}, rw[1] = {0};
    uint8_t dn[1] = {1};
    rise_writer_add_demo(w, -1, 1, ob, NULL, ac, rw, dn, NULL, NULL);
    rise_writer_close(w);
    rise_merge_input in5[2] = {{ex_path, NULL, NULL}, {other, NULL, NULL}};
    st = rise_data_merge(in5, 2, out_path, &o);
    TEST_CHECK(st == RISE_ERR_FORMAT && strstr(rise_last_error(), "env_args"), "env mismatch: %s",
               rise_last_error());
    o.allow_env_mismatch = 1;
    st = rise_data_merge(in5, 2, out_path, &o);
    TEST_CHECK(st == RISE_OK, "env mismatch allowed: %s", rise_last_error());
    remove(other);
    st = rise_data_merge(in, 1, out_path, NULL);
    TEST_CHECK(st == RISE_OK, "single input merge");
}

static void test_relabel(void) {
    rise_relabel_opts o = {0};
    o.set_reward = 1;
    o.reward = 1.0f;
    o.set_dones = 1;
    o.dones = RISE_TERMINAL_NEVER;
    o.add_mask = "expert";
    rise_status st = rise_data_relabel(rm_path, out_path, &o);
    TEST_CHECK(st == RISE_OK, "relabel: %s", rise_last_error());
    rise_episodes e;
    rise_read_opts ro;
    rise_read_opts_default(&ro);
    st = rise_episodes_load(out_path, &ro, &e);
    if (st == RISE_OK) {
        int bad = 0;
        for (int64_t i = 0; i < e.n; ++i) bad += e.rewards[i] != 1.0f || e.dones[i] != 0;
        const int m = rise_episodes_find_mask(&e, "expert");
        TEST_CHECK(bad == 0 && m >= 0 && e.masks[m].count == 3 && e.n_masks == 2,
                   "rewards 1, no dones, mask added (train kept)");
        rise_episodes_free(&e);
    }
    /* Only the train demos, sparse reward at the end, in place. */
    o.filter_key = "train";
    o.reward_last_only = 1;
    o.reward = 2.0f;
    o.dones = RISE_TERMINAL_TRAJ_END;
    o.add_mask = "expert"; /* replaces the previous one */
    st = rise_data_relabel(out_path, out_path, &o);
    TEST_CHECK(st == RISE_OK, "relabel in place: %s", rise_last_error());
    st = rise_episodes_load(out_path, &ro, &e);
    if (st == RISE_OK) {
        /* demos 0 and 10 (indices 0, 2) are in train; demo_2 (index 1) untouched. */
        const rise_demo *d0 = &e.demos[0], *d1 = &e.demos[1];
        TEST_CHECK(e.rewards[d0->start] == 0 && e.rewards[d0->start + d0->length - 1] == 2 &&
                       e.dones[d0->start + d0->length - 1] == 1 && e.rewards[d1->start] == 1 &&
                       e.dones[d1->start + d1->length - 1] == 0,
                   "filtered sparse relabel");
        const int m = rise_episodes_find_mask(&e, "expert");
        TEST_CHECK(m >= 0 && e.masks[m].count == 2, "mask replaced");
        rise_episodes_free(&e);
    }
    o.filter_key = "nope";
    st = rise_data_relabel(rm_path, out_path, &o);
    TEST_CHECK(st == RISE_ERR_INVALID && strstr(rise_last_error(), "mask/nope"),
               "missing filter key");
    /* D4RL in, robomimic out. */
    rise_relabel_opts plain = {0};
    st = rise_data_relabel(d4_path, out_path, &plain);
    rise_format fmt;
    TEST_CHECK(st == RISE_OK && rise_detect_format(out_path, &fmt) == RISE_OK &&
                   fmt == RISE_FORMAT_ROBOMIMIC,
               "d4rl converted to robomimic: %s", rise_last_error());
}

/* The binary: ../rise next to tests/ in the build folder. */
static void test_cli(void) {
    char exe[1024], cmd[4096];
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return;
    snprintf(slash, sizeof exe - (size_t)(slash - exe), "/../rise");
    if (access(exe, X_OK) != 0) {
        printf("note: %s not built; CLI checks skipped\n", exe);
        return;
    }
    struct {
        const char *args;
        int rc;
    } runs[] = {
        {"data info %s", 0},
        {"data info --per-dim %s", 0},
        {"data --help", 0},
        {"data info", 2},
        {"data info /nonexistent.h5", 1},
        {"data bogus", 2},
        {"data relabel %s -o %s --role expert", 0},
        {"data check --source expert:%s --set reward=dataset", 0},
        {"data check --source expert:%s --set reward=sparse", 1},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; ++i) {
        char args[2048];
        if (i == 6)
            snprintf(args, sizeof args, runs[i].args, ex_path, out_path);
        else
            snprintf(args, sizeof args, runs[i].args, rm_path);
        snprintf(cmd, sizeof cmd, "%s %s >/dev/null 2>&1", exe, args);
        const int rc = system(cmd);
        TEST_CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == runs[i].rc, "`rise %s` exit %d, expected %d",
                   args, WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, runs[i].rc);
    }
    const char *all[5] = {rm_path, d4_path, mi_path, nan_path, ex_path};
    for (int i = 0; i < 5; ++i) {
        snprintf(cmd, sizeof cmd, "%s data info %s >/dev/null 2>&1", exe, all[i]);
        const int rc = system(cmd);
        TEST_CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "`rise data info %s`", all[i]);
    }
    snprintf(cmd, sizeof cmd, "%s data merge -o %s %s:expert %s:play >/dev/null 2>&1", exe,
             out_path, ex_path, pl_path);
    int rc = system(cmd);
    TEST_CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "`rise data merge`");
    rise_episodes e;
    rise_read_opts ro;
    rise_read_opts_default(&ro);
    ro.filter_key = "play";
    TEST_CHECK(rise_episodes_load(out_path, &ro, &e) == RISE_OK && e.n_demos == 3,
               "merged play mask");
    if (e.n) rise_episodes_free(&e);
}

int main(void) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    fx_path(rm_path, sizeof rm_path, "ops_rm.h5");
    fx_path(d4_path, sizeof d4_path, "ops_d4.h5");
    fx_path(mi_path, sizeof mi_path, "ops_mi.h5");
    fx_path(nan_path, sizeof nan_path, "ops_nan.h5");
    fx_path(ex_path, sizeof ex_path, "ops_ex.h5");
    fx_path(pl_path, sizeof pl_path, "ops_pl.h5");
    fx_path(out_path, sizeof out_path, "ops_out.h5");
    fx_robomimic f;
    fx_default(&f);
    f.n_masks = 1;
    f.mask_names[0] = "train";
    f.mask_count[0] = 2;
    f.mask_demos[0][0] = "demo_0";
    f.mask_demos[0][1] = "demo_10";
    fx_write_robomimic(rm_path, &f);
    fx_write_d4rl(d4_path);
    fx_write_minari(mi_path);
    const int64_t l1[2] = {6, 4}, l2[3] = {5, 2, 7};
    fx_write_simple(ex_path, 1, 2, l1);
    fx_write_simple(pl_path, 2, 3, l2);
    fx_write_simple(nan_path, 2, 3, l2);
    hid_t h = fx_open_rw(nan_path);
    fx_poke_f64(h, "data/demo_1/obs/pos", 2, NAN);
    H5Fclose(h);
    test_info();
    test_merge();
    test_relabel();
    test_cli();
    const char *all[7] = {rm_path, d4_path, mi_path, nan_path, ex_path, pl_path, out_path};
    for (int i = 0; i < 7; ++i) remove(all[i]);
    return test_finish();
}
