/* test_cli_sweep.c - `rise sweep` end to end through the rise executable: a tiny real sweep
 * (BC and IDQL on a few maze episodes, 2 seeds, a few training steps, a 2x2 coverage grid),
 * one process per seed (--no-pack), is killed (SIGKILL) while a run trains, its children must die
 * with it; the Slurm script is emitted for the unfinished runs and one array task is run by hand;
 * the sweep resumes and skips what finished (markers untouched, one training per log); Ctrl-C stops
 * a sweep with exit status 130 and no child left; a failing run is reported without stopping the
 * others; a changed definition is reported stale and --redo-stale trains it again; the report's
 * numbers equal those computed here from the runs' own files, and its plot decodes. Packed seeds:
 * IDQL with 3 seeds trained in one process (train.seeds) is killed mid-training and resumed
 * as a pack, and every run's metrics, checkpoint and coverage equal those of the same sweep
 * run one process per seed, byte for byte; the dry run shows the pack's command. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

#ifndef RISE_CLI_EXE
#define RISE_CLI_EXE "build/rise"
#endif
#ifndef RISE_SOURCE_DIR
#define RISE_SOURCE_DIR ".."
#endif
#define T_975_DF1 12.706204736174707

static char root[256], spec[320], out[320];

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void sleep_ms(int ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static int exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

static int count(const char *text, const char *what) {
    int n = 0;
    for (const char *p = text ? strstr(text, what) : NULL; p; p = strstr(p + 1, what)) ++n;
    return n;
}

/* rise ARGS..., output to log. */
static pid_t spawn(const char *const *args, const char *log) {
    const pid_t pid = fork();
    if (pid != 0) return pid;
    const int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) _exit(126);
    char *argv[32];
    int n = 0;
    argv[n++] = RISE_CLI_EXE;
    for (; args[n - 1] && n < 31; ++n) argv[n] = (char *)args[n - 1];
    argv[n] = NULL;
    execv(argv[0], argv);
    _exit(127);
}

static int wait_exit(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int rise(const char *const *args, const char *log) { return wait_exit(spawn(args, log)); }

static void path_of(char *buf, size_t size, const char *base, const char *run, const char *file) {
    snprintf(buf, size, "%s/%s/%s", base, run, file);
}

/* Nobody holds the run's sweep.lock (no sweep and no child of one works on it). */
static int lock_free(const char *base, const char *run) {
    char p[600];
    path_of(p, sizeof p, base, run, "sweep.lock");
    const int fd = open(p, O_RDWR);
    if (fd < 0) return 1;
    const int ok = flock(fd, LOCK_EX | LOCK_NB) == 0;
    close(fd);
    return ok;
}

static void write_spec(const char *path, const char *extra_set, const char *evals) {
    const char *src = RISE_SOURCE_DIR;
    FILE *f = fopen(path, "w");
    if (!f) return;
    fprintf(f,
            "{\"name\": \"tiny\", \"out\": \"out\",\n"
            " \"configs\": {\"bc\": \"%s/paper_repro/configs/maze_bc_expert.json\",\n"
            "             \"idql\": \"%s/paper_repro/configs/maze_idql.json\"},\n"
            " \"set\": {\"train.steps\": 200, \"train.log_every\": 50, \"train.ckpt_every\": 50,\n"
            "         \"policy.width\": 32, \"critic.width\": 32, \"extract.candidates\": 4,\n"
            "         \"diffusion.sample_steps\": 2%s,\n"
            "         \"data.sources\": \"expert:data/e.h5,non_expert:data/p.h5\"},\n"
            " \"seeds\": [0, 1],\n"
            " \"prepare\": [\n"
            "   {\"creates\": \"data/e.h5\", \"rise\": [\"gen\", \"--task\", \"maze\", \"--kind\", "
            "\"expert\", \"--episodes\", 5, \"--seed\", 1, \"--out\", \"data/e.h5\"]},\n"
            "   {\"creates\": \"data/p.h5\", \"rise\": [\"gen\", \"--task\", \"maze\", \"--kind\", "
            "\"play\", \"--episodes\", 5, \"--seed\", 2, \"--out\", \"data/p.h5\"]}],\n"
            " \"evals\": %s,\n"
            " \"metrics\": [{\"name\": \"coverage\", \"file\": \"eval/coverage.json\", \"key\": "
            "\"coverage\"},\n"
            "   {\"name\": \"loss_pi\", \"file\": \"metrics.csv\", \"column\": \"loss_pi\"}],\n"
            " \"plots\": [{\"metric\": \"loss_pi\"}]}\n",
            src, src, extra_set, evals);
    fclose(f);
}

static const char *const runs[4] = {"bc/s0", "bc/s1", "idql/s0", "idql/s1"};

/* 1. run, kill -9 while idql/s0 trains; 2. Slurm script, one task by hand; 3. resume. */
static void test_kill_slurm_resume(void) {
    char log[600], p[600], p2[600];
    const char *const dry[] = {"sweep", spec, "--dry-run", "--no-pack", NULL};
    snprintf(log, sizeof log, "%s/dry.log", root);
    TEST_CHECK(rise(dry, log) == 0, "dry run");
    char *text = test_read_file(log, NULL);
    TEST_CHECK(text && strstr(text, "new      bc/s0") && strstr(text, "new      idql/s1") &&
                   strstr(text, "--set train.seed=1 --out"),
               "dry run lists the runs and commands:\n%s", text ? text : "");
    free(text);

    const char *const run1[] = {"sweep", spec, "--jobs", "1", "--no-pack", NULL};
    snprintf(log, sizeof log, "%s/run1.log", root);
    const pid_t pid = spawn(run1, log);
    path_of(p, sizeof p, out, "bc/s1", "sweep_done.json");
    path_of(p2, sizeof p2, out, "idql/s0", "checkpoint.h5");
    const double t0 = now_s();
    int ended = 0, status;
    while (!(exists(p) && exists(p2)) && now_s() - t0 < 300 && !ended) {
        ended = waitpid(pid, &status, WNOHANG) == pid;
        sleep_ms(5);
    }
    TEST_CHECK(!ended, "the sweep ended before it could be killed (see %s)", log);
    path_of(p, sizeof p, out, "idql/s0", "sweep_done.json");
    const int killed_in_time = exists(p2) && !exists(p);
    if (!ended) {
        kill(pid, SIGKILL);
        wait_exit(pid);
    }
    TEST_CHECK(killed_in_time, "killed while idql/s0 was unfinished (its checkpoint: %d)",
               exists(p2));
    /* the children go with the sweep (PR_SET_PDEATHSIG): the run's lock comes free */
    const double t1 = now_s();
    while (!lock_free(out, "idql/s0") && now_s() - t1 < 20) sleep_ms(20);
    TEST_CHECK(lock_free(out, "idql/s0"), "a child of the killed sweep still holds idql/s0");
    struct stat before[2];
    for (int i = 0; i < 2; ++i) {
        path_of(p, sizeof p, out, runs[i], "sweep_done.json");
        TEST_CHECK(stat(p, &before[i]) == 0, "%s finished before the kill", runs[i]);
    }
    path_of(p, sizeof p, out, "idql/s0", "sweep_state.json");
    text = test_read_file(p, NULL);
    const int expect_resume = text && strstr(text, "\"train_done\":\tfalse") && exists(p2);
    free(text);
    /* and the training child died at once rather than run on as an orphan to its last step */
    path_of(p, sizeof p, out, "idql/s0", "metrics.csv");
    text = test_read_file(p, NULL);
    if (expect_resume)
        TEST_CHECK(text && !strstr(text, "\n200,"),
                   "the killed sweep's child trained on to the end");
    free(text);

    /* the Slurm script covers exactly the unfinished runs */
    const char *const emit[] = {"sweep", spec, "--emit", "slurm", NULL};
    snprintf(log, sizeof log, "%s/emit.log", root);
    TEST_CHECK(rise(emit, log) == 0, "--emit slurm");
    snprintf(p, sizeof p, "%s/sweep.slurm", out);
    text = test_read_file(p, NULL);
    TEST_CHECK(text && strstr(text, "#!/bin/bash\n") && strstr(text, "\n#SBATCH --array=2-3\n") &&
                   strstr(text, "\n#SBATCH --output=") && strstr(text, "  'bc/s0'\n") &&
                   strstr(text, "  'idql/s1'\n") && strstr(text, " sweep '") &&
                   strstr(text, "--only \"${runs[$SLURM_ARRAY_TASK_ID]}\""),
               "slurm script:\n%s", text ? text : "");
    free(text);
    /* array task 2 is idql/s0: run it as Slurm would */
    char script[400];
    snprintf(script, sizeof script, "%s/sweep.slurm", out);
    snprintf(log, sizeof log, "%s/task2.log", root);
    const pid_t task = fork();
    if (task == 0) {
        const int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) _exit(126);
        setenv("SLURM_ARRAY_TASK_ID", "2", 1);
        execlp("bash", "bash", script, (char *)NULL);
        _exit(127);
    }
    TEST_CHECK(wait_exit(task) == 0, "array task 2 (see %s)", log);
    path_of(p, sizeof p, out, "idql/s0", "sweep_done.json");
    TEST_CHECK(exists(p), "the array task finished idql/s0");
    path_of(p, sizeof p, out, "idql/s1", "sweep_state.json");
    TEST_CHECK(!exists(p), "the array task touched only its own run");
    path_of(p, sizeof p, out, "idql/s0", "sweep.log");
    text = test_read_file(p, NULL);
    if (expect_resume)
        TEST_CHECK(count(text, " --out ") >= 2 && strstr(text, "--resume"),
                   "idql/s0 resumed from its checkpoint:\n%s", text ? text : "");
    else
        printf("note: the kill came after idql/s0's training; resume from a checkpoint not seen\n");
    free(text);

    /* resume: the finished runs are skipped, the last one runs */
    const char *const run2[] = {"sweep", spec, "--jobs", "2", "--no-pack", NULL};
    snprintf(log, sizeof log, "%s/run2.log", root);
    TEST_CHECK(rise(run2, log) == 0, "resumed sweep");
    text = test_read_file(log, NULL);
    TEST_CHECK(text && strstr(text, "3 finished already, 1 to run") &&
                   strstr(text, "done    idql/s1") && !strstr(text, "done    bc/s0"),
               "resume output:\n%s", text ? text : "");
    free(text);
    for (int i = 0; i < 4; ++i) {
        path_of(p, sizeof p, out, runs[i], "sweep_done.json");
        struct stat now;
        TEST_CHECK(stat(p, &now) == 0, "%s finished", runs[i]);
        if (i < 2)
            TEST_CHECK(now.st_ino == before[i].st_ino &&
                           now.st_mtim.tv_sec == before[i].st_mtim.tv_sec &&
                           now.st_mtim.tv_nsec == before[i].st_mtim.tv_nsec,
                       "%s's marker untouched by the resume", runs[i]);
        path_of(p, sizeof p, out, runs[i], "sweep.log");
        text = test_read_file(p, NULL);
        TEST_CHECK(count(text, " train: ") == (i == 2 ? 1 + expect_resume : 1),
                   "%s trained %d time(s)", runs[i], count(text, " train: "));
        free(text);
    }
}

/* Ctrl-C: exit 130, children stopped, nothing holds a run. */
static void test_interrupt(void) {
    char out2[400], log[600], p[700];
    snprintf(out2, sizeof out2, "%s/out2", root);
    const char *const args[] = {"sweep", spec, "--jobs", "2", "--out", out2, "--no-pack", NULL};
    snprintf(log, sizeof log, "%s/int.log", root);
    const pid_t pid = spawn(args, log);
    path_of(p, sizeof p, out2, "bc/s1", "sweep.log");
    const double t0 = now_s();
    while (!exists(p) && now_s() - t0 < 60) sleep_ms(5);
    sleep_ms(200); /* the children are running */
    kill(pid, SIGINT);
    TEST_CHECK(wait_exit(pid) == 130, "interrupted sweep exits with 130");
    int free_all = 1, finished = 0;
    for (int i = 0; i < 4; ++i) {
        free_all &= lock_free(out2, runs[i]);
        char m[700];
        path_of(m, sizeof m, out2, runs[i], "metrics.csv");
        char *rows = test_read_file(m, NULL);
        finished += rows && strstr(rows, "\n200,") != NULL;
        free(rows);
    }
    TEST_CHECK(free_all, "no child holds a run after Ctrl-C");
    TEST_CHECK(finished == 0, "%d training(s) ran on to their last step after Ctrl-C", finished);
    char *text = test_read_file(log, NULL);
    TEST_CHECK(text && strstr(text, "interrupted: run the same command to continue"),
               "interrupt message:\n%s", text ? text : "");
    free(text);
    text = test_read_file(p, NULL);
    TEST_CHECK(text && (strstr(text, "stopped by the sweep") || strstr(text, "exited with status")),
               "the run's log tells what happened:\n%s", text ? text : "");
    free(text);
}

/* A run that fails is reported; the others go on; exit status 1. */
static void test_failure(void) {
    const char *src = RISE_SOURCE_DIR;
    char path[400], log[600], out3[400];
    snprintf(path, sizeof path, "%s/fail.json", root);
    snprintf(out3, sizeof out3, "%s/out3", root);
    FILE *f = fopen(path, "w");
    fprintf(f,
            "{\"config\": \"%s/paper_repro/configs/maze_bc_expert.json\", \"seeds\": [0],\n"
            " \"set\": {\"train.steps\": 20, \"policy.width\": 32},\n"
            " \"runs\": [{\"name\": \"broken\", \"set\": {\"data.sources\": "
            "\"expert:data/missing.h5\"}},\n"
            "          {\"name\": \"fine\", \"set\": {\"data.sources\": \"expert:data/e.h5\"}}],\n"
            " \"evals\": []}\n",
            src);
    fclose(f);
    const char *const args[] = {"sweep", path, "--out", out3, NULL};
    snprintf(log, sizeof log, "%s/fail.log", root);
    TEST_CHECK(rise(args, log) == 1, "a failed run makes the exit status 1");
    char *text = test_read_file(log, NULL);
    TEST_CHECK(text && strstr(text, "FAILED  broken/s0: train exited with status") &&
                   strstr(text, "missing.h5") && strstr(text, "done    fine/s0") &&
                   strstr(text, "1 finished now, 0 finished before, 1 failed"),
               "failure report:\n%s", text ? text : "");
    free(text);
}

/* Another --set under the same directories: stale, reported; --redo-stale retrains. */
static void test_stale(void) {
    char log[600], p[600];
    write_spec(spec, ", \"train.batch\": 32", "[{\"args\": [\"--grid\", 2, \"--trials\", 1]}]");
    const char *const args[] = {"sweep", spec, "--only", "bc/*", NULL};
    snprintf(log, sizeof log, "%s/stale.log", root);
    TEST_CHECK(rise(args, log) == 1, "stale runs make the exit status 1");
    char *text = test_read_file(log, NULL);
    TEST_CHECK(text && strstr(text, "stale   bc/s0: it was trained with other --set values") &&
                   strstr(text, "--redo-stale"),
               "stale report:\n%s", text ? text : "");
    free(text);
    const char *const redo[] = {"sweep", spec, "--only", "bc/s0", "--redo-stale", NULL};
    TEST_CHECK(rise(redo, log) == 0, "--redo-stale");
    path_of(p, sizeof p, out, "bc/s0", "sweep_done.json");
    text = test_read_file(p, NULL);
    TEST_CHECK(text && strstr(text, "train.batch=32"), "bc/s0 retrained with the new definition");
    free(text);
    path_of(p, sizeof p, out, "bc/s0", "sweep.log");
    text = test_read_file(p, NULL);
    TEST_CHECK(count(text, " train: ") == 2, "bc/s0 trained twice in all");
    free(text);
}

static double json_number(const char *path, const char *key) {
    char *t = test_read_file(path, NULL);
    cJSON *j = t ? cJSON_Parse(t) : NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    const double x = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    cJSON_Delete(j);
    free(t);
    return x;
}

/* The last row's loss_pi, found by this test's own reading of the header. */
static double last_loss_pi(const char *path) {
    char *t = test_read_file(path, NULL);
    if (!t) return NAN;
    int col = -1, c = 0;
    for (char *q = t; *q && *q != '\n'; ++c) {
        const size_t len = strcspn(q, ",\n");
        if (len == 7 && !strncmp(q, "loss_pi", 7)) col = c;
        q += len + (q[len] == ',');
    }
    size_t n = strlen(t);
    while (n && t[n - 1] == '\n') t[--n] = '\0';
    const char *line = strrchr(t, '\n') + 1;
    for (c = 0; c < col; ++c) line = strchr(line, ',') + 1;
    const double x = atof(line);
    free(t);
    return x;
}

static void test_report(void) {
    char log[600], p[700], pth[700];
    const char *const args[] = {"sweep", "report", out, NULL};
    snprintf(log, sizeof log, "%s/report.log", root);
    TEST_CHECK(rise(args, log) == 0, "report");
    snprintf(p, sizeof p, "%s/report/summary.csv", out);
    char *csv = test_read_file(p, NULL);
    TEST_CHECK(csv != NULL, "summary.csv");
    /* idql: both seeds; the numbers from the runs' own files */
    double cov[2], loss[2];
    for (int k = 0; k < 2; ++k) {
        path_of(pth, sizeof pth, out, runs[2 + k], "eval/coverage.json");
        cov[k] = json_number(pth, "coverage");
        path_of(pth, sizeof pth, out, runs[2 + k], "metrics.csv");
        loss[k] = last_loss_pi(pth);
    }
    const double mean = 0.5 * (loss[0] + loss[1]), sd = fabs(loss[0] - loss[1]) / sqrt(2.0);
    const char *row = csv ? strstr(csv, "\nidql,idql,loss_pi,2,") : NULL;
    TEST_CHECK(row != NULL, "summary row idql loss_pi with n = 2:\n%s", csv ? csv : "");
    if (row) {
        double m, s, lo, hi;
        TEST_CHECK(sscanf(row, "\nidql,idql,loss_pi,2,%lf,%lf,%lf,%lf", &m, &s, &lo, &hi) == 4,
                   "parse the row");
        TEST_CHECK(fabs(m - mean) < 1e-8 && fabs(s - sd) < 1e-8, "mean %g sd %g, want %g %g", m, s,
                   mean, sd);
        const double half = T_975_DF1 * sd / sqrt(2.0);
        TEST_CHECK(fabs(lo - (mean - half)) < 1e-7 && fabs(hi - (mean + half)) < 1e-7,
                   "t interval [%g, %g], want [%g, %g]", lo, hi, mean - half, mean + half);
    }
    char want[128];
    snprintf(want, sizeof want, "\nidql,idql,coverage,2,%.10g,", 0.5 * (cov[0] + cov[1]));
    TEST_CHECK(csv && strstr(csv, want), "coverage mean row %s", want + 1);
    free(csv);
    snprintf(p, sizeof p, "%s/report/loss_pi_vs_name.png", out);
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    const int ok = png_image_begin_read_from_file(&img, p);
    TEST_CHECK(ok && img.width == 900 && img.height == 540, "the plot is a 900x540 PNG");
    if (ok) {
        img.format = PNG_FORMAT_RGB;
        void *px = malloc(PNG_IMAGE_SIZE(img));
        TEST_CHECK(px && png_image_finish_read(&img, NULL, px, 0, NULL), "the plot decodes");
        free(px);
    }
}

static int same_bytes(const char *a, const char *b) {
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb, ca = 0, cb = 0;
    while (same && (ca = fgetc(fa)) == (cb = fgetc(fb)) && ca != EOF) {
    }
    same = same && ca == EOF && cb == EOF;
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

/* A point's seeds in one process: killed mid-training, resumed as a pack, equal to one
 * process per seed. */
static void test_pack(void) {
    const char *src = RISE_SOURCE_DIR;
    char path[400], log[600], ref[400], packed[400], p[700], q[700];
    snprintf(path, sizeof path, "%s/pack.json", root);
    snprintf(ref, sizeof ref, "%s/pack_ref", root);
    snprintf(packed, sizeof packed, "%s/pack_out", root);
    FILE *f = fopen(path, "w");
    fprintf(f,
            "{\"config\": \"%s/paper_repro/configs/maze_idql.json\", \"seeds\": [0, 1, 2],\n"
            " \"set\": {\"train.steps\": 400, \"train.log_every\": 50, \"train.ckpt_every\": 50,\n"
            "         \"policy.width\": 32, \"critic.width\": 32, \"extract.candidates\": 4,\n"
            "         \"diffusion.sample_steps\": 2,\n"
            "         \"data.sources\": \"expert:data/e.h5,non_expert:data/p.h5\"},\n"
            " \"evals\": [{\"args\": [\"--grid\", 2, \"--trials\", 1]}]}\n",
            src);
    fclose(f);
    const char *const dry[] = {"sweep", path, "--out", packed, "--dry-run", NULL};
    snprintf(log, sizeof log, "%s/pack_dry.log", root);
    TEST_CHECK(rise(dry, log) == 0, "pack dry run");
    char *text = test_read_file(log, NULL);
    snprintf(q, sizeof q, "--set 'train.seeds=[0,1,2]' --out %s/maze_idql\n", packed);
    TEST_CHECK(text && strstr(text, q) && count(text, " train ") == 1,
               "the dry run shows one training command for the 3 seeds:\n%s", text ? text : "");
    free(text);
    const char *const single[] = {"sweep", path, "--out", ref, "--no-pack", NULL};
    snprintf(log, sizeof log, "%s/pack_ref.log", root);
    TEST_CHECK(rise(single, log) == 0, "one process per seed (see %s)", log);

    const char *const run[] = {"sweep", path, "--out", packed, NULL};
    snprintf(log, sizeof log, "%s/pack_run1.log", root);
    const pid_t pid = spawn(run, log);
    path_of(p, sizeof p, packed, "maze_idql/s2", "checkpoint.h5");
    path_of(q, sizeof q, packed, "maze_idql/s0", "sweep_done.json");
    const double t0 = now_s();
    int ended = 0, status;
    while (!exists(p) && now_s() - t0 < 300 && !ended) {
        ended = waitpid(pid, &status, WNOHANG) == pid;
        sleep_ms(5);
    }
    const int killed_mid = !ended && !exists(q);
    if (!ended) {
        kill(pid, SIGKILL);
        wait_exit(pid);
    }
    if (!killed_mid) printf("note: the pack finished training before the kill; resume not seen\n");
    const double t1 = now_s();
    while (!lock_free(packed, "maze_idql/s0") && now_s() - t1 < 20) sleep_ms(20);
    snprintf(log, sizeof log, "%s/pack_run2.log", root);
    TEST_CHECK(rise(run, log) == 0, "the packed sweep resumed (see %s)", log);
    snprintf(p, sizeof p, "%s/maze_idql/sweep.log", packed);
    text = test_read_file(p, NULL);
    TEST_CHECK(text && count(text, " train: ") == 1 + killed_mid &&
                   count(text, "'train.seeds=[0,1,2]'") == 1 + killed_mid &&
                   (!killed_mid || strstr(text, "--resume --set 'train.seeds=[0,1,2]'")),
               "one process trained the 3 seeds%s:\n%s", killed_mid ? ", then resumed them" : "",
               text ? text : "");
    free(text);
    static const char *const files[] = {"metrics.csv", "checkpoint.h5", "eval/coverage.csv"};
    for (int k = 0; k < 3; ++k) {
        char run_dir[32];
        snprintf(run_dir, sizeof run_dir, "maze_idql/s%d", k);
        path_of(p, sizeof p, packed, run_dir, "sweep_done.json");
        TEST_CHECK(exists(p), "%s finished", run_dir);
        path_of(p, sizeof p, packed, run_dir, "sweep.log");
        text = test_read_file(p, NULL);
        TEST_CHECK(count(text, " train: ") == 1 + killed_mid && count(text, " eval eval: ") == 1,
                   "%s's log records the pack's training and its own eval:\n%s", run_dir,
                   text ? text : "");
        free(text);
        for (int i = 0; i < 3; ++i) {
            path_of(p, sizeof p, packed, run_dir, files[i]);
            path_of(q, sizeof q, ref, run_dir, files[i]);
            TEST_CHECK(same_bytes(p, q), "%s: the pack's %s is the single run's", run_dir,
                       files[i]);
        }
    }
}

int main(void) {
    snprintf(root, sizeof root, "/tmp/rise_test_cli_sweep_%ld", (long)getpid());
    snprintf(spec, sizeof spec, "%s/spec.json", root);
    snprintf(out, sizeof out, "%s/out", root);
    if (mkdir(root, 0775) != 0) {
        fprintf(stderr, "FAIL cannot create %s\n", root);
        return 1;
    }
    write_spec(spec, "", "[{\"args\": [\"--grid\", 2, \"--trials\", 1]}]");
    test_kill_slurm_resume();
    test_interrupt();
    test_failure();
    test_report();
    test_stale();
    test_pack();
    test_remove_dir(root);
    return test_finish();
}
