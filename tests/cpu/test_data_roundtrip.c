/* test_data_roundtrip.c - writer -> reader round trips are exact (every bit of
 * obs, next_obs, actions, rewards, dones and float64 states, demo names with
 * gaps, key order and per-step shapes incl. scalar and 2-D keys, env_args,
 * masks), a second write of what was read gives the same again, streaming
 * writes without next_obs read back derived, and the writer refuses bad
 * input without leaving a file behind. Run: ctest -R test_data_roundtrip */
#include <unistd.h>

#include "data/reader.h"
#include "data/writer.h"
#include "fixtures/data_fixtures.h"
#include "test_util.h"

static char path[256], path2[256];

static void make_episodes(rise_episodes *e) {
    memset(e, 0, sizeof *e);
    const char *names[3] = {"pos", "img", "grip"};
    const int ndims[3] = {1, 2, 0};
    const int64_t s0[1] = {3}, s1[2] = {2, 3}, s2[1] = {0};
    const int64_t *shapes[3] = {s0, s1, s2};
    RISE_ASSERT(rise_episodes_set_keys(e, 3, names, ndims, shapes) == RISE_OK, "keys");
    e->act_dim = 4;
    e->state_dim = 3;
    const int64_t lens[3] = {6, 1, 9}, ids[3] = {3, 7, 12};
    RISE_ASSERT(rise_episodes_alloc(e, 3, 16) == RISE_OK, "alloc");
    int64_t start = 0;
    for (int d = 0; d < 3; ++d) {
        snprintf(e->demos[d].name, sizeof e->demos[d].name, "demo_%lld", (long long)ids[d]);
        e->demos[d].id = ids[d];
        e->demos[d].start = start;
        e->demos[d].length = lens[d];
        start += lens[d];
    }
    test_fill_random(e->obs, (size_t)(16 * e->obs_dim), 1, -1e3f, 1e3f);
    test_fill_random(e->next_obs, (size_t)(16 * e->obs_dim), 2, -1e-3f, 1e-3f);
    test_fill_random(e->actions, (size_t)(16 * e->act_dim), 3, -1, 1);
    test_fill_random(e->rewards, 16, 4, -5, 5);
    e->obs[5] = 3.4e38f; /* extremes survive */
    e->obs[6] = -1.2e-38f;
    e->next_obs[0] = 0.0f;
    e->next_obs[1] = -0.0f;
    for (int i = 0; i < 16; ++i) e->dones[i] = (uint8_t)(i % 5 == 0);
    for (int i = 0; i < 16 * 3; ++i) e->states[i] = 1.0 / (i + 3.0) + 1e-15 * i; /* needs double */
    e->env_args =
        strdup("{\"env_name\":\"maze\",\"type\":1,\"env_kwargs\":{\"seed\":3,\"walls\":[1,2]}}");
    const int64_t train[2] = {0, 2}, valid[1] = {1};
    RISE_ASSERT(rise_episodes_add_mask(e, "train", train, 2) == RISE_OK, "mask");
    RISE_ASSERT(rise_episodes_add_mask(e, "valid", valid, 1) == RISE_OK, "mask");
}

static int same_bits(const void *a, const void *b, size_t bytes) {
    return memcmp(a, b, bytes) == 0;
}

static void compare(const rise_episodes *a, const rise_episodes *b, const char *what) {
    TEST_CHECK(a->n == b->n && a->n_demos == b->n_demos && a->obs_dim == b->obs_dim &&
                   a->act_dim == b->act_dim && a->state_dim == b->state_dim &&
                   a->n_keys == b->n_keys,
               "%s: sizes", what);
    if (a->n != b->n || a->obs_dim != b->obs_dim || a->n_keys != b->n_keys) return;
    for (int k = 0; k < a->n_keys; ++k) {
        int same = !strcmp(a->keys[k].name, b->keys[k].name) &&
                   a->keys[k].ndim == b->keys[k].ndim && a->keys[k].offset == b->keys[k].offset &&
                   a->keys[k].dim == b->keys[k].dim;
        for (int d = 0; same && d < a->keys[k].ndim; ++d)
            same = a->keys[k].shape[d] == b->keys[k].shape[d];
        TEST_CHECK(same, "%s: key %d (%s vs %s)", what, k, a->keys[k].name, b->keys[k].name);
    }
    for (int64_t d = 0; d < a->n_demos; ++d)
        TEST_CHECK(!strcmp(a->demos[d].name, b->demos[d].name) &&
                       a->demos[d].id == b->demos[d].id && a->demos[d].start == b->demos[d].start &&
                       a->demos[d].length == b->demos[d].length,
                   "%s: demo %lld", what, (long long)d);
    const size_t n = (size_t)a->n;
    TEST_CHECK(same_bits(a->obs, b->obs, n * (size_t)a->obs_dim * 4), "%s: obs bits", what);
    TEST_CHECK(same_bits(a->next_obs, b->next_obs, n * (size_t)a->obs_dim * 4), "%s: next_obs",
               what);
    TEST_CHECK(same_bits(a->actions, b->actions, n * (size_t)a->act_dim * 4), "%s: actions", what);
    TEST_CHECK(same_bits(a->rewards, b->rewards, n * 4), "%s: rewards", what);
    TEST_CHECK(same_bits(a->dones, b->dones, n), "%s: dones", what);
    TEST_CHECK(a->state_dim == 0 || same_bits(a->states, b->states, n * (size_t)a->state_dim * 8),
               "%s: states", what);
    TEST_CHECK(a->env_args && b->env_args && !strcmp(a->env_args, b->env_args), "%s: env_args",
               what);
    TEST_CHECK(a->n_masks == b->n_masks, "%s: mask count %d vs %d", what, a->n_masks, b->n_masks);
    for (int m = 0; m < a->n_masks && m < b->n_masks; ++m) {
        const int j = rise_episodes_find_mask(b, a->masks[m].name);
        TEST_CHECK(j >= 0 && b->masks[j].count == a->masks[m].count &&
                       same_bits(a->masks[m].demos, b->masks[j].demos,
                                 (size_t)a->masks[m].count * sizeof(int64_t)),
                   "%s: mask %s", what, a->masks[m].name);
    }
}

static void test_exact(void) {
    rise_episodes e, r1, r2;
    make_episodes(&e);
    rise_status st = rise_episodes_write(&e, path);
    TEST_CHECK(st == RISE_OK, "write: %s", rise_last_error());
    /* Keys in the written order (not name order) to compare offsets. */
    const char *keys[3] = {"pos", "img", "grip"};
    rise_read_opts o;
    rise_read_opts_default(&o);
    o.obs_keys = keys;
    o.n_obs_keys = 3;
    st = rise_episodes_load(path, &o, &r1);
    TEST_CHECK(st == RISE_OK, "read: %s", rise_last_error());
    if (st != RISE_OK) return;
    compare(&e, &r1, "write->read");
    st = rise_episodes_write(&r1, path2);
    TEST_CHECK(st == RISE_OK, "rewrite: %s", rise_last_error());
    st = rise_episodes_load(path2, &o, &r2);
    TEST_CHECK(st == RISE_OK, "reread: %s", rise_last_error());
    if (st == RISE_OK) {
        compare(&e, &r2, "write->read->write->read");
        rise_episodes_free(&r2);
    }
    rise_episodes_free(&r1);
    rise_episodes_free(&e);
}

static void test_streaming(void) {
    rise_writer *w;
    rise_obs_key keys[2] = {rise_obs_key_1d("agent_pos", 2), rise_obs_key_1d("goal", 1)};
    rise_status st = rise_writer_open(&w, path, keys, 2, 2, 0, NULL);
    TEST_CHECK(st == RISE_OK, "open: %s", rise_last_error());
    if (st != RISE_OK) return;
    float obs[4 * 3], act[4 * 2], rew[4] = {0, 0, 0, 1};
    uint8_t done[4] = {0, 0, 0, 0};
    for (int i = 0; i < 12; ++i) obs[i] = (float)i;
    for (int i = 0; i < 8; ++i) act[i] = 0.125f * (float)i - 0.5f;
    int64_t idx0 = -1, idx1 = -1;
    st = rise_writer_add_demo(w, -1, 4, obs, NULL, act, rew, done, NULL, &idx0);
    TEST_CHECK(st == RISE_OK && idx0 == 0, "add demo 0: %s", rise_last_error());
    st = rise_writer_add_demo(w, 5, 3, obs, NULL, act, rew, done, NULL, &idx1);
    TEST_CHECK(st == RISE_OK && idx1 == 1, "add demo_5");
    st = rise_writer_add_demo(w, 5, 3, obs, NULL, act, rew, done, NULL, NULL);
    TEST_CHECK(st == RISE_ERR_INVALID && strstr(rise_last_error(), "duplicate"), "duplicate id: %s",
               rise_last_error());
    st = rise_writer_add_demo(w, -1, 2, obs, NULL, act, rew, done, NULL, NULL); /* demo_6 */
    TEST_CHECK(st == RISE_OK, "next id after 5");
    const int64_t m[2] = {2, 0};
    TEST_CHECK(rise_writer_add_mask(w, "expert", m, 2) == RISE_OK, "mask");
    TEST_CHECK(rise_writer_add_mask(w, "bad", (const int64_t[]){3}, 1) == RISE_ERR_INVALID,
               "mask index out of range refused");
    TEST_CHECK(rise_writer_add_mask(w, "dup", (const int64_t[]){1, 1}, 2) == RISE_ERR_INVALID,
               "mask with a repeated demo refused");
    st = rise_writer_close(w);
    TEST_CHECK(st == RISE_OK, "close: %s", rise_last_error());
    rise_episodes r;
    rise_read_opts o;
    rise_read_opts_default(&o);
    o.filter_key = "expert";
    st = rise_episodes_load(path, &o, &r);
    TEST_CHECK(st == RISE_OK, "read: %s", rise_last_error());
    if (st != RISE_OK) return;
    TEST_CHECK(r.n_demos == 2 && r.demos[0].id == 0 && r.demos[1].id == 6 && r.n == 6,
               "expert mask -> demo_0, demo_6");
    TEST_CHECK(!strcmp(r.env_args, "{}"), "default env_args {}");
    /* Derived next_obs: keys in name order agent_pos, goal = same layout. */
    int ok = 1;
    for (int t = 0; t < 4; ++t)
        for (int c = 0; c < 3; ++c) ok &= r.next_obs[t * 3 + c] == obs[(t < 3 ? t + 1 : 3) * 3 + c];
    TEST_CHECK(ok, "next_obs derived by shifting, last row repeated");
    TEST_CHECK(r.dones[3] == 1 && r.dones[2] == 0 && r.dones[5] == 1, "done forced at the end");
    rise_episodes_free(&r);
}

static void test_refusals(void) {
    rise_writer *w;
    rise_obs_key k = rise_obs_key_1d("x", 1);
    TEST_CHECK(rise_writer_open(&w, path2, &k, 1, 1, 0, "[1,2]") == RISE_ERR_INVALID,
               "env_args must be an object");
    TEST_CHECK(rise_writer_open(&w, path2, &k, 1, 0, 0, NULL) == RISE_ERR_INVALID, "act dim 0");
    rise_obs_key bad = rise_obs_key_1d("a/b", 1);
    TEST_CHECK(rise_writer_open(&w, path2, &bad, 1, 1, 0, NULL) == RISE_ERR_INVALID, "key with /");
    remove(path2);
    TEST_CHECK(rise_writer_open(&w, path2, &k, 1, 1, 0, NULL) == RISE_OK, "open");
    float obs[2] = {1, NAN}, act[2] = {0, 0}, rew[2] = {0, 0};
    uint8_t done[2] = {0, 1};
    rise_status st = rise_writer_add_demo(w, -1, 2, obs, NULL, act, rew, done, NULL, NULL);
    TEST_CHECK(st == RISE_ERR_NUMERIC && strstr(rise_last_error(), "obs row 1 column 0 is NaN"),
               "NaN refused: %s", rise_last_error());
    uint8_t done2[2] = {0, 2};
    obs[1] = 2;
    st = rise_writer_add_demo(w, -1, 2, obs, NULL, act, rew, done2, NULL, NULL);
    TEST_CHECK(st == RISE_ERR_INVALID, "dones 2 refused");
    st = rise_writer_add_demo(w, -1, 0, obs, NULL, act, rew, done, NULL, NULL);
    TEST_CHECK(st == RISE_ERR_INVALID, "empty demo refused");
    st = rise_writer_close(w);
    TEST_CHECK(st == RISE_ERR_INVALID && strstr(rise_last_error(), "no demos"),
               "empty file refused");
    TEST_CHECK(access(path2, F_OK) != 0, "nothing left at the target path");
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path2, (long)getpid());
    TEST_CHECK(access(tmp, F_OK) != 0, "temporary file removed");
}

int main(void) {
    fx_path(path, sizeof path, "rt1.h5");
    fx_path(path2, sizeof path2, "rt2.h5");
    test_exact();
    test_streaming();
    test_refusals();
    remove(path);
    remove(path2);
    return test_finish();
}
