/* train_run.c - the training loop around an agent: data, run directory, logging,
 * checkpoints, resume, NaN stop (see train_run.h). */
#include "train_run.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../envs/coverage.h"
#include "../host/checkpoint.h"
#include "../host/cpu_info.h"
#include "../host/paths.h"
#include "../host/progress.h"
#include "../host/run_log.h"
#include "agent_config.h"
#include "seed_pool.h"
#include "train_data.h"

static void join(char *buf, size_t size, const char *dir, const char *name) {
    snprintf(buf, size, "%s/%s", dir, name);
}

static rise_status write_text(const char *path, const char *text) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return rise_error(RISE_ERR_IO, "%s: cannot write", tmp);
    const int ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (fclose(f) != 0 || !ok) return rise_error(RISE_ERR_IO, "%s: write failed", tmp);
    if (rename(tmp, path) != 0) return rise_error(RISE_ERR_IO, "cannot rename %s to %s", tmp, path);
    return RISE_OK;
}

static rise_status build_data(const rise_train_config *cfg, rise_trainset *ts) {
    if (!cfg->has_data)
        return rise_error(RISE_ERR_INVALID,
                          "%s: the configuration has no \"data\" object (the dataset spec)",
                          cfg->source_path[0] ? cfg->source_path : "config");
    rise_data_spec spec = cfg->data;
    if (cfg->train_expert_only) {
        int n = 0;
        for (int i = 0; i < spec.n_sources; ++i)
            if (spec.sources[i].role == RISE_ROLE_EXPERT) spec.sources[n++] = spec.sources[i];
        if (n == 0)
            return rise_error(RISE_ERR_INVALID,
                              "train.expert_only: the data spec has no expert source");
        spec.n_sources = n;
    }
    RISE_TRY(rise_trainset_build(&spec, ts));
    const rise_status st = rise_trainset_normalize(ts, NULL);
    if (st != RISE_OK) rise_trainset_free(ts);
    return st;
}

/* A process killed while writing one of the run's files (a checkpoint, most likely: it is
 * the biggest) leaves FILE.tmp.<pid> behind. Those of processes that are gone are removed;
 * a live process's are not, as another run may be writing into this folder right now. */
static void remove_stale_temps(const char *run_dir, int quiet) {
    static const char *const files[] = {"checkpoint.h5", "config.json", "header.json",
                                        "metrics.csv", "metrics.jsonl"};
    int removed = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; ++i)
        removed += rise_remove_stale_temps(run_dir, files[i]);
    if (removed && !quiet)
        fprintf(stderr, "removed %d stale temporary file%s left in %s by killed runs\n", removed,
                removed == 1 ? "" : "s", run_dir);
}

/* Coverage during training (train.eval_every): one row of eval_during_training.csv. Its
 * progress is a part of the training's (NULL: quiet). */
static rise_status eval_during_training(const rise_train_config *cfg, rise_agent *a,
                                        const char *run_dir, const rise_progress *train_pr) {
    const char *args = rise_agent_env_args(a);
    if (!args) return RISE_OK;
    rise_env *env = NULL;
    rise_policy *pol = NULL;
    rise_coverage_result r;
    memset(&r, 0, sizeof r);
    rise_status st = rise_env_create_from_args(args, &env);
    if (st == RISE_OK) st = rise_agent_policy(a, (uint64_t)cfg->eval_seed, &pol);
    if (st == RISE_OK) st = rise_agent_policy_bind_env(pol, &env->info);
    if (st == RISE_OK) {
        rise_coverage_opts o;
        rise_coverage_opts_default(&o);
        o.grid = cfg->eval_grid;
        o.trials = cfg->eval_trials;
        o.seed = (uint64_t)cfg->eval_seed;
        o.progress = train_pr != NULL;
        rise_progress_set_outer(train_pr);
        st = rise_coverage_run(env->info.task, env->settings_json, pol, &o, &r);
        rise_progress_set_outer(NULL);
    }
    if (st == RISE_OK) {
        char path[4200];
        join(path, sizeof path, run_dir, "eval_during_training.csv");
        FILE *f = fopen(path, "a");
        if (!f) {
            st = rise_error(RISE_ERR_IO, "%s: cannot append", path);
        } else {
            if (ftell(f) == 0) fprintf(f, "step,coverage,coverage_outside_expert_region,success\n");
            fprintf(f, "%lld,%.6g,%.6g,%.6g\n", (long long)rise_agent_step_count(a), r.coverage,
                    r.coverage_outside, r.success_rate);
            fclose(f);
        }
    }
    if (r.rate) rise_coverage_result_free(&r);
    rise_policy_destroy(pol);
    rise_env_destroy(env);
    return st;
}

rise_status rise_train_load_config(const char *run_dir, rise_train_config *cfg) {
    char path[4096];
    join(path, sizeof path, run_dir, "config.json");
    return rise_train_config_load(cfg, path);
}

/* One seed's run: its backend, agent, run directory and log. */
typedef struct {
    rise_train_config *cfg; /* its resolved configuration (train.seed = its seed) */
    char dir[4096], ckpt[4200];
    rise_backend *be;
    rise_agent *agent;
    rise_run_log log;
    int log_open;
    char *config_json;
    int64_t first, good; /* step it started from; step of its last checkpoint known good */
    rise_status st;      /* RISE_OK while it trains */
    char error[2048];    /* its failure, when st != RISE_OK */
} seed_run;

/* A run: the training set (built once, read by every seed) and one seed_run per seed. */
typedef struct {
    rise_trainset ts;
    int have_ts;
    rise_train_task task;
    int pack; /* train.seeds: several seeds, each in run_dir/s<seed> */
    int n;
    seed_run *runs;
} run_state;

static void run_free(run_state *s) {
    /* the first agent owns the relabelled pairs the others share: freed last */
    for (int i = s->n - 1; i >= 0; --i) {
        seed_run *r = &s->runs[i];
        if (r->log_open) rise_run_log_close(&r->log);
        rise_agent_free(r->agent);
        if (r->be) rise_backend_destroy(r->be);
        free(r->config_json);
        free(r->cfg);
    }
    free(s->runs);
    if (s->have_ts) rise_trainset_free(&s->ts);
}

static rise_status log_metrics(seed_run *r, rise_progress *pr, int64_t step) {
    rise_agent_metrics m;
    RISE_TRY(rise_agent_metrics_read(r->agent, &m));
    RISE_TRY(rise_run_log_row(&r->log, step, m.n, m.names, m.values));
    for (int i = 0; i < m.n; ++i)
        if (!strcmp(m.names[i], "loss_pi") || !strcmp(m.names[i], "loss_q") ||
            !strcmp(m.names[i], "loss_v") || !strcmp(m.names[i], "cand_spread"))
            if (pr) rise_progress_value(pr, m.names[i], m.values[i]);
    return RISE_OK;
}

static rise_status train(rise_train_config *cfg, const char *run_dir, int resume,
                         const rise_train_opts *o, rise_train_summary *out);

/* The data's task: train.task resolved against the data's env_args ("auto" becomes the
 * task or "none"), written back into the run's configuration. */
static rise_status resolve_task(rise_train_config *cfg, const rise_trainset *ts,
                                rise_train_task *task) {
    RISE_TRY(rise_train_resolve_task(cfg->train_task, ts, task));
    snprintf(cfg->train_task, sizeof cfg->train_task, "%s", task->task);
    if (!strcmp(task->task, "none") && cfg->train_eval_every > 0)
        return rise_error(RISE_ERR_INVALID,
                          "train.eval_every = %d needs a rise task to evaluate on, but this run "
                          "has none (the data's environment is %s); set train.eval_every=0",
                          cfg->train_eval_every, task->env);
    return RISE_OK;
}

/* Prints the data summary and notices (print 0: neither; the pack's later seeds, which
 * load the same data), and writes header.json with them. */
static rise_status report_and_header(const rise_train_task *task, const rise_trainset *ts,
                                     seed_run *r, const rise_agent_config *ac, int print,
                                     int quiet) {
    const rise_pairs *pairs = rise_agent_pairs(r->agent);
    rise_relabel_diag diag;
    int have_diag = 0;
    if (pairs && pairs->n == 0) {
        RISE_TRY(rise_relabel_diagnose(ts, &ac->relabel_cfg, &diag));
        have_diag = 1;
    }
    char *json = NULL;
    RISE_TRY(rise_train_data_report(r->cfg, task, ts, pairs, have_diag ? &diag : NULL,
                                    print ? stderr : NULL, print && !quiet ? stderr : NULL, &json));
    char device[512]; /* the processor (model, vector extensions, threads) and precision */
    snprintf(device, sizeof device, "%s, %s",
             r->be->is_device ? r->be->name : rise_cpu_description(), r->cfg->train_precision);
    const rise_status st = rise_run_header_write_extra(r->dir, r->be->name, device, json);
    free(json);
    return st;
}

rise_status rise_train_run(const rise_train_config *cfg_in, const char *run_dir, int resume,
                           const rise_train_opts *o, rise_train_summary *out) {
    const rise_train_opts none = {0, NULL, NULL};
    if (!o) o = &none;
    memset(out, 0, sizeof *out);
    RISE_TRY(rise_train_config_check(cfg_in));
    rise_train_config *cfg = malloc(sizeof *cfg);
    if (!cfg) return rise_error(RISE_ERR_NOMEM, "out of memory");
    *cfg = *cfg_in;
    const rise_status st = train(cfg, run_dir, resume, o, out);
    free(cfg);
    return st;
}

static int file_exists(const char *path) { return access(path, F_OK) == 0; }

/* Seed i's configuration and directory: the run's own for a single seed; for train.seeds,
 * the configuration `rise train --set train.seed=S` would have, in run_dir/s<S>. */
static rise_status seed_setup(const rise_train_config *cfg, const char *run_dir, int pack, int i,
                              seed_run *r) {
    r->cfg = malloc(sizeof *r->cfg);
    if (!r->cfg) return rise_error(RISE_ERR_NOMEM, "out of memory");
    *r->cfg = *cfg;
    if (pack) {
        r->cfg->train_seed = cfg->train_seeds.v[i];
        memset(&r->cfg->train_seeds, 0, sizeof r->cfg->train_seeds);
        r->cfg->train_seed_threads = 0;
        const int n = snprintf(r->dir, sizeof r->dir, "%s/s%d", run_dir, r->cfg->train_seed);
        if (n < 0 || (size_t)n >= sizeof r->dir)
            return rise_error(RISE_ERR_INVALID, "%s: run directory name too long", run_dir);
    } else {
        snprintf(r->dir, sizeof r->dir, "%s", run_dir);
    }
    join(r->ckpt, sizeof r->ckpt, r->dir, "checkpoint.h5");
    return RISE_OK;
}

/* Seed i: backend, agent (sharing the first seed's relabelled pairs), run directory,
 * config.json, header.json, and its checkpoint and log when resuming. A seed of a pack
 * with no checkpoint yet starts from scratch (a pack stopped before its first checkpoint,
 * or before this seed's). */
static rise_status seed_open(run_state *s, int i, int resume, const rise_train_opts *o) {
    seed_run *r = &s->runs[i];
    const rise_train_config *cfg = r->cfg;
    rise_status st = RISE_OK;
    r->be = rise_backend_create(cfg->train_backend, &st);
    if (!r->be) return st;
    RISE_TRY(rise_backend_set_precision_name(r->be, cfg->train_precision));
    rise_agent_config ac;
    RISE_TRY(rise_agent_config_from_train(cfg, (int)s->ts.obs_dim, (int)s->ts.act_dim, &ac));
    RISE_TRY(rise_agent_create(&ac, r->be, &s->ts.norm, &r->agent));
    if (i == 0)
        RISE_TRY(rise_agent_attach_data(r->agent, &s->ts));
    else
        RISE_TRY(rise_agent_attach_data_sharing(r->agent, &s->ts, s->runs[0].agent));
    RISE_TRY(rise_run_mkdir_p(r->dir));
    remove_stale_temps(r->dir, o->quiet);
    r->config_json = rise_train_config_to_json(cfg);
    if (!r->config_json) return rise_error(RISE_ERR_NOMEM, "config to JSON");
    char path[4200];
    join(path, sizeof path, r->dir, "config.json");
    RISE_TRY(write_text(path, r->config_json));
    RISE_TRY(report_and_header(&s->task, &s->ts, r, &ac, i == 0, o->quiet));
    if (resume && s->pack && !file_exists(r->ckpt)) {
        if (!o->quiet)
            fprintf(stderr, "seed %d: no checkpoint in %s yet; it starts from step 0\n",
                    cfg->train_seed, r->dir);
        resume = 0;
    }
    if (resume) {
        RISE_TRY(rise_agent_load(r->agent, r->ckpt));
        RISE_TRY(rise_run_log_truncate_after(r->dir, rise_agent_step_count(r->agent)));
    }
    RISE_TRY(rise_run_log_open(&r->log, r->dir, resume));
    r->log_open = 1;
    r->first = r->good = rise_agent_step_count(r->agent);
    return RISE_OK;
}

/* The step at which seed r next logs, checkpoints or evaluates (or the last step). */
static int64_t next_boundary(const rise_train_config *cfg, int64_t k) {
    const int64_t total = cfg->train_steps;
    int64_t b = (k / cfg->train_log_every + 1) * cfg->train_log_every;
    if (cfg->train_ckpt_every > 0) {
        const int64_t c = (k / cfg->train_ckpt_every + 1) * cfg->train_ckpt_every;
        if (c < b) b = c;
    }
    if (cfg->train_eval_every > 0) {
        const int64_t e = (k / cfg->train_eval_every + 1) * cfg->train_eval_every;
        if (e < b) b = e;
    }
    return b < total ? b : total;
}

/* What is due at seed r's step k: the metrics row, the checkpoint, an evaluation. */
static rise_status seed_boundary(seed_run *r, rise_progress *prp) {
    const rise_train_config *cfg = r->cfg;
    const int64_t total = cfg->train_steps, k = rise_agent_step_count(r->agent);
    if (k % cfg->train_log_every == 0 || k == total) RISE_TRY(log_metrics(r, prp, k));
    const int due = (cfg->train_ckpt_every > 0 && k % cfg->train_ckpt_every == 0) || k == total;
    if (due) {
        /* Never checkpoint unchecked state: read the metrics first when this step was not
         * a log step. */
        if (k % cfg->train_log_every != 0 && k != total) {
            rise_agent_metrics m;
            RISE_TRY(rise_agent_metrics_read(r->agent, &m));
        }
        RISE_TRY(rise_agent_save(r->agent, r->ckpt, r->config_json));
        r->good = k;
    }
    if (cfg->train_eval_every > 0 && k % cfg->train_eval_every == 0)
        RISE_TRY(eval_during_training(cfg, r->agent, r->dir, prp));
    return RISE_OK;
}

/* Worker threads for the seeds (the policy is rise_seed_pool_plan's). */
static rise_status open_pool(const rise_train_config *cfg, const run_state *s,
                             rise_seed_pool **pool) {
    int workers, per;
    rise_seed_pool_plan(s->n, s->runs[0].be->is_device, cfg->train_seed_threads,
                        omp_get_max_threads(), &workers, &per);
    return rise_seed_pool_create(workers, per, pool);
}

static rise_status train(rise_train_config *cfg, const char *run_dir, int resume,
                         const rise_train_opts *o, rise_train_summary *out) {
    run_state s;
    memset(&s, 0, sizeof s);
    s.pack = cfg->train_seeds.n > 0;
    s.n = s.pack ? cfg->train_seeds.n : 1;
    s.runs = calloc((size_t)s.n, sizeof *s.runs);
    if (!s.runs) return rise_error(RISE_ERR_NOMEM, "out of memory");
    rise_status st = build_data(cfg, &s.ts);
    s.have_ts = st == RISE_OK;
    if (st == RISE_OK) st = resolve_task(cfg, &s.ts, &s.task);
    if (st == RISE_OK && s.pack) { /* the pack's own configuration, for --resume */
        char path[4200], *json = rise_train_config_to_json(cfg);
        join(path, sizeof path, run_dir, "config.json");
        st = json ? rise_run_mkdir_p(run_dir) : rise_error(RISE_ERR_NOMEM, "config to JSON");
        if (st == RISE_OK) remove_stale_temps(run_dir, o->quiet);
        if (st == RISE_OK) st = write_text(path, json);
        free(json);
    }
    for (int i = 0; st == RISE_OK && i < s.n; ++i) {
        st = seed_setup(cfg, run_dir, s.pack, i, &s.runs[i]);
        if (st == RISE_OK) st = seed_open(&s, i, resume, o);
        if (st != RISE_OK && s.pack)
            rise_error_context(st, "seed %d (%s): ", s.runs[i].cfg ? s.runs[i].cfg->train_seed : -1,
                               s.runs[i].dir);
    }
    rise_seed_pool *pool = NULL;
    if (st == RISE_OK) st = open_pool(cfg, &s, &pool);
    if (st != RISE_OK) {
        run_free(&s);
        return st;
    }
    const rise_pairs *pairs = rise_agent_pairs(s.runs[0].agent);
    out->pairs = pairs ? pairs->n : 0;
    out->seeds = s.n;

    const int64_t total = cfg->train_steps;
    rise_seed_job *jobs = calloc((size_t)s.n, sizeof *jobs);
    if (!jobs) {
        rise_seed_pool_free(pool);
        run_free(&s);
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    out->first_step = s.runs[0].first;
    for (int i = 0; i < s.n; ++i) {
        jobs[i] = (rise_seed_job){s.runs[i].agent, 0, o->after_step, o->ctx, RISE_OK, "", 0};
        if (s.runs[i].first < out->first_step) out->first_step = s.runs[i].first;
    }
    rise_progress pr;
    char label[160];
    if (s.pack)
        snprintf(label, sizeof label, "train %s x %d seeds", cfg->train_algo, s.n);
    else
        snprintf(label, sizeof label, "train %s", cfg->train_algo);
    rise_progress_init(&pr, stderr, label, (long)total);
    rise_progress *prp = o->quiet ? NULL : &pr;
    const double t0 = rise_progress_now();
    for (;;) {
        /* every seed still training goes to its next boundary (one seed: the next step, as
         * the progress line shows every step), then what is due there happens here, on this
         * thread (HDF5 and the logs are not shared with the workers) */
        int active = 0;
        int64_t slowest = total;
        for (int i = 0; i < s.n; ++i) {
            seed_run *r = &s.runs[i];
            const int64_t k = rise_agent_step_count(r->agent);
            jobs[i].target = -1; /* not in this round */
            if (r->st != RISE_OK || k >= total) continue;
            jobs[i].target = s.pack ? next_boundary(r->cfg, k) : k + 1;
            if (k < slowest) slowest = k;
            ++active;
        }
        if (!active) break;
        rise_seed_pool_run(pool, jobs, s.n);
        for (int i = 0; i < s.n; ++i) {
            seed_run *r = &s.runs[i];
            if (r->st != RISE_OK || jobs[i].target < 0) continue;
            if (jobs[i].st != RISE_OK) {
                r->st = jobs[i].st;
                snprintf(r->error, sizeof r->error, "%s", jobs[i].error);
                continue;
            }
            if (rise_agent_step_count(r->agent) < jobs[i].target) continue;
            r->st = seed_boundary(r, i == 0 || !s.pack ? prp : NULL);
            if (r->st != RISE_OK) snprintf(r->error, sizeof r->error, "%s", rise_last_error());
        }
        int64_t done = total;
        for (int i = 0; i < s.n; ++i) {
            const int64_t k = rise_agent_step_count(s.runs[i].agent);
            if (s.runs[i].st == RISE_OK && k < done) done = k;
        }
        if (prp) rise_progress_update(prp, (long)done);
        if (!s.pack && s.runs[0].st != RISE_OK) break;
    }
    if (prp) rise_progress_finish(prp);
    out->seconds = rise_progress_now() - t0;
    out->last_step = total;
    int64_t ran = 0;
    st = RISE_OK;
    for (int i = 0; i < s.n; ++i) {
        seed_run *r = &s.runs[i];
        const int64_t k = rise_agent_step_count(r->agent);
        ran += k - r->first;
        if (k < out->last_step) out->last_step = k;
        if (r->st == RISE_OK || st != RISE_OK) continue;
        /* the first seed that failed is the run's error; the others trained on */
        st = rise_error(r->st, "%s", r->error);
        if (st == RISE_ERR_NUMERIC)
            rise_error_context(st,
                               "training stopped at step %lld (the last good checkpoint, step "
                               "%lld, is kept in %s): ",
                               (long long)k, (long long)r->good, r->ckpt);
        if (s.pack) rise_error_context(st, "seed %d: ", r->cfg->train_seed);
    }
    out->steps_run = ran;
    out->steps_per_s = out->seconds > 0 ? ran / out->seconds : 0.0;
    free(jobs);
    rise_seed_pool_free(pool);
    run_free(&s);
    return st;
}

rise_status rise_train_load_agent(const char *run_dir, const char *checkpoint, rise_backend *be,
                                  rise_train_config *cfg, rise_agent **out) {
    *out = NULL;
    char ckpt[4096];
    if (checkpoint)
        snprintf(ckpt, sizeof ckpt, "%s", checkpoint);
    else
        join(ckpt, sizeof ckpt, run_dir, "checkpoint.h5");
    RISE_TRY(rise_train_load_config(run_dir, cfg));
    if (cfg->train_seeds.n > 0 && !checkpoint)
        return rise_error(RISE_ERR_INVALID,
                          "%s holds the runs of train.seeds, one directory per seed (%s/s%d, ...): "
                          "give one of them",
                          run_dir, run_dir, cfg->train_seeds.v[0]);
    /* The model's dimensions come from its normalisation statistics. */
    rise_ckpt_reader r;
    RISE_TRY(rise_ckpt_open(&r, ckpt));
    rise_norm_stats norm;
    memset(&norm, 0, sizeof norm);
    rise_status st = rise_norm_load(&norm, rise_ckpt_loc(&r), "norm", ckpt);
    rise_ckpt_close(&r);
    if (st != RISE_OK) return st;
    rise_agent_config ac;
    st = rise_agent_config_from_train(cfg, (int)norm.obs_dim, (int)norm.act_dim, &ac);
    if (st == RISE_OK) st = rise_agent_create(&ac, be, &norm, out);
    if (st == RISE_OK) st = rise_agent_load(*out, ckpt);
    if (st != RISE_OK) {
        rise_agent_free(*out);
        *out = NULL;
    }
    rise_norm_free(&norm);
    return st;
}
