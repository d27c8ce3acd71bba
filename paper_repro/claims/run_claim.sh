#!/bin/sh
# run_claim.sh CLAIM_DIR [rise sweep args] - what every claim's run.sh runs: trains and
# evaluates the claim's missing runs (resumable; the maze claims share runs/claims/maze),
# then `rise sweep report` prints the table, the claim's comparisons with their intervals
# and, on the last line, the verdict (report in runs/claims/maze/report_<claim>). Extra
# arguments go to `rise sweep` (e.g. --dry-run); RISE=path/to/rise to use another build,
# JOBS=N for the number of runs at a time (default 2).
set -e
here=$(cd "$1" && pwd)
shift
root=$(cd "$here/../../.." && pwd)
rise=${RISE:-$root/build/rise}
"$rise" sweep "$here/spec.json" --jobs "${JOBS:-2}" "$@"
"$rise" sweep report "$root/runs/claims/maze" --spec "$here/spec.json" \
    --out "$root/runs/claims/maze/report_$(basename "$here")"
