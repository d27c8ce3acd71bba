#!/usr/bin/env python3
"""iql_torch.py - IQL's training step as CORL's single-file PyTorch implementation lays it out,
written here from the IQL paper's definitions (Kostrikov et al., "Offline Reinforcement Learning
with Implicit Q-Learning"), to time against rise's IQL (benchmarks/bench_train.c, --algo iql).

Same sizes and the same work per step as bench_train's IQL case:
  twin Q   two MLPs [s, a] -> W -> W -> 1 (ReLU), Polyak target (tau 0.005)
  V        MLP s -> W -> W -> 1 (ReLU), expectile regression (tau 0.7) on min(Q1', Q2')
  actor    Gaussian: MLP s -> W -> W -> A (ReLU, tanh mean), state-independent log-std,
           advantage-weighted log-likelihood, weights exp(3 adv) clipped at 100
  step     V(s') -> V update (adv from it) -> Q toward r + 0.99 (1 - d) V(s') -> target
           update -> actor update with adv (CORL's order); Adam lr 3e-4 on all three
  data     tensors in memory, indices from torch.randint
rise's step runs the paper's order (the actor weighted with the updated V, the target
min Q' evaluated for it): 18 network passes per step against this script's 15, so rise does
20% more GEMM work here (bench_train prints its GEMM GFLOP per step).

  python iql_torch.py [--batch 256] [--width 256] [--steps 300] [--mode eager|compile]
                      [--obs-dim 6] [--act-dim 2] [--device cpu|cuda] [--json FILE]
On cuda the data live on the device and --mode compile is torch.compile(mode=
"reduce-overhead") (Inductor + CUDA graphs); the timing synchronises before reading the clock.
Prints one JSON object (steps/s) on stdout (and into --json). A benchmark peer, not a
reference: its numbers are timings, never test expectations."""
import argparse
import copy
import json
import math
import time

import torch
import torch.nn as nn


def mlp(i, o, width, out_act=None):
    layers = [nn.Linear(i, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
              nn.Linear(width, o)]
    if out_act is not None:
        layers.append(out_act)
    return nn.Sequential(*layers)


class TwinQ(nn.Module):
    def __init__(self, d, a, width):
        super().__init__()
        self.q1, self.q2 = mlp(d + a, 1, width), mlp(d + a, 1, width)

    def both(self, s, a):
        sa = torch.cat([s, a], 1)
        return self.q1(sa).squeeze(-1), self.q2(sa).squeeze(-1)

    def forward(self, s, a):
        return torch.min(*self.both(s, a))


class GaussianPolicy(nn.Module):
    def __init__(self, d, a, width):
        super().__init__()
        self.net = mlp(d, a, width, nn.Tanh())
        self.log_std = nn.Parameter(torch.zeros(a))

    def forward(self, s):
        std = torch.exp(self.log_std.clamp(-5.0, 2.0))
        return torch.distributions.Normal(self.net(s), std)


class IQL:
    def __init__(self, d, a, width, batch, n_data, seed=0, device="cpu"):
        torch.manual_seed(seed)
        self.batch = batch
        self.qf = TwinQ(d, a, width).to(device)
        self.q_target = copy.deepcopy(self.qf).requires_grad_(False)
        self.vf = mlp(d, 1, width).to(device)
        self.actor = GaussianPolicy(d, a, width).to(device)
        self.q_opt = torch.optim.Adam(self.qf.parameters(), lr=3e-4)
        self.v_opt = torch.optim.Adam(self.vf.parameters(), lr=3e-4)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=3e-4)
        g = torch.Generator().manual_seed(seed)
        self.obs = torch.randn(n_data, d, generator=g)
        self.next_obs = torch.randn(n_data, d, generator=g)
        self.act = torch.rand(n_data, a, generator=g).mul(2).sub(1).mul(0.99)
        self.rew = (torch.rand(n_data, generator=g) < 0.3).float()
        self.done = (torch.rand(n_data, generator=g) < 0.01).float()
        self.obs, self.next_obs, self.act, self.rew, self.done = (
            t.to(device) for t in (self.obs, self.next_obs, self.act, self.rew, self.done))
        self.n = n_data

    def update(self, i):
        s, a, r, d, s2 = self.obs[i], self.act[i], self.rew[i], self.done[i], self.next_obs[i]
        with torch.no_grad():
            next_v = self.vf(s2).squeeze(-1)
            target_q = self.q_target(s, a)
        v = self.vf(s).squeeze(-1)
        adv = target_q - v
        v_loss = (torch.abs(0.7 - (adv < 0).float()) * adv ** 2).mean()
        self.v_opt.zero_grad(set_to_none=True)
        v_loss.backward()
        self.v_opt.step()
        targets = r + (1.0 - d) * 0.99 * next_v
        qs = self.qf.both(s, a)
        q_loss = sum(((q - targets) ** 2).mean() for q in qs) / len(qs)
        self.q_opt.zero_grad(set_to_none=True)
        q_loss.backward()
        self.q_opt.step()
        with torch.no_grad():
            torch._foreach_lerp_(list(self.q_target.parameters()), list(self.qf.parameters()),
                                 0.005)
        exp_adv = torch.exp(3.0 * adv.detach()).clamp(max=100.0)
        bc_losses = -self.actor(s).log_prob(a).sum(-1)
        policy_loss = (exp_adv * bc_losses).mean()
        self.actor_opt.zero_grad(set_to_none=True)
        policy_loss.backward()
        self.actor_opt.step()
        return v_loss.detach(), q_loss.detach(), policy_loss.detach()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--obs-dim", type=int, default=6)
    ap.add_argument("--act-dim", type=int, default=2)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--mode", choices=["eager", "compile"], default="eager")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--json")
    args = ap.parse_args()
    dev = args.device
    cuda = dev.startswith("cuda")
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = False  # fp32 like rise
        torch.backends.cudnn.allow_tf32 = False
    agent = IQL(args.obs_dim, args.act_dim, args.width, args.batch, 100_000, device=dev)
    step = agent.update
    if args.mode == "compile":
        compiled = torch.compile(agent.update, mode="reduce-overhead" if cuda else "default")

        def step(i):
            if cuda:  # a new training step: CUDA graph trees may reuse the last one's outputs
                torch.compiler.cudagraph_mark_step_begin()
            return compiled(i)
    idx = [torch.randint(0, agent.n, (args.batch,), device=dev) for _ in range(args.steps + 20)]

    def sync():
        if cuda:
            torch.cuda.synchronize()
    for k in range(20):  # warm-up (and compilation)
        out = step(idx[k])
    sync()
    t0 = time.perf_counter()
    for k in range(args.steps):
        out = step(idx[20 + k])
    sync()
    sps = args.steps / (time.perf_counter() - t0)
    losses = [float(x) for x in out]
    if not all(math.isfinite(x) for x in losses):
        raise SystemExit(f"iql_torch: non-finite losses {losses}")
    res = [{"case": "iql_update_steps_per_s", "impl": f"torch_{args.mode}", "device": dev,
            "batch": args.batch, "width": args.width, "threads": torch.get_num_threads(),
            "value": sps, "unit": "steps/s"}]
    for r in res:
        print(json.dumps(r))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
