/* golden_file.h - reader for the plain-text golden files written by tests/golden/make_golden.py.
 *
 * Format: first line "rise-golden 1"; '#' lines are comments; each array is a
 * header line "array NAME NDIM D0 .. D(NDIM-1)" followed by prod(D) whitespace-
 * separated values (row-major, %.9g so float32 round-trips); "end" closes the
 * file. Header-only so each test binary stays one file. */
#ifndef RISE_GOLDEN_FILE_H
#define RISE_GOLDEN_FILE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char name[128];
    int ndim;
    int shape[4];
    size_t n;
    float *data;
} golden_array;

typedef struct {
    golden_array *arrays;
    int count;
} golden_file;

static void golden_free(golden_file *g) {
    for (int i = 0; i < g->count; ++i) free(g->arrays[i].data);
    free(g->arrays);
    g->arrays = NULL;
    g->count = 0;
}

/* Returns 0 on success; prints what is wrong (file, array, expected, found) otherwise. */
static int golden_load(golden_file *g, const char *path) {
    memset(g, 0, sizeof *g);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr,
                "golden file %s: cannot open (regenerate with tests/golden/make_golden.py)\n",
                path);
        return 1;
    }
    char word[160];
    int version = 0;
    if (fscanf(f, "%159s %d", word, &version) != 2 || strcmp(word, "rise-golden") != 0 ||
        version != 1) {
        fprintf(stderr, "golden file %s: expected header 'rise-golden 1'\n", path);
        fclose(f);
        return 1;
    }
    int cap = 0, ok = 0;
    while (fscanf(f, "%159s", word) == 1) {
        if (word[0] == '#') {
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n') {
            }
            continue;
        }
        if (strcmp(word, "end") == 0) {
            ok = 1;
            break;
        }
        if (strcmp(word, "array") != 0) {
            fprintf(stderr, "golden file %s: expected 'array' or 'end', found '%s'\n", path, word);
            break;
        }
        if (g->count == cap) {
            cap = cap ? 2 * cap : 64;
            g->arrays = realloc(g->arrays, (size_t)cap * sizeof *g->arrays);
        }
        golden_array *a = &g->arrays[g->count];
        memset(a, 0, sizeof *a);
        if (fscanf(f, "%127s %d", a->name, &a->ndim) != 2 || a->ndim < 1 || a->ndim > 4) {
            fprintf(stderr, "golden file %s: bad array header after array #%d\n", path, g->count);
            break;
        }
        a->n = 1;
        int bad = 0;
        for (int d = 0; d < a->ndim; ++d) {
            if (fscanf(f, "%d", &a->shape[d]) != 1 || a->shape[d] <= 0) bad = 1;
            a->n *= (size_t)(bad ? 1 : a->shape[d]);
        }
        if (bad) {
            fprintf(stderr, "golden file %s: array '%s': bad shape\n", path, a->name);
            break;
        }
        a->data = malloc(a->n * sizeof(float));
        size_t i = 0;
        for (; i < a->n; ++i)
            if (fscanf(f, "%f", &a->data[i]) != 1) break;
        ++g->count;
        if (i != a->n) {
            fprintf(stderr, "golden file %s: array '%s': expected %zu values, found %zu\n", path,
                    a->name, a->n, i);
            break;
        }
    }
    fclose(f);
    if (!ok) {
        fprintf(stderr, "golden file %s: truncated or malformed (no 'end' line reached)\n", path);
        golden_free(g);
        return 1;
    }
    return 0;
}

static const golden_array *golden_find(const golden_file *g, const char *name) {
    for (int i = 0; i < g->count; ++i)
        if (strcmp(g->arrays[i].name, name) == 0) return &g->arrays[i];
    return NULL;
}

/* The path of a file under tests/golden/: $RISE_SOURCE_DIR/tests/golden/NAME when
 * set (ctest sets it), else golden/NAME relative to tests/ (ctest's working dir). */
static void golden_path(char *buf, size_t size, const char *name) {
    const char *root = getenv("RISE_SOURCE_DIR");
    if (root && root[0])
        snprintf(buf, size, "%s/tests/golden/%s", root, name);
    else
        snprintf(buf, size, "golden/%s", name);
}

#endif
