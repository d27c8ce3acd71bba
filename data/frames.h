/* frames.h - a training set's camera frames: held in memory, or read per batch from the
 * dataset files, and gathered for a batch with the observation-history rule.
 *
 * Layout. Camera c of a training set keeps uint8 frames (H x W x C, robomimic's layout):
 * frames [n] (the frame of each row) and last_next [n_traj] (the next frame of each
 * trajectory's last step). Frame (trajectory tr, time u), 0 <= u <= L, is row
 * traj_start[tr] + u for u < L and last_next[tr] for u = L; as one array [n + n_traj] (how
 * the backend holds it) its index is kernels/gather.h's gather_frame_row. The history
 * frame j of step t is time gather_history_time(t, To, j, next): the observation history
 * (next 0) or the next-state history (next 1), as data/sequence.h gathers low-dimensional
 * histories.
 *
 * Memory. rise_trainset_build holds every frame in memory when all cameras' frames of this
 * rank's share need at most data.image_memory_mb MiB (0: half the machine's physical
 * memory, rise_frames_memory_limit); above it nothing is loaded at build (the files are
 * checked, demo by demo) and each batch's frames are read from the files when it is
 * gathered: for each trajectory in the batch one HDF5 read of exactly the rows asked for
 * (obs/<camera>, and next_obs/<camera> at its last step), so a step reads the batch's
 * frames and no more (rise_frame_stream_frames_read counts them). A 200-demo robomimic
 * image dataset of 40k frames of 84 x 84 x 3 per camera holds 0.85 GB per camera. Reads
 * from the files are serialised (the agents of train.seeds share one stream). */
#ifndef RISE_DATA_FRAMES_H
#define RISE_DATA_FRAMES_H

#include <stdint.h>

#include "host/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rise_trainset;
typedef struct rise_frame_stream rise_frame_stream;

/* The byte limit data.image_memory_mb sets (0: half the physical memory). */
double rise_frames_memory_limit(double image_memory_mb);

/* Opens every source file of ts for per-batch reads (ts built with streamed frames). */
rise_status rise_frame_stream_open(const struct rise_trainset *ts, rise_frame_stream **out);
void rise_frame_stream_close(rise_frame_stream *s);
/* Records trajectory tr's demo name in its file (the build calls it as it appends). */
rise_status rise_frame_stream_add_traj(rise_frame_stream *s, int64_t tr, const char *demo);
/* Frames read from the files so far (all cameras). */
uint64_t rise_frame_stream_frames_read(const rise_frame_stream *s);

/* out [count, H W C] = frames (traj[i], u[i]) of camera cam (0 <= u <= L). */
rise_status rise_frames_fetch(const struct rise_trainset *ts, int cam, int64_t count,
                              const int64_t *traj, const int64_t *u, uint8_t *out);

/* The batch's history frames of camera cam: out [B, To, H W C], frame j of row b the
 * history time of idx[b]'s step (next 0: observations, 1: next states). */
rise_status rise_gather_frames(const struct rise_trainset *ts, int cam, const int64_t *idx,
                               int64_t B, int To, int next, uint8_t *out);

#ifdef __cplusplus
}
#endif
#endif
