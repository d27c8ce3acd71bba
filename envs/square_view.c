/* square_view.c - what the camera view of square and square-hook needs from the task: the
 * positions an observation row determines and a fresh model to render them in (see
 * square.h). */
#include "square.h"

#ifdef RISE_WITH_MUJOCO

#include "square_sim.h"

void rise_square_qpos_of_obs(const float *obs, double *qpos) {
    for (int i = 0; i < 3; ++i) {
        qpos[SQ_GX + i] = obs[RISE_SQUARE_OBS_EEF + i];
        qpos[SQ_NX + i] = obs[RISE_SQUARE_OBS_NUT + i];
    }
    qpos[SQ_FL] = qpos[SQ_FR] = 0.5 * (double)obs[RISE_SQUARE_OBS_WIDTH];
}

rise_status rise_square_model_load(mjModel **out) {
    rise_square_sim s = {0};
    s.s.timestep = 0.01; /* never stepped: any valid timestep */
    rise_status st = rise_square_sim_load(&s);
    if (st == RISE_OK) {
        mj_deleteData(s.d);
        s.d = NULL;
        *out = s.m;
    } else {
        rise_square_sim_free(&s, 1);
    }
    return st;
}

#else
typedef int rise_square_view_unused; /* ISO C: a translation unit is not empty */
#endif /* RISE_WITH_MUJOCO */
