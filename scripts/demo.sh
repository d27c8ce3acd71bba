#!/usr/bin/env bash
# demo.sh - sets up, builds and runs the main job, `rise demo`: generate maze data (expert
# demos from a narrow start box + play), train diffusion BC on the expert data, IDQL, RISE
# and RISE with the spectral penalty only (4000 steps each), evaluate each on the 10x10
# coverage grid, print the comparison table. Maps: runs/demo/<method>_s0/eval/coverage.png. Options go to `rise demo`
# (see build/rise demo --help), e.g. scripts/demo.sh --steps 1500 --methods bc_expert,rise
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build/rise demo "$@"
