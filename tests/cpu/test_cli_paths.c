/* test_cli_paths.c - where the `rise` commands read and write, run as a user would: every
 * command that writes (gen --out, data merge/relabel -o, coverage --out, train --out, eval
 * --out) creates its output's missing parent folders; a run trained with a data path
 * relative to one working folder resumes and evaluates from another (the path is stored
 * absolute in config.json); stale checkpoint.h5.tmp.<pid> files of dead processes are
 * removed when a run starts, those of live processes kept; `rise eval`'s coverage.json
 * records what it evaluated (run, checkpoint, step, the extraction asked for, backend), and
 * an evaluation without robustness into a folder holding an earlier robustness.csv says so.
 * Uses the `rise` binary next to the test's build folder (skipped when it is absent).
 * Run: ctest -R test_cli_paths */
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "test_util.h"

static char exe[1024], tmp[512];

static int run(const char *cwd, const char *args) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >>'%s/log.txt' 2>&1", cwd, exe, args, tmp);
    const int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* A pid that belonged to a process that has exited (reaped). */
static long dead_pid(void) {
    const pid_t p = fork();
    if (p == 0) _exit(0);
    waitpid(p, NULL, 0);
    return (long)p;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_nested_outputs_and_resume(void) {
    char a[900], b[600], args[4096], path[1200];
    snprintf(a, sizeof a, "%s/work_a", tmp);
    snprintf(b, sizeof b, "%s/work_b", tmp);
    mkdir(a, 0775);
    mkdir(b, 0775);
    /* Outputs under folders that do not exist yet. */
    TEST_CHECK(run(a, "gen --task maze --kind expert --episodes 3 --seed 1 --quiet "
                      "--out data/x/expert.h5") == 0,
               "gen into a new folder");
    TEST_CHECK(run(a, "gen --task maze --kind play --episodes 3 --seed 2 --quiet "
                      "--out data/x/play.h5") == 0,
               "gen play");
    TEST_CHECK(run(a, "data merge -o merged/y/all.h5 data/x/expert.h5:expert "
                      "data/x/play.h5:play") == 0,
               "merge into a new folder");
    snprintf(path, sizeof path, "%s/merged/y/all.h5", a);
    TEST_CHECK(exists(path), "merge wrote %s", path);
    TEST_CHECK(run(a, "data relabel data/x/play.h5 -o relabelled/z/play.h5 --role non_expert") == 0,
               "relabel into a new folder");
    snprintf(path, sizeof path, "%s/relabelled/z/play.h5", a);
    TEST_CHECK(exists(path), "relabel wrote %s", path);
    TEST_CHECK(run(a, "coverage --task maze --policy expert --grid 2 --trials 1 --quiet "
                      "--out cov/p/q") == 0,
               "coverage into a new folder");
    snprintf(path, sizeof path, "%s/cov/p/q/coverage.json", a);
    TEST_CHECK(exists(path), "coverage wrote %s", path);

    /* Train from folder a with relative data paths into a nested run folder... */
    snprintf(path, sizeof path, "%s/tiny.json", tmp);
    write_file(path, "{\"train\": {\"algo\": \"bc_mlp\", \"task\": \"maze\", \"steps\": 2,"
                     " \"batch\": 8, \"log_every\": 1, \"ckpt_every\": 1},"
                     " \"policy\": {\"width\": 8, \"depth\": 1}}");
    snprintf(args, sizeof args,
             "train --config '%s' --set data.sources=expert:data/x/expert.h5,non_expert:data/x/"
             "play.h5 --out runs/r/run1 --quiet",
             path);
    TEST_CHECK(run(a, args) == 0, "train into a new folder");
    char run_dir[1000];
    snprintf(run_dir, sizeof run_dir, "%s/runs/r/run1", a);
    snprintf(path, sizeof path, "%s/config.json", run_dir);
    char *cfg = test_read_file(path, NULL);
    char want[1200];
    snprintf(want, sizeof want, "\"%s/data/x/expert.h5\"", a);
    TEST_CHECK(cfg && strstr(cfg, want), "config.json stores the data path absolute (%s)", want);
    free(cfg);

    /* ... stale temporaries: one of a dead process, one of a live one (this test) ... */
    char stale[1200], live[1200];
    snprintf(stale, sizeof stale, "%s/checkpoint.h5.tmp.%ld", run_dir, dead_pid());
    snprintf(live, sizeof live, "%s/checkpoint.h5.tmp.%ld", run_dir, (long)getpid());
    write_file(stale, "partial");
    write_file(live, "being written");

    /* ... then resume and evaluate from folder b. */
    snprintf(args, sizeof args, "train --out '%s' --resume --set train.steps=4 --quiet", run_dir);
    TEST_CHECK(run(b, args) == 0, "resume from another working folder (see %s/log.txt)", tmp);
    TEST_CHECK(!exists(stale), "stale %s removed", stale);
    TEST_CHECK(exists(live), "live %s kept", live);
    remove(live);
    snprintf(args, sizeof args, "eval '%s' --grid 2 --trials 1 --quiet --out ev/s/t", run_dir);
    TEST_CHECK(run(b, args) == 0, "eval into a new folder");
    snprintf(path, sizeof path, "%s/ev/s/t/coverage.json", b);
    TEST_CHECK(exists(path), "eval wrote %s", path);
}

static void test_eval_records_what_it_evaluated(void) {
    char w[700], args[4096], path[1200];
    snprintf(w, sizeof w, "%s/work_c", tmp);
    mkdir(w, 0775);
    TEST_CHECK(run(w, "gen --task maze --kind expert --episodes 3 --seed 1 --quiet "
                      "--out expert.h5") == 0 &&
                   run(w, "gen --task maze --kind play --episodes 3 --seed 2 --quiet "
                          "--out play.h5") == 0,
               "gen");
    snprintf(path, sizeof path, "%s/idql.json", tmp);
    write_file(path, "{\"train\": {\"algo\": \"idql\", \"task\": \"maze\", \"steps\": 3,"
                     " \"batch\": 8, \"log_every\": 1, \"ckpt_every\": 3},"
                     " \"policy\": {\"width\": 8, \"depth\": 1},"
                     " \"critic\": {\"width\": 8, \"depth\": 1}}");
    snprintf(args, sizeof args,
             "train --config '%s' --set data.sources=expert:expert.h5,non_expert:play.h5 "
             "--out run --quiet",
             path);
    TEST_CHECK(run(w, args) == 0, "train idql (see %s/log.txt)", tmp);
    TEST_CHECK(run(w, "eval run --grid 2 --trials 1 --candidates 3 --extract-rule expectile "
                      "--robustness --robust-episodes 2 --quiet") == 0,
               "eval with robustness (see %s/log.txt)", tmp);
    snprintf(path, sizeof path, "%s/run/eval/coverage.json", w);
    char *text = test_read_file(path, NULL);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "evaluated");
    const cJSON *ck = cJSON_GetObjectItemCaseSensitive(e, "checkpoint");
    snprintf(path, sizeof path, "%s/run/checkpoint.h5", w);
    TEST_CHECK(cJSON_IsString(ck) && !strcmp(ck->valuestring, path),
               "evaluated.checkpoint %s, the run's checkpoint as an absolute path",
               cJSON_IsString(ck) ? ck->valuestring : "(none)");
    TEST_CHECK(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "step")) == 3.0,
               "evaluated.step 3");
    TEST_CHECK(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "candidates")) == 3.0,
               "evaluated.candidates: the --candidates asked for");
    const char *rule = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "extract_rule"));
    const char *algo = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "algo"));
    const char *backend = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "backend"));
    TEST_CHECK(rule && !strcmp(rule, "expectile"), "evaluated.extract_rule %s", rule);
    TEST_CHECK(algo && !strcmp(algo, "idql"), "evaluated.algo %s", algo);
    TEST_CHECK(backend && !strcmp(backend, "cpu"), "evaluated.backend %s", backend);
    TEST_CHECK(cJSON_GetObjectItemCaseSensitive(j, "robustness") != NULL, "robustness measured");
    cJSON_Delete(j);
    free(text);
    /* The same folder again without robustness: the old robustness.csv stays, named. */
    snprintf(path, sizeof path, "%s/log.txt", tmp);
    remove(path);
    TEST_CHECK(run(w, "eval run --grid 2 --trials 1 --quiet") == 0, "eval again");
    text = test_read_file(path, NULL);
    TEST_CHECK(text && strstr(text, "robustness.csv is an earlier evaluation's"),
               "the stale robustness.csv is named: %s", text ? text : "(no log)");
    free(text);
}

int main(void) {
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return 77;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return 77;
    snprintf(slash, sizeof exe - (size_t)(slash - exe), "/../rise");
    if (access(exe, X_OK) != 0) {
        printf("%s not built: skipped\n", exe);
        return 77;
    }
    snprintf(tmp, sizeof tmp, "/tmp/rise_test_cli_paths_%ld", (long)getpid());
    mkdir(tmp, 0775);
    test_nested_outputs_and_resume();
    test_eval_records_what_it_evaluated();
    test_remove_dir(tmp);
    return test_finish();
}
