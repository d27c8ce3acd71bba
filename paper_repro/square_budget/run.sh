#!/usr/bin/env bash
# run.sh - square: IDQL against RISE over several seeds, trained for as many steps as a time
# budget allows (up to --max-steps), each evaluated on the coverage grid with the paper's
# greedy argmax and with IDQL's expectile resampling; results.json and results.md.
#
#   paper_repro/square_budget/run.sh --budget SECONDS [--backend cpu|cuda] [--seeds "0 1 2"]
#       [--methods "idql rise"] [--max-steps 200000] [--calib-steps 1000] [--grid 10]
#       [--trials 2] [--build build] [--out runs/square_budget]
#
# How the budget is spent (scripts/gpu_session.sh's paper stage gives it what is left):
#  1. data: runs/data/square_{expert,play}.h5, generated once with the seeds of
#     paper_repro/maze_coverage/run.sh --task square (what paper_repro/configs/square_* read);
#  2. calibration: every run (method x seed) trains --calib-steps steps, all at once, as they
#     will later share the device; the slowest run's own steps/s and the rest of its wall
#     time (start-up: data, device set-up, graph capture) give the rate;
#  3. one evaluation round of those checkpoints (both rules, all runs at once) gives the time
#     an evaluation round takes (an upper bound: failing episodes run to the horizon) and an
#     early point of the learning curve;
#  4. S = calib + 0.85 rate x (time left - start-up - 1.3 x eval round - margin), rounded to a
#     multiple of calib below, at most --max-steps; every run resumes to S (bit for bit the run
#     it would have been), under a time limit, checkpointing every S/10 steps; a run stopped by
#     its limit is evaluated at its last checkpoint, and the step it reached is reported;
#  5. the final evaluation round; paper_repro/square_budget/summarize.py writes the tables.
# Exit status: 0 when every run trained and was evaluated, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/../.."
budget= backend=cuda seeds="0 1 2" methods="idql rise" max_steps=200000 calib=1000 grid=10
trials=2 build=build out=runs/square_budget
while [ $# -gt 0 ]; do
    case "$1" in
    --budget) budget=$2; shift 2 ;;
    --backend) backend=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --methods) methods=$2; shift 2 ;;
    --max-steps) max_steps=$2; shift 2 ;;
    --calib-steps) calib=$2; shift 2 ;;
    --grid) grid=$2; shift 2 ;;
    --trials) trials=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h | --help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ $budget =~ ^[0-9]+$ ]] || { echo "run.sh: --budget SECONDS is required" >&2; exit 2; }
rise=$build/rise
[ -x "$rise" ] || { echo "run.sh: $rise not built" >&2; exit 1; }
t0=$(date +%s)
left() { echo $((budget - ($(date +%s) - t0))); }
mkdir -p runs/data "$out"
cores=$(nproc)
runs=()
for m in $methods; do for s in $seeds; do runs+=("${m}_s$s"); done; done
nruns=${#runs[@]}
per_run_threads=$(((cores + nruns - 1) / nruns))
export OMP_NUM_THREADS=$per_run_threads OMP_WAIT_POLICY=passive
log() { echo "[square_budget $(($(date +%s) - t0))s] $*"; }

# 1. data
for kind in expert play; do
    seed=1 n=100
    [ "$kind" = play ] && { seed=2; n=200; }
    f=runs/data/square_$kind.h5
    [ -f "$f" ] || "$rise" gen --task square --kind "$kind" --episodes "$n" --seed "$seed" --out "$f" --quiet ||
        { echo "run.sh: could not generate $f" >&2; exit 1; }
done

# train_all STEPS LIMIT_S: every run to STEPS (resuming when it has a checkpoint), at once
train_all() {
    local steps=$1 limit=$2 pids=() r m s ckpt
    ckpt=$((steps / 10 / calib * calib))
    [ "$ckpt" -ge "$calib" ] || ckpt=$calib
    for r in "${runs[@]}"; do
        m=${r%_s*} s=${r##*_s}
        if [ -f "$out/$r/checkpoint.h5" ]; then
            timeout -k 5 "$limit" "$rise" train --out "$out/$r" --resume --set train.steps="$steps" \
                --set train.ckpt_every="$ckpt" --quiet >>"$out/$r.train.log" 2>&1 &
        else
            timeout -k 5 "$limit" "$rise" train --config "paper_repro/configs/square_$m.json" \
                --set train.seed="$s" --set train.steps="$steps" --set train.backend="$backend" \
                --set train.log_every=500 --set train.ckpt_every="$ckpt" --out "$out/$r" \
                --quiet >>"$out/$r.train.log" 2>&1 &
        fi
        pids+=($!)
    done
    local bad=0 i
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" || {
            local rc=$?
            bad=1
            log "${runs[$i]}: training stopped (exit $rc$([ $rc -eq 124 ] && echo ': its time limit')), see $out/${runs[$i]}.train.log"
        }
    done
    return $bad
}
# eval_all TAG: every run, argmax and expectile, at once; writes RUN/eval_TAG_RULE/
eval_all() {
    local tag=$1 pids=() names=() r rule threads
    threads=$(((cores + 2 * nruns - 1) / (2 * nruns)))
    for r in "${runs[@]}"; do
        [ -f "$out/$r/checkpoint.h5" ] || continue
        for rule in argmax expectile; do
            "$rise" eval "$out/$r" --extract-rule "$rule" --grid "$grid" --trials "$trials" --seed 0 \
                --threads "$threads" --quiet --out "$out/$r/eval_${tag}_$rule" >"$out/$r/eval_${tag}_$rule.txt" 2>&1 &
            pids+=($!) names+=("$r $rule")
        done
    done
    local bad=0 i
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" || { local rc=$?; bad=1; log "eval ${names[$i]} failed (exit $rc)"; }
    done
    return $bad
}

# 2. calibration
log "calibration: ${nruns} runs x $calib steps on $backend, budget ${budget}s"
ts=$(date +%s)
train_all "$calib" "$(($(left) > 30 ? $(left) - 10 : 20))" || { log "calibration training failed"; }
train_s=$(($(date +%s) - ts))
[ "$train_s" -ge 1 ] || train_s=1
ts=$(date +%s)
eval_all calib || log "calibration evaluation failed"
eval_s=$(($(date +%s) - ts))
[ "$eval_s" -ge 1 ] || eval_s=1
# the slowest run's own rate ("trained ALGO steps A..B in Ts (R steps/s)"), and what a
# process costs besides its steps (start, data, device set-up, graph capture)
rate=$(for r in "${runs[@]}"; do sed -n 's/.*(\([0-9.]*\) steps\/s).*/\1/p' "$out/$r.train.log" | tail -1; done |
    sort -g | head -1)
[ -n "$rate" ] || rate=$(echo "$calib $train_s" | awk '{ print $1 / $2 }')
overhead=$(echo "$train_s $calib $rate" | awk '{ o = $1 - $2 / $3; print (o > 0 ? int(o + 0.5) : 0) }')
log "calibration: ${calib} steps, ${train_s}s per run with all at once (slowest ${rate} steps/s," \
    "${overhead}s start-up), evaluation round ${eval_s}s"

# 3. plan and train
margin=15
avail=$(($(left) - eval_s * 13 / 10 - margin))
# (0.85 of the calibrated rate: a short calibration is a noisy measurement)
steps=$(echo "$calib $rate $avail $overhead $max_steps" |
    awk '{ s = $1 + 0.85 * $2 * ($3 - $4); s = int(s / $1) * $1; if (s > $5) s = $5; print (s > $1 ? s : $1) }')
if [ "$steps" -gt "$calib" ]; then
    log "training every run to $steps steps (${avail}s for training)"
    train_all "$steps" "$((avail + 10))" || log "some runs stopped before $steps steps (time limit or error)"
    eval_all final || log "some final evaluations failed"
    final=final
else
    log "no time to train past the calibration: its evaluation is the result"
    final=calib
fi
log "done in $(($(date +%s) - t0))s"
python3 paper_repro/square_budget/summarize.py "$out" --final "$final" --backend "$backend" \
    --budget "$budget" --calib-steps "$calib" --calib-train-s "$train_s" --calib-eval-s "$eval_s" \
    --calib-rate "$rate" --planned-steps "$steps" --runs "${runs[@]}"
