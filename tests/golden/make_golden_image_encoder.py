#!/usr/bin/env python3
"""make_golden_image_encoder.py - PyTorch reference for the image encoder's golden tests
(tests/golden/image_encoder.txt: the conv trunk; tests/golden/resnet_encoder.txt: the ResNet
trunk).

Run:  /tmp/peers/bin/python tests/golden/make_golden_image_encoder.py [--dir tests/golden]
(any Python with torch, torchvision and numpy works). The outputs are committed; re-run only
when the encoder's definition changes on purpose.

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

resnet_encoder.txt: the same arrays for the ResNet trunk, built by torchvision's own ResNet
code (its stem, BasicBlock and _make_layer, so the shortcut rule and the layer names are
torchvision's) with GroupNorm(C / 2, C) for BatchNorm (Diffusion Policy's replacement; 2
channels per group at these widths, 16 in ResNet-18): stages of widths [4, 8] with 2
BasicBlocks each on 2 frames of 21 x 19 x 3, then the same keypoint head (3 keypoints,
Linear 6 -> 5). torchvision's names map to rise's as conv1 -> enc.conv1, bn1 -> enc.gn1,
layerS.J.bnK -> enc.layerS.J.gnK, layerS.J.downsample.0 / .1 -> enc.layerS.J.down.conv / .gn,
weight / bias -> w / b (g / b for norms). Also, for every parameter of torchvision's
resnet18(norm_layer=GroupNorm(C / 16, C)) but fc, "s.<rise name>" holds its shape in the C
layout, so the test can check that rise's ResNet-18 registers exactly those tensors.
"""
import argparse
import os

import numpy as np
import torch
import torch.nn as nn
from torchvision.models.resnet import BasicBlock, ResNet, resnet18

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


def gn_every(channels_per_group):
    return lambda c: nn.GroupNorm(c // channels_per_group, c)


def rise_name(tv):
    """torchvision's parameter name -> rise's ("enc." prefix)."""
    parts = tv.split(".")
    leaf = parts[-1]
    norm = False
    out = []
    for i, part in enumerate(parts[:-1]):
        if part.startswith("bn"):
            out.append("gn" + part[2:])
            norm = True
        elif part == "downsample":
            norm = parts[i + 1] == "1"
            out.append("down")
            out.append("gn" if norm else "conv")
            break
        else:
            out.append(part)
    out.append({"weight": "g" if norm else "w", "bias": "b"}[leaf])
    return "enc." + ".".join(out)


class ResNetEncoder(nn.Module):
    """torchvision's ResNet stem and stages (its own _make_layer) + the keypoint head."""

    def __init__(self, widths, blocks, channels_per_group, kp, feat):
        super().__init__()
        norm = gn_every(channels_per_group)
        tv = ResNet(BasicBlock, [blocks] * 4, norm_layer=norm)
        tv.inplanes = widths[0]
        tv.conv1 = nn.Conv2d(3, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
        tv.bn1 = norm(widths[0])
        self.trunk = nn.ModuleDict({"conv1": tv.conv1, "bn1": tv.bn1})
        self.stages = []
        for i, wd in enumerate(widths):
            layer = tv._make_layer(BasicBlock, wd, blocks, stride=1 if i == 0 else 2)
            self.trunk[f"layer{i + 1}"] = layer
            self.stages.append(layer)
        self.pool = tv.maxpool
        self.kp = nn.Conv2d(widths[-1], kp, 1)
        self.softmax = SpatialSoftmax()
        self.proj = nn.Linear(2 * kp, feat)

    def forward(self, x_nhwc):
        h = x_nhwc.permute(0, 3, 1, 2)
        h = self.pool(torch.relu(self.trunk["bn1"](self.trunk["conv1"](h))))
        for layer in self.stages:
            h = layer(h)
        self.keypoints = self.softmax(self.kp(h)).flatten(1)
        return self.proj(self.keypoints)

    def named(self):
        out = [(rise_name(n), p) for n, p in self.trunk.named_parameters()]
        out += [("enc.kp.w", self.kp.weight), ("enc.kp.b", self.kp.bias),
                ("enc.proj.w", self.proj.weight), ("enc.proj.b", self.proj.bias)]
        return out


def write(enc, path, shape, feat, extra=None):
    """Perturbs enc's GroupNorm affine parameters, runs it on a random batch of shape
    [B, H, W, C] with dL/dy = r, and writes every array (the RNG continues from the caller's
    seed, so the file depends only on it)."""
    B, H, W, C = shape
    with torch.no_grad():
        for name, p in enc.named():
            if ".gn" in name:
                p.copy_(torch.rand_like(p) + (0.5 if name.endswith(".g") else -0.5))
            p.copy_(p.to(torch.float32).to(torch.float64))
    f32 = lambda t: t.to(torch.float32).to(torch.float64)
    x = f32(torch.rand(B, H, W, C)).requires_grad_(True)
    r = f32(torch.rand(B, feat) * 2 - 1)
    y = enc(x)
    (y * r).sum().backward()

    w = Writer("make_golden_image_encoder.py")
    for name, t in (("x", x), ("r", r), ("y", y), ("kp", enc.keypoints), ("dx", x.grad)):
        w.array(name, t)
    for name, p in enc.named():
        w.array("p." + name, c_layout(p))
    for name, p in enc.named():
        w.array("g." + name, c_layout(p.grad))
    if extra:
        extra(w)
    w.save(path)
    print(f"wrote {path}")


def resnet18_shapes(w):
    tv = resnet18(norm_layer=gn_every(16))
    for n, p in tv.named_parameters():
        if not n.startswith("fc."):
            w.array("s." + rise_name(n), list(c_layout(p).shape))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=os.path.dirname(__file__))
    args = ap.parse_args()
    torch.manual_seed(0)
    write(Encoder(3, [4, 6], [2, 1], 2, 3, 5), os.path.join(args.dir, "image_encoder.txt"),
          (2, 11, 10, 3), 5)
    torch.manual_seed(0)
    write(ResNetEncoder([4, 8], 2, 2, 3, 5), os.path.join(args.dir, "resnet_encoder.txt"),
          (2, 21, 19, 3), 5, resnet18_shapes)


if __name__ == "__main__":
    main()
