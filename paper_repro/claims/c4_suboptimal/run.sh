#!/bin/sh
# C4: suboptimal demonstrations hurt BC but not RISE (spectral lambda 0.001). One command: trains and evaluates whatever runs are missing (resumable;
# shared with C1, C3 and C6 (bc_expert) in runs/claims/maze), then prints the table, the claim's comparisons
# with their intervals and, on the last line, the verdict. Extra arguments go to `rise sweep`
# (e.g. --dry-run); RISE=path/to/rise to use another build.
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
rise=${RISE:-$root/build/rise}
"$rise" sweep "$here/spec.json" --jobs "${JOBS:-2}" "$@"
"$rise" sweep report "$root/runs/claims/maze" --spec "$here/spec.json" \
    --out "$root/runs/claims/maze/report_c4_suboptimal"
