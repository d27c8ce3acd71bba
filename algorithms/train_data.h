/* train_data.h - what a training run knows about its data beyond the arrays: the task it
 * belongs to (one of rise's simulated tasks, or none when the data came from another
 * simulator), a summary of what it loaded (printed by `rise train`, stored in header.json),
 * and notices a user should see (keys chosen for them, relabelling that found no pairs).
 *
 *     rise_train_task t;
 *     RISE_TRY(rise_train_resolve_task(cfg->train_task, &ts, &t));   "auto" -> "maze" / "none"
 *     char *json;
 *     RISE_TRY(rise_train_data_report(cfg, &t, &ts, pairs, NULL, stderr, stderr, &json));
 *
 * train.task: "auto" takes the data's task when its env_args describe one of rise's tasks,
 * else "none" with a notice; "none" trains without a task (nothing to evaluate on here); a
 * task name must match the data's env_args. */
#ifndef RISE_TRAIN_DATA_H
#define RISE_TRAIN_DATA_H

#include <stdio.h>

#include "../data/pairs.h"
#include "../data/trainset.h"
#include "train_config.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char task[RISE_CFG_STR_MAX]; /* a rise task name, or "none" */
    char env[320];               /* the data's environment in words */
    int foreign;                 /* the data's env_args name no rise task */
    char notice[1024];           /* "" or why auto became none */
} rise_train_task;

/* The data's environment in words: "maze (a rise task)", "Lift (robomimic env type 1:
 * robosuite)", "Hopper-v5 (gymnasium)", "none named (env_args {})", ... */
void rise_train_describe_env(const char *env_args, char *buf, size_t n);

/* Resolves train.task against the data's env_args (ts->env_args, from the first source). */
rise_status rise_train_resolve_task(const char *setting, const rise_trainset *ts,
                                    rise_train_task *out);

/* Prints notices (keys chosen when data.obs_keys is unset on data rise did not make; a
 * warning with nearest-neighbour distances when relabelling found no pairs) to `notices`
 * and the summary of the loaded data to `summary` (either may be NULL), and returns in *json
 * (malloc'd) the header.json members: {"task", "data": {...}, "relabel": {...}}. pairs and
 * diag may be NULL (relabelling off / not diagnosed). */
rise_status rise_train_data_report(const rise_train_config *cfg, const rise_train_task *task,
                                   const rise_trainset *ts, const rise_pairs *pairs,
                                   const rise_relabel_diag *diag, FILE *notices, FILE *summary,
                                   char **json);

#ifdef __cplusplus
}
#endif
#endif
