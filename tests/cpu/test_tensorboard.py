"""test_tensorboard.py - `rise train` writes TensorBoard event files that TensorBoard's own
reader (EventAccumulator) reads: every metrics.csv column as a scalar tag, one event per
logged step, the CSV's values (as float32), and after a resume each step exactly once.

Run: ctest -R test_tensorboard (needs tensorboard in .venv: scripts/setup.sh).
"""
import math
import os
import shutil

import numpy as np

from rise_test_util import check, finish, fresh_dir, maze_data, need_modules, rise, train_tiny

need_modules("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa

import rise as rise_pkg  # noqa: E402

tmp = fresh_dir("tensorboard")
expert, play = maze_data(tmp, episodes=6)
run = os.path.join(tmp, "run")
# A fresh run into a folder that already holds one starts the event file afresh.
train_tiny(run, expert, play, algo="idql", steps=60, log_every=20)
train_tiny(run, expert, play, algo="idql", steps=100, log_every=20)
files = [f for f in os.listdir(run) if "tfevents" in f]
check(len(files) == 1, "one event file, found %s" % files)


def read_scalars(path):
    ea = EventAccumulator(path, size_guidance={"scalars": 0})
    ea.Reload()
    return ea, {tag: ea.Scalars(tag) for tag in ea.Tags()["scalars"]}


def compare(run_dir, expect_steps, what):
    ea, sc = read_scalars(run_dir)
    m = rise_pkg.read_metrics(run_dir)
    names = [k for k in m if k != "step"]
    check(sorted(sc) == sorted(names), "%s: tags %s vs columns %s" % (what, sorted(sc), names))
    check(list(m["step"]) == expect_steps, "%s: csv steps %s" % (what, list(m["step"])))
    for name in names:
        if name not in sc:
            continue
        steps = [e.step for e in sc[name]]
        check(steps == expect_steps, "%s: %s steps %s" % (what, name, steps))
        got = np.array([e.value for e in sc[name]], dtype=np.float32)
        want = m[name].astype(np.float32)
        ok = len(got) == len(want) and all(
            (math.isnan(a) and math.isnan(b)) or a == b for a, b in zip(got, want))
        check(ok, "%s: %s values %s vs csv %s" % (what, name, got, want))
    walls = [e.wall_time for e in sc[names[0]]] if names and names[0] in sc else []
    check(walls == sorted(walls) and walls and walls[0] > 1.5e9, "%s: wall times %s"
          % (what, walls))
    return ea


compare(run, [20, 40, 60, 80, 100], "fresh run")

# A run interrupted after logging 60 and 80 whose last checkpoint is at 40: train to 40,
# keep that checkpoint, resume to 80, put the step-40 checkpoint back, resume to 100.
# Events 60 and 80 of the lost stretch must be dropped, not doubled.
run2 = os.path.join(tmp, "run2")
train_tiny(run2, expert, play, algo="idql", steps=40, log_every=20)
shutil.copy(os.path.join(run2, "checkpoint.h5"), os.path.join(tmp, "ckpt40.h5"))
rise("train", "--out", run2, "--resume", "--set", "train.steps=80", "--quiet")
_, sc = read_scalars(run2)
check([e.step for e in sc["loss_q"]] == [20, 40, 60, 80], "resumed to 80: steps %s"
      % [e.step for e in sc["loss_q"]])
shutil.copy(os.path.join(tmp, "ckpt40.h5"), os.path.join(run2, "checkpoint.h5"))
rise("train", "--out", run2, "--resume", "--set", "train.steps=100", "--quiet")
compare(run2, [20, 40, 60, 80, 100], "resumed from 40 after logging 80")
finish()
