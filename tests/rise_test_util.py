"""rise_test_util.py - shared pieces of the Python tests (tests/<label>/test_*.py): checks
that count and a closing "N passed, N failed" line, skipping (exit 77) when an optional
module is missing, and tiny maze data and training runs made with the `rise` command.

The tests run under the project's venv (.venv, made by scripts/setup.sh) with
RISE_BIN, RISE_LIBRARY, RISE_SOURCE_DIR and RISE_TEST_TMP set by tests/CMakeLists.txt.
"""
import os
import shutil
import subprocess
import sys
import tempfile

passed = 0
failed = 0


def check(cond, msg):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + msg, flush=True)


def finish():
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(1 if failed else 0)


def skip(msg):
    print("SKIP: " + msg, flush=True)
    sys.exit(77)


def need_modules(*names, install_hint="scripts/setup.sh installs it into .venv"):
    """Imports the modules or skips; in CI (CI=true) a missing module fails instead, since
    the project's setup should have installed it."""
    missing = []
    for name in names:
        try:
            __import__(name)
        except ImportError as e:
            missing.append("%s (%s)" % (name, e))
    if missing:
        msg = "%s lacks %s; %s" % (sys.executable, ", ".join(missing), install_hint)
        if os.environ.get("CI") and install_hint.startswith("scripts/setup.sh"):
            print("FAIL: " + msg, flush=True)
            sys.exit(1)
        skip(msg)


RISE_BIN = os.environ.get("RISE_BIN", "build/rise")
SOURCE_DIR = os.environ.get("RISE_SOURCE_DIR", os.getcwd())


def fresh_dir(name):
    base = os.environ.get("RISE_TEST_TMP") or tempfile.gettempdir()
    path = os.path.join(base, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def rise(*args):
    """Runs the rise command; its output is shown only when it fails."""
    r = subprocess.run([RISE_BIN] + [str(a) for a in args], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    if r.returncode != 0:
        print(r.stdout)
        raise RuntimeError("rise %s exited %d" % (" ".join(map(str, args)), r.returncode))
    return r.stdout


def maze_data(folder, episodes=10):
    """Expert and play data on the maze: (expert.h5, play.h5)."""
    e, p = os.path.join(folder, "expert.h5"), os.path.join(folder, "play.h5")
    rise("gen", "--task", "maze", "--kind", "expert", "--episodes", episodes, "--seed", 0,
         "--out", e, "--quiet")
    rise("gen", "--task", "maze", "--kind", "play", "--episodes", episodes, "--seed", 1,
         "--out", p, "--quiet")
    return e, p


def train_tiny(run, expert, play, algo="rise", steps=60, log_every=20, extra=()):
    """A tiny run of paper_repro/configs/maze_<algo>.json (width 32) into `run`."""
    config = os.path.join(SOURCE_DIR, "paper_repro", "configs", "maze_%s.json" % algo)
    args = ["train", "--config", config, "--set",
            "data.sources=expert:%s,non_expert:%s" % (expert, play),
            "--set", "train.steps=%d" % steps, "--set", "train.log_every=%d" % log_every,
            "--set", "train.batch=64", "--set", "policy.width=32", "--set", "critic.width=32",
            "--out", run, "--quiet"]
    for e in extra:
        args += ["--set", e]
    return rise(*args)
