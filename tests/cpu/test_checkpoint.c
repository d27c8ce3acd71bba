/* test_checkpoint.c - host/checkpoint.h: every piece type round-trips; a
 * missing dataset, a wrong length and a wrong type are refused with messages
 * naming the file and the dataset; commit replaces a checkpoint atomically
 * (the old one stays readable until the rename, abort and a crashed writer
 * leave it unchanged, abort leaves no temporary file); a failed piece stops
 * the commit; a truncated file is an error, not a crash; the same content
 * writes byte-identical files even a clock tick apart; normalisation
 * statistics go through rise_ckpt_group / rise_ckpt_loc. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "data/normalize.h"
#include "host/checkpoint.h"
#include "test_util.h"

enum { N_POLICY = 1000, N_CRITIC = 37 };

static float policy[N_POLICY], critic[N_CRITIC];
static rise_norm_stats norm;
static const char *config = "{\"algo\": \"rise\", \"lr\": 0.0003, \"name\": \"caf\xc3\xa9\"}";

static int file_exists(const char *p) {
    FILE *f = fopen(p, "rb");
    if (f) fclose(f);
    return f != NULL;
}

static long read_file(const char *p, unsigned char **out) {
    FILE *f = fopen(p, "rb");
    *out = NULL;
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    const long n = ftell(f);
    rewind(f);
    *out = malloc((size_t)(n > 0 ? n : 1));
    const long got = (long)fread(*out, 1, (size_t)n, f);
    fclose(f);
    return got == n ? n : -1;
}

static int same_bytes(const char *a, const char *b, long *na, long *nb) {
    unsigned char *x, *y;
    *na = read_file(a, &x);
    *nb = read_file(b, &y);
    const int same = *na > 0 && *na == *nb && !memcmp(x, y, (size_t)*na);
    free(x);
    free(y);
    return same;
}

/* A full checkpoint of the test content; version tags the content. */
static rise_status write_ckpt(const char *path, uint64_t version) {
    rise_ckpt_writer w;
    RISE_TRY(rise_ckpt_begin(&w, path));
    rise_status st = rise_ckpt_put_floats(&w, "params/policy", policy, N_POLICY);
    if (st == RISE_OK) st = rise_ckpt_put_floats(&w, "params/critic/q1", critic, N_CRITIC);
    if (st == RISE_OK) st = rise_ckpt_put_floats(&w, "params/empty", NULL, 0);
    if (st == RISE_OK) st = rise_ckpt_put_u64(&w, "rng/sampler_offset", UINT64_MAX - 5);
    if (st == RISE_OK) st = rise_ckpt_put_u64(&w, "version", version);
    if (st == RISE_OK) st = rise_ckpt_put_i64(&w, "step", -1234567890123LL);
    if (st == RISE_OK) st = rise_ckpt_put_string(&w, "config_json", config);
    if (st == RISE_OK) st = rise_ckpt_put_string(&w, "notes/empty", "");
    if (st == RISE_OK) st = rise_norm_save(&norm, rise_ckpt_group(&w, ""), "norm");
    if (st != RISE_OK) {
        rise_ckpt_abort(&w);
        return st;
    }
    return rise_ckpt_commit(&w);
}

static uint64_t read_version(const char *path) {
    rise_ckpt_reader r;
    uint64_t v = 0;
    if (rise_ckpt_open(&r, path) != RISE_OK) return 0;
    if (rise_ckpt_get_u64(&r, "version", &v) != RISE_OK) v = 0;
    rise_ckpt_close(&r);
    return v;
}

static void test_round_trip(const char *path) {
    TEST_CHECK(write_ckpt(path, 1) == RISE_OK, "write: %s", rise_last_error());
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    TEST_CHECK(file_exists(path) && !file_exists(tmp), "committed, no temporary file left");

    rise_ckpt_reader r;
    TEST_CHECK(rise_ckpt_open(&r, path) == RISE_OK, "open: %s", rise_last_error());
    float *p = calloc(N_POLICY, sizeof *p), c[N_CRITIC];
    TEST_CHECK(rise_ckpt_get_floats(&r, "params/policy", p, N_POLICY) == RISE_OK &&
                   !memcmp(p, policy, sizeof policy),
               "policy floats bit for bit: %s", rise_last_error());
    TEST_CHECK(rise_ckpt_get_floats(&r, "params/critic/q1", c, N_CRITIC) == RISE_OK &&
                   !memcmp(c, critic, sizeof critic),
               "nested critic floats bit for bit: %s", rise_last_error());
    int64_t n = -1;
    TEST_CHECK(rise_ckpt_float_count(&r, "params/policy", &n) == RISE_OK && n == N_POLICY,
               "float count %lld", (long long)n);
    TEST_CHECK(rise_ckpt_get_floats(&r, "params/empty", NULL, 0) == RISE_OK &&
                   rise_ckpt_float_count(&r, "params/empty", &n) == RISE_OK && n == 0,
               "empty float dataset: %s", rise_last_error());
    uint64_t u = 0;
    int64_t i = 0;
    TEST_CHECK(rise_ckpt_get_u64(&r, "rng/sampler_offset", &u) == RISE_OK && u == UINT64_MAX - 5,
               "u64 round trip (full range): %llu", (unsigned long long)u);
    TEST_CHECK(rise_ckpt_get_i64(&r, "step", &i) == RISE_OK && i == -1234567890123LL,
               "i64 round trip: %lld", (long long)i);
    char *s = NULL;
    TEST_CHECK(rise_ckpt_get_string(&r, "config_json", &s) == RISE_OK && s && !strcmp(s, config),
               "string round trip (UTF-8): %s", s ? s : rise_last_error());
    free(s);
    s = NULL;
    TEST_CHECK(rise_ckpt_get_string(&r, "notes/empty", &s) == RISE_OK && s && s[0] == '\0',
               "empty string round trip");
    free(s);
    rise_norm_stats nb;
    TEST_CHECK(rise_norm_load(&nb, rise_ckpt_loc(&r), "norm", path) == RISE_OK &&
                   !memcmp(nb.obs_shift, norm.obs_shift, 3 * sizeof(float)) &&
                   !memcmp(nb.act_scale, norm.act_scale, 2 * sizeof(float)),
               "normalisation statistics via rise_ckpt_loc: %s", rise_last_error());
    rise_norm_free(&nb);
    TEST_CHECK(rise_ckpt_has(&r, "params/policy") && rise_ckpt_has(&r, "params") &&
                   rise_ckpt_has(&r, "rng/sampler_offset") && !rise_ckpt_has(&r, "params/nope") &&
                   !rise_ckpt_has(&r, "nope/deeper") && !rise_ckpt_has(&r, "step/below"),
               "has");
    /* the layout is plain HDF5: a float32 dataset at the slash path */
    {
        hid_t ds = H5Dopen2(rise_ckpt_loc(&r), "params/critic/q1", H5P_DEFAULT);
        hid_t t = ds >= 0 ? H5Dget_type(ds) : -1;
        TEST_CHECK(t >= 0 && H5Tequal(t, H5T_IEEE_F32LE) > 0, "float32 little-endian on disk");
        if (t >= 0) H5Tclose(t);
        if (ds >= 0) H5Dclose(ds);
    }

    /* errors name the file, the dataset, the expectation and the finding */
    const char *e;
    TEST_CHECK(rise_ckpt_get_floats(&r, "params/value", p, 10) == RISE_ERR_FORMAT &&
                   strstr(e = rise_last_error(), path) && strstr(e, "params/value") &&
                   strstr(e, "missing") && strstr(e, "float32 [10]"),
               "missing dataset: %s", rise_last_error());
    TEST_CHECK(rise_ckpt_get_floats(&r, "params/policy", p, 999) == RISE_ERR_FORMAT &&
                   strstr(e = rise_last_error(), path) && strstr(e, "params/policy") &&
                   strstr(e, "1000") && strstr(e, "999"),
               "wrong length: %s", rise_last_error());
    TEST_CHECK(rise_ckpt_get_floats(&r, "step", p, 1) == RISE_ERR_FORMAT &&
                   strstr(e = rise_last_error(), path) && strstr(e, "'step'") &&
                   strstr(e, "int64") && strstr(e, "float32"),
               "wrong type (int64 as floats): %s", rise_last_error());
    TEST_CHECK(rise_ckpt_get_floats(&r, "params", p, 1) == RISE_ERR_FORMAT &&
                   strstr(rise_last_error(), "group"),
               "a group as floats: %s", rise_last_error());
    TEST_CHECK(rise_ckpt_get_u64(&r, "step", &u) == RISE_ERR_FORMAT &&
                   strstr(rise_last_error(), "-1234567890123"),
               "negative i64 as u64: %s", rise_last_error());
    TEST_CHECK(rise_ckpt_get_i64(&r, "rng/sampler_offset", &i) == RISE_ERR_FORMAT &&
                   strstr(rise_last_error(), "int64"),
               "huge u64 as i64: %s", rise_last_error());
    TEST_CHECK(rise_ckpt_get_i64(&r, "config_json", &i) == RISE_ERR_FORMAT &&
                   strstr(e = rise_last_error(), "config_json") && strstr(e, "string") &&
                   strstr(e, "int64"),
               "string as i64: %s", rise_last_error());
    TEST_CHECK(rise_ckpt_get_string(&r, "params/policy", &s) == RISE_ERR_FORMAT &&
                   strstr(e = rise_last_error(), "float32") && strstr(e, "string"),
               "floats as string: %s", rise_last_error());
    TEST_CHECK(rise_ckpt_get_u64(&r, "rng/missing", &u) == RISE_ERR_FORMAT &&
                   strstr(e = rise_last_error(), path) && strstr(e, "rng/missing"),
               "missing u64: %s", rise_last_error());
    rise_ckpt_close(&r);
    rise_ckpt_close(&r); /* twice is harmless */
    free(p);

    TEST_CHECK(rise_ckpt_open(&r, "no_such_dir/ckpt.h5") == RISE_ERR_IO &&
                   strstr(rise_last_error(), "no_such_dir/ckpt.h5"),
               "missing file: %s", rise_last_error());
}

static void test_bad_writes(const char *path) {
    TEST_CHECK(write_ckpt(path, 7) == RISE_OK, "write v7: %s", rise_last_error());
    rise_ckpt_writer w;
    TEST_CHECK(rise_ckpt_begin(&w, path) == RISE_OK, "begin");
    TEST_CHECK(rise_ckpt_put_u64(&w, "version", 8) == RISE_OK, "put version");
    TEST_CHECK(rise_ckpt_put_floats(&w, "version", policy, 3) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "twice"),
               "a name written twice: %s", rise_last_error());
    TEST_CHECK(rise_ckpt_put_i64(&w, "version/sub", 1) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "dataset"),
               "below a dataset: %s", rise_last_error());
    TEST_CHECK(rise_ckpt_put_i64(&w, "/abs", 1) == RISE_ERR_INVALID &&
                   rise_ckpt_put_i64(&w, "a//b", 1) == RISE_ERR_INVALID &&
                   rise_ckpt_put_i64(&w, "", 1) == RISE_ERR_INVALID,
               "bad names refused");
    const rise_status st = rise_ckpt_commit(&w);
    TEST_CHECK(st == RISE_ERR_INVALID && strstr(rise_last_error(), "not written") &&
                   strstr(rise_last_error(), "twice"),
               "commit refuses after a failed piece, with the first error: %s", rise_last_error());
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    TEST_CHECK(read_version(path) == 7 && !file_exists(tmp),
               "old checkpoint kept, temporary removed");
    rise_ckpt_abort(&w); /* after commit: nothing to do */
    TEST_CHECK(rise_ckpt_put_u64(&w, "x", 1) == RISE_ERR_INVALID, "put after commit refused");
    TEST_CHECK(rise_ckpt_begin(&w, "no_such_dir/x.h5") == RISE_ERR_IO &&
                   strstr(rise_last_error(), "no_such_dir/x.h5"),
               "begin in a missing directory: %s", rise_last_error());
}

static void test_atomic_replace(const char *path) {
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    TEST_CHECK(write_ckpt(path, 1) == RISE_OK, "write v1: %s", rise_last_error());
    unsigned char *before;
    const long n_before = read_file(path, &before);

    /* While a new checkpoint is being written the old one is intact. */
    rise_ckpt_writer w;
    TEST_CHECK(rise_ckpt_begin(&w, path) == RISE_OK, "begin v2");
    rise_ckpt_put_floats(&w, "params/policy", policy, N_POLICY);
    rise_ckpt_put_u64(&w, "version", 2);
    TEST_CHECK(file_exists(tmp), "writes go to %s", tmp);
    TEST_CHECK(read_version(path) == 1, "old checkpoint readable during the write");
    rise_ckpt_abort(&w);
    unsigned char *after;
    const long n_after = read_file(path, &after);
    TEST_CHECK(n_after == n_before && !memcmp(before, after, (size_t)n_before),
               "abort leaves the old file byte for byte");
    TEST_CHECK(!file_exists(tmp), "abort removes the temporary file");
    free(after);

    /* A writer that dies mid-write (no commit, no abort) leaves it too. */
    fflush(NULL);
    const pid_t child = fork();
    if (child == 0) {
        rise_ckpt_writer cw;
        if (rise_ckpt_begin(&cw, path) != RISE_OK) _exit(3);
        rise_ckpt_put_floats(&cw, "params/policy", policy, N_POLICY);
        rise_ckpt_put_u64(&cw, "version", 3);
        _exit(0); /* "crash": the temporary file is left half written */
    }
    int status = 0;
    waitpid(child, &status, 0);
    char ctmp[512];
    snprintf(ctmp, sizeof ctmp, "%s.tmp.%ld", path, (long)child);
    after = NULL;
    const long n_crash = read_file(path, &after);
    TEST_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0 && file_exists(ctmp),
               "the crashed writer left its temporary file");
    TEST_CHECK(n_crash == n_before && after && !memcmp(before, after, (size_t)n_before) &&
                   read_version(path) == 1,
               "a crashed writer leaves the old checkpoint intact");
    free(after);
    remove(ctmp);

    /* Commit replaces it. */
    rise_ckpt_writer w2;
    TEST_CHECK(rise_ckpt_begin(&w2, path) == RISE_OK, "begin v4");
    rise_ckpt_put_u64(&w2, "version", 4);
    TEST_CHECK(rise_ckpt_commit(&w2) == RISE_OK, "commit v4: %s", rise_last_error());
    TEST_CHECK(read_version(path) == 4 && !file_exists(tmp), "commit replaced the checkpoint");
    free(before);
}

static void test_truncated(const char *path) {
    const char *half = "test_checkpoint_half.h5";
    TEST_CHECK(write_ckpt(path, 1) == RISE_OK, "write: %s", rise_last_error());
    unsigned char *bytes;
    const long n = read_file(path, &bytes);
    const long cuts[3] = {n / 2, n - 100, 40};
    for (int k = 0; k < 3; ++k) {
        FILE *f = fopen(half, "wb");
        fwrite(bytes, 1, (size_t)cuts[k], f);
        fclose(f);
        rise_ckpt_reader r;
        float *p = malloc(sizeof policy);
        rise_status st = rise_ckpt_open(&r, half);
        /* If a damaged file opens at all, reading it must fail cleanly. */
        if (st == RISE_OK) {
            st = rise_ckpt_get_floats(&r, "params/policy", p, N_POLICY);
            rise_ckpt_close(&r);
        }
        TEST_CHECK(st == RISE_ERR_FORMAT && strstr(rise_last_error(), half),
                   "file cut to %ld of %ld bytes is an error naming it: %s", cuts[k], n,
                   rise_last_error());
        free(p);
    }
    free(bytes);
    remove(half);
}

static void test_byte_identical(void) {
    const char *a = "test_checkpoint_a.h5", *b = "test_checkpoint_b.h5",
               *c = "test_checkpoint_c.h5";
    TEST_CHECK(write_ckpt(a, 1) == RISE_OK, "write a: %s", rise_last_error());
    /* HDF5 time stamps have 1 s resolution: let the clock tick first. */
    const time_t t0 = time(NULL);
    while (time(NULL) == t0) nanosleep(&(struct timespec){0, 20000000}, NULL);
    TEST_CHECK(write_ckpt(b, 1) == RISE_OK, "write b: %s", rise_last_error());
    TEST_CHECK(write_ckpt(c, 2) == RISE_OK, "write c: %s", rise_last_error());
    long na, nb;
    const int same = same_bytes(a, b, &na, &nb);
    TEST_CHECK(same, "same content, byte-identical files (%ld, %ld bytes)", na, nb);
    TEST_CHECK(!same_bytes(a, c, &na, &nb) && na > 0 && nb > 0,
               "different content, different bytes");
    printf("checkpoint of %d floats: %ld bytes, %s across writes a clock tick apart\n",
           N_POLICY + N_CRITIC, na, same ? "byte-identical" : "NOT byte-identical");
    remove(a);
    remove(b);
    remove(c);
}

static void test_norm_group(const char *path) {
    rise_norm_stats s, back;
    float obs[12], act[8];
    test_fill_random(obs, 12, 5, -3.0f, 3.0f);
    test_fill_random(act, 8, 6, -1.0f, 1.0f);
    TEST_CHECK(rise_norm_fit_arrays(&s, obs, act, 4, 3, 2, RISE_NORM_GAUSSIAN, RISE_NORM_MINMAX) ==
                   RISE_OK,
               "fit");
    rise_ckpt_writer w;
    TEST_CHECK(rise_ckpt_begin(&w, path) == RISE_OK, "begin");
    const hid_t g = rise_ckpt_group(&w, "model");
    TEST_CHECK(g >= 0 && rise_ckpt_group(&w, "model") >= 0, "group created and reopened");
    TEST_CHECK(rise_norm_save(&s, g, "norm") == RISE_OK, "norm save: %s", rise_last_error());
    TEST_CHECK(rise_norm_save(&s, rise_ckpt_group(&w, ""), "norm") == RISE_OK,
               "norm save at the root: %s", rise_last_error());
    TEST_CHECK(rise_ckpt_put_floats(&w, "model/weights", policy, 5) == RISE_OK,
               "floats beside a caller-filled group");
    TEST_CHECK(rise_ckpt_commit(&w) == RISE_OK, "commit: %s", rise_last_error());

    /* a dataset the caller left open stops the commit */
    rise_ckpt_writer w2;
    TEST_CHECK(rise_ckpt_begin(&w2, "test_checkpoint_open.h5") == RISE_OK, "begin");
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t ds = H5Dcreate2(rise_ckpt_group(&w2, "x"), "d", H5T_STD_I32LE, sp, H5P_DEFAULT,
                          H5P_DEFAULT, H5P_DEFAULT);
    TEST_CHECK(rise_ckpt_commit(&w2) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "still open") &&
                   !file_exists("test_checkpoint_open.h5"),
               "open object refused: %s", rise_last_error());
    H5Dclose(ds);
    H5Sclose(sp);
    char tmp[512];
    snprintf(tmp, sizeof tmp, "test_checkpoint_open.h5.tmp.%ld", (long)getpid());
    TEST_CHECK(!file_exists(tmp), "no temporary file left");

    rise_ckpt_reader r;
    TEST_CHECK(rise_ckpt_open(&r, path) == RISE_OK, "open");
    TEST_CHECK(rise_norm_load(&back, rise_ckpt_loc(&r), "model/norm", path) == RISE_OK &&
                   back.obs_dim == 3 && back.act_dim == 2 && back.obs_mode == RISE_NORM_GAUSSIAN &&
                   !memcmp(back.obs_scale, s.obs_scale, 3 * sizeof(float)) &&
                   !memcmp(back.act_shift, s.act_shift, 2 * sizeof(float)),
               "norm statistics round trip: %s", rise_last_error());
    TEST_CHECK(rise_ckpt_has(&r, "norm/obs_shift"), "root norm group");
    rise_norm_free(&back);
    rise_ckpt_close(&r);
    rise_norm_free(&s);
}

int main(void) {
    test_fill_random(policy, N_POLICY, 1, -2.0f, 2.0f);
    test_fill_random(critic, N_CRITIC, 2, -1.0f, 1.0f);
    policy[3] = -0.0f;
    float obs[12], act[8];
    test_fill_random(obs, 12, 3, -3.0f, 3.0f);
    test_fill_random(act, 8, 4, -1.0f, 1.0f);
    if (rise_norm_fit_arrays(&norm, obs, act, 4, 3, 2, RISE_NORM_GAUSSIAN, RISE_NORM_MINMAX) !=
        RISE_OK) {
        fprintf(stderr, "FAIL: norm fit: %s\n", rise_last_error());
        return 1;
    }
    const char *path = "test_checkpoint.h5";
    test_round_trip(path);
    test_bad_writes(path);
    test_atomic_replace(path);
    test_truncated(path);
    test_byte_identical();
    test_norm_group(path);
    remove(path);
    rise_norm_free(&norm);
    return test_finish();
}
