/* progress.c - the progress line: rate, ETA, named scalars; \r on a TTY, lines otherwise;
 * parts of an outer progress (see progress.h). */
#include "progress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double rise_progress_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const rise_progress *g_outer;

int rise_progress_env_mode(void) {
    static int warned;
    const char *v = getenv("RISE_PROGRESS");
    if (!v || !*v || !strcmp(v, "auto")) return -1;
    if (!strcmp(v, "lines")) return 0;
    if (!strcmp(v, "tty")) return 1;
    if (!strcmp(v, "off")) return 2;
    if (!warned) {
        warned = 1;
        fprintf(stderr, "RISE_PROGRESS='%s' is not one of auto, tty, lines, off; using auto\n", v);
    }
    return -1;
}

void rise_progress_set_outer(const rise_progress *outer) { g_outer = outer; }

void rise_progress_init(rise_progress *p, FILE *out, const char *label, long total) {
    memset(p, 0, sizeof *p);
    p->out = out;
    const int mode = rise_progress_env_mode();
    p->tty = mode == 1 || (mode == -1 && isatty(fileno(out)));
    p->off = mode == 2;
    if (g_outer && g_outer->out == out && g_outer != p) {
        /* A part follows its outer's mode; in a log only the outer speaks (one line per
         * 10% of the parts), not ten lines per part. */
        p->outer = g_outer;
        p->tty = g_outer->tty;
        p->off = g_outer->off || !g_outer->tty;
    }
    p->every_pct = 10;
    p->total = total > 0 ? total : 1;
    p->t_start = rise_progress_now();
    p->t_last_draw = -1e30;
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
    snprintf(p->unit, sizeof p->unit, "steps");
}

void rise_progress_set_mode(rise_progress *p, int tty, int every_pct) {
    p->tty = tty;
    p->off = 0;
    p->every_pct = every_pct > 0 ? (every_pct > 100 ? 100 : every_pct) : 10;
}

void rise_progress_set_unit(rise_progress *p, const char *unit) {
    snprintf(p->unit, sizeof p->unit, "%s", unit && *unit ? unit : "steps");
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
    /* slow work (runs of a sweep) reads better per minute or per hour than as 0.0/s */
    double shown = rate;
    const char *per = "s";
    if (rate > 0.0 && rate < 0.1) {
        shown = rate * 60.0;
        per = "min";
        if (shown < 0.1) {
            shown = rate * 3600.0;
            per = "h";
        }
    }
    const int width = snprintf(NULL, 0, "%ld", p->total);
    size_t len = 0;
    int w = 0;
    if (p->outer) {
        w = snprintf(buf, size, "%s %ld/%ld | ", p->outer->label, p->outer->step, p->outer->total);
        len = w > 0 ? ((size_t)w < size ? (size_t)w : size - 1) : 0;
    }
    w = snprintf(buf + len, size - len, "%s%s%*ld/%ld %3d%%  %.*f %s/%s  %s %s", p->label,
                 p->label[0] ? "  " : "", width, p->step, p->total,
                 (int)(100.0 * (double)p->step / (double)p->total), per[0] == 'h' ? 2 : 1, shown,
                 p->unit, per, p->step >= p->total ? "took" : "ETA", eta);
    len += w > 0 ? (size_t)w : 0;
    for (int i = 0; i < p->n_values && len + 1 < size; ++i) {
        w = snprintf(buf + len, size - len, "  %s %.4g", p->names[i], p->values[i]);
        len += w > 0 ? (size_t)w : 0;
    }
    return len < size ? len : size - 1;
}

static void draw(rise_progress *p, double now, int final) {
    if (p->off) return;
    char line[640];
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
