#!/usr/bin/env python3
"""image_bc_torch.py - diffusion BC on camera frames written the way a PyTorch user would
write it, to time against rise's own step (build/benchmarks/bench_images, "bc_diffusion").

Same sizes and work per step as bench_images at its defaults:
  frames  uint8 [N, 84, 84, 3] resident in memory, one per row (history 1), a random 76 x 76
          crop per row (robomimic's CropRandomizer), scaled to [0, 1]
  encoder Conv2d 3x3 stride 2 (32) -> GroupNorm(8) -> ReLU -> Conv2d 3x3 stride 2 (64) ->
          GroupNorm(8) -> ReLU -> Conv2d 1x1 (32 keypoint maps) -> spatial softmax ->
          Linear(64 -> 64) (robomimic's VisualCore on a small trunk), concatenated with 2
          low-dim values; with --trunk resnet18 the trunk is robomimic's ResNet18Conv with
          Diffusion Policy's GroupNorm(C / 16) for BatchNorm (torchvision's resnet18 without
          avgpool and fc, written out below so no torchvision is needed), as bench_images with
          --set encoder.trunk=resnet --set encoder.channels=64,128,256,512
  policy  LN-ResNet (width 256, 3 blocks, dropout 0.1) on [features, x_t, Fourier(t) (8
          learned frequencies)] predicting eps of a 2-D action, cosine schedule, 100 steps,
          eps-MSE, Adam (3e-4) over encoder and denoiser, EMA 0.9999 of both
  data    indices from torch.randint

  python image_bc_torch.py [--batch 64] [--steps 5] [--size 84] [--threads 2]
                           [--trunk conv|resnet18] [--device cpu|cuda] [--json FILE]

Prints one JSON object ({"batch", "steps_per_s", ...}). A benchmark peer, not a reference:
its numbers are timings, never test expectations. Needs torch (not installed by setup.sh)."""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rise_update_torch import LNResNet, cosine_alpha_bar  # noqa: E402


class SpatialSoftmax(nn.Module):
    def forward(self, f):
        b, k, h, w = f.shape
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, h, device=f.device),
                                torch.linspace(-1, 1, w, device=f.device), indexing="ij")
        attn = torch.softmax(f.reshape(b, k, h * w), -1)
        ex = (attn * xs.reshape(1, 1, -1)).sum(-1)
        ey = (attn * ys.reshape(1, 1, -1)).sum(-1)
        return torch.stack([ex, ey], -1).flatten(1)


class BasicBlock(nn.Module):
    def __init__(self, ci, co, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(ci, co, 3, stride, 1, bias=False)
        self.gn1 = nn.GroupNorm(co // 16, co)
        self.conv2 = nn.Conv2d(co, co, 3, 1, 1, bias=False)
        self.gn2 = nn.GroupNorm(co // 16, co)
        self.down = None
        if stride != 1 or ci != co:
            self.down = nn.Sequential(nn.Conv2d(ci, co, 1, stride, bias=False),
                                      nn.GroupNorm(co // 16, co))

    def forward(self, x):
        h = self.gn2(self.conv2(torch.relu(self.gn1(self.conv1(x)))))
        return torch.relu(h + (x if self.down is None else self.down(x)))


def resnet18_gn(c):
    layers = [nn.Conv2d(c, 64, 7, 2, 3, bias=False), nn.GroupNorm(4, 64), nn.ReLU(),
              nn.MaxPool2d(3, 2, 1)]
    ci = 64
    for i, co in enumerate((64, 128, 256, 512)):
        layers += [BasicBlock(ci, co, 1 if i == 0 else 2), BasicBlock(co, co, 1)]
        ci = co
    return layers, ci


class Encoder(nn.Module):
    def __init__(self, trunk="conv", c=3, chans=(32, 64), groups=8, kp=32, feat=64):
        super().__init__()
        layers, ci = [], c
        if trunk == "resnet18":
            layers, ci = resnet18_gn(c)
        else:
            for co in chans:
                layers += [nn.Conv2d(ci, co, 3, stride=2, padding=1), nn.GroupNorm(groups, co),
                           nn.ReLU()]
                ci = co
        self.trunk = nn.Sequential(*layers, nn.Conv2d(ci, kp, 1))
        self.softmax = SpatialSoftmax()
        self.proj = nn.Linear(2 * kp, feat)

    def forward(self, x):  # x [B, C, H, W] in [0, 1]
        return self.proj(self.softmax(self.trunk(x)))


class Policy(nn.Module):
    def __init__(self, lowdim, act, trunk, width=256, n_freq=8):
        super().__init__()
        self.enc = Encoder(trunk)
        self.freq = nn.Parameter(torch.randn(n_freq) * 0.2)
        self.net = LNResNet(lowdim + 64 + act + 2 * n_freq, act, width, blocks=3)

    def forward(self, frames, low, x, t):
        f = 2 * math.pi * t.unsqueeze(-1) * self.freq
        s = torch.cat([low, self.enc(frames)], -1)
        return self.net(torch.cat([s, x, torch.sin(f), torch.cos(f)], -1))


def random_crop(frames, hc, wc):
    """Per-row random crops of uint8 [B, H, W, C] -> float [B, C, hc, wc] in [0, 1]."""
    b, h, w, _ = frames.shape
    dev = frames.device
    oy = torch.randint(0, h - hc, (b,), device=dev)
    ox = torch.randint(0, w - wc, (b,), device=dev)
    rows = (oy[:, None] + torch.arange(hc, device=dev))[:, :, None]
    cols = (ox[:, None] + torch.arange(wc, device=dev))[:, None, :]
    x = frames[torch.arange(b, device=dev)[:, None, None], rows, cols]
    return x.permute(0, 3, 1, 2).float() / 255.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--size", type=int, default=84)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--trunk", choices=("conv", "resnet18"), default="conv")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--json")
    a = ap.parse_args()
    dev = torch.device(a.device)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    n, low_dim, act = 4096, 2, 2
    frames = torch.randint(0, 256, (n, a.size, a.size, 3), dtype=torch.uint8, device=dev)
    low = torch.randn(n, low_dim, device=dev)
    acts = torch.rand(n, act, device=dev) * 2 - 1
    pi = Policy(low_dim, act, a.trunk).to(dev)
    ema = Policy(low_dim, act, a.trunk).to(dev)
    ema.load_state_dict(pi.state_dict())
    opt = torch.optim.Adam(pi.parameters(), lr=3e-4)
    alpha_bar = cosine_alpha_bar(100).to(dev)
    crop = a.size - a.size // 10

    def step():
        idx = torch.randint(0, n, (a.batch,), device=dev)
        x0 = acts[idx]
        t = torch.randint(0, 100, (a.batch,), device=dev)
        eps = torch.randn_like(x0)
        ab = alpha_bar[t].unsqueeze(-1)
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
        pred = pi(random_crop(frames[idx], crop, crop), low[idx], xt, t.float())
        loss = F.mse_loss(pred, eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            torch._foreach_lerp_(list(ema.parameters()), list(pi.parameters()), 1e-4)
        return loss

    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    step()  # warm-up
    sync()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    sync()
    dt = time.perf_counter() - t0
    out = {"peer": "image_bc_torch", "trunk": a.trunk, "device": a.device, "batch": a.batch,
           "size": a.size, "crop": crop,
           "threads": a.threads, "steps": a.steps, "steps_per_s": a.steps / dt,
           "loss": float(loss.detach()), "torch": torch.__version__}
    print(json.dumps(out))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f)


if __name__ == "__main__":
    main()
