"""make_d4rl_pendulum.py - the D4RL-layout file docs/datasets.md ("Bring your own data") walks
through: the episodes of make_minari_pendulum.py's random dataset flattened the way D4RL's
get_dataset() stores them (observations, next_observations, actions, rewards, terminals, and
timeouts set at each episode's last step). Needs h5py and numpy.

    python make_d4rl_pendulum.py minari_root/pendulum/random-v0/data/main_data.hdf5 pendulum_d4rl.hdf5
"""
import sys

import h5py
import numpy as np

src, out = sys.argv[1], sys.argv[2]
obs, nxt, act, rew, term, tout = [], [], [], [], [], []
with h5py.File(src, "r") as f:
    for name in sorted(f, key=lambda n: int(n.split("_")[1])):
        g = f[name]
        o = g["observations"][()]
        obs.append(o[:-1])
        nxt.append(o[1:])
        act.append(g["actions"][()])
        rew.append(g["rewards"][()])
        term.append(g["terminations"][()])
        t = g["truncations"][()].copy()
        t[-1] = True
        tout.append(t)
with h5py.File(out, "w") as f:
    f["observations"] = np.concatenate(obs).astype(np.float32)
    f["next_observations"] = np.concatenate(nxt).astype(np.float32)
    f["actions"] = np.concatenate(act).astype(np.float32)
    f["rewards"] = np.concatenate(rew).astype(np.float32)
    f["terminals"] = np.concatenate(term)
    f["timeouts"] = np.concatenate(tout)
print("wrote", out)
