/* cli/gen.c - `rise gen`: generate a dataset of one kind for a task and
 * write it as robomimic-layout HDF5.
 *
 *   rise gen --task maze --kind expert --episodes 100 --seed 0 --out expert.h5
 *   rise gen --task maze --kind play --episodes 200 --out play.h5 --settings '{"horizon": 400}'
 *   rise gen --task maze --kind expert --episodes 100 --obs both --image-size 84 --out img.h5
 *
 * Episodes are generated in parallel into memory (episode i is a function
 * of the seed and i only), then written in order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "args.h"
#include "host/paths.h"
#include "envs/gen.h"
#include "host/progress.h"

typedef struct {
    const char *task, *kind, *out, *settings;
    long episodes, seed, threads;
    rise_gen_opts g;
    int quiet;
} gen_options;

static void gen_usage(FILE *f, const gen_options *d) {
    fprintf(f,
            "usage: rise gen --kind KIND --out FILE [options]\n"
            "Generates episodes of a task's scripted agents and writes robomimic-layout HDF5\n"
            "(data/demo_N/{obs/<key>,next_obs/<key>,actions,rewards,dones,states}, env_args,\n"
            "mask/<kind>).\n\n"
            "  --task T            task (default %s; `rise gen --task T --help-settings`)\n"
            "  --kind K            expert | play | partial | suboptimal | noisy (default %s)\n"
            "  --episodes N        episodes to write (default %ld)\n"
            "  --seed S            seed of every random choice (default %ld)\n"
            "  --out FILE          output .hdf5 file (required)\n"
            "  --settings JSON     task settings, e.g. '{\"horizon\": 400}' (default {})\n"
            "  --threads N         worker threads, 0 = all cores (default %ld)\n"
            "  --play-noise X      action noise std of play (default %g)\n"
            "  --suboptimal-noise X  action noise std of suboptimal demos (default %g)\n"
            "  --noisy-noise X     action noise std of noisy rollouts (default %g)\n"
            "  --partial-min X     partial demos keep at least this fraction (default %g)\n"
            "  --partial-max X     ... and at most this one (default %g)\n"
            "  --play-min-steps N  redraw play episodes cut shorter than this (default %d)\n"
            "  --max-attempts N    tries per kept episode (default %d)\n"
            "  --obs O             lowdim | image | both: the env's low-dim keys, a rendered\n"
            "                      camera view obs/agentview_image (uint8 HxWx3: the maze's\n"
            "                      top-down view, the MuJoCo tasks' front camera), or\n"
            "                      both (default lowdim)\n"
            "  --image-size N      camera frames are N x N (default %d, robomimic's 84)\n"
            "  --quiet             no progress line\n"
            "  --help-settings     list the task's settings\n\n"
            "kinds: expert = scripted expert from its narrow region (only successes kept, rate\n"
            "printed); play = wandering over the whole region, cut before it would succeed;\n"
            "partial = expert stopped midway; suboptimal = detouring, noisy agent from starts\n"
            "outside the expert region; noisy = expert with heavy action noise.\n",
            d->task, d->kind, d->episodes, d->seed, d->threads, d->g.play_noise,
            d->g.suboptimal_noise, d->g.noisy_noise, d->g.partial_min, d->g.partial_max,
            d->g.play_min_steps, d->g.max_attempts, d->g.image_size);
}

static void gen_progress(void *ctx, int64_t done, int64_t total) {
    (void)total;
    rise_progress_update(ctx, (long)done);
}

int rise_cmd_gen(int argc, char **argv) {
    gen_options o = {.task = "maze",
                     .kind = "expert",
                     .out = NULL,
                     .settings = "{}",
                     .episodes = 100,
                     .seed = 0,
                     .threads = 0};
    rise_gen_opts_default(&o.g);
    const gen_options defaults = o;
    int help_settings = 0;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        int ok = 1;
        long attempts = o.g.max_attempts, min_steps = o.g.play_min_steps;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            gen_usage(stdout, &defaults);
            return 0;
        } else if (!strcmp(a, "--help-settings"))
            help_settings = 1;
        else if (!strcmp(a, "--task"))
            ok = rise_arg_string(argc, argv, &i, &o.task);
        else if (!strcmp(a, "--kind"))
            ok = rise_arg_string(argc, argv, &i, &o.kind);
        else if (!strcmp(a, "--out"))
            ok = rise_arg_string(argc, argv, &i, &o.out);
        else if (!strcmp(a, "--settings"))
            ok = rise_arg_string(argc, argv, &i, &o.settings);
        else if (!strcmp(a, "--episodes"))
            ok = rise_arg_long(argc, argv, &i, 1, 100000000, &o.episodes);
        else if (!strcmp(a, "--seed"))
            ok = rise_arg_long(argc, argv, &i, 0, 1L << 62, &o.seed);
        else if (!strcmp(a, "--threads"))
            ok = rise_arg_long(argc, argv, &i, 0, 4096, &o.threads);
        else if (!strcmp(a, "--play-noise"))
            ok = rise_arg_double(argc, argv, &i, 0, 10, &o.g.play_noise);
        else if (!strcmp(a, "--suboptimal-noise"))
            ok = rise_arg_double(argc, argv, &i, 0, 10, &o.g.suboptimal_noise);
        else if (!strcmp(a, "--noisy-noise"))
            ok = rise_arg_double(argc, argv, &i, 0, 10, &o.g.noisy_noise);
        else if (!strcmp(a, "--partial-min"))
            ok = rise_arg_double(argc, argv, &i, 0, 1, &o.g.partial_min);
        else if (!strcmp(a, "--partial-max"))
            ok = rise_arg_double(argc, argv, &i, 0, 1, &o.g.partial_max);
        else if (!strcmp(a, "--max-attempts")) {
            ok = rise_arg_long(argc, argv, &i, 1, 64, &attempts);
            o.g.max_attempts = (int)attempts;
        } else if (!strcmp(a, "--play-min-steps")) {
            ok = rise_arg_long(argc, argv, &i, 1, 1000000, &min_steps);
            o.g.play_min_steps = (int)min_steps;
        } else if (!strcmp(a, "--obs")) {
            const char *v = i + 1 < argc ? argv[++i] : "";
            if (!rise_gen_obs_parse(v, &o.g.obs)) {
                fprintf(stderr, "rise gen: --obs '%s' is not one of lowdim, image, both\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--image-size")) {
            long size;
            ok = rise_arg_long(argc, argv, &i, 8, 512, &size);
            o.g.image_size = (int)size;
        } else if (!strcmp(a, "--quiet"))
            o.quiet = 1;
        else {
            fprintf(stderr, "rise gen: unknown option '%s' (see rise gen --help)\n", a);
            return 2;
        }
        if (!ok) return 2;
    }
    if (help_settings) {
        if (rise_env_describe_settings(o.task, stdout) != RISE_OK) {
            fprintf(stderr, "rise gen: %s\n", rise_last_error());
            return 2;
        }
        return 0;
    }
    rise_gen_kind kind;
    if (!rise_gen_kind_parse(o.kind, &kind)) {
        fprintf(stderr,
                "rise gen: --kind '%s' is not one of expert, play, partial, suboptimal, "
                "noisy\n",
                o.kind);
        return 2;
    }
    if (!o.out) {
        fprintf(stderr, "rise gen: --out FILE is required (see rise gen --help)\n");
        return 2;
    }
    rise_env *env;
    if (rise_env_create(o.task, o.settings, &env) != RISE_OK ||
        rise_gen_opts_check(&o.g) != RISE_OK) {
        fprintf(stderr, "rise gen: %s\n", rise_last_error());
        return 2;
    }
    rise_episode_buf *bufs = calloc((size_t)o.episodes, sizeof *bufs);
    if (!bufs) {
        fprintf(stderr, "rise gen: out of memory for %ld episodes\n", o.episodes);
        rise_env_destroy(env);
        return 1;
    }
    rise_progress prog;
    char label[64];
    snprintf(label, sizeof label, "gen %s", rise_gen_kind_name(kind));
    rise_progress_init(&prog, stderr, label, o.episodes);
    rise_progress_set_unit(&prog, "episodes");
    const double t0 = rise_progress_now();
    rise_gen_stats stats;
    rise_status st =
        rise_gen_run(o.task, o.settings, kind, &o.g, (uint64_t)o.seed, o.episodes, (int)o.threads,
                     bufs, &stats, o.quiet ? NULL : gen_progress, &prog);
    const double t_gen = rise_progress_now() - t0;
    if (!o.quiet) rise_progress_finish(&prog);
    if (st == RISE_OK) st = rise_mkdir_parent(o.out);
    if (st == RISE_OK)
        st = rise_gen_write(o.out, env, kind, &o.g, (uint64_t)o.seed, bufs, o.episodes);
    int rc = 0;
    if (st != RISE_OK) {
        fprintf(stderr, "rise gen: %s\n", rise_last_error());
        rc = 1;
    } else {
        printf("rise gen: %ld %s episodes of %s (seed %ld), %lld transitions, %.2fs\n", o.episodes,
               rise_gen_kind_name(kind), o.task, o.seed, (long long)stats.steps, t_gen);
        printf("  success: %lld of %lld attempts (%.1f%%)%s\n", (long long)stats.successes,
               (long long)stats.attempts, 100.0 * stats.successes / (double)stats.attempts,
               kind == RISE_GEN_EXPERT ? " - the scripted expert from its initial region; only "
                                         "successes are kept"
                                       : "");
        printf("  wrote %s (mask/%s lists every demo)\n", o.out, rise_gen_kind_name(kind));
    }
    for (long i = 0; i < o.episodes; ++i) rise_episode_buf_free(&bufs[i]);
    free(bufs);
    rise_env_destroy(env);
    return rc;
}
