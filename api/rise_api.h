/* rise_api.h - rise's stable C API for other languages (Python's ctypes in python/rise,
 * cffi, Julia, C++...): a trained policy loaded from a run directory, its critic, and
 * dataset files, behind opaque handles and plain C types. Built into the shared library
 * librise.so (CMake target rise_shared), which exports these functions and nothing else.
 *
 *   rise_api_policy *p;
 *   if (rise_api_policy_load("runs/rise_s0", NULL, NULL, 0, &p) != 0)
 *       fprintf(stderr, "%s\n", rise_api_last_error());
 *   int64_t D = rise_api_policy_int(p, "obs_dim");       ...
 *   rise_api_policy_act(p, n, obs, keys, t, NULL, actions); obs [n, D] -> [n, chunk, A]
 *   rise_api_policy_q(p, n, obs, act, q);                  min(Q1, Q2)(s, a)
 *   rise_api_policy_free(p);
 *
 * Every function that can fail returns 0 on success or a rise_status code (host/error.h)
 * and leaves a message naming what was wrong in rise_api_last_error() (per thread).
 * Observations are raw (un-normalised), one row per state, in the model's own column
 * order: the training data's observation keys as listed by "obs_keys" ("name:dim,...").
 * Actions come back un-normalised and clipped to [-1, 1], as the evaluator executes them.
 * A handle is used by one thread at a time. */
#ifndef RISE_API_H
#define RISE_API_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped when a function's meaning or signature changes; additions keep it. */
#define RISE_API_ABI_VERSION 1

int rise_api_abi_version(void);
/* The message of the last failed call on this thread ("" when none). */
const char *rise_api_last_error(void);

/* ---- a trained policy ---- */

typedef struct rise_api_policy rise_api_policy;

/* Loads run_dir's config.json and a checkpoint (NULL: run_dir/checkpoint.h5) onto a
 * backend ("cpu", "cuda"; NULL: "cpu") at the run's train.precision, as `rise eval` does
 * (a bf16 run acts in bf16; a processor without bf16 matmuls is an error). seed keys the
 * policy's sampling, as `rise eval --seed` does: the same (seed, episode key, step) gives
 * the same action. */
int rise_api_policy_load(const char *run_dir, const char *checkpoint, const char *backend,
                         uint64_t seed, rise_api_policy **out);
void rise_api_policy_free(rise_api_policy *p);

/* Integer facts: "obs_dim" (D), "act_dim" (A), "chunk" (actions per call), "n_exec"
 * (actions to execute before asking again), "obs_horizon" (frames in hist), "candidates"
 * (K), "step" (training steps), "has_q", "has_v", "seed", "n_cams" (cameras the policy
 * reads). Unknown name: -1 and an error. */
int64_t rise_api_policy_int(rise_api_policy *p, const char *name);
/* Text facts: "algo", "extract_rule" ("argmax" | "expectile"), "obs_keys", "env_args",
 * "cameras" ("name:HxWxC,..." in the model's camera order), "config" (the run's resolved
 * config.json), "run_dir", "backend". Unknown name or
 * nothing recorded: NULL (an unknown name also sets the error). Valid until free. */
const char *rise_api_policy_str(rise_api_policy *p, const char *name);

/* Best-of-K extraction for the next calls: candidates K (0 keeps it; 1 = the diffusion
 * policy alone) and rule "argmax" | "expectile" (NULL keeps it). IDQL and RISE only. */
int rise_api_policy_set_extraction(rise_api_policy *p, int candidates, const char *rule);

/* obs [n, D] -> actions [n, chunk, A]. keys [n]: each row's episode key, t [n]: its step
 * within the episode (NULL: keys 0..n-1, steps 0); the sampling noise is a function of
 * (seed, key, t), never of the row's place in the batch. hist [n, obs_horizon, D]: the
 * last observations, oldest first, required when obs_horizon > 1 (else NULL). */
int rise_api_policy_act(rise_api_policy *p, int n, const float *obs, const uint64_t *keys,
                        const int32_t *t, const float *hist, float *actions);
/* act for a policy that reads cameras: frames[k] uint8 [n, obs_horizon, h, w, c] (channels
 * last, oldest first; the last is obs's) for camera k of "cameras". */
int rise_api_policy_act_frames(rise_api_policy *p, int n, const float *obs,
                               const uint8_t *const *frames, const uint64_t *keys, const int32_t *t,
                               const float *hist, float *actions);
/* q [n] = min(Q1, Q2)(s, a) for obs [n, D] and one action per row act [n, A]. */
int rise_api_policy_q(rise_api_policy *p, int n, const float *obs, const float *act, float *q);
/* v [n] = V(s) for obs [n, D] (IQL-style critics: iql, idql, rise). */
int rise_api_policy_v(rise_api_policy *p, int n, const float *obs, float *v);
/* The run as a safetensors file (`rise export`). */
int rise_api_policy_export(rise_api_policy *p, const char *path);

/* ---- a dataset file (robomimic, D4RL or Minari layout) ---- */

typedef struct rise_api_dataset rise_api_dataset;

/* format: "auto" (NULL), "robomimic", "d4rl", "minari"; obs_keys: comma-separated keys in
 * the order to concatenate (NULL or "": every key, by name); filter_key: a robomimic
 * mask/<name> (NULL: every demo). */
int rise_api_dataset_load(const char *path, const char *format, const char *obs_keys,
                          const char *filter_key, rise_api_dataset **out);
void rise_api_dataset_free(rise_api_dataset *d);
/* "n" (transitions), "n_demos", "obs_dim", "act_dim", "state_dim", "n_keys". */
int64_t rise_api_dataset_int(rise_api_dataset *d, const char *name);
/* "path", "format", "env_args" (NULL when the file has none). */
const char *rise_api_dataset_str(rise_api_dataset *d, const char *name);
/* Borrowed arrays, valid until free: "obs", "next_obs" float32 [n, obs_dim]; "actions"
 * float32 [n, act_dim]; "rewards" float32 [n]; "dones" uint8 [n]; "states" float64
 * [n, state_dim] (NULL without states); "demo_start", "demo_length" int64 [n_demos]. */
const void *rise_api_dataset_array(rise_api_dataset *d, const char *name);
/* Observation key i (0 .. n_keys-1): its name; *offset, *dim: its columns in obs. */
const char *rise_api_dataset_key(rise_api_dataset *d, int i, int64_t *offset, int64_t *dim);
/* Demo i's name ("demo_12", "episode_3"). */
const char *rise_api_dataset_demo_name(rise_api_dataset *d, int64_t i);

#ifdef __cplusplus
}
#endif
#endif
