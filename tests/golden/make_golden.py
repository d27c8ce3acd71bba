#!/usr/bin/env python3
"""make_golden.py - PyTorch reference for the network golden test (tests/golden/networks.txt).

Run:  /tmp/torchenv/bin/python tests/golden/make_golden.py [--out tests/golden/networks.txt]
(any Python with torch and numpy works). The output is committed; re-run only when the
networks' definitions change on purpose.

Three small networks, each with explicit initial weights, one batch and an MSE loss:
  mlp      in 6 -> [16, 16] -> 4, each hidden layer Linear -> LayerNorm(eps 1e-5) -> mish
           (the first layer's weights are scaled by 0.02 so the pre-LayerNorm variance is
           ~1e-4 and the LayerNorm eps visibly matters)
  res      IDQL's LN-ResNet: in 6 -> Linear(8) -> 2 x [LayerNorm -> Linear(32) -> mish ->
           Linear(8)] residual -> mish -> Linear(4)   (no dropout)
  gelu     in 6 -> [16] -> 4, Linear -> GELU(tanh form), no LayerNorm
LayerNorm gamma/beta are perturbed away from 1/0 so a missing affine term shows. The
reference runs in float64 from float32 initial values, so its own rounding is negligible
next to the float32 C code under test.

Written per network N (weights "*.w" in PyTorch's [out, in] layout; the C side transposes
into its [in, out] layout; every other tensor has the same layout on both sides):
  N.x [B, in], N.target [B, out], N.out [B, out], N.loss [1]
  N.<param>             initial values, names exactly as the C networks register them
  N.grad.<param>        d loss / d param at the initial values
  N.adam1.<param>       after one Adam step (lr 1e-2, betas 0.9/0.999, eps 1e-8)
  N.adam3.<param>       after three Adam steps on the same batch (fresh gradient each step)
  N.adamw3.<param>      after three AdamW steps (weight_decay 0.1) with clip_grad_norm_
                        at N.clip (half the initial gradient norm, so clipping is active)
  gelu.out_erf          the output with exact (erf) GELU instead: the C test checks it is
                        far outside its tolerance, i.e. the test can tell the two forms apart
and the shared hyper-parameters adam.lr, adam.beta1, adam.beta2, adam.eps, adamw.wd.

File format (plain text, read by tests/golden/golden_file.h):
  line 1: "rise-golden 1"; lines starting with '#' are comments;
  each array: "array NAME NDIM D0 .. D(NDIM-1)" then its prod(D) values, row-major,
  whitespace-separated (%.9g, so float32 values round-trip exactly); "end" at the end.
"""
import argparse
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from golden_writer import Writer

torch.set_default_dtype(torch.float64)

LR, BETA1, BETA2, EPS, WD = 1e-2, 0.9, 0.999, 1e-8, 0.1
LN_EPS = 1e-5
BATCH = 8


def f32(t):
    """Round to float32 (what the file stores) and back to float64."""
    return t.detach().to(torch.float32).to(torch.float64)


class Mlp(nn.Module):
    def __init__(self, dims, layernorm, act):
        super().__init__()
        self.fc = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-2], dims[1:-1]))
        self.ln = nn.ModuleList(nn.LayerNorm(b, eps=LN_EPS) for b in dims[1:-1]) if layernorm else None
        self.out = nn.Linear(dims[-2], dims[-1])
        self.act = act

    def forward(self, x):
        for i, fc in enumerate(self.fc):
            x = fc(x)
            if self.ln is not None:
                x = self.ln[i](x)
            x = self.act(x)
        return self.out(x)

    def named(self):
        """(C name, tensor) pairs in the C registration order."""
        out = []
        for i, fc in enumerate(self.fc):
            out += [(f"fc{i}.w", fc.weight), (f"fc{i}.b", fc.bias)]
            if self.ln is not None:
                out += [(f"ln{i}.g", self.ln[i].weight), (f"ln{i}.b", self.ln[i].bias)]
        return out + [("out.w", self.out.weight), ("out.b", self.out.bias)]


class LnResNet(nn.Module):
    def __init__(self, din, hidden, blocks, dout):
        super().__init__()
        self.inp = nn.Linear(din, hidden)
        self.ln = nn.ModuleList(nn.LayerNorm(hidden, eps=LN_EPS) for _ in range(blocks))
        self.fc1 = nn.ModuleList(nn.Linear(hidden, 4 * hidden) for _ in range(blocks))
        self.fc2 = nn.ModuleList(nn.Linear(4 * hidden, hidden) for _ in range(blocks))
        self.out = nn.Linear(hidden, dout)

    def forward(self, x):
        x = self.inp(x)
        for ln, fc1, fc2 in zip(self.ln, self.fc1, self.fc2):
            x = x + fc2(F.mish(fc1(ln(x))))
        return self.out(F.mish(x))

    def named(self):
        out = [("in.w", self.inp.weight), ("in.b", self.inp.bias)]
        for k in range(len(self.ln)):
            out += [(f"blk{k}.ln.g", self.ln[k].weight), (f"blk{k}.ln.b", self.ln[k].bias),
                    (f"blk{k}.fc1.w", self.fc1[k].weight), (f"blk{k}.fc1.b", self.fc1[k].bias),
                    (f"blk{k}.fc2.w", self.fc2[k].weight), (f"blk{k}.fc2.b", self.fc2[k].bias)]
        return out + [("out.w", self.out.weight), ("out.b", self.out.bias)]


def snapshot(net):
    return [p.detach().clone() for _, p in net.named()]


def restore(net, values):
    with torch.no_grad():
        for (_, p), v in zip(net.named(), values):
            p.copy_(v)


def run_steps(net, x, target, opt, steps, clip=None):
    after = []
    for _ in range(steps):
        opt.zero_grad()
        F.mse_loss(net(x), target).backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_([p for _, p in net.named()], clip)
        opt.step()
        after.append(snapshot(net))
    return after


def emit(w, prefix, net, x, target, extra=None):
    params = [p for _, p in net.named()]
    init = snapshot(net)
    out = net(x)
    loss = F.mse_loss(out, target)
    net.zero_grad()
    loss.backward()
    grads = [p.grad.detach().clone() for p in params]
    gnorm = math.sqrt(sum(float((g * g).sum()) for g in grads))
    for (name, _), g in zip(net.named(), grads):
        # One Adam step moves each weight by ~lr * sign(g); a gradient near float32 rounding
        # would make that sign (and the golden step) fragile.
        assert float(g.abs().min()) > 1e-7 * gnorm, f"{prefix}.{name}: a gradient is ~0"
    w.array(f"{prefix}.x", x)
    w.array(f"{prefix}.target", target)
    w.array(f"{prefix}.out", out)
    w.array(f"{prefix}.loss", loss.reshape(1))
    for (name, _), v in zip(net.named(), init):
        w.array(f"{prefix}.{name}", v)
    for (name, _), g in zip(net.named(), grads):
        w.array(f"{prefix}.grad.{name}", g)

    opt = torch.optim.Adam(params, lr=LR, betas=(BETA1, BETA2), eps=EPS, foreach=False)
    adam = run_steps(net, x, target, opt, 3)
    for tag, vals in (("adam1", adam[0]), ("adam3", adam[2])):
        for (name, _), v in zip(net.named(), vals):
            w.array(f"{prefix}.{tag}.{name}", v)

    restore(net, init)
    clip = float(np.float32(0.5 * gnorm))
    opt = torch.optim.AdamW(params, lr=LR, betas=(BETA1, BETA2), eps=EPS, weight_decay=WD,
                            foreach=False)
    adamw = run_steps(net, x, target, opt, 3, clip=clip)
    for (name, _), v in zip(net.named(), adamw[2]):
        w.array(f"{prefix}.adamw3.{name}", v)
    w.array(f"{prefix}.clip", [clip])
    restore(net, init)
    print(f"{prefix}: loss {float(loss.detach()):.6g}, grad norm {gnorm:.4g}, "
          f"{sum(p.numel() for p in params)} parameters")
    return out


def round_params(net):
    with torch.no_grad():
        for _, p in net.named():
            p.copy_(f32(p))


def perturb_layernorms(net, gen):
    with torch.no_grad():
        for name, p in net.named():
            if ".ln" in "." + name:
                base = 1.0 if name.endswith(".g") else 0.0
                p.copy_(base + 0.1 * torch.randn(p.shape, generator=gen))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "networks.txt"))
    args = ap.parse_args()
    torch.manual_seed(1234)
    gen = torch.Generator().manual_seed(99)
    w = Writer("make_golden.py")
    for name, v in (("adam.lr", LR), ("adam.beta1", BETA1), ("adam.beta2", BETA2),
                    ("adam.eps", EPS), ("adamw.wd", WD), ("ln.eps", LN_EPS)):
        w.array(name, [v])

    # mlp: small first layer so the LayerNorm eps matters (see the docstring).
    mlp = Mlp([6, 16, 16, 4], True, F.mish)
    with torch.no_grad():
        mlp.fc[0].weight.mul_(0.02)
        mlp.fc[0].bias.mul_(0.02)
    perturb_layernorms(mlp, gen)
    round_params(mlp)
    x = f32(torch.rand(BATCH, 6, generator=gen) * 2 - 1)
    t = f32(torch.randn(BATCH, 4, generator=gen))
    out = emit(w, "mlp", mlp, x, t)
    # Sensitivity: the reference must move far more than the test tolerance when eps changes.
    for ln in mlp.ln:
        ln.eps = 1e-6
    delta = float((mlp(x) - out).abs().max())
    for ln in mlp.ln:
        ln.eps = LN_EPS
    print(f"mlp: max |out(eps=1e-6) - out(eps=1e-5)| = {delta:.3g}")
    assert delta > 1e-3, "LayerNorm eps does not matter enough for the golden test"

    res = LnResNet(6, 8, 2, 4)
    perturb_layernorms(res, gen)
    round_params(res)
    x = f32(torch.rand(BATCH, 6, generator=gen) * 2 - 1)
    t = f32(torch.randn(BATCH, 4, generator=gen))
    emit(w, "res", res, x, t)

    gelu = Mlp([6, 16, 4], False, lambda z: F.gelu(z, approximate="tanh"))
    round_params(gelu)
    x = f32(torch.rand(BATCH, 6, generator=gen) * 4 - 2)
    t = f32(torch.randn(BATCH, 4, generator=gen))
    out = emit(w, "gelu", gelu, x, t)
    gelu.act = F.gelu
    out_erf = gelu(x)
    w.array("gelu.out_erf", out_erf)
    print(f"gelu: max |tanh form - erf form| = {float((out_erf - out).abs().max()):.3g}")

    w.save(args.out)
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")


if __name__ == "__main__":
    main()
