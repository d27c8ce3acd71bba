#!/usr/bin/env bash
# run.sh - square: how the critic's choice among K candidates decides the result. Trains
# IDQL, RISE with the spectral penalty only and RISE on the square data (expert + play),
# then evaluates each run three ways on the 10x10 coverage grid: the greedy argmax of
# min(Q1, Q2) over K = 16 candidates (the paper's rule), the diffusion policy alone (K = 1)
# and IDQL's expectile resampling over K = 16; prints a table and writes results.md.
#
#   paper_repro/square_extraction/run.sh                     20000 steps, seed 0
#   paper_repro/square_extraction/run.sh --steps 4000 --seeds "0 1 2" --methods idql
#
# About 8 minutes per method and seed on a 2-core CPU at 20000 steps. Data (generated once):
# runs/data/square_{expert,play}.h5, as paper_repro/maze_coverage/run.sh --task square makes.
set -euo pipefail
cd "$(dirname "$0")/../.."
seeds="0"; steps=20000; out=runs/square_extraction; build=build
methods="idql rise_no_relabel rise"
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --methods) methods="$2"; shift 2 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
rise="$build/rise"
mkdir -p runs/data "$out"
[ -f runs/data/square_expert.h5 ] || "$rise" gen --task square --kind expert --episodes 100 \
  --seed 1 --out runs/data/square_expert.h5
[ -f runs/data/square_play.h5 ] || "$rise" gen --task square --kind play --episodes 200 \
  --seed 2 --out runs/data/square_play.h5
coverage() { # run extra-args... -> coverage
  local run=$1; shift
  "$rise" eval "$run" "$@" --trials 2 --seed 0 --quiet --out "$run/eval_tmp" |
    sed -n 's/.*coverage \([0-9.]*\) (100 cells).*/\1/p'
}
{
  echo "| method | seed | steps | argmax, K = 16 | policy alone, K = 1 | expectile, K = 16 |"
  echo "| --- | --- | --- | --- | --- | --- |"
} > "$out/results.md"
for m in $methods; do
  for s in $seeds; do
    run="$out/${m}_s$s"
    echo "== $m seed $s -> $run"
    "$rise" train --config "paper_repro/configs/square_$m.json" --set train.seed="$s" \
      --set train.steps="$steps" --set train.log_every=2000 --out "$run" --quiet
    a=$(coverage "$run")
    k1=$(coverage "$run" --candidates 1)
    ex=$(coverage "$run" --extract-rule expectile)
    echo "| $m | $s | $steps | $a | $k1 | $ex |" | tee -a "$out/results.md"
  done
done
cat "$out/results.md"
