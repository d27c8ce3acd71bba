/* gen.c - generator plumbing: kinds and options, the episode buffer, the
 * parallel driver and the HDF5 write (see gen.h). */
#include "gen.h"

#include <cjson/cJSON.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/writer.h"
#include "camera_view.h"
#include "maze_render.h"
#include "push.h"
#include "square.h"

/* Episode i, attempt a uses key i * GEN_KEY_STRIDE + a. */
#define GEN_KEY_STRIDE 64

static const char *const kind_names[RISE_GEN_KIND_COUNT] = {"expert", "play", "partial",
                                                            "suboptimal", "noisy"};

const char *rise_gen_kind_name(rise_gen_kind k) {
    return (unsigned)k < RISE_GEN_KIND_COUNT ? kind_names[k] : "?";
}

int rise_gen_kind_parse(const char *s, rise_gen_kind *k) {
    for (int i = 0; s && i < RISE_GEN_KIND_COUNT; ++i)
        if (strcmp(s, kind_names[i]) == 0) {
            *k = (rise_gen_kind)i;
            return 1;
        }
    return 0;
}

void rise_gen_opts_default(rise_gen_opts *o) {
    o->play_noise = 0.3;
    o->suboptimal_noise = 0.3;
    o->noisy_noise = 1.5;
    o->partial_min = 0.2;
    o->partial_max = 0.8;
    o->play_min_steps = 20;
    o->max_attempts = 16;
    o->obs = RISE_GEN_OBS_LOWDIM;
    o->image_size = 84;
}

int rise_gen_obs_parse(const char *s, int *obs) {
    static const char *const names[3] = {"lowdim", "image", "both"};
    for (int i = 0; i < 3; ++i)
        if (!strcmp(s, names[i])) {
            *obs = i;
            return 1;
        }
    return 0;
}

rise_status rise_gen_opts_check(const rise_gen_opts *o) {
    const double noise[3] = {o->play_noise, o->suboptimal_noise, o->noisy_noise};
    static const char *const names[3] = {"play_noise", "suboptimal_noise", "noisy_noise"};
    for (int i = 0; i < 3; ++i)
        if (!(noise[i] >= 0.0 && noise[i] <= 10.0))
            return rise_error(RISE_ERR_INVALID, "generator option %s is %g, expected [0, 10]",
                              names[i], noise[i]);
    if (!(o->partial_min > 0.0 && o->partial_min <= o->partial_max && o->partial_max < 1.0))
        return rise_error(RISE_ERR_INVALID,
                          "generator options partial_min %g, partial_max %g: expected 0 < min <= "
                          "max < 1 (a partial demo stops before the expert would succeed)",
                          o->partial_min, o->partial_max);
    if (o->obs < RISE_GEN_OBS_LOWDIM || o->obs > RISE_GEN_OBS_BOTH)
        return rise_error(RISE_ERR_INVALID,
                          "generator option obs %d: expected lowdim, image or "
                          "both",
                          o->obs);
    if (o->image_size < 8 || o->image_size > 512)
        return rise_error(RISE_ERR_INVALID, "generator option image_size %d, expected [8, 512]",
                          o->image_size);
    if (o->play_min_steps < 1)
        return rise_error(RISE_ERR_INVALID, "generator option play_min_steps %d, expected >= 1",
                          o->play_min_steps);
    if (o->max_attempts < 1 || o->max_attempts > GEN_KEY_STRIDE)
        return rise_error(RISE_ERR_INVALID, "generator option max_attempts %d, expected [1, %d]",
                          o->max_attempts, GEN_KEY_STRIDE);
    return RISE_OK;
}

/* ---- episode buffer ---- */

void rise_episode_buf_init(rise_episode_buf *b, const rise_env_info *info) {
    memset(b, 0, sizeof *b);
    b->obs_dim = info->obs_dim;
    b->act_dim = info->act_dim;
    b->state_dim = info->state_dim;
}

void rise_episode_buf_clear(rise_episode_buf *b) {
    b->n = 0;
    b->success = 0;
}

void rise_episode_buf_free(rise_episode_buf *b) {
    free(b->obs);
    free(b->next_obs);
    free(b->actions);
    free(b->rewards);
    free(b->dones);
    free(b->states);
    memset(b, 0, sizeof *b);
}

static int grow(void **p, int64_t cap, size_t elem) {
    void *q = realloc(*p, (size_t)cap * elem);
    if (!q) return 0;
    *p = q;
    return 1;
}

static rise_status buf_push(rise_episode_buf *b, const float *obs, const float *a, float r,
                            uint8_t done, const float *next, const double *state) {
    if (b->n == b->cap) {
        const int64_t cap = b->cap ? 2 * b->cap : 256;
        const int S = b->state_dim > 0 ? b->state_dim : 1;
        if (!grow((void **)&b->obs, cap, sizeof(float) * b->obs_dim) ||
            !grow((void **)&b->next_obs, cap, sizeof(float) * b->obs_dim) ||
            !grow((void **)&b->actions, cap, sizeof(float) * b->act_dim) ||
            !grow((void **)&b->rewards, cap, sizeof(float)) || !grow((void **)&b->dones, cap, 1) ||
            !grow((void **)&b->states, cap, sizeof(double) * S))
            return rise_error(RISE_ERR_NOMEM, "out of memory growing an episode to %lld steps",
                              (long long)cap);
        b->cap = cap;
    }
    const int64_t i = b->n++;
    memcpy(b->obs + i * b->obs_dim, obs, sizeof(float) * b->obs_dim);
    memcpy(b->next_obs + i * b->obs_dim, next, sizeof(float) * b->obs_dim);
    memcpy(b->actions + i * b->act_dim, a, sizeof(float) * b->act_dim);
    b->rewards[i] = r;
    b->dones[i] = done;
    if (b->state_dim > 0)
        memcpy(b->states + i * b->state_dim, state, sizeof(double) * b->state_dim);
    return RISE_OK;
}

rise_status rise_gen_record_step(rise_env *e, rise_episode_buf *b, float *obs, const float *a,
                                 rise_env_step_info *si) {
    double state[64];
    float next[256];
    RISE_ASSERT(e->info.state_dim <= 64 && e->info.obs_dim <= 256, "state or observation too big");
    rise_env_get_state(e, state);
    RISE_TRY(rise_env_step(e, a, next, si));
    RISE_TRY(buf_push(b, obs, a, si->reward, si->success, next, state));
    memcpy(obs, next, sizeof(float) * e->info.obs_dim);
    if (si->success) b->success = 1;
    return RISE_OK;
}

rise_status rise_gen_start_ic(rise_env *e, rise_gen_kind kind, uint64_t seed, uint64_t k,
                              double *ic) {
    const rise_env_ic_space *s = &e->info.ic;
    if (kind == RISE_GEN_PLAY)
        return rise_env_sample_ic(e, NULL, NULL, seed, RISE_STREAM_ENV_IC, k, 1000, ic);
    if (kind != RISE_GEN_SUBOPTIMAL)
        return rise_env_sample_ic(e, s->expert_lo, s->expert_hi, seed, RISE_STREAM_ENV_IC, k, 1000,
                                  ic);
    for (uint64_t j = 0; j < 64; ++j) {
        RISE_TRY(
            rise_env_sample_ic(e, NULL, NULL, seed, RISE_STREAM_ENV_IC, k * 64u + j, 1000, ic));
        if (!rise_env_ic_in_expert(e, ic)) return RISE_OK;
    }
    return rise_error(RISE_ERR_INVALID, "%s suboptimal: no start outside the expert box found",
                      e->info.task);
}

rise_status rise_gen_episode(rise_env *e, rise_gen_kind kind, const rise_gen_opts *o, uint64_t seed,
                             uint64_t key, rise_episode_buf *b) {
    rise_episode_buf_clear(b);
    if ((unsigned)kind >= RISE_GEN_KIND_COUNT)
        return rise_error(RISE_ERR_INVALID, "unknown generator kind %d", (int)kind);
    if (strcmp(e->info.task, "maze") == 0) return rise_maze_gen_episode(e, kind, o, seed, key, b);
#ifdef RISE_WITH_MUJOCO
    if (strcmp(e->info.task, "push") == 0) return rise_push_gen_episode(e, kind, o, seed, key, b);
    if (strcmp(e->info.task, "square") == 0 || strcmp(e->info.task, "square-hook") == 0)
        return rise_square_gen_episode(e, kind, o, seed, key, b);
#endif
    return rise_error(RISE_ERR_INVALID, "task %s has no data generators yet", e->info.task);
}

/* ---- the parallel driver ---- */

rise_status rise_gen_run(const char *task, const char *settings_json, rise_gen_kind kind,
                         const rise_gen_opts *o, uint64_t seed, int64_t n, int n_threads,
                         rise_episode_buf *bufs, rise_gen_stats *stats,
                         rise_gen_progress_fn progress, void *progress_ctx) {
    memset(stats, 0, sizeof *stats);
    RISE_TRY(rise_gen_opts_check(o));
    if (n <= 0)
        return rise_error(RISE_ERR_INVALID, "generator: %lld episodes, expected >= 1",
                          (long long)n);
    const int T = n_threads > 0 ? n_threads : omp_get_max_threads();
    rise_env **envs = calloc((size_t)T, sizeof *envs);
    if (!envs) return rise_error(RISE_ERR_NOMEM, "out of memory");
    rise_status st = RISE_OK;
    for (int t = 0; t < T && st == RISE_OK; ++t)
        st = rise_env_create(task, settings_json, &envs[t]);
    for (int64_t i = 0; st == RISE_OK && i < n; ++i)
        rise_episode_buf_init(&bufs[i], &envs[0]->info);
    int64_t err_at = n, done = 0;
    rise_status err_st = RISE_OK;
    char err_msg[512] = "";
    if (st == RISE_OK) {
#pragma omp parallel num_threads(T)
        {
            rise_env *e = envs[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
            for (int64_t i = 0; i < n; ++i) {
                rise_status s = RISE_OK;
                rise_episode_buf *b = &bufs[i];
                int a = 0;
                for (; a < o->max_attempts; ++a) {
                    s = rise_gen_episode(e, kind, o, seed, (uint64_t)i * GEN_KEY_STRIDE + a, b);
                    if (s != RISE_OK) break;
                    /* expert demos must succeed; play must be long enough to be of use */
                    const int64_t min_n = kind == RISE_GEN_PLAY ? o->play_min_steps : 1;
                    if (b->n >= min_n && (kind != RISE_GEN_EXPERT || b->success)) break;
                }
                b->attempts = a + 1;
                if (s == RISE_OK && a == o->max_attempts) {
                    b->attempts = a;
                    s = rise_error(RISE_ERR_INVALID,
                                   "%s generator: episode %lld failed all %d attempts (%s)",
                                   rise_gen_kind_name(kind), (long long)i, o->max_attempts,
                                   kind == RISE_GEN_EXPERT ? "the expert never succeeded"
                                                           : "every attempt was too short");
                }
#pragma omp critical(rise_gen_driver)
                {
                    if (s != RISE_OK && i < err_at) {
                        err_at = i;
                        err_st = s;
                        snprintf(err_msg, sizeof err_msg, "%s", rise_last_error());
                    }
                    ++done;
                    if (progress) progress(progress_ctx, done, n);
                }
            }
        }
        if (err_st != RISE_OK) st = rise_error(err_st, "%s", err_msg);
    }
    for (int t = 0; t < T; ++t) rise_env_destroy(envs[t]);
    free(envs);
    if (st != RISE_OK) return st;
    for (int64_t i = 0; i < n; ++i) {
        const rise_episode_buf *b = &bufs[i];
        stats->episodes++;
        stats->steps += b->n;
        /* Every attempt but the kept one failed (retries happen only on failure). */
        stats->attempts += b->attempts;
        stats->successes += b->success;
    }
    return RISE_OK;
}

/* ---- writing ---- */

char *rise_gen_env_args(const rise_env *env, rise_gen_kind kind, const rise_gen_opts *o,
                        uint64_t seed, int64_t n) {
    char *base = rise_env_args(env);
    cJSON *root = base ? cJSON_Parse(base) : NULL;
    free(base);
    if (!root) return NULL;
    cJSON *g = cJSON_AddObjectToObject(root, "rise_generator");
    char *text = NULL;
    if (g) {
        cJSON_AddStringToObject(g, "kind", rise_gen_kind_name(kind));
        cJSON_AddNumberToObject(g, "seed", (double)seed);
        cJSON_AddNumberToObject(g, "episodes", (double)n);
        cJSON_AddNumberToObject(g, "play_noise", o->play_noise);
        cJSON_AddNumberToObject(g, "suboptimal_noise", o->suboptimal_noise);
        cJSON_AddNumberToObject(g, "noisy_noise", o->noisy_noise);
        cJSON_AddNumberToObject(g, "partial_min", o->partial_min);
        cJSON_AddNumberToObject(g, "partial_max", o->partial_max);
        cJSON_AddNumberToObject(g, "play_min_steps", o->play_min_steps);
        cJSON_AddNumberToObject(g, "max_attempts", o->max_attempts);
        text = cJSON_PrintUnformatted(root);
    }
    cJSON_Delete(root);
    return text;
}

static rise_status write_cameras(rise_writer *w, const rise_env *env, const rise_gen_opts *o,
                                 const rise_episode_buf *b, int64_t id) {
    const int S = o->image_size;
    uint8_t *frames = malloc((size_t)b->n * S * S * 3);
    if (!frames)
        return rise_error(RISE_ERR_NOMEM, "out of memory for %lld frames", (long long)b->n);
    rise_status st = rise_camera_view(env, RISE_AGENTVIEW_KEY, b->obs, b->n, S, S, 3, frames);
    if (st == RISE_OK)
        st = rise_writer_add_frames(w, id, "obs", RISE_AGENTVIEW_KEY, b->n, S, S, 3, frames);
    if (st == RISE_OK && b->next_obs) {
        st = rise_camera_view(env, RISE_AGENTVIEW_KEY, b->next_obs, b->n, S, S, 3, frames);
        if (st == RISE_OK)
            st = rise_writer_add_frames(w, id, "next_obs", RISE_AGENTVIEW_KEY, b->n, S, S, 3,
                                        frames);
    }
    free(frames);
    return st;
}

rise_status rise_gen_write(const char *path, const rise_env *env, rise_gen_kind kind,
                           const rise_gen_opts *o, uint64_t seed, const rise_episode_buf *bufs,
                           int64_t n) {
    const rise_env_info *info = &env->info;
    RISE_TRY(rise_gen_opts_check(o));
    const int cameras = o->obs != RISE_GEN_OBS_LOWDIM, lowdim = o->obs != RISE_GEN_OBS_IMAGE;
    if (cameras) {
        const rise_status cs =
            rise_camera_view_check(env, RISE_AGENTVIEW_KEY, o->image_size, o->image_size, 3);
        if (cs != RISE_OK)
            return rise_error_context(cs, "%s: --obs %s: ", path,
                                      o->obs == RISE_GEN_OBS_IMAGE ? "image" : "both");
    }
    rise_obs_key keys[RISE_ENV_MAX_KEYS];
    for (int k = 0; k < info->n_keys; ++k)
        keys[k] = rise_obs_key_1d(info->keys[k].name, info->keys[k].dim);
    char *args = rise_gen_env_args(env, kind, o, seed, n);
    int64_t *ids = malloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
    if (!args || !ids) {
        free(args);
        free(ids);
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    rise_writer *w = NULL;
    rise_status st = rise_writer_open(&w, path, keys, lowdim ? info->n_keys : 0, info->act_dim,
                                      info->state_dim, args);
    for (int64_t i = 0; st == RISE_OK && i < n; ++i) {
        const rise_episode_buf *b = &bufs[i];
        st = rise_writer_add_demo(w, i, b->n, b->obs, b->next_obs, b->actions, b->rewards, b->dones,
                                  b->states, &ids[i]);
        if (st == RISE_OK && cameras) st = write_cameras(w, env, o, b, i);
    }
    if (cameras) rise_camera_view_release();
    if (st == RISE_OK) st = rise_writer_add_mask(w, rise_gen_kind_name(kind), ids, n);
    if (st == RISE_OK)
        st = rise_writer_close(w);
    else if (w)
        rise_writer_abort(w);
    free(args);
    free(ids);
    return st;
}
