/* cli/main.c - the `rise` command line: dispatches to subcommands.
 * Run `rise --help` for the list, `rise CMD --help` for a command's options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runtime.h"
#include "cli.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} rise_command;

static const rise_command commands[] = {
    {"demo", rise_cmd_demo, "the main job: maze data, BC vs IDQL vs RISE, coverage table and maps"},
    {"data", rise_cmd_data, "inspect, merge, relabel and embed robomimic-layout HDF5 datasets"},
    {"gen", rise_cmd_gen, "generate expert / play / partial / suboptimal / noisy task data"},
    {"coverage", rise_cmd_coverage, "evaluate a policy's coverage and robustness on a task"},
    {"train", rise_cmd_train, "train BC, IQL, CQL, IDQL or RISE on datasets into a run directory"},
    {"eval", rise_cmd_eval, "evaluate a trained run's coverage and robustness on its task"},
    {"export", rise_cmd_export, "write a trained run's model as safetensors for other tools"},
    {"sweep", rise_cmd_sweep,
     "run a grid of configs x seeds (resumable, or as a Slurm array); report"},
    {"selftest", rise_cmd_selftest, "train a small network and show its loss falling"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: rise COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; ++i)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nrun 'rise COMMAND --help' for a command's options\n");
}

int main(int argc, char **argv) {
    rise_runtime_policy(argv); /* OMP_WAIT_POLICY=passive unless chosen (host/runtime.h) */
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; ++i)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "rise: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
