"""data.py - a run's metrics and dataset files as numpy arrays.

read_metrics(run_dir) reads metrics.csv (or metrics.jsonl) as written by `rise train`;
load_dataset(path) reads a robomimic, D4RL or Minari file through rise's own reader
(librise.so), so the arrays are exactly what `rise train` would load, keys concatenated
in the order asked for.
"""
import csv
import ctypes
import json
import math
import os

import numpy as np

from . import _lib
from .policy import RiseError, _check


def _to_float(text):
    t = text.strip().lower()
    if t in ("nan", ""):
        return math.nan
    if t in ("inf", "+inf"):
        return math.inf
    if t == "-inf":
        return -math.inf
    return float(t)


def read_metrics(run_dir, source="csv"):
    """{column: np.ndarray} of a run's logged metrics: "step" (int64) and one float64 array
    per metric, a row per log interval. source: "csv" (metrics.csv) or "jsonl"
    (metrics.jsonl, whose nulls become NaN)."""
    if source not in ("csv", "jsonl"):
        raise ValueError("source must be 'csv' or 'jsonl', got %r" % (source,))
    path = os.path.join(str(run_dir), "metrics." + source)
    if not os.path.exists(path):
        raise FileNotFoundError("%s: no such file (is %s a run directory of `rise train`?)"
                                % (path, run_dir))
    cols = {}
    if source == "csv":
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        if not rows:
            raise RiseError("%s: empty (no header line)" % path)
        header = rows[0]
        if not header or header[0] != "step":
            raise RiseError("%s: the first column is %r, expected 'step'" % (path, header[:1]))
        body = [r for r in rows[1:] if len(r) == len(header)]
        cols["step"] = np.array([int(r[0]) for r in body], dtype=np.int64)
        for j, name in enumerate(header[1:], start=1):
            cols[name] = np.array([_to_float(r[j]) for r in body], dtype=np.float64)
        return cols
    records = []
    with open(path) as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except ValueError as e:
                raise RiseError("%s:%d: not JSON (%s)" % (path, line_no, e))
    names = list(records[0].keys()) if records else ["step"]
    cols["step"] = np.array([r["step"] for r in records], dtype=np.int64)
    for name in names:
        if name != "step":
            cols[name] = np.array(
                [math.nan if r.get(name) is None else r[name] for r in records],
                dtype=np.float64)
    return cols


class Dataset:
    """A dataset file in memory: obs / next_obs [n, D] (the keys concatenated), actions
    [n, A], rewards [n], dones [n] (bool), states [n, S] or None, and per demo its start
    row, length and name. keys: {name: (offset, dim)}: where each key's columns are."""

    def __init__(self, path, obs_keys=None, filter_key=None, format="auto"):
        if isinstance(obs_keys, (list, tuple)):
            obs_keys = ",".join(obs_keys)
        handle = ctypes.c_void_p()
        enc = lambda s: None if s is None else str(s).encode()
        status = _lib.lib.rise_api_dataset_load(enc(path), enc(format), enc(obs_keys),
                                                enc(filter_key), ctypes.byref(handle))
        _check(status, "rise.load_dataset(%r)" % str(path))
        L = _lib.lib
        try:
            geti = lambda name: int(L.rise_api_dataset_int(handle, name.encode()))
            n, n_demos = geti("n"), geti("n_demos")
            D, A, S = geti("obs_dim"), geti("act_dim"), geti("state_dim")

            def array(name, ctype, dtype, shape):
                ptr = L.rise_api_dataset_array(handle, name.encode())
                if not ptr or 0 in shape:
                    return np.zeros(shape, dtype=dtype) if ptr else None
                buf = ctypes.cast(ptr, ctypes.POINTER(ctype))
                return np.ctypeslib.as_array(buf, shape=shape).astype(dtype, copy=True)

            self.obs = array("obs", ctypes.c_float, np.float32, (n, D))
            self.next_obs = array("next_obs", ctypes.c_float, np.float32, (n, D))
            self.actions = array("actions", ctypes.c_float, np.float32, (n, A))
            self.rewards = array("rewards", ctypes.c_float, np.float32, (n,))
            self.dones = array("dones", ctypes.c_uint8, np.uint8, (n,)).astype(bool)
            self.states = array("states", ctypes.c_double, np.float64, (n, S)) if S else None
            self.demo_start = array("demo_start", ctypes.c_int64, np.int64, (n_demos,))
            self.demo_length = array("demo_length", ctypes.c_int64, np.int64, (n_demos,))
            self.demo_names = [L.rise_api_dataset_demo_name(handle, i).decode()
                               for i in range(n_demos)]
            self.keys = {}
            for i in range(geti("n_keys")):
                off, dim = ctypes.c_int64(), ctypes.c_int64()
                name = L.rise_api_dataset_key(handle, i, ctypes.byref(off), ctypes.byref(dim))
                self.keys[name.decode()] = (off.value, dim.value)
            env = L.rise_api_dataset_str(handle, b"env_args")
            self.env_args = json.loads(env.decode()) if env else None
            self.format = L.rise_api_dataset_str(handle, b"format").decode()
            self.path = str(path)
        finally:
            L.rise_api_dataset_free(handle)

    def __len__(self):
        return len(self.rewards)

    def key(self, name, next=False):
        """The columns of observation key `name` [n, dim] (of next_obs with next=True)."""
        if name not in self.keys:
            raise KeyError("no observation key %r; have %s" % (name, ", ".join(self.keys)))
        off, dim = self.keys[name]
        return (self.next_obs if next else self.obs)[:, off:off + dim]

    def demo(self, i):
        """Demo i as a dict of row slices (obs, next_obs, actions, rewards, dones)."""
        s = slice(int(self.demo_start[i]), int(self.demo_start[i] + self.demo_length[i]))
        return {"name": self.demo_names[i], "obs": self.obs[s], "next_obs": self.next_obs[s],
                "actions": self.actions[s], "rewards": self.rewards[s], "dones": self.dones[s]}

    def __repr__(self):
        return "<rise.Dataset %s (%s): %d demos, %d transitions, obs %d (%s), act %d>" % (
            self.path, self.format, len(self.demo_names), len(self), self.obs.shape[1],
            ", ".join(self.keys), self.actions.shape[1])


def load_dataset(path, obs_keys=None, filter_key=None, format="auto"):
    """Reads a dataset file (robomimic, D4RL or Minari layout) into numpy arrays.

    obs_keys: keys to concatenate, in order (default: every key, by name); filter_key: a
    robomimic mask/<name> (e.g. "train"); format: "auto", "robomimic", "d4rl", "minari"."""
    return Dataset(path, obs_keys=obs_keys, filter_key=filter_key, format=format)
