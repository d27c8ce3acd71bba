/* env_impl.h - what a task implementation needs beyond env.h: a settings
 * table (parsed, range-checked, defaulted and written back as canonical
 * JSON by env.c, so env_args, --help and validation cannot disagree) and a
 * task record for the registry.
 *
 * A task declares its settings once:
 *   static const rise_env_setting maze_settings[] = {
 *       {"dt", RISE_SETTING_NUMBER, offsetof(rise_maze_settings, dt), 0.05, 1e-4, 1.0, NULL,
 *        "seconds per step"}, ...};
 * and a create function that receives the filled struct. */
#ifndef RISE_ENVS_ENV_IMPL_H
#define RISE_ENVS_ENV_IMPL_H

#include <stddef.h>

#include "env.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    RISE_SETTING_NUMBER, /* double, in [lo, hi] */
    RISE_SETTING_INT,    /* int, integral value in [lo, hi] */
    RISE_SETTING_BOOL,   /* int 0/1 */
    RISE_SETTING_CHOICE, /* int index into choices (NULL-terminated), JSON string */
} rise_setting_type;

typedef struct {
    const char *name;
    rise_setting_type type;
    size_t offset; /* of the double / int field in the task's settings struct */
    double def;    /* default (a choice's default is an index) */
    double lo, hi;
    const char *const *choices;
    const char *help;
} rise_env_setting;

typedef struct {
    const char *name;
    const rise_env_setting *settings;
    int n_settings;
    size_t settings_size; /* sizeof the task's settings struct */
    /* Builds the env from filled settings; must set ops, info and impl. */
    rise_status (*create)(const void *settings, rise_env **out);
} rise_env_task;

/* Adds a task to the registry (tests, later tasks); names must be unique.
 * Not thread-safe: call before creating envs from other threads. */
rise_status rise_env_register_task(const rise_env_task *task);
const rise_env_task *rise_env_find_task(const char *name);

/* Fills `out` (settings_size bytes) from settings JSON text via the table,
 * defaults first. `what` names the source in messages ("maze settings"). */
rise_status rise_env_settings_parse(const rise_env_task *task, const char *json, const char *what,
                                    void *out);
/* Canonical JSON object text (every field, table order); malloc'd. */
char *rise_env_settings_json(const rise_env_task *task, const void *settings);

/* Appends an observation key to info (offset computed). */
void rise_env_info_add_key(rise_env_info *info, const char *name, int dim);

/* Built-in tasks. */
extern const rise_env_task rise_maze_task;

#ifdef __cplusplus
}
#endif
#endif
