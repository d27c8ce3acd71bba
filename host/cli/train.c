/* cli/train.c - `rise train`: train an algorithm from a JSON config into a run directory.
 *
 *   rise train --config paper_repro/configs/maze_rise.json --out runs/rise_s0
 *   rise train --set train.algo=idql --set data.source=expert:lift.hdf5 --out runs/lift
 *   rise train --config C.json --set train.seed=1 --set critic.lr=1e-4 --out runs/x
 *   rise train --out runs/x --resume [--set train.steps=40000]
 *
 * The resolved configuration, metrics (CSV + JSONL), a header and checkpoints go to
 * the run directory (algorithms/train_run.h). */
#include <stdio.h>
#include <string.h>

#include "algorithms/train_run.h"
#include "cli.h"
#include "args.h"

#define MAX_SETS 256

static void train_usage(FILE *f) {
    fprintf(f,
            "usage: rise train [--config CONFIG.json] [--set group.key=value ...] --out RUN_DIR\n"
            "       rise train --out RUN_DIR --resume [--set ...]\n"
            "Trains bc_mlp, bc_diffusion, iql, cql, idql or rise on the config's \"data\" (a\n"
            "dataset spec: expert and non-expert sources) and writes RUN_DIR/config.json,\n"
            "header.json (with a summary of the data), metrics.csv, metrics.jsonl and\n"
            "checkpoint.h5. Without --config, the defaults below and --set.\n\n"
            "  --config FILE     JSON configuration (see paper_repro/configs/)\n"
            "  --set KEY=VALUE   override one key (repeatable); data.source=role:path adds a\n"
            "                    source (a relative path means the working folder's file),\n"
            "                    data.<field>=value sets a data spec field\n"
            "  --out DIR         run directory (required)\n"
            "  --resume          continue DIR's run from DIR/checkpoint.h5, with DIR/config.json\n"
            "  --quiet           no progress line or data summary (notices still print)\n\n");
    rise_train_config_print_help(f);
}

int rise_cmd_train(int argc, char **argv) {
    const char *config = NULL, *out = NULL;
    const char *sets[MAX_SETS];
    int n_sets = 0, resume = 0, quiet = 0;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        int ok = 1;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            train_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--config"))
            ok = rise_arg_string(argc, argv, &i, &config);
        else if (!strcmp(a, "--out"))
            ok = rise_arg_string(argc, argv, &i, &out);
        else if (!strcmp(a, "--set")) {
            if (n_sets == MAX_SETS) {
                fprintf(stderr, "rise train: more than %d --set options\n", MAX_SETS);
                return 2;
            }
            ok = rise_arg_string(argc, argv, &i, &sets[n_sets++]);
        } else if (!strcmp(a, "--resume"))
            resume = 1;
        else if (!strcmp(a, "--quiet"))
            quiet = 1;
        else {
            fprintf(stderr, "rise train: unknown option '%s' (see rise train --help)\n", a);
            return 2;
        }
        if (!ok) return 2;
    }
    if (!out) {
        fprintf(stderr, "rise train: --out RUN_DIR is required (see rise train --help)\n");
        return 2;
    }
    if (resume && config) {
        fprintf(stderr,
                "rise train: --resume uses %s/config.json; drop --config (use --set to "
                "change keys)\n",
                out);
        return 2;
    }
    rise_train_config cfg;
    rise_status st = RISE_OK;
    if (resume)
        st = rise_train_load_config(out, &cfg);
    else if (config)
        st = rise_train_config_load(&cfg, config);
    else /* the defaults, changed by --set only */
        rise_train_config_default(&cfg);
    for (int i = 0; st == RISE_OK && i < n_sets; ++i) st = rise_train_config_set(&cfg, sets[i]);
    if (st == RISE_OK) st = rise_train_config_check(&cfg);
    if (st != RISE_OK) {
        fprintf(stderr, "rise train: %s\n", rise_last_error());
        return 2;
    }
    rise_train_opts o = {quiet, NULL, NULL};
    rise_train_summary sum;
    st = rise_train_run(&cfg, out, resume, &o, &sum);
    if (st != RISE_OK) {
        fprintf(stderr, "rise train: %s\n", rise_last_error());
        return 1;
    }
    printf("trained %s steps %lld..%lld in %.1fs (%.1f steps/s); run directory %s\n",
           cfg.train_algo, (long long)sum.first_step, (long long)sum.last_step, sum.seconds,
           sum.steps_per_s, out);
    return 0;
}
