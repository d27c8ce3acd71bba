/* test_progress.c - the terminal progress line (host/progress.c).
 *
 * Run: ctest -R test_progress (or ./test_progress from tests/).
 * Checks the formatted line at a fixed clock (counts, percent, steps/s, ETA, named values,
 * "took" when done), the duration format, and that a non-TTY stream gets exactly one line
 * per `every_pct` percent plus the final one while a TTY stream gets \r redraws and one
 * final newline; the unit and the per-minute rate of slow work; RISE_PROGRESS forcing a mode;
 * parts of an outer progress: in its mode, prefixed on a terminal, silent in a log. */
#include "host/progress.h"
#include "test_util.h"

static void check_format(void) {
    rise_progress p;
    rise_progress_init(&p, stdout, "train", 2000);
    p.t_start = 100.0;
    p.step = 500;
    rise_progress_value(&p, "loss", 0.125);
    rise_progress_value(&p, "lr", 3e-4);
    rise_progress_value(&p, "loss", 0.0625); /* updates in place */
    char line[256];
    rise_progress_format(&p, 110.0, line, sizeof line);
    /* 500 steps in 10 s: 50 steps/s, 1500 left: 30 s */
    TEST_CHECK(
        strcmp(line, "train   500/2000  25%  50.0 steps/s  ETA 30s  loss 0.0625  lr 0.0003") == 0,
        "line was '%s'", line);
    p.step = 2000;
    rise_progress_format(&p, 140.0, line, sizeof line);
    TEST_CHECK(strstr(line, "2000/2000 100%") && strstr(line, "took 40s"), "final line '%s'", line);
    p.step = 0;
    rise_progress_format(&p, 100.0, line, sizeof line);
    TEST_CHECK(strstr(line, "ETA ?") != NULL, "no rate yet: '%s'", line);
    char small[16];
    const size_t n = rise_progress_format(&p, 110.0, small, sizeof small);
    TEST_CHECK(n == strlen(small) && n < sizeof small, "truncation: %zu '%s'", n, small);

    char d[24];
    rise_progress_format_duration(59.4, d, sizeof d);
    TEST_CHECK(strcmp(d, "59s") == 0, "59.4 -> %s", d);
    rise_progress_format_duration(185, d, sizeof d);
    TEST_CHECK(strcmp(d, "3m05s") == 0, "185 -> %s", d);
    rise_progress_format_duration(7300, d, sizeof d);
    TEST_CHECK(strcmp(d, "2h01m") == 0, "7300 -> %s", d);
    rise_progress_format_duration(-1, d, sizeof d);
    TEST_CHECK(strcmp(d, "?") == 0, "-1 -> %s", d);
}

static int count_char(const char *s, size_t n, char c) {
    int k = 0;
    for (size_t i = 0; i < n; ++i) k += s[i] == c;
    return k;
}

static void check_modes(void) {
    for (int tty = 0; tty <= 1; ++tty) {
        FILE *f = tmpfile();
        TEST_CHECK(f != NULL, "tmpfile");
        if (!f) return;
        rise_progress p;
        rise_progress_init(&p, f, "x", 1000);
        rise_progress_set_mode(&p, tty, 10);
        for (long s = 1; s <= 1000; ++s) {
            rise_progress_value(&p, "v", (double)s);
            rise_progress_update(&p, s);
        }
        rise_progress_finish(&p);
        const long size = ftell(f);
        char *buf = calloc((size_t)size + 1, 1);
        rewind(f);
        const size_t got = fread(buf, 1, (size_t)size, f);
        if (tty) {
            TEST_CHECK(count_char(buf, got, '\n') == 1, "tty: %d newlines",
                       count_char(buf, got, '\n'));
            TEST_CHECK(count_char(buf, got, '\r') >= 2, "tty: %d redraws",
                       count_char(buf, got, '\r'));
            TEST_CHECK(strstr(buf, "1000/1000 100%") != NULL, "tty final state missing");
        } else {
            /* 10%, 20%, ..., 90% during the loop and the final line */
            TEST_CHECK(count_char(buf, got, '\n') == 10, "non-tty: %d lines, expected 10",
                       count_char(buf, got, '\n'));
            TEST_CHECK(count_char(buf, got, '\r') == 0, "non-tty output has \\r");
            TEST_CHECK(strstr(buf, "x   100/1000  10%") && strstr(buf, "1000/1000 100%"),
                       "non-tty lines: %s", buf);
        }
        free(buf);
        fclose(f);
    }
}

/* Everything written to f so far (caller frees). */
static char *slurp(FILE *f, size_t *n) {
    fflush(f);
    const long size = ftell(f);
    char *buf = calloc((size_t)(size > 0 ? size : 0) + 1, 1);
    rewind(f);
    *n = fread(buf, 1, (size_t)(size > 0 ? size : 0), f);
    return buf;
}

static void check_unit_and_slow_rate(void) {
    rise_progress p;
    rise_progress_init(&p, stdout, "eval", 100);
    rise_progress_set_unit(&p, "episodes");
    p.t_start = 0.0;
    p.step = 20;
    char line[256];
    rise_progress_format(&p, 10.0, line, sizeof line);
    TEST_CHECK(strstr(line, "2.0 episodes/s") != NULL, "unit: '%s'", line);
    rise_progress_init(&p, stdout, "sweep", 12);
    rise_progress_set_unit(&p, "runs");
    p.t_start = 0.0;
    p.step = 3;
    rise_progress_format(&p, 100.0, line, sizeof line); /* 0.03 runs/s */
    TEST_CHECK(strstr(line, "1.8 runs/min") != NULL, "per minute: '%s'", line);
    rise_progress_format(&p, 10000.0, line, sizeof line); /* 0.0003 runs/s */
    TEST_CHECK(strstr(line, "1.08 runs/h") != NULL, "per hour: '%s'", line);
}

/* A sweep of 4 parts of 100 steps each, drawn to f with the outer in mode tty. */
static void run_sweep(FILE *f, int tty) {
    rise_progress outer;
    rise_progress_init(&outer, f, "sweep", 4);
    rise_progress_set_mode(&outer, tty, 10);
    for (long r = 0; r < 4; ++r) {
        rise_progress_set_outer(&outer);
        rise_progress part;
        rise_progress_init(&part, f, "train", 100);
        TEST_CHECK(part.tty == tty && part.off == !tty, "part %ld follows the outer's mode", r);
        TEST_CHECK(part.outer == &outer, "part %ld has no outer", r);
        for (long s = 1; s <= 100; ++s) rise_progress_update(&part, s);
        rise_progress_finish(&part);
        rise_progress_set_outer(NULL);
        rise_progress_update(&outer, r + 1);
    }
    rise_progress_finish(&outer);
}

static void check_outer(void) {
    for (int tty = 0; tty <= 1; ++tty) {
        FILE *f = tmpfile();
        TEST_CHECK(f != NULL, "tmpfile");
        if (!f) return;
        unsetenv("RISE_PROGRESS");
        run_sweep(f, tty);
        size_t n = 0;
        char *buf = slurp(f, &n);
        if (tty) {
            /* each part's final line stays, prefixed with the sweep's count */
            TEST_CHECK(strstr(buf, "sweep 0/4 | train  100/100 100%") &&
                           strstr(buf, "sweep 3/4 | train  100/100 100%"),
                       "tty parts: %s", buf);
        } else {
            /* only the sweep speaks: 25%, 50%, 75% and the final line */
            TEST_CHECK(strstr(buf, "train") == NULL, "a part printed in a log: %s", buf);
            TEST_CHECK(count_char(buf, n, '\n') == 4, "log: %d lines, expected 4: %s",
                       count_char(buf, n, '\n'), buf);
            TEST_CHECK(strstr(buf, "sweep  4/4 100%") != NULL, "final sweep line: %s", buf);
        }
        free(buf);
        fclose(f);
    }
    /* after set_outer(NULL) a progress is on its own again */
    rise_progress p;
    rise_progress_init(&p, stdout, "alone", 10);
    TEST_CHECK(p.outer == NULL, "outer left set");
}

static void check_env(void) {
    FILE *f = tmpfile();
    TEST_CHECK(f != NULL, "tmpfile");
    if (!f) return;
    rise_progress p;
    setenv("RISE_PROGRESS", "off", 1);
    rise_progress_init(&p, f, "x", 10);
    for (long s = 1; s <= 10; ++s) rise_progress_update(&p, s);
    rise_progress_finish(&p);
    TEST_CHECK(ftell(f) == 0, "RISE_PROGRESS=off printed %ld bytes", ftell(f));
    setenv("RISE_PROGRESS", "tty", 1);
    rise_progress_init(&p, f, "x", 10);
    TEST_CHECK(p.tty == 1 && !p.off, "RISE_PROGRESS=tty on a file: tty %d", p.tty);
    setenv("RISE_PROGRESS", "lines", 1);
    rise_progress_init(&p, f, "x", 10);
    TEST_CHECK(p.tty == 0 && !p.off, "RISE_PROGRESS=lines: tty %d", p.tty);
    TEST_CHECK(rise_progress_env_mode() == 0, "lines mode");
    setenv("RISE_PROGRESS", "sideways", 1);
    TEST_CHECK(rise_progress_env_mode() == -1, "an unknown value is auto");
    unsetenv("RISE_PROGRESS");
    TEST_CHECK(rise_progress_env_mode() == -1, "unset is auto");
    fclose(f);
}

int main(void) {
    unsetenv("RISE_PROGRESS");
    check_format();
    check_modes();
    check_unit_and_slow_rate();
    check_outer();
    check_env();
    return test_finish();
}
