"""test_python_package.py - the Python package (python/rise) against the C library.

Run: ctest -R test_python_package (tests/CMakeLists.txt sets the environment).
Trains tiny maze runs (rise, bc_diffusion) with the rise command, then checks that
  - rise.load acts on a batch exactly as the C evaluation path does (tests/tools/
    policy_act_ref: rise_train_open_run + rise_agent_policy + act), bit for bit, for
    the same seed, keys and steps; a row acts the same alone as in the batch; another
    seed changes the actions; set_extraction(candidates=1) changes them too;
  - a bf16 run (train.precision) acts in bf16 there too, bit for bit with the C path
    (skipped on a processor without bf16 matmuls);
  - q(s, a) and v(s) equal a NumPy forward pass of the exported critic weights on
    observations and actions normalised with the exported statistics;
  - read_metrics gives metrics.csv's numbers, the same from csv and jsonl;
  - load_dataset gives the file's arrays as h5py reads them (keys concatenated by name);
  - a bad run directory, a missing checkpoint, a corrupt config, V of a BC run and
    wrongly shaped inputs raise clear errors (RiseError / ValueError naming the problem).
"""
import json
import os
import shutil
import subprocess

import numpy as np

from rise_test_util import (check, finish, fresh_dir, maze_data, need_modules, rise,
                            train_tiny)

need_modules("h5py", "safetensors")
import h5py  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402

import rise  # noqa: E402  (python/rise, on PYTHONPATH)

tmp = fresh_dir("python_package")
expert, play = maze_data(tmp)
run = os.path.join(tmp, "rise_run")
# Gaussian action statistics: minmax on maze actions (which span [-1, 1]) is nearly the
# identity and would let a missing action normalisation pass unseen.
train_tiny(run, expert, play, algo="rise", steps=60, extra=["data.act_norm=gaussian"])

# ---- acting: the package vs the C evaluation path ----
policy = rise.load(run, seed=7)
check(policy.algo == "rise" and policy.obs_dim == 6 and policy.act_dim == 2,
      "facts: %r" % policy)
check(policy.candidates == 16 and policy.extract_rule == "argmax",
      "extraction from the run: K %d rule %s" % (policy.candidates, policy.extract_rule))
check([k for k, _ in policy.obs_keys] == ["agent_pos", "agent_vel", "goal_rel"],
      "obs keys %r" % policy.obs_keys)
check(policy.step == 60 and policy.config["train"]["algo"] == "rise", "step / config")
check(policy.env_args and policy.env_args.get("env_name") == "maze", "env_args %r"
      % policy.env_args)

rng = np.random.RandomState(0)
n = 9
obs = rng.uniform(-0.9, 0.9, (n, policy.obs_dim)).astype(np.float32)
keys = rng.randint(0, 1 << 40, n).astype(np.uint64)
t = rng.randint(0, 50, n).astype(np.int32)
acts = policy.act(obs, keys=keys, t=t)
check(acts.shape == (n, policy.chunk, policy.act_dim), "act shape %s" % (acts.shape,))
check(np.all(np.isfinite(acts)) and np.all(np.abs(acts) <= 1.0), "actions finite, in [-1, 1]")

ref_tool = os.environ["RISE_POLICY_ACT_REF"]
obs.tofile(os.path.join(tmp, "obs.f32"))
keys.tofile(os.path.join(tmp, "keys.u64"))
t.tofile(os.path.join(tmp, "t.i32"))
out = os.path.join(tmp, "ref.f32")
subprocess.check_call([ref_tool, run, "7", str(n), os.path.join(tmp, "obs.f32"),
                       os.path.join(tmp, "keys.u64"), os.path.join(tmp, "t.i32"), out])
ref = np.fromfile(out, dtype=np.float32).reshape(acts.shape)
check(np.array_equal(acts, ref), "package vs C path: max |diff| %g" % np.abs(acts - ref).max())

alone = np.stack([policy.act(obs[i], keys=keys[i], t=t[i]) for i in range(n)])
check(np.array_equal(alone, acts), "a row alone acts as in the batch")
check(np.array_equal(policy.act(obs, keys=keys, t=t), acts), "same call, same actions")
other = rise.load(run, seed=8)
check(not np.array_equal(other.act(obs, keys=keys, t=t), acts), "another seed, other actions")
other.set_extraction(candidates=1)
check(other.candidates == 1, "set_extraction: K %d" % other.candidates)
other.close()

# A bf16 run acts in bf16, in the package as in the C path: the same run with
# train.precision bf16 in its config.json (its K x n candidate rows go through oneDNN).
run_bf16 = os.path.join(tmp, "rise_run_bf16")
shutil.copytree(run, run_bf16)
with open(os.path.join(run_bf16, "config.json")) as f:
    config = json.load(f)
config["train"]["precision"] = "bf16"
with open(os.path.join(run_bf16, "config.json"), "w") as f:
    json.dump(config, f)
try:
    half = rise.load(run_bf16, seed=7)
except rise.RiseError as e:
    check("no bf16 matmul" in str(e), "a bf16 run on a processor without bf16: %s" % e)
    print("bf16 matmuls not available on this processor: the bf16 case is skipped")
else:
    acts_bf16 = half.act(obs, keys=keys, t=t)
    half.close()
    check(not np.array_equal(acts_bf16, acts), "a bf16 run acts in bf16, not fp32")
    subprocess.check_call([ref_tool, run_bf16, "7", str(n), os.path.join(tmp, "obs.f32"),
                           os.path.join(tmp, "keys.u64"), os.path.join(tmp, "t.i32"), out])
    ref = np.fromfile(out, dtype=np.float32).reshape(acts.shape)
    check(np.array_equal(acts_bf16, ref),
          "bf16: package vs C path: max |diff| %g" % np.abs(acts_bf16 - ref).max())

# ---- the critic: the package vs NumPy on the exported weights ----
export = os.path.join(tmp, "model.safetensors")
policy.export(export)
w = load_file(export)


def mlp(x, net, member=None):
    """Linear -> LayerNorm -> ReLU per hidden layer, then Linear (algorithms/mlp.h)."""
    h = x.astype(np.float64)
    layer = 0
    while "%s.fc%d.w" % (net, layer) in w:
        W, b = w["%s.fc%d.w" % (net, layer)], w["%s.fc%d.b" % (net, layer)]
        if member is not None:
            W, b = W[member], b[member]
        h = h @ W + b
        g, beta = w["%s.ln%d.g" % (net, layer)], w["%s.ln%d.b" % (net, layer)]
        if member is not None:
            g, beta = g[member], beta[member]
        mu, var = h.mean(axis=1, keepdims=True), h.var(axis=1, keepdims=True)
        h = np.maximum((h - mu) / np.sqrt(var + 1e-5) * g + beta, 0.0)
        layer += 1
    W, b = w[net + ".out.w"], w[net + ".out.b"]
    if member is not None:
        W, b = W[member], b[member]
    return (h @ W + b)[:, 0]


check(np.abs(w["norm.act_scale"] - 1).min() > 0.05, "act_scale %s" % w["norm.act_scale"])
obs_n = (obs - w["norm.obs_shift"]) / w["norm.obs_scale"]
a0 = acts[:, 0]
act_n = (a0 - w["norm.act_shift"]) / w["norm.act_scale"]
q = policy.q(obs, a0)
sa = np.concatenate([obs_n, act_n], axis=1)
q_np = np.minimum(mlp(sa, "q", 0), mlp(sa, "q", 1))
check(q.shape == (n,) and np.allclose(q, q_np, rtol=1e-4, atol=1e-4),
      "q vs NumPy: max |diff| %g" % np.abs(q - q_np).max())
v = policy.v(obs)
v_np = mlp(obs_n, "v")
check(v.shape == (n,) and np.allclose(v, v_np, rtol=1e-4, atol=1e-4),
      "v vs NumPy: max |diff| %g" % np.abs(v - v_np).max())
check(np.allclose(policy.q(obs[:1], a0[:1]), q[:1], rtol=1e-5, atol=1e-6), "q of one row")

# ---- metrics ----
m = rise.read_metrics(run)
mj = rise.read_metrics(run, source="jsonl")
with open(os.path.join(run, "metrics.csv")) as f:
    lines = f.read().split("\n")
header = lines[0].split(",")
check(list(m) == header, "columns %s vs %s" % (list(m), header))
check(list(m["step"]) == [20, 40, 60], "steps %s" % list(m["step"]))
check(float(lines[2].split(",")[header.index("loss_q")]) == m["loss_q"][1], "loss_q value")
check(all(np.array_equal(m[k], mj[k], equal_nan=True) for k in m), "csv == jsonl")

# ---- datasets ----
d = rise.load_dataset(expert)
with h5py.File(expert, "r") as f:
    demos = sorted(f["data"].keys(), key=lambda s: int(s.split("_")[1]))
    h_obs = np.concatenate([np.concatenate([f["data"][dm]["obs"][k][()].reshape(
        f["data"][dm]["actions"].shape[0], -1) for k in sorted(f["data"][dm]["obs"])], axis=1)
        for dm in demos])
    h_act = np.concatenate([f["data"][dm]["actions"][()] for dm in demos])
check(d.demo_names == demos, "demo names")
check(np.array_equal(d.obs, h_obs.astype(np.float32)), "obs as h5py reads them")
check(np.array_equal(d.actions, h_act.astype(np.float32)), "actions as h5py reads them")
check(len(d) == d.demo_length.sum() and d.demo_start[0] == 0, "demo table")
check(np.array_equal(d.key("agent_vel"), h_obs[:, 2:4].astype(np.float32)), "key columns")
sub = rise.load_dataset(expert, obs_keys=["goal_rel", "agent_pos"])
check(sub.obs.shape[1] == 4 and np.array_equal(sub.obs[:, :2], d.key("goal_rel")),
      "obs_keys order")

# ---- errors ----
def raises(fn, exc, needle, what):
    try:
        fn()
    except exc as e:
        check(needle in str(e), "%s: message %r lacks %r" % (what, str(e), needle))
        return
    check(False, "%s: no %s raised" % (what, exc.__name__))


raises(lambda: rise.load(os.path.join(tmp, "nope")), rise.RiseError, "config.json",
       "missing run dir")
broken = os.path.join(tmp, "broken")
os.makedirs(broken)
with open(os.path.join(run, "config.json")) as f:
    cfg = f.read()
with open(os.path.join(broken, "config.json"), "w") as f:
    f.write(cfg)
raises(lambda: rise.load(broken), rise.RiseError, "checkpoint.h5", "missing checkpoint")
with open(os.path.join(broken, "config.json"), "w") as f:
    f.write(cfg.replace('"algo":', '"algorithm":', 1))
raises(lambda: rise.load(broken), rise.RiseError, "algorithm", "unknown config key")
raises(lambda: policy.act(obs[:, :5]), ValueError, "expected shape (n, 6)", "obs width")
raises(lambda: policy.q(obs, a0[:3]), ValueError, "9 observations but 3 actions", "q rows")
raises(lambda: rise.load_dataset(os.path.join(tmp, "none.h5")), rise.RiseError, "none.h5",
       "missing dataset")
raises(lambda: rise.load_dataset(expert, obs_keys=["nope"]), rise.RiseError, "nope",
       "unknown obs key")

bc = os.path.join(tmp, "bc_run")
train_tiny(bc, expert, play, algo="bc_all", steps=20)
bcp = rise.load(bc)
check(bcp.candidates == 1 and not bcp.has_v and not bcp.has_q, "bc facts")
check(bcp.act(obs).shape == (n, bcp.chunk, bcp.act_dim), "bc acts")
raises(lambda: bcp.v(obs), rise.RiseError, "has no value function", "v of a BC run")
raises(lambda: bcp.set_extraction(candidates=4), rise.RiseError, "does not choose",
       "extraction on BC")
raises(lambda: policy.set_extraction(rule="softmax"), rise.RiseError,
       "expected argmax or expectile", "an unknown extraction rule")
check(policy.extract_rule == "argmax", "a refused rule keeps the rule")
policy.close()
raises(lambda: policy.act(obs), rise.RiseError, "closed", "closed policy")

finish()
