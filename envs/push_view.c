/* push_view.c - what the camera view of push needs from the task: the positions an
 * observation row determines (the model comes from rise_push_model_load; see push.h). */
#include "push.h"

#ifdef RISE_WITH_MUJOCO

#include <math.h>

void rise_push_qpos_of_obs(const float *obs, double *qpos) {
    qpos[0] = obs[0]; /* pusher x, y */
    qpos[1] = obs[1];
    qpos[2] = obs[2]; /* block x, y */
    qpos[3] = obs[3];
    qpos[4] = atan2((double)obs[5], (double)obs[4]); /* yaw from (cos, sin) */
}

#else
typedef int rise_push_view_unused; /* ISO C: a translation unit is not empty */
#endif /* RISE_WITH_MUJOCO */
