#!/usr/bin/env python3
"""embed_images.py - writes image embeddings into a robomimic-layout dataset, for RISE's
neighbour relabelling on images (data.relabel_keys).

    scripts/embed_images.py FILE.h5 [--camera agentview_image] [--model dinov2_vits14]
                            [--batch 128] [--device cpu|cuda] [--force]

For every demo, obs/<camera> (uint8 [N, H, W, C]) becomes obs/<camera>_embedding (float32
[N, E]), and next_obs/<camera> next_obs/<camera>_embedding when present. Then train with
    --set data.relabel_keys=<camera>_embedding
(the key is read for the neighbour search only, never as a network input).

Models:
  dinov2_vits14 (and _vitb14, _vitl14, _vitg14): the paper's features, the CLS token of
      DINOv2 (torch.hub facebookresearch/dinov2; the weights download once into torch's hub
      cache, so run this on a machine with internet, then copy the file). Frames are resized
      to 224 x 224 and normalised with ImageNet's mean and std. Needs torch.
  pixels: the frame average-pooled to 8 x 8, values in [0, 1] (8 x 8 x C numbers); needs no
      weights and no torch: a baseline, and what the tests run.
An existing embedding is kept unless --force; the file is changed in place (copy it first if
it is the only one).
Without DINOv2, `rise data embed RUN_DIR FILE.h5` writes the same keys from a trained image
policy's own encoder (docs/datasets.md, "Relabelling on images").
"""
import argparse
import sys

import h5py
import numpy as np


def pixels(frames):
    """[N, H, W, C] uint8 -> [N, 8 * 8 * C] float32: means over an 8 x 8 grid of blocks."""
    n, h, w, c = frames.shape
    x = frames.astype(np.float32) / 255.0
    rows = np.array_split(np.arange(h), 8)
    cols = np.array_split(np.arange(w), 8)
    out = np.empty((n, 8, 8, c), np.float32)
    for i, r in enumerate(rows):
        for j, q in enumerate(cols):
            out[:, i, j, :] = x[:, r][:, :, q].mean(axis=(1, 2))
    return out.reshape(n, -1)


class Dino:
    def __init__(self, name, device):
        import torch  # only this model needs it
        self.torch = torch
        self.device = device
        self.model = torch.hub.load("facebookresearch/dinov2", name).to(device).eval()
        self.mean = torch.tensor([0.485, 0.456, 0.406], device=device).view(1, 3, 1, 1)
        self.std = torch.tensor([0.229, 0.224, 0.225], device=device).view(1, 3, 1, 1)

    def __call__(self, frames):
        torch = self.torch
        with torch.no_grad():
            x = torch.from_numpy(frames[..., :3]).to(self.device).permute(0, 3, 1, 2).float() / 255.0
            x = torch.nn.functional.interpolate(x, size=(224, 224), mode="bilinear",
                                                align_corners=False)
            x = (x - self.mean) / self.std
            return self.model(x).float().cpu().numpy()


def embed(model, frames, batch):
    parts = [model(frames[i:i + batch]) for i in range(0, len(frames), batch)]
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, 0), np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--camera", default="agentview_image")
    ap.add_argument("--model", default="dinov2_vits14")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args()
    if a.model == "pixels":
        model = pixels
    elif a.model.startswith("dinov2_"):
        model = Dino(a.model, a.device)
    else:
        sys.exit(f"embed_images.py: --model {a.model}: expected pixels or dinov2_vits14 "
                 "(vitb14, vitl14, vitg14)")
    key = a.camera + "_embedding"
    written = 0
    with h5py.File(a.file, "r+") as f:
        if "data" not in f:
            sys.exit(f"embed_images.py: {a.file}: no 'data' group (not a robomimic-layout file)")
        demos = sorted(f["data"].keys())
        for d in demos:
            for grp in ("obs", "next_obs"):
                g = f["data"][d].get(grp)
                if g is None or a.camera not in g:
                    if grp == "obs":
                        sys.exit(f"embed_images.py: {a.file}: data/{d}/obs has no '{a.camera}' "
                                 f"(keys: {', '.join(sorted(g.keys())) if g is not None else 'none'})")
                    continue
                frames = g[a.camera]
                if frames.dtype != np.uint8 or frames.ndim != 4:
                    sys.exit(f"embed_images.py: {a.file}: data/{d}/{grp}/{a.camera} is "
                             f"{frames.dtype} {frames.shape}; expected uint8 (N, H, W, C)")
                if key in g:
                    if not a.force:
                        continue
                    del g[key]
                g.create_dataset(key, data=embed(model, frames[()], a.batch))
                written += 1
    print(f"embed_images.py: {a.file}: wrote {key} ({a.model}) into {written} groups of "
          f"{len(demos)} demos")


if __name__ == "__main__":
    main()
