/* cli/sweep_run.c - the local sweep runner: `rise train` and `rise eval` as child processes
 * of this one (fork + exec of the rise executable), N at a time.
 *
 * Each unit of work is a point and its seeds; today a unit holds one seed and its stages are
 * `rise train --config C --set ... --set train.seed=S --out RUN` (or `rise train --out RUN
 * --resume` when a checkpoint of the same definition is there), then each eval of the spec
 * (`rise eval RUN [--out RUN/<name>] ARGS`). Stages recorded in RUN/sweep_state.json are
 * skipped; the completion marker RUN/sweep_done.json is written last (sweep.h).
 *
 * Seeds packed into one process (`train.seeds = [...]`, one agent per seed, each writing
 * OUT/<point>/s<seed>) will plug in at unit_train_command: a unit then holds a point's
 * unfinished seeds and trains them with one `rise train --set train.seeds=[...] --out
 * OUT/<point>`; evals, markers, resume and the report stay per run directory, unchanged.
 *
 * Children run in their own process group, in the spec's folder, with stdout and stderr
 * appended to RUN/sweep.log, OMP_NUM_THREADS = threads per job, and PR_SET_PDEATHSIG so a
 * killed sweep takes them along. SIGINT/SIGTERM/SIGHUP stop the sweep cleanly: children get
 * SIGTERM (SIGKILL after 10 s or a second signal); finished stages stay recorded, and the
 * same command continues where it stopped. */
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

#include "host/progress.h"

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

/* Holds the paths a unit's command lines point into. */
typedef struct {
    int run;
    char dir[PATH_MAX]; /* OUT/<run dir>, absolute */
    char seed[256];     /* seed_key=S */
    char eval_out[PATH_MAX + 80];
    char threads[32];
} unit;

static int unit_train_command(const sweep_spec *s, const sweep_options *o, unit *u, int resume,
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

static int unit_eval_command(const sweep_spec *s, const sweep_options *o, unit *u, int i,
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

/* Starts c in cwd with output appended to log; keep_fd (or -1) stays open across exec. */
static pid_t launch(const command *c, const char *cwd, const char *log, int threads, int keep_fd) {
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
    if (keep_fd >= 0) fcntl(keep_fd, F_SETFD, 0);
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

static int file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

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
        const pid_t pid = launch(&c, s->dir, log, o->threads, -1);
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

typedef struct {
    int active;
    unit u;
    int lock_fd;
    int stage; /* 0: train, 1 + i: eval i */
    pid_t pid;
    double t_stage;
    sweep_stages st;
    char log[PATH_MAX];
} slot;

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

/* Starts the slot's next stage, or returns 0 when none is left. -1: a start failed. */
static int next_stage(const sweep_spec *s, const sweep_options *o, slot *sl) {
    command c;
    for (;;) {
        if (sl->stage == 0 && !sl->st.train_done) {
            char ckpt[PATH_MAX + 32];
            snprintf(ckpt, sizeof ckpt, "%s/checkpoint.h5", sl->u.dir);
            if (!unit_train_command(s, o, &sl->u, file_exists(ckpt), &c)) return -1;
            log_command(sl->log, "train", &c);
            break;
        }
        if (sl->stage >= 1 && sl->stage <= s->n_evals && !sl->st.eval_done[sl->stage - 1]) {
            if (!unit_eval_command(s, o, &sl->u, sl->stage - 1, &c)) return -1;
            char what[80];
            snprintf(what, sizeof what, "eval %s", s->evals[sl->stage - 1].name);
            log_command(sl->log, what, &c);
            break;
        }
        if (sl->stage > s->n_evals) return 0;
        ++sl->stage;
    }
    sl->t_stage = now_s();
    sl->pid = launch(&c, s->dir, sl->log, o->threads, sl->lock_fd);
    return sl->pid > 0 ? 1 : -1;
}

static void end_unit(slot *sl) {
    if (sl->lock_fd >= 0) close(sl->lock_fd);
    sl->lock_fd = -1;
    sl->active = 0;
}

typedef struct {
    int done, failed, stale, busy, skipped;
} tally;

/* Claims run r for a slot: lock, status again (another sweep may have finished it), state. */
static int start_unit(const sweep_spec *s, const sweep_options *o, int r, slot *sl, tally *t) {
    memset(sl, 0, sizeof *sl);
    sl->lock_fd = -1;
    sl->u.run = r;
    sweep_run_path(o->out, s, r, NULL, sl->u.dir, sizeof sl->u.dir);
    snprintf(sl->log, sizeof sl->log, "%s/sweep.log", sl->u.dir);
    const rise_status ms = rise_mkdir_p(sl->u.dir);
    if (ms != RISE_OK) {
        status_line("FAILED  %s: %s", s->runs[r].dir, rise_last_error());
        ++t->failed;
        return 0;
    }
    sl->lock_fd = lock_run(sl->u.dir);
    if (sl->lock_fd < 0) {
        status_line("busy    %s: %s", s->runs[r].dir,
                    sl->lock_fd == -1 ? "another process is running it; skipped"
                                      : "cannot create its lock file; skipped");
        ++t->busy;
        return 0;
    }
    char why[320];
    sweep_run_status st = sweep_run_check(o->out, s, r, 1, why, sizeof why);
    if (st == SWEEP_RUN_STALE && o->redo_stale) {
        if (sweep_run_reset(o->out, s, r) != RISE_OK) {
            status_line("FAILED  %s: %s", s->runs[r].dir, rise_last_error());
            ++t->failed;
            end_unit(sl);
            return 0;
        }
        st = SWEEP_RUN_NEW;
    }
    if (st == SWEEP_RUN_DONE) {
        ++t->skipped;
        end_unit(sl);
        return 0;
    }
    if (st == SWEEP_RUN_STALE) {
        status_line("stale   %s: %s (remove it, or run with --redo-stale)", s->runs[r].dir, why);
        ++t->stale;
        end_unit(sl);
        return 0;
    }
    /* temporaries of a sweep killed mid-write (their writer is gone: we hold the lock) */
    rise_remove_stale_temps(sl->u.dir, "sweep_state.json");
    rise_remove_stale_temps(sl->u.dir, "sweep_done.json");
    sweep_state_read(o->out, s, r, &sl->st);
    if (sweep_state_write(o->out, s, r, &sl->st) != RISE_OK) {
        status_line("FAILED  %s: %s", s->runs[r].dir, rise_last_error());
        ++t->failed;
        end_unit(sl);
        return 0;
    }
    sl->active = 1;
    const int started = next_stage(s, o, sl);
    if (started == 1) return 1;
    if (started == 0) { /* every stage recorded already: only the marker was missing */
        if (sweep_done_write(o->out, s, r, &sl->st) == RISE_OK) {
            ++t->done;
            status_line("done    %s%s", s->runs[r].dir, "");
        } else {
            ++t->failed;
            status_line("FAILED  %s: %s", s->runs[r].dir, rise_last_error());
        }
    } else {
        ++t->failed;
        status_line("FAILED  %s: %s", s->runs[r].dir, "cannot start its command");
    }
    end_unit(sl);
    return 0;
}

/* A child of sl ended with status; 1 when the unit goes on, 0 when it ended. */
static int stage_ended(const sweep_spec *s, const sweep_options *o, slot *sl, int status,
                       tally *t) {
    const double took = now_s() - sl->t_stage;
    const char *dir = s->runs[sl->u.run].dir;
    char how[128];
    describe_exit(status, how, sizeof how);
    char stage[80];
    if (sl->stage == 0)
        snprintf(stage, sizeof stage, "train");
    else
        snprintf(stage, sizeof stage, "eval %s", s->evals[sl->stage - 1].name);
    char what[256];
    snprintf(what, sizeof what, "%s %s", stage, how);
    log_line(sl->log, "%s after %.1f s", what, took);
    sl->pid = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char last[512], msg[1024];
        last_line(sl->log, last, sizeof last);
        snprintf(msg, sizeof msg, "%s (%s/sweep.log: %s)", what, sl->u.dir, last);
        status_line("FAILED  %s: %s", dir, msg);
        ++t->failed;
        end_unit(sl);
        return 0;
    }
    if (sl->stage == 0) {
        sl->st.train_done = 1;
        sl->st.train_s = took;
    } else {
        sl->st.eval_done[sl->stage - 1] = 1;
        sl->st.eval_s[sl->stage - 1] = took;
    }
    rise_status rs = sweep_state_write(o->out, s, sl->u.run, &sl->st);
    int started = 0;
    if (rs == RISE_OK) {
        ++sl->stage;
        started = next_stage(s, o, sl);
        if (started == 1) return 1;
        if (started == 0) rs = sweep_done_write(o->out, s, sl->u.run, &sl->st);
    }
    if (rs == RISE_OK && started == 0) {
        char detail[160];
        double total = sl->st.train_s;
        for (int i = 0; i < s->n_evals; ++i) total += sl->st.eval_s[i];
        snprintf(detail, sizeof detail, " (%.0f s)", total);
        status_line("done    %s%s", dir, detail);
        ++t->done;
    } else {
        status_line("FAILED  %s: %s", dir,
                    rs != RISE_OK ? rise_last_error() : "cannot start its next command");
        ++t->failed;
    }
    end_unit(sl);
    return 0;
}

static void print_dry_run(const sweep_spec *s, const sweep_options *o) {
    for (int r = 0; r < s->n_runs; ++r) {
        if (!sweep_selected(o, s, r)) continue;
        char why[320];
        const sweep_run_status st = sweep_run_check(o->out, s, r, 1, why, sizeof why);
        printf("%-8s %s%s%s\n", sweep_status_name(st), s->runs[r].dir, why[0] ? ": " : "", why);
        if (st == SWEEP_RUN_DONE) continue;
        unit u;
        memset(&u, 0, sizeof u);
        u.run = r;
        sweep_run_path(o->out, s, r, NULL, u.dir, sizeof u.dir);
        command c;
        sweep_stages stages;
        sweep_state_read(o->out, s, r, &stages);
        char ckpt[PATH_MAX + 32];
        snprintf(ckpt, sizeof ckpt, "%s/checkpoint.h5", u.dir);
        if (!stages.train_done && unit_train_command(s, o, &u, file_exists(ckpt), &c)) {
            printf("    ");
            cmd_print(stdout, &c);
            putchar('\n');
        }
        for (int i = 0; i < s->n_evals; ++i)
            if (!stages.eval_done[i] && unit_eval_command(s, o, &u, i, &c)) {
                printf("    ");
                cmd_print(stdout, &c);
                putchar('\n');
            }
    }
}

int sweep_run_local(const sweep_spec *s, const sweep_options *o) {
    if (o->dry_run) {
        print_dry_run(s, o);
        return 0;
    }
    int *todo = malloc((size_t)s->n_runs * sizeof *todo);
    slot *slots = calloc((size_t)o->jobs, sizeof *slots);
    if (!todo || !slots) {
        free(todo);
        free(slots);
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
           "time, %d threads each) in %s\n",
           s->name, n_todo + n_done, s->n_runs, n_done, n_todo,
           n_stale ? (o->redo_stale ? ", stale ones from scratch" : ", stale ones reported") : "",
           o->jobs, o->threads, o->out);
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
            while (!slots[k].active && next < n_todo) start_unit(s, o, todo[next++], &slots[k], &t);
        int active = 0, reaped = 0;
        for (int k = 0; k < o->jobs; ++k) {
            if (!slots[k].active) continue;
            int status;
            if (waitpid(slots[k].pid, &status, WNOHANG) == slots[k].pid) {
                reaped = 1;
                stage_ended(s, o, &slots[k], status, &t);
            }
            active += slots[k].active;
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
            if (slots[k].active && slots[k].pid > 0) pids[n++] = slots[k].pid;
        if (isatty(fileno(stdout))) fputs("\r\033[K", stdout);
        printf("rise sweep: %s, stopping %d running command(s)...\n",
               strsignal(stop_signal > 0 ? stop_signal : -stop_signal), n);
        fflush(stdout);
        stop_children(pids, n);
        for (int k = 0; k < o->jobs; ++k)
            if (slots[k].active) {
                log_line(slots[k].log, "%s after %.1f s", "stopped by the sweep",
                         now_s() - slots[k].t_stage);
                end_unit(&slots[k]);
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
    free(todo);
    free(slots);
    return rc;
}
