"""test_python_install.py - `pip install ./python` gives a working package that carries its
own librise.so: a clean copy of python/ (no build/ left from earlier installs) installed
(offline: --no-build-isolation --no-deps) into a fresh folder, with the build's library named
by RISE_LIBRARY, imports with RISE_LIBRARY unset and without the checkout on the path, loads
the library from inside the package, and a policy trained here loads and acts.

Run: ctest -R test_python_install.
"""
import importlib.util
import os
import shutil
import subprocess
import sys

from rise_test_util import check, finish, fresh_dir, maze_data, skip, train_tiny

# Found, not imported: importing pip and then setuptools in one process trips setuptools'
# distutils check; pip runs in its own process below.
for module in ("pip", "setuptools"):
    if importlib.util.find_spec(module) is None:
        skip("%s lacks %s (scripts/setup.sh makes .venv with both)" % (sys.executable, module))
tmp = fresh_dir("python_install")
target = os.path.join(tmp, "site")
src = os.path.join(tmp, "python")
shutil.copytree(os.path.join(os.environ["RISE_SOURCE_DIR"], "python"), src,
                ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "--no-build-isolation", "--no-deps", "--target", target, src],
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
check(r.returncode == 0, "pip install exited %d: %s" % (r.returncode, r.stdout))
bundled = os.path.join(target, "rise", "librise.so")
check(os.path.exists(bundled), "the package carries librise.so")

expert, play = maze_data(tmp, episodes=4)
run = os.path.join(tmp, "run")
train_tiny(run, expert, play, algo="bc_all", steps=10, log_every=10)
env = {k: v for k, v in os.environ.items() if k not in ("RISE_LIBRARY", "PYTHONPATH")}
code = ("import rise, numpy as np; p = rise.load(%r); "
        "print(rise.library_path); print(p.act(np.zeros((2, p.obs_dim), np.float32)).shape)"
        % run)
r = subprocess.run([sys.executable, "-c", code], cwd=tmp, env=dict(env, PYTHONPATH=target),
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
lines = r.stdout.strip().splitlines()
check(r.returncode == 0, "installed package failed: %s" % r.stdout)
check(len(lines) >= 2 and os.path.realpath(lines[-2]) == os.path.realpath(bundled),
      "library loaded from %s" % (lines[-2] if len(lines) >= 2 else r.stdout))
check(lines and lines[-1] == "(2, 1, 2)", "acts: %s" % (lines[-1] if lines else ""))
finish()
