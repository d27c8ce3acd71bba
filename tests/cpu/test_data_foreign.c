/* test_data_foreign.c - data made by other tools, through rise's readers, merge and relabel:
 * image-shaped observation keys are refused with a message naming them and the keys to
 * choose instead (loaded only when asked); a raw robosuite demo.hdf5 gets a hint to run
 * robomimic's conversion; Minari's env_spec (root attribute, or metadata.json beside the
 * file) becomes env_args; merge and relabel keep every attribute and dataset they do not
 * change, with its dtype (checked here with the HDF5 API and h5diff, and with h5py by
 * tests/fixtures/check_robomimic.py when Debian's python3-h5py is there), and carry the
 * inputs' env_args over. Run: ctest -R test_data_foreign */
#include <sys/stat.h>
#include <sys/wait.h>

#include "data/fileops.h"
#include "data/info.h"
#include "data/reader.h"
#include "fixtures/data_fixtures.h"
#include "host/h5util.h"
#include "test_util.h"

static int run(const char *cmd) {
    const int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int load(const char *path, const char *const *keys, int n_keys, int allow_images,
                rise_episodes *e) {
    rise_read_opts o;
    rise_read_opts_default(&o);
    o.obs_keys = keys;
    o.n_obs_keys = n_keys;
    o.allow_images = allow_images;
    return rise_episodes_load(path, &o, e) == RISE_OK;
}

/* Adds obs/<name> of the given per-step shape and type to every demo of the default fixture. */
static void add_key(const char *path, const char *name, int ndim, const hsize_t *shape,
                    hid_t type) {
    hid_t f = fx_open_rw(path);
    const int64_t ids[3] = {0, 2, 10}, lens[3] = {5, 7, 4};
    for (int i = 0; i < 3; ++i) {
        char where[128];
        snprintf(where, sizeof where, "data/demo_%lld/obs", (long long)ids[i]);
        hid_t g = H5Gopen2(f, where, H5P_DEFAULT);
        hsize_t dims[4] = {(hsize_t)lens[i]};
        size_t n = (size_t)lens[i];
        for (int d = 0; d < ndim; ++d) dims[1 + d] = shape[d], n *= shape[d];
        unsigned char *buf = calloc(n, 8);
        hid_t sp = H5Screate_simple(1 + ndim, dims, NULL);
        hid_t ds = H5Dcreate2(g, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        H5Dclose(ds);
        H5Sclose(sp);
        H5Gclose(g);
        free(buf);
    }
    H5Fclose(f);
}

static void test_images(void) {
    char path[256];
    fx_path(path, sizeof path, "foreign_img.h5");
    fx_robomimic fx;
    fx_default(&fx);
    fx.next_obs = 0;
    fx_write_robomimic(path, &fx);
    const hsize_t rgb[3] = {8, 8, 3}, gray[2] = {6, 6}, flags[1] = {3};
    add_key(path, "agentview_image", 3, rgb, H5T_NATIVE_UINT8);
    add_key(path, "depth", 2, gray, H5T_NATIVE_UINT8);
    add_key(path, "contact", 1, flags, H5T_NATIVE_UINT8); /* uint8 but one value per column */
    rise_episodes e;
    TEST_CHECK(!load(path, NULL, 0, 0, &e), "image keys refused by default");
    const char *msg = rise_last_error();
    TEST_CHECK(strstr(msg, "'agentview_image' (8, 8, 3) uint8") && strstr(msg, "'depth' (6, 6)") &&
                   !strstr(msg, "'contact'") && strstr(msg, "image-shaped") &&
                   strstr(msg, "--set data.obs_keys=contact,object,robot0_eef_pos"),
               "the error names the image keys and the others: %s", msg);
    const char *with_image[2] = {"object", "agentview_image"};
    TEST_CHECK(!load(path, with_image, 2, 0, &e) &&
                   strstr(rise_last_error(), "Leave them out of data.obs_keys"),
               "an image key asked for is refused too: %s", rise_last_error());
    const char *lowdim[2] = {"object", "contact"};
    TEST_CHECK(load(path, lowdim, 2, 0, &e) && e.obs_dim == 5, "low-dimensional keys load: %s",
               rise_last_error());
    rise_episodes_free(&e);
    TEST_CHECK(load(path, NULL, 0, 1, &e) && e.n_keys == 5, "allow_images loads every key");
    if (e.n_keys == 5) {
        const int a = rise_episodes_find_key(&e, "agentview_image"),
                  c = rise_episodes_find_key(&e, "contact");
        TEST_CHECK(e.keys[a].image && e.keys[a].dim == 192 && !e.keys[c].image, "image flags");
        rise_episodes_free(&e);
    }
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    rise_info_opts io = {0};
    const rise_status st = rise_data_info(path, &io, out);
    fclose(out);
    TEST_CHECK(st == RISE_OK && text && strstr(text, "image-shaped keys") &&
                   strstr(text, "agentview_image, depth"),
               "data info shows and flags image keys:\n%s", text ? text : rise_last_error());
    free(text);
    remove(path);
}

static void test_raw_robosuite(void) {
    char path[256];
    fx_path(path, sizeof path, "foreign_raw.h5");
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t data = H5Gcreate2(f, "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    fx_attr_str(data, "env", "Lift");
    hid_t g = H5Gcreate2(data, "demo_1", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    fx_attr_str(g, "model_file", "<mujoco/>");
    double buf[40] = {0};
    hsize_t sd[2] = {5, 8}, ad[2] = {5, 7};
    fx_write_f64(g, "states", 2, sd, buf);
    fx_write_f64(g, "actions", 2, ad, buf);
    H5Gclose(g);
    H5Gclose(data);
    H5Fclose(f);
    rise_episodes e;
    TEST_CHECK(!load(path, NULL, 0, 0, &e), "a raw robosuite file does not load");
    const char *msg = rise_last_error();
    TEST_CHECK(strstr(msg, "raw robosuite") && strstr(msg, "convert_robosuite.py --dataset") &&
                   strstr(msg, "dataset_states_to_obs.py") && strstr(msg, "data/demo_1"),
               "with the conversion to run: %s", msg);
    /* A converted file that only lost num_samples is told what adds it. */
    fx_robomimic fx;
    fx_default(&fx);
    fx_write_robomimic(path, &fx);
    f = fx_open_rw(path);
    g = H5Gopen2(f, "data/demo_2", H5P_DEFAULT);
    H5Adelete(g, "num_samples");
    H5Gclose(g);
    H5Fclose(f);
    TEST_CHECK(!load(path, NULL, 0, 0, &e) && strstr(rise_last_error(), "'num_samples'") &&
                   strstr(rise_last_error(), "convert_robosuite.py") &&
                   !strstr(rise_last_error(), "raw robosuite"),
               "missing num_samples: %s", rise_last_error());
    remove(path);
}

static const char *spec_json = "{\"id\": \"PointMaze_UMaze-v3\", \"entry_point\": "
                               "\"gymnasium_robotics.envs.maze:PointMazeEnv\", "
                               "\"max_episode_steps\": 300, \"kwargs\": {\"continuing_task\": "
                               "true, \"maze_map\": [[1, 1], [1, 0]]}}";

static void check_minari_env(const rise_episodes *e, const char *what) {
    TEST_CHECK(e->env_args && strstr(e->env_args, "\"env_name\":\"PointMaze_UMaze-v3\"") &&
                   strstr(e->env_args, "\"type\":\"gymnasium\"") &&
                   strstr(e->env_args, "\"env_kwargs\":{\"continuing_task\":true"),
               "%s: env_args from env_spec: %s", what, e->env_args ? e->env_args : "(none)");
}

static void test_minari_env_args(char *mi_attr, char *mi_meta, char *d4) {
    /* Minari before 0.5: env_spec as a root attribute of the file. */
    fx_write_minari(mi_attr);
    hid_t f = fx_open_rw(mi_attr);
    fx_attr_str(f, "env_spec", spec_json);
    fx_attr_str(f, "dataset_id", "pointmaze-umaze-v1");
    H5Fclose(f);
    rise_episodes e;
    TEST_CHECK(load(mi_attr, NULL, 0, 0, &e), "minari with env_spec: %s", rise_last_error());
    check_minari_env(&e, "root attribute");
    rise_episodes_free(&e);
    /* Minari 0.5: data/main_data.hdf5 with data/metadata.json beside it. */
    char dir[270], meta[400];
    snprintf(dir, sizeof dir, "%s.d", mi_attr);
    mkdir(dir, 0775);
    snprintf(mi_meta, 300, "%s/main_data.hdf5", dir);
    snprintf(meta, sizeof meta, "%s/metadata.json", dir);
    fx_write_minari(mi_meta);
    FILE *m = fopen(meta, "w");
    fputs("{\"dataset_id\": \"D4RL/pointmaze/umaze-v2\", \"total_episodes\": 2, \"env_spec\": \"",
          m);
    for (const char *c = spec_json; *c; ++c) fprintf(m, *c == '"' ? "\\\"" : "%c", *c);
    fputs("\", \"data_format\": \"hdf5\"}", m);
    fclose(m);
    TEST_CHECK(load(mi_meta, NULL, 0, 0, &e), "minari 0.5: %s", rise_last_error());
    check_minari_env(&e, "metadata.json");
    rise_episodes_free(&e);
    m = fopen(meta, "w");
    fputs("{\"env_spec\": ", m);
    fclose(m);
    TEST_CHECK(!load(mi_meta, NULL, 0, 0, &e) && strstr(rise_last_error(), "metadata.json") &&
                   strstr(rise_last_error(), "not valid JSON"),
               "a broken metadata.json is named: %s", rise_last_error());
    remove(meta);
    /* D4RL files name no environment. */
    fx_write_d4rl(d4);
    TEST_CHECK(load(d4, NULL, 0, 0, &e) && !e.env_args, "d4rl: no env_args");
    rise_episodes_free(&e);
}

/* H5T class and size of a dataset, and whether an attribute exists, in a file. */
static int dtype_of(const char *path, const char *ds_path, size_t *size, H5T_class_t *cls) {
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = f >= 0 ? H5Dopen2(f, ds_path, H5P_DEFAULT) : -1;
    hid_t t = ds >= 0 ? H5Dget_type(ds) : -1;
    if (t >= 0) *size = H5Tget_size(t), *cls = H5Tget_class(t);
    if (t >= 0) H5Tclose(t);
    if (ds >= 0) H5Dclose(ds);
    if (f >= 0) H5Fclose(f);
    return t >= 0;
}

static int has_attr(const char *path, const char *obj, const char *attr) {
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    const int yes = f >= 0 && H5Aexists_by_name(f, obj, attr, H5P_DEFAULT) > 0;
    if (f >= 0) H5Fclose(f);
    return yes;
}

static void test_merge_relabel_keep(void) {
    char a[256], b[256], out[256], rel[256], cmd[4096];
    fx_path(a, sizeof a, "foreign_a.h5");
    fx_path(b, sizeof b, "foreign_b.h5");
    fx_path(out, sizeof out, "foreign_merged.h5");
    fx_path(rel, sizeof rel, "foreign_relabel.h5");
    fx_robomimic fx;
    fx_default(&fx); /* float64 obs/actions/states, int64 dones */
    fx.n_masks = 1;
    fx.mask_names[0] = "train";
    fx.mask_count[0] = 2;
    fx.mask_demos[0][0] = "demo_0";
    fx.mask_demos[0][1] = "demo_10";
    fx_write_robomimic(a, &fx);
    fx.ids[0] = 3, fx.ids[1] = 4, fx.ids[2] = 5;
    fx.n_masks = 0;
    fx_write_robomimic(b, &fx);
    for (int i = 0; i < 2; ++i) { /* robosuite's per-demo model XML, and a group of its own */
        hid_t f = fx_open_rw(i ? b : a);
        hid_t g = H5Gopen2(f, i ? "data/demo_4" : "data/demo_2", H5P_DEFAULT);
        fx_attr_str(g, "model_file", "<mujoco model=\"lift\"/>");
        hid_t ad = H5Gcreate2(g, "action_dict", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        double v[21] = {0.125};
        hsize_t dims[2] = {7, 3};
        fx_write_f64(ad, "abs_pos", 2, dims, v);
        H5Gclose(ad);
        H5Gclose(g);
        H5Fclose(f);
    }
    rise_merge_input in[2] = {{a, NULL, "first"}, {b, NULL, NULL}};
    rise_merge_opts mo;
    memset(&mo, 0, sizeof mo);
    rise_status st = rise_data_merge(in, 2, out, &mo);
    TEST_CHECK(st == RISE_OK, "merge: %s", rise_last_error());
    size_t size = 0;
    H5T_class_t cls = H5T_NO_CLASS;
    TEST_CHECK(dtype_of(out, "data/demo_1/obs/object", &size, &cls) && cls == H5T_FLOAT &&
                   size == 8,
               "obs stay float64 (size %zu)", size);
    TEST_CHECK(dtype_of(out, "data/demo_4/dones", &size, &cls) && cls == H5T_INTEGER && size == 8,
               "dones stay int64");
    TEST_CHECK(has_attr(out, "data/demo_1", "model_file") &&
                   has_attr(out, "data/demo_4", "model_file") &&
                   dtype_of(out, "data/demo_4/action_dict/abs_pos", &size, &cls),
               "model_file and action_dict/ come along");
    rise_episodes m;
    TEST_CHECK(load(out, NULL, 0, 0, &m) && m.n_demos == 6, "merged file loads");
    if (m.n_demos == 6) {
        const int t = rise_episodes_find_mask(&m, "train"),
                  f1 = rise_episodes_find_mask(&m, "first");
        TEST_CHECK(t >= 0 && m.masks[t].count == 2 && m.masks[t].demos[1] == 2 && f1 >= 0 &&
                       m.masks[f1].count == 3,
                   "masks carried and tagged");
        TEST_CHECK(m.env_args && strstr(m.env_args, "\"horizon\""), "env_args carried");
        rise_episodes_free(&m);
    }
    /* h5diff: demo_4 of b is demo_4 of out (values and attributes identical). */
    if (run("h5diff --version >/dev/null 2>&1") == 0) {
        snprintf(cmd, sizeof cmd, "h5diff '%s' '%s' /data/demo_4 /data/demo_4", b, out);
        TEST_CHECK(run(cmd) == 0, "h5diff finds a difference: %s", cmd);
        snprintf(cmd, sizeof cmd, "h5diff -q '%s' '%s' /data/demo_10 /data/demo_2", a, out);
        TEST_CHECK(run(cmd) == 0, "h5diff finds a difference: %s", cmd);
    } else {
        printf("note: h5diff (hdf5-tools) not installed; that check skipped\n");
    }
    /* Relabel: only the chosen demos' rewards and dones change, in their own dtypes. */
    rise_relabel_opts ro = {0};
    ro.filter_key = "train";
    ro.set_reward = 1;
    ro.reward = 1.0f;
    ro.set_dones = 1;
    ro.dones = RISE_TERMINAL_NEVER;
    ro.add_mask = "expert";
    st = rise_data_relabel(a, rel, &ro);
    TEST_CHECK(st == RISE_OK, "relabel: %s", rise_last_error());
    TEST_CHECK(dtype_of(rel, "data/demo_0/rewards", &size, &cls) && cls == H5T_FLOAT && size == 8 &&
                   dtype_of(rel, "data/demo_0/dones", &size, &cls) && cls == H5T_INTEGER &&
                   size == 8 && has_attr(rel, "data/demo_2", "model_file"),
               "relabel keeps dtypes and attributes");
    rise_episodes r;
    TEST_CHECK(load(rel, NULL, 0, 0, &r), "relabelled loads");
    if (r.n_demos == 3) {
        const rise_demo *d0 = &r.demos[0], *d1 = &r.demos[1];
        TEST_CHECK(r.rewards[d0->start] == 1.0f && r.dones[d0->start + d0->length - 1] == 0 &&
                       r.rewards[d1->start + 1] == (float)fx_reward_value(2, 1) &&
                       r.dones[d1->start + d1->length - 1] == 1,
                   "only the train demos changed");
        const int e = rise_episodes_find_mask(&r, "expert");
        TEST_CHECK(e >= 0 && r.masks[e].count == 2 && rise_episodes_find_mask(&r, "train") >= 0,
                   "expert mask added, train kept");
        rise_episodes_free(&r);
    }
    if (run("h5diff --version >/dev/null 2>&1") == 0) {
        snprintf(cmd, sizeof cmd, "h5diff -q '%s' '%s' /data/demo_2 /data/demo_2", a, rel);
        TEST_CHECK(run(cmd) == 0, "an unchosen demo comes out of relabel unchanged");
        snprintf(cmd, sizeof cmd, "h5diff -q '%s' '%s' /data/demo_0/obs /data/demo_0/obs", a, rel);
        TEST_CHECK(run(cmd) == 0, "a chosen demo's obs come out unchanged");
    }
    /* The same, judged by h5py, on a file as robomimic writes robosuite data. */
    const char *src = getenv("RISE_SOURCE_DIR");
    char script[1024];
    snprintf(script, sizeof script, "%s/tests/fixtures/check_robomimic.py", src ? src : "..");
    if (run("/usr/bin/python3 -c 'import h5py, numpy' >/dev/null 2>&1") == 0) {
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/python3 %s write_robosuite %s 1 >/dev/null && /usr/bin/python3 %s "
                 "write_robosuite %s 10 >/dev/null",
                 script, a, script, b);
        TEST_CHECK(run(cmd) == 0, "h5py fixtures: %s", cmd);
        in[0].tag = NULL;
        st = rise_data_merge(in, 2, out, &mo);
        TEST_CHECK(st == RISE_OK, "merge robosuite-like: %s", rise_last_error());
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s merged %s %s %s", script, out, a, b);
        TEST_CHECK(run(cmd) == 0, "h5py: the merged file is not a superset of its inputs");
        ro.dones = RISE_TERMINAL_DATASET;
        ro.add_mask = NULL;
        st = rise_data_relabel(a, rel, &ro);
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s relabelled %s %s train", script, a, rel);
        TEST_CHECK(st == RISE_OK && run(cmd) == 0, "h5py: relabel changed more than the rewards");
    } else {
        printf("note: /usr/bin/python3 lacks h5py; the h5py checks skipped\n");
    }
    /* --env-args replaces the env_args of a robomimic file. */
    rise_relabel_opts eo = {0};
    eo.env_args = "{\"env_name\": \"Other\", \"type\": 2}";
    TEST_CHECK(rise_data_relabel(a, rel, &eo) == RISE_OK, "relabel --env-args: %s",
               rise_last_error());
    TEST_CHECK(load(rel, NULL, 0, 0, &r) && r.env_args && strstr(r.env_args, "\"Other\""),
               "env_args replaced");
    if (r.n) rise_episodes_free(&r);
    eo.env_args = "[1]";
    TEST_CHECK(rise_data_relabel(a, rel, &eo) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "expected a JSON object"),
               "--env-args must be an object");
    /* --keys: obs/ and next_obs/ keep only the chosen keys; everything else comes along. */
    const char *only[1] = {"robot0_eef_pos"};
    mo.obs_keys = only;
    mo.n_obs_keys = 1;
    TEST_CHECK(rise_data_merge(in, 2, out, &mo) == RISE_OK, "merge --keys: %s", rise_last_error());
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    TEST_CHECK(f >= 0 && rise_h5_exists(f, "data/demo_0/obs/robot0_eef_pos") &&
                   !rise_h5_exists(f, "data/demo_0/obs/object") &&
                   !rise_h5_exists(f, "data/demo_5/next_obs/object") &&
                   rise_h5_exists(f, "data/demo_5/actions"),
               "--keys keeps only robot0_eef_pos in obs/ and next_obs/");
    if (f >= 0) H5Fclose(f);
    remove(a), remove(b), remove(out), remove(rel);
}

/* Merge compares the environment (env_name, type, env_kwargs; none and {} alike) and keeps
 * other env_args fields only where every input agrees. */
static void test_merge_env_identity(void) {
    const char *args[3] = {"{\"env_name\": \"Pendulum-v1\", \"type\": \"gymnasium\", "
                           "\"env_kwargs\": {}, \"origin\": \"minari\", \"shared\": 1}",
                           "{\"env_name\": \"Pendulum-v1\", \"type\": \"gymnasium\", "
                           "\"origin\": \"d4rl\", \"shared\": 1}",
                           "{\"env_name\": \"Pendulum-v1\", \"type\": \"gymnasium\", "
                           "\"env_kwargs\": {\"g\": 9.81}}"};
    char path[3][256], out[256];
    for (int i = 0; i < 3; ++i) {
        char name[32];
        snprintf(name, sizeof name, "foreign_env%d.h5", i);
        fx_path(path[i], sizeof path[i], name);
        rise_obs_key k = rise_obs_key_1d("x", 2);
        rise_writer *w;
        float obs[2] = {0}, act[1] = {0}, rew[1] = {0};
        uint8_t done[1] = {1};
        TEST_CHECK(rise_writer_open(&w, path[i], &k, 1, 1, 0, args[i]) == RISE_OK &&
                       rise_writer_add_demo(w, -1, 1, obs, NULL, act, rew, done, NULL, NULL) ==
                           RISE_OK &&
                       rise_writer_close(w) == RISE_OK,
                   "write %s", path[i]);
    }
    fx_path(out, sizeof out, "foreign_env_out.h5");
    rise_merge_input in[2] = {{path[0], NULL, NULL}, {path[1], NULL, NULL}};
    rise_merge_opts mo;
    memset(&mo, 0, sizeof mo);
    TEST_CHECK(rise_data_merge(in, 2, out, &mo) == RISE_OK, "no env_kwargs = {}: %s",
               rise_last_error());
    rise_episodes e;
    TEST_CHECK(load(out, NULL, 0, 0, &e) && e.env_args && strstr(e.env_args, "\"shared\":1") &&
                   !strstr(e.env_args, "origin") && strstr(mo.notes, "'origin' differs"),
               "differing fields left out with a note: %s / %s", e.env_args ? e.env_args : "",
               mo.notes);
    if (e.n) rise_episodes_free(&e);
    in[1].path = path[2];
    TEST_CHECK(rise_data_merge(in, 2, out, &mo) == RISE_ERR_FORMAT &&
                   strstr(rise_last_error(), "env_kwargs.g 9.81 vs (none)") &&
                   strstr(rise_last_error(), "another environment"),
               "other env_kwargs refused: %s", rise_last_error());
    for (int i = 0; i < 3; ++i) remove(path[i]);
    remove(out);
}

static char *info_of(const char *path) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    rise_info_opts io = {0};
    const rise_status st = rise_data_info(path, &io, out);
    fclose(out);
    TEST_CHECK(st == RISE_OK, "info %s: %s", path, rise_last_error());
    return text;
}

/* `rise data info`: env_args on whole lines (robomimic writes them indented over many), the
 * states' mean, "1 key". */
static void test_info(const char *d4) {
    char path[256];
    fx_path(path, sizeof path, "foreign_info.h5");
    fx_robomimic fx;
    fx_default(&fx);
    fx.env_args = "{\n    \"env_name\": \"Lift\",\n    \"type\": 1,\n    \"env_kwargs\": {\n"
                  "        \"robots\": [\n            \"Panda\"\n        ],\n"
                  "        \"controller_configs\": {\"type\": \"OSC_POSE\", \"input_max\": 1, "
                  "\"input_min\": -1, \"output_max\": [0.05, 0.05, 0.05, 0.5, 0.5, 0.5], "
                  "\"output_min\": [-0.05, -0.05, -0.05, -0.5, -0.5, -0.5], \"kp\": 150, "
                  "\"damping\": 1, \"impedance_mode\": \"fixed\", \"kp_limits\": [0, 300], "
                  "\"damping_limits\": [0, 10], \"uncouple_pos_ori\": true, "
                  "\"control_delta\": true, \"interpolation\": null, "
                  "\"ramp_ratio\": 0.2}\n    }\n}";
    fx_write_robomimic(path, &fx);
    char *text = info_of(path);
    TEST_CHECK(text && strstr(text, "env_args:    env_name \"Lift\", type 1\n") &&
                   strstr(text, "env_kwargs: 2 fields: robots, controller_configs") &&
                   !strstr(text, " ...\n"),
               "env_args summarised on whole lines:\n%s", text ? text : "");
    const char *states = text ? strstr(text, "  states ") : NULL;
    double lo = 0, hi = 0, mean = NAN;
    char shape[32], shape2[32];
    if (states) sscanf(states, " states %31s %31s %lf %lf %lf", shape, shape2, &lo, &hi, &mean);
    TEST_CHECK(states && mean > 1.0 / 3.0 && mean < 1.0 / 3.0 + 1e-4,
               "states have a mean column (%g)", mean);
    free(text);
    text = info_of(d4);
    TEST_CHECK(text && strstr(text, "(1 key)"), "one key, not 1 keys:\n%s", text ? text : "");
    free(text);
    remove(path);
}

/* Minari and D4RL through relabel and merge keep their env_args. */
static void test_foreign_env_args_carried(const char *mi, const char *d4) {
    char e1[256], e2[256], out[256];
    fx_path(e1, sizeof e1, "foreign_mi_expert.h5");
    fx_path(e2, sizeof e2, "foreign_mi_play.h5");
    fx_path(out, sizeof out, "foreign_mi_all.h5");
    rise_relabel_opts ro = {0};
    ro.set_reward = 1;
    ro.reward = 1.0f;
    ro.add_mask = "expert";
    TEST_CHECK(rise_data_relabel(mi, e1, &ro) == RISE_OK, "relabel minari: %s", rise_last_error());
    ro.reward = 0.0f;
    ro.add_mask = "non_expert";
    TEST_CHECK(rise_data_relabel(mi, e2, &ro) == RISE_OK, "relabel minari: %s", rise_last_error());
    rise_merge_input in[2] = {{e1, NULL, NULL}, {e2, NULL, NULL}};
    TEST_CHECK(rise_data_merge(in, 2, out, NULL) == RISE_OK, "merge: %s", rise_last_error());
    rise_episodes e;
    TEST_CHECK(load(out, NULL, 0, 0, &e), "load merged minari");
    if (e.n) {
        check_minari_env(&e, "after relabel and merge");
        TEST_CHECK(rise_episodes_find_mask(&e, "expert") >= 0 &&
                       rise_episodes_find_mask(&e, "non_expert") >= 0,
                   "role masks");
        rise_episodes_free(&e);
    }
    ro.add_mask = "expert";
    TEST_CHECK(rise_data_relabel(d4, e1, &ro) == RISE_OK, "relabel d4rl: %s", rise_last_error());
    TEST_CHECK(load(e1, NULL, 0, 0, &e) && e.env_args && !strcmp(e.env_args, "{}"),
               "d4rl names no environment: env_args {}");
    if (e.n) rise_episodes_free(&e);
    remove(e1), remove(e2), remove(out);
}

int main(void) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    char mi[256], mi_meta[300], d4[256];
    fx_path(mi, sizeof mi, "foreign_minari.h5");
    fx_path(d4, sizeof d4, "foreign_d4rl.h5");
    test_images();
    test_raw_robosuite();
    test_minari_env_args(mi, mi_meta, d4);
    test_merge_relabel_keep();
    test_foreign_env_args_carried(mi, d4);
    test_info(d4);
    test_merge_env_identity();
    char dir[300];
    snprintf(dir, sizeof dir, "%s.d", mi);
    remove(mi_meta);
    rmdir(dir);
    remove(mi);
    remove(d4);
    return test_finish();
}
