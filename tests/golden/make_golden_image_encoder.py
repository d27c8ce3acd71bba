#!/usr/bin/env python3
"""make_golden_image_encoder.py - PyTorch reference for the image encoder's golden test
(tests/golden/image_encoder.txt).

Run:  /tmp/peers/bin/python tests/golden/make_golden_image_encoder.py [--out tests/golden/image_encoder.txt]
(any Python with torch and numpy works). The output is committed; re-run only when the
encoder's definition changes on purpose.

The encoder is robomimic's VisualCore with a small conv trunk, written here from PyTorch's
own layers and robomimic's SpatialSoftmax definition (softmax over each channel's H x W
positions, expected coordinates on meshgrid(linspace(-1, 1, W), linspace(-1, 1, H)),
keypoints [B, K, 2] flattened), temperature 1:
  block i: Conv2d(k 3, stride s_i, padding 1) -> GroupNorm(2) -> ReLU, channels [4, 6],
  strides [2, 1]; Conv2d 1x1 to 3 keypoint maps; SpatialSoftmax; Linear(6 -> 5).
Input 2 frames of 11 x 10 x 3 (odd sizes, so padding and stride edges show), PyTorch's
default initialisation from a fixed seed with the GroupNorm affine parameters perturbed away
from 1 / 0. float64 from float32 values.

Written (the C side's layouts: images channels-last [B, H, W, C]; Conv2d weights [o, i, kh, kw]
permuted to [o, kh, kw, i]; Linear weights transposed to [in, out]):
  x [B, H, W, C], r [B, F] (dL/dy, L = sum r y), y [B, F], kp [B, 2K]
  p.<name>   every parameter, named as algorithms/image_encoder.c registers it ("enc.")
  g.<name>   dL/d parameter
  dx [B, H, W, C]
"""
import argparse
import os

import numpy as np
import torch
import torch.nn as nn

from golden_writer import Writer

torch.set_default_dtype(torch.float64)


class SpatialSoftmax(nn.Module):
    """robomimic's keypoints of each channel: expected (x, y) under softmax(feature)."""

    def forward(self, f):
        b, k, h, w = f.shape
        pos_x, pos_y = np.meshgrid(np.linspace(-1.0, 1.0, w), np.linspace(-1.0, 1.0, h))
        pos_x = torch.from_numpy(pos_x.reshape(1, h * w))
        pos_y = torch.from_numpy(pos_y.reshape(1, h * w))
        attn = torch.softmax(f.reshape(b * k, h * w), dim=-1)
        ex = (pos_x * attn).sum(1, keepdim=True)
        ey = (pos_y * attn).sum(1, keepdim=True)
        return torch.cat([ex, ey], 1).view(b, k, 2)


class Encoder(nn.Module):
    def __init__(self, cin, chans, strides, groups, kp, feat):
        super().__init__()
        self.convs, self.gns = nn.ModuleList(), nn.ModuleList()
        c = cin
        for co, s in zip(chans, strides):
            self.convs.append(nn.Conv2d(c, co, 3, stride=s, padding=1))
            self.gns.append(nn.GroupNorm(groups, co))
            c = co
        self.kp = nn.Conv2d(c, kp, 1)
        self.softmax = SpatialSoftmax()
        self.proj = nn.Linear(2 * kp, feat)

    def forward(self, x_nhwc):
        h = x_nhwc.permute(0, 3, 1, 2)
        for conv, gn in zip(self.convs, self.gns):
            h = torch.relu(gn(conv(h)))
        self.keypoints = self.softmax(self.kp(h)).flatten(1)
        return self.proj(self.keypoints)

    def named(self):
        out = []
        for i, (conv, gn) in enumerate(zip(self.convs, self.gns)):
            out += [(f"enc.block{i}.conv.w", conv.weight), (f"enc.block{i}.conv.b", conv.bias),
                    (f"enc.block{i}.gn.g", gn.weight), (f"enc.block{i}.gn.b", gn.bias)]
        out += [("enc.kp.w", self.kp.weight), ("enc.kp.b", self.kp.bias),
                ("enc.proj.w", self.proj.weight), ("enc.proj.b", self.proj.bias)]
        return out


def c_layout(t):
    t = t.detach()
    if t.ndim == 4:  # Conv2d [o, i, kh, kw] -> [o, kh, kw, i]
        return t.permute(0, 2, 3, 1)
    if t.ndim == 2:  # Linear [out, in] -> [in, out]
        return t.t()
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "image_encoder.txt"))
    args = ap.parse_args()
    torch.manual_seed(0)
    B, H, W, C = 2, 11, 10, 3
    enc = Encoder(C, [4, 6], [2, 1], 2, 3, 5)
    with torch.no_grad():
        for name, p in enc.named():
            if ".gn" in name:
                p.copy_(torch.rand_like(p) + (0.5 if name.endswith(".g") else -0.5))
            p.copy_(p.to(torch.float32).to(torch.float64))
    f32 = lambda t: t.to(torch.float32).to(torch.float64)
    x = f32(torch.rand(B, H, W, C)).requires_grad_(True)
    r = f32(torch.rand(B, 5) * 2 - 1)
    y = enc(x)
    (y * r).sum().backward()

    w = Writer("make_golden_image_encoder.py")
    for name, t in (("x", x), ("r", r), ("y", y), ("kp", enc.keypoints), ("dx", x.grad)):
        w.array(name, t)
    for name, p in enc.named():
        w.array("p." + name, c_layout(p))
    for name, p in enc.named():
        w.array("g." + name, c_layout(p.grad))
    w.save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
