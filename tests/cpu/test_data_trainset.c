/* test_data_trainset.c - the training set built from a dataset spec: JSON and
 * command-line specs, expert/non-expert labelling (RISE and dataset
 * rewards), the three terminal modes, trajectory tables, normalisation
 * (hand-computed statistics, minmax to [-1,1], tiny ranges unscaled,
 * apply/unapply, save/load), and sequence gathers with first-frame and
 * last-action padding. Run: ctest -R test_data_trainset */
#include <math.h>

#include "data/sequence.h"
#include "data/trainset.h"
#include "fixtures/data_fixtures.h"
#include "test_util.h"

static char expert_path[256], play_path[256], norm_path[256];
static const int64_t expert_lens[2] = {6, 4}, play_lens[3] = {5, 2, 7};

static rise_status build(rise_trainset *ts, const char *extra) {
    char json[2048];
    snprintf(json, sizeof json,
             "{\"sources\": [{\"path\": \"%s\", \"role\": \"expert\"},"
             " {\"path\": \"%s\", \"role\": \"non_expert\"}],"
             " \"obs_keys\": [\"pos\", \"grip\"]%s}",
             expert_path, play_path, extra);
    rise_data_spec spec;
    RISE_TRY(rise_data_spec_from_json(&spec, json, NULL));
    return rise_trainset_build(&spec, ts);
}

static void test_labels(void) {
    rise_trainset ts;
    rise_status st = build(&ts, "");
    TEST_CHECK(st == RISE_OK, "build: %s", rise_last_error());
    if (st != RISE_OK) return;
    TEST_CHECK(ts.n == 24 && ts.n_traj == 5 && ts.obs_dim == 4 && ts.act_dim == 2, "sizes");
    TEST_CHECK(ts.n_expert == 10 && ts.n_nonexpert == 14, "expert counts");
    TEST_CHECK(ts.env_args && strstr(ts.env_args, "test"), "env_args kept");
    const int64_t starts[5] = {0, 6, 10, 15, 17};
    int bad = 0;
    for (int t = 0; t < 5; ++t) {
        const int expert = t < 2, d = expert ? t : t - 2, tag = expert ? 1 : 2;
        bad += ts.traj_start[t] != starts[t] || ts.traj_expert[t] != expert ||
               ts.traj_source[t] != !expert || ts.traj_global[t] != t || ts.traj_demo_id[t] != d;
        for (int64_t i = 0; i < ts.traj_len[t]; ++i) {
            const int64_t row = starts[t] + i;
            bad += ts.traj[row] != t || ts.step[row] != i || ts.expert[row] != expert;
            bad += ts.rewards[row] != (expert ? 1.0f : 0.0f);
            bad += ts.dones[row] != (i == ts.traj_len[t] - 1 ? 1.0f : 0.0f);
            for (int c = 0; c < 4; ++c) {
                bad += ts.obs[row * 4 + c] != (float)fx_simple_obs(tag, d, i, c);
                bad += ts.next_obs[row * 4 + c] != (float)fx_simple_obs(tag, d, i + 1, c);
            }
            bad += ts.actions[row * 2 + 1] != (float)fx_simple_act(tag, d, i, 1);
        }
    }
    TEST_CHECK(bad == 0, "labels and tables: %d wrong", bad);
    TEST_CHECK(ts.expert_idx[0] == 0 && ts.expert_idx[9] == 9 && ts.nonexpert_idx[0] == 10 &&
                   ts.nonexpert_idx[13] == 23,
               "index lists");
    int64_t off, dim;
    TEST_CHECK(rise_trainset_key_cols(&ts, "grip", &off, &dim) && off == 3 && dim == 1, "key cols");
    rise_trainset_free(&ts);

    st = build(&ts, ", \"reward\": \"dataset\", \"terminal\": \"never\"");
    TEST_CHECK(st == RISE_OK, "build dataset/never: %s", rise_last_error());
    if (st == RISE_OK) {
        bad = 0;
        for (int64_t i = 0; i < ts.n; ++i) bad += ts.rewards[i] != 0.5f || ts.dones[i] != 0.0f;
        TEST_CHECK(bad == 0, "dataset rewards kept, no terminals");
        rise_trainset_free(&ts);
    }
    /* traj_end differs from dataset dones only where the file has inner dones: check the
     * labeller directly on a trajectory with a done in the middle. */
    const float fr[4] = {3, 4, 5, 6};
    const uint8_t fd[4] = {0, 1, 0, 0};
    float r[4], d[4];
    rise_label_trajectory(RISE_REWARD_RISE, RISE_TERMINAL_TRAJ_END, 0, fr, fd, 4, r, d);
    TEST_CHECK(r[0] == 0 && d[1] == 0 && d[3] == 1, "traj_end");
    rise_label_trajectory(RISE_REWARD_DATASET, RISE_TERMINAL_DATASET, 1, fr, fd, 4, r, d);
    TEST_CHECK(r[2] == 5 && d[1] == 1 && d[3] == 0, "dataset dones");
    rise_label_trajectory(RISE_REWARD_RISE, RISE_TERMINAL_NEVER, 1, fr, fd, 4, r, d);
    TEST_CHECK(r[3] == 1 && d[1] == 0, "never");
}

static void test_normalisation(void) {
    rise_trainset ts;
    rise_status st = build(&ts, "");
    if (st != RISE_OK) return;
    /* Hand computation in double. */
    int bad = 0;
    for (int c = 0; c < 4; ++c) {
        double s = 0, s2 = 0;
        for (int64_t i = 0; i < ts.n; ++i) s += ts.obs[i * 4 + c];
        const double m = s / ts.n;
        for (int64_t i = 0; i < ts.n; ++i) s2 += (ts.obs[i * 4 + c] - m) * (ts.obs[i * 4 + c] - m);
        const double sd = sqrt(s2 / ts.n);
        bad += fabs(ts.norm.obs_shift[c] - m) > 1e-4 * fabs(m) + 1e-6;
        bad += fabs(ts.norm.obs_scale[c] - sd) > 1e-4 * sd + 1e-6;
    }
    TEST_CHECK(bad == 0, "gaussian obs statistics");
    for (int c = 0; c < 2; ++c) {
        float mn = 1e9f, mx = -1e9f;
        for (int64_t i = 0; i < ts.n; ++i) {
            mn = fminf(mn, ts.actions[i * 2 + c]);
            mx = fmaxf(mx, ts.actions[i * 2 + c]);
        }
        TEST_CHECK(ts.norm.act_min[c] == mn && ts.norm.act_max[c] == mx &&
                       fabsf(ts.norm.act_shift[c] - 0.5f * (mn + mx)) < 1e-6f &&
                       fabsf(ts.norm.act_scale[c] - 0.5f * (mx - mn)) < 1e-6f,
                   "minmax action %d", c);
    }
    float raw[24 * 2];
    memcpy(raw, ts.actions, sizeof raw);
    st = rise_trainset_normalize(&ts, NULL);
    TEST_CHECK(st == RISE_OK && ts.normalized, "normalize");
    float lo = 1, hi = -1;
    for (int i = 0; i < 48; ++i) lo = fminf(lo, ts.actions[i]), hi = fmaxf(hi, ts.actions[i]);
    TEST_CHECK(fabsf(lo + 1) < 1e-6f && fabsf(hi - 1) < 1e-6f, "actions span [-1, 1]: %g %g", lo,
               hi);
    TEST_CHECK(rise_trainset_normalize(&ts, NULL) == RISE_ERR_INVALID, "normalising twice refused");
    float back[48];
    memcpy(back, ts.actions, sizeof back);
    rise_norm_unapply_actions(&ts.norm, back, 24);
    test_close("unapply(apply(a)) = a", back, raw, 48, 1e-6, 1e-6);

    /* Save / load is exact. */
    st = rise_norm_save_file(&ts.norm, norm_path);
    TEST_CHECK(st == RISE_OK, "save: %s", rise_last_error());
    rise_norm_stats loaded;
    st = rise_norm_load_file(&loaded, norm_path);
    TEST_CHECK(st == RISE_OK, "load: %s", rise_last_error());
    if (st == RISE_OK) {
        TEST_CHECK(loaded.obs_mode == RISE_NORM_GAUSSIAN && loaded.act_mode == RISE_NORM_MINMAX &&
                       loaded.count == 24 &&
                       !memcmp(loaded.obs_scale, ts.norm.obs_scale, 4 * sizeof(float)) &&
                       !memcmp(loaded.act_shift, ts.norm.act_shift, 2 * sizeof(float)) &&
                       !memcmp(loaded.act_max, ts.norm.act_max, 2 * sizeof(float)),
                   "loaded statistics identical");
        rise_norm_free(&loaded);
    }
    rise_trainset_free(&ts);
    st = rise_norm_load_file(&loaded, expert_path);
    TEST_CHECK(st == RISE_ERR_FORMAT && strstr(rise_last_error(), "normalization"),
               "loading stats from a non-checkpoint: %s", rise_last_error());

    /* Tiny ranges are left unscaled; gaussian actions; mode none. */
    const float obs[6] = {1, 5, 1, 5 + 5e-5f, 1, 5 + 2e-5f};
    const float act[6] = {0, 2, 1, 2, 2, 2};
    rise_norm_stats s;
    rise_norm_fit_arrays(&s, obs, act, 3, 2, 2, RISE_NORM_MINMAX, RISE_NORM_GAUSSIAN);
    TEST_CHECK(s.obs_scale[0] == 1.0f && s.obs_scale[1] == 1.0f && s.obs_shift[0] == 1.0f,
               "range < 1e-4 unscaled, centred");
    TEST_CHECK(fabsf(s.act_shift[0] - 1) < 1e-7f &&
                   fabsf(s.act_scale[0] - sqrtf(2.0f / 3)) < 1e-6f && s.act_scale[1] == 1.0f,
               "gaussian actions");
    rise_norm_free(&s);
    rise_norm_fit_arrays(&s, obs, act, 3, 2, 2, RISE_NORM_NONE, RISE_NORM_NONE);
    TEST_CHECK(s.obs_shift[1] == 0 && s.obs_scale[1] == 1 && s.act_scale[0] == 1, "none");
    rise_norm_free(&s);
    /* Accumulators merge exactly like one pass. */
    rise_norm_acc a, b, whole;
    rise_norm_acc_init(&a, 2), rise_norm_acc_init(&b, 2), rise_norm_acc_init(&whole, 2);
    rise_norm_acc_add(&a, obs, 1);
    rise_norm_acc_add(&b, obs + 2, 2);
    rise_norm_acc_add(&whole, obs, 3);
    rise_norm_acc_merge(&a, &b);
    TEST_CHECK(a.count == 3 && a.sum[1] == whole.sum[1] && a.max[1] == whole.max[1] &&
                   a.min[0] == whole.min[0],
               "merged accumulators");
    rise_norm_acc_free(&a), rise_norm_acc_free(&b), rise_norm_acc_free(&whole);
}

static void test_sequences(void) {
    rise_trainset ts;
    if (build(&ts, "") != RISE_OK) return;
    /* Trajectory 1 (expert demo 1) has rows 6..9 (length 4). */
    const int64_t idx[3] = {6, 7, 9};
    float hist[3 * 3 * 4], next[3 * 3 * 4], chunk[3 * 4 * 2], valid[3 * 4];
    rise_gather_obs_history(&ts, idx, 3, 3, hist);
    rise_gather_next_obs_history(&ts, idx, 3, 3, next);
    rise_gather_action_chunk(&ts, idx, 3, 4, chunk, valid);
    /* Times of each frame. */
    const int want_hist[3][3] = {{0, 0, 0}, {0, 0, 1}, {1, 2, 3}};
    const int want_next[3][3] = {{0, 0, 1}, {0, 1, 2}, {2, 3, 4}};
    const int want_chunk[3][4] = {{0, 1, 2, 3}, {1, 2, 3, 3}, {3, 3, 3, 3}};
    const float want_valid[3][4] = {{1, 1, 1, 1}, {1, 1, 1, 0}, {1, 0, 0, 0}};
    int bad = 0;
    for (int b = 0; b < 3; ++b) {
        for (int j = 0; j < 3; ++j)
            for (int c = 0; c < 4; ++c) {
                bad += hist[(b * 3 + j) * 4 + c] != (float)fx_simple_obs(1, 1, want_hist[b][j], c);
                bad += next[(b * 3 + j) * 4 + c] != (float)fx_simple_obs(1, 1, want_next[b][j], c);
            }
        for (int j = 0; j < 4; ++j) {
            for (int c = 0; c < 2; ++c)
                bad +=
                    chunk[(b * 4 + j) * 2 + c] != (float)fx_simple_act(1, 1, want_chunk[b][j], c);
            bad += valid[b * 4 + j] != want_valid[b][j];
        }
    }
    TEST_CHECK(bad == 0, "history / chunk / mask: %d wrong", bad);
    float o[3 * 4], no[3 * 4], a[3 * 2], r[3], d[3], e[3];
    rise_gather_transitions(&ts, idx, 3, o, no, a, r, d, e);
    TEST_CHECK(o[4] == hist[(1 * 3 + 2) * 4] && no[8] == next[(2 * 3 + 2) * 4] &&
                   a[2] == chunk[8] && r[0] == 1 && d[2] == 1 && d[1] == 0 && e[1] == 1,
               "transition gather");
    rise_trainset_free(&ts);
}

static void test_spec(void) {
    rise_data_spec s;
    rise_data_spec_default(&s);
    TEST_CHECK(rise_data_spec_check(&s) == RISE_ERR_INVALID, "no sources");
    TEST_CHECK(rise_data_spec_add_source(&s, "expert:/a/b.h5:train") == RISE_OK &&
                   !strcmp(s.sources[0].path, "/a/b.h5") &&
                   !strcmp(s.sources[0].filter_key, "train"),
               "add source with filter");
    TEST_CHECK(rise_data_spec_add_source(&s, "play:c.h5") == RISE_OK &&
                   s.sources[1].role == RISE_ROLE_NON_EXPERT && !s.sources[1].filter_key[0],
               "add play source");
    TEST_CHECK(rise_data_spec_add_source(&s, "teacher:c.h5") == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "teacher"),
               "bad role");
    TEST_CHECK(rise_data_spec_set(&s, "terminal", "traj_end") == RISE_OK &&
                   s.terminal == RISE_TERMINAL_TRAJ_END,
               "set terminal");
    TEST_CHECK(rise_data_spec_set(&s, "obs_keys", "a,b,c") == RISE_OK && s.n_obs_keys == 3 &&
                   !strcmp(s.obs_keys[2], "c"),
               "set obs_keys");
    TEST_CHECK(rise_data_spec_set(&s, "reward", "sparse") == RISE_ERR_INVALID, "bad reward");
    TEST_CHECK(rise_data_spec_set(&s, "rewrad", "rise") == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "unknown field"),
               "typo refused");
    char *json = rise_data_spec_to_json(&s);
    rise_data_spec t;
    rise_status st = rise_data_spec_from_json(&t, json, NULL);
    TEST_CHECK(st == RISE_OK && t.n_sources == 2 && t.terminal == RISE_TERMINAL_TRAJ_END &&
                   t.n_obs_keys == 3 && !strcmp(t.sources[0].filter_key, "train") &&
                   t.sources[1].role == RISE_ROLE_NON_EXPERT,
               "to_json -> from_json: %s", rise_last_error());
    free(json);
    st = rise_data_spec_from_json(&t, "{\"sources\": [{\"path\": \"x.h5\", \"role\": \"expert\"}]}",
                                  "/data/dir");
    TEST_CHECK(st == RISE_OK && !strcmp(t.sources[0].path, "/data/dir/x.h5"),
               "relative path joined");
    st = rise_data_spec_from_json(&t, "{\"sources\": [{\"path\": \"x.h5\"}]}", NULL);
    TEST_CHECK(st == RISE_ERR_INVALID && strstr(rise_last_error(), "role"), "missing role");
    st = rise_data_spec_from_json(&t, "{\"sources\": [], \"shard_rank\": 2, \"shard_world\": 2}",
                                  NULL);
    TEST_CHECK(st == RISE_ERR_INVALID, "empty sources / bad rank");
    st = rise_data_spec_from_json(
        &t, "{\"sources\": [{\"path\": \"x.h5\", \"role\": \"expert\", \"weight\": 2}]}", NULL);
    TEST_CHECK(st == RISE_ERR_INVALID && strstr(rise_last_error(), "weight"),
               "unknown source field");

    /* A source with another action dim is refused, naming the file. */
    char other[256];
    fx_path(other, sizeof other, "other.h5");
    rise_obs_key keys[2] = {rise_obs_key_1d("pos", 3), rise_obs_key_1d("grip", 1)};
    rise_writer *w;
    rise_writer_open(&w, other, keys, 2, 3, 0, NULL);
    float obs[8] = {0}, act[6] = {0}, rew[2] = {0};
    uint8_t dn[2] = {0, 1};
    rise_writer_add_demo(w, -1, 2, obs, NULL, act, rew, dn, NULL, NULL);
    rise_writer_close(w);
    rise_data_spec_default(&s);
    char arg[300];
    snprintf(arg, sizeof arg, "expert:%s", expert_path);
    rise_data_spec_add_source(&s, arg);
    snprintf(arg, sizeof arg, "play:%s", other);
    rise_data_spec_add_source(&s, arg);
    rise_trainset ts;
    st = rise_trainset_build(&s, &ts);
    TEST_CHECK(st == RISE_ERR_FORMAT && strstr(rise_last_error(), other) &&
                   strstr(rise_last_error(), "action dim 3"),
               "mismatched sources: %s", rise_last_error());
    /* max_demos and a filter key that does not exist. */
    s.n_sources = 1;
    s.sources[0].max_demos = 1;
    st = rise_trainset_build(&s, &ts);
    TEST_CHECK(st == RISE_OK && ts.n == 6 && ts.n_traj == 1, "max_demos 1");
    if (st == RISE_OK) rise_trainset_free(&ts);
    snprintf(s.sources[0].filter_key, sizeof s.sources[0].filter_key, "nope");
    st = rise_trainset_build(&s, &ts);
    TEST_CHECK(st == RISE_ERR_INVALID && strstr(rise_last_error(), "mask/nope"),
               "missing filter key");
    remove(other);
}

int main(void) {
    fx_path(expert_path, sizeof expert_path, "expert.h5");
    fx_path(play_path, sizeof play_path, "play.h5");
    fx_path(norm_path, sizeof norm_path, "norm.h5");
    TEST_CHECK(fx_write_simple(expert_path, 1, 2, expert_lens), "expert fixture: %s",
               rise_last_error());
    TEST_CHECK(fx_write_simple(play_path, 2, 3, play_lens), "play fixture: %s", rise_last_error());
    test_labels();
    test_normalisation();
    test_sequences();
    test_spec();
    remove(expert_path);
    remove(play_path);
    remove(norm_path);
    return test_finish();
}
