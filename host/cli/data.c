/* cli/data.c - `rise data`: inspect, merge, relabel and check datasets.
 *
 *   rise data info FILE... [--per-dim] [--filter-key K] [--format F]
 *   rise data merge -o OUT IN[:TAG]... [--keys a,b] [--allow-env-mismatch]
 *   rise data relabel IN -o OUT [--role expert|non_expert] [--reward V]
 *                     [--reward-last V] [--dones dataset|never|traj_end]
 *                     [--filter-key K] [--mask NAME] [--env-args JSON]
 *   rise data check [SPEC.json] [--source ROLE:PATH[:FILTER]]... [--set KEY=VALUE]...
 *   rise data embed RUN_DIR FILE.h5... [--camera NAME] [--checkpoint PATH] [--batch N]
 *                   [--backend B] [--force]                                (data_embed.c)
 * Run `rise data COMMAND --help` for details. Exit codes: 0 ok, 1 failure, 2 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "args.h"
#include "host/paths.h"
#include "data/fileops.h"
#include "data/info.h"
#include "data/trainset.h"

#define MAX_INPUTS 256

static int is_help(const char *s) { return !strcmp(s, "--help") || !strcmp(s, "-h"); }

static int fail(const char *what) {
    fprintf(stderr, "rise data %s: %s\n", what, rise_last_error());
    return 1;
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: rise data COMMAND [options]\n\n"
            "commands:\n"
            "  info     summarise dataset files (demos, keys, shapes, value ranges, NaN counts)\n"
            "  merge    combine files into one robomimic-layout file, tagging each input\n"
            "  relabel  set rewards, dones or a filter key in a file\n"
            "  check    build the training set of a dataset spec and summarise it\n"
            "  embed    write a trained image policy's encoder features of every frame into a\n"
            "           file (obs/<camera>_embedding), for relabelling with data.relabel_keys\n\n"
            "Reads robomimic, D4RL and Minari HDF5 files; writes the robomimic layout.\n"
            "run 'rise data COMMAND --help' for a command's options\n");
}

static int cmd_info(int argc, char **argv) {
    rise_info_opts o = {0};
    const char *files[MAX_INPUTS];
    int n = 0;
    for (int i = 1; i < argc; ++i) {
        const char *v;
        if (is_help(argv[i])) {
            printf("usage: rise data info FILE... [--per-dim] [--env-args] [--filter-key K] "
                   "[--format F]\n"
                   "  --per-dim       a line per column of every dataset\n"
                   "  --env-args      print data.attrs['env_args'] whole\n"
                   "  --filter-key K  only the demos of mask/K\n"
                   "  --format F      auto (default), robomimic, d4rl or minari\n");
            return 0;
        } else if (!strcmp(argv[i], "--per-dim")) {
            o.per_dim = 1;
        } else if (!strcmp(argv[i], "--env-args")) {
            o.env_args_whole = 1;
        } else if (!strcmp(argv[i], "--filter-key")) {
            if (!rise_arg_string(argc, argv, &i, &o.filter_key)) return 2;
        } else if (!strcmp(argv[i], "--format")) {
            if (!rise_arg_string(argc, argv, &i, &v)) return 2;
            if (!rise_format_parse(v, &o.format)) {
                fprintf(stderr,
                        "rise data info: --format %s: expected auto, robomimic, d4rl or minari\n",
                        v);
                return 2;
            }
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "rise data info: unknown option '%s'\n", argv[i]);
            return 2;
        } else if (n < MAX_INPUTS) {
            files[n++] = argv[i];
        }
    }
    if (n == 0) {
        fprintf(stderr, "rise data info: no file given (usage: rise data info FILE...)\n");
        return 2;
    }
    int rc = 0;
    for (int f = 0; f < n; ++f) {
        if (f) printf("\n");
        if (rise_data_info(files[f], &o, stdout) != RISE_OK) rc = fail("info");
    }
    return rc;
}

/* Splits "path:tag" at the last ':' after the last '/'. */
static void split_tag(char *arg, const char **path, const char **tag) {
    char *slash = strrchr(arg, '/'), *colon = strrchr(arg, ':');
    *path = arg;
    *tag = NULL;
    if (colon && (!slash || colon > slash)) {
        *colon = '\0';
        *tag = colon + 1;
    }
}

static int split_keys(char *list, const char **keys, int max) {
    int n = 0;
    for (char *tok = strtok(list, ","); tok && n < max; tok = strtok(NULL, ",")) keys[n++] = tok;
    return n;
}

static int cmd_merge(int argc, char **argv) {
    rise_merge_input in[MAX_INPUTS];
    rise_merge_opts o = {0};
    const char *out = NULL, *keys[64];
    int n = 0;
    for (int i = 1; i < argc; ++i) {
        const char *v;
        if (is_help(argv[i])) {
            printf("usage: rise data merge -o OUT IN[:TAG]... [--keys a,b] [--allow-env-mismatch]\n"
                   "Writes the demos of every input to OUT as demo_0, demo_1, ... in input order.\n"
                   "  IN:TAG                a filter key TAG listing that input's demos\n"
                   "                        (e.g. expert.h5:expert play.h5:play)\n"
                   "  --keys a,b            observation keys to keep (default: the first input's)\n"
                   "  --allow-env-mismatch  merge even when env_args differ (keeps the first)\n"
                   "Filter keys of the inputs carry over; same names are united.\n");
            return 0;
        } else if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--out")) {
            if (!rise_arg_string(argc, argv, &i, &out)) return 2;
        } else if (!strcmp(argv[i], "--keys")) {
            if (!rise_arg_string(argc, argv, &i, &v)) return 2;
            o.obs_keys = keys;
            o.n_obs_keys = split_keys(argv[i], keys, 64);
        } else if (!strcmp(argv[i], "--allow-env-mismatch")) {
            o.allow_env_mismatch = 1;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "rise data merge: unknown option '%s'\n", argv[i]);
            return 2;
        } else if (n < MAX_INPUTS) {
            in[n].filter_key = NULL;
            split_tag(argv[i], &in[n].path, &in[n].tag);
            ++n;
        }
    }
    if (!out || n == 0) {
        fprintf(stderr, "rise data merge: need -o OUT and at least one input\n");
        return 2;
    }
    if (rise_mkdir_parent(out) != RISE_OK || rise_data_merge(in, n, out, &o) != RISE_OK)
        return fail("merge");
    if (o.notes[0]) printf("%s\n", o.notes);
    printf("wrote %s from %d file%s\n", out, n, n == 1 ? "" : "s");
    return 0;
}

static int cmd_relabel(int argc, char **argv) {
    rise_relabel_opts o = {0};
    const char *in = NULL, *out = NULL, *v;
    for (int i = 1; i < argc; ++i) {
        double x;
        if (is_help(argv[i])) {
            printf(
                "usage: rise data relabel IN -o OUT [options]\n"
                "  --role R          expert: reward 1 and filter key 'expert';\n"
                "                    non_expert: reward 0 and filter key 'non_expert'\n"
                "  --reward V        every transition's reward = V\n"
                "  --reward-last V   V at each demo's last step, 0 elsewhere (sparse success)\n"
                "  --dones M         dataset (keep), never, traj_end (1 at each demo's end)\n"
                "  --filter-key K    change only the demos of mask/K\n"
                "  --mask NAME       add (or replace) filter key NAME listing the changed demos\n"
                "  --env-args JSON   store JSON as data.attrs['env_args'] (e.g. name the\n"
                "                    environment of a D4RL file); else the input's are kept\n"
                "OUT may be IN: the file is replaced atomically.\n");
            return 0;
        } else if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--out")) {
            if (!rise_arg_string(argc, argv, &i, &out)) return 2;
        } else if (!strcmp(argv[i], "--role")) {
            rise_role r;
            if (!rise_arg_string(argc, argv, &i, &v)) return 2;
            if (!rise_role_parse(v, &r)) {
                fprintf(stderr, "rise data relabel: --role %s: expected expert or non_expert\n", v);
                return 2;
            }
            o.set_reward = 1;
            o.reward = r == RISE_ROLE_EXPERT ? 1.0f : 0.0f;
            if (!o.add_mask) o.add_mask = rise_role_name(r);
        } else if (!strcmp(argv[i], "--reward") || !strcmp(argv[i], "--reward-last")) {
            const int last = argv[i][8] == '-';
            if (!rise_arg_double(argc, argv, &i, -1e30, 1e30, &x)) return 2;
            o.set_reward = 1;
            o.reward_last_only = last;
            o.reward = (float)x;
        } else if (!strcmp(argv[i], "--dones")) {
            if (!rise_arg_string(argc, argv, &i, &v)) return 2;
            rise_data_spec tmp;
            rise_data_spec_default(&tmp);
            if (rise_data_spec_set(&tmp, "terminal", v) != RISE_OK) {
                fprintf(stderr,
                        "rise data relabel: --dones %s: expected dataset, never or traj_end\n", v);
                return 2;
            }
            o.set_dones = 1;
            o.dones = tmp.terminal;
        } else if (!strcmp(argv[i], "--filter-key")) {
            if (!rise_arg_string(argc, argv, &i, &o.filter_key)) return 2;
        } else if (!strcmp(argv[i], "--mask")) {
            if (!rise_arg_string(argc, argv, &i, &o.add_mask)) return 2;
        } else if (!strcmp(argv[i], "--env-args")) {
            if (!rise_arg_string(argc, argv, &i, &o.env_args)) return 2;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "rise data relabel: unknown option '%s'\n", argv[i]);
            return 2;
        } else if (!in) {
            in = argv[i];
        } else {
            fprintf(stderr, "rise data relabel: one input file only ('%s' is extra)\n", argv[i]);
            return 2;
        }
    }
    if (!in || !out) {
        fprintf(stderr, "rise data relabel: need IN and -o OUT\n");
        return 2;
    }
    if (rise_mkdir_parent(out) != RISE_OK || rise_data_relabel(in, out, &o) != RISE_OK)
        return fail("relabel");
    printf("wrote %s\n", out);
    return 0;
}

static int cmd_check(int argc, char **argv) {
    rise_data_spec spec;
    rise_data_spec_default(&spec);
    int have_spec = 0, n_sets = 0;
    const char *sets[MAX_INPUTS];
    for (int i = 1; i < argc; ++i) {
        const char *v;
        if (is_help(argv[i])) {
            printf("usage: rise data check [SPEC.json] [--source ROLE:PATH[:FILTER]]... "
                   "[--set KEY=VALUE]...\n"
                   "Builds the training set (labels, normalisation) and prints a summary.\n"
                   "  --source expert:demos.h5        add a source (role expert or non_expert)\n"
                   "  --set reward=rise|dataset       --set terminal=dataset|never|traj_end\n"
                   "  --set obs_norm=gaussian|minmax|none  --set act_norm=...\n"
                   "  --set obs_keys=a,b              --set shard_rank=R --set shard_world=W\n");
            return 0;
        } else if (!strcmp(argv[i], "--source")) {
            if (!rise_arg_string(argc, argv, &i, &v)) return 2;
            if (rise_data_spec_add_source(&spec, v) != RISE_OK) return fail("check");
        } else if (!strcmp(argv[i], "--set")) {
            if (!rise_arg_string(argc, argv, &i, &v)) return 2;
            if (n_sets < MAX_INPUTS) sets[n_sets++] = v; /* applied after the spec file */
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "rise data check: unknown option '%s'\n", argv[i]);
            return 2;
        } else if (!have_spec) {
            rise_data_spec loaded;
            if (rise_data_spec_load(&loaded, argv[i]) != RISE_OK) return fail("check");
            /* Sources and settings given before the file are kept on top. */
            for (int s = 0; s < spec.n_sources && loaded.n_sources < RISE_DATA_MAX_SOURCES; ++s)
                loaded.sources[loaded.n_sources++] = spec.sources[s];
            spec = loaded;
            have_spec = 1;
        }
    }
    for (int k = 0; k < n_sets; ++k) {
        char key[64];
        const char *eq = strchr(sets[k], '=');
        if (!eq || (size_t)(eq - sets[k]) >= sizeof key) {
            fprintf(stderr, "rise data check: --set %s: expected KEY=VALUE\n", sets[k]);
            return 2;
        }
        memcpy(key, sets[k], (size_t)(eq - sets[k]));
        key[eq - sets[k]] = '\0';
        const char *name = strncmp(key, "data.", 5) ? key : key + 5;
        if (rise_data_spec_set(&spec, name, eq + 1) != RISE_OK) return fail("check");
    }
    rise_trainset ts;
    if (rise_trainset_build(&spec, &ts) != RISE_OK) return fail("check");
    printf("training set: %lld transitions in %lld trajectories (%lld expert, %lld non-expert "
           "transitions)\n",
           (long long)ts.n, (long long)ts.n_traj, (long long)ts.n_expert,
           (long long)ts.n_nonexpert);
    printf("shard %d of %d holds %lld of %lld trajectories\n", spec.shard_rank, spec.shard_world,
           (long long)ts.n_traj, (long long)ts.n_traj_global);
    printf("obs dim %lld:", (long long)ts.obs_dim);
    for (int k = 0; k < ts.n_keys; ++k)
        printf(" %s(%lld)", ts.keys[k].name, (long long)ts.keys[k].dim);
    printf("\naction dim %lld; reward %s, terminal %s\n", (long long)ts.act_dim,
           rise_reward_mode_name(spec.reward), rise_terminal_mode_name(spec.terminal));
    double rsum = 0, dsum = 0;
    for (int64_t i = 0; i < ts.n; ++i) rsum += ts.rewards[i], dsum += ts.dones[i];
    printf("mean reward %.4f, dones %lld\n", rsum / (double)ts.n, (long long)dsum);
    printf("normalisation: obs %s, actions %s\n", rise_norm_mode_name(ts.norm.obs_mode),
           rise_norm_mode_name(ts.norm.act_mode));
    for (int64_t j = 0; j < ts.act_dim; ++j)
        printf("  action[%lld] range [%g, %g] -> shift %g scale %g\n", (long long)j,
               (double)ts.norm.act_min[j], (double)ts.norm.act_max[j], (double)ts.norm.act_shift[j],
               (double)ts.norm.act_scale[j]);
    rise_trainset_free(&ts);
    return 0;
}

int rise_cmd_data(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (is_help(argv[1])) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "info")) return cmd_info(argc - 1, argv + 1);
    if (!strcmp(argv[1], "merge")) return cmd_merge(argc - 1, argv + 1);
    if (!strcmp(argv[1], "relabel")) return cmd_relabel(argc - 1, argv + 1);
    if (!strcmp(argv[1], "check")) return cmd_check(argc - 1, argv + 1);
    if (!strcmp(argv[1], "embed")) return rise_cmd_data_embed(argc - 1, argv + 1);
    fprintf(stderr, "rise data: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
