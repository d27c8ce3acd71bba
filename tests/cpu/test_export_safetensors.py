"""test_export_safetensors.py - `rise export RUN --format safetensors` writes a file that
the safetensors package loads, holding what the checkpoint holds.

Run: ctest -R test_export_safetensors (needs safetensors and h5py: scripts/setup.sh).
For a rise run (policy with EMA, twin Q with targets, V) and a cql run (own twin Q,
temperatures) it checks, reading the checkpoint with h5py: every exported parameter equals
the checkpoint's flat buffer at the place the layout names, the tensors of each slot tile
that slot exactly (no float left out, none twice, padding zero), shapes match the config
(first layer's input width, hidden width), the normalisation arrays equal norm/, and the
metadata carries the algorithm, step and config. Bad arguments give usage errors.
"""
import json
import os
import subprocess

import numpy as np

from rise_test_util import (RISE_BIN, check, finish, fresh_dir, maze_data, need_modules,
                            rise, train_tiny)

need_modules("safetensors", "h5py")
import h5py  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402

tmp = fresh_dir("export_safetensors")
expert, play = maze_data(tmp, episodes=6)


def check_run(algo, nets):
    run = os.path.join(tmp, algo)
    train_tiny(run, expert, play, algo=algo, steps=30, log_every=10)
    out = os.path.join(tmp, algo + ".safetensors")
    rise("export", run, "--format", "safetensors", "--out", out)
    tensors = load_file(out)
    with safe_open(out, "np") as f:
        meta = f.metadata()
    cfg = json.loads(meta["config"])
    check(meta["format"] == "rise-safetensors-1" and meta["algorithm"] == algo,
          "%s: metadata %s" % (algo, {k: meta[k] for k in ("format", "algorithm")}))
    check(cfg["train"]["algo"] == algo and meta["step"] == "30", "%s: config/step" % algo)
    layout = json.loads(meta["layout"])
    check(sorted(layout) == sorted(k for k in tensors if not k.startswith("norm.")),
          "%s: layout names every parameter" % algo)
    with h5py.File(os.path.join(run, "checkpoint.h5"), "r") as h:
        buffers = {name: h["params/" + name][()] for name in nets}
        check(sorted(h["params"].keys()) == sorted(nets), "%s: checkpoint networks %s"
              % (algo, list(h["params"].keys())))
        for key in ("obs_shift", "obs_scale", "act_shift", "act_scale"):
            check(np.array_equal(tensors["norm." + key], h["norm"][key][()]),
                  "%s: norm.%s" % (algo, key))
    covered = {}
    for name, (dataset, slot, offset, size) in layout.items():
        t = tensors[name]
        buf = buffers[dataset.split("/")[1]]
        start = slot * size + offset
        check(np.array_equal(t.reshape(-1), buf[start:start + t.size]),
              "%s: %s differs from %s[%d:]" % (algo, name, dataset, start))
        cov = covered.setdefault((dataset, slot, size), np.zeros(size, dtype=np.int32))
        cov[offset:offset + t.size] += 1
    for (dataset, slot, size), cov in covered.items():
        buf = buffers[dataset.split("/")[1]][slot * size:(slot + 1) * size]
        check(cov.max() == 1, "%s: %s slot %d: a float exported twice" % (algo, dataset, slot))
        check(np.all(buf[cov == 0] == 0), "%s: %s slot %d: non-zero floats left out"
              % (algo, dataset, slot))
        check(len(buf) == size, "%s: %s slot %d inside the buffer" % (algo, dataset, slot))
    return tensors, cfg


t, cfg = check_run("rise", ["policy", "q", "v"])
width = cfg["critic"]["width"]
check(t["q.fc0.w"].shape == (2, 6 + 2, width), "twin Q first layer %s" % (t["q.fc0.w"].shape,))
check(t["v.fc0.w"].shape == (6, width), "V first layer %s" % (t["v.fc0.w"].shape,))
check(any(k.startswith("ema.policy.") for k in t), "EMA copy of the policy")
check(any(k.startswith("target.q.") for k in t), "target copy of Q")
check(not np.array_equal(t["ema.policy.net.in.w"], t["policy.net.in.w"]),
      "EMA differs from the values after 30 steps")
t, cfg = check_run("cql", ["policy", "q", "temps"])
check("temps.log_alpha" in t, "cql temperatures: %s" % [k for k in t if "temps" in k])

# default output path, and usage errors
run = os.path.join(tmp, "rise")
rise("export", run, "--format", "safetensors")
check(os.path.exists(os.path.join(run, "model.safetensors")), "default RUN/model.safetensors")
r = subprocess.run([RISE_BIN, "export", run, "--format", "onnx"], stderr=subprocess.PIPE,
                   universal_newlines=True)
check(r.returncode == 2 and "safetensors" in r.stderr, "unknown format: %r" % r.stderr)
r = subprocess.run([RISE_BIN, "export", os.path.join(tmp, "none"), "--format",
                    "safetensors"], stderr=subprocess.PIPE, universal_newlines=True)
check(r.returncode == 1 and "config.json" in r.stderr, "missing run: %r" % r.stderr)
finish()
