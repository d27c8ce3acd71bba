/* spec.h - the dataset spec: which files make the training set, and how.
 *
 * JSON form (a config's "data" object; relative paths are resolved against
 * the spec file's folder by rise_data_spec_load):
 *   {"sources": [{"path": "expert.h5", "role": "expert"},
 *                {"path": "all.h5", "filter_key": "play", "role": "non_expert",
 *                 "format": "auto", "max_demos": 0}],
 *    "obs_keys": ["agent_pos", "agent_vel"],
 *    "reward": "rise", "terminal": "dataset",
 *    "obs_norm": "gaussian", "act_norm": "minmax"}
 * Command-line form: rise_data_spec_add_source(spec, "expert:expert.h5[:filter]")
 * and rise_data_spec_set(spec, "reward", "dataset").
 *
 * reward: rise (expert transitions r = 1, non-expert r = 0) or dataset (keep
 * the file's rewards). terminal: dataset (the file's dones), never (0
 * everywhere), traj_end (1 at the last step of each trajectory only). */
#ifndef RISE_DATA_SPEC_H
#define RISE_DATA_SPEC_H

#include <stdint.h>

#include "episodes.h"
#include "normalize.h"
#include "reader.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_DATA_MAX_SOURCES 32
#define RISE_DATA_MAX_KEYS    32
#define RISE_PATH_MAX         1024

typedef enum { RISE_ROLE_EXPERT = 0, RISE_ROLE_NON_EXPERT } rise_role;
typedef enum { RISE_REWARD_RISE = 0, RISE_REWARD_DATASET } rise_reward_mode;
typedef enum {
    RISE_TERMINAL_DATASET = 0,
    RISE_TERMINAL_NEVER,
    RISE_TERMINAL_TRAJ_END
} rise_terminal_mode;

typedef struct {
    char path[RISE_PATH_MAX];
    char filter_key[RISE_NAME_MAX]; /* "" = every demo */
    rise_role role;
    rise_format format;
    int64_t max_demos; /* 0 = all; else the first max_demos in file order */
} rise_data_source;

typedef struct {
    int n_sources;
    rise_data_source sources[RISE_DATA_MAX_SOURCES];
    int n_obs_keys; /* 0 = every key of the first source, in name order */
    char obs_keys[RISE_DATA_MAX_KEYS][RISE_NAME_MAX];
    /* keys loaded for neighbour relabelling only, never a network's input (precomputed image
     * embeddings, obs/<camera>_embedding); 0: relabelling searches the observation keys */
    int n_relabel_keys;
    char relabel_keys[RISE_DATA_MAX_KEYS][RISE_NAME_MAX];
    rise_reward_mode reward;
    rise_terminal_mode terminal;
    rise_norm_mode obs_norm;     /* default gaussian */
    rise_norm_mode act_norm;     /* default minmax */
    int shard_rank, shard_world; /* this process loads only its share */
    /* Camera frames are held in memory when they need at most this many MiB (all cameras,
     * this rank's share); above it each batch's frames are read from the files
     * (data/frames.h). 0: half the machine's physical memory. */
    double image_memory_mb;
} rise_data_spec;

const char *rise_role_name(rise_role r);
const char *rise_reward_mode_name(rise_reward_mode m);
const char *rise_terminal_mode_name(rise_terminal_mode m);
int rise_role_parse(const char *s, rise_role *r);

void rise_data_spec_default(rise_data_spec *s);
rise_status rise_data_spec_check(const rise_data_spec *s);

/* "role:path[:filter_key]", role expert or non_expert (non-expert, play). */
rise_status rise_data_spec_add_source(rise_data_spec *s, const char *arg);
/* One field by name: reward, terminal, obs_norm, act_norm, obs_keys (comma
 * list), shard_rank, shard_world, image_memory_mb. */
rise_status rise_data_spec_set(rise_data_spec *s, const char *key, const char *value);

/* Parses the JSON text; relative source paths are joined to base_dir (NULL:
 * kept as they are). Unknown fields are errors (typos should not pass). */
rise_status rise_data_spec_from_json(rise_data_spec *s, const char *json, const char *base_dir);
rise_status rise_data_spec_load(rise_data_spec *s, const char *path);
/* malloc'd JSON text of the spec (saved with a run's config). */
char *rise_data_spec_to_json(const rise_data_spec *s);

#ifdef __cplusplus
}
#endif
#endif
