/* embed.c - writes a camera's per-frame features into a robomimic-layout file in place
 * (embed.h): a read-only pass that checks every demo and decides which groups to write, then
 * a read-write pass that encodes the frames batch by batch into <key>.partial and renames it. */
#include "embed.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/h5util.h"
#include "read_internal.h"

static const char *const groups[2] = {"obs", "next_obs"};

typedef struct {
    char *demo;
    int grp;      /* 0 obs, 1 next_obs */
    int64_t rows; /* N */
    int write;    /* 0: the embedding is kept */
} embed_job;

typedef struct {
    embed_job *jobs;
    int64_t n, cap;
} job_list;

static void jobs_free(job_list *l) {
    for (int64_t i = 0; i < l->n; ++i) free(l->jobs[i].demo);
    free(l->jobs);
    memset(l, 0, sizeof *l);
}

static rise_status jobs_add(job_list *l, const char *demo, int grp, int64_t rows, int write) {
    if (l->n == l->cap) {
        const int64_t cap = l->cap ? 2 * l->cap : 64;
        embed_job *j = realloc(l->jobs, sizeof *j * (size_t)cap);
        if (!j) return rise_error(RISE_ERR_NOMEM, "out of memory listing demos");
        l->jobs = j, l->cap = cap;
    }
    char *d = strdup(demo);
    if (!d) return rise_error(RISE_ERR_NOMEM, "out of memory listing demos");
    l->jobs[l->n++] = (embed_job){d, grp, rows, write};
    return RISE_OK;
}

/* "a, b, c" of a group's members (for a missing key's message). */
static void member_list(hid_t g, const char *file, char *buf, size_t n) {
    char **names = NULL;
    int64_t count = 0;
    snprintf(buf, n, "none");
    if (rise_read_link_names(g, file, "", &names, &count) != RISE_OK) return;
    size_t used = 0;
    for (int64_t i = 0; i < count && used + 1 < n; ++i)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", names[i]);
    rise_h5_free_strings(names, count);
}

/* Checks data/<demo>/<grp>/<camera> and adds its job (none when next_obs has no frames). */
static rise_status check_group(hid_t demo_g, const char *file, const char *demo, int grp,
                               const rise_embed_opts *o, const char *key, job_list *jobs) {
    char where[512], buf[1024];
    if (H5Lexists(demo_g, groups[grp], H5P_DEFAULT) <= 0 ||
        rise_h5_object_type(demo_g, groups[grp]) != H5O_TYPE_GROUP) {
        if (grp == 1) return RISE_OK;
        return rise_error(RISE_ERR_FORMAT, "%s: data/%s has no obs group", file, demo);
    }
    hid_t g = H5Gopen2(demo_g, groups[grp], H5P_DEFAULT);
    if (g < 0)
        return rise_error(RISE_ERR_FORMAT, "%s: cannot open data/%s/%s", file, demo, groups[grp]);
    rise_status st = RISE_OK;
    snprintf(where, sizeof where, "data/%s/%s/%s", demo, groups[grp], o->camera);
    if (H5Lexists(g, o->camera, H5P_DEFAULT) <= 0) {
        if (grp == 0) {
            member_list(g, file, buf, sizeof buf);
            st = rise_error(RISE_ERR_FORMAT, "%s: data/%s/obs has no '%s' (its keys: %s)", file,
                            demo, o->camera, buf);
        }
        H5Gclose(g);
        return st;
    }
    rise_h5_info info;
    hid_t ds;
    st = rise_h5_open_dataset(g, o->camera, file, where, &info, &ds);
    if (st == RISE_OK) {
        H5Dclose(ds);
        rise_h5_shape_str(&info, buf, sizeof buf);
        const int u8 = info.cls == H5T_INTEGER && info.size == 1 && !info.is_signed;
        if (!u8 || info.rank != 4)
            st = rise_error(RISE_ERR_FORMAT, "%s: %s is %s %s; expected uint8 frames (N, H, W, C)",
                            file, where, info.type_name, buf);
        else if ((int64_t)info.dims[1] != o->h || (int64_t)info.dims[2] != o->w ||
                 (int64_t)info.dims[3] != o->c)
            st = rise_error(RISE_ERR_FORMAT,
                            "%s: %s holds frames of shape %s; %s takes %dx%dx%d frames "
                            "(N, %d, %d, %d)",
                            file, where, buf, o->shape_from, o->h, o->w, o->c, o->h, o->w, o->c);
    }
    if (st == RISE_OK) {
        const int exists = H5Lexists(g, key, H5P_DEFAULT) > 0;
        st = jobs_add(jobs, demo, grp, (int64_t)info.dims[0], o->force || !exists);
    }
    H5Gclose(g);
    return st;
}

/* The read-only pass: every demo checked, a job per obs / next_obs group with frames. */
static rise_status plan(const char *path, const rise_embed_opts *o, const char *key, job_list *jobs,
                        int64_t *demos) {
    hid_t f;
    RISE_TRY(rise_h5_open_read(path, &f));
    rise_status st = RISE_OK;
    char **names = NULL;
    int64_t count = 0;
    hid_t data = -1;
    if (rise_h5_object_type(f, "data") != H5O_TYPE_GROUP)
        st = rise_error(RISE_ERR_FORMAT,
                        "%s: no 'data' group (expected the robomimic layout, data/demo_<n>/obs)",
                        path);
    if (st == RISE_OK) data = H5Gopen2(f, "data", H5P_DEFAULT);
    if (st == RISE_OK) st = rise_read_link_names(data, path, "data", &names, &count);
    *demos = 0;
    for (int64_t i = 0; st == RISE_OK && i < count; ++i) {
        if (rise_h5_object_type(data, names[i]) != H5O_TYPE_GROUP) continue;
        hid_t d = H5Gopen2(data, names[i], H5P_DEFAULT);
        ++*demos;
        for (int grp = 0; grp < 2 && st == RISE_OK; ++grp)
            st = check_group(d, path, names[i], grp, o, key, jobs);
        H5Gclose(d);
    }
    if (st == RISE_OK && *demos == 0)
        st = rise_error(RISE_ERR_FORMAT, "%s: no demos under 'data'", path);
    rise_h5_free_strings(names, count);
    if (data >= 0) H5Gclose(data);
    H5Fclose(f);
    return st;
}

/* Encodes one group's frames into <key>.partial and renames it to <key>. */
static rise_status write_job(hid_t f, const char *path, const embed_job *j,
                             const rise_embed_opts *o, const char *key, uint8_t *frames,
                             float *feat) {
    char gpath[512], where[1024], partial[320], detail[256];
    snprintf(gpath, sizeof gpath, "data/%s/%s", j->demo, groups[j->grp]);
    snprintf(where, sizeof where, "%s/%s", gpath, key);
    snprintf(partial, sizeof partial, "%s.partial", key);
    const int64_t fb = (int64_t)o->h * o->w * o->c, E = o->feat_dim;
    hid_t g = H5Gopen2(f, gpath, H5P_DEFAULT);
    if (g < 0) return rise_error(RISE_ERR_FORMAT, "%s: cannot open %s", path, gpath);
    if (H5Lexists(g, partial, H5P_DEFAULT) > 0) H5Ldelete(g, partial, H5P_DEFAULT);
    hid_t src = H5Dopen2(g, o->camera, H5P_DEFAULT);
    const hsize_t dims[2] = {(hsize_t)j->rows, (hsize_t)E};
    hid_t space = H5Screate_simple(2, dims, NULL), dcpl = rise_h5_dcpl();
    hid_t dst = src >= 0 && space >= 0 && dcpl >= 0
                    ? H5Dcreate2(g, partial, H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)
                    : -1;
    if (dcpl >= 0) H5Pclose(dcpl);
    rise_status st = RISE_OK;
    if (src < 0 || dst < 0)
        st = rise_error(RISE_ERR_IO, "%s: cannot create %s: %s", path, where,
                        rise_h5_detail(detail, sizeof detail));
    char src_where[1024];
    snprintf(src_where, sizeof src_where, "%s/%s", gpath, o->camera);
    for (int64_t r = 0; st == RISE_OK && r < j->rows; r += o->batch) {
        const int m = (int)(j->rows - r < o->batch ? j->rows - r : o->batch);
        st = rise_read_frames(src, r, m, fb, frames, path, src_where);
        if (st != RISE_OK) break;
        st = o->fn(o->ctx, m, frames, feat);
        if (st != RISE_OK) {
            st = rise_error_context(st, "%s: encoding %s rows %lld..%lld: ", path, src_where,
                                    (long long)r, (long long)(r + m - 1));
            break;
        }
        for (int64_t i = 0; i < (int64_t)m * E; ++i)
            if (!isfinite(feat[i])) {
                st = rise_error(RISE_ERR_NUMERIC,
                                "%s: the encoder gave %g for frame %lld of %s (feature %lld); "
                                "is the checkpoint sound?",
                                path, (double)feat[i], (long long)(r + i / E), src_where,
                                (long long)(i % E));
                break;
            }
        if (st != RISE_OK) break;
        const hsize_t start[2] = {(hsize_t)r, 0}, count[2] = {(hsize_t)m, (hsize_t)E};
        hid_t ms = H5Screate_simple(2, count, NULL);
        herr_t rc =
            ms < 0 ? -1 : H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL);
        if (rc >= 0) rc = H5Dwrite(dst, H5T_NATIVE_FLOAT, ms, space, H5P_DEFAULT, feat);
        if (ms >= 0) H5Sclose(ms);
        if (rc < 0)
            st = rise_error(RISE_ERR_IO, "%s: writing rows %lld..%lld of %s failed: %s", path,
                            (long long)r, (long long)(r + m - 1), where,
                            rise_h5_detail(detail, sizeof detail));
    }
    for (int a = 0; st == RISE_OK && a < o->n_attrs; ++a)
        st = rise_h5_write_attr_string(dst, o->attr_names[a], o->attr_values[a], path);
    if (st == RISE_OK) st = rise_h5_write_attr_i64(dst, "checkpoint_step", o->step, path);
    if (dst >= 0) H5Dclose(dst);
    if (src >= 0) H5Dclose(src);
    if (space >= 0) H5Sclose(space);
    if (st == RISE_OK && H5Lexists(g, key, H5P_DEFAULT) > 0 && H5Ldelete(g, key, H5P_DEFAULT) < 0)
        st = rise_error(RISE_ERR_IO, "%s: cannot replace %s: %s", path, where,
                        rise_h5_detail(detail, sizeof detail));
    if (st == RISE_OK && H5Lmove(g, partial, g, key, H5P_DEFAULT, H5P_DEFAULT) < 0)
        st = rise_error(RISE_ERR_IO, "%s: cannot rename %s/%s to %s: %s", path, gpath, partial, key,
                        rise_h5_detail(detail, sizeof detail));
    H5Gclose(g);
    return st;
}

static rise_status embed_file(const char *path, const rise_embed_opts *o, const char *key,
                              rise_embed_result *r) {
    job_list jobs = {0};
    rise_status st = plan(path, o, key, &jobs, &r->demos);
    int64_t to_write = 0;
    for (int64_t i = 0; i < jobs.n; ++i) to_write += jobs.jobs[i].write;
    r->kept = jobs.n - to_write;
    if (st != RISE_OK || to_write == 0) {
        jobs_free(&jobs);
        return st;
    }
    char detail[256];
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, fapl);
    H5Pclose(fapl);
    if (f < 0) {
        jobs_free(&jobs);
        return rise_error(RISE_ERR_IO, "%s: cannot open for writing: %s", path,
                          rise_h5_detail(detail, sizeof detail));
    }
    uint8_t *frames = malloc((size_t)o->batch * o->h * o->w * o->c);
    float *feat = malloc(sizeof(float) * (size_t)o->batch * o->feat_dim);
    if (!frames || !feat)
        st = rise_error(RISE_ERR_NOMEM, "out of memory for a batch of %d frames", o->batch);
    for (int64_t i = 0; st == RISE_OK && i < jobs.n; ++i) {
        if (!jobs.jobs[i].write) continue;
        st = write_job(f, path, &jobs.jobs[i], o, key, frames, feat);
        if (st == RISE_OK) ++r->written, r->frames += jobs.jobs[i].rows;
    }
    free(frames);
    free(feat);
    if (H5Fclose(f) < 0 && st == RISE_OK)
        st = rise_error(RISE_ERR_IO, "%s: closing after writing failed: %s", path,
                        rise_h5_detail(detail, sizeof detail));
    jobs_free(&jobs);
    return st;
}

rise_status rise_data_embed(const char *path, const rise_embed_opts *o, rise_embed_result *r) {
    memset(r, 0, sizeof *r);
    if (!o->camera || !o->camera[0] || o->batch < 1 || o->feat_dim < 1 || o->h < 1 || o->w < 1 ||
        o->c < 1 || !o->fn || o->n_attrs < 0 || o->n_attrs > RISE_EMBED_MAX_ATTRS)
        return rise_error(RISE_ERR_INVALID,
                          "embed %s: camera '%s', batch %d, %d features, frames %dx%dx%d: "
                          "expected a camera, a batch >= 1, features >= 1 and a frame shape",
                          path, o->camera ? o->camera : "", o->batch, o->feat_dim, o->h, o->w,
                          o->c);
    char key[300];
    if (snprintf(key, sizeof key, "%s_embedding", o->camera) >= (int)sizeof key)
        return rise_error(RISE_ERR_INVALID, "camera name '%.40s...' too long", o->camera);
    rise_h5_quiet q;
    rise_h5_quiet_begin(&q);
    const rise_status st = embed_file(path, o, key, r);
    rise_h5_quiet_end(&q);
    return st;
}
