/* agent_internal.h - the agent's state, shared by agent.c (set-up), agent_step.c
 * (training step, metrics), agent_policy.c (evaluation policy) and agent_ckpt.c
 * (checkpoints). Not part of the public API. */
#ifndef RISE_AGENT_INTERNAL_H
#define RISE_AGENT_INTERNAL_H

#include "agent.h"

/* Philox streams of the agent (far from parameter-init streams and data/ streams). */
#define RISE_STREAM_AGENT_POLICY     0x41000000u /* +1 dropout */
#define RISE_STREAM_AGENT_DIAG       0x41000010u /* diagnostic candidate noise */
#define RISE_STREAM_AGENT_NOISE      0x41000020u /* action-noise expansion */
#define RISE_STREAM_AGENT_EVAL       0x41000030u /* evaluation sampling */
#define RISE_STREAM_AGENT_CROP       0x41000040u /* random crops: +0 policy, +1 critic */
#define RISE_AGENT_STEP_BLOCKS(step) ((uint64_t)(step) << 32)

#define RISE_DIAG_STATES 16

/* The device clock's counters (agent_clock.c). */
enum {
    RISE_CLOCK_STEP,        /* steps done: Adam's step is 1 + this */
    RISE_CLOCK_STEP_BLOCKS, /* steps done << 32: the step-keyed Philox streams */
    RISE_CLOCK_SAMPLER,     /* the batch sampler's counter */
    RISE_CLOCK_PAIRS,       /* the pair sampler's counter */
    RISE_CLOCK_CRITIC_STEP, /* critic updates done: its Adam's step is 1 + this */
    RISE_CLOCK_N
};

/* Backend copies of the training set and per-step index scratch (agent_data.c). */
typedef struct {
    float *obs, *next_obs, *actions, *rewards, *dones, *expert; /* [n, D] .. [n] */
    int32_t *traj, *step;                                       /* [n] */
    int64_t *traj_start, *traj_len;                             /* [n_traj] */
    int32_t *pool_a, *pool_b;     /* the sampler's expert / non-expert pools (mixed batches) */
    int32_t *pair_obs, *pair_act; /* relabelled pairs: [n_pairs] transition indices */
    int32_t *idx, *pair_obs_idx, *pair_act_idx; /* [B] this step's draws */
    int32_t *repeat;                            /* [B M]: row b of each noise copy */
    float *sigma;                               /* [M] noise levels */
    float *batch_expert;                        /* [B] expert flags of the critic batch */
} rise_agent_dev_data;

struct rise_agent {
    rise_agent_config cfg;
    rise_backend *be;
    rise_norm_stats norm;
    int has_diffusion, has_critic; /* has_critic: the IQL critic (iql, idql, rise) */
    int has_gauss, has_cql;        /* Gaussian actor (iql, cql); CQL state (penalty on) */
    rise_params pp;                /* policy parameters (EMA slot for diffusion) */
    rise_gauss_actor actor;
    rise_cql cql; /* algo cql: its own twin Q; else the penalty's temperatures only */
    rise_diffusion diff;
    rise_mlp bc; /* bc_mlp */
    rise_iql_critic critic;
    rise_arena arena;
    int64_t step;
    /* data */
    const rise_trainset *ts;
    rise_sampler sampler, pair_sampler;
    rise_pairs pairs;
    int has_pairs;
    int pairs_shared; /* the pairs belong to another agent (rise_agent_attach_data_sharing) */
    /* this step's phase (rise_agent_step): the policy's batch from the pairs; the critic
     * updated; the regular batch drawn (for the critic or the policy) */
    int last_policy_from_pairs, last_critic_update, last_regular_batch;
    /* batch sizes: critic batch B, policy batch Bp = B (1 + M) */
    int B, Bp, OD, AD; /* OD = To * D, AD = Ta * A */
    /* camera frames (vision.n_cams > 0): the policy reads PO = To (D + C F) columns through
     * its encoders (obs_encoder.h; PO = OD without cameras); the batch's frames [Bp, To, h w c]
     * per camera, gathered on the host and uploaded */
    int has_vision, PO;
    rise_obs_encoder vis;
    uint8_t *h_frames[RISE_OBS_MAX_CAMERAS], *d_frames[RISE_OBS_MAX_CAMERAS];
    /* the critic batch's current and next frames [B, h w c] per camera (a critic with
     * cameras reads the current frame through its own encoders); pair steps' frame rows */
    uint8_t *h_cframes[RISE_OBS_MAX_CAMERAS], *d_cframes[RISE_OBS_MAX_CAMERAS];
    uint8_t *h_nframes[RISE_OBS_MAX_CAMERAS], *d_nframes[RISE_OBS_MAX_CAMERAS];
    int64_t *pair_frame_idx; /* [B]: the transition whose history a pair's policy row sees */
    rise_status io_status;   /* a failed frame read of this step's gather (streamed frames) */
    int64_t *idx, *pidx;
    float *h_obs, *h_next, *h_act, *h_r, *h_d, *h_expert;  /* critic batch (host) */
    float *h_pobs, *h_chunk, *h_valid, *h_noisy, *h_sigma; /* policy batch (host) */
    float *d_obs, *d_next, *d_act, *d_r, *d_d;             /* backend */
    float *d_pobs, *d_chunk;
    float *pm; /* policy scalars on the backend: [0] loss, [1] grad sumsq, [2] AWR weight mean */
    float *d_noise; /* diagnostic sampling noise [RISE_DIAG_STATES * K, ...] */
    float *d_cand;  /* diagnostic candidates */
    /* the training set resident on the backend (agent_data.c); on when data_on_backend */
    int data_on_backend;
    rise_agent_dev_data dd;
    /* the device clock (agent_clock.c): on with train.step_graph, else NULL */
    uint64_t *clock; /* backend memory [RISE_CLOCK_N] */
    int clock_fresh; /* the clock holds the host's counters */
    void *graph[2];  /* the captured step per phase: plain, relabelled pairs */
    int graph_off;   /* a capture failed: the step runs without a graph from then on */
    /* provenance, saved with the model: the data's env_args and obs key layout */
    char *env_args;
    char *obs_keys; /* "name:dim,name:dim,..." */
    char *cameras;  /* "name:HxWxC,..." (rise_camera_record_format), NULL without cameras */
    /* data parallelism (agent_dist.c): rank dp_rank of dp_world holds rows
     * dp_rank B .. dp_rank B + B - 1 of the global batch of dp_batch rows (B = a->B) */
    rise_comm *comm; /* NULL: one process */
    int dp_rank, dp_world, dp_batch;
};

/* Device results of the diagnostics (agent_metrics.c). */
typedef struct {
    float *q, *v;  /* [B] */
    float *cand_q; /* [S K] */
    float *rep;    /* [S K, OD] */
} rise_agent_diag;

/* Diagnostics on the first RISE_DIAG_STATES policy states: K candidates from the EMA
 * policy and their min(Q1, Q2); Q and V on the critic batch (measure-safe). */
void rise_agent_diag_ops(rise_agent *a, rise_arena *ar, rise_agent_diag *o);

/* agent_step.c: sizes the arena for a training step and the diagnostics. */
rise_status rise_agent_size_arena(rise_agent *a);

/* agent_data.c */
rise_status rise_agent_data_upload(rise_agent *a);
void rise_agent_data_free(rise_agent *a);
void rise_agent_data_gather(rise_agent *a);
const float *rise_agent_batch_expert(rise_agent *a);

/* agent_dist.c: the step's rngs under this rank's window (unchanged in one process), and
 * the samplers set to this rank's slice when the data is attached. */
rise_rng rise_agent_window(const rise_agent *a, rise_rng r);
rise_status rise_agent_dist_attach(rise_agent *a);
/* The batch of one step over all ranks (a->B in one process): what an epoch is counted in. */
static inline int rise_agent_global_batch(const rise_agent *a) {
    return a->dp_world > 1 ? a->dp_batch : a->B;
}

/* The policy weights acting reads (its image encoders included): the EMA copy for diffusion
 * policies, which sample with it, else the trained values. */
static inline const float *rise_agent_acting_weights(const rise_agent *a) {
    return a->has_diffusion ? a->pp.ema : a->pp.value;
}

/* agent_clock.c. The step's rngs and Adam step: by value from the host counters, or read
 * from the device clock when it is on. */
rise_status rise_agent_clock_init(rise_agent *a);
void rise_agent_clock_free(rise_agent *a);
void rise_agent_clock_reset(rise_agent *a); /* after the host counters or buffers change */
rise_rng rise_agent_step_rng(const rise_agent *a, uint32_t stream);
rise_rng rise_agent_sampler_rng(const rise_agent *a, const rise_sampler *s, int counter);
int rise_agent_adam_step(const rise_agent *a);
const uint64_t *rise_agent_step_add(const rise_agent *a);
/* The critic's own update count (it rests in pair steps unless relabel.critic_on_pairs):
 * critic updates before step `step`, and the Adam step of this step's update. */
int64_t rise_agent_critic_steps_before(const rise_agent *a, int64_t step);
int rise_agent_critic_adam_step(const rise_agent *a);
/* Runs body (the step's ops) on the clock: captured once per phase and replayed where the
 * backend has graphs, issued directly elsewhere. */
rise_status rise_agent_clock_step(rise_agent *a, void (*body)(rise_agent *));

#endif
