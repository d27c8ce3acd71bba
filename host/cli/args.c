/* cli/args.c - checked option values for the command line. */
#include "args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static const char *value_of(int argc, char **argv, int *i) {
    if (*i + 1 >= argc) {
        fprintf(stderr, "rise: option %s needs a value\n", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

int rise_arg_long(int argc, char **argv, int *i, long lo, long hi, long *out) {
    const char *opt = argv[*i], *s = value_of(argc, argv, i);
    if (!s) return 0;
    char *end;
    errno = 0;
    const long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi) {
        fprintf(stderr, "rise: option %s expects an integer in [%ld, %ld], got '%s'\n", opt, lo, hi,
                s);
        return 0;
    }
    *out = v;
    return 1;
}

int rise_arg_double(int argc, char **argv, int *i, double lo, double hi, double *out) {
    const char *opt = argv[*i], *s = value_of(argc, argv, i);
    if (!s) return 0;
    char *end;
    errno = 0;
    const double v = strtod(s, &end);
    if (errno || *end || end == s || !(v >= lo && v <= hi)) {
        fprintf(stderr, "rise: option %s expects a number in [%g, %g], got '%s'\n", opt, lo, hi, s);
        return 0;
    }
    *out = v;
    return 1;
}

int rise_arg_string(int argc, char **argv, int *i, const char **out) {
    const char *s = value_of(argc, argv, i);
    if (!s) return 0;
    *out = s;
    return 1;
}
