/* pairs.h - neighbour relabelling: the extra (s, a) pairs RISE trains its
 * behaviour policy on (PAPER.md, support expansion 2).
 *
 * For each non-expert state s (time >= skip_nonexpert in its trajectory):
 *  - play->expert: expert states s' (time >= skip_expert) near s give pairs (s, a(s'));
 *  - play->play: non-expert states s' of *other* trajectories (time >= skip_nonexpert)
 *    near s give pairs (s, a(s')).
 * Which neighbours (search):
 *  - retrieve_first (RISE's code): the k + 1 nearest of the rule's states, then only
 *    those within distance threshold, of another trajectory (play->play; this drops s
 *    itself), and agreeing on the match key (play->expert; play->play too with
 *    match_play_to_play) are kept: at most k + 1 per rule, often far fewer;
 *  - filter first: the k nearest among the states that pass those filters.
 * Distances are Euclidean on features: the raw observations (raw_features, RISE's code)
 * or the normalised ones, of all keys or the chosen ones, optionally L2-normalised per
 * row (RISE's code: yes, so Euclidean ranks like cosine). With a match key (the gripper)
 * a neighbour must agree with s on every column of that key within match_tol, in raw
 * units (0: exact equality, RISE's code). The pairs are a separate set: the actor draws
 * batches from it (its own sampler stream); the critic never sees them. Pairs store
 * transition indices, so an actor batch gathers the observation history of s and the
 * action chunk starting at s'. */
#ifndef RISE_DATA_PAIRS_H
#define RISE_DATA_PAIRS_H

#include <stdint.h>

#include "kernels/knn_search.h"
#include "trainset.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_RELABEL_MAX_KEYS 32

typedef struct {
    int k;              /* neighbours per state and rule (paper: 15) */
    int retrieve_first; /* 1: the k + 1 nearest, then the filters (RISE's code) */
    int raw_features;   /* 1: features from raw observations (RISE's code), else normalised */
    float threshold;    /* distance T (paper: 0.15 square, 0.08 threading) */
    int l2_normalize;   /* features scaled to unit length (paper: yes) */
    int skip_expert;    /* first steps of each expert demo left out (20) */
    int skip_nonexpert; /* first steps of each non-expert trajectory (50) */
    int play_to_expert; /* rule on/off */
    int play_to_play;   /* rule on/off */
    int n_feature_keys; /* 0 = all observation keys */
    char feature_keys[RISE_RELABEL_MAX_KEYS][RISE_NAME_MAX];
    char match_key[RISE_NAME_MAX]; /* "" = no match requirement */
    float match_tol;               /* 0: exact equality */
    int match_play_to_play;        /* the match key also filters play->play (RISE's code: no) */
    int64_t tile_q, tile_r;        /* kNN tiles (0 = defaults) */
} rise_relabel_config;

void rise_relabel_config_default(rise_relabel_config *c);

enum { RISE_PAIR_PLAY_TO_EXPERT = 0, RISE_PAIR_PLAY_TO_PLAY = 1, RISE_PAIR_RULES = 2 };

typedef struct {
    int64_t n;
    int64_t *obs_idx;                         /* [n] transition whose observation is the input */
    int64_t *act_idx;                         /* [n] transition whose action is the target */
    float *dist;                              /* [n] feature distance */
    uint8_t *rule;                            /* [n] RISE_PAIR_* */
    int64_t count[RISE_PAIR_RULES];           /* pairs per rule */
    int64_t queries;                          /* non-expert states searched */
    int64_t queries_matched[RISE_PAIR_RULES]; /* states with >= 1 neighbour per rule */
    int64_t references[RISE_PAIR_RULES];      /* candidate states per rule */
} rise_pairs;

/* Pairs ordered by query, then rule, then distance. */
rise_status rise_relabel_build(const rise_trainset *ts, const rise_relabel_config *c,
                               rise_pairs *out);

/* A neighbour search with rise_knn's contract (kernels/knn_search.h); ctx is the caller's. */
typedef rise_status (*rise_knn_fn)(void *ctx, const float *q, int64_t nq, const float *r,
                                   int64_t nr, int64_t F, const rise_knn_opts *o, int64_t *idx,
                                   float *dist, int32_t *count);

/* rise_relabel_build with the searches done by knn (NULL: rise_knn on the host), e.g. on
 * a GPU (algorithms/backend_knn.h). Any search with rise_knn's exact semantics gives the
 * same pairs. */
rise_status rise_relabel_build_with(const rise_trainset *ts, const rise_relabel_config *c,
                                    rise_knn_fn knn, void *ctx, rise_pairs *out);
void rise_pairs_free(rise_pairs *p);

/* Why relabelling found few or no pairs: for (a deterministic sample of) the non-expert
 * states it searches, the distance to the nearest expert state with no threshold, ignoring
 * the match key (dist) and among expert states that agree on the match key (match_dist,
 * when c has one), as quantiles min, 10%, 50%, 90%, max. */
typedef struct {
    int64_t queries, references; /* states searched, expert candidates (after the skips) */
    int64_t sampled;             /* queries measured (at most 4096, evenly spaced) */
    double dist[5];              /* quantiles 0, 0.1, 0.5, 0.9, 1; NaN when nothing measured */
    int has_match;
    int64_t match_found;  /* sampled queries with an expert state agreeing on the match key */
    double match_dist[5]; /* quantiles among those */
} rise_relabel_diag;

rise_status rise_relabel_diagnose(const rise_trainset *ts, const rise_relabel_config *c,
                                  rise_relabel_diag *out);

/* Actor batch from pair indices pidx [B]: obs history [B, To, D] of obs_idx
 * and action chunk [B, Ta, A] (+ valid [B, Ta]) starting at act_idx. */
void rise_pairs_gather(const rise_trainset *ts, const rise_pairs *p, const int64_t *pidx, int64_t B,
                       int To, int Ta, float *obs_hist, float *act_chunk, float *valid);

#ifdef __cplusplus
}
#endif
#endif
