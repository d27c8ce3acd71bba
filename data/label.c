/* label.c - reward and terminal labelling of one trajectory.
 *
 * RISE labels by provenance, not by task reward: expert transitions r = 1,
 * non-expert r = 0 (PAPER.md); standard offline RL keeps the file's rewards.
 * Terminals: the file's dones, none at all, or 1 only at each trajectory's
 * last step. */
#include "trainset.h"

void rise_label_trajectory(rise_reward_mode reward, rise_terminal_mode terminal, int expert,
                           const float *file_rewards, const uint8_t *file_dones, int64_t len,
                           float *rewards, float *dones) {
    for (int64_t t = 0; t < len; ++t) {
        rewards[t] = reward == RISE_REWARD_RISE ? (expert ? 1.0f : 0.0f) : file_rewards[t];
        switch (terminal) {
        case RISE_TERMINAL_DATASET: dones[t] = file_dones[t] ? 1.0f : 0.0f; break;
        case RISE_TERMINAL_NEVER: dones[t] = 0.0f; break;
        case RISE_TERMINAL_TRAJ_END: dones[t] = t == len - 1 ? 1.0f : 0.0f; break;
        }
    }
}
