/* agent.h - one training run's learner: BC (MLP or diffusion), IQL (AWR Gaussian actor),
 * CQL (SAC tanh-Gaussian actor, conservative twin Q), IDQL, RISE, on the backend table.
 *
 *   rise_agent *a;
 *   RISE_TRY(rise_agent_create(&cfg, be, &norm, &a));     networks, optimisers, scratch
 *   RISE_TRY(rise_agent_attach_data(a, &trainset));        upload-ready sampler, pairs
 *   for (...) RISE_TRY(rise_agent_step(a));                one gradient step of every net
 *   rise_agent_metrics(a, &m);                             read back (log interval only)
 *   rise_agent_policy(a, &pol);                            plugs into envs/ evaluation
 *
 * Step k draws its batch from the sampler (a Philox counter) and every other random
 * number from streams keyed by (seed, k), so a run is a pure function of its config
 * and data, and the state to checkpoint is small: the parameter buffers (value, grad,
 * Adam moments, targets, EMA), the spectral power-iteration vectors, CQL's
 * temperatures, the sampler counters and k (agent_ckpt.c). */
#ifndef RISE_AGENT_H
#define RISE_AGENT_H

#include <stdint.h>

#include "../data/normalize.h"
#include "../data/pairs.h"
#include "../data/sampler.h"
#include "../data/trainset.h"
#include "../envs/policy.h"
#include "cql_critic.h"
#include "diffusion_policy.h"
#include "gaussian_actor.h"
#include "iql_critic.h"
#include "obs_encoder.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    RISE_ALGO_BC_MLP = 0,
    RISE_ALGO_BC_DIFFUSION,
    RISE_ALGO_IQL,
    RISE_ALGO_IDQL,
    RISE_ALGO_RISE,
    RISE_ALGO_CQL,
    RISE_ALGO_COUNT
} rise_algo;

const char *rise_algo_name(rise_algo a);
int rise_algo_parse(const char *s, rise_algo *a);

typedef enum { RISE_EXTRACT_ARGMAX = 0, RISE_EXTRACT_EXPECTILE } rise_extract_rule;

typedef struct {
    rise_algo algo;
    uint64_t seed;
    int batch;
    double expert_ratio;  /* < 0: uniform */
    int obs_dim, act_dim; /* D, A of one frame / one action (D: the low-dim keys) */
    /* camera frames the policy sees through its own encoders (obs_encoder.h; the agent fills
     * lowdim and frames); vision.n_cams = 0: none */
    rise_obs_encoder_config vision;
    int obs_horizon, action_horizon, action_exec;
    /* policy (diffusion fields obs_dim/act_dim are filled by the agent) */
    rise_diffusion_config diffusion;
    float policy_lr, policy_weight_decay, ema, max_grad_norm;
    float ema_power; /* > 0: diffusers' warm-up, decay min(ema, 1 - n^-power); 0: fixed ema */
    int ema_before;  /* 1: the EMA averages the weights before this step's Adam (RISE's code) */
    float spectral_lambda;
    /* critic (obs_dim/act_dim filled by the agent) */
    rise_iql_config critic;
    /* extraction */
    int candidates;
    rise_extract_rule extract_rule;
    float extract_temperature;
    /* support expansion */
    int relabel;
    rise_relabel_config relabel_cfg;
    /* step s trains the policy on pairs when (s / relabel_block) % relabel_every ==
     * relabel_every - 1 (RISE's code: block 100 = an epoch, every 2); the critic then rests
     * unless relabel_critic_on_pairs (it counts its own Adam steps) */
    int relabel_every, relabel_block, relabel_critic_on_pairs;
    int noise_copies;
    float noise_lo, noise_hi;
    /* Gaussian actors (iql: AWR, cql: tanh-Gaussian); MLP of diffusion.width x depth */
    float awr_beta, awr_max_weight;
    float log_std_min, log_std_max;
    /* conservative penalty: always on for cql, on the IQL critic with cql_enable */
    int cql_enable, cql_lagrange, cql_samples;
    float cql_alpha, cql_target_gap, cql_actor_lr, cql_entropy_target;
    float cql_reward_scale, cql_reward_bias; /* critic reward r -> scale r + bias */
    /* 1: keep the training set on the backend and assemble batches there; 0: gather on the
     * host and upload each batch; -1 (default): 1 on a device backend. Same batches. */
    int data_on_backend;
    /* 1: keep the step's counters (step number, Philox positions) on the backend and
     * replay each step as a CUDA graph (algorithms/agent_clock.c; a backend without graphs
     * runs the same ops eagerly); turns on data_on_backend unless that is 0. 0: off. -1 (default):
     * 1 where the backend has graphs and data_on_backend is on. Same numbers either way. */
    int step_graph;
} rise_agent_config;

/* RISE's maze-scale defaults for algo (see paper_repro/configs for the real runs). */
void rise_agent_config_default(rise_agent_config *c, rise_algo algo);
rise_status rise_agent_config_check(const rise_agent_config *c);

typedef struct rise_agent rise_agent;

/* norm: the statistics the data was normalised with (copied; saved with the model). */
rise_status rise_agent_create(const rise_agent_config *cfg, rise_backend *be,
                              const rise_norm_stats *norm, rise_agent **out);
void rise_agent_free(rise_agent *a);

/* Training data (normalised, kept alive by the caller). Builds relabelled pairs when
 * configured and prints nothing; pair statistics are in rise_agent_pairs(). */
rise_status rise_agent_attach_data(rise_agent *a, const rise_trainset *ts);
/* As rise_agent_attach_data, with the relabelled pairs `from` built for the same data (they
 * depend only on the data and the relabelling settings, not on the seed): the agents of
 * train.seeds share one set instead of building it once each. `from` (attached to ts, with
 * the same relabelling settings) must outlive a. */
rise_status rise_agent_attach_data_sharing(rise_agent *a, const rise_trainset *ts,
                                           const rise_agent *from);
const rise_pairs *rise_agent_pairs(const rise_agent *a);

rise_status rise_agent_step(rise_agent *a);
int64_t rise_agent_step_count(const rise_agent *a);

#define RISE_AGENT_MAX_METRICS 24
typedef struct {
    int n;
    const char *names[RISE_AGENT_MAX_METRICS];
    double values[RISE_AGENT_MAX_METRICS];
} rise_agent_metrics;

/* Reads back the last step's losses and diagnostics (synchronises the backend): losses,
 * gradient norms, Q and V on expert vs non-expert states of the batch, the spread of K
 * sampled candidates, sigma_max. Returns RISE_ERR_NUMERIC naming the first non-finite
 * loss or parameter. */
rise_status rise_agent_metrics_read(rise_agent *a, rise_agent_metrics *m);

/* A policy for envs/ evaluation: normalises observations, samples (K candidates and
 * argmax of min(Q1, Q2) for IDQL/RISE; the Gaussian actors' mean, tanh(mean) for CQL),
 * un-normalises actions. Randomness from (seed,
 * episode key, step index). Keep the agent alive while the policy is used. */
rise_status rise_agent_policy(rise_agent *a, uint64_t seed, rise_policy **out);

/* Evaluates an IDQL/RISE policy with k candidates per state instead of the trained
 * extract.candidates (k = 1: the diffusion policy alone, no critic; 0 keeps it) and with
 * another rise_extract_rule (-1 keeps it). Before the first call. */
rise_status rise_agent_policy_set_extraction(rise_policy *pol, int k, int rule);

/* The extraction pol uses: *k candidates per state (1: a policy that does not choose among
 * candidates, BC and CQL) and *rule. */
void rise_agent_policy_extraction(const rise_policy *pol, int *k, rise_extract_rule *rule);
/* "argmax" | "expectile", and back (an error names any other word). */
const char *rise_extract_rule_name(rise_extract_rule rule);
rise_status rise_extract_rule_parse(const char *name, rise_extract_rule *out);

/* Maps the observations an env passes (its keys, in its order) onto the model's inputs
 * (the training data's keys, by name), so a model trained on keys in another order or on
 * a subset of them evaluates correctly. Errors name a missing key or a width mismatch.
 * Without a binding the policy expects observations in the model's own layout. */
rise_status rise_agent_policy_bind_env(rise_policy *pol, const rise_env_info *info);

/* A policy that reads camera frames gets them from env's camera view of the observations it
 * is passed (envs/camera_view.h: the maze's rendered view), each camera by the name it was
 * trained on; env must outlive the policy. Errors when env cannot render one of them. A
 * policy without cameras ignores this. */
rise_status rise_agent_policy_bind_view(rise_policy *pol, const rise_env *env);

/* pol->act with the camera frames given instead of rendered: frames[k] uint8 [n, To, h, w, c]
 * for camera k in the model's camera order (rise_agent_cameras), the frames of the rows'
 * observation history (To = obs_horizon, oldest first; the last is obs's). For deploying on a
 * robot or a simulator that renders its own cameras (robosuite's agentview_image). */
rise_status rise_agent_policy_act_frames(rise_policy *pol, int n, const float *obs,
                                         const uint8_t *const *frames, const rise_policy_ctx *ctx,
                                         float *actions);

/* Extraction's choice among K candidates of one state: argmax of q (ties: the first),
 * or IDQL's expectile resampling, candidate k drawn with weight tau when q_k >= v_k
 * else 1 - tau, by the uniform u in [0, 1). v may be NULL for argmax. */
int rise_extract_pick(rise_extract_rule rule, const float *q, const float *v, int K, float tau,
                      double u);

/* The critic asked directly (agent_query.c), on n raw (un-normalised) states obs [n, D]
 * (the current frame) and actions act [n, A] (one action, not a chunk), normalised with
 * the run's statistics as extraction does: q [n] = min(Q1, Q2)(s, a) of the IQL critic
 * (iql, idql, rise) or CQL's twin Q (cql); v [n] = V(s) (IQL critic only). An agent
 * without that function is an error naming the algorithm. */
rise_status rise_agent_q(rise_agent *a, int n, const float *obs, const float *act, float *q);
rise_status rise_agent_v(rise_agent *a, int n, const float *obs, float *v);

/* The policy's image encoder used alone (agent_embed.c; `rise data embed`). camera_find:
 * the camera called name (NULL: the first) -> its index, name (a buffer of
 * RISE_OBS_CAMERA_NAME_MAX, may be NULL), frame shape and feature width; errors say the run
 * has no cameras, or which ones it has. An embedder: out [n, feat_dim] = that camera's
 * encoder on frames uint8 [n, h, w, c] (n <= max_frames), centre-cropped as in evaluation,
 * with the weights the policy acts with (rise_agent_embed_weights: "ema" for diffusion
 * policies, else "value"); scratch for max_frames frames is sized once and reused. */
rise_status rise_agent_camera_find(const rise_agent *a, const char *name, int *cam, char *found,
                                   rise_camera_shape *shape, int *feat_dim);
typedef struct rise_frame_embedder rise_frame_embedder;
rise_status rise_frame_embedder_create(rise_agent *a, int cam, int max_frames,
                                       rise_frame_embedder **out);
rise_status rise_frame_embedder_run(rise_frame_embedder *e, int n, const uint8_t *frames,
                                    float *out);
void rise_frame_embedder_free(rise_frame_embedder *e);
const char *rise_agent_embed_weights(const rise_agent *a);

/* A model file for other tools (agent_export.c): every named parameter view of every
 * network ("policy.net.in.w"; the EMA and target copies where the run keeps them as
 * "ema.policy.net.in.w", "target.q.fc0.w") and the
 * normalisation statistics as float32 tensors, in the safetensors format, with
 * metadata {format, algorithm, step, config, env_args, obs_keys, layout}. config_json
 * may be NULL. */
rise_status rise_agent_export_safetensors(rise_agent *a, const char *path, const char *config_json);

/* Checkpoints (agent_ckpt.c): everything a bitwise resume needs. */
rise_status rise_agent_save(rise_agent *a, const char *path, const char *config_json);
rise_status rise_agent_load(rise_agent *a, const char *path);

/* For tests and tools. */
const rise_agent_config *rise_agent_cfg(const rise_agent *a);
rise_params *rise_agent_policy_params(rise_agent *a);
rise_iql_critic *rise_agent_critic(rise_agent *a);   /* NULL without a critic */
rise_diffusion *rise_agent_diffusion(rise_agent *a); /* NULL without one */
const rise_norm_stats *rise_agent_norm(const rise_agent *a);
/* The training data's env_args and observation layout ("key:dim,..."), from the attached
 * data or the loaded checkpoint; NULL when unknown. */
const char *rise_agent_env_args(const rise_agent *a);
const char *rise_agent_obs_keys(const rise_agent *a);
/* The cameras the policy reads, "name:HxWxC,..." (obs_encoder.h); NULL without any. */
const char *rise_agent_cameras(const rise_agent *a);

#ifdef __cplusplus
}
#endif
#endif
