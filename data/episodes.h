/* episodes.h - one dataset file's content in host memory (the common form).
 *
 * Every reader (robomimic HDF5, D4RL flat files, Minari episode files) fills a
 * rise_episodes, and the robomimic writer writes one. Observations are one
 * [N, D] float matrix: the selected observation keys concatenated in the
 * order asked for, each key's columns described by a rise_obs_key (name,
 * per-step shape, column offset) so the writer can split them back into
 * obs/<key> datasets. Rows of all demos are stored back to back, demo d
 * occupying rows demos[d].start .. start + length - 1.
 *
 * Image keys read as frames (rise_read_opts.image_frames) are not columns of obs: each is a
 * rise_image_key holding uint8 H x W x C frames, one per row, and each demo's last next
 * frame (the next state of its last step; the next state of any other step t is the frame
 * of step t + 1, as robomimic writes next_obs). */
#ifndef RISE_DATA_EPISODES_H
#define RISE_DATA_EPISODES_H

#include <stdint.h>

#include "host/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_NAME_MAX     128 /* observation keys, demo and mask names */
#define RISE_KEY_MAX_RANK 4

typedef struct {
    char name[RISE_NAME_MAX];
    int ndim;                         /* per-step rank: (N, 3) -> 1, (N,) -> 0 */
    int64_t shape[RISE_KEY_MAX_RANK]; /* per-step shape */
    int64_t dim;                      /* floats per step (product of shape) */
    int64_t offset;                   /* first column in the concatenated row */
    int image; /* image-shaped in the file (readers refuse these unless asked to load them) */
} rise_obs_key;

/* A camera: an image key read as uint8 frames (robomimic's HWC layout). */
typedef struct {
    char name[RISE_NAME_MAX];
    int h, w, c;
    uint8_t *frames;    /* [n, h, w, c] frame of each row; NULL when only the layout was read */
    uint8_t *last_next; /* [n_demos, h, w, c] next frame of each demo's last step, or NULL */
} rise_image_key;

/* Bytes of one frame. */
static inline int64_t rise_image_frame_bytes(const rise_image_key *k) {
    return (int64_t)k->h * k->w * k->c;
}

typedef struct {
    char name[RISE_NAME_MAX]; /* "demo_12" (robomimic), "episode_3" (Minari) */
    int64_t id;               /* the integer after the prefix; demos sort by it */
    int64_t start;            /* first row in the flat arrays */
    int64_t length;           /* transitions */
} rise_demo;

/* A filter key: mask/<name> lists demos (here as indices into demos[]). */
typedef struct {
    char name[RISE_NAME_MAX];
    int64_t count;
    int64_t *demos;
} rise_mask;

typedef struct {
    char *path;     /* where it came from, for messages (owned) */
    char *env_args; /* JSON text of data.attrs["env_args"], or NULL */
    int64_t n_demos;
    rise_demo *demos;
    int64_t n; /* transitions, the sum of demo lengths */
    int n_keys;
    rise_obs_key *keys;
    int64_t obs_dim;
    int64_t act_dim;
    int64_t state_dim; /* 0 when the file has no states */
    float *obs;        /* [n, obs_dim] */
    float *next_obs;   /* [n, obs_dim] */
    float *actions;    /* [n, act_dim] */
    float *rewards;    /* [n] */
    uint8_t *dones;    /* [n], 0 or 1 */
    double *states;    /* [n, state_dim] or NULL; simulator states keep double */
    int n_masks;
    rise_mask *masks;
    int n_images;           /* image keys read as frames (not columns of obs) */
    rise_image_key *images; /* in the order the keys were asked for */
} rise_episodes;

void rise_episodes_free(rise_episodes *e);

/* Sets the key table from names and per-step shapes and computes offsets and
 * obs_dim. shapes[i] has ndims[i] entries. */
rise_status rise_episodes_set_keys(rise_episodes *e, int n_keys, const char *const *names,
                                   const int *ndims, const int64_t *const *shapes);

/* Allocates the flat arrays for n transitions and n_demos demos (contents
 * uninitialised; states only when state_dim > 0). Keys and act_dim first. */
rise_status rise_episodes_alloc(rise_episodes *e, int64_t n_demos, int64_t n);
/* Then each image key's frames [n] and last next frames [n_demos] (uninitialised). */
rise_status rise_episodes_alloc_frames(rise_episodes *e);

/* Index of a key by name, or -1. */
int rise_episodes_find_key(const rise_episodes *e, const char *name);

/* Index of a mask by name, or -1. */
int rise_episodes_find_mask(const rise_episodes *e, const char *name);

/* Adds a mask (copies the demo indices). Fails on a duplicate name or an
 * index out of range. */
rise_status rise_episodes_add_mask(rise_episodes *e, const char *name, const int64_t *demos,
                                   int64_t count);

/* Parses "demo_12" with prefix "demo_" into 12. Returns 0 unless the name is
 * the prefix followed by decimal digits only (no sign, at most 18 digits). */
int rise_parse_demo_name(const char *name, const char *prefix, int64_t *id);

/* Fills next_obs of demo d from obs shifted by one, the last row repeated,
 * and forces dones at the last step to 1 (there is no true next state). */
void rise_episodes_derive_next_obs(rise_episodes *e, int64_t d);

#ifdef __cplusplus
}
#endif
#endif
