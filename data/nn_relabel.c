/* nn_relabel.c - neighbour relabelling into a pairs set (see pairs.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/knn_search.h"
#include "pairs.h"
#include "sequence.h"

void rise_relabel_config_default(rise_relabel_config *c) {
    memset(c, 0, sizeof *c);
    c->k = 15;
    c->retrieve_first = 1;
    c->raw_features = 1;
    c->threshold = 0.15f;
    c->l2_normalize = 1;
    c->skip_expert = 20;
    c->skip_nonexpert = 50;
    c->play_to_expert = 1;
    c->play_to_play = 1;
    c->match_tol = 0.0f;
}

void rise_pairs_free(rise_pairs *p) {
    free(p->obs_idx);
    free(p->act_idx);
    free(p->dist);
    free(p->rule);
    memset(p, 0, sizeof *p);
}

static rise_status key_cols(const rise_trainset *ts, const char *key, int64_t *off, int64_t *dim) {
    if (rise_trainset_key_cols(ts, key, off, dim)) return RISE_OK;
    char list[1024] = "";
    size_t u = 0;
    for (int k = 0; k < ts->n_keys && u < sizeof list; ++k)
        u += (size_t)snprintf(list + u, sizeof list - u, "%s%s", k ? ", " : "", ts->keys[k].name);
    return rise_error(RISE_ERR_INVALID,
                      "relabel: observation key '%s' is not in the training set (keys: %s)", key,
                      list);
}

/* Raw or normalised (and optionally unit-length) features of the listed rows: the
 * observation columns cols, or the training set's relabelling keys when it has them (as
 * stored: image embeddings are not normalised). */
static void features(const rise_trainset *ts, const int64_t *rows, int64_t n, const int64_t *cols,
                     int64_t F, int raw, int l2, float *out) {
    for (int64_t i = 0; i < n; ++i) {
        const float *x = ts->obs + rows[i] * ts->obs_dim;
        float *f = out + i * F;
        double s = 0;
        for (int64_t c = 0; ts->relabel_dim && c < F; ++c) {
            f[c] = ts->relabel_feat[rows[i] * ts->relabel_dim + c];
            s += (double)f[c] * f[c];
        }
        for (int64_t c = 0; !ts->relabel_dim && c < F; ++c) {
            const int64_t col = cols[c];
            const float sh = ts->norm.obs_shift[col], sc = ts->norm.obs_scale[col];
            if (raw)
                f[c] = ts->normalized ? x[col] * sc + sh : x[col];
            else
                f[c] = ts->normalized ? x[col] : (x[col] - sh) / sc;
            s += (double)f[c] * f[c];
        }
        if (l2 && s > 0) {
            const float inv = (float)(1.0 / sqrt(s));
            for (int64_t c = 0; c < F; ++c) f[c] *= inv;
        }
    }
}

/* Raw values of the match key's columns. */
static void match_values(const rise_trainset *ts, const int64_t *rows, int64_t n, int64_t off,
                         int64_t dim, float *out) {
    for (int64_t i = 0; i < n; ++i)
        for (int64_t c = 0; c < dim; ++c) {
            const float v = ts->obs[rows[i] * ts->obs_dim + off + c];
            out[i * dim + c] =
                ts->normalized ? v * ts->norm.obs_scale[off + c] + ts->norm.obs_shift[off + c] : v;
        }
}

typedef struct {
    int64_t n;
    int64_t *rows;
    float *feat, *match;
    int32_t *group;
} state_set;

static void set_free(state_set *s) {
    free(s->rows);
    free(s->feat);
    free(s->match);
    free(s->group);
}

static rise_status make_set(const rise_trainset *ts, int expert, int skip, const int64_t *cols,
                            int64_t F, const rise_relabel_config *c, int64_t moff, int64_t mdim,
                            state_set *s) {
    memset(s, 0, sizeof *s);
    for (int64_t i = 0; i < ts->n; ++i) s->n += ts->expert[i] == expert && ts->step[i] >= skip;
    const size_t n = (size_t)(s->n ? s->n : 1);
    s->rows = malloc(n * sizeof *s->rows);
    s->feat = malloc(n * (size_t)F * sizeof *s->feat);
    s->group = malloc(n * sizeof *s->group);
    s->match = mdim ? malloc(n * (size_t)mdim * sizeof *s->match) : NULL;
    if (!s->rows || !s->feat || !s->group || (mdim && !s->match)) {
        set_free(s);
        return rise_error(RISE_ERR_NOMEM, "relabel: out of memory for %lld states", (long long)n);
    }
    int64_t j = 0;
    for (int64_t i = 0; i < ts->n; ++i)
        if (ts->expert[i] == expert && ts->step[i] >= skip) {
            s->rows[j] = i;
            s->group[j] = ts->traj[i];
            ++j;
        }
    features(ts, s->rows, s->n, cols, F, c->raw_features, c->l2_normalize, s->feat);
    if (mdim) match_values(ts, s->rows, s->n, moff, mdim, s->match);
    return RISE_OK;
}

static rise_status check_config(const rise_relabel_config *c) {
    const int kmax = c->retrieve_first ? 1023 : 1024; /* the search's limit is 1024 */
    if (c->k < 1 || c->k > kmax)
        return rise_error(RISE_ERR_INVALID, "relabel: k = %d, expected 1..%d", c->k, kmax);
    if (!(c->threshold > 0))
        return rise_error(RISE_ERR_INVALID, "relabel: threshold %g, expected > 0",
                          (double)c->threshold);
    if (c->skip_expert < 0 || c->skip_nonexpert < 0)
        return rise_error(RISE_ERR_INVALID, "relabel: skip counts must be >= 0");
    if (c->match_key[0] && !(c->match_tol >= 0))
        return rise_error(RISE_ERR_INVALID, "relabel: match_tol %g, expected >= 0",
                          (double)c->match_tol);
    return RISE_OK;
}

/* Retrieve first: of each query's kk nearest (nearest first), keep in order those within
 * the threshold, of another trajectory (group) and agreeing on the match key (mdim > 0). */
static void filter_retrieved(const rise_relabel_config *c, const state_set *qs, const state_set *rs,
                             int kk, int group, int64_t mdim, int64_t *idx, float *dist,
                             int32_t *count) {
    for (int64_t i = 0; i < qs->n; ++i) {
        int32_t kept = 0;
        for (int32_t s = 0; s < count[i]; ++s) {
            const int64_t j = idx[i * kk + s];
            const float d = dist[i * kk + s];
            int ok = d <= c->threshold && !(group && qs->group[i] == rs->group[j]);
            for (int64_t m = 0; ok && m < mdim; ++m)
                ok = fabsf(qs->match[i * mdim + m] - rs->match[j * mdim + m]) <= c->match_tol;
            if (!ok) continue;
            idx[i * kk + kept] = j;
            dist[i * kk + kept] = d;
            ++kept;
        }
        count[i] = kept;
    }
}

static rise_status host_knn(void *ctx, const float *q, int64_t nq, const float *r, int64_t nr,
                            int64_t F, const rise_knn_opts *o, int64_t *idx, float *dist,
                            int32_t *count) {
    (void)ctx;
    return rise_knn(q, nq, r, nr, F, o, idx, dist, count);
}

rise_status rise_relabel_build(const rise_trainset *ts, const rise_relabel_config *c,
                               rise_pairs *out) {
    return rise_relabel_build_with(ts, c, NULL, NULL, out);
}

/* The features' observation columns, in key order (*cols malloc'd), and their count F: every
 * column, the feature keys', or (no columns) the training set's relabelling keys. */
static rise_status feature_cols(const rise_trainset *ts, const rise_relabel_config *c,
                                int64_t **cols, int64_t *F) {
    *F = 0;
    *cols = malloc((size_t)(ts->obs_dim ? ts->obs_dim : 1) * sizeof **cols);
    if (!*cols) return rise_error(RISE_ERR_NOMEM, "out of memory");
    if (ts->relabel_dim) {
        if (c->n_feature_keys)
            return rise_error(RISE_ERR_INVALID,
                              "relabel: feature keys and data.relabel_keys both name the "
                              "features; give one");
        *F = ts->relabel_dim;
        return RISE_OK;
    }
    if (ts->obs_dim == 0)
        return rise_error(RISE_ERR_INVALID,
                          "relabel: the training set has no low-dim observation keys to search "
                          "on; name features in data.relabel_keys (e.g. image embeddings, "
                          "scripts/embed_images.py)");
    if (c->n_feature_keys == 0)
        for (int64_t j = 0; j < ts->obs_dim; ++j) (*cols)[(*F)++] = j;
    for (int k = 0; k < c->n_feature_keys; ++k) {
        int64_t off, dim;
        RISE_TRY(key_cols(ts, c->feature_keys[k], &off, &dim));
        for (int64_t j = 0; j < dim && *F < ts->obs_dim; ++j) (*cols)[(*F)++] = off + j;
    }
    return RISE_OK;
}

rise_status rise_relabel_build_with(const rise_trainset *ts, const rise_relabel_config *c,
                                    rise_knn_fn knn, void *ctx, rise_pairs *out) {
    memset(out, 0, sizeof *out);
    if (!knn) knn = host_knn;
    RISE_TRY(check_config(c));
    int64_t *cols = NULL, F = 0;
    rise_status st = feature_cols(ts, c, &cols, &F);
    int64_t moff = 0, mdim = 0;
    if (st == RISE_OK && c->match_key[0]) st = key_cols(ts, c->match_key, &moff, &mdim);
    state_set qs = {0}, rs[RISE_PAIR_RULES] = {{0}};
    int64_t *nidx[RISE_PAIR_RULES] = {NULL, NULL};
    float *ndist[RISE_PAIR_RULES] = {NULL, NULL};
    int32_t *ncount[RISE_PAIR_RULES] = {NULL, NULL};
    const int on[RISE_PAIR_RULES] = {c->play_to_expert, c->play_to_play};
    const int kk = c->k + (c->retrieve_first ? 1 : 0); /* neighbours searched per query */
    if (st == RISE_OK) st = make_set(ts, 0, c->skip_nonexpert, cols, F, c, moff, mdim, &qs);
    out->queries = qs.n;
    for (int rule = 0; rule < RISE_PAIR_RULES && st == RISE_OK; ++rule) {
        if (!on[rule]) continue;
        st = make_set(ts, rule == RISE_PAIR_PLAY_TO_EXPERT,
                      rule == RISE_PAIR_PLAY_TO_EXPERT ? c->skip_expert : c->skip_nonexpert, cols,
                      F, c, moff, mdim, &rs[rule]);
        if (st != RISE_OK) break;
        out->references[rule] = rs[rule].n;
        const size_t nq = (size_t)(qs.n ? qs.n : 1);
        nidx[rule] = malloc(nq * (size_t)kk * sizeof *nidx[rule]);
        ndist[rule] = malloc(nq * (size_t)kk * sizeof *ndist[rule]);
        ncount[rule] = calloc(nq, sizeof *ncount[rule]);
        if (!nidx[rule] || !ndist[rule] || !ncount[rule]) {
            st = rise_error(RISE_ERR_NOMEM, "relabel: out of memory for neighbour lists");
            break;
        }
        if (qs.n == 0 || rs[rule].n == 0) continue;
        const int group = rule == RISE_PAIR_PLAY_TO_PLAY;
        const int match = mdim && (rule == RISE_PAIR_PLAY_TO_EXPERT || c->match_play_to_play);
        rise_knn_opts ko;
        rise_knn_opts_default(&ko);
        ko.k = kk;
        if (c->tile_q > 0) ko.tile_q = c->tile_q;
        if (c->tile_r > 0) ko.tile_r = c->tile_r;
        if (!c->retrieve_first) { /* the filters inside the search */
            ko.max_dist = c->threshold;
            if (group) {
                ko.q_group = qs.group;
                ko.r_group = rs[rule].group;
            }
            if (match) {
                ko.q_match = qs.match;
                ko.r_match = rs[rule].match;
                ko.match_dim = mdim;
                ko.match_tol = c->match_tol;
            }
        }
        st = knn(ctx, qs.feat, qs.n, rs[rule].feat, rs[rule].n, F, &ko, nidx[rule], ndist[rule],
                 ncount[rule]);
        if (st == RISE_OK && c->retrieve_first)
            filter_retrieved(c, &qs, &rs[rule], kk, group, match ? mdim : 0, nidx[rule],
                             ndist[rule], ncount[rule]);
    }
    /* Assemble: by query, then rule, then distance. */
    int64_t total = 0;
    for (int rule = 0; rule < RISE_PAIR_RULES && st == RISE_OK; ++rule)
        if (on[rule])
            for (int64_t i = 0; i < qs.n; ++i) {
                out->count[rule] += ncount[rule][i];
                out->queries_matched[rule] += ncount[rule][i] > 0;
            }
    total = out->count[0] + out->count[1];
    if (st == RISE_OK) {
        const size_t n = (size_t)(total ? total : 1);
        out->obs_idx = malloc(n * sizeof *out->obs_idx);
        out->act_idx = malloc(n * sizeof *out->act_idx);
        out->dist = malloc(n * sizeof *out->dist);
        out->rule = malloc(n);
        if (!out->obs_idx || !out->act_idx || !out->dist || !out->rule)
            st = rise_error(RISE_ERR_NOMEM, "relabel: out of memory for %lld pairs",
                            (long long)total);
    }
    for (int64_t i = 0; st == RISE_OK && i < qs.n; ++i)
        for (int rule = 0; rule < RISE_PAIR_RULES; ++rule) {
            if (!on[rule]) continue;
            for (int32_t s = 0; s < ncount[rule][i]; ++s) {
                const int64_t p = out->n++;
                out->obs_idx[p] = qs.rows[i];
                out->act_idx[p] = rs[rule].rows[nidx[rule][i * kk + s]];
                out->dist[p] = ndist[rule][i * kk + s];
                out->rule[p] = (uint8_t)rule;
            }
        }
    for (int rule = 0; rule < RISE_PAIR_RULES; ++rule) {
        set_free(&rs[rule]);
        free(nidx[rule]);
        free(ndist[rule]);
        free(ncount[rule]);
    }
    set_free(&qs);
    free(cols);
    if (st != RISE_OK) rise_pairs_free(out);
    return st;
}

void rise_pairs_gather(const rise_trainset *ts, const rise_pairs *p, const int64_t *pidx, int64_t B,
                       int To, int Ta, float *obs_hist, float *act_chunk, float *valid) {
    for (int64_t b = 0; b < B; ++b) {
        const int64_t k = pidx[b];
        if (obs_hist)
            rise_gather_obs_history(ts, &p->obs_idx[k], 1, To, obs_hist + b * To * ts->obs_dim);
        if (act_chunk)
            rise_gather_action_chunk(ts, &p->act_idx[k], 1, Ta, act_chunk + b * Ta * ts->act_dim,
                                     valid ? valid + b * Ta : NULL);
    }
}

static int cmp_float(const void *a, const void *b) {
    const float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* Quantiles 0, 0.1, 0.5, 0.9, 1 of n values (sorted in place); NaN when n is 0. */
static void quantiles(float *v, int64_t n, double q[5]) {
    static const double at[5] = {0.0, 0.1, 0.5, 0.9, 1.0};
    qsort(v, (size_t)n, sizeof *v, cmp_float);
    for (int i = 0; i < 5; ++i) q[i] = n ? v[(int64_t)(at[i] * (double)(n - 1) + 0.5)] : NAN;
}

rise_status rise_relabel_diagnose(const rise_trainset *ts, const rise_relabel_config *c,
                                  rise_relabel_diag *out) {
    memset(out, 0, sizeof *out);
    for (int i = 0; i < 5; ++i) out->dist[i] = out->match_dist[i] = NAN;
    RISE_TRY(check_config(c));
    int64_t *cols = NULL, F = 0;
    rise_status st = feature_cols(ts, c, &cols, &F);
    int64_t moff = 0, mdim = 0;
    if (st == RISE_OK && c->match_key[0]) st = key_cols(ts, c->match_key, &moff, &mdim);
    out->has_match = mdim > 0;
    state_set qs = {0}, rs = {0};
    if (st == RISE_OK) st = make_set(ts, 0, c->skip_nonexpert, cols, F, c, moff, mdim, &qs);
    if (st == RISE_OK) st = make_set(ts, 1, c->skip_expert, cols, F, c, moff, mdim, &rs);
    out->queries = qs.n;
    out->references = rs.n;
    const int64_t cap = 4096, stride = qs.n > cap ? (qs.n + cap - 1) / cap : 1;
    const int64_t m = qs.n && rs.n ? (qs.n + stride - 1) / stride : 0;
    float *q = malloc((size_t)(m ? m : 1) * (size_t)F * sizeof *q);
    float *qm = malloc((size_t)(m ? m : 1) * (size_t)(mdim ? mdim : 1) * sizeof *qm);
    float *d = malloc((size_t)(m ? m : 1) * sizeof *d);
    int64_t *idx = malloc((size_t)(m ? m : 1) * sizeof *idx);
    int32_t *cnt = malloc((size_t)(m ? m : 1) * sizeof *cnt);
    if (st == RISE_OK && (!q || !qm || !d || !idx || !cnt))
        st = rise_error(RISE_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; st == RISE_OK && i < m; ++i) {
        memcpy(q + i * F, qs.feat + i * stride * F, (size_t)F * sizeof *q);
        if (mdim) memcpy(qm + i * mdim, qs.match + i * stride * mdim, (size_t)mdim * sizeof *qm);
    }
    out->sampled = m;
    for (int pass = 0; st == RISE_OK && m > 0 && pass < (mdim ? 2 : 1); ++pass) {
        rise_knn_opts ko;
        rise_knn_opts_default(&ko);
        ko.k = 1;
        ko.max_dist = 0.0f; /* no threshold: the nearest one, however far */
        if (pass == 1) {
            ko.q_match = qm;
            ko.r_match = rs.match;
            ko.match_dim = mdim;
            ko.match_tol = c->match_tol;
        }
        st = rise_knn(q, m, rs.feat, rs.n, F, &ko, idx, d, cnt);
        int64_t found = 0;
        for (int64_t i = 0; st == RISE_OK && i < m; ++i)
            if (cnt[i] > 0) d[found++] = d[i];
        if (st != RISE_OK) break;
        if (pass == 0) {
            quantiles(d, found, out->dist);
        } else {
            out->match_found = found;
            quantiles(d, found, out->match_dist);
        }
    }
    free(q);
    free(qm);
    free(d);
    free(idx);
    free(cnt);
    set_free(&qs);
    set_free(&rs);
    free(cols);
    return st;
}
