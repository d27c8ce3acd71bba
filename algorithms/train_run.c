/* train_run.c - the training loop around an agent: data, run directory, logging,
 * checkpoints, resume, NaN stop (see train_run.h). */
#include "train_run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../envs/coverage.h"
#include "../host/checkpoint.h"
#include "../host/comm.h"
#include "../host/progress.h"
#include "../host/run_log.h"
#include "agent_config.h"
#include "agent_dist.h"

static void join(char *buf, size_t size, const char *dir, const char *name) {
    snprintf(buf, size, "%s/%s", dir, name);
}

static rise_status write_text(const char *path, const char *text) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
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

/* The data's env_args must describe train.task (the env evaluation will rebuild). */
static rise_status check_task(const rise_train_config *cfg, const rise_trainset *ts) {
    if (!ts->env_args) return RISE_OK;
    rise_env *env = NULL;
    rise_status st = rise_env_create_from_args(ts->env_args, &env);
    if (st == RISE_OK && strcmp(env->info.task, cfg->train_task))
        st = rise_error(RISE_ERR_INVALID,
                        "train.task is '%s' but the data's env_args describe task '%s' (source %s)",
                        cfg->train_task, env->info.task, ts->spec.sources[0].path);
    else if (st != RISE_OK)
        rise_error_context(st, "%s: env_args: ", ts->spec.sources[0].path);
    rise_env_destroy(env);
    return st;
}

/* Coverage during training (train.eval_every): one row of eval_during_training.csv. */
static rise_status eval_during_training(const rise_train_config *cfg, rise_agent *a,
                                        const char *run_dir) {
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
        o.progress = 0;
        st = rise_coverage_run(env->info.task, env->settings_json, pol, &o, &r);
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
    rise_train_config c = *cfg;
    for (int i = 0; i < c.data.n_sources; ++i) c.data.sources[i].path[0] = '\0';
    char *json = rise_train_config_to_json(&c);
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
static rise_status open_run_dir(run_state *s, const rise_train_config *cfg, const char *run_dir,
                                int resume, const char *ckpt) {
    const int world = rise_comm_world(s->comm);
    char path[4096], extra[256];
    RISE_TRY(rise_run_mkdir_p(run_dir));
    s->config_json = rise_train_config_to_json(cfg);
    if (!s->config_json) return rise_error(RISE_ERR_NOMEM, "config to JSON");
    join(path, sizeof path, run_dir, "config.json");
    RISE_TRY(write_text(path, s->config_json));
    snprintf(
        extra, sizeof extra,
        "{\"train\": {\"world\": %d, \"comm\": \"%s\", \"batch\": %d, \"batch_per_rank\": %d}}",
        world, rise_comm_kind_name(rise_comm_kind_of(s->comm)), cfg->train_batch,
        cfg->train_batch / world);
    RISE_TRY(rise_run_header_write_extra(run_dir, s->be->name, s->be->name, extra));
    if (resume) {
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

rise_status rise_train_run(const rise_train_config *cfg, const char *run_dir, int resume,
                           const rise_train_opts *o, rise_train_summary *out) {
    const rise_train_opts none = {0, NULL, NULL, NULL, NULL};
    if (!o) o = &none;
    memset(out, 0, sizeof *out);
    out->world = 1;
    RISE_TRY(rise_train_config_check(cfg));
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
    if (st == RISE_OK) st = check_task(cfg, &s.ts);
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
        st =
            rise_comm_agree(s.comm, rank0 ? open_run_dir(&s, cfg, run_dir, resume, ckpt) : RISE_OK);
    if (st == RISE_OK) st = rise_comm_agree(s.comm, rise_agent_broadcast(s.agent));
    out->shared_error = world > 1 && st != RISE_OK;
    if (st != RISE_OK) {
        run_free(&s);
        return st;
    }
    const rise_pairs *pairs = rise_agent_pairs(s.agent);
    out->pairs = pairs ? pairs->n : 0;
    if (pairs && !quiet)
        fprintf(stderr,
                "relabelled pairs: %lld (play->expert %lld from %lld states, play->play %lld from "
                "%lld states; %lld states searched)\n",
                (long long)pairs->n, (long long)pairs->count[RISE_PAIR_PLAY_TO_EXPERT],
                (long long)pairs->queries_matched[RISE_PAIR_PLAY_TO_EXPERT],
                (long long)pairs->count[RISE_PAIR_PLAY_TO_PLAY],
                (long long)pairs->queries_matched[RISE_PAIR_PLAY_TO_PLAY],
                (long long)pairs->queries);

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
        if (st == RISE_OK && cfg->train_eval_every > 0 && k % cfg->train_eval_every == 0)
            st = rise_comm_agree(s.comm,
                                 rank0 ? eval_during_training(cfg, s.agent, run_dir) : RISE_OK);
        if (prp) rise_progress_update(prp, (long)k);
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
