/* embed.h - per-frame features of one camera written into a robomimic-layout file, in place:
 * for every demo, obs/<camera> (uint8 [N, H, W, C]) becomes obs/<camera>_embedding (float32
 * [N, E]), and next_obs/<camera> next_obs/<camera>_embedding where the file has it, the layout
 * scripts/embed_images.py writes and data.relabel_keys reads. The features come from a
 * caller's function (the CLI passes the policy's image encoder, algorithms/agent_embed.c).
 *
 * The whole file is checked first, read-only (every demo has obs/<camera>, uint8 of rank 4,
 * of the frame shape the function takes); nothing is written when a check fails, nor when
 * every group already holds the embedding and force is 0 (the file is then not even opened
 * for writing, so its bytes stay as they were). Frames are read and encoded `batch` at a
 * time, never a whole demo at once. Each embedding is written under <key>.partial and renamed
 * when complete, so an interrupted run leaves no embedding that looks finished (the next run
 * replaces the partial one). Each written dataset carries the caller's provenance as string
 * attributes and an int64 attribute "checkpoint_step". */
#ifndef RISE_DATA_EMBED_H
#define RISE_DATA_EMBED_H

#include <stdint.h>

#include "host/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* out [n, feat_dim] from frames uint8 [n, h, w, c]. */
typedef rise_status (*rise_embed_fn)(void *ctx, int n, const uint8_t *frames, float *out);

#define RISE_EMBED_MAX_ATTRS 8

typedef struct {
    const char *camera;     /* obs/<camera> */
    int h, w, c;            /* the frame shape fn takes (checked against every demo's) */
    const char *shape_from; /* who wants that shape, for messages ("the run's camera ...") */
    int feat_dim;           /* E */
    int batch;              /* frames per fn call (>= 1) */
    int force;              /* 1: replace existing embeddings */
    rise_embed_fn fn;
    void *ctx;
    /* provenance, written on every embedding dataset */
    int n_attrs;
    const char *attr_names[RISE_EMBED_MAX_ATTRS], *attr_values[RISE_EMBED_MAX_ATTRS];
    int64_t step; /* attribute checkpoint_step */
} rise_embed_opts;

typedef struct {
    int64_t demos;   /* demos in the file */
    int64_t written; /* obs / next_obs groups given an embedding */
    int64_t kept;    /* groups whose embedding was already there (force 0) */
    int64_t frames;  /* frames encoded */
} rise_embed_result;

rise_status rise_data_embed(const char *path, const rise_embed_opts *o, rise_embed_result *r);

#ifdef __cplusplus
}
#endif
#endif
