/* progress.c - the progress line: rate, ETA, named scalars; \r on a TTY, lines otherwise. */
#include "progress.h"

#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double rise_progress_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void rise_progress_init(rise_progress *p, FILE *out, const char *label, long total) {
    memset(p, 0, sizeof *p);
    p->out = out;
    p->tty = isatty(fileno(out));
    p->every_pct = 10;
    p->total = total > 0 ? total : 1;
    p->t_start = rise_progress_now();
    p->t_last_draw = -1e30;
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
}

void rise_progress_set_mode(rise_progress *p, int tty, int every_pct) {
    p->tty = tty;
    p->every_pct = every_pct > 0 ? (every_pct > 100 ? 100 : every_pct) : 10;
}

void rise_progress_value(rise_progress *p, const char *name, double value) {
    for (int i = 0; i < p->n_values; ++i)
        if (strncmp(p->names[i], name, RISE_PROGRESS_NAME_MAX - 1) == 0) {
            p->values[i] = value;
            return;
        }
    if (p->n_values == RISE_PROGRESS_MAX_VALUES) return;
    snprintf(p->names[p->n_values], RISE_PROGRESS_NAME_MAX, "%s", name);
    p->values[p->n_values++] = value;
}

void rise_progress_format_duration(double s, char *buf, size_t size) {
    if (!(s >= 0.0) || s > 1e8) {
        snprintf(buf, size, "?");
        return;
    }
    const long t = (long)(s + 0.5);
    if (t < 60)
        snprintf(buf, size, "%lds", t);
    else if (t < 3600)
        snprintf(buf, size, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, size, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
}

size_t rise_progress_format(const rise_progress *p, double now, char *buf, size_t size) {
    const double elapsed = now - p->t_start;
    const double rate = elapsed > 0.0 ? (double)p->step / elapsed : 0.0;
    char eta[24];
    if (p->step >= p->total)
        rise_progress_format_duration(elapsed, eta, sizeof eta);
    else if (rate > 0.0)
        rise_progress_format_duration((double)(p->total - p->step) / rate, eta, sizeof eta);
    else
        snprintf(eta, sizeof eta, "?");
    const int width = snprintf(NULL, 0, "%ld", p->total);
    size_t len = 0;
    int w = snprintf(buf, size, "%s%s%*ld/%ld %3d%%  %.1f steps/s  %s %s", p->label,
                     p->label[0] ? "  " : "", width, p->step, p->total,
                     (int)(100.0 * (double)p->step / (double)p->total), rate,
                     p->step >= p->total ? "took" : "ETA", eta);
    len = w > 0 ? (size_t)w : 0;
    for (int i = 0; i < p->n_values && len + 1 < size; ++i) {
        w = snprintf(buf + len, size - len, "  %s %.4g", p->names[i], p->values[i]);
        len += w > 0 ? (size_t)w : 0;
    }
    return len < size ? len : size - 1;
}

static void draw(rise_progress *p, double now, int final) {
    char line[512];
    rise_progress_format(p, now, line, sizeof line);
    if (p->tty) {
        /* \033[K clears what a longer previous line left behind. */
        fprintf(p->out, "\r%s\033[K%s", line, final ? "\n" : "");
        p->line_open = !final;
    } else {
        fprintf(p->out, "%s\n", line);
    }
    fflush(p->out);
    p->t_last_draw = now;
}

void rise_progress_update(rise_progress *p, long step) {
    p->step = step < 0 ? 0 : (step > p->total ? p->total : step);
    if (p->tty) {
        const double now = rise_progress_now();
        if (now - p->t_last_draw >= 0.1) draw(p, now, 0);
        return;
    }
    const int bucket = (int)(100.0 * (double)p->step / (double)p->total) / p->every_pct;
    if (bucket > p->last_bucket && p->step < p->total) {
        p->last_bucket = bucket;
        draw(p, rise_progress_now(), 0);
    }
}

void rise_progress_finish(rise_progress *p) {
    draw(p, rise_progress_now(), 1);
    p->last_bucket = 100 / p->every_pct;
}
