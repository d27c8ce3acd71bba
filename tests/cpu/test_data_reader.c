/* test_data_reader.c - the robomimic reader on generated fixtures: every
 * layout feature (numeric demo order, key order and concatenation, dtype
 * conversion, int64 and bool dones, states, env_args, masks as fixed and
 * variable-length strings, filter keys, derived next_obs, demo selection,
 * rewards of shape (N, 1)), checked element by element against the known
 * fixture values. Run: ctest -R test_data_reader */
#include <math.h>

#include "data/reader.h"
#include "fixtures/data_fixtures.h"
#include "test_util.h"

static char path[256];

/* Checks one loaded demo against the fixture's value functions. */
static void check_demo(const rise_episodes *e, int64_t d, const fx_robomimic *f, int fx_index,
                       const int *key_map, int derived_next) {
    const rise_demo *dm = &e->demos[d];
    const int64_t id = f->ids[fx_index], N = f->lengths[fx_index];
    TEST_CHECK(dm->id == id && dm->length == N, "demo %lld: id %lld len %lld", (long long)d,
               (long long)dm->id, (long long)dm->length);
    int bad = 0;
    for (int64_t r = 0; r < N; ++r) {
        const int64_t row = dm->start + r;
        for (int c = 0; c < f->act_dim; ++c)
            bad += e->actions[row * e->act_dim + c] != (float)fx_act_value(id, r, c);
        bad += e->rewards[row] != (float)fx_reward_value(id, r);
        int done = fx_done_value(r, N);
        bad += e->dones[row] != done;
        for (int k = 0; k < e->n_keys; ++k) {
            const int fk = key_map[k];
            for (int c = 0; c < f->key_dims[fk]; ++c) {
                const float *o = e->obs + row * e->obs_dim + e->keys[k].offset;
                const float *no = e->next_obs + row * e->obs_dim + e->keys[k].offset;
                bad += o[c] != (float)fx_obs_value(fk, id, r, c);
                const int64_t nr = derived_next ? (r + 1 < N ? r + 1 : r) : r + 1;
                const double want =
                    derived_next ? fx_obs_value(fk, id, nr, c) : fx_next_obs_value(fk, id, r, c);
                bad += no[c] != (float)want;
            }
        }
        for (int c = 0; c < e->state_dim; ++c)
            bad += e->states[row * e->state_dim + c] !=
                   1e-9 * (double)(id * 1000 + r * 10 + c) + 1.0 / 3.0;
    }
    TEST_CHECK(bad == 0, "demo %lld: %d values differ from the fixture", (long long)d, bad);
}

static void test_full_load(void) {
    fx_robomimic f;
    fx_default(&f);
    /* Out of numeric order on disk and lexically: demo_10 sorts before demo_2. */
    f.ids[0] = 10, f.ids[1] = 2, f.ids[2] = 0;
    f.n_masks = 2;
    f.mask_names[0] = "train";
    f.mask_count[0] = 2;
    f.mask_demos[0][0] = "demo_10";
    f.mask_demos[0][1] = "demo_0";
    f.mask_names[1] = "valid";
    f.mask_count[1] = 1;
    f.mask_demos[1][0] = "demo_2";
    TEST_CHECK(fx_write_robomimic(path, &f), "write fixture");
    rise_read_opts o;
    rise_read_opts_default(&o);
    rise_episodes e;
    rise_status st = rise_episodes_load(path, &o, &e);
    TEST_CHECK(st == RISE_OK, "load: %s", rise_last_error());
    if (st != RISE_OK) return;
    TEST_CHECK(e.n_demos == 3 && e.n == 16, "demos %lld n %lld", (long long)e.n_demos,
               (long long)e.n);
    /* Order by number: 0, 2, 10 -> fixture indices 2, 1, 0. */
    TEST_CHECK(!strcmp(e.demos[0].name, "demo_0") && !strcmp(e.demos[1].name, "demo_2") &&
                   !strcmp(e.demos[2].name, "demo_10"),
               "order %s %s %s", e.demos[0].name, e.demos[1].name, e.demos[2].name);
    /* Default keys: sorted by name -> object (fixture key 1), robot0_eef_pos (0). */
    TEST_CHECK(e.n_keys == 2 && !strcmp(e.keys[0].name, "object") && e.keys[0].offset == 0 &&
                   e.keys[1].offset == 2 && e.obs_dim == 5,
               "default key order");
    TEST_CHECK(e.act_dim == 2 && e.state_dim == 4, "dims");
    const int map[2] = {1, 0};
    check_demo(&e, 0, &f, 2, map, 0);
    check_demo(&e, 1, &f, 1, map, 0);
    check_demo(&e, 2, &f, 0, map, 0);
    TEST_CHECK(e.env_args && strstr(e.env_args, "\"Maze\""), "env_args %s",
               e.env_args ? e.env_args : "(null)");
    TEST_CHECK(e.n_masks == 2, "masks %d", e.n_masks);
    const int mt = rise_episodes_find_mask(&e, "train");
    TEST_CHECK(mt >= 0 && e.masks[mt].count == 2 && e.masks[mt].demos[0] == 2 &&
                   e.masks[mt].demos[1] == 0,
               "train mask maps to demos [2, 0] in file order");
    rise_episodes_free(&e);

    /* Keys in config order are concatenated in that order. */
    const char *keys[2] = {"robot0_eef_pos", "object"};
    o.obs_keys = keys;
    o.n_obs_keys = 2;
    st = rise_episodes_load(path, &o, &e);
    TEST_CHECK(st == RISE_OK, "load with keys: %s", rise_last_error());
    if (st == RISE_OK) {
        const int map2[2] = {0, 1};
        TEST_CHECK(e.keys[0].offset == 0 && e.keys[1].offset == 3, "offsets");
        check_demo(&e, 0, &f, 2, map2, 0);
        check_demo(&e, 2, &f, 0, map2, 0);
        rise_episodes_free(&e);
    }
    /* One key only. */
    o.n_obs_keys = 1;
    keys[0] = "object";
    st = rise_episodes_load(path, &o, &e);
    TEST_CHECK(st == RISE_OK && e.obs_dim == 2, "single key");
    if (st == RISE_OK) rise_episodes_free(&e);

    /* Filter key: the valid mask holds demo_2 only. */
    o.n_obs_keys = 0;
    o.filter_key = "valid";
    st = rise_episodes_load(path, &o, &e);
    TEST_CHECK(st == RISE_OK && e.n_demos == 1 && e.demos[0].id == 2 && e.n == 7,
               "filter valid: %s", rise_last_error());
    if (st == RISE_OK) {
        TEST_CHECK(e.masks[rise_episodes_find_mask(&e, "train")].count == 0,
                   "masks restricted to loaded demos");
        rise_episodes_free(&e);
    }
    /* Filter key train = demos 10 and 0, loaded in number order 0, 10. */
    o.filter_key = "train";
    st = rise_episodes_load(path, &o, &e);
    TEST_CHECK(st == RISE_OK && e.n_demos == 2 && e.demos[0].id == 0 && e.demos[1].id == 10,
               "filter train order");
    if (st == RISE_OK) rise_episodes_free(&e);

    /* Listing and selection: load only the second listed demo. */
    rise_demo_list list;
    st = rise_episodes_list(path, RISE_FORMAT_AUTO, NULL, &list);
    TEST_CHECK(st == RISE_OK && list.n_demos == 3 && list.n == 16 && list.demos[1].id == 2 &&
                   list.demos[1].start == 4,
               "listing");
    if (st == RISE_OK) rise_demo_list_free(&list);
    const uint8_t sel[3] = {0, 1, 0};
    o.filter_key = NULL;
    o.select = sel;
    o.n_select = 3;
    st = rise_episodes_load(path, &o, &e);
    TEST_CHECK(st == RISE_OK && e.n_demos == 1 && e.demos[0].id == 2 && e.demos[0].start == 0,
               "select");
    if (st == RISE_OK) {
        check_demo(&e, 0, &f, 1, map, 0);
        rise_episodes_free(&e);
    }
    o.n_select = 2;
    st = rise_episodes_load(path, &o, &e);
    TEST_CHECK(st == RISE_ERR_INVALID, "select of the wrong length is refused");
}

static void test_variants(void) {
    fx_robomimic f;
    fx_default(&f);
    f.next_obs = 0;   /* derived */
    f.dones_bool = 1; /* h5py bool enum */
    f.state_dim = 0;
    f.env_args = NULL;
    f.write_total = 0;
    f.n_masks = 1;
    f.mask_vlen = 1;
    f.mask_names[0] = "all";
    f.mask_count[0] = 3;
    f.mask_demos[0][0] = "demo_10";
    f.mask_demos[0][1] = "demo_0";
    f.mask_demos[0][2] = "demo_2";
    TEST_CHECK(fx_write_robomimic(path, &f), "write fixture");
    rise_read_opts o;
    rise_read_opts_default(&o);
    o.filter_key = "all";
    rise_episodes e;
    rise_status st = rise_episodes_load(path, &o, &e);
    TEST_CHECK(st == RISE_OK, "load variants: %s", rise_last_error());
    if (st != RISE_OK) return;
    const int map[2] = {1, 0};
    /* Fixture ids are 0, 2, 10 in order here. */
    for (int d = 0; d < 3; ++d) check_demo(&e, d, &f, d, map, 1);
    TEST_CHECK(e.env_args == NULL && e.states == NULL && e.state_dim == 0, "no optional parts");
    rise_episodes_free(&e);

    /* rewards stored as (N, 1) are accepted. */
    hid_t h = fx_open_rw(path);
    const hsize_t dims[2] = {5, 1};
    fx_replace_f64(h, "data/demo_0/rewards", 2, dims);
    H5Fclose(h);
    o.filter_key = NULL;
    st = rise_episodes_load(path, &o, &e);
    TEST_CHECK(st == RISE_OK && e.rewards[0] == 0.5f, "rewards (N,1): %s", rise_last_error());
    if (st == RISE_OK) rise_episodes_free(&e);

    /* Derived next_obs forces done at the last step, even if the file says 0. */
    h = fx_open_rw(path);
    const hsize_t nd[1] = {5};
    fx_replace_f64(h, "data/demo_0/dones", 1, nd); /* all 0.5 -> invalid */
    H5Fclose(h);
    st = rise_episodes_load(path, &o, &e);
    TEST_CHECK(st == RISE_ERR_FORMAT && strstr(rise_last_error(), "expected 0 or 1"),
               "dones 0.5 refused: %s", rise_last_error());
}

static void test_image_load(void) {
    fx_robomimic f;
    fx_default(&f);
    TEST_CHECK(fx_write_robomimic(path, &f), "write fixture");
    FILE *fp = fopen(path, "rb");
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)size);
    TEST_CHECK(fread(buf, 1, (size_t)size, fp) == (size_t)size, "read fixture bytes");
    fclose(fp);
    rise_episodes e;
    rise_status st = rise_episodes_load_image(buf, (size_t)size, "image", NULL, &e);
    TEST_CHECK(st == RISE_OK && e.n == 16, "load from memory: %s", rise_last_error());
    if (st == RISE_OK) rise_episodes_free(&e);
    free(buf);
}

int main(void) {
    fx_path(path, sizeof path, "reader.h5");
    test_full_load();
    test_variants();
    test_image_load();
    remove(path);
    return test_finish();
}
