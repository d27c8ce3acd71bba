"""test_robosuite_lift.py - rise on robosuite's Lift through the Python package, end to end:
python/examples/robosuite_lift.py writes scripted Lift demos in robomimic's layout (the
layout dataset_states_to_obs.py writes), trains a short RISE run on them with the rise
command, and rolls the policy out in robosuite's Lift environment rebuilt from the run's
env_args.

Run: ctest -L slow -R test_robosuite_lift. Skipped (exit 77) without robosuite: it is an
optional, heavy install that scripts/setup.sh does not make (robosuite 1.5.1 with mujoco
3.3.7 and h5py in the Python that runs the tests; RISE_TEST_PYTHON chooses that Python).
Checks: the dataset reads back through rise.load_dataset with robomimic's key names; the
run records those keys and robosuite's env_args; every episode runs, with actions in
[-1, 1]; and the policy moves the gripper towards the cube (closest approach at least
2 cm nearer than the start on average): a wrong key order, normalisation or action
scaling would send it elsewhere.
"""
import json
import os
import subprocess
import sys

from rise_test_util import RISE_BIN, SOURCE_DIR, check, finish, fresh_dir, need_modules

need_modules("robosuite", "h5py",
             install_hint="robosuite is optional: pip install robosuite==1.5.1 mujoco==3.3.7 "
                          "h5py (see the README's Python package section)")
import rise  # noqa: E402

out = fresh_dir("robosuite_lift")
example = os.path.join(SOURCE_DIR, "python", "examples", "robosuite_lift.py")
cmd = [sys.executable, example, "--scripted", "6", "--out", out, "--steps", "600", "--width",
       "64", "--episodes", "3", "--horizon", "120", "--rise", RISE_BIN]
r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                   universal_newlines=True)
print("\n".join(line for line in r.stdout.splitlines() if "robosuite" not in line))
check(r.returncode == 0, "example exited %d" % r.returncode)
if r.returncode != 0:
    finish()

data = rise.load_dataset(os.path.join(out, "scripted_lift.hdf5"))
check(sorted(data.keys) == sorted(["object", "robot0_eef_pos", "robot0_eef_quat",
                                   "robot0_gripper_qpos"]), "dataset keys %s" % list(data.keys))
check(data.env_args["type"] == 1 and data.env_args["env_name"] == "Lift", "env_args")
check(data.actions.shape[1] == 7, "7-D actions")

with open(os.path.join(out, "rollouts.json")) as f:
    summary = json.load(f)
policy = rise.load(summary["run"])
check([k for k, _ in policy.obs_keys] == ["object", "robot0_eef_pos", "robot0_eef_quat",
                                          "robot0_gripper_qpos"], "run keys %s"
      % policy.obs_keys)
check(policy.env_args and policy.env_args["env_name"] == "Lift", "run env_args")
eps = summary["episodes"]
check(len(eps) == 3, "%d episodes" % len(eps))
check(all(-1.0 <= e["action_min"] and e["action_max"] <= 1.0 for e in eps), "actions in range")
start = sum(e["start_eef_to_cube"] for e in eps) / len(eps)
closest = sum(e["min_eef_to_cube"] for e in eps) / len(eps)
check(closest < start - 0.02, "gripper towards the cube: start %.3f m, closest %.3f m"
      % (start, closest))
print("success rate %.2f after %d steps" % (summary["success_rate"], summary["step"]))
finish()
