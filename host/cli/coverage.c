/* cli/coverage.c - `rise coverage`: success of a policy over a grid of
 * initial conditions (and, optionally, recovery from perturbations).
 *
 *   rise coverage --task maze --policy expert --out runs/cov_expert
 *   rise coverage --policy planner --grid 20 --trials 5 --perturb-dist 0.3
 *   rise coverage --dataset play.hdf5 --policy random     (env from the file's env_args)
 *
 * Prints an ASCII map and the summary; with --out DIR also writes
 * coverage.csv, coverage.json, coverage.png (and robustness.csv). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "args.h"
#include "host/paths.h"
#include "cov.h"
#include "data/reader.h"
#include "envs/coverage.h"

void rise_cov_usage_options(FILE *f, const cov_options *d) {
    fprintf(f,
            "  --grid G              cells per axis (default %ld)\n"
            "  --trials N            episodes per cell, jittered inside it (default %ld)\n"
            "  --seed S              seed of jitter, policy noise, perturbations (default %ld)\n"
            "  --out DIR             write coverage.csv/.json/.png there (default: print only)\n"
            "  --threads N           threads, 0 = all cores (default %ld)\n"
            "  --pool N              envs stepped together, 0 = 64 per thread (default %ld)\n"
            "  --perturb-dist D      > 0 runs the robustness evaluation: displacement length\n"
            "                        (default %g = off)\n"
            "  --perturb-time T      step of the first perturbation (default %ld)\n"
            "  --perturb-count K     perturbations per episode (default %ld, at most %d)\n"
            "  --perturb-every E     steps between perturbations (default %ld)\n"
            "  --robust-episodes N   episodes of the robustness evaluation (default %ld)\n"
            "  --robust-from R       expert | eval: where those episodes start (default %s)\n"
            "  --quiet               no progress line\n",
            d->grid, d->trials, d->seed, d->threads, d->pool, d->perturb_dist, d->perturb_time,
            d->perturb_count, RISE_MAX_PERTURB, d->perturb_every, d->robust_episodes,
            d->robust_from);
}

/* Builds the env from --dataset's env_args, checked against --task/--settings. */
static rise_status env_from_dataset(const cov_options *o, rise_env **env) {
    rise_read_opts ro;
    rise_read_opts_default(&ro);
    ro.load_states = 0;
    ro.load_masks = 0;
    ro.image_frames = RISE_IMAGES_LAYOUT; /* only env_args is needed: no frames read */
    rise_episodes e;
    memset(&e, 0, sizeof e);
    RISE_TRY(rise_episodes_load(o->dataset, &ro, &e));
    rise_status st = RISE_OK;
    if (!e.env_args)
        st = rise_error(RISE_ERR_FORMAT, "%s: data has no env_args attribute", o->dataset);
    if (st == RISE_OK && (o->task_given || o->settings_given)) {
        st = rise_env_create(o->task, o->settings, env);
        if (st == RISE_OK) st = rise_env_check_args(*env, e.env_args);
    } else if (st == RISE_OK) {
        st = rise_env_create_from_args(e.env_args, env);
    }
    if (st != RISE_OK) {
        rise_error_context(st, "%s: ", o->dataset);
        rise_env_destroy(*env);
        *env = NULL;
    }
    rise_episodes_free(&e);
    return st;
}

void rise_cov_defaults(cov_options *o) {
    memset(o, 0, sizeof *o);
    o->task = "maze";
    o->policy = "expert";
    o->settings = "{}";
    o->robust_from = "expert";
    o->grid = 10;
    o->trials = 3;
    o->perturb_time = 20;
    o->perturb_count = 1;
    o->perturb_every = 20;
    o->robust_episodes = 100;
}

int rise_cov_parse_option(int argc, char **argv, int *i, cov_options *o) {
    const char *a = argv[*i];
    if (!strcmp(a, "--out")) return rise_arg_string(argc, argv, i, &o->out);
    if (!strcmp(a, "--robust-from")) return rise_arg_string(argc, argv, i, &o->robust_from);
    if (!strcmp(a, "--grid")) return rise_arg_long(argc, argv, i, 1, 1000, &o->grid);
    if (!strcmp(a, "--trials")) return rise_arg_long(argc, argv, i, 1, 100000, &o->trials);
    if (!strcmp(a, "--seed")) return rise_arg_long(argc, argv, i, 0, 1L << 62, &o->seed);
    if (!strcmp(a, "--threads")) return rise_arg_long(argc, argv, i, 0, 4096, &o->threads);
    if (!strcmp(a, "--pool")) return rise_arg_long(argc, argv, i, 0, 1 << 20, &o->pool);
    if (!strcmp(a, "--perturb-dist"))
        return rise_arg_double(argc, argv, i, 0, 1e6, &o->perturb_dist);
    if (!strcmp(a, "--perturb-time"))
        return rise_arg_long(argc, argv, i, 0, 100000000, &o->perturb_time);
    if (!strcmp(a, "--perturb-count"))
        return rise_arg_long(argc, argv, i, 1, RISE_MAX_PERTURB, &o->perturb_count);
    if (!strcmp(a, "--perturb-every"))
        return rise_arg_long(argc, argv, i, 1, 100000000, &o->perturb_every);
    if (!strcmp(a, "--robust-episodes"))
        return rise_arg_long(argc, argv, i, 1, 100000000, &o->robust_episodes);
    if (!strcmp(a, "--quiet")) {
        o->quiet = 1;
        return 1;
    }
    return -1;
}

static void cov_usage(FILE *f, const cov_options *d) {
    fprintf(f,
            "usage: rise coverage [options]\n"
            "Runs a policy from a grid of initial conditions over the task's evaluation region\n"
            "and reports success per cell, overall success and coverage (fraction of cells\n"
            "with success >= 0.5), also outside the expert's region.\n\n"
            "  --task T              task (default %s)\n"
            "  --policy P            expert | planner | random (default %s)\n"
            "  --settings JSON       task settings (default {})\n"
            "  --dataset FILE        take task and settings from a dataset's env_args (checked\n"
            "                        against --task/--settings when those are given)\n",
            d->task, d->policy);
    rise_cov_usage_options(f, d);
}

int rise_cmd_coverage(int argc, char **argv) {
    cov_options o;
    rise_cov_defaults(&o);
    const cov_options defaults = o;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        int ok = 1;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            cov_usage(stdout, &defaults);
            return 0;
        } else if (!strcmp(a, "--task")) {
            ok = rise_arg_string(argc, argv, &i, &o.task);
            o.task_given = 1;
        } else if (!strcmp(a, "--settings")) {
            ok = rise_arg_string(argc, argv, &i, &o.settings);
            o.settings_given = 1;
        } else if (!strcmp(a, "--policy"))
            ok = rise_arg_string(argc, argv, &i, &o.policy);
        else if (!strcmp(a, "--dataset"))
            ok = rise_arg_string(argc, argv, &i, &o.dataset);
        else if ((ok = rise_cov_parse_option(argc, argv, &i, &o)) < 0) {
            fprintf(stderr, "rise coverage: unknown option '%s' (see rise coverage --help)\n", a);
            return 2;
        }
        if (!ok) return 2;
    }
    rise_env *env = NULL;
    rise_status st =
        o.dataset ? env_from_dataset(&o, &env) : rise_env_create(o.task, o.settings, &env);
    if (st != RISE_OK) {
        fprintf(stderr, "rise coverage: %s\n", rise_last_error());
        return 2;
    }
    rise_policy *pol = NULL;
    if (rise_policy_create(o.policy, env, (uint64_t)o.seed, &pol) != RISE_OK) {
        fprintf(stderr, "rise coverage: %s\n", rise_last_error());
        rise_env_destroy(env);
        return 2;
    }
    const int rc = rise_cov_evaluate(&o, env, pol, "rise coverage");
    rise_policy_destroy(pol);
    rise_env_destroy(env);
    return rc;
}

int rise_cov_evaluate(const cov_options *opt, rise_env *env, rise_policy *pol, const char *cmd) {
    const cov_options o = *opt;
    rise_status st = RISE_OK;
    if (strcmp(o.robust_from, "expert") && strcmp(o.robust_from, "eval")) {
        fprintf(stderr, "%s: --robust-from expects expert or eval, got '%s'\n", cmd, o.robust_from);
        return 2;
    }
    if (o.out && rise_mkdir_p(o.out) != RISE_OK) {
        fprintf(stderr, "%s: %s\n", cmd, rise_last_error());
        return 1;
    }
    const char *task = env->info.task, *settings = env->settings_json;

    rise_coverage_opts co;
    rise_coverage_opts_default(&co);
    co.grid = (int)o.grid;
    co.trials = (int)o.trials;
    co.seed = (uint64_t)o.seed;
    co.threads = (int)o.threads;
    co.pool_size = (int)o.pool;
    co.progress = !o.quiet;
    rise_coverage_result r;
    rise_robust_result rob;
    memset(&rob, 0, sizeof rob);
    int have_rob = 0;
    st = rise_coverage_run(task, settings, pol, &co, &r);
    if (st == RISE_OK && o.perturb_dist > 0.0) {
        rise_robust_opts ro;
        rise_robust_opts_default(&ro);
        ro.episodes = (int)o.robust_episodes;
        ro.from_eval_box = !strcmp(o.robust_from, "eval");
        ro.plan.n_perturb = (int)o.perturb_count;
        for (int k = 0; k < ro.plan.n_perturb; ++k)
            ro.plan.perturb_t[k] = (int)(o.perturb_time + k * o.perturb_every);
        ro.plan.distance = o.perturb_dist;
        ro.threads = (int)o.threads;
        ro.pool_size = (int)o.pool;
        ro.progress = !o.quiet;
        st = rise_robust_run(task, settings, pol, (uint64_t)o.seed, &ro, &rob);
        have_rob = st == RISE_OK;
    }
    char *args = rise_env_args(env);
    if (st == RISE_OK) {
        rise_coverage_print_ascii(&r, stdout);
        printf("  %lld env steps in %.2fs (%.3g steps/s)\n", (long long)r.steps, r.seconds,
               r.seconds > 0 ? r.steps / r.seconds : 0.0);
        if (have_rob)
            printf("robustness: %d episodes from the %s region, %d perturbation(s) of %g from step "
                   "%d: clean success %.3f, perturbed success %.3f, recovery %.3f (%d/%d that "
                   "received every perturbation; %.3f, %d/%d, of those whose clean run "
                   "succeeded)\n",
                   rob.episodes, rob.from_eval_box ? "evaluation" : "expert", rob.plan.n_perturb,
                   rob.plan.distance, rob.plan.perturb_t[0], rob.clean_rate, rob.perturbed_rate,
                   rob.recovery_rate, rob.reached_success, rob.reached,
                   rob.recovery_given_clean_rate, rob.clean_reached_success, rob.clean_reached);
    }
    if (st == RISE_OK && o.out) {
        char path[4096];
        snprintf(path, sizeof path, "%s/coverage.csv", o.out);
        st = rise_coverage_write_csv(&r, path);
        if (st == RISE_OK) {
            snprintf(path, sizeof path, "%s/coverage.json", o.out);
            st = rise_coverage_write_json(&r, have_rob ? &rob : NULL, args, o.evaluated, path);
        }
        if (st == RISE_OK) {
            snprintf(path, sizeof path, "%s/coverage.png", o.out);
            st = rise_coverage_write_png(&r, env, path);
        }
        if (st == RISE_OK && have_rob) {
            snprintf(path, sizeof path, "%s/robustness.csv", o.out);
            st = rise_robust_write_csv(&rob, path);
        }
        if (st == RISE_OK)
            printf("wrote %s/coverage.{csv,json,png}%s\n", o.out,
                   have_rob ? " and robustness.csv" : "");
        snprintf(path, sizeof path, "%s/robustness.csv", o.out);
        FILE *stale = st == RISE_OK && !have_rob ? fopen(path, "r") : NULL;
        if (stale) {
            fclose(stale);
            printf("note: %s is an earlier evaluation's (this one measured no robustness)\n", path);
        }
    }
    if (st != RISE_OK) fprintf(stderr, "%s: %s\n", cmd, rise_last_error());
    free(args);
    if (r.rate) rise_coverage_result_free(&r);
    rise_robust_result_free(&rob);
    return st == RISE_OK ? 0 : 1;
}
