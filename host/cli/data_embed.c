/* cli/data_embed.c - `rise data embed`: a trained image policy's encoder features of every frame
 * of a dataset, written into the file for neighbour relabelling (data.relabel_keys): the
 * built-in alternative to scripts/embed_images.py's DINOv2 features, in the same layout.
 *
 *   rise data embed runs/img_bc data/img_expert.h5 data/img_play.h5
 *   rise train ... --set data.relabel_keys=agentview_image_embedding --set relabel.enable=true
 *
 * The run's checkpoint is loaded as `rise eval` loads it (the EMA weights for diffusion
 * policies); data/embed.h does the file work. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/train_run.h"
#include "args.h"
#include "cli.h"
#include "data/embed.h"
#include "host/progress.h"

static void embed_usage(FILE *f) {
    fprintf(f, "usage: rise data embed RUN_DIR FILE.h5... [--camera NAME] [--checkpoint PATH]\n"
               "                       [--batch N] [--backend B] [--force]\n"
               "Writes the features of a trained image policy's encoder for every frame of each\n"
               "file, in place: data/demo_*/obs/NAME (uint8 [N, H, W, C]) -> obs/NAME_embedding\n"
               "(float32 [N, feat_dim]), and next_obs/ where the file has it; the layout of\n"
               "scripts/embed_images.py. Relabel on them with\n"
               "  rise train ... --set data.relabel_keys=NAME_embedding --set relabel.enable=true\n"
               "Frames are centre-cropped as in evaluation; diffusion policies use their EMA\n"
               "weights. Each embedding records its run, checkpoint and step as attributes.\n\n"
               "  --camera NAME      the camera to embed (default: the run's first camera)\n"
               "  --checkpoint PATH  checkpoint to load (default RUN_DIR/checkpoint.h5)\n"
               "  --batch N          frames read and encoded at a time (default 256)\n"
               "  --backend B        cpu | ref | cuda (default: the run's train.backend)\n"
               "  --force            replace existing embeddings (else they are kept)\n");
}

/* rise_embed_fn over the policy's encoder: ctx is the rise_frame_embedder. */
static rise_status encode(void *ctx, int n, const uint8_t *frames, float *out) {
    return rise_frame_embedder_run(ctx, n, frames, out);
}

/* An absolute path for the provenance attributes (the path as given when it cannot be). */
static void absolute(const char *path, char *out, size_t n) {
    char buf[PATH_MAX];
    const char *p = realpath(path, buf) ? buf : path;
    if (strlen(p) < n)
        memcpy(out, p, strlen(p) + 1);
    else
        snprintf(out, n, "%.*s", (int)n - 1, p);
}

/* The file work of every input, with the loaded agent. */
static int embed_files(rise_agent *agent, const rise_train_config *cfg, const char *run,
                       const char *ckpt, const char *camera, int batch, int force,
                       const char *const *files, int n_files) {
    rise_frame_embedder *emb = NULL;
    rise_camera_shape shape;
    char cam_name[RISE_OBS_CAMERA_NAME_MAX];
    int cam = 0, feat = 0;
    if (rise_agent_camera_find(agent, camera, &cam, cam_name, &shape, &feat) != RISE_OK ||
        rise_frame_embedder_create(agent, cam, batch, &emb) != RISE_OK) {
        fprintf(stderr, "rise data embed: %s: %s\n", run, rise_last_error());
        return 1;
    }
    const char *weights = rise_agent_embed_weights(agent);
    char run_abs[PATH_MAX + 64], ckpt_abs[PATH_MAX + 64], ckpt_path[PATH_MAX + 32], from[400],
        crop[64];
    snprintf(ckpt_path, sizeof ckpt_path, "%s/checkpoint.h5", run);
    absolute(run, run_abs, sizeof run_abs);
    absolute(ckpt ? ckpt : ckpt_path, ckpt_abs, sizeof ckpt_abs);
    snprintf(from, sizeof from, "the run's camera %s (%s)", cam_name, run);
    const rise_obs_encoder_config *vc = &rise_agent_cfg(agent)->vision;
    snprintf(crop, sizeof crop, "%dx%d centred", vc->crop_h, vc->crop_w);
    rise_embed_opts o = {.camera = cam_name,
                         .h = shape.h,
                         .w = shape.w,
                         .c = shape.c,
                         .shape_from = from,
                         .feat_dim = feat,
                         .batch = batch,
                         .force = force,
                         .fn = encode,
                         .ctx = emb,
                         .n_attrs = 7,
                         .attr_names = {"embedding_source", "run_dir", "checkpoint", "algorithm",
                                        "weights", "camera", "crop"},
                         .attr_values = {"rise data embed: the policy's image encoder", run_abs,
                                         ckpt_abs, cfg->train_algo, weights, cam_name, crop},
                         .step = rise_agent_step_count(agent)};
    int rc = 0;
    for (int i = 0; i < n_files; ++i) {
        rise_embed_result r;
        const double t0 = rise_progress_now();
        if (rise_data_embed(files[i], &o, &r) != RISE_OK) {
            fprintf(stderr, "rise data embed: %s\n", rise_last_error());
            rc = 1;
            continue;
        }
        const double dt = rise_progress_now() - t0;
        if (r.written)
            printf("%s: wrote %s_embedding (%d features; %s step %lld, %s weights) into %lld "
                   "groups of %lld demos: %lld frames in %.2f s (%.0f frames/s)\n",
                   files[i], cam_name, feat, run, (long long)o.step, weights, (long long)r.written,
                   (long long)r.demos, (long long)r.frames, dt,
                   dt > 0 ? (double)r.frames / dt : 0.0);
        if (r.kept)
            printf("%s: kept the existing %s_embedding of %lld groups%s (--force replaces "
                   "them)\n",
                   files[i], cam_name, (long long)r.kept, r.written ? "" : "; file unchanged");
    }
    rise_frame_embedder_free(emb);
    return rc;
}

/* The command, with room in files for every operand (argc). */
static int embed_command(int argc, char **argv, const char **files) {
    const char *run = NULL, *ckpt = NULL, *camera = NULL, *backend = NULL;
    int n_files = 0, force = 0;
    long batch = 256;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        int ok = 1;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            embed_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--camera"))
            ok = rise_arg_string(argc, argv, &i, &camera);
        else if (!strcmp(a, "--checkpoint"))
            ok = rise_arg_string(argc, argv, &i, &ckpt);
        else if (!strcmp(a, "--backend"))
            ok = rise_arg_string(argc, argv, &i, &backend);
        else if (!strcmp(a, "--batch"))
            ok = rise_arg_long(argc, argv, &i, 1, 65536, &batch);
        else if (!strcmp(a, "--force"))
            force = 1;
        else if (a[0] == '-') {
            fprintf(stderr, "rise data embed: unknown option '%s' (see rise data embed --help)\n",
                    a);
            return 2;
        } else if (!run)
            run = a;
        else
            files[n_files++] = a;
        if (!ok) return 2;
    }
    if (!run || n_files == 0) {
        fprintf(stderr, "rise data embed: give a run directory and at least one dataset file "
                        "(usage: rise data embed RUN_DIR FILE.h5...)\n");
        return 2;
    }
    rise_train_config cfg;
    rise_backend *be;
    rise_agent *agent;
    int rc = 1;
    if (rise_train_open_run(run, ckpt, backend, &cfg, &be, &agent) == RISE_OK)
        rc = embed_files(agent, &cfg, run, ckpt, camera, (int)batch, force, files, n_files);
    else
        fprintf(stderr, "rise data embed: %s\n", rise_last_error());
    rise_agent_free(agent);
    rise_backend_destroy(be);
    return rc;
}

int rise_cmd_data_embed(int argc, char **argv) {
    const char **files = malloc(sizeof *files * (size_t)argc);
    if (!files) {
        fprintf(stderr, "rise data embed: out of memory\n");
        return 1;
    }
    const int rc = embed_command(argc, argv, files);
    free(files);
    return rc;
}
