/* episodes.c - allocation and small helpers for rise_episodes. */
#include "episodes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rise_episodes_free(rise_episodes *e) {
    if (!e) return;
    free(e->path);
    free(e->env_args);
    free(e->demos);
    free(e->keys);
    free(e->obs);
    free(e->next_obs);
    free(e->actions);
    free(e->rewards);
    free(e->dones);
    free(e->states);
    for (int i = 0; i < e->n_masks; ++i) free(e->masks[i].demos);
    free(e->masks);
    for (int i = 0; i < e->n_images; ++i) {
        free(e->images[i].frames);
        free(e->images[i].last_next);
    }
    free(e->images);
    memset(e, 0, sizeof *e);
}

rise_status rise_episodes_set_keys(rise_episodes *e, int n_keys, const char *const *names,
                                   const int *ndims, const int64_t *const *shapes) {
    free(e->keys);
    e->keys = NULL;
    e->n_keys = 0;
    e->obs_dim = 0;
    if (n_keys <= 0) return RISE_OK;
    e->keys = calloc((size_t)n_keys, sizeof *e->keys);
    if (!e->keys)
        return rise_error(RISE_ERR_NOMEM, "out of memory for %d observation keys", n_keys);
    int64_t offset = 0;
    for (int i = 0; i < n_keys; ++i) {
        rise_obs_key *k = &e->keys[i];
        if (strlen(names[i]) >= sizeof k->name)
            return rise_error(RISE_ERR_INVALID, "observation key '%s' is longer than %d characters",
                              names[i], RISE_NAME_MAX - 1);
        for (int j = 0; j < i; ++j)
            if (strcmp(e->keys[j].name, names[i]) == 0)
                return rise_error(RISE_ERR_INVALID, "observation key '%s' is listed twice",
                                  names[i]);
        if (ndims[i] < 0 || ndims[i] > RISE_KEY_MAX_RANK)
            return rise_error(RISE_ERR_INVALID,
                              "observation key '%s': per-step rank %d not supported (at most %d)",
                              names[i], ndims[i], RISE_KEY_MAX_RANK);
        snprintf(k->name, sizeof k->name, "%s", names[i]);
        k->ndim = ndims[i];
        k->dim = 1;
        for (int d = 0; d < ndims[i]; ++d) {
            if (shapes[i][d] <= 0)
                return rise_error(RISE_ERR_INVALID, "observation key '%s': dimension %d is %lld",
                                  names[i], d, (long long)shapes[i][d]);
            k->shape[d] = shapes[i][d];
            k->dim *= shapes[i][d];
        }
        k->offset = offset;
        offset += k->dim;
    }
    e->n_keys = n_keys;
    e->obs_dim = offset;
    return RISE_OK;
}

static void *alloc_rows(int64_t n, int64_t width, size_t elem) {
    const size_t count = (size_t)(n * width);
    return malloc((count ? count : 1) * elem);
}

rise_status rise_episodes_alloc(rise_episodes *e, int64_t n_demos, int64_t n) {
    e->n_demos = n_demos;
    e->n = n;
    e->demos = calloc((size_t)(n_demos ? n_demos : 1), sizeof *e->demos);
    e->obs = alloc_rows(n, e->obs_dim, sizeof(float));
    e->next_obs = alloc_rows(n, e->obs_dim, sizeof(float));
    e->actions = alloc_rows(n, e->act_dim, sizeof(float));
    e->rewards = alloc_rows(n, 1, sizeof(float));
    e->dones = alloc_rows(n, 1, 1);
    if (e->state_dim > 0) e->states = alloc_rows(n, e->state_dim, sizeof(double));
    if (!e->demos || !e->obs || !e->next_obs || !e->actions || !e->rewards || !e->dones ||
        (e->state_dim > 0 && !e->states))
        return rise_error(RISE_ERR_NOMEM, "out of memory for %lld transitions (obs dim %lld)",
                          (long long)n, (long long)e->obs_dim);
    return RISE_OK;
}

rise_status rise_episodes_alloc_frames(rise_episodes *e) {
    for (int i = 0; i < e->n_images; ++i) {
        rise_image_key *k = &e->images[i];
        const int64_t fb = rise_image_frame_bytes(k);
        k->frames = alloc_rows(e->n, fb, 1);
        k->last_next = alloc_rows(e->n_demos, fb, 1);
        if (!k->frames || !k->last_next)
            return rise_error(RISE_ERR_NOMEM,
                              "out of memory for %lld frames of image key '%s' (%d x %d x %d)",
                              (long long)(e->n + e->n_demos), k->name, k->h, k->w, k->c);
    }
    return RISE_OK;
}

int rise_episodes_find_key(const rise_episodes *e, const char *name) {
    for (int i = 0; i < e->n_keys; ++i)
        if (strcmp(e->keys[i].name, name) == 0) return i;
    return -1;
}

int rise_episodes_find_mask(const rise_episodes *e, const char *name) {
    for (int i = 0; i < e->n_masks; ++i)
        if (strcmp(e->masks[i].name, name) == 0) return i;
    return -1;
}

rise_status rise_episodes_add_mask(rise_episodes *e, const char *name, const int64_t *demos,
                                   int64_t count) {
    if (strlen(name) == 0 || strlen(name) >= RISE_NAME_MAX || strchr(name, '/'))
        return rise_error(RISE_ERR_INVALID,
                          "filter key '%s': expected a non-empty name without '/' shorter "
                          "than %d characters",
                          name, RISE_NAME_MAX);
    if (rise_episodes_find_mask(e, name) >= 0)
        return rise_error(RISE_ERR_INVALID, "filter key '%s' already exists", name);
    for (int64_t i = 0; i < count; ++i)
        if (demos[i] < 0 || demos[i] >= e->n_demos)
            return rise_error(RISE_ERR_INVALID,
                              "filter key '%s': demo index %lld out of range [0, %lld)", name,
                              (long long)demos[i], (long long)e->n_demos);
    rise_mask *grown = realloc(e->masks, (size_t)(e->n_masks + 1) * sizeof *grown);
    if (!grown) return rise_error(RISE_ERR_NOMEM, "out of memory for filter key '%s'", name);
    e->masks = grown;
    rise_mask *m = &e->masks[e->n_masks];
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    m->demos = malloc((size_t)(count ? count : 1) * sizeof *m->demos);
    if (!m->demos) return rise_error(RISE_ERR_NOMEM, "out of memory for filter key '%s'", name);
    if (count) memcpy(m->demos, demos, (size_t)count * sizeof *demos);
    m->count = count;
    e->n_masks++;
    return RISE_OK;
}

int rise_parse_demo_name(const char *name, const char *prefix, int64_t *id) {
    const size_t plen = strlen(prefix);
    if (strncmp(name, prefix, plen) != 0) return 0;
    const char *p = name + plen;
    if (*p == '\0' || strlen(p) > 18) return 0;
    int64_t v = 0;
    for (; *p; ++p) {
        if (*p < '0' || *p > '9') return 0;
        v = v * 10 + (*p - '0');
    }
    *id = v;
    return 1;
}

void rise_episodes_derive_next_obs(rise_episodes *e, int64_t d) {
    const rise_demo *dm = &e->demos[d];
    const int64_t D = e->obs_dim;
    if (dm->length <= 0) return;
    float *next = e->next_obs + dm->start * D;
    const float *obs = e->obs + dm->start * D;
    if (dm->length > 1) memcpy(next, obs + D, (size_t)((dm->length - 1) * D) * sizeof(float));
    memcpy(next + (dm->length - 1) * D, obs + (dm->length - 1) * D, (size_t)D * sizeof(float));
    e->dones[dm->start + dm->length - 1] = 1;
}
