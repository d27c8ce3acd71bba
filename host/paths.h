/* paths.h - file-system helpers every command that writes needs: folders created with their
 * parents (an output path may name folders that do not exist yet, e.g. runs/demo on a fresh
 * clone), relative paths made absolute (so a run directory's config.json points at its data
 * from any working directory), and stale temporary files left by killed processes removed.
 *
 *     RISE_TRY(rise_mkdir_p("runs/demo/data"));          mkdir -p
 *     RISE_TRY(rise_mkdir_parent("out/sub/merged.h5"));  mkdir -p out/sub
 *     char abs[RISE_PATHS_MAX];
 *     RISE_TRY(rise_path_absolute("data/e.h5", abs, sizeof abs));  cwd + "/data/e.h5"
 *     RISE_TRY(rise_path_folder_absolute("cfg/a.json", abs, sizeof abs));  cwd + "/cfg"
 *     int n = rise_remove_stale_temps("runs/x", "checkpoint.h5");  checkpoint.h5.tmp.<dead pid> */
#ifndef RISE_HOST_PATHS_H
#define RISE_HOST_PATHS_H

#include <stddef.h>

#include "host/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RISE_PATHS_MAX 4096

/* Creates dir and every missing parent (mode 0775). An existing directory is fine; an
 * existing file of that name, or a parent that cannot be created, is an error naming it. */
rise_status rise_mkdir_p(const char *dir);

/* Creates the folder a file path lives in (nothing for a bare file name). */
rise_status rise_mkdir_parent(const char *file_path);

/* path joined to the current working directory unless it is absolute, with leading "./"
 * components dropped; the file need not exist (no symlinks are resolved). */
rise_status rise_path_absolute(const char *path, char *out, size_t size);

/* The folder file_path lives in, absolute (as rise_path_absolute): what the relative paths
 * inside a config or spec file are resolved against. */
rise_status rise_path_folder_absolute(const char *file_path, char *out, size_t size);

/* Removes dir/<base>.tmp.<pid> files whose process <pid> no longer runs on this machine (a
 * writer killed before its rename). Files of live processes are kept: another run may be
 * writing them. Returns the number removed (0 when dir cannot be read). */
int rise_remove_stale_temps(const char *dir, const char *base);

#ifdef __cplusplus
}
#endif
#endif
