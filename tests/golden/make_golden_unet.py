#!/usr/bin/env python3
"""make_golden_unet.py - PyTorch reference for the U-Net golden test (tests/golden/unet.txt).

Run:  /tmp/torchenv/bin/python tests/golden/make_golden_unet.py [--out tests/golden/unet.txt]
(any Python with torch and numpy works). The output is committed; re-run only when the
network's definition changes on purpose.

The network is Diffusion Policy's ConditionalUnet1D as robomimic/RISE configure it (FiLM
scale and bias, GroupNorm, Mish, Conv1d k/2 padding, Conv1d(k 3, s 2, p 1) down-sampling,
ConvTranspose1d(k 4, s 2, p 1) up-sampling, sinusoidal step embedding -> Linear -> Mish ->
Linear, condition = [step, obs], skip of the first level unused), written here from those
definitions with PyTorch's own layers. One small configuration:
  A = 2, T = 8, D = 3, down dims [8, 16], K = 3, 4 groups, E = 8, batch 3
with PyTorch's default initialisation from a fixed seed and the GroupNorm affine parameters
perturbed away from 1/0. It runs in float64 from float32 values, so its rounding is
negligible next to the float32 C code.

Written (layouts are the C side's: channels-last x [B, T, A]; Conv1d and ConvTranspose1d
weights permuted from [o, i, K] to [o, K, i]; Linear weights transposed to [in, out]):
  x [B, T, A], k [B], cond [B, D], r [B, T, A] (dL/dy, L = sum r y), y [B, T, A]
  p.<name>      every parameter, named as algorithms/unet.c registers it (prefix "net.")
  g.<name>      dL/d parameter
  dcond [B, D]  dL/dcond
  paper.numel   the parameter count of the paper's square configuration (A 7, D 2 x 23,
                down dims [256, 512, 1024], K 5, E 256), which the C test compares with
"""
import argparse
import math
import os

import numpy as np
import torch
import torch.nn as nn

from golden_writer import Writer

torch.set_default_dtype(torch.float64)


class SinusoidalStep(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, k):
        half = self.dim // 2
        f = torch.exp(torch.arange(half) * -(math.log(10000.0) / (half - 1)))
        a = k[:, None] * f[None, :]
        return torch.cat((a.sin(), a.cos()), dim=-1)


class ConvGnMish(nn.Module):
    def __init__(self, ci, co, k, groups):
        super().__init__()
        self.conv = nn.Conv1d(ci, co, k, padding=k // 2)
        self.gn = nn.GroupNorm(groups, co)

    def forward(self, x):
        return nn.functional.mish(self.gn(self.conv(x)))


class ResBlock(nn.Module):
    def __init__(self, ci, co, cond_dim, k, groups):
        super().__init__()
        self.b1 = ConvGnMish(ci, co, k, groups)
        self.b2 = ConvGnMish(co, co, k, groups)
        self.film = nn.Linear(cond_dim, 2 * co)
        self.co = co
        self.skip = nn.Conv1d(ci, co, 1) if ci != co else None

    def forward(self, x, cond):
        out = self.b1(x)
        e = self.film(nn.functional.mish(cond)).reshape(x.shape[0], 2, self.co, 1)
        out = e[:, 0] * out + e[:, 1]
        out = self.b2(out)
        return out + (self.skip(x) if self.skip is not None else x)

    def named(self, p):
        out = [(f"{p}.conv1.w", self.b1.conv.weight), (f"{p}.conv1.b", self.b1.conv.bias),
               (f"{p}.gn1.g", self.b1.gn.weight), (f"{p}.gn1.b", self.b1.gn.bias),
               (f"{p}.film.w", self.film.weight), (f"{p}.film.b", self.film.bias),
               (f"{p}.conv2.w", self.b2.conv.weight), (f"{p}.conv2.b", self.b2.conv.bias),
               (f"{p}.gn2.g", self.b2.gn.weight), (f"{p}.gn2.b", self.b2.gn.bias)]
        if self.skip is not None:
            out += [(f"{p}.skip.w", self.skip.weight), (f"{p}.skip.b", self.skip.bias)]
        return out


class Unet(nn.Module):
    def __init__(self, A, D, dims, k, groups, E):
        super().__init__()
        self.E = E
        self.sin = SinusoidalStep(E)
        self.fc1 = nn.Linear(E, 4 * E)
        self.fc2 = nn.Linear(4 * E, E)
        cd = E + D
        L = len(dims)
        self.down = nn.ModuleList()
        self.downconv = nn.ModuleList()
        for l in range(L):
            ci = dims[l - 1] if l else A
            self.down.append(nn.ModuleList([ResBlock(ci, dims[l], cd, k, groups),
                                            ResBlock(dims[l], dims[l], cd, k, groups)]))
            if l < L - 1:
                self.downconv.append(nn.Conv1d(dims[l], dims[l], 3, 2, 1))
        self.mid = nn.ModuleList([ResBlock(dims[-1], dims[-1], cd, k, groups) for _ in range(2)])
        self.up = nn.ModuleList()
        self.upconv = nn.ModuleList()
        for j in range(L - 1):
            lv = L - 1 - j
            self.up.append(nn.ModuleList([ResBlock(2 * dims[lv], dims[lv - 1], cd, k, groups),
                                          ResBlock(dims[lv - 1], dims[lv - 1], cd, k, groups)]))
            self.upconv.append(nn.ConvTranspose1d(dims[lv - 1], dims[lv - 1], 4, 2, 1))
        self.final = ConvGnMish(dims[0], dims[0], k, groups)
        self.out = nn.Conv1d(dims[0], A, 1)

    def forward(self, x_btc, k, obs):
        step = self.fc2(nn.functional.mish(self.fc1(self.sin(k))))
        cond = torch.cat((step, obs), dim=-1)
        x = x_btc.transpose(1, 2)
        skips = []
        for l, (r0, r1) in enumerate(self.down):
            x = r1(r0(x, cond), cond)
            skips.append(x)
            if l < len(self.downconv):
                x = self.downconv[l](x)
        for m in self.mid:
            x = m(x, cond)
        for j, (r0, r1) in enumerate(self.up):
            x = torch.cat((x, skips.pop()), dim=1)
            x = r1(r0(x, cond), cond)
            x = self.upconv[j](x)
        x = self.out(self.final(x))
        return x.transpose(1, 2)

    def named(self):
        """(C name, tensor) pairs in the C registration order."""
        out = [("net.step.fc1.w", self.fc1.weight), ("net.step.fc1.b", self.fc1.bias),
               ("net.step.fc2.w", self.fc2.weight), ("net.step.fc2.b", self.fc2.bias)]
        for l, (r0, r1) in enumerate(self.down):
            out += r0.named(f"net.down{l}.res0") + r1.named(f"net.down{l}.res1")
            if l < len(self.downconv):
                out += [(f"net.down{l}.conv.w", self.downconv[l].weight),
                        (f"net.down{l}.conv.b", self.downconv[l].bias)]
        for i, m in enumerate(self.mid):
            out += m.named(f"net.mid.res{i}")
        for j, (r0, r1) in enumerate(self.up):
            out += r0.named(f"net.up{j}.res0") + r1.named(f"net.up{j}.res1")
            out += [(f"net.up{j}.conv.w", self.upconv[j].weight),
                    (f"net.up{j}.conv.b", self.upconv[j].bias)]
        out += [("net.final.conv.w", self.final.conv.weight), ("net.final.conv.b", self.final.conv.bias),
                ("net.final.gn.g", self.final.gn.weight), ("net.final.gn.b", self.final.gn.bias),
                ("net.final.out.w", self.out.weight), ("net.final.out.b", self.out.bias)]
        return out


def c_layout(name, t):
    """The C side's layout of a PyTorch parameter."""
    t = t.detach()
    if t.ndim == 3:  # Conv1d [o, i, K] and ConvTranspose1d [i, o, K] -> [dim0, K, dim1]
        return t.permute(0, 2, 1)
    if t.ndim == 2:  # Linear [out, in] -> [in, out]
        return t.t()
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "unet.txt"))
    args = ap.parse_args()
    torch.manual_seed(0)
    A, T, D, B = 2, 8, 3, 3
    net = Unet(A, D, [8, 16], 3, 4, 8)
    with torch.no_grad():
        for name, p in net.named():
            if ".gn" in name:
                p.copy_(torch.rand_like(p) + (0.5 if name.endswith(".g") else -0.5))
            p.copy_(p.to(torch.float32).to(torch.float64))
    f32 = lambda t: t.to(torch.float32).to(torch.float64)
    x = f32(torch.rand(B, T, A) * 3 - 1.5)
    k = torch.tensor([3.0, 41.0, 97.0])
    cond = f32(torch.rand(B, D) * 2 - 1).requires_grad_(True)
    r = f32(torch.rand(B, T, A) * 2 - 1)
    y = net(x, k, cond)
    (y * r).sum().backward()

    w = Writer("make_golden_unet.py")
    for name, t in (("x", x), ("k", k), ("cond", cond), ("r", r), ("y", y), ("dcond", cond.grad)):
        w.array(name, t)
    for name, p in net.named():
        w.array("p." + name, c_layout(name, p))
        w.array("g." + name, c_layout(name, p.grad))
    paper = Unet(7, 46, [256, 512, 1024], 5, 8, 256)
    w.array("paper.numel", np.array([sum(p.numel() for p in paper.parameters())], dtype=np.float64))
    w.save(args.out)
    print(f"wrote {args.out}; paper configuration: {sum(p.numel() for p in paper.parameters())} parameters")


if __name__ == "__main__":
    main()
