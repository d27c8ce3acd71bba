/* train_run.c - the training loop around an agent: data, run directory, logging,
 * checkpoints, resume, NaN stop (see train_run.h). */
#include "train_run.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
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

/* The agent's settings for this run's configuration and training set (its cameras). */
static rise_status agent_config_for(const rise_train_config *cfg, const rise_trainset *ts,
                                    rise_agent_config *ac) {
    rise_camera_shape cams[RISE_OBS_MAX_CAMERAS]; /* more cameras: refused by the config */
    for (int k = 0; k < ts->n_cams && k < RISE_OBS_MAX_CAMERAS; ++k)
        cams[k] = (rise_camera_shape){ts->cams[k].h, ts->cams[k].w, ts->cams[k].c};
    return rise_agent_config_from_train(cfg, (int)ts->obs_dim, (int)ts->act_dim, ts->n_cams, cams,
                                        ac);
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
    if (st == RISE_OK) st = rise_agent_policy_bind_view(pol, env);
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
static rise_status train_seeds(rise_train_config *cfg, const char *run_dir, int resume,
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

/* Prints the data summary and notices (print 0: neither; the later seeds of train.seeds,
 * which load the same data), and writes header.json with them. comm NULL: one process. */
static rise_status report_and_header(const rise_train_config *cfg, const rise_train_task *task,
                                     const rise_trainset *ts, rise_agent *agent, rise_backend *be,
                                     const rise_comm *comm, const rise_agent_config *ac,
                                     const char *run_dir, int print, int quiet) {
    const rise_pairs *pairs = rise_agent_pairs(agent);
    rise_relabel_diag diag;
    int have_diag = 0;
    if (pairs && pairs->n == 0) {
        RISE_TRY(rise_relabel_diagnose(ts, &ac->relabel_cfg, &diag));
        have_diag = 1;
    }
    char *json = NULL;
    RISE_TRY(rise_train_data_report(cfg, task, ts, pairs, have_diag ? &diag : NULL,
                                    print ? stderr : NULL, print && !quiet ? stderr : NULL, &json));
    /* the data-parallel run: {"train": {"world", "comm", "batch", "batch_per_rank"}} */
    cJSON *root = cJSON_Parse(json);
    free(json);
    cJSON *t = root ? cJSON_AddObjectToObject(root, "train") : NULL;
    const int world = rise_comm_world(comm);
    if (t) {
        cJSON_AddNumberToObject(t, "world", world);
        cJSON_AddStringToObject(t, "comm", rise_comm_kind_name(rise_comm_kind_of(comm)));
        cJSON_AddNumberToObject(t, "batch", cfg->train_batch);
        cJSON_AddNumberToObject(t, "batch_per_rank", cfg->train_batch / world);
    }
    json = t ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!json) return rise_error(RISE_ERR_NOMEM, "header.json: out of memory");
    char device[512]; /* the processor (model, vector extensions, threads) and precision */
    snprintf(device, sizeof device, "%s, %s", be->is_device ? be->name : rise_cpu_description(),
             cfg->train_precision);
    const rise_status st = rise_run_header_write_extra(run_dir, be->name, device, json);
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
    RISE_TRY(report_and_header(cfg, task, &s->ts, s->agent, s->be, s->comm, ac, run_dir, 1, quiet));
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
    if (cfg->train_seeds.n > 0) {
        const rise_status st = train_seeds(cfg, run_dir, resume, o, out);
        free(cfg);
        return st;
    }
    const rise_status st = train(cfg, run_dir, resume, o, out);
    free(cfg);
    out->seeds = 1;
    out->steps_run = out->last_step - out->first_step;
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
    if (st == RISE_OK) st = agent_config_for(cfg, &s.ts, &ac);
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

/* train.seeds: several independent seeds trained side by side in one process (one rank).
 * Each seed has its backend, agent, run directory and log; the training set is built once
 * and read by all of them. */
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

typedef struct {
    rise_trainset ts;
    int have_ts;
    rise_train_task task;
    int n;
    seed_run *runs;
} seed_pack;

static void seed_pack_free(seed_pack *s) {
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

static rise_status seed_log_metrics(seed_run *r, rise_progress *pr, int64_t step) {
    rise_agent_metrics m;
    RISE_TRY(rise_agent_metrics_read(r->agent, &m));
    RISE_TRY(rise_run_log_row(&r->log, step, m.n, m.names, m.values));
    for (int i = 0; i < m.n; ++i)
        if (!strcmp(m.names[i], "loss_pi") || !strcmp(m.names[i], "loss_q") ||
            !strcmp(m.names[i], "loss_v") || !strcmp(m.names[i], "cand_spread"))
            if (pr) rise_progress_value(pr, m.names[i], m.values[i]);
    return RISE_OK;
}

static int file_exists(const char *path) { return access(path, F_OK) == 0; }

/* Seed i's configuration and directory: the configuration `rise train --set train.seed=S`
 * would have, in run_dir/s<S>. */
static rise_status seed_setup(const rise_train_config *cfg, const char *run_dir, int i,
                              seed_run *r) {
    r->cfg = malloc(sizeof *r->cfg);
    if (!r->cfg) return rise_error(RISE_ERR_NOMEM, "out of memory");
    *r->cfg = *cfg;
    r->cfg->train_seed = cfg->train_seeds.v[i];
    memset(&r->cfg->train_seeds, 0, sizeof r->cfg->train_seeds);
    r->cfg->train_seed_threads = 0;
    const int n = snprintf(r->dir, sizeof r->dir, "%s/s%d", run_dir, r->cfg->train_seed);
    if (n < 0 || (size_t)n >= sizeof r->dir)
        return rise_error(RISE_ERR_INVALID, "%s: run directory name too long", run_dir);
    join(r->ckpt, sizeof r->ckpt, r->dir, "checkpoint.h5");
    return RISE_OK;
}

/* Seed i: backend, agent (sharing the first seed's relabelled pairs), run directory,
 * config.json, header.json, and its checkpoint and log when resuming. A seed with no
 * checkpoint yet starts from scratch (a pack stopped before its first checkpoint, or
 * before this seed's). */
static rise_status seed_open(seed_pack *s, int i, int resume, const rise_train_opts *o) {
    seed_run *r = &s->runs[i];
    const rise_train_config *cfg = r->cfg;
    rise_status st = RISE_OK;
    r->be = rise_backend_create(cfg->train_backend, &st);
    if (!r->be) return st;
    RISE_TRY(rise_backend_set_precision_name(r->be, cfg->train_precision));
    rise_agent_config ac;
    RISE_TRY(agent_config_for(cfg, &s->ts, &ac));
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
    RISE_TRY(report_and_header(cfg, &s->task, &s->ts, r->agent, r->be, NULL, &ac, r->dir, i == 0,
                               o->quiet));
    if (resume && !file_exists(r->ckpt)) {
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

/* The step at which a seed at step k next logs, checkpoints or evaluates (or the last step). */
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
    if (k % cfg->train_log_every == 0 || k == total) RISE_TRY(seed_log_metrics(r, prp, k));
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
static rise_status open_pool(const rise_train_config *cfg, const seed_pack *s,
                             rise_seed_pool **pool) {
    int workers, per;
    rise_seed_pool_plan(s->n, s->runs[0].be->is_device, cfg->train_seed_threads,
                        omp_get_max_threads(), &workers, &per);
    return rise_seed_pool_create(workers, per, pool);
}

/* train.seeds = [S0, S1, ...] (see train_run.h): one process, one rank. Each seed trains
 * alone, exactly as `rise train --set train.seed=S` would, in run_dir/s<S>. */
static rise_status train_seeds(rise_train_config *cfg, const char *run_dir, int resume,
                               const rise_train_opts *o, rise_train_summary *out) {
    if (o->launch && o->launch->world > 1) {
        out->rank = o->launch->rank;
        out->world = o->launch->world;
        out->shared_error = 1; /* every rank refuses alike: rank 0 says so */
        return rise_error(RISE_ERR_INVALID,
                          "train.seeds trains its seeds side by side in one process and does not "
                          "run data-parallel: %s started %d ranks; run it as one process (or "
                          "give each seed its own data-parallel run with train.seed)",
                          o->launch->source, o->launch->world);
    }
    seed_pack s;
    memset(&s, 0, sizeof s);
    s.n = cfg->train_seeds.n;
    s.runs = calloc((size_t)s.n, sizeof *s.runs);
    if (!s.runs) return rise_error(RISE_ERR_NOMEM, "out of memory");
    rise_status st = build_data(cfg, &s.ts);
    s.have_ts = st == RISE_OK;
    if (st == RISE_OK) st = resolve_task(cfg, &s.ts, &s.task);
    if (st == RISE_OK) { /* the pack's own configuration, for --resume */
        char path[4200], *json = rise_train_config_to_json(cfg);
        join(path, sizeof path, run_dir, "config.json");
        st = json ? rise_run_mkdir_p(run_dir) : rise_error(RISE_ERR_NOMEM, "config to JSON");
        if (st == RISE_OK) remove_stale_temps(run_dir, o->quiet);
        if (st == RISE_OK) st = write_text(path, json);
        free(json);
    }
    for (int i = 0; st == RISE_OK && i < s.n; ++i) {
        st = seed_setup(cfg, run_dir, i, &s.runs[i]);
        if (st == RISE_OK) st = seed_open(&s, i, resume, o);
        if (st != RISE_OK)
            rise_error_context(st, "seed %d (%s): ", s.runs[i].cfg ? s.runs[i].cfg->train_seed : -1,
                               s.runs[i].dir);
    }
    rise_seed_pool *pool = NULL;
    if (st == RISE_OK) st = open_pool(cfg, &s, &pool);
    if (st != RISE_OK) {
        seed_pack_free(&s);
        return st;
    }
    const rise_pairs *pairs = rise_agent_pairs(s.runs[0].agent);
    out->pairs = pairs ? pairs->n : 0;
    out->seeds = s.n;

    const int64_t total = cfg->train_steps;
    rise_seed_job *jobs = calloc((size_t)s.n, sizeof *jobs);
    if (!jobs) {
        rise_seed_pool_free(pool);
        seed_pack_free(&s);
        return rise_error(RISE_ERR_NOMEM, "out of memory");
    }
    out->first_step = s.runs[0].first;
    for (int i = 0; i < s.n; ++i) {
        jobs[i] = (rise_seed_job){s.runs[i].agent, 0, o->after_step, o->ctx, RISE_OK, "", 0};
        if (s.runs[i].first < out->first_step) out->first_step = s.runs[i].first;
    }
    rise_progress pr;
    char label[160];
    snprintf(label, sizeof label, "train %s x %d seeds", cfg->train_algo, s.n);
    rise_progress_init(&pr, stderr, label, (long)total);
    rise_progress *prp = o->quiet ? NULL : &pr;
    const double t0 = rise_progress_now();
    for (;;) {
        /* every seed still training goes to its next boundary, then what is due there
         * happens here, on this thread (HDF5 and the logs are not shared with the workers) */
        int active = 0;
        for (int i = 0; i < s.n; ++i) {
            seed_run *r = &s.runs[i];
            const int64_t k = rise_agent_step_count(r->agent);
            jobs[i].target = -1; /* not in this round */
            if (r->st != RISE_OK || k >= total) continue;
            jobs[i].target = next_boundary(r->cfg, k);
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
            r->st = seed_boundary(r, i == 0 ? prp : NULL);
            if (r->st != RISE_OK) snprintf(r->error, sizeof r->error, "%s", rise_last_error());
        }
        int64_t done = total;
        for (int i = 0; i < s.n; ++i) {
            const int64_t k = rise_agent_step_count(s.runs[i].agent);
            if (s.runs[i].st == RISE_OK && k < done) done = k;
        }
        if (prp) rise_progress_update(prp, (long)done);
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
        if (st == RISE_ERR_NUMERIC && r->good > 0)
            rise_error_context(st,
                               "training stopped at step %lld (the last good checkpoint, step "
                               "%lld, is kept in %s): ",
                               (long long)k, (long long)r->good, r->ckpt);
        else if (st == RISE_ERR_NUMERIC)
            rise_error_context(
                st, "training stopped at step %lld (before its first checkpoint): ", (long long)k);
        rise_error_context(st, "seed %d: ", r->cfg->train_seed);
    }
    out->steps_run = ran;
    out->steps_per_s = out->seconds > 0 ? ran / out->seconds : 0.0;
    free(jobs);
    rise_seed_pool_free(pool);
    seed_pack_free(&s);
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
    /* and its cameras, when the policy reads frames */
    char *cameras = NULL;
    if (st == RISE_OK && rise_ckpt_has(&r, "cameras"))
        st = rise_ckpt_get_string(&r, "cameras", &cameras);
    rise_ckpt_close(&r);
    rise_camera_shape cams[RISE_OBS_MAX_CAMERAS];
    int n_cams = 0;
    if (st == RISE_OK && cameras) st = rise_camera_record_parse(cameras, ckpt, cams, NULL, &n_cams);
    free(cameras);
    if (st != RISE_OK) {
        rise_norm_free(&norm);
        return st;
    }
    rise_agent_config ac;
    st = rise_agent_config_from_train(cfg, (int)norm.obs_dim, (int)norm.act_dim, n_cams, cams, &ac);
    if (st == RISE_OK) st = rise_agent_create(&ac, be, &norm, out);
    if (st == RISE_OK) st = rise_agent_load(*out, ckpt);
    if (st != RISE_OK) {
        rise_agent_free(*out);
        *out = NULL;
    }
    rise_norm_free(&norm);
    return st;
}

rise_status rise_train_open_run(const char *run_dir, const char *checkpoint, const char *backend,
                                rise_train_config *cfg, rise_backend **be, rise_agent **agent) {
    *be = NULL, *agent = NULL;
    rise_status st = rise_train_load_config(run_dir, cfg);
    if (st == RISE_OK) *be = rise_backend_create(backend ? backend : cfg->train_backend, &st);
    if (st == RISE_OK && !*be) st = rise_error(RISE_ERR_NO_DEVICE, "backend unavailable");
    if (*be && (*be)->set_precision)
        st = rise_backend_set_precision_name(*be, cfg->train_precision);
    if (st == RISE_OK) st = rise_train_load_agent(run_dir, checkpoint, *be, cfg, agent);
    if (st != RISE_OK) {
        rise_backend_destroy(*be);
        *be = NULL;
    }
    return st;
}
