/* train_config.h - the configuration of a training run: one flat struct generated from
 * train_config_fields.def (every field listed once there, with its default and help).
 *
 * A field X(TYPE, group, name, default, help) becomes the C member `group_name`
 * (int for INT and BOOL, float for FLOAT, char[RISE_CFG_STR_MAX] for STRING), the JSON
 * path {"group": {"name": value}} and the command-line key "group.name". The config's
 * JSON "data" object is the dataset spec (data/spec.h), parsed with relative source paths
 * resolved against the config file's folder.
 *
 * Usage: rise_train_config_load (or _default), any number of rise_train_config_set from
 * the command line, then rise_train_config_check. rise_train_config_to_json writes the
 * resolved config (a run's config.json); loading it back gives an identical struct. */
#ifndef RISE_TRAIN_CONFIG_H
#define RISE_TRAIN_CONFIG_H

#include <stdio.h>

#include "../data/spec.h"
#include "../host/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_CFG_STR_MAX 128

#define RISE_CFG_MEMBER_INT(member)    int member;
#define RISE_CFG_MEMBER_BOOL(member)   int member;
#define RISE_CFG_MEMBER_FLOAT(member)  float member;
#define RISE_CFG_MEMBER_STRING(member) char member[RISE_CFG_STR_MAX];

typedef struct {
#define X(TYPE, group, name, def, help) RISE_CFG_MEMBER_##TYPE(group##_##name)
#include "train_config_fields.def"
#undef X
    rise_data_spec data; /* the "data" object; meaningful only when has_data */
    int has_data;
    char source_path[1024]; /* file (or origin) the config came from; "" for defaults */
} rise_train_config;

/* Every field at its default; no data spec (has_data 0). */
void rise_train_config_default(rise_train_config *c);

/* Ranges and choices of every field ("one of a|b|c" in a field's help lists its
 * choices), and the data spec when has_data. The error names the key, the value found
 * and what was expected. */
rise_status rise_train_config_check(const rise_train_config *c);

/* Defaults, then the JSON file at `path`: {"comment": "...", "train": {"steps": 100},
 * "critic": {...}, "data": {...}} ("comment" strings, at the top or in a group, are
 * ignored). Unknown groups or keys, wrong JSON types, repeated keys, a missing file or
 * malformed JSON (reported as path:line:column) are errors. Data source paths are resolved
 * against the file's folder (made absolute). Ranges are not checked here (call
 * rise_train_config_check after any --set). On error *c is unchanged. */
rise_status rise_train_config_load(rise_train_config *c, const char *path);

/* As _load, from JSON text: `origin` names the text in messages (and becomes
 * source_path); `base_dir` resolves relative data paths (NULL: kept as they are). Starts
 * from the defaults. On error *c is unchanged. */
rise_status rise_train_config_from_json_text(rise_train_config *c, const char *json,
                                             const char *origin, const char *base_dir);

/* One command-line assignment "group.name=value" (BOOL: true/false/1/0). "data.<field>=v"
 * is forwarded to rise_data_spec_set, and "data.source=role:path[:filter_key]" adds a
 * source (rise_data_spec_add_source; "data.sources=..." replaces them); either starts a
 * default data spec when there is none. A relative source path means the working folder's
 * file and is stored absolute, so the run's config.json finds it from anywhere. Unknown keys
 * are errors with the nearest valid key. On error *c is unchanged. */
rise_status rise_train_config_set(rise_train_config *c, const char *assignment);

/* malloc'd, pretty-printed JSON of every field (and "data" when has_data); floats are
 * written with the fewest digits (at most 9) that read back to the same float. NULL
 * when out of memory. */
char *rise_train_config_to_json(const rise_train_config *c);

/* The table of every key (group.name), type, default and help (`rise train --help`). */
void rise_train_config_print_help(FILE *out);

/* Help text / type name ("int", "float", "bool", "string") of a key "group.name"; NULL
 * when the key is unknown. */
const char *rise_train_config_key_help(const char *key);
const char *rise_train_config_key_type(const char *key);

/* The value of key "group.name" as text (as --set would take it) into buf; error on an
 * unknown key or a buffer too small. */
rise_status rise_train_config_get(const rise_train_config *c, const char *key, char *buf,
                                  size_t size);

#ifdef __cplusplus
}
#endif
#endif
