/* golden_params.h - comparing a model's flat parameter buffers with a golden file
 * (tests/golden/NAME.txt, golden_file.h): the tolerances of the golden tests, loading
 * "<tag>.<name>" tensors into a parameter slot and comparing a slot with them (linear
 * weights "*.w" are [in, out] / [E, in, out] here and PyTorch's [out, in] / [E, out, in]
 * in the file), counting elements outside a tolerance for negative controls, and the
 * worst tolerance use. Set G to the loaded file first. Header-only, one test per binary. */
#ifndef RISE_GOLDEN_PARAMS_H
#define RISE_GOLDEN_PARAMS_H

#include <math.h>
#include <stdarg.h>

#include "algorithms/params.h"
#include "golden_file.h"
#include "test_util.h"

/* |got - ref| <= atol + rtol |ref| per element; gradients' atol scales with the tensor's
 * max |g|. */
#define NOISE_ATOL 1e-6
#define NOISE_RTOL 1e-6
#define OUT_ATOL   2e-6
#define OUT_RTOL   2e-5
#define GRAD_ATOL  1e-5
#define GRAD_RTOL  1e-4
#define PAR_ATOL   2e-6
#define PAR_RTOL   2e-6

static const golden_file *G;

static const golden_array *need(const char *fmt, ...) {
    char name[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    const golden_array *a = golden_find(G, name);
    if (!a) {
        fprintf(stderr,
                "FAIL: golden file has no array '%s' (regenerate with "
                "tests/golden/make_golden_*.py)\n",
                name);
        exit(1);
    }
    return a;
}

static float scalar(const char *name) { return need("%s", name)->data[0]; }

/* Linear weights "*.w" ([in, out] or [E, in, out] here, [out, in] / [E, out, in] in the
 * golden file) are transposed per member; every other tensor has the same layout. */
static int is_weight(const rise_param_tensor *t) {
    const size_t len = strlen(t->name);
    return (t->ndim == 2 || t->ndim == 3) && len > 2 && strcmp(t->name + len - 2, ".w") == 0;
}

static void convert(const rise_param_tensor *t, const float *src, float *dst, int to_torch) {
    if (!is_weight(t)) {
        memcpy(dst, src, t->numel * sizeof(float));
        return;
    }
    const int ens = t->ndim == 3 ? t->shape[0] : 1;
    const int in = t->shape[t->ndim - 2], out = t->shape[t->ndim - 1];
    for (int e = 0; e < ens; ++e)
        for (int i = 0; i < in; ++i)
            for (int o = 0; o < out; ++o) {
                const size_t ours = ((size_t)e * in + i) * out + o;
                const size_t torch = ((size_t)e * out + o) * in + i;
                if (to_torch)
                    dst[torch] = src[ours];
                else
                    dst[ours] = src[torch];
            }
}

/* Uploads "<tag>.<name>" of every tensor of p into `slot`. */
static void upload_group(rise_params *p, rise_param_slot slot, const char *tag) {
    for (int i = 0; i < p->count; ++i) {
        const rise_param_tensor *t = &p->tensors[i];
        const golden_array *a = need("%s.%s", tag, t->name);
        TEST_CHECK(a->n == t->numel, "%s.%s: golden has %zu values, tensor %zu", tag, t->name, a->n,
                   t->numel);
        if (a->n != t->numel) exit(1);
        float *buf = malloc(t->numel * sizeof(float));
        convert(t, a->data, buf, 0);
        const rise_status st = rise_params_upload(p, slot, t->name, buf, t->numel);
        RISE_ASSERT(st == RISE_OK, "%s", rise_last_error());
        free(buf);
    }
}

/* Worst use of the tolerance and worst absolute error over the compared elements. */
typedef struct {
    double used, abs_err;
} stats;

static void track(stats *s, const float *got, const float *ref, size_t n, double atol,
                  double rtol) {
    for (size_t i = 0; i < n; ++i) {
        const double d = fabs((double)got[i] - ref[i]);
        const double u = d / (atol + rtol * fabs(ref[i]));
        s->used = u > s->used ? u : s->used;
        s->abs_err = d > s->abs_err ? d : s->abs_err;
    }
}

static size_t count_far(const float *got, const float *ref, size_t n, double atol, double rtol) {
    size_t far = 0;
    for (size_t i = 0; i < n; ++i)
        far += !(fabs((double)got[i] - ref[i]) <= atol + rtol * fabs(ref[i]));
    return far;
}

/* Compares `slot` of every tensor of p whose name starts with `only` (NULL: all) with
 * "<tag>.<name>". check 0: count the elements outside the tolerance without recording a
 * failure (negative controls). per_tensor_scale: atol relative to the tensor's max |ref|. */
static size_t compare_group(const rise_params *p, rise_param_slot slot, const char *tag,
                            const char *only, double atol, double rtol, int per_tensor_scale,
                            int check, stats *s) {
    size_t far = 0;
    for (int i = 0; i < p->count; ++i) {
        const rise_param_tensor *t = &p->tensors[i];
        if (only && strncmp(t->name, only, strlen(only)) != 0) continue;
        const golden_array *a = need("%s.%s", tag, t->name);
        float *ours = malloc(t->numel * sizeof(float)), *tl = malloc(t->numel * sizeof(float));
        const rise_status st = rise_params_download(p, slot, t->name, ours, t->numel);
        RISE_ASSERT(st == RISE_OK, "%s", rise_last_error());
        convert(t, ours, tl, 1);
        double scale = 1.0;
        if (per_tensor_scale) {
            scale = 0.0;
            for (size_t k = 0; k < t->numel; ++k)
                scale = fabs(a->data[k]) > scale ? fabs(a->data[k]) : scale;
        }
        far += count_far(tl, a->data, t->numel, atol * scale, rtol);
        if (check) {
            char label[192];
            snprintf(label, sizeof label, "%s.%s", tag, t->name);
            test_close(label, tl, a->data, t->numel, atol * scale, rtol);
            if (s) track(s, tl, a->data, t->numel, atol * scale, rtol);
        }
        free(ours);
        free(tl);
    }
    return far;
}

static void compare_scalar(const char *name, float got, double atol, double rtol, stats *s) {
    const golden_array *a = need("%s", name);
    test_close(name, &got, a->data, 1, atol, rtol);
    track(s, &got, a->data, 1, atol, rtol);
}

#endif
