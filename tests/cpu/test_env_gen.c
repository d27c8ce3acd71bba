/* test_env_gen.c - the maze's scripted agents and data generators: the
 * expert succeeds >= 95% from its region (measured and printed), each kind's
 * episodes satisfy its definition, transitions are consistent, generation
 * is deterministic whatever the thread count, and written files read back
 * with the same content and an env_args that rebuilds the env; the same
 * seed writes byte-identical files, another seed different ones. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/reader.h"
#include "envs/gen.h"
#include "envs/maze.h"
#include "envs/maze_nav.h"
#include "envs/policy.h"
#include "envs/rollout.h"
#include "test_util.h"

enum { N_EP = 40 };

static rise_env *make(void) {
    rise_env *e = NULL;
    if (rise_env_create("maze", NULL, &e) != RISE_OK) {
        fprintf(stderr, "FAIL: %s\n", rise_last_error());
        exit(1);
    }
    return e;
}

static void test_expert_rate(void) {
    enum { N = 300 };
    rise_env *e = make();
    rise_policy *pol;
    rise_env_pool *pool;
    TEST_CHECK(rise_policy_create("expert", e, 0, &pol) == RISE_OK, "expert policy");
    TEST_CHECK(rise_env_pool_create(&pool, "maze", NULL, 64, 1) == RISE_OK, "pool");
    double *ics = malloc(sizeof(double) * 2 * N);
    uint64_t keys[N];
    rise_episode_result res[N];
    for (int i = 0; i < N; ++i) {
        keys[i] = (uint64_t)i;
        rise_env_sample_expert_ic(e, 123, (uint64_t)i, ics + 2 * i);
    }
    TEST_CHECK(rise_rollout(pool, pol, N, ics, keys, NULL, res, NULL, NULL) == RISE_OK,
               "rollout: %s", rise_last_error());
    int ok = 0, max_steps = 0;
    for (int i = 0; i < N; ++i) {
        ok += res[i].success;
        if (res[i].steps > max_steps) max_steps = res[i].steps;
    }
    printf("maze expert success from its initial region: %d/%d = %.1f%% (longest %d steps of "
           "%d)\n",
           ok, N, 100.0 * ok / N, max_steps, e->info.horizon);
    TEST_CHECK(ok >= 0.95 * N, "expert success %d/%d below 95%%", ok, N);

    /* The planner (oracle) reaches the goal from every corner of the maze. */
    rise_policy *planner;
    rise_policy_create("planner", e, 0, &planner);
    for (int i = 0; i < N; ++i)
        rise_env_sample_ic(e, NULL, NULL, 5, 1, (uint64_t)i, 1000, ics + 2 * i);
    rise_rollout(pool, planner, N, ics, keys, NULL, res, NULL, NULL);
    ok = 0;
    for (int i = 0; i < N; ++i) ok += res[i].success;
    printf("maze planner success from the whole region: %d/%d\n", ok, N);
    TEST_CHECK(ok == N, "planner succeeds everywhere (%d/%d)", ok, N);
    free(ics);
    rise_policy_destroy(pol);
    rise_policy_destroy(planner);
    rise_env_pool_destroy(pool);
    rise_env_destroy(e);
}

static int in_box(const double *lo, const double *hi, double x, double y) {
    return x >= lo[0] && x <= hi[0] && y >= lo[1] && y <= hi[1];
}

/* Transitions chain (next_obs[t] == obs[t+1]), states match observations,
 * the first observation is the start, rewards/dones are 1 only on a final
 * success step. */
static int consistent(const rise_episode_buf *b) {
    const int D = b->obs_dim;
    int ok = b->obs[0] == (float)b->ic[0] && b->obs[1] == (float)b->ic[1];
    for (int64_t t = 0; t < b->n; ++t) {
        if (t + 1 < b->n)
            ok &= memcmp(b->next_obs + t * D, b->obs + (t + 1) * D, sizeof(float) * D) == 0;
        ok &= b->obs[t * D] == (float)b->states[t * 4] &&
              b->obs[t * D + 3] == (float)b->states[t * 4 + 3];
        const int last_success = t == b->n - 1 && b->success;
        ok &= b->rewards[t] == (last_success ? 1.0f : 0.0f) && b->dones[t] == last_success;
        ok &= fabsf(b->actions[t * 2]) <= 1.0f && fabsf(b->actions[t * 2 + 1]) <= 1.0f;
    }
    return ok;
}

static void run_kind(rise_gen_kind kind, const rise_gen_opts *o, rise_episode_buf *bufs,
                     rise_gen_stats *st, int threads) {
    const rise_status s =
        rise_gen_run("maze", NULL, kind, o, 7, N_EP, threads, bufs, st, NULL, NULL);
    TEST_CHECK(s == RISE_OK, "gen %s: %s", rise_gen_kind_name(kind), rise_last_error());
}

static void free_bufs(rise_episode_buf *bufs, int n) {
    for (int i = 0; i < n; ++i) rise_episode_buf_free(&bufs[i]);
}

/* Steps the expert needs from a start (the horizon when it fails). */
static int expert_steps(rise_env *e, const double *ic) {
    float obs[8], a[2];
    rise_env_step_info si = {0};
    rise_env_reset(e, 0, ic, obs);
    const rise_maze *m = rise_maze_of(e);
    while (!si.done) {
        rise_maze_expert_action(&m->s, m->px, m->py, m->vx, m->vy, a);
        rise_env_step(e, a, obs, &si);
    }
    return e->t;
}

static void test_kinds(void) {
    rise_env *e = make();
    const rise_env_ic_space *ic = &e->info.ic;
    const rise_maze *m = rise_maze_of(e);
    rise_gen_opts o;
    rise_gen_opts_default(&o);
    rise_episode_buf bufs[N_EP];
    rise_gen_stats st;

    run_kind(RISE_GEN_EXPERT, &o, bufs, &st, 1);
    int ok = 1, cons = 1;
    for (int i = 0; i < N_EP; ++i) {
        ok &= bufs[i].success && in_box(ic->expert_lo, ic->expert_hi, bufs[i].ic[0], bufs[i].ic[1]);
        cons &= consistent(&bufs[i]);
    }
    TEST_CHECK(ok && cons, "expert: every demo succeeds from the expert box, consistent %d", cons);
    TEST_CHECK(st.episodes == N_EP && st.attempts >= N_EP && st.successes == N_EP, "expert stats");
    free_bufs(bufs, N_EP);

    run_kind(RISE_GEN_PLAY, &o, bufs, &st, 1);
    int visited[RISE_MAZE_CELLS] = {0}, starts_outside = 0, in_goal = 0;
    ok = 1, cons = 1;
    for (int i = 0; i < N_EP; ++i) {
        const rise_episode_buf *b = &bufs[i];
        ok &= !b->success && b->n >= o.play_min_steps;
        cons &= consistent(b);
        starts_outside += !in_box(ic->expert_lo, ic->expert_hi, b->ic[0], b->ic[1]);
        for (int64_t t = 0; t < b->n; ++t) {
            int ci, cj;
            const double x = b->next_obs[t * 6], y = b->next_obs[t * 6 + 1];
            in_goal += rise_maze_in_goal(m, x, y) || b->rewards[t] != 0.0f || b->dones[t];
            rise_maze_cell_of(x, y, &ci, &cj);
            visited[rise_maze_cell_index(ci, cj)] = 1;
        }
    }
    int n_visited = 0;
    for (int c = 0; c < RISE_MAZE_CELLS; ++c) n_visited += visited[c];
    TEST_CHECK(ok && cons && in_goal == 0 && st.successes == 0,
               "play never succeeds or enters the goal (%d), consistent %d", in_goal, cons);
    TEST_CHECK(n_visited >= 22 && starts_outside >= N_EP / 2,
               "play wanders over the maze: %d of 25 cells, %d starts outside the expert box",
               n_visited, starts_outside);
    free_bufs(bufs, N_EP);

    run_kind(RISE_GEN_PARTIAL, &o, bufs, &st, 1);
    ok = 1, cons = 1;
    int shorter = 1;
    for (int i = 0; i < N_EP; ++i) {
        const rise_episode_buf *b = &bufs[i];
        ok &= !b->success && in_box(ic->expert_lo, ic->expert_hi, b->ic[0], b->ic[1]);
        cons &= consistent(b);
        const int full = expert_steps(e, b->ic);
        shorter &=
            b->n >= (int64_t)(o.partial_min * full) - 1 && b->n <= (int64_t)(o.partial_max * full);
    }
    TEST_CHECK(ok && cons && shorter && st.successes == 0,
               "partial: expert box, stops at 20-80%% of the expert's steps, never succeeds");
    free_bufs(bufs, N_EP);

    run_kind(RISE_GEN_SUBOPTIMAL, &o, bufs, &st, 1);
    rise_policy *planner;
    rise_policy_create("planner", e, 0, &planner);
    ok = 1, cons = 1;
    double len = 0.0, shortest = 0.0;
    int succ = 0;
    for (int i = 0; i < N_EP; ++i) {
        const rise_episode_buf *b = &bufs[i];
        ok &= !in_box(ic->expert_lo, ic->expert_hi, b->ic[0], b->ic[1]);
        cons &= consistent(b);
        succ += b->success;
        if (!b->success) continue;
        /* the planner's (shortest-route) episode from the same start */
        float obs[8], a[2];
        rise_env_step_info si = {0};
        rise_env_reset(e, 0, b->ic, obs);
        int t = 0;
        while (!si.done) {
            const uint64_t key = 0;
            const rise_policy_ctx ctx = {&key, &t, NULL};
            planner->act(planner, 1, obs, &ctx, a);
            rise_env_step(e, a, obs, &si);
            ++t;
        }
        len += (double)b->n;
        shortest += t;
    }
    printf("suboptimal: %d/%d succeed, mean %.1f steps vs %.1f for the shortest route\n", succ,
           N_EP, len / (succ ? succ : 1), shortest / (succ ? succ : 1));
    TEST_CHECK(ok && cons, "suboptimal: every start lies outside the expert box");
    TEST_CHECK(succ >= N_EP * 3 / 4 && len > 1.3 * shortest,
               "suboptimal demos mostly reach the goal (%d), by detours (%.0f vs %.0f steps)", succ,
               len, shortest);
    rise_policy_destroy(planner);
    free_bufs(bufs, N_EP);

    run_kind(RISE_GEN_NOISY, &o, bufs, &st, 1);
    ok = 1, cons = 1;
    double dev = 0.0;
    int64_t steps = 0;
    for (int i = 0; i < N_EP; ++i) {
        const rise_episode_buf *b = &bufs[i];
        ok &= in_box(ic->expert_lo, ic->expert_hi, b->ic[0], b->ic[1]);
        cons &= consistent(b);
        for (int64_t t = 0; t < b->n; ++t) {
            float a[2];
            const double *s = b->states + t * 4;
            rise_maze_expert_action(&m->s, s[0], s[1], s[2], s[3], a);
            dev += fabs(a[0] - b->actions[t * 2]) + fabs(a[1] - b->actions[t * 2 + 1]);
        }
        steps += b->n;
    }
    dev /= 2.0 * (double)steps;
    printf("noisy: %lld/%d succeed, mean |action - expert action| %.3f\n", (long long)st.successes,
           N_EP, dev);
    TEST_CHECK(ok && cons && dev > 0.3 && st.successes < N_EP && st.successes > 0,
               "noisy: expert box, heavy noise (%.3f), some but not all succeed (%lld)", dev,
               (long long)st.successes);
    free_bufs(bufs, N_EP);
    rise_env_destroy(e);
}

static int same_bufs(const rise_episode_buf *a, const rise_episode_buf *b, int n) {
    for (int i = 0; i < n; ++i) {
        if (a[i].n != b[i].n || a[i].success != b[i].success) return 0;
        const size_t T = (size_t)a[i].n;
        if (memcmp(a[i].obs, b[i].obs, T * 6 * sizeof(float)) ||
            memcmp(a[i].actions, b[i].actions, T * 2 * sizeof(float)) ||
            memcmp(a[i].states, b[i].states, T * 4 * sizeof(double)) ||
            memcmp(a[i].dones, b[i].dones, T))
            return 0;
    }
    return 1;
}

static int same_episodes(const rise_episodes *a, const rise_episodes *b) {
    if (a->n != b->n || a->n_demos != b->n_demos || a->obs_dim != b->obs_dim ||
        strcmp(a->env_args, b->env_args) != 0)
        return 0;
    const size_t n = (size_t)a->n;
    return !memcmp(a->obs, b->obs, n * a->obs_dim * sizeof(float)) &&
           !memcmp(a->next_obs, b->next_obs, n * a->obs_dim * sizeof(float)) &&
           !memcmp(a->actions, b->actions, n * a->act_dim * sizeof(float)) &&
           !memcmp(a->rewards, b->rewards, n * sizeof(float)) && !memcmp(a->dones, b->dones, n) &&
           !memcmp(a->states, b->states, n * a->state_dim * sizeof(double));
}

/* 1 when both files exist and hold the same bytes; sizes into *na, *nb. */
static int same_file_bytes(const char *pa, const char *pb, long *na, long *nb) {
    FILE *fa = fopen(pa, "rb"), *fb = fopen(pb, "rb");
    int same = fa && fb;
    *na = *nb = -1;
    if (same) {
        fseek(fa, 0, SEEK_END);
        fseek(fb, 0, SEEK_END);
        *na = ftell(fa);
        *nb = ftell(fb);
        rewind(fa);
        rewind(fb);
        same = *na == *nb && *na > 0;
        int ca = 0, cb = 0;
        while (same && (ca = getc(fa)) != EOF) {
            cb = getc(fb);
            same = ca == cb;
        }
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

static void test_determinism_and_files(void) {
    rise_gen_opts o;
    rise_gen_opts_default(&o);
    rise_episode_buf a[N_EP], b[N_EP];
    rise_gen_stats st;
    run_kind(RISE_GEN_PLAY, &o, a, &st, 1);
    run_kind(RISE_GEN_PLAY, &o, b, &st, 2);
    TEST_CHECK(same_bufs(a, b, N_EP), "play: 1 and 2 threads give identical episodes");
    free_bufs(b, N_EP);
    rise_gen_run("maze", NULL, RISE_GEN_PLAY, &o, 8, N_EP, 2, b, &st, NULL, NULL);
    TEST_CHECK(!same_bufs(a, b, N_EP), "another seed, other episodes");
    free_bufs(b, N_EP);

    rise_env *e = make();
    const char *p1 = "test_env_gen_a.hdf5", *p2 = "test_env_gen_b.hdf5";
    TEST_CHECK(rise_gen_write(p1, e, RISE_GEN_PLAY, &o, 7, a, N_EP) == RISE_OK, "write: %s",
               rise_last_error());
    /* HDF5 time stamps have 1 s resolution: let the clock tick so a stamp
     * would show up as a byte difference below. */
    const time_t t_written = time(NULL);
    run_kind(RISE_GEN_PLAY, &o, b, &st, 2);
    while (time(NULL) == t_written) nanosleep(&(struct timespec){0, 20000000}, NULL);
    TEST_CHECK(rise_gen_write(p2, e, RISE_GEN_PLAY, &o, 7, b, N_EP) == RISE_OK, "write again");
    rise_read_opts ro;
    rise_read_opts_default(&ro);
    const char *keys[3] = {"agent_pos", "agent_vel", "goal_rel"};
    ro.obs_keys = keys;
    ro.n_obs_keys = 3;
    rise_episodes f1, f2;
    memset(&f1, 0, sizeof f1);
    memset(&f2, 0, sizeof f2);
    TEST_CHECK(rise_episodes_load(p1, &ro, &f1) == RISE_OK, "read back: %s", rise_last_error());
    TEST_CHECK(rise_episodes_load(p2, &ro, &f2) == RISE_OK, "read back 2: %s", rise_last_error());
    TEST_CHECK(same_episodes(&f1, &f2), "same seed, same file content");
    /* Same seed, byte-identical files (no HDF5 time stamps), though written
     * at different times from episodes generated with 1 and 2 threads; a
     * different seed gives different bytes. */
    long na, nb;
    TEST_CHECK(same_file_bytes(p1, p2, &na, &nb),
               "same seed, byte-identical files (%ld and %ld bytes)", na, nb);
    const char *p3 = "test_env_gen_c.hdf5";
    rise_episode_buf c[N_EP];
    TEST_CHECK(rise_gen_run("maze", NULL, RISE_GEN_PLAY, &o, 8, N_EP, 2, c, &st, NULL, NULL) ==
                       RISE_OK &&
                   rise_gen_write(p3, e, RISE_GEN_PLAY, &o, 8, c, N_EP) == RISE_OK,
               "write seed 8: %s", rise_last_error());
    TEST_CHECK(!same_file_bytes(p1, p3, &na, &nb) && na > 0 && nb > 0,
               "another seed, different bytes (%ld and %ld bytes)", na, nb);
    free_bufs(c, N_EP);
    remove(p3);
    int64_t total = 0;
    int match = f1.n_demos == N_EP && f1.state_dim == 4 && f1.act_dim == 2;
    for (int i = 0; match && i < N_EP; ++i) {
        match &= f1.demos[i].length == a[i].n && f1.demos[i].id == i;
        match &= !memcmp(f1.obs + total * 6, a[i].obs, sizeof(float) * 6 * (size_t)a[i].n);
        match &=
            !memcmp(f1.next_obs + total * 6, a[i].next_obs, sizeof(float) * 6 * (size_t)a[i].n);
        total += a[i].n;
    }
    TEST_CHECK(match && f1.n == total, "file holds the generated episodes, demo_i = episode i");
    const int mk = rise_episodes_find_mask(&f1, "play");
    TEST_CHECK(mk >= 0 && f1.masks[mk].count == N_EP, "mask/play lists every demo");
    /* the file's env_args rebuilds the env and matches it */
    rise_env *back = NULL;
    TEST_CHECK(f1.env_args && rise_env_create_from_args(f1.env_args, &back) == RISE_OK,
               "env from file: %s", rise_last_error());
    TEST_CHECK(back && rise_env_check_args(e, f1.env_args) == RISE_OK &&
                   strstr(f1.env_args, "\"rise_generator\"") && strstr(f1.env_args, "\"play\""),
               "env_args matches and records the generator");
    rise_env *other;
    rise_env_create("maze", "{\"max_speed\": 2}", &other);
    const rise_status s = rise_env_check_args(other, f1.env_args);
    TEST_CHECK(s == RISE_ERR_FORMAT && strstr(rise_last_error(), "max_speed"),
               "a different env is refused: %s", rise_last_error());
    rise_env_destroy(other);
    rise_env_destroy(back);
    rise_episodes_free(&f1);
    rise_episodes_free(&f2);
    remove(p1);
    remove(p2);
    free_bufs(a, N_EP);
    free_bufs(b, N_EP);
    rise_env_destroy(e);
}

static void test_bad_options(void) {
    rise_gen_opts o;
    rise_gen_opts_default(&o);
    rise_gen_kind k;
    TEST_CHECK(!rise_gen_kind_parse("expertt", &k) && rise_gen_kind_parse("noisy", &k) &&
                   k == RISE_GEN_NOISY,
               "kind names");
    o.partial_max = 1.0;
    TEST_CHECK(rise_gen_opts_check(&o) == RISE_ERR_INVALID && strstr(rise_last_error(), "partial"),
               "partial_max 1 refused: %s", rise_last_error());
    rise_gen_opts_default(&o);
    rise_episode_buf b[1];
    rise_gen_stats st;
    TEST_CHECK(rise_gen_run("nope", NULL, RISE_GEN_PLAY, &o, 0, 1, 1, b, &st, NULL, NULL) ==
                       RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "unknown task 'nope'"),
               "unknown task: %s", rise_last_error());
}

int main(void) {
    test_expert_rate();
    test_kinds();
    test_determinism_and_files();
    test_bad_options();
    return test_finish();
}
