/* fuzz_reader_struct.c - structure-aware libFuzzer target for the dataset
 * reader and everything downstream of it.
 *
 * The input bytes drive a generator that writes a *valid HDF5* file (so
 * libhdf5's parser is not what is being fuzzed) whose content is a near-miss
 * of the robomimic / D4RL / Minari layouts: demos with odd names, missing or
 * extra datasets, wrong ranks, lengths and dtypes (float, int, uint8, bool
 * enums, strings), NaN/Inf, empty demos, broken masks, total and env_args.
 * Then, with read options also drawn from the input:
 *   - rise's reader must return an error or a self-consistent result;
 *   - a loaded file must write and read back bit-identically;
 *   - the training set built from it must normalise, sample, gather
 *     sequences, relabel neighbours and add action noise without a fault.
 * Build and run: see tests/fuzz/CMakeLists.txt (ctest -L slow -R fuzz). */
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/action_noise.h"
#include "data/info.h"
#include "data/pairs.h"
#include "data/reader.h"
#include "data/sampler.h"
#include "data/sequence.h"
#include "data/trainset.h"
#include "data/writer.h"

typedef struct {
    const uint8_t *p;
    size_t n, i;
} bytes;

static unsigned u8(bytes *b) { return b->i < b->n ? b->p[b->i++] : 0u; }
static unsigned pick(bytes *b, unsigned n) { return u8(b) % n; }

static double value(bytes *b) {
    const unsigned v = u8(b);
    if (v == 255) return NAN;
    if (v == 254) return INFINITY;
    return ((double)(int8_t)v) / 16.0;
}

/* A dataset `name` under loc with `rank` dims and a dtype chosen by the input. */
static void dataset(bytes *b, hid_t loc, const char *name, int rank, const hsize_t *dims,
                    int flags01) {
    size_t n = 1;
    for (int i = 0; i < rank; ++i) n *= (size_t)dims[i];
    if (n > 4096) return;
    const unsigned kind = pick(b, 12);
    hid_t sp = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
    double *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; ++i) v[i] = flags01 && pick(b, 8) ? (double)(u8(b) & 1) : value(b);
    hid_t t = -1, mt = -1;
    void *buf = v;
    int64_t *iv = NULL;
    char *sv = NULL;
    if (kind <= 5) {
        t = H5Tcopy(kind <= 2 ? H5T_IEEE_F64LE : H5T_IEEE_F32LE);
        mt = H5Tcopy(H5T_NATIVE_DOUBLE);
    } else if (kind <= 8) {
        iv = malloc((n ? n : 1) * sizeof *iv);
        for (size_t i = 0; i < n; ++i) iv[i] = isfinite(v[i]) ? (int64_t)v[i] : 7;
        t = H5Tcopy(kind == 6 ? H5T_STD_I64LE : (kind == 7 ? H5T_STD_U8LE : H5T_STD_I32LE));
        mt = H5Tcopy(H5T_NATIVE_INT64);
        buf = iv;
    } else if (kind <= 10) { /* h5py bool */
        sv = malloc(n ? n : 1);
        for (size_t i = 0; i < n; ++i) sv[i] = (char)(isfinite(v[i]) && v[i] != 0);
        t = H5Tenum_create(H5T_NATIVE_INT8);
        int8_t z = 0, o = 1;
        H5Tenum_insert(t, "FALSE", &z);
        H5Tenum_insert(t, "TRUE", &o);
        mt = H5Tcopy(t);
        buf = sv;
    } else { /* strings */
        sv = calloc(n ? n : 1, 4);
        for (size_t i = 0; i < n; ++i) snprintf(sv + 4 * i, 4, "%u", u8(b) % 100);
        t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, 4);
        mt = H5Tcopy(t);
        buf = sv;
    }
    hid_t ds = H5Dcreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (ds >= 0) {
        if (n) H5Dwrite(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        H5Dclose(ds);
    }
    H5Tclose(t);
    H5Tclose(mt);
    H5Sclose(sp);
    free(v);
    free(iv);
    free(sv);
}

static void attr_int(hid_t obj, const char *name, int64_t v) {
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        H5Awrite(a, H5T_NATIVE_INT64, &v);
        H5Aclose(a);
    }
    H5Sclose(sp);
}

static void attr_str(hid_t obj, const char *name, const char *s) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        H5Awrite(a, t, &s);
        H5Aclose(a);
    }
    H5Sclose(sp);
    H5Tclose(t);
}

static const char *key_pool[4] = {"a", "b", "c", "obs_x"};

/* Rows near n: usually n, sometimes one off. */
static hsize_t rows_near(bytes *b, int64_t n) {
    const unsigned k = pick(b, 16);
    if (k == 0) return (hsize_t)(n + 1);
    if (k == 1 && n > 0) return (hsize_t)(n - 1);
    return (hsize_t)n;
}

static void gen_robomimic(bytes *b, hid_t f) {
    if (pick(b, 32) == 0) return; /* no data group */
    hid_t data = H5Gcreate2(f, "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const unsigned n_demos = pick(b, 5);
    const hsize_t A = 1 + pick(b, 3);
    int64_t total = 0;
    char names[5][32];
    for (unsigned d = 0; d < n_demos; ++d) {
        const unsigned id = pick(b, 12), style = pick(b, 10);
        if (style == 0)
            snprintf(names[d], 32, "demo_0%u", id);
        else if (style == 1)
            snprintf(names[d], 32, "demo_x%u", id);
        else
            snprintf(names[d], 32, "demo_%u", id);
        hid_t g = H5Gcreate2(data, names[d], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g < 0) continue; /* same name twice */
        const int64_t N = pick(b, 7);
        total += N;
        const unsigned ns = pick(b, 12);
        if (ns == 1)
            attr_int(g, "num_samples", N + 1);
        else if (ns == 2)
            attr_str(g, "num_samples", "7");
        else if (ns != 0)
            attr_int(g, "num_samples", N);
        hsize_t dims[3] = {rows_near(b, N), pick(b, 12) ? A : A + 1, 2};
        if (pick(b, 12)) dataset(b, g, "actions", pick(b, 12) ? 2 : 1, dims, 0);
        dims[0] = rows_near(b, N);
        dims[1] = 1;
        if (pick(b, 12)) dataset(b, g, "rewards", pick(b, 8) ? 1 : 2, dims, 0);
        dims[0] = rows_near(b, N);
        if (pick(b, 12)) dataset(b, g, "dones", 1, dims, 1);
        if (pick(b, 3) == 0) {
            dims[0] = rows_near(b, N);
            dims[1] = 2;
            dataset(b, g, "states", 2, dims, 0);
        }
        for (int grp = 0; grp < 2; ++grp) {
            if (grp == 1 && pick(b, 3) == 0) continue; /* next_obs derived */
            if (grp == 0 && pick(b, 16) == 0) continue;
            hid_t og =
                H5Gcreate2(g, grp ? "next_obs" : "obs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            const unsigned mask = 1 + pick(b, 15);
            for (int k = 0; k < 4; ++k) {
                if (!(mask & (1u << k))) continue;
                hsize_t kd[3] = {rows_near(b, N), 1 + (hsize_t)(k % 3), 2};
                const unsigned r = pick(b, 10);
                dataset(b, og, key_pool[k], r == 0 ? 1 : (r == 1 ? 3 : 2), kd, 0);
            }
            H5Gclose(og);
        }
        H5Gclose(g);
    }
    const unsigned ta = pick(b, 6);
    if (ta == 0)
        attr_int(data, "total", total + 1);
    else if (ta != 1)
        attr_int(data, "total", total);
    const unsigned ea = pick(b, 6);
    if (ea == 0)
        attr_str(data, "env_args", "{\"env_name\": ");
    else if (ea == 1)
        attr_int(data, "env_args", 3);
    else if (ea == 2)
        attr_str(data, "env_args", "[1, 2]");
    else if (ea == 3)
        attr_str(data, "env_args", "{\"env_name\": \"Maze\", \"type\": 1}");
    H5Gclose(data);
    if (pick(b, 2)) {
        hid_t m = H5Gcreate2(f, "mask", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        const unsigned n_masks = pick(b, 3);
        for (unsigned k = 0; k < n_masks; ++k) {
            const unsigned cnt = pick(b, 4);
            const char *list[4];
            char buf[4][32];
            for (unsigned i = 0; i < cnt; ++i) {
                const unsigned w = pick(b, 8);
                if (w < 6 && n_demos)
                    snprintf(buf[i], 32, "%s", names[w % n_demos]);
                else
                    snprintf(buf[i], 32, "demo_%u", pick(b, 20));
                list[i] = buf[i];
            }
            hsize_t dims[1] = {cnt};
            hid_t sp = H5Screate_simple(1, dims, NULL);
            hid_t t = H5Tcopy(H5T_C_S1);
            if (pick(b, 2)) {
                H5Tset_size(t, H5T_VARIABLE);
                hid_t ds = H5Dcreate2(m, k ? "valid" : "train", t, sp, H5P_DEFAULT, H5P_DEFAULT,
                                      H5P_DEFAULT);
                if (ds >= 0) {
                    if (cnt) H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, list);
                    H5Dclose(ds);
                }
            } else {
                char fixed[4 * 12] = {0};
                for (unsigned i = 0; i < cnt; ++i) strncpy(fixed + 12 * i, list[i], 12);
                H5Tset_size(t, 12);
                hid_t ds = H5Dcreate2(m, k ? "valid" : "train", t, sp, H5P_DEFAULT, H5P_DEFAULT,
                                      H5P_DEFAULT);
                if (ds >= 0) {
                    if (cnt) H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, fixed);
                    H5Dclose(ds);
                }
            }
            H5Tclose(t);
            H5Sclose(sp);
        }
        H5Gclose(m);
    }
}

static void gen_d4rl(bytes *b, hid_t f) {
    const int64_t N = pick(b, 12);
    hsize_t dims[2] = {rows_near(b, N), 1 + pick(b, 3)};
    dataset(b, f, "observations", pick(b, 10) ? 2 : 1, dims, 0);
    dims[0] = rows_near(b, N);
    dims[1] = 1 + pick(b, 2);
    dataset(b, f, "actions", 2, dims, 0);
    const char *vec[3] = {"rewards", "terminals", "timeouts"};
    for (int i = 0; i < 3; ++i) {
        dims[0] = rows_near(b, N);
        if (pick(b, 10)) dataset(b, f, vec[i], 1, dims, i > 0);
    }
    if (pick(b, 2)) {
        dims[0] = rows_near(b, N);
        dims[1] = 1 + pick(b, 3);
        dataset(b, f, "next_observations", 2, dims, 0);
    }
}

static void gen_minari(bytes *b, hid_t f) {
    const unsigned n = pick(b, 4);
    for (unsigned e = 0; e < n; ++e) {
        char name[32];
        snprintf(name, sizeof name, "episode_%u", pick(b, 6));
        hid_t g = H5Gcreate2(f, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g < 0) continue;
        const int64_t T = pick(b, 5);
        hsize_t dims[2] = {rows_near(b, T + 1), 2};
        if (pick(b, 4)) {
            dataset(b, g, "observations", 2, dims, 0);
        } else {
            hid_t og = H5Gcreate2(g, "observations", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            dataset(b, og, "a", 2, dims, 0);
            dims[0] = rows_near(b, T + 1);
            dataset(b, og, "b", 2, dims, 0);
            H5Gclose(og);
        }
        dims[0] = rows_near(b, T);
        dims[1] = 1 + pick(b, 2);
        dataset(b, g, "actions", 2, dims, 0);
        const char *vec[3] = {"rewards", "terminations", "truncations"};
        for (int i = 0; i < 3; ++i) {
            dims[0] = rows_near(b, T);
            if (pick(b, 10)) dataset(b, g, vec[i], 1, dims, i > 0);
        }
        H5Gclose(g);
    }
}

static void check(int ok) {
    if (!ok) __builtin_trap();
}

static int same_episodes(const rise_episodes *a, const rise_episodes *b) {
    if (a->n != b->n || a->n_demos != b->n_demos || a->obs_dim != b->obs_dim ||
        a->act_dim != b->act_dim || a->state_dim != b->state_dim || a->n_masks != b->n_masks)
        return 0;
    const size_t n = (size_t)a->n;
    return !memcmp(a->obs, b->obs, n * (size_t)a->obs_dim * 4) &&
           !memcmp(a->next_obs, b->next_obs, n * (size_t)a->obs_dim * 4) &&
           !memcmp(a->actions, b->actions, n * (size_t)a->act_dim * 4) &&
           !memcmp(a->rewards, b->rewards, n * 4) && !memcmp(a->dones, b->dones, n) &&
           (!a->state_dim || !memcmp(a->states, b->states, n * (size_t)a->state_dim * 8));
}

/* Everything downstream of a loadable file. */
static void downstream(bytes *b, const char *path) {
    rise_data_spec spec;
    rise_data_spec_default(&spec);
    char arg[300];
    snprintf(arg, sizeof arg, "expert:%s", path);
    rise_data_spec_add_source(&spec, arg);
    snprintf(arg, sizeof arg, "non_expert:%s", path);
    rise_data_spec_add_source(&spec, arg);
    spec.terminal = (rise_terminal_mode)pick(b, 3);
    spec.act_norm = (rise_norm_mode)pick(b, 3);
    spec.shard_world = 1 + (int)pick(b, 3);
    spec.shard_rank = (int)pick(b, (unsigned)spec.shard_world);
    rise_trainset ts;
    if (rise_trainset_build(&spec, &ts) != RISE_OK) return;
    check(ts.n == ts.n_expert + ts.n_nonexpert);
    check(rise_trainset_normalize(&ts, NULL) == RISE_OK);
    rise_sampler s;
    if (rise_sampler_init(&s, &ts, u8(b), 0, 8, pick(b, 2) ? 0.5 : -1.0) == RISE_OK) {
        int64_t idx[8];
        float hist[8 * 3 * 64], chunk[8 * 4 * 8], valid[8 * 4], noisy[8 * 2 * 8];
        rise_sampler_next(&s, idx);
        for (int i = 0; i < 8; ++i) check(idx[i] >= 0 && idx[i] < ts.n);
        if (ts.obs_dim <= 64 && ts.act_dim <= 8) {
            rise_gather_obs_history(&ts, idx, 8, 3, hist);
            rise_gather_next_obs_history(&ts, idx, 8, 3, hist);
            rise_gather_action_chunk(&ts, idx, 8, 4, chunk, valid);
            const float sig[2] = {0.1f, 0.5f};
            rise_rng rng = {1, RISE_STREAM_ACTION_NOISE, 0};
            rise_action_noise_ref(chunk, 8, ts.act_dim, 2, sig, rng, noisy, NULL, NULL);
            for (int i = 0; i < 8 * 2 * (int)ts.act_dim; ++i)
                check(noisy[i] >= -1 && noisy[i] <= 1);
        }
    }
    rise_relabel_config c;
    rise_relabel_config_default(&c);
    c.k = 1 + (int)pick(b, 4);
    c.threshold = 0.5f + (float)pick(b, 4);
    c.skip_expert = (int)pick(b, 3);
    c.skip_nonexpert = (int)pick(b, 3);
    c.l2_normalize = (int)pick(b, 2);
    c.tile_q = 1 + pick(b, 5);
    c.tile_r = 1 + pick(b, 7);
    if (pick(b, 2) && ts.n_keys > 0) snprintf(c.match_key, RISE_NAME_MAX, "%s", ts.keys[0].name);
    rise_pairs p;
    if (rise_relabel_build(&ts, &c, &p) == RISE_OK) {
        for (int64_t i = 0; i < p.n; ++i) {
            check(p.obs_idx[i] >= 0 && p.obs_idx[i] < ts.n && !ts.expert[p.obs_idx[i]]);
            check(p.act_idx[i] >= 0 && p.act_idx[i] < ts.n && p.dist[i] <= c.threshold * 1.0001f);
        }
        rise_pairs_free(&p);
    }
    rise_trainset_free(&ts);
}

static char tmp_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    snprintf(tmp_path, sizeof tmp_path, "/tmp/rise_fuzz_%ld.h5", (long)getpid());
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bytes b = {data, size, 0};
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_core(fapl, 1 << 14, 0);
    hid_t f = H5Fcreate("fuzz-gen", H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (f < 0) return 0;
    const unsigned layout = pick(&b, 8);
    if (layout < 6)
        gen_robomimic(&b, f);
    else if (layout == 6)
        gen_d4rl(&b, f);
    else
        gen_minari(&b, f);
    H5Fflush(f, H5F_SCOPE_GLOBAL);
    const ssize_t len = H5Fget_file_image(f, NULL, 0);
    void *img = len > 0 ? malloc((size_t)len) : NULL;
    if (img) H5Fget_file_image(f, img, (size_t)len);
    H5Fclose(f);
    if (!img) return 0;

    rise_read_opts o;
    rise_read_opts_default(&o);
    const unsigned fk = pick(&b, 4);
    o.filter_key = fk == 0 ? "train" : (fk == 1 ? "nope" : NULL);
    const char *keys[2] = {key_pool[pick(&b, 4)], key_pool[pick(&b, 4)]};
    const unsigned nk = pick(&b, 4);
    o.obs_keys = nk ? keys : NULL;
    o.n_obs_keys = nk == 0 ? 0 : (nk == 1 ? 1 : 2);
    o.allow_nonfinite = pick(&b, 4) == 0;
    rise_episodes e;
    if (rise_episodes_load_image(img, (size_t)len, "fuzz", &o, &e) == RISE_OK) {
        int64_t rows = 0;
        for (int64_t d = 0; d < e.n_demos; ++d) {
            check(e.demos[d].start == rows && e.demos[d].length > 0);
            rows += e.demos[d].length;
        }
        check(rows == e.n && e.n > 0);
        if (!o.allow_nonfinite) check(rise_episodes_count_nonfinite(&e) == 0);
        /* Write -> read must give the same values back. */
        if (rise_episodes_write(&e, tmp_path) == RISE_OK) {
            const char *names[8];
            for (int k = 0; k < e.n_keys && k < 8; ++k) names[k] = e.keys[k].name;
            rise_read_opts o2;
            rise_read_opts_default(&o2);
            o2.obs_keys = names;
            o2.n_obs_keys = e.n_keys;
            rise_episodes r;
            check(rise_episodes_load(tmp_path, &o2, &r) == RISE_OK);
            check(same_episodes(&e, &r));
            rise_episodes_free(&r);
            downstream(&b, tmp_path);
            remove(tmp_path);
        } else {
            check(rise_episodes_count_nonfinite(&e) > 0); /* the only reason to refuse */
        }
        rise_episodes_free(&e);
    }
    free(img);
    return 0;
}
