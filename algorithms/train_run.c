/* train_run.c - the training loop around an agent: data, run directory, logging,
 * checkpoints, resume, NaN stop (see train_run.h). */
#include "train_run.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../envs/coverage.h"
#include "../host/checkpoint.h"
#include "../host/comm.h"
#include "../host/cpu_info.h"
#include "../host/paths.h"
#include "../host/progress.h"
#include "../host/run_log.h"
#include "agent_config.h"
#include "agent_dist.h"
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
        char path[4096];
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

typedef struct {
    rise_backend *be;
    rise_comm *comm;
    rise_trainset ts;
    int have_ts;
    rise_agent *agent;
    rise_run_log log;
    int log_open;
    char *config_json;
} run_state;

static void run_free(run_state *s) {
    if (s->log_open) rise_run_log_close(&s->log);
    rise_agent_free(s->agent);
    if (s->have_ts) rise_trainset_free(&s->ts);
    rise_comm_free(s->comm);
    if (s->be) rise_backend_destroy(s->be);
    free(s->config_json);
}

/* Reads the metrics (the NaN check, on every rank), agrees on them across ranks, and
 * averages them; rank 0 logs the row. */
static rise_status log_metrics(run_state *s, rise_progress *pr, int64_t step) {
    rise_agent_metrics m;
    RISE_TRY(rise_comm_agree(s->comm, rise_agent_metrics_read(s->agent, &m)));
    RISE_TRY(rise_agent_metrics_reduce(s->agent, &m));
    rise_status st = RISE_OK;
    if (rise_comm_rank(s->comm) == 0) st = rise_run_log_row(&s->log, step, m.n, m.names, m.values);
    RISE_TRY(rise_comm_agree(s->comm, st));
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

/* Prints the data summary and notices, and writes header.json with them. */
static rise_status report_and_header(const rise_train_config *cfg, const rise_train_task *task,
                                     run_state *s, const rise_agent_config *ac, const char *run_dir,
                                     int quiet) {
    const rise_pairs *pairs = rise_agent_pairs(s->agent);
    rise_relabel_diag diag;
    int have_diag = 0;
    if (pairs && pairs->n == 0) {
        RISE_TRY(rise_relabel_diagnose(&s->ts, &ac->relabel_cfg, &diag));
        have_diag = 1;
    }
    char *json = NULL;
    RISE_TRY(rise_train_data_report(cfg, task, &s->ts, pairs, have_diag ? &diag : NULL, stderr,
                                    quiet ? NULL : stderr, &json));
    /* the data-parallel run: {"train": {"world", "comm", "batch", "batch_per_rank"}} */
    cJSON *root = cJSON_Parse(json);
    free(json);
    cJSON *t = root ? cJSON_AddObjectToObject(root, "train") : NULL;
    const int world = rise_comm_world(s->comm);
    if (t) {
        cJSON_AddNumberToObject(t, "world", world);
        cJSON_AddStringToObject(t, "comm", rise_comm_kind_name(rise_comm_kind_of(s->comm)));
        cJSON_AddNumberToObject(t, "batch", cfg->train_batch);
        cJSON_AddNumberToObject(t, "batch_per_rank", cfg->train_batch / world);
    }
    json = t ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!json) return rise_error(RISE_ERR_NOMEM, "header.json: out of memory");
    char device[512]; /* the processor (model, vector extensions, threads) and precision */
    snprintf(device, sizeof device, "%s, %s",
             s->be->is_device ? s->be->name : rise_cpu_description(), cfg->train_precision);
    const rise_status st = rise_run_header_write_extra(run_dir, s->be->name, device, json);
    free(json);
    return st;
}

/* The backend, on this rank's GPU, and the communicator. */
static rise_status open_ranks(const rise_train_config *cfg, const rise_launch *l,
                              const char *comm_name, run_state *s) {
    rise_comm_kind kind = RISE_COMM_AUTO;
    if (comm_name && !rise_comm_kind_parse(comm_name, &kind))
        return rise_error(RISE_ERR_INVALID, "communicator '%s': expected auto, none, mpi or nccl",
                          comm_name);
    if (cfg->train_batch % l->world != 0)
        return rise_error(RISE_ERR_INVALID,
                          "train.batch = %d is the global batch and must divide evenly among the "
                          "%d ranks %s started (each gets batch / %d); use a multiple of %d",
                          cfg->train_batch, l->world, l->source, l->world, l->world);
    if (!strcmp(cfg->train_backend, "cuda")) RISE_TRY(rise_launch_select_device(l));
    rise_status st = RISE_OK;
    s->be = rise_backend_create(cfg->train_backend, &st);
    if (!s->be) return rise_error_context(st, "rank %d of %d: ", l->rank, l->world);
    RISE_TRY(rise_backend_set_precision_name(s->be, cfg->train_precision));
    st = rise_comm_create(l, kind, s->be, &s->comm);
    /* a rank that cannot join leaves the others waiting inside the communicator's set-up:
     * only an abort ends them */
    if (st != RISE_OK && l->world > 1)
        rise_comm_abort(NULL, "rank %d of %d: %s", l->rank, l->world, rise_last_error());
    if (st != RISE_OK) return rise_error_context(st, "rank %d of %d: ", l->rank, l->world);
    if (s->be->is_device && rise_comm_kind_of(s->comm) == RISE_COMM_MPI)
        return rise_error(RISE_ERR_INVALID,
                          "the cuda backend's ranks exchange gradients with nccl, not mpi (mpi "
                          "would stage them through the host, outside the step's CUDA graph)");
    return RISE_OK;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t bytes) {
    const unsigned char *p = data;
    for (size_t i = 0; i < bytes; ++i) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* What every rank must agree on: the configuration (its data sources' paths aside: ranks
 * may read node-local copies) and the training set each rank built. */
static rise_status rank_fingerprints(const rise_train_config *cfg, const rise_trainset *ts,
                                     uint64_t fp[2]) {
    rise_train_config *c = malloc(sizeof *c);
    if (!c) return rise_error(RISE_ERR_NOMEM, "out of memory");
    *c = *cfg;
    for (int i = 0; i < c->data.n_sources; ++i) c->data.sources[i].path[0] = '\0';
    char *json = rise_train_config_to_json(c);
    free(c);
    if (!json) return rise_error(RISE_ERR_NOMEM, "config to JSON");
    fp[0] = fnv1a(0xcbf29ce484222325ull, json, strlen(json));
    free(json);
    const size_t n = (size_t)ts->n, D = (size_t)ts->obs_dim, A = (size_t)ts->act_dim;
    uint64_t h = fnv1a(0xcbf29ce484222325ull, &ts->n, sizeof ts->n);
    h = fnv1a(h, ts->obs, sizeof(float) * n * D);
    h = fnv1a(h, ts->next_obs, sizeof(float) * n * D);
    h = fnv1a(h, ts->actions, sizeof(float) * n * A);
    h = fnv1a(h, ts->rewards, sizeof(float) * n);
    h = fnv1a(h, ts->dones, sizeof(float) * n);
    h = fnv1a(h, ts->expert, n);
    fp[1] = fnv1a(h, ts->traj_len, sizeof(int64_t) * (size_t)ts->n_traj);
    return RISE_OK;
}

static rise_status check_ranks_agree(run_state *s, const rise_train_config *cfg) {
    if (rise_comm_world(s->comm) == 1) return RISE_OK;
    uint64_t mine[2], root[2];
    RISE_TRY(rank_fingerprints(cfg, &s->ts, mine));
    memcpy(root, mine, sizeof root);
    rise_status st = rise_comm_host_broadcast(s->comm, root, sizeof root, 0);
    if (st == RISE_OK && mine[0] != root[0])
        st = rise_error(RISE_ERR_INVALID,
                        "its configuration differs from rank 0's (beyond data source paths): "
                        "every rank must train the same config");
    else if (st == RISE_OK && mine[1] != root[1])
        st =
            rise_error(RISE_ERR_INVALID,
                       "its training set (%lld transitions from %s) differs from rank 0's: every "
                       "rank must read the same data",
                       (long long)s->ts.n, s->ts.spec.n_sources ? s->ts.spec.sources[0].path : "?");
    return st;
}

/* Rank 0 writes the run directory; a resumed run loads rank 0's checkpoint. */
static rise_status open_run_dir(run_state *s, const rise_train_config *cfg,
                                const rise_train_task *task, const rise_agent_config *ac,
                                const char *run_dir, int resume, const char *ckpt, int quiet) {
    char path[4096];
    RISE_TRY(rise_run_mkdir_p(run_dir));
    remove_stale_temps(run_dir, quiet);
    s->config_json = rise_train_config_to_json(cfg);
    if (!s->config_json) return rise_error(RISE_ERR_NOMEM, "config to JSON");
    join(path, sizeof path, run_dir, "config.json");
    RISE_TRY(write_text(path, s->config_json));
    RISE_TRY(report_and_header(cfg, task, s, ac, run_dir, quiet));
    if (resume) {
        const int world = rise_comm_world(s->comm);
        int was = 1;
        RISE_TRY(rise_agent_ckpt_world(ckpt, &was));
        RISE_TRY(rise_agent_load(s->agent, ckpt));
        if (was != world)
            fprintf(stderr,
                    "resuming a run of %d rank%s on %d: the same global batches and noise, the "
                    "float sums in another order\n",
                    was, was == 1 ? "" : "s", world);
        RISE_TRY(rise_run_log_truncate_after(run_dir, rise_agent_step_count(s->agent)));
    }
    RISE_TRY(rise_run_log_open(&s->log, run_dir, resume));
    s->log_open = 1;
    return RISE_OK;
}

rise_status rise_train_run(const rise_train_config *cfg_in, const char *run_dir, int resume,
                           const rise_train_opts *o, rise_train_summary *out) {
    const rise_train_opts none = {0, NULL, NULL, NULL, NULL};
    if (!o) o = &none;
    memset(out, 0, sizeof *out);
    out->world = 1;
    RISE_TRY(rise_train_config_check(cfg_in));
    rise_train_config *cfg = malloc(sizeof *cfg);
    if (!cfg) return rise_error(RISE_ERR_NOMEM, "out of memory");
    *cfg = *cfg_in;
    const rise_status st = train(cfg, run_dir, resume, o, out);
    free(cfg);
    return st;
}

static rise_status train(rise_train_config *cfg, const char *run_dir, int resume,
                         const rise_train_opts *o, rise_train_summary *out) {
    rise_launch single;
    rise_launch_single(&single);
    const rise_launch *l = o->launch ? o->launch : &single;
    out->rank = l->rank;
    out->world = l->world;
    run_state s;
    memset(&s, 0, sizeof s);
    char ckpt[4096];
    join(ckpt, sizeof ckpt, run_dir, "checkpoint.h5");
    rise_status st = open_ranks(cfg, l, o->comm, &s);
    if (st != RISE_OK) {
        run_free(&s);
        return st;
    }
    /* From here on every rank takes the same path: a failure on one is agreed on by all. */
    const int rank0 = rise_comm_rank(s.comm) == 0, world = rise_comm_world(s.comm);
    const int quiet = o->quiet || !rank0;
    st = build_data(cfg, &s.ts);
    s.have_ts = st == RISE_OK;
    rise_train_task task;
    if (st == RISE_OK) st = resolve_task(cfg, &s.ts, &task);
    rise_agent_config ac;
    if (st == RISE_OK)
        st = rise_agent_config_from_train(cfg, (int)s.ts.obs_dim, (int)s.ts.act_dim, &ac);
    ac.batch = cfg->train_batch / world; /* each rank's share of the global batch */
    if (st == RISE_OK) st = rise_agent_create(&ac, s.be, &s.ts.norm, &s.agent);
    if (st == RISE_OK) st = rise_agent_set_comm(s.agent, s.comm);
    if (st == RISE_OK) st = rise_agent_attach_data(s.agent, &s.ts);
    st = rise_comm_agree(s.comm, st);
    if (st == RISE_OK) st = rise_comm_agree(s.comm, check_ranks_agree(&s, cfg));
    if (st == RISE_OK)
        st = rise_comm_agree(
            s.comm,
            rank0 ? open_run_dir(&s, cfg, &task, &ac, run_dir, resume, ckpt, o->quiet) : RISE_OK);
    if (st == RISE_OK) st = rise_comm_agree(s.comm, rise_agent_broadcast(s.agent));
    out->shared_error = world > 1 && st != RISE_OK;
    if (st != RISE_OK) {
        run_free(&s);
        return st;
    }
    const rise_pairs *pairs = rise_agent_pairs(s.agent);
    out->pairs = pairs ? pairs->n : 0;

    const int64_t total = cfg->train_steps;
    out->first_step = rise_agent_step_count(s.agent);
    rise_progress pr;
    char label[160];
    if (world > 1)
        snprintf(label, sizeof label, "train %s x%d %s", cfg->train_algo, world,
                 rise_comm_kind_name(rise_comm_kind_of(s.comm)));
    else
        snprintf(label, sizeof label, "train %s", cfg->train_algo);
    rise_progress_init(&pr, stderr, label, (long)total);
    rise_progress *prp = quiet ? NULL : &pr;
    const double t0 = rise_progress_now();
    int64_t good = out->first_step; /* step of the last checkpoint known good */
    while (st == RISE_OK && rise_agent_step_count(s.agent) < total) {
        st = rise_agent_step(s.agent);
        /* the other ranks are inside this step's collectives: only an abort ends them */
        if (st != RISE_OK && world > 1)
            rise_comm_abort(s.comm, "training step %lld: %s",
                            (long long)rise_agent_step_count(s.agent) + 1, rise_last_error());
        if (st != RISE_OK) break;
        if (o->after_step) o->after_step(s.agent, o->ctx);
        const int64_t k = rise_agent_step_count(s.agent);
        if (k % cfg->train_log_every == 0 || k == total) {
            st = log_metrics(&s, prp, k);
            if (st != RISE_OK) break;
        }
        const int due = (cfg->train_ckpt_every > 0 && k % cfg->train_ckpt_every == 0) || k == total;
        if (due) {
            /* Never checkpoint unchecked state: read the metrics first when this step was not
             * a log step. */
            if (k % cfg->train_log_every != 0 && k != total) {
                rise_agent_metrics m;
                st = rise_comm_agree(s.comm, rise_agent_metrics_read(s.agent, &m));
                if (st != RISE_OK) break;
            }
            /* the replicas must still be one model before rank 0 saves it for all */
            st = rise_agent_check_replicas(s.agent);
            if (st == RISE_OK)
                st = rise_comm_agree(s.comm, rank0 ? rise_agent_save(s.agent, ckpt, s.config_json)
                                                   : RISE_OK);
            if (st == RISE_OK) good = k;
        }
        if (prp) rise_progress_update(prp, (long)k);
        if (st == RISE_OK && cfg->train_eval_every > 0 && k % cfg->train_eval_every == 0)
            st = rise_comm_agree(s.comm, rank0 ? eval_during_training(cfg, s.agent, run_dir, prp)
                                               : RISE_OK);
    }
    if (prp) rise_progress_finish(prp);
    out->last_step = rise_agent_step_count(s.agent);
    out->seconds = rise_progress_now() - t0;
    const int64_t ran = out->last_step - out->first_step;
    out->steps_per_s = out->seconds > 0 ? ran / out->seconds : 0.0;
    out->shared_error = world > 1 && st != RISE_OK;
    if (st == RISE_ERR_NUMERIC && good > 0)
        rise_error_context(st,
                           "training stopped at step %lld (the last good checkpoint, step %lld, "
                           "is kept in %s): ",
                           (long long)out->last_step, (long long)good, ckpt);
    else if (st == RISE_ERR_NUMERIC)
        rise_error_context(st, "training stopped at step %lld (before its first checkpoint): ",
                           (long long)out->last_step);
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
