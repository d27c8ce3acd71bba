/* bench_data_load.c - how fast datasets load: a generated robomimic-layout
 * file (default 1M transitions in 1000 demos, obs = 4 keys / 20 floats,
 * actions 7) is read with rise_episodes_load, then turned into a training
 * set (listing, loading, labelling, normalisation statistics), then sampled
 * and gathered (chunked batches). Validates values first; reports the median
 * of --reps runs as transitions/s and MB/s (file bytes), table + JSON.
 *
 *   bench_data_load [--transitions N] [--demos M] [--f64] [--reps R]
 *                   [--file PATH] [--json FILE] [--quick]
 * --f64 writes obs/actions as float64 the way robomimic's own files are
 * (the reader converts to float32). The file page cache is warm (the file was
 * just written): this measures parsing/conversion, not the disk.
 * Exit status: 0 ok, 1 wrong values or error, 2 bad arguments. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "data/reader.h"
#include "data/sampler.h"
#include "data/sequence.h"
#include "data/trainset.h"
#include "data/writer.h"

static const char *key_names[4] = {"object", "robot0_eef_pos", "robot0_eef_quat",
                                   "robot0_gripper_qpos"};
static const int key_dims[4] = {11, 3, 4, 2};
#define OBS_DIM 20
#define ACT_DIM 7

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float obs_value(int64_t d, int64_t t, int c) {
    return (float)(d % 97) * 0.01f + (float)t * 1e-3f + (float)c * 0.1f;
}
static float act_value(int64_t d, int64_t t, int c) {
    return (float)(((d * 7 + t * 3 + c) % 200) - 100) / 100.0f;
}

/* Same layout as rise's writer, but float64 datasets like robomimic's files. */
static void write_dataset_f64(hid_t g, const char *name, int rank, const hsize_t *dims,
                              const float *src) {
    size_t n = 1;
    for (int i = 0; i < rank; ++i) n *= (size_t)dims[i];
    double *buf = malloc(n * sizeof *buf);
    for (size_t i = 0; i < n; ++i) buf[i] = src[i];
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t ds = H5Dcreate2(g, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    H5Dclose(ds);
    H5Sclose(sp);
    free(buf);
}

static int generate(const char *path, int64_t n, int64_t demos, int f64) {
    const int64_t len = n / demos;
    float *obs = malloc((size_t)(len + 1) * OBS_DIM * sizeof *obs);
    float *act = malloc((size_t)len * ACT_DIM * sizeof *act);
    float *rew = calloc((size_t)len, sizeof *rew);
    uint8_t *done = calloc((size_t)len, 1);
    rise_writer *w = NULL;
    hid_t f = -1, data = -1;
    if (!f64) {
        rise_obs_key keys[4];
        for (int k = 0; k < 4; ++k) keys[k] = rise_obs_key_1d(key_names[k], key_dims[k]);
        if (rise_writer_open(&w, path, keys, 4, ACT_DIM, 0, "{\"env_name\": \"bench\"}") != RISE_OK)
            return 0;
    } else {
        f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        data = H5Gcreate2(f, "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    }
    for (int64_t d = 0; d < demos; ++d) {
        for (int64_t t = 0; t <= len; ++t)
            for (int c = 0; c < OBS_DIM; ++c) obs[t * OBS_DIM + c] = obs_value(d, t, c);
        for (int64_t t = 0; t < len; ++t)
            for (int c = 0; c < ACT_DIM; ++c) act[t * ACT_DIM + c] = act_value(d, t, c);
        done[len - 1] = 1;
        if (!f64) {
            if (rise_writer_add_demo(w, d, len, obs, obs + OBS_DIM, act, rew, done, NULL, NULL) !=
                RISE_OK)
                return 0;
            continue;
        }
        char name[32];
        snprintf(name, sizeof name, "demo_%lld", (long long)d);
        hid_t g = H5Gcreate2(data, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        hid_t sp = H5Screate(H5S_SCALAR);
        hid_t a = H5Acreate2(g, "num_samples", H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, H5T_NATIVE_INT64, &len);
        H5Aclose(a);
        H5Sclose(sp);
        hsize_t dims[2] = {(hsize_t)len, ACT_DIM};
        write_dataset_f64(g, "actions", 2, dims, act);
        write_dataset_f64(g, "rewards", 1, dims, rew);
        float *df = malloc((size_t)len * sizeof *df);
        for (int64_t t = 0; t < len; ++t) df[t] = done[t];
        write_dataset_f64(g, "dones", 1, dims, df);
        free(df);
        for (int pass = 0; pass < 2; ++pass) {
            hid_t og =
                H5Gcreate2(g, pass ? "next_obs" : "obs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            int off = 0;
            for (int k = 0; k < 4; ++k) {
                float *col = malloc((size_t)len * (size_t)key_dims[k] * sizeof *col);
                for (int64_t t = 0; t < len; ++t)
                    for (int c = 0; c < key_dims[k]; ++c)
                        col[t * key_dims[k] + c] = obs[(t + pass) * OBS_DIM + off + c];
                hsize_t kd[2] = {(hsize_t)len, (hsize_t)key_dims[k]};
                write_dataset_f64(og, key_names[k], 2, kd, col);
                free(col);
                off += key_dims[k];
            }
            H5Gclose(og);
        }
        H5Gclose(g);
    }
    free(obs), free(act), free(rew), free(done);
    if (!f64) return rise_writer_close(w) == RISE_OK;
    hid_t sp = H5Screate(H5S_SCALAR);
    const int64_t total = len * demos;
    hid_t a = H5Acreate2(data, "total", H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT64, &total);
    H5Aclose(a);
    H5Sclose(sp);
    H5Gclose(data);
    H5Fclose(f);
    return 1;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv) {
    int64_t n = 1000000, demos = 1000;
    int reps = 5, f64 = 0, quick = 0;
    const char *json = NULL, *file = NULL;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--transitions") && i + 1 < argc)
            n = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--demos") && i + 1 < argc)
            demos = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json") && i + 1 < argc)
            json = argv[++i];
        else if (!strcmp(argv[i], "--file") && i + 1 < argc)
            file = argv[++i];
        else if (!strcmp(argv[i], "--f64"))
            f64 = 1;
        else if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else {
            fprintf(stderr, "usage: bench_data_load [--transitions N] [--demos M] [--f64] "
                            "[--reps R] [--file PATH] [--json FILE] [--quick]\n");
            return !strcmp(argv[i], "--help") ? 0 : 2;
        }
    }
    if (quick) n = 20000, demos = 20, reps = 2;
    if (demos < 1 || n < demos || reps < 1 || reps > 100) {
        fprintf(stderr, "bench_data_load: need 1 <= demos <= transitions, 1 <= reps <= 100\n");
        return 2;
    }
    n = n / demos * demos;
    char path[512];
    snprintf(path, sizeof path, "%s", file ? file : "");
    if (!file) snprintf(path, sizeof path, "/tmp/rise_bench_load_%ld.h5", (long)getpid());
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    double t0 = now();
    if (!generate(path, n, demos, f64)) {
        fprintf(stderr, "bench_data_load: writing %s failed: %s\n", path, rise_last_error());
        return 1;
    }
    const double t_write = now() - t0;
    struct stat sb;
    stat(path, &sb);
    const double mb = (double)sb.st_size / 1e6;
    printf("file %s: %lld transitions, %lld demos, obs %d (4 keys), actions %d, %s, %.1f MB "
           "(written in %.2f s)\n",
           path, (long long)n, (long long)demos, OBS_DIM, ACT_DIM, f64 ? "float64" : "float32", mb,
           t_write);

    /* 1. validate */
    rise_read_opts o;
    rise_read_opts_default(&o);
    const char *order[4] = {key_names[0], key_names[1], key_names[2], key_names[3]};
    o.obs_keys = order;
    o.n_obs_keys = 4;
    rise_episodes e;
    if (rise_episodes_load(path, &o, &e) != RISE_OK) {
        fprintf(stderr, "bench_data_load: %s\n", rise_last_error());
        return 1;
    }
    int64_t bad = 0;
    const int64_t len = n / demos;
    for (int64_t d = 0; d < demos; d += demos / 7 + 1)
        for (int64_t t = 0; t < len; t += len / 5 + 1)
            for (int c = 0; c < OBS_DIM; ++c) {
                const int64_t row = d * len + t;
                bad += e.obs[row * OBS_DIM + c] != obs_value(d, t, c);
                bad += e.next_obs[row * OBS_DIM + c] != obs_value(d, t + 1, c);
                bad += c < ACT_DIM && e.actions[row * ACT_DIM + c] != act_value(d, t, c);
            }
    bad += e.n != n || e.n_demos != demos;
    rise_episodes_free(&e);
    if (bad) {
        fprintf(stderr, "bench_data_load: %lld wrong values after loading\n", (long long)bad);
        return 1;
    }

    /* 2. time */
    double *tl = malloc((size_t)reps * sizeof *tl), *tb = malloc((size_t)reps * sizeof *tb);
    rise_data_spec spec;
    rise_data_spec_default(&spec);
    char src[600];
    snprintf(src, sizeof src, "expert:%s", path);
    rise_data_spec_add_source(&spec, src);
    for (int r = 0; r < reps; ++r) {
        t0 = now();
        rise_episodes_load(path, &o, &e);
        tl[r] = now() - t0;
        rise_episodes_free(&e);
        rise_trainset ts;
        t0 = now();
        if (rise_trainset_build(&spec, &ts) != RISE_OK) {
            fprintf(stderr, "bench_data_load: %s\n", rise_last_error());
            return 1;
        }
        tb[r] = now() - t0;
        if (r + 1 < reps)
            rise_trainset_free(&ts);
        else {
            /* 3. sampling and chunk gathers on the last training set */
            rise_trainset_normalize(&ts, NULL);
            rise_sampler s;
            if (rise_sampler_init(&s, &ts, 1, 0, 256, -1.0) != RISE_OK) {
                fprintf(stderr, "bench_data_load: %s\n", rise_last_error());
                return 1;
            }
            int64_t idx[256];
            float *hist = malloc(256 * 2 * OBS_DIM * sizeof(float)),
                  *chunk = malloc(256 * 16 * ACT_DIM * sizeof(float)),
                  *valid = malloc(256 * 16 * sizeof(float));
            const int batches = 2000;
            t0 = now();
            for (int b = 0; b < batches; ++b) {
                rise_sampler_next(&s, idx);
                rise_gather_obs_history(&ts, idx, 256, 2, hist);
                rise_gather_action_chunk(&ts, idx, 256, 16, chunk, valid);
            }
            const double tg = now() - t0;
            printf("sample + gather (batch 256, obs history 2, action chunk 16): %.0f batches/s\n",
                   batches / tg);
            free(hist), free(chunk), free(valid);
            rise_trainset_free(&ts);
        }
    }
    const double ml = median(tl, reps), mbld = median(tb, reps);
    printf("\n%-36s %10s %14s %10s\n", "stage", "median s", "transitions/s", "MB/s");
    printf("%-36s %10.3f %14.3e %10.1f\n", "rise_episodes_load", ml, (double)n / ml, mb / ml);
    printf("%-36s %10.3f %14.3e %10.1f\n", "rise_trainset_build (+label, norm)", mbld,
           (double)n / mbld, mb / mbld);
    if (json) {
        FILE *jf = fopen(json, "w");
        if (jf) {
            fprintf(jf,
                    "[{\"bench\": \"data_load\", \"transitions\": %lld, \"demos\": %lld, "
                    "\"dtype\": \"%s\", \"file_mb\": %.2f, \"load_s\": %.4f, "
                    "\"load_transitions_per_s\": %.1f, \"build_s\": %.4f, "
                    "\"build_transitions_per_s\": %.1f, \"validated\": true}]\n",
                    (long long)n, (long long)demos, f64 ? "float64" : "float32", mb, ml,
                    (double)n / ml, mbld, (double)n / mbld);
            fclose(jf);
        }
    }
    free(tl), free(tb);
    if (!file) remove(path);
    return 0;
}
