"""rise - Python access to rise runs and datasets (robust imitation learning with offline RL).

    import rise
    policy = rise.load("runs/rise_s0")            # config.json + checkpoint.h5
    actions = policy.act(obs_batch)                # [n, D] -> [n, chunk, A]
    q = policy.q(obs_batch, actions[:, 0])         # min(Q1, Q2)(s, a)
    v = policy.v(obs_batch)                        # V(s)
    metrics = rise.read_metrics("runs/rise_s0")    # {"step": ..., "loss_q": ...}
    data = rise.load_dataset("lift_low_dim.hdf5", obs_keys=["object", "robot0_eef_pos"])

The work is done by rise's C library (librise.so, api/rise_api.h) through ctypes: a
policy acts exactly as `rise eval` makes it act.
"""
from ._lib import path as library_path
from .data import Dataset, load_dataset, read_metrics
from .policy import Policy, RiseError, load

__version__ = "0.1.0"
__all__ = ["load", "Policy", "RiseError", "read_metrics", "load_dataset", "Dataset",
           "library_path", "__version__"]
