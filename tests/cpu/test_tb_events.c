/* test_tb_events.c - CRC-32C (host/crc32c.h) and the TensorBoard event files
 * (host/tb_events.h) at the byte level.
 *
 * Run: ctest -R test_tb_events. CRC-32C against the RFC 3720 (iSCSI) vectors and the
 * common "123456789" check value, and in two pieces; an event file written with rows at
 * 100 .. 1000 reads back as 1 + 10 records whose checksums hold and whose steps decode
 * (protobuf-c) in order; truncate_after(600) keeps 1 + 6, appending continues the same
 * file; a torn last record (a crash mid-write) is skipped by the reader and dropped by the
 * truncation; a flipped byte is an error naming the file; a fresh open removes the old
 * file. TensorBoard's own reader is the judge in test_tensorboard.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/crc32c.h"
#include "host/run_log.h"
#include "host/tb_events.h"
#include "tb_event.pb-c.h"
#include "test_util.h"

#define DIR "/tmp/rise_test_tb_events"

static void test_crc(void) {
    unsigned char buf[32];
    memset(buf, 0, sizeof buf);
    TEST_CHECK(rise_crc32c(buf, 32) == 0x8A9136AAu, "32 zeros: %08x", rise_crc32c(buf, 32));
    memset(buf, 0xFF, sizeof buf);
    TEST_CHECK(rise_crc32c(buf, 32) == 0x62A8AB43u, "32 x 0xFF: %08x", rise_crc32c(buf, 32));
    for (int i = 0; i < 32; ++i) buf[i] = (unsigned char)i;
    TEST_CHECK(rise_crc32c(buf, 32) == 0x46DD794Eu, "0..31: %08x", rise_crc32c(buf, 32));
    for (int i = 0; i < 32; ++i) buf[i] = (unsigned char)(31 - i);
    TEST_CHECK(rise_crc32c(buf, 32) == 0x113FDB5Cu, "31..0: %08x", rise_crc32c(buf, 32));
    TEST_CHECK(rise_crc32c("123456789", 9) == 0xE3069283u, "check value: %08x",
               rise_crc32c("123456789", 9));
    TEST_CHECK(rise_crc32c_extend(rise_crc32c("1234", 4), "56789", 5) == 0xE3069283u,
               "in two pieces");
    TEST_CHECK(rise_crc32c("", 0) == 0, "empty");
}

typedef struct {
    int n, summaries, versions, in_order;
    int64_t last_step, steps[64];
    float first_value;
} seen;

static void on_record(void *ctx, const uint8_t *rec, size_t len) {
    seen *s = ctx;
    RiseTb__Event *ev = rise_tb__event__unpack(NULL, len, rec);
    if (!ev) return;
    if (ev->what_case == RISE_TB__EVENT__WHAT_FILE_VERSION)
        s->versions += !strcmp(ev->file_version, "brain.Event:2");
    if (ev->what_case == RISE_TB__EVENT__WHAT_SUMMARY) {
        if (s->summaries == 0 && ev->summary->n_value > 0)
            s->first_value = ev->summary->value[0]->simple_value;
        if (ev->step <= s->last_step) s->in_order = 0;
        s->last_step = ev->step;
        if (s->summaries < 64) s->steps[s->summaries] = ev->step;
        ++s->summaries;
    }
    ++s->n;
    rise_tb__event__free_unpacked(ev, NULL);
}

static seen read_back(const char *path, int *torn, rise_status *st) {
    seen s;
    memset(&s, 0, sizeof s);
    s.in_order = 1;
    s.last_step = -1;
    *st = rise_tb_read_records(path, on_record, &s, torn);
    return s;
}

static void log_rows(rise_run_log *l, int64_t from, int64_t to) {
    const char *names[2] = {"loss_q", "zero"};
    for (int64_t s = from; s <= to; s += 100) {
        const double v[2] = {0.5 * (double)s, 0.0};
        TEST_CHECK(rise_run_log_row(l, s, 2, names, v) == RISE_OK, "row %lld", (long long)s);
    }
}

static void test_file(void) {
    (void)system("rm -rf " DIR);
    rise_run_log l;
    TEST_CHECK(rise_run_log_open(&l, DIR, 0) == RISE_OK, "open: %s", rise_last_error());
    log_rows(&l, 100, 1000);
    rise_run_log_close(&l);
    char *path = rise_tb_find(DIR);
    TEST_CHECK(path && strstr(path, "/events.out.tfevents."), "event file %s",
               path ? path : "(none)");
    if (!path) return;
    int torn = 0;
    rise_status st;
    seen s = read_back(path, &torn, &st);
    TEST_CHECK(st == RISE_OK && !torn, "read: %s", rise_last_error());
    TEST_CHECK(s.n == 11 && s.versions == 1 && s.summaries == 10 && s.in_order,
               "records %d, versions %d, summaries %d, in order %d", s.n, s.versions, s.summaries,
               s.in_order);
    TEST_CHECK(s.steps[0] == 100 && s.steps[9] == 1000 && s.first_value == 50.0f,
               "steps %lld..%lld, first value %g", (long long)s.steps[0], (long long)s.steps[9],
               s.first_value);

    /* resume from 600: rows 700.. are dropped, appending continues the same file */
    TEST_CHECK(rise_run_log_truncate_after(DIR, 600) == RISE_OK, "truncate: %s", rise_last_error());
    s = read_back(path, &torn, &st);
    TEST_CHECK(st == RISE_OK && s.summaries == 6 && s.last_step == 600, "after truncate: %d, %lld",
               s.summaries, (long long)s.last_step);
    TEST_CHECK(rise_run_log_open(&l, DIR, 1) == RISE_OK, "append: %s", rise_last_error());
    log_rows(&l, 700, 800);
    rise_run_log_close(&l);
    char *again = rise_tb_find(DIR);
    TEST_CHECK(again && !strcmp(again, path), "append kept the file");
    free(again);
    s = read_back(path, &torn, &st);
    TEST_CHECK(st == RISE_OK && s.summaries == 8 && s.in_order && s.last_step == 800,
               "after append: %d records, in order %d", s.summaries, s.in_order);

    /* a torn last record: skipped on reading, dropped by the next truncation */
    struct stat sb;
    stat(path, &sb);
    TEST_CHECK(truncate(path, sb.st_size - 3) == 0, "truncate the file");
    s = read_back(path, &torn, &st);
    TEST_CHECK(st == RISE_OK && torn && s.summaries == 7, "torn: %d, %d records", torn,
               s.summaries);
    TEST_CHECK(rise_tb_truncate_after(DIR, 10000) == RISE_OK, "truncate a torn file: %s",
               rise_last_error());
    s = read_back(path, &torn, &st);
    TEST_CHECK(st == RISE_OK && !torn && s.summaries == 7, "torn tail dropped: %d, %d", torn,
               s.summaries);

    /* a flipped byte inside a record is an error naming the file */
    FILE *f = fopen(path, "r+b");
    if (f) {
        fseek(f, 40, SEEK_SET);
        const int c = fgetc(f);
        fseek(f, 40, SEEK_SET);
        fputc(c ^ 0x10, f);
        fclose(f);
    }
    s = read_back(path, &torn, &st);
    TEST_CHECK(st == RISE_ERR_FORMAT && strstr(rise_last_error(), "CRC-32C") &&
                   strstr(rise_last_error(), path),
               "corrupt: %d '%s'", (int)st, rise_last_error());
    TEST_CHECK(rise_run_log_truncate_after(DIR, 300) == RISE_ERR_FORMAT &&
                   strstr(rise_last_error(), "delete the events.out.tfevents file"),
               "resume over a corrupt file: '%s'", rise_last_error());

    /* a fresh log replaces the old event file */
    TEST_CHECK(rise_run_log_open(&l, DIR, 0) == RISE_OK, "fresh: %s", rise_last_error());
    log_rows(&l, 100, 100);
    rise_run_log_close(&l);
    char *fresh = rise_tb_find(DIR);
    s = read_back(fresh ? fresh : path, &torn, &st);
    TEST_CHECK(st == RISE_OK && s.summaries == 1, "fresh file holds %d events", s.summaries);
    free(fresh);
    free(path);
    (void)system("rm -rf " DIR);
}

int main(void) {
    test_crc();
    test_file();
    return test_finish();
}
