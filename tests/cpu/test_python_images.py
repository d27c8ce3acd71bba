"""test_python_images.py - the Python package acting with camera frames (Policy.act(frames=)).

Run: ctest -R test_python_images (tests/CMakeLists.txt sets the environment).
Trains a tiny diffusion-BC policy on the maze's 16x16 rendered view plus its low-dim keys,
then checks that
  - Policy.cameras names the camera and its frame shape;
  - acting on dataset rows with the dataset's own frames (the file's obs/agentview_image,
    drawn by `rise gen` with the task's camera view) equals the C evaluation path, which
    renders those frames itself from the observations (tests/tools/policy_act_ref: the run
    loaded as `rise eval` loads it, bind_view), bit for bit;
  - the frames matter: acting with another state's frames changes the actions;
  - a single state acts as its row in the batch; the horizon axis may be left out;
  - missing frames, a missing camera, a wrong dtype or shape, and frames for a low-dim
    policy raise clear errors.
"""
import os
import subprocess

import numpy as np

from rise_test_util import check, finish, fresh_dir, need_modules, rise

need_modules("h5py")
import h5py  # noqa: E402

import rise as rise_pkg  # noqa: E402  (python/rise, on PYTHONPATH)

tmp = fresh_dir("python_images")
expert = os.path.join(tmp, "img_expert.h5")
rise("gen", "--task", "maze", "--kind", "expert", "--episodes", 6, "--seed", 1, "--obs", "both",
     "--image-size", 16, "--out", expert, "--quiet")
run = os.path.join(tmp, "img_bc")
config = os.path.join(os.environ["RISE_SOURCE_DIR"], "paper_repro", "configs",
                      "maze_bc_expert.json")
rise("train", "--config", config, "--set", "data.sources=expert:%s" % expert,
     "--set", "data.obs_keys=agent_pos,agent_vel,goal_rel,agentview_image",
     "--set", "policy.obs_horizon=1", "--set", "policy.width=32", "--set", "train.steps=20",
     "--set", "train.batch=16", "--set", "encoder.channels=8", "--set", "encoder.strides=2",
     "--set", "encoder.groups=4", "--set", "encoder.keypoints=4", "--out", run, "--quiet")

policy = rise_pkg.load(run, seed=3)
check(policy.cameras == [("agentview_image", (16, 16, 3))], "cameras %r" % policy.cameras)
check(policy.obs_dim == 6 and policy.obs_horizon == 1, "facts: %r" % policy)

with h5py.File(expert, "r") as f:
    demo = f["data/demo_0"]
    rows = np.arange(0, 40, 5)
    obs = np.concatenate([demo["obs/" + k][()][rows] for k in ("agent_pos", "agent_vel",
                                                                "goal_rel")], axis=1)
    obs = obs.astype(np.float32)
    frames = demo["obs/agentview_image"][()][rows]
n = len(rows)
keys = np.arange(100, 100 + n, dtype=np.uint64)
t = np.arange(n, dtype=np.int32)
acts = policy.act(obs, keys=keys, t=t, frames={"agentview_image": frames})
check(acts.shape == (n, policy.chunk, policy.act_dim) and np.all(np.isfinite(acts)),
      "act shape %s" % (acts.shape,))

obs.tofile(os.path.join(tmp, "obs.f32"))
keys.tofile(os.path.join(tmp, "keys.u64"))
t.tofile(os.path.join(tmp, "t.i32"))
out = os.path.join(tmp, "ref.f32")
subprocess.check_call([os.environ["RISE_POLICY_ACT_REF"], run, "3", str(n),
                       os.path.join(tmp, "obs.f32"), os.path.join(tmp, "keys.u64"),
                       os.path.join(tmp, "t.i32"), out])
ref = np.fromfile(out, dtype=np.float32).reshape(acts.shape)
check(np.array_equal(acts, ref), "given frames vs rendered frames (C path): max |diff| %g"
      % np.abs(acts - ref).max())

shuffled = frames[::-1].copy()
other = policy.act(obs, keys=keys, t=t, frames={"agentview_image": shuffled})
check(not np.array_equal(other, acts), "other frames, other actions")
one = policy.act(obs[2], keys=keys[2], t=t[2], frames={"agentview_image": frames[2]})
check(np.array_equal(one, acts[2]), "a single state acts as its row")
with_axis = policy.act(obs, keys=keys, t=t, frames={"agentview_image": frames[:, None]})
check(np.array_equal(with_axis, acts), "frames [n, 1, h, w, c] as [n, h, w, c]")


def raises(kind, words, fn):
    try:
        fn()
    except kind as e:
        msg = str(e)
        check(all(w in msg for w in words), "%s names %s: %s" % (kind.__name__, words, msg))
        return
    check(False, "expected %s naming %s" % (kind.__name__, words))


raises(rise_pkg.RiseError, ["agentview_image", "16x16x3"], lambda: policy.act(obs))
raises(KeyError, ["agentview_image", "wrist"],
       lambda: policy.act(obs, frames={"wrist": frames}))
raises(ValueError, ["uint8", "float32"],
       lambda: policy.act(obs, frames={"agentview_image": frames.astype(np.float32)}))
raises(ValueError, ["(8, 1, 16, 16, 3)", "(8, 1, 16, 8, 3)"],
       lambda: policy.act(obs, frames={"agentview_image": frames[:, :, :8]}))
policy.close()

lowdim = os.path.join(tmp, "lowdim_bc")
rise("train", "--config", config, "--set", "data.sources=expert:%s" % expert,
     "--set", "data.obs_keys=agent_pos,agent_vel,goal_rel", "--set", "train.steps=2",
     "--set", "policy.width=32", "--out", lowdim, "--quiet")
low = rise_pkg.load(lowdim)
check(low.cameras == [], "a low-dim policy reads no cameras")
raises(rise_pkg.RiseError, ["no camera"],
       lambda: low.act(obs, hist=np.repeat(obs[:, None], low.obs_horizon, 1),
                       frames={"agentview_image": frames}))
low.close()
finish()
