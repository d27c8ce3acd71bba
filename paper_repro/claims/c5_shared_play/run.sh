#!/bin/sh
# C5: square play shared between square (nut on peg) and square-hook (nut on hook) helps both.
# One command: trains and evaluates the missing runs of spec.json (resumable; runs in
# runs/claims/square), evaluates the RISE runs again with the expectile rule (expectile.json,
# same run directories), then prints the table, the comparisons with their intervals and, last,
# the verdict (report in runs/claims/square/report_c5_shared_play). Like ../run_claim.sh but
# with the square runs directory and the second eval spec. Extra arguments go to `rise sweep`;
# RISE=path/to/rise for another build, JOBS=N runs at a time (default 1).
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
rise=${RISE:-$root/build/rise}
# expectile.json first: a run's sweep record lists the evals of the last spec that finished it,
# so spec.json (whose record the report reads) must come last; each run of this script therefore
# repeats the 10 RISE evals of both specs (about 2 minutes on 2 cores), results unchanged.
"$rise" sweep "$here/expectile.json" --jobs "${JOBS:-1}" "$@"
"$rise" sweep "$here/spec.json" --jobs "${JOBS:-1}" "$@"
"$rise" sweep report "$root/runs/claims/square" --spec "$here/spec.json" \
    --out "$root/runs/claims/square/report_c5_shared_play"
