/* fileops.h - whole-file operations behind `rise data merge` and
 * `rise data relabel`. Both read any supported format, write the robomimic
 * layout atomically (so the output may replace an input), keep everything
 * they do not change (attributes, datasets and their dtypes) and carry the
 * inputs' env_args over. */
#ifndef RISE_DATA_FILEOPS_H
#define RISE_DATA_FILEOPS_H

#include "reader.h"
#include "spec.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *path;
    const char *filter_key; /* NULL: every demo */
    const char *tag;        /* NULL, or a filter key to create listing this input's demos */
} rise_merge_input;

typedef struct {
    const char *const *obs_keys; /* NULL: the first input's keys */
    int n_obs_keys;
    /* Else the inputs' env_args must name the same environment (env_name, type and
     * env_kwargs equal); other env_args fields are kept where all inputs agree. */
    int allow_env_mismatch;
    int dropped_states; /* out: 1 when inputs disagreed on states, which were left out */
    char notes[1024];   /* out: "note: ..." lines about what was converted or left out */
} rise_merge_opts;

/* Demos of all inputs, renumbered demo_0.. in input order. Filter keys of
 * the inputs carry over (same-named keys are united) and each tag becomes a
 * filter key, so `merge -o all.h5 expert.h5:expert play.h5:play` gives a
 * file whose masks say which demos are expert. robomimic-layout inputs are
 * copied object by object: every dataset keeps its dtype and every attribute
 * (e.g. model_file) comes along; obs/ and next_obs/ keep the chosen keys. */
rise_status rise_data_merge(const rise_merge_input *inputs, int n_inputs, const char *out,
                            rise_merge_opts *opts);

typedef struct {
    const char *filter_key; /* only these demos change (the rest are copied); NULL = all */
    int set_reward;         /* 1: every selected transition gets `reward` */
    int reward_last_only;   /* with set_reward: `reward` at each demo's last step, 0 elsewhere */
    float reward;
    int set_dones;
    rise_terminal_mode dones; /* dataset keeps them; never; traj_end */
    const char *add_mask;     /* NULL, or a filter key to add listing the selected demos */
    /* NULL, or a JSON object to store as data.attrs["env_args"] (e.g. naming the environment
     * of a D4RL file, which records none); else the input's env_args are kept. */
    const char *env_args;
} rise_relabel_opts;

rise_status rise_data_relabel(const char *in, const char *out, const rise_relabel_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
