/* cli/train.c - `rise train`: train an algorithm from a JSON config into a run directory.
 *
 *   rise train --config paper_repro/configs/maze_rise.json --out runs/rise_s0
 *   rise train --set train.algo=idql --set data.source=expert:lift.hdf5 --out runs/lift
 *   rise train --config C.json --set train.seed=1 --set critic.lr=1e-4 --out runs/x
 *   rise train --out runs/x --resume [--set train.steps=40000]
 *   rise train --config C.json --set train.seeds=[0,1,2] --out runs/p    runs/p/s0, s1, s2
 *   mpirun -np 4 rise train --config C.json --out runs/x        4 CPU processes (MPI)
 *   srun rise train --config C.json --set train.backend=cuda --out runs/x   Slurm, NCCL
 *   rise train --gpus 0,1,2,3 --config C.json --out runs/x      4 GPUs, one node, no MPI
 *
 * The resolved configuration, metrics (CSV + JSONL), a header and checkpoints go to
 * the run directory (algorithms/train_run.h). Under a launcher every process is one rank
 * of a data-parallel run (host/comm.h): train.batch is the global batch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/train_run.h"
#include "host/comm.h"
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
            "checkpoint.h5. Without --config, the defaults below and --set.\n"
            "With --set train.seeds=[0,1,2] it trains one agent per seed in this process, each\n"
            "into RUN_DIR/s<seed> as `--set train.seed=<seed> --out RUN_DIR/s<seed>` would;\n"
            "--resume of RUN_DIR continues them all, of RUN_DIR/s<seed> that seed alone.\n\n"
            "  --config FILE     JSON configuration (see paper_repro/configs/)\n"
            "  --set KEY=VALUE   override one key (repeatable); data.source=role:path adds a\n"
            "                    source (a relative path means the working folder's file),\n"
            "                    data.<field>=value sets a data spec field\n"
            "  --out DIR         run directory (required)\n"
            "  --resume          continue DIR's run from DIR/checkpoint.h5, with DIR/config.json\n"
            "  --quiet           no progress line or data summary (notices still print)\n"
            "  --gpus LIST       data-parallel on these GPUs of this node, one process each\n"
            "                    (e.g. 0,1,2,3; implies train.backend=cuda; NCCL, no MPI)\n"
            "  --comm KIND       auto|none|mpi|nccl (auto: mpi on the cpu backend and nccl on\n"
            "                    cuda when mpirun or srun started several ranks)\n\n"
            "Data parallelism: mpirun -np N rise train ... (CPU: MPI; GPU: NCCL, one GPU per\n"
            "rank by local rank), srun rise train ..., or --gpus. train.batch stays the global\n"
            "batch (each rank trains batch / N rows); rank 0 writes the run directory.\n\n");
    rise_train_config_print_help(f);
}

/* "0,1,3" -> gpus[], n; 0 on a malformed list. */
static int parse_gpus(const char *s, int *gpus, int *n) {
    *n = 0;
    while (*s) {
        char *end = NULL;
        const long v = strtol(s, &end, 10);
        if (end == s || v < 0 || v > 1024 || *n == RISE_LAUNCH_MAX_LOCAL) return 0;
        for (int i = 0; i < *n; ++i)
            if (gpus[i] == (int)v) return 0;
        gpus[(*n)++] = (int)v;
        s = end;
        if (*s == ',')
            ++s;
        else if (*s)
            return 0;
    }
    return *n > 0;
}

int rise_cmd_train(int argc, char **argv) {
    const char *config = NULL, *out = NULL, *gpu_list = NULL, *comm = NULL;
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
        else if (!strcmp(a, "--gpus"))
            ok = rise_arg_string(argc, argv, &i, &gpu_list);
        else if (!strcmp(a, "--comm"))
            ok = rise_arg_string(argc, argv, &i, &comm);
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
    int gpus[RISE_LAUNCH_MAX_LOCAL], n_gpus = 0;
    if (gpu_list && !parse_gpus(gpu_list, gpus, &n_gpus)) {
        fprintf(stderr,
                "rise train: --gpus '%s': expected distinct GPU indices separated by commas (at "
                "most %d), e.g. 0,1,2,3\n",
                gpu_list, RISE_LAUNCH_MAX_LOCAL);
        return 2;
    }
    if (n_gpus > 1 && !rise_comm_kind_built(RISE_COMM_NCCL)) {
        fprintf(stderr, "rise train: --gpus %s needs a build with CUDA and NCCL\n", gpu_list);
        return 2;
    }
    for (int i = 0; i < n_gpus && rise_launch_gpu_count() > 0; ++i)
        if (gpus[i] >= rise_launch_gpu_count()) {
            fprintf(stderr, "rise train: --gpus %s: GPU %d requested, %d visible\n", gpu_list,
                    gpus[i], rise_launch_gpu_count());
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
    if (st == RISE_OK && n_gpus) st = rise_train_config_set(&cfg, "train.backend=cuda");
    if (st == RISE_OK) st = rise_train_config_check(&cfg);
    if (st != RISE_OK) {
        fprintf(stderr, "rise train: %s\n", rise_last_error());
        return 2;
    }
    rise_launch launch;
    st = rise_launch_from_env(&launch);
    if (st == RISE_OK && n_gpus && launch.world > 1 && strcmp(launch.source, "rise --gpus")) {
        fprintf(stderr,
                "rise train: --gpus starts its own ranks, but %s already started %d; drop --gpus "
                "(each rank takes the GPU of its local rank) or the launcher\n",
                launch.source, launch.world);
        return 2;
    }
    if (st == RISE_OK && cfg.train_seeds.n > 0 && (n_gpus > 1 || launch.world > 1)) {
        fprintf(stderr,
                "rise train: train.seeds trains its seeds side by side in one process, not "
                "data-parallel, but %s starts %d ranks; run it as one process, or give each seed "
                "its own run with train.seed\n",
                n_gpus > 1 ? "--gpus" : launch.source, n_gpus > 1 ? n_gpus : launch.world);
        return 2;
    }
    if (st == RISE_OK && n_gpus > 1 && launch.world == 1) {
        int is_child = 0, code = 1;
        st = rise_launch_fork(gpus, n_gpus, 10.0, &launch, &is_child, &code);
        if (st == RISE_OK && !is_child) return code; /* the supervisor: all ranks have ended */
    } else if (st == RISE_OK && n_gpus == 1) {
        launch.device = gpus[0];
    }
    if (st != RISE_OK) {
        fprintf(stderr, "rise train: %s\n", rise_last_error());
        return 2;
    }
    rise_train_opts o = {quiet, NULL, NULL, &launch, comm};
    rise_train_summary sum;
    st = rise_train_run(&cfg, out, resume, &o, &sum);
    if (st != RISE_OK) {
        if (!sum.shared_error || sum.rank == 0)
            fprintf(stderr, "rise train: %s\n", rise_last_error());
        return 1;
    }
    if (cfg.train_seeds.n > 0) { /* one process: world 1 (train.seeds refuses more) */
        printf("trained %s, %d seeds, steps %lld..%lld in %.1fs (%.1f steps/s in all, %.1f per "
               "seed); run directories",
               cfg.train_algo, sum.seeds, (long long)sum.first_step, (long long)sum.last_step,
               sum.seconds, sum.steps_per_s, sum.steps_per_s / sum.seeds);
        for (int i = 0; i < cfg.train_seeds.n; ++i)
            printf("%s %s/s%d", i ? "," : "", out, cfg.train_seeds.v[i]);
        printf("\n");
        return 0;
    }
    if (sum.rank == 0)
        printf("trained %s steps %lld..%lld in %.1fs (%.1f steps/s) on %d rank%s; run directory "
               "%s\n",
               cfg.train_algo, (long long)sum.first_step, (long long)sum.last_step, sum.seconds,
               sum.steps_per_s, sum.world, sum.world == 1 ? "" : "s", out);
    return 0;
}
