/* test_progress.c - the terminal progress line (host/progress.c).
 *
 * Run: ctest -R test_progress (or ./test_progress from tests/).
 * Checks the formatted line at a fixed clock (counts, percent, steps/s, ETA, named values,
 * "took" when done), the duration format, and that a non-TTY stream gets exactly one line
 * per `every_pct` percent plus the final one while a TTY stream gets \r redraws and one
 * final newline. */
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

int main(void) {
    check_format();
    check_modes();
    return test_finish();
}
