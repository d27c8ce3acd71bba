/* frames.c - camera frames of a training set: the memory limit, per-batch reads from the
 * dataset files, and the host gather (see frames.h). */
#include "frames.h"

#include <hdf5.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernels/gather.h"
#include "read_internal.h"
#include "trainset.h"

double rise_frames_memory_limit(double image_memory_mb) {
    if (image_memory_mb > 0.0) return image_memory_mb * 1048576.0;
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || page <= 0) return 4.0 * 1073741824.0; /* unknown: 4 GiB */
    return 0.5 * (double)pages * (double)page;
}

struct rise_frame_stream {
    int n_files;
    hid_t *files;     /* one per source of the spec (opened read-only) */
    char **traj_demo; /* [cap] demo name of each trajectory in its file */
    int64_t cap;
    uint64_t frames_read;
    /* per-read scratch */
    int64_t *order;
    uint8_t *buf;
    size_t order_cap, buf_cap;
    /* one read at a time: the agents of train.seeds step on threads and share the files,
     * the scratch and HDF5 (not built thread-safe) */
    pthread_mutex_t lock;
};

rise_status rise_frame_stream_open(const rise_trainset *ts, rise_frame_stream **out) {
    *out = NULL;
    rise_frame_stream *s = calloc(1, sizeof *s);
    if (!s) return rise_error(RISE_ERR_NOMEM, "out of memory");
    s->n_files = ts->spec.n_sources;
    s->files = malloc(sizeof(hid_t) * (size_t)(s->n_files ? s->n_files : 1));
    if (!s->files) {
        free(s);
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&s->lock, NULL);
    for (int i = 0; i < s->n_files; ++i) s->files[i] = H5I_INVALID_HID;
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    rise_status st = RISE_OK;
    for (int i = 0; i < s->n_files && st == RISE_OK; ++i)
        st = rise_h5_open_read(ts->spec.sources[i].path, &s->files[i]);
    rise_h5_quiet_end(&q);
    if (st != RISE_OK) {
        rise_frame_stream_close(s);
        return st;
    }
    *out = s;
    return RISE_OK;
}

void rise_frame_stream_close(rise_frame_stream *s) {
    if (!s) return;
    for (int i = 0; i < s->n_files; ++i)
        if (s->files[i] >= 0) H5Fclose(s->files[i]);
    free(s->files);
    for (int64_t t = 0; t < s->cap; ++t) free(s->traj_demo[t]);
    free(s->traj_demo);
    free(s->order);
    free(s->buf);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

rise_status rise_frame_stream_add_traj(rise_frame_stream *s, int64_t tr, const char *demo) {
    if (tr >= s->cap) {
        const int64_t cap = tr + 1 > 2 * s->cap ? tr + 1 : 2 * s->cap;
        char **grown = realloc(s->traj_demo, sizeof *grown * (size_t)cap);
        if (!grown) return rise_error(RISE_ERR_NOMEM, "out of memory");
        for (int64_t t = s->cap; t < cap; ++t) grown[t] = NULL;
        s->traj_demo = grown;
        s->cap = cap;
    }
    free(s->traj_demo[tr]);
    s->traj_demo[tr] = strdup(demo);
    return s->traj_demo[tr] ? RISE_OK : rise_error(RISE_ERR_NOMEM, "out of memory");
}

uint64_t rise_frame_stream_frames_read(const rise_frame_stream *s) {
    return s ? s->frames_read : 0;
}

static int grow_bytes(void **p, size_t *cap, size_t need) {
    if (need <= *cap) return 1;
    void *g = realloc(*p, need);
    if (!g) return 0;
    *p = g;
    *cap = need;
    return 1;
}

/* Rows rows[0..m) (ascending, distinct) of <grp>/<cam> in demo group g, into buf [m, fb]:
 * one hyperslab union, one read. */
static rise_status read_rows(hid_t g, const char *grp, const rise_camera *cam, const char *file,
                             const char *demo, const int64_t *rows, int64_t m, uint8_t *buf) {
    char name[RISE_NAME_MAX + 16], where[RISE_NAME_MAX + 160], detail[256];
    snprintf(name, sizeof name, "%s/%s", grp, cam->name);
    snprintf(where, sizeof where, "data/%s/%s", demo, name);
    hid_t ds = H5Dopen2(g, name, H5P_DEFAULT);
    if (ds < 0)
        return rise_error(RISE_ERR_IO, "%s: cannot open '%s' to read a batch's frames: %s", file,
                          where, rise_h5_detail(detail, sizeof detail));
    hid_t fs = H5Dget_space(ds);
    hsize_t dims[4];
    rise_status st = RISE_OK;
    if (fs < 0 || H5Sget_simple_extent_ndims(fs) != 4 ||
        H5Sget_simple_extent_dims(fs, dims, NULL) < 0 || dims[1] != (hsize_t)cam->h ||
        dims[2] != (hsize_t)cam->w || dims[3] != (hsize_t)cam->c || (int64_t)dims[0] <= rows[m - 1])
        st = rise_error(RISE_ERR_FORMAT,
                        "%s: '%s' changed since the training set was built (expected at least "
                        "%lld frames of (%d, %d, %d))",
                        file, where, (long long)rows[m - 1] + 1, cam->h, cam->w, cam->c);
    herr_t rc = 0;
    for (int64_t i = 0; st == RISE_OK && i < m && rc >= 0; ++i) {
        const hsize_t start[4] = {(hsize_t)rows[i], 0, 0, 0};
        const hsize_t count[4] = {1, dims[1], dims[2], dims[3]};
        rc = H5Sselect_hyperslab(fs, i ? H5S_SELECT_OR : H5S_SELECT_SET, start, NULL, count, NULL);
    }
    if (st == RISE_OK) {
        /* the selection's shape in memory too: HDF5 copies whole frames, not byte by byte */
        const hsize_t mdims[4] = {(hsize_t)m, dims[1], dims[2], dims[3]};
        hid_t ms = rc >= 0 ? H5Screate_simple(4, mdims, NULL) : -1;
        if (ms >= 0) rc = H5Dread(ds, H5T_NATIVE_UINT8, ms, fs, H5P_DEFAULT, buf);
        if (ms < 0 || rc < 0)
            st = rise_error(RISE_ERR_IO, "%s: reading %lld frames of '%s' failed: %s", file,
                            (long long)m, where, rise_h5_detail(detail, sizeof detail));
        if (ms >= 0) H5Sclose(ms);
    }
    if (fs >= 0) H5Sclose(fs);
    H5Dclose(ds);
    return st;
}

/* The requests of one trajectory, order[0..m) (sorted by time): its distinct frames read
 * with one call per group (obs rows u < L; the last step's next frame from next_obs, or
 * the last obs frame when the demo has no next_obs/<camera>), copied to their outputs. */
static rise_status fetch_traj(rise_frame_stream *s, const rise_trainset *ts, int cam_i, int64_t tr,
                              const int64_t *order, int64_t m, const int64_t *u, uint8_t *out) {
    const rise_camera *cam = &ts->cams[cam_i];
    const int64_t fb = cam->frame_bytes, L = ts->traj_len[tr];
    const int src = ts->traj_source[tr];
    const char *file = ts->spec.sources[src].path, *demo = s->traj_demo[tr];
    char gname[RISE_NAME_MAX + 8], detail[256];
    snprintf(gname, sizeof gname, "data/%s", demo);
    hid_t g = H5Gopen2(s->files[src], gname, H5P_DEFAULT);
    if (g < 0)
        return rise_error(RISE_ERR_IO, "%s: cannot open '%s' to read a batch's frames: %s", file,
                          gname, rise_h5_detail(detail, sizeof detail));
    /* distinct times, ascending (order is sorted by time) */
    int64_t *rows = malloc(sizeof(int64_t) * (size_t)m);
    if (!rows) {
        H5Gclose(g);
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    int64_t n_obs = 0;
    int want_last = 0;
    for (int64_t i = 0; i < m; ++i) {
        const int64_t t = u[order[i]];
        if (t >= L) {
            want_last = 1;
            continue;
        }
        if (n_obs == 0 || rows[n_obs - 1] != t) rows[n_obs++] = t;
    }
    rise_status st = RISE_OK;
    const size_t need = (size_t)((n_obs + 1) * fb);
    if (!grow_bytes((void **)&s->buf, &s->buf_cap, need))
        st = rise_error(RISE_ERR_NOMEM, "out of memory");
    if (st == RISE_OK && n_obs > 0) st = read_rows(g, "obs", cam, file, demo, rows, n_obs, s->buf);
    uint8_t *last = s->buf + n_obs * fb;
    if (st == RISE_OK && want_last) {
        char next_name[RISE_NAME_MAX + 16];
        snprintf(next_name, sizeof next_name, "next_obs/%s", cam->name);
        const int64_t r = L - 1;
        st = read_rows(g, rise_h5_exists(g, next_name) ? "next_obs" : "obs", cam, file, demo, &r, 1,
                       last);
    }
    if (st == RISE_OK) {
        s->frames_read += (uint64_t)(n_obs + want_last);
        int64_t k = 0;
        for (int64_t i = 0; i < m; ++i) {
            const int64_t t = u[order[i]];
            const uint8_t *src_frame = last;
            if (t < L) {
                while (rows[k] != t) ++k;
                src_frame = s->buf + k * fb;
            }
            memcpy(out + order[i] * fb, src_frame, (size_t)fb);
        }
    }
    free(rows);
    H5Gclose(g);
    return st;
}

/* Sort keys for the requests: trajectory, then time. */
static const int64_t *sort_traj, *sort_u;
static int request_cmp(const void *a, const void *b) {
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    if (sort_traj[x] != sort_traj[y]) return sort_traj[x] < sort_traj[y] ? -1 : 1;
    if (sort_u[x] != sort_u[y]) return sort_u[x] < sort_u[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

static rise_status stream_fetch(rise_frame_stream *s, const rise_trainset *ts, int cam,
                                int64_t count, const int64_t *traj, const int64_t *u,
                                uint8_t *out) {
    if (!grow_bytes((void **)&s->order, &s->order_cap, sizeof(int64_t) * (size_t)count))
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < count; ++i) s->order[i] = i;
    sort_traj = traj;
    sort_u = u;
    qsort(s->order, (size_t)count, sizeof(int64_t), request_cmp);
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    rise_status st = RISE_OK;
    for (int64_t i = 0; i < count && st == RISE_OK;) {
        int64_t j = i;
        while (j < count && traj[s->order[j]] == traj[s->order[i]]) ++j;
        st = fetch_traj(s, ts, cam, traj[s->order[i]], s->order + i, j - i, u, out);
        i = j;
    }
    rise_h5_quiet_end(&q);
    return st;
}

rise_status rise_frames_fetch(const rise_trainset *ts, int cam, int64_t count, const int64_t *traj,
                              const int64_t *u, uint8_t *out) {
    RISE_ASSERT(cam >= 0 && cam < ts->n_cams, "rise_frames_fetch: camera %d of %d", cam,
                ts->n_cams);
    for (int64_t i = 0; i < count; ++i)
        RISE_ASSERT(traj[i] >= 0 && traj[i] < ts->n_traj && u[i] >= 0 &&
                        u[i] <= ts->traj_len[traj[i]],
                    "rise_frames_fetch: request %lld (trajectory %lld, time %lld) out of range",
                    (long long)i, (long long)traj[i], (long long)u[i]);
    if (ts->stream) {
        pthread_mutex_lock(&ts->stream->lock);
        const rise_status st = stream_fetch(ts->stream, ts, cam, count, traj, u, out);
        pthread_mutex_unlock(&ts->stream->lock);
        return st;
    }
    const rise_camera *c = &ts->cams[cam];
    for (int64_t i = 0; i < count; ++i) {
        const int64_t f =
            gather_frame_row(ts->traj_start[traj[i]], ts->traj_len[traj[i]], traj[i], u[i], ts->n);
        const uint8_t *src = f < ts->n ? c->frames + f * c->frame_bytes
                                       : c->last_next + (f - ts->n) * c->frame_bytes;
        memcpy(out + i * c->frame_bytes, src, (size_t)c->frame_bytes);
    }
    return RISE_OK;
}

rise_status rise_gather_frames(const rise_trainset *ts, int cam, const int64_t *idx, int64_t B,
                               int To, int next, uint8_t *out) {
    const int64_t count = B * To;
    int64_t *traj = malloc(sizeof(int64_t) * (size_t)(count ? 2 * count : 2));
    if (!traj) return rise_error(RISE_ERR_NOMEM, "out of memory gathering frames");
    int64_t *u = traj + count;
    for (int64_t b = 0; b < B; ++b) {
        const int64_t i = idx[b];
        for (int j = 0; j < To; ++j) {
            traj[b * To + j] = ts->traj[i];
            u[b * To + j] = gather_history_time(ts->step[i], To, j, next);
        }
    }
    const rise_status st = rise_frames_fetch(ts, cam, count, traj, u, out);
    free(traj);
    return st;
}
