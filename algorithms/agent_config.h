/* agent_config.h - turns a run's configuration (train_config.h, the JSON / --set
 * layer) into the agent's own settings (agent.h), given the data's dimensions. */
#ifndef RISE_AGENT_CONFIG_H
#define RISE_AGENT_CONFIG_H

#include "agent.h"
#include "train_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* obs_dim / act_dim: one frame and one action of the training data (obs_dim: its low-dim
 * keys); n_cams cameras of these shapes (the training set's, or a checkpoint's "cameras"
 * record; 0 and NULL: none) get the encoder settings. Errors name the field. */
rise_status rise_agent_config_from_train(const rise_train_config *t, int obs_dim, int act_dim,
                                         int n_cams, const rise_camera_shape *cams,
                                         rise_agent_config *c);

#ifdef __cplusplus
}
#endif
#endif
