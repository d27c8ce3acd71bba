/* trainset.c - builds the training set from a dataset spec (see trainset.h). */
#include "trainset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "reader.h"

void rise_trainset_free(rise_trainset *ts) {
    if (!ts) return;
    free(ts->obs);
    free(ts->next_obs);
    free(ts->actions);
    free(ts->rewards);
    free(ts->dones);
    free(ts->traj);
    free(ts->step);
    free(ts->expert);
    free(ts->traj_start);
    free(ts->traj_len);
    free(ts->traj_expert);
    free(ts->traj_source);
    free(ts->traj_global);
    free(ts->traj_demo_id);
    free(ts->expert_idx);
    free(ts->nonexpert_idx);
    free(ts->keys);
    free(ts->relabel_feat);
    for (int c = 0; c < ts->n_cams; ++c) {
        free(ts->cams[c].frames);
        free(ts->cams[c].last_next);
    }
    free(ts->cams);
    rise_frame_stream_close(ts->stream);
    free(ts->env_args);
    rise_norm_free(&ts->norm);
    memset(ts, 0, sizeof *ts);
}

int rise_trainset_key_cols(const rise_trainset *ts, const char *key, int64_t *offset,
                           int64_t *dim) {
    for (int i = 0; i < ts->n_keys; ++i)
        if (!strcmp(ts->keys[i].name, key)) {
            *offset = ts->keys[i].offset;
            *dim = ts->keys[i].dim;
            return 1;
        }
    return 0;
}

/* Grows every per-transition and per-trajectory array to hold n rows and
 * n_traj trajectories. */
static int grow_one(void **p, int64_t count, size_t elem) {
    const size_t bytes = (size_t)(count > 0 ? count : 1) * elem;
    void *g = realloc(*p, bytes);
    if (!g) return 0;
    *p = g;
    return 1;
}

static rise_status grow(rise_trainset *ts, int64_t n, int64_t n_traj) {
    const int ok = grow_one((void **)&ts->obs, n * ts->obs_dim, sizeof(float)) &&
                   grow_one((void **)&ts->next_obs, n * ts->obs_dim, sizeof(float)) &&
                   grow_one((void **)&ts->actions, n * ts->act_dim, sizeof(float)) &&
                   grow_one((void **)&ts->rewards, n, sizeof(float)) &&
                   grow_one((void **)&ts->dones, n, sizeof(float)) &&
                   grow_one((void **)&ts->traj, n, sizeof(int32_t)) &&
                   grow_one((void **)&ts->step, n, sizeof(int32_t)) &&
                   grow_one((void **)&ts->expert, n, 1) &&
                   grow_one((void **)&ts->traj_start, n_traj, sizeof(int64_t)) &&
                   grow_one((void **)&ts->traj_len, n_traj, sizeof(int64_t)) &&
                   grow_one((void **)&ts->traj_expert, n_traj, 1) &&
                   grow_one((void **)&ts->traj_source, n_traj, sizeof(int32_t)) &&
                   grow_one((void **)&ts->traj_global, n_traj, sizeof(int64_t)) &&
                   grow_one((void **)&ts->traj_demo_id, n_traj, sizeof(int64_t));
    int frames_ok = 1;
    for (int c = 0; c < ts->n_cams && !ts->stream && ok; ++c) {
        rise_camera *cam = &ts->cams[c];
        frames_ok = frames_ok && grow_one((void **)&cam->frames, n * cam->frame_bytes, 1) &&
                    grow_one((void **)&cam->last_next, n_traj * cam->frame_bytes, 1);
    }
    if (!ok || !frames_ok)
        return rise_error(RISE_ERR_NOMEM,
                          "out of memory building the training set (%lld transitions%s)",
                          (long long)n, frames_ok ? "" : " with their camera frames");
    return RISE_OK;
}

/* A later source must have the first source's key layout and action dim. */
static rise_status same_layout(const rise_trainset *ts, const rise_episodes *e) {
    if (e->act_dim != ts->act_dim)
        return rise_error(RISE_ERR_FORMAT,
                          "%s: action dim %lld differs from the first source's %lld (sources "
                          "must share one action space)",
                          e->path, (long long)e->act_dim, (long long)ts->act_dim);
    if (e->n_keys != ts->n_keys)
        return rise_error(RISE_ERR_FORMAT, "%s: %d observation keys, the first source has %d",
                          e->path, e->n_keys, ts->n_keys);
    for (int k = 0; k < e->n_keys; ++k)
        if (strcmp(e->keys[k].name, ts->keys[k].name) || e->keys[k].dim != ts->keys[k].dim)
            return rise_error(RISE_ERR_FORMAT,
                              "%s: observation key %d is '%s' (%lld values), the first source "
                              "has '%s' (%lld values)",
                              e->path, k, e->keys[k].name, (long long)e->keys[k].dim,
                              ts->keys[k].name, (long long)ts->keys[k].dim);
    return RISE_OK;
}

/* Every source has the cameras the build chose (ts->cams). */
static rise_status same_cameras(const rise_trainset *ts, const rise_episodes *e) {
    for (int c = 0; c < e->n_images; ++c) {
        const rise_image_key *k = &e->images[c];
        const rise_camera *cam = &ts->cams[c];
        if (c >= ts->n_cams || strcmp(k->name, cam->name) || k->h != cam->h || k->w != cam->w ||
            k->c != cam->c)
            return rise_error(RISE_ERR_FORMAT,
                              "%s: image key '%s' has frames of (%d, %d, %d); the first source's "
                              "camera %d is '%s' (%d, %d, %d) (sources must share cameras)",
                              e->path, k->name, k->h, k->w, k->c, c,
                              c < ts->n_cams ? cam->name : "none", c < ts->n_cams ? cam->h : 0,
                              c < ts->n_cams ? cam->w : 0, c < ts->n_cams ? cam->c : 0);
    }
    if (e->n_images != ts->n_cams)
        return rise_error(RISE_ERR_FORMAT, "%s: %d image keys, the first source has %d", e->path,
                          e->n_images, ts->n_cams);
    return RISE_OK;
}

static rise_status append(rise_trainset *ts, const rise_episodes *e, int source, int expert,
                          const int64_t *global_ids) {
    const int64_t n0 = ts->n, t0 = ts->n_traj;
    RISE_TRY(grow(ts, n0 + e->n, t0 + e->n_demos));
    const int64_t D = ts->obs_dim, A = ts->act_dim;
    if (D > 0) {
        memcpy(ts->obs + n0 * D, e->obs, (size_t)(e->n * D) * sizeof(float));
        memcpy(ts->next_obs + n0 * D, e->next_obs, (size_t)(e->n * D) * sizeof(float));
    }
    memcpy(ts->actions + n0 * A, e->actions, (size_t)(e->n * A) * sizeof(float));
    for (int c = 0; c < ts->n_cams && !ts->stream; ++c) {
        const int64_t fb = ts->cams[c].frame_bytes;
        memcpy(ts->cams[c].frames + n0 * fb, e->images[c].frames, (size_t)(e->n * fb));
        memcpy(ts->cams[c].last_next + t0 * fb, e->images[c].last_next, (size_t)(e->n_demos * fb));
    }
    for (int64_t d = 0; d < e->n_demos; ++d) {
        const rise_demo *dm = &e->demos[d];
        const int64_t t = t0 + d, s = n0 + dm->start;
        if (ts->stream) RISE_TRY(rise_frame_stream_add_traj(ts->stream, t, dm->name));
        if (t > INT32_MAX || dm->length > INT32_MAX)
            return rise_error(RISE_ERR_INVALID, "%s: more than 2^31 trajectories or steps",
                              e->path);
        ts->traj_start[t] = s;
        ts->traj_len[t] = dm->length;
        ts->traj_expert[t] = (uint8_t)expert;
        ts->traj_source[t] = source;
        ts->traj_global[t] = global_ids[d];
        ts->traj_demo_id[t] = dm->id;
        rise_label_trajectory(ts->spec.reward, ts->spec.terminal, expert, e->rewards + dm->start,
                              e->dones + dm->start, dm->length, ts->rewards + s, ts->dones + s);
        for (int64_t i = 0; i < dm->length; ++i) {
            ts->traj[s + i] = (int32_t)t;
            ts->step[s + i] = (int32_t)i;
            ts->expert[s + i] = (uint8_t)expert;
        }
    }
    ts->n += e->n;
    ts->n_traj += e->n_demos;
    return RISE_OK;
}

/* The relabelling keys' values of the rows a source's load just appended (n rows from row
 * n0): the same demos read again with those keys alone, row for row. */
static rise_status append_relabel_keys(rise_trainset *ts, const char *path, rise_read_opts o,
                                       int64_t n0, int64_t n) {
    const rise_data_spec *spec = &ts->spec;
    const char *names[RISE_DATA_MAX_KEYS];
    for (int k = 0; k < spec->n_relabel_keys; ++k) names[k] = spec->relabel_keys[k];
    o.obs_keys = names;
    o.n_obs_keys = spec->n_relabel_keys;
    o.image_frames = RISE_IMAGES_NONE;
    rise_episodes e;
    rise_status st = rise_episodes_load(path, &o, &e);
    if (st != RISE_OK) return rise_error_context(st, "data.relabel_keys: ");
    if (ts->relabel_dim == 0) ts->relabel_dim = e.obs_dim;
    if (e.n != n || e.obs_dim != ts->relabel_dim)
        st = rise_error(RISE_ERR_FORMAT,
                        "%s: data.relabel_keys give %lld rows of %lld values; the observations "
                        "have %lld rows (and the first source %lld values)",
                        path, (long long)e.n, (long long)e.obs_dim, (long long)n,
                        (long long)ts->relabel_dim);
    else if (!grow_one((void **)&ts->relabel_feat, (n0 + n) * ts->relabel_dim, sizeof(float)))
        st = rise_error(RISE_ERR_NOMEM, "out of memory for data.relabel_keys");
    else
        memcpy(ts->relabel_feat + n0 * ts->relabel_dim, e.obs,
               sizeof(float) * (size_t)(n * ts->relabel_dim));
    rise_episodes_free(&e);
    return st;
}

static rise_status index_lists(rise_trainset *ts) {
    ts->n_expert = ts->n_nonexpert = 0;
    for (int64_t i = 0; i < ts->n; ++i) ts->expert[i] ? ++ts->n_expert : ++ts->n_nonexpert;
    ts->expert_idx = malloc((size_t)(ts->n_expert ? ts->n_expert : 1) * sizeof(int64_t));
    ts->nonexpert_idx = malloc((size_t)(ts->n_nonexpert ? ts->n_nonexpert : 1) * sizeof(int64_t));
    if (!ts->expert_idx || !ts->nonexpert_idx)
        return rise_error(RISE_ERR_NOMEM, "out of memory for sampling index lists");
    int64_t a = 0, b = 0;
    for (int64_t i = 0; i < ts->n; ++i) {
        if (ts->expert[i])
            ts->expert_idx[a++] = i;
        else
            ts->nonexpert_idx[b++] = i;
    }
    return RISE_OK;
}

/* The cameras (image keys among the chosen ones), read from the first source's first demo,
 * and where their frames live: *mode RISE_IMAGES_LOAD (in memory) when this rank's frames
 * (n rows, n_traj trajectories) fit data.image_memory_mb, else RISE_IMAGES_LAYOUT (read
 * per batch; the stream is opened here). */
static rise_status choose_cameras(const rise_data_spec *spec, const char *const *keys,
                                  const rise_demo_list *first, int64_t n_listed, int64_t n,
                                  int64_t n_traj, rise_trainset *ts, int *mode) {
    const rise_data_source *src = &spec->sources[0];
    uint8_t *sel = calloc((size_t)(n_listed ? n_listed : 1), 1);
    if (!sel) return rise_error(RISE_ERR_NOMEM, "out of memory");
    if (first->n_demos > 0) sel[0] = 1;
    rise_read_opts o;
    rise_read_opts_default(&o);
    o.format = src->format;
    o.filter_key = src->filter_key[0] ? src->filter_key : NULL;
    o.select = sel;
    o.n_select = n_listed;
    o.load_states = 0;
    o.load_masks = 0;
    o.image_frames = RISE_IMAGES_LAYOUT;
    o.obs_keys = spec->n_obs_keys ? keys : NULL;
    o.n_obs_keys = spec->n_obs_keys;
    rise_episodes e;
    rise_status st = rise_episodes_load(src->path, &o, &e);
    free(sel);
    if (st != RISE_OK) return st;
    double bytes = 0.0;
    if (e.n_images > 0) {
        ts->cams = calloc((size_t)e.n_images, sizeof *ts->cams);
        if (!ts->cams) st = rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    for (int c = 0; st == RISE_OK && c < e.n_images; ++c) {
        rise_camera *cam = &ts->cams[ts->n_cams++];
        snprintf(cam->name, sizeof cam->name, "%s", e.images[c].name);
        cam->h = e.images[c].h;
        cam->w = e.images[c].w;
        cam->c = e.images[c].c;
        cam->frame_bytes = rise_image_frame_bytes(&e.images[c]);
        bytes += (double)cam->frame_bytes * (double)(n + n_traj);
    }
    rise_episodes_free(&e);
    *mode = RISE_IMAGES_LOAD;
    if (st == RISE_OK && ts->n_cams > 0 &&
        bytes > rise_frames_memory_limit(spec->image_memory_mb)) {
        *mode = RISE_IMAGES_LAYOUT;
        st = rise_frame_stream_open(ts, &ts->stream);
    }
    return st;
}

typedef struct {
    rise_demo_list list; /* cut to max_demos */
    int64_t n_listed;    /* before the cut: the length of the select flags */
    int64_t first_global;
} listed_source;

static rise_status build(const rise_data_spec *spec, rise_trainset *ts, listed_source *ls) {
    /* 1. List every source (metadata only) to number trajectories globally. */
    int64_t n_global = 0;
    for (int s = 0; s < spec->n_sources; ++s) {
        const rise_data_source *src = &spec->sources[s];
        RISE_TRY(rise_episodes_list(src->path, src->format,
                                    src->filter_key[0] ? src->filter_key : NULL, &ls[s].list));
        ls[s].n_listed = ls[s].list.n_demos;
        if (src->max_demos > 0 && ls[s].list.n_demos > src->max_demos)
            ls[s].list.n_demos = src->max_demos;
        if (ls[s].list.n_demos == 0)
            return rise_error(RISE_ERR_INVALID, "%s: no demos selected%s%s", src->path,
                              src->filter_key[0] ? " by filter key " : "", src->filter_key);
        ls[s].first_global = n_global;
        n_global += ls[s].list.n_demos;
    }
    ts->n_traj_global = n_global;
    /* 2. This rank's share. */
    int64_t *lengths = malloc((size_t)n_global * sizeof *lengths);
    int *owner = malloc((size_t)n_global * sizeof *owner);
    if (!lengths || !owner) {
        free(lengths);
        free(owner);
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    for (int s = 0; s < spec->n_sources; ++s)
        for (int64_t d = 0; d < ls[s].list.n_demos; ++d)
            lengths[ls[s].first_global + d] = ls[s].list.demos[d].length;
    rise_shard_assign(lengths, n_global, spec->shard_world, owner);
    free(lengths);
    int64_t n_local = 0, traj_local = 0;
    for (int s = 0; s < spec->n_sources; ++s)
        for (int64_t d = 0; d < ls[s].list.n_demos; ++d) {
            if (owner[ls[s].first_global + d] != spec->shard_rank) continue;
            n_local += ls[s].list.demos[d].length;
            ++traj_local;
        }
    const char *keys[RISE_DATA_MAX_KEYS];
    for (int k = 0; k < spec->n_obs_keys; ++k) keys[k] = spec->obs_keys[k];
    int image_mode = RISE_IMAGES_LOAD;
    rise_status cst = choose_cameras(spec, keys, &ls[0].list, ls[0].n_listed, n_local, traj_local,
                                     ts, &image_mode);
    if (cst != RISE_OK) {
        free(owner);
        return cst;
    }
    /* 3. Load each source's selected demos and append them. */
    rise_status st = RISE_OK;
    uint8_t *sel = NULL;
    int64_t *gids = NULL;
    int have_layout = 0;
    for (int s = 0; s < spec->n_sources && st == RISE_OK; ++s) {
        const rise_data_source *src = &spec->sources[s];
        /* The select flags index the whole (filtered) listing, not the max_demos cut. */
        const int64_t n_full = ls[s].n_listed;
        free(sel);
        free(gids);
        sel = calloc((size_t)n_full, 1);
        gids = malloc((size_t)n_full * sizeof *gids);
        int64_t n_sel = 0;
        for (int64_t d = 0; sel && gids && d < ls[s].list.n_demos; ++d)
            if (owner[ls[s].first_global + d] == spec->shard_rank) {
                sel[d] = 1;
                gids[n_sel++] = ls[s].first_global + d;
            }
        if (!sel || !gids) {
            st = rise_error(RISE_ERR_NOMEM, "out of memory");
            break;
        }
        if (n_sel == 0) continue;
        rise_read_opts o;
        rise_read_opts_default(&o);
        o.format = src->format;
        o.filter_key = src->filter_key[0] ? src->filter_key : NULL;
        o.select = sel;
        o.n_select = n_full;
        o.load_states = 0;
        o.load_masks = 0;
        o.image_frames = image_mode;
        if (have_layout) {
            /* the first source's keys: its low-dim layout, then its cameras */
            const char *names[2 * RISE_DATA_MAX_KEYS];
            int n_names = 0;
            for (int k = 0; k < ts->n_keys && k < RISE_DATA_MAX_KEYS; ++k)
                names[n_names++] = ts->keys[k].name;
            for (int c = 0; c < ts->n_cams && c < RISE_DATA_MAX_KEYS; ++c)
                names[n_names++] = ts->cams[c].name;
            o.obs_keys = names;
            o.n_obs_keys = n_names;
            rise_episodes e;
            st = rise_episodes_load(src->path, &o, &e);
            if (st == RISE_OK) st = same_layout(ts, &e);
            if (st == RISE_OK) st = same_cameras(ts, &e);
            const int64_t n0 = ts->n;
            if (st == RISE_OK) st = append(ts, &e, s, src->role == RISE_ROLE_EXPERT, gids);
            if (st == RISE_OK && spec->n_relabel_keys)
                st = append_relabel_keys(ts, src->path, o, n0, e.n);
            rise_episodes_free(&e);
        } else {
            o.obs_keys = spec->n_obs_keys ? keys : NULL;
            o.n_obs_keys = spec->n_obs_keys;
            rise_episodes e;
            st = rise_episodes_load(src->path, &o, &e);
            if (st == RISE_OK) {
                ts->obs_dim = e.obs_dim;
                ts->act_dim = e.act_dim;
                ts->n_keys = e.n_keys;
                /* (no low-dim key at all when the observations are camera frames only) */
                ts->keys = malloc((size_t)(e.n_keys ? e.n_keys : 1) * sizeof *ts->keys);
                if (!ts->keys)
                    st = rise_error(RISE_ERR_NOMEM, "out of memory");
                else if (e.n_keys)
                    memcpy(ts->keys, e.keys, (size_t)e.n_keys * sizeof *ts->keys);
                if (e.env_args) ts->env_args = strdup(e.env_args);
                if (ts->n_keys > RISE_DATA_MAX_KEYS)
                    st = rise_error(RISE_ERR_INVALID, "%s: more than %d observation keys",
                                    src->path, RISE_DATA_MAX_KEYS);
                have_layout = 1;
            }
            if (st == RISE_OK) st = same_cameras(ts, &e);
            const int64_t n0 = ts->n;
            if (st == RISE_OK) st = append(ts, &e, s, src->role == RISE_ROLE_EXPERT, gids);
            if (st == RISE_OK && spec->n_relabel_keys)
                st = append_relabel_keys(ts, src->path, o, n0, e.n);
            rise_episodes_free(&e);
        }
    }
    free(sel);
    free(gids);
    free(owner);
    if (st != RISE_OK) return st;
    if (ts->n == 0)
        return rise_error(RISE_ERR_INVALID,
                          "data spec: rank %d of %d received no trajectories (%lld in total; use "
                          "fewer ranks)",
                          spec->shard_rank, spec->shard_world, (long long)n_global);
    RISE_TRY(index_lists(ts));
    return rise_norm_fit_arrays(&ts->norm, ts->obs, ts->actions, ts->n, ts->obs_dim, ts->act_dim,
                                spec->obs_norm, spec->act_norm);
}

rise_status rise_trainset_build(const rise_data_spec *spec, rise_trainset *ts) {
    memset(ts, 0, sizeof *ts);
    RISE_TRY(rise_data_spec_check(spec));
    ts->spec = *spec;
    listed_source *ls = calloc((size_t)spec->n_sources, sizeof *ls);
    if (!ls) return rise_error(RISE_ERR_NOMEM, "out of memory");
    rise_status st = build(spec, ts, ls);
    for (int s = 0; s < spec->n_sources; ++s) rise_demo_list_free(&ls[s].list);
    free(ls);
    if (st != RISE_OK) rise_trainset_free(ts);
    return st;
}

rise_status rise_trainset_normalize(rise_trainset *ts, const rise_norm_stats *stats) {
    if (ts->normalized) return rise_error(RISE_ERR_INVALID, "training set is already normalised");
    if (!stats) stats = &ts->norm;
    if (stats->obs_dim != ts->obs_dim || stats->act_dim != ts->act_dim)
        return rise_error(RISE_ERR_INVALID,
                          "normalisation statistics are for obs dim %lld / action dim %lld, the "
                          "training set has %lld / %lld",
                          (long long)stats->obs_dim, (long long)stats->act_dim,
                          (long long)ts->obs_dim, (long long)ts->act_dim);
    if (stats != &ts->norm) {
        rise_norm_stats copy;
        RISE_TRY(rise_norm_copy(&copy, stats));
        rise_norm_free(&ts->norm);
        ts->norm = copy;
    }
    rise_norm_apply_obs(&ts->norm, ts->obs, ts->n);
    rise_norm_apply_obs(&ts->norm, ts->next_obs, ts->n);
    rise_norm_apply_actions(&ts->norm, ts->actions, ts->n);
    ts->normalized = 1;
    return RISE_OK;
}
