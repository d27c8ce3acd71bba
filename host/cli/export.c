/* cli/export.c - `rise export`: a trained run's model in a format other tools load.
 *
 *   rise export runs/rise_s0 --format safetensors             -> runs/rise_s0/model.safetensors
 *   rise export runs/rise_s0 --format safetensors --out rise.safetensors
 *
 * Every named parameter view (values, EMA and target copies) and the normalisation
 * statistics, with the config and algorithm as metadata (algorithms/agent_export.c).
 * Python: safetensors.numpy.load_file(path); safe_open(path, "np").metadata(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/train_run.h"
#include "args.h"
#include "cli.h"

static void export_usage(FILE *f) {
    fprintf(f, "usage: rise export RUN_DIR --format safetensors [--out FILE] [--checkpoint FILE]\n"
               "Writes a trained run's parameters (every named tensor of every network: values,\n"
               "EMA and target copies) and normalisation statistics, with the config and\n"
               "algorithm as metadata.\n\n"
               "  --format F         safetensors (the only format so far)\n"
               "  --out FILE         output file (default RUN_DIR/model.safetensors)\n"
               "  --checkpoint FILE  checkpoint to export (default RUN_DIR/checkpoint.h5)\n");
}

int rise_cmd_export(int argc, char **argv) {
    const char *run = NULL, *format = NULL, *out = NULL, *ckpt = NULL;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        int ok = 1;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            export_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--format"))
            ok = rise_arg_string(argc, argv, &i, &format);
        else if (!strcmp(a, "--out"))
            ok = rise_arg_string(argc, argv, &i, &out);
        else if (!strcmp(a, "--checkpoint"))
            ok = rise_arg_string(argc, argv, &i, &ckpt);
        else if (a[0] != '-' && !run)
            run = a;
        else {
            fprintf(stderr, "rise export: unknown option '%s' (see rise export --help)\n", a);
            return 2;
        }
        if (!ok) return 2;
    }
    if (!run) {
        fprintf(stderr, "rise export: give the run directory (see rise export --help)\n");
        return 2;
    }
    if (!format || strcmp(format, "safetensors")) {
        fprintf(stderr, "rise export: --format expects safetensors, got '%s'\n",
                format ? format : "(none)");
        return 2;
    }
    char out_path[4096];
    if (!out) {
        snprintf(out_path, sizeof out_path, "%s/model.safetensors", run);
        out = out_path;
    }
    rise_status st = RISE_OK;
    rise_backend *be = rise_backend_create("cpu", &st);
    rise_train_config cfg;
    rise_agent *agent = NULL;
    if (be) st = rise_train_load_agent(run, ckpt, be, &cfg, &agent);
    char *config_json = st == RISE_OK ? rise_train_config_to_json(&cfg) : NULL;
    if (st == RISE_OK) st = rise_agent_export_safetensors(agent, out, config_json);
    if (st == RISE_OK)
        printf("wrote %s (%s, step %lld)\n", out, cfg.train_algo,
               (long long)rise_agent_step_count(agent));
    else
        fprintf(stderr, "rise export: %s\n", rise_last_error());
    free(config_json);
    rise_agent_free(agent);
    if (be) rise_backend_destroy(be);
    return st == RISE_OK ? 0 : 1;
}
