/* reader.h - loads dataset files into a rise_episodes.
 *
 * Formats:
 *  - robomimic (also written by robosuite, MimicGen, Diffusion Policy):
 *    data/ {attrs total, env_args} / demo_<n>/ {attr num_samples} / actions
 *    (N,A), rewards (N), dones (N), optional states (N,S), obs/<key> (N,...),
 *    next_obs/<key> (N,...); optional mask/<filter_key> = demo names as bytes.
 *    Demos are ordered by the integer after demo_, not lexically. A missing
 *    next_obs/<key> is derived from obs (shifted by one, last row repeated,
 *    done forced to 1 there).
 *  - D4RL flat files: observations (N,D), actions (N,A), rewards (N),
 *    terminals (N), timeouts (N), optional next_observations (N,D); an
 *    episode ends at a terminal or a timeout (or the end of the file).
 *  - Minari: episode_<id>/ observations (T+1,...) or a group of them,
 *    actions (T,A), rewards (T), terminations (T), truncations (T).
 * Image keys (robomimic camera frames: per-step shape (H, W, C), uint8, C = 1..4): with
 * image_frames (training), the keys asked for that are images are read as uint8 frames into
 * e->images (robomimic files only), in row blocks straight into place, never a whole
 * dataset at once; with RISE_IMAGES_LAYOUT only their shapes and types are checked, on
 * every demo, and nothing is read (frames are then read per batch: data/frames.h). Other
 * image-shaped keys (float images, (H, W) bytes, per-step rank 4) are errors naming the
 * key, its shape and type. Without image_frames, image-shaped keys are refused unless
 * allow_images (loaded as flat float columns: `rise data info`, merge, relabel); the error
 * names them and the file's other keys.
 * env_args: robomimic's data.attrs["env_args"]; for Minari, built from the dataset's
 * env_spec (root attribute of older files, metadata.json beside main_data.hdf5 since
 * Minari 0.5) as {"env_name": id, "type": "gymnasium", "env_kwargs": kwargs, ...}; D4RL
 * files name no environment (NULL).
 * Everything becomes float32 except states (double). Every problem (missing
 * group or dataset, wrong rank or dtype, lengths that disagree, NaN/Inf,
 * empty demos, unknown keys, bad masks, duplicate names) is an error that
 * names the file, the path inside it, what was expected and what was found. */
#ifndef RISE_DATA_READER_H
#define RISE_DATA_READER_H

#include <stddef.h>
#include <stdint.h>

#include "episodes.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    RISE_FORMAT_AUTO = 0,
    RISE_FORMAT_ROBOMIMIC,
    RISE_FORMAT_D4RL,
    RISE_FORMAT_MINARI,
} rise_format;

const char *rise_format_name(rise_format f);
/* "auto", "robomimic", "d4rl", "minari"; returns 0 when unknown. */
int rise_format_parse(const char *s, rise_format *f);

enum {
    RISE_IMAGES_NONE = 0, /* refused (or flat columns with allow_images) */
    RISE_IMAGES_LOAD,     /* uint8 frames in e->images */
    RISE_IMAGES_LAYOUT,   /* e->images describes them (frames NULL); every demo checked */
};

typedef struct {
    rise_format format;
    /* Observation keys in concatenation order; NULL/0 = every key of the
     * first loaded demo, sorted by name. */
    const char *const *obs_keys;
    int n_obs_keys;
    const char *filter_key; /* robomimic mask/<key>; NULL = all demos */
    /* Optional: one flag per demo of rise_episodes_list's listing (after the
     * filter key); demos with 0 are skipped. Lets a rank load its share. */
    const uint8_t *select;
    int64_t n_select;
    int load_states;     /* read data/demo_<n>/states when present (default 1) */
    int load_masks;      /* keep mask/ filter keys (default 1) */
    int allow_nonfinite; /* keep NaN/Inf instead of failing (`rise data info`) */
    /* Load image-shaped keys (per-step rank >= 3, or uint8 of rank >= 2) as flat columns
     * instead of refusing them: `rise data info`, merge and relabel, never training. */
    int allow_images;
    /* RISE_IMAGES_*: how image keys among the chosen ones are read (training). */
    int image_frames;
    size_t max_bytes; /* refuse files that would need more memory (0 = no limit) */
} rise_read_opts;

void rise_read_opts_default(rise_read_opts *o);

/* Demo names and lengths in load order (after the filter key), without
 * reading any arrays: lengths come from num_samples (robomimic), episode
 * boundaries (D4RL) or action shapes (Minari). `start` is cumulative. */
typedef struct {
    rise_format format;
    int64_t n_demos;
    rise_demo *demos;
    int64_t n; /* total transitions */
} rise_demo_list;

rise_status rise_episodes_list(const char *path, rise_format format, const char *filter_key,
                               rise_demo_list *out);
void rise_demo_list_free(rise_demo_list *l);

/* Loads a file; on error `out` is left empty (freed). */
rise_status rise_episodes_load(const char *path, const rise_read_opts *opts, rise_episodes *out);
/* The same from an HDF5 file image in memory (fuzzing, tests); `label`
 * names it in messages. */
rise_status rise_episodes_load_image(const void *buf, size_t len, const char *label,
                                     const rise_read_opts *opts, rise_episodes *out);

/* The format a file looks like (robomimic: data/ group; D4RL: top-level
 * observations dataset; Minari: episode_<n> groups). */
rise_status rise_detect_format(const char *path, rise_format *out);

#ifdef __cplusplus
}
#endif
#endif
