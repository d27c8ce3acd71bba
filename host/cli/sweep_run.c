/* cli/sweep_run.c - the local sweep runner: `rise train` and `rise eval` as child processes
 * of this one (fork + exec of the rise executable), N at a time.
 *
 * Each unit of work is a point and its unfinished seeds. When the spec's seed is train.seed,
 * the unit trains them in one process, `rise train --config C --set ... --set
 * train.seeds=[S1,S2,...] --out OUT/<point>`, which writes each seed's run into
 * OUT/<point>/s<S> exactly as `--set train.seed=S --out OUT/<point>/s<S>` would (bitwise on
 * the CPU; algorithms/train_run.h); a stopped pack continues with `rise train --out
 * OUT/<point> --resume --set train.seeds=[...]` (each seed from its checkpoint). Otherwise
 * (another seed key, --no-pack, one seed left) a run trains alone: `rise train ... --set
 * train.seed=S --out RUN`, or `rise train --out RUN --resume`. Then each eval of the spec
 * runs per run (`rise eval RUN [--out RUN/<name>] ARGS`). Stages recorded in
 * RUN/sweep_state.json are skipped; the completion marker RUN/sweep_done.json is written
 * last (sweep.h). A pack's output goes to OUT/<point>/sweep.log, and each of its runs'
 * sweep.log records the command and how it ended.
 *
 * Children run in their own process group, in the spec's folder, with stdout and stderr
 * appended to the log, OMP_NUM_THREADS = threads per job, every lock of the unit's runs
 * held, and PR_SET_PDEATHSIG so a killed sweep takes them along. SIGINT/SIGTERM/SIGHUP stop
 * the sweep cleanly: children get SIGTERM (SIGKILL after 10 s or a second signal); finished
 * stages stay recorded, and the same command continues where it stopped. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "host/paths.h"
#include "sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "algorithms/train_config.h"
#include "host/progress.h"

/* seeds trained in one process at most (the length of a train.seeds list) */
#define SWEEP_PACK_MAX RISE_CFG_INTS_MAX

#define MAX_ARGS 600

static volatile sig_atomic_t stop_signal = 0;

static void on_stop(int sig) {
    /* a second signal while stopping: SIGKILL the children at once (main loop) */
    stop_signal = stop_signal ? -sig : sig;
}

static void install_handlers(struct sigaction *old) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocking call returns EINTR */
    sigaction(SIGINT, &sa, &old[0]);
    sigaction(SIGTERM, &sa, &old[1]);
    sigaction(SIGHUP, &sa, &old[2]);
}

static void restore_handlers(const struct sigaction *old) {
    sigaction(SIGINT, &old[0], NULL);
    sigaction(SIGTERM, &old[1], NULL);
    sigaction(SIGHUP, &old[2], NULL);
}

static double now_s(void) { return rise_progress_now(); }

static void sleep_ms(int ms) {
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL); /* a signal cuts it short, which is what we want */
}

/* ---- command lines ---- */

typedef struct {
    int n;
    char *argv[MAX_ARGS + 1];
} command;

static int cmd_add(command *c, const char *arg) {
    if (c->n == MAX_ARGS) return 0;
    c->argv[c->n++] = (char *)arg;
    c->argv[c->n] = NULL;
    return 1;
}

/* Shell-quoted, for logs and --dry-run. */
static void cmd_print(FILE *f, const command *c) {
    for (int i = 0; i < c->n; ++i) {
        const char *a = c->argv[i];
        int plain = a[0] != '\0';
        for (const char *p = a; *p && plain; ++p)
            plain =
                strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/:=+@%",
                       *p) != NULL;
        if (i) fputc(' ', f);
        if (plain) {
            fputs(a, f);
            continue;
        }
        fputc('\'', f);
        for (const char *p = a; *p; ++p)
            if (*p == '\'')
                fputs("'\\''", f);
            else
                fputc(*p, f);
        fputc('\'', f);
    }
}

/* ---- units: a point's runs, trained in one process where possible ---- */

/* One run of a unit: the paths its command lines point into, its lock, its stages. */
typedef struct {
    int run;
    char dir[PATH_MAX]; /* OUT/<run dir>, absolute */
    char seed[256];     /* seed_key=S */
    char eval_out[PATH_MAX + 80];
    char threads[32];
    char log[PATH_MAX + 16]; /* its sweep.log */
    int lock_fd;
    sweep_stages st;
    int alive;    /* claimed, neither finished nor failed */
    int in_train; /* trained by the command running now */
} member;

/* A unit of work: one run, or a point's runs that train together (train.seeds). */
typedef struct {
    int active;
    int n, cap;
    member *m;
    int packable; /* its seeds may train in one process */
    int stage;    /* 0: training; 1: evaluations */
    int cur;      /* evaluations: the member being evaluated, and which eval */
    int eval;
    int pack; /* the running training command trains several seeds */
    pid_t pid;
    double t_stage;
    char point_dir[PATH_MAX]; /* OUT/<point dir>: a pack's --out */
    char pack_log[PATH_MAX + 16];
    char seeds[12 * SWEEP_PACK_MAX + 32]; /* train.seeds=[...] */
} unit;

static int file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int has_checkpoint(const member *m) {
    char ckpt[PATH_MAX + 32];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.h5", m->dir);
    return file_exists(ckpt);
}

/* Seeds of a point may share a process when the spec's seed is train.seed and nothing in
 * the point's --set list gives train.seeds itself. */
static int point_packable(const sweep_spec *s, const sweep_options *o, int point) {
    if (o->no_pack || strcmp(s->seed_key, "train.seed")) return 0;
    const sweep_point *p = &s->points[point];
    for (int k = 0; k < p->n_sets; ++k)
        if (!strncmp(p->sets[k], "train.seeds=", 12) ||
            !strncmp(p->sets[k], "train.seed_threads=", 19))
            return 0;
    return 1;
}

static int single_train_command(const sweep_spec *s, const sweep_options *o, member *u, int resume,
                                command *c) {
    const sweep_point *p = &s->points[s->runs[u->run].point];
    c->n = 0;
    int ok = cmd_add(c, o->exe) && cmd_add(c, "train");
    if (resume) return ok && cmd_add(c, "--out") && cmd_add(c, u->dir) && cmd_add(c, "--resume");
    ok = ok && cmd_add(c, "--config") && cmd_add(c, p->config_path);
    for (int k = 0; ok && k < p->n_sets; ++k) ok = cmd_add(c, "--set") && cmd_add(c, p->sets[k]);
    snprintf(u->seed, sizeof u->seed, "%s=%lld", s->seed_key, s->runs[u->run].seed);
    return ok && cmd_add(c, "--set") && cmd_add(c, u->seed) && cmd_add(c, "--out") &&
           cmd_add(c, u->dir);
}

/* `rise train ... --set train.seeds=[the members in_train] --out OUT/<point>` (resume: the
 * point's config.json, each seed from its checkpoint or from scratch). */
static int pack_train_command(const sweep_spec *s, const sweep_options *o, unit *un, int resume,
                              command *c) {
    const sweep_point *p = &s->points[s->runs[un->m[0].run].point];
    size_t used = (size_t)snprintf(un->seeds, sizeof un->seeds, "train.seeds=[");
    for (int k = 0, first = 1; k < un->n; ++k)
        if (un->m[k].in_train && used < sizeof un->seeds) {
            used += (size_t)snprintf(un->seeds + used, sizeof un->seeds - used, "%s%lld",
                                     first ? "" : ",", s->runs[un->m[k].run].seed);
            first = 0;
        }
    if (used + 2 > sizeof un->seeds) return 0;
    snprintf(un->seeds + used, sizeof un->seeds - used, "]");
    c->n = 0;
    int ok = cmd_add(c, o->exe) && cmd_add(c, "train");
    if (resume)
        return ok && cmd_add(c, "--out") && cmd_add(c, un->point_dir) && cmd_add(c, "--resume") &&
               cmd_add(c, "--set") && cmd_add(c, un->seeds);
    ok = ok && cmd_add(c, "--config") && cmd_add(c, p->config_path);
    for (int k = 0; ok && k < p->n_sets; ++k) ok = cmd_add(c, "--set") && cmd_add(c, p->sets[k]);
    return ok && cmd_add(c, "--set") && cmd_add(c, un->seeds) && cmd_add(c, "--out") &&
           cmd_add(c, un->point_dir);
}

/* The "train" object of a config.json without the keys that name seeds. */
static cJSON *config_without_seeds(const char *path) {
    char *text = NULL;
    FILE *f = fopen(path, "rb");
    if (f) {
        fseek(f, 0, SEEK_END);
        const long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        text = n >= 0 ? malloc((size_t)n + 1) : NULL;
        if (text) text[fread(text, 1, (size_t)n, f)] = '\0';
        fclose(f);
    }
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    free(text);
    cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "train");
    cJSON_DeleteItemFromObjectCaseSensitive(t, "seed");
    cJSON_DeleteItemFromObjectCaseSensitive(t, "seeds");
    cJSON_DeleteItemFromObjectCaseSensitive(t, "seed_threads");
    return j;
}

/* A pack may resume member k's checkpoint when the point's config.json (the last pack's)
 * is the configuration k trained with, seeds aside. */
static int pack_resumes(const unit *un, int k) {
    char a[PATH_MAX + 32], b[PATH_MAX + 32];
    snprintf(a, sizeof a, "%s/config.json", un->point_dir);
    snprintf(b, sizeof b, "%s/config.json", un->m[k].dir);
    cJSON *x = config_without_seeds(a), *y = config_without_seeds(b);
    const int same = x && y && cJSON_Compare(x, y, 1);
    cJSON_Delete(x);
    cJSON_Delete(y);
    return same;
}

/* The unit's next training command: every member still to train in one process when the
 * unit is packable (a member's checkpoint resumes in the pack when the point's config.json
 * is the one it trained with, else alone first), one at a time otherwise. Flags the members
 * it trains (in_train). 1: a command in c; 0: none left; -1: it does not fit. */
static int next_train(const sweep_spec *s, const sweep_options *o, unit *un, command *c) {
    int pending = 0, lone = -1, first = -1, ckpts = 0;
    for (int k = 0; k < un->n; ++k) {
        member *m = &un->m[k];
        m->in_train = 0;
        if (!m->alive || m->st.train_done) continue;
        ++pending;
        if (first < 0) first = k;
        if (!has_checkpoint(m)) continue;
        ++ckpts;
        if (lone < 0 && (!un->packable || !pack_resumes(un, k))) lone = k;
    }
    if (!pending) return 0;
    if (un->packable && pending >= 2 && lone < 0) {
        for (int k = 0; k < un->n; ++k)
            un->m[k].in_train = un->m[k].alive && !un->m[k].st.train_done;
        un->pack = 1;
        return pack_train_command(s, o, un, ckpts > 0, c) ? 1 : -1;
    }
    const int k = lone >= 0 ? lone : first;
    un->m[k].in_train = 1;
    un->pack = 0;
    return single_train_command(s, o, &un->m[k], has_checkpoint(&un->m[k]), c) ? 1 : -1;
}

static int unit_eval_command(const sweep_spec *s, const sweep_options *o, member *u, int i,
                             command *c) {
    const sweep_eval *e = &s->evals[i];
    c->n = 0;
    int ok = cmd_add(c, o->exe) && cmd_add(c, "eval") && cmd_add(c, u->dir);
    if (strcmp(e->name, "eval")) {
        snprintf(u->eval_out, sizeof u->eval_out, "%s/%s", u->dir, e->name);
        ok = ok && cmd_add(c, "--out") && cmd_add(c, u->eval_out);
    }
    int has_threads = 0;
    for (int k = 0; k < e->n_args; ++k) has_threads |= !strcmp(e->args[k], "--threads");
    if (!has_threads) {
        snprintf(u->threads, sizeof u->threads, "%d", o->threads);
        ok = ok && cmd_add(c, "--threads") && cmd_add(c, u->threads);
    }
    for (int k = 0; ok && k < e->n_args; ++k) ok = cmd_add(c, e->args[k]);
    return ok;
}

/* ---- child processes ---- */

static void log_line(const char *log, const char *fmt, const char *what, double value) {
    FILE *f = fopen(log, "a");
    if (!f) return;
    char when[64];
    const time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    fprintf(f, "== %s ", when);
    fprintf(f, fmt, what, value);
    fputc('\n', f);
    fclose(f);
}

static void log_command(const char *log, const char *stage, const command *c) {
    FILE *f = fopen(log, "a");
    if (!f) return;
    char when[64];
    const time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    fprintf(f, "== %s %s: ", when, stage);
    cmd_print(f, c);
    fputc('\n', f);
    fclose(f);
}

/* Starts c in cwd with output appended to log; the n_keep descriptors keep (the runs' locks)
 * stay open across exec. */
static pid_t launch(const command *c, const char *cwd, const char *log, int threads,
                    const int *keep, int n_keep) {
    const pid_t parent = getpid();
    fflush(stdout);
    fflush(stderr);
    const pid_t pid = fork();
    if (pid != 0) return pid; /* parent, or -1 */
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(126); /* the sweep died before the line above */
    const int in = open("/dev/null", O_RDONLY);
    const int fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (in < 0 || fd < 0 || dup2(in, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) _exit(126);
    for (int i = 0; i < n_keep; ++i)
        if (keep[i] >= 0) fcntl(keep[i], F_SETFD, 0);
    if (chdir(cwd) != 0) {
        dprintf(2, "rise sweep: cannot enter %s: %s\n", cwd, strerror(errno));
        _exit(126);
    }
    char t[32];
    snprintf(t, sizeof t, "%d", threads);
    setenv("OMP_NUM_THREADS", t, 1);
    execv(c->argv[0], c->argv);
    dprintf(2, "rise sweep: cannot run %s: %s\n", c->argv[0], strerror(errno));
    _exit(127);
}

static void describe_exit(int status, char *buf, size_t size) {
    if (WIFEXITED(status))
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, size, "ended with wait status %d", status);
}

/* The last non-empty line of a log, for a failure's one-line summary. */
static void last_line(const char *log, char *buf, size_t size) {
    buf[0] = '\0';
    FILE *f = fopen(log, "rb");
    if (!f) return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (n && strncmp(line, "== ", 3)) snprintf(buf, size, "%s", line);
    }
    fclose(f);
}

/* Kills every child group, gently first; waits for them all. */
static void stop_children(pid_t *pids, int n) {
    for (int i = 0; i < n; ++i)
        if (pids[i] > 0) kill(-pids[i], SIGTERM);
    const double t0 = now_s();
    int left = 1, hard = 0;
    while (left) {
        left = 0;
        for (int i = 0; i < n; ++i)
            if (pids[i] > 0) {
                if (waitpid(pids[i], NULL, WNOHANG) == pids[i])
                    pids[i] = 0;
                else
                    left = 1;
            }
        if (left && !hard && (now_s() - t0 > 10.0 || stop_signal < 0)) {
            for (int i = 0; i < n; ++i)
                if (pids[i] > 0) kill(-pids[i], SIGKILL);
            hard = 1;
        }
        if (left) sleep_ms(50);
    }
}

/* ---- the prepare steps ---- */

static int run_prepare(const sweep_spec *s, const sweep_options *o) {
    char log[PATH_MAX];
    snprintf(log, sizeof log, "%s/sweep_prepare.log", o->out);
    for (int i = 0; i < s->n_prepare; ++i) {
        const sweep_prepare *p = &s->prepare[i];
        if (file_exists(p->creates_path)) continue;
        command c;
        c.n = 0;
        int ok = cmd_add(&c, o->exe);
        for (int k = 0; ok && k < p->n_args; ++k) ok = cmd_add(&c, p->args[k]);
        if (!ok) {
            fprintf(stderr, "rise sweep: prepare[%d]: too many arguments\n", i);
            return 0;
        }
        /* rise gen and friends write into an existing folder */
        if (rise_mkdir_parent(p->creates_path) != RISE_OK) {
            fprintf(stderr, "rise sweep: prepare[%d]: %s\n", i, rise_last_error());
            return 0;
        }
        printf("prepare: %s (log %s)\n", p->creates, log);
        log_command(log, "prepare", &c);
        const double t0 = now_s();
        const pid_t pid = launch(&c, s->dir, log, o->threads, NULL, 0);
        if (pid < 0) {
            fprintf(stderr, "rise sweep: cannot start a process: %s\n", strerror(errno));
            return 0;
        }
        int status = 0;
        while (waitpid(pid, &status, 0) < 0) {
            if (errno != EINTR) break;
            if (stop_signal) {
                pid_t ps[1] = {pid};
                stop_children(ps, 1);
                return 0;
            }
        }
        char how[128];
        describe_exit(status, how, sizeof how);
        log_line(log, "prepare %s after %.1f s", how, now_s() - t0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            char last[512];
            last_line(log, last, sizeof last);
            fprintf(stderr, "rise sweep: prepare[%d] (%s) %s: %s\n", i, p->creates, how, last);
            return 0;
        }
        if (!file_exists(p->creates_path)) {
            fprintf(stderr,
                    "rise sweep: prepare[%d] finished but %s does not exist (does its "
                    "command write \"creates\"?)\n",
                    i, p->creates_path);
            return 0;
        }
    }
    return 1;
}

/* ---- the runner ---- */

static int lock_run(const char *dir) {
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/sweep.lock", dir);
    const int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -2;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void status_line(const char *fmt, const char *dir, const char *detail) {
    if (isatty(fileno(stdout))) fputs("\r\033[K", stdout); /* over the progress line */
    printf(fmt, dir, detail);
    fputc('\n', stdout);
    fflush(stdout);
}

typedef struct {
    int done, failed, stale, busy, skipped;
} tally;

static void release(member *m) {
    if (m->lock_fd >= 0) close(m->lock_fd);
    m->lock_fd = -1;
    m->alive = 0;
}

static void member_failed(const sweep_spec *s, member *m, const char *why, tally *t) {
    status_line("FAILED  %s: %s", s->runs[m->run].dir, why);
    ++t->failed;
    release(m);
}

/* Every stage of m recorded: the completion marker, and the run is done. */
static void member_finished(const sweep_spec *s, const sweep_options *o, member *m, tally *t) {
    if (sweep_done_write(o->out, s, m->run, &m->st) != RISE_OK) {
        member_failed(s, m, rise_last_error(), t);
        return;
    }
    char detail[160];
    double total = m->st.train_s;
    for (int i = 0; i < s->n_evals; ++i) total += m->st.eval_s[i];
    snprintf(detail, sizeof detail, " (%.0f s)", total);
    status_line("done    %s%s", s->runs[m->run].dir, detail);
    ++t->done;
    release(m);
}

/* Starts the unit's next command (training, then each member's evals), finishing members
 * on the way; 1: a command runs, 0: the unit has ended. */
static int advance(const sweep_spec *s, const sweep_options *o, unit *un, tally *t) {
    command c;
    int keep[SWEEP_PACK_MAX];
    for (int k = 0; k < un->n; ++k) keep[k] = un->m[k].lock_fd;
    if (un->stage == 0) {
        const int r = next_train(s, o, un, &c);
        if (r == 1) {
            int solo = 0;
            for (int k = 0; k < un->n; ++k)
                if (un->m[k].in_train) {
                    log_command(un->m[k].log, "train", &c);
                    solo = k;
                }
            /* a pack's output goes to OUT/<point>/sweep.log, a run's to its own */
            const char *log = un->pack ? un->pack_log : un->m[solo].log;
            if (un->pack) log_command(log, "train", &c);
            un->t_stage = now_s();
            un->pid = launch(&c, s->dir, log, o->threads, keep, un->n);
            if (un->pid > 0) return 1;
        }
        for (int k = 0; k < un->n; ++k)
            if (r != 0 && un->m[k].alive && (r < 0 || un->m[k].in_train))
                member_failed(
                    s, &un->m[k],
                    r < 0 ? "its command has too many arguments" : "cannot start its command", t);
        if (r == 0)
            un->stage = 1;
        else
            return advance(s, o, un, t);
    }
    for (int k = 0; k < un->n; ++k) {
        member *m = &un->m[k];
        if (!m->alive) continue;
        int i = 0;
        while (i < s->n_evals && m->st.eval_done[i]) ++i;
        if (i == s->n_evals) {
            member_finished(s, o, m, t);
            continue;
        }
        if (!unit_eval_command(s, o, m, i, &c)) {
            member_failed(s, m, "its eval command has too many arguments", t);
            continue;
        }
        char what[80];
        snprintf(what, sizeof what, "eval %s", s->evals[i].name);
        log_command(m->log, what, &c);
        un->cur = k;
        un->eval = i;
        un->t_stage = now_s();
        un->pid = launch(&c, s->dir, m->log, o->threads, keep, un->n);
        if (un->pid > 0) return 1;
        member_failed(s, m, "cannot start its command", t);
    }
    un->active = 0;
    return 0;
}

/* Claims run r into m: lock, status again (another sweep may have finished it), state.
 * 1: claimed, with work to do; 0: not (counted in t). */
static int claim_run(const sweep_spec *s, const sweep_options *o, int r, member *m, tally *t) {
    memset(m, 0, sizeof *m);
    m->lock_fd = -1;
    m->run = r;
    sweep_run_path(o->out, s, r, NULL, m->dir, sizeof m->dir);
    snprintf(m->log, sizeof m->log, "%s/sweep.log", m->dir);
    if (rise_mkdir_p(m->dir) != RISE_OK) {
        status_line("FAILED  %s: %s", s->runs[r].dir, rise_last_error());
        ++t->failed;
        return 0;
    }
    m->lock_fd = lock_run(m->dir);
    if (m->lock_fd < 0) {
        status_line("busy    %s: %s", s->runs[r].dir,
                    m->lock_fd == -1 ? "another process is running it; skipped"
                                     : "cannot create its lock file; skipped");
        ++t->busy;
        return 0;
    }
    char why[320];
    sweep_run_status st = sweep_run_check(o->out, s, r, 1, why, sizeof why);
    if (st == SWEEP_RUN_STALE && o->redo_stale) {
        if (sweep_run_reset(o->out, s, r) != RISE_OK) {
            member_failed(s, m, rise_last_error(), t);
            return 0;
        }
        st = SWEEP_RUN_NEW;
    }
    if (st == SWEEP_RUN_DONE) {
        ++t->skipped;
        release(m);
        return 0;
    }
    if (st == SWEEP_RUN_STALE) {
        status_line("stale   %s: %s (remove it, or run with --redo-stale)", s->runs[r].dir, why);
        ++t->stale;
        release(m);
        return 0;
    }
    /* temporaries of a sweep killed mid-write (their writer is gone: we hold the lock) */
    rise_remove_stale_temps(m->dir, "sweep_state.json");
    rise_remove_stale_temps(m->dir, "sweep_done.json");
    sweep_state_read(o->out, s, r, &m->st);
    if (sweep_state_write(o->out, s, r, &m->st) != RISE_OK) {
        member_failed(s, m, rise_last_error(), t);
        return 0;
    }
    m->alive = 1;
    return 1;
}

/* Fills un with todo[*next] and, when its point's seeds may share a process, the runs of
 * the same point after it; starts its first command. */
static void start_unit(const sweep_spec *s, const sweep_options *o, const int *todo, int n_todo,
                       int *next, unit *un, tally *t) {
    member *m = un->m;
    const int cap = un->cap;
    memset(un, 0, sizeof *un);
    un->m = m;
    un->cap = cap;
    const int point = s->runs[todo[*next]].point;
    un->packable = point_packable(s, o, point);
    snprintf(un->point_dir, sizeof un->point_dir, "%s/%s", o->out, s->points[point].dir);
    snprintf(un->pack_log, sizeof un->pack_log, "%s/sweep.log", un->point_dir);
    do {
        if (claim_run(s, o, todo[*next], &un->m[un->n], t)) ++un->n;
        ++*next;
    } while (un->packable && un->n < un->cap && *next < n_todo &&
             s->runs[todo[*next]].point == point);
    if (un->n == 0) return;
    un->active = 1;
    advance(s, o, un, t);
}

/* A child of un ended with status; 1 when the unit goes on, 0 when it ended. */
static int stage_ended(const sweep_spec *s, const sweep_options *o, unit *un, int status,
                       tally *t) {
    const double took = now_s() - un->t_stage;
    char how[128], what[256];
    describe_exit(status, how, sizeof how);
    const int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    un->pid = 0;
    if (un->stage == 0) {
        snprintf(what, sizeof what, "train %s", how);
        char last[512] = "", msg[PATH_MAX + 1024];
        if (un->pack) {
            log_line(un->pack_log, "%s after %.1f s", what, took);
            last_line(un->pack_log, last, sizeof last);
        }
        for (int k = 0; k < un->n; ++k) {
            member *m = &un->m[k];
            if (!m->in_train) continue;
            log_line(m->log, "%s after %.1f s", what, took);
            if (!ok) {
                if (!un->pack) last_line(m->log, last, sizeof last);
                snprintf(msg, sizeof msg, "%s (%s: %s)", what, un->pack ? un->pack_log : m->log,
                         last);
                member_failed(s, m, msg, t);
                continue;
            }
            m->st.train_done = 1;
            m->st.train_s = took;
            if (sweep_state_write(o->out, s, m->run, &m->st) != RISE_OK)
                member_failed(s, m, rise_last_error(), t);
        }
    } else {
        member *m = &un->m[un->cur];
        snprintf(what, sizeof what, "eval %s %s", s->evals[un->eval].name, how);
        log_line(m->log, "%s after %.1f s", what, took);
        if (!ok) {
            char last[512], msg[PATH_MAX + 1024];
            last_line(m->log, last, sizeof last);
            snprintf(msg, sizeof msg, "%s (%s: %s)", what, m->log, last);
            member_failed(s, m, msg, t);
        } else {
            m->st.eval_done[un->eval] = 1;
            m->st.eval_s[un->eval] = took;
            if (sweep_state_write(o->out, s, m->run, &m->st) != RISE_OK)
                member_failed(s, m, rise_last_error(), t);
        }
    }
    return advance(s, o, un, t);
}

static void print_dry_run(const sweep_spec *s, const sweep_options *o) {
    member *ms = calloc(SWEEP_PACK_MAX, sizeof *ms);
    unit un;
    if (!ms) return;
    for (int r = 0; r < s->n_runs;) {
        memset(&un, 0, sizeof un);
        un.m = ms;
        const int point = s->runs[r].point;
        un.packable = point_packable(s, o, point);
        snprintf(un.point_dir, sizeof un.point_dir, "%s/%s", o->out, s->points[point].dir);
        /* the runs of this point (one unit per run when they do not pack) */
        for (; r < s->n_runs && s->runs[r].point == point && un.n < SWEEP_PACK_MAX; ++r) {
            if (!sweep_selected(o, s, r)) continue;
            char why[320];
            const sweep_run_status st = sweep_run_check(o->out, s, r, 1, why, sizeof why);
            printf("%-8s %s%s%s\n", sweep_status_name(st), s->runs[r].dir, why[0] ? ": " : "", why);
            if (st == SWEEP_RUN_DONE || (st == SWEEP_RUN_STALE && !o->redo_stale)) continue;
            member *m = &un.m[un.n++];
            memset(m, 0, sizeof *m);
            m->run = r;
            m->alive = 1;
            sweep_run_path(o->out, s, r, NULL, m->dir, sizeof m->dir);
            if (st != SWEEP_RUN_STALE) sweep_state_read(o->out, s, r, &m->st);
            if (!un.packable) {
                ++r; /* one run per unit */
                break;
            }
        }
        command c;
        while (next_train(s, o, &un, &c) == 1) {
            printf("    ");
            cmd_print(stdout, &c);
            putchar('\n');
            for (int k = 0; k < un.n; ++k)
                if (un.m[k].in_train) un.m[k].st.train_done = 1;
        }
        for (int k = 0; k < un.n; ++k)
            for (int i = 0; i < s->n_evals; ++i)
                if (!un.m[k].st.eval_done[i] && unit_eval_command(s, o, &un.m[k], i, &c)) {
                    printf("    ");
                    cmd_print(stdout, &c);
                    putchar('\n');
                }
    }
    free(ms);
}

int sweep_run_local(const sweep_spec *s, const sweep_options *o) {
    if (o->dry_run) {
        print_dry_run(s, o);
        return 0;
    }
    const int cap = s->n_seeds < SWEEP_PACK_MAX ? s->n_seeds : SWEEP_PACK_MAX;
    int *todo = malloc((size_t)s->n_runs * sizeof *todo);
    unit *units = calloc((size_t)o->jobs, sizeof *units);
    int ok = todo && units;
    for (int k = 0; ok && k < o->jobs; ++k) {
        units[k].cap = cap > 0 ? cap : 1;
        units[k].m = calloc((size_t)units[k].cap, sizeof *units[k].m);
        ok = units[k].m != NULL;
    }
    if (!ok) {
        for (int k = 0; units && k < o->jobs; ++k) free(units[k].m);
        free(todo);
        free(units);
        fprintf(stderr, "rise sweep: out of memory\n");
        return 1;
    }
    int n_todo = 0, n_done = 0, n_stale = 0;
    for (int r = 0; r < s->n_runs; ++r) {
        if (!sweep_selected(o, s, r)) continue;
        const sweep_run_status st = sweep_run_check(o->out, s, r, 1, NULL, 0);
        if (st == SWEEP_RUN_DONE)
            ++n_done;
        else
            todo[n_todo++] = r;
        n_stale += st == SWEEP_RUN_STALE;
    }
    printf("rise sweep %s: %d runs selected of %d; %d finished already, %d to run%s (%d at a "
           "time, %d threads each%s) in %s\n",
           s->name, n_todo + n_done, s->n_runs, n_done, n_todo,
           n_stale ? (o->redo_stale ? ", stale ones from scratch" : ", stale ones reported") : "",
           o->jobs, o->threads,
           s->n_seeds > 1 && point_packable(s, o, 0) ? "; a point's seeds train in one process"
                                                     : "",
           o->out);
    fflush(stdout);
    struct sigaction old[3];
    install_handlers(old);
    stop_signal = 0;
    int rc = 0;
    tally t = {0, 0, 0, 0, 0};
    if (n_todo > 0 && !run_prepare(s, o)) {
        rc = stop_signal ? 130 : 1;
        n_todo = 0;
    }
    if (o->prepare_only) n_todo = 0;
    rise_progress pr;
    rise_progress_init(&pr, stdout, "sweep", n_todo);
    rise_progress_set_unit(&pr, "runs");
    int next = 0, shown = 0;
    while (!stop_signal) {
        for (int k = 0; k < o->jobs && next < n_todo && !stop_signal; ++k)
            while (!units[k].active && next < n_todo)
                start_unit(s, o, todo, n_todo, &next, &units[k], &t);
        int active = 0, reaped = 0;
        for (int k = 0; k < o->jobs; ++k) {
            if (!units[k].active) continue;
            int status;
            if (waitpid(units[k].pid, &status, WNOHANG) == units[k].pid) {
                reaped = 1;
                stage_ended(s, o, &units[k], status, &t);
            }
            active += units[k].active;
        }
        const int ended = t.done + t.failed + t.stale + t.busy + t.skipped;
        if (ended != shown) rise_progress_update(&pr, shown = ended);
        if (!active && next >= n_todo) break;
        if (!reaped) sleep_ms(100);
    }
    if (stop_signal) {
        pid_t pids[256];
        int n = 0;
        for (int k = 0; k < o->jobs && n < 256; ++k)
            if (units[k].active && units[k].pid > 0) pids[n++] = units[k].pid;
        if (isatty(fileno(stdout))) fputs("\r\033[K", stdout);
        printf("rise sweep: %s, stopping %d running command(s)...\n",
               strsignal(stop_signal > 0 ? stop_signal : -stop_signal), n);
        fflush(stdout);
        stop_children(pids, n);
        for (int k = 0; k < o->jobs; ++k) {
            unit *un = &units[k];
            if (!un->active) continue;
            for (int j = 0; j < un->n; ++j) {
                member *m = &un->m[j];
                if (!m->alive) continue;
                if (un->stage == 0 ? m->in_train : j == un->cur)
                    log_line(m->log, "%s after %.1f s", "stopped by the sweep",
                             now_s() - un->t_stage);
                release(m);
            }
            un->active = 0;
        }
        rc = 130;
    } else if (n_todo > 0) {
        rise_progress_finish(&pr);
    }
    restore_handlers(old);
    printf("rise sweep %s: %d finished now, %d finished before, %d failed, %d stale, %d busy%s\n",
           s->name, t.done, n_done + t.skipped, t.failed, t.stale, t.busy,
           rc == 130 ? "; interrupted: run the same command to continue" : "");
    if (rc == 0 && (t.failed || t.stale || t.busy)) rc = 1;
    for (int k = 0; k < o->jobs; ++k) free(units[k].m);
    free(todo);
    free(units);
    return rc;
}
