"""test_embed_images.py - scripts/embed_images.py writes <camera>_embedding keys that RISE
relabels on (data.relabel_keys).

Run: ctest -R test_embed_images (needs h5py: scripts/setup.sh). On maze image data
(`rise gen --obs image`: camera only) the `pixels` model (no weights needed; the DINOv2 models
need torch and a download, not available to the tests) writes obs/ and
next_obs/agentview_image_embedding in every demo, float32 [N, 8 * 8 * 3], each row the 8 x 8
block means of its frame (checked against numpy here); a second run keeps them unless
--force; a missing camera and a wrong model are refused with the reason; then `rise train`
with relabelling on the embedding (and no low-dim key at all) finds pairs, which the
header's relabel block reports with the key as its features.
"""
import json
import os
import subprocess
import sys

import numpy as np

from rise_test_util import check, finish, fresh_dir, need_modules, rise

need_modules("h5py")
import h5py  # noqa: E402

root = os.environ.get("RISE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
script = os.path.join(root, "scripts", "embed_images.py")
tmp = fresh_dir("embed_images")
expert, play = os.path.join(tmp, "expert.h5"), os.path.join(tmp, "play.h5")
for kind, path, seed in (("expert", expert, 0), ("play", play, 1)):
    rise("gen", "--task", "maze", "--kind", kind, "--episodes", 6, "--seed", seed, "--obs",
         "image", "--image-size", 24, "--out", path, "--quiet")


def run(*args):
    return subprocess.run([sys.executable, script] + [str(a) for a in args],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)


for path in (expert, play):
    r = run(path, "--model", "pixels")
    check(r.returncode == 0 and "wrote agentview_image_embedding" in r.stdout,
          "embed %s: %s" % (os.path.basename(path), r.stdout.strip()))

with h5py.File(expert, "r") as f:
    bad = 0
    for d in f["data"]:
        for grp in ("obs", "next_obs"):
            frames = f["data"][d][grp]["agentview_image"][()].astype(np.float64) / 255.0
            emb = f["data"][d][grp]["agentview_image_embedding"][()]
            n = frames.shape[0]
            want = frames.reshape(n, 8, 3, 8, 3, 3).mean(axis=(2, 4)).reshape(n, -1)
            bad += emb.dtype != np.float32 or emb.shape != (n, 192) or \
                not np.allclose(emb, want, atol=1e-6)
    check(bad == 0, "every embedding is its frame's 8 x 8 block means (%d groups wrong)" % bad)

r = run(expert, "--model", "pixels")
check(r.returncode == 0 and "into 0 groups" in r.stdout, "an existing embedding is kept: %s"
      % r.stdout.strip())
r = run(expert, "--model", "pixels", "--camera", "wrist_image")
check(r.returncode != 0 and "no 'wrist_image'" in r.stdout, "missing camera: %s" % r.stdout.strip())
r = run(expert, "--model", "resnet")
check(r.returncode != 0 and "--model resnet" in r.stdout, "unknown model: %s" % r.stdout.strip())

out = os.path.join(tmp, "run")
rise("train", "--set", "train.algo=rise", "--set", "train.steps=4", "--set", "train.batch=16",
     "--set", "train.log_every=2", "--set", "policy.width=16", "--set", "critic.width=16",
     "--set", "spectral.width=16", "--set", "encoder.channels=8", "--set", "encoder.strides=2",
     "--set", "encoder.keypoints=4", "--set", "encoder.feat_dim=8",
     "--set", "relabel.enable=true", "--set", "relabel.skip_expert=0",
     "--set", "relabel.skip_nonexpert=0", "--set", "relabel.threshold=0.2",
     "--set", "data.sources=expert:%s,non_expert:%s" % (expert, play),
     "--set", "data.obs_keys=agentview_image",
     "--set", "data.relabel_keys=agentview_image_embedding", "--out", out)
with open(os.path.join(out, "header.json")) as f:
    rel = json.load(f)["relabel"]
check(rel.get("pairs", 0) > 0 and "agentview_image_embedding (192 values)" in rel.get("features", ""),
      "RISE relabels a camera-only dataset on its embeddings: %s" % rel)
finish()
