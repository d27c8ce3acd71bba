#!/usr/bin/env bash
# demo.sh - sets up, builds and runs the main job: generate maze data (expert demos from a
# narrow start box + play), train diffusion BC on the expert data, IDQL and RISE (one seed,
# 2500 steps each), evaluate each on the 10x10 coverage grid, print the comparison table.
# About 10 minutes on a 2-core CPU. Maps: runs/demo/<method>_s0/eval/coverage.png.
#   scripts/demo.sh [--steps N] [--seeds "0 1 2"] [--methods "bc_expert bc_all idql rise"]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
paper_repro/maze_coverage/run.sh --out runs/demo --seeds 0 --steps 2500 --trials 2 \
  --methods "bc_expert idql rise" "$@"
