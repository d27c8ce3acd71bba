"""robosuite_lift.py - train rise on robosuite Lift data in robomimic's layout and roll the
policy out in robosuite's Lift environment through the `rise` Python package.

With robomimic's data (internet needed; see the README's "Python package" section):

    python python/examples/robosuite_lift.py --expert lift/mh/low_dim_v15.hdf5:better \\
        --non-expert lift/mh/low_dim_v15.hdf5:okay --non-expert lift/mh/low_dim_v15.hdf5:worse \\
        --out runs/lift --steps 20000 --episodes 50

Any file robomimic's scripts wrote works: a downloaded low_dim dataset, or robosuite demos
converted with robomimic's convert_robosuite.py and dataset_states_to_obs.py. Without any
(offline, or to check an installation in minutes), --scripted N writes N demos of a scripted
lifter and N noisy ones into OUT/scripted_lift.hdf5 in the layout dataset_states_to_obs.py
writes (obs keys object, robot0_eef_pos, robot0_eef_quat, robot0_gripper_qpos; states;
env_args of type 1) and trains on those:

    python python/examples/robosuite_lift.py --scripted 20 --out runs/lift_scripted --steps 2000

It prints a summary and writes OUT/rollouts.json. Needs robosuite 1.5 with mujoco 3.x (see
the README), h5py, numpy, the rise package, and the rise command (--rise, default build/rise).
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "python"))  # the package, when run from a checkout

import rise  # noqa: E402

# robomimic names robosuite's "object-state" observation "object" (EnvRobosuite).
ROBOMIMIC_TO_ROBOSUITE = {"object": "object-state"}
LOW_DIM_KEYS = ["object", "robot0_eef_pos", "robot0_eef_quat", "robot0_gripper_qpos"]


def make_env(env_args, horizon):
    """robosuite's env from a dataset's env_args, as robomimic's EnvRobosuite makes it
    (no renderer, no camera observations)."""
    import robosuite

    kwargs = dict(env_args.get("env_kwargs", {}))
    kwargs.update(has_renderer=False, has_offscreen_renderer=False, use_camera_obs=False,
                  ignore_done=True, horizon=horizon)
    for k in ("camera_names", "camera_heights", "camera_widths", "camera_depths",
              "render_gpu_device_id", "lite_physics"):
        kwargs.pop(k, None)
    return robosuite.make(env_args["env_name"], **kwargs)


def robomimic_obs(obs):
    """robosuite's observation dict with robomimic's key names added."""
    out = dict(obs)
    for rm, rs in ROBOMIMIC_TO_ROBOSUITE.items():
        if rs in obs:
            out[rm] = obs[rs]
    return out


# ---------------------------------------------------------------- scripted data
def scripted_action(obs, phase, rng, noise):
    """A lifter: above the cube, down, close the gripper, up. Returns (action, phase)."""
    eef, cube = np.asarray(obs["robot0_eef_pos"]), np.asarray(obs["cube_pos"])
    a = np.zeros(7)
    if phase == 0:
        target = cube + np.array([0.0, 0.0, 0.06])
        a[:3], a[6] = np.clip((target - eef) * 10.0, -1, 1), -1.0
        if np.linalg.norm((target - eef)[:2]) < 0.01 and abs((target - eef)[2]) < 0.02:
            phase = 1
    elif phase == 1:
        target = cube + np.array([0.0, 0.0, -0.005])
        a[:3], a[6] = np.clip((target - eef) * 10.0, -1, 1), -1.0
        if abs((target - eef)[2]) < 0.01:
            phase = 2
    elif phase < 12:
        a[6], phase = 1.0, phase + 1
    else:
        a[2], a[6] = 0.6, 1.0
    a[:6] += noise * rng.standard_normal(6)
    return np.clip(a, -1.0, 1.0), phase


def write_scripted(path, n, seed, horizon):
    """n clean and n noisy scripted demos in robomimic's layout (masks expert, noisy)."""
    import h5py
    import robosuite

    env_kwargs = {"robots": ["Panda"], "control_freq": 20, "use_object_obs": True,
                  "reward_shaping": False}
    env = make_env({"env_name": "Lift", "env_kwargs": env_kwargs}, horizon)
    rng = np.random.default_rng(seed)
    names = {"expert": [], "noisy": []}
    with h5py.File(path, "w") as f:
        data = f.create_group("data")
        total = 0
        for kind, noise in (("expert", 0.0), ("noisy", 0.8)):
            for _ in range(n):
                obs, phase = robomimic_obs(env.reset()), 0
                rec = {k: [] for k in LOW_DIM_KEYS}
                acts, rews, states = [], [], []
                for t in range(horizon):
                    states.append(env.sim.get_state().flatten())
                    for k in LOW_DIM_KEYS:
                        rec[k].append(np.asarray(obs[k], dtype=np.float64))
                    a, phase = scripted_action(obs, phase, rng, noise)
                    obs, r, _, _ = env.step(a)
                    obs = robomimic_obs(obs)
                    acts.append(a)
                    rews.append(float(env._check_success()))
                    if rews[-1] > 0 and kind == "expert":
                        break
                name = "demo_%d" % len(data)
                g = data.create_group(name)
                g.attrs["num_samples"] = len(acts)
                g.attrs["model_file"] = env.sim.model.get_xml()
                g.create_dataset("actions", data=np.array(acts))
                g.create_dataset("rewards", data=np.array(rews))
                dones = np.zeros(len(acts), dtype=np.int64)
                dones[-1] = 1
                g.create_dataset("dones", data=dones)
                g.create_dataset("states", data=np.array(states))
                for k in LOW_DIM_KEYS:
                    seq = np.array(rec[k])
                    g.create_dataset("obs/" + k, data=seq)
                    g.create_dataset("next_obs/" + k, data=np.concatenate([seq[1:], seq[-1:]]))
                names[kind].append(name)
                total += len(acts)
        data.attrs["total"] = total
        data.attrs["env_args"] = json.dumps({"env_name": "Lift", "type": 1,
                                             "env_version": robosuite.__version__,
                                             "env_kwargs": env_kwargs})
        for kind, demos in names.items():
            f.create_dataset("mask/" + kind, data=np.array([s.encode() for s in demos]))
    env.close()
    return names


# ---------------------------------------------------------------- training
def write_config(path, algo, steps, sources, obs_keys, width):
    """A Lift-sized config: the maze settings with wider networks. sources: [(role,
    "path[:filter_key]")]."""
    cfg = {
        "train": {"algo": algo, "steps": steps, "batch": 256, "log_every": max(steps // 20, 1),
                  "ckpt_every": steps},
        "policy": {"net": "lnresnet", "width": width, "depth": 3, "dropout": 0.1, "lr": 3e-4},
        "diffusion": {"sampler": "ddim", "schedule": "cosine", "train_steps": 100,
                      "sample_steps": 10},
        "critic": {"width": width, "depth": 2, "discount": 0.99, "tau": 0.01, "expectile": 0.9},
        "extract": {"candidates": 32},
        "spectral": {"mode": "code", "lambda": 0.1, "width": width},
        "data": {"sources": [], "obs_keys": obs_keys, "reward": "rise", "terminal": "dataset",
                 "obs_norm": "gaussian", "act_norm": "minmax"},
    }
    for role, spec in sources:
        file, _, filter_key = spec.partition(":")
        src = {"path": os.path.abspath(file), "role": role}
        if filter_key:
            src["filter_key"] = filter_key
        cfg["data"]["sources"].append(src)
    if algo == "bc_diffusion":
        for k in ("critic", "extract", "spectral"):
            cfg.pop(k)
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)


def train(rise_bin, out, algo, steps, expert, non_expert, obs_keys, width):
    config = os.path.join(out, "lift_%s.json" % algo)
    sources = [("expert", s) for s in expert] + [("non_expert", s) for s in non_expert]
    write_config(config, algo, steps, sources, obs_keys, width)
    run = os.path.join(out, algo)
    cmd = [rise_bin, "train", "--config", config, "--out", run]
    print("+ " + " ".join(cmd), flush=True)
    subprocess.check_call(cmd)
    return run


# ---------------------------------------------------------------- rollouts
def rollout(policy, episodes, horizon, seed):
    """Episodes of the policy in the run's own env (rebuilt from its env_args): each
    episode a key, each call the step index, n_exec actions of every chunk executed."""
    env_args = policy.env_args
    if not env_args or env_args.get("type") != 1:
        raise SystemExit("%s: the run's env_args are not robosuite's (type 1): %r"
                         % (policy.run_dir, env_args))
    env = make_env(env_args, horizon)
    results = []
    for ep in range(episodes):
        np.random.seed(seed + ep)  # robosuite's placement sampler draws from numpy
        obs = robomimic_obs(env.reset())
        start_dist = float(np.linalg.norm(obs["robot0_eef_pos"] - obs["cube_pos"]))
        min_dist, success, t, a_lo, a_hi = start_dist, False, 0, 1.0, -1.0
        while t < horizon and not success:
            chunk = policy.act(policy.obs_vector(obs), keys=ep, t=t)
            a_lo, a_hi = min(a_lo, float(chunk.min())), max(a_hi, float(chunk.max()))
            for a in chunk[: policy.n_exec]:
                obs, _, _, _ = env.step(a)
                obs = robomimic_obs(obs)
                t += 1
                min_dist = min(min_dist, float(np.linalg.norm(obs["robot0_eef_pos"]
                                                              - obs["cube_pos"])))
                success = success or bool(env._check_success())
                if success or t >= horizon:
                    break
        results.append({"episode": ep, "success": success, "steps": t,
                        "start_eef_to_cube": start_dist, "min_eef_to_cube": min_dist,
                        "action_min": a_lo, "action_max": a_hi})
        print("episode %d: %s in %d steps, closest eef-cube %.3f m (start %.3f)"
              % (ep, "success" if success else "no success", t, min_dist, start_dist),
              flush=True)
    env.close()
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--expert", action="append", help="PATH[:filter_key] of expert demos")
    ap.add_argument("--non-expert", action="append", help="PATH[:filter_key] of other demos")
    ap.add_argument("--scripted", type=int, default=0,
                    help="no data given: write N scripted + N noisy demos and train on them")
    ap.add_argument("--out", required=True, help="output folder (data, run, rollouts.json)")
    ap.add_argument("--algo", default=None,
                    help="rise (default with non-expert data), idql, bc_diffusion (default "
                         "with expert data only)")
    ap.add_argument("--steps", type=int, default=20000, help="training steps")
    ap.add_argument("--width", type=int, default=256, help="hidden width of every network")
    ap.add_argument("--episodes", type=int, default=10, help="rollouts")
    ap.add_argument("--horizon", type=int, default=200, help="steps per rollout")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--obs-keys", default=",".join(LOW_DIM_KEYS))
    ap.add_argument("--rise", default=os.environ.get("RISE_BIN",
                                                      os.path.join(REPO, "build", "rise")))
    ap.add_argument("--run", help="skip training: roll out this run directory")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    expert, non_expert = list(args.expert or []), list(args.non_expert or [])
    if args.run:
        run = args.run
    else:
        if args.scripted:
            path = os.path.join(args.out, "scripted_lift.hdf5")
            write_scripted(path, args.scripted, args.seed, args.horizon)
            expert, non_expert = [path + ":expert"], [path + ":noisy"]
            print("wrote %s (%.0f s)" % (path, time.time() - t0), flush=True)
        if not expert:
            raise SystemExit("give --expert PATH[:filter] (robomimic data) or --scripted N")
        algo = args.algo or ("rise" if non_expert else "bc_diffusion")
        run = train(args.rise, args.out, algo, args.steps, expert, non_expert,
                    args.obs_keys.split(","), args.width)
    policy = rise.load(run, seed=args.seed)
    print(policy, flush=True)
    results = rollout(policy, args.episodes, args.horizon, args.seed)
    summary = {"run": run, "algo": policy.algo, "step": policy.step,
               "obs_keys": policy.obs_keys, "episodes": results,
               "success_rate": float(np.mean([r["success"] for r in results])),
               "seconds": time.time() - t0}
    with open(os.path.join(args.out, "rollouts.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print("success %d/%d; %s" % (sum(r["success"] for r in results), len(results),
                                 os.path.join(args.out, "rollouts.json")))


if __name__ == "__main__":
    main()
