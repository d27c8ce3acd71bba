#!/usr/bin/env bash
# run.sh - an ad-hoc coverage comparison: writes a sweep spec for the given task, methods,
# seeds and budget to OUT/run_spec.json, runs it with `rise sweep` (resumable: the same
# command continues a stopped run) and prints `rise sweep report OUT`. The tables in
# docs/results.md come from the fixed specs next to this script (sweep.json, ablation.json,
# sparse.json, cql_variants.json, push.json, square.json); use this for quick variations.
#
#   paper_repro/maze_coverage/run.sh --seeds "0" --steps 1500 --methods "bc_expert idql rise"
#   paper_repro/maze_coverage/run.sh --task push --out runs/push_quick --trials 2
#
# Methods name configs paper_repro/configs/<task>_<method>.json; data (generated once, fixed
# seeds): runs/data/<task>_{expert,play}.h5. Runs land in OUT/<method>/s<seed>.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
task=maze; seeds="0 1 2"; steps=4000; out=""; build=build; trials=3; jobs=1
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
    --jobs) jobs="$2"; shift 2 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="runs/${task}_coverage"
mkdir -p "$out"
configs=""
for m in $methods; do
  configs+="${configs:+, }\"$m\": \"$root/paper_repro/configs/${task}_$m.json\""
done
seed_list=$(echo $seeds | tr ' ' ',')
data="$root/runs/data"
cat > "$out/run_spec.json" <<EOF
{
  "comment": "written by paper_repro/maze_coverage/run.sh",
  "name": "${task}_coverage",
  "configs": {$configs},
  "set": {"train.steps": $steps},
  "seeds": [$seed_list],
  "prepare": [
    {"creates": "$data/${task}_expert.h5", "rise": ["gen", "--task", "$task", "--kind", "expert",
     "--episodes", 100, "--seed", 1, "--out", "$data/${task}_expert.h5"]},
    {"creates": "$data/${task}_play.h5", "rise": ["gen", "--task", "$task", "--kind", "play",
     "--episodes", 200, "--seed", 2, "--out", "$data/${task}_play.h5"]}
  ],
  "evals": [{"args": ["--trials", $trials, "--seed", 0]}],
  "metrics": [
    {"name": "coverage", "file": "eval/coverage.json", "key": "coverage"},
    {"name": "coverage_outside", "file": "eval/coverage.json", "key": "coverage_outside_expert_region"},
    {"name": "success", "file": "eval/coverage.json", "key": "success_rate"},
    {"name": "cand_spread", "file": "metrics.csv", "column": "cand_spread"},
    {"name": "q_expert", "file": "metrics.csv", "column": "q_expert"},
    {"name": "q_nonexpert", "file": "metrics.csv", "column": "q_nonexpert"}
  ],
  "table": {"row": "method", "columns": [
    {"title": "seeds", "metric": "coverage", "show": "n"},
    {"title": "coverage", "metric": "coverage"},
    {"title": "coverage outside expert region", "metric": "coverage_outside"},
    {"title": "success", "metric": "success"},
    {"title": "candidate spread", "metric": "cand_spread"},
    {"title": "Q expert / non-expert", "metric": ["q_expert", "q_nonexpert"], "show": "mean", "digits": 2}
  ]}
}
EOF
"$build/rise" sweep "$out/run_spec.json" --out "$out" --jobs "$jobs"
"$build/rise" sweep report "$out"
