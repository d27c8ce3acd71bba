#!/usr/bin/env python3
"""rise_update_torch.py - the RISE training update and best-of-K extraction written the way a
PyTorch user would write them, to time against rise's own (benchmarks/bench_train.c).

Same sizes and the same work per step as bench_train's RISE case:
  critic  twin Q [s, a] -> 256 -> 256 -> 1 and V s -> 256 -> 256 -> 1, each hidden layer
          Linear -> LayerNorm -> ReLU; the twin Q is one batched ensemble (baddbmm);
          V by expectile regression (0.9) on min(Q1', Q2'), Q on r + gamma (1 - d) V(s'),
          Adam on both, Polyak target (tau 0.005)
  policy  denoiser LN-ResNet (in -> 256, 3 blocks LayerNorm -> dropout 0.1 -> 1024 -> mish
          -> 256 residual, mish -> A) on [c(s), x_t, Fourier(t) (8 learned frequencies)];
          c = the spectral "code" MLP D -> 512 -> 512 -> D (ReLU) with penalty
          0.1 * sigma_max(last layer) by one power iteration per step; cosine schedule,
          100 training steps, eps-prediction MSE; Adam; EMA 0.995 of the policy weights;
          every 2nd policy batch is drawn from a separate relabelled-pairs set
  data    device-resident tensors, indices from torch.randint on the device
Extraction: K = 128 candidates per state, 10 DDIM steps with the EMA weights, scored by
min(Q1, Q2), argmax per state; latency for 1 and 64 states.

  python rise_update_torch.py --device cuda --mode eager|compile [--batch 256] [--width 256]
                              [--steps 200] [--json FILE]
--mode compile uses torch.compile(mode="reduce-overhead") (Inductor + CUDA graphs) on the
whole update. Prints one JSON object per case on stdout (and into --json). This is a
benchmark peer, not a reference: its numbers are timings, never test expectations."""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class EnsembleLinear(nn.Module):
    def __init__(self, e, i, o):
        super().__init__()
        self.w = nn.Parameter(torch.randn(e, i, o) / math.sqrt(i))
        self.b = nn.Parameter(torch.zeros(e, 1, o))

    def forward(self, x):  # x [E, B, i]
        return torch.baddbmm(self.b, x, self.w)


class EnsembleCritic(nn.Module):
    """E MLPs in one: hidden layers Linear -> LayerNorm -> ReLU, scalar head."""

    def __init__(self, e, i, width, depth=2):
        super().__init__()
        dims = [i] + [width] * depth
        self.layers = nn.ModuleList(EnsembleLinear(e, a, b) for a, b in zip(dims, dims[1:]))
        self.norms = nn.ModuleList(nn.LayerNorm(width) for _ in range(depth))
        self.head = EnsembleLinear(e, width, 1)
        self.e = e

    def forward(self, x):  # x [B, i] -> [E, B]
        h = x.unsqueeze(0).expand(self.e, -1, -1)
        for lin, ln in zip(self.layers, self.norms):
            h = F.relu(ln(lin(h)))
        return self.head(h).squeeze(-1)


class LNResNet(nn.Module):
    def __init__(self, i, o, width, blocks=3, dropout=0.1):
        super().__init__()
        self.inp = nn.Linear(i, width)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Dropout(dropout), nn.LayerNorm(width), nn.Linear(width, 4 * width),
                          nn.Mish(), nn.Linear(4 * width, width)) for _ in range(blocks))
        self.out = nn.Linear(width, o)

    def forward(self, x):
        h = self.inp(x)
        for blk in self.blocks:
            h = h + blk(h)
        return self.out(F.mish(h))


class Policy(nn.Module):
    def __init__(self, d, a, width, code_width=512, n_freq=8, blocks=3):
        super().__init__()
        self.code = nn.Sequential(nn.Linear(d, code_width), nn.ReLU(),
                                  nn.Linear(code_width, code_width), nn.ReLU(),
                                  nn.Linear(code_width, d))
        self.freq = nn.Parameter(torch.randn(n_freq) * 0.2)
        self.net = LNResNet(d + a + 2 * n_freq, a, width, blocks=blocks)

    def forward(self, s, x, t):
        f = 2 * math.pi * t.unsqueeze(-1) * self.freq
        return self.net(torch.cat([self.code(s), x, torch.sin(f), torch.cos(f)], -1))


def cosine_alpha_bar(steps, s=0.008):
    x = torch.linspace(0, steps, steps + 1, dtype=torch.float64)
    ab = torch.cos(((x / steps) + s) / (1 + s) * math.pi / 2) ** 2
    ab = ab / ab[0]
    betas = (1 - ab[1:] / ab[:-1]).clamp(max=0.999)
    return torch.cumprod(1 - betas, 0).float()


class Rise:
    def __init__(self, d, a, width, batch, n_data, device, seed=0, blocks=3, code_width=512):
        torch.manual_seed(seed)
        self.d, self.a, self.batch, self.dev = d, a, batch, device
        self.q = EnsembleCritic(2, d + a, width).to(device)
        self.q_tgt = EnsembleCritic(2, d + a, width).to(device)
        self.q_tgt.load_state_dict(self.q.state_dict())
        self.v = EnsembleCritic(1, d, width).to(device)
        self.pi = Policy(d, a, width, code_width, blocks=blocks).to(device)
        self.pi_ema = Policy(d, a, width, code_width, blocks=blocks).to(device)
        self.pi_ema.load_state_dict(self.pi.state_dict())
        # capturable Adam keeps the step counter on the device (needed under CUDA graphs)
        cap = dict(lr=3e-4, capturable=device.startswith("cuda"))
        self.opt_q = torch.optim.Adam(self.q.parameters(), **cap)
        self.opt_v = torch.optim.Adam(self.v.parameters(), **cap)
        self.opt_pi = torch.optim.Adam(self.pi.parameters(), **cap)
        self.alpha_bar = cosine_alpha_bar(100).to(device)
        w_last = self.pi.code[4].weight
        self.u = F.normalize(torch.randn(w_last.shape[0], device=device), dim=0)
        g = torch.Generator(device="cpu").manual_seed(seed)
        self.obs = torch.randn(n_data, d, generator=g).to(device)
        self.next_obs = torch.randn(n_data, d, generator=g).to(device)
        self.act = torch.rand(n_data, a, generator=g).mul(2).sub(1).to(device)
        self.rew = (torch.rand(n_data, generator=g) < 0.3).float().to(device)
        self.done = (torch.rand(n_data, generator=g) < 0.01).float().to(device)
        self.pair_obs = torch.randn(n_data, d, generator=g).to(device)
        self.pair_act = torch.rand(n_data, a, generator=g).mul(2).sub(1).to(device)
        self.n = n_data

    def critic_step(self, s, a, r, d, s2):
        sa = torch.cat([s, a], -1)
        with torch.no_grad():
            qt = self.q_tgt(sa).min(0).values
        u = qt - self.v(s)[0]
        loss_v = (torch.abs(0.9 - (u < 0).float()) * u * u).mean()
        self.opt_v.zero_grad(set_to_none=False)
        loss_v.backward()
        self.opt_v.step()
        with torch.no_grad():
            y = r + 0.99 * (1 - d) * self.v(s2)[0]
        loss_q = ((self.q(sa) - y) ** 2).mean(1).sum()
        self.opt_q.zero_grad(set_to_none=False)
        loss_q.backward()
        self.opt_q.step()
        with torch.no_grad():
            torch._foreach_lerp_(list(self.q_tgt.parameters()), list(self.q.parameters()), 0.005)
        return loss_v.detach(), loss_q.detach()

    def policy_step(self, s, a0):
        b = s.shape[0]
        k = torch.randint(0, 100, (b,), device=self.dev)
        eps = torch.randn_like(a0)
        ab = self.alpha_bar[k].unsqueeze(-1)
        xt = ab.sqrt() * a0 + (1 - ab).sqrt() * eps
        loss = F.mse_loss(self.pi(s, xt, k.float() / 100), eps)
        w = self.pi.code[4].weight  # [out, in]
        with torch.no_grad():  # one power iteration, u persists across steps
            v = F.normalize(w.t() @ self.u, dim=0)
            self.u.copy_(F.normalize(w @ v, dim=0))
        sigma = self.u @ w @ v
        total = loss + 0.1 * sigma
        self.opt_pi.zero_grad(set_to_none=False)
        total.backward()
        self.opt_pi.step()
        with torch.no_grad():
            torch._foreach_lerp_(list(self.pi_ema.parameters()), list(self.pi.parameters()), 0.005)
        return loss.detach(), sigma.detach()

    def update(self, use_pairs):
        i = torch.randint(0, self.n, (self.batch,), device=self.dev)
        out = self.critic_step(self.obs[i], self.act[i], self.rew[i], self.done[i],
                               self.next_obs[i])
        if use_pairs:
            j = torch.randint(0, self.n, (self.batch,), device=self.dev)
            return out + self.policy_step(self.pair_obs[j], self.pair_act[j])
        return out + self.policy_step(self.obs[i], self.act[i])

    @torch.no_grad()
    def extract(self, s, k=128, n_steps=10):
        n = s.shape[0]
        sk = s.repeat_interleave(k, 0)
        x = torch.randn(n * k, self.a, device=self.dev)
        ts = torch.linspace(99, 0, n_steps, device=self.dev).long()
        for idx, t in enumerate(ts):
            ab = self.alpha_bar[t]
            ab_prev = self.alpha_bar[ts[idx + 1]] if idx + 1 < n_steps else torch.ones((), device=self.dev)
            e = self.pi_ema(sk, x, torch.full((n * k,), float(t) / 100, device=self.dev))
            x0 = ((x - (1 - ab).sqrt() * e) / ab.sqrt()).clamp(-1, 1)
            x = ab_prev.sqrt() * x0 + (1 - ab_prev).sqrt() * e
        x = x.clamp(-1, 1)
        score = self.q(torch.cat([sk, x], -1)).min(0).values.view(n, k)
        best = score.argmax(1)
        return x.view(n, k, self.a)[torch.arange(n, device=self.dev), best]


def sync(dev):
    if dev.startswith("cuda"):
        torch.cuda.synchronize()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--mode", choices=["eager", "compile"], default="eager")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--obs-dim", type=int, default=4)
    ap.add_argument("--act-dim", type=int, default=2)
    ap.add_argument("--blocks", type=int, default=3, help="LN-ResNet blocks (maze runs: 2)")
    ap.add_argument("--code-width", type=int, default=512, help="spectral code MLP (maze: 128)")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--no-extract", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    dev = args.device
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 like rise's reference path
    torch.backends.cudnn.allow_tf32 = False
    agent = Rise(args.obs_dim, args.act_dim, args.width, args.batch, 100_000, dev,
                 blocks=args.blocks, code_width=args.code_width)
    step_fn = agent.update
    if args.mode == "compile":
        compiled = torch.compile(agent.update,
                                 mode="reduce-overhead" if dev.startswith("cuda") else "default")

        def step_fn(use_pairs):
            # each call is a new training step: CUDA graph trees may then reuse the memory
            # of the previous step's outputs (without the mark, a long loop can fail with
            # "accessing tensor output of CUDAGraphs that has been overwritten")
            torch.compiler.cudagraph_mark_step_begin()
            return compiled(use_pairs)
    for i in range(10):  # warm-up (and compilation)
        out = step_fn(i % 2 == 1)
    sync(dev)
    t0 = time.perf_counter()
    for i in range(args.steps):
        out = step_fn(i % 2 == 1)
    sync(dev)
    sps = args.steps / (time.perf_counter() - t0)
    losses = [float(x) for x in out]
    if not all(math.isfinite(x) for x in losses):
        raise SystemExit(f"rise_update_torch: non-finite losses {losses}")
    name = f"torch_{args.mode}"
    res = [{"case": "rise_update_steps_per_s", "impl": name, "device": dev, "batch": args.batch,
            "width": args.width, "value": sps, "unit": "steps/s"}]
    if not args.no_extract:
        for n in (1, 64):
            s = torch.randn(n, args.obs_dim, device=dev)
            agent.extract(s)
            sync(dev)
            t0 = time.perf_counter()
            reps = 5
            for _ in range(reps):
                agent.extract(s)
            sync(dev)
            res.append({"case": f"extract_latency_ms_{n}_state{'s' if n > 1 else ''}",
                        "impl": "torch_eager", "device": dev, "value": 1e3 * (time.perf_counter() - t0) / reps,
                        "unit": "ms"})
    for r in res:
        print(json.dumps(r))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
