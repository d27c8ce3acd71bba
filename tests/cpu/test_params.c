/* test_params.c - the flat parameter buffer: table, alignment, lookup, slots, seeded init.
 *
 * Run: ctest -R test_params (or ./test_params from tests/).
 * Checks: offsets are aligned, increasing and non-overlapping and every tensor fits in the
 * slot; lookup by name; registration errors (duplicate, bad shape, after alloc) carry a
 * message naming the tensor; slot layout (value, grad, m, v, target, ema contiguous, P apart);
 * init rules (fan-in bound, constants, normal mean/std, padding stays zero); same seed gives
 * the same bits, a different seed different values; each tensor draws from its own Philox
 * stream (adding a tensor leaves earlier tensors unchanged); zero_grad, copy to target/EMA,
 * one Adam call over the whole buffer, upload/download by name with size checks, the table. */
#include "algorithms/linear.h"
#include "algorithms/mlp.h"
#include "algorithms/params.h"
#include "test_util.h"

static void build_table(rise_params *p, int extra) {
    rise_params_init(p);
    const int s1[2] = {5, 7}, s2[1] = {7}, s3[3] = {2, 3, 4}, s4[1] = {130}, s5[4] = {1, 2, 3, 4};
    size_t off;
    TEST_CHECK(rise_params_add(p, "a.w", 2, s1, rise_init_fan_in(5), &off) == RISE_OK, "add a.w");
    TEST_CHECK(off == 0, "first offset %zu", off);
    TEST_CHECK(rise_params_add(p, "a.b", 1, s2, rise_init_const(0.25f), &off) == RISE_OK, "add");
    TEST_CHECK(off == 64, "second offset %zu, expected 64", off);
    TEST_CHECK(rise_params_add(p, "ens.w", 3, s3, rise_init_uniform(-2, 3), NULL) == RISE_OK,
               "add ens.w");
    TEST_CHECK(rise_params_add(p, "freq", 1, s4, rise_init_normal(1.0f, 0.5f), NULL) == RISE_OK,
               "add freq");
    if (extra)
        TEST_CHECK(rise_params_add(p, "z.extra", 4, s5, rise_init_fan_in(3), NULL) == RISE_OK,
                   "add extra");
}

static void check_table(void) {
    rise_params p;
    build_table(&p, 1);
    TEST_CHECK(p.count == 5, "count %d", p.count);
    size_t end = 0;
    for (int i = 0; i < p.count; ++i) {
        const rise_param_tensor *t = &p.tensors[i];
        TEST_CHECK(t->offset % RISE_PARAM_ALIGN == 0, "%s offset %zu not aligned", t->name,
                   t->offset);
        TEST_CHECK(t->offset >= end, "%s overlaps the previous tensor", t->name);
        end = t->offset + t->numel;
        size_t n = 1;
        for (int d = 0; d < t->ndim; ++d) n *= (size_t)t->shape[d];
        TEST_CHECK(n == t->numel, "%s numel %zu vs shape %zu", t->name, t->numel, n);
        TEST_CHECK(rise_params_find(&p, t->name) == i, "lookup of %s", t->name);
    }
    TEST_CHECK(end <= p.size && p.size % RISE_PARAM_ALIGN == 0, "slot length %zu (end %zu)", p.size,
               end);
    /* offsets by hand: 35 -> 0, 7 -> 64, 24 -> 128, 130 -> 192, 24 -> 384; P = 448 */
    TEST_CHECK(p.tensors[2].offset == 128 && p.tensors[3].offset == 192 &&
                   p.tensors[4].offset == 384 && p.size == 448,
               "offsets %zu %zu %zu, P %zu", p.tensors[2].offset, p.tensors[3].offset,
               p.tensors[4].offset, p.size);
    TEST_CHECK(rise_params_numel(&p) == 35 + 7 + 24 + 130 + 24, "numel %zu", rise_params_numel(&p));
    TEST_CHECK(rise_params_find(&p, "nope") == -1, "unknown name found");
    TEST_CHECK(rise_params_tensor(&p, "freq") == &p.tensors[3], "tensor by name");

    const int bad0[2] = {3, 0};
    size_t off;
    TEST_CHECK(rise_params_add(&p, "a.w", 2, bad0 + 0, rise_init_const(0), &off) ==
                       RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "a.w") && strstr(rise_last_error(), "twice"),
               "duplicate name: %s", rise_last_error());
    TEST_CHECK(rise_params_add(&p, "c", 2, bad0, rise_init_const(0), &off) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "'c'"),
               "zero dimension: %s", rise_last_error());
    TEST_CHECK(rise_params_add(&p, "c", 5, bad0, rise_init_const(0), &off) == RISE_ERR_INVALID,
               "ndim 5 accepted");
    TEST_CHECK(rise_params_add(&p, "c", 1, bad0, rise_init_fan_in(0), &off) == RISE_ERR_INVALID,
               "fan_in 0 accepted");
    char longname[RISE_PARAM_NAME_MAX + 4];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    TEST_CHECK(rise_params_add(&p, longname, 1, bad0, rise_init_const(0), &off) == RISE_ERR_INVALID,
               "over-long name accepted");
    TEST_CHECK(p.count == 5, "failed adds changed the table (%d)", p.count);
    printf("parameter table:\n");
    rise_params_print(&p, stdout);
    rise_params_free(&p);
}

static void check_slots_and_init(rise_backend *be) {
    rise_params p;
    build_table(&p, 0);
    TEST_CHECK(rise_params_alloc(&p, be, RISE_PARAMS_TARGET | RISE_PARAMS_EMA) == RISE_OK,
               "alloc: %s", rise_last_error());
    const size_t P = p.size;
    TEST_CHECK(rise_params_slot_count(&p) == 6, "slots %d", rise_params_slot_count(&p));
    TEST_CHECK(p.grad == p.value + P && p.m == p.value + 2 * P && p.v == p.value + 3 * P &&
                   p.target == p.value + 4 * P && p.ema == p.value + 5 * P,
               "slot layout");
    for (int s = 0; s < RISE_SLOT_COUNT; ++s)
        TEST_CHECK(rise_params_slot(&p, (rise_param_slot)s) == p.value + (size_t)s * P, "slot %d",
                   s);
    const int s1[1] = {3};
    TEST_CHECK(rise_params_add(&p, "late", 1, s1, rise_init_const(0), NULL) == RISE_ERR_INVALID,
               "add after alloc accepted");

    rise_params_init_values(&p, 42);
    float *v = test_from_backend(be, p.value, P);
    const float bound = 1.0f / sqrtf(5.0f);
    int in_bound = 1, nonconst = 0;
    for (int i = 0; i < 35; ++i) {
        in_bound &= fabsf(v[i]) <= bound;
        nonconst |= v[i] != v[0];
    }
    TEST_CHECK(in_bound && nonconst, "fan-in init outside +-%g or constant", bound);
    int consts = 1;
    for (int i = 0; i < 7; ++i) consts &= v[64 + i] == 0.25f;
    TEST_CHECK(consts, "constant init");
    int uni = 1;
    for (int i = 0; i < 24; ++i) uni &= v[128 + i] >= -2.0f && v[128 + i] <= 3.0f;
    TEST_CHECK(uni, "uniform init outside [-2, 3]");
    double mean = 0.0, var = 0.0;
    for (int i = 0; i < 130; ++i) mean += v[192 + i] / 130.0;
    for (int i = 0; i < 130; ++i) var += (v[192 + i] - mean) * (v[192 + i] - mean) / 129.0;
    /* 130 draws of N(1, 0.25): the sample mean's std is 0.044, the sample std's ~0.031 */
    TEST_CHECK(fabs(mean - 1.0) < 0.2 && fabs(sqrt(var) - 0.5) < 0.15, "normal init mean %g std %g",
               mean, sqrt(var));
    int pad_zero = 1;
    for (size_t i = 0; i < P; ++i) {
        const int in_tensor =
            (i < 35) || (i >= 64 && i < 71) || (i >= 128 && i < 152) || (i >= 192 && i < 322);
        if (!in_tensor) pad_zero &= v[i] == 0.0f;
    }
    TEST_CHECK(pad_zero, "padding between tensors is not zero");

    /* determinism and seed sensitivity */
    rise_params_init_values(&p, 42);
    float *v2 = test_from_backend(be, p.value, P);
    TEST_CHECK(memcmp(v, v2, P * sizeof(float)) == 0, "same seed gave different bits");
    rise_params_init_values(&p, 43);
    float *v3 = test_from_backend(be, p.value, P);
    int differs = 1;
    for (int i = 0; i < 35; ++i) differs &= v3[i] != v[i];
    TEST_CHECK(differs, "a different seed reproduced some fan-in draws");
    /* own stream per tensor: a bigger table leaves the common tensors' values alone */
    rise_params q;
    build_table(&q, 1);
    TEST_CHECK(rise_params_alloc(&q, be, 0) == RISE_OK, "alloc q");
    TEST_CHECK(rise_params_slot_count(&q) == 4 && q.target == NULL && q.ema == NULL, "no extras");
    rise_params_init_values(&q, 42);
    float *vq = test_from_backend(be, q.value, q.size);
    TEST_CHECK(memcmp(vq, v, 322 * sizeof(float)) == 0, "adding a tensor changed other tensors");
    free(vq);
    rise_params_free(&q);

    /* grad / target / ema helpers */
    rise_params_init_values(&p, 42);
    be->fill(be, p.grad, 3.0f, P);
    rise_params_zero_grad(&p);
    float *g = test_from_backend(be, p.grad, P);
    int zero = 1;
    for (size_t i = 0; i < P; ++i) zero &= g[i] == 0.0f;
    TEST_CHECK(zero, "zero_grad left non-zeros");
    rise_params_copy_to_target(&p);
    rise_params_copy_to_ema(&p);
    float *t = test_from_backend(be, p.target, P), *e = test_from_backend(be, p.ema, P);
    TEST_CHECK(memcmp(t, v, P * sizeof(float)) == 0 && memcmp(e, v, P * sizeof(float)) == 0,
               "target/ema copies differ from the values");

    /* upload/download by name with a size check */
    const float freq[130] = {1.5f};
    TEST_CHECK(rise_params_upload(&p, RISE_SLOT_GRAD, "freq", freq, 130) == RISE_OK, "upload");
    float back[130];
    TEST_CHECK(rise_params_download(&p, RISE_SLOT_GRAD, "freq", back, 130) == RISE_OK &&
                   back[0] == 1.5f && back[1] == 0.0f,
               "download");
    TEST_CHECK(rise_params_upload(&p, RISE_SLOT_VALUE, "freq", freq, 129) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "129"),
               "size mismatch accepted: %s", rise_last_error());
    TEST_CHECK(rise_params_upload(&p, RISE_SLOT_VALUE, "nope", freq, 1) == RISE_ERR_INVALID,
               "unknown name accepted");

    /* one Adam call covers every tensor; the zero padding stays zero */
    be->fill(be, p.grad, 0.0f, P);
    for (int i = 0; i < p.count; ++i)
        be->fill(be, p.grad + p.tensors[i].offset, 1.0f, p.tensors[i].numel);
    const rise_adam_hparams hp = {0.1f, 0.9f, 0.999f, 1e-8f, 0.0f, 0.0f, NULL};
    rise_params_adam(&p, &hp, 1, NULL);
    float *after = test_from_backend(be, p.value, P);
    int moved = 1, pad = 1;
    for (int i = 0; i < p.count; ++i)
        for (size_t k = 0; k < p.tensors[i].numel; ++k) {
            const size_t j = p.tensors[i].offset + k;
            moved &= fabsf(after[j] - (v[j] - 0.1f)) < 1e-5f;
        }
    for (size_t i = 322; i < P; ++i) pad &= after[i] == 0.0f;
    TEST_CHECK(moved, "one Adam step did not move every tensor by -lr");
    TEST_CHECK(pad, "Adam changed the padding");
    free(after);
    free(t);
    free(e);
    free(g);
    free(v);
    free(v2);
    free(v3);
    rise_params_free(&p);
}

/* Networks register the tensors they document, in order, with the right shapes. */
static void check_network_names(void) {
    rise_params p;
    rise_params_init(&p);
    rise_mlp m;
    rise_mlp_config c = rise_mlp_config_default();
    c.in_dim = 3;
    c.out_dim = 2;
    c.n_hidden = 2;
    c.hidden[0] = 4;
    c.hidden[1] = 5;
    c.layernorm = 1;
    c.ens = 2;
    TEST_CHECK(rise_mlp_register(&m, &p, "q", &c) == RISE_OK, "mlp register: %s",
               rise_last_error());
    static const char *names[] = {"q.fc0.w", "q.fc0.b", "q.ln0.g", "q.ln0.b", "q.fc1.w",
                                  "q.fc1.b", "q.ln1.g", "q.ln1.b", "q.out.w", "q.out.b"};
    TEST_CHECK(p.count == 10, "mlp registered %d tensors", p.count);
    for (int i = 0; i < 10 && i < p.count; ++i)
        TEST_CHECK(strcmp(p.tensors[i].name, names[i]) == 0, "tensor %d is %s, expected %s", i,
                   p.tensors[i].name, names[i]);
    const rise_param_tensor *w1 = rise_params_tensor(&p, "q.fc1.w");
    TEST_CHECK(w1 && w1->ndim == 3 && w1->shape[0] == 2 && w1->shape[1] == 4 && w1->shape[2] == 5 &&
                   w1->init.kind == RISE_INIT_FAN_IN && w1->init.fan_in == 4,
               "q.fc1.w shape/init");
    TEST_CHECK(rise_mlp_register(&m, &p, "q", &c) == RISE_ERR_INVALID, "second 'q' accepted");
    c.dropout = 1.0f;
    TEST_CHECK(rise_mlp_register(&m, &p, "r", &c) == RISE_ERR_INVALID &&
                   strstr(rise_last_error(), "dropout"),
               "dropout 1 accepted: %s", rise_last_error());
    rise_params_free(&p);
}

int main(void) {
    rise_backend *be = test_backend_or_skip("cpu");
    check_table();
    check_slots_and_init(be);
    check_network_names();
    rise_backend_destroy(be);
    return test_finish();
}
