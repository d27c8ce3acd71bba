#!/usr/bin/env bash
# run.sh - the maze coverage comparison: BC on expert data, BC on all data, IDQL and
# RISE, trained on the same expert + play data with several seeds, each evaluated on
# the 10x10 coverage grid; prints mean +- std per method and writes results.md.
#
#   paper_repro/maze_coverage/run.sh                       3 seeds, 4000 steps each
#   paper_repro/maze_coverage/run.sh --seeds "0" --steps 1500 --methods "bc_expert idql rise"
#   paper_repro/maze_coverage/run.sh --task push --out runs/push_coverage   (MuJoCo push)
#
# Data (generated once, fixed seeds): 100 expert demonstrations from the expert's start
# box and 200 play episodes over the whole region, in runs/data/<task>_{expert,play}.h5
# (the configs paper_repro/configs/<task>_<method>.json point there).
set -euo pipefail
cd "$(dirname "$0")/../.."
# OpenMP threads that spin while they wait starve each other on a shared, busy machine: an
# IDQL evaluation took 156 s instead of 5 s with the default policy at load 25 on 2 cores.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
task=maze; seeds="0 1 2"; steps=4000; out=runs/maze_coverage; build=build; trials=3
methods="bc_expert bc_all idql rise"
while [ $# -gt 0 ]; do
  case "$1" in
    --task) task="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --trials) trials="$2"; shift 2 ;;
    --methods) methods="$2"; shift 2 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
rise="$build/rise"
mkdir -p runs/data "$out"
for kind in expert play; do
  seed=1; n=100; [ "$kind" = play ] && { seed=2; n=200; }
  [ -f "runs/data/${task}_$kind.h5" ] || "$rise" gen --task "$task" --kind "$kind" --episodes "$n" \
    --seed "$seed" --out "runs/data/${task}_$kind.h5"
done
for m in $methods; do
  for s in $seeds; do
    run="$out/${m}_s$s"
    echo "== $m seed $s -> $run"
    "$rise" train --config "paper_repro/configs/${task}_$m.json" --set train.seed="$s" \
      --set train.steps="$steps" --out "$run" --quiet
    "$rise" eval "$run" --trials "$trials" --seed 0 --quiet | tail -2
  done
done
python3 paper_repro/maze_coverage/summarize.py "$out" $methods | tee "$out/results.md"
