/* bench_images.c - the cost of camera frames: the image pipeline's frames/s and the
 * training steps/s of agents that read frames.
 *
 *   build/benchmarks/bench_images [--size 84] [--batches 64,256] [--steps N] [--backend
 * cpu|ref|cuda]
 *                                 [--set KEY=VALUE ...]
 *
 * Data: the maze's rendered view at --size (rise gen --obs both: 30 expert and 30 play
 * episodes, written to a temporary folder), agent_pos + agentview_image, the default image
 * encoder (encoder.* settings, robomimic's 84 -> 76 crop) unless --set changes it.
 * 1. The pipeline, per batch of B rows with a history of 2 frames (2 B frames): the frames
 *    gathered from memory on the host (rise_gather_frames) and uploaded, cropped to floats on
 *    the backend (crop_frames), the encoder's forward and its backward; milliseconds of each and
 *    frames/s of the whole.
 * 2. Training: bc_diffusion (policy encoder) and rise (policy encoder + Q1, Q2, V encoders,
 *    relabelled pairs on agent_pos) at each batch, 1 warm-up step and N timed steps (default 5):
 *    steps/s and frames/s (policy frames per step).
 * The first line names the processor; the second the backend (on CUDA, whether conv2d runs on
 * cuDNN) and the encoder. Validation: every loss read back must be finite. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "algorithms/agent_config.h"
#include "algorithms/obs_encoder.h"
#include "algorithms/train_config.h"
#include "data/frames.h"
#include "envs/gen.h"
#include "host/cpu_info.h"
#include "host/runtime.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* " (conv2d: cuDNN)" or " (conv2d: im2col + cuBLAS)" on the CUDA backend, else "". */
static const char *conv2d_path(rise_backend *be) {
#ifdef RISE_WITH_CUDA
    if (strcmp(be->name, "cuda")) return "";
    void *cublas, *cudnn;
    rise_backend_cuda_libs(be, &cublas, &cudnn);
    const rise_conv2d_shape s = conv2d_make_shape(64, 76, 76, 3, 32, 3, 3, 2, 1);
    return conv2d_cuda_pick(&s, cudnn) == 3 ? " (conv2d: cuDNN)" : " (conv2d: im2col + cuBLAS)";
#else
    (void)be;
    return "";
#endif
}

static rise_status gen(const char *kind_name, int n, uint64_t seed, int size, const char *path) {
    rise_gen_kind kind;
    rise_gen_kind_parse(kind_name, &kind);
    rise_gen_opts o;
    rise_gen_opts_default(&o);
    o.obs = RISE_GEN_OBS_BOTH;
    o.image_size = size;
    rise_episode_buf *bufs = calloc((size_t)n, sizeof *bufs);
    rise_gen_stats stats;
    rise_env *env = NULL;
    rise_status st = bufs ? rise_env_create("maze", NULL, &env) : RISE_ERR_NOMEM;
    if (st == RISE_OK)
        st = rise_gen_run("maze", NULL, kind, &o, seed, n, 1, bufs, &stats, NULL, NULL);
    if (st == RISE_OK) st = rise_gen_write(path, env, kind, &o, seed, bufs, n);
    for (int i = 0; bufs && i < n; ++i) rise_episode_buf_free(&bufs[i]);
    free(bufs);
    rise_env_destroy(env);
    return st;
}

/* The pipeline on B rows: ms of gather + upload, crop, forward, backward. */
static rise_status pipeline(rise_backend *be, const rise_trainset *ts, const rise_agent_config *ac,
                            int B, int reps, double ms[4]) {
    const int To = 2, n = B * To;
    rise_obs_encoder_config vc = ac->vision;
    vc.lowdim = 0, vc.frames = To;
    rise_obs_encoder e;
    rise_params p;
    rise_params_init(&p);
    RISE_TRY(rise_obs_encoder_register(&e, &p, "enc", &vc));
    RISE_TRY(rise_params_alloc(&p, be, 0));
    rise_params_init_values(&p, 1);
    const rise_camera_shape *cam = &vc.cam[0];
    const size_t fb = (size_t)cam->h * cam->w * cam->c;
    uint8_t *h = malloc(fb * n), *d = be->alloc(be, fb * n);
    int64_t *idx = malloc(sizeof(int64_t) * B);
    float *dout = be->alloc(be, sizeof(float) * (size_t)n * e.frame_dim);
    if (!h || !d || !idx || !dout) return rise_error(RISE_ERR_NOMEM, "bench: out of memory");
    be->fill(be, dout, 1e-3f, (size_t)n * e.frame_dim);
    const uint8_t *frames[1] = {d};
    rise_arena ar;
    rise_arena_init_measure(&ar);
    rise_obs_encoder_tape t;
    const rise_rng rng = {1, 2, 0, NULL, 0, 0, 0, 0};
    rise_obs_encoder_forward(&e, be, p.value, &ar, &t, NULL, frames, B, 1, rng);
    rise_obs_encoder_backward(&e, be, p.value, p.grad, &ar, &t, dout);
    RISE_TRY(rise_arena_init(&ar, be, ar.peak + RISE_ARENA_ALIGN_FLOATS));
    /* the crop alone, to split it from the encoder */
    float *crop = be->alloc(be, sizeof(float) * (size_t)n * vc.crop_h * vc.crop_w * cam->c);
    memset(ms, 0, 4 * sizeof(double));
    for (int r = 0; r <= reps; ++r) {
        for (int b = 0; b < B; ++b) idx[b] = (int64_t)((b * 7919 + r * 104729) % ts->n);
        double t0 = now();
        RISE_TRY(rise_gather_frames(ts, 0, idx, B, To, 0, h));
        be->upload(be, d, h, fb * n);
        RISE_TRY(be->sync(be));
        double t1 = now();
        be->crop_frames(be, crop, vc.crop_h * vc.crop_w * cam->c, 0, d, n, cam->h, cam->w, cam->c,
                        vc.crop_h, vc.crop_w, 1, rng);
        RISE_TRY(be->sync(be));
        double t2 = now();
        rise_arena_rewind(&ar, 0);
        rise_obs_encoder_forward(&e, be, p.value, &ar, &t, NULL, frames, B, 1, rng);
        RISE_TRY(be->sync(be));
        double t3 = now();
        rise_obs_encoder_backward(&e, be, p.value, p.grad, &ar, &t, dout);
        RISE_TRY(be->sync(be));
        double t4 = now();
        if (r == 0) continue; /* warm-up */
        ms[0] += 1e3 * (t1 - t0) / reps, ms[1] += 1e3 * (t2 - t1) / reps;
        ms[2] += 1e3 * (t3 - t2) / reps, ms[3] += 1e3 * (t4 - t3) / reps;
    }
    rise_arena_free(&ar);
    be->free(be, crop), be->free(be, d), be->free(be, dout);
    free(h), free(idx);
    rise_params_free(&p);
    return RISE_OK;
}

static rise_status train_case(rise_backend *be, const rise_trainset *ts,
                              const rise_train_config *base, const char *algo, int B, int steps,
                              double *per_s) {
    rise_train_config c = *base;
    char kv[64];
    snprintf(kv, sizeof kv, "train.algo=%s", algo);
    RISE_TRY(rise_train_config_set(&c, kv));
    snprintf(kv, sizeof kv, "train.batch=%d", B);
    RISE_TRY(rise_train_config_set(&c, kv));
    if (!strcmp(algo, "rise")) {
        RISE_TRY(rise_train_config_set(&c, "relabel.enable=true"));
        RISE_TRY(rise_train_config_set(&c, "spectral.mode=code"));
    }
    rise_camera_shape cam = {ts->cams[0].h, ts->cams[0].w, ts->cams[0].c};
    rise_agent_config ac;
    RISE_TRY(rise_agent_config_from_train(&c, (int)ts->obs_dim, (int)ts->act_dim, 1, &cam, &ac));
    rise_agent *a = NULL;
    rise_status st = rise_agent_create(&ac, be, &ts->norm, &a);
    if (st == RISE_OK) st = rise_agent_attach_data(a, ts);
    if (st == RISE_OK) st = rise_agent_step(a); /* warm-up */
    if (st == RISE_OK) st = be->sync(be);
    const double t0 = now();
    for (int i = 0; st == RISE_OK && i < steps; ++i) st = rise_agent_step(a);
    if (st == RISE_OK) st = be->sync(be);
    *per_s = steps / (now() - t0);
    rise_agent_metrics m;
    if (st == RISE_OK) st = rise_agent_metrics_read(a, &m); /* NaN check */
    rise_agent_free(a);
    return st;
}

int main(int argc, char **argv) {
    rise_runtime_policy(argv); /* the rise command's OpenMP policy */
    int size = 84, steps = 5, batches[8] = {64, 256}, nb = 2;
    const char *backend = "cpu";
    rise_train_config base;
    rise_train_config_default(&base);
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--size") && v)
            size = atoi(argv[++i]);
        else if (!strcmp(a, "--steps") && v)
            steps = atoi(argv[++i]);
        else if (!strcmp(a, "--backend") && v)
            backend = argv[++i];
        else if (!strcmp(a, "--batches") && v) {
            nb = 0;
            for (char *s = argv[++i], *e; *s && nb < 8; s = *e ? e + 1 : e)
                batches[nb++] = (int)strtol(s, &e, 10);
        } else if (!strcmp(a, "--set") && v) {
            if (rise_train_config_set(&base, argv[++i]) != RISE_OK) {
                fprintf(stderr, "bench_images: --set %s: %s\n", argv[i], rise_last_error());
                return 2;
            }
        } else {
            fprintf(stderr, "usage: bench_images [--size 84] [--batches 64,256] [--steps N] "
                            "[--backend cpu|ref|cuda] [--set KEY=VALUE ...]\n");
            return 2;
        }
    }
    if (size < 8 || steps < 1 || nb < 1) {
        fprintf(stderr, "bench_images: --size >= 8, --steps >= 1, --batches not empty\n");
        return 2;
    }
    printf("%s\n", rise_cpu_description());
    rise_status st;
    rise_backend *be = rise_backend_create(backend, &st);
    if (!be) {
        fprintf(stderr, "bench_images: %s\n", rise_last_error());
        return st == RISE_ERR_NO_DEVICE ? 77 : 1;
    }
    char dir[] = "/tmp/rise_bench_images_XXXXXX", path[2][300], json[1024];
    if (!mkdtemp(dir)) return 1;
    snprintf(path[0], sizeof path[0], "%s/expert.h5", dir);
    snprintf(path[1], sizeof path[1], "%s/play.h5", dir);
    st = gen("expert", 30, 1, size, path[0]);
    if (st == RISE_OK) st = gen("play", 30, 2, size, path[1]);
    snprintf(json, sizeof json,
             "{\"sources\": [{\"path\": \"%s\", \"role\": \"expert\"}, {\"path\": \"%s\", "
             "\"role\": \"non_expert\"}], \"obs_keys\": [\"agent_pos\", \"agentview_image\"]}",
             path[0], path[1]);
    rise_data_spec spec;
    rise_trainset ts;
    if (st == RISE_OK) st = rise_data_spec_from_json(&spec, json, NULL);
    if (st == RISE_OK) st = rise_trainset_build(&spec, &ts);
    if (st == RISE_OK) st = rise_trainset_normalize(&ts, NULL);
    rise_agent_config ac;
    const rise_camera_shape cam = {size, size, 3};
    if (st == RISE_OK)
        st = rise_agent_config_from_train(&base, (int)ts.obs_dim, (int)ts.act_dim, 1, &cam, &ac);
    if (st == RISE_OK)
        printf("backend %s%s, %dx%dx3 frames cropped to %dx%d, encoder %s channels %s%s%s, %d "
               "features; %lld transitions in memory\n",
               backend, conv2d_path(be), size, size, ac.vision.crop_h, ac.vision.crop_w,
               base.encoder_trunk, base.encoder_channels,
               ac.vision.enc.trunk == RISE_TRUNK_CONV ? " strides " : "",
               ac.vision.enc.trunk == RISE_TRUNK_CONV ? base.encoder_strides : "",
               ac.vision.enc.feat_dim, (long long)ts.n);
    printf("\n%-8s %12s %10s %10s %10s %10s\n", "frames", "gather+up ms", "crop ms", "fwd ms",
           "bwd ms", "frames/s");
    for (int b = 0; st == RISE_OK && b < nb; ++b) {
        double ms[4];
        st = pipeline(be, &ts, &ac, batches[b], 3, ms);
        if (st == RISE_OK)
            printf("%-8d %12.2f %10.2f %10.2f %10.2f %10.0f\n", 2 * batches[b], ms[0], ms[1], ms[2],
                   ms[3], 2e3 * batches[b] / (ms[0] + ms[1] + ms[2] + ms[3]));
    }
    printf("\n%-14s %6s %10s %14s\n", "agent", "batch", "steps/s", "policy frames/s");
    const char *algos[2] = {"bc_diffusion", "rise"};
    for (int k = 0; st == RISE_OK && k < 2; ++k)
        for (int b = 0; st == RISE_OK && b < nb; ++b) {
            double per_s = 0;
            st = train_case(be, &ts, &base, algos[k], batches[b], steps, &per_s);
            if (st == RISE_OK)
                printf("%-14s %6d %10.2f %14.0f\n", algos[k], batches[b], per_s,
                       per_s * batches[b] * ac.obs_horizon);
        }
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    if (st != RISE_OK) {
        fprintf(stderr, "bench_images: %s\n", rise_last_error());
        return 1;
    }
    rise_backend_destroy(be);
    return 0;
}
