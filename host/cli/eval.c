/* cli/eval.c - `rise eval`: coverage / robustness of a trained run on its task.
 *
 *   rise eval runs/rise_s0                         coverage, 10x10 x 3, into runs/rise_s0/eval
 *   rise eval runs/rise_s0 --grid 20 --perturb-dist 0.3 --out runs/rise_s0/eval_fine
 *
 * The env is rebuilt from the training data's env_args saved in the checkpoint, and
 * its observation keys are mapped onto the model's by name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "algorithms/train_data.h"
#include "algorithms/train_run.h"
#include "host/checkpoint.h"
#include "host/paths.h"
#include "cli.h"
#include "args.h"
#include "cov.h"

static void eval_usage(FILE *f, const cov_options *d) {
    fprintf(
        f, "usage: rise eval RUN_DIR [--coverage] [--robustness] [options]\n"
           "Evaluates a trained run's policy on its task (coverage over a grid of initial\n"
           "conditions; with --perturb-dist > 0 also recovery from perturbations).\n\n"
           "  --checkpoint FILE     checkpoint to evaluate (default RUN_DIR/checkpoint.h5)\n"
           "  --coverage            coverage evaluation (the default)\n"
           "  --robustness          also robustness (sets --perturb-dist 0.3 unless given)\n"
           "  --backend B           cpu | ref | cuda (default: the run's train.backend)\n"
           "  --candidates K        actions sampled per state for the critic to choose from\n"
           "                        (default: the run's extract.candidates; 1 = the policy alone)\n"
           "  --extract-rule R      argmax | expectile: how the critic chooses (default: the\n"
           "                        run's extract.rule; expectile = IDQL's weighted resampling)\n"
           "  (--out defaults to RUN_DIR/eval)\n");
    rise_cov_usage_options(f, d);
}

/* What was evaluated, for coverage.json's "evaluated": the run, its checkpoint and training
 * step (paths absolute), the extraction used, the backend and precision it acted on. NULL
 * when out of memory. */
static char *evaluated_json(const char *run, const char *ckpt, const rise_train_config *cfg,
                            const rise_backend *be, rise_agent *agent, const rise_policy *pol) {
    int k;
    rise_extract_rule rule;
    rise_agent_policy_extraction(pol, &k, &rule);
    char given[4200], run_abs[4200], ckpt_abs[4200];
    if (!ckpt) snprintf(given, sizeof given, "%s/checkpoint.h5", run);
    if (!ckpt) ckpt = given;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(
        o, "run", rise_path_absolute(run, run_abs, sizeof run_abs) == RISE_OK ? run_abs : run);
    cJSON_AddStringToObject(
        o, "checkpoint",
        rise_path_absolute(ckpt, ckpt_abs, sizeof ckpt_abs) == RISE_OK ? ckpt_abs : ckpt);
    cJSON_AddStringToObject(o, "algo", cfg->train_algo);
    cJSON_AddNumberToObject(o, "step", (double)rise_agent_step_count(agent));
    cJSON_AddNumberToObject(o, "candidates", k);
    cJSON_AddStringToObject(o, "extract_rule", rise_extract_rule_name(rule));
    cJSON_AddStringToObject(o, "backend", be->name);
    cJSON_AddStringToObject(o, "precision", be->set_precision ? cfg->train_precision : "fp32");
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

/* A run trained without a rise task: nothing here can simulate its data's environment. */
static void no_task(const char *run) {
    char env[320] = "unknown", path[4200];
    snprintf(path, sizeof path, "%s/checkpoint.h5", run);
    rise_ckpt_reader r;
    char *args = NULL;
    if (rise_ckpt_open(&r, path) == RISE_OK) {
        if (rise_ckpt_has(&r, "env_args")) rise_ckpt_get_string(&r, "env_args", &args);
        rise_ckpt_close(&r);
    }
    rise_train_describe_env(args, env, sizeof env);
    free(args);
    fprintf(stderr,
            "rise eval: %s has no rise task to evaluate on: it was trained with train.task = "
            "none, on data from %s, which rise does not simulate (its env_args are in "
            "%s/header.json). Evaluate it in that simulator: load the run with the rise Python "
            "package (python/README.md) and roll it out there\n",
            run, env, run);
}

int rise_cmd_eval(int argc, char **argv) {
    cov_options o;
    rise_cov_defaults(&o);
    const cov_options defaults = o;
    const char *run = NULL, *ckpt = NULL, *backend = NULL;
    int robustness = 0;
    long candidates = 0;
    int rule = -1;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        int ok = 1;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            eval_usage(stdout, &defaults);
            return 0;
        } else if (!strcmp(a, "--checkpoint"))
            ok = rise_arg_string(argc, argv, &i, &ckpt);
        else if (!strcmp(a, "--backend"))
            ok = rise_arg_string(argc, argv, &i, &backend);
        else if (!strcmp(a, "--candidates"))
            ok = rise_arg_long(argc, argv, &i, 1, 65536, &candidates);
        else if (!strcmp(a, "--extract-rule")) {
            const char *r = NULL;
            rise_extract_rule parsed;
            ok = rise_arg_string(argc, argv, &i, &r);
            if (ok && rise_extract_rule_parse(r, &parsed) != RISE_OK) {
                fprintf(stderr, "rise eval: --extract-rule: %s\n", rise_last_error());
                ok = 0;
            }
            if (ok) rule = (int)parsed;
        } else if (!strcmp(a, "--coverage"))
            ;
        else if (!strcmp(a, "--robustness"))
            robustness = 1;
        else if (a[0] != '-' && !run)
            run = a;
        else if ((ok = rise_cov_parse_option(argc, argv, &i, &o)) < 0) {
            fprintf(stderr, "rise eval: unknown option '%s' (see rise eval --help)\n", a);
            return 2;
        }
        if (!ok) return 2;
    }
    if (!run) {
        fprintf(stderr, "rise eval: give the run directory (see rise eval --help)\n");
        return 2;
    }
    if (robustness && o.perturb_dist <= 0.0) o.perturb_dist = 0.3;
    char out_dir[4096];
    if (!o.out) {
        snprintf(out_dir, sizeof out_dir, "%s/eval", run);
        o.out = out_dir;
    }
    rise_train_config cfg;
    rise_status st = rise_train_load_config(run, &cfg);
    if (st != RISE_OK) {
        fprintf(stderr, "rise eval: %s\n", rise_last_error());
        return 1;
    }
    if (!strcmp(cfg.train_task, "none")) {
        no_task(run);
        return 1;
    }
    rise_backend *be;
    rise_agent *agent;
    rise_env *env = NULL;
    rise_policy *pol = NULL;
    st = rise_train_open_run(run, ckpt, backend, &cfg, &be, &agent);
    if (st == RISE_OK && !rise_agent_env_args(agent))
        st = rise_error(RISE_ERR_FORMAT,
                        "%s: the checkpoint records no env_args (the training "
                        "data had none), so the task cannot be rebuilt",
                        run);
    if (st == RISE_OK) st = rise_env_create_from_args(rise_agent_env_args(agent), &env);
    if (st == RISE_OK) st = rise_agent_policy(agent, (uint64_t)o.seed, &pol);
    if (st == RISE_OK) st = rise_agent_policy_bind_env(pol, &env->info);
    if (st == RISE_OK) st = rise_agent_policy_bind_view(pol, env);
    if (st == RISE_OK && (candidates > 0 || rule >= 0))
        st = rise_agent_policy_set_extraction(pol, (int)candidates, rule);
    char *evaluated = NULL;
    if (st == RISE_OK &&
        !(o.evaluated = evaluated = evaluated_json(run, ckpt, &cfg, be, agent, pol)))
        st = rise_error(RISE_ERR_NOMEM, "out of memory");
    int rc = 1;
    if (st == RISE_OK) {
        printf("run %s: %s, step %lld, task %s\n", run, cfg.train_algo,
               (long long)rise_agent_step_count(agent), env->info.task);
        rc = rise_cov_evaluate(&o, env, pol, "rise eval");
    } else {
        fprintf(stderr, "rise eval: %s\n", rise_last_error());
    }
    free(evaluated);
    rise_policy_destroy(pol);
    rise_env_destroy(env);
    rise_agent_free(agent);
    rise_backend_destroy(be);
    return rc;
}
