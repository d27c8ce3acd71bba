"""policy.py - a trained rise run as a policy: act on batches of observations, ask its
critic Q(s, a) and V(s), export it. Everything runs in rise's C library (librise.so)
through ctypes, exactly as `rise eval` runs it: the run's normalisation, its candidates K
and extraction rule, and sampling noise keyed by (seed, episode key, step).
"""
import ctypes
import json

import numpy as np

from . import _lib


class RiseError(RuntimeError):
    """An error reported by rise's C library; the message names what was wrong."""


def _check(status, what):
    if status != 0:
        raise RiseError("%s: %s" % (what, _lib.last_error()))


def _floats(a, shape_tail, what):
    """a as a C-contiguous float32 array of shape [n, *shape_tail] (n >= 1)."""
    arr = np.ascontiguousarray(np.asarray(a, dtype=np.float32))
    if arr.ndim != 1 + len(shape_tail) or tuple(arr.shape[1:]) != tuple(shape_tail):
        raise ValueError(
            "%s: expected shape (n, %s), got %s"
            % (what, ", ".join(str(s) for s in shape_tail), tuple(arr.shape))
        )
    if arr.shape[0] < 1:
        raise ValueError("%s: no rows" % what)
    return arr


def _ptr(arr, ctype=ctypes.c_float):
    return arr.ctypes.data_as(ctypes.POINTER(ctype))


def load(run_dir, checkpoint=None, backend="cpu", seed=0):
    """Loads a run directory (config.json, checkpoint.h5) written by `rise train`.

    checkpoint: another checkpoint file of the run; backend: "cpu" or "cuda" (at the run's
    train.precision, as `rise eval`); seed: the sampling seed (as `rise eval --seed`)."""
    return Policy(run_dir, checkpoint=checkpoint, backend=backend, seed=seed)


class Policy:
    """A trained rise policy. Observations are raw (un-normalised) rows in the model's
    column order, the training data's keys as listed by obs_keys; obs_vector() builds
    such rows from a dict of named observations (robosuite, gymnasium dict spaces)."""

    def __init__(self, run_dir, checkpoint=None, backend="cpu", seed=0):
        self._h = None
        handle = ctypes.c_void_p()
        enc = lambda s: None if s is None else str(s).encode()
        status = _lib.lib.rise_api_policy_load(
            enc(run_dir), enc(checkpoint), enc(backend), int(seed), ctypes.byref(handle)
        )
        _check(status, "rise.load(%r)" % str(run_dir))
        self._h = handle
        self.run_dir = str(run_dir)
        self.seed = int(seed)

    # ---- facts about the run ----
    def _int(self, name):
        return int(_lib.lib.rise_api_policy_int(self._handle(), name.encode()))

    def _str(self, name):
        s = _lib.lib.rise_api_policy_str(self._handle(), name.encode())
        return None if s is None else s.decode()

    def _handle(self):
        if self._h is None:
            raise RiseError("this policy was closed")
        return self._h

    @property
    def algo(self):
        return self._str("algo")

    @property
    def obs_dim(self):
        return self._int("obs_dim")

    @property
    def act_dim(self):
        return self._int("act_dim")

    @property
    def chunk(self):
        """Actions per row per call (the action horizon)."""
        return self._int("chunk")

    @property
    def n_exec(self):
        """Actions to execute before calling act() again."""
        return self._int("n_exec")

    @property
    def obs_horizon(self):
        return self._int("obs_horizon")

    @property
    def candidates(self):
        """K: actions sampled per state for the critic to choose from (1: no choice)."""
        return self._int("candidates")

    @property
    def extract_rule(self):
        return self._str("extract_rule")

    @property
    def step(self):
        """Training steps of the loaded checkpoint."""
        return self._int("step")

    @property
    def has_q(self):
        return bool(self._int("has_q"))

    @property
    def has_v(self):
        return bool(self._int("has_v"))

    @property
    def obs_keys(self):
        """[(name, dim), ...] in the model's column order ([] when the data named none)."""
        s = self._str("obs_keys")
        out = []
        for item in (s or "").split(","):
            if item:
                name, dim = item.rsplit(":", 1)
                out.append((name, int(dim)))
        return out

    @property
    def cameras(self):
        """[(name, (h, w, c)), ...]: the camera frames the policy reads, in its order ([] for a
        low-dim policy); act() takes them as frames={name: uint8 array}."""
        out = []
        for item in (self._str("cameras") or "").split(","):
            if item:
                name, shape = item.rsplit(":", 1)
                out.append((name, tuple(int(v) for v in shape.split("x"))))
        return out

    @property
    def env_args(self):
        """The training data's env_args (dict), or None."""
        s = self._str("env_args")
        return json.loads(s) if s else None

    @property
    def config(self):
        """The run's resolved configuration (dict)."""
        return json.loads(self._str("config"))

    # ---- acting ----
    def set_extraction(self, candidates=None, rule=None):
        """Best-of-K for later calls: candidates K (1: the diffusion policy alone) and
        rule "argmax" or "expectile". IDQL and RISE runs only."""
        status = _lib.lib.rise_api_policy_set_extraction(
            self._handle(), int(candidates or 0), None if rule is None else rule.encode()
        )
        _check(status, "set_extraction")

    def obs_vector(self, obs, batch=False):
        """Concatenates a dict of named observations (robosuite, gymnasium dict spaces)
        into a model row [D], in the model's key order; batch=True: each value holds n
        states ([n, ...]) and the result is [n, D]. Keys the model does not use are
        ignored."""
        keys = self.obs_keys
        if not keys:
            raise RiseError("this run records no observation key names; pass rows directly")
        parts = []
        for name, dim in keys:
            if name not in obs:
                raise KeyError(
                    "observation key %r (the model was trained on %s) is missing; have %s"
                    % (name, ", ".join(k for k, _ in keys), ", ".join(sorted(obs)))
                )
            a = np.asarray(obs[name], dtype=np.float32)
            a = a.reshape(a.shape[0], -1) if batch else a.reshape(1, -1)
            if a.shape[1] != dim:
                raise ValueError("observation key %r has %d values per state, the model "
                                 "expects %d" % (name, a.shape[1], dim))
            parts.append(a)
        out = np.concatenate(parts, axis=1)
        return out if batch else out[0]

    def _frames(self, frames, n, single):
        """The cameras' frames as C-contiguous uint8 [n, obs_horizon, h, w, c] arrays, in the
        model's camera order (a camera of obs_horizon 1 may drop that axis; a single state
        may drop n)."""
        cams = self.cameras
        if not cams:
            if frames:
                raise RiseError("this policy reads no camera frames; call act without frames")
            return None
        if not frames:
            raise RiseError("this policy reads camera frames %s: pass frames={name: uint8 "
                            "array}" % ", ".join("%s (%dx%dx%d)" % ((k,) + s) for k, s in cams))
        to, out = self.obs_horizon, []
        for name, (h, w, c) in cams:
            if name not in frames:
                raise KeyError("camera %r (the policy reads %s) is missing from frames; have %s"
                               % (name, ", ".join(k for k, _ in cams), ", ".join(sorted(frames))))
            a = np.asarray(frames[name])
            if a.dtype != np.uint8:
                raise ValueError("frames[%r]: expected uint8 (robomimic's images), got %s"
                                 % (name, a.dtype))
            if single:
                a = a[None]
            if to == 1 and a.ndim == 4:
                a = a[:, None]
            if a.shape != (n, to, h, w, c):
                raise ValueError("frames[%r]: expected shape %s (rows, obs_horizon, h, w, c), "
                                 "got %s" % (name, (n, to, h, w, c), a.shape))
            out.append(np.ascontiguousarray(a))
        return out

    def act(self, obs, keys=None, t=None, hist=None, frames=None):
        """obs [n, D] -> actions [n, chunk, A] (a single obs [D] -> [chunk, A]).

        keys [n]: each row's episode key, t [n]: its step in the episode (default: keys
        0..n-1, steps 0). The sampling noise depends on (seed, key, t) only, so an episode
        acts the same alone or in any batch. hist [n, obs_horizon, D]: the last
        observations, oldest first, when obs_horizon > 1. frames {camera: uint8
        [n, obs_horizon, h, w, c]} for a policy that reads cameras (see cameras; with
        obs_horizon 1 the horizon axis may be left out): the frames of the same
        observations, e.g. robosuite's obs["agentview_image"]."""
        single = np.ndim(obs) == 1
        o = _floats(np.atleast_2d(obs) if single else obs, (self.obs_dim,), "obs")
        n = o.shape[0]
        k = None if keys is None else np.ascontiguousarray(np.broadcast_to(
            np.asarray(keys, dtype=np.uint64), (n,)))
        s = None if t is None else np.ascontiguousarray(np.broadcast_to(
            np.asarray(t, dtype=np.int32), (n,)))
        h = None
        if hist is not None:
            h = _floats(hist, (self.obs_horizon, self.obs_dim), "hist")
        f = self._frames(frames, n, single)
        out = np.empty((n, self.chunk, self.act_dim), dtype=np.float32)
        kp = None if k is None else _ptr(k, ctypes.c_uint64)
        sp = None if s is None else _ptr(s, ctypes.c_int32)
        hp = None if h is None else _ptr(h)
        if f is None:
            status = _lib.lib.rise_api_policy_act(self._handle(), n, _ptr(o), kp, sp, hp,
                                                  _ptr(out))
        else:
            ptrs = (ctypes.POINTER(ctypes.c_uint8) * len(f))(*[_ptr(a, ctypes.c_uint8) for a in f])
            status = _lib.lib.rise_api_policy_act_frames(self._handle(), n, _ptr(o), ptrs, kp, sp,
                                                         hp, _ptr(out))
        _check(status, "act")
        return out[0] if single else out

    def q(self, obs, act):
        """min(Q1, Q2)(s, a) [n] for raw obs [n, D] and one action per row act [n, A]."""
        o = _floats(np.atleast_2d(obs), (self.obs_dim,), "obs")
        a = _floats(np.atleast_2d(act), (self.act_dim,), "act")
        if a.shape[0] != o.shape[0]:
            raise ValueError("q: %d observations but %d actions" % (o.shape[0], a.shape[0]))
        out = np.empty(o.shape[0], dtype=np.float32)
        _check(_lib.lib.rise_api_policy_q(self._handle(), o.shape[0], _ptr(o), _ptr(a),
                                          _ptr(out)), "q")
        return out

    def v(self, obs):
        """V(s) [n] for raw obs [n, D] (iql, idql and rise runs)."""
        o = _floats(np.atleast_2d(obs), (self.obs_dim,), "obs")
        out = np.empty(o.shape[0], dtype=np.float32)
        _check(_lib.lib.rise_api_policy_v(self._handle(), o.shape[0], _ptr(o), _ptr(out)), "v")
        return out

    def export(self, path):
        """Writes the model as safetensors (as `rise export --format safetensors`)."""
        _check(_lib.lib.rise_api_policy_export(self._handle(), str(path).encode()), "export")

    # ---- lifetime ----
    def close(self):
        if self._h is not None:
            _lib.lib.rise_api_policy_free(self._h)
            self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self):
        if self._h is None:
            return "<rise.Policy (closed)>"
        return "<rise.Policy %s step %d from %s: obs %d, act %d x %d, K %d>" % (
            self.algo, self.step, self.run_dir, self.obs_dim, self.chunk, self.act_dim,
            self.candidates)
